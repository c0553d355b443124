//! An offer of alternatives in the full-screen UI: asked in a modal when
//! the flow reaches it, a letter picks an option whose steps then run as
//! the flow's, n picks none, Esc closes it to look and o asks again.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use runsheet::session::{Msg, Standing};
use runsheet::tui::{App, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = "# Restore the orders database\n\n## 1. Prepare {#prep}\n\n\
### Stop the application {#stop}\n\n```bash\necho stop\n```\n\n\
### Option A: restore from the nightly snapshot {#snap}\n\nFast, loses up to a day.\n\n```bash\necho a\n```\n\n\
### Option B: rebuild from the WAL archive {#wal}\n\nSlower, loses nothing.\n\n```bash\necho b\n```\n\n\
### Start the application {#start}\n\n```bash\necho start\n```\n";

#[test]
fn the_offer_is_asked_when_reached_and_b_runs_only_option_b() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    submit(
        &mut app,
        &mut s,
        T0,
        Msg::RunRequested {
            step: "stop".into(),
        },
    );
    submit(&mut app, &mut s, T0 + 1_000, finished("stop", 0, 0, 900));
    let shown = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 24),
        T0 + 2_000,
        &PLAIN,
    );
    assert!(
        shown.contains("At “Stop the application”: 2 options"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
    // Esc closes it to look around; o asks again.
    press(&mut app, &mut s, T0 + 3_000, key(KeyCode::Esc));
    let closed = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 24),
        T0 + 3_000,
        &PLAIN,
    );
    assert!(!closed.contains("2 options"), "{closed}");
    press(&mut app, &mut s, T0 + 4_000, ch('o'));
    let again = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 24),
        T0 + 4_000,
        &PLAIN,
    );
    assert!(again.contains("2 options"), "{again}");
    press(&mut app, &mut s, T0 + 5_000, ch('b'));
    assert_eq!(
        s.chosen("snap").and_then(|c| c.option.as_deref()),
        Some("wal")
    );
    assert_eq!(s.standing("snap"), Some(Standing::NotChosen));
    // The chosen option is the next step, selected; Enter runs it.
    assert_eq!(app.selected.as_deref(), Some("wal"));
    let commands = app.handle_key(&s, key(KeyCode::Enter), T0 + 6_000);
    assert_eq!(
        commands,
        vec![runsheet::tui::Command::Submit(Msg::RunRequested {
            step: "wal".into()
        })]
    );
}

#[test]
fn n_takes_none_and_the_flow_goes_on() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    submit(
        &mut app,
        &mut s,
        T0,
        Msg::RunRequested {
            step: "stop".into(),
        },
    );
    submit(&mut app, &mut s, T0 + 1_000, finished("stop", 0, 0, 900));
    screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (80, 24),
        T0 + 2_000,
        &PLAIN,
    );
    press(&mut app, &mut s, T0 + 3_000, ch('n'));
    assert_eq!(s.chosen("snap").map(|c| c.option.clone()), Some(None));
    assert_eq!(s.next_step(), Some("start"));
    assert_eq!(app.selected.as_deref(), Some("start"));
}

#[test]
fn the_step_pane_says_what_an_option_is_before_and_after_the_choice() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    app.selected = Some("snap".into());
    let before = screen(&s, &mut app, &mut Outputs::new(), (120, 40), T0, &PLAIN);
    assert!(
        before.contains("Option A of 2 at “Stop the application”: runs only if chosen"),
        "{before}"
    );
    submit(
        &mut app,
        &mut s,
        T0,
        Msg::RunRequested {
            step: "stop".into(),
        },
    );
    submit(&mut app, &mut s, T0 + 1_000, finished("stop", 0, 0, 900));
    press(&mut app, &mut s, T0 + 2_000, ch('b'));
    app.selected = Some("snap".into());
    let after = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (120, 40),
        T0 + 2_000,
        &PLAIN,
    );
    assert!(after.contains("not chosen, it does not run"), "{after}");
}
