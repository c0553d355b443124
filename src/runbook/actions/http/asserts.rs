//! One assert per line, after the `HTTP` status line.

use super::super::lines::{Line, span};
use super::CODE;
use super::json_path;
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::model::{AssertOp, Comparison, HttpAssert};
use crate::runbook::span::Span;
use serde::de::DeserializeOwned;
use serde_json::Value;

const FORMS: &str = "accepted asserts: .status == \"ok\", jsonpath \"$.status\" == \"ok\", \
                     .items exists, .items not exists, .name contains \"prod\", \
                     body contains \"ok\", header \"Content-Type\" contains \"json\", \
                     duration < 2000";
const OPS: &str = "==, !=, <, <=, >, >=, contains, exists or not exists";
const DURATION_HELP: &str = "write the limit in milliseconds: duration < 2000";

pub(super) fn parse_assert(line: Line<'_>, base: usize) -> Result<HttpAssert, Diagnostic> {
    let mut c = Cursor { line, pos: 0, base };
    let assert = if c.rest().starts_with('.') {
        let (start, raw) = c.take_while(|ch| !ch.is_whitespace() && !"=!<>".contains(ch));
        let path = json_path::from_jq(raw).ok_or_else(|| bad_path(c.span(start, c.pos), raw))?;
        json_assert(&mut c, path, raw)?
    } else {
        let (start, word) = c.take_word();
        match word {
            "jsonpath" => jsonpath_assert(&mut c)?,
            "body" => body_assert(&mut c)?,
            "header" => header_assert(&mut c)?,
            "duration" => duration_assert(&mut c)?,
            "status" => {
                return Err(Diagnostic::error(
                    CODE,
                    c.span(start, line.text.len()),
                    "the expected status goes on the HTTP line, not in the asserts",
                )
                .with_help("write it as the status line: HTTP 200"));
            }
            _ => {
                return Err(Diagnostic::error(
                    CODE,
                    c.span(0, line.text.len()),
                    format!("`{}` is not an assert runsheet knows", line.text),
                )
                .with_help(FORMS));
            }
        }
    };
    c.finish()?;
    Ok(assert)
}

fn bad_path(at: Span, raw: &str) -> Diagnostic {
    Diagnostic::error(
        CODE,
        at,
        format!("`{raw}` is not a JSON path runsheet can follow"),
    )
    .with_help(
        "a path is keys and array indexes, e.g. .items[0].id or jsonpath \"$.items[0].id\" \
         (no wildcards, filters or ..)",
    )
}

fn jsonpath_assert(c: &mut Cursor<'_>) -> Result<HttpAssert, Diagnostic> {
    c.skip_ws();
    let start = c.pos;
    let Some(raw) = c.take_json::<String>() else {
        let (start, word) = c.take_word();
        return Err(Diagnostic::error(
            CODE,
            c.span(start, c.pos.max(start)),
            format!("jsonpath needs a quoted path, found `{word}`"),
        )
        .with_help("write jsonpath \"$.status\" == \"ok\", or the short form .status == \"ok\""));
    };
    let path =
        json_path::from_jsonpath(&raw).ok_or_else(|| bad_path(c.span(start, c.pos), &raw))?;
    json_assert(c, path, &format!("jsonpath \"{raw}\""))
}

/// `shown` is the path as written, for examples in help.
fn json_assert(c: &mut Cursor<'_>, path: String, shown: &str) -> Result<HttpAssert, Diagnostic> {
    c.skip_ws();
    let op_start = c.pos;
    let op = take_op(c, shown)?;
    let op_text = c.slice(op_start, c.pos).to_string();
    let value = match op {
        AssertOp::Exists | AssertOp::NotExists => None,
        AssertOp::Cmp(_) | AssertOp::Contains => Some(take_value(c, shown, &op_text)?),
    };
    if let (AssertOp::Cmp(cmp), Some(v)) = (op, &value)
        && !matches!(cmp, Comparison::Eq | Comparison::Ne)
        && !(v.is_number() || v.is_string())
    {
        return Err(Diagnostic::error(
            CODE,
            c.span(op_start, c.pos),
            format!("`{v}` cannot be compared with {op_text}"),
        )
        .with_help(format!(
            "compare numbers or strings with <, <=, >, >=, e.g. {shown} > 0"
        )));
    }
    Ok(HttpAssert::Json { path, op, value })
}

fn take_op(c: &mut Cursor<'_>, shown: &str) -> Result<AssertOp, Diagnostic> {
    if let Some(cmp) = c.take_comparison() {
        return Ok(AssertOp::Cmp(cmp));
    }
    let (start, word) = c.take_word();
    let op = match word {
        "contains" => AssertOp::Contains,
        "exists" => AssertOp::Exists,
        "not" => {
            c.skip_ws();
            match c.take_word() {
                (_, "exists") => AssertOp::NotExists,
                _ => return Err(bad_op(c.span(start, c.pos), "not", shown)),
            }
        }
        "" => {
            return Err(Diagnostic::error(
                CODE,
                c.span(0, c.line.text.len()),
                format!("`{shown}` needs a comparison"),
            )
            .with_help(format!("use {OPS}, e.g. {shown} == \"ok\"")));
        }
        other => return Err(bad_op(c.span(start, c.pos), other, shown)),
    };
    Ok(op)
}

fn bad_op(at: Span, op: &str, shown: &str) -> Diagnostic {
    let help = if op.starts_with('=') {
        format!("compare with ==, e.g. {shown} == \"ok\"")
    } else {
        format!("use {OPS}, e.g. {shown} == \"ok\"")
    };
    Diagnostic::error(
        CODE,
        at,
        format!("`{op}` is not a comparison runsheet knows"),
    )
    .with_help(help)
}

fn take_value(c: &mut Cursor<'_>, shown: &str, op: &str) -> Result<Value, Diagnostic> {
    c.skip_ws();
    if c.at_end() {
        return Err(Diagnostic::error(
            CODE,
            c.span(0, c.line.text.len()),
            format!("`{shown} {op}` needs a value to compare with"),
        )
        .with_help(format!(
            "put a JSON value after {op}: a number, \"a string\", true, false or null, \
             e.g. {shown} {op} \"ok\""
        )));
    }
    if let Some(v) = c.take_json::<Value>() {
        return Ok(v);
    }
    let (start, word) = c.take_word();
    let unquoted = word.trim_matches(['\'', '"']);
    Err(Diagnostic::error(
        CODE,
        c.span(start, c.pos),
        format!("`{word}` is not a JSON value"),
    )
    .with_help(format!("quote strings: {shown} {op} \"{unquoted}\"")))
}

fn body_assert(c: &mut Cursor<'_>) -> Result<HttpAssert, Diagnostic> {
    const HELP: &str = "check the body with contains: body contains \"ok\"";
    c.skip_ws();
    let (start, op) = c.take_word();
    if op != "contains" {
        return Err(Diagnostic::error(
            CODE,
            c.span(start, c.pos),
            format!("`body {op}`: runsheet checks the body with contains only"),
        )
        .with_help(HELP));
    }
    let text = take_string(c, HELP)?;
    Ok(HttpAssert::BodyContains { text })
}

fn header_assert(c: &mut Cursor<'_>) -> Result<HttpAssert, Diagnostic> {
    const HELP: &str = "write header \"Content-Type\" contains \"json\" (with ==, != or contains)";
    let name = take_string(c, HELP)?;
    c.skip_ws();
    let op_start = c.pos;
    let op = match c.take_comparison() {
        Some(Comparison::Eq) => AssertOp::Cmp(Comparison::Eq),
        Some(Comparison::Ne) => AssertOp::Cmp(Comparison::Ne),
        Some(_) => return Err(bad_header_op(c, op_start, HELP)),
        None => match c.take_word() {
            (_, "contains") => AssertOp::Contains,
            _ => return Err(bad_header_op(c, op_start, HELP)),
        },
    };
    let value = take_string(c, HELP)?;
    Ok(HttpAssert::Header { name, op, value })
}

fn bad_header_op(c: &Cursor<'_>, start: usize, help: &str) -> Diagnostic {
    let op = c.slice(start, c.pos);
    Diagnostic::error(
        CODE,
        c.span(start, c.pos),
        format!("`{op}`: a header is checked with ==, != or contains"),
    )
    .with_help(help)
}

fn duration_assert(c: &mut Cursor<'_>) -> Result<HttpAssert, Diagnostic> {
    c.skip_ws();
    let Some(op) = c.take_comparison() else {
        let (start, word) = c.take_word();
        return Err(Diagnostic::error(
            CODE,
            c.span(start, c.pos),
            format!("`duration {word}` needs a comparison: ==, !=, <, <=, > or >="),
        )
        .with_help(DURATION_HELP));
    };
    c.skip_ws();
    let (start, word) = c.take_word();
    let millis = word.parse::<u64>().map_err(|_| {
        Diagnostic::error(
            CODE,
            c.span(start, c.pos),
            format!("`{word}` is not a number of milliseconds"),
        )
        .with_help(DURATION_HELP)
    })?;
    Ok(HttpAssert::DurationMs { op, millis })
}

fn take_string(c: &mut Cursor<'_>, help: &str) -> Result<String, Diagnostic> {
    c.skip_ws();
    if let Some(s) = c.take_json::<String>() {
        return Ok(s);
    }
    let (start, word) = c.take_word();
    let message = if word.is_empty() {
        "a quoted string is missing here".to_string()
    } else {
        format!("`{word}` is not a quoted string")
    };
    Err(Diagnostic::error(CODE, c.span(start, c.pos), message).with_help(help))
}

/// A position in one assert line.
struct Cursor<'a> {
    line: Line<'a>,
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.line.text.get(self.pos..).unwrap_or("")
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.line.text.get(start..end).unwrap_or("")
    }

    fn span(&self, start: usize, end: usize) -> Span {
        span(self.base, self.line.start + start, self.line.start + end)
    }

    fn skip_ws(&mut self) {
        self.take_while(char::is_whitespace);
    }

    /// The end of the line or a trailing `# comment`.
    fn at_end(&self) -> bool {
        let rest = self.rest().trim_start();
        rest.is_empty() || rest.starts_with('#')
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> (usize, &'a str) {
        let start = self.pos;
        let rest = self.rest();
        let len = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        (start, self.slice(start, self.pos))
    }

    fn take_word(&mut self) -> (usize, &'a str) {
        self.take_while(|c| !c.is_whitespace())
    }

    fn take_comparison(&mut self) -> Option<Comparison> {
        let rest = self.rest();
        let (cmp, len) = [
            ("==", Comparison::Eq, 2),
            ("!=", Comparison::Ne, 2),
            ("<=", Comparison::Le, 2),
            (">=", Comparison::Ge, 2),
            ("<", Comparison::Lt, 1),
            (">", Comparison::Gt, 1),
        ]
        .into_iter()
        .find(|(text, _, _)| rest.starts_with(text))
        .map(|(_, cmp, len)| (cmp, len))?;
        self.pos += len;
        Some(cmp)
    }

    /// One JSON value at the cursor: strings keep JSON escapes (`\"`, `\n`).
    fn take_json<T: DeserializeOwned>(&mut self) -> Option<T> {
        let mut values = serde_json::Deserializer::from_str(self.rest()).into_iter::<T>();
        let value = values.next()?.ok()?;
        self.pos += values.byte_offset();
        Some(value)
    }

    fn finish(&mut self) -> Result<(), Diagnostic> {
        if self.at_end() {
            return Ok(());
        }
        self.skip_ws();
        let rest = self.rest().trim_end();
        Err(Diagnostic::error(
            CODE,
            self.span(self.pos, self.pos + rest.len()),
            format!("unexpected text after the assert: `{rest}`"),
        )
        .with_help(FORMS))
    }
}
