//! PostgreSQL scanner: a token-level lexer that knows exactly where
//! comments, literals and quoted identifiers end, then per-statement rules.

use super::{Finding, Rule, finding};

/// CTE bodies can nest; deeper than this is not a real runbook.
const MAX_DEPTH: usize = 32;

/// Statements that may follow a `WITH` clause.
const MAIN_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE",
];

/// `ALTER ... DROP <these>` removes a property, not data or structure.
const HARMLESS_ALTER_DROPS: &[&str] = &["DEFAULT", "NOT", "IDENTITY", "EXPRESSION"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    LParen,
    RParen,
    Comma,
    Dot,
    Semi,
    /// A psql meta-command such as `\c db` or `\g`; it ends the statement.
    Meta,
    /// Literal, quoted identifier, number, parameter or operator.
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    /// False for a word that cannot be a keyword where it stands (after a
    /// `.` or `AS`, PostgreSQL accepts even reserved words as names).
    keyword: bool,
}

/// Findings with the index of the statement each came from, ordered by
/// span start; at most one finding per rule and statement.
pub(super) fn scan(text: &str) -> Vec<(usize, Finding)> {
    let toks = lex(text);
    let mut out = Vec::new();
    let statements = toks.split(|t| matches!(t.kind, Kind::Semi | Kind::Meta));
    for (index, statement) in statements.enumerate() {
        let mut found = Vec::new();
        analyze(text, statement, 0, &mut found);
        let mut seen: Vec<Rule> = Vec::new();
        for f in found {
            if !seen.contains(&f.rule) {
                seen.push(f.rule);
                out.push((index, f));
            }
        }
    }
    out.sort_by_key(|(_, f)| f.span.start);
    out
}

fn analyze(text: &str, toks: &[Tok], depth: usize, out: &mut Vec<Finding>) {
    let Some(first) = toks.first() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    if is_kw(text, first, "EXPLAIN") {
        if let Some(inner) = explain_analyze_target(text, toks) {
            analyze(text, &toks[inner..], depth + 1, out);
        }
    } else if is_kw(text, first, "WITH") {
        if let Some(main) = with_clause(text, toks, depth, out) {
            verb_rules(text, &toks[main..], out);
        }
    } else {
        verb_rules(text, toks, out);
    }
}

/// Index of the statement an `EXPLAIN` really executes, if it executes one:
/// only `ANALYZE` runs the statement.
fn explain_analyze_target(text: &str, toks: &[Tok]) -> Option<usize> {
    let mut analyze = false;
    let mut i = 1;
    if toks.get(i).is_some_and(|t| t.kind == Kind::LParen) {
        let close = matching_paren(toks, i);
        let options = &toks[i + 1..close];
        for (k, t) in options.iter().enumerate() {
            if is_kw(text, t, "ANALYZE") || is_kw(text, t, "ANALYSE") {
                let off = options.get(k + 1).is_some_and(|v| {
                    ["FALSE", "OFF", "0"]
                        .iter()
                        .any(|no| text[v.start..v.end].eq_ignore_ascii_case(no))
                });
                analyze = !off;
            }
        }
        i = close + 1;
    }
    while let Some(t) = toks.get(i) {
        if is_kw(text, t, "ANALYZE") || is_kw(text, t, "ANALYSE") {
            analyze = true;
        } else if !is_kw(text, t, "VERBOSE") {
            break;
        }
        i += 1;
    }
    (analyze && i < toks.len()).then_some(i)
}

/// Scans the CTEs of a `WITH` statement (a data-modifying CTE runs even
/// when the main statement is a SELECT) and returns the main verb's index.
fn with_clause(text: &str, toks: &[Tok], depth: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let mut i = 1;
    while let Some(t) = toks.get(i) {
        match t.kind {
            Kind::LParen => {
                let close = matching_paren(toks, i);
                let is_body = toks[i - 1].kind == Kind::Word && {
                    let prev = &text[toks[i - 1].start..toks[i - 1].end];
                    prev.eq_ignore_ascii_case("AS") || prev.eq_ignore_ascii_case("MATERIALIZED")
                };
                if is_body {
                    analyze(text, &toks[i + 1..close], depth + 1, out);
                }
                i = close + 1;
            }
            Kind::Word if MAIN_VERBS.iter().any(|v| is_kw(text, t, v)) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn verb_rules(text: &str, toks: &[Tok], out: &mut Vec<Finding>) {
    let (Some(verb), Some(last)) = (toks.first(), toks.last()) else {
        return;
    };
    let rest = &toks[1..];
    let mut end = last.end;
    let rule = if is_kw(text, verb, "DROP") {
        Rule::SqlDrop
    } else if is_kw(text, verb, "TRUNCATE") {
        Rule::SqlTruncate
    } else if is_kw(text, verb, "DELETE") && !has_top_level(text, rest, "WHERE") {
        Rule::SqlDeleteWithoutWhere
    } else if is_kw(text, verb, "UPDATE") && !has_top_level(text, rest, "WHERE") {
        Rule::SqlUpdateWithoutWhere
    } else if is_kw(text, verb, "ALTER") {
        match alter_drop_end(text, rest) {
            Some(action_end) => {
                end = action_end;
                Rule::SqlAlterDrop
            }
            None => return,
        }
    } else {
        return;
    };
    out.push(finding(rule, text, verb.start..end));
}

fn has_top_level(text: &str, toks: &[Tok], keyword: &str) -> bool {
    let mut depth = 0i64;
    toks.iter().any(|t| {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            _ => {}
        }
        depth == 0 && is_kw(text, t, keyword)
    })
}

/// End of the first top-level `DROP ...` action that removes something,
/// up to the next top-level comma.
fn alter_drop_end(text: &str, toks: &[Tok]) -> Option<usize> {
    let mut depth = 0i64;
    let mut drop_at = None;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Comma if depth == 0 && drop_at.is_some() => {
                return i.checked_sub(1).map(|k| toks[k].end);
            }
            _ => {}
        }
        if depth == 0 && drop_at.is_none() && is_kw(text, t, "DROP") {
            let harmless = toks
                .get(i + 1)
                .is_some_and(|n| HARMLESS_ALTER_DROPS.iter().any(|h| is_kw(text, n, h)));
            if !harmless {
                drop_at = Some(i);
            }
        }
    }
    drop_at.and_then(|_| toks.last()).map(|t| t.end)
}

fn matching_paren(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

fn is_kw(text: &str, t: &Tok, keyword: &str) -> bool {
    t.kind == Kind::Word && t.keyword && text[t.start..t.end].eq_ignore_ascii_case(keyword)
}

fn lex(text: &str) -> Vec<Tok> {
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
                Kind::Other
            }
            b'"' => {
                i = quoted_end(b, i + 1, b'"', false);
                Kind::Other
            }
            b'$' => {
                i = dollar_end(text, i);
                Kind::Other
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
                let escape_string =
                    i - start == 1 && matches!(b[start], b'e' | b'E') && b.get(i) == Some(&b'\'');
                if escape_string {
                    i = quoted_end(b, i + 1, b'\'', true);
                    Kind::Other
                } else {
                    Kind::Word
                }
            }
            c if c.is_ascii_digit() => {
                while i < n && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.')) {
                    i += 1;
                }
                Kind::Other
            }
            _ => {
                i += 1;
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
            end: i,
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
fn find_byte(b: &[u8], from: usize, byte: u8) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == byte)
        .map_or(b.len(), |k| from + k)
}

/// End of a quoted run whose opening quote is just before `from`; a doubled
/// quote is an escape, and so is a backslash when `backslash` is set.
fn quoted_end(b: &[u8], mut i: usize, quote: u8, backslash: bool) -> usize {
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
fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
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
fn dollar_end(text: &str, start: usize) -> usize {
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
        return text[body..]
            .find(tag)
            .map_or(b.len(), |k| body + k + tag.len());
    }
    let mut i = start + 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}
