//! Pure transition tests: no terminal, no process, no clock.

use super::*;
use crate::runbook::destructive::Rule;
use crate::runbook::parse;
use std::sync::Arc;

const RUNBOOK: &str = r#"---
targets:
  staging: { countdown: 10s }
  production: { protected: true }
---
# Test runbook

## Phase 1 {#p1}

### Check {#check}

- [ ] first
- [ ] second

### Dump {#dump}

```bash
echo dump
```

### Wipe production {#wipe}

```bash {target=production}
rm -rf /tmp/x
```

### Wipe staging {#wipe-staging}

```bash {target=staging}
rm -rf /tmp/y
```

### Manual {#manual}

Do it by hand.

### Two actions {#two}

```bash
echo 1
```

```bash {expect=0,1}
exit 1
```

- [ ] looked at the output

## Rollback

### Undo {#undo undoes=p1}

```bash
echo undo
```
"#;

fn session() -> Session {
    session_of("test.md", RUNBOOK, "staging")
}

/// A fresh session of `text` on `target`, started at 0 by alice@laptop.
/// A resume of an unchanged runbook, by nobody in particular, with no
/// new values: what most tests need.
pub(super) fn resumed() -> Msg {
    Msg::Resumed {
        runbook_hash: "h".into(),
        runbook_changed: false,
        runbook_text: None,
        operator: None,
        host: None,
        values: Default::default(),
    }
}

pub(super) fn session_of(path: &str, text: &str, target: &str) -> Session {
    let parsed = parse(path, text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let info = SessionInfo::sample(path, text, target);
    Session::new(Arc::new(parsed.runbook), info, 0)
}

fn ok(s: &mut Session, at: Millis, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(effects) => {
            assert_eq!(effects.first(), Some(&Effect::Record(msg)), "records first");
            effects[1..].to_vec()
        }
        Err(r) => panic!("{msg:?} was rejected: {r}"),
    }
}

fn rejected(s: &mut Session, msg: Msg) -> String {
    let before = format!("{:?}", s.steps.get("dump").map(|x| &x.status));
    match s.update(1, msg.clone()) {
        Ok(e) => panic!("{msg:?} should be rejected, got {e:?}"),
        Err(r) => {
            assert_eq!(
                before,
                format!("{:?}", s.steps.get("dump").map(|x| &x.status))
            );
            r.0
        }
    }
}

fn status(s: &Session, step: &str) -> StepStatus {
    s.state(step)
        .map(|x| x.status.clone())
        .unwrap_or(StepStatus::Pending)
}

fn success(step: &str, action: usize) -> Msg {
    finished(step, action, Some(0))
}

fn finished(step: &str, action: usize, exit_code: Option<i32>) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action,
        outcome: ActionOutcome {
            exit_code,
            signal: None,
            timed_out: false,
            cancelled: false,
            duration_ms: 20,
            error: None,
            failure: None,
            needs_approval: None,
        },
    }
}

fn run(step: &str) -> Msg {
    Msg::RunRequested { step: step.into() }
}

/// Ticks `check` and confirms nothing else is needed to reach `dump`.
fn settle_check(s: &mut Session) {
    ok(
        s,
        1,
        Msg::ChecklistTicked {
            step: "check".into(),
            item: 0,
            checked: true,
        },
    );
    let e = ok(
        s,
        2,
        Msg::ChecklistTicked {
            step: "check".into(),
            item: 1,
            checked: true,
        },
    );
    assert_eq!(
        e,
        vec![Effect::StepSettled {
            step: "check".into()
        }]
    );
}

fn settle_through_dump(s: &mut Session) {
    settle_check(s);
    ok(s, 3, run("dump"));
    ok(s, 4, success("dump", 0));
}

#[test]
fn a_checklist_step_is_done_when_its_last_item_is_ticked() {
    let mut s = session();
    ok(
        &mut s,
        1,
        Msg::ChecklistTicked {
            step: "check".into(),
            item: 0,
            checked: true,
        },
    );
    assert_eq!(status(&s, "check"), StepStatus::Pending);
    settle_check(&mut s);
    assert_eq!(status(&s, "check"), StepStatus::Done);
    assert_eq!(s.next_step(), Some("dump"));
}

#[test]
fn an_unknown_checklist_item_or_step_is_rejected() {
    let mut s = session();
    assert!(
        rejected(
            &mut s,
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 7,
                checked: true
            }
        )
        .contains("no checklist item 8")
    );
    assert!(rejected(&mut s, run("nope")).contains("no step `nope`"));
}

#[test]
fn steps_run_in_order() {
    let mut s = session();
    let why = rejected(&mut s, run("dump"));
    // Named by their titles, as the operator sees them.
    assert!(why.contains("“Dump” comes after “Check”"), "{why}");
}

#[test]
fn a_step_runs_its_action_and_is_done_when_it_succeeds() {
    let mut s = session();
    settle_check(&mut s);
    assert_eq!(
        ok(&mut s, 10, run("dump")),
        vec![Effect::RunAction {
            step: "dump".into(),
            action: 0
        }]
    );
    assert_eq!(status(&s, "dump"), StepStatus::Running { action: 0 });
    ok(
        &mut s,
        11,
        Msg::ActionStarted {
            step: "dump".into(),
            action: 0,
            pid: Some(42),
        },
    );
    ok(
        &mut s,
        12,
        Msg::Output {
            step: "dump".into(),
            action: 0,
            stream: Stream::Stdout,
            data: "dump\n".into(),
        },
    );
    let e = ok(&mut s, 30, success("dump", 0));
    assert_eq!(
        e,
        vec![Effect::StepSettled {
            step: "dump".into()
        }]
    );
    let st = s.state("dump").cloned().unwrap_or_else(|| panic!("state"));
    assert_eq!(st.status, StepStatus::Done);
    assert_eq!(st.duration_ms(), Some(20));
    assert_eq!(st.output_tail_text(), "dump\n");
}

#[test]
fn finishing_a_step_that_never_started_is_rejected() {
    let mut s = session();
    let why = rejected(&mut s, success("dump", 0));
    assert!(why.contains("not running"), "{why}");
    assert!(
        rejected(
            &mut s,
            Msg::Output {
                step: "dump".into(),
                action: 0,
                stream: Stream::Stdout,
                data: "x".into()
            }
        )
        .contains("not running")
    );
    assert!(
        rejected(
            &mut s,
            Msg::CancelRequested {
                step: "dump".into()
            }
        )
        .contains("nothing is running")
    );
}

#[test]
fn a_failed_step_can_be_retried_or_skipped_with_a_reason() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    ok(&mut s, 4, finished("dump", 0, Some(3)));
    assert_eq!(
        status(&s, "dump"),
        StepStatus::Failed {
            reason: "exit 3".into()
        }
    );
    assert!(rejected(&mut s, run("wipe")).contains("comes after “Dump”"));
    // Retry runs it again.
    assert_eq!(
        ok(&mut s, 5, run("dump")),
        vec![Effect::RunAction {
            step: "dump".into(),
            action: 0
        }]
    );
    assert_eq!(s.state("dump").map(|x| x.attempts), Some(2));
    ok(&mut s, 6, finished("dump", 0, Some(1)));
    assert!(
        rejected(
            &mut s,
            Msg::Skipped {
                step: "dump".into(),
                reason: "  ".into()
            }
        )
        .contains("needs a reason")
    );
    ok(
        &mut s,
        7,
        Msg::Skipped {
            step: "dump".into(),
            reason: "done by hand".into(),
        },
    );
    assert_eq!(
        status(&s, "dump"),
        StepStatus::Skipped {
            reason: "done by hand".into()
        }
    );
    assert_eq!(s.next_step(), Some("wipe"));
}

#[test]
fn a_timed_out_action_fails_its_step_and_says_so() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    let outcome = ActionOutcome {
        exit_code: None,
        signal: Some(15),
        timed_out: true,
        cancelled: false,
        duration_ms: 300_000,
        error: None,
        failure: None,
        needs_approval: None,
    };
    ok(
        &mut s,
        4,
        Msg::ActionFinished {
            step: "dump".into(),
            action: 0,
            outcome,
        },
    );
    assert_eq!(
        status(&s, "dump"),
        StepStatus::Failed {
            reason: "timed out after 5m".into()
        }
    );
}

#[test]
fn a_running_step_cannot_be_skipped_but_can_be_cancelled() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    assert!(
        rejected(
            &mut s,
            Msg::Skipped {
                step: "dump".into(),
                reason: "x".into()
            }
        )
        .contains("stop it")
    );
    assert_eq!(
        ok(
            &mut s,
            4,
            Msg::CancelRequested {
                step: "dump".into()
            }
        ),
        vec![Effect::CancelAction {
            step: "dump".into()
        }]
    );
    let outcome = ActionOutcome {
        exit_code: None,
        signal: Some(15),
        timed_out: false,
        cancelled: true,
        duration_ms: 5,
        error: None,
        failure: None,
        needs_approval: None,
    };
    ok(
        &mut s,
        5,
        Msg::ActionFinished {
            step: "dump".into(),
            action: 0,
            outcome,
        },
    );
    assert_eq!(
        status(&s, "dump"),
        StepStatus::Failed {
            reason: "cancelled".into()
        }
    );
}

#[test]
fn a_destructive_step_on_production_waits_for_the_targets_name() {
    let mut s = session();
    settle_through_dump(&mut s);
    let e = ok(&mut s, 5, run("wipe"));
    let [Effect::ShowGate(gate)] = e.as_slice() else {
        panic!("expected a gate, got {e:?}");
    };
    assert_eq!(gate.target, "production");
    assert_eq!(gate.reasons[0].rule, Rule::ShellRmRecursiveForce);
    assert!(gate.code[0].contains("rm -rf /tmp/x"));
    assert_eq!(status(&s, "wipe"), StepStatus::AwaitingGate);
    // A wrong name is recorded, runs nothing, and says so to the screen.
    assert_eq!(
        ok(
            &mut s,
            6,
            Msg::GateAnswered {
                step: "wipe".into(),
                typed: " prod ".into()
            }
        ),
        vec![Effect::GateMistyped {
            step: "wipe".into(),
            typed: "prod".into(),
            target: "production".into(),
        }]
    );
    assert_eq!(status(&s, "wipe"), StepStatus::AwaitingGate);
    assert_eq!(
        s.state("wipe").and_then(|st| st.wrong_answer.as_deref()),
        Some("prod")
    );
    let e = ok(
        &mut s,
        7,
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
    );
    assert_eq!(
        e,
        vec![Effect::RunAction {
            step: "wipe".into(),
            action: 0
        }]
    );
}

#[test]
fn confirming_a_gate_that_was_not_shown_is_rejected() {
    let mut s = session();
    settle_through_dump(&mut s);
    let why = rejected(
        &mut s,
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
    );
    assert!(why.contains("no gate is shown"), "{why}");
    assert!(
        rejected(
            &mut s,
            Msg::GateRefused {
                step: "wipe".into()
            }
        )
        .contains("no gate")
    );
}

#[test]
fn refusing_a_gate_leaves_the_step_pending() {
    let mut s = session();
    settle_through_dump(&mut s);
    ok(&mut s, 5, run("wipe"));
    ok(
        &mut s,
        6,
        Msg::GateRefused {
            step: "wipe".into(),
        },
    );
    assert_eq!(status(&s, "wipe"), StepStatus::Pending);
}

#[test]
fn a_destructive_step_on_staging_counts_down_and_can_be_cancelled() {
    let mut s = session();
    settle_through_dump(&mut s);
    ok(
        &mut s,
        5,
        Msg::Skipped {
            step: "wipe".into(),
            reason: "not today".into(),
        },
    );
    let e = ok(&mut s, 6, run("wipe-staging"));
    assert_eq!(
        e,
        vec![Effect::StartCountdown {
            step: "wipe-staging".into(),
            seconds: 10
        }]
    );
    ok(
        &mut s,
        7,
        Msg::CountdownCancelled {
            step: "wipe-staging".into(),
        },
    );
    assert_eq!(status(&s, "wipe-staging"), StepStatus::Pending);
    ok(&mut s, 8, run("wipe-staging"));
    let e = ok(
        &mut s,
        9,
        Msg::CountdownElapsed {
            step: "wipe-staging".into(),
        },
    );
    assert_eq!(
        e,
        vec![Effect::RunAction {
            step: "wipe-staging".into(),
            action: 0
        }]
    );
    assert!(
        rejected(
            &mut s,
            Msg::CountdownElapsed {
                step: "wipe-staging".into()
            }
        )
        .contains("no countdown")
    );
}

fn reach_manual(s: &mut Session) {
    settle_through_dump(s);
    ok(
        s,
        5,
        Msg::Skipped {
            step: "wipe".into(),
            reason: "r".into(),
        },
    );
    ok(
        s,
        6,
        Msg::Skipped {
            step: "wipe-staging".into(),
            reason: "r".into(),
        },
    );
}

#[test]
fn a_manual_step_is_confirmed_by_the_operator() {
    let mut s = session();
    reach_manual(&mut s);
    assert!(rejected(&mut s, run("manual")).contains("nothing to run"));
    ok(
        &mut s,
        7,
        Msg::ConfirmedDone {
            step: "manual".into(),
        },
    );
    assert_eq!(status(&s, "manual"), StepStatus::Done);
    assert!(
        rejected(
            &mut s,
            Msg::ConfirmedDone {
                step: "dump".into()
            }
        )
        .contains("not by confirmation")
    );
}

#[test]
fn several_actions_run_in_turn_and_the_checklist_closes_the_step() {
    let mut s = session();
    reach_manual(&mut s);
    ok(
        &mut s,
        7,
        Msg::ConfirmedDone {
            step: "manual".into(),
        },
    );
    ok(&mut s, 8, run("two"));
    assert_eq!(
        ok(&mut s, 9, success("two", 0)),
        vec![Effect::RunAction {
            step: "two".into(),
            action: 1
        }]
    );
    // Exit 1 is accepted by `expect=0,1`.
    assert_eq!(ok(&mut s, 10, finished("two", 1, Some(1))), vec![]);
    assert_eq!(status(&s, "two"), StepStatus::AwaitingChecklist);
    assert!(rejected(&mut s, Msg::ConfirmedDone { step: "two".into() }).contains("unticked"));
    let e = ok(
        &mut s,
        11,
        Msg::ChecklistTicked {
            step: "two".into(),
            item: 0,
            checked: true,
        },
    );
    assert_eq!(
        e,
        vec![
            Effect::StepSettled { step: "two".into() },
            Effect::FlowComplete
        ]
    );
    assert!(s.is_complete());
    ok(
        &mut s,
        12,
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
    );
    assert!(rejected(&mut s, run("undo")).contains("ended"));
    ok(
        &mut s,
        13,
        Msg::Note {
            step: None,
            text: "post-mortem: fine".into(),
        },
    );
}

#[test]
fn a_session_with_steps_left_can_only_be_abandoned() {
    let mut s = session();
    assert!(
        rejected(
            &mut s,
            Msg::SessionEnded {
                outcome: SessionEnd::Completed
            }
        )
        .contains("abandoned")
    );
    ok(
        &mut s,
        1,
        Msg::SessionEnded {
            outcome: SessionEnd::Abandoned,
        },
    );
}

#[test]
fn a_failure_offers_the_rollback_of_its_phase() {
    let mut s = session();
    settle_check(&mut s);
    assert!(
        rejected(
            &mut s,
            Msg::RollbackRequested {
                failed: "dump".into(),
                rollback: "undo".into()
            }
        )
        .contains("after a failure")
    );
    ok(&mut s, 3, run("dump"));
    ok(&mut s, 4, finished("dump", 0, Some(2)));
    let offered: Vec<&str> = s
        .rollbacks_for("dump")
        .iter()
        .map(|st| st.id.as_str())
        .collect();
    assert_eq!(offered, vec!["undo"]);
    assert!(
        rejected(
            &mut s,
            Msg::RollbackRequested {
                failed: "dump".into(),
                rollback: "wipe".into()
            }
        )
        .contains("does not undo")
    );
    assert_eq!(
        ok(
            &mut s,
            5,
            Msg::RollbackRequested {
                failed: "dump".into(),
                rollback: "undo".into(),
            },
        ),
        vec![Effect::RollbackChosen {
            failed: "dump".into(),
            rollback: "undo".into(),
        }]
    );
    assert_eq!(s.current(), Some("undo"));
    // Rollback steps are outside the flow: they run despite the failure.
    assert_eq!(
        ok(&mut s, 6, run("undo")),
        vec![Effect::RunAction {
            step: "undo".into(),
            action: 0
        }]
    );
}

#[test]
fn one_step_runs_at_a_time() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    assert!(rejected(&mut s, run("undo")).contains("one step runs at a time"));
}

#[test]
fn a_step_running_when_the_session_died_is_in_doubt_after_resume() {
    let mut s = session();
    settle_through_dump(&mut s);
    ok(&mut s, 5, run("wipe"));
    ok(
        &mut s,
        6,
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
    );
    ok(
        &mut s,
        7,
        Msg::Interrupted {
            reason: "SIGHUP".into(),
        },
    );
    ok(&mut s, 100, resumed());
    assert_eq!(status(&s, "wipe"), StepStatus::InDoubt);
    assert!(rejected(&mut s, run("wipe")).contains("in doubt"));
    // Re-running a destructive step goes through its gate again.
    let e = ok(
        &mut s,
        101,
        Msg::InDoubtResolved {
            step: "wipe".into(),
            decision: Decision::Rerun,
        },
    );
    assert!(matches!(e.as_slice(), [Effect::ShowGate(_)]), "{e:?}");
}

#[test]
fn an_in_doubt_step_can_be_marked_done_or_skipped() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    ok(&mut s, 4, resumed());
    assert!(
        rejected(
            &mut s,
            Msg::InDoubtResolved {
                step: "check".into(),
                decision: Decision::MarkDone
            }
        )
        .contains("nothing is in doubt")
    );
    ok(
        &mut s,
        5,
        Msg::InDoubtResolved {
            step: "dump".into(),
            decision: Decision::MarkDone,
        },
    );
    assert_eq!(status(&s, "dump"), StepStatus::Done);
}

#[test]
fn folding_the_recorded_messages_rebuilds_the_same_session() {
    let mut live = session();
    let mut records = vec![(0, Msg::SessionStarted(live.info.clone()))];
    let script = vec![
        (
            1,
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 0,
                checked: true,
            },
        ),
        (
            2,
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 1,
                checked: true,
            },
        ),
        (3, run("dump")),
        (
            4,
            Msg::Output {
                step: "dump".into(),
                action: 0,
                stream: Stream::Stderr,
                data: "warn\n".into(),
            },
        ),
        (5, finished("dump", 0, Some(9))),
        (
            6,
            Msg::Note {
                step: Some("dump".into()),
                text: "disk full?".into(),
            },
        ),
        (7, run("dump")),
        (8, success("dump", 0)),
        (9, run("wipe")),
        (
            10,
            Msg::GateAnswered {
                step: "wipe".into(),
                typed: "nope".into(),
            },
        ),
        (
            11,
            Msg::GateRefused {
                step: "wipe".into(),
            },
        ),
        (
            12,
            Msg::Skipped {
                step: "wipe".into(),
                reason: "later".into(),
            },
        ),
    ];
    for (at, msg) in script {
        for e in ok(&mut live, at, msg.clone()) {
            assert!(!matches!(e, Effect::Record(_)));
        }
        records.push((at, msg));
    }
    let rebuilt = match fold(live.runbook().clone(), records) {
        Ok(s) => s,
        Err(e) => panic!("fold: {e}"),
    };
    for id in live.flow() {
        assert_eq!(status(&rebuilt, id), status(&live, id), "{id}");
    }
    assert_eq!(rebuilt.state("dump").map(|s| s.attempts), Some(2));
    assert_eq!(rebuilt.notes.len(), 1);
}

#[test]
fn a_journal_that_does_not_start_a_session_does_not_fold() {
    let s = session();
    let r = fold(s.runbook().clone(), vec![(0, run("dump"))]);
    assert!(r.is_err());
}

#[test]
fn the_journal_form_of_every_message_is_stable() {
    let info = session().info;
    let msgs = vec![
        Msg::SessionStarted(SessionInfo {
            runbook_text: "# T\n".into(),
            targets: vec![crate::session::TargetSettings {
                name: "production".into(),
                protected: true,
                countdown_ms: 10_000,
                timeout_ms: 600_000,
                database: Some("$PROD_DB_URL".into()),
                approvals: 1,
            }],
            values: [("RELEASE".to_string(), "2.4.1".to_string())].into(),
            ..info
        }),
        // Every field written out: this is the journal form's snapshot.
        Msg::Resumed {
            runbook_hash: "abc".into(),
            runbook_changed: false,
            runbook_text: None,
            operator: None,
            host: None,
            values: [("RELEASE".to_string(), "2.4.2".to_string())].into(),
        },
        run("dump"),
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
        Msg::GateRefused {
            step: "wipe".into(),
        },
        Msg::ApprovalRequested {
            step: "wipe".into(),
            request: 42,
            requested_by: "alice".into(),
            needed: 1,
        },
        Msg::Approved {
            step: "wipe".into(),
            request: 42,
            approver: "bob".into(),
            reason: "checked the backup".into(),
        },
        Msg::Denied {
            step: "wipe".into(),
            request: 43,
            approver: "carol".into(),
            reason: "not in the window".into(),
        },
        Msg::CountdownElapsed { step: "w".into() },
        Msg::CountdownCancelled { step: "w".into() },
        Msg::ActionStarted {
            step: "dump".into(),
            action: 0,
            pid: Some(7),
        },
        Msg::Output {
            step: "dump".into(),
            action: 0,
            stream: Stream::Stdout,
            data: "a\u{1b}[31mb\r".into(),
        },
        finished("dump", 0, Some(0)),
        Msg::ActionResult {
            step: "dump".into(),
            action: 0,
            result: serde_json::json!({"kind": "query", "row_count": 1}),
        },
        Msg::VarsExported {
            step: "dump".into(),
            action: 0,
            target: "production".into(),
            vars: vec![
                ("BACKUP_DIR".into(), "/tmp/x y".into()),
                ("API_TOKEN".into(), "***".into()),
            ],
            secret: vec!["API_TOKEN".into()],
        },
        Msg::BatchStarted {
            step: "dump".into(),
            action: 0,
            batch: 1,
            after: None,
            upto: "1000".into(),
            xid: "731".into(),
            rows: 1000,
        },
        Msg::BatchCommitted {
            step: "dump".into(),
            action: 0,
            batch: 1,
        },
        Msg::Checkpoint {
            step: "dump".into(),
            action: 0,
            key: "upload s3://b/k".into(),
            data: serde_json::json!({"part": 3, "etag": "e3"}),
        },
        Msg::DatabaseIdentified {
            target: "production".into(),
            identity: DbIdentity {
                server: "127.0.0.1:5433".into(),
                database: "app".into(),
                version: "15.18".into(),
                system_identifier: Some("7301".into()),
            },
        },
        Msg::CancelRequested {
            step: "dump".into(),
        },
        Msg::ChecklistTicked {
            step: "check".into(),
            item: 1,
            checked: true,
        },
        Msg::ConfirmedDone {
            step: "manual".into(),
        },
        Msg::Skipped {
            step: "wipe".into(),
            reason: "r".into(),
        },
        Msg::Note {
            step: None,
            text: "n".into(),
        },
        Msg::RollbackRequested {
            failed: "dump".into(),
            rollback: "undo".into(),
        },
        Msg::AlternativeChosen {
            offer: "snap".into(),
            choice: Some("wal".into()),
            note: None,
        },
        Msg::AlternativeChosen {
            offer: "snap".into(),
            choice: None,
            note: Some("auto: none chosen".into()),
        },
        Msg::InDoubtResolved {
            step: "wipe".into(),
            decision: Decision::Skip {
                reason: "checked by hand".into(),
            },
        },
        Msg::Notified {
            event: "failure".into(),
            to: "https://hooks.slack.com".into(),
            attempt: 2,
            status: Some(503),
            error: None,
        },
        Msg::Notified {
            event: "end".into(),
            to: "http://127.0.0.1:9".into(),
            attempt: 1,
            status: None,
            error: Some("connection refused".into()),
        },
        Msg::Interrupted {
            reason: "SIGHUP".into(),
        },
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
        Msg::SessionEnded {
            outcome: SessionEnd::RolledBack,
        },
    ];
    let lines: Vec<String> = msgs
        .iter()
        .map(|m| serde_json::to_string(m).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    for (line, msg) in lines.iter().zip(&msgs) {
        let back: Msg = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(&back, msg);
    }
    // The fast path that moves output text writes the same fields.
    for msg in &msgs {
        let slow = crate::journal::record::body_fields(msg);
        assert_eq!(msg.clone().into_journal_fields(), slow, "{msg:?}");
    }
    insta::assert_snapshot!(lines.join("\n"));
}

fn batch_started(batch: u64, after: Option<&str>, upto: &str) -> Msg {
    Msg::BatchStarted {
        step: "dump".into(),
        action: 0,
        batch,
        after: after.map(Into::into),
        upto: upto.into(),
        xid: format!("{}", 700 + batch),
        rows: 500 + 500 * u64::from(upto != "2500"),
    }
}

fn batch_committed(batch: u64) -> Msg {
    Msg::BatchCommitted {
        step: "dump".into(),
        action: 0,
        batch,
    }
}

#[test]
fn batch_progress_survives_a_failure_and_is_cleared_by_success() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    ok(&mut s, 4, batch_started(1, None, "1000"));
    ok(&mut s, 5, batch_committed(1));
    ok(&mut s, 6, batch_started(2, Some("1000"), "2000"));
    // The session dies here: batch 2 is in flight.
    ok(&mut s, 7, finished("dump", 0, None));
    let progress = s.state("dump").and_then(|x| x.batches.clone());
    let progress = progress.unwrap_or_else(|| panic!("progress lost on failure"));
    assert_eq!((progress.batches, progress.rows), (1, 1000));
    assert_eq!(progress.last_key.as_deref(), Some("1000"));
    assert_eq!(progress.in_flight.map(|f| f.xid), Some("702".to_string()));

    // On retry the runner asks the database: batch 2 did commit.
    ok(&mut s, 8, run("dump"));
    ok(&mut s, 9, batch_committed(2));
    // A batch that skips ahead, or starts over, is refused.
    assert!(rejected(&mut s, batch_started(3, Some("1000"), "3000")).contains("does not follow"));
    assert!(rejected(&mut s, batch_started(4, Some("2000"), "3000")).contains("does not follow"));
    ok(&mut s, 10, batch_started(3, Some("2000"), "2500"));
    // The database said this attempt did not commit: it starts again.
    ok(&mut s, 11, batch_started(3, Some("2000"), "2500"));
    ok(&mut s, 12, batch_committed(3));
    assert_eq!(
        s.state("dump")
            .and_then(|x| x.batches.as_ref())
            .map(|b| b.rows),
        Some(2500)
    );
    ok(&mut s, 13, success("dump", 0));
    assert_eq!(s.state("dump").and_then(|x| x.batches.clone()), None);
}

#[test]
fn a_batch_of_a_step_that_is_not_running_is_rejected() {
    let mut s = session();
    settle_check(&mut s);
    assert!(rejected(&mut s, batch_started(1, None, "10")).contains("not running"));
    assert!(rejected(&mut s, batch_committed(1)).contains("was not in flight"));
}

#[test]
fn two_targets_on_one_database_are_refused() {
    let mut s = session();
    let id = |server: &str, sysid: Option<&str>| DbIdentity {
        server: server.into(),
        database: "app".into(),
        version: "15.4".into(),
        system_identifier: sysid.map(Into::into),
    };
    let identified = |target: &str, identity: DbIdentity| Msg::DatabaseIdentified {
        target: target.into(),
        identity,
    };
    ok(
        &mut s,
        1,
        identified("staging", id("10.0.0.1:5432", Some("7301"))),
    );
    // The same cluster reached by another address is still the same one.
    let r = rejected(
        &mut s,
        identified("production", id("db.internal:5432", Some("7301"))),
    );
    assert!(
        r.contains("`staging` and `production` are the same database"),
        "{r}"
    );
    // Another cluster is fine; so is identifying a target again.
    ok(
        &mut s,
        2,
        identified("production", id("10.0.0.2:5432", Some("7302"))),
    );
    ok(
        &mut s,
        3,
        identified("staging", id("10.0.0.1:5432", Some("7301"))),
    );
    // Without system identifiers the address decides.
    let mut s = session();
    ok(&mut s, 1, identified("staging", id("10.0.0.1:5432", None)));
    assert!(!rejected(&mut s, identified("production", id("10.0.0.1:5432", None))).is_empty());
}

#[test]
fn checkpoints_are_kept_in_order_until_the_action_succeeds() {
    let mut s = session();
    settle_check(&mut s);
    ok(&mut s, 3, run("dump"));
    let cp = |n: u64| Msg::Checkpoint {
        step: "dump".into(),
        action: 0,
        key: "upload".into(),
        data: serde_json::json!({ "part": n }),
    };
    ok(&mut s, 4, cp(1));
    ok(&mut s, 5, cp(2));
    ok(&mut s, 6, finished("dump", 0, None));
    let kept = s
        .state("dump")
        .and_then(|x| x.checkpoints.get(&(0, "upload".to_string())).cloned());
    assert_eq!(kept.map(|v| v.len()), Some(2));
    // Only while its action runs.
    assert!(rejected(&mut s, cp(3)).contains("not running"));
    ok(&mut s, 7, run("dump"));
    ok(&mut s, 8, cp(3));
    ok(&mut s, 9, success("dump", 0));
    assert!(s.state("dump").is_some_and(|x| x.checkpoints.is_empty()));
}

// ------------------------------------------------- refusals change nothing

mod refusals {
    use super::*;
    use proptest::prelude::*;

    /// Steps of the test runbook, and one it does not have.
    const STEPS: [&str; 8] = [
        "check",
        "dump",
        "wipe",
        "wipe-staging",
        "manual",
        "two",
        "undo",
        "nope",
    ];

    fn step() -> impl Strategy<Value = String> {
        (0..STEPS.len()).prop_map(|i| STEPS[i].to_string())
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("  ".to_string()),
            Just("production".to_string()),
            Just("prod".to_string()),
            Just("disk full".to_string()),
        ]
    }

    fn outcome() -> impl Strategy<Value = ActionOutcome> {
        (prop::option::of(0..3i32), any::<bool>()).prop_map(|(exit_code, cancelled)| {
            ActionOutcome {
                exit_code,
                cancelled,
                duration_ms: 5,
                ..ActionOutcome::default()
            }
        })
    }

    fn identity() -> impl Strategy<Value = DbIdentity> {
        (0..2u8, 0..2u8).prop_map(|(server, db)| DbIdentity {
            server: format!("127.0.0.1:{}", 5432 + u16::from(server)),
            database: format!("db{db}"),
            version: "15".into(),
            system_identifier: None,
        })
    }

    /// Any message but the first, in forms the engine accepts and refuses.
    fn msg() -> impl Strategy<Value = Msg> {
        prop_oneof![
            4 => step().prop_map(|step| Msg::RunRequested { step }),
            2 => (step(), text()).prop_map(|(step, typed)| Msg::GateAnswered { step, typed }),
            1 => step().prop_map(|step| Msg::GateRefused { step }),
            1 => step().prop_map(|step| Msg::CountdownElapsed { step }),
            1 => step().prop_map(|step| Msg::CountdownCancelled { step }),
            1 => (step(), 0..3usize).prop_map(|(step, action)| Msg::ActionStarted {
                step,
                action,
                pid: None
            }),
            1 => (step(), 0..2usize).prop_map(|(step, action)| Msg::Output {
                step,
                action,
                stream: Stream::Stdout,
                data: "out\n".into()
            }),
            4 => (step(), 0..3usize, outcome()).prop_map(|(step, action, outcome)| {
                Msg::ActionFinished {
                    step,
                    action,
                    outcome,
                }
            }),
            1 => (step(), 0..2usize, 1..4u64, prop::option::of(0..3u8), 0..3u8).prop_map(
                |(step, action, batch, after, upto)| Msg::BatchStarted {
                    step,
                    action,
                    batch,
                    after: after.map(|a| a.to_string()),
                    upto: upto.to_string(),
                    xid: "7".into(),
                    rows: 2,
                }
            ),
            1 => (step(), 0..2usize, 1..4u64).prop_map(|(step, action, batch)| {
                Msg::BatchCommitted {
                    step,
                    action,
                    batch,
                }
            }),
            1 => (step(), 0..2usize).prop_map(|(step, action)| Msg::Checkpoint {
                step,
                action,
                key: "upload".into(),
                data: serde_json::json!(1),
            }),
            1 => (0..3u8, identity()).prop_map(|(t, identity)| Msg::DatabaseIdentified {
                target: ["staging", "production", "other"][usize::from(t)].into(),
                identity
            }),
            1 => step().prop_map(|step| Msg::CancelRequested { step }),
            3 => (step(), 0..3usize, any::<bool>()).prop_map(|(step, item, checked)| {
                Msg::ChecklistTicked {
                    step,
                    item,
                    checked,
                }
            }),
            1 => step().prop_map(|step| Msg::ConfirmedDone { step }),
            1 => (step(), text()).prop_map(|(step, reason)| Msg::Skipped { step, reason }),
            1 => (prop::option::of(step()), text()).prop_map(|(step, text)| Msg::Note { step, text }),
            1 => (step(), step()).prop_map(|(failed, rollback)| Msg::RollbackRequested {
                failed,
                rollback
            }),
            1 => (step(), 0..3u8, text()).prop_map(|(step, d, reason)| Msg::InDoubtResolved {
                step,
                decision: match d {
                    0 => Decision::Rerun,
                    1 => Decision::MarkDone,
                    _ => Decision::Skip { reason },
                },
            }),
            1 => Just(resumed()),
            1 => text().prop_map(|reason| Msg::Interrupted { reason }),
            1 => (0..3u8).prop_map(|n| Msg::SessionEnded {
                outcome: match n {
                    0 => SessionEnd::Completed,
                    1 => SessionEnd::Abandoned,
                    _ => SessionEnd::RolledBack,
                },
            }),
        ]
    }

    /// Where a sequence starts: fresh, or in one of the states where a
    /// transition has the most to check (a random walk seldom gets there).
    fn seeded(seed: u8) -> Session {
        let mut s = session();
        if seed == 0 {
            return s;
        }
        settle_check(&mut s);
        ok(&mut s, 3, run("dump"));
        match seed {
            // dump running, with a batch in flight and a checkpoint
            1 => {
                ok(&mut s, 4, batch_started(1, None, "10"));
                ok(
                    &mut s,
                    4,
                    Msg::Checkpoint {
                        step: "dump".into(),
                        action: 0,
                        key: "upload".into(),
                        data: serde_json::json!(1),
                    },
                );
            }
            // dump in doubt after a crash
            2 => {
                ok(&mut s, 4, resumed());
            }
            // dump failed
            3 => {
                ok(&mut s, 4, finished("dump", 0, Some(1)));
            }
            // wipe at its gate, answered wrong once
            4 => {
                ok(&mut s, 4, success("dump", 0));
                ok(&mut s, 5, run("wipe"));
                ok(
                    &mut s,
                    6,
                    Msg::GateAnswered {
                        step: "wipe".into(),
                        typed: "prod".into(),
                    },
                );
            }
            // dump running
            _ => {}
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever came before, a message the engine refuses leaves the
        /// session exactly as it was, so front ends need not ask first.
        #[test]
        fn a_refused_message_leaves_the_session_as_it_was(
            seed in 0..6u8,
            msgs in prop::collection::vec(msg(), 1..40)
        ) {
            let mut s = seeded(seed);
            for (i, msg) in msgs.into_iter().enumerate() {
                let before = s.clone();
                if s.update(i as Millis + 10, msg.clone()).is_err() {
                    prop_assert!(s == before, "{msg:?} was refused but changed the session");
                }
            }
        }

        /// Folding the accepted messages again (resume) gives the session
        /// they built live, refusals left out as they are from a journal.
        #[test]
        fn the_accepted_messages_fold_to_the_live_session(
            msgs in prop::collection::vec(msg(), 1..60)
        ) {
            let mut live = session();
            let mut journal = vec![(0, Msg::SessionStarted(live.info().clone()))];
            for (i, msg) in msgs.into_iter().enumerate() {
                let at = i as Millis + 1;
                if live.update(at, msg.clone()).is_ok() {
                    journal.push((at, msg));
                }
            }
            let folded = fold(live.runbook().clone(), journal);
            prop_assert!(folded.as_ref().is_ok_and(|f| *f == live), "{folded:?}");
        }
    }
}
