//! Checks on what crosses into a context (`exec::context::crossing`).

use super::context::ContextKind;
use super::diagnostic::Diagnostic;
use super::model::{ActionKind, Runbook};
use super::vars;

const DATABASE_URL: &str = "DATABASE_URL";

/// A block that runs in a pod or on a host and writes `$DATABASE_URL`
/// reads the far side's own: runsheet sends the target's there only when
/// the context says `pass: [DATABASE_URL]`. Said once per block, because
/// an author who meant the target's would otherwise find out mid-window.
pub fn check(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    for (phase, step) in rb.steps() {
        for a in &step.actions {
            if !matches!(a.kind, ActionKind::Shell { .. })
                || !vars::references(&a.code)
                    .iter()
                    .any(|(n, _)| n == DATABASE_URL)
            {
                continue;
            }
            let unpassed = rb
                .possible_targets(phase, step, a)
                .into_iter()
                .find_map(|t| {
                    rb.action_context(phase, step, a, t).filter(|c| {
                        !matches!(c.kind, ContextKind::Local)
                            && !c.pass.iter().any(|p| p == DATABASE_URL)
                    })
                });
            if let Some(ctx) = unpassed {
                diags.push(
                    Diagnostic::warning(
                        "context-database-url",
                        a.span,
                        format!(
                            "this block runs in context `{}` and reads $DATABASE_URL: there it is the context's own, since runsheet does not send the target's database into a context",
                            ctx.name
                        ),
                    )
                    .with_help(format!(
                        "to send the target's, add `pass: [DATABASE_URL]` to context `{}`; to read the context's own, leave it",
                        ctx.name
                    )),
                );
            }
        }
    }
}
