//! Live output, one terminal emulator per step, so colours and `\r` progress
//! bars look as they would in a terminal.
//!
//! The session already keeps each step's latest output (its bounded tail);
//! `catch_up` feeds the emulators from there, once per frame. That bounds the
//! work: a command writing hundreds of MB costs the screen at most one tail
//! per frame, and whatever flowed past in between is in the journal. It also
//! makes a resumed session show the output it had before, with nothing to
//! replay. Memory is bounded too: each emulator keeps `SCROLLBACK_ROWS`, and
//! only the few most recently used steps keep an emulator at all (another is
//! rebuilt from the session's tail when it is looked at again).

use crate::secrets::Secrets;
use crate::session::Session;
use std::collections::HashMap;

/// Rows each step's emulator keeps above its screen.
pub const SCROLLBACK_ROWS: usize = 10_000;
/// vt100 panics on a 0- or 1-row screen; a pane is never made smaller than this.
pub const MIN_ROWS: u16 = 2;
pub const MIN_COLS: u16 = 10;
/// How many steps keep an emulator (each up to SCROLLBACK_ROWS × width cells).
const LIVE_TERMS: usize = 3;

struct Term {
    parser: vt100::Parser,
    /// Bytes of the step's output fed so far (the session's `output_bytes`).
    fed: u64,
    /// Rows pushed up so far: lets a scrolled-back view stay on its text.
    pushed: u64,
    scrollback_len: usize,
    /// Previous byte was `\r`, so a `\n` starting the next chunk needs none.
    after_cr: bool,
}

impl Term {
    fn new(rows: u16, cols: u16) -> Self {
        Term {
            parser: vt100::Parser::new(rows, cols, SCROLLBACK_ROWS),
            fed: 0,
            pushed: 0,
            scrollback_len: 0,
            after_cr: false,
        }
    }

    /// Feeds program output. Pipes carry bare `\n`; a terminal's line
    /// discipline would add the `\r`, so this does.
    fn feed(&mut self, data: &[u8]) {
        let mut out = Vec::with_capacity(data.len() + data.len() / 32);
        let mut lines = 0;
        for &b in data {
            if b == b'\n' {
                if !self.after_cr {
                    out.push(b'\r');
                }
                lines += 1;
            }
            self.after_cr = b == b'\r';
            out.push(b);
        }
        let before = self.scrollback_len;
        self.parser.process(&out);
        self.refresh_len();
        // Rows that went up: the scrollback's growth, or once it is full (and
        // drops a row for each it takes), the lines that arrived.
        let grown = (self.scrollback_len - before.min(self.scrollback_len)) as u64;
        self.pushed += if self.scrollback_len < SCROLLBACK_ROWS {
            grown
        } else {
            grown.max(lines)
        };
    }

    fn refresh_len(&mut self) {
        let screen = self.parser.screen_mut();
        let offset = screen.scrollback();
        screen.set_scrollback(usize::MAX);
        self.scrollback_len = screen.scrollback();
        screen.set_scrollback(offset);
    }

    fn resize(&mut self, rows: u16, cols: u16) {
        let (old_rows, old_cols) = self.parser.screen().size();
        if (old_rows, old_cols) == (rows, cols) {
            return;
        }
        let (row, col) = self.parser.screen().cursor_position();
        if rows < old_rows && row >= rows {
            // vt100 0.16 drops rows from the bottom when a screen shrinks,
            // which would lose the newest output: scroll them up into the
            // scrollback first, as a terminal does.
            let up = row + 1 - rows;
            let mut seq = format!("\x1b[{old_rows};1H");
            seq.extend(std::iter::repeat_n('\n', usize::from(up)));
            seq.push_str(&format!("\x1b[{};{}H", row + 1 - up, col + 1));
            self.parser.process(seq.as_bytes());
        }
        self.parser.screen_mut().set_size(rows, cols);
        let before = self.scrollback_len;
        self.refresh_len();
        self.pushed += (self.scrollback_len - before.min(self.scrollback_len)) as u64;
    }

    /// Every row's text, scrollback first: absolute row `i` is `rows[i]`.
    fn rows_text(&mut self) -> Vec<String> {
        let screen = self.parser.screen_mut();
        let offset = screen.scrollback();
        let len = self.scrollback_len;
        let (rows, cols) = screen.size();
        let rows = usize::from(rows);
        let mut out: Vec<String> = Vec::with_capacity(len + rows);
        let mut top = 0;
        while top < len + rows {
            // At scrollback offset `o` the screen shows rows [len - o, len - o + rows).
            let o = len.saturating_sub(top);
            screen.set_scrollback(o);
            let first = len - o;
            for (i, text) in screen.rows(0, cols).enumerate() {
                if first + i == out.len() {
                    out.push(text);
                }
            }
            top = out.len().max(top + 1);
        }
        screen.set_scrollback(offset);
        out
    }
}

/// What the output pane shows of a step.
pub struct View<'a> {
    pub screen: &'a vt100::Screen,
    /// Rows above the screen.
    pub scrollback_len: usize,
    /// How far up the view is (0: the live screen).
    pub offset: usize,
}

impl View<'_> {
    /// The absolute row shown on screen row `r`.
    pub fn absolute_row(&self, r: usize) -> usize {
        self.scrollback_len - self.offset.min(self.scrollback_len) + r
    }
}

pub struct Outputs {
    terms: HashMap<String, Term>,
    /// Steps with an emulator, least recently used first.
    recent: Vec<String>,
    rows: u16,
    cols: u16,
    /// What the live screen covers when drawing (none in a replay).
    secrets: Secrets,
}

impl Default for Outputs {
    fn default() -> Self {
        Self::new()
    }
}

impl Outputs {
    pub fn new() -> Self {
        Outputs {
            terms: HashMap::new(),
            recent: Vec::new(),
            rows: 24,
            cols: 80,
            secrets: Secrets::default(),
        }
    }

    /// Emulators for a live session, whose screen covers these secrets
    /// wherever they are drawn.
    pub fn with_secrets(mut self, secrets: Secrets) -> Self {
        self.secrets = secrets;
        self
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The emulators' size (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        (self.rows, self.cols)
    }

    /// Fits every emulator to the output pane; tiny sizes are clamped.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (rows, cols) = (rows.max(MIN_ROWS), cols.max(MIN_COLS));
        if (rows, cols) == (self.rows, self.cols) {
            return;
        }
        self.rows = rows;
        self.cols = cols;
        for t in self.terms.values_mut() {
            t.resize(rows, cols);
        }
    }

    /// Feeds each step the output the session received since the last call.
    /// A step without an emulator gets one when it is shown or running; one
    /// that was dropped is rebuilt from the session's tail.
    pub fn catch_up(&mut self, session: &Session, show: Option<&str>) {
        let running = session.running();
        for (id, state) in session.steps() {
            let fed = self.terms.get(id).map(|t| t.fed);
            let wanted = match fed {
                Some(fed) => fed < state.output_bytes,
                None => {
                    state.output_bytes > 0
                        && (show == Some(id.as_str()) || running == Some(id.as_str()))
                }
            };
            if !wanted {
                continue;
            }
            let (rows, cols) = (self.rows, self.cols);
            let term = self
                .terms
                .entry(id.clone())
                .or_insert_with(|| Term::new(rows, cols));
            let new = state.output_bytes.saturating_sub(term.fed);
            let tail = state.output_tail.len() as u64;
            if new > tail {
                term.feed(
                    format!(
                        "\x1b[2m[{} bytes not shown here: the journal has all the output]\x1b[0m\n",
                        new - tail
                    )
                    .as_bytes(),
                );
            }
            let skip = (tail - new.min(tail)) as usize;
            let (a, b) = state.output_tail.as_slices();
            if skip < a.len() {
                term.feed(&a[skip..]);
                term.feed(b);
            } else {
                term.feed(b.get(skip - a.len()..).unwrap_or_default());
            }
            term.fed = state.output_bytes;
            self.touch(id);
        }
        if let Some(id) = show
            && self.terms.contains_key(id)
        {
            self.touch(id);
        }
        self.evict(running, show);
    }

    fn touch(&mut self, id: &str) {
        self.recent.retain(|r| r != id);
        self.recent.push(id.to_string());
    }

    fn evict(&mut self, running: Option<&str>, show: Option<&str>) {
        while self.recent.len() > LIVE_TERMS {
            let Some(pos) = self
                .recent
                .iter()
                .position(|id| Some(id.as_str()) != show && Some(id.as_str()) != running)
            else {
                break;
            };
            let id = self.recent.remove(pos);
            self.terms.remove(&id);
        }
    }

    pub fn has(&self, step: &str) -> bool {
        self.terms.contains_key(step)
    }

    /// Scrolls `step`'s view `rows_up` rows above the live screen (clamped);
    /// returns the offset applied.
    pub fn set_scroll(&mut self, step: &str, rows_up: usize) -> usize {
        let Some(t) = self.terms.get_mut(step) else {
            return 0;
        };
        let offset = rows_up.min(t.scrollback_len);
        t.parser.screen_mut().set_scrollback(offset);
        offset
    }

    /// Rows pushed up by output so far (a counter that only grows).
    pub fn pushed(&self, step: &str) -> u64 {
        self.terms.get(step).map_or(0, |t| t.pushed)
    }

    pub fn scrollback_len(&self, step: &str) -> usize {
        self.terms.get(step).map_or(0, |t| t.scrollback_len)
    }

    pub fn view(&self, step: &str) -> Option<View<'_>> {
        let t = self.terms.get(step)?;
        Some(View {
            screen: t.parser.screen(),
            scrollback_len: t.scrollback_len,
            offset: t.parser.screen().scrollback(),
        })
    }

    /// Every row of `step`'s output kept here, oldest first.
    pub fn text(&mut self, step: &str) -> Vec<String> {
        self.terms
            .get_mut(step)
            .map(Term::rows_text)
            .unwrap_or_default()
    }

    /// Absolute rows whose text contains `query`, ignoring case.
    pub fn search(&mut self, step: &str, query: &str) -> Vec<usize> {
        let query = query.to_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        self.text(step)
            .iter()
            .enumerate()
            .filter(|(_, t)| t.to_lowercase().contains(&query))
            .map(|(i, _)| i)
            .collect()
    }
}
