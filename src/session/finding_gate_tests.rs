//! A check's finding stops its step at a typed gate on its target.

use super::tests::{resumed, session_of};
use super::*;

const RUNBOOK: &str = r#"---
targets:
  production: { protected: true }
---
# Deploy

## Checks {#checks}

### Pending migrations {#pending}

```migrations {dir=db/migrate}
```

```bash
echo after
```

### Deploy {#deploy}

```bash
echo deploy
```

## Rollback

### Undo {#undo undoes=checks}

```bash
echo undo
```
"#;

const FOUND: &str = "1 destructive migration pending: remove_email (rails-remove-column)";

fn ok(s: &mut Session, at: Millis, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(effects) => effects[1..].to_vec(),
        Err(r) => panic!("{msg:?} was rejected: {r}"),
    }
}

fn found(step: &str, action: usize) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action,
        outcome: ActionOutcome {
            exit_code: Some(0),
            needs_approval: Some(FOUND.into()),
            ..ActionOutcome::default()
        },
    }
}

fn status(s: &Session, step: &str) -> StepStatus {
    s.state(step)
        .map_or(StepStatus::Pending, |x| x.status.clone())
}

fn at_the_gate() -> Session {
    let mut s = session_of("r.md", RUNBOOK, "production");
    let e = ok(
        &mut s,
        1,
        Msg::RunRequested {
            step: "pending".into(),
        },
    );
    assert!(
        matches!(e.as_slice(), [Effect::RunAction { action: 0, .. }]),
        "{e:?}"
    );
    let e = ok(&mut s, 2, found("pending", 0));
    let [Effect::ShowGate(gate)] = e.as_slice() else {
        panic!("no gate: {e:?}");
    };
    assert_eq!(gate.target, "production");
    assert_eq!(gate.finding.as_deref(), Some(FOUND));
    assert_eq!(gate.reasons[0].why, FOUND);
    assert_eq!(status(&s, "pending"), StepStatus::AwaitingGate);
    assert_eq!(s.gate("pending"), Some(gate.clone()));
    s
}

#[test]
fn a_finding_stops_at_a_gate_not_a_failure_and_the_right_name_goes_on() {
    let mut s = at_the_gate();
    // Not a failure: no rollback on offer.
    assert!(
        s.update(
            3,
            Msg::RollbackRequested {
                failed: "pending".into(),
                rollback: "undo".into()
            }
        )
        .is_err()
    );
    let e = ok(
        &mut s,
        4,
        Msg::GateAnswered {
            step: "pending".into(),
            typed: "staging".into(),
        },
    );
    assert!(
        matches!(e.as_slice(), [Effect::GateMistyped { .. }]),
        "{e:?}"
    );
    assert_eq!(status(&s, "pending"), StepStatus::AwaitingGate);
    // The right name: the step goes on after the check, not from its start.
    let e = ok(
        &mut s,
        5,
        Msg::GateAnswered {
            step: "pending".into(),
            typed: " production ".into(),
        },
    );
    assert!(
        matches!(e.as_slice(), [Effect::RunAction { action: 1, .. }]),
        "{e:?}"
    );
    assert_eq!(
        s.state("pending").map(|x| x.approved.clone()),
        Some(vec![FOUND.to_string()])
    );
    assert_eq!(s.gate("pending"), None);
}

#[test]
fn a_refused_finding_runs_the_check_again_and_a_resume_comes_back_to_it() {
    let mut s = at_the_gate();
    ok(
        &mut s,
        3,
        Msg::GateRefused {
            step: "pending".into(),
        },
    );
    assert_eq!(status(&s, "pending"), StepStatus::Pending);
    assert_eq!(s.gate("pending"), None);
    // The next step waits for it.
    assert!(
        s.update(
            4,
            Msg::RunRequested {
                step: "deploy".into()
            }
        )
        .is_err()
    );
    // Asked again, the check runs again: an old finding is no answer.
    let e = ok(
        &mut s,
        5,
        Msg::RunRequested {
            step: "pending".into(),
        },
    );
    assert!(
        matches!(e.as_slice(), [Effect::RunAction { action: 0, .. }]),
        "{e:?}"
    );
    ok(&mut s, 6, found("pending", 0));
    ok(&mut s, 7, resumed());
    assert_eq!(status(&s, "pending"), StepStatus::Pending);
    assert_eq!(s.next_step(), Some("pending"));
}
