//! Times that mean something, end to end: a resumed session shows the plan
//! it started with, not one made of its own first steps; a step in doubt
//! marked done took the time it ran, not the time the session was down;
//! `history` leaves the time down out of a session's duration.

use crate::support::workdir::{Workdir, kill_when, text};
use std::path::PathBuf;
use std::time::Duration;

fn journal(w: &Workdir) -> PathBuf {
    w.journals().pop().expect("a journal")
}

/// The line starting with `plan `, as the console prints it.
fn plan_line(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find(|l| l.starts_with("plan "))
        .unwrap_or_else(|| panic!("no plan line in: {}", text(out)))
        .to_string()
}

/// `plan 2m45s · ran …` → `2m45s`.
fn plan_figure(line: &str) -> &str {
    line.trim_start_matches("plan ")
        .split(" · ")
        .next()
        .unwrap_or_default()
}

#[test]
fn a_resumed_demo_keeps_the_plan_it_started_with() {
    let w = Workdir::new();
    // Three ticks, the step that builds the scratch folder, then quit.
    let first = w.run(&["demo", "--plain"], "y\ny\ny\n\nq\n");
    let started = plan_line(&first);
    // The demo's estimates: 30s + 10s + 30s + 10s + 15s + 10s + 30s + 30s.
    assert_eq!(started, "plan 2m45s", "{}", text(&first));
    assert!(
        w.records().iter().any(
            |r| r["type"] == "action-finished" && r["step"] == "create-the-scratch-environment"
        ),
        "the scratch step ran: {}",
        text(&first)
    );

    let again = w.run(&["resume", "--plain"], "q\n");
    let resumed = plan_line(&again);
    assert_eq!(
        plan_figure(&resumed),
        "2m45s",
        "the plan after resume: {}",
        text(&again)
    );
    // What is left: announce 30s, backup 10s, remove 15s, install 10s,
    // health 30s, final checklist 30s.
    assert!(resumed.ends_with(" · left ~2m5s"), "{resumed}");
    // The step the session goes on with shows the runbook's estimate, not
    // a "rehearsal" made of this very session.
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(!stdout.contains("rehearsed:"), "{stdout}");
    assert!(stdout.contains("est. 30s"), "{stdout}");
}

const TWO_STEPS: &str = r#"# No estimates

## Work {#work}

### First {#first}

```bash
echo first
```

### Second {#second}

```bash
echo second
```
"#;

#[test]
fn a_runbook_without_estimates_has_no_plan_after_a_resume() {
    let w = Workdir::new();
    let rb = w.write("plain.md", TWO_STEPS);
    let rb = rb.to_string_lossy().into_owned();
    let first = w.run(&["run", &rb, "--target", "staging", "--plain"], "\nq\n");
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        stdout.contains("echo first") || stdout.contains("first"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("plan ")), "{stdout}");
    let again = w.run(&["resume", "--plain"], "\n");
    assert!(again.status.success(), "{}", text(&again));
    let stdout = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        !stdout.lines().any(|l| l.starts_with("plan ")),
        "no plan from the session's own times: {stdout}"
    );
    assert!(!stdout.contains("rehearsed:"), "{stdout}");
}

const SLOW: &str = r#"# Slow

## Work {#work}

### Copy {#copy}

```bash
echo copying
sleep 0.3
echo "$((6 * 7)) files copied"
sleep 30
```

### After {#after}

```bash
echo after
```
"#;

#[test]
fn a_step_in_doubt_marked_done_took_the_time_it_ran_not_the_downtime() {
    let w = Workdir::new();
    let rb = w.write("slow.md", SLOW);
    let rb = rb.to_string_lossy().into_owned();
    let mut child = w.spawn_auto(std::path::Path::new(&rb), "staging");
    // Killed once the second line of output is journaled.
    // (The runbook's text in the journal has `$((6 * 7))`, not 42.)
    kill_when(&mut child, || w.journal_text().contains("42 files copied"));
    assert!(
        w.journal_text().contains("42 files copied"),
        "the step never printed"
    );
    // Its shell child sleeps on in its own group: end it, as a reboot would.
    let group = w
        .records()
        .iter()
        .find(|r| r["type"] == "action-started")
        .and_then(|r| r["pid"].as_i64());
    if let Some(pid) = group {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    // The session stays down a while.
    std::thread::sleep(Duration::from_millis(2_500));
    let resumed = w.run(&["resume", "--plain"], "d\n\n");
    assert!(resumed.status.success(), "{}", text(&resumed));
    let stdout = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert!(
        stdout.contains("was running when the session stopped"),
        "{stdout}"
    );
    assert!(stdout.contains("down "), "the time down is said: {stdout}");

    // The report's actual time for the step: its run up to its last
    // output, well under the time the session was down.
    let report = w.run(&["report", &journal(&w).to_string_lossy()], "");
    let report = String::from_utf8_lossy(&report.stdout).into_owned();
    let row = report
        .lines()
        .find(|l| l.starts_with("| Copy") || l.contains("| Copy |"))
        .unwrap_or_else(|| panic!("no row for Copy in: {report}"));
    let ms = ms_in(row).unwrap_or_else(|| panic!("no time in: {row}"));
    assert!(
        (250..2_000).contains(&ms),
        "Copy ran ~0.3 s before the crash, then 2.5 s down: {row}"
    );
    let down = report
        .lines()
        .find(|l| l.starts_with("| Time down |"))
        .unwrap_or_else(|| panic!("the time down is in the report: {report}"));
    let ms = ms_in(down).unwrap_or_else(|| panic!("no time in: {down}"));
    assert!((2_400..10_000).contains(&ms), "{down}");

    // History: the session's duration leaves the time down out, and the
    // step's lower-bound time is no rehearsal.
    let history = w.run(&["history", &rb], "");
    let listing = String::from_utf8_lossy(&history.stdout).into_owned();
    let line = listing
        .lines()
        .find(|l| l.contains("  staging  "))
        .unwrap_or_else(|| panic!("{listing}"));
    let ms = ms_in(line).unwrap_or_else(|| panic!("no duration in: {line}"));
    assert!(ms < 2_400, "down 2.5 s, ran less: {line}");
    let expected = listing.lines().find(|l| l.trim_start().starts_with("Copy"));
    assert!(expected.is_none(), "Copy's end was not seen: {listing}");
}

/// The first `850ms`, `1.2s` or `4s` in `line`, in milliseconds.
fn ms_in(line: &str) -> Option<i64> {
    line.split([' ', '|', '*', '(']).find_map(|w| {
        if let Some(n) = w.strip_suffix("ms") {
            n.parse::<i64>().ok()
        } else if let Some(n) = w.strip_suffix('s') {
            n.parse::<f64>().ok().map(|s| (s * 1000.0) as i64)
        } else {
            None
        }
    })
}
