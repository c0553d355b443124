//! `runsheet adopt`: what a runbook written for people needs to run as a
//! guided session, proposed as edits to its Markdown. Pure: it reads the
//! source and the parsed runbook and returns the edits, the patched text
//! and what is left for a human; `cli/adopt.rs` prints or writes them.
//!
//! Every edit replaces whole lines of the original, so the diff is the
//! edits themselves (no text diff needed) and edits never overlap: each
//! fenced block is rewritten once (language, prompts, placeholders,
//! connection strings, `interactive`), each heading once, the front matter
//! once.

mod blocks;
pub mod diff;
pub mod fences;
mod frontmatter;
mod headings;
pub mod placeholders;
pub mod stats;

use crate::runbook::{self, Diagnostic};

/// One proposed change: lines `first .. first + removed` of the original
/// (0-based) become `lines`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub first: usize,
    pub removed: usize,
    pub lines: Vec<String>,
    /// What it does, for the summary: "block: fence language".
    pub why: String,
    pub kind: EditKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EditKind {
    FrontMatter,
    Title,
    Role,
    Language,
    Prompts,
    Placeholder,
    Connection,
    Interactive,
}

impl EditKind {
    pub fn label(self) -> &'static str {
        match self {
            EditKind::FrontMatter => "front matter",
            EditKind::Title => "title",
            EditKind::Role => "role",
            EditKind::Language => "fence language",
            EditKind::Prompts => "prompts and output split",
            EditKind::Placeholder => "placeholder → variable",
            EditKind::Connection => "connection string → variable",
            EditKind::Interactive => "interactive",
        }
    }
}

/// A variable the adopted runbook declares, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub secret: bool,
    /// 1-based line of the original it was read from.
    pub line: usize,
    /// As written: `<namespace>`, `$BACKUP_DIR`, `postgres://…`.
    pub written: String,
}

/// What `adopt` proposes for one runbook.
#[derive(Clone, Debug)]
pub struct Adoption {
    pub source: String,
    pub edits: Vec<Edit>,
    pub patched: String,
    /// Placeholders turned into variables (and those left as written).
    pub placeholders: Vec<Found>,
    /// Things adopt saw but would not decide: each needs a human.
    pub notes: Vec<Note>,
    /// `check`'s findings on the patched copy: each needs a human.
    pub left: Vec<Diagnostic>,
}

/// Something adopt would not change by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// 1-based line of the original.
    pub line: usize,
    pub text: String,
}

impl Adoption {
    /// Edits a human still has to make after `adopt --write`: every error
    /// and warning `check` reports on the copy, and every note.
    pub fn edits_left(&self) -> usize {
        self.left.len() + self.notes.len()
    }

    pub fn changed(&self) -> bool {
        !self.edits.is_empty()
    }

    /// Where the original's 0-based `line` stands in the copy; a line an
    /// edit rewrote maps to the edit's first line (a block's fence).
    pub fn line_in_copy(&self, line: usize) -> usize {
        let mut shift: isize = 0;
        for e in &self.edits {
            if line < e.first {
                break;
            }
            if line < e.first + e.removed {
                return (e.first as isize + shift).max(0) as usize;
            }
            shift += e.lines.len() as isize - e.removed as isize;
        }
        (line as isize + shift).max(0) as usize
    }
}

/// One pass of heading edits over the text the passes before it made.
type Stage<'a> = dyn Fn(&runbook::Parsed, &str, &[&str]) -> Vec<Edit> + 'a;

/// Proposes the edits that make `source` run as a guided session.
pub fn adopt(path: &str, source: &str) -> Adoption {
    let lines = split_lines(source);
    let mut notes = Vec::new();
    let mut placeholders = Vec::new();
    let mut edits = blocks::edits(source, &lines, &mut placeholders);
    // Each stage reads the runbook as the stages before left it: an untyped
    // fence's `rm -rf` or `$VAR` counts once it runs, and the sections'
    // roles are read once the title stands.
    let stages: [&Stage; 2] = [
        &|p, text, l| headings::title_edits(path, p, text, l),
        &|p, text, l| headings::section_edits(p, text, l),
    ];
    for stage in stages {
        let text = apply(&lines, &edits);
        let text_lines = split_lines(&text);
        let parsed = runbook::parse(path, &text);
        let later = stage(&parsed, &text, &text_lines);
        compose(&mut edits, later);
    }
    let interim = apply(&lines, &edits);
    let interim_parsed = runbook::parse(path, &interim);
    let fm = frontmatter::edit(source, &lines, &interim_parsed, &placeholders, &mut notes);
    if let Some(fm) = fm {
        edits.insert(0, fm);
    }
    edits.sort_by_key(|e| (e.first, e.removed));
    let patched = apply(&lines, &edits);
    narrow(&lines, &mut edits);
    let after = runbook::parse(path, &patched);
    notes.sort_by_key(|n| n.line);
    notes.dedup();
    Adoption {
        source: source.to_string(),
        edits,
        patched,
        placeholders,
        notes,
        left: after.diagnostics,
    }
}

/// The lines of `source` without their line ends; a final line end makes
/// no empty last line.
pub(crate) fn split_lines(source: &str) -> Vec<&str> {
    source
        .split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// The text with the edits applied (sorted, not overlapping).
fn apply(lines: &[&str], edits: &[Edit]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for e in edits {
        if e.first < at {
            continue; // overlapping: the first one wins (never expected)
        }
        for l in lines.iter().take(e.first).skip(at) {
            out.push_str(l);
            out.push('\n');
        }
        for l in &e.lines {
            out.push_str(l);
            out.push('\n');
        }
        at = (e.first + e.removed).min(lines.len()).max(e.first);
    }
    for l in lines.iter().skip(at) {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Takes off the lines an edit keeps as they were at its start and end, so
/// the diff shows only what changed (a fence's language, not its block).
fn narrow(lines: &[&str], edits: &mut Vec<Edit>) {
    for e in edits.iter_mut() {
        while e.removed > 0
            && !e.lines.is_empty()
            && lines.get(e.first) == Some(&e.lines[0].as_str())
        {
            e.first += 1;
            e.removed -= 1;
            e.lines.remove(0);
        }
        while e.removed > 0
            && !e.lines.is_empty()
            && lines.get(e.first + e.removed - 1) == e.lines.last().map(String::as_str).as_ref()
        {
            e.removed -= 1;
            e.lines.pop();
        }
    }
    edits.retain(|e| e.removed > 0 || !e.lines.is_empty());
}

/// Adds `later` (one-line rewrites and insertions, in lines of the text
/// `edits` made) to `edits` (in lines of the original): a line an earlier
/// edit wrote is rewritten inside that edit, so edits never overlap.
fn compose(edits: &mut Vec<Edit>, mut later: Vec<Edit>) {
    // From the bottom up: a rewrite that changes an edit's length then
    // moves nothing still to be placed.
    later.sort_by_key(|e| std::cmp::Reverse((e.first, e.removed)));
    let mut fresh = Vec::new();
    for l in later {
        let mut shift: isize = 0;
        let mut inside = None;
        for (i, e) in edits.iter().enumerate() {
            let start = e.first as isize + shift;
            if (l.first as isize) < start {
                break;
            }
            if (l.first as isize) < start + e.lines.len() as isize {
                inside = Some((i, (l.first as isize - start) as usize));
                break;
            }
            shift += e.lines.len() as isize - e.removed as isize;
        }
        match inside {
            Some((i, at)) => {
                let e = &mut edits[i];
                let end = (at + l.removed).min(e.lines.len());
                e.lines.splice(at..end, l.lines);
                e.why = format!("{}; {}", e.why, l.why);
            }
            None => {
                let first = usize::try_from(l.first as isize - shift).unwrap_or(0);
                fresh.push(Edit { first, ..l });
            }
        }
    }
    edits.extend(fresh);
    edits.sort_by_key(|e| (e.first, e.removed));
}

/// Whether a variable's name says it holds a secret: the session's rule,
/// and a connection string, which usually holds its password.
pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    crate::runbook::vars::names_a_secret(name)
        || upper.contains("DATABASE_URL")
        || upper.ends_with("_DSN")
}

#[cfg(test)]
mod tests;
