//! Migration names announce what they do (`RemoveEmailFromUsers`,
//! `003_drop_old_table.up.sql`); a removal verb as a whole word flags it.

use std::ops::Range;

use super::{Finding, Rule, excerpt};

const VERBS: &[&str] = &["remove", "drop", "destroy", "delete", "truncate", "clear"];

pub(super) fn scan(name: &str) -> Option<Finding> {
    let span = words(name).into_iter().find(|w| {
        VERBS
            .iter()
            .any(|v| name[w.clone()].eq_ignore_ascii_case(v))
    })?;
    Some(Finding {
        rule: Rule::MigrationName,
        span,
        // The verb alone says little; the operator needs the whole name.
        excerpt: excerpt(name),
    })
}

/// Words of a name: runs of letters, split at CamelCase boundaries
/// (`removeEmail` → remove, Email; `HTMLParser` → HTML, Parser).
fn words(name: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut chars = name.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_alphabetic() {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            prev = None;
            continue;
        }
        if let (Some(s), Some(p)) = (start, prev) {
            let next_lower = chars.peek().is_some_and(|&(_, n)| n.is_lowercase());
            let boundary =
                c.is_uppercase() && (p.is_lowercase() || (p.is_uppercase() && next_lower));
            if boundary {
                out.push(s..i);
                start = Some(i);
            }
        } else {
            start = Some(i);
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        out.push(s..name.len());
    }
    out
}
