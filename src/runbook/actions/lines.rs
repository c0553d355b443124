//! Line and word splitting that keeps byte offsets, so every diagnostic can
//! point at the exact text it is about.

use crate::runbook::span::Span;

/// One line of a block body, without its line ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Line<'a> {
    pub text: &'a str,
    /// Offset of `text` in the block body.
    pub start: usize,
}

impl<'a> Line<'a> {
    pub fn trimmed(self) -> Line<'a> {
        let text = self.text.trim_start();
        Line {
            start: self.start + (self.text.len() - text.len()),
            text: text.trim_end(),
        }
    }

    pub fn end(self) -> usize {
        self.start + self.text.len()
    }

    pub fn is_blank(self) -> bool {
        self.text.trim().is_empty()
    }

    pub fn is_comment(self) -> bool {
        self.text.trim_start().starts_with('#')
    }
}

pub(super) fn lines(body: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    body.split_inclusive('\n').map(move |raw| {
        let line = Line {
            text: raw.trim_end_matches(['\n', '\r']),
            start,
        };
        start += raw.len();
        line
    })
}

/// A span in the runbook from offsets in a block body that starts at `base`.
pub(super) fn span(base: usize, start: usize, end: usize) -> Span {
    Span::new(base + start, base + end)
}

/// A whitespace-separated word, with double quotes removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Word {
    pub text: String,
    /// Offsets in the block body of the word as written, quotes included.
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
}

/// Splits a line into words. A word starting with `#` begins a comment that
/// runs to the end of the line. With `quotes`, double quotes group words
/// (`"./my file.gz"`, also mid-word: `./"my file".gz`) and there are no
/// escapes, so Windows-style backslashes stay as written. An unclosed quote
/// returns its offset in the body.
pub(super) fn words(line: Line<'_>, quotes: bool) -> Result<Vec<Word>, usize> {
    let mut out = Vec::new();
    let mut chars = line.text.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, first)) = chars.peek() else {
            break;
        };
        if first == '#' {
            break;
        }
        let mut text = String::new();
        let mut open_quote = None;
        let mut quoted = false;
        let mut end = line.text.len();
        while let Some(&(i, c)) = chars.peek() {
            if open_quote.is_some() {
                if c == '"' {
                    open_quote = None;
                } else {
                    text.push(c);
                }
            } else if c.is_whitespace() {
                end = i;
                break;
            } else if quotes && c == '"' {
                open_quote = Some(i);
                quoted = true;
            } else {
                text.push(c);
            }
            chars.next();
        }
        if let Some(q) = open_quote {
            return Err(line.start + q);
        }
        out.push(Word {
            text,
            start: line.start + start,
            end: line.start + end,
            quoted,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_offsets_and_drop_line_endings() {
        let got: Vec<_> = lines("a\r\n  b\n\nc").collect();
        assert_eq!(
            got,
            [
                Line {
                    text: "a",
                    start: 0
                },
                Line {
                    text: "  b",
                    start: 3
                },
                Line { text: "", start: 7 },
                Line {
                    text: "c",
                    start: 8
                },
            ]
        );
        let b = got[1].trimmed();
        assert_eq!((b.text, b.start, b.end()), ("b", 5, 6));
    }

    #[test]
    fn words_group_quotes_and_stop_at_comments() {
        let line = Line {
            text: r#"upload "./my file.gz"  s3://b/k#x # note"#,
            start: 10,
        };
        let w = words(line, true).unwrap_or_default();
        let texts: Vec<_> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["upload", "./my file.gz", "s3://b/k#x"]);
        assert_eq!((w[1].start, w[1].end, w[1].quoted), (17, 31, true));
        assert_eq!(
            words(
                Line {
                    text: r#"a "b"#,
                    start: 4
                },
                true
            ),
            Err(6)
        );
    }
}
