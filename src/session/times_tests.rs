//! Times that mean something: a step's duration is the time it ran, the
//! session's elapsed time leaves out the time it was down, and its plan is
//! what it expected when it started, whatever a resume finds.

use super::state::Rehearsed;
use super::tests::resumed;
use super::*;
use std::collections::HashMap;

const RUNBOOK: &str = r#"# Times

## Work {#work}

### Look {#look estimate=30s}

- [ ] looked

### Dump {#dump estimate=2m}

```bash
echo dump
```

### Verify {#verify estimate=1m}

```bash
echo verify
```

- [ ] the dump is there

### Announce {#announce estimate=10s}

Tell the team.
"#;

const HOUR: Millis = 3_600_000;

fn session() -> Session {
    super::tests::session_of("times.md", RUNBOOK, "staging")
}

fn ok(s: &mut Session, at: Millis, msg: Msg) {
    if let Err(r) = s.update(at, msg.clone()) {
        panic!("{msg:?} was rejected: {r}");
    }
}

fn tick(step: &str, item: usize) -> Msg {
    Msg::ChecklistTicked {
        step: step.into(),
        item,
        checked: true,
    }
}

fn run(step: &str) -> Msg {
    Msg::RunRequested { step: step.into() }
}

fn output(step: &str) -> Msg {
    Msg::Output {
        step: step.into(),
        action: 0,
        stream: Stream::Stdout,
        data: "working\n".into(),
    }
}

fn success(step: &str) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action: 0,
        outcome: ActionOutcome {
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            cancelled: false,
            duration_ms: 5,
            error: None,
            failure: None,
            needs_approval: None,
        },
    }
}

fn decide(step: &str, decision: Decision) -> Msg {
    Msg::InDoubtResolved {
        step: step.into(),
        decision,
    }
}

fn state<'a>(s: &'a Session, step: &str) -> &'a StepState {
    s.state(step)
        .unwrap_or_else(|| panic!("no step {step} in the session"))
}

/// `look` ticked at 1 s, `dump` started at 2 s, its output at 9 s, then the
/// session dies; it resumes an hour later.
fn crashed_in_dump() -> Session {
    let mut s = session();
    ok(&mut s, 1_000, tick("look", 0));
    ok(&mut s, 2_000, run("dump"));
    ok(&mut s, 3_000, output("dump"));
    ok(&mut s, 9_000, output("dump"));
    ok(&mut s, 9_000 + HOUR, resumed());
    s
}

#[test]
fn an_in_doubt_step_marked_done_took_the_time_it_ran_not_the_downtime() {
    let mut s = crashed_in_dump();
    assert_eq!(state(&s, "dump").status, StepStatus::InDoubt);
    ok(
        &mut s,
        9_000 + HOUR + 40_000,
        decide("dump", Decision::MarkDone),
    );
    let dump = state(&s, "dump");
    assert_eq!(dump.status, StepStatus::Done);
    // From its start to its last sign of life before the crash.
    assert_eq!(dump.duration_ms(), Some(7_000));
    assert_eq!(dump.finished_at, Some(9_000));
    // Its end was not seen: that is no rehearsal time for later sessions.
    assert_eq!(dump.measured_ms(), None);
    // A checklist is timed from its turn (the start) to its last tick.
    assert_eq!(state(&s, "look").measured_ms(), Some(1_000));
}

#[test]
fn an_in_doubt_step_with_no_sign_of_life_after_its_start_took_an_unknown_time() {
    let mut s = session();
    ok(&mut s, 1_000, tick("look", 0));
    ok(&mut s, 2_000, run("dump"));
    ok(&mut s, 2_000 + HOUR, resumed());
    ok(
        &mut s,
        2_000 + HOUR + 5_000,
        decide("dump", Decision::MarkDone),
    );
    assert_eq!(state(&s, "dump").duration_ms(), None);
    assert_eq!(state(&s, "dump").measured_ms(), None);
}

#[test]
fn an_in_doubt_step_skipped_ends_where_it_stopped() {
    let mut s = crashed_in_dump();
    ok(
        &mut s,
        9_000 + HOUR + 1_000,
        decide(
            "dump",
            Decision::Skip {
                reason: "done by hand".into(),
            },
        ),
    );
    assert_eq!(state(&s, "dump").duration_ms(), Some(7_000));
}

#[test]
fn an_in_doubt_step_run_again_takes_its_new_run() {
    let mut s = crashed_in_dump();
    let back = 9_000 + HOUR;
    ok(&mut s, back + 1_000, decide("dump", Decision::Rerun));
    ok(&mut s, back + 4_000, success("dump"));
    let dump = state(&s, "dump");
    assert_eq!(dump.status, StepStatus::Done);
    assert_eq!(dump.duration_ms(), Some(3_000));
    assert_eq!(dump.measured_ms(), Some(3_000));
}

#[test]
fn a_checklist_left_half_done_across_a_stop_does_not_count_the_stop() {
    let mut s = session();
    ok(&mut s, 1_000, tick("look", 0));
    ok(&mut s, 2_000, run("dump"));
    ok(&mut s, 5_000, success("dump"));
    ok(&mut s, 6_000, run("verify"));
    ok(&mut s, 8_000, success("verify"));
    assert_eq!(state(&s, "verify").status, StepStatus::AwaitingChecklist);
    // Quit at the checklist; back two hours later; ticked 3 s after that.
    ok(
        &mut s,
        10_000,
        Msg::Interrupted {
            reason: "quit".into(),
        },
    );
    ok(&mut s, 10_000 + 2 * HOUR, resumed());
    ok(&mut s, 13_000 + 2 * HOUR, tick("verify", 0));
    let verify = state(&s, "verify");
    assert_eq!(verify.status, StepStatus::Done);
    assert_eq!(verify.duration_ms(), Some(7_000));
    // Steps finished before the stop keep their times.
    assert_eq!(state(&s, "dump").duration_ms(), Some(3_000));
}

#[test]
fn the_time_a_session_was_down_is_not_its_elapsed_time() {
    let mut s = crashed_in_dump();
    assert_eq!(s.down_ms(), HOUR);
    assert_eq!(s.elapsed(9_000 + HOUR + 1_000), 10_000);
    // Down twice: both stops are left out.
    ok(
        &mut s,
        9_000 + HOUR + 2_000,
        decide("dump", Decision::MarkDone),
    );
    ok(&mut s, 9_000 + 3 * HOUR, resumed());
    assert_eq!(s.down_ms(), HOUR + 2 * HOUR - 2_000);
    assert_eq!(s.elapsed(9_000 + 3 * HOUR), 11_000);
}

#[test]
fn the_plan_of_a_resumed_session_is_the_one_it_started_with() {
    let mut s = session();
    let plan = s.plan();
    assert_eq!(
        plan.map(|p| p.to_string()),
        Some("3m40s".into()),
        "the runbook's estimates"
    );
    ok(&mut s, 1_000, tick("look", 0));
    ok(&mut s, 2_000, run("dump"));
    ok(&mut s, 2_017, success("dump"));
    ok(&mut s, 2_017 + HOUR, resumed());
    assert_eq!(s.plan(), plan);
    assert_eq!(
        s.remaining().map(|p| p.to_string()),
        Some("1m10s".into()),
        "verify and announce are left"
    );
    // Not over a 3m40s plan after a minute of work and an hour down.
    assert!(!s.over_plan(2_017 + HOUR + 60_000));
    assert!(s.over_plan(2_017 + HOUR + 4 * 60_000));
}

#[test]
fn rehearsed_times_come_before_the_runbooks_estimates() {
    let mut s = session();
    let mut times = HashMap::new();
    times.insert(
        "dump".to_string(),
        Rehearsed {
            runs: 2,
            median_ms: 60_000,
            slowest_ms: 90_000,
        },
    );
    s.set_rehearsed(times);
    let dump = s.expected("dump").map(|e| e.to_string());
    assert_eq!(dump, Some("1m–1m30s".into()));
    assert_eq!(s.plan().map(|p| p.to_string()), Some("2m40s–3m10s".into()));
}
