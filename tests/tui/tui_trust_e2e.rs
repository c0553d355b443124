//! Issue 15 end to end, in a real terminal (tmux) and in the plain console
//! (piped, with real signals): a finished step stays in view, Ctrl-C on a
//! protected target asks first, the in-doubt question lets you look, and
//! each action says so on screen.

use crate::support::operator::{Ask, Operator, say};
use crate::support::tmux;
use crate::support::workdir::Workdir;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RUNBOOK: &str = r#"---
targets:
  production: { protected: true }
---
# Trust

## Phase

### Say hello {#hello}

```bash
echo hello-from-the-step
```

### Wait on production {#wait}

```bash
sleep 30
```

### Last by hand {#last}

Do it by hand.
"#;

struct Term {
    term: tmux::Tmux,
    dir: Workdir,
}

impl Term {
    fn new(name: &str) -> Term {
        Term {
            term: tmux::Tmux::new(&format!("trust-{name}")),
            dir: Workdir::new(),
        }
    }

    fn start(&self, args: &str) {
        self.term.start(&format!(
            "cd {} && RUNSHEET_DATA_DIR={} {} {args}",
            self.dir.path().display(),
            self.dir.data().display(),
            env!("CARGO_BIN_EXE_runsheet"),
        ));
    }

    fn journal(&self) -> PathBuf {
        let dir = self.dir.data().join("journals");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = std::fs::read_dir(&dir).ok().and_then(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
            });
            if let Some(j) = found {
                return j;
            }
            assert!(Instant::now() < deadline, "no journal");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_record(&self, what: &str, pred: impl Fn(&serde_json::Value) -> bool) {
        let j = self.journal();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !records(&j).iter().any(&pred) {
            assert!(
                Instant::now() < deadline,
                "the journal never recorded {what}; screen:\n{}",
                self.term.screen()
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

fn count(journal: &Path, ty: &str) -> usize {
    records(journal).iter().filter(|r| r["type"] == ty).count()
}

#[test]
fn in_a_terminal_a_done_step_stays_ctrl_c_asks_and_each_action_says_so() {
    let t = Term::new("window");
    let rb = t.dir.write("trust.md", RUNBOOK);
    t.start(&format!("run {} --target production", rb.display()));
    t.term.wait_screen("Say hello");
    t.term.keys(&["Enter"]);
    t.wait_record("the hello step's end", |r| r["type"] == "action-finished");
    // Item 1: the step that just ran is still the one shown, output and all.
    std::thread::sleep(Duration::from_millis(400));
    let shown = t.term.screen();
    assert!(shown.contains("hello-from-the-step"), "{shown}");
    assert!(shown.contains("Enter next step"), "{shown}");
    t.term.keys(&["Enter"]);
    t.term.wait_screen("sleep 30");
    t.term.keys(&["Enter"]);
    t.wait_record("the wait step's start", |r| {
        r["type"] == "action-started" && r["step"] == "wait"
    });

    // Item 5: Ctrl-C asks, naming the step, the target and the command.
    t.term.keys(&["C-c"]);
    t.term.wait_screen("Stop the command?");
    let asked = t.term.screen();
    assert!(asked.contains("running on PRODUCTION"), "{asked}");
    assert!(
        asked.contains("Yes kills") && asked.contains("`sleep 30`"),
        "{asked}"
    );
    t.term.keys(&["n"]);
    t.term.wait_screen("goes on running");
    std::thread::sleep(Duration::from_millis(300));
    let j = t.journal();
    assert_eq!(count(&j, "cancel-requested"), 0, "no was a kill");
    // A second Ctrl-C at the question is a yes.
    t.term.keys(&["C-c"]);
    t.term.wait_screen("Stop the command?");
    t.term.keys(&["C-c"]);
    t.wait_record("the cancel", |r| r["type"] == "cancel-requested");
    t.wait_record("the wait step's end", |r| {
        r["type"] == "action-finished" && r["step"] == "wait"
    });

    // Item 8: a note says so.
    t.term.keys(&["n"]);
    t.term.type_text("DBA paged");
    t.term.keys(&["Enter"]);
    t.term.wait_screen("Note added to the journal");
    t.term.keys(&["q"]);
    t.term.wait_screen("continue with: runsheet resume");
}

/// After a failure undone by its rollback, the footer says so and `e`
/// ends the session as rolled back: journaled, not resumable.
#[test]
fn in_a_terminal_e_ends_a_session_its_rollback_undid() {
    const RB: &str = "# Undo\n\n## Deploy {#deploy}\n\n### Go live {#go}\n\n```bash\nexit 3\n```\n\n## Rollback\n\n### Put it back {#back undoes=deploy}\n\n```bash\necho put-back\n```\n";
    let t = Term::new("rolledback");
    let rb = t.dir.write("undo.md", RB);
    t.start(&format!(
        "run {} --target staging; echo exit=$?",
        rb.display()
    ));
    t.term.wait_screen("Go live");
    t.term.keys(&["Enter"]);
    t.wait_record("the failure", |r| r["type"] == "action-finished");
    t.term.keys(&["b"]);
    t.term.wait_screen("Put it back");
    t.term.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    t.term.keys(&["Enter"]);
    t.wait_record("the rollback's end", |r| {
        r["type"] == "action-finished" && r["step"] == "back"
    });
    t.term
        .wait_screen("rolled back: “Go live” undone by “Put it back”");
    t.term.keys(&["e"]);
    t.term.wait_screen("exit=4");
    let j = t.journal();
    let last = records(&j).pop().unwrap_or_default();
    assert_eq!(last["type"], "session-ended", "{last}");
    assert_eq!(last["outcome"], "rolled-back", "{last}");
}

/// A step in doubt after runsheet itself was killed mid-step: the
/// question stays up while the output is scrolled and the focus moved.
#[test]
fn in_a_terminal_the_in_doubt_question_lets_you_scroll_its_output_first() {
    const CRASH: &str = "# Crash\n\n## P\n\n### Print and die {#die}\n\n```bash\nfor i in $(seq 1 300); do echo \"row $i\"; done\nsleep 1\nkill -9 $PPID\nsleep 5\n```\n\n### After {#after}\n\n```bash\ntrue\n```\n";
    let t = Term::new("doubt");
    let rb = t.dir.write("crash.md", CRASH);
    t.start(&format!("run {} --target staging", rb.display()));
    t.term.wait_screen("Print and die");
    t.term.keys(&["Enter"]);
    t.wait_record("the step's start", |r| r["type"] == "action-started");
    // It prints, then kills runsheet (its parent) a second later.
    std::thread::sleep(Duration::from_millis(2_500));
    // A second terminal for the resume: the first one's shell sleeps on.
    let again = Term {
        term: tmux::Tmux::new("trust-doubt-resume"),
        dir: Workdir::new(),
    };
    again.term.start(&format!(
        "cd {} && RUNSHEET_DATA_DIR={} {} resume",
        t.dir.path().display(),
        t.dir.data().display(),
        env!("CARGO_BIN_EXE_runsheet"),
    ));
    again.term.wait_screen("check, then decide");
    again.term.wait_screen("row 300");
    again.term.keys(&["PageUp", "PageUp"]);
    again.term.wait_screen("SCROLL");
    let scrolled = again.term.screen();
    assert!(
        !scrolled.contains("row 300"),
        "PgUp did not scroll:\n{scrolled}"
    );
    assert!(scrolled.contains("check, then decide"), "{scrolled}");
    again.term.keys(&["Tab", "Tab", "End"]);
    again.term.wait_screen("row 300");
    assert!(again.term.screen().contains("check, then decide"));
    again.term.keys(&["d"]);
    t.wait_record("the decision", |r| r["type"] == "in-doubt-resolved");
    again.term.keys(&["q"]);
    again.term.wait_screen("continue with: runsheet resume");
}

/// The plain console, the same rule: a SIGINT during a protected step
/// asks on the terminal; Enter alone lets it run, a second SIGINT kills.
#[test]
fn the_console_asks_before_a_sigint_kills_a_protected_command() {
    let w = Workdir::new();
    let rb = w.write("trust.md", RUNBOOK);
    let rb = rb.display().to_string();
    let mut op = Operator::start(w.cmd(&["run", &rb, "--target", "production", "--plain"]));
    op.patience = Duration::from_secs(30);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(op.pid()).unwrap());
    let int = || nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let m = op.next().unwrap();
    assert_eq!((m.step.as_str(), &m.ask), ("Say hello", &Ask::Run));
    op.say("");
    let m = op.next().unwrap();
    assert_eq!((m.step.as_str(), &m.ask), ("Wait on production", &Ask::Run));
    op.say("");
    std::thread::sleep(Duration::from_millis(800));
    int();
    let m = op.next().unwrap();
    assert_eq!(m.ask, Ask::Stop);
    assert!(
        m.since_header
            .contains("“Wait on production” is running on PRODUCTION"),
        "{}",
        m.since_header
    );
    assert!(
        m.since_header.contains("kills `sleep 30`"),
        "{}",
        m.since_header
    );
    op.say("");
    // Asked again, then the second SIGINT is the yes.
    std::thread::sleep(Duration::from_millis(300));
    int();
    assert_eq!(op.next().unwrap().ask, Ask::Stop);
    int();
    let m = op.next().unwrap();
    assert_eq!(m.ask, Ask::Failed, "{}", op.transcript);
    assert!(
        op.transcript.contains("goes on running"),
        "{}",
        op.transcript
    );
    assert!(
        op.transcript.contains("stopping the command"),
        "{}",
        op.transcript
    );
    op.say("n");
    assert_eq!(op.next().unwrap().ask, Ask::Note);
    op.say("DBA paged");
    assert_eq!(op.next().unwrap().ask, Ask::Failed);
    assert!(
        op.transcript
            .contains("note added to the journal on “Wait on production”"),
        "{}",
        op.transcript
    );
    op.say("q");
    let _ = op.drive(|_| say(["q"]));
    let cancels = w.of_type("cancel-requested");
    assert_eq!(cancels.len(), 1, "{}", op.transcript);
}
