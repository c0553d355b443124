//! Matching secrets in bytes, including the question a stream needs
//! answered: could the end of this chunk be the start of a secret?

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind};

use super::MASK;

pub(crate) enum Engine {
    Ready(Box<Matchers>),
    /// The matcher could not be built (only for absurd sizes). Failing closed:
    /// all output is masked rather than risk showing a secret.
    Unavailable,
}

pub(crate) struct Matchers {
    /// Leftmost-longest, so a secret that contains another is masked whole,
    /// not left with its tail showing.
    search: AhoCorasick,
    /// Standard semantics keep every pattern's full path in the trie, which
    /// is what "is this a prefix of a secret" walks.
    prefixes: contiguous::NFA,
    max_len: usize,
}

impl Engine {
    /// `None` when there is nothing to redact.
    pub(crate) fn build(values: &[String]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let search = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values);
        let prefixes = contiguous::NFA::builder()
            .match_kind(MatchKind::Standard)
            .build(values);
        let max_len = values.iter().map(String::len).max().unwrap_or(0);
        Some(match (search, prefixes) {
            (Ok(search), Ok(prefixes)) => Self::Ready(Box::new(Matchers {
                search,
                prefixes,
                max_len,
            })),
            _ => Self::Unavailable,
        })
    }

    pub(crate) fn redact_all(&self, data: &[u8], out: &mut Vec<u8>) {
        let end = self.redact_before(data, data.len(), out);
        out.extend_from_slice(&data[end..]);
    }

    /// Redacts what no later byte can change and returns where the unsettled
    /// tail starts.
    pub(crate) fn redact_settled(&self, data: &[u8], out: &mut Vec<u8>) -> usize {
        let open = self.first_open(data);
        let last = self.redact_before(data, open, out);
        let keep = last.max(open);
        out.extend_from_slice(&data[last..keep]);
        keep
    }

    /// Writes data up to the end of the last match starting before `limit`,
    /// masked, and returns that end.
    fn redact_before(&self, data: &[u8], limit: usize, out: &mut Vec<u8>) -> usize {
        let Self::Ready(matchers) = self else {
            if !data.is_empty() {
                out.extend_from_slice(MASK.as_bytes());
            }
            return data.len();
        };
        let Ok(matches) = matchers.search.try_find_iter(Input::new(data)) else {
            out.extend_from_slice(MASK.as_bytes());
            return data.len();
        };
        let mut last = 0;
        for m in matches {
            if m.start() >= limit {
                break;
            }
            out.extend_from_slice(&data[last..m.start()]);
            out.extend_from_slice(MASK.as_bytes());
            last = m.end();
        }
        last
    }

    /// The earliest position whose rest of `data` is a prefix of some secret
    /// (so the match there depends on bytes not seen yet), or `data.len()`.
    ///
    /// Only the last (longest − 1) bytes can be such a start. One unanchored
    /// pass over them settles the common case: the automaton ends in its
    /// start state exactly when no suffix is a prefix of a secret.
    fn first_open(&self, data: &[u8]) -> usize {
        let Self::Ready(matchers) = self else {
            return data.len();
        };
        let Matchers {
            prefixes, max_len, ..
        } = matchers.as_ref();
        let from = data.len().saturating_sub(max_len.saturating_sub(1));
        if !some_suffix_is_prefix(prefixes, &data[from..]) {
            return data.len();
        }
        (from..data.len())
            .find(|&at| is_prefix(prefixes, &data[at..]))
            .unwrap_or(data.len())
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
