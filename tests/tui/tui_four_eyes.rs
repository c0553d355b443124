//! The gate of a target with `approvals: 1`: the name typed, it stays up
//! and says it waits for another person; an approval shows who and why,
//! and the step starts; a denial closes it. TestBackend at 80x30.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use runsheet::session::{Effect, Msg, StepStatus};
use runsheet::tui::app::Mode;
use runsheet::tui::{App, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = "---\ntargets:\n  production: { protected: true, approvals: 1 }\n---\n# Restore\n\n## P\n\n### Wipe the cache {#wipe}\n\n```bash\nrm -rf /var/cache/app\n```\n";

fn at_gate() -> (runsheet::session::Session, App) {
    let mut s = session_of(RUNBOOK, "production");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    press(&mut app, &mut s, T0 + 1_000, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Gate { .. }), "{:?}", app.mode);
    submit(
        &mut app,
        &mut s,
        T0 + 1_100,
        Msg::ApprovalRequested {
            step: "wipe".into(),
            request: 7,
            requested_by: "alice".into(),
            needed: 1,
        },
    );
    type_text(&mut app, &mut s, T0 + 2_000, "production");
    press(&mut app, &mut s, T0 + 2_100, key(KeyCode::Enter));
    (s, app)
}

#[test]
fn the_name_typed_the_gate_waits_for_another_person_80x30() {
    let (s, mut app) = at_gate();
    assert_eq!(
        s.state("wipe").map(|st| st.status.clone()),
        Some(StepStatus::AwaitingGate)
    );
    assert!(matches!(app.mode, Mode::Gate { .. }), "{:?}", app.mode);
    let screen = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 30),
        T0 + 2_200,
        &PLAIN,
    );
    for want in [
        "name confirmed",
        "Four-eyes: 1 approval",
        "waiting for 1 more",
    ] {
        assert!(screen.contains(want), "{want} not on the gate:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn an_approval_opens_the_gate_and_says_who() {
    let (mut s, mut app) = at_gate();
    let commands = submit(
        &mut app,
        &mut s,
        T0 + 3_000,
        Msg::Approved {
            step: "wipe".into(),
            request: 7,
            approver: "bob".into(),
            reason: "backup checked".into(),
        },
    );
    assert!(commands.is_empty(), "{commands:?}");
    assert!(matches!(
        s.state("wipe").map(|st| &st.status),
        Some(StepStatus::Running { .. })
    ));
    let screen = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 30),
        T0 + 3_100,
        &PLAIN,
    );
    assert!(
        screen.contains("approved by bob: backup checked"),
        "{screen}"
    );
}

#[test]
fn a_denial_closes_the_gate() {
    let (mut s, mut app) = at_gate();
    let effects = ok(
        &mut s,
        T0 + 3_000,
        Msg::Denied {
            step: "wipe".into(),
            request: 7,
            approver: "bob".into(),
            reason: "not in the window".into(),
        },
    );
    for e in &effects {
        app.on_effect(&s, e, T0 + 3_000);
    }
    assert!(matches!(
        effects.as_slice(),
        [Effect::ApprovalAnswered { approve: false, .. }]
    ));
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let screen = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 30),
        T0 + 3_100,
        &PLAIN,
    );
    assert!(screen.contains("denied by bob"), "{screen}");
}
