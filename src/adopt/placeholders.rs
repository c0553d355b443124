//! Placeholders people leave in commands for the reader to fill in
//! (`<namespace>`, `[PAGE_ID]`, `YOUR_TOKEN`), each turned into a prompted
//! variable. A simple rule for now: the lead plugs in
//! `runbook::placeholders` (helper "holders") behind [`find`].

use std::ops::Range;

/// One placeholder in a line of code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte range in the line, delimiters included.
    pub range: Range<usize>,
    /// The variable it becomes: `<pod-name>` → `POD_NAME`.
    pub name: String,
}

/// HTML-ish tags that are markup, not placeholders.
const TAGS: &[&str] = &[
    "br", "p", "div", "span", "b", "i", "a", "li", "ul", "td", "tr", "html", "body", "head", "pre",
    "code", "em", "strong", "none", "nil", "null",
];

/// Placeholders in one line of code.
pub fn find(line: &str) -> Vec<Placeholder> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Inside a multi-byte character (`é`, `✔`): no placeholder starts there.
        if !line.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let c = bytes[i];
        let prev = i.checked_sub(1).map(|p| bytes[p]);
        if c == b'<'
            && !matches!(prev, Some(b'<' | b'\\' | b'$'))
            && let Some(end) = line[i + 1..].find('>').map(|j| i + 1 + j)
        {
            let inner = &line[i + 1..end];
            if angle_word(inner) && bytes.get(end + 1) != Some(&b'>') {
                out.push(Placeholder {
                    range: i..end + 1,
                    name: var_name(inner),
                });
                i = end + 1;
                continue;
            }
        }
        if c == b'['
            && prev != Some(b'[')
            && bytes.get(i + 1) != Some(&b'[')
            && let Some(end) = line[i + 1..].find(']').map(|j| i + 1 + j)
        {
            let inner = &line[i + 1..end];
            let upper = inner.len() >= 2
                && inner.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && inner
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            // `${array[INDEX]}` is bash, not a placeholder.
            if upper && prev.is_none_or(|p| !p.is_ascii_alphanumeric()) {
                out.push(Placeholder {
                    range: i..end + 1,
                    name: var_name(inner),
                });
                i = end + 1;
                continue;
            }
        }
        // `/path/to/app` → APP_PATH: the reader's own path.
        if line[i..].starts_with("/path/to/")
            && prev.is_none_or(|p| !(p.is_ascii_alphanumeric() || p == b'/'))
        {
            let end = line[i..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | ')' | '`'))
                .map_or(line.len(), |j| i + j);
            let last = line[i..end]
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("");
            let stem = last.split('.').next().unwrap_or(last);
            if !stem.is_empty() && stem != "to" {
                out.push(Placeholder {
                    range: i..end,
                    name: format!("{}_PATH", var_name(stem)),
                });
                i = end;
                continue;
            }
        }
        if (line[i..].starts_with("YOUR_") || line[i..].starts_with("VOTRE_"))
            && prev
                .is_none_or(|p| !(p.is_ascii_alphanumeric() || p == b'_' || p == b'$' || p == b'{'))
        {
            let end = line[i..]
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .map_or(line.len(), |j| i + j);
            let word = &line[i..end];
            let rest = word.split_once('_').map_or("", |(_, r)| r);
            if !rest.is_empty() {
                out.push(Placeholder {
                    range: i..end,
                    name: var_name(rest),
                });
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// `namespace`, `pod-name`, `your token`: letters first, a few words.
fn angle_word(inner: &str) -> bool {
    let first_ok = inner.chars().next().is_some_and(|c| c.is_alphabetic());
    let chars_ok = inner
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '));
    first_ok
        && chars_ok
        && !inner.ends_with(' ')
        && inner.split(' ').count() <= 4
        && !TAGS.contains(&inner.to_ascii_lowercase().as_str())
}

/// The variable name of a placeholder's words: upper case, `_` between.
pub fn var_name(words: &str) -> String {
    let mut out = String::new();
    for c in words.chars() {
        let folded = deunicode::deunicode_char(c).unwrap_or("");
        for f in folded.chars() {
            if f.is_ascii_alphanumeric() {
                out.push(f.to_ascii_uppercase());
            } else if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        if folded.is_empty() && !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<String> {
        find(line).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn the_shapes_people_write() {
        assert_eq!(
            names("kubectl -n <namespace> delete pod <pod-name>"),
            ["NAMESPACE", "POD_NAME"]
        );
        assert_eq!(names("curl https://api/pages/[PAGE_ID]"), ["PAGE_ID"]);
        assert_eq!(
            names("curl -H 'Authorization: Bearer YOUR_TOKEN' x"),
            ["TOKEN"]
        );
        assert_eq!(names("echo <votre nom>"), ["VOTRE_NOM"]);
        assert_eq!(names("export APP_DIR=/path/to/app"), ["APP_PATH"]);
        assert_eq!(names("# Vérifier ✔ <hôte> é"), ["HOTE"]);
        assert_eq!(names("cp x /path/to/backup.tar.gz"), ["BACKUP_PATH"]);
    }

    #[test]
    fn shell_syntax_is_not_a_placeholder() {
        for line in [
            "psql < dump.sql",
            "cat <<EOF",
            "diff <(ls a) <(ls b)",
            "if [ -f x ]; then",
            "[[ $A == b ]]",
            "echo ${arr[IDX]}",
            "echo $YOUR_TOKEN",
            "echo a<br>b",
            "test 1 -lt 2",
        ] {
            assert!(find(line).is_empty(), "{line}: {:?}", find(line));
        }
    }
}
