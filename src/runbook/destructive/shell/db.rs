//! Database clients: SQL handed to `psql` and `mysql` (on the command
//! line, on stdin), `pg_restore --clean`, `dropdb`, `mysqladmin drop`,
//! Redis `FLUSHALL`/`FLUSHDB`.

use super::super::shell_lex::Word;
use super::super::{Finding, Rule, finding, sql};
use super::words::{Options, long_name, positionals, short_group};
use super::{Cx, MAX_DEPTH, Next, Stdin, psql_meta, scan_reads};

/// Short options taking a value: the rest of the group, or the next word.
const PSQL_VALUE_FLAGS: &str = "cdfFhLopPRTUv";
const PG_RESTORE_VALUE_FLAGS: &str = "dfFhIjLnNpPStTU";
/// mysql's `-p` takes its value only when attached.
const MYSQL_VALUE_FLAGS: &str = "eDhPSuCO";

pub(super) const REDIS_CLIS: &[&str] = &["redis-cli", "valkey-cli", "keydb-cli"];

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    Some(match name {
        "psql" => psql(cx, at, args),
        "mysql" | "mariadb" => mysql(cx, args),
        "pg_restore" => {
            if pg_restore_cleans(args) {
                cx.flag(Rule::ShellPgRestoreClean, at);
            }
            Next::Done(Stdin::Data)
        }
        "dropdb" | "pg_dropcluster" => {
            cx.flag(Rule::ShellDropdb, at);
            Next::Done(Stdin::Data)
        }
        "mysqladmin" | "mariadb-admin" => {
            let p = positionals(
                args,
                Options {
                    short: "uhPS",
                    long: &[],
                },
            );
            if p.iter().any(|&k| args[k].text == "drop") {
                cx.flag(Rule::ShellDropdb, at);
            }
            Next::Done(Stdin::Data)
        }
        _ if REDIS_CLIS.contains(&name) => redis(cx, at, args),
        _ => return None,
    })
}

/// SQL findings, the first per statement (a ShellSql finding stands for
/// one statement whatever SQL rules it broke), and what psql meta-commands
/// in the text run. Spans are relative to `sql_text`.
pub(super) fn sql_findings(sql_text: &str, depth: usize) -> Vec<Finding> {
    let mut last = None;
    let mut out = Vec::new();
    for (statement, f) in sql::scan(sql_text) {
        if last != Some(statement) {
            last = Some(statement);
            out.push(Finding {
                rule: Rule::ShellSql,
                ..f
            });
        }
    }
    for m in psql_meta::scan(sql_text) {
        match m {
            psql_meta::Meta::Opaque(span) => out.push(finding(Rule::ShellOpaque, sql_text, span)),
            psql_meta::Meta::Shell(span) if depth < MAX_DEPTH => {
                let code = sql_text.get(span.clone()).unwrap_or_default();
                for f in scan_reads(code, depth + 1, false).0 {
                    out.push(Finding {
                        span: f.span.start + span.start..f.span.end + span.start,
                        ..f
                    });
                }
            }
            psql_meta::Meta::Shell(span) => {
                out.push(finding(Rule::ShellOpaque, sql_text, span));
            }
        }
    }
    out.sort_by_key(|f| f.span.start);
    out
}

/// `FLUSHALL`/`FLUSHDB` words in Redis commands read from stdin.
pub(super) fn redis_findings(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        let separator = c.is_whitespace() || c == '"' || c == '\'';
        match (separator, start) {
            (true, Some(s)) => {
                if is_flush(&text[s..i]) {
                    out.push(finding(Rule::ShellRedisFlush, text, s..i));
                }
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

fn is_flush(word: &str) -> bool {
    word.eq_ignore_ascii_case("flushall") || word.eq_ignore_ascii_case("flushdb")
}

fn psql(cx: &mut Cx, at: usize, args: &[Word]) -> Next {
    let mut reads_stdin = true;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(name) = long_name(t) {
            let value = match t.find('=') {
                Some(eq) => Some((arg, eq + 1)),
                None => {
                    let takes = [
                        "command",
                        "file",
                        "dbname",
                        "host",
                        "port",
                        "username",
                        "set",
                        "variable",
                        "output",
                        "log-file",
                        "field-separator",
                        "record-separator",
                        "pset",
                        "table-attr",
                    ];
                    let takes_value = name.len() >= 2 && takes.iter().any(|n| n.starts_with(name));
                    if takes_value {
                        i += 1;
                        args.get(i).map(|w| (w, 0))
                    } else {
                        None
                    }
                }
            };
            if let Some((word, offset)) = value {
                if name.len() >= 2 && "command".starts_with(name) {
                    cx.sql_word(word, offset);
                } else if name.len() >= 2 && "file".starts_with(name) {
                    reads_stdin &= file_is_stdin(cx, at, word, offset);
                }
            }
        } else if let Some(group) = short_group(t) {
            for (k, c) in group.char_indices() {
                if !PSQL_VALUE_FLAGS.contains(c) {
                    continue;
                }
                let value = short_value(args, &mut i, k + c.len_utf8());
                if let Some((word, offset)) = value {
                    match c {
                        'c' => cx.sql_word(word, offset),
                        'f' => reads_stdin &= file_is_stdin(cx, at, word, offset),
                        _ => {}
                    }
                }
                break;
            }
        }
        i += 1;
    }
    Next::Done(if reads_stdin { Stdin::Sql } else { Stdin::Data })
}

/// The value of the short option ending at byte `end` of the group in
/// `args[*i]`: the rest of the word (`-cSQL`), or the next word (`-c SQL`),
/// which `*i` then steps over.
fn short_value<'w>(args: &'w [Word], i: &mut usize, end: usize) -> Option<(&'w Word, usize)> {
    let arg = args.get(*i)?;
    let rest = 1 + end;
    if rest < arg.text.len() {
        Some((arg, rest))
    } else {
        *i += 1;
        args.get(*i).map(|w| (w, 0))
    }
}

/// `-f -` reads stdin; `-f file` runs a file runsheet does not read.
fn file_is_stdin(cx: &mut Cx, at: usize, word: &Word, offset: usize) -> bool {
    if word.text.get(offset..) == Some("-") {
        return true;
    }
    cx.opaque(at);
    false
}

/// `mysql -e SQL`, `--execute=SQL`, `--init-command=SQL`, and stdin
/// (read as SQL even with `-e`, leaning towards flagging).
fn mysql(cx: &mut Cx, args: &[Word]) -> Next {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(name) = long_name(t) {
            let is_sql = name.len() >= 2 && "execute".starts_with(name) || name == "init-command";
            if is_sql {
                let value = match t.find('=') {
                    Some(eq) => Some((arg, eq + 1)),
                    None => {
                        i += 1;
                        args.get(i).map(|w| (w, 0))
                    }
                };
                if let Some((word, offset)) = value {
                    cx.sql_word(word, offset);
                }
            }
        } else if let Some(group) = short_group(t) {
            for (k, c) in group.char_indices() {
                if !MYSQL_VALUE_FLAGS.contains(c) {
                    continue;
                }
                let value = short_value(args, &mut i, k + c.len_utf8());
                if c == 'e'
                    && let Some((word, offset)) = value
                {
                    cx.sql_word(word, offset);
                }
                break;
            }
        }
        i += 1;
    }
    Next::Done(Stdin::Sql)
}

fn pg_restore_cleans(args: &[Word]) -> bool {
    let mut value_next = false;
    for arg in args {
        let t = arg.text.as_str();
        if std::mem::take(&mut value_next) {
            continue;
        }
        if t == "--" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            // `--c` is ambiguous (`--clean`, `--create`); `--cl` is not.
            let name = long.split('=').next().unwrap_or_default();
            if name.len() >= 2 && "clean".starts_with(name) {
                return true;
            }
        } else if let Some(short) = t.strip_prefix('-') {
            for (k, c) in short.char_indices() {
                if c == 'c' {
                    return true;
                }
                if PG_RESTORE_VALUE_FLAGS.contains(c) {
                    value_next = k + 1 == short.len();
                    break;
                }
            }
        }
    }
    false
}

/// `redis-cli [options] COMMAND args`: FLUSHALL/FLUSHDB erase keys; EVAL
/// and FCALL run Lua runsheet does not read; no command reads stdin.
fn redis(cx: &mut Cx, at: usize, args: &[Word]) -> Next {
    if args.iter().any(|w| is_flush(&w.text)) {
        cx.flag(Rule::ShellRedisFlush, at);
    }
    let p = positionals(
        args,
        Options {
            short: "hpasnuritdD",
            long: &["user", "pass", "cacert", "cert", "key", "sni", "eval"],
        },
    );
    if args.iter().any(|w| w.text == "--eval") {
        cx.opaque(at);
    }
    let Some(&verb) = p.first() else {
        return Next::Done(Stdin::Redis);
    };
    let verb = &args[verb];
    let lua = [
        "eval",
        "evalsha",
        "eval_ro",
        "evalsha_ro",
        "fcall",
        "fcall_ro",
    ];
    if verb.expanded || lua.iter().any(|l| verb.text.eq_ignore_ascii_case(l)) {
        cx.opaque(at);
    }
    Next::Done(Stdin::Data)
}
