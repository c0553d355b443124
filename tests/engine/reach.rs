//! A rehearsal never reaches a real system (issue 17 item 5), end to end:
//! a session flagged as the sandbox's (`RUNSHEET_SANDBOX`, with the
//! runbook's rehearsal values applied) refuses, before it starts, an
//! action that would reach a real host however the host reaches it, and
//! runs what stays on loopback. The hosts below are never contacted: a
//! refused block would only have written a marker file, which the tests
//! look for.

use crate::support::http_server::{Reply, Server};
use crate::support::workdir::{Workdir, text};

const REAL: &str = "api.acme-corp.io";

/// A block that would call `$API_URL`: it only writes a marker.
const CALL: &str =
    "### Call {#call}\n\n```bash\necho \"calling ${API_URL}/health\" > \"$WORK/ran\"\n```\n";

/// A runbook whose one variable `API_URL` is set to `url`, and whose steps are `body`.
fn with_api_url(w: &mut Workdir, url: &str, body: &str) -> std::path::PathBuf {
    w.set("API_URL", url);
    w.write("r.md", &runbook("{}", "variables:\n  API_URL: {}\n", body))
}

/// A workdir whose sessions are sandbox sessions.
fn sandboxed() -> Workdir {
    let mut w = Workdir::new();
    w.set("RUNSHEET_SANDBOX", "1")
        .set("RUNSHEET_SANDBOX_APPLIED", "1");
    w
}

/// A runbook of one target (`target` is its YAML body) whose steps are `body`.
fn runbook(target: &str, variables: &str, body: &str) -> String {
    format!(
        "---\ntargets:\n  staging: {target}\n{variables}---\n# Reach\n\n## Phase {{#p}}\n\n{body}"
    )
}

fn refused(all: &str, host: &str, from: &str) {
    assert!(all.contains("refused in the sandbox"), "{all}");
    assert!(all.contains(&format!("`{host}` ({from}")), "{all}");
    assert!(all.contains("sandbox: env:"), "{all}");
}

#[test]
fn a_block_naming_a_real_host_through_a_variable_is_refused() {
    let mut w = sandboxed();
    let rb = with_api_url(&mut w, &format!("https://{REAL}/v1"), CALL);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    refused(&all, REAL, "the value of `$API_URL`");
    assert!(!w.path().join("ran").exists(), "{all}");
}

/// The host is nowhere in the runbook: an earlier block read it and
/// exported it, and the later block would use it.
#[test]
fn a_host_exported_by_an_earlier_block_is_refused_where_it_is_used() {
    let w = sandboxed();
    w.write("endpoint", &format!("https://{REAL}"));
    let rb = w.write(
        "r.md",
        &runbook(
            "{}",
            "",
            "### Find {#find}\n\n```bash\nexport API_BASE=\"$(cat \"$WORK/endpoint\")\"\n```\n\n\
             ### Call {#call}\n\n```bash\necho \"calling $API_BASE/health\" > \"$WORK/ran\"\n```\n",
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    refused(
        &all,
        REAL,
        "the value of `$API_BASE`, exported by an earlier block",
    );
    assert!(!w.path().join("ran").exists(), "{all}");
    // The first block ran: it is the second that was refused.
    let finished = w.of_type("action-finished");
    assert_eq!(finished.len(), 2, "{finished:?}");
    assert_eq!(finished[0]["step"], "find");
    assert_eq!(finished[0]["outcome"]["exit_code"], 0, "{finished:?}");
}

/// The second side of a compare is a real server: refused before either
/// side is reached, and the preflight does not reach it either.
#[test]
fn a_compare_with_a_real_second_database_is_refused() {
    let mut w = sandboxed();
    let closed = crate::support::http_server::closed_port();
    w.set(
        "STAGING_DB_URL",
        &format!("postgresql://app@127.0.0.1:{closed}/app"),
    )
    .set(
        "PROD_DB_URL",
        "postgresql://app:pw@db.acme-corp.io:5432/app?sslmode=require",
    );
    let rb = w.write(
        "r.md",
        "---\ntargets:\n  staging: { database: $STAGING_DB_URL }\n  production: { database: $PROD_DB_URL }\n---\n# Reach\n\n## Phase {#p}\n\n\
         ### Compare {#cmp}\n\n```compare {left=staging right=production}\nusers\n```\n",
    );
    let started = std::time::Instant::now();
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    refused(
        &all,
        "db.acme-corp.io",
        "the database of target `production`",
    );
    assert!(
        all.contains("could not check `staging` against `production` (target `production`: its database is on `db.acme-corp.io`, a real system"),
        "{all}"
    );
    assert!(!all.contains("pw@"), "{all}");
    // The warnings are the post-mortem's too, masked as on screen.
    let warned = w.strings("warned", "text");
    assert!(
        warned
            .iter()
            .any(|t| t.starts_with("could not check `staging` against `production`")),
        "{warned:?}"
    );
    assert!(
        !w.journal_text().contains("pw@"),
        "the journal holds the password"
    );
    let journal = w.journals()[0].to_string_lossy().to_string();
    let report = text(&w.run(&["report", &journal, "--format", "markdown"], ""));
    assert!(
        report.contains("## Warnings") && report.contains("could not check"),
        "{report}"
    );
    // Nothing waited on a real server's answer.
    assert!(started.elapsed().as_secs() < 5, "{all}");
}

#[test]
fn an_http_step_to_a_real_url_is_refused_and_one_to_loopback_runs() {
    let server = Server::start();
    server.route("/health", vec![Reply::json(200, r#"{"status":"ok"}"#)]);
    for (url, runs) in [(format!("https://{REAL}"), false), (server.url(), true)] {
        let mut w = sandboxed();
        let health = "### Health {#health}\n\n```http\nGET ${API_URL}/health\n\nHTTP 200\n```\n";
        let rb = with_api_url(&mut w, &url, health);
        let out = w.auto(&rb, "staging");
        let all = text(&out);
        assert_eq!(out.status.success(), runs, "{url}: {all}");
        if !runs {
            refused(&all, REAL, "the value of `$API_URL`");
        }
    }
    assert_eq!(server.hits("/health"), 1);
}

/// An s3 step reaches its endpoint: a real one, or AWS itself when none is
/// set, is refused.
#[test]
fn an_s3_step_to_a_real_endpoint_or_to_aws_is_refused() {
    let step = "### Upload {#upload}\n\n```s3\nupload ./f s3://backups/f\n```\n";
    let mut w = sandboxed();
    w.write("f", "data");
    w.set("AWS_ENDPOINT_URL", "https://s3.fr-par.scw.cloud");
    let rb = w.write("r.md", &runbook("{}", "", step));
    let all = text(&w.auto(&rb, "staging"));
    refused(
        &all,
        "s3.fr-par.scw.cloud",
        "the S3 endpoint `AWS_ENDPOINT_URL`",
    );

    let mut w = sandboxed();
    w.write("f", "data");
    // Empty is unset, whatever the environment the tests run in holds.
    w.set("AWS_ENDPOINT_URL", "").set("AWS_ENDPOINT_URL_S3", "");
    let rb = w.write("r.md", &runbook("{}", "", step));
    let all = text(&w.auto(&rb, "staging"));
    refused(&all, "AWS S3", "no `AWS_ENDPOINT_URL` is set");
}

/// The target maps its variable to a loopback value, as `sandbox: env:`
/// does: the block runs.
#[test]
fn a_loopback_value_runs() {
    let mut w = sandboxed();
    w.set("PROD_API_URL", "http://127.0.0.1:3000");
    let rb = w.write(
        "r.md",
        &runbook("{ env: { API_URL: $PROD_API_URL } }", "", CALL),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(!all.contains("real system"), "{all}");
    assert_eq!(
        std::fs::read_to_string(w.path().join("ran"))
            .unwrap()
            .trim(),
        "calling http://127.0.0.1:3000/health"
    );
}

/// Outside the sandbox nothing is refused: the same block runs.
#[test]
fn outside_the_sandbox_a_real_host_is_not_refused() {
    let mut w = Workdir::new();
    let rb = with_api_url(&mut w, &format!("https://{REAL}/v1"), CALL);
    let out = w.auto(&rb, "staging");
    assert!(out.status.success(), "{}", text(&out));
    assert!(w.path().join("ran").exists());
}

/// A variable holding a real host that no step uses yet: the session
/// warns once at its start, and runs.
#[test]
fn a_real_host_no_step_uses_is_warned_of_once_at_the_start() {
    let mut w = sandboxed();
    w.set("KEYCLOAK_URL", "https://auth.acme-corp.io");
    let rb = w.write(
        "r.md",
        &runbook(
            "{}",
            "variables:\n  KEYCLOAK_URL: {}\n",
            "### One {#one}\n\n```bash\necho one\n```\n\n### Two {#two}\n\n```bash\necho two\n```\n",
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let warning = "`auth.acme-corp.io` (`KEYCLOAK_URL` a variable of the runbook), a real system";
    assert_eq!(all.matches(warning).count(), 1, "{all}");
    assert!(all.contains("sandbox: env:"), "{all}");
}
