//! The psql (and mysql client) commands inside SQL text that run what
//! runsheet cannot see: `\i file`, `\gexec`, `\copy … program`, a statement
//! made of a `:variable`, mysql's `source file`; and those that run a shell
//! command (`\! cmd`, `\o |cmd`, `\g |cmd`), whose command is scanned.
//! Meta-commands inside literals, quoted names and comments are not
//! commands, so the text is lexed the way PostgreSQL lexes it.

use super::super::sql_lex::{block_comment_end, find_byte, quoted_end};
use std::ops::Range;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Meta {
    /// Runs SQL or a program runsheet cannot read.
    Opaque(Range<usize>),
    /// Runs this range of the text as a shell command.
    Shell(Range<usize>),
}

pub(super) fn scan(text: &str) -> Vec<Meta> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut statement_start = true;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = find_byte(b, i, b'\n');
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(b, i);
                continue;
            }
            b'\'' => {
                let escapes = i > 0 && matches!(b[i - 1], b'E' | b'e');
                i = quoted_end(b, i + 1, b'\'', escapes);
            }
            b'"' => i = quoted_end(b, i + 1, b'"', false),
            b'$' => i = dollar_end(text, i),
            b';' => {
                i += 1;
                statement_start = true;
                continue;
            }
            b'\\' => {
                let end = line_end(b, i);
                if let Some(m) = meta(text, i, end) {
                    out.push(m);
                }
                i = end;
                statement_start = true;
                continue;
            }
            b':' if statement_start && b.get(i + 1).is_some_and(|n| is_ident(*n)) => {
                // A statement that is a psql variable: SQL chosen at run time.
                let end = find_byte(b, i, b'\n').min(find_byte(b, i, b';'));
                out.push(Meta::Opaque(i..end));
                i = end;
            }
            _ if statement_start && starts_word(b, i, b"source") => {
                let end = line_end(b, i);
                out.push(Meta::Opaque(i..end));
                i = end;
            }
            _ => i += 1,
        }
        statement_start = false;
    }
    out
}

fn meta(text: &str, start: usize, end: usize) -> Option<Meta> {
    let line = &text[start + 1..end];
    let name_len = line
        .find(|c: char| c.is_whitespace() || c == '|')
        .unwrap_or(line.len());
    let name = &line[..name_len];
    let arg_start = start + 1 + name_len;
    let arg = text[arg_start..end].trim_start();
    let arg_at = end - arg.len();
    match name {
        "i" | "ir" | "include" | "include_relative" | "gexec" | "." => {
            Some(Meta::Opaque(start..end))
        }
        _ if name.starts_with('!') => {
            let at = start + 2;
            Some(Meta::Shell(at..end))
        }
        "copy" if arg.to_ascii_lowercase().contains("program") => Some(Meta::Opaque(start..end)),
        "o" | "out" | "g" | "gx" | "w" | "write" if arg.starts_with('|') => {
            Some(Meta::Shell(arg_at + 1..end))
        }
        _ => None,
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'\'' || c == b'"'
}

fn starts_word(b: &[u8], i: usize, word: &[u8]) -> bool {
    b.len() >= i + word.len()
        && b[i..i + word.len()].eq_ignore_ascii_case(word)
        && b.get(i + word.len())
            .is_none_or(|c| c.is_ascii_whitespace())
}

/// A meta-command runs to the end of the line or to `\\`.
fn line_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() && b[i] != b'\n' {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            return i;
        }
        i += 1;
    }
    i
}

/// `$tag$ … $tag$`; a `$` that opens no dollar quote is one byte.
fn dollar_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let tag_len = b[start + 1..]
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .map_or(b.len() - start - 1, |k| k);
    let close = start + 1 + tag_len;
    let opens =
        b.get(close) == Some(&b'$') && !b.get(start + 1).is_some_and(|c| c.is_ascii_digit());
    if !opens {
        return start + 1;
    }
    let tag = &text[start..=close];
    match text[close + 1..].find(tag) {
        Some(k) => close + 1 + k + tag.len(),
        None => b.len(),
    }
}
