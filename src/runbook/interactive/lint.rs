//! `check`'s word on what the rules found: a block that will get the
//! terminal without saying so, and commands that never end by themselves.

use super::super::diagnostic::Diagnostic;
use super::super::model::{ActionKind, Runbook};
use super::scan;

pub(in crate::runbook) fn check(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    let actions = rb
        .phases
        .iter()
        .flat_map(|p| p.steps.iter())
        .flat_map(|s| s.actions.iter())
        .filter(|a| matches!(a.kind, ActionKind::Shell { .. }));
    for a in actions {
        let found = scan(&a.code);
        if let (Some(reason), Some(first)) = (&a.interactive_inferred, found.interactive.first()) {
            diags.push(
                Diagnostic::warning(
                    "interactive-command",
                    a.code_span.within(first.span.clone()),
                    format!("runs interactively: {reason}, so runsheet hands it the terminal"),
                )
                .with_help(
                    "mark the block `interactive` to say so and silence this, or \
                     `interactive=false` to run it with no terminal (standard input closed); \
                     `--auto` stops at such a step",
                ),
            );
        }
        // Bounded, or the operator's to end: an interactive block has the
        // terminal, so `watch` there ends when they press Ctrl-C or `q`.
        if a.timeout.is_some() || a.interactive {
            continue;
        }
        for e in &found.endless {
            diags.push(
                Diagnostic::warning(
                    "never-ends",
                    a.code_span.within(e.span.clone()),
                    format!(
                        "`{}` never ends by itself: the step runs until its timeout or until you cancel it",
                        e.command
                    ),
                )
                .with_help(
                    "bound it (`tail -n 100`, `ping -c 3`, `timeout 30s …`), run it in the \
                     background with `&`, or give the block a `timeout=` to say how long it may run",
                ),
            );
        }
    }
}
