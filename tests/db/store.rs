//! The team's session store on a real PostgreSQL cluster: its schema made
//! and re-made, and a session's records shipped byte for byte, through an
//! outage of the store in the middle of the session.

use crate::support::pg::{Cluster, unique_db};
use crate::support::workdir::{Workdir, text};
use std::time::{Duration, Instant};

const RUNBOOK: &str = "---\ntargets:\n  staging: {}\n---\n# Team\n\n## P\n\n### 1 first\n\n```bash\necho one\n```\n\n### 2 wait\n\n```bash\nwhile [ ! -e \"$WORK/go1\" ]; do sleep 0.1; done\necho two\n```\n\n### 3 wait again\n\n```bash\nwhile [ ! -e \"$WORK/go2\" ]; do sleep 0.1; done\necho three\n```\n";

/// A person's machine (its own data and working folders) on the store.
fn member(url: &str) -> Workdir {
    let mut w = Workdir::new();
    w.set("RUNSHEET_STORE", url);
    w
}

fn store() -> (Cluster, String) {
    let c = Cluster::start("store");
    let db = unique_db("team");
    c.create_db(&db);
    let url = c.url(&db);
    (c, url)
}

/// What the store holds of the one session, as a journal file would.
fn stored(c: &Cluster, url: &str) -> String {
    let db = url.rsplit('/').next().unwrap_or_default();
    let db = db.split('?').next().unwrap_or(db);
    let lines = c.psql(db, "SELECT line FROM runsheet.records ORDER BY seq");
    if lines.is_empty() {
        return lines;
    }
    format!("{lines}\n")
}

fn journal(w: &Workdir) -> String {
    w.journals()
        .first()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .unwrap_or_default()
}

fn wait_until(what: &str, limit: Duration, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn store_init_makes_the_schema_once_and_status_says_what_it_holds() {
    let (_c, url) = store();
    let w = member(&url);
    let before = text(&w.run(&["store", "status"], ""));
    assert!(
        before.contains("none yet: run `runsheet store init`"),
        "{before}"
    );
    let out = w.run(&["store", "init"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "schema at version 3 (applied 1 (sessions and their records), 2 (the team's session locks), 3 (four-eyes approvals, and the team's rights))"
        ),
        "{}",
        text(&out)
    );
    let again = text(&w.run(&["store", "init"], ""));
    assert!(
        again.contains("already at version 3, nothing to do"),
        "{again}"
    );
    assert!(
        !again.contains(&url),
        "the connection string is shown: {again}"
    );
    let status = text(&w.run(&["store", "status"], ""));
    assert!(
        status.contains("schema    version 3")
            && status.contains("sessions  0 (0 not ended), 0 records"),
        "{status}"
    );
    // Without a store, each command says how to name one.
    let none = Workdir::new();
    let out = none.run(&["store", "status"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("RUNSHEET_STORE") && text(&out).contains("store:"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_record_reaches_the_store_byte_for_byte_through_an_outage() {
    let (c, url) = store();
    let w = member(&url);
    assert!(w.run(&["store", "init"], "").status.success());
    let rb = w.write("team.md", RUNBOOK);
    let child = w.background(&rb, "staging");
    // Step 2 waits; what came before is in the store.
    wait_until(
        "step 2 to start and reach the store",
        Duration::from_secs(20),
        || {
            let local = journal(&w);
            local.contains("\"step\":\"2-wait\"") && stored(&c, &url) == local
        },
    );
    c.halt();
    std::fs::write(w.path().join("go1"), "").unwrap();
    wait_until(
        "step 3 to start with the store down",
        Duration::from_secs(20),
        || journal(&w).contains("\"step\":\"3-wait-again\""),
    );
    c.restart();
    wait_until("the store to catch up", Duration::from_secs(20), || {
        stored(&c, &url) == journal(&w)
    });
    std::fs::write(w.path().join("go2"), "").unwrap();
    let out = child.wait_with_output().expect("runsheet ended");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let local = journal(&w);
    assert!(local.contains("\"type\":\"session-ended\""), "{local}");
    assert_eq!(
        stored(&c, &url),
        local,
        "the store's copy differs from the journal"
    );
    let status = text(&w.run(&["store", "status"], ""));
    let lines = local.lines().count();
    assert!(
        status.contains(&format!("sessions  1 (0 not ended), {lines} records")),
        "{status}"
    );
    // A second push sends nothing and doubles nothing.
    let journal_path = w.journals()[0].to_string_lossy().to_string();
    let out = w.run(&["store", "push", &journal_path], "");
    assert!(
        text(&out).contains(&format!("holds {lines} of {lines} records")),
        "{}",
        text(&out)
    );
    assert_eq!(stored(&c, &url), local);
}

#[test]
fn a_session_that_ends_while_the_store_is_down_says_so_and_push_sends_the_rest() {
    let (c, url) = store();
    let w = member(&url);
    assert!(w.run(&["store", "init"], "").status.success());
    std::fs::write(w.path().join("go1"), "").unwrap();
    std::fs::write(w.path().join("go2"), "").unwrap();
    c.halt();
    let rb = w.write("team.md", RUNBOOK);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the store's outage stopped the session: {all}"
    );
    assert!(
        all.contains("are not in the store yet") && all.contains("runsheet store push"),
        "{all}"
    );
    c.restart();
    let journal_path = w.journals()[0].to_string_lossy().to_string();
    let out = w.run(&["store", "push", &journal_path], "");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stored(&c, &url), journal(&w));
}

/// Two machines (two data folders, two working folders) share one store:
/// while one runs the runbook on a target, the other is refused, naming
/// who holds it; once the first ends, the second runs.
#[test]
fn one_live_session_per_runbook_and_target_for_the_whole_team() {
    let (_c, url) = store();
    let alice = member(&url);
    let bob = member(&url);
    assert!(alice.run(&["store", "init"], "").status.success());
    let rb_a = alice.write("team.md", RUNBOOK);
    let rb_b = bob.write("team.md", RUNBOOK);
    std::fs::write(bob.path().join("go1"), "").unwrap();
    std::fs::write(bob.path().join("go2"), "").unwrap();
    let child = alice.background(&rb_a, "staging");
    wait_until("alice's step 2", Duration::from_secs(20), || {
        journal(&alice).contains("\"step\":\"2-wait\"")
    });
    let out = bob.auto(&rb_b, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("another session of this runbook is running on target `staging` for the team")
            && all.contains(&format!("pid {}", child.id())),
        "{all}"
    );
    assert!(
        !journal(&bob).contains("\"type\":\"action-started\""),
        "bob ran a step: {all}"
    );
    std::fs::write(alice.path().join("go1"), "").unwrap();
    std::fs::write(alice.path().join("go2"), "").unwrap();
    let out = child.wait_with_output().expect("alice's session");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bob2 = member(&url);
    let rb_b2 = bob2.write("team.md", RUNBOOK);
    std::fs::write(bob2.path().join("go1"), "").unwrap();
    std::fs::write(bob2.path().join("go2"), "").unwrap();
    let out = bob2.auto(&rb_b2, "staging");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the lock outlived alice's session: {}",
        text(&out)
    );
}

/// Bob follows Alice's session from his own machine (his data folder, his
/// terminal): the replay screen shows what she has run, and what she runs
/// next as she runs it.
#[test]
fn follow_shows_a_live_session_from_another_machine() {
    let (c, url) = store();
    let alice = member(&url);
    assert!(alice.run(&["store", "init"], "").status.success());
    let rb = alice.write("team.md", RUNBOOK);
    let child = alice.background(&rb, "staging");
    wait_until(
        "alice's step 2 in the store",
        Duration::from_secs(20),
        || stored(&c, &url).contains("\"step\":\"2-wait\""),
    );
    let name = alice.journals()[0]
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bob = Workdir::new();
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let t = crate::support::tmux::Tmux::new("follow");
    t.start(&format!(
        "cd {} && RUNSHEET_STORE={} RUNSHEET_DATA_DIR={} RUNSHEET_CONFIG={} {} follow {}",
        quote(&bob.path().to_string_lossy()),
        quote(&url),
        quote(&bob.path().join("data").to_string_lossy()),
        quote(&bob.path().join("config.yaml").to_string_lossy()),
        quote(env!("CARGO_BIN_EXE_runsheet")),
        quote(&name)
    ));
    t.wait_screen("2 wait");
    assert!(t.screen().contains("one"), "{}", t.screen());
    assert!(!t.screen().contains("three"), "{}", t.screen());
    std::fs::write(alice.path().join("go1"), "").unwrap();
    std::fs::write(alice.path().join("go2"), "").unwrap();
    t.wait_screen("three");
    let out = child.wait_with_output().expect("alice's session");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Bob's copy is Alice's journal, line for line.
    let mirror = bob
        .path()
        .join("data")
        .join("followed")
        .join(format!("{name}.jsonl"));
    wait_until("bob's copy to be whole", Duration::from_secs(10), || {
        std::fs::read_to_string(&mirror).unwrap_or_default() == journal(&alice)
    });
    t.keys(&["q"]);
}

/// Bob's `runsheet history` counts Alice's drill from the store: his
/// machine has no journal of its own, and he sees hers, its steps timed.
#[test]
fn history_reads_the_teams_sessions_from_the_store() {
    let (_c, url) = store();
    let alice = member(&url);
    assert!(alice.run(&["store", "init"], "").status.success());
    std::fs::write(alice.path().join("go1"), "").unwrap();
    std::fs::write(alice.path().join("go2"), "").unwrap();
    let rb = alice.write("team.md", RUNBOOK);
    let out = alice.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut bob = Workdir::new();
    let alone = bob.write("team.md", RUNBOOK);
    let before = text(&bob.run(&["history", &alone.to_string_lossy()], ""));
    bob.set("RUNSHEET_STORE", &url);
    let after = text(&bob.run(&["history", &alone.to_string_lossy()], ""));
    assert_ne!(before, after, "{after}");
    assert!(after.contains("completed"), "{after}");
    assert!(after.contains("3 wait again"), "{after}");
    let team = bob.path().join("data").join("team");
    let copied: Vec<_> = std::fs::read_dir(&team)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    assert_eq!(copied.len(), 1, "{copied:?}");
    let copy = std::fs::read_to_string(&copied[0]).unwrap_or_default();
    assert!(!copy.contains("\"type\":\"output\""), "output was fetched");
}

/// Alice's session stops at a failure; she hands it over with a note, and
/// Bob, on his machine, takes it up from the store: the same chain goes on
/// in his journal and in the store, which says who handed over to whom.
#[test]
fn a_handover_continues_the_same_chain_on_another_machine() {
    let (c, url) = store();
    let rb_text = "---\ntargets:\n  staging: {}\n---\n# Team\n\n## P\n\n### 1 first\n\n```bash\necho one\n```\n\n### 2 needs the file\n\n```bash\ntest -e \"$WORK/go1\" && echo two\n```\n\n### 3 last\n\n```bash\necho three\n```\n";
    let alice = member(&url);
    assert!(alice.run(&["store", "init"], "").status.success());
    let rb = alice.write("team.md", rb_text);
    let out = alice.auto(&rb, "staging");
    assert_ne!(
        out.status.code(),
        Some(0),
        "step 2 should fail here: {}",
        text(&out)
    );
    let out = alice.run(
        &[
            "handover",
            "--note",
            "step 2 needs go1, which only Bob's machine has",
        ],
        "",
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let name = alice.journals()[0]
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        said.contains(&format!("runsheet resume --store {name}")),
        "{said}"
    );
    let handed = journal(&alice);
    assert!(handed.contains("\"type\":\"handed-over\""), "{handed}");
    assert_eq!(stored(&c, &url), handed);

    let bob = member(&url);
    std::fs::write(bob.path().join("go1"), "").unwrap();
    let out = bob.run(&["resume", "--store", &name, "--plain"], "r\n\n\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("three"), "{all}");
    let mine = journal(&bob);
    assert!(
        mine.starts_with(&handed),
        "bob's journal does not continue alice's"
    );
    assert!(
        mine.contains("\"type\":\"resumed\"") && mine.contains("\"type\":\"session-ended\""),
        "{mine}"
    );
    let bob_journal = bob.journals()[0].to_string_lossy().to_string();
    let verified = bob.run(&["verify", &bob_journal], "");
    assert!(verified.status.success(), "{}", text(&verified));
    assert_eq!(stored(&c, &url), mine, "the store's copy is not bob's");
    let report = text(&bob.run(&["report", &bob_journal, "--format", "markdown"], ""));
    assert!(
        report.contains("handed over by") && report.contains("only Bob's machine has"),
        "{report}"
    );
}
