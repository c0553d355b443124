//! What output *draws*, as opposed to what it writes: `XXXXXXXabc123`,
//! `\r`, then `CANARY-` draws `CANARY-abc123` though no write holds it, and
//! so do a backspace, a cursor move, or one half on stdout and one on
//! stderr. The byte redactor cannot see those; this model of the line being
//! drawn can.
//!
//! `DrawnLine` follows one action's output across both streams, in the
//! order it is shown, keeping the current line as cells and a cursor
//! column: characters written at the cursor, `\r`, `\b`, tabs, and the CSI
//! sequences that move along or edit one line (`C D G K X P @`, colours,
//! save/restore). A write that completes a secret on the drawn line is
//! changed before it is shown: the characters of this piece that fall
//! inside it become `*`, so the line never holds the whole secret, in the
//! journal or in any renderer of it (live screen, replay, report,
//! asciicast), whatever its width.
//!
//! Beyond one line (cursor up or down, absolute positions, scrolling, the
//! alternate screen), the model does not follow: until the next newline it
//! falls back to what was shown in arrival order, still across streams.

use std::sync::Arc;

use super::redact::{Engine, escape_end};

/// Columns followed per line: beyond, the line is not modelled (arrival
/// order still is).
const MAX_CELLS: usize = 4096;

#[derive(Clone, Copy)]
struct Cell {
    ch: char,
    /// Byte offset of the character in the piece being processed, when it
    /// was written by that piece (only those can still be changed).
    at: Option<usize>,
}

pub struct DrawnLine {
    engine: Option<Arc<Engine>>,
    cells: Vec<Cell>,
    cursor: usize,
    saved: usize,
    /// Cells written since the last check, as a column range.
    dirty: Option<(usize, usize)>,
    /// Characters shown since the last newline, in arrival order, whatever
    /// the cursor did (the last few).
    recent: Vec<Cell>,
    /// The cursor left the line in a way the model does not follow.
    lost: bool,
    /// Inside an OSC/DCS string (a title, not drawn) across pieces.
    in_string: bool,
    /// An escape sequence a piece ended inside of.
    pending: Vec<u8>,
}

impl std::fmt::Debug for DrawnLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrawnLine")
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl DrawnLine {
    pub fn new(secrets: &super::Secrets) -> Self {
        DrawnLine {
            engine: secrets.engine.clone(),
            cells: Vec::new(),
            cursor: 0,
            saved: 0,
            dirty: None,
            recent: Vec::new(),
            lost: false,
            in_string: false,
            pending: Vec::new(),
        }
    }

    /// The next piece of output, from either stream, in the order it is
    /// shown; returns it with every character that would complete a secret
    /// on the drawn line replaced by `*`.
    pub fn pass(&mut self, text: String) -> String {
        let Some(engine) = self.engine.clone() else {
            return text;
        };
        let mut subs: Vec<usize> = Vec::new();
        if !self.fast(&engine, &text, &mut subs) {
            self.draw(&engine, &text, &mut subs, 0);
        }
        self.check(&engine, &mut subs);
        for c in self.cells.iter_mut().chain(self.recent.iter_mut()) {
            // A character masked through the other buffer is masked here too.
            if c.at.is_some_and(|at| subs.contains(&at)) {
                c.ch = '*';
            }
            c.at = None;
        }
        if subs.is_empty() {
            return text;
        }
        subs.sort_unstable();
        subs.dedup();
        let mut out = String::with_capacity(text.len());
        let mut next = subs.iter().peekable();
        for (i, ch) in text.char_indices() {
            if next.peek() == Some(&&i) {
                next.next();
                out.push('*');
            } else {
                out.push(ch);
            }
        }
        out
    }

    /// Most output is whole lines of text (colours at most): those a
    /// piece holds between its first and its last newline start and end on
    /// that piece, from one stream, whose redactor saw them; only the first
    /// line (going on from what the line shows) and the last need drawing.
    fn fast_pieces<'t>(&self, text: &'t str) -> Option<(&'t str, &'t str, &'t str)> {
        if self.in_string || !self.pending.is_empty() {
            return None;
        }
        let first = text.find('\n')?;
        let last = text.rfind('\n')?;
        let middle = &text[first + 1..last + 1];
        plain_lines(middle.as_bytes()).then(|| (&text[..first + 1], middle, &text[last + 1..]))
    }

    fn fast(&mut self, engine: &Engine, text: &str, subs: &mut Vec<usize>) -> bool {
        let Some((head, middle, tail)) = self.fast_pieces(text) else {
            return false;
        };
        self.draw(engine, head, subs, 0);
        let at = head.len() + middle.len();
        self.draw(engine, tail, subs, at);
        true
    }

    /// Draws `text`, which starts at byte `base` of the piece.
    fn draw(&mut self, engine: &Engine, text: &str, subs: &mut Vec<usize>, base: usize) {
        let mut bytes = std::mem::take(&mut self.pending);
        let shift = bytes.len();
        bytes.extend_from_slice(text.as_bytes());
        let offset = |i: usize| i.checked_sub(shift).map(|i| i + base);
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if self.in_string {
                match b {
                    0x07 => self.in_string = false,
                    0x1b if bytes.get(i + 1) == Some(&b'\\') => {
                        self.in_string = false;
                        i += 1;
                    }
                    0x1b if i + 1 == bytes.len() => {
                        self.pending = vec![0x1b];
                        break;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match b {
                0x1b => {
                    let Some(end) = escape_end(&bytes, i) else {
                        if bytes.len() - i <= 256 {
                            self.pending = bytes[i..].to_vec();
                        } else {
                            self.lost = true;
                        }
                        break;
                    };
                    let seq = bytes[i..end].to_vec();
                    self.escape(engine, &seq, subs);
                    i = end;
                    continue;
                }
                b'\n' => {
                    self.check(engine, subs);
                    self.newline();
                }
                b'\r' => {
                    self.check(engine, subs);
                    self.cursor = 0;
                }
                0x08 => {
                    self.check(engine, subs);
                    self.cursor = self.cursor.saturating_sub(1);
                }
                b'\t' => self.cursor = (self.cursor / 8 + 1) * 8,
                0x00..=0x1f | 0x7f => {}
                _ => {
                    // A character: decode it where it starts.
                    let len = utf8_len(b);
                    let ch = std::str::from_utf8(&bytes[i..(i + len).min(bytes.len())])
                        .ok()
                        .and_then(|s| s.chars().next())
                        .unwrap_or('\u{fffd}');
                    self.put(ch, offset(i));
                    i += len.max(1);
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Carries out one escape sequence, as far as one line goes.
    fn escape(&mut self, engine: &Engine, seq: &[u8], subs: &mut Vec<usize>) {
        match seq.get(1) {
            Some(b'[') => self.csi(engine, seq, subs),
            Some(b']' | b'P' | b'X' | b'^' | b'_') => self.in_string = true,
            Some(b'7') => self.saved = self.cursor,
            Some(b'8') => {
                self.check(engine, subs);
                self.cursor = self.saved;
            }
            // Charsets, keypad modes: nothing drawn, nothing moved.
            Some(b'(' | b')' | b'*' | b'+' | b'=' | b'>' | b'\\') => {}
            _ => {
                self.check(engine, subs);
                self.lost = true;
            }
        }
    }

    fn csi(&mut self, engine: &Engine, seq: &[u8], subs: &mut Vec<usize>) {
        let Some((&last, body)) = seq[2..].split_last() else {
            return;
        };
        let private = body
            .first()
            .is_some_and(|c| matches!(c, b'?' | b'>' | b'<' | b'='));
        let first: Option<usize> = std::str::from_utf8(body)
            .ok()
            .and_then(|s| s.split([';', ':']).next())
            .and_then(|p| p.parse().ok());
        let n = first.unwrap_or(1).max(1);
        if last != b'm' {
            self.check(engine, subs);
        }
        match (private, last) {
            (_, b'm') => {}
            // Cursor shown or hidden, bracketed paste, and such modes.
            (true, b'h' | b'l') => {
                let p = first.unwrap_or(0);
                if matches!(p, 47 | 1047 | 1049) {
                    self.lost = true;
                }
            }
            (false, b'C' | b'a') => self.cursor += n,
            (false, b'D') => self.cursor = self.cursor.saturating_sub(n),
            (false, b'G' | b'`') => self.cursor = n - 1,
            (false, b'K') => match first.unwrap_or(0) {
                0 => self.cells.truncate(self.cursor),
                1 => {
                    let upto = (self.cursor + 1).min(self.cells.len());
                    self.blank(0, upto);
                }
                _ => self.cells.clear(),
            },
            (false, b'X') => {
                let to = (self.cursor + n).min(self.cells.len());
                self.blank(self.cursor, to);
            }
            (false, b'P') => {
                if self.cursor < self.cells.len() {
                    let to = (self.cursor + n).min(self.cells.len());
                    self.cells.drain(self.cursor..to);
                }
            }
            (false, b'@') => {
                if self.cursor < self.cells.len() {
                    let blanks = std::iter::repeat_n(Cell { ch: ' ', at: None }, n.min(MAX_CELLS));
                    self.cells.splice(self.cursor..self.cursor, blanks);
                    self.cells.truncate(MAX_CELLS);
                }
            }
            (false, b's') => self.saved = self.cursor,
            (false, b'u') => self.cursor = self.saved,
            _ => self.lost = true,
        }
    }

    fn blank(&mut self, from: usize, to: usize) {
        for c in &mut self.cells[from.min(to)..to] {
            *c = Cell { ch: ' ', at: None };
        }
    }

    /// Writes one character at the cursor.
    fn put(&mut self, ch: char, at: Option<usize>) {
        let cell = Cell { ch, at };
        self.recent.push(cell);
        let keep = self
            .engine
            .as_deref()
            .map_or(0, Engine::max_len)
            .saturating_mul(2);
        if self.recent.len() > keep.max(16) * 2 {
            let cut = self.recent.len() - keep.max(16);
            self.recent.drain(..cut);
        }
        if self.cursor >= MAX_CELLS {
            self.lost = true;
            self.cursor += 1;
            return;
        }
        if self.cursor > self.cells.len() {
            self.cells.resize(self.cursor, Cell { ch: ' ', at: None });
        }
        if self.cursor == self.cells.len() {
            self.cells.push(cell);
        } else {
            self.cells[self.cursor] = cell;
        }
        let c = self.cursor;
        self.dirty = Some(self.dirty.map_or((c, c), |(lo, hi)| (lo.min(c), hi.max(c))));
        self.cursor += 1;
    }

    fn newline(&mut self) {
        self.cells.clear();
        self.recent.clear();
        self.cursor = 0;
        self.dirty = None;
        self.lost = false;
    }

    /// Looks for a secret completed by this piece, on the line around the
    /// cells written since the last check, and in arrival order; replaces
    /// this piece's characters inside it.
    fn check(&mut self, engine: &Engine, subs: &mut Vec<usize>) {
        let reach = engine.max_len();
        if let Some((lo, hi)) = self.dirty.take() {
            let from = lo.saturating_sub(reach);
            let to = (hi + reach + 1).min(self.cells.len());
            if from < to {
                complete(engine, &mut self.cells[from..to], subs);
            }
        }
        if self.recent.iter().any(|c| c.at.is_some()) {
            complete(engine, &mut self.recent, subs);
        }
    }
}

/// Masks the cells of `window` written by this piece that lie inside a
/// secret the window shows.
fn complete(engine: &Engine, window: &mut [Cell], subs: &mut Vec<usize>) {
    let mut text = String::with_capacity(window.len());
    let mut starts = Vec::with_capacity(window.len());
    for c in window.iter() {
        starts.push(text.len());
        text.push(c.ch);
    }
    for span in engine.find(text.as_bytes()) {
        let from = starts.partition_point(|&s| s < span.start);
        let to = starts.partition_point(|&s| s < span.end);
        for c in &mut window[from..to] {
            if let Some(at) = c.at {
                subs.push(at);
                c.ch = '*';
            }
        }
    }
}

/// Text, tabs, newlines and colour changes only: nothing that moves back
/// over what a line shows.
fn plain_lines(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let Some(n) = bytes[i..].iter().position(|&b| b < 0x20 || b == 0x7f) else {
            return true;
        };
        i += n;
        match bytes[i] {
            b'\n' | b'\t' => i += 1,
            0x1b if bytes.get(i + 1) == Some(&b'[') => {
                let Some(end) = escape_end(bytes, i) else {
                    return false;
                };
                let sgr = bytes[end - 1] == b'm'
                    && bytes[i + 2..end - 1]
                        .iter()
                        .all(|c| c.is_ascii_digit() || *c == b';' || *c == b':');
                if !sgr {
                    return false;
                }
                i = end;
            }
            _ => return false,
        }
    }
    true
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}
