//! Which contexts a session's shell blocks run in, read from the runbook:
//! the driver's preflight reaches each of them (with the environment of
//! its first use), and the screens name them, as stand-ins in a sandbox,
//! where nothing is reached and nothing is identified.

use super::state::Session;
use crate::runbook::context::Context;
use crate::runbook::model::ActionKind;

/// A context and where it is first used: the target and step whose
/// environment gives its `$VARS` (step "" for the session target's own).
pub struct FirstUse<'a> {
    pub context: &'a Context,
    pub target: &'a str,
    pub step: &'a str,
}

impl Session {
    /// Each context the session's shell blocks will run in, once, in
    /// order of first use: the session target's own context first, then
    /// those `{context=…}` names on phases, steps and blocks, rollback
    /// steps included. This machine is not one.
    pub fn contexts_used(&self) -> Vec<FirstUse<'_>> {
        let rb = self.runbook();
        let mut out: Vec<FirstUse> = Vec::new();
        let target = self.info().target.as_str();
        if let Some(name) = self.target(target).and_then(|t| t.context.as_deref())
            && let Some(context) = rb.contexts.iter().find(|c| c.name == name)
        {
            add(
                &mut out,
                FirstUse {
                    context,
                    target,
                    step: "",
                },
            );
        }
        for (phase, step) in rb.steps() {
            for action in &step.actions {
                if !matches!(action.kind, ActionKind::Shell { .. }) {
                    continue;
                }
                let on = self.action_target(phase, step, action);
                if let Some(context) = rb.action_context(phase, step, action, on) {
                    add(
                        &mut out,
                        FirstUse {
                            context,
                            target: on,
                            step: &step.id,
                        },
                    );
                }
            }
        }
        out
    }
}

/// Keeps `use_` unless it is this machine or its context is already in.
fn add<'a>(out: &mut Vec<FirstUse<'a>>, use_: FirstUse<'a>) {
    if !use_.context.is_local() && !out.iter().any(|u| u.context.name == use_.context.name) {
        out.push(use_);
    }
}
