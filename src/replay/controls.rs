//! Keys during a replay: the transport (play, speed, seek, jumps, follow),
//! the live UI's keys for looking around (tree, panes, search, help), and
//! a refusal for anything that would change the session.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::clock;
use super::error::ReplayError;
use super::index::Mark;
use super::player::Player;
use crate::session::Millis;
use crate::tui::{Command, Focus, Mode};

/// How long a message stays in the replay bar, in real time.
const FLASH_MS: Millis = 3_000;

pub const READ_ONLY: &str = "read-only replay: the session cannot be changed from here";

/// A message in the replay bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub until: Millis,
    pub alert: bool,
}

pub struct Controls {
    pub player: Player,
    /// The help overlay is open, scrolled this far.
    pub help: Option<u16>,
    /// A time being typed (`t`), since the start of the session.
    pub seek_input: Option<String>,
    pub flash: Option<Flash>,
    /// What the last record other than output was, as of the last frame.
    pub event: Option<String>,
}

/// What the replay does after a key: go on, or leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterKey {
    Stay,
    Quit,
}

impl Controls {
    pub fn new(player: Player) -> Controls {
        Controls {
            player,
            help: None,
            seek_input: None,
            flash: None,
            event: None,
        }
    }

    /// Time passing (real time `wall`): the replay clock, appended lines,
    /// the flash running out. True if the screen changed.
    pub fn tick(&mut self, wall: Millis) -> bool {
        let mut changed = false;
        match self.player.poll(wall) {
            Ok(grew) => changed |= grew,
            Err(e) => self.alert(e.to_string(), wall),
        }
        match self.player.tick(wall) {
            Ok(moved) => changed |= moved,
            Err(e) => self.alert(e.to_string(), wall),
        }
        if self.flash.as_ref().is_some_and(|f| wall >= f.until) {
            self.flash = None;
            changed = true;
        }
        changed
    }

    pub fn flash_at(&self, wall: Millis) -> Option<&Flash> {
        self.flash.as_ref().filter(|f| wall < f.until)
    }

    fn say(&mut self, text: impl Into<String>, wall: Millis) {
        self.flash = Some(Flash {
            text: text.into(),
            until: wall + FLASH_MS,
            alert: false,
        });
    }

    fn alert(&mut self, text: impl Into<String>, wall: Millis) {
        self.flash = Some(Flash {
            text: text.into(),
            until: wall + FLASH_MS,
            alert: true,
        });
    }

    pub fn handle_key(&mut self, key: KeyEvent, wall: Millis) -> AfterKey {
        if key.kind == KeyEventKind::Release {
            return AfterKey::Stay;
        }
        if let Some(input) = self.seek_input.take() {
            self.seek_key(input, key, wall);
            return AfterKey::Stay;
        }
        if let Some(scroll) = self.help {
            self.help_key(scroll, key);
            return AfterKey::Stay;
        }
        if matches!(self.player.app().mode, Mode::Search { .. }) {
            return self.pass_to_view(key, wall);
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return AfterKey::Quit;
        }
        let app = self.player.app();
        let searching = app.focus == Focus::Output && app.search.is_some();
        let result = match key.code {
            KeyCode::Char('q') => return AfterKey::Quit,
            KeyCode::Char(' ') => {
                self.play_pause(wall);
                Ok(())
            }
            KeyCode::Char('+' | '=') => {
                self.player.change_speed(1);
                Ok(())
            }
            KeyCode::Char('-' | '_') => {
                self.player.change_speed(-1);
                Ok(())
            }
            KeyCode::Char('i') => {
                let on = !self.player.skip_idle();
                self.player.set_skip_idle(on);
                self.say(
                    if on {
                        "skipping idle time: a long wait takes a second"
                    } else {
                        "idle time at its real pace"
                    },
                    wall,
                );
                Ok(())
            }
            KeyCode::Right => self.jump(Mark::Boundary, false, "the end", wall),
            KeyCode::Left => self.jump(Mark::Boundary, true, "the start", wall),
            KeyCode::Char('n') if !searching => self.jump(Mark::Failure, false, "failure", wall),
            KeyCode::Char('N') if !searching => self.jump(Mark::Failure, true, "failure", wall),
            KeyCode::Char('g') => self.jump(Mark::Gate, false, "gate", wall),
            KeyCode::Char('o') => self.jump(Mark::Note, false, "note", wall),
            KeyCode::Home => self.unfollow_then(wall, |p| p.seek(1)),
            KeyCode::End => self.unfollow_then(wall, |p| {
                let end = p.index().len();
                p.seek(end)
            }),
            KeyCode::Char('t') => {
                self.seek_input = Some(String::new());
                Ok(())
            }
            KeyCode::Char('f') => {
                let on = !self.player.following();
                let r = self.player.set_follow(on, wall);
                self.say(
                    if on {
                        "following the journal as it grows"
                    } else {
                        "stopped following: paused"
                    },
                    wall,
                );
                r
            }
            KeyCode::Char('?') => {
                self.help = Some(0);
                Ok(())
            }
            _ => return self.look_around(key, wall),
        };
        if let Err(e) = result {
            self.alert(e.to_string(), wall);
        }
        AfterKey::Stay
    }

    fn play_pause(&mut self, wall: Millis) {
        if self.player.following() {
            self.say("following: f stops", wall);
        } else if self.player.playing() {
            self.player.set_playing(false);
        } else if self.player.at_end() {
            self.say("at the end: Home to start again, f to follow", wall);
        } else {
            self.player.set_playing(true);
        }
    }

    /// A seek stops following (the end is no longer where the view is).
    fn unfollow_then(
        &mut self,
        wall: Millis,
        seek: impl FnOnce(&mut Player) -> Result<(), ReplayError>,
    ) -> Result<(), ReplayError> {
        if self.player.following() {
            self.player.set_follow(false, wall)?;
        }
        seek(&mut self.player)
    }

    fn jump(
        &mut self,
        mark: Mark,
        back: bool,
        what: &str,
        wall: Millis,
    ) -> Result<(), ReplayError> {
        if self.player.following() {
            self.player.set_follow(false, wall)?;
        }
        if mark == Mark::Boundary {
            let moved = self.player.jump(mark, back)?;
            if !moved {
                let to = if back { 1 } else { self.player.index().len() };
                self.player.seek(to)?;
                self.say(format!("at {what}"), wall);
            }
            return Ok(());
        }
        if !self.player.jump(mark, back)? {
            let dir = if back { "before" } else { "after" };
            self.say(format!("no {what} {dir} this point"), wall);
        }
        Ok(())
    }

    fn seek_key(&mut self, mut input: String, key: KeyEvent, wall: Millis) {
        match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match clock::parse_offset(&input) {
                Some(offset) => {
                    let start = self.player.index().started_at();
                    let r = self.unfollow_then(wall, |p| p.seek_time(start.saturating_add(offset)));
                    if let Err(e) = r {
                        self.alert(e.to_string(), wall);
                    }
                }
                None => {
                    self.alert("type a time since the start: mm:ss or hh:mm:ss", wall);
                    self.seek_input = Some(input);
                }
            },
            KeyCode::Backspace => {
                input.pop();
                self.seek_input = Some(input);
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.seek_input = Some(String::new());
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {}
            KeyCode::Char(c) if c.is_ascii_digit() || c == ':' => {
                input.push(c);
                self.seek_input = Some(input);
            }
            _ => self.seek_input = Some(input),
        }
    }

    /// The live UI's help overlay, on a copy of the view: it must not hide
    /// a gate or question the journal has on screen.
    fn help_key(&mut self, scroll: u16, key: KeyEvent) {
        let mut app = self.player.app().clone();
        app.mode = Mode::Help;
        app.help_scroll = scroll;
        let _ = app.handle_key(self.player.session(), key, self.player.now());
        self.help = (app.mode == Mode::Help).then_some(app.help_scroll);
    }

    /// Keys of the live UI that only move the view go to it; keys that
    /// would change the session are refused.
    fn look_around(&mut self, key: KeyEvent, wall: Millis) -> AfterKey {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let view_only = match key.code {
            KeyCode::Char('j' | 'k' | 'G' | '/' | 'n' | 'N')
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::PageUp
            | KeyCode::PageDown
            | KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Esc => !ctrl,
            KeyCode::Char('u' | 'd') => ctrl,
            _ => false,
        };
        // A gate, countdown or question on screen is the journal's: keys
        // would be typed into it.
        let modal = !matches!(self.player.app().mode, Mode::Normal);
        if view_only && !modal {
            return self.pass_to_view(key, wall);
        }
        let changes = matches!(
            key.code,
            KeyCode::Enter | KeyCode::Char('r' | 'x' | 'd' | 's' | 'b' | 'c' | 'y' | '1'..='9')
        );
        if changes || modal {
            self.alert(READ_ONLY, wall);
        }
        AfterKey::Stay
    }

    fn pass_to_view(&mut self, key: KeyEvent, wall: Millis) -> AfterKey {
        let now = self.player.now();
        let (app, session) = self.player.view_mut();
        let commands = app.handle_key(session, key, now);
        for c in commands {
            match c {
                Command::Quit => return AfterKey::Quit,
                Command::Submit(_) | Command::Variable { .. } => self.alert(READ_ONLY, wall),
                Command::EndRolledBack => self.alert(READ_ONLY, wall),
                Command::Bell | Command::KeepRunning => {}
            }
        }
        AfterKey::Stay
    }
}
