//! `http` steps through the headless runner, against a local server the
//! tests program (tests/support/http_server.rs).

use crate::support::http_server;
use crate::support::workdir;

use std::time::{Duration, Instant};

use http_server::{Reply, Server, TEST_CA_PEM, closed_port};
use workdir::{Workdir, text};

const TOKEN: &str = "tok-7f3a9c-very-secret";
const HEALTHY: &str = r#"{"status":"ok","migrations":{"pending_count":0},"db":"connected"}"#;

/// A runbook whose staging target points `API_URL` at `url`, with one
/// http step holding `block` (the fence's attributes, then its body).
fn runbook(url: &str, attrs: &str, body: &str) -> String {
    format!(
        "---\ntargets:\n  staging:\n    env:\n      API_URL: \"{url}\"\nvariables:\n  API_TOKEN:\n    secret: true\n---\n# Health\n\n## Checks {{#p}}\n\n### Health {{#health}}\n\n```http {{{attrs}}}\n{body}\n```\n"
    )
}

fn workdir() -> Workdir {
    let mut w = Workdir::new();
    // A proxy from the environment must not swallow requests to 127.0.0.1.
    w.set("API_TOKEN", TOKEN)
        .set("NO_PROXY", "*")
        .set("no_proxy", "*");
    w
}

const GET_HEALTH: &str = "GET ${API_URL}/health\nAuthorization: Bearer ${API_TOKEN}";

/// Runs the runbook; its output, whether it passed, and how long it took.
fn run(w: &Workdir, rb: &str) -> (String, bool, Duration) {
    let path = w.write("r.md", rb);
    let started = Instant::now();
    let out = w.auto(&path, "staging");
    (text(&out), out.status.success(), started.elapsed())
}

fn result(w: &Workdir) -> serde_json::Value {
    let results = w.of_type("action-result");
    assert_eq!(results.len(), 1, "{results:?}");
    results[0]["result"].clone()
}

#[test]
fn a_healthy_endpoint_passes_every_check_and_is_journaled() {
    let server = Server::start();
    server.route("/health", vec![Reply::json(200, HEALTHY)]);
    let w = workdir();
    let body = format!(
        "{GET_HEALTH}\n\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"ok\"\n.migrations.pending_count == 0\nbody contains \"connected\"\nheader \"Content-Type\" contains \"json\"\nduration < 5000"
    );
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", &body));
    assert!(ok, "{all}");
    assert!(
        all.contains(&format!("GET {}/health", server.url())),
        "{all}"
    );
    assert!(all.contains("Authorization: ***"), "{all}");
    assert!(all.contains("200 in "), "{all}");
    assert!(all.contains("all 6 checks pass"), "{all}");
    assert!(
        all.contains("\"pending_count\": 0"),
        "pretty JSON body: {all}"
    );
    let r = result(&w);
    assert_eq!(r["kind"], "http");
    assert_eq!(r["method"], "GET");
    assert_eq!(r["url"], format!("{}/health", server.url()));
    assert_eq!(r["status"], 200);
    assert_eq!(r["attempts"], 1);
    assert_eq!(r["passed"], true);
    assert_eq!(r["checks"].as_array().map(Vec::len), Some(6), "{r}");
    assert_eq!(r["checks"][2]["check"], ".migrations.pending_count == 0");
    assert_eq!(r["checks"][2]["actual"], 0);
    assert!(r["duration_ms"].is_u64(), "{r}");
    assert!(r["body"].as_str().is_some_and(|b| b.contains("connected")));
}

#[test]
fn a_wrong_status_fails_the_step_with_the_status() {
    let server = Server::start();
    server.route("/health", vec![Reply::text(500, "boom")]);
    let w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200");
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", &body));
    assert!(!ok, "{all}");
    assert!(all.contains("status 500, expected 200"), "{all}");
    assert!(all.contains("boom"), "the body is shown: {all}");
    assert_eq!(result(&w)["passed"], false);
}

#[test]
fn without_a_status_line_any_status_below_400_passes() {
    let server = Server::start();
    server.route("/up", vec![Reply::status(204)]);
    let w = workdir();
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", "GET ${API_URL}/up"));
    assert!(ok, "{all}");
    assert!(all.contains("204 in "), "{all}");
    assert!(all.contains("(empty body)"), "{all}");
}

#[test]
fn pending_migrations_fail_with_the_actual_count() {
    let server = Server::start();
    server.route(
        "/health",
        vec![Reply::json(
            200,
            r#"{"status":"ok","migrations":{"pending_count":2}}"#,
        )],
    );
    let w = workdir();
    let body = format!(
        "{GET_HEALTH}\n\nHTTP 200\n[Asserts]\n.status == \"ok\"\n.migrations.pending_count == 0"
    );
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", &body));
    assert!(!ok, "{all}");
    assert!(
        all.contains(".migrations.pending_count == 0: got 2 (status 200)"),
        "{all}"
    );
    let r = result(&w);
    assert_eq!(r["passed"], false);
    assert_eq!(r["checks"][1]["passed"], true);
    assert_eq!(r["checks"][2]["passed"], false);
    assert_eq!(r["checks"][2]["actual"], 2);
}

#[test]
fn body_and_header_checks_say_what_they_saw() {
    let server = Server::start();
    server.route(
        "/health",
        vec![
            Reply::status(200)
                .header("Content-Type", "text/html")
                .body("<p>degraded</p>"),
        ],
    );
    let w = workdir();
    let body = format!(
        "{GET_HEALTH}\n\nHTTP 200\n[Asserts]\nbody contains \"connected\"\nheader \"Content-Type\" contains \"json\"\nbody contains \"degraded\""
    );
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", &body));
    assert!(!ok, "{all}");
    assert!(
        all.contains(
            "body contains \"connected\": not found; header \"Content-Type\" contains \"json\": got \"text/html\" (status 200)"
        ),
        "{all}"
    );
}

#[test]
fn retries_until_healthy_showing_each_attempt() {
    let server = Server::start();
    server.route(
        "/health",
        vec![
            Reply::text(503, "starting"),
            Reply::text(503, "starting"),
            Reply::json(200, HEALTHY),
        ],
    );
    let w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200\n[Asserts]\n.status == \"ok\"");
    let (all, ok, took) = run(&w, &runbook(&server.url(), "retry=10s interval=1s", &body));
    assert!(ok, "{all}");
    assert!(all.contains("retrying for up to 10s, every 1s"), "{all}");
    for line in [
        "attempt 1 · 503 in ",
        "attempt 2 · 503 in ",
        "status 503, expected 200",
        "attempt 3 · 200 in ",
        "all 2 checks pass",
    ] {
        assert!(all.contains(line), "{line}: {all}");
    }
    assert!(!all.contains("attempt 4"), "{all}");
    // A wrong status is the whole story; the asserts on the error page are
    // not listed on top of it.
    assert!(!all.contains("not JSON"), "{all}");
    assert_eq!(server.hits("/health"), 3);
    assert_eq!(result(&w)["attempts"], 3);
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn a_retry_that_never_succeeds_fails_at_its_deadline() {
    let server = Server::start();
    server.route("/health", vec![Reply::text(503, "down")]);
    let w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200");
    let (all, ok, took) = run(&w, &runbook(&server.url(), "retry=2s interval=1s", &body));
    assert!(!ok, "{all}");
    assert!(
        all.contains("still failing after 2s (3 attempts): status 503, expected 200"),
        "{all}"
    );
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert_eq!(result(&w)["attempts"], 3);
}

#[test]
fn a_slow_endpoint_times_out_the_request() {
    let server = Server::start();
    server.route(
        "/health",
        vec![Reply::json(200, HEALTHY).delay(Duration::from_secs(8))],
    );
    let w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200");
    // Within a retry window, a request gets no longer than what is left.
    let (all, ok, took) = run(&w, &runbook(&server.url(), "retry=1s interval=1s", &body));
    assert!(!ok, "{all}");
    assert!(all.contains("attempt 1 · no response within 1s"), "{all}");
    assert!(all.contains("still failing after 1s (1 attempt)"), "{all}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let r = result(&w);
    assert_eq!(r["status"], serde_json::Value::Null);
    assert_eq!(r["error"], "no response within 1s");
}

#[test]
fn connection_refused_is_named() {
    let port = closed_port();
    let w = workdir();
    let url = format!("http://127.0.0.1:{port}");
    let (all, ok, took) = run(&w, &runbook(&url, "", "GET ${API_URL}/health"));
    assert!(!ok, "{all}");
    assert!(
        all.contains(&format!("connection refused by 127.0.0.1:{port}")),
        "{all}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn the_token_is_sent_but_never_shown_or_journaled() {
    let server = Server::start();
    // A careless endpoint echoes the token back.
    server.route(
        "/health",
        vec![
            Reply::json(
                200,
                &format!(r#"{{"status":"ok","echo":"Bearer {TOKEN}"}}"#),
            )
            .header("X-Debug", TOKEN),
        ],
    );
    let w = workdir();
    let body = "GET ${API_URL}/health?verbose=1&token=${API_TOKEN}\nAuthorization: Bearer ${API_TOKEN}\nX-Api-Key: static-key-123\n\nHTTP 200\n[Asserts]\n.echo contains \"${API_TOKEN}\"\nheader \"X-Debug\" == \"nope\"";
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", body));
    assert!(!ok, "the header assert fails: {all}");
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(seen[0].target, format!("/health?verbose=1&token={TOKEN}"));
    assert!(all.contains("?verbose=1&token=***"), "{all}");
    assert!(all.contains("X-Api-Key: ***"), "{all}");
    assert!(
        all.contains("header \"X-Debug\" == \"nope\": got \"***\""),
        "{all}"
    );
    assert!(!all.contains(TOKEN), "token in output: {all}");
    // A key written in the runbook is shown with the block's source, but
    // the request as sent masks it by its header's name.
    assert!(!all.contains("X-Api-Key: static-key-123\nHTTP"), "{all}");
    let journal = w.journal_text();
    assert!(!journal.contains(TOKEN), "token in journal: {journal}");
    let r = result(&w);
    assert_eq!(r["checks"][1]["passed"], true, "{r}");
}

#[test]
fn the_step_timeout_stops_a_retry_loop_promptly() {
    let server = Server::start();
    server.route("/health", vec![Reply::text(503, "down")]);
    let w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200");
    let (all, ok, took) = run(
        &w,
        &runbook(&server.url(), "timeout=1s retry=1m interval=1s", &body),
    );
    assert!(!ok, "{all}");
    assert!(
        all.contains("the step's timeout=1s stops it sooner"),
        "{all}"
    );
    assert!(all.contains("timed out (timeout=1s) after"), "{all}");
    assert!(all.contains("the last: status 503, expected 200"), "{all}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(server.hits("/health") <= 3, "{}", server.hits("/health"));
}

#[test]
fn a_private_ca_is_refused_until_trusted() {
    let server = Server::start_tls();
    server.route("/health", vec![Reply::json(200, HEALTHY)]);
    let mut w = workdir();
    let body = format!("{GET_HEALTH}\n\nHTTP 200\n[Asserts]\n.status == \"ok\"");
    let rb = runbook(&server.url(), "", &body);
    let (all, ok, _) = run(&w, &rb);
    assert!(!ok, "{all}");
    assert!(all.contains("TLS with 127.0.0.1:"), "{all}");
    assert!(all.contains("not signed by a trusted CA"), "{all}");
    assert!(all.contains("RUNSHEET_CA_CERT"), "{all}");
    let ca = w.write("ca.pem", TEST_CA_PEM);
    w.set("RUNSHEET_CA_CERT", &ca.to_string_lossy());
    let (all, ok, _) = run(&w, &rb);
    assert!(ok, "{all}");
    assert!(all.contains("all 2 checks pass"), "{all}");
}

#[test]
fn a_huge_body_is_read_only_so_far() {
    let server = Server::start();
    let mut huge = vec![b'x'; 5 * 1024 * 1024];
    huge.extend_from_slice(b"needle");
    server.route("/dump", vec![Reply::status(200).body(huge)]);
    let w = workdir();
    let body = "GET ${API_URL}/dump\n\nHTTP 200\n[Asserts]\nbody contains \"needle\"\n.size exists";
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", body));
    assert!(!ok, "{all}");
    assert!(
        all.contains("body contains \"needle\": not found in the first 4 MiB"),
        "{all}"
    );
    assert!(all.contains("not checked as JSON"), "{all}");
    assert!(all.contains("runsheet read no more"), "{all}");
    assert_eq!(result(&w)["truncated"], true);
}

#[test]
fn an_unset_variable_is_named_before_anything_is_sent() {
    let server = Server::start();
    server.route("/health", vec![Reply::json(200, HEALTHY)]);
    let w = workdir();
    let body = "GET ${API_URL}/health\nX-Tenant: ${TENANT_ID_NOT_SET}";
    let (all, ok, _) = run(&w, &runbook(&server.url(), "", body));
    assert!(!ok, "{all}");
    assert!(
        all.contains("the X-Tenant header uses $TENANT_ID_NOT_SET, which is not set"),
        "{all}"
    );
    assert_eq!(server.hits("/health"), 0);
}
