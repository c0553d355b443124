//! The output emulators: terminal behaviour (\r, colours, bare \n), bounded
//! scrollback, search, resizing, tiny sizes, and catching up with the session.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::style::Color;
use runsheet::session::{Msg, Session};
use runsheet::tui::output::{MIN_COLS, MIN_ROWS, SCROLLBACK_ROWS};
use runsheet::tui::{self, App, Outputs, Theme};
use support::*;

const RUNBOOK: &str = "# Out\n\n## P {#p}\n\n### One {#one}\n\n```bash\necho 1\n```\n\n### Two {#two}\n\n```bash\necho 2\n```\n\n### Three {#three}\n\n```bash\necho 3\n```\n\n### Four {#four}\n\n```bash\necho 4\n```\n\n### Five {#five}\n\n```bash\necho 5\n```\n";
const AT: i64 = T0 + 1_000;

fn running(step: &str) -> (Session, App) {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    for id in ["one", "two", "three", "four", "five"] {
        if id == step {
            break;
        }
        submit(&mut app, &mut s, AT, Msg::RunRequested { step: id.into() });
        submit(
            &mut app,
            &mut s,
            AT,
            output(id, &format!("output of {id}\n")),
        );
        submit(&mut app, &mut s, AT, finished(id, 0, 0, 10));
    }
    submit(
        &mut app,
        &mut s,
        AT,
        Msg::RunRequested { step: step.into() },
    );
    (s, app)
}

fn emit(s: &mut Session, step: &str, data: &str) {
    ok(s, AT, output(step, data));
}

fn sized(rows: u16, cols: u16) -> Outputs {
    let mut o = Outputs::new();
    o.resize(rows, cols);
    o
}

fn nonblank(rows: Vec<String>) -> Vec<String> {
    rows.into_iter()
        .map(|r| r.trim_end().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

#[test]
fn carriage_returns_redraw_the_line_and_bare_newlines_start_a_new_one() {
    let (mut s, _) = running("one");
    emit(&mut s, "one", "first\nsecond\n");
    for pct in [10, 50, 100] {
        emit(&mut s, "one", &format!("\rprogress {pct:3}%"));
    }
    emit(&mut s, "one", "\r\n");
    let mut o = sized(10, 40);
    o.catch_up(&s, Some("one"));
    assert_eq!(
        nonblank(o.text("one")),
        vec!["first", "second", "progress 100%"]
    );
}

#[test]
fn ansi_colours_reach_the_cells() {
    let (mut s, mut app) = running("one");
    emit(&mut s, "one", "\x1b[31mred\x1b[0m plain\n");
    let mut o = Outputs::new();
    let buf = frame(&s, &mut app, &mut o, (120, 30), AT, &Theme::new(true));
    let (x, y) = find(&buf, "red plain");
    assert_eq!(buf[(x, y)].fg, Color::Indexed(1));
    assert_eq!(buf[(x + 4, y)].fg, Color::Reset);
}

#[test]
fn no_color_drops_the_commands_colours_too() {
    let (mut s, mut app) = running("one");
    emit(&mut s, "one", "\x1b[1;31mred\x1b[0m plain\n");
    let mut o = Outputs::new();
    let buf = frame(&s, &mut app, &mut o, (120, 30), AT, &Theme::new(false));
    let (x, y) = find(&buf, "red plain");
    assert_eq!(buf[(x, y)].fg, Color::Reset);
    assert!(
        buf[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
}

fn find(buf: &ratatui::buffer::Buffer, needle: &str) -> (u16, u16) {
    for (y, line) in text(buf).lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = unicode_width::UnicodeWidthStr::width(&line[..byte]);
            return (x as u16, y as u16);
        }
    }
    panic!("{needle:?} is not on screen:\n{}", text(buf));
}

#[test]
fn scrollback_is_bounded() {
    let (mut s, _) = running("one");
    let mut o = sized(20, 60);
    for chunk in 0..40 {
        let lines: String = (0..500)
            .map(|i| format!("line {}\n", chunk * 500 + i))
            .collect();
        emit(&mut s, "one", &lines);
        o.catch_up(&s, Some("one"));
    }
    assert_eq!(o.scrollback_len("one"), SCROLLBACK_ROWS);
    let rows = o.text("one");
    assert_eq!(rows.len(), SCROLLBACK_ROWS + 20);
    assert_eq!(
        nonblank(rows).last().map(String::as_str),
        Some("line 19999")
    );
}

#[test]
fn search_ignores_case_and_returns_rows() {
    let (mut s, _) = running("one");
    emit(
        &mut s,
        "one",
        "ok\nERROR: disk full\nok\nan error again\nÉté fini\n",
    );
    let mut o = sized(3, 40);
    o.catch_up(&s, Some("one"));
    let rows = o.text("one");
    let hits = o.search("one", "error");
    assert_eq!(hits.len(), 2);
    assert!(rows[hits[0]].starts_with("ERROR"));
    assert!(rows[hits[1]].starts_with("an error"));
    assert_eq!(o.search("one", "ÉTÉ").len(), 1);
    assert!(o.search("one", "").is_empty());
    assert!(o.search("nobody", "ok").is_empty());
}

#[test]
fn tiny_sizes_are_clamped_and_never_panic() {
    let (mut s, mut app) = running("one");
    emit(&mut s, "one", "hello\n");
    let mut o = Outputs::new();
    o.resize(0, 0);
    assert_eq!(o.size(), (MIN_ROWS, MIN_COLS));
    o.resize(1, 1);
    o.catch_up(&s, Some("one"));
    assert_eq!(o.size(), (MIN_ROWS, MIN_COLS));
    for (w, h) in [
        (1, 1),
        (2, 1),
        (5, 3),
        (10, 2),
        (20, 5),
        (40, 8),
        (79, 23),
        (99, 12),
        (100, 6),
    ] {
        for theme in [Theme::new(true), Theme::new(false)] {
            frame(&s, &mut app, &mut o, (w, h), AT, &theme);
        }
    }
}

#[test]
fn every_modal_draws_at_tiny_sizes() {
    let (mut s, mut app) = running("one");
    emit(&mut s, "one", "x\n");
    let mut o = Outputs::new();
    for k in [ch('?'), ch('n'), ch('/'), ch('q')] {
        press(&mut app, &mut s, AT, k);
        for (w, h) in [(1, 1), (3, 2), (12, 4), (30, 6)] {
            frame(&s, &mut app, &mut o, (w, h), AT, &Theme::new(true));
        }
        press(&mut app, &mut s, AT, key(KeyCode::Esc));
    }
}

#[test]
fn shrinking_the_pane_keeps_the_newest_lines() {
    let (mut s, _) = running("one");
    let lines: String = (1..=15).map(|i| format!("line {i}\n")).collect();
    emit(&mut s, "one", &lines);
    let mut o = sized(20, 40);
    o.catch_up(&s, Some("one"));
    o.resize(5, 40);
    let view = o
        .view("one")
        .map(|v| v.screen.contents())
        .unwrap_or_default();
    assert!(view.contains("line 15"), "{view}");
    assert_eq!(
        nonblank(o.text("one")).len(),
        15,
        "nothing lost to the shrink"
    );
}

#[test]
fn output_faster_than_the_screen_is_skipped_with_a_notice() {
    let (mut s, _) = running("one");
    let mut o = sized(10, 80);
    o.catch_up(&s, Some("one"));
    let big = "x".repeat(100) + "\n";
    for _ in 0..2_000 {
        emit(&mut s, "one", &big);
    }
    emit(&mut s, "one", "the end\n");
    o.catch_up(&s, Some("one"));
    let rows = o.text("one");
    assert!(rows.iter().any(|r| r.contains("bytes not shown here")));
    assert_eq!(nonblank(rows).last().map(String::as_str), Some("the end"));
}

#[test]
fn only_a_few_steps_keep_an_emulator_and_others_are_rebuilt() {
    let (mut s, _) = running("five");
    emit(&mut s, "five", "five says hi\n");
    let mut o = sized(10, 40);
    for id in ["one", "two", "three", "four", "five"] {
        o.catch_up(&s, Some(id));
    }
    let kept = ["one", "two", "three", "four", "five"]
        .iter()
        .filter(|id| o.has(id))
        .count();
    assert!(kept <= 3, "{kept} emulators kept");
    assert!(o.has("five"), "the running step keeps its emulator");
    assert!(!o.has("one"));
    o.catch_up(&s, Some("one"));
    assert_eq!(nonblank(o.text("one")), vec!["output of one"]);
}

#[test]
fn a_resumed_session_shows_the_output_it_had() {
    let (mut s, _) = running("two");
    emit(&mut s, "two", "before the crash\n");
    ok(&mut s, AT, resumed());
    let mut app = App::new(&s);
    let mut o = Outputs::new();
    tui::prepare(&mut app, &mut o, &s, Rect::new(0, 0, 120, 40));
    assert!(o.text("two").iter().any(|r| r.contains("before the crash")));
}

#[test]
fn a_scrolled_back_view_stays_on_its_text_while_output_arrives() {
    let (mut s, mut app) = running("one");
    let area = Rect::new(0, 0, 120, 40);
    let mut o = Outputs::new();
    let lines: String = (1..=200).map(|i| format!("line {i}\n")).collect();
    emit(&mut s, "one", &lines);
    tui::prepare(&mut app, &mut o, &s, area);
    press(&mut app, &mut s, AT, key(KeyCode::PageUp));
    tui::prepare(&mut app, &mut o, &s, area);
    let before = o
        .view("one")
        .map(|v| v.screen.contents())
        .unwrap_or_default();
    let more: String = (201..=230).map(|i| format!("line {i}\n")).collect();
    emit(&mut s, "one", &more);
    tui::prepare(&mut app, &mut o, &s, area);
    let after = o
        .view("one")
        .map(|v| v.screen.contents())
        .unwrap_or_default();
    assert_eq!(before, after);
    assert!(!app.follow);
    press(&mut app, &mut s, AT, ch('G'));
    tui::prepare(&mut app, &mut o, &s, area);
    let live = o
        .view("one")
        .map(|v| v.screen.contents())
        .unwrap_or_default();
    assert!(live.contains("line 230"));
}

#[test]
fn search_jumps_to_the_newest_match_then_n_and_shift_n_move() {
    let (mut s, mut app) = running("one");
    let area = Rect::new(0, 0, 120, 40);
    let mut o = Outputs::new();
    let lines: String = (1..=300)
        .map(|i| {
            if i % 100 == 0 {
                format!("MATCH {i}\n")
            } else {
                format!("line {i}\n")
            }
        })
        .collect();
    emit(&mut s, "one", &lines);
    tui::prepare(&mut app, &mut o, &s, area);
    press(&mut app, &mut s, AT, ch('/'));
    type_text(&mut app, &mut s, AT, "match");
    press(&mut app, &mut s, AT, key(KeyCode::Enter));
    let shown = |app: &mut App, o: &mut Outputs, s: &Session| {
        tui::prepare(app, o, s, area);
        o.view("one")
            .map(|v| v.screen.contents())
            .unwrap_or_default()
    };
    assert!(shown(&mut app, &mut o, &s).contains("MATCH 300"));
    assert_eq!(app.search.as_ref().map(|s| s.matches.len()), Some(3));
    press(&mut app, &mut s, AT, ch('N'));
    let v = shown(&mut app, &mut o, &s);
    assert!(v.contains("MATCH 200") && !v.contains("MATCH 300"), "{v}");
    press(&mut app, &mut s, AT, ch('N'));
    assert!(shown(&mut app, &mut o, &s).contains("MATCH 100"));
    press(&mut app, &mut s, AT, ch('n'));
    assert!(shown(&mut app, &mut o, &s).contains("MATCH 200"));
}
