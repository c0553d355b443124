use super::parse_http;
use crate::runbook::diagnostic::{Diagnostic, Severity};
use crate::runbook::model::{AssertOp, Comparison, HttpAssert, HttpCheck};
use serde_json::json;
use std::time::Duration;

/// The body inside a runbook, so spans are checked as absolute offsets.
fn in_runbook(body: &str) -> (String, usize) {
    let prefix = "# Déploiement\n\nVérifier l'API :\n\n```http {retry=2m}\n";
    (format!("{prefix}{body}```\n"), prefix.len())
}

fn parse(body: &str) -> (String, Option<HttpCheck>, Vec<Diagnostic>) {
    let (runbook, base) = in_runbook(body);
    let (check, diags) = parse_http(body, base);
    (runbook, check, diags)
}

fn text(runbook: &str, d: &Diagnostic) -> String {
    runbook
        .get(d.span.range())
        .unwrap_or("<out of range>")
        .to_string()
}

/// The only diagnostic of a body, with the text its span covers.
fn one_error(body: &str) -> (Diagnostic, String) {
    let (runbook, _, diags) = parse(body);
    assert_eq!(diags.len(), 1, "{body:?}: {diags:#?}");
    let d = diags[0].clone();
    assert_eq!(d.code, "bad-http");
    assert_eq!(d.severity, Severity::Error);
    let t = text(&runbook, &d);
    (d, t)
}

fn json_assert(path: &str, op: AssertOp, value: Option<serde_json::Value>) -> String {
    format!(
        "{:?}",
        HttpAssert::Json {
            path: path.into(),
            op,
            value
        }
    )
}

fn asserts(check: &HttpCheck) -> Vec<String> {
    check.asserts.iter().map(|a| format!("{a:?}")).collect()
}

#[test]
fn seed_health_check() {
    let body =
        "GET ${APP_URL}/health\n\nHTTP 200\n.status == \"ok\"\n.migrations.pending_count == 0\n";
    let (_, check, diags) = parse(body);
    assert!(diags.is_empty(), "{diags:#?}");
    let Some(check) = check else {
        panic!("no check");
    };
    assert_eq!(check.method, "GET");
    assert_eq!(check.url, "${APP_URL}/health");
    assert!(check.headers.is_empty());
    assert_eq!(check.body, None);
    assert_eq!(check.status, Some(200));
    assert_eq!(check.retry_for, None);
    assert_eq!(check.retry_interval, Duration::from_secs(5));
    let eq = AssertOp::Cmp(Comparison::Eq);
    assert_eq!(
        asserts(&check),
        [
            json_assert(".status", eq, Some(json!("ok"))),
            json_assert(".migrations.pending_count", eq, Some(json!(0))),
        ]
    );
}

#[test]
fn full_hurl_like_block() {
    let body = r#"# comments start with #
POST https://api.example.com/jobs
Authorization: Bearer ${TOKEN}
Content-Type: application/json

{"optional": "request body",
 # not sent
 "until": "the HTTP line"}

HTTP/1.1 201 Created
[Asserts]
jsonpath "$.status" == "ok" # trailing comment
jsonpath "$" exists
jsonpath "$[0].id" != null
.items[0].name contains "prod"
.count >= 2.5
.gone not exists
.updated_at > "2024-01-01"
body contains "ok"
header "Content-Type" contains "json"
header "X-Env" == "prod"
header "X-Old" != "yes"
duration < 2000
"#;
    let (_, check, diags) = parse(body);
    assert!(diags.is_empty(), "{diags:#?}");
    let Some(check) = check else {
        panic!("no check");
    };
    assert_eq!(check.method, "POST");
    assert_eq!(
        check.headers,
        [
            ("Authorization".to_string(), "Bearer ${TOKEN}".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ]
    );
    assert_eq!(
        check.body.as_deref(),
        Some("{\"optional\": \"request body\",\n \"until\": \"the HTTP line\"}")
    );
    assert_eq!(check.status, Some(201));
    let cmp = AssertOp::Cmp;
    assert_eq!(
        asserts(&check),
        [
            json_assert(".status", cmp(Comparison::Eq), Some(json!("ok"))),
            json_assert(".", AssertOp::Exists, None),
            json_assert(".[0].id", cmp(Comparison::Ne), Some(json!(null))),
            json_assert(".items[0].name", AssertOp::Contains, Some(json!("prod"))),
            json_assert(".count", cmp(Comparison::Ge), Some(json!(2.5))),
            json_assert(".gone", AssertOp::NotExists, None),
            json_assert(
                ".updated_at",
                cmp(Comparison::Gt),
                Some(json!("2024-01-01"))
            ),
            format!("{:?}", HttpAssert::BodyContains { text: "ok".into() }),
            format!(
                "{:?}",
                HttpAssert::Header {
                    name: "Content-Type".into(),
                    op: AssertOp::Contains,
                    value: "json".into()
                }
            ),
            format!(
                "{:?}",
                HttpAssert::Header {
                    name: "X-Env".into(),
                    op: cmp(Comparison::Eq),
                    value: "prod".into()
                }
            ),
            format!(
                "{:?}",
                HttpAssert::Header {
                    name: "X-Old".into(),
                    op: cmp(Comparison::Ne),
                    value: "yes".into()
                }
            ),
            format!(
                "{:?}",
                HttpAssert::DurationMs {
                    op: Comparison::Lt,
                    millis: 2000
                }
            ),
        ]
    );
}

#[test]
fn jsonpath_is_normalized_to_the_jq_form() {
    let (_, check, diags) =
        parse("GET https://x.test\nHTTP 200\njsonpath \"$.status\" == \"ok\"\n");
    assert!(diags.is_empty(), "{diags:#?}");
    let check = check.map(|c| asserts(&c)).unwrap_or_default();
    assert_eq!(
        check,
        [json_assert(
            ".status",
            AssertOp::Cmp(Comparison::Eq),
            Some(json!("ok"))
        )]
    );
}

#[test]
fn status_forms() {
    for (line, status) in [
        ("HTTP 200", Some(200)),
        ("HTTP *", None),
        ("HTTP/2 204", Some(204)),
        ("HTTP/1.1 404 Not Found", Some(404)),
        ("HTTP 599 # ok", Some(599)),
    ] {
        let (_, check, diags) = parse(&format!("GET https://x.test\n{line}\n"));
        assert!(diags.is_empty(), "{line}: {diags:#?}");
        assert_eq!(check.and_then(|c| c.status), status, "{line}");
    }
    let (_, check, diags) = parse("DELETE $API_URL/cache\n");
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(check.and_then(|c| c.status), None);
}

#[test]
fn urls_may_start_with_a_variable() {
    for url in [
        "${API_URL}/health",
        "$API_URL/health",
        "{{API_URL}}/health",
        "HTTPS://x.test",
        "http://localhost:8080/",
    ] {
        let (_, check, diags) = parse(&format!("HEAD {url}\n"));
        assert!(diags.is_empty(), "{url}: {diags:#?}");
        assert_eq!(check.map(|c| c.url).as_deref(), Some(url));
    }
}

#[test]
fn json_body_may_follow_the_headers_directly() {
    let (_, check, diags) =
        parse("PUT https://x.test\nContent-Type: application/json\n{\"a\": 1}\n");
    assert!(diags.is_empty(), "{diags:#?}");
    let check = check.map(|c| (c.headers.len(), c.body));
    assert_eq!(check, Some((1, Some("{\"a\": 1}".to_string()))));
}

#[test]
fn empty_block_has_no_request_line() {
    for body in ["", "\n  \n# only a comment\n"] {
        let (runbook, check, diags) = parse(body);
        assert_eq!(text(&runbook, &diags[0]), body.trim_end());
        assert!(check.is_none());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "this http block has no request line");
        assert!(
            diags[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("GET https://api.example.com/healthz"))
        );
    }
}

#[test]
fn lowercase_method_suggests_uppercase() {
    let (d, at) = one_error("get https://x.test/health\n");
    assert_eq!(at, "get");
    assert_eq!(d.message, "HTTP methods are written in uppercase: `get`");
    assert_eq!(d.help.as_deref(), Some("write GET https://x.test/health"));
}

#[test]
fn request_line_errors() {
    let cases = [
        (
            "GTE https://x.test",
            "GTE",
            "`GTE` is not an HTTP method",
            "did you mean GET?",
        ),
        (
            "FETCH https://x.test",
            "FETCH",
            "`FETCH` is not an HTTP method",
            "runsheet accepts GET, HEAD, POST",
        ),
        (
            "https://x.test/health",
            "https://x.test/health",
            "the request line has no method",
            "start it with a method: GET https://x.test/health",
        ),
        (
            "GET",
            "GET",
            "the request line has no URL",
            "GET https://api.example.com/healthz",
        ),
        (
            "GET api.example.com/health",
            "api.example.com/health",
            "`api.example.com/health` is not an http:// or https:// URL",
            "GET ${API_URL}/healthz",
        ),
        (
            "GET ${1}/x",
            "${1}/x",
            "`${1}/x` is not an http:// or https:// URL",
            "https://",
        ),
        (
            "GET https://x.test/a b c",
            "b c",
            "unexpected text after the URL",
            "%20",
        ),
    ];
    for (line, at, message, help) in cases {
        let (d, got) = one_error(&format!("# check\n{line}\n"));
        assert_eq!(got, at, "{line}");
        assert_eq!(d.message, message, "{line}");
        assert!(
            d.help.as_deref().is_some_and(|h| h.contains(help)),
            "{line}: {:?}",
            d.help
        );
        let (_, check, _) = parse(line);
        assert!(check.is_none(), "{line}");
    }
}

#[test]
fn header_errors() {
    let (d, at) = one_error("GET https://x.test\nAuthorization Bearer x\n");
    assert_eq!(at, "Authorization Bearer x");
    assert_eq!(
        d.message,
        "`Authorization Bearer x` is not a header: it has no `:`"
    );
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("Authorization: Bearer ${TOKEN}"))
    );

    let (d, at) = one_error("GET https://x.test\nContent Type: json\n");
    assert_eq!(at, "Content Type");
    assert_eq!(d.message, "`Content Type` is not a header name");
}

#[test]
fn status_line_errors() {
    let cases = [
        (
            "HTTP 2000",
            "2000",
            "`2000` is not an HTTP status: expected 100 to 599",
        ),
        (
            "HTTP 99",
            "99",
            "`99` is not an HTTP status: expected 100 to 599",
        ),
        (
            "HTTP ok",
            "ok",
            "`ok` is not an HTTP status: expected 100 to 599",
        ),
        ("HTTP", "HTTP", "the HTTP line has no status"),
        ("http 200", "http", "write HTTP in uppercase: `http`"),
        ("HTTP/x 200", "HTTP/x", "`HTTP/x` is not an HTTP version"),
        (
            "HTTP 200 (ok)",
            "(ok)",
            "unexpected text after the HTTP status",
        ),
    ];
    for (line, at, message) in cases {
        let (d, got) = one_error(&format!("GET https://x.test\n\n{line}\n"));
        assert_eq!((got.as_str(), d.message.as_str()), (at, message), "{line}");
        assert!(d.help.is_some(), "{line}");
    }
}

#[test]
fn assert_errors() {
    let cases = [
        (
            ".status == ok",
            "ok",
            "`ok` is not a JSON value",
            "quote strings: .status == \"ok\"",
        ),
        (
            "jsonpath \"$.status\" != 'ok'",
            "'ok'",
            "`'ok'` is not a JSON value",
            "quote strings: jsonpath \"$.status\" != \"ok\"",
        ),
        (
            ".status ==",
            ".status ==",
            "`.status ==` needs a value to compare with",
            ".status == \"ok\"",
        ),
        (
            ".status = \"ok\"",
            "=",
            "`=` is not a comparison runsheet knows",
            "compare with ==",
        ),
        (
            ".status startsWith \"ok\"",
            "startsWith",
            "`startsWith` is not a comparison runsheet knows",
            "contains, exists or not exists",
        ),
        (".status", ".status", "`.status` needs a comparison", "=="),
        (
            ".items[*].id exists",
            ".items[*].id",
            "`.items[*].id` is not a JSON path runsheet can follow",
            "no wildcards",
        ),
        (
            "jsonpath \"$..id\" exists",
            "\"$..id\"",
            "`$..id` is not a JSON path runsheet can follow",
            ".items[0].id",
        ),
        (
            "jsonpath $.status == \"ok\"",
            "$.status",
            "jsonpath needs a quoted path, found `$.status`",
            "jsonpath \"$.status\" == \"ok\"",
        ),
        (
            ".ok < true",
            "< true",
            "`true` cannot be compared with <",
            "numbers or strings",
        ),
        (
            "body == \"ok\"",
            "==",
            "`body ==`: runsheet checks the body with contains only",
            "body contains \"ok\"",
        ),
        (
            "body contains ok",
            "ok",
            "`ok` is not a quoted string",
            "body contains \"ok\"",
        ),
        (
            "header Content-Type contains \"json\"",
            "Content-Type",
            "`Content-Type` is not a quoted string",
            "header \"Content-Type\" contains \"json\"",
        ),
        (
            "header \"X\" > \"1\"",
            ">",
            "`>`: a header is checked with ==, != or contains",
            "==, != or contains",
        ),
        (
            "header \"X\" exists",
            "exists",
            "`exists`: a header is checked with ==, != or contains",
            "contains",
        ),
        (
            "duration < 2s",
            "2s",
            "`2s` is not a number of milliseconds",
            "duration < 2000",
        ),
        (
            "duration under 2000",
            "under",
            "`duration under` needs a comparison: ==, !=, <, <=, > or >=",
            "milliseconds",
        ),
        (
            "status == 200",
            "status == 200",
            "the expected status goes on the HTTP line, not in the asserts",
            "HTTP 200",
        ),
        (
            "xpath \"//title\" exists",
            "xpath \"//title\" exists",
            "`xpath \"//title\" exists` is not an assert runsheet knows",
            "accepted asserts: .status == \"ok\"",
        ),
        (
            ".gone not there",
            "not there",
            "`not` is not a comparison runsheet knows",
            "not exists",
        ),
        (
            "header \"X\" ==",
            "",
            "a quoted string is missing here",
            "header \"Content-Type\" contains \"json\"",
        ),
        (
            ".a == 0abc",
            "0abc",
            "`0abc` is not a JSON value",
            "quote strings",
        ),
        (
            ".a == truex",
            "truex",
            "`truex` is not a JSON value",
            "quote strings",
        ),
        (
            ".a == \"x\"y",
            "y",
            "unexpected text after the assert: `y`",
            "accepted asserts",
        ),
        (
            ".a == 1 2",
            "2",
            "unexpected text after the assert: `2`",
            "accepted asserts",
        ),
    ];
    for (line, at, message, help) in cases {
        let body = format!("GET https://x.test\nHTTP 200\n[Asserts]\n  {line}  \n");
        let (d, got) = one_error(&body);
        assert_eq!((got.as_str(), d.message.as_str()), (at, message), "{line}");
        assert!(
            d.help.as_deref().is_some_and(|h| h.contains(help)),
            "{line}: {:?}",
            d.help
        );
    }
}

#[test]
fn other_hurl_sections_are_ignored_with_a_warning() {
    let body = "GET https://x.test\n[QueryStringParams]\nlimit: 10\n\nHTTP 200\n\
                [Captures]\ntoken: jsonpath \"$.token\"\n[Asserts]\n.ok == true\n";
    let (runbook, check, diags) = parse(body);
    let got: Vec<_> = diags
        .iter()
        .map(|d| (d.code, d.severity, d.message.as_str(), text(&runbook, d)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "unsupported-http",
                Severity::Warning,
                "[QueryStringParams] is not supported by runsheet, ignored",
                "[QueryStringParams]".to_string()
            ),
            (
                "unsupported-http",
                Severity::Warning,
                "[Captures] is not supported by runsheet, ignored",
                "[Captures]".to_string()
            ),
        ]
    );
    assert!(
        diags[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("?limit=10"))
    );
    let Some(check) = check else {
        panic!("no check");
    };
    assert!(check.headers.is_empty());
    assert_eq!(check.body, None);
    assert_eq!(check.asserts.len(), 1);
}

#[test]
fn asserts_before_the_status_line_are_an_error() {
    let (d, at) = one_error("GET https://x.test\n[Asserts]\n.ok == true\n");
    assert_eq!(at, "[Asserts]");
    assert_eq!(d.message, "[Asserts] comes after the HTTP status line");
    assert!(d.help.as_deref().is_some_and(|h| h.contains("HTTP 200")));
}

#[test]
fn one_request_per_block() {
    for body in [
        "GET https://a.test\nHTTP 200\nGET https://b.test\nHTTP 200\n",
        "GET https://a.test\n\nGET https://b.test\n",
        "GET https://a.test\nHTTP 200\nHTTP 200\n",
    ] {
        let (d, at) = one_error(body);
        assert_eq!(
            d.message,
            "a second request: runsheet runs one request per http block"
        );
        assert!(at == "GET https://b.test" || at == "HTTP 200", "{at}");
    }
}

#[test]
fn every_error_in_a_block_is_reported() {
    let (_, check, diags) = parse("GET https://x.test\nBad header\nHTTP 200\n.a == b\n.c == d\n");
    assert!(check.is_some());
    assert_eq!(diags.len(), 3, "{diags:#?}");
}

#[test]
fn no_panic_on_any_prefix() {
    let body = "# é\nGET ${API_URL}/santé?q=\"x\"\nX-Cle: é\n\n{\"é\": [1, 2]}\n\
                HTTP/1.1 200 OK\n[Asserts]\njsonpath \"$.a[0].é\" == \"ü\"\n\
                .b[12] not exists\nheader \"H\" contains \"\\\"\"\nduration <= 9\n\
                body contains \"é\" # c\n[Captures]\nx: y\n";
    for (i, _) in body.char_indices() {
        let _ = parse_http(&body[..i], 3);
    }
    let (_, check, diags) = parse(body);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    assert_eq!(check.map(|c| c.asserts.len()), Some(5));
}
