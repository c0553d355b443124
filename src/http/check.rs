//! Whether one response satisfies the block: its status, then each assert,
//! each with the actual value it saw, so a failure can say what it got.

use std::cell::OnceCell;
use std::cmp::Ordering;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::json_path;
use super::show::{compact, is_sensitive, mask_fields, size};
use crate::runbook::model::{AssertOp, Comparison, HttpAssert};
use crate::secrets::MASK;

/// What one attempt received.
pub struct Answer<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The body was longer than runsheet reads; `body` is its beginning.
    pub truncated: bool,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check as the runbook states it: `HTTP 200`, `.status == "ok"`.
    pub check: String,
    pub passed: bool,
    /// What the response had (Null when it had nothing there).
    pub actual: Value,
    /// One line saying what was wrong, with the actual value.
    pub failure: Option<String>,
}

impl CheckResult {
    fn pass(check: String, actual: Value) -> Self {
        Self {
            check,
            passed: true,
            actual,
            failure: None,
        }
    }

    /// `why` follows the check: `.a == 0: got 2`.
    fn fail(check: String, actual: Value, why: impl std::fmt::Display) -> Self {
        let failure = Some(format!("{check}: {why}"));
        Self {
            check,
            passed: false,
            actual,
            failure,
        }
    }
}

/// The status check first, then one result per assert, in order.
pub fn evaluate(expected: Option<u16>, asserts: &[HttpAssert], a: &Answer<'_>) -> Vec<CheckResult> {
    let json = OnceCell::new();
    let mut out = vec![status(expected, a.status)];
    for assert in asserts {
        out.push(match assert {
            HttpAssert::Json { path, op, value } => {
                let parsed = json.get_or_init(|| parse_json(a));
                json_check(path, *op, value.as_ref(), parsed)
            }
            HttpAssert::BodyContains { text } => body_contains(text, a),
            HttpAssert::Header { name, op, value } => header_check(name, *op, value, a.headers),
            HttpAssert::DurationMs { op, millis } => duration_check(*op, *millis, a.elapsed_ms),
        });
    }
    out
}

fn status(expected: Option<u16>, got: u16) -> CheckResult {
    match expected {
        Some(want) if want == got => CheckResult::pass(format!("HTTP {want}"), json!(got)),
        Some(want) => CheckResult {
            check: format!("HTTP {want}"),
            passed: false,
            actual: json!(got),
            failure: Some(format!("status {got}, expected {want}")),
        },
        None if got < 400 => CheckResult::pass("HTTP * (below 400)".into(), json!(got)),
        None => CheckResult {
            check: "HTTP * (below 400)".into(),
            passed: false,
            actual: json!(got),
            failure: Some(format!("status {got}, expected below 400")),
        },
    }
}

/// The body as JSON, or why it cannot be read as such.
fn parse_json(a: &Answer<'_>) -> Result<Value, String> {
    if a.truncated {
        // Half a document would not parse, and guessing would be worse.
        return Err(format!(
            "the body is longer than the {} runsheet reads, not checked as JSON",
            size(a.body.len())
        ));
    }
    if a.body.is_empty() {
        return Err("the body is empty, not JSON".into());
    }
    serde_json::from_slice(a.body).map_err(|e| format!("the body is not JSON ({e})"))
}

fn op_text(op: AssertOp) -> &'static str {
    match op {
        AssertOp::Cmp(c) => c.symbol(),
        AssertOp::Contains => "contains",
        AssertOp::Exists => "exists",
        AssertOp::NotExists => "not exists",
    }
}

fn describe(subject: &str, op: AssertOp, value: Option<&Value>) -> String {
    match value {
        Some(v) => format!("{subject} {} {}", op_text(op), compact(v)),
        None => format!("{subject} {}", op_text(op)),
    }
}

fn json_check(
    path: &str,
    op: AssertOp,
    expected: Option<&Value>,
    doc: &Result<Value, String>,
) -> CheckResult {
    let check = describe(path, op, expected);
    let doc = match doc {
        Ok(d) => d,
        Err(why) => return CheckResult::fail(check, Value::Null, why),
    };
    let found = json_path::lookup(doc, path);
    // Compared as they are, shown masked: `.access_token exists` must not
    // put the token in the journal.
    let masked = found.map(|v| {
        if is_sensitive(path) {
            Value::String(MASK.into())
        } else {
            mask_fields(v.clone())
        }
    });
    let actual = masked.clone().unwrap_or(Value::Null);
    let verdict = match (op, found, expected) {
        (AssertOp::Exists, Some(_), _) | (AssertOp::NotExists, None, _) => Ok(()),
        (AssertOp::Exists, None, _) => Err("absent".to_string()),
        (AssertOp::NotExists, Some(_), _) => Err(format!("present: {}", compact(&actual))),
        // A missing field fails every comparison, `!=` included: "not 5"
        // should not pass because the field is gone.
        (_, None, _) => Err(format!("absent (no `{path}` in the body)")),
        (_, Some(_), None) => Err("the assert has no value to compare with".into()),
        (AssertOp::Cmp(cmp), Some(v), Some(want)) => compare(v, cmp, want, &actual),
        (AssertOp::Contains, Some(v), Some(want)) => contains(v, want, &actual),
    };
    match verdict {
        Ok(()) => CheckResult::pass(check, actual),
        Err(why) => CheckResult::fail(check, actual, why),
    }
}

/// `shown` is `got` as it may be shown.
fn compare(got: &Value, cmp: Comparison, want: &Value, shown: &Value) -> Result<(), String> {
    let order = match (got, want) {
        (Value::Number(_), Value::Number(_)) | (Value::String(_), Value::String(_)) => {
            order_of(got, want)
        }
        _ => None,
    };
    let ok = match (cmp, order) {
        (Comparison::Eq, _) => json_eq(got, want),
        (Comparison::Ne, _) => !json_eq(got, want),
        (_, None) => {
            return Err(format!(
                "got {} ({}), which cannot be compared with {}",
                compact(shown),
                kind(got),
                compact(want)
            ));
        }
        (Comparison::Lt, Some(o)) => o == Ordering::Less,
        (Comparison::Le, Some(o)) => o != Ordering::Greater,
        (Comparison::Gt, Some(o)) => o == Ordering::Greater,
        (Comparison::Ge, Some(o)) => o != Ordering::Less,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("got {}", compact(shown)))
    }
}

fn contains(got: &Value, want: &Value, shown: &Value) -> Result<(), String> {
    let ok = match (got, want) {
        (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
        (Value::Array(items), _) => items.iter().any(|i| json_eq(i, want)),
        _ => {
            return Err(format!(
                "got {} ({}); contains needs a string or an array",
                compact(shown),
                kind(got)
            ));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("got {}", compact(shown)))
    }
}

/// JSON equality where `1` equals `1.0`, as a reader of the runbook expects.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => order_of(a, b) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn order_of(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => {
            // Integers compare exactly: ids above 2^53 would collide as f64.
            let int = |n: &serde_json::Number| {
                n.as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
            };
            match (int(x), int(y)) {
                (Some(i), Some(j)) => Some(i.cmp(&j)),
                _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
            }
        }
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn body_contains(text: &str, a: &Answer<'_>) -> CheckResult {
    let check = format!("body contains {}", compact(&json!(text)));
    let found = String::from_utf8_lossy(a.body).contains(text);
    match (found, a.truncated) {
        (true, _) => CheckResult::pass(check, json!(true)),
        (false, false) => CheckResult::fail(check, json!(false), "not found"),
        (false, true) => CheckResult::fail(
            check,
            json!(false),
            format!(
                "not found in the first {} (the rest of the body was not read)",
                size(a.body.len())
            ),
        ),
    }
}

fn header_check(name: &str, op: AssertOp, want: &str, headers: &HeaderMap) -> CheckResult {
    let subject = format!("header {}", compact(&json!(name)));
    let check = describe(&subject, op, Some(&json!(want)));
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    // A session cookie or a key is compared, never shown.
    let shown = |v: &String| {
        if is_sensitive(name) {
            MASK.to_string()
        } else {
            v.clone()
        }
    };
    let actual = match values.as_slice() {
        [] => Value::Null,
        [one] => json!(shown(one)),
        many => json!(many.iter().map(shown).collect::<Vec<_>>()),
    };
    let ok = match op {
        AssertOp::Exists => !values.is_empty(),
        AssertOp::NotExists => values.is_empty(),
        _ if values.is_empty() => return CheckResult::fail(check, actual, "no such header"),
        AssertOp::Cmp(Comparison::Ne) => values.iter().all(|v| v != want),
        AssertOp::Cmp(_) => values.iter().any(|v| v == want),
        AssertOp::Contains => values.iter().any(|v| v.contains(want)),
    };
    if ok {
        CheckResult::pass(check, actual)
    } else if values.is_empty() {
        CheckResult::fail(check, actual, "no such header")
    } else {
        let got = compact(&actual);
        CheckResult::fail(check, actual, format!("got {got}"))
    }
}

fn duration_check(op: Comparison, millis: u64, elapsed: u64) -> CheckResult {
    let check = format!("duration {} {millis}", op.symbol());
    let ok = match op {
        Comparison::Eq => elapsed == millis,
        Comparison::Ne => elapsed != millis,
        Comparison::Lt => elapsed < millis,
        Comparison::Le => elapsed <= millis,
        Comparison::Gt => elapsed > millis,
        Comparison::Ge => elapsed >= millis,
    };
    if ok {
        CheckResult::pass(check, json!(elapsed))
    } else {
        CheckResult::fail(check, json!(elapsed), format!("took {elapsed} ms"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, HeaderValue};

    fn answer<'a>(status: u16, headers: &'a HeaderMap, body: &'a str) -> Answer<'a> {
        Answer {
            status,
            headers,
            body: body.as_bytes(),
            truncated: false,
            elapsed_ms: 12,
        }
    }

    fn json_assert(path: &str, op: AssertOp, value: Option<Value>) -> HttpAssert {
        HttpAssert::Json {
            path: path.into(),
            op,
            value,
        }
    }

    fn failures(results: &[CheckResult]) -> Vec<String> {
        results.iter().filter_map(|r| r.failure.clone()).collect()
    }

    const HEALTH: &str = r#"{"status":"ok","migrations":{"pending_count":2},"tags":["a","b"],"big":18446744073709551615}"#;

    #[test]
    fn status_exact_or_below_400() {
        let h = HeaderMap::new();
        assert!(evaluate(Some(200), &[], &answer(200, &h, ""))[0].passed);
        assert_eq!(
            failures(&evaluate(Some(200), &[], &answer(503, &h, ""))),
            vec!["status 503, expected 200"]
        );
        assert!(evaluate(None, &[], &answer(302, &h, ""))[0].passed);
        assert_eq!(
            failures(&evaluate(None, &[], &answer(404, &h, ""))),
            vec!["status 404, expected below 400"]
        );
    }

    #[test]
    fn json_comparisons_say_what_they_got() {
        let h = HeaderMap::new();
        let a = answer(200, &h, HEALTH);
        let asserts = [
            json_assert(".status", AssertOp::Cmp(Comparison::Eq), Some(json!("ok"))),
            json_assert(
                ".migrations.pending_count",
                AssertOp::Cmp(Comparison::Eq),
                Some(json!(0)),
            ),
            json_assert(
                ".migrations.pending_count",
                AssertOp::Cmp(Comparison::Le),
                Some(json!(2.0)),
            ),
            json_assert(".tags", AssertOp::Contains, Some(json!("b"))),
            json_assert(".status", AssertOp::Contains, Some(json!("k"))),
            json_assert(".missing", AssertOp::NotExists, None),
            json_assert(".missing", AssertOp::Cmp(Comparison::Ne), Some(json!(1))),
            json_assert(".status", AssertOp::Cmp(Comparison::Gt), Some(json!(3))),
            json_assert(
                ".big",
                AssertOp::Cmp(Comparison::Gt),
                Some(json!(18446744073709551614u64)),
            ),
        ];
        let results = evaluate(Some(200), &asserts, &a);
        assert_eq!(
            failures(&results),
            vec![
                ".migrations.pending_count == 0: got 2",
                ".missing != 1: absent (no `.missing` in the body)",
                ".status > 3: got \"ok\" (a string), which cannot be compared with 3",
            ]
        );
        assert_eq!(results[2].actual, json!(2));
    }

    #[test]
    fn credential_fields_are_compared_but_not_shown() {
        let h = HeaderMap::new();
        let a = answer(
            200,
            &h,
            r#"{"access_token":"eyJabc","user":{"name":"ops","api_key":"k1"}}"#,
        );
        let asserts = [
            json_assert(
                ".access_token",
                AssertOp::Cmp(Comparison::Eq),
                Some(json!("other")),
            ),
            json_assert(".access_token", AssertOp::Contains, Some(json!("eyJ"))),
            json_assert(".user", AssertOp::NotExists, None),
        ];
        let r = evaluate(None, &asserts, &a);
        assert_eq!(
            failures(&r),
            vec![
                ".access_token == \"other\": got \"***\"",
                ".user not exists: present: {\"name\":\"ops\",\"api_key\":\"***\"}",
            ]
        );
        assert_eq!(r[2].actual, json!("***"));
    }

    #[test]
    fn numbers_are_equal_whatever_their_notation() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!(1), &json!("1")));
    }

    #[test]
    fn a_body_that_is_not_json_fails_json_asserts_with_the_reason() {
        let h = HeaderMap::new();
        let asserts = [json_assert(".status", AssertOp::Exists, None)];
        let r = evaluate(None, &asserts, &answer(200, &h, "<html>"));
        assert!(
            failures(&r)[0].starts_with(".status exists: the body is not JSON"),
            "{r:?}"
        );
        let mut a = answer(200, &h, "{\"status\":");
        a.truncated = true;
        let r = evaluate(None, &asserts, &a);
        assert!(failures(&r)[0].contains("longer than the"), "{r:?}");
    }

    #[test]
    fn body_and_header_and_duration() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert(
            "set-cookie",
            HeaderValue::from_static("session=abc123; HttpOnly"),
        );
        let a = answer(200, &h, "database connected");
        let asserts = [
            HttpAssert::BodyContains {
                text: "connected".into(),
            },
            HttpAssert::BodyContains {
                text: "replica".into(),
            },
            HttpAssert::Header {
                name: "content-type".into(),
                op: AssertOp::Contains,
                value: "json".into(),
            },
            HttpAssert::Header {
                name: "Content-Type".into(),
                op: AssertOp::Cmp(Comparison::Eq),
                value: "text/html".into(),
            },
            HttpAssert::Header {
                name: "X-Version".into(),
                op: AssertOp::Cmp(Comparison::Ne),
                value: "1".into(),
            },
            HttpAssert::DurationMs {
                op: Comparison::Lt,
                millis: 2000,
            },
            HttpAssert::DurationMs {
                op: Comparison::Lt,
                millis: 5,
            },
            HttpAssert::Header {
                name: "Set-Cookie".into(),
                op: AssertOp::Contains,
                value: "Secure".into(),
            },
        ];
        assert_eq!(
            failures(&evaluate(Some(200), &asserts, &a)),
            vec![
                "body contains \"replica\": not found",
                "header \"Content-Type\" == \"text/html\": got \"application/json; charset=utf-8\"",
                "header \"X-Version\" != \"1\": no such header",
                "duration < 5: took 12 ms",
                "header \"Set-Cookie\" contains \"Secure\": got \"***\"",
            ]
        );
    }
}
