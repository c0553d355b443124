//! Heading edits: a title where the runbook has none (a title written as
//! `##`, or none at all), `{role=rollback}` on a heading about undoing
//! whose destructive step would otherwise run in the flow, and
//! `{undoes=…}` on a rollback section that names no phase. Roles the
//! words already give (item 1's inference) are not written: the heading
//! stays as people wrote it.

use super::{Edit, EditKind};
use crate::runbook::attributes;
use crate::runbook::frontmatter;
use crate::runbook::role::{self, Role};
use crate::runbook::span::LineIndex;
use crate::runbook::{Parsed, Runbook};
use pulldown_cmark::{Event, Options, Parser, Tag};
use std::collections::BTreeMap;

/// What to do to one heading line.
#[derive(Default)]
struct Change {
    /// `#`s to take off (the whole outline moves up).
    shift: usize,
    /// This heading becomes the `#` title.
    title: bool,
    attrs: Vec<String>,
    why: Vec<String>,
    kind: Option<EditKind>,
}

/// An ATX heading: its 0-based line and level.
fn headings(source: &str) -> Vec<(usize, usize)> {
    let mut diags = Vec::new();
    let start = frontmatter::parse(source, &mut diags).len;
    let index = LineIndex::new(source);
    Parser::new_ext(
        &source[start..],
        Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES,
    )
    .into_offset_iter()
    .filter_map(|(e, r)| match e {
        Event::Start(Tag::Heading { level, .. }) => {
            let line = index.line_of(start + r.start);
            let text = index.line_text(source, line);
            text.trim_start()
                .starts_with('#')
                .then_some((line, level as usize))
        }
        _ => None,
    })
    .collect()
}

/// The title fix, when the runbook has no `#` title. It comes first: the
/// sections' roles are read from the outline once the title stands.
pub fn title_edits(path: &str, parsed: &Parsed, source: &str, lines: &[&str]) -> Vec<Edit> {
    if !parsed.diagnostics.iter().any(|d| d.code == "no-title") {
        return Vec::new();
    }
    let mut changes: BTreeMap<usize, Change> = BTreeMap::new();
    let inserted = title(path, parsed, source, &mut changes);
    let mut out = to_edits(changes, lines);
    out.extend(inserted);
    out
}

/// Roles, rollback links and prose-only sections, on a runbook whose title
/// stands.
pub fn section_edits(parsed: &Parsed, source: &str, lines: &[&str]) -> Vec<Edit> {
    let mut changes: BTreeMap<usize, Change> = BTreeMap::new();
    let index = LineIndex::new(source);
    roles(parsed, &index, &mut changes);
    prose_only(&parsed.runbook, lines, &index, &mut changes);
    undoes(&parsed.runbook, &index, &mut changes);
    to_edits(changes, lines)
}

fn to_edits(changes: BTreeMap<usize, Change>, lines: &[&str]) -> Vec<Edit> {
    changes
        .into_iter()
        .filter_map(|(line, c)| {
            let text = lines.get(line)?;
            Some(Edit {
                first: line,
                removed: 1,
                lines: vec![rewrite(text, &c)],
                why: format!("heading: {}", c.why.join(", ")),
                kind: c.kind.unwrap_or(EditKind::Role),
            })
        })
        .collect()
}

/// The fix for a runbook with no `#` title: the first heading, when it
/// stands above every other, becomes the title and the outline moves up
/// with it; otherwise a title is written from the file's name.
fn title(
    path: &str,
    parsed: &Parsed,
    source: &str,
    changes: &mut BTreeMap<usize, Change>,
) -> Option<Edit> {
    let hs = headings(source);
    let &(first_line, first_level) = hs.first()?;
    let alone = hs[1..].iter().all(|&(_, l)| l > first_level);
    if first_level > 1 && alone {
        for &(line, _) in &hs {
            let c = changes.entry(line).or_default();
            c.shift = first_level - 1;
            c.kind = Some(EditKind::Title);
            c.why.push(if line == first_line {
                "the first heading is the title".into()
            } else {
                "one level up with the title".into()
            });
        }
        return None;
    }
    let before_shallower = hs[1..]
        .iter()
        .take_while(|&&(_, l)| l >= first_level)
        .all(|&(_, l)| l > first_level)
        && hs[1..].iter().any(|&(_, l)| l < first_level);
    if first_level > 1 && before_shallower {
        let c = changes.entry(first_line).or_default();
        c.title = true;
        c.kind = Some(EditKind::Title);
        c.why.push("the first heading is the title".into());
        return None;
    }
    // "## Mise en production de Boutique" over a paragraph, then the
    // sections: a first section of prose only is the title and its intro.
    let index = LineIndex::new(source);
    let prose_only = parsed.runbook.phases.first().is_some_and(|p| {
        index.line_of(p.span.start) == first_line && p.steps.is_empty() && p.role.is_flow()
    });
    if first_level > 1 && prose_only {
        let c = changes.entry(first_line).or_default();
        c.title = true;
        c.kind = Some(EditKind::Title);
        c.why
            .push("the first heading, over prose only, is the title".into());
        return None;
    }
    let mut diags = Vec::new();
    let start = frontmatter::parse(source, &mut diags).len;
    let at = index.line_of(start);
    let at = if start == 0 { 0 } else { at };
    Some(Edit {
        first: at,
        removed: 0,
        lines: vec![format!("# {}", title_from_path(path)), String::new()],
        why: "a `#` title, from the file's name".into(),
        kind: EditKind::Title,
    })
}

/// `pg-failover_runbook.md` → "Pg failover runbook".
fn title_from_path(path: &str) -> String {
    let name = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.trim_end_matches(".runsheet");
    let words: Vec<&str> = name
        .split(['-', '_', '.', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    let mut t = words.join(" ");
    if let Some(c) = t.get(..1) {
        t = c.to_uppercase() + &t[1..];
    }
    if t.is_empty() { "Runbook".into() } else { t }
}

/// A destructive flow step under a heading about undoing or restoring
/// (`check`'s destructive-undo-in-flow): out of the flow, as a rollback.
/// Safety first: an operator can still run it when a failure offers it.
fn roles(parsed: &Parsed, index: &LineIndex, changes: &mut BTreeMap<usize, Change>) {
    let rb = &parsed.runbook;
    let recovery = role::is_recovery_title(&rb.title);
    for d in parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "destructive-undo-in-flow")
    {
        let Some((phase, step)) = rb.steps().find(|(_, s)| s.span == d.span) else {
            continue;
        };
        let span = if role::mentions_undo(&step.title, recovery) {
            step.span
        } else {
            phase.span
        };
        let c = changes.entry(index.line_of(span.start)).or_default();
        if !c.attrs.iter().any(|a| a.starts_with("role=")) {
            c.attrs.push("role=rollback".into());
            c.why
                .push("a destructive step about undoing: a rollback, out of the flow".into());
        }
    }
}

/// A flow section of prose only (no step, checklist or command) before the
/// first section that has steps, or after the last: read, not done
/// (`{role=context}`), rather than a phase with nothing to confirm. One in
/// the middle may be a manual step: left to a human (`check` says so).
fn prose_only(
    rb: &Runbook,
    lines: &[&str],
    index: &LineIndex,
    changes: &mut BTreeMap<usize, Change>,
) {
    let with_steps: Vec<usize> = rb
        .phases
        .iter()
        .enumerate()
        .filter(|(_, p)| p.steps.iter().any(|s| s.role.is_flow()))
        .map(|(i, _)| i)
        .collect();
    let (Some(&first), Some(&last)) = (with_steps.first(), with_steps.last()) else {
        return;
    };
    let title_line = first_heading_line(changes);
    for (i, p) in rb.phases.iter().enumerate() {
        if !(i < first || i > last) || !p.steps.is_empty() || !p.role.is_flow() {
            continue;
        }
        let line = index.line_of(p.span.start);
        let stated = lines.get(line).is_some_and(|l| {
            attributes::split_heading(l)
                .1
                .is_some_and(|(_, a)| a.contains("role") || a.contains("rollback"))
        });
        if stated || line == title_line {
            continue;
        }
        let c = changes.entry(line).or_default();
        c.attrs.push("role=context".into());
        c.why
            .push("prose only, before or after the steps: read, not done".into());
    }
}

/// The line of the heading that becomes the title, if one does.
fn first_heading_line(changes: &BTreeMap<usize, Change>) -> usize {
    changes
        .iter()
        .find(|(_, c)| c.title || c.shift > 0)
        .map_or(usize::MAX, |(l, _)| *l)
}

/// A rollback section that names no phase undoes the flow phases above it.
fn undoes(rb: &Runbook, index: &LineIndex, changes: &mut BTreeMap<usize, Change>) {
    for (i, p) in rb.phases.iter().enumerate() {
        let unlinked: Vec<_> = p
            .steps
            .iter()
            .filter(|s| s.role == Role::Rollback && s.undoes.is_empty())
            .collect();
        if unlinked.is_empty() {
            continue;
        }
        let above: Vec<&str> = rb.phases[..i]
            .iter()
            // A phase whose commands are all options still changed something.
            .filter(|q| {
                q.role.is_flow()
                    && q.steps.iter().any(|s| {
                        matches!(s.role, Role::Flow | Role::Alternative) && !s.actions.is_empty()
                    })
            })
            .map(|q| q.id.as_str())
            .collect();
        if above.is_empty() {
            continue;
        }
        let value = format!("undoes={}", above.join(","));
        let spans: Vec<_> = if p.role == Role::Rollback {
            vec![p.span]
        } else {
            unlinked.iter().map(|s| s.span).collect()
        };
        for span in spans {
            let c = changes.entry(index.line_of(span.start)).or_default();
            if !c.attrs.iter().any(|a| a.starts_with("undoes=")) {
                c.attrs.push(value.clone());
                c.why.push("the phases this rollback undoes".into());
            }
        }
    }
}

fn rewrite(line: &str, c: &Change) -> String {
    let mut text = line.to_string();
    if c.title {
        let rest = text.trim_start().trim_start_matches('#');
        text = format!("#{rest}");
    } else if c.shift > 0 {
        let lead = text.len() - text.trim_start().len();
        let hashes = text[lead..].chars().take_while(|&ch| ch == '#').count();
        let keep = hashes.saturating_sub(c.shift).max(1);
        text = format!("{}{}", "#".repeat(keep), &text[lead + hashes..]);
    }
    if c.attrs.is_empty() {
        return text;
    }
    let add = c.attrs.join(" ");
    let (_, existing) = attributes::split_heading(&text);
    match existing {
        Some((open, attrs)) => {
            let inner = attrs
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .trim();
            let head = text[..open].trim_end();
            if inner.starts_with('"') {
                let json: Vec<String> = c
                    .attrs
                    .iter()
                    .filter_map(|a| a.split_once('='))
                    .map(|(k, v)| format!("\"{k}\":\"{v}\""))
                    .collect();
                format!("{head} {{{inner},{}}}", json.join(","))
            } else {
                format!("{head} {{{inner} {add}}}")
            }
        }
        None => format!("{} {{{add}}}", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_join_what_a_heading_has() {
        let c = Change {
            attrs: vec!["role=rollback".into()],
            ..Change::default()
        };
        assert_eq!(
            rewrite("## Restore {#restore}", &c),
            "## Restore {#restore role=rollback}"
        );
        assert_eq!(
            rewrite("### 🔙 Revert", &c),
            "### 🔙 Revert {role=rollback}"
        );
        let shift = Change {
            shift: 1,
            ..Change::default()
        };
        assert_eq!(rewrite("### Step 1", &shift), "## Step 1");
        assert_eq!(
            title_from_path("docs/pg-failover_runbook.md"),
            "Pg failover runbook"
        );
    }
}
