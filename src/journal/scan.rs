//! Splits a journal's bytes into whole lines and a torn tail, the one step
//! every reader (typed, raw, verify, repair, resume) shares.

use std::ops::Range;

use serde::de::IgnoredAny;

pub(crate) struct Scan {
    /// Byte ranges of the whole lines, without their newlines.
    pub lines: Vec<Range<usize>>,
    /// Where the torn tail starts, if there is one; it runs to the end.
    pub torn_from: Option<usize>,
}

/// A crash mid-write leaves a last line without its newline; a power cut
/// can leave the end of the file as NUL bytes or stale garbage. Either way
/// only the final line can be damaged by an interrupted append, so only the
/// final line is treated as torn; damage anywhere else is corruption.
pub(crate) fn scan(data: &[u8]) -> Scan {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            lines.push(start..i);
            start = i + 1;
        }
    }
    let torn_from = if start < data.len() {
        Some(start)
    } else if let Some(last) = lines.last().cloned()
        && serde_json::from_slice::<IgnoredAny>(&data[last.clone()]).is_err()
    {
        lines.pop();
        Some(last.start)
    } else {
        None
    };
    Scan { lines, torn_from }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_lines() {
        let s = scan(b"{}\n{}\n");
        assert_eq!(s.lines, vec![0..2, 3..5]);
        assert_eq!(s.torn_from, None);
    }

    #[test]
    fn missing_newline_is_torn() {
        let s = scan(b"{}\n{\"a\":");
        assert_eq!(s.lines, vec![0..2]);
        assert_eq!(s.torn_from, Some(3));
    }

    #[test]
    fn nul_tail_is_torn() {
        let s = scan(b"{}\n\0\0\0\0");
        assert_eq!(s.torn_from, Some(3));
        let s = scan(b"{}\n{}\0\0\n");
        assert_eq!(s.lines, vec![0..2]);
        assert_eq!(s.torn_from, Some(3));
    }

    #[test]
    fn garbage_in_the_middle_is_not_torn() {
        let s = scan(b"{}\nxx\n{}\n");
        assert_eq!(s.lines.len(), 3);
        assert_eq!(s.torn_from, None);
    }

    #[test]
    fn empty_file() {
        let s = scan(b"");
        assert!(s.lines.is_empty());
        assert_eq!(s.torn_from, None);
    }
}
