//! JSON paths in asserts, normalized to one jq-like form (`.a.b[0].c`, `.`
//! for the whole document, `.[0]` for a top-level array) so the runner
//! follows a single syntax whichever one the author wrote.

enum Segment<'a> {
    Key(&'a str),
    Index(u64),
}

/// `.a.b[0].c`, `.`, `.[0].id`.
pub(super) fn from_jq(path: &str) -> Option<String> {
    let rest = path.strip_prefix('.')?;
    if rest.is_empty() {
        return Some(".".into());
    }
    let segments = if rest.starts_with('[') {
        segments(rest)?
    } else {
        segments(path)?
    };
    Some(render(&segments))
}

/// `$.a.b[0].c`, `$`, `$[0].id`.
pub(super) fn from_jsonpath(path: &str) -> Option<String> {
    Some(render(&segments(path.strip_prefix('$')?)?))
}

/// Keys are letters, digits, `_` and `-`; indexes are non-negative numbers.
/// Wildcards, filters, slices and `..` are refused: an assert checks one value.
fn segments(mut text: &str) -> Option<Vec<Segment<'_>>> {
    let mut out = Vec::new();
    while !text.is_empty() {
        if let Some(rest) = text.strip_prefix('.') {
            let end = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            let (key, rest) = rest.split_at(end);
            out.push(Segment::Key(key));
            text = rest;
        } else if let Some(rest) = text.strip_prefix('[') {
            let (index, rest) = rest.split_once(']')?;
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out.push(Segment::Index(index.parse().ok()?));
            text = rest;
        } else {
            return None;
        }
    }
    Some(out)
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn render(segments: &[Segment<'_>]) -> String {
    let mut out = String::new();
    if !matches!(segments.first(), Some(Segment::Key(_))) {
        out.push('.');
    }
    for segment in segments {
        match segment {
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_syntaxes_give_the_jq_form() {
        for (jsonpath, jq) in [
            ("$", "."),
            ("$.status", ".status"),
            ("$.a.b[0].c", ".a.b[0].c"),
            ("$[2].id", ".[2].id"),
            ("$.pending-count", ".pending-count"),
        ] {
            assert_eq!(from_jsonpath(jsonpath).as_deref(), Some(jq), "{jsonpath}");
            assert_eq!(from_jq(jq).as_deref(), Some(jq), "{jq}");
        }
        assert_eq!(from_jq(".items[007]").as_deref(), Some(".items[7]"));
    }

    #[test]
    fn paths_that_select_many_values_are_refused() {
        for bad in [
            "$..id",
            "$.items[*]",
            "$.items[?(@.a)]",
            "$['a']",
            "$.a.",
            "$.items[-1]",
            "status",
        ] {
            assert_eq!(from_jsonpath(bad), None, "{bad}");
        }
        for bad in ["..id", ".a..b", ".a[", ".a[x]", "a", ".\"a b\""] {
            assert_eq!(from_jq(bad), None, "{bad}");
        }
    }
}
