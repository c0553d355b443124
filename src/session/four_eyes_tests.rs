//! Four-eyes: a gate that needs approvals opens only with the name typed
//! and enough approvals from roles other than the one that asked.

use super::tests::{resumed, session_of};
use super::*;

const RUNBOOK: &str = r#"---
targets:
  production: { protected: true, approvals: 1 }
  staging: {}
---
# Restore

## Restore {#restore}

### Wipe {#wipe}

```bash {target=production}
rm -rf /srv/data
```

### Flip on staging {#flip approvals=2}

```bash {target=staging}
echo flip
```

### Look {#look}

```bash {target=staging}
echo look
```
"#;

fn ok(s: &mut Session, at: Millis, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(effects) => effects[1..].to_vec(),
        Err(r) => panic!("{msg:?} was rejected: {r}"),
    }
}

fn refused(s: &mut Session, msg: Msg) -> String {
    match s.update(9, msg.clone()) {
        Ok(e) => panic!("{msg:?} was accepted: {e:?}"),
        Err(r) => r.0,
    }
}

fn session() -> Session {
    session_of("r.md", RUNBOOK, "production")
}

fn at_gate(s: &mut Session, step: &str) -> Gate {
    let effects = ok(s, 1, Msg::RunRequested { step: step.into() });
    match effects.as_slice() {
        [Effect::ShowGate(g)] => g.clone(),
        other => panic!("no gate for {step}: {other:?}"),
    }
}

fn asked(s: &mut Session, step: &str, request: i64) {
    ok(
        s,
        2,
        Msg::ApprovalRequested {
            step: step.into(),
            request,
            requested_by: "alice".into(),
            needed: 1,
        },
    );
}

fn approve(step: &str, request: i64, who: &str) -> Msg {
    Msg::Approved {
        step: step.into(),
        request,
        approver: who.into(),
        reason: "looked at it".into(),
    }
}

fn typed(step: &str, name: &str) -> Msg {
    Msg::GateAnswered {
        step: step.into(),
        typed: name.into(),
    }
}

fn skip(s: &mut Session, step: &str) {
    ok(
        s,
        1,
        Msg::Skipped {
            step: step.into(),
            reason: "not today".into(),
        },
    );
}

fn runs(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::RunAction { action: 0, .. }))
}

#[test]
fn the_typed_name_alone_does_not_open_a_gate_that_needs_an_approval() {
    let mut s = session();
    let gate = at_gate(&mut s, "wipe");
    assert_eq!(gate.approvals, 1);
    asked(&mut s, "wipe", 7);
    let effects = ok(&mut s, 3, typed("wipe", "production"));
    assert_eq!(
        effects,
        vec![Effect::AwaitingApprovals {
            step: "wipe".into(),
            missing: 1
        }]
    );
    assert_eq!(
        s.state("wipe").map(|st| &st.status),
        Some(&StepStatus::AwaitingGate)
    );
    let effects = ok(&mut s, 4, approve("wipe", 7, "bob"));
    assert!(runs(&effects), "{effects:?}");
}

#[test]
fn an_approval_before_the_name_opens_the_gate_when_the_name_is_typed() {
    let mut s = session();
    at_gate(&mut s, "wipe");
    asked(&mut s, "wipe", 7);
    let effects = ok(&mut s, 3, approve("wipe", 7, "bob"));
    assert!(!runs(&effects), "the name is not typed yet: {effects:?}");
    let effects = ok(&mut s, 4, typed("wipe", "production"));
    assert!(runs(&effects), "{effects:?}");
}

#[test]
fn the_role_that_asked_can_never_approve_and_nobody_counts_twice() {
    let mut s = session();
    skip(&mut s, "wipe");
    at_gate(&mut s, "flip");
    asked(&mut s, "flip", 3);
    let why = refused(&mut s, approve("flip", 3, "alice"));
    assert!(why.contains("cannot give it"), "{why}");
    ok(&mut s, 4, approve("flip", 3, "bob"));
    let why = refused(&mut s, approve("flip", 3, "bob"));
    assert!(why.contains("counts once"), "{why}");
    let effects = ok(&mut s, 5, typed("flip", "staging"));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::AwaitingApprovals { missing: 1, .. }]
        ),
        "{effects:?}"
    );
    let effects = ok(&mut s, 6, approve("flip", 3, "carol"));
    assert!(runs(&effects), "{effects:?}");
}

#[test]
fn an_approval_of_another_request_does_not_count() {
    let mut s = session();
    at_gate(&mut s, "wipe");
    asked(&mut s, "wipe", 7);
    let why = refused(&mut s, approve("wipe", 6, "bob"));
    assert!(why.contains("not the one"), "{why}");
    // Refused and shown again: the old request is dead.
    ok(
        &mut s,
        3,
        Msg::GateRefused {
            step: "wipe".into(),
        },
    );
    at_gate(&mut s, "wipe");
    let why = refused(&mut s, approve("wipe", 7, "bob"));
    assert!(why.contains("not the one"), "{why}");
}

#[test]
fn a_denial_closes_the_gate() {
    let mut s = session();
    at_gate(&mut s, "wipe");
    asked(&mut s, "wipe", 7);
    ok(&mut s, 3, typed("wipe", "production"));
    let effects = ok(
        &mut s,
        4,
        Msg::Denied {
            step: "wipe".into(),
            request: 7,
            approver: "bob".into(),
            reason: "no backup yet".into(),
        },
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ApprovalAnswered { approve: false, .. }]
        ),
        "{effects:?}"
    );
    assert_eq!(
        s.state("wipe").map(|st| &st.status),
        Some(&StepStatus::Pending)
    );
    let why = refused(&mut s, approve("wipe", 7, "carol"));
    assert!(why.contains("no gate"), "{why}");
}

#[test]
fn a_step_that_asks_for_approvals_is_gated_on_an_unprotected_target() {
    let mut s = session();
    skip(&mut s, "wipe");
    let gate = at_gate(&mut s, "flip");
    assert_eq!((gate.target.as_str(), gate.approvals), ("staging", 2));
    // Nothing asks it of `look`: it runs at once.
    ok(
        &mut s,
        2,
        Msg::GateRefused {
            step: "flip".into(),
        },
    );
    skip(&mut s, "flip");
    let effects = ok(
        &mut s,
        1,
        Msg::RunRequested {
            step: "look".into(),
        },
    );
    assert!(runs(&effects), "{effects:?}");
}

#[test]
fn a_resume_asks_again() {
    let mut s = session();
    at_gate(&mut s, "wipe");
    asked(&mut s, "wipe", 7);
    ok(&mut s, 3, approve("wipe", 7, "bob"));
    ok(&mut s, 4, resumed());
    at_gate(&mut s, "wipe");
    let effects = ok(&mut s, 5, typed("wipe", "production"));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::AwaitingApprovals { missing: 1, .. }]
        ),
        "the approval of the gate before the stop does not count: {effects:?}"
    );
}

#[test]
fn a_sandbox_session_asks_no_approval() {
    let parsed = crate::runbook::parse("r.md", RUNBOOK);
    let mut info = SessionInfo::sample("r.md", RUNBOOK, "production");
    info.sandbox = true;
    let mut s = Session::new(std::sync::Arc::new(parsed.runbook), info, 0);
    let gate = at_gate(&mut s, "wipe");
    assert_eq!(gate.approvals, 0);
    let effects = ok(&mut s, 3, typed("wipe", "production"));
    assert!(runs(&effects), "{effects:?}");
}

#[test]
fn a_changed_runbook_does_not_lower_the_approvals() {
    let info = SessionInfo {
        targets: protection::settings_of(&crate::runbook::parse("r.md", RUNBOOK).runbook),
        ..SessionInfo::sample("r.md", RUNBOOK, "production")
    };
    let looser = RUNBOOK
        .replace("approvals: 1", "approvals: 0")
        .replace(" approvals=2", "");
    let current = crate::runbook::parse("r.md", &looser).runbook;
    let (rb, kept) = protection::fixed(&info, &[], current);
    assert_eq!(rb.target("production").map(|t| t.approvals), Some(1));
    let flip = rb
        .steps()
        .find(|(_, s)| s.id == "flip")
        .map(|(_, s)| s.approvals);
    assert_eq!(flip, Some(Some(2)));
    assert_eq!(kept.len(), 2, "{kept:?}");
}
