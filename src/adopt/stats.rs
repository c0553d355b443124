//! The figures `adopt --stats` and the corpus report print: what a human
//! would have had to change without adopt, what is left after it.
//!
//! *Edits before*: every change adopt makes (one per fenced block, heading,
//! variable and target it writes) plus every edit left after it — what a
//! person starting from the original would have had to do. *Edits left*:
//! `check`'s errors and warnings on the adopted copy, plus the notes adopt
//! leaves where it would not decide (docs/adopting.md).

use super::{Adoption, EditKind};
use crate::runbook::{self, Role};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub edits_before: usize,
    pub edits_left: usize,
    /// Headings of each role in the adopted copy.
    pub rollback: usize,
    pub alternative: usize,
    pub context: usize,
    /// Blocks the adopted copy runs with the terminal handed over.
    pub interactive: usize,
    /// Distinct placeholders turned into variables.
    pub placeholders: usize,
    /// Runnable blocks before and after.
    pub runnable_before: usize,
    pub runnable_after: usize,
}

pub fn of(path: &str, a: &Adoption) -> Stats {
    let before = runbook::parse(path, &a.source);
    let after = runbook::parse(path, &a.patched);
    let count = |role: Role| {
        after
            .runbook
            .steps()
            .filter(|(_, s)| s.role == role)
            .count()
    };
    let runnable = |p: &runbook::Parsed| p.runbook.steps().map(|(_, s)| s.actions.len()).sum();
    let written: usize = a
        .edits
        .iter()
        .map(|e| match e.kind {
            // One per variable or target the front matter gains.
            EditKind::FrontMatter => e
                .lines
                .iter()
                .filter(|l| {
                    l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':')
                })
                .count()
                .max(1),
            _ => 1,
        })
        .sum();
    Stats {
        edits_before: written + a.edits_left(),
        edits_left: a.edits_left(),
        rollback: count(Role::Rollback),
        alternative: count(Role::Alternative),
        context: count(Role::Context),
        interactive: after
            .runbook
            .steps()
            .flat_map(|(_, s)| s.actions.iter())
            .filter(|x| x.interactive)
            .count(),
        placeholders: {
            let mut names: Vec<&str> = a
                .placeholders
                .iter()
                .filter(|p| p.name != "DATABASE_URL")
                .map(|p| p.name.as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            names.len()
        },
        runnable_before: runnable(&before),
        runnable_after: runnable(&after),
    }
}
