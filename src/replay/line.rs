//! Reading an output line without decoding it. Output chunks are nearly all
//! of a journal's bytes, and indexing needs only their header, step and
//! size: the data is read again, from the file, when it is shown.
//!
//! Only the exact form the journal writer produces is read here; anything
//! else (other spacing, escapes in a step id, another field order) returns
//! `None` and goes through serde, so both ways agree on every line.

/// What the index keeps of an output line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputLine<'a> {
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub ts: i64,
    /// As written: 64 bytes that should be lowercase hex.
    pub prev: &'a [u8],
    pub step: &'a str,
    /// Bytes of the decoded `data`, what the session counts.
    pub data_len: u64,
}

/// Reads `line` (without its newline) if it is an output record in the
/// writer's form, checking everything serde would: UTF-8, the header, and
/// that `data` is a well-formed JSON string ending the line.
pub(crate) fn output_line(line: &[u8]) -> Option<OutputLine<'_>> {
    // The fixed parts are matched as ASCII; the step and the data are
    // checked for UTF-8 on their own (the data only if it is not ASCII).
    let mut c = Cursor { rest: line };
    c.eat(b"{\"v\":1,\"seq\":")?;
    let seq = c.number()?;
    c.eat(b",\"ts\":\"")?;
    let ts = timestamp(c.take(24)?)?;
    c.eat(b"\",\"prev\":\"")?;
    let prev = c.take(64)?;
    c.eat(b"\",\"type\":\"output\",\"step\":\"")?;
    let step_len = c.rest.iter().position(|b| *b == b'"')?;
    let step_bytes = c.take(step_len)?;
    if step_bytes.iter().any(|b| *b == b'\\' || *b < 0x20) {
        return None;
    }
    let step = std::str::from_utf8(step_bytes).ok()?;
    c.eat(b"\",\"action\":")?;
    c.number()?;
    c.eat(b",\"stream\":\"")?;
    if c.eat(b"stdout").is_none() {
        c.eat(b"stderr")?;
    }
    c.eat(b"\",\"data\":\"")?;
    let (data_len, used, ascii) = json_str_len(c.rest)?;
    let data = c.take(used)?;
    if !ascii {
        std::str::from_utf8(data).ok()?;
    }
    if c.rest != b"\"}" {
        return None;
    }
    Some(OutputLine {
        seq,
        ts,
        prev,
        step,
        data_len,
    })
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, expected: &[u8]) -> Option<()> {
        self.rest = self.rest.strip_prefix(expected)?;
        Some(())
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    /// A JSON unsigned integer: no sign, no leading zero, no fraction.
    fn number(&mut self) -> Option<u64> {
        let digits = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let text = self.take(digits)?;
        if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
            return None;
        }
        text.iter().try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as the journal writes it; any other form of
/// RFC 3339 is left to the full decoder.
fn timestamp(t: &[u8]) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        t.get(range)?.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if t.len() != 24 || seps.iter().any(|(i, c)| t[*i] != *c) || t[19] != b'.' || t[23] != b'Z' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    // jiff's range ends within 9999; far years go to it to decide.
    if !(1000..=9000).contains(&y) {
        return None;
    }
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some((((days * 24 + hh) * 60 + mm) * 60 + ss) * 1000 + ms)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Any byte of `w` a control byte, `"` or `\` (may also say so of some
/// UTF-8 bytes, which the byte loop then passes over).
fn special(w: u64) -> bool {
    let below_space = w.wrapping_sub(LOW * 0x20);
    let quote = (w ^ (LOW * u64::from(b'"'))).wrapping_sub(LOW);
    let backslash = (w ^ (LOW * u64::from(b'\\'))).wrapping_sub(LOW);
    (below_space | quote | backslash) & !w & HIGH != 0
}

/// The decoded length of the JSON string body at the start of `s` (after
/// its opening quote), how many bytes of `s` it takes up to its closing
/// quote (not included), and whether those are all ASCII. `None` where
/// serde would refuse it (UTF-8 is left to the caller).
pub(crate) fn json_str_len(s: &[u8]) -> Option<(u64, usize, bool)> {
    let mut decoded = 0u64;
    let mut i = 0;
    let mut seen = 0u64;
    loop {
        while i + 8 <= s.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&s[i..i + 8]);
            let w = u64::from_le_bytes(word);
            if special(w) {
                break;
            }
            seen |= w;
            i += 8;
            decoded += 8;
        }
        let b = *s.get(i)?;
        seen |= u64::from(b);
        match b {
            b'"' => return Some((decoded, i, seen & HIGH == 0)),
            b'\\' => {
                let (len, used) = escape(&s[i + 1..])?;
                decoded += len;
                i += 1 + used;
            }
            0..0x20 => return None,
            _ => {
                decoded += 1;
                i += 1;
            }
        }
    }
}

/// One escape after its backslash: (decoded bytes, bytes used).
fn escape(s: &[u8]) -> Option<(u64, usize)> {
    match *s.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some((1, 1)),
        b'u' => {
            let cp = hex4(s.get(1..5)?)?;
            match cp {
                0xD800..=0xDBFF => {
                    // A high surrogate counts only with its low half.
                    if s.get(5..7)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(s.get(7..11)?)?;
                    (0xDC00..=0xDFFF).contains(&low).then_some((4, 11))
                }
                0xDC00..=0xDFFF => None,
                0..0x80 => Some((1, 5)),
                0x80..0x800 => Some((2, 5)),
                _ => Some((3, 5)),
            }
        }
        _ => None,
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    s.iter()
        .try_fold(0u32, |n, b| Some(n * 16 + char::from(*b).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{encode_fields, line_hash};
    use crate::session::{Msg, Stream};

    fn line(step: &str, data: &str, ts: &str) -> String {
        let msg = Msg::Output {
            step: step.into(),
            action: 3,
            stream: Stream::Stderr,
            data: data.into(),
        };
        let fields = msg.into_journal_fields().unwrap_or_default();
        let ts: jiff::Timestamp = ts.parse().unwrap_or_default();
        encode_fields(42, ts, &line_hash(b"x"), &fields)
    }

    #[test]
    fn reads_what_the_writer_writes() {
        let data = "é\n\"quoted\" \\ tab\t nul\u{0} \u{1b}[31m red 🙂 end";
        let l = line("wipe-it", data, "2026-02-28T23:59:59.999Z");
        let out = output_line(l.as_bytes()).unwrap_or_else(|| panic!("not read: {l}"));
        assert_eq!(out.seq, 42);
        assert_eq!(out.step, "wipe-it");
        assert_eq!(out.data_len, data.len() as u64);
        let expected: jiff::Timestamp = "2026-02-28T23:59:59.999Z".parse().unwrap_or_default();
        assert_eq!(out.ts, expected.as_millisecond());
        assert_eq!(out.prev, line_hash(b"x").as_bytes());
    }

    #[test]
    fn dates_match_jiff_across_leap_years_and_eras() {
        for ts in [
            "1970-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.001Z",
            "2024-12-31T23:59:59.000Z",
            "1600-03-01T00:00:00.000Z",
            "8999-12-31T23:59:59.999Z",
        ] {
            let jiff: jiff::Timestamp = ts.parse().unwrap_or_default();
            assert_eq!(
                timestamp(ts.as_bytes()),
                Some(jiff.as_millisecond()),
                "{ts}"
            );
        }
        assert_eq!(timestamp(b"2023-02-29T00:00:00.000Z"), None);
        assert_eq!(timestamp(b"2023-01-01T00:00:60.000Z"), None);
    }

    #[test]
    fn surrogate_pairs_and_escapes_count_as_decoded() {
        assert_eq!(json_str_len(br#"\ud83d\ude42""#), Some((4, 12, true)));
        assert_eq!(json_str_len(br#"\u00e9\u20ac\/""#), Some((6, 14, true)));
        assert_eq!(
            json_str_len("é, then more ascii\"".as_bytes()),
            Some((19, 19, false))
        );
        assert_eq!(json_str_len(br#"\ude42""#), None);
        assert_eq!(json_str_len(br#"\ud83d x""#), None);
        assert_eq!(json_str_len(b"no end"), None);
        assert_eq!(json_str_len(b"tab\tinside\""), None);
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_as_serde_decodes_it(
            data in "(\\PC|[\u{0}-\u{1f}\"\\\\\u{7f}é€🙂])*"
        ) {
            let l = line("a-step", &data, "2026-01-01T00:00:00.000Z");
            let out = output_line(l.as_bytes()).map(|o| o.data_len);
            proptest::prop_assert_eq!(out, Some(data.len() as u64));
        }
    }

    #[test]
    fn other_forms_are_left_to_serde() {
        let l = line("s", "x", "2026-01-01T00:00:00.000Z");
        let spaced = l.replacen("\"seq\":42", "\"seq\": 42", 1);
        assert!(output_line(spaced.as_bytes()).is_none());
        let trailing = format!("{l} ");
        assert!(output_line(trailing.as_bytes()).is_none());
        let leading_zero = l.replacen("\"seq\":42", "\"seq\":042", 1);
        assert!(output_line(leading_zero.as_bytes()).is_none());
        let escaped_step = line("s\"t", "x", "2026-01-01T00:00:00.000Z");
        assert!(output_line(escaped_step.as_bytes()).is_none());
        let mut bad_utf8 = line("s", "abcdefghijé", "2026-01-01T00:00:00.000Z").into_bytes();
        let at = bad_utf8.len() - 3;
        bad_utf8[at] = 0xff;
        assert!(output_line(&bad_utf8).is_none());
        assert!(output_line(b"{\"v\":1}").is_none());
    }
}
