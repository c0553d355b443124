//! One scripted session through both front ends: the plain console (the
//! real binary, answers piped to its stdin) and the full-screen UI (the
//! real binary in tmux, driven with keys). Both go through the one driver,
//! so the two journals must hold the same messages: ticks, a gate typed
//! wrong then right, a failure, a note, a retry, a step in doubt after a
//! `kill -9`, resumed and skipped with a reason that quotes a secret.

use crate::support::tmux;
use crate::support::workdir;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use workdir::Workdir;

const SECRET: &str = "CANARY-t0ken-4821";
const NOTE: &str = "looked at it: a first run always fails here";
const REASON: &str = "killed mid-way; the copy under CANARY-t0ken-4821 is kept";

const RUNBOOK: &str = r#"---
targets:
  production: { protected: true }
variables:
  API_TOKEN: { secret: true }
---
# Parity

## Phase {#p}

### Check first {#check}

- [ ] the window is announced
- [ ] the backup is fresh

### Wipe the scratch {#wipe}

```bash
rm -rf "$WORK/scratch"
```

### Flaky {#flaky}

```bash
if [ -e "$WORK/tried" ]; then echo second try; else touch "$WORK/tried"; echo first try; exit 3; fi
```

### Long {#long}

```bash
test -n "$API_TOKEN"; echo started; sleep 30
```
"#;

fn workdir() -> Workdir {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    w.write("parity.md", RUNBOOK);
    w
}

fn journals(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data.join("journals"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .collect()
        })
        .unwrap_or_default()
}

fn the_journal(data: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(j) = journals(data).into_iter().next() {
            return j;
        }
        assert!(
            Instant::now() < deadline,
            "no journal in {}",
            data.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn records(journal: &Path) -> Vec<Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn is(r: &Value, ty: &str, step: &str) -> bool {
    r["type"] == ty && r["step"] == step
}

/// Waits until the journal holds a record for which `pred` is true.
fn wait_record(
    data: &Path,
    what: &str,
    screen: &dyn Fn() -> String,
    pred: impl Fn(&Value) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if records(&the_journal(data)).iter().any(&pred) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the journal never recorded {what}:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The pid of the `long` step's command, from its action-started record.
fn long_pid(data: &Path) -> Option<i32> {
    records(&the_journal(data))
        .iter()
        .find(|r| is(r, "action-started", "long"))
        .and_then(|r| r["pid"].as_i64())
        .map(|p| p as i32)
}

/// What runsheet's `kill -9` leaves: the step's command, now an orphan.
/// Returns once the process is gone (or a zombie): a signal is delivered
/// after `kill` returns, and a resume started before would find it alive.
fn kill(pid: i32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().chars().next())
            });
        if matches!(state, None | Some(Some('Z' | 'X'))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The messages of a journal, without what differs between two runs of
/// the same session: times, the chain's hashes, pids, durations, who and
/// where. Output is joined per step, action and stream (where a read
/// ends is the pipe's business).
fn messages(journal: &Path) -> Vec<Value> {
    const VARYING: &[&str] = &[
        "ts",
        "seq",
        "hash",
        "prev",
        "pid",
        "operator",
        "host",
        "duration_ms",
        "started_at",
        "ended_at",
        "at",
        "runbook_path",
        "tool_version",
    ];
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !VARYING.contains(&k.as_str()));
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for mut r in records(journal) {
        strip(&mut r);
        if r["type"] == "output"
            && let Some(last) = out.last_mut()
            && last["type"] == "output"
            && last["step"] == r["step"]
            && last["action"] == r["action"]
            && last["stream"] == r["stream"]
        {
            let joined = format!(
                "{}{}",
                last["data"].as_str().unwrap_or_default(),
                r["data"].as_str().unwrap_or_default()
            );
            last["data"] = Value::String(joined);
            continue;
        }
        out.push(r);
    }
    out
}

/// The console: answers piped in as a person would type them, one
/// question at a time (the console reads nothing ahead).
fn through_the_console() -> Vec<Value> {
    let w = workdir();
    let data = w.data();
    let mut child: Child = w
        .cmd(&["run", "parity.md", "--target", "production", "--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runsheet");
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    let answers = [
        "y",          // tick: the window is announced
        "y",          // tick: the backup is fresh
        "",           // run: wipe the scratch
        "prod",       // the gate, typed wrong
        "production", // then right
        "",           // run: flaky (fails)
        "n",          // a note at the failure
        NOTE,
        "r", // retry
        "",  // run: long, killed while it runs
    ];
    for a in answers {
        writeln!(stdin, "{a}").expect("stdin");
    }
    let nothing = || String::new();
    wait_record(&data, "the long step's output", &nothing, |r| {
        is(r, "output", "long") && r["data"].as_str().is_some_and(|d| d.contains("started"))
    });
    let _ = child.kill();
    let _ = child.wait();
    drop(stdin);
    if let Some(pid) = long_pid(&data) {
        kill(pid);
    }
    let mut resume = w
        .cmd(&["resume", "--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runsheet resume");
    let mut stdin = resume.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    for a in ["s", REASON] {
        writeln!(stdin, "{a}").expect("stdin");
    }
    drop(stdin);
    let out = resume.wait_with_output().expect("runsheet resume");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the resumed session should complete:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    messages(&the_journal(&data))
}

/// The full-screen UI in a real terminal, driven with keys.
fn through_the_tui() -> Vec<Value> {
    let w = workdir();
    let data = w.data();
    let term = tmux::Tmux::new("front-ends");
    let start = |args: &str| {
        term.start(&format!(
            "cd {} && RUNSHEET_DATA_DIR={} API_TOKEN={SECRET} TMPDIR={} WORK={} {} {args}",
            w.path().display(),
            data.display(),
            w.path().display(),
            w.path().display(),
            env!("CARGO_BIN_EXE_runsheet"),
        ))
    };
    let screen = || term.screen();
    start("run parity.md --target production");
    term.wait_screen("Check first");
    term.keys(&["Space"]);
    wait_record(&data, "the first tick", &screen, |r| {
        is(r, "checklist-ticked", "check") && r["item"] == 0
    });
    term.keys(&["Space"]);
    wait_record(&data, "the checklist done", &screen, |r| {
        is(r, "checklist-ticked", "check") && r["item"] == 1
    });
    // The ticked step stays in view: Enter selects the next, Enter runs it.
    term.keys(&["Enter", "Enter"]);
    term.wait_screen("PRODUCTION");
    term.type_text("prod");
    term.keys(&["Enter"]);
    wait_record(&data, "the gate typed wrong", &screen, |r| {
        is(r, "gate-answered", "wipe") && r["typed"] == "prod"
    });
    term.type_text("production");
    term.keys(&["Enter"]);
    wait_record(&data, "the wipe", &screen, |r| {
        is(r, "action-finished", "wipe")
    });
    term.keys(&["Enter", "Enter"]);
    wait_record(&data, "the failure", &screen, |r| {
        is(r, "action-finished", "flaky")
    });
    term.keys(&["n"]);
    term.type_text(NOTE);
    term.keys(&["Enter"]);
    wait_record(&data, "the note", &screen, |r| r["type"] == "note");
    term.keys(&["r"]);
    wait_record(&data, "the retry", &screen, |r| {
        is(r, "output", "flaky") && r["data"].as_str().is_some_and(|d| d.contains("second"))
    });
    let finished_twice = |data: &Path| {
        records(&the_journal(data))
            .iter()
            .filter(|r| is(r, "action-finished", "flaky"))
            .count()
            == 2
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !finished_twice(&data) {
        assert!(
            Instant::now() < deadline,
            "the retry never ended:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    term.keys(&["Enter", "Enter"]);
    wait_record(&data, "the long step's output", &screen, |r| {
        is(r, "output", "long") && r["data"].as_str().is_some_and(|d| d.contains("started"))
    });
    kill(runsheet_pid(&data));
    if let Some(pid) = long_pid(&data) {
        kill(pid);
    }
    term.hang_up();
    start("resume");
    wait_record(&data, "the resume", &screen, |r| r["type"] == "resumed");
    std::thread::sleep(Duration::from_millis(500));
    term.keys(&["s"]);
    term.type_text(REASON);
    term.keys(&["Enter"]);
    wait_record(&data, "the in-doubt step skipped", &screen, |r| {
        is(r, "in-doubt-resolved", "long")
    });
    term.keys(&["q"]);
    wait_record(&data, "the session's end", &screen, |r| {
        r["type"] == "session-ended"
    });
    messages(&the_journal(&data))
}

/// The session's process, from the lock it holds.
fn runsheet_pid(data: &Path) -> i32 {
    let lock = std::fs::read_dir(data.join("journals"))
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.extension().is_some_and(|e| e == "lock"))
        })
        .unwrap_or_else(|| panic!("no lock in {}", data.display()));
    let holder: Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
    holder["pid"]
        .as_i64()
        .unwrap_or_else(|| panic!("no pid in {}", lock.display())) as i32
}

#[test]
fn the_console_and_the_tui_journal_the_same_session() {
    let console = through_the_console();
    let tui = through_the_tui();
    let types: Vec<&str> = console.iter().filter_map(|r| r["type"].as_str()).collect();
    // The script did what it says, so the comparison compares something.
    for ty in [
        "checklist-ticked",
        "gate-answered",
        "note",
        "in-doubt-resolved",
        "resumed",
        "session-ended",
    ] {
        assert!(
            types.contains(&ty),
            "no {ty} in the console's journal: {types:?}"
        );
    }
    for (who, journal) in [("console", &console), ("tui", &tui)] {
        let all = serde_json::to_string(journal).unwrap_or_default();
        assert!(
            !all.contains(SECRET),
            "the {who}'s journal holds the secret: {all}"
        );
        assert!(
            all.contains("***"),
            "the {who}'s journal masks nothing: {all}"
        );
    }
    let show = |m: &[Value]| {
        m.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if std::env::var_os("FRONT_ENDS_SHOW").is_some() {
        eprintln!("{}", show(&console));
    }
    assert_eq!(
        show(&console),
        show(&tui),
        "the two front ends journaled different messages"
    );
}

/// The overrun warning is the driver's, so the full-screen UI gives it
/// too (the console's is in tests/history.rs).
#[test]
fn the_tui_flags_a_step_that_runs_longer_than_every_rehearsal() {
    const DRILL: &str = "# Drill\n\n## Switch {#switch}\n\n### Drain {#drain}\n\n```bash\nsleep \"${NAP:-0.1}\"; echo drained\n```\n";
    let mut w = Workdir::new();
    w.write("drill.md", DRILL);
    for nap in ["0.1", "0.2"] {
        w.set("NAP", nap);
        let out = w.run(
            &[
                "run", "drill.md", "--target", "staging", "--plain", "--drill", "--auto",
            ],
            "",
        );
        assert!(out.status.success(), "{}", workdir::text(&out));
    }
    let term = tmux::Tmux::new("front-ends-overrun");
    term.start(&format!(
        "cd {} && RUNSHEET_DATA_DIR={} NAP=3 {} run drill.md --target staging",
        w.path().display(),
        w.data().display(),
        env!("CARGO_BIN_EXE_runsheet"),
    ));
    term.wait_screen("Drain");
    term.keys(&["Enter"]);
    term.wait_screen("running longer than every rehearsal");
}
