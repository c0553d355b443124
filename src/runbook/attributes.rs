//! Attributes in a fence's info string or at the end of a heading, in both of
//! runme's styles: `{"timeout":"10m"}` and `{ timeout=10m target=production }`,
//! plus Pandoc's `#id` and `.class` shorthands.

use super::diagnostic::Diagnostic;
use super::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub key: String,
    pub key_span: Span,
    /// None for a bare flag (`{ interactive }`, `.rollback`).
    pub value: Option<String>,
    /// The value's span, or the key's for a bare flag.
    pub value_span: Span,
}

impl Attr {
    /// The whole `key=value` span.
    pub fn span(&self) -> Span {
        Span::new(self.key_span.start, self.value_span.end)
    }

    /// `interactive`, `interactive=true` and `"interactive":true` are true.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.as_deref() {
            None => Some(true),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Some(true),
                "false" | "no" | "off" => Some(false),
                _ => None,
            },
        }
    }

    pub fn text(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }
}

/// Parses `{…}` (braces included) that starts at byte `base` of the source.
pub fn parse(text: &str, base: usize) -> Result<Vec<Attr>, Diagnostic> {
    let inner_start = text.find('{').map(|i| i + 1).unwrap_or(0);
    let trimmed = text.trim_end();
    if !trimmed.ends_with('}') {
        return Err(Diagnostic::error(
            "bad-attributes",
            Span::new(base, base + text.len()),
            "attributes are not closed",
        )
        .with_help("close them with `}`, as in `{ timeout=10m target=production }`"));
    }
    let inner_end = trimmed.len() - 1;
    let inner = text.get(inner_start..inner_end).unwrap_or("");
    if inner.trim_start().starts_with('"') {
        parse_json(text, base)
    } else {
        parse_pairs(inner, base + inner_start)
    }
}

fn parse_json(text: &str, base: usize) -> Result<Vec<Attr>, Diagnostic> {
    let whole = Span::new(base, base + text.len());
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text.trim())
        .map_err(|e| {
            Diagnostic::error(
                "bad-attributes",
                whole,
                format!("these JSON attributes do not parse: {e}"),
            )
            .with_help(r#"write them as a JSON object, e.g. {"timeout":"10m","target":"staging"}"#)
        })?;
    let mut attrs = Vec::new();
    let mut search_from = 0;
    for (key, value) in map {
        let quoted = format!("\"{key}\"");
        let at = text
            .get(search_from..)
            .and_then(|t| t.find(&quoted))
            .map(|i| i + search_from)
            .unwrap_or(0);
        search_from = at + quoted.len();
        let key_span = Span::new(base + at + 1, base + at + 1 + key.len());
        let value = match value {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        let rendered = value.as_deref().unwrap_or("");
        let value_at = text
            .get(search_from..)
            .and_then(|t| t.find(rendered))
            .map(|i| i + search_from)
            .unwrap_or(search_from);
        let value_span = if value.is_some() {
            Span::new(base + value_at, base + value_at + rendered.len())
        } else {
            key_span
        };
        attrs.push(Attr {
            key,
            key_span,
            value,
            value_span,
        });
    }
    Ok(attrs)
}

fn parse_pairs(inner: &str, base: usize) -> Result<Vec<Attr>, Diagnostic> {
    let bytes = inner.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
            continue;
        }
        let key_start = i;
        let shorthand = matches!(c, b'#' | b'.');
        if shorthand {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && is_key_byte(bytes[i]) {
            i += 1;
        }
        if i == name_start {
            let bad_end = next_char_end(inner, i);
            return Err(Diagnostic::error(
                "bad-attributes",
                Span::new(base + i, base + bad_end),
                format!(
                    "unexpected `{}` in attributes",
                    inner.get(i..bad_end).unwrap_or("?")
                ),
            )
            .with_help("write attributes as key=value pairs separated by spaces, e.g. { timeout=10m target=production }"));
        }
        let name = &inner[name_start..i];
        let key_span = Span::new(base + key_start, base + i);
        if shorthand {
            let (key, value) = if c == b'#' {
                ("id".to_string(), Some(name.to_string()))
            } else {
                (name.to_string(), None)
            };
            attrs.push(Attr {
                key,
                key_span,
                value,
                value_span: Span::new(base + name_start, base + i),
            });
            continue;
        }
        let key = name.to_string();
        if bytes.get(i) != Some(&b'=') {
            attrs.push(Attr {
                key,
                key_span,
                value: None,
                value_span: key_span,
            });
            continue;
        }
        i += 1;
        let (value, vstart, vend, next) = read_value(inner, i).map_err(|at| {
            Diagnostic::error(
                "bad-attributes",
                Span::new(base + at, base + inner.len()),
                "this quoted value is not closed",
            )
            .with_help("close the quote, as in reason=\"restores the table we just dumped\"")
        })?;
        i = next;
        // `timeout=10 mn` is one mistaken value, not a value and a flag:
        // keep them together so the error quotes what the author meant.
        let (value, vend) = match unit_after_number(inner, &value, i) {
            Some(end) => {
                i = end;
                (inner[vstart..end].to_string(), end)
            }
            None => (value, vend),
        };
        attrs.push(Attr {
            key,
            key_span,
            value: Some(value),
            value_span: Span::new(base + vstart, base + vend),
        });
    }
    Ok(attrs)
}

/// After a bare number, the end of a following unit word (`mn`, `minutes`)
/// that is not itself a `key=`.
fn unit_after_number(s: &str, value: &str, at: usize) -> Option<usize> {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = s.get(at..)?;
    let word_start = at + (rest.len() - rest.trim_start().len());
    let word_len = s[word_start..]
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(s.len() - word_start);
    let word = &s[word_start..word_start + word_len];
    const UNITS: [&str; 14] = [
        "s", "sec", "secs", "seconds", "secondes", "m", "mn", "min", "mins", "minutes", "h", "hr",
        "hours", "heures",
    ];
    let after = s[word_start + word_len..].chars().next();
    (word_start > at && UNITS.contains(&word) && after != Some('='))
        .then_some(word_start + word_len)
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn next_char_end(s: &str, i: usize) -> usize {
    s.get(i..)
        .and_then(|t| t.chars().next())
        .map_or(i, |c| i + c.len_utf8())
}

/// Reads a value at `i`: quoted (`"…"` or `'…'`, backslash escapes in double
/// quotes) or bare up to whitespace. Returns the value, its span
/// and where to continue; Err(position of the opening quote) if unclosed.
fn read_value(s: &str, i: usize) -> Result<(String, usize, usize, usize), usize> {
    let bytes = s.as_bytes();
    match bytes.get(i) {
        Some(&q) if q == b'"' || q == b'\'' => {
            let mut out = String::new();
            let mut chars = s[i + 1..].char_indices();
            while let Some((j, c)) = chars.next() {
                let at = i + 1 + j;
                if c == q as char {
                    return Ok((out, i, at + 1, at + 1));
                }
                if c == '\\' && q == b'"' {
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                    continue;
                }
                out.push(c);
            }
            Err(i)
        }
        _ => {
            // Commas belong to the value: `expect=0,1`, `undoes=phase-2,phase-3`.
            let end = s[i..].find(char::is_whitespace).map_or(s.len(), |j| i + j);
            Ok((s[i..end].to_string(), i, end, end))
        }
    }
}

/// Splits an info string into its language and the `{…}` attributes text
/// with its offset in `info`: `sql {writes}`, `{"name":"x"} sh`, `bash`.
pub fn split_info(info: &str) -> (String, Option<(usize, &str)>) {
    let Some(open) = info.find('{') else {
        return (
            info.split_whitespace().next().unwrap_or("").to_lowercase(),
            None,
        );
    };
    let close = matching_brace(info, open).unwrap_or(info.len());
    let attrs = &info[open..close];
    let lang = format!("{} {}", &info[..open], info.get(close..).unwrap_or(""));
    (
        lang.split_whitespace().next().unwrap_or("").to_lowercase(),
        Some((open, attrs)),
    )
}

/// The index just past the `}` closing the `{` at `open`, outside quotes.
fn matching_brace(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s[open..].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A heading's trailing `{…}`: returns the title without it, and the
/// attributes text with its offset in `line`.
pub fn split_heading(line: &str) -> (&str, Option<(usize, &str)>) {
    let trimmed = line.trim_end().trim_end_matches('#').trim_end();
    if !trimmed.ends_with('}') {
        return (line, None);
    }
    // The last `{` whose matching brace closes the line.
    let mut candidate = trimmed.rfind('{');
    while let Some(open) = candidate {
        if matching_brace(trimmed, open) == Some(trimmed.len()) {
            return (&line[..open], Some((open, &trimmed[open..])));
        }
        candidate = trimmed[..open].rfind('{');
    }
    // Unbalanced (an unclosed quote, say): hand it to `parse` to report.
    match trimmed.rfind('{') {
        Some(open) => (&line[..open], Some((open, &trimmed[open..]))),
        None => (line, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(attrs: &[Attr]) -> Vec<(String, Option<String>)> {
        attrs
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    }

    #[test]
    fn both_runme_styles_give_the_same_attributes() {
        let a = parse(r#"{"timeout":"10m","interactive":true}"#, 0).unwrap_or_default();
        let b = parse("{ timeout=10m interactive }", 0).unwrap_or_default();
        assert_eq!(
            pairs(&a),
            vec![
                ("timeout".into(), Some("10m".into())),
                ("interactive".into(), Some("true".into()))
            ]
        );
        assert_eq!(pairs(&b)[0], ("timeout".into(), Some("10m".into())));
        assert_eq!(b[1].as_bool(), Some(true));
    }

    #[test]
    fn spans_point_into_the_source() {
        let src = "xx{ timeout=10m reason=\"pas de WHERE, voulu\" }";
        let attrs = parse(&src[2..], 2).unwrap_or_default();
        assert_eq!(&src[attrs[0].key_span.range()], "timeout");
        assert_eq!(&src[attrs[0].value_span.range()], "10m");
        assert_eq!(attrs[1].value.as_deref(), Some("pas de WHERE, voulu"));
        assert_eq!(&src[attrs[1].value_span.range()], "\"pas de WHERE, voulu\"");
    }

    #[test]
    fn pandoc_shorthands() {
        let attrs = parse("{#backup .rollback estimate=5m}", 0).unwrap_or_default();
        assert_eq!(
            pairs(&attrs),
            vec![
                ("id".into(), Some("backup".into())),
                ("rollback".into(), None),
                ("estimate".into(), Some("5m".into()))
            ]
        );
    }

    #[test]
    fn unclosed_quote_is_an_error_with_help() {
        let err = parse("{ reason=\"oops }", 0).err();
        assert!(err.is_some_and(|d| d.message.contains("not closed")));
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(parse(r#"{"timeout": }"#, 0).is_err());
    }

    #[test]
    fn info_strings() {
        assert_eq!(split_info("bash").0, "bash");
        let (lang, attrs) = split_info("sql { writes target=production }");
        assert_eq!(lang, "sql");
        assert_eq!(attrs, Some((4, "{ writes target=production }")));
        let (lang, attrs) = split_info(r#"{"name":"x"} sh"#);
        assert_eq!(lang, "sh");
        assert_eq!(attrs.map(|a| a.0), Some(0));
    }

    #[test]
    fn heading_attributes() {
        let (title, attrs) = split_heading("1.1 Backup {#backup estimate=10m}");
        assert_eq!(title.trim(), "1.1 Backup");
        assert_eq!(attrs, Some((11, "{#backup estimate=10m}")));
        let (title, attrs) = split_heading("Set {a} of things");
        assert_eq!(title, "Set {a} of things");
        assert_eq!(attrs, None);
    }
}
