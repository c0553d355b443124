//! The replay engine: a position in the journal (how many records are
//! applied), a replay clock, and the session, view and output emulators at
//! that position. Pure: real time comes in as arguments.
//!
//! Moving forward applies records one by one through the live fold
//! ([`fold::apply`]), except output that would be pushed out of a step's
//! bounded tail before the position is reached: that is only counted, not
//! read. Moving back (or far forward) starts from the index's nearest
//! checkpoint and rebuilds each step's output tail from the file. Either
//! way the state is the one folding the journal prefix from the start gives.

use std::collections::HashMap;
use std::path::Path;

use ratatui::layout::Rect;

use super::clock::{self, SPEEDS};
use super::describe;
use super::error::ReplayError;
use super::fold;
use super::index::{Checkpoint, Index, Mark};
use crate::session::state::OUTPUT_TAIL_BYTES;
use crate::session::{Millis, Msg, Session};
use crate::tui::{self, App, Mode, Outputs};

/// How often the file is looked at for appended lines.
const POLL_MS: i64 = 250;

pub struct Player {
    index: Index,
    session: Session,
    app: App,
    outputs: Outputs,
    /// Records applied: the first `pos` of the index.
    pos: usize,
    /// The replay clock (ms since the epoch, like the records' times).
    now: Millis,
    playing: bool,
    speed: usize,
    skip_idle: bool,
    follow: bool,
    /// The pace of an idle stretch being skipped, fixed when it started.
    idle_pace: Option<f64>,
    last_wall: Option<Millis>,
    polled_at: Option<Millis>,
    /// Why the replay could not go on from `pos` (the file changed under it).
    failed: Option<String>,
    /// The last event's description, for the position it was made at.
    event: Option<(usize, String)>,
    buf: Vec<u8>,
}

impl Player {
    pub fn open(path: &Path) -> Result<Player, ReplayError> {
        Player::open_as(path, &path.display().to_string())
    }

    /// [`Player::open`], the header showing the journal as `shown`.
    pub fn open_as(path: &Path, shown: &str) -> Result<Player, ReplayError> {
        let index = Index::open_as(path, shown)?;
        let first = index.checkpoint_before(1).ok_or(ReplayError::NoStart)?;
        let first = first.clone();
        let now = index.started_at();
        let mut player = Player {
            app: index.view().restored(&first.session),
            session: first.session.clone(),
            index,
            outputs: Outputs::new(),
            pos: 1,
            now,
            playing: true,
            speed: 0,
            skip_idle: false,
            follow: false,
            idle_pace: None,
            last_wall: None,
            polled_at: None,
            failed: None,
            event: None,
            buf: Vec::new(),
        };
        player.restore(&first)?;
        Ok(player)
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// The view, to change, with the session it shows.
    pub fn view_mut(&mut self) -> (&mut App, &Session) {
        (&mut self.app, &self.session)
    }

    pub fn outputs(&self) -> &Outputs {
        &self.outputs
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn speed(&self) -> u32 {
        SPEEDS[self.speed]
    }

    pub fn skip_idle(&self) -> bool {
        self.skip_idle
    }

    pub fn following(&self) -> bool {
        self.follow
    }

    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.index.len()
    }

    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
        self.idle_pace = None;
    }

    pub fn set_speed(&mut self, speed: u32) {
        self.speed = clock::speed_index(speed);
        self.idle_pace = None;
    }

    /// One speed up (`+1`) or down (`-1`) the list.
    pub fn change_speed(&mut self, by: i32) {
        let to = (self.speed as i64 + i64::from(by)).clamp(0, SPEEDS.len() as i64 - 1);
        self.speed = to as usize;
        self.idle_pace = None;
    }

    pub fn set_skip_idle(&mut self, on: bool) {
        self.skip_idle = on;
        self.idle_pace = None;
    }

    /// Following sticks to the end of the journal as it grows, on the
    /// real clock; turning it off pauses where it is.
    pub fn set_follow(&mut self, on: bool, wall: Millis) -> Result<(), ReplayError> {
        self.follow = on;
        self.playing = on;
        if on {
            self.index.extend()?;
            self.go(self.index.len())?;
            self.now = self.follow_clock(wall);
        }
        Ok(())
    }

    /// Moves to just after record `to - 1`, its time on the clock.
    pub fn seek(&mut self, to: usize) -> Result<(), ReplayError> {
        self.go(to)?;
        self.now = self.index.entry(self.pos - 1).map_or(self.now, |e| e.at);
        self.idle_pace = None;
        Ok(())
    }

    /// Moves to `at` on the replay clock: every record up to then applied.
    pub fn seek_time(&mut self, at: Millis) -> Result<(), ReplayError> {
        let at = at.clamp(self.index.started_at(), self.index.last_at());
        self.go(self.index.position_at(at))?;
        self.now = at;
        self.idle_pace = None;
        Ok(())
    }

    /// Seeks to the next (or, `back`, previous) record with `mark`;
    /// false when there is none.
    pub fn jump(&mut self, mark: Mark, back: bool) -> Result<bool, ReplayError> {
        let to = if back {
            self.index.prev_mark(mark, self.pos)
        } else {
            self.index.next_mark(mark, self.pos)
        };
        match to {
            Some(to) => self.seek(to).map(|()| true),
            None => Ok(false),
        }
    }

    /// Looks for lines appended to the journal (at most every 250 ms of
    /// real time); true if the index grew or shrank.
    pub fn poll(&mut self, wall: Millis) -> Result<bool, ReplayError> {
        if self.polled_at.is_some_and(|t| wall - t < POLL_MS) {
            return Ok(false);
        }
        self.polled_at = Some(wall);
        let before = self.index.len();
        let stopped = self.index.stop().is_some();
        self.index.extend()?;
        if self.pos > self.index.len() {
            // A break found in what was appended makes the records shown
            // last untrusted: go back to before them.
            self.seek(self.index.len())?;
        }
        Ok(self.index.len() != before || self.index.stop().is_some() != stopped)
    }

    /// Real time passing: moves the replay clock and applies the records it
    /// reaches. True if anything changed on screen.
    pub fn tick(&mut self, wall: Millis) -> Result<bool, ReplayError> {
        let dt = self.last_wall.map_or(0, |w| (wall - w).max(0));
        self.last_wall = Some(wall);
        if self.follow {
            let before = (self.pos, self.now);
            self.go(self.index.len())?;
            self.now = self.follow_clock(wall);
            return Ok((self.pos, self.now) != before);
        }
        if !self.playing || self.failed.is_some() {
            return Ok(false);
        }
        let next = self.index.entry(self.pos).map(|e| e.at);
        if let Some(next) = next
            && self.skip_idle
            && self.idle_pace.is_none()
        {
            self.idle_pace = clock::idle_pace(self.speed(), next - self.now);
        }
        let pace = self.idle_pace.unwrap_or(0.0).max(f64::from(self.speed()));
        self.now = self.now.saturating_add((dt as f64 * pace).round() as i64);
        let reached = self.index.position_at(self.now).max(self.pos);
        if reached > self.pos {
            self.go(reached)?;
            self.idle_pace = None;
        }
        if self.at_end() {
            self.now = self.now.min(self.index.last_at());
            self.playing = false;
        }
        Ok(true)
    }

    /// Following, the clock is the real one while the session may still be
    /// going on; once it has ended or stopped, its last record's time.
    fn follow_clock(&self, wall: Millis) -> Millis {
        let last = self.index.last_at();
        if self.session.ended().is_some() || self.session.interrupted().is_some() {
            last
        } else {
            wall.max(last)
        }
    }

    /// Fits the view to `area` and feeds the emulators: call before drawing.
    pub fn prepare(&mut self, area: Rect) {
        tui::prepare(&mut self.app, &mut self.outputs, &self.session, area);
    }

    /// What the last record other than output was, in a few words.
    pub fn last_event(&mut self) -> Option<String> {
        if let Some((pos, text)) = &self.event
            && *pos == self.pos
        {
            return Some(text.clone());
        }
        let i = self.index.last_other_before(self.pos)?;
        let (_, msg) = self.index.read(i, &mut self.buf).ok()?;
        let text = describe::event(&msg, &self.session);
        self.event = Some((self.pos, text.clone()));
        Some(text)
    }

    /// Moves the state to position `to` (clamped to what can be replayed).
    fn go(&mut self, to: usize) -> Result<(), ReplayError> {
        let to = to.clamp(1, self.index.len().max(1));
        if to == self.pos {
            return Ok(());
        }
        let restart = to < self.pos
            || self.index.runbook_changes(self.pos, to)
            || self.index.checkpoints_between(self.pos, to) >= 2;
        if restart {
            let cp = self
                .index
                .checkpoint_before(to)
                .ok_or(ReplayError::NoCheckpoint)?
                .clone();
            self.restore(&cp)?;
        }
        if let Err(e) = self.apply_range(to) {
            self.failed = Some(e.to_string());
            self.playing = false;
            self.follow = false;
            return Err(e);
        }
        Ok(())
    }

    fn restore(&mut self, cp: &Checkpoint) -> Result<(), ReplayError> {
        let mut app = self.index.view().restored(&cp.session);
        carry_view(&self.app, &mut app);
        self.app = app;
        self.session = cp.session.clone();
        self.pos = cp.pos;
        self.outputs = Outputs::new();
        self.failed = None;
        for (id, total) in cp.bytes.iter().enumerate() {
            if *total > 0 {
                self.rebuild_tail(id as u32, cp.pos, *total)?;
            }
        }
        Ok(())
    }

    /// Gives step `id` the output counters and tail it has after the first
    /// `pos` records (`total` bytes in all), reading only the tail.
    fn rebuild_tail(&mut self, id: u32, pos: usize, total: u64) -> Result<(), ReplayError> {
        let Some(name) = self.index.step_name(id) else {
            return Ok(());
        };
        let recs = self.index.outputs_of(id);
        let upto = recs.partition_point(|r| (*r as usize) < pos);
        let start = tail_start(&self.index, &recs[..upto]);
        let kept: u64 = recs[start..upto]
            .iter()
            .map(|r| self.data_len(*r as usize))
            .sum();
        let name = name.to_string();
        let wanted: Vec<usize> = recs[start..upto].iter().map(|r| *r as usize).collect();
        let mut tail = Vec::with_capacity(wanted.len());
        for r in wanted {
            if let (_, Msg::Output { data, .. }) = self.index.read(r, &mut self.buf)? {
                tail.push(data);
            }
        }
        self.session.restore_output(
            &name,
            total.saturating_sub(kept),
            tail.iter().map(String::as_str),
        );
        Ok(())
    }

    fn data_len(&self, record: usize) -> u64 {
        self.index
            .entry(record)
            .map_or(0, |e| u64::from(e.data_len))
    }

    /// Applies records from `pos` to `to`. Output that the step's tail
    /// would drop again before `to` is counted without being read.
    fn apply_range(&mut self, to: usize) -> Result<(), ReplayError> {
        let from = self.pos;
        if to <= from {
            return Ok(());
        }
        let mut read_from: HashMap<u32, usize> = HashMap::new();
        for id in 0..self.index.step_count() as u32 {
            let recs = self.index.outputs_of(id);
            let a = recs.partition_point(|r| (*r as usize) < from);
            let b = recs.partition_point(|r| (*r as usize) < to);
            let start = a + tail_start(&self.index, &recs[a..b]);
            if start > a {
                read_from.insert(id, recs[start] as usize);
            }
        }
        for i in from..to {
            let Some(e) = self.index.entry(i).copied() else {
                break;
            };
            if e.output
                && read_from.get(&e.step).is_some_and(|first| i < *first)
                && let Some(name) = self.index.step_name(e.step)
            {
                self.session.skip_output(name, u64::from(e.data_len));
                self.pos = i + 1;
                continue;
            }
            let (at, msg) = self.index.read(i, &mut self.buf)?;
            fold::apply(&mut self.session, &mut self.app, self.index.view(), at, msg).map_err(
                |reason| ReplayError::Refused {
                    line: i + 1,
                    reason,
                },
            )?;
            self.pos = i + 1;
        }
        Ok(())
    }
}

/// Where, in a run of one step's output records, the ones still in its
/// tail at the end begin.
fn tail_start(index: &Index, recs: &[u32]) -> usize {
    let mut start = recs.len();
    let mut sum = 0u64;
    while start > 0 && sum < OUTPUT_TAIL_BYTES as u64 {
        start -= 1;
        sum += index
            .entry(recs[start] as usize)
            .map_or(0, |e| u64::from(e.data_len));
    }
    start
}

/// What the person watching chose, kept across a seek: the pane in focus,
/// and a search (typed or running).
fn carry_view(from: &App, to: &mut App) {
    to.focus = from.focus;
    if let Some(search) = &from.search {
        let mut search = search.clone();
        search.step = None;
        to.search = Some(search);
    }
    if matches!(from.mode, Mode::Search { .. }) && to.mode == Mode::Normal {
        to.mode = from.mode.clone();
    }
}
