//! The replay's terminal loop: keys, a frame timer and the file, on one
//! thread (nothing runs, so there is nothing to supervise). The terminal
//! is set up and given back by the live UI's own functions.

use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use ratatui::DefaultTerminal;
use ratatui::layout::Rect;

use super::controls::{AfterKey, Controls};
use super::error::ReplayError;
use super::screen;
use crate::driver::now_ms;
use crate::tui::Theme;
use crate::tui::event_loop::{TerminalGuard, init_terminal};

/// A frame every ~33 ms while the replay moves, fewer when it is paused.
const FRAME: Duration = Duration::from_millis(33);
const PAUSED: Duration = Duration::from_millis(250);
const IDLE_REDRAW: Duration = Duration::from_secs(1);

pub fn run(mut controls: Controls, theme: Theme) -> Result<(), ReplayError> {
    let mut terminal = init_terminal().map_err(ReplayError::TerminalSetup)?;
    let guard = TerminalGuard;
    let result = event_loop(&mut controls, &mut terminal, &theme);
    drop(guard);
    // ratatui's Terminal reports a failure to restore with eprintln!, which
    // panics when the terminal is gone; it was restored above.
    std::mem::forget(terminal);
    result
}

fn event_loop(
    controls: &mut Controls,
    terminal: &mut DefaultTerminal,
    theme: &Theme,
) -> Result<(), ReplayError> {
    let mut dirty = true;
    let mut last_draw = Instant::now();
    loop {
        let wall = now_ms();
        dirty |= controls.tick(wall);
        if dirty || last_draw.elapsed() >= IDLE_REDRAW {
            draw(controls, terminal, theme, wall)?;
            dirty = false;
            last_draw = Instant::now();
        }
        let moving = controls.player.playing() || controls.player.following();
        let wait = if moving { FRAME } else { PAUSED };
        if !event::poll(wait).map_err(ReplayError::TerminalRead)? {
            continue;
        }
        match event::read().map_err(ReplayError::TerminalRead)? {
            Event::Key(key) => {
                if controls.handle_key(key, now_ms()) == AfterKey::Quit {
                    return Ok(());
                }
                dirty = true;
            }
            Event::Paste(text) => {
                controls.player.view_mut().0.handle_paste(&text);
                dirty = true;
            }
            _ => dirty = true,
        }
    }
}

fn draw(
    controls: &mut Controls,
    terminal: &mut DefaultTerminal,
    theme: &Theme,
    wall: i64,
) -> Result<(), ReplayError> {
    let size = terminal.size().map_err(ReplayError::TerminalSize)?;
    screen::prepare(controls, Rect::new(0, 0, size.width, size.height));
    terminal
        .draw(|f| screen::draw(f, controls, theme, wall))
        .map_err(ReplayError::Draw)?;
    Ok(())
}
