//! `check`'s warnings about four-eyes that would never be asked: a target
//! that wants approvals but stops nothing at a gate (not protected: its
//! destructive steps count down), and a step that wants them but runs
//! nothing (no block: there is no gate to approve).

use super::diagnostic::Diagnostic;
use super::model::Runbook;

pub(super) fn check(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    for t in rb
        .targets
        .iter()
        .filter(|t| t.approvals > 0 && !t.protected)
    {
        diags.push(
            Diagnostic::warning(
                "approvals-unprotected",
                super::lint_targets::target_span(source, &t.name),
                format!(
                    "target `{}` asks {} approval{} at its gates, but it is not protected: its destructive steps count down instead of stopping at a gate, so nobody is ever asked",
                    t.name,
                    t.approvals,
                    if t.approvals == 1 { "" } else { "s" }
                ),
            )
            .with_help(format!(
                "add `protected: true` to `{}`, or put `{{approvals=N}}` on the steps that need a second person",
                t.name
            )),
        );
    }
    for (_, s) in rb.steps() {
        if s.approvals.is_some_and(|n| n > 0) && s.actions.is_empty() {
            diags.push(
                Diagnostic::warning(
                    "approvals-nothing-runs",
                    s.span,
                    format!(
                        "step `{}` asks for approvals but runs no block: there is no gate to approve",
                        s.title
                    ),
                )
                .with_help("approvals guard a gate before commands run: put the step's commands in a fenced block, or drop `approvals=`"),
            );
        }
    }
}
