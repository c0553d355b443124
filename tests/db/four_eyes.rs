//! Four-eyes on a real store, with two roles for two people on two
//! machines: a gate with `approvals: 1` waits after its name is typed,
//! refuses the operator's own approval (in runsheet and in the store
//! itself), and opens on another role's; a denial closes it.

use crate::support::pg::{Cluster, unique_db};
use crate::support::workdir::{Workdir, text};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const RUNBOOK: &str = "---\ntargets:\n  production: { protected: true, approvals: 1 }\n---\n# Restore\n\n## P\n\n### Wipe the scratch copy {#wipe}\n\n```bash\nrm -rf \"$WORK/scratch\"\necho wiped\n```\n\n### After {#after}\n\n```bash\necho after\n```\n";

struct Team {
    cluster: Cluster,
    db: String,
    alice: Workdir,
    bob: Workdir,
}

/// A store made by its owner, then alice and bob, each their own role on
/// their own machine.
fn team() -> Team {
    let cluster = Cluster::start("four-eyes");
    let db = unique_db("team");
    cluster.create_db(&db);
    let owner = {
        let mut w = Workdir::new();
        w.set("RUNSHEET_STORE", &cluster.url(&db));
        w
    };
    let init = owner.run(&["store", "init"], "");
    assert!(init.status.success(), "{}", text(&init));
    cluster.psql(
        "postgres",
        "CREATE ROLE alice LOGIN PASSWORD 'alice-pw'; CREATE ROLE bob LOGIN PASSWORD 'bob-pw';",
    );
    let person = |who: &str| {
        let mut w = Workdir::new();
        w.set(
            "RUNSHEET_STORE",
            &format!(
                "postgresql://{who}:{who}-pw@127.0.0.1:{}/{db}",
                cluster.port()
            ),
        );
        w
    };
    let (alice, bob) = (person("alice"), person("bob"));
    Team {
        cluster,
        db,
        alice,
        bob,
    }
}

/// Alice's session in the plain console, answering `stdin` as it asks;
/// stdin stays open, so the console waits rather than quits.
fn session(w: &Workdir, stdin: &str) -> Child {
    let rb = w.write("restore.md", RUNBOOK);
    std::fs::create_dir_all(w.path().join("scratch")).unwrap();
    let mut child = w
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "production",
            "--plain",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runsheet");
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child
}

/// Alice's session, the name typed at its gate, once the gate has asked
/// the store.
fn at_gate(t: &Team) -> Child {
    let alice = session(&t.alice, "\nproduction\n");
    wait_until(
        "alice's gate to ask the store",
        Duration::from_secs(30),
        || open_requests(t).ends_with("|alice"),
    );
    alice
}

fn open_requests(t: &Team) -> String {
    t.cluster.psql(
        &t.db,
        "SELECT id, requested_by FROM runsheet.approval_requests WHERE closed_at IS NULL",
    )
}

fn wait_until(what: &str, limit: Duration, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn finish(mut child: Child, stdin: &str) -> std::process::Output {
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("the session did not end: {}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_gate_with_approvals_waits_refuses_the_operators_own_and_opens_on_anothers() {
    let t = team();
    let alice = at_gate(&t);
    // Nothing ran behind the typed name alone.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        t.alice.path().join("scratch").exists(),
        "wiped before approval"
    );

    // Alice cannot approve her own request: runsheet says so...
    let own = t.alice.run(&["approve", "--reason", "me", "--yes"], "");
    let said = text(&own);
    assert!(!own.status.success(), "{said}");
    assert!(said.contains("the role that asked"), "{said}");
    // ...and so does the store, whatever the client: a raw insert as alice.
    let request: i64 = open_requests(&t)
        .split('|')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let raw = t.alice.run(&["store", "status"], "");
    assert!(raw.status.success(), "{}", text(&raw));
    let refused = psql_as(
        &t,
        "alice",
        &format!(
            "INSERT INTO runsheet.approvals (request_id, approve, reason, approver) VALUES ({request}, true, 'me', 'bob')"
        ),
    );
    assert!(
        refused.contains("cannot give it"),
        "the store took alice's own approval: {refused}"
    );

    // Bob reads what alice's gate shows, and approves.
    let out = t
        .bob
        .run(&["approve", "--reason", "backup checked"], "approve\n");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("rm -rf") && said.contains("asked by alice") && said.contains("PRODUCTION"),
        "bob was not shown the gate: {said}"
    );

    // The line for the next question, once the gate's question is over.
    wait_until(
        "the wipe to run after the approval",
        Duration::from_secs(10),
        || !t.alice.of_type("action-finished").is_empty(),
    );
    let out = finish(alice, "\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("approved by bob: backup checked"), "{all}");
    assert!(all.contains("wiped") && all.contains("after"), "{all}");
    assert!(!t.alice.path().join("scratch").exists());
    assert_eq!(t.alice.strings("approved", "approver"), vec!["bob"]);
    assert_eq!(
        t.alice.strings("approval-requested", "requested_by"),
        vec!["alice"]
    );
    assert_eq!(open_requests(&t), "", "the request was left open");
    let journal = t.alice.journals()[0].to_string_lossy().to_string();
    let report = text(
        &t.alice
            .run(&["report", &journal, "--format", "markdown"], ""),
    );
    assert!(
        report.contains("approved by bob") && report.contains("backup checked"),
        "{report}"
    );
}

#[test]
fn a_denial_closes_the_gate_and_nothing_runs() {
    let t = team();
    let alice = at_gate(&t);
    let out = t.bob.run(
        &[
            "approve",
            "--deny",
            "--reason",
            "not in the window",
            "--yes",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    wait_until(
        "the denial in alice's journal",
        Duration::from_secs(10),
        || !t.alice.of_type("denied").is_empty(),
    );
    let out = finish(alice, "q\n");
    let all = text(&out);
    assert!(all.contains("denied by bob: not in the window"), "{all}");
    assert!(t.alice.path().join("scratch").exists(), "it ran");
    assert_eq!(t.alice.strings("denied", "approver"), vec!["bob"]);
    assert!(t.alice.of_type("action-started").is_empty());
    // Answered and gone: nothing waits for bob any more.
    let late = t.bob.run(&["approve", "--reason", "late", "--yes"], "");
    assert!(!late.status.success());
    assert!(text(&late).contains("no gate waits"), "{}", text(&late));
}

/// `sql` through psql as `role` (its password given), over TCP; what psql
/// printed, errors included.
fn psql_as(t: &Team, role: &str, sql: &str) -> String {
    let out = std::process::Command::new(t.cluster.bin("psql"))
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-p", &t.cluster.port().to_string(), "-U", role, "-d", &t.db])
        .args(["-c", sql])
        .env("PGPASSWORD", format!("{role}-pw"))
        .env("PGSSLMODE", "prefer")
        .output()
        .expect("psql");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The same in the full-screen UI, in a real terminal: the gate stays up
/// after the name, says whom it waits for, and opens when bob approves
/// from his machine.
#[test]
fn in_the_full_screen_ui_the_approval_arrives_live() {
    use crate::support::tmux::Tmux;
    let t = team();
    let dir = t.alice.path();
    let rb = t.alice.write("restore.md", RUNBOOK);
    std::fs::create_dir_all(dir.join("scratch")).unwrap();
    let store = format!(
        "postgresql://alice:alice-pw@127.0.0.1:{}/{}",
        t.cluster.port(),
        t.db
    );
    let term = Tmux::new("four-eyes");
    term.start(&format!(
        "cd {d} && RUNSHEET_DATA_DIR={data} RUNSHEET_CONFIG={d}/none.yaml RUNSHEET_STORE='{store}' WORK={d} TMPDIR={d} {bin} run {rb} --target production",
        d = dir.display(),
        data = t.alice.data().display(),
        bin = env!("CARGO_BIN_EXE_runsheet"),
        rb = rb.display(),
    ));
    term.wait_screen("Wipe the scratch copy");
    term.keys(&["Enter"]);
    term.wait_screen("DESTRUCTIVE STEP");
    term.type_text("production");
    term.keys(&["Enter"]);
    term.wait_screen("waiting for 1 more");
    assert!(dir.join("scratch").exists());
    let out = t.bob.run(&["approve", "--reason", "seen it", "--yes"], "");
    assert!(out.status.success(), "{}", text(&out));
    term.wait_screen("approved by bob: seen it");
    wait_until("the wipe to run", Duration::from_secs(20), || {
        !dir.join("scratch").exists()
    });
    assert_eq!(t.alice.strings("approved", "approver"), vec!["bob"]);
}
