//! `runsheet replay JOURNAL`: the command's entry point.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use super::clock;
use super::controls::Controls;
use super::error::ReplayError;
use super::event_loop;
use super::player::Player;
use crate::driver::now_ms;
use crate::tui::Theme;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// 1, 2, 5, 10, 20, 50 or 100 (others snap down to one of these).
    pub speed: u32,
    pub skip_idle: bool,
    /// Start at the end and follow the journal as it grows.
    pub follow: bool,
    /// Start paused.
    pub paused: bool,
    /// Start at this time since the session started (`mm:ss`, `hh:mm:ss`).
    pub at: Option<String>,
    pub color: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            speed: 1,
            skip_idle: false,
            follow: false,
            paused: false,
            at: None,
            color: true,
        }
    }
}

/// Opens the journal and sets the player up as the options ask, at real
/// time `wall`.
pub fn open(journal: &Path, opts: &ReplayOptions, wall: i64) -> Result<Controls, ReplayError> {
    let mut player = Player::open(journal)?;
    player.set_speed(opts.speed);
    player.set_skip_idle(opts.skip_idle);
    if let Some(at) = &opts.at {
        let offset = clock::parse_offset(at).ok_or_else(|| ReplayError::BadOffset(at.clone()))?;
        let start = player.index().started_at();
        player.seek_time(start.saturating_add(offset))?;
    }
    player.set_playing(!opts.paused);
    if opts.follow {
        player.set_follow(true, wall)?;
    }
    Ok(Controls::new(player))
}

pub fn replay(journal: &Path, opts: ReplayOptions) -> color_eyre::Result<ExitCode> {
    let fail = |e: ReplayError| {
        eprintln!("runsheet: {e}");
        Ok(ExitCode::from(2))
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return fail(ReplayError::NoTerminal);
    }
    let controls = match open(journal, &opts, now_ms()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match event_loop::run(controls, Theme::new(opts.color)) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => fail(e),
    }
}
