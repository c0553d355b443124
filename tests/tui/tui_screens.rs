//! The TUI's screens, drawn on a TestBackend from the demo runbook and
//! pinned as text snapshots. Times are fixed, so the screens are too.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use runsheet::session::{Msg, Session};
use runsheet::tui::{App, Outputs, Theme};
use support::*;

const COLOR: Theme = Theme { color: true };
const PLAIN: Theme = Theme { color: false };

const CHECK: &str = "pre-flight-checklist";
const SCRATCH: &str = "create-the-scratch-environment";
const ANNOUNCE: &str = "announce-the-maintenance-window";
const BACKUP: &str = "back-up-the-current-release";
const REMOVE: &str = "remove-the-old-release";
const INSTALL: &str = "install-the-new-release";
const HEALTH: &str = "health-check";

fn start(target: &str) -> (Session, App, Outputs) {
    let s = demo(target);
    let app = App::new(&s).with_journal_path(JOURNAL);
    (s, app, Outputs::new())
}

/// Through the preparation phase: checklist ticked, scratch made, announced.
fn prepared(app: &mut App, s: &mut Session) {
    for item in 0..3 {
        submit(
            app,
            s,
            T0 + 5_000 + item as i64 * 1_000,
            Msg::ChecklistTicked {
                step: CHECK.into(),
                item,
                checked: true,
            },
        );
    }
    submit(
        app,
        s,
        T0 + 10_000,
        Msg::RunRequested {
            step: SCRATCH.into(),
        },
    );
    submit(
        app,
        s,
        T0 + 10_100,
        output(
            SCRATCH,
            "Scratch environment ready in /tmp/runsheet-demo\nLogging in to the deploy API with token ***\nCurrent release: release 2.4.0\n",
        ),
    );
    submit(app, s, T0 + 12_000, finished(SCRATCH, 0, 0, 1_900));
    submit(
        app,
        s,
        T0 + 40_000,
        Msg::ConfirmedDone {
            step: ANNOUNCE.into(),
        },
    );
}

/// The backup running, with a progress bar drawn in place and 50 log lines.
fn backup_running(app: &mut App, s: &mut Session) {
    prepared(app, s);
    submit(
        app,
        s,
        T0 + 60_000,
        Msg::RunRequested {
            step: BACKUP.into(),
        },
    );
    submit(
        app,
        s,
        T0 + 60_010,
        Msg::ActionStarted {
            step: BACKUP.into(),
            action: 0,
            pid: Some(4242),
        },
    );
    for i in 1..=50 {
        let line = format!("archiving releases/file-{i:03}.tar (ok)\n");
        submit(app, s, T0 + 60_100 + i * 10, output(BACKUP, &line));
    }
    for i in (1..=50).step_by(7).chain([50]) {
        let filled = "#".repeat((i * 30 / 50) as usize);
        let bar = format!(
            "\r\x1b[36mBacking up\x1b[0m [\x1b[32m{filled:<30}\x1b[0m] {:3}%  {i}/50 files",
            i * 2
        );
        submit(app, s, T0 + 61_000 + i * 100, output(BACKUP, &bar));
    }
}

fn backed_up(app: &mut App, s: &mut Session) {
    backup_running(app, s);
    submit(
        app,
        s,
        T0 + 70_000,
        output(
            BACKUP,
            "\n\x1b[1;32m✔ Backup OK\x1b[0m /tmp/runsheet-demo/backups/releases.tar.gz (2048 bytes)\n",
        ),
    );
    submit(app, s, T0 + 70_100, finished(BACKUP, 0, 0, 10_000));
}

/// The gate of the destructive step on production, "prod" typed so far.
fn at_gate(app: &mut App, s: &mut Session) {
    backed_up(app, s);
    let now = T0 + 80_000;
    // The backup stays in view once done: Enter selects the next step,
    // Enter again runs it (its gate).
    press(app, s, now, key(KeyCode::Enter));
    let commands = app.handle_key(s, key(KeyCode::Enter), now);
    run_commands(app, s, commands, now);
    type_text(app, s, now, "prod");
}

/// The new release failed to install; the deploy phase's rollback is offered.
fn install_failed(app: &mut App, s: &mut Session) {
    at_gate(app, s);
    type_text(app, s, T0 + 81_000, "uction");
    press(app, s, T0 + 81_000, key(KeyCode::Enter));
    submit(
        app,
        s,
        T0 + 81_500,
        output(REMOVE, "Old release removed. Remaining releases:\n2.4.0\n"),
    );
    submit(app, s, T0 + 82_000, finished(REMOVE, 0, 0, 500));
    press(app, s, T0 + 90_000, key(KeyCode::Enter));
    press(app, s, T0 + 90_000, key(KeyCode::Enter));
    submit(
        app,
        s,
        T0 + 90_500,
        output(
            INSTALL,
            "\x1b[33m…\x1b[0m Unpacking release 2.4.1\ntar: releases/2.4.1.tar.gz: Cannot open: No such file or directory\n\x1b[31merror:\x1b[0m unpacking failed\n",
        ),
    );
    submit(app, s, T0 + 92_000, finished(INSTALL, 0, 2, 1_500));
}

/// The health check failed once; its phase has no rollback.
fn health_failed(app: &mut App, s: &mut Session) {
    at_gate(app, s);
    type_text(app, s, T0 + 81_000, "uction");
    press(app, s, T0 + 81_000, key(KeyCode::Enter));
    submit(
        app,
        s,
        T0 + 81_500,
        output(REMOVE, "Old release removed. Remaining releases:\n2.4.0\n"),
    );
    submit(app, s, T0 + 82_000, finished(REMOVE, 0, 0, 500));
    press(app, s, T0 + 90_000, key(KeyCode::Enter));
    press(app, s, T0 + 90_000, key(KeyCode::Enter));
    submit(
        app,
        s,
        T0 + 90_500,
        output(
            INSTALL,
            "\x1b[33m…\x1b[0m Unpacking release 2.4.1\n\x1b[33m…\x1b[0m Linking release 2.4.1\nNow serving: release 2.4.1\n",
        ),
    );
    submit(app, s, T0 + 92_000, finished(INSTALL, 0, 0, 1_500));
    press(app, s, T0 + 100_000, key(KeyCode::Enter));
    press(app, s, T0 + 100_000, key(KeyCode::Enter));
    submit(
        app,
        s,
        T0 + 100_100,
        output(
            HEALTH,
            "GET /health (attempt 1)\n\x1b[31mHTTP 503\x1b[0m {\"status\":\"starting\"}\nService not ready yet: retry this step.\n",
        ),
    );
    submit(app, s, T0 + 101_200, finished(HEALTH, 0, 1, 1_100));
}

#[test]
fn start_screen() {
    let (s, mut app, mut out) = start("production");
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 1_000,
        &COLOR
    ));
}

#[test]
fn running_with_output() {
    let (mut s, mut app, mut out) = start("production");
    backup_running(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 66_000,
        &COLOR
    ));
}

#[test]
fn gate_on_production() {
    let (mut s, mut app, mut out) = start("production");
    at_gate(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 80_500,
        &COLOR
    ));
}

#[test]
fn gate_without_colour_still_stands_out() {
    let (mut s, mut app, mut out) = start("production");
    at_gate(&mut app, &mut s);
    let buf = frame(&s, &mut app, &mut out, (120, 40), T0 + 80_500, &PLAIN);
    insta::assert_snapshot!(text(&buf));
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "NO_COLOR: no foreground colour");
        assert_eq!(cell.bg, Color::Reset, "NO_COLOR: no background colour");
    }
    // The badge (top-left) is reversed and bold.
    let badge = &buf[(1, 0)];
    assert!(badge.modifier.contains(Modifier::REVERSED | Modifier::BOLD));
}

#[test]
fn wrong_name_at_the_gate_keeps_it_up() {
    let (mut s, mut app, mut out) = start("production");
    at_gate(&mut app, &mut s);
    press(&mut app, &mut s, T0 + 80_600, key(KeyCode::Enter));
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (100, 30),
        T0 + 80_700,
        &COLOR
    ));
}

#[test]
fn failed_step_offers_its_rollback() {
    let (mut s, mut app, mut out) = start("production");
    install_failed(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 105_000,
        &COLOR
    ));
}

#[test]
fn rollback_choice() {
    let (mut s, mut app, mut out) = start("production");
    install_failed(&mut app, &mut s);
    press(&mut app, &mut s, T0 + 106_000, ch('b'));
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 106_000,
        &COLOR
    ));
}

#[test]
fn help_overlay() {
    let (mut s, mut app, mut out) = start("production");
    press(&mut app, &mut s, T0 + 1_000, ch('?'));
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 1_000,
        &COLOR
    ));
}

#[test]
fn help_overlay_80x24() {
    let (mut s, mut app, mut out) = start("production");
    press(&mut app, &mut s, T0 + 1_000, ch('?'));
    insta::assert_snapshot!(screen(&s, &mut app, &mut out, (80, 24), T0 + 1_000, &COLOR));
}

#[test]
fn narrow_80x24_running() {
    let (mut s, mut app, mut out) = start("production");
    backup_running(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (80, 24),
        T0 + 66_000,
        &COLOR
    ));
}

#[test]
fn narrow_80x24_gate() {
    let (mut s, mut app, mut out) = start("production");
    at_gate(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (80, 24),
        T0 + 80_500,
        &COLOR
    ));
}

#[test]
fn narrow_80x24_checklist() {
    let (mut s, mut app, mut out) = start("rehearsal");
    submit(
        &mut app,
        &mut s,
        T0 + 5_000,
        Msg::ChecklistTicked {
            step: CHECK.into(),
            item: 1,
            checked: true,
        },
    );
    insta::assert_snapshot!(screen(&s, &mut app, &mut out, (80, 24), T0 + 6_000, &COLOR));
}

#[test]
fn wide_250x70() {
    let (mut s, mut app, mut out) = start("production");
    health_failed(&mut app, &mut s);
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (250, 70),
        T0 + 105_000,
        &COLOR
    ));
}

#[test]
fn countdown_on_rehearsal() {
    let (mut s, mut app, mut out) = start("rehearsal");
    backed_up(&mut app, &mut s);
    press(&mut app, &mut s, T0 + 80_000, key(KeyCode::Enter));
    press(&mut app, &mut s, T0 + 80_000, key(KeyCode::Enter));
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 81_200,
        &COLOR
    ));
}

#[test]
fn skip_reason_prompt() {
    let (mut s, mut app, mut out) = start("production");
    press(&mut app, &mut s, T0 + 1_000, ch('s'));
    type_text(&mut app, &mut s, T0 + 1_000, "déjà fait hier soir 🌙");
    insta::assert_snapshot!(screen(&s, &mut app, &mut out, (80, 24), T0 + 1_000, &COLOR));
}

#[test]
fn in_doubt_after_resume() {
    let (mut s, _, _) = start("production");
    let mut app = App::new(&s);
    backup_running(&mut app, &mut s);
    ok(&mut s, T0 + 200_000, resumed());
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut out = Outputs::new();
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 201_000,
        &COLOR
    ));
}

#[test]
fn search_in_output() {
    let (mut s, mut app, mut out) = start("production");
    backup_running(&mut app, &mut s);
    press(&mut app, &mut s, T0 + 66_000, ch('/'));
    type_text(&mut app, &mut s, T0 + 66_000, "FILE-01");
    press(&mut app, &mut s, T0 + 66_000, key(KeyCode::Enter));
    insta::assert_snapshot!(screen(
        &s,
        &mut app,
        &mut out,
        (120, 40),
        T0 + 66_000,
        &COLOR
    ));
}

/// A step rehearsed in two drills, running longer than both: the tree and
/// the step's view say so, and the ETA counts the rehearsed times.
#[test]
fn running_longer_than_every_rehearsal() {
    let (mut s, mut app, mut out) = start("production");
    let mut rehearsed = s.rehearsed().clone();
    rehearsed.insert(
        BACKUP.into(),
        runsheet::session::state::Rehearsed {
            runs: 2,
            median_ms: 2_000,
            slowest_ms: 3_000,
        },
    );
    s.set_rehearsed(rehearsed);
    backup_running(&mut app, &mut s);
    let screen = screen(&s, &mut app, &mut out, (120, 40), T0 + 66_000, &PLAIN);
    assert!(
        screen.contains("rehearsed: median 2s, slowest 3s (2 runs)"),
        "{screen}"
    );
    assert!(screen.contains("⚠ longer than"), "{screen}");
    assert!(screen.contains("⚠ >3s"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// A drill on the sandbox's "production": the header says where it runs.
#[test]
fn a_drill_in_the_sandbox_says_so_beside_the_target() {
    let (s, mut app, mut outputs) = start("production");
    let with = |drill: bool, sandbox: bool| {
        let mut info = s.info().clone();
        info.drill = drill;
        info.sandbox = sandbox;
        Session::new(s.runbook().clone(), info, T0)
    };
    let s = with(true, true);
    let shown = screen(&s, &mut app, &mut outputs, (100, 30), T0, &PLAIN);
    let header = shown.lines().next().unwrap_or_default();
    assert!(
        header.starts_with(" PRODUCTION · protected   DRILL   SANDBOX  "),
        "{header}"
    );
    let s = with(true, false);
    let shown = screen(&s, &mut app, &mut outputs, (100, 30), T0, &PLAIN);
    assert!(!shown.contains("SANDBOX"), "{shown}");
}
