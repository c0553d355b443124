//! PostgreSQL's lexical structure, as far as the SQL rules need it: where
//! comments, literals, quoted identifiers and dollar-quoted bodies end,
//! operators as whole tokens, and where one statement ends and the next
//! begins. The same splitter decides what the runtime sends as one
//! statement, so the rules and the server see the same statements.

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Word,
    /// `"name"`: a name, never a keyword.
    QuotedIdent,
    /// `'…'`, `E'…'`, `B'…'`, `X'…'`, `U&'…'`, `N'…'`.
    Str,
    /// `$$…$$` or `$tag$…$tag$`.
    Dollar,
    Number,
    /// `$1`.
    Param,
    /// A run of operator characters (`=`, `<>`, `||`, `::` …).
    Op,
    LParen,
    RParen,
    Comma,
    Dot,
    Semi,
    /// A psql meta-command such as `\c db` or `\g`; it ends the statement.
    Meta,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// False for a word that cannot be a keyword where it stands (after a
    /// `.` or `AS`, PostgreSQL accepts even reserved words as names).
    pub keyword: bool,
}

impl Tok {
    /// The same token `by` bytes further on (a body lexed on its own).
    fn shifted(self, by: usize) -> Tok {
        Tok {
            start: self.start + by,
            end: self.end + by,
            ..self
        }
    }
}

pub(super) fn is_kw(text: &str, t: &Tok, keyword: &str) -> bool {
    t.kind == Kind::Word && t.keyword && word(text, t).eq_ignore_ascii_case(keyword)
}

pub(super) fn word<'t>(text: &'t str, t: &Tok) -> &'t str {
    text.get(t.start..t.end).unwrap_or_default()
}

/// The name a word or quoted identifier stands for: folded to lower case
/// unless quoted, as PostgreSQL does.
pub(super) fn name(text: &str, t: &Tok) -> Option<String> {
    match t.kind {
        Kind::Word => Some(word(text, t).to_ascii_lowercase()),
        Kind::QuotedIdent => {
            let inner = text.get(t.start + 1..t.end.saturating_sub(1))?;
            Some(inner.replace("\"\"", "\""))
        }
        _ => None,
    }
}

/// The text of a string literal or dollar-quoted body, and where it starts
/// in `text` when it is written there unchanged (so findings inside keep
/// exact spans).
pub(super) fn literal(text: &str, t: &Tok) -> Option<(String, Option<usize>)> {
    let s = text.get(t.start..t.end)?;
    match t.kind {
        Kind::Dollar => {
            let open = s[1..].find('$')? + 2;
            let tag = &s[..open];
            let closed = s.len() >= 2 * open && s.ends_with(tag);
            let body_end = if closed { s.len() - open } else { s.len() };
            Some((s.get(open..body_end)?.to_string(), Some(t.start + open)))
        }
        Kind::Str => {
            let q = s.find('\'')?;
            let prefix = &s[..q];
            let inner = s.get(q + 1..s.len().checked_sub(1)?)?;
            if prefix.eq_ignore_ascii_case("e") {
                Some((unescape_e(inner), None))
            } else if inner.contains("''") {
                Some((inner.replace("''", "'"), None))
            } else {
                Some((inner.to_string(), Some(t.start + q + 1)))
            }
        }
        _ => None,
    }
}

/// The common escapes of an `E''` string; enough to read SQL inside one.
fn unescape_e(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => {}
            },
            '\'' => {
                // A doubled quote.
                chars.next();
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

pub(super) fn matching_paren(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// One statement of a block: its tokens' range in the text, and whether it
/// is a psql meta-command rather than SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub range: Range<usize>,
    pub meta: bool,
}

/// The statements of `text` as PostgreSQL would split them: at a `;` outside
/// parentheses and outside a `BEGIN ATOMIC … END` function body. Statements
/// that are only comments or blanks are left out.
pub fn statements(text: &str) -> Vec<Statement> {
    let toks = lex(text);
    split(text, &toks)
        .into_iter()
        .filter_map(|s| {
            let (first, last) = (s.first()?, s.last()?);
            Some(Statement {
                range: first.start..last.end,
                meta: first.kind == Kind::Meta,
            })
        })
        .collect()
}

/// Token slices, one per statement; a meta-command is a statement alone.
pub(super) fn split<'a>(text: &str, toks: &'a [Tok]) -> Vec<&'a [Tok]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut atomic = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth = depth.saturating_sub(1),
            Kind::Semi if depth == 0 && atomic == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            Kind::Meta => {
                out.push(&toks[start..i]);
                out.push(&toks[i..=i]);
                start = i + 1;
                depth = 0;
                atomic = 0;
            }
            Kind::Word if atomic > 0 => {
                if is_kw(text, t, "BEGIN") || is_kw(text, t, "CASE") {
                    atomic += 1;
                } else if is_kw(text, t, "END") {
                    atomic -= 1;
                }
            }
            Kind::Word
                if is_kw(text, t, "BEGIN")
                    && toks.get(i + 1).is_some_and(|n| is_kw(text, n, "ATOMIC"))
                    && toks.get(start).is_some_and(|s| is_kw(text, s, "CREATE")) =>
            {
                atomic = 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&toks[start..]);
    out.retain(|s| !s.is_empty());
    out
}

/// Lexes `text[range]` and gives token positions in `text`.
pub(super) fn lex_at(text: &str, range: Range<usize>) -> Vec<Tok> {
    let Some(body) = text.get(range.clone()) else {
        return Vec::new();
    };
    lex(body)
        .into_iter()
        .map(|t| t.shifted(range.start))
        .collect()
}

const OPERATOR_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?:";

pub(super) fn lex(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let n = b.len();
    let mut toks: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < n {
        let start = i;
        let kind = match b[i] {
            c if c.is_ascii_whitespace() => {
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
            b'\\' => {
                i = meta_command_end(b, i);
                Kind::Meta
            }
            b'\'' => {
                i = quoted_end(b, i + 1, b'\'', false);
                Kind::Str
            }
            b'"' => {
                i = quoted_end(b, i + 1, b'"', false);
                Kind::QuotedIdent
            }
            b'$' => {
                let (end, kind) = dollar_end(text, i);
                i = end;
                kind
            }
            b'(' | b')' | b',' | b'.' | b';' => {
                i += 1;
                match b[start] {
                    b'(' => Kind::LParen,
                    b')' => Kind::RParen,
                    b',' => Kind::Comma,
                    b'.' => Kind::Dot,
                    _ => Kind::Semi,
                }
            }
            c if is_ident_start(c) => {
                i = ident_end(b, i);
                let one = i - start == 1;
                let next = b.get(i).copied();
                if one && matches!(b[start], b'e' | b'E') && next == Some(b'\'') {
                    i = quoted_end(b, i + 1, b'\'', true);
                    Kind::Str
                } else if one
                    && matches!(b[start], b'b' | b'B' | b'x' | b'X' | b'n' | b'N')
                    && next == Some(b'\'')
                {
                    i = quoted_end(b, i + 1, b'\'', false);
                    Kind::Str
                } else if one
                    && matches!(b[start], b'u' | b'U')
                    && next == Some(b'&')
                    && matches!(b.get(i + 1), Some(b'\'' | b'"'))
                {
                    let quote = b[i + 1];
                    i = quoted_end(b, i + 2, quote, false);
                    if quote == b'"' {
                        Kind::QuotedIdent
                    } else {
                        Kind::Str
                    }
                } else {
                    Kind::Word
                }
            }
            c if c.is_ascii_digit() => {
                while i < n && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.')) {
                    i += 1;
                }
                Kind::Number
            }
            c if OPERATOR_CHARS.contains(&c) => {
                i += 1;
                // An operator stops where a comment starts, as in PostgreSQL.
                while i < n
                    && OPERATOR_CHARS.contains(&b[i])
                    && !(b[i] == b'-' && b.get(i + 1) == Some(&b'-'))
                    && !(b[i] == b'/' && b.get(i + 1) == Some(&b'*'))
                {
                    i += 1;
                }
                Kind::Op
            }
            _ => {
                i += 1;
                while i < n && !text.is_char_boundary(i) {
                    i += 1;
                }
                Kind::Other
            }
        };
        let keyword = kind == Kind::Word
            && !toks
                .last()
                .is_some_and(|p| p.kind == Kind::Dot || is_kw(text, p, "AS"));
        toks.push(Tok {
            kind,
            start,
            end: i.min(n),
            keyword,
        });
    }
    toks
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (is_ident_start(b[i]) || b[i].is_ascii_digit() || b[i] == b'$') {
        i += 1;
    }
    i
}

/// Index of the first `byte` at or after `from`, or the end.
pub(super) fn find_byte(b: &[u8], from: usize, byte: u8) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == byte)
        .map_or(b.len(), |k| from + k)
}

/// End of a quoted run whose opening quote is just before `from`; a doubled
/// quote is an escape, and so is a backslash when `backslash` is set.
pub(super) fn quoted_end(b: &[u8], mut i: usize, quote: u8, backslash: bool) -> usize {
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// PostgreSQL block comments nest.
pub(super) fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth = depth.saturating_sub(1);
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// A psql meta-command runs to the end of the line or to the `\\`
/// separator, after which psql reads SQL again.
fn meta_command_end(b: &[u8], start: usize) -> usize {
    if b.get(start + 1) == Some(&b'\\') {
        return start + 2;
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\n' => return i,
            b'\\' if b.get(i + 1) == Some(&b'\\') => return i + 2,
            b'\'' => {
                i += 1;
                while i < b.len() && !matches!(b[i], b'\'' | b'\n') {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if b.get(i) == Some(&b'\'') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// `$$...$$`, `$tag$...$tag$`, or a `$1` parameter / stray `$`.
fn dollar_end(text: &str, start: usize) -> (usize, Kind) {
    let b = text.as_bytes();
    let mut i = start + 1;
    if b.get(i).is_some_and(|&c| is_ident_start(c)) {
        while i < b.len() && (is_ident_start(b[i]) || b[i].is_ascii_digit()) {
            i += 1;
        }
    }
    if b.get(i) == Some(&b'$') {
        let tag = &text[start..=i];
        let body = i + 1;
        let end = text[body..]
            .find(tag)
            .map_or(b.len(), |k| body + k + tag.len());
        return (end, Kind::Dollar);
    }
    let mut i = start + 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    (
        i,
        if i > start + 1 {
            Kind::Param
        } else {
            Kind::Other
        },
    )
}
