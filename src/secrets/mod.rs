//! Keeping secret values out of everything runsheet shows or writes: output,
//! journal, screen and reports all see `***` instead.

mod drawn;
mod redact;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use redact::Engine;
use serde_json::Value;

pub use drawn::DrawnLine;
pub use redact::SHORT_CHARS;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// The secret values of a session. Cloning is cheap; a clone (and every
/// [`StreamRedactor`]) keeps the values known when it was made.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
    engine: Option<Arc<Engine>>,
}

impl Secrets {
    /// Empty values are ignored (they would match everywhere); duplicates
    /// are kept once.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        values.sort_unstable();
        values.dedup();
        let engine = Engine::build(&values).map(Arc::new);
        Self { values, engine }
    }

    pub fn add(&mut self, value: String) {
        if value.is_empty() || self.values.contains(&value) {
            return;
        }
        self.values.push(value);
        self.engine = Engine::build(&self.values).map(Arc::new);
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Where secrets are in text as it is shown (characters, no escape
    /// sequences): byte ranges, in order, not overlapping. For screens,
    /// which mask what they draw.
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        match &self.engine {
            None => Vec::new(),
            Some(engine) => engine.find(text.as_bytes()),
        }
    }

    /// The longest secret, in bytes as shown (0 without secrets).
    pub fn max_len(&self) -> usize {
        self.engine.as_deref().map_or(0, Engine::max_len)
    }

    /// Every string in `v`, keys included, with secrets redacted.
    pub fn redact_json(&self, v: &mut Value) {
        if self.engine.is_none() {
            return;
        }
        match v {
            Value::String(s) => *s = self.redact(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_json(i)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (k, mut item) in old {
                    self.redact_json(&mut item);
                    map.insert(self.redact(&k), item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Every occurrence of a secret becomes [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        if self.engine.is_none() {
            return text.to_owned();
        }
        // Valid UTF-8 secrets matched in valid UTF-8 text start and end on
        // character boundaries, so the result stays valid.
        String::from_utf8(self.redact_bytes(text.as_bytes()))
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    pub fn redact_bytes(&self, data: &[u8]) -> Vec<u8> {
        match &self.engine {
            None => data.to_vec(),
            Some(engine) => {
                let mut out = Vec::with_capacity(data.len());
                engine.redact_all(data, &mut out);
                out
            }
        }
    }

    /// A redactor for one output stream, which copes with a secret split
    /// across chunks.
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor {
            engine: self.engine.clone(),
            held: Vec::new(),
            before: None,
        }
    }
}

impl fmt::Debug for Secrets {
    // Never the values: a Debug print must not be the leak.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("count", &self.values.len())
            .finish()
    }
}

/// Redacts one stream chunk by chunk, with the same result as redacting the
/// whole stream at once.
pub struct StreamRedactor {
    engine: Option<Arc<Engine>>,
    /// A tail that could be the start of a secret continuing in the next
    /// chunk: shorter than the longest secret, plus the escape sequences
    /// inside it.
    held: Vec<u8>,
    /// The last shown byte emitted, for the whole-token rule of short values.
    before: Option<u8>,
}

impl StreamRedactor {
    /// Feeds a chunk; returns the bytes that are now safe to show and
    /// journal. Holds back at most (longest secret − 1) bytes, and only when
    /// the end of the chunk could begin a secret.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let Some(engine) = self.engine.as_deref() else {
            return chunk.to_vec();
        };
        let mut held = std::mem::take(&mut self.held);
        let data: &[u8] = if held.is_empty() {
            chunk
        } else {
            held.extend_from_slice(chunk);
            &held
        };
        let mut out = Vec::with_capacity(data.len());
        let keep = engine.redact_settled(data, &mut self.before, &mut out);
        self.held = data[keep..].to_vec();
        out
    }

    /// Like `push`, for a chunk the caller owns: with no secrets to look
    /// for, the chunk itself comes back, without a copy.
    pub fn push_owned(&mut self, chunk: Vec<u8>) -> Vec<u8> {
        if self.engine.is_none() {
            return chunk;
        }
        self.push(&chunk)
    }

    /// End of stream: the held-back bytes, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        match self.engine.as_deref() {
            None => held,
            Some(engine) => {
                let mut out = Vec::with_capacity(held.len());
                engine.redact_rest(&held, &mut self.before, &mut out);
                out
            }
        }
    }

    /// How many bytes are waiting for the next chunk.
    pub fn held_back(&self) -> usize {
        self.held.len()
    }
}

impl fmt::Debug for StreamRedactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRedactor")
            .field("held_back", &self.held.len())
            .finish()
    }
}

/// The characters a terminal would print of `text`: escape sequences and
/// other non-printing controls taken out (newlines and tabs kept). For
/// output shown outside a terminal (a report), where an escape sequence
/// would only be noise, or, printed with `cat`, be carried out.
pub fn shown(text: &str) -> String {
    if !redact::has_controls(text.as_bytes()) {
        return text.to_string();
    }
    let vis = redact::project(text.as_bytes()).vis;
    String::from_utf8(vis).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// What to tell the operator when a secret's value is so short that
/// masking it everywhere would wreck the output: it is masked only where it
/// stands alone (`t` in `rm -t x`, not in `relation`), so it can still be
/// read inside words. None for an ordinary value.
pub fn short_value_warning(name: &str, value: &str) -> Option<String> {
    let shown = value.chars().filter(|c| !c.is_control()).count();
    if value.is_empty() || shown > SHORT_CHARS {
        return None;
    }
    let (unit, such) = if shown == 1 {
        ("character", "letter")
    } else {
        ("characters", "pair of letters")
    };
    Some(format!(
        "warning: the secret {name} is only {shown} {unit} long, so it is masked only where it stands alone as a word; masked everywhere, every such {such} inside a word of the output would turn into `***` (`relation` into `rela***ion`). A value this short protects nothing: use a real one"
    ))
}

#[cfg(test)]
mod tests;
