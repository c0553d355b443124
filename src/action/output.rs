//! Output on its way from a running action to the journal and the screen:
//! secrets masked, UTF-8 kept whole across chunks, runs of one stream
//! merged.

use crate::secrets::{DrawnLine, Secrets, StreamRedactor};
use crate::session::Stream;

/// Output on its way to the journal: secrets redacted (even when split
/// across chunks), UTF-8 kept whole across chunk boundaries, and
/// consecutive chunks of one stream merged. What the pieces draw together,
/// both streams in the order they are shown, is checked too: a secret
/// drawn in pieces (a `\r` overwrite, a backspace, half on stderr) is
/// masked as it is completed.
pub struct OutputPipe {
    redactors: [StreamRedactor; 2],
    drawn: DrawnLine,
    /// Redacted bytes not yet emitted, per stream.
    pending: [Vec<u8>; 2],
    /// The stream of the bytes in `pending` that came last, so that a
    /// switch between stdout and stderr keeps their order.
    current: Option<Stream>,
}

impl OutputPipe {
    pub fn new(secrets: &Secrets) -> Self {
        OutputPipe {
            redactors: [secrets.stream(), secrets.stream()],
            drawn: DrawnLine::new(secrets),
            pending: [Vec::new(), Vec::new()],
            current: None,
        }
    }

    fn slot(stream: Stream) -> usize {
        match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    /// Adds a chunk; when the stream changes, returns the other stream's
    /// text so far.
    pub fn push(&mut self, stream: Stream, data: Vec<u8>) -> Option<(Stream, String)> {
        let switched = match self.current {
            Some(prev) if prev != stream => take_utf8(&mut self.pending[Self::slot(prev)], false)
                .map(|t| (prev, self.drawn.pass(t))),
            _ => None,
        };
        self.current = Some(stream);
        let i = Self::slot(stream);
        let redacted = self.redactors[i].push_owned(data);
        if self.pending[i].is_empty() {
            self.pending[i] = redacted;
        } else {
            self.pending[i].extend_from_slice(&redacted);
        }
        switched
    }

    /// The text ready to emit; at the end of the run, everything, held-back
    /// bytes included.
    pub fn flush(&mut self, end: bool) -> Vec<(Stream, String)> {
        let mut out = Vec::new();
        let order = match self.current {
            Some(Stream::Stderr) => [Stream::Stdout, Stream::Stderr],
            _ => [Stream::Stderr, Stream::Stdout],
        };
        for stream in order {
            let i = Self::slot(stream);
            if end {
                let rest = self.redactors[i].finish();
                self.pending[i].extend_from_slice(&rest);
            }
            if let Some(text) = take_utf8(&mut self.pending[i], end) {
                out.push((stream, self.drawn.pass(text)));
            }
        }
        out
    }
}

/// Takes `buf` as text, leaving only an incomplete trailing character for
/// the next chunk; invalid bytes become U+FFFD. At the end of the stream,
/// everything is taken. An invalid byte earlier in the buffer does not
/// change what is held back: only the tail can be a character cut in two.
fn take_utf8(buf: &mut Vec<u8>, end: bool) -> Option<String> {
    if buf.is_empty() {
        return None;
    }
    let cut = if end {
        buf.len()
    } else {
        buf.len() - incomplete_tail(buf)
    };
    if cut == 0 {
        return None;
    }
    let rest = buf.split_off(cut);
    let taken = std::mem::replace(buf, rest);
    Some(
        String::from_utf8(taken)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// How many bytes at the end of `buf` start a character that the next
/// chunk may complete (0 to 3).
fn incomplete_tail(buf: &[u8]) -> usize {
    // A UTF-8 character is at most 4 bytes: only the last 3 can be an
    // unfinished one. Find the last lead byte among them.
    let from = buf.len().saturating_sub(3);
    for start in (from..buf.len()).rev() {
        let b = buf[start];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let tail = &buf[start..];
        return match std::str::from_utf8(tail) {
            // Valid, or invalid for good: nothing to wait for.
            Ok(_) => 0,
            Err(e) if e.error_len().is_some() => 0,
            Err(_) => tail.len(),
        };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_across_chunks_is_kept_whole() {
        let mut buf = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_utf8(&mut buf, false), None);
        buf.extend_from_slice(&"é".as_bytes()[1..]);
        buf.extend_from_slice(b"x");
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("éx"));
        assert!(buf.is_empty());
    }

    #[test]
    fn a_character_split_after_an_invalid_byte_is_kept_whole() {
        let mut buf = b"\xff\xc3".to_vec();
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("\u{fffd}"));
        buf.extend_from_slice(b"\xa9");
        assert_eq!(take_utf8(&mut buf, true).as_deref(), Some("é"));
    }

    fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> String {
        let mut buf = Vec::new();
        let mut text = String::new();
        let mut from = 0;
        for &cut in cuts {
            buf.extend_from_slice(&bytes[from..cut]);
            from = cut;
            text.extend(take_utf8(&mut buf, false));
        }
        buf.extend_from_slice(&bytes[from..]);
        text.extend(take_utf8(&mut buf, true));
        text
    }

    proptest::proptest! {
        #[test]
        fn decoding_in_pieces_equals_decoding_whole(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::sample::select(vec![0xc3u8, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80]),
                ],
                0..40,
            ),
            mut cuts in proptest::collection::vec(0usize..40, 0..8),
        ) {
            cuts.iter_mut().for_each(|c| *c = (*c).min(bytes.len()));
            cuts.sort_unstable();
            let whole = String::from_utf8_lossy(&bytes).into_owned();
            proptest::prop_assert_eq!(decode_in_pieces(&bytes, &cuts), whole);
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut buf = vec![b'a', 0xff, b'b'];
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("a\u{fffd}b"));
    }

    #[test]
    fn secrets_split_across_chunks_never_reach_the_journal() {
        let secrets = Secrets::new(["hunter2".to_string()]);
        let mut pipe = OutputPipe::new(&secrets);
        let mut text = String::new();
        assert_eq!(pipe.push(Stream::Stdout, b"pass=hun".to_vec()), None);
        for (_, t) in pipe.flush(false) {
            text.push_str(&t);
        }
        assert_eq!(pipe.push(Stream::Stdout, b"ter2 ok\n".to_vec()), None);
        for (_, t) in pipe.flush(true) {
            text.push_str(&t);
        }
        assert_eq!(text, "pass=*** ok\n");
    }

    #[test]
    fn switching_streams_keeps_the_order_of_output() {
        let mut pipe = OutputPipe::new(&Secrets::default());
        assert_eq!(pipe.push(Stream::Stdout, b"a\n".to_vec()), None);
        assert_eq!(
            pipe.push(Stream::Stderr, b"b\n".to_vec()),
            Some((Stream::Stdout, "a\n".into()))
        );
        assert_eq!(
            pipe.push(Stream::Stdout, b"c\n".to_vec()),
            Some((Stream::Stderr, "b\n".into()))
        );
        assert_eq!(pipe.flush(true), vec![(Stream::Stdout, "c\n".to_string())]);
    }
}
