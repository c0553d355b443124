//! `runsheet replay`: the replayed screen is the live one.
//!
//! The reference ("live") state for a journal prefix is built here the way
//! the live TUI built it: every record through `Session::update` and its
//! effects to `App::on_effect`, a gate's name typed into the gate, a frame's
//! reconcile after each event, and a fresh `App` at each resume. The replay
//! engine gets there its own way (index, checkpoints, output tails read
//! from the file, seeks back and forth, speed, idle skipping) and must
//! land on exactly the same cells.

use crate::support::operator;
use crate::support::tui as support;
use crate::support::workdir;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use runsheet::journal::record::{GENESIS_PREV, encode_fields, line_hash};
use runsheet::replay::controls::READ_ONLY;
use runsheet::replay::{Controls, Mark, Player, ReplayOptions, Stop, screen};
use runsheet::runbook::parse;
use runsheet::session::state::OUTPUT_TAIL_BYTES;
use runsheet::session::state::Rehearsed;
use runsheet::session::{self, Msg, Session, SessionEnd, SessionInfo, StepStatus};
use runsheet::tui::{App, Mode, Outputs, Theme};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const THEME: Theme = Theme { color: true };
const T0: i64 = 1_700_000_000_000;
const SHOWN: &str = "/var/lib/runsheet/journals/pm--production--20231114T221320Z.jsonl";
const PM: &str = include_str!("../fixtures/postmortem.md");

// ---------------------------------------------------------------- journals

/// A real session on production, run headless: a checklist, a gate typed
/// right, a failure with output, skipped with a reason, a last step.
fn recorded() -> (workdir::Workdir, PathBuf) {
    let w = workdir::Workdir::new();
    let rb = w.write("pm.md", PM);
    let out = w.plain(
        &rb,
        "production",
        "y\n\n\nproduction\n\ns\ndisk is full, handled by hand\n\n",
    );
    assert!(out.status.success(), "{}", workdir::text(&out));
    let journal = w.journals().pop().unwrap_or_default();
    (w, journal)
}

fn info(text: &str) -> SessionInfo {
    SessionInfo {
        runbook_path: "pm.md".into(),
        runbook_hash: "hash".into(),
        runbook_text: text.into(),
        target: "production".into(),
        operator: "alice".into(),
        host: "bastion".into(),
        tool_version: "0.1.0".into(),
        drill: false,
        sandbox: false,
        workdir: None,
        targets: Vec::new(),
        variables: vec![],
        values: Default::default(),
    }
}

fn write_journal(path: &Path, records: &[(i64, Msg)]) {
    let mut prev = GENESIS_PREV.to_string();
    let mut text = String::new();
    for (seq, (at, msg)) in records.iter().enumerate() {
        let fields = msg.clone().into_journal_fields().unwrap_or_default();
        let ts = jiff::Timestamp::from_millisecond(*at).unwrap();
        let line = encode_fields(seq as u64, ts, &prev, &fields);
        prev = line_hash(line.as_bytes());
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).expect("write journal");
}

fn ran(step: &str, at: i64, output: &[&str], exit: i32) -> Vec<(i64, Msg)> {
    let mut v = vec![
        (at, Msg::RunRequested { step: step.into() }),
        (
            at + 10,
            Msg::ActionStarted {
                step: step.into(),
                action: 0,
                pid: Some(4242),
            },
        ),
    ];
    for (i, data) in output.iter().enumerate() {
        v.push((at + 20 + i as i64, support::output(step, data)));
    }
    v.push((at + 900, support::finished(step, 0, exit, 890)));
    v
}

/// The same story as `recorded`, on fixed times: a wrong name typed at the
/// gate first, and a 20-minute wait before the failure is skipped.
fn scripted() -> Vec<(i64, Msg)> {
    let s = |n: i64| T0 + n * 1000;
    let progress: Vec<String> = (1..=30).map(|i| format!("progress {i}\n")).collect();
    let mut broken: Vec<&str> = progress.iter().map(String::as_str).collect();
    broken.push("FATAL: disk full\n");
    let mut v = vec![
        (T0, Msg::SessionStarted(info(PM))),
        (
            s(5),
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 0,
                checked: true,
            },
        ),
    ];
    v.extend(ran("hello", s(10), &["hello\n"], 0));
    v.push((
        s(20),
        Msg::RunRequested {
            step: "wipe".into(),
        },
    ));
    v.push((
        s(25),
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "prod".into(),
        },
    ));
    v.push((
        s(30),
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
    ));
    let mut wipe = ran("wipe", s(30), &[], 0);
    wipe.remove(0);
    v.extend(wipe);
    v.extend(ran("broken", s(40), &broken, 4));
    v.push((
        s(50),
        Msg::Note {
            step: Some("broken".into()),
            text: "disk is full, handled by hand".into(),
        },
    ));
    v.push((
        s(1250),
        Msg::Skipped {
            step: "broken".into(),
            reason: "disk is full, handled by hand".into(),
        },
    ));
    v.extend(ran("last", s(1260), &["done\n"], 0));
    v.push((
        s(1270),
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
    ));
    v
}

fn scripted_journal(dir: &Path) -> PathBuf {
    let path = dir.join("pm.jsonl");
    write_journal(&path, &scripted());
    path
}

fn records(path: &Path) -> Vec<(i64, Msg)> {
    runsheet::journal::read::<Msg>(path)
        .expect("read")
        .records
        .into_iter()
        .map(|r| (r.ts.as_millisecond(), r.body))
        .collect()
}

// --------------------------------------------------------------- reference

/// The live session's state after the first `upto` records.
fn live(records: &[(i64, Msg)], upto: usize, shown: &str, read_only: bool) -> (Session, App) {
    live_rehearsed(records, upto, shown, read_only, &HashMap::new())
}

/// `live`, for a session that started with these rehearsed times (which
/// the live runner reads from the journals of earlier sessions).
fn live_rehearsed(
    records: &[(i64, Msg)],
    upto: usize,
    shown: &str,
    read_only: bool,
    rehearsed: &HashMap<String, Rehearsed>,
) -> (Session, App) {
    let Some((t0, Msg::SessionStarted(info))) = records.first() else {
        panic!("no session-started record");
    };
    let runbook = |text: &str| Arc::new(parse(&info.runbook_path, text).runbook);
    let new_app = |s: &Session| {
        let mut app = App::new(s).with_journal_path(shown);
        app.read_only = read_only;
        app
    };
    let mut s = Session::new(runbook(&info.runbook_text), info.clone(), *t0);
    s.set_rehearsed(rehearsed.clone());
    let mut app = new_app(&s);
    for (i, (at, msg)) in records.iter().enumerate().take(upto).skip(1) {
        match msg {
            Msg::Resumed { runbook_text, .. } => {
                if let Some(text) = runbook_text {
                    s = session::fold(runbook(text), records[..i].iter().cloned()).expect("refold");
                }
                support::ok(&mut s, *at, msg.clone());
                app = new_app(&s);
            }
            Msg::GateAnswered { typed, .. } if matches!(app.mode, Mode::Gate { .. }) => {
                support::type_text(&mut app, &mut s, *at, typed);
                support::press(&mut app, &mut s, *at, support::key(KeyCode::Enter));
            }
            Msg::RollbackRequested { rollback, .. } => {
                app.select(rollback);
                support::submit(&mut app, &mut s, *at, msg.clone());
            }
            _ => {
                support::submit(&mut app, &mut s, *at, msg.clone());
            }
        }
        // The live loop draws (and reconciles the view) after every event.
        app.reconcile(&s);
    }
    (s, app)
}

fn live_buffer(s: &Session, app: &mut App, size: (u16, u16), now: i64) -> Buffer {
    support::frame(s, app, &mut Outputs::new(), size, now, &THEME)
}

// ------------------------------------------------------------------ replay

fn open(path: &Path) -> Controls {
    Controls::new(Player::open_as(path, SHOWN).expect("open"))
}

fn replay_buffer(c: &mut Controls, (w, h): (u16, u16), wall: i64) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    screen::prepare(c, Rect::new(0, 0, w, h));
    terminal
        .draw(|f| screen::draw(f, c, &THEME, wall))
        .expect("draw");
    terminal.backend().buffer().clone()
}

fn replay_screen(c: &mut Controls, size: (u16, u16), wall: i64) -> String {
    support::text(&replay_buffer(c, size, wall))
}

fn press(c: &mut Controls, code: KeyCode) {
    c.handle_key(KeyEvent::new(code, KeyModifiers::NONE), 0);
}

/// The replayed frame's live-UI rows, cell for cell, against the live
/// state drawn alone; and, but for the footer (which shows the replay's
/// keys), against the live UI as the operator had it.
fn assert_same_screen(c: &mut Controls, records: &[(i64, Msg)], size: (u16, u16), when: &str) {
    assert_same_screen_rehearsed(c, records, size, when, &HashMap::new());
}

fn assert_same_screen_rehearsed(
    c: &mut Controls,
    records: &[(i64, Msg)],
    size: (u16, u16),
    when: &str,
    rehearsed: &HashMap<String, Rehearsed>,
) {
    let (w, h) = size;
    let replayed = replay_buffer(c, size, 0);
    let top = u16::from(screen::banner(c).is_some());
    let ui_h = h - 1 - top;
    let pos = c.player.pos();
    let now = c.player.now();
    for read_only in [true, false] {
        let (s, mut app) = live_rehearsed(records, pos, SHOWN, read_only, rehearsed);
        let expected = live_buffer(&s, &mut app, (w, ui_h), now);
        let rows = if read_only { ui_h } else { ui_h - 1 };
        // Output beyond a step's tail: live (and a replay playing) fed the
        // emulator all of it, a fresh one (after a seek, or here) gets the
        // tail. The rows shown are the same; only the count of rows above
        // them, in the pane's title, differs.
        let long = app
            .selected
            .as_deref()
            .and_then(|id| s.state(id))
            .is_some_and(|st| st.output_bytes > OUTPUT_TAIL_BYTES as u64);
        let text = support::text(&expected);
        let lines: Vec<&str> = text.lines().collect();
        for y in 0..rows {
            if long && lines[usize::from(y)].contains(" Output ") {
                continue;
            }
            // The one hint that differs: a replay does not offer to run.
            if !read_only && lines[usize::from(y)].contains("Enter runs it.") {
                continue;
            }
            for x in 0..w {
                if expected[(x, y)] != replayed[(x, y + top)] {
                    panic!(
                        "{when}: at record {pos} (read-only {read_only}), cell ({x}, {y}) differs\n\
                         live:\n{}\nreplay:\n{}",
                        support::text(&expected),
                        support::text(&replayed)
                    );
                }
            }
        }
    }
}

/// Every position the replay can stop at by its marks, and a few more.
fn stops(c: &Controls) -> Vec<usize> {
    let index = c.player.index();
    let mut v: Vec<usize> = [Mark::Boundary, Mark::Failure, Mark::Gate, Mark::Note]
        .iter()
        .flat_map(|m| index.marks(*m))
        .chain([1, index.len()])
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A fixed shuffle (no dependency on a random source): forward and back.
fn shuffled(mut v: Vec<usize>) -> Vec<usize> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

// ------------------------------------------------------------------- tests

#[test]
fn a_recorded_session_replays_to_the_live_screen_at_every_step_boundary() {
    let (_w, journal) = recorded();
    let records = records(&journal);
    let size = (120, 36);
    let mut c = open(&journal);
    assert_eq!(c.player.index().len(), records.len());
    assert!(c.player.index().stop().is_none());
    let stops = stops(&c);
    assert!(stops.len() >= 8, "{stops:?}");

    // Step by step with →, as someone watching would.
    c.player.set_playing(false);
    let mut seen = 0;
    while !c.player.at_end() {
        press(&mut c, KeyCode::Right);
        assert_same_screen(&mut c, &records, size, "→");
        seen += 1;
    }
    assert!(seen >= 8);
    // Then in a jumbled order, back and forth, through checkpoints.
    for pos in shuffled(stops.clone()) {
        c.player
            .seek(pos)
            .unwrap_or_else(|e| panic!("seek {pos}: {e}"));
        assert_same_screen(&mut c, &records, size, "seek");
    }
    // And backwards with ←.
    while c.player.pos() > 1 {
        press(&mut c, KeyCode::Left);
        assert_same_screen(&mut c, &records, size, "←");
    }
}

/// The demo, run end to end on production by an operator at the plain
/// console (ticks, runs, the gate, the countdown-free path), replayed: at
/// every step boundary the screen is the one the live session had.
#[test]
fn the_demo_run_end_to_end_replays_to_the_live_screen() {
    use operator::{Ask, Operator, say};
    let w = workdir::Workdir::new();
    let mut cmd = w.cmd(&["demo", "--target", "production", "--plain"]);
    cmd.env("TMPDIR", w.path());
    let mut op = Operator::start(cmd);
    let status = op.drive(|m| match &m.ask {
        Ask::Run => say([""]),
        Ask::Tick(_) | Ask::Done => say(["y"]),
        Ask::Gate => say(["production"]),
        // The demo's health check fails once by design; a retry passes.
        Ask::Failed => say(["r"]),
        _ => say(["q"]),
    });
    assert!(status.success(), "{}", op.transcript);
    let journal = w.journals().pop().unwrap_or_default();
    let records = records(&journal);
    assert!(
        records
            .iter()
            .any(|(_, m)| matches!(m, Msg::GateAnswered { .. })),
        "the demo on production passes a gate"
    );
    assert!(
        records
            .iter()
            .any(|(_, m)| matches!(m, Msg::ActionFinished { .. })),
        "commands ran"
    );
    let mut c = open(&journal);
    c.player.set_playing(false);
    let stops = stops(&c);
    assert!(stops.len() >= 8, "{stops:?}");
    for pos in stops {
        c.player
            .seek(pos)
            .unwrap_or_else(|e| panic!("seek {pos}: {e}"));
        assert_same_screen(&mut c, &records, (120, 36), "demo");
    }
}

#[test]
fn a_later_session_shows_the_earlier_ones_times_as_it_did_live() {
    let (w, first) = recorded();
    let rb = w.path().join("pm.md");
    let out = w.plain(
        &rb,
        "production",
        "y\n\n\nproduction\n\ns\ndisk is full, handled by hand\n\n",
    );
    assert!(out.status.success(), "{}", workdir::text(&out));
    let second = w
        .journals()
        .into_iter()
        .find(|j| *j != first)
        .unwrap_or_default();
    // What the second session started with: the first one's times.
    let dir = first.parent().unwrap_or(Path::new("."));
    let earlier: Vec<_> = runsheet::history::sessions(dir, &rb, "Restore drill")
        .into_iter()
        .filter(|s| s.journal == first)
        .collect();
    assert_eq!(earlier.len(), 1);
    let expected = runsheet::history::rehearsed(&earlier, false);
    assert!(expected.contains_key("hello"), "{expected:?}");
    let mut c = open(&second);
    assert_eq!(c.player.session().rehearsed(), &expected);
    let records = records(&second);
    for pos in stops(&c) {
        c.player
            .seek(pos)
            .unwrap_or_else(|e| panic!("seek {pos}: {e}"));
        assert_same_screen_rehearsed(&mut c, &records, (120, 36), "rehearsed", &expected);
    }
}

#[test]
fn playing_at_any_speed_lands_on_the_live_screen_frame_after_frame() {
    let (_w, journal) = recorded();
    let records = records(&journal);
    for (speed, skip_idle) in [(1, false), (100, true), (5, true)] {
        let mut c = open(&journal);
        c.player.set_speed(speed);
        c.player.set_skip_idle(skip_idle);
        let mut wall = 0;
        let mut frames = 0;
        c.tick(wall);
        while !c.player.at_end() {
            wall += 33;
            c.tick(wall);
            assert_same_screen(&mut c, &records, (100, 30), &format!("{speed}x"));
            frames += 1;
            assert!(frames < 10_000, "{speed}x never reached the end");
        }
        assert!(!c.player.playing(), "stops at the end");
    }
}

#[test]
fn output_appears_with_its_real_timing_and_idle_time_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted_journal(dir.path());
    let recs = scripted();
    let note = recs
        .iter()
        .position(|(_, m)| matches!(m, Msg::Note { .. }))
        .unwrap_or_default();
    let applied_by = |c: &Controls, t: i64| {
        let at = T0 + t;
        recs.iter().filter(|(ts, _)| *ts <= at).count().max(1) == c.player.pos()
    };
    // 1x: each record when its time comes, and not before.
    let mut c = open(&path);
    c.tick(0);
    let mut wall = 0;
    while wall < 60_000 {
        wall += 33;
        c.tick(wall);
        assert!(
            applied_by(&c, wall),
            "at {wall} ms: record {}",
            c.player.pos()
        );
    }
    assert_eq!(c.player.pos(), note + 1);
    // The 20-minute wait that follows, skipped: it takes a second.
    c.player.set_skip_idle(true);
    let before = wall;
    while c.player.pos() == note + 1 {
        wall += 33;
        c.tick(wall);
    }
    let took = wall - before;
    assert!((990..=1_100).contains(&took), "the wait took {took} ms");
    // 100x: the next ten seconds of the session in a tenth of a second.
    let mut c = open(&path);
    c.player.set_speed(100);
    for t in (0..=100).step_by(10) {
        c.tick(t);
    }
    assert_eq!(c.player.now(), T0 + 10_000);
    assert!(applied_by(&c, 10_000));
}

#[test]
fn keys_move_through_the_session_and_nothing_can_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted_journal(dir.path());
    let mut c = open(&path);
    let key = |c: &mut Controls, ch: char| {
        c.handle_key(support::ch(ch), 0);
    };
    // Speed and idle skipping.
    for _ in 0..3 {
        key(&mut c, '+');
    }
    assert_eq!(c.player.speed(), 10);
    key(&mut c, '-');
    assert_eq!(c.player.speed(), 5);
    key(&mut c, 'i');
    assert!(c.player.skip_idle());
    key(&mut c, ' ');
    assert!(!c.player.playing());
    // The next gate: shown, with the live gate on screen.
    key(&mut c, 'g');
    assert!(matches!(c.player.app().mode, Mode::Gate { .. }));
    let screen = replay_screen(&mut c, (120, 32), 0);
    assert!(screen.contains("production"), "{screen}");
    // Then answered wrong (the live hint), then right.
    key(&mut c, 'g');
    let hint = c.player.app().hint.clone().unwrap_or_default();
    assert!(hint.contains("“prod” is not production"), "{hint}");
    key(&mut c, 'g');
    assert_eq!(c.player.app().mode, Mode::Normal);
    // The failure, and the note after it.
    key(&mut c, 'n');
    let failed = c.player.session().state("broken").map(|s| s.status.clone());
    assert!(
        matches!(failed, Some(StepStatus::Failed { .. })),
        "{failed:?}"
    );
    key(&mut c, 'o');
    assert_eq!(c.player.session().notes().len(), 1);
    key(&mut c, 'N');
    assert!(c.player.session().notes().is_empty());
    // Read-only: running, ticking, skipping, confirming, noting are refused.
    let pos = c.player.pos();
    for code in [
        KeyCode::Enter,
        KeyCode::Char('r'),
        KeyCode::Char('x'),
        KeyCode::Char('s'),
        KeyCode::Char('d'),
        KeyCode::Char('1'),
        KeyCode::Char('c'),
    ] {
        c.flash = None;
        press(&mut c, code);
        assert_eq!(
            c.flash.as_ref().map(|f| f.text.as_str()),
            Some(READ_ONLY),
            "{code:?}"
        );
        assert_eq!(c.player.app().mode, Mode::Normal, "{code:?}");
    }
    assert_eq!(c.player.pos(), pos);
    // Looking around works as live: the tree, the help.
    let selected = c.player.app().selected.clone();
    press(&mut c, KeyCode::Char('j'));
    assert_ne!(c.player.app().selected, selected);
    press(&mut c, KeyCode::Char('?'));
    let help = replay_screen(&mut c, (120, 40), 0);
    assert!(help.contains("Replay (read-only)"), "{help}");
    assert!(!help.contains("tick the next checklist item"), "{help}");
    press(&mut c, KeyCode::Esc);
    assert!(c.help.is_none());
    // A time since the start.
    key(&mut c, 't');
    for ch in "0:27".chars() {
        key(&mut c, ch);
    }
    press(&mut c, KeyCode::Enter);
    assert_eq!(c.player.now(), T0 + 27_000);
    let wipe = c.player.session().state("wipe").map(|s| s.status.clone());
    assert_eq!(wipe, Some(StepStatus::AwaitingGate));
    // Home and End.
    press(&mut c, KeyCode::End);
    assert_eq!(c.player.session().ended(), Some(SessionEnd::Completed));
    press(&mut c, KeyCode::Home);
    assert_eq!(c.player.pos(), 1);
    key(&mut c, 'q');
}

#[test]
fn an_edited_journal_replays_up_to_the_break_under_a_banner() {
    let (_w, journal) = recorded();
    let original = std::fs::read_to_string(&journal).unwrap_or_default();
    std::fs::write(
        &journal,
        original.replace("disk is full, handled by hand", "all fine"),
    )
    .unwrap();
    let verified = runsheet::journal::verify(&journal).unwrap();
    let line = verified.first_break.map(|b| b.line).unwrap_or_default();
    assert!(line > 2);
    let mut c = open(&journal);
    match c.player.index().stop() {
        Some(Stop::Broken { line: at, .. }) => assert_eq!(*at, line),
        other => panic!("{other:?}"),
    }
    // Neither the line the chain breaks at nor the one before is shown.
    assert_eq!(c.player.index().len(), line - 2);
    press(&mut c, KeyCode::End);
    let screen = replay_screen(&mut c, (120, 36), 0);
    assert!(
        screen.contains(&format!("fails verification at line {line}")),
        "{screen}"
    );
    assert!(screen.contains("cannot be trusted"), "{screen}");
    assert!(!screen.contains("all fine"), "{screen}");
    let records = records(&journal);
    assert_same_screen(&mut c, &records, (120, 36), "up to the break");
}

#[test]
fn the_index_finds_the_same_first_break_as_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted_journal(dir.path());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let damaged: Vec<(&str, String)> = vec![
        ("intact", text.clone()),
        ("a line removed", {
            let mut l = lines.clone();
            l.remove(7);
            l.join("\n") + "\n"
        }),
        ("two lines swapped", {
            let mut l = lines.clone();
            l.swap(9, 10);
            l.join("\n") + "\n"
        }),
        (
            "output edited",
            text.replacen("progress 7", "progress 8", 1),
        ),
        (
            "a seq edited",
            text.replacen("\"seq\":12,", "\"seq\":13,", 1),
        ),
        (
            "a line not json",
            text.replacen(&lines[5].to_string(), "garbage", 1),
        ),
        ("a torn tail", text[..text.len() - 30].to_string()),
        ("a garbage tail", text.clone() + "\0\0\0\0\n"),
    ];
    for (what, bytes) in damaged {
        let p = dir.path().join("damaged.jsonl");
        std::fs::write(&p, &bytes).unwrap();
        let verified = runsheet::journal::verify(&p).unwrap();
        let index = runsheet::replay::Index::open(&p).unwrap_or_else(|e| panic!("{what}: {e}"));
        let broken = match index.stop() {
            Some(Stop::Broken { line, .. }) => Some(*line),
            _ => None,
        };
        assert_eq!(
            broken,
            verified.first_break.as_ref().map(|b| b.line),
            "{what}: {:?}",
            index.stop()
        );
        assert_eq!(index.torn(), verified.torn_tail, "{what}");
        if broken.is_none() {
            assert_eq!(index.len() as u64, verified.records, "{what}");
        }
    }
}

#[test]
fn following_a_journal_being_written_shows_each_record_once_it_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(scripted_journal(dir.path())).unwrap_or_default();
    let records = records(&dir.path().join("pm.jsonl"));
    let newlines: Vec<usize> = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let live = dir.path().join("live.jsonl");
    // The first 12 lines, and half of the 13th.
    let cut = newlines[11] + (newlines[12] - newlines[11]) / 2;
    std::fs::write(&live, &full[..cut]).unwrap();
    let wall = T0 + 60_000;
    let opts = ReplayOptions {
        follow: true,
        ..ReplayOptions::default()
    };
    let via_cli = runsheet::replay::cli::open(&live, &opts, wall).unwrap();
    assert!(via_cli.player.following());
    // Shown under the fixed name, for the comparison.
    let mut player = Player::open_as(&live, SHOWN).unwrap();
    player.set_follow(true, wall).unwrap();
    let mut c = Controls::new(player);
    assert_eq!(c.player.pos(), 12);
    assert!(c.player.index().torn());
    assert_eq!(c.player.now(), wall, "the real clock while it runs");
    assert!(
        screen::banner(&c).is_none(),
        "an incomplete line is normal here"
    );
    assert_same_screen(&mut c, &records, (120, 36), "following");
    // The rest of the line, then the rest of the journal, as appended.
    let mut t = wall;
    for upto in [newlines[12], newlines[20], full.len()] {
        std::fs::write(&live, &full[..upto]).unwrap();
        t += 300;
        assert!(c.tick(t));
        let whole = newlines.iter().filter(|n| **n <= upto).count();
        assert_eq!(c.player.pos(), whole);
        assert_same_screen(&mut c, &records, (120, 36), "followed");
    }
    // The session ended: the clock stops at its end.
    assert_eq!(c.player.now(), c.player.index().last_at());
    let screen = replay_screen(&mut c, (120, 36), t);
    assert!(screen.contains("● FOLLOWING"), "{screen}");
}

#[test]
fn long_output_is_read_from_the_file_only_as_far_as_the_tail_shows() {
    // 100 KB in one step (more than its tail keeps), between other steps.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let chunks: Vec<String> = (0..200)
        .map(|i| format!("\x1b[33m{i:>5}\x1b[0m {}\n", "é".repeat(250)))
        .collect();
    let chunk_refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let mut recs = vec![
        (T0, Msg::SessionStarted(info(PM))),
        (
            T0 + 5,
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 0,
                checked: true,
            },
        ),
    ];
    recs.extend(ran("hello", T0 + 1_000, &chunk_refs, 0));
    recs.push((
        T0 + 5_000,
        Msg::RunRequested {
            step: "wipe".into(),
        },
    ));
    write_journal(&path, &recs);
    let mut c = open(&path);
    let positions: Vec<usize> = (1..=recs.len()).collect();
    for pos in shuffled(positions)
        .into_iter()
        .take(25)
        .chain([recs.len(), 150, 40])
    {
        c.player.seek(pos).unwrap();
        let (s, _) = live(&recs, pos, SHOWN, true);
        let (a, b) = (c.player.session().state("hello"), s.state("hello"));
        assert_eq!(
            a.map(|x| x.output_bytes),
            b.map(|x| x.output_bytes),
            "{pos}"
        );
        assert_eq!(
            a.map(|x| x.output_tail_text()),
            b.map(|x| x.output_tail_text()),
            "{pos}"
        );
        assert_same_screen(&mut c, &recs, (120, 36), "long output");
    }
    // Played: the emulator is fed frame by frame, as live.
    let mut c = open(&path);
    let mut wall = 0;
    let mut compared = 0;
    while !c.player.at_end() {
        c.tick(wall);
        if c.player.pos() != compared {
            assert_same_screen(&mut c, &recs, (120, 36), "long output played");
            compared = c.player.pos();
        }
        wall += 33;
    }
}

#[test]
fn a_runbook_changed_at_a_resume_is_the_one_shown_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resumed.jsonl");
    let changed = PM.replace(
        "### Last {#last}",
        "### Check again {#again}\n\n```bash\necho again\n```\n\n### Last {#last}",
    );
    let mut recs = vec![
        (T0, Msg::SessionStarted(info(PM))),
        (
            T0 + 5,
            Msg::ChecklistTicked {
                step: "check".into(),
                item: 0,
                checked: true,
            },
        ),
        (
            T0 + 10,
            Msg::RunRequested {
                step: "hello".into(),
            },
        ),
        (
            T0 + 20,
            Msg::ActionStarted {
                step: "hello".into(),
                action: 0,
                pid: None,
            },
        ),
        (T0 + 30, support::output("hello", "hel")),
        (
            T0 + 40,
            Msg::Interrupted {
                reason: "SIGHUP".into(),
            },
        ),
        (
            T0 + 60_000,
            Msg::Resumed {
                runbook_hash: "changed".into(),
                runbook_changed: true,
                runbook_text: Some(changed),
                operator: Some("bob".into()),
                host: Some("laptop".into()),
                values: Default::default(),
            },
        ),
        (
            T0 + 61_000,
            Msg::InDoubtResolved {
                step: "hello".into(),
                decision: session::Decision::MarkDone,
            },
        ),
        (
            T0 + 62_000,
            Msg::RunRequested {
                step: "wipe".into(),
            },
        ),
        (
            T0 + 63_000,
            Msg::GateAnswered {
                step: "wipe".into(),
                typed: "production".into(),
            },
        ),
    ];
    let mut wipe = ran("wipe", T0 + 63_000, &["wiped\n"], 0);
    wipe.remove(0);
    recs.extend(wipe);
    recs.push((
        T0 + 70_000,
        Msg::Skipped {
            step: "broken".into(),
            reason: "not today".into(),
        },
    ));
    recs.extend(ran("again", T0 + 71_000, &["again\n"], 0));
    write_journal(&path, &recs);
    let mut c = open(&path);
    assert!(
        c.player.index().stop().is_none(),
        "{:?}",
        c.player.index().stop()
    );
    for pos in shuffled((1..=recs.len()).collect()) {
        c.player.seek(pos).unwrap();
        assert_same_screen(&mut c, &recs, (120, 36), "resumed");
    }
    c.player.seek(recs.len()).unwrap();
    let again = c.player.session().state("again").map(|s| s.status.clone());
    assert_eq!(again, Some(StepStatus::Done));
}

/// A drill whose view, at its checkpoints, hangs on what the engine said
/// before them: a gate with a wrong name typed, a countdown, a rollback.
const SEEKS: &str = r#"---
targets:
  staging: { countdown: 10s }
  production: { protected: true }
---
# Seek drill

## Apply {#apply}

### Wipe {#wipe}

```bash {target=production}
rm -rf /tmp/runsheet-nothing
```

### Clean staging {#clean}

```bash {target=staging}
rm -rf /tmp/runsheet-nothing-either
```

### Broken {#broken}

```bash
exit 3
```

## Rollback

### Undo {#undo undoes=apply}

```bash
echo undo
```
"#;

/// Enough notes that the index takes a checkpoint among them.
fn notes(from: i64, every: i64) -> Vec<(i64, Msg)> {
    (0..600)
        .map(|i| {
            (
                from + i * every,
                Msg::Note {
                    step: None,
                    text: format!("note {i}"),
                },
            )
        })
        .collect()
}

fn seeks() -> Vec<(i64, Msg)> {
    let s = |n: i64| T0 + n * 1000;
    let mut started = info(SEEKS);
    started.runbook_path = "seeks.md".into();
    let mut v = vec![
        (T0, Msg::SessionStarted(started)),
        (
            s(1),
            Msg::RunRequested {
                step: "wipe".into(),
            },
        ),
        (
            s(2),
            Msg::GateAnswered {
                step: "wipe".into(),
                typed: "prod".into(),
            },
        ),
    ];
    v.extend(notes(s(2) + 1, 1));
    v.push((
        s(5),
        Msg::GateAnswered {
            step: "wipe".into(),
            typed: "production".into(),
        },
    ));
    let mut wipe = ran("wipe", s(5), &[], 0);
    wipe.remove(0);
    v.extend(wipe);
    v.push((
        s(10),
        Msg::RunRequested {
            step: "clean".into(),
        },
    ));
    v.extend(notes(s(10) + 1, 5));
    v.push((
        s(20),
        Msg::CountdownElapsed {
            step: "clean".into(),
        },
    ));
    let mut clean = ran("clean", s(20), &[], 0);
    clean.remove(0);
    v.extend(clean);
    v.extend(ran("broken", s(30), &["FATAL\n"], 3));
    v.push((
        s(35),
        Msg::RollbackRequested {
            failed: "broken".into(),
            rollback: "undo".into(),
        },
    ));
    v.extend(notes(s(35) + 1, 1));
    v.extend(ran("undo", s(40), &["undo\n"], 0));
    v.push((
        s(50),
        Msg::Skipped {
            step: "broken".into(),
            reason: "undone".into(),
        },
    ));
    v.push((
        s(60),
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
    ));
    v
}

/// The index keeps sessions, not screens: a seek to past a checkpoint
/// rebuilds the view from the session there (the gate with its wrong
/// name, the countdown, the rollback turned to) and lands on the screen
/// the live session had.
#[test]
fn a_seek_past_a_checkpoint_rebuilds_the_live_screen_from_the_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("seeks.jsonl");
    let records = seeks();
    write_journal(&path, &records);
    let mut c = open(&path);
    let len = c.player.index().len();
    assert_eq!(len, records.len());
    assert!(
        c.player.index().stop().is_none(),
        "{:?}",
        c.player.index().stop()
    );
    assert!(c.player.index().checkpoints_between(1, len) >= 3);
    // Notes are marks too: stopping at every one of 1800 is slow and
    // shows nothing new.
    let index = c.player.index();
    let mut positions: Vec<usize> = [Mark::Boundary, Mark::Failure, Mark::Gate]
        .iter()
        .flat_map(|m| index.marks(*m))
        .chain((1..len).step_by(97))
        .collect();
    positions.push(len);
    for pos in shuffled(positions) {
        c.player
            .seek(pos)
            .unwrap_or_else(|e| panic!("seek {pos}: {e}"));
        assert_same_screen(&mut c, &records, (100, 30), "seek");
    }
    // Each state the view is rebuilt in, right after its checkpoint.
    let at_checkpoints: Vec<usize> = (2..len)
        .filter(|p| {
            c.player
                .index()
                .checkpoint_before(*p)
                .is_some_and(|cp| cp.pos == *p)
        })
        .collect();
    let mut seen = Vec::new();
    for pos in at_checkpoints {
        c.player
            .seek(pos)
            .unwrap_or_else(|e| panic!("seek {pos}: {e}"));
        assert_same_screen(&mut c, &records, (100, 30), "at a checkpoint");
        let app = c.player.app();
        seen.push((app.mode.clone(), app.hint.clone(), app.selected.clone()));
    }
    let gate = seen.iter().any(|(m, hint, _)| {
        matches!(m, Mode::Gate { .. })
            && hint
                .as_deref()
                .is_some_and(|h| h.contains("not production"))
    });
    assert!(gate, "{seen:?}");
    assert!(
        seen.iter()
            .any(|(m, ..)| matches!(m, Mode::Countdown { .. })),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|(.., sel)| sel.as_deref() == Some("undo")),
        "{seen:?}"
    );
}

// --------------------------------------------------------------- snapshots

#[test]
fn snapshot_at_the_gate_playing_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = open(&scripted_journal(dir.path()));
    c.player.set_speed(20);
    c.player.set_skip_idle(true);
    c.handle_key(support::ch('g'), 0);
    insta::assert_snapshot!("replay_gate_120x32", replay_screen(&mut c, (120, 32), 0));
}

#[test]
fn snapshot_after_the_failure_paused_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = open(&scripted_journal(dir.path()));
    c.handle_key(support::ch(' '), 0);
    c.handle_key(support::ch('n'), 0);
    insta::assert_snapshot!("replay_failure_80x24", replay_screen(&mut c, (80, 24), 0));
}

#[test]
fn snapshot_following_a_session_still_running() {
    let dir = tempfile::tempdir().unwrap();
    let full = scripted();
    let path = dir.path().join("live.jsonl");
    write_journal(&path, &full[..full.len() - 6]);
    let mut player = Player::open_as(&path, SHOWN).unwrap();
    let wall = T0 + 1_262_500;
    player.set_follow(true, wall).unwrap();
    let mut c = Controls::new(player);
    insta::assert_snapshot!(
        "replay_follow_120x32",
        replay_screen(&mut c, (120, 32), wall)
    );
}
