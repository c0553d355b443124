//! Matching secrets in bytes, including the question a stream needs
//! answered: could the end of this chunk be the start of a secret?
//!
//! Secrets are matched in what a terminal would *show*: escape sequences
//! (colours, cursor moves, titles' framing) and other non-printing controls
//! are transparent, so `CANARY-\e[1mabc123` is found as `CANARY-abc123` and
//! the whole span, escapes included, becomes the mask (the colour changes
//! inside it are kept after the mask, so what follows keeps its colours).
//! A chunk without any such byte (most output) takes the fast path: the
//! automaton runs over its bytes as they are.
//!
//! Values of one or two characters are masked only as whole tokens (not
//! inside a longer word): masked everywhere, the secret `t` would turn
//! `relation` into `rela***ion` and every line into noise. `Secrets`
//! warns when such a value is given.

use std::ops::Range;

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind};

use super::MASK;

/// Values of at most this many characters are masked as whole tokens only.
pub const SHORT_CHARS: usize = 2;

/// An escape sequence still open at the end of a chunk is held back for
/// the next one only if it started this close to the end (a sequence
/// never finished must not hold output back for ever).
const OPEN_ESCAPE_MAX: usize = 256;

pub(crate) enum Engine {
    Ready(Box<Matchers>),
    /// The matcher could not be built (only for absurd sizes). Failing closed:
    /// all output is masked rather than risk showing a secret.
    Unavailable,
}

pub(crate) struct Matchers {
    /// Values longer than SHORT_CHARS, leftmost-longest, so a secret that
    /// contains another is masked whole, not left with its tail showing.
    long: Option<AhoCorasick>,
    /// Short values, every occurrence (overlapping), each kept only when it
    /// stands as a token of its own.
    short: Option<AhoCorasick>,
    /// Standard semantics keep every pattern's full path in the trie, which
    /// is what "is this a prefix of a secret" walks.
    prefixes: contiguous::NFA,
    max_len: usize,
    /// How far from the end a match can still change: a secret's length
    /// less one, or a short value's length (its boundary is the next byte).
    window: usize,
}

impl Engine {
    /// `None` when there is nothing to redact. Values are matched as they
    /// are shown: a value's own control bytes do not count.
    pub(crate) fn build(values: &[String]) -> Option<Self> {
        let shown: Vec<(Vec<u8>, bool)> = values
            .iter()
            .map(|v| {
                let p = project(v.as_bytes()).vis;
                let short = std::str::from_utf8(&p).map_or(0, |s| s.chars().count()) <= SHORT_CHARS;
                (p, short)
            })
            .filter(|(p, _)| !p.is_empty())
            .collect();
        if shown.is_empty() {
            return None;
        }
        let pick = |short: bool| -> Vec<&[u8]> {
            shown
                .iter()
                .filter(|(_, s)| *s == short)
                .map(|(p, _)| p.as_slice())
                .collect()
        };
        let (long, short) = (pick(false), pick(true));
        let build = |pats: &[&[u8]], kind: MatchKind| {
            if pats.is_empty() {
                return Ok(None);
            }
            AhoCorasick::builder()
                .match_kind(kind)
                .build(pats)
                .map(Some)
        };
        let all: Vec<&[u8]> = shown.iter().map(|(p, _)| p.as_slice()).collect();
        let prefixes = contiguous::NFA::builder()
            .match_kind(MatchKind::Standard)
            .build(&all);
        let max_len = all.iter().map(|p| p.len()).max().unwrap_or(0);
        let short_len = short.iter().map(|p| p.len()).max().unwrap_or(0);
        let window = max_len.saturating_sub(1).max(short_len);
        Some(
            match (
                build(&long, MatchKind::LeftmostLongest),
                build(&short, MatchKind::Standard),
                prefixes,
            ) {
                (Ok(long), Ok(short), Ok(prefixes)) => Self::Ready(Box::new(Matchers {
                    long,
                    short,
                    prefixes,
                    max_len,
                    window,
                })),
                _ => Self::Unavailable,
            },
        )
    }

    /// The longest secret, in bytes as shown.
    pub(crate) fn max_len(&self) -> usize {
        match self {
            Self::Ready(m) => m.max_len,
            Self::Unavailable => usize::MAX,
        }
    }

    /// Where secrets are in `text` taken as shown characters (no escape
    /// handling): byte ranges, in order, not overlapping. The edges of
    /// `text` count as token boundaries.
    pub(crate) fn find(&self, text: &[u8]) -> Vec<Range<usize>> {
        match self {
            Self::Ready(m) => m.spans(text, None).unwrap_or_else(|| whole(text)),
            Self::Unavailable => whole(text),
        }
    }

    pub(crate) fn redact_all(&self, data: &[u8], out: &mut Vec<u8>) {
        self.redact_rest(data, &mut None, out);
    }

    /// The end of a stream: everything, masked, after the shown byte
    /// `before`.
    pub(crate) fn redact_rest(&self, data: &[u8], before: &mut Option<u8>, out: &mut Vec<u8>) {
        self.redact_upto(data, true, before, out);
    }

    /// Redacts what no later byte can change and returns where the unsettled
    /// tail starts. `before` is the last shown byte already emitted (for the
    /// whole-token rule), updated.
    pub(crate) fn redact_settled(
        &self,
        data: &[u8],
        before: &mut Option<u8>,
        out: &mut Vec<u8>,
    ) -> usize {
        self.redact_upto(data, false, before, out)
    }

    /// Writes `data` masked up to where it is settled (everything when
    /// `end`) and returns that position; the bytes from there are not
    /// written.
    fn redact_upto(
        &self,
        data: &[u8],
        end: bool,
        before: &mut Option<u8>,
        out: &mut Vec<u8>,
    ) -> usize {
        let Self::Ready(m) = self else {
            if !data.is_empty() {
                out.extend_from_slice(MASK.as_bytes());
            }
            return data.len();
        };
        let start_len = out.len();
        let result = if has_controls(data) {
            let p = project(data);
            m.redact_view(data, &p.vis, Some(&p.map), p.open_escape, end, before, out)
        } else {
            m.redact_view(data, data, None, None, end, before, out)
        };
        match result {
            Some(keep) => keep,
            None => {
                out.truncate(start_len);
                out.extend_from_slice(MASK.as_bytes());
                data.len()
            }
        }
    }
}

impl Matchers {
    /// Masks `data` through its shown bytes `vis` (`map[i]`: where `vis[i]`
    /// is in `data`; `None`: they are the same). Writes up to the settled
    /// point and returns it; None when the automaton gave up.
    #[allow(clippy::too_many_arguments)]
    fn redact_view(
        &self,
        data: &[u8],
        vis: &[u8],
        map: Option<&[usize]>,
        open_escape: Option<usize>,
        end: bool,
        before: &mut Option<u8>,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let at = |i: usize| map.map_or(i, |m| m[i]);
        // Where the unsettled tail starts, in shown bytes.
        let open = if end { vis.len() } else { self.first_open(vis) };
        let mut spans = self.spans_with(vis, *before, !end)?;
        spans.retain(|s| s.start < open);
        let mut last = 0;
        for s in &spans {
            let (from, to) = (at(s.start), at(s.end - 1) + 1);
            out.extend_from_slice(&data[last..from]);
            out.extend_from_slice(MASK.as_bytes());
            if map.is_some() {
                keep_colours(&data[from..to], out);
            }
            last = to;
        }
        // The settled point in `data`: the start of the open tail, or of an
        // escape sequence the next chunk finishes.
        let mut keep = if open < vis.len() {
            at(open).max(last)
        } else {
            data.len()
        };
        if !end
            && let Some(e) = open_escape
            && data.len() - e <= OPEN_ESCAPE_MAX
        {
            keep = keep.min(e).max(last);
        }
        out.extend_from_slice(&data[last..keep]);
        // The last shown byte written, for the token rule next time.
        let shown_upto = if keep >= data.len() {
            vis.len()
        } else {
            match map {
                None => keep,
                Some(m) => m.partition_point(|&i| i < keep),
            }
        };
        if shown_upto > 0 {
            *before = Some(vis[shown_upto - 1]);
        }
        Some(keep)
    }

    fn spans(&self, vis: &[u8], before: Option<u8>) -> Option<Vec<Range<usize>>> {
        self.spans_with(vis, before, false)
    }

    /// Secrets in `vis`, in order, not overlapping. A short value counts
    /// only between token boundaries; `before` is the byte before `vis`;
    /// the end of `vis` is a boundary unless `open_end` (more may follow,
    /// and such a match is in the held-back tail anyway).
    fn spans_with(
        &self,
        vis: &[u8],
        before: Option<u8>,
        open_end: bool,
    ) -> Option<Vec<Range<usize>>> {
        let mut spans: Vec<Range<usize>> = Vec::new();
        if let Some(long) = &self.long {
            for m in long.try_find_iter(Input::new(vis)).ok()? {
                spans.push(m.range());
            }
        }
        if let Some(short) = &self.short {
            let mut extra: Vec<Range<usize>> = Vec::new();
            for m in short.try_find_overlapping_iter(Input::new(vis)).ok()? {
                let r = m.range();
                let prev = if r.start == 0 {
                    before
                } else {
                    Some(vis[r.start - 1])
                };
                let next = vis.get(r.end).copied();
                let word_next = next.is_some_and(is_word) || (open_end && next.is_none());
                let bounded = !(prev.is_some_and(is_word) || word_next);
                let overlaps = |s: &Range<usize>| s.start < r.end && r.start < s.end;
                if bounded && !spans.iter().any(overlaps) && !extra.iter().any(overlaps) {
                    extra.push(r);
                }
            }
            if !extra.is_empty() {
                spans.extend(extra);
                spans.sort_by_key(|s| s.start);
            }
        }
        Some(spans)
    }

    /// The earliest position whose rest of `vis` is a prefix of some secret
    /// (so the match there depends on bytes not seen yet), or `vis.len()`.
    ///
    /// Only the last (longest − 1) bytes can be such a start, plus one for
    /// a short value whose token boundary is not known yet. One unanchored
    /// pass over them settles the common case: the automaton ends in its
    /// start state exactly when no suffix is a prefix of a secret.
    fn first_open(&self, vis: &[u8]) -> usize {
        let from = vis.len().saturating_sub(self.window);
        if !some_suffix_is_prefix(&self.prefixes, &vis[from..]) {
            return vis.len();
        }
        (from..vis.len())
            .find(|&at| is_prefix(&self.prefixes, &vis[at..]))
            .unwrap_or(vis.len())
    }
}

/// All of `text` as one span (failing closed), none when it is empty.
fn whole(text: &[u8]) -> Vec<Range<usize>> {
    std::iter::once(0..text.len())
        .filter(|r| !r.is_empty())
        .collect()
}

/// Word characters for the whole-token rule; any non-ASCII byte counts
/// (a letter of most scripts).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Bytes a terminal does not print: C0 controls but newline and tab, DEL,
/// and ESC, which starts a sequence. Checked in blocks without branching,
/// so the common chunk without any costs one quick pass.
pub(crate) fn has_controls(data: &[u8]) -> bool {
    data.chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | ((b < 0x20) & (b != b'\n') & (b != b'\t')) | (b == 0x7f)
        })
    })
}

/// What a terminal would print of some bytes.
pub(crate) struct Projection {
    /// The shown bytes.
    pub vis: Vec<u8>,
    /// Where each shown byte is in the input.
    pub map: Vec<usize>,
    /// An escape sequence the input ends inside of, by its start.
    pub open_escape: Option<usize>,
}

/// Takes out escape sequences (CSI, two-byte and charset sequences, the
/// introducers and terminators of OSC/DCS strings, whose text is kept:
/// a window title is shown too) and the other non-printing controls.
pub(crate) fn project(data: &[u8]) -> Projection {
    let mut p = Projection {
        vis: Vec::with_capacity(data.len()),
        map: Vec::with_capacity(data.len()),
        open_escape: None,
    };
    let mut i = 0;
    while i < data.len() {
        // A run of shown bytes, copied at once.
        let run = data[i..]
            .iter()
            .position(|&b| is_control(b))
            .map_or(data.len(), |n| i + n);
        if run > i {
            p.vis.extend_from_slice(&data[i..run]);
            p.map.extend(i..run);
            i = run;
            continue;
        }
        if data[i] == 0x1b {
            match escape_end(data, i) {
                Some(end) => i = end,
                None => {
                    p.open_escape = Some(i);
                    break;
                }
            }
            continue;
        }
        i += 1;
    }
    p
}

/// Not shown: C0 controls but newline and tab, DEL, ESC.
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f
}

/// The end of the escape sequence starting at `data[start]` (ESC), or None
/// when `data` ends inside it.
pub(crate) fn escape_end(data: &[u8], start: usize) -> Option<usize> {
    let next = *data.get(start + 1)?;
    match next {
        b'[' => {
            let mut j = start + 2;
            loop {
                let c = *data.get(j)?;
                match c {
                    0x40..=0x7e => return Some(j + 1),
                    // Parameters, intermediates, and controls a terminal
                    // carries out in the middle of a sequence.
                    0x20..=0x3f | 0x00..=0x1f | 0x7f if c != 0x1b => j += 1,
                    _ => return Some(j),
                }
            }
        }
        0x20..=0x2f => {
            let mut j = start + 2;
            loop {
                let c = *data.get(j)?;
                match c {
                    0x20..=0x2f => j += 1,
                    0x30..=0x7e => return Some(j + 1),
                    _ => return Some(j),
                }
            }
        }
        0x30..=0x7e => Some(start + 2),
        _ => Some(start + 1),
    }
}

/// The colour changes (SGR sequences) inside a masked span, so the text
/// after the mask keeps the colours it would have had.
fn keep_colours(span: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < span.len() {
        if span[i] == 0x1b && span.get(i + 1) == Some(&b'[') {
            let end = escape_end(span, i).unwrap_or(span.len());
            let seq = &span[i..end];
            let sgr = seq.last() == Some(&b'm')
                && seq[2..seq.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_digit() || *c == b';' || *c == b':');
            if sgr {
                out.extend_from_slice(seq);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// Whether some suffix of `bytes` is a prefix of a secret: the unanchored
/// automaton's state stands for the longest such suffix, so it is back at
/// its start exactly when there is none. Unsure means yes (holding back is
/// safe, showing is not).
fn some_suffix_is_prefix(nfa: &contiguous::NFA, bytes: &[u8]) -> bool {
    let Ok(start) = nfa.start_state(Anchored::No) else {
        return true;
    };
    let end = bytes
        .iter()
        .fold(start, |sid, &byte| nfa.next_state(Anchored::No, sid, byte));
    end != start
}

/// Whether `bytes` is a prefix of (or equal to) a secret.
fn is_prefix(nfa: &contiguous::NFA, bytes: &[u8]) -> bool {
    let Ok(mut sid) = nfa.start_state(Anchored::Yes) else {
        return true;
    };
    for &byte in bytes {
        sid = nfa.next_state(Anchored::Yes, sid, byte);
        if nfa.is_dead(sid) {
            return false;
        }
    }
    true
}
