//! Every key in every mode, on the view state alone: no terminal, no
//! process, no clock. Sessions are driven with messages to reach each state.

use crate::support::tui as support;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use runsheet::session::{Decision, Effect, Msg, Session, StepStatus};
use runsheet::tui::{App, Ask, Command, Focus, Jump, Mode, Search};
use support::*;

const RUNBOOK: &str = r#"---
targets:
  staging: { countdown: 10s }
  production: { protected: true }
---
# Keys

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

## Rollback

### Undo {#undo undoes=p1}

```bash
echo undo
```
"#;

const AT: i64 = T0 + 1_000;

fn fresh() -> (Session, App) {
    let s = session_of(RUNBOOK, "staging");
    let app = App::new(&s);
    (s, app)
}

fn submit_msg(msg: Msg) -> Vec<Command> {
    vec![Command::Submit(msg)]
}

fn tick(step: &str, item: usize, checked: bool) -> Msg {
    Msg::ChecklistTicked {
        step: step.into(),
        item,
        checked,
    }
}

fn check_done(app: &mut App, s: &mut Session) {
    submit(app, s, AT, tick("check", 0, true));
    submit(app, s, AT, tick("check", 1, true));
}

/// Enter on the step that just settled (kept in view): the next is selected.
fn move_on(app: &mut App, s: &mut Session, from: &str, to: &str) {
    assert_eq!(
        app.selected.as_deref(),
        Some(from),
        "a settled step stays in view"
    );
    assert!(press(app, s, AT, key(KeyCode::Enter)).is_empty());
    assert_eq!(app.selected.as_deref(), Some(to));
}

fn dump_running() -> (Session, App) {
    let (mut s, mut app) = fresh();
    check_done(&mut app, &mut s);
    submit(
        &mut app,
        &mut s,
        AT,
        Msg::RunRequested {
            step: "dump".into(),
        },
    );
    assert_eq!(app.selected.as_deref(), Some("dump"));
    (s, app)
}

fn dump_failed() -> (Session, App) {
    let (mut s, mut app) = dump_running();
    submit(&mut app, &mut s, AT + 500, finished("dump", 0, 1, 500));
    (s, app)
}

fn at_gate() -> (Session, App) {
    let (mut s, mut app) = dump_running();
    submit(&mut app, &mut s, AT + 500, finished("dump", 0, 0, 500));
    move_on(&mut app, &mut s, "dump", "wipe");
    press(&mut app, &mut s, AT + 600, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Gate { .. }), "{:?}", app.mode);
    (s, app)
}

fn at_countdown() -> (Session, App) {
    let (mut s, mut app) = at_gate();
    type_text(&mut app, &mut s, AT + 700, "production");
    press(&mut app, &mut s, AT + 700, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT + 800, finished("wipe", 0, 0, 100));
    move_on(&mut app, &mut s, "wipe", "wipe-staging");
    press(&mut app, &mut s, AT + 1_000, key(KeyCode::Enter));
    (s, app)
}

fn in_doubt() -> (Session, App) {
    let (mut s, _) = dump_running();
    ok(&mut s, AT + 2_000, resumed());
    let app = App::new(&s);
    (s, app)
}

fn status(s: &Session, step: &str) -> StepStatus {
    s.state(step)
        .map_or(StepStatus::Pending, |st| st.status.clone())
}

fn flash(app: &App) -> String {
    app.flash_at(AT).map(|f| f.text.clone()).unwrap_or_default()
}

// ---------------------------------------------------------------- Normal

#[test]
fn starts_on_the_next_step_with_the_tree_focused() {
    let (_, app) = fresh();
    assert_eq!(app.selected.as_deref(), Some("check"));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.focus, Focus::Steps);
    assert!(app.follow);
}

#[test]
fn j_k_and_arrows_move_the_selection_within_bounds() {
    let (s, mut app) = fresh();
    for (k, want) in [
        (ch('j'), "dump"),
        (key(KeyCode::Down), "wipe"),
        (ch('k'), "dump"),
        (key(KeyCode::Up), "check"),
        (ch('k'), "check"),
    ] {
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert_eq!(app.selected.as_deref(), Some(want));
    }
    for _ in 0..10 {
        app.handle_key(&s, ch('j'), AT);
    }
    assert_eq!(
        app.selected.as_deref(),
        Some("undo"),
        "rollback steps are selectable"
    );
    app.handle_key(&s, key(KeyCode::Home), AT);
    assert_eq!(app.selected.as_deref(), Some("check"));
    app.handle_key(&s, ch('j'), AT);
    app.handle_key(&s, ch('g'), AT);
    assert_eq!(app.selected.as_deref(), Some("check"));
}

#[test]
fn tab_cycles_the_focus_and_shift_tab_goes_back() {
    let (s, mut app) = fresh();
    app.handle_key(&s, key(KeyCode::Tab), AT);
    assert_eq!(app.focus, Focus::Step);
    app.handle_key(&s, key(KeyCode::Tab), AT);
    assert_eq!(app.focus, Focus::Output);
    app.handle_key(&s, key(KeyCode::Tab), AT);
    assert_eq!(app.focus, Focus::Steps);
    app.handle_key(&s, KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT), AT);
    assert_eq!(app.focus, Focus::Output);
    app.handle_key(&s, key(KeyCode::BackTab), AT);
    assert_eq!(app.focus, Focus::Step);
}

#[test]
fn j_k_scroll_the_instructions_when_they_have_the_focus() {
    let (s, mut app) = fresh();
    app.focus = Focus::Step;
    app.handle_key(&s, ch('j'), AT);
    app.handle_key(&s, key(KeyCode::Down), AT);
    assert_eq!(app.step_scroll, 2);
    app.handle_key(&s, ch('k'), AT);
    assert_eq!(app.step_scroll, 1);
    app.handle_key(&s, key(KeyCode::PageDown), AT);
    assert!(app.step_scroll > 1);
    app.handle_key(&s, ch('g'), AT);
    assert_eq!(app.step_scroll, 0);
    assert_eq!(
        app.selected.as_deref(),
        Some("check"),
        "selection unchanged"
    );
}

#[test]
fn enter_and_r_run_a_pending_step_with_actions() {
    let (mut s, mut app) = fresh();
    check_done(&mut app, &mut s);
    move_on(&mut app, &mut s, "check", "dump");
    for k in [key(KeyCode::Enter), ch('r')] {
        assert_eq!(
            app.handle_key(&s, k, AT),
            submit_msg(Msg::RunRequested {
                step: "dump".into()
            })
        );
    }
}

/// A terminal in raw mode reads a line feed as Ctrl-J (an Enter typed
/// before the screen took the terminal): it is Enter, never `j`. Other
/// Ctrl and Alt letters are chords, never the bare letter's action.
#[test]
fn ctrl_and_alt_letters_are_never_the_bare_letter() {
    let (mut s, mut app) = fresh();
    check_done(&mut app, &mut s);
    move_on(&mut app, &mut s, "check", "dump");
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let alt = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
    for k in [ctrl('j'), ctrl('m')] {
        assert_eq!(
            app.handle_key(&s, k, AT),
            submit_msg(Msg::RunRequested {
                step: "dump".into()
            }),
            "{k:?} is Enter"
        );
    }
    for k in [
        ctrl('r'),
        ctrl('s'),
        ctrl('n'),
        alt('r'),
        alt('s'),
        alt('j'),
    ] {
        assert_eq!(app.handle_key(&s, k, AT), Vec::new(), "{k:?} did something");
        assert_eq!(app.selected.as_deref(), Some("dump"), "{k:?} moved");
        assert_eq!(app.mode, Mode::Normal, "{k:?} opened a mode");
    }
}

#[test]
fn enter_on_a_checklist_or_manual_step_explains_instead_of_running() {
    let (s, mut app) = fresh();
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(flash(&app).contains("tick"), "{}", flash(&app));
    app.select("manual");
    assert!(app.handle_key(&s, ch('r'), AT).is_empty());
    assert!(flash(&app).contains("press d"), "{}", flash(&app));
}

#[test]
fn enter_on_a_running_step_says_how_to_cancel() {
    let (s, mut app) = dump_running();
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(flash(&app).contains("c cancels"));
}

#[test]
fn enter_on_a_settled_step_selects_the_next_one() {
    let (mut s, mut app) = fresh();
    check_done(&mut app, &mut s);
    app.select("check");
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert_eq!(app.selected.as_deref(), Some("dump"));
}

#[test]
fn r_retries_a_failed_step() {
    let (s, mut app) = dump_failed();
    assert_eq!(
        app.selected.as_deref(),
        Some("dump"),
        "a failed step stays selected"
    );
    assert_eq!(
        app.handle_key(&s, ch('r'), AT),
        submit_msg(Msg::RunRequested {
            step: "dump".into()
        })
    );
}

#[test]
fn enter_on_a_step_at_its_gate_reopens_the_gate() {
    let (mut s, mut app) = at_gate();
    app.mode = Mode::Normal;
    app.handle_key(&s, key(KeyCode::Enter), AT);
    assert!(matches!(app.mode, Mode::Gate { .. }));
    // and the gate still answers
    type_text(&mut app, &mut s, AT, "production");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    assert_eq!(status(&s, "wipe"), StepStatus::Running { action: 0 });
}

#[test]
fn space_and_x_tick_the_next_unticked_item() {
    let (mut s, mut app) = fresh();
    assert_eq!(
        app.handle_key(&s, ch(' '), AT),
        submit_msg(tick("check", 0, true))
    );
    press(&mut app, &mut s, AT, ch(' '));
    assert_eq!(
        app.handle_key(&s, ch('x'), AT),
        submit_msg(tick("check", 1, true))
    );
    press(&mut app, &mut s, AT, ch('x'));
    assert_eq!(status(&s, "check"), StepStatus::Done);
    app.select("manual");
    assert!(app.handle_key(&s, ch(' '), AT).is_empty());
    assert!(flash(&app).contains("no checklist"));
}

#[test]
fn digits_toggle_an_item() {
    let (mut s, mut app) = fresh();
    assert_eq!(
        app.handle_key(&s, ch('2'), AT),
        submit_msg(tick("check", 1, true))
    );
    press(&mut app, &mut s, AT, ch('2'));
    assert_eq!(
        app.handle_key(&s, ch('2'), AT),
        submit_msg(tick("check", 1, false))
    );
    assert!(app.handle_key(&s, ch('9'), AT).is_empty());
    assert!(flash(&app).contains("no item 9"));
}

#[test]
fn d_confirms_the_selected_step() {
    let (s, mut app) = fresh();
    app.select("manual");
    assert_eq!(
        app.handle_key(&s, ch('d'), AT),
        submit_msg(Msg::ConfirmedDone {
            step: "manual".into()
        })
    );
}

#[test]
fn s_opens_the_skip_reason_unless_running_or_settled() {
    let (s, mut app) = fresh();
    assert!(app.handle_key(&s, ch('s'), AT).is_empty());
    assert_eq!(
        app.mode,
        Mode::Skip {
            step: "check".into(),
            input: String::new()
        }
    );
    let (s, mut app) = dump_running();
    app.handle_key(&s, ch('s'), AT);
    assert_eq!(app.mode, Mode::Normal);
    assert!(flash(&app).contains("running"));
    app.select("check");
    app.handle_key(&s, ch('s'), AT);
    assert_eq!(app.mode, Mode::Normal);
    assert!(flash(&app).contains("already done"));
}

#[test]
fn n_opens_a_note_any_time_even_while_running() {
    let (s, mut app) = dump_running();
    assert!(app.handle_key(&s, ch('n'), AT).is_empty());
    assert_eq!(
        app.mode,
        Mode::Note {
            step: Some("dump".into()),
            input: String::new()
        }
    );
}

#[test]
fn b_offers_the_rollbacks_of_the_failed_phase() {
    let (s, mut app) = dump_failed();
    app.handle_key(&s, ch('b'), AT);
    assert_eq!(
        app.mode,
        Mode::Rollback {
            failed: "dump".into(),
            choices: vec!["undo".into()],
            selected: 0
        }
    );
    let (s, mut app) = fresh();
    app.handle_key(&s, ch('b'), AT);
    assert_eq!(app.mode, Mode::Normal);
    assert!(flash(&app).contains("nothing failed"));
}

#[test]
fn b_finds_the_failed_step_when_another_is_selected() {
    let (s, mut app) = dump_failed();
    app.select("check");
    app.handle_key(&s, ch('b'), AT);
    assert!(matches!(app.mode, Mode::Rollback { ref failed, .. } if failed == "dump"));
}

#[test]
fn c_and_ctrl_c_cancel_the_running_step() {
    let (s, mut app) = dump_running();
    app.select("check");
    for k in [ch('c'), ctrl('c')] {
        assert_eq!(
            app.handle_key(&s, k, AT),
            submit_msg(Msg::CancelRequested {
                step: "dump".into()
            })
        );
    }
}

#[test]
fn c_with_nothing_running_says_so_and_ctrl_c_quits() {
    let (s, mut app) = fresh();
    assert!(app.handle_key(&s, ch('c'), AT).is_empty());
    assert!(flash(&app).contains("Nothing is running"));
    assert_eq!(app.handle_key(&s, ctrl('c'), AT), vec![Command::Quit]);
}

#[test]
fn page_keys_scroll_the_output_and_g_follows_again() {
    let (s, mut app) = dump_running();
    app.handle_key(&s, key(KeyCode::PageUp), AT);
    assert!(!app.follow);
    let page = app.scroll;
    assert!(page > 1);
    app.handle_key(&s, ctrl('u'), AT);
    assert!(app.scroll > page && app.scroll < 2 * page);
    app.handle_key(&s, ctrl('d'), AT);
    assert_eq!(app.scroll, page);
    app.handle_key(&s, key(KeyCode::PageDown), AT);
    assert_eq!(app.scroll, 0);
    assert!(app.follow, "scrolling back to the bottom follows again");
    app.handle_key(&s, key(KeyCode::PageUp), AT);
    app.handle_key(&s, ch('G'), AT);
    assert!(app.follow && app.scroll == 0);
    app.handle_key(&s, key(KeyCode::PageUp), AT);
    app.handle_key(&s, key(KeyCode::End), AT);
    assert!(app.follow && app.scroll == 0);
}

#[test]
fn in_the_output_j_k_scroll_by_a_line_and_g_goes_to_the_top() {
    let (s, mut app) = dump_running();
    app.focus = Focus::Output;
    app.handle_key(&s, ch('k'), AT);
    assert_eq!((app.scroll, app.follow), (1, false));
    app.handle_key(&s, key(KeyCode::Up), AT);
    assert_eq!(app.scroll, 2);
    app.handle_key(&s, ch('j'), AT);
    app.handle_key(&s, key(KeyCode::Down), AT);
    assert_eq!((app.scroll, app.follow), (0, true));
    app.handle_key(&s, ch('g'), AT);
    assert_eq!((app.scroll, app.follow), (usize::MAX, false));
    app.handle_key(&s, key(KeyCode::Home), AT);
    assert!(!app.follow);
    assert_eq!(app.selected.as_deref(), Some("dump"));
}

#[test]
fn slash_opens_the_search_and_esc_clears_it() {
    let (s, mut app) = dump_running();
    app.handle_key(&s, ch('/'), AT);
    assert_eq!(
        app.mode,
        Mode::Search {
            input: String::new()
        }
    );
    app.mode = Mode::Normal;
    app.search = Some(Search {
        query: "x".into(),
        step: None,
        matches: vec![],
        current: None,
        jump: None,
    });
    app.handle_key(&s, key(KeyCode::Esc), AT);
    assert_eq!(app.search, None);
}

#[test]
fn n_and_shift_n_move_between_matches_in_the_output_only() {
    let (s, mut app) = dump_running();
    app.search = Some(Search {
        query: "x".into(),
        step: None,
        matches: vec![],
        current: None,
        jump: None,
    });
    app.focus = Focus::Output;
    app.handle_key(&s, ch('n'), AT);
    assert_eq!(app.search.as_ref().and_then(|s| s.jump), Some(Jump::Next));
    app.handle_key(&s, ch('N'), AT);
    assert_eq!(app.search.as_ref().and_then(|s| s.jump), Some(Jump::Prev));
    assert_eq!(app.mode, Mode::Normal);
    app.focus = Focus::Steps;
    app.handle_key(&s, ch('n'), AT);
    assert!(
        matches!(app.mode, Mode::Note { .. }),
        "n is a note outside the output"
    );
}

#[test]
fn question_mark_opens_help() {
    let (s, mut app) = fresh();
    app.handle_key(&s, ch('?'), AT);
    assert_eq!(app.mode, Mode::Help);
}

#[test]
fn q_quits_at_once_when_nothing_runs_and_asks_otherwise() {
    let (s, mut app) = fresh();
    assert_eq!(app.handle_key(&s, ch('q'), AT), vec![Command::Quit]);
    let (s, mut app) = dump_running();
    assert!(app.handle_key(&s, ch('q'), AT).is_empty());
    assert_eq!(app.mode, Mode::ConfirmQuit);
}

#[test]
fn key_releases_and_unbound_keys_do_nothing() {
    let (s, mut app) = fresh();
    let mut release = ch('q');
    release.kind = KeyEventKind::Release;
    assert!(app.handle_key(&s, release, AT).is_empty());
    for k in [ch('z'), key(KeyCode::F(5)), key(KeyCode::Insert), ch('0')] {
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert_eq!(app.mode, Mode::Normal);
        assert_eq!(app.selected.as_deref(), Some("check"));
    }
}

// ---------------------------------------------------------------- Help

#[test]
fn help_scrolls_and_closes_with_question_mark_esc_q_or_ctrl_c() {
    let (s, mut app) = fresh();
    for close in [ch('?'), key(KeyCode::Esc), ch('q'), ctrl('c')] {
        app.handle_key(&s, ch('?'), AT);
        app.handle_key(&s, ch('j'), AT);
        app.handle_key(&s, key(KeyCode::Down), AT);
        app.handle_key(&s, key(KeyCode::PageDown), AT);
        assert_eq!(app.help_scroll, 12);
        app.handle_key(&s, ch('k'), AT);
        app.handle_key(&s, key(KeyCode::Up), AT);
        app.handle_key(&s, key(KeyCode::PageUp), AT);
        assert_eq!(app.help_scroll, 0);
        app.handle_key(&s, ch('j'), AT);
        app.handle_key(&s, ch('g'), AT);
        assert_eq!(app.help_scroll, 0);
        for ignored in [ch('s'), key(KeyCode::Enter), ch('r')] {
            assert!(app.handle_key(&s, ignored, AT).is_empty());
            assert_eq!(app.mode, Mode::Help);
        }
        assert!(app.handle_key(&s, close, AT).is_empty());
        assert_eq!(app.mode, Mode::Normal);
    }
}

// ---------------------------------------------------------------- Gate

fn gate_input(app: &App) -> String {
    match &app.mode {
        Mode::Gate { input, .. } => input.clone(),
        other => panic!("not at the gate: {other:?}"),
    }
}

#[test]
fn gate_typing_edits_the_input_and_q_is_just_a_letter() {
    let (s, mut app) = at_gate();
    for c in "pqr?".chars() {
        assert!(app.handle_key(&s, ch(c), AT).is_empty());
    }
    assert_eq!(gate_input(&app), "pqr?");
    app.handle_key(&s, key(KeyCode::Backspace), AT);
    assert_eq!(gate_input(&app), "pqr");
    app.handle_key(&s, ctrl('u'), AT);
    assert_eq!(gate_input(&app), "");
    app.handle_paste("prod\nuction");
    assert_eq!(gate_input(&app), "production");
}

#[test]
fn gate_enter_with_nothing_typed_asks_again() {
    let (s, mut app) = at_gate();
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(matches!(app.mode, Mode::Gate { .. }));
    assert!(
        app.hint
            .as_deref()
            .is_some_and(|h| h.contains("production"))
    );
}

#[test]
fn gate_wrong_name_is_submitted_and_the_gate_stays() {
    let (mut s, mut app) = at_gate();
    type_text(&mut app, &mut s, AT, "prod");
    let commands = app.handle_key(&s, key(KeyCode::Enter), AT);
    assert_eq!(
        commands,
        submit_msg(Msg::GateAnswered {
            step: "wipe".into(),
            typed: "prod".into()
        })
    );
    // The engine says the name is wrong (an effect), and the gate stays.
    assert!(run_commands(&mut app, &mut s, commands, AT).is_empty());
    assert_eq!(status(&s, "wipe"), StepStatus::AwaitingGate);
    assert_eq!(gate_input(&app), "");
    assert!(
        app.hint
            .as_deref()
            .is_some_and(|h| h.contains("not production"))
    );
}

#[test]
fn gate_right_name_runs_it() {
    let (mut s, mut app) = at_gate();
    type_text(&mut app, &mut s, AT, "production");
    let commands = app.handle_key(&s, key(KeyCode::Enter), AT);
    assert_eq!(
        commands,
        submit_msg(Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into()
        })
    );
    assert_eq!(app.mode, Mode::Normal);
    run_commands(&mut app, &mut s, commands, AT);
    assert_eq!(status(&s, "wipe"), StepStatus::Running { action: 0 });
}

#[test]
fn gate_esc_and_ctrl_c_refuse() {
    for k in [key(KeyCode::Esc), ctrl('c')] {
        let (mut s, mut app) = at_gate();
        let commands = app.handle_key(&s, k, AT);
        assert_eq!(
            commands,
            submit_msg(Msg::GateRefused {
                step: "wipe".into()
            })
        );
        assert_eq!(app.mode, Mode::Normal);
        run_commands(&mut app, &mut s, commands, AT);
        assert_eq!(status(&s, "wipe"), StepStatus::Pending);
    }
}

// ---------------------------------------------------------------- Skip

#[test]
fn skip_needs_a_reason() {
    let (mut s, mut app) = fresh();
    press(&mut app, &mut s, AT, ch('s'));
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(matches!(app.mode, Mode::Skip { .. }));
    assert!(app.hint.as_deref().is_some_and(|h| h.contains("reason")));
    type_text(&mut app, &mut s, AT, "  ");
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(matches!(app.mode, Mode::Skip { .. }));
}

#[test]
fn skip_edits_and_submits_the_trimmed_reason() {
    let (mut s, mut app) = fresh();
    press(&mut app, &mut s, AT, ch('s'));
    type_text(&mut app, &mut s, AT, "wrong");
    press(&mut app, &mut s, AT, ctrl('u'));
    type_text(&mut app, &mut s, AT, "déjà fait ✔x");
    press(&mut app, &mut s, AT, key(KeyCode::Backspace));
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT),
        submit_msg(Msg::Skipped {
            step: "check".into(),
            reason: "déjà fait ✔".into()
        })
    );
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn skip_esc_and_ctrl_c_cancel_without_a_message() {
    for k in [key(KeyCode::Esc), ctrl('c')] {
        let (mut s, mut app) = fresh();
        press(&mut app, &mut s, AT, ch('s'));
        type_text(&mut app, &mut s, AT, "because");
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert_eq!(app.mode, Mode::Normal);
    }
}

// ---------------------------------------------------------------- Note

#[test]
fn note_submits_text_on_the_selected_step() {
    let (mut s, mut app) = dump_running();
    press(&mut app, &mut s, AT, ch('n'));
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(app.hint.is_some(), "an empty note is refused in place");
    type_text(&mut app, &mut s, AT, "DBA paged");
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT),
        submit_msg(Msg::Note {
            step: Some("dump".into()),
            text: "DBA paged".into()
        })
    );
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, &mut s, AT, ch('n'));
    assert!(app.handle_key(&s, key(KeyCode::Esc), AT).is_empty());
    assert_eq!(app.mode, Mode::Normal);
}

// ---------------------------------------------------------------- Search

#[test]
fn search_enter_sets_the_query_and_focuses_the_output() {
    let (mut s, mut app) = dump_running();
    press(&mut app, &mut s, AT, ch('/'));
    type_text(&mut app, &mut s, AT, "errx");
    press(&mut app, &mut s, AT, key(KeyCode::Backspace));
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.focus, Focus::Output);
    let search = app.search.clone();
    assert_eq!(search.as_ref().map(|s| s.query.as_str()), Some("err"));
    assert_eq!(search.and_then(|s| s.jump), Some(Jump::Last));
}

#[test]
fn search_empty_enter_clears_and_esc_keeps_the_old_search() {
    let (mut s, mut app) = dump_running();
    press(&mut app, &mut s, AT, ch('/'));
    type_text(&mut app, &mut s, AT, "err");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    press(&mut app, &mut s, AT, ch('/'));
    type_text(&mut app, &mut s, AT, "other");
    press(&mut app, &mut s, AT, key(KeyCode::Esc));
    assert_eq!(app.search.as_ref().map(|s| s.query.as_str()), Some("err"));
    press(&mut app, &mut s, AT, ch('/'));
    press(&mut app, &mut s, AT, ctrl('u'));
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    assert_eq!(app.search, None);
}

// ---------------------------------------------------------------- ConfirmQuit

#[test]
fn confirm_quit_y_quits_anything_else_stays() {
    for (k, quits) in [
        (ch('y'), true),
        (ch('Y'), true),
        (ctrl('c'), true),
        (ch('n'), false),
        (key(KeyCode::Esc), false),
        (ch('q'), false),
    ] {
        let (s, mut app) = dump_running();
        app.handle_key(&s, ch('q'), AT);
        let commands = app.handle_key(&s, k, AT);
        assert_eq!(commands == vec![Command::Quit], quits, "{k:?}");
        assert_eq!(app.mode, Mode::Normal);
    }
}

// ---------------------------------------------------------------- Rollback

const TWO_ROLLBACKS: &str = "# R\n\n## Deploy {#deploy}\n\n### Go {#go}\n\n```bash\nexit 1\n```\n\n## Rollback\n\n### First {#first undoes=deploy}\n\n```bash\necho 1\n```\n\n### Second {#second undoes=deploy}\n\n```bash\necho 2\n```\n";

fn rollback_open() -> (Session, App) {
    let mut s = session_of(TWO_ROLLBACKS, "staging");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT, finished("go", 0, 1, 10));
    press(&mut app, &mut s, AT, ch('b'));
    (s, app)
}

fn rollback_selected(app: &App) -> usize {
    match &app.mode {
        Mode::Rollback { selected, .. } => *selected,
        other => panic!("not choosing a rollback: {other:?}"),
    }
}

#[test]
fn rollback_choice_moves_with_j_k_arrows_and_digits() {
    let (s, mut app) = rollback_open();
    assert_eq!(rollback_selected(&app), 0);
    app.handle_key(&s, ch('j'), AT);
    assert_eq!(rollback_selected(&app), 1);
    app.handle_key(&s, key(KeyCode::Down), AT);
    assert_eq!(rollback_selected(&app), 1, "stops at the last");
    app.handle_key(&s, ch('k'), AT);
    app.handle_key(&s, key(KeyCode::Up), AT);
    assert_eq!(rollback_selected(&app), 0);
    app.handle_key(&s, ch('2'), AT);
    assert_eq!(rollback_selected(&app), 1);
    app.handle_key(&s, ch('7'), AT);
    assert_eq!(rollback_selected(&app), 1);
    assert!(app.handle_key(&s, ch('x'), AT).is_empty());
}

#[test]
fn rollback_enter_turns_to_it_and_selects_it() {
    let (mut s, mut app) = rollback_open();
    app.handle_key(&s, ch('j'), AT);
    let commands = app.handle_key(&s, key(KeyCode::Enter), AT);
    assert_eq!(
        commands,
        submit_msg(Msg::RollbackRequested {
            failed: "go".into(),
            rollback: "second".into()
        })
    );
    assert_eq!(app.selected.as_deref(), Some("second"));
    assert_eq!(app.mode, Mode::Normal);
    run_commands(&mut app, &mut s, commands, AT);
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT),
        submit_msg(Msg::RunRequested {
            step: "second".into()
        })
    );
}

#[test]
fn rollback_esc_q_and_ctrl_c_go_back() {
    for k in [key(KeyCode::Esc), ch('q'), ctrl('c')] {
        let (s, mut app) = rollback_open();
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert_eq!(app.mode, Mode::Normal);
    }
}

// ---------------------------------------------------------------- InDoubt

#[test]
fn in_doubt_opens_by_itself_on_resume() {
    let (_, app) = in_doubt();
    assert_eq!(
        app.mode,
        Mode::InDoubt {
            step: "dump".into()
        }
    );
    assert_eq!(app.selected.as_deref(), Some("dump"));
}

#[test]
fn in_doubt_r_reruns_and_d_marks_done() {
    let (s, mut app) = in_doubt();
    assert_eq!(
        app.handle_key(&s, ch('r'), AT),
        submit_msg(Msg::InDoubtResolved {
            step: "dump".into(),
            decision: Decision::Rerun
        })
    );
    let (mut s, mut app) = in_doubt();
    let commands = app.handle_key(&s, ch('d'), AT);
    assert_eq!(
        commands,
        submit_msg(Msg::InDoubtResolved {
            step: "dump".into(),
            decision: Decision::MarkDone
        })
    );
    run_commands(&mut app, &mut s, commands, AT);
    assert_eq!(status(&s, "dump"), StepStatus::Done);
    assert_eq!(app.mode, Mode::Normal);
    move_on(&mut app, &mut s, "dump", "wipe");
}

#[test]
fn in_doubt_s_skips_with_a_reason_through_the_in_doubt_decision() {
    let (mut s, mut app) = in_doubt();
    press(&mut app, &mut s, AT, ch('s'));
    assert!(matches!(app.mode, Mode::Skip { .. }));
    type_text(&mut app, &mut s, AT, "done by hand");
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT),
        submit_msg(Msg::InDoubtResolved {
            step: "dump".into(),
            decision: Decision::Skip {
                reason: "done by hand".into()
            }
        })
    );
}

#[test]
fn in_doubt_comes_back_after_a_note_help_or_an_abandoned_skip() {
    let (mut s, mut app) = in_doubt();
    press(&mut app, &mut s, AT, ch('n'));
    assert!(matches!(app.mode, Mode::Note { .. }));
    press(&mut app, &mut s, AT, key(KeyCode::Esc));
    app.reconcile(&s);
    assert!(matches!(app.mode, Mode::InDoubt { .. }));
    press(&mut app, &mut s, AT, ch('?'));
    assert_eq!(app.mode, Mode::Help);
    press(&mut app, &mut s, AT, key(KeyCode::Esc));
    app.reconcile(&s);
    assert!(matches!(app.mode, Mode::InDoubt { .. }));
    press(&mut app, &mut s, AT, ch('s'));
    press(&mut app, &mut s, AT, key(KeyCode::Esc));
    app.reconcile(&s);
    assert!(matches!(app.mode, Mode::InDoubt { .. }));
}

#[test]
fn in_doubt_q_and_ctrl_c_quit_and_other_keys_wait() {
    for k in [ch('q'), ctrl('c')] {
        let (s, mut app) = in_doubt();
        assert_eq!(app.handle_key(&s, k, AT), vec![Command::Quit]);
    }
    let (s, mut app) = in_doubt();
    for k in [ch('j'), key(KeyCode::Enter), ch('x'), ch('c')] {
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert_eq!(
            app.mode,
            Mode::InDoubt {
                step: "dump".into()
            }
        );
    }
}

// ---------------------------------------------------------------- Countdown

#[test]
fn countdown_starts_from_the_effect_with_its_end_time() {
    let (_, app) = at_countdown();
    assert_eq!(
        app.mode,
        Mode::Countdown {
            step: "wipe-staging".into(),
            ends_at_ms: AT + 1_000 + 10_000
        }
    );
}

#[test]
fn countdown_esc_c_and_ctrl_c_cancel() {
    for k in [key(KeyCode::Esc), ch('c'), ctrl('c')] {
        let (mut s, mut app) = at_countdown();
        let commands = app.handle_key(&s, k, AT);
        assert_eq!(
            commands,
            submit_msg(Msg::CountdownCancelled {
                step: "wipe-staging".into()
            })
        );
        run_commands(&mut app, &mut s, commands, AT);
        assert_eq!(status(&s, "wipe-staging"), StepStatus::Pending);
        assert_eq!(app.mode, Mode::Normal);
        let said = app.flash_at(AT).map(|f| f.text.clone()).unwrap_or_default();
        assert_eq!(said, "Countdown cancelled: “Wipe staging” did not run.");
    }
}

/// A second Enter (pressed in a hurry after the one that started the
/// countdown) must not cancel it silently: it says what does.
#[test]
fn countdown_enter_does_not_cancel_and_says_what_does() {
    let (s, mut app) = at_countdown();
    assert!(app.handle_key(&s, key(KeyCode::Enter), AT).is_empty());
    assert!(matches!(app.mode, Mode::Countdown { .. }));
    assert_eq!(status(&s, "wipe-staging"), StepStatus::Countdown);
    assert!(flash(&app).contains("Esc or c cancels"), "{}", flash(&app));
}

#[test]
fn countdown_ignores_other_keys_and_elapses_on_tick() {
    let (mut s, mut app) = at_countdown();
    for k in [ch('q'), ch('j'), ch('s'), ch('?')] {
        assert!(app.handle_key(&s, k, AT).is_empty());
        assert!(matches!(app.mode, Mode::Countdown { .. }));
    }
    assert!(app.tick(&s, AT + 10_999).is_empty());
    let commands = app.tick(&s, AT + 11_000);
    assert_eq!(
        commands,
        submit_msg(Msg::CountdownElapsed {
            step: "wipe-staging".into()
        })
    );
    run_commands(&mut app, &mut s, commands, AT + 11_000);
    assert_eq!(
        status(&s, "wipe-staging"),
        StepStatus::Running { action: 0 }
    );
}

// ---------------------------------------------------------------- Prompt

fn asks() -> Vec<Ask> {
    vec![
        Ask {
            name: "RELEASE".into(),
            secret: false,
        },
        Ask {
            name: "TOKEN".into(),
            secret: true,
        },
    ]
}

#[test]
fn prompts_ask_each_variable_in_turn() {
    let (mut s, mut app) = fresh();
    app.ask_variables(asks());
    type_text(&mut app, &mut s, AT, "2.4.x");
    press(&mut app, &mut s, AT, key(KeyCode::Backspace));
    type_text(&mut app, &mut s, AT, "1");
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT),
        vec![Command::Variable {
            name: "RELEASE".into(),
            value: "2.4.1".into()
        }]
    );
    assert!(matches!(app.mode, Mode::Prompt { ref name, secret: true, .. } if name == "TOKEN"));
    type_text(&mut app, &mut s, AT, "oops");
    press(&mut app, &mut s, AT, ctrl('u'));
    type_text(&mut app, &mut s, AT, "s3cr3t");
    assert!(
        !format!("{:?}", app.mode).contains("s3cr3t"),
        "secrets stay out of Debug"
    );
    let commands = app.handle_key(&s, key(KeyCode::Enter), AT);
    assert!(!format!("{commands:?}").contains("s3cr3t"));
    assert_eq!(
        commands,
        vec![Command::Variable {
            name: "TOKEN".into(),
            value: "s3cr3t".into()
        }]
    );
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn prompt_esc_or_ctrl_c_quits_before_anything_starts() {
    for k in [key(KeyCode::Esc), ctrl('c')] {
        let (s, mut app) = fresh();
        app.ask_variables(asks());
        assert_eq!(app.handle_key(&s, k, AT), vec![Command::Quit]);
    }
}

// ---------------------------------------------------------------- Effects

#[test]
fn a_long_step_rings_and_flashes_when_it_ends() {
    let (mut s, mut app) = dump_running();
    let commands = submit(
        &mut app,
        &mut s,
        AT + 45_000,
        finished("dump", 0, 0, 45_000),
    );
    assert_eq!(commands, vec![Command::Bell]);
    let f = app
        .flash_at(AT + 45_000)
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(f.contains("Dump done after 45s"), "{f}");
    assert!(app.flash_at(AT + 60_000).is_none(), "the flash runs out");
    let (mut s, mut app) = dump_running();
    assert!(submit(&mut app, &mut s, AT + 2_000, finished("dump", 0, 0, 2_000)).is_empty());
}

#[test]
fn a_refusal_is_flashed() {
    let (mut s, mut app) = fresh();
    app.select("manual");
    press(&mut app, &mut s, AT, ch('d'));
    assert!(flash(&app).contains("comes after"), "{}", flash(&app));
    assert!(app.flash_at(AT).is_some_and(|f| f.alert));
}

#[test]
fn flow_complete_is_flashed() {
    let (s, mut app) = fresh();
    app.on_effect(&s, &Effect::FlowComplete, AT);
    assert!(flash(&app).contains("Every step"));
}

#[test]
fn a_stale_gate_closes_when_the_session_moved_on() {
    let (mut s, mut app) = at_gate();
    ok(
        &mut s,
        AT,
        Msg::GateRefused {
            step: "wipe".into(),
        },
    );
    app.reconcile(&s);
    assert_eq!(app.mode, Mode::Normal);
}
