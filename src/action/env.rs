//! The environment an action's command receives.

use std::collections::HashMap;

use crate::runbook::model::Target;
use crate::runbook::vars::expand;

/// The environment a command of `target` receives: the runbook's variables,
/// the target's `env`, and runsheet's own.
pub fn command_env(
    values: &HashMap<String, String>,
    target: Option<&Target>,
    target_name: &str,
    runbook_path: &str,
    step: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    out.sort();
    if let Some(t) = target {
        for (k, v) in &t.env {
            out.push((k.clone(), expand(v, values, env)));
        }
        if let Some(db) = &t.database {
            out.push(("DATABASE_URL".into(), expand(db, values, env)));
        }
    }
    out.push(("RUNSHEET_TARGET".into(), target_name.to_string()));
    out.push(("RUNSHEET_RUNBOOK".into(), runbook_path.to_string()));
    out.push(("RUNSHEET_STEP".into(), step.to_string()));
    out
}
