//! Placeholders replaced by their values in the code that runs, by the
//! rules of where each stands, so that a value arrives as exactly itself:
//! in shell code, a reference to the variable (passed in the command's
//! environment) quoted for its place, never the value spliced into the
//! script, so spaces, quotes and `$(…)` in it stay one literal word.

use super::context::Ctx;
use super::{declares, in_action, own_name, shape};
use crate::runbook::model::{Action, ActionKind, HttpAssert, Runbook, S3Op, S3Url};
use std::collections::HashMap;

/// `action` with every placeholder that has a value replaced; one without
/// a value stays as written.
pub fn fill_action(rb: &Runbook, action: &Action, values: &HashMap<String, String>) -> Action {
    let mut out = action.clone();
    let found = in_action(action);
    if found.is_empty() {
        return out;
    }
    let mut code = String::with_capacity(action.code.len());
    let mut last = 0;
    for (f, ctx) in found {
        let var = own_name(|n| declares(rb, n), &f.var);
        let Some(value) = values.get(&var) else {
            continue;
        };
        code.push_str(&action.code[last..f.range.start]);
        code.push_str(&replacement(&action.kind, ctx, &var, value));
        last = f.range.end;
    }
    code.push_str(&action.code[last..]);
    out.code = code;
    fill_kind(rb, &mut out.kind, values);
    out
}

/// What stands in for a placeholder in code of `kind`, at `ctx`.
fn replacement(kind: &ActionKind, ctx: Ctx, var: &str, value: &str) -> String {
    if let ActionKind::Shell { .. } = kind {
        return match ctx {
            Ctx::Code => format!("\"${{{var}}}\""),
            Ctx::Double => format!("${{{var}}}"),
            Ctx::Single => format!("'\"${{{var}}}\"'"),
            Ctx::AnsiC => format!("'\"${{{var}}}\"$'"),
            // A quoted heredoc's body is taken as written: so is the value.
            _ => value.to_string(),
        };
    }
    match (kind, ctx) {
        (ActionKind::Sql { .. } | ActionKind::Batch(_), Ctx::SqlString) => {
            value.replace('\'', "''")
        }
        (ActionKind::Sql { .. } | ActionKind::Batch(_), Ctx::SqlIdent) => {
            value.replace('"', "\"\"")
        }
        (ActionKind::Sql { .. } | ActionKind::Batch(_), Ctx::Code) => sql_word(value),
        _ => value.to_string(),
    }
}

/// A value in SQL code: a number or a (qualified) name as it is, anything
/// else a string literal, so no value can add SQL of its own.
fn sql_word(value: &str) -> String {
    let number = !value.is_empty()
        && value.parse::<f64>().is_ok()
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-'));
    let name = value.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if number || name {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// A text runsheet reads itself (an http request's URL, an s3 key) with
/// each placeholder that has a value replaced by it.
pub fn fill_text(rb: &Runbook, text: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in shape::find(text) {
        let Some(value) = values.get(&own_name(|n| declares(rb, n), &f.var)) else {
            continue;
        };
        out.push_str(&text[last..f.range.start]);
        out.push_str(value);
        last = f.range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// The parts of an in-process action read from its block at parse time.
fn fill_kind(rb: &Runbook, kind: &mut ActionKind, values: &HashMap<String, String>) {
    let fill = |t: &mut String| *t = fill_text(rb, t, values);
    let fill_url = |u: &mut S3Url| {
        u.bucket = fill_text(rb, &u.bucket, values);
        u.key = fill_text(rb, &u.key, values);
    };
    match kind {
        ActionKind::Http(h) => {
            fill(&mut h.url);
            for (_, v) in &mut h.headers {
                fill(v);
            }
            if let Some(body) = &mut h.body {
                fill(body);
            }
            for a in &mut h.asserts {
                match a {
                    HttpAssert::BodyContains { text } => fill(text),
                    HttpAssert::Header { value, .. } => fill(value),
                    _ => {}
                }
            }
        }
        ActionKind::S3(ops) => {
            for op in ops {
                match op {
                    S3Op::Upload { from, to } => {
                        fill(from);
                        fill_url(to);
                    }
                    S3Op::Download { from, to } => {
                        fill_url(from);
                        fill(to);
                    }
                    S3Op::List { at } | S3Op::Verify { at, .. } | S3Op::Delete { at } => {
                        fill_url(at)
                    }
                }
            }
        }
        _ => {}
    }
}
