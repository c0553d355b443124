//! Functions whose effects a transaction does not hold back: they signal
//! other sessions, control the server, reach other databases, touch the
//! server's files, change sequences, or run SQL given as a string. Found
//! wherever they are called (`SELECT`, `PERFORM`, a subquery, a default),
//! schema-qualified or quoted.

use super::sql::{Cx, MAX_DEPTH, Mode, TRANSACTION_SETTINGS, WEAKENING_SETTINGS, in_literal};
use super::sql_lex::{Kind, Tok, literal, matching_paren, name};
use super::{Rule, finding};

const OTHER_SESSIONS: &[&str] = &["pg_terminate_backend", "pg_cancel_backend"];

const SERVER_CONTROL: &[&str] = &[
    "pg_promote",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_switch_xlog",
    "pg_create_restore_point",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "pg_xlog_replay_pause",
    "pg_xlog_replay_resume",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_drop_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_replication_slot_advance",
    "pg_logical_slot_get_changes",
    "pg_logical_slot_get_binary_changes",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_replication_origin_advance",
    "pg_replication_origin_session_setup",
    "pg_stat_reset",
    "pg_stat_reset_shared",
    "pg_stat_reset_single_table_counters",
    "pg_stat_reset_single_function_counters",
    "pg_stat_reset_slru",
    "pg_stat_reset_replication_slot",
    "pg_stat_reset_subscription_stats",
    "pg_stat_statements_reset",
];

/// Run SQL on another connection, committed there whatever happens here.
const REMOTE: &[&str] = &["dblink", "dblink_exec", "dblink_send_query", "dblink_open"];

/// Run the SQL given as their first argument.
const QUERY_STRINGS: &[&str] = &[
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "ts_stat",
];

const SERVER_FILES: &[&str] = &[
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "lo_import",
    "lo_export",
];

const LARGE_OBJECTS: &[&str] = &["lo_unlink", "lo_truncate", "lo_truncate64", "lo_put"];

const SEQUENCES: &[&str] = &["setval", "nextval"];

pub(super) fn calls(cx: &mut Cx, toks: &[Tok], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for i in 0..toks.len() {
        let t = &toks[i];
        if !matches!(t.kind, Kind::Word | Kind::QuotedIdent)
            || toks.get(i + 1).is_none_or(|n| n.kind != Kind::LParen)
        {
            continue;
        }
        let Some(function) = name(cx.text, t) else {
            continue;
        };
        let f = function.as_str();
        let known = [
            OTHER_SESSIONS,
            SERVER_CONTROL,
            SERVER_FILES,
            LARGE_OBJECTS,
            SEQUENCES,
            REMOTE,
            QUERY_STRINGS,
            &["set_config"],
        ]
        .iter()
        .any(|list| list.contains(&f));
        if !known {
            continue;
        }
        let close = matching_paren(toks, i + 1);
        let span = t.start..toks.get(close).map_or(t.end, |c| c.end);
        let args = arguments(cx.text, toks.get(i + 2..close).unwrap_or_default());
        let rule = if OTHER_SESSIONS.contains(&f) {
            Some(Rule::SqlOtherSessions)
        } else if SERVER_CONTROL.contains(&f) {
            Some(Rule::SqlServerControl)
        } else if SERVER_FILES.contains(&f) {
            Some(Rule::SqlServerFiles)
        } else if LARGE_OBJECTS.contains(&f) {
            Some(Rule::SqlLargeObject)
        } else if SEQUENCES.contains(&f) {
            Some(Rule::SqlSequence)
        } else if REMOTE.contains(&f) {
            for a in &args {
                if let [lit] = a.as_slice()
                    && is_literal(lit)
                {
                    in_literal(cx, lit, Mode::Sql, depth);
                }
            }
            Some(Rule::SqlRemote)
        } else if QUERY_STRINGS.contains(&f) {
            match args.first().map(Vec::as_slice) {
                Some([lit]) if is_literal(lit) => {
                    in_literal(cx, lit, Mode::Sql, depth);
                    None
                }
                _ => Some(Rule::SqlOpaque),
            }
        } else if f == "set_config" {
            match args.first().map(Vec::as_slice) {
                Some([lit]) if is_literal(lit) => {
                    let setting = literal(cx.text, lit)
                        .map(|(s, _)| s.trim().to_ascii_lowercase())
                        .unwrap_or_default();
                    if TRANSACTION_SETTINGS.contains(&setting.as_str()) {
                        Some(Rule::SqlTransactionControl)
                    } else if WEAKENING_SETTINGS.contains(&setting.as_str()) {
                        Some(Rule::SqlSetting)
                    } else {
                        None
                    }
                }
                _ => Some(Rule::SqlOpaque),
            }
        } else {
            None
        };
        if let Some(rule) = rule {
            cx.found.push(finding(rule, cx.text, span));
        }
    }
}

fn is_literal(t: &Tok) -> bool {
    matches!(t.kind, Kind::Str | Kind::Dollar)
}

/// A call's arguments split at top-level commas; an argument that is one
/// literal (maybe cast, `'…'::text`) is given as that literal alone.
fn arguments(text: &str, toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut out: Vec<Vec<Tok>> = vec![Vec::new()];
    let mut depth = 0usize;
    for t in toks {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth = depth.saturating_sub(1),
            Kind::Comma if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(*t);
        }
    }
    for a in &mut out {
        let cast_only = a.len() > 2
            && matches!(a[0].kind, Kind::Str | Kind::Dollar)
            && a[1].kind == Kind::Op
            && text.get(a[1].start..a[1].end) == Some("::")
            && a[2..].iter().all(|t| t.kind == Kind::Word);
        if cast_only {
            a.truncate(1);
        }
    }
    out.retain(|a| !a.is_empty());
    out
}
