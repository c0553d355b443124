//! Everything it takes to run one action, resolved from the session before
//! anything starts: its target, timeout, environment, and either the shell
//! it runs in or the in-process step kind that runs it.

use std::collections::HashMap;
use std::time::Duration;

use super::dispatch::InProcess;
use super::env::command_env;
use crate::exec::interpreter::Interpreter;
use crate::runbook::model::{Action, ActionKind};
use crate::secrets::Secrets;
use crate::session::Session;

/// What it takes to run an action, resolved from the session.
pub struct Prepared {
    pub action: Action,
    pub target: String,
    pub timeout: Duration,
    pub env: Vec<(String, String)>,
    /// The shell of a shell action.
    pub interpreter: Option<Interpreter>,
    /// Any other action, ready to run inside runsheet.
    pub in_process: Option<InProcess>,
    /// Why it must not run at all (a rehearsal that would reach a real
    /// system: `reach`): it fails to start with this.
    pub refused: Option<String>,
    /// The context a shell action runs in, None for this machine (and for
    /// every context in a sandbox, whose stand-in runs here).
    pub context: Option<crate::runbook::context::Context>,
}

/// The action asked for is not in the runbook: a caller's mistake (the
/// driver asks only for what the session started).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("no step `{0}`")]
    NoStep(String),
    #[error("step `{step}` has no action {index}")]
    NoAction { step: String, index: usize },
}

/// The driver's errors are the text it reports (`driver::Result`).
impl From<PrepareError> for String {
    fn from(e: PrepareError) -> String {
        e.to_string()
    }
}

/// Resolves action `index` of `step`.
pub fn prepare(
    session: &Session,
    values: &HashMap<String, String>,
    secrets: &Secrets,
    step: &str,
    index: usize,
) -> Result<Prepared, PrepareError> {
    let Some((phase, s)) = session.step(step) else {
        return Err(PrepareError::NoStep(step.to_string()));
    };
    let Some(action) = s.actions.get(index).cloned() else {
        return Err(PrepareError::NoAction {
            step: step.to_string(),
            index,
        });
    };
    // `<namespace>` in the block becomes the value given for it.
    let action = crate::runbook::placeholders::fill_action(session.runbook(), &action, values);
    let process_env = |n: &str| std::env::var(n).ok();
    let target_name = session.action_target(phase, s, &action).to_string();
    let target = session.target(&target_name).cloned();
    let mut env = command_env(
        values,
        target.as_ref(),
        &target_name,
        &session.info().runbook_path,
        step,
        &process_env,
    );
    let mut context = match &action.kind {
        ActionKind::Shell { .. } => session
            .runbook()
            .action_context(phase, s, &action, &target_name)
            .cloned(),
        _ => None,
    };
    // A sandbox reaches no pod or host: every context is its local stand-in.
    if session.info().sandbox
        && let Some(ctx) = context.take()
    {
        env = crate::exec::context::stand_in_env(&ctx, &action.code, &env, &process_env);
    }
    let timeout = action
        .timeout
        .or(target.as_ref().map(|t| t.timeout))
        .unwrap_or(Duration::from_secs(300));
    let (interpreter, in_process) = match &action.kind {
        ActionKind::Shell { interpreter } => (Some(Interpreter::for_lang(interpreter)), None),
        _ => {
            let work = InProcess::prepare(super::dispatch::Inputs {
                session,
                values,
                step,
                index,
                action: &action,
                target: &target_name,
                env: env.clone(),
                secrets,
                process_env: &process_env,
            });
            (None, Some(work))
        }
    };
    let databases = other_databases(session, values, &action, &target_name, &process_env);
    let refused = super::reach::refusal(
        session.info().sandbox,
        &super::reach::Reach {
            action: &action,
            target: target.as_ref(),
            env: &env,
            exported: &[],
            databases: &databases,
            process_env: &process_env,
        },
    );
    Ok(Prepared {
        refused,
        action,
        target: target_name,
        timeout,
        env,
        interpreter,
        in_process,
        context,
    })
}

/// The databases, expanded, of the targets other than its own that a
/// database action connects to: both sides of a compare.
pub fn other_databases(
    session: &Session,
    values: &HashMap<String, String>,
    action: &Action,
    own: &str,
    process_env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let ActionKind::Compare(spec) = &action.kind else {
        return Vec::new();
    };
    [&spec.left, &spec.right]
        .into_iter()
        .filter(|t| t.as_str() != own)
        .filter_map(|t| {
            let declared = session
                .target(t)
                .and_then(crate::runbook::lint_targets::declared_database)?;
            Some((
                t.clone(),
                crate::runbook::vars::expand(declared, values, process_env),
            ))
        })
        .collect()
}
