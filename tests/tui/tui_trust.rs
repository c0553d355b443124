//! Issue 15, "trust in the window", on the view state and the drawn frame:
//! a finished step stays in view, Ctrl-C on a protected target asks first,
//! the in-doubt question lets you look, every action says so, and the
//! footer keeps the keys that matter first.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use runsheet::session::{Decision, Msg, Session, StepStatus};
use runsheet::tui::keys;
use runsheet::tui::{App, Command, Focus, Mode, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };
const AT: i64 = T0 + 1_000;

const RUNBOOK: &str = r#"---
targets:
  staging: { countdown: 5s }
  production: { protected: true }
---
# Trust

## Phase {#p}

### Say hello {#hello}

```bash
echo hello
```

### Restore the orders table {#restore}

```bash {target=production}
pg_dump --table=orders app | wc -c
```

### Look on staging {#look}

```bash {target=staging}
sleep 5
```

### Last by hand {#last}

Do it by hand.
"#;

fn fresh(target: &str) -> (Session, App) {
    let s = session_of(RUNBOOK, target);
    let app = App::new(&s);
    (s, app)
}

fn run(app: &mut App, s: &mut Session, step: &str) {
    submit(app, s, AT, Msg::RunRequested { step: step.into() });
}

fn flash(app: &App) -> String {
    app.flash_at(AT).map(|f| f.text.clone()).unwrap_or_default()
}

fn footer(s: &Session, app: &mut App, size: (u16, u16)) -> String {
    let screen = screen(s, app, &mut Outputs::new(), size, AT, &PLAIN);
    screen
        .lines()
        .nth(usize::from(size.1) - 1)
        .unwrap_or_default()
        .to_string()
}

// ------------------------------------------------------- 1: stays in view

#[test]
fn a_finished_step_stays_selected_with_its_mark_time_and_output() {
    let (mut s, mut app) = fresh("production");
    run(&mut app, &mut s, "hello");
    submit(
        &mut app,
        &mut s,
        AT + 10,
        output("hello", "hello-from-the-step\n"),
    );
    submit(&mut app, &mut s, AT + 250, finished("hello", 0, 0, 240));
    assert_eq!(app.selected.as_deref(), Some("hello"));
    let shown = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (120, 40),
        AT + 300,
        &PLAIN,
    );
    assert!(shown.contains("hello-from-the-step"), "{shown}");
    assert!(shown.contains('✔'), "{shown}");
    assert!(shown.contains("Enter next step"), "{shown}");
    // Enter moves on; a second Enter runs the next step.
    press(&mut app, &mut s, AT + 400, key(KeyCode::Enter));
    assert_eq!(app.selected.as_deref(), Some("restore"));
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), AT + 500),
        vec![Command::Submit(Msg::RunRequested {
            step: "restore".into()
        })]
    );
}

#[test]
fn a_rollback_that_ran_stays_in_view() {
    const RB: &str = "# R\n\n## Deploy {#deploy}\n\n### Go {#go}\n\n```bash\nexit 1\n```\n\n## Rollback\n\n### Undo it {#undo undoes=deploy}\n\n```bash\necho undone\n```\n";
    let mut s = session_of(RB, "staging");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT, finished("go", 0, 1, 10));
    press(&mut app, &mut s, AT, ch('b'));
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT + 5, output("undo", "undone\n"));
    submit(&mut app, &mut s, AT + 20, finished("undo", 0, 0, 15));
    assert_eq!(app.selected.as_deref(), Some("undo"));
    let shown = screen(
        &s,
        &mut app,
        &mut Outputs::new(),
        (120, 40),
        AT + 30,
        &PLAIN,
    );
    assert!(shown.contains("undone"), "{shown}");
}

#[test]
fn after_a_rollback_the_footer_says_rolled_back_and_e_ends_the_session_so() {
    const RB: &str = "# R\n\n## Deploy {#deploy}\n\n### Go live {#go}\n\n```bash\nexit 1\n```\n\n## Rollback\n\n### Undo it {#undo undoes=deploy}\n\n```bash\necho undone\n```\n";
    let mut s = session_of(RB, "staging");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT, finished("go", 0, 1, 10));
    // Failed, nothing undone yet: `e` refuses and says why.
    assert!(press(&mut app, &mut s, AT, ch('e')).is_empty());
    assert!(
        flash(&app).contains("Nothing to end as rolled back"),
        "{}",
        flash(&app)
    );
    app.flash = None;
    assert!(!footer(&s, &mut app, (200, 50)).contains("rolled back"));
    press(&mut app, &mut s, AT, ch('b'));
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT + 20, finished("undo", 0, 0, 15));
    app.flash = None;
    for size in [(80, 24), (200, 50)] {
        let row = footer(&s, &mut app, size);
        assert!(row.contains("rolled back"), "{size:?}: {row}");
        assert!(row.contains("q quit"), "{size:?}: {row}");
    }
    assert!(footer(&s, &mut app, (200, 50)).contains("“Go live” undone by “Undo it”"));
    assert!(footer(&s, &mut app, (200, 50)).contains("e end, rolled back"));
    assert_eq!(
        press(&mut app, &mut s, AT + 30, ch('e')),
        vec![Command::EndRolledBack]
    );
}

#[test]
fn with_nothing_next_enter_says_so_and_the_footer_offers_no_next_step() {
    const ONE: &str = "# One\n\n## P\n\n### Only {#only}\n\n```bash\ntrue\n```\n";
    let mut s = session_of(ONE, "staging");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    submit(&mut app, &mut s, AT, finished("only", 0, 0, 5));
    assert!(!footer(&s, &mut app, (120, 40)).contains("next step"));
    assert!(press(&mut app, &mut s, AT, key(KeyCode::Enter)).is_empty());
    assert_eq!(app.selected.as_deref(), Some("only"));
    assert!(
        flash(&app).contains("Every step is done"),
        "{}",
        flash(&app)
    );
}

// ------------------------------------------------ 5: Ctrl-C asks first

fn restore_running() -> (Session, App) {
    let (mut s, mut app) = fresh("production");
    run(&mut app, &mut s, "hello");
    submit(&mut app, &mut s, AT, finished("hello", 0, 0, 5));
    run(&mut app, &mut s, "restore");
    assert_eq!(
        s.state("restore").map(|st| st.status.clone()),
        Some(StepStatus::Running { action: 0 })
    );
    (s, app)
}

fn cancel() -> Vec<Command> {
    vec![Command::Submit(Msg::CancelRequested {
        step: "restore".into(),
    })]
}

#[test]
fn ctrl_c_on_a_protected_target_asks_naming_the_step_target_and_command() {
    for k in [ctrl('c'), ch('c')] {
        let (s, mut app) = restore_running();
        assert!(
            app.handle_key(&s, k, AT).is_empty(),
            "{k:?} killed it at once"
        );
        assert_eq!(
            app.mode,
            Mode::ConfirmCancel {
                step: "restore".into()
            }
        );
        let shown = screen(&s, &mut app, &mut Outputs::new(), (120, 40), AT, &PLAIN);
        assert!(shown.contains("Stop the command?"), "{shown}");
        assert!(
            shown.contains("“Restore the orders table” is running on PRODUCTION"),
            "{shown}"
        );
        assert!(shown.contains("kills `pg_dump --table=orders"), "{shown}");
    }
}

#[test]
fn yes_or_a_second_ctrl_c_kills_it_and_any_other_key_lets_it_run() {
    for (k, kills) in [
        (ch('y'), true),
        (ctrl('c'), true),
        (ch('n'), false),
        (key(KeyCode::Esc), false),
        (key(KeyCode::Enter), false),
    ] {
        let (mut s, mut app) = restore_running();
        press(&mut app, &mut s, AT, ctrl('c'));
        let commands = app.handle_key(&s, k, AT);
        if kills {
            assert_eq!(commands, cancel(), "{k:?}");
        } else {
            assert_eq!(commands, vec![Command::KeepRunning], "{k:?}");
            assert!(flash(&app).contains("goes on running"), "{}", flash(&app));
        }
        assert_eq!(app.mode, Mode::Normal);
    }
}

#[test]
fn an_unprotected_target_is_stopped_at_once_as_before() {
    let (mut s, mut app) = fresh("staging");
    for id in ["hello", "restore"] {
        submit(
            &mut app,
            &mut s,
            AT,
            Msg::Skipped {
                step: id.into(),
                reason: "r".into(),
            },
        );
    }
    // staging counts down before a destructive step; `sleep` is not one.
    run(&mut app, &mut s, "look");
    assert_eq!(
        app.handle_key(&s, ctrl('c'), AT),
        vec![Command::Submit(Msg::CancelRequested {
            step: "look".into()
        })]
    );
}

#[test]
fn the_question_closes_when_the_command_ends_meanwhile() {
    let (mut s, mut app) = restore_running();
    press(&mut app, &mut s, AT, ctrl('c'));
    submit(&mut app, &mut s, AT + 10, finished("restore", 0, 0, 10));
    app.reconcile(&s);
    assert_eq!(app.mode, Mode::Normal);
}

// ------------------------------------------------ 7: in doubt, look first

fn in_doubt() -> (Session, App) {
    let (mut s, mut app) = fresh("staging");
    run(&mut app, &mut s, "hello");
    let many: String = (1..=200).map(|i| format!("row {i}\n")).collect();
    submit(&mut app, &mut s, AT, output("hello", &many));
    ok(&mut s, AT + 2_000, resumed());
    let app = App::new(&s);
    assert_eq!(
        app.mode,
        Mode::InDoubt {
            step: "hello".into()
        }
    );
    (s, app)
}

#[test]
fn in_doubt_the_output_scrolls_and_the_focus_moves_while_the_question_stays() {
    let (s, mut app) = in_doubt();
    let asked = app.mode.clone();
    app.handle_key(&s, key(KeyCode::PageUp), AT);
    assert!(!app.follow && app.scroll > 0, "PgUp scrolled nothing");
    assert_eq!(app.mode, asked);
    app.handle_key(&s, key(KeyCode::Tab), AT);
    app.handle_key(&s, key(KeyCode::Tab), AT);
    assert_eq!(app.focus, Focus::Output);
    let before = app.scroll;
    app.handle_key(&s, ch('k'), AT);
    assert_eq!(app.scroll, before + 1, "k on the output scrolls it");
    app.handle_key(&s, ch('G'), AT);
    assert!(app.follow);
    assert_eq!(app.mode, asked);
    assert_eq!(app.selected.as_deref(), Some("hello"));
}

#[test]
fn in_doubt_a_search_comes_back_to_the_question_and_r_d_s_still_decide() {
    let (mut s, mut app) = in_doubt();
    press(&mut app, &mut s, AT, ch('/'));
    assert!(matches!(app.mode, Mode::Search { .. }));
    type_text(&mut app, &mut s, AT, "row 17");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    app.reconcile(&s);
    assert!(matches!(app.mode, Mode::InDoubt { .. }), "{:?}", app.mode);
    assert_eq!(
        app.search.as_ref().map(|q| q.query.as_str()),
        Some("row 17")
    );
    // n is the next match while searching the output, not a note.
    press(&mut app, &mut s, AT, ch('n'));
    assert!(matches!(app.mode, Mode::InDoubt { .. }), "{:?}", app.mode);
    assert_eq!(
        app.handle_key(&s, ch('d'), AT),
        vec![Command::Submit(Msg::InDoubtResolved {
            step: "hello".into(),
            decision: Decision::MarkDone
        })]
    );
}

// --------------------------------------------- 8: every action says so

#[test]
fn a_note_a_refused_gate_a_cancelled_countdown_and_a_skip_each_say_so_by_title() {
    let (mut s, mut app) = restore_running();
    press(&mut app, &mut s, AT, ch('n'));
    type_text(&mut app, &mut s, AT, "DBA paged");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    assert_eq!(
        flash(&app),
        "✎ Note added to the journal on “Restore the orders table”."
    );

    // A destructive step on production: its gate, refused.
    const GATED: &str = "---\ntargets:\n  production: { protected: true }\n  staging: { countdown: 5s }\n---\n# G\n\n## P\n\n### Wipe the cache {#wipe}\n\n```bash\nrm -rf /var/cache/app\n```\n";
    let mut s = session_of(GATED, "production");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Gate { .. }));
    press(&mut app, &mut s, AT, key(KeyCode::Esc));
    assert_eq!(
        flash(&app),
        "Refused: “Wipe the cache” did not run (journaled)."
    );

    let mut s = session_of(GATED, "staging");
    let mut app = App::new(&s);
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Countdown { .. }));
    press(&mut app, &mut s, AT, ch('c'));
    assert_eq!(
        flash(&app),
        "Countdown cancelled: “Wipe the cache” did not run."
    );

    press(&mut app, &mut s, AT, ch('s'));
    type_text(&mut app, &mut s, AT, "done by hand");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    // The last step: the flow is complete too, and both are said.
    assert_eq!(
        flash(&app),
        "↷ “Wipe the cache” skipped (reason journaled). · Every step is done or skipped: q to finish"
    );
}

// ------------------------------------------ 6: the footer, from the map

/// Every mode the footer has keys for, reached as an operator would.
fn every_mode() -> Vec<(&'static str, Session, App)> {
    let mut out = Vec::new();
    let (s, app) = fresh("production");
    out.push(("pending", s, app));
    let (s, app) = restore_running();
    out.push(("running", s, app));
    let (mut s, mut app) = restore_running();
    press(&mut app, &mut s, AT, ctrl('c'));
    out.push(("asking to stop", s, app));
    let (mut s, mut app) = restore_running();
    press(&mut app, &mut s, AT, ch('q'));
    out.push(("asking to quit", s, app));
    let (s, app) = in_doubt();
    out.push(("in doubt", s, app));
    let (mut s, mut app) = fresh("production");
    run(&mut app, &mut s, "hello");
    submit(&mut app, &mut s, AT, finished("hello", 0, 1, 5));
    out.push(("failed", s, app));
    let (mut s, mut app) = fresh("production");
    run(&mut app, &mut s, "hello");
    submit(&mut app, &mut s, AT, finished("hello", 0, 0, 5));
    out.push(("done", s, app));
    let (mut s, mut app) = fresh("production");
    press(&mut app, &mut s, AT, ch('s'));
    out.push(("typing a reason", s, app));
    out
}

#[test]
fn at_80_columns_the_footer_keeps_q_quit_and_the_help_key_in_every_mode() {
    for (name, s, mut app) in every_mode() {
        let row = footer(&s, &mut app, (80, 24));
        let typing = matches!(app.mode, Mode::Skip { .. });
        let asking = matches!(app.mode, Mode::ConfirmCancel { .. } | Mode::ConfirmQuit);
        if !typing && !asking {
            assert!(row.contains("q quit"), "{name}: {row}");
            assert!(row.contains("? keys"), "{name}: {row}");
        }
        assert!(
            unicode_width::UnicodeWidthStr::width(row.as_str()) <= 80,
            "{name}: {row}"
        );
    }
}

#[test]
fn a_long_flash_gives_way_to_the_keys_that_are_never_dropped() {
    let (s, mut app) = fresh("production");
    app.on_refused(&"a very long refusal that goes on and on ".repeat(4), AT);
    let row = footer(&s, &mut app, (80, 24));
    assert!(row.contains("q quit") && row.contains("? keys"), "{row}");
    // And the flash still begins the row.
    assert!(row.trim_start().starts_with("a very long"), "{row}");
}

#[test]
fn footer_rows_at_80x24_and_200x50() {
    let mut rows = String::new();
    for (name, s, mut app) in every_mode() {
        for size in [(80, 24), (200, 50)] {
            rows.push_str(&format!(
                "{name} {}x{}:\n{}\n",
                size.0,
                size.1,
                footer(&s, &mut app, size)
            ));
        }
    }
    insta::assert_snapshot!(rows);
}

#[test]
fn the_footer_only_shows_keys_the_key_map_has() {
    use runsheet::tui::keymap::MAP;
    for (name, s, app) in every_mode() {
        for k in keys::available(&app, &s) {
            assert!(
                MAP.iter().any(|b| b.label == k.label),
                "{name}: `{} {}` is not in the key map",
                k.key,
                k.label
            );
        }
    }
}
