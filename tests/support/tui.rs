//! Shared by the TUI tests: a session from a runbook, a stand-in for the
//! runtime that applies commands, keys, and a frame drawn as text.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use runsheet::runbook::parse;
use runsheet::session::{ActionOutcome, Effect, Msg, Session, SessionInfo, Stream};
use runsheet::tui::{self, App, Command, Outputs, Theme};
use std::sync::Arc;
use unicode_width::UnicodeWidthStr;

pub const T0: i64 = 1_700_000_000_000;
pub const DEMO: &str = include_str!("../../assets/runbooks/demo.md");
pub const JOURNAL: &str =
    "/home/alice/.local/share/runsheet/journals/demo--production--20231114T221320Z.jsonl";

pub fn session_of(text: &str, target: &str) -> Session {
    let parsed = parse("runbook.md", text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let info = SessionInfo {
        runbook_path: "runbook.md".into(),
        runbook_hash: "hash".into(),
        runbook_text: text.into(),
        target: target.into(),
        operator: "alice".into(),
        host: "bastion".into(),
        tool_version: "0.1.0".into(),
        drill: false,
        sandbox: false,
        workdir: None,
        targets: Vec::new(),
        variables: vec![],
        values: Default::default(),
    };
    Session::new(Arc::new(parsed.runbook), info, T0)
}

pub fn demo(target: &str) -> Session {
    session_of(DEMO, target)
}

/// Applies a message the engine must accept; returns the effects after Record.
pub fn ok(s: &mut Session, at: i64, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(mut effects) => {
            effects.remove(0);
            effects
        }
        Err(r) => panic!("{msg:?} was refused: {r}"),
    }
}

/// What the event loop does with commands: apply, then tell the app.
pub fn run_commands(
    app: &mut App,
    s: &mut Session,
    commands: Vec<Command>,
    at: i64,
) -> Vec<Command> {
    let mut rest = Vec::new();
    for c in commands {
        match c {
            Command::Submit(msg) => match s.update(at, msg) {
                Ok(effects) => {
                    for e in effects {
                        rest.extend(app.on_effect(s, &e, at));
                    }
                }
                Err(r) => app.on_refused(&r.0, at),
            },
            other => rest.push(other),
        }
    }
    rest
}

/// Applies a message as the runtime would (effects to the app).
pub fn submit(app: &mut App, s: &mut Session, at: i64, msg: Msg) -> Vec<Command> {
    run_commands(app, s, vec![Command::Submit(msg)], at)
}

pub fn press(app: &mut App, s: &mut Session, at: i64, key: KeyEvent) -> Vec<Command> {
    let commands = app.handle_key(s, key, at);
    run_commands(app, s, commands, at)
}

pub fn type_text(app: &mut App, s: &mut Session, at: i64, text: &str) {
    for c in text.chars() {
        press(app, s, at, ch(c));
    }
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ch(c: char) -> KeyEvent {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub fn outcome(exit_code: i32, duration_ms: u64) -> ActionOutcome {
    ActionOutcome {
        exit_code: Some(exit_code),
        signal: None,
        timed_out: false,
        cancelled: false,
        duration_ms,
        error: None,
        failure: None,
        needs_approval: None,
    }
}

/// A resume of an unchanged runbook, with no new values.
pub fn resumed() -> Msg {
    Msg::Resumed {
        runbook_hash: "hash".into(),
        runbook_changed: false,
        runbook_text: None,
        operator: None,
        host: None,
        values: Default::default(),
    }
}

pub fn output(step: &str, data: &str) -> Msg {
    Msg::Output {
        step: step.into(),
        action: 0,
        stream: Stream::Stdout,
        data: data.into(),
    }
}

pub fn finished(step: &str, action: usize, exit_code: i32, duration_ms: u64) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action,
        outcome: outcome(exit_code, duration_ms),
    }
}

/// Draws one frame (after `prepare`) and returns the terminal's buffer.
pub fn frame(
    s: &Session,
    app: &mut App,
    outputs: &mut Outputs,
    (w, h): (u16, u16),
    now: i64,
    theme: &Theme,
) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("terminal: {e}"),
    };
    tui::prepare(app, outputs, s, ratatui::layout::Rect::new(0, 0, w, h));
    if let Err(e) = terminal.draw(|f| tui::draw(f, s, app, outputs, now, theme)) {
        panic!("draw: {e}");
    }
    terminal.backend().buffer().clone()
}

/// The buffer as text, one line per row, trailing blanks trimmed.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = sym.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn screen(
    s: &Session,
    app: &mut App,
    outputs: &mut Outputs,
    size: (u16, u16),
    now: i64,
    theme: &Theme,
) -> String {
    text(&frame(s, app, outputs, size, now, theme))
}
