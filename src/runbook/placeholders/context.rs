//! What each byte of a block is to the language that runs it: code, a
//! quoted string, a comment, a heredoc's body. A placeholder is looked for
//! outside comments, and replaced by what keeps its value one literal
//! word where it stands (`substitute.rs`).

/// What a byte of a block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctx {
    /// Unquoted code: shell words, SQL text.
    Code,
    /// Shell `"…"`, or an unquoted heredoc's body: `$NAME` is expanded.
    Double,
    /// Shell `'…'`: nothing is expanded.
    Single,
    /// Shell `$'…'`: escapes, no expansion.
    AnsiC,
    /// A quoted heredoc's body (`<<'EOF'`), a SQL dollar-quoted body:
    /// taken as written.
    Literal,
    /// SQL `'…'`.
    SqlString,
    /// SQL `"…"`.
    SqlIdent,
    Comment,
}

enum Frame {
    Code { parens: usize },
    Double,
    Backtick,
}

struct Pending {
    delim: String,
    quoted: bool,
    strip_tabs: bool,
}

/// The context of each byte of shell code (bash and sh alike).
pub fn shell(code: &str) -> Vec<Ctx> {
    let b = code.as_bytes();
    let n = b.len();
    let mut ctx = vec![Ctx::Code; n];
    let mut stack = vec![Frame::Code { parens: 0 }];
    let mut pending: Vec<Pending> = Vec::new();
    let mut i = 0;
    let mark = |ctx: &mut Vec<Ctx>, r: std::ops::Range<usize>, c: Ctx| {
        let (start, end) = (r.start.min(n), r.end.min(n));
        if start < end {
            ctx[start..end].fill(c);
        }
    };
    while i < n {
        let c = b[i];
        if let Some(Frame::Double) = stack.last() {
            ctx[i] = Ctx::Double;
            match c {
                b'\\' => {
                    mark(&mut ctx, i..i + 2, Ctx::Double);
                    i += 2;
                }
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'$' if b.get(i + 1) == Some(&b'(') => {
                    mark(&mut ctx, i..i + 2, Ctx::Double);
                    stack.push(Frame::Code { parens: 0 });
                    i += 2;
                }
                b'`' => {
                    stack.push(Frame::Backtick);
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'\\' => i += 2,
            b'\'' => {
                let end = find(b, i + 1, b'\'').map_or(n, |e| e + 1);
                mark(&mut ctx, i..end, Ctx::Single);
                i = end;
            }
            b'$' if b.get(i + 1) == Some(&b'\'') => {
                let mut j = i + 2;
                while j < n && b[j] != b'\'' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(n);
                mark(&mut ctx, i..end, Ctx::AnsiC);
                i = end;
            }
            b'"' => {
                ctx[i] = Ctx::Double;
                stack.push(Frame::Double);
                i += 1;
            }
            b'#' if i == 0
                || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(') =>
            {
                let end = find(b, i, b'\n').unwrap_or(n);
                mark(&mut ctx, i..end, Ctx::Comment);
                i = end;
            }
            b'$' | b'<' | b'>' if b.get(i + 1) == Some(&b'(') => {
                stack.push(Frame::Code { parens: 0 });
                i += 2;
            }
            b'(' => {
                if let Some(Frame::Code { parens }) = stack.last_mut() {
                    *parens += 1;
                }
                i += 1;
            }
            b')' => {
                let nested = stack.len() > 1;
                match stack.last_mut() {
                    Some(Frame::Code { parens }) if *parens > 0 => *parens -= 1,
                    _ if nested => {
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
            }
            b'`' => {
                if let Some(Frame::Backtick) = stack.last() {
                    stack.pop();
                } else {
                    stack.push(Frame::Backtick);
                }
                i += 1;
            }
            b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                let (next, doc) = heredoc_start(code, i + 2);
                pending.extend(doc);
                i = next;
            }
            b'\n' => {
                i += 1;
                for doc in std::mem::take(&mut pending) {
                    let start = i;
                    let mut end = n;
                    while i < n {
                        let eol = find(b, i, b'\n').unwrap_or(n);
                        let line = &code[i..eol];
                        let line = if doc.strip_tabs {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        if line.trim_end_matches('\r') == doc.delim {
                            end = i;
                            i = (eol + 1).min(n);
                            break;
                        }
                        i = (eol + 1).min(n);
                    }
                    let body = if doc.quoted {
                        Ctx::Literal
                    } else {
                        Ctx::Double
                    };
                    mark(&mut ctx, start..end, body);
                }
            }
            _ => i += 1,
        }
    }
    ctx
}

/// After `<<`: the delimiter word (quotes removed), and where lexing goes on.
fn heredoc_start(code: &str, mut i: usize) -> (usize, Option<Pending>) {
    let b = code.as_bytes();
    let strip_tabs = b.get(i) == Some(&b'-');
    if strip_tabs {
        i += 1;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let start = i;
    while i < b.len()
        && !matches!(
            b[i],
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b')'
        )
    {
        i += 1;
    }
    let word = &code[start..i];
    if word.is_empty() {
        return (i, None);
    }
    let quoted = word.contains(['\'', '"', '\\']);
    let delim: String = word
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
        .collect();
    (
        i,
        Some(Pending {
            delim,
            quoted,
            strip_tabs,
        }),
    )
}

/// The context of each byte of SQL: strings, quoted identifiers, comments
/// and dollar-quoted bodies apart from the code.
pub fn sql(code: &str) -> Vec<Ctx> {
    let b = code.as_bytes();
    let n = b.len();
    let mut ctx = vec![Ctx::Code; n];
    let mut i = 0;
    let mut mark = |r: std::ops::Range<usize>, c: Ctx| {
        let (start, end) = (r.start.min(n), r.end.min(n));
        if start < end {
            ctx[start..end].fill(c);
        }
    };
    while i < n {
        let end = match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                let mut j = i + 1;
                loop {
                    match find(b, j, q) {
                        Some(e) if b.get(e + 1) == Some(&q) => j = e + 2,
                        Some(e) => break e + 1,
                        None => break n,
                    }
                }
                .min(n)
            }
            b'-' if b.get(i + 1) == Some(&b'-') => find(b, i, b'\n').unwrap_or(n),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                code[i + 2..].find("*/").map_or(n, |e| i + 2 + e + 2)
            }
            b'$' => match dollar_tag(code, i) {
                Some(tag) => code[i + tag.len()..]
                    .find(tag)
                    .map_or(n, |e| i + tag.len() + e + tag.len()),
                None => i + 1,
            },
            _ => i + 1,
        };
        let c = match b[i] {
            b'\'' => Ctx::SqlString,
            b'"' => Ctx::SqlIdent,
            b'-' | b'/' if end > i + 1 => Ctx::Comment,
            b'$' if end > i + 1 => Ctx::Literal,
            _ => Ctx::Code,
        };
        mark(i..end, c);
        i = end.max(i + 1);
    }
    ctx
}

/// `$$` or `$tag$` opening a dollar-quoted string at `i`.
fn dollar_tag(code: &str, i: usize) -> Option<&str> {
    let rest = &code[i + 1..];
    let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    if !rest[len..].starts_with('$') || rest[..len].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(&code[i..i + 1 + len + 1])
}

fn find(b: &[u8], from: usize, c: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&x| x == c)
        .map(|p| p + from)
}
