//! End to end in a real terminal: runsheet's full-screen UI inside tmux,
//! driven with send-keys, read with capture-pane, and checked against the
//! journal it writes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::tmux;

/// runsheet in a terminal, in a scratch folder of its own.
struct Tmux {
    term: tmux::Tmux,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for Tmux {
    type Target = tmux::Tmux;
    fn deref(&self) -> &tmux::Tmux {
        &self.term
    }
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        Tmux {
            term: tmux::Tmux::new(&format!("e2e-{name}")),
            dir,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts `runsheet ARGS` in a 120x40 terminal.
    fn start(&self, args: &str) {
        self.term.start(&format!(
            "cd {} && RUNSHEET_DATA_DIR={} TMPDIR={} WORK={} {} {args}",
            self.dir.path().display(),
            self.data().display(),
            self.dir.path().display(),
            self.dir.path().display(),
            env!("CARGO_BIN_EXE_runsheet"),
        ));
    }

    fn journal(&self) -> PathBuf {
        let dir = self.data().join("journals");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if let Some(j) = found
                .into_iter()
                .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
            {
                return j;
            }
            assert!(Instant::now() < deadline, "no journal in {}", dir.display());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the journal holds a record for which `pred` is true.
    fn wait_record(&self, what: &str, pred: impl Fn(&serde_json::Value) -> bool) {
        let j = self.journal();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if records(&j).iter().any(&pred) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the journal never recorded {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn records(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn is(r: &serde_json::Value, ty: &str, step: &str) -> bool {
    r["type"] == ty && r["step"] == step
}

#[test]
fn the_demo_on_production_hang_up_resume_gate_and_skip() {
    let t = Tmux::new("demo");
    t.start("demo --target production");
    t.wait_screen("PRODUCTION");
    t.wait_screen("Pre-flight checklist");
    t.keys(&["Space", "Space", "Space"]);
    t.wait_record("the checklist done", |r| {
        is(r, "checklist-ticked", "pre-flight-checklist") && r["item"] == 2
    });
    // A settled step stays in view: Enter selects the next, Enter runs it.
    t.keys(&["Enter", "Enter"]);
    t.wait_record("the scratch setup", |r| {
        is(r, "action-finished", "create-the-scratch-environment")
    });
    // The scratch step stays in view: Enter selects the announcement.
    t.wait_screen("Enter next step");
    t.keys(&["Enter"]);
    t.wait_screen("Announce the maintenance window");
    t.keys(&["d"]);
    t.wait_record("the manual step confirmed", |r| {
        is(r, "confirmed-done", "announce-the-maintenance-window")
    });
    // The backup runs for a few seconds: hang up in the middle of it.
    t.keys(&["Enter", "Enter"]);
    t.wait_record("backup output", |r| {
        is(r, "output", "back-up-the-current-release")
    });
    t.wait_screen("Backing up");
    t.hang_up();
    let j = t.journal();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !records(&j).iter().any(|r| r["type"] == "interrupted") {
        assert!(
            Instant::now() < deadline,
            "the hang-up was not recorded; journal ends with:\n{:?}",
            records(&j).iter().rev().take(3).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A dropped connection does not kill the step: it ran to its end,
    // journaled, and nothing new started.
    let recs = records(&j);
    assert!(
        recs.iter()
            .any(|r| is(r, "action-finished", "back-up-the-current-release")
                && r["outcome"]["exit_code"] == 0)
    );
    assert!(
        !recs
            .iter()
            .any(|r| is(r, "run-requested", "remove-the-old-release"))
    );

    // The interrupted session releases its lock as it exits.
    let lock_gone = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(t.data().join("journals"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "lock"))
        })
        .unwrap_or(false)
    {
        assert!(
            Instant::now() < lock_gone,
            "the interrupted session kept its lock"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Resume in a new terminal: it goes on with the next step.
    t.start(&format!("resume {}", j.display()));
    t.wait_screen("Remove the old release");
    // The destructive step stops at the gate: a wrong name, then the right one.
    t.keys(&["Enter"]);
    t.wait_screen("DESTRUCTIVE STEP");
    // Where it lands and why, in the real terminal too.
    t.wait_screen("Where it lands: production (protected)");
    let gate = t.screen();
    assert!(
        gate.contains("no database declared: the commands run here"),
        "{gate}"
    );
    assert!(gate.contains("rm -rf deletes files recursively"), "{gate}");
    t.type_text("prod");
    t.keys(&["Enter"]);
    t.wait_screen("is not production");
    t.keys(&["C-u"]);
    t.type_text("production");
    t.keys(&["Enter"]);
    t.wait_record("the destructive step run", |r| {
        is(r, "action-finished", "remove-the-old-release")
    });
    let typed: Vec<String> = records(&j)
        .iter()
        .filter(|r| r["type"] == "gate-answered")
        .filter_map(|r| r["typed"].as_str().map(str::to_string))
        .collect();
    assert_eq!(typed, vec!["prod", "production"]);
    // Skip a step with a reason typed in the UI.
    t.wait_screen("Install the new release");
    t.keys(&["Enter", "s"]);
    t.type_text("installed by hand");
    t.keys(&["Enter"]);
    t.wait_record("the skip", |r| {
        is(r, "skipped", "install-the-new-release") && r["reason"] == "installed by hand"
    });
    t.keys(&["q"]);
    t.wait_screen("continue with: runsheet resume");
    let v = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(["verify", &j.to_string_lossy()])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

/// An unmarked block holding `read -p` is found by rule: it gets the
/// terminal as a marked one does, and goes on with what was typed.
#[test]
fn a_read_found_by_rule_gets_the_terminal() {
    let t = Tmux::new("inferred");
    let rb = t.dir.path().join("ask.md");
    std::fs::write(
        &rb,
        "# Ask\n\n## P\n\n### Ask a name {#ask}\n\n```bash\nread -p 'Name: ' N; echo got-$N > \"$WORK/got\"\n```\n\n### After {#after}\n\n- [ ] looked\n",
    )
    .unwrap();
    t.start(&format!("run {} --target staging", rb.display()));
    t.wait_screen("Ask a name");
    t.keys(&["Enter"]);
    t.wait_screen("Name:");
    t.type_text("ada");
    t.keys(&["Enter"]);
    t.wait_record("the inferred interactive step", |r| {
        is(r, "action-finished", "ask") && r["outcome"]["exit_code"] == 0
    });
    t.wait_screen("Enter next step");
    let got = std::fs::read_to_string(t.dir.path().join("got")).unwrap_or_default();
    assert_eq!(got, "got-ada\n");
    t.keys(&["q"]);
}

#[test]
fn an_interactive_step_gets_the_terminal_and_gives_it_back() {
    let t = Tmux::new("interactive");
    let rb = t.dir.path().join("ask.md");
    std::fs::write(
        &rb,
        "# Ask\n\n## P\n\n### Ask a name {#ask}\n\n```bash {interactive}\nread -r -p 'your name? ' name\necho \"hello $name\" > \"$WORK/greeting\"\n```\n\n### After {#after}\n\n- [ ] looked\n",
    )
    .unwrap();
    t.start(&format!("run {} --target staging", rb.display()));
    t.wait_screen("Ask a name");
    t.keys(&["Enter"]);
    t.wait_screen("your name?");
    t.type_text("bob");
    t.keys(&["Enter"]);
    t.wait_record("the interactive step", |r| {
        is(r, "action-finished", "ask") && r["outcome"]["exit_code"] == 0
    });
    // The UI is back, the step just run still in view; Enter moves on.
    t.wait_screen("Enter next step");
    t.keys(&["Enter"]);
    t.wait_screen("looked");
    let greeting = std::fs::read_to_string(t.dir.path().join("greeting")).unwrap_or_default();
    assert_eq!(greeting, "hello bob\n");
    t.keys(&["q"]);
}

#[test]
fn an_offer_of_alternatives_is_chosen_with_its_letter() {
    let t = Tmux::new("offer");
    let rb = t.dir.path().join("restore.md");
    std::fs::write(
        &rb,
        "# Restore\n\n## P\n\n### Stop the app {#stop}\n\n```bash\ntouch \"$WORK/ran-stop\"\n```\n\n\
         ### Option A: from the snapshot {#snap}\n\n```bash\ntouch \"$WORK/ran-a\"\n```\n\n\
         ### Option B: from the WAL {#wal}\n\n```bash\ntouch \"$WORK/ran-b\"\n```\n\n\
         ### Start the app {#start}\n\n```bash\ntouch \"$WORK/ran-start\"\n```\n",
    )
    .unwrap();
    t.start(&format!("run {} --target staging", rb.display()));
    t.wait_screen("Stop the app");
    t.keys(&["Enter"]);
    t.wait_screen("2 options, only the one chosen runs");
    t.keys(&["b"]);
    t.wait_record("the choice", |r| {
        r["type"] == "alternative-chosen" && r["choice"] == "wal"
    });
    // The chosen option is selected: Enter runs it, then the flow goes on.
    t.keys(&["Enter"]);
    t.wait_record("option B", |r| is(r, "action-finished", "wal"));
    t.wait_screen("Enter next step");
    t.keys(&["Enter", "Enter"]);
    t.wait_record("the last step", |r| is(r, "action-finished", "start"));
    assert!(t.dir.path().join("ran-b").exists());
    assert!(!t.dir.path().join("ran-a").exists());
    t.keys(&["q"]);
}

#[test]
fn the_end_of_a_session_shows_its_final_hash_and_how_to_check_it() {
    let t = Tmux::new("hash");
    let rb = t.dir.path().join("hash.md");
    std::fs::write(
        &rb,
        "# Hash\n\n## P\n\n### Hello {#hello}\n\n```bash\necho hello\n```\n",
    )
    .unwrap();
    t.start(&format!("run {} --target staging", rb.display()));
    t.wait_screen("Hello");
    t.keys(&["Enter"]);
    t.wait_record("the step", |r| is(r, "action-finished", "hello"));
    t.wait_screen("done in");
    t.keys(&["q"]);
    t.wait_record("the end", |r| r["type"] == "session-ended");
    t.wait_screen("check it later: runsheet verify");
    let text = std::fs::read_to_string(t.journal()).unwrap_or_default();
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            text.lines().last().unwrap_or_default().as_bytes(),
        ))
    };
    let screen = t.screen();
    assert!(screen.contains(&format!("final hash: {hash}")), "{screen}");
}
