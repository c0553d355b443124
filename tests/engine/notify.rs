//! `notify:` end to end: the real binary tells a real local HTTP server
//! (tests/support/http_server.rs) of the session's start, gate, failure
//! and end; what it sends is masked, the end carries the final hash, each
//! attempt is journaled, and a webhook that fails or is not there never
//! holds up nor fails the session.

use crate::support::http_server::{self, Reply, Server};
use crate::support::workdir;

use std::time::{Duration, Instant};
use workdir::{Workdir, text};

/// The webhook's path: a Slack webhook URL's secret part.
const PATH: &str = "/services/T000/B000/XsecretpathX";
/// A secret variable's value, written out in the runbook's title too.
const KEY: &str = "K-CANARY-77";

fn runbook(notify: &str) -> String {
    format!(
        r#"---
variables:
  KEY: {{secret: true}}
  HOOK: {{secret: true}}
notify:
{notify}
---
# Rotate {KEY}

## Phase

### Say hello {{#hello}}

```bash
echo hello
```

### Remove the old files {{#remove}}

```bash
rm -rf "$WORK/gone"
```

### Fail loudly {{#fail}}

```bash
echo "key is $KEY" >&2
exit 3
```
"#
    )
}

/// One step that succeeds.
fn fine(notify: &str) -> String {
    format!(
        "---\nvariables:\n  HOOK: {{secret: true}}\nnotify:\n{notify}\n---\n# Fine\n\n## P\n\n### Hello {{#hello}}\n\n```bash\necho hello\n```\n"
    )
}

fn texts(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.path() == PATH)
        .map(|r| {
            assert_eq!(r.method, "POST");
            let body: serde_json::Value = serde_json::from_slice(&r.body)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", r.body));
            body["text"]
                .as_str()
                .unwrap_or_else(|| panic!("no text: {body}"))
                .to_string()
        })
        .collect()
}

#[test]
fn notify_tells_start_gate_failure_and_end_masked_with_the_final_hash() {
    let server = Server::start();
    server.route(PATH, vec![Reply::status(200)]);
    let mut w = Workdir::new();
    w.set("KEY", KEY)
        .set("HOOK", &format!("{}{PATH}", server.url()));
    let rb = w.write("rb.md", &runbook("  - url: $HOOK"));
    let out = w.plain(&rb, "production", "\n\nproduction\n\nq\n");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");

    let sent = texts(&server);
    assert_eq!(sent.len(), 4, "start, gate, failure, end: {sent:#?}");
    assert!(sent[0].contains("started by"), "{}", sent[0]);
    assert!(
        sent[1].contains("gate of “Remove the old files”") && sent[1].contains("`production`"),
        "{}",
        sent[1]
    );
    assert!(
        sent[2].contains("“Fail loudly” failed: exit 3"),
        "{}",
        sent[2]
    );
    // The end says how it ended and the hash `runsheet verify` prints.
    let journal = w.journals().pop().unwrap();
    let verify = w.run(&["verify", &journal.to_string_lossy()], "");
    let printed = text(&verify);
    let hash = printed
        .lines()
        .find_map(|l| l.strip_prefix("final hash: "))
        .map(|h| h.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no final hash: {printed}"));
    assert_eq!(hash.len(), 64, "{printed}");
    assert!(
        sent[3].contains("stopped at `fail`") && sent[3].contains(&hash),
        "{}\nverify: {printed}",
        sent[3]
    );
    for t in &sent {
        assert!(!t.contains(KEY), "a secret was sent: {t}");
        assert!(t.contains("Rotate ***"), "{t}");
    }

    // Every attempt before the end is journaled, by event and host only.
    let events = w.strings("notified", "event");
    assert_eq!(events, ["start", "gate", "failure"]);
    for r in w.of_type("notified") {
        assert_eq!(r["to"], server.url().trim_end_matches('/'), "{r}");
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["attempt"], 1, "{r}");
    }
    let journal_text = w.journal_text();
    assert!(!journal_text.contains("XsecretpathX"), "{journal_text}");
    assert!(!journal_text.contains(KEY));
}

#[test]
fn notify_tries_again_with_back_off_and_journals_each_attempt() {
    let server = Server::start();
    server.route(
        PATH,
        vec![Reply::status(500), Reply::status(500), Reply::status(200)],
    );
    let mut w = Workdir::new();
    w.set("KEY", KEY)
        .set("HOOK", &format!("{}{PATH}", server.url()));
    let rb = w.write("ok.md", &fine("  - url: $HOOK\n    on: [start]"));
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Only the start is heard, tried three times: 500, 500, then 200.
    let statuses: Vec<u64> = w
        .of_type("notified")
        .iter()
        .map(|r| {
            assert_eq!(r["event"], "start", "{r}");
            r["status"].as_u64().unwrap_or(0)
        })
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    let attempts: Vec<u64> = w
        .of_type("notified")
        .iter()
        .map(|r| r["attempt"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(texts(&server).len(), 3);
    // The session went on as if nothing happened, and waited no more
    // than the back-off.
    assert_eq!(w.strings("action-finished", "step"), ["hello"]);
    assert_eq!(w.of_type("session-ended").len(), 1);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn notify_to_a_webhook_that_is_not_there_never_fails_the_session() {
    let port = http_server::closed_port();
    let mut w = Workdir::new();
    w.set("KEY", KEY)
        .set("HOOK", &format!("http://127.0.0.1:{port}{PATH}"));
    let rb = w.write("ok.md", &fine("  - url: $HOOK"));
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    // A few seconds at most at the end, never the whole back-off of each.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let tried = w.of_type("notified");
    assert!(!tried.is_empty());
    for r in &tried {
        assert_eq!(r["event"], "start", "{r}");
        assert!(r["status"].is_null(), "{r}");
        assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()), "{r}");
    }
    // What was still being tried at the end is journaled as given up.
    assert!(
        tried
            .last()
            .and_then(|r| r["error"].as_str())
            .is_some_and(|e| e.contains("given up")),
        "{tried:#?}"
    );
    // The end could not be delivered either: said, never the URL's path.
    assert!(said.contains("not delivered"), "{said}");
    assert!(!said.contains("XsecretpathX"), "{said}");
    assert!(!w.journal_text().contains("XsecretpathX"));
    assert_eq!(w.of_type("session-ended").len(), 1, "{}", w.journal_text());
}
