//! PostgreSQL scanner: statement-level rules over the tokens of
//! `sql_lex`, following SQL into the places it hides: CTE and `COPY (…)`
//! bodies, `EXPLAIN ANALYZE`, `PREPARE … AS`, `DO` and function bodies
//! (PL/pgSQL statements after `BEGIN`/`THEN`/`LOOP`…), `EXECUTE 'literal'`,
//! rule actions, and the query strings of `dblink` and `query_to_xml`.
//! What it cannot read (dynamic SQL, procedures, other languages) is
//! reported as opaque rather than passed.

use super::sql_calls::calls;
use super::sql_lex::{Kind, Tok, is_kw, lex, lex_at, literal, matching_paren, name, split, word};
use super::sql_where::{picks_rows, target_at};
use super::{Finding, Rule, finding};

/// Bodies and subqueries nest; deeper than this is not a real runbook.
pub(super) const MAX_DEPTH: usize = 32;

/// Statements that may follow a `WITH` clause.
const MAIN_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE",
];

/// A parenthesis opening with one of these holds a statement.
const SUBQUERY_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH", "VALUES", "TABLE",
];

/// SQL statements a PL/pgSQL body may run.
const PLPGSQL_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH", "DROP", "TRUNCATE", "ALTER", "CREATE",
    "COPY", "GRANT", "REVOKE", "VACUUM", "REINDEX", "CLUSTER", "LOCK", "SET", "RESET", "CALL",
    "EXECUTE", "COMMIT", "ROLLBACK", "REFRESH", "LOAD", "REASSIGN", "ANALYZE", "TABLE", "VALUES",
    "EXPLAIN",
];

/// PL/pgSQL words after which a statement starts.
const PLPGSQL_OPENERS: &[&str] = &["BEGIN", "THEN", "ELSE", "LOOP", "IN", "FOR", "QUERY"];

/// `ALTER ... DROP <these>` removes a property, not data or structure.
const HARMLESS_ALTER_DROPS: &[&str] = &["DEFAULT", "NOT", "IDENTITY", "EXPRESSION"];

/// Statements that start, end or split a transaction.
const TRANSACTION_VERBS: &[&str] = &[
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
];

/// Settings that make a read-only transaction read-write, now or later.
pub(super) const TRANSACTION_SETTINGS: &[&str] =
    &["transaction_read_only", "default_transaction_read_only"];

/// Settings that switch off the database's own checks or change how it
/// reads the text that follows.
pub(super) const WEAKENING_SETTINGS: &[&str] = &[
    "session_replication_role",
    "standard_conforming_strings",
    "backslash_quote",
];

/// Lock modes that leave the application's reads and writes running.
const WEAK_LOCKS: &[&str] = &[
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Sql,
    PlPgSql,
}

pub(super) struct Cx<'t> {
    pub text: &'t str,
    pub found: Vec<Finding>,
    /// Names `PREPARE`d earlier in the block.
    prepared: Vec<String>,
}

/// Findings with the index of the statement each came from, ordered by
/// span start; at most one finding per rule and statement. Transaction
/// control is not among them (see `transaction_control`).
pub(super) fn scan(text: &str) -> Vec<(usize, Finding)> {
    walk(text)
        .into_iter()
        .filter(|(_, f)| f.rule != Rule::SqlTransactionControl)
        .collect()
}

/// Statements that begin, end or change the mode of the transaction the
/// block runs in, wherever they are (also inside `DO` and functions).
pub(super) fn transaction_control(text: &str) -> Vec<Finding> {
    walk(text)
        .into_iter()
        .filter(|(_, f)| f.rule == Rule::SqlTransactionControl)
        .map(|(_, f)| f)
        .collect()
}

fn walk(text: &str) -> Vec<(usize, Finding)> {
    let toks = lex(text);
    let mut cx = Cx {
        text,
        found: Vec::new(),
        prepared: Vec::new(),
    };
    let mut out = Vec::new();
    for (index, statement) in split(text, &toks).into_iter().enumerate() {
        if statement[0].kind == Kind::Meta {
            continue;
        }
        cx.found.clear();
        calls(&mut cx, statement, 0);
        self::statement(&mut cx, statement, Mode::Sql, 0);
        let mut seen: Vec<Rule> = Vec::new();
        for f in cx.found.drain(..) {
            if !seen.contains(&f.rule) {
                seen.push(f.rule);
                out.push((index, f));
            }
        }
    }
    out.sort_by_key(|(_, f)| f.span.start);
    out
}

impl Cx<'_> {
    fn flag(&mut self, rule: Rule, toks: &[Tok]) {
        if let (Some(first), Some(last)) = (toks.first(), toks.last()) {
            self.found
                .push(finding(rule, self.text, first.start..last.end));
        }
    }
}

/// Every statement of a token stream (a body or a literal's tokens).
pub(super) fn stream(cx: &mut Cx, toks: &[Tok], mode: Mode, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for piece in split(cx.text, toks) {
        if piece[0].kind == Kind::Meta {
            continue;
        }
        calls(cx, piece, depth);
        match mode {
            Mode::Sql => statement(cx, piece, Mode::Sql, depth),
            Mode::PlPgSql => plpgsql_piece(cx, piece, depth),
        }
    }
}

/// The SQL in a string literal or dollar-quoted body. A literal written
/// with escapes is read on its own and its findings point at the literal.
pub(super) fn in_literal(cx: &mut Cx, t: &Tok, mode: Mode, depth: usize) {
    let Some((body, at)) = literal(cx.text, t) else {
        return;
    };
    match at {
        Some(at) => {
            let toks = lex_at(cx.text, at..at + body.len());
            stream(cx, &toks, mode, depth + 1);
        }
        None => {
            let toks = lex(&body);
            let mut inner = Cx {
                text: &body,
                found: Vec::new(),
                prepared: Vec::new(),
            };
            stream(&mut inner, &toks, mode, depth + 1);
            for f in inner.found {
                cx.found.push(Finding {
                    rule: f.rule,
                    span: t.start..t.end,
                    excerpt: f.excerpt,
                });
            }
        }
    }
}

/// One `;`-separated piece of PL/pgSQL: the SQL statement in it, if any,
/// starts after a block word (`BEGIN`, `THEN`, `LOOP` …); a `FOR … IN
/// query LOOP` query ends at `LOOP`, where the loop's first statement starts.
fn plpgsql_piece(cx: &mut Cx, toks: &[Tok], depth: usize) {
    let text = cx.text;
    let mut i = 0;
    while i < toks.len() {
        let start = (i..toks.len()).find(|&s| {
            let opened = s == 0
                || is_opener(text, &toks[s - 1])
                || (toks[s - 1].kind == Kind::Op && word(text, &toks[s - 1]) == ">>");
            let for_update = s > 0
                && is_kw(text, &toks[s - 1], "FOR")
                && ["UPDATE", "SHARE", "NO", "KEY"]
                    .iter()
                    .any(|k| is_kw(text, &toks[s], k));
            opened && !for_update && PLPGSQL_VERBS.iter().any(|v| is_kw(text, &toks[s], v))
        });
        let Some(s) = start else {
            return;
        };
        let mut level = 0usize;
        let end = (s + 1..toks.len())
            .find(|&k| {
                match toks[k].kind {
                    Kind::LParen => level += 1,
                    Kind::RParen => level = level.saturating_sub(1),
                    _ => {}
                }
                level == 0 && is_kw(text, &toks[k], "LOOP")
            })
            .unwrap_or(toks.len());
        let body = &toks[s..end];
        if is_kw(text, &body[0], "EXECUTE") {
            dynamic(cx, body, depth);
        } else {
            statement(cx, body, Mode::PlPgSql, depth);
        }
        i = end + 1;
    }
}

fn is_opener(text: &str, t: &Tok) -> bool {
    PLPGSQL_OPENERS.iter().any(|o| is_kw(text, t, o))
}

/// PL/pgSQL `EXECUTE expr [INTO …] [USING …]`: one literal is read as SQL;
/// anything built at run time is opaque (its literal pieces are still read).
fn dynamic(cx: &mut Cx, toks: &[Tok], depth: usize) {
    let text = cx.text;
    let end = (1..toks.len())
        .find(|&k| is_kw(text, &toks[k], "INTO") || is_kw(text, &toks[k], "USING"))
        .unwrap_or(toks.len());
    let expr = &toks[1..end];
    match expr {
        [t] if matches!(t.kind, Kind::Str | Kind::Dollar) => in_literal(cx, t, Mode::Sql, depth),
        _ => {
            cx.flag(Rule::SqlOpaque, &toks[..end]);
            for t in expr
                .iter()
                .filter(|t| matches!(t.kind, Kind::Str | Kind::Dollar))
            {
                in_literal(cx, t, Mode::Sql, depth);
            }
        }
    }
}

fn statement(cx: &mut Cx, toks: &[Tok], mode: Mode, depth: usize) {
    let Some(first) = toks.first() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    let text = cx.text;
    if is_kw(text, first, "EXPLAIN") {
        if let Some(inner) = explain_analyze_target(text, toks) {
            statement(cx, &toks[inner..], mode, depth + 1);
        }
    } else if is_kw(text, first, "WITH") {
        match with_main(text, toks) {
            Some(main) => {
                subqueries(cx, &toks[1..main], mode, depth);
                statement(cx, &toks[main..], mode, depth + 1);
            }
            None => subqueries(cx, &toks[1..], mode, depth),
        }
    } else if first.kind == Kind::LParen {
        subqueries(cx, toks, mode, depth);
    } else {
        subqueries(cx, &toks[1..], mode, depth);
        verb_rules(cx, toks, mode, depth);
    }
}

/// Parenthesised statements (CTE bodies, `COPY (…)`, `FOR … IN (…)`,
/// rule actions), each read as a statement of its own.
fn subqueries(cx: &mut Cx, toks: &[Tok], mode: Mode, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let text = cx.text;
    let mut i = 0;
    while i < toks.len() {
        if toks[i].kind != Kind::LParen {
            i += 1;
            continue;
        }
        let close = matching_paren(toks, i);
        let inner = toks.get(i + 1..close).unwrap_or_default();
        let is_statement = inner
            .first()
            .is_some_and(|f| SUBQUERY_VERBS.iter().any(|v| is_kw(text, f, v)));
        if is_statement {
            for piece in split(text, inner) {
                statement(cx, piece, mode, depth + 1);
            }
        } else {
            subqueries(cx, inner, mode, depth + 1);
        }
        i = close + 1;
    }
}

/// Index of the statement an `EXPLAIN` really executes, if it executes one:
/// only `ANALYZE` runs the statement.
fn explain_analyze_target(text: &str, toks: &[Tok]) -> Option<usize> {
    let mut analyze = false;
    let mut i = 1;
    if toks.get(i).is_some_and(|t| t.kind == Kind::LParen) {
        let close = matching_paren(toks, i);
        let options = toks.get(i + 1..close).unwrap_or_default();
        for (k, t) in options.iter().enumerate() {
            if is_kw(text, t, "ANALYZE") || is_kw(text, t, "ANALYSE") {
                let off = options.get(k + 1).is_some_and(|v| {
                    ["FALSE", "OFF", "0"]
                        .iter()
                        .any(|no| word(text, v).eq_ignore_ascii_case(no))
                });
                analyze = !off;
            }
        }
        i = close + 1;
    }
    while let Some(t) = toks.get(i) {
        if is_kw(text, t, "ANALYZE") || is_kw(text, t, "ANALYSE") {
            analyze = true;
        } else if !is_kw(text, t, "VERBOSE") {
            break;
        }
        i += 1;
    }
    (analyze && i < toks.len()).then_some(i)
}

/// The main verb's index in a `WITH` statement.
fn with_main(text: &str, toks: &[Tok]) -> Option<usize> {
    let mut i = 1;
    while let Some(t) = toks.get(i) {
        match t.kind {
            Kind::LParen => i = matching_paren(toks, i) + 1,
            Kind::Word if MAIN_VERBS.iter().any(|v| is_kw(text, t, v)) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn verb_rules(cx: &mut Cx, toks: &[Tok], mode: Mode, depth: usize) {
    let text = cx.text;
    let verb = &toks[0];
    let kw = |k: &str| is_kw(text, verb, k);
    if kw("DROP") {
        cx.flag(Rule::SqlDrop, toks);
    } else if kw("TRUNCATE") {
        cx.flag(Rule::SqlTruncate, toks);
    } else if kw("DELETE") {
        let from = usize::from(toks.get(1).is_some_and(|t| is_kw(text, t, "FROM")));
        let joined = top_level(text, toks, "USING").is_some();
        let target = target_at(text, &toks[1 + from..], joined);
        if !condition_picks_rows(text, toks, &target) {
            cx.flag(Rule::SqlDeleteWithoutWhere, toks);
        }
    } else if kw("UPDATE") {
        let joined = top_level(text, toks, "FROM").is_some();
        let target = target_at(text, &toks[1..], joined);
        if !condition_picks_rows(text, toks, &target) {
            cx.flag(Rule::SqlUpdateWithoutWhere, toks);
        }
    } else if kw("ALTER") {
        alter(cx, toks);
    } else if kw("MERGE") {
        merge(cx, toks);
    } else if kw("COPY") {
        if top_level(text, toks, "PROGRAM").is_some() {
            cx.flag(Rule::SqlProgram, toks);
        } else if let Some(k) =
            top_level(text, toks, "TO").or_else(|| top_level(text, toks, "FROM"))
            && toks.get(k + 1).is_some_and(|t| t.kind == Kind::Str)
        {
            cx.flag(Rule::SqlServerFiles, toks);
        }
    } else if kw("CREATE") {
        create(cx, toks, depth);
    } else if kw("DO") {
        do_block(cx, toks, depth);
    } else if kw("PREPARE") {
        if toks.get(1).is_some_and(|t| is_kw(text, t, "TRANSACTION")) {
            cx.flag(Rule::SqlTransactionControl, toks);
        } else if let Some(as_at) = top_level(text, toks, "AS") {
            if let Some(n) = toks.get(1).and_then(|t| name(text, t)) {
                cx.prepared.push(n);
            }
            // The word after AS was lexed as a name; here it is a verb.
            let mut prepared = toks[as_at + 1..].to_vec();
            if let Some(first) = prepared.first_mut() {
                first.keyword = true;
            }
            statement(cx, &prepared, mode, depth + 1);
        }
    } else if kw("EXECUTE") {
        let known = toks
            .get(1)
            .and_then(|t| name(text, t))
            .is_some_and(|n| cx.prepared.contains(&n));
        if !known {
            cx.flag(Rule::SqlOpaque, toks);
        }
    } else if kw("CALL") {
        cx.flag(Rule::SqlOpaque, toks);
    } else if kw("GRANT") || kw("REVOKE") || kw("REASSIGN") {
        cx.flag(Rule::SqlPrivileges, toks);
    } else if kw("VACUUM") {
        if toks.iter().any(|t| is_kw(text, t, "FULL")) {
            cx.flag(Rule::SqlExclusiveLock, toks);
        }
    } else if kw("REINDEX") || kw("CLUSTER") {
        cx.flag(Rule::SqlExclusiveLock, toks);
    } else if kw("LOCK") {
        if !weak_lock(text, toks) {
            cx.flag(Rule::SqlExclusiveLock, toks);
        }
    } else if kw("REFRESH") {
        if !toks.iter().any(|t| is_kw(text, t, "CONCURRENTLY")) {
            cx.flag(Rule::SqlExclusiveLock, toks);
        }
    } else if kw("SELECT") {
        if mode == Mode::Sql
            && let Some(k) = top_level(text, toks, "INTO")
            && !toks
                .get(k + 1)
                .is_some_and(|t| ["TEMP", "TEMPORARY"].iter().any(|w| is_kw(text, t, w)))
        {
            cx.flag(Rule::SqlSelectInto, toks);
        }
    } else if kw("SET") || kw("RESET") {
        setting(cx, toks);
    } else if kw("LOAD") {
        cx.flag(Rule::SqlServerControl, toks);
    } else if TRANSACTION_VERBS.iter().any(|v| kw(v)) {
        // In PL/pgSQL, BEGIN and END are block words and never get here.
        cx.flag(Rule::SqlTransactionControl, toks);
    }
}

/// The top-level `WHERE` of a DELETE or UPDATE picks rows of its target.
fn condition_picks_rows(text: &str, toks: &[Tok], target: &super::sql_where::Target) -> bool {
    let Some(w) = top_level(text, toks, "WHERE") else {
        return false;
    };
    let end = top_level(text, toks, "RETURNING").unwrap_or(toks.len());
    let cond = toks.get(w + 1..end.max(w + 1)).unwrap_or_default();
    picks_rows(text, cond, target)
}

/// Index of the first `keyword` outside parentheses.
pub(super) fn top_level(text: &str, toks: &[Tok], keyword: &str) -> Option<usize> {
    let mut depth = 0i64;
    toks.iter().position(|t| {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            _ => {}
        }
        depth == 0 && is_kw(text, t, keyword)
    })
}

fn alter(cx: &mut Cx, toks: &[Tok]) {
    let text = cx.text;
    let second = |k: &str| toks.get(1).is_some_and(|t| is_kw(text, t, k));
    if second("SYSTEM") {
        cx.flag(Rule::SqlServerControl, toks);
        return;
    }
    if second("ROLE") || second("USER") || second("GROUP") || second("DEFAULT") {
        cx.flag(Rule::SqlPrivileges, toks);
        return;
    }
    if second("SUBSCRIPTION") {
        cx.flag(Rule::SqlServerControl, toks);
    }
    if let Some(end) = alter_drop_end(text, &toks[1..]) {
        cx.found
            .push(finding(Rule::SqlAlterDrop, text, toks[0].start..end));
    }
    if let Some(k) = top_level(text, toks, "DISABLE") {
        let what = toks.get(k + 1);
        if what.is_some_and(|t| is_kw(text, t, "TRIGGER") || is_kw(text, t, "RULE")) {
            cx.flag(Rule::SqlRuleOrTrigger, toks);
        } else if what.is_some_and(|t| is_kw(text, t, "ROW")) {
            cx.flag(Rule::SqlPrivileges, toks);
        }
    }
    if top_level(text, toks, "ENABLE").is_some_and(|k| {
        toks.get(k + 1)
            .is_some_and(|t| is_kw(text, t, "REPLICA") || is_kw(text, t, "ALWAYS"))
    }) {
        cx.flag(Rule::SqlRuleOrTrigger, toks);
    }
    if top_level(text, toks, "OWNER").is_some() {
        cx.flag(Rule::SqlPrivileges, toks);
    }
    // ALTER TABLE … ALTER COLUMN c TYPE …: the table is rewritten under an
    // exclusive lock.
    if second("TABLE") && top_level(text, toks, "TYPE").is_some() {
        cx.flag(Rule::SqlExclusiveLock, toks);
    }
}

/// End of the first top-level `DROP ...` action that removes something,
/// up to the next top-level comma.
fn alter_drop_end(text: &str, toks: &[Tok]) -> Option<usize> {
    let mut depth = 0i64;
    let mut drop_at = None;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Comma if depth == 0 && drop_at.is_some() => {
                return i.checked_sub(1).map(|k| toks[k].end);
            }
            _ => {}
        }
        if depth == 0 && drop_at.is_none() && is_kw(text, t, "DROP") {
            let harmless = toks
                .get(i + 1)
                .is_some_and(|n| HARMLESS_ALTER_DROPS.iter().any(|h| is_kw(text, n, h)));
            if !harmless {
                drop_at = Some(i);
            }
        }
    }
    drop_at.and_then(|_| toks.last()).map(|t| t.end)
}

/// `MERGE … THEN DELETE` deletes; `MERGE … ON <no real condition> … THEN
/// UPDATE` rewrites every row.
fn merge(cx: &mut Cx, toks: &[Tok]) {
    let text = cx.text;
    let mut depth = 0i64;
    let mut deletes = false;
    let mut updates = false;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            _ => {}
        }
        if depth == 0 && is_kw(text, t, "THEN") {
            let next = toks.get(i + 1);
            deletes |= next.is_some_and(|n| is_kw(text, n, "DELETE"));
            updates |= next.is_some_and(|n| is_kw(text, n, "UPDATE"));
        }
    }
    if deletes {
        cx.flag(Rule::SqlMergeDelete, toks);
    }
    if updates {
        let into = usize::from(toks.get(1).is_some_and(|t| is_kw(text, t, "INTO")));
        let target = target_at(text, &toks[1 + into..], true);
        let on = top_level(text, toks, "ON");
        let when = top_level(text, toks, "WHEN").unwrap_or(toks.len());
        let real = on.is_some_and(|on| {
            let cond = toks.get(on + 1..when.max(on + 1)).unwrap_or_default();
            picks_rows(text, cond, &target)
        });
        if !real {
            cx.flag(Rule::SqlUpdateWithoutWhere, toks);
        }
    }
}

fn create(cx: &mut Cx, toks: &[Tok], depth: usize) {
    let text = cx.text;
    let mut i = 1;
    let mut replaces = false;
    if toks.get(i).is_some_and(|t| is_kw(text, t, "OR"))
        && toks.get(i + 1).is_some_and(|t| is_kw(text, t, "REPLACE"))
    {
        replaces = true;
        i += 2;
    }
    const MODIFIERS: &[&str] = &[
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "GLOBAL",
        "LOCAL",
        "CONSTRAINT",
        "TRUSTED",
        "PROCEDURAL",
        "RECURSIVE",
        "MATERIALIZED",
        "EVENT",
        "DEFAULT",
        "UNIQUE",
    ];
    while toks
        .get(i)
        .is_some_and(|t| MODIFIERS.iter().any(|m| is_kw(text, t, m)))
    {
        i += 1;
    }
    let object = toks.get(i);
    let is = |k: &str| object.is_some_and(|t| is_kw(text, t, k));
    if replaces {
        cx.flag(Rule::SqlReplacesCode, toks);
    }
    if is("RULE") {
        cx.flag(Rule::SqlRuleOrTrigger, toks);
        if let Some(d) = top_level(text, toks, "DO") {
            let mut a = d + 1;
            if toks
                .get(a)
                .is_some_and(|t| is_kw(text, t, "ALSO") || is_kw(text, t, "INSTEAD"))
            {
                a += 1;
            }
            if let Some(action) = toks.get(a..)
                && action.first().is_some_and(|t| t.kind != Kind::LParen)
            {
                statement(cx, action, Mode::Sql, depth + 1);
            }
        }
    } else if is("TRIGGER") {
        cx.flag(Rule::SqlRuleOrTrigger, toks);
    } else if is("SUBSCRIPTION") {
        cx.flag(Rule::SqlServerControl, toks);
    } else if is("FUNCTION") || is("PROCEDURE") {
        routine_body(cx, toks, depth);
    }
}

/// The `LANGUAGE` a routine or `DO` block names, lower-cased.
fn language(text: &str, toks: &[Tok]) -> Option<String> {
    top_level(text, toks, "LANGUAGE")
        .and_then(|k| toks.get(k + 1))
        .and_then(|t| match t.kind {
            Kind::Str => literal(text, t).map(|(s, _)| s.to_ascii_lowercase()),
            _ => name(text, t),
        })
}

/// A function's or procedure's body, read in its language; a language
/// runsheet cannot read (C, internal, Python…) is opaque.
fn routine_body(cx: &mut Cx, toks: &[Tok], depth: usize) {
    let text = cx.text;
    let language = language(text, toks).unwrap_or_else(|| "sql".into());
    if let Some(b) = (0..toks.len()).find(|&k| {
        is_kw(text, &toks[k], "BEGIN") && toks.get(k + 1).is_some_and(|n| is_kw(text, n, "ATOMIC"))
    }) {
        let mut body = &toks[b + 2..];
        if body.last().is_some_and(|t| is_kw(text, t, "END")) {
            body = &body[..body.len() - 1];
        }
        stream(cx, body, Mode::Sql, depth + 1);
        return;
    }
    let Some(as_at) = top_level(text, toks, "AS") else {
        return;
    };
    let Some(body) = toks
        .get(as_at + 1)
        .filter(|t| matches!(t.kind, Kind::Str | Kind::Dollar))
    else {
        return;
    };
    match language.as_str() {
        "sql" => in_literal(cx, body, Mode::Sql, depth),
        "plpgsql" => in_literal(cx, body, Mode::PlPgSql, depth),
        _ => cx.flag(Rule::SqlOpaque, toks),
    }
}

/// `DO [LANGUAGE l] body [LANGUAGE l]`: PL/pgSQL unless it says otherwise.
fn do_block(cx: &mut Cx, toks: &[Tok], depth: usize) {
    let text = cx.text;
    let language = language(text, toks).unwrap_or_else(|| "plpgsql".into());
    let Some(body) = toks
        .iter()
        .find(|t| matches!(t.kind, Kind::Str | Kind::Dollar))
    else {
        return;
    };
    if language == "plpgsql" {
        in_literal(cx, body, Mode::PlPgSql, depth);
    } else {
        cx.flag(Rule::SqlOpaque, toks);
    }
}

fn weak_lock(text: &str, toks: &[Tok]) -> bool {
    let Some(k) = top_level(text, toks, "IN") else {
        return false; // ACCESS EXCLUSIVE by default
    };
    let end = top_level(text, toks, "MODE").unwrap_or(toks.len());
    let mode = toks
        .get(k + 1..end.max(k + 1))
        .unwrap_or_default()
        .iter()
        .map(|t| word(text, t).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ");
    WEAK_LOCKS.contains(&mode.as_str())
}

/// `SET`/`RESET` of the transaction's mode is transaction control; of a
/// setting that switches off the database's checks, a finding.
fn setting(cx: &mut Cx, toks: &[Tok]) {
    let text = cx.text;
    let mut i = 1;
    if toks
        .get(i)
        .is_some_and(|t| is_kw(text, t, "SESSION") || is_kw(text, t, "LOCAL"))
    {
        // SET SESSION CHARACTERISTICS / SET SESSION AUTHORIZATION / SET LOCAL x
        if toks
            .get(i + 1)
            .is_some_and(|t| is_kw(text, t, "CHARACTERISTICS"))
        {
            cx.flag(Rule::SqlTransactionControl, toks);
            return;
        }
        i += 1;
    }
    let Some(n) = toks.get(i) else {
        return;
    };
    let setting = name(text, n).unwrap_or_default();
    let reset = is_kw(text, &toks[0], "RESET");
    if setting == "transaction"
        || TRANSACTION_SETTINGS.contains(&setting.as_str())
        || (reset && setting == "all")
    {
        cx.flag(Rule::SqlTransactionControl, toks);
    } else if WEAKENING_SETTINGS.contains(&setting.as_str()) {
        cx.flag(Rule::SqlSetting, toks);
    }
}
