//! What a step kind that runs inside runsheet (sql, compare, migrations,
//! http, s3) is given, and what it answers. This sits at the bottom of the
//! step kinds so that each of them depends on it and none on another, nor
//! on the dispatch that chooses between them (`action::dispatch`).
//! What only database steps need is `db::ctx::DbCtx`, beside them.

use std::collections::{BTreeMap, HashMap};

use crate::runbook::model::Action;
use crate::secrets::Secrets;

/// One in-process action, resolved from the session: its step, its target,
/// the environment a shell command would get (for `${VAR}` in URLs and
/// headers), and what earlier attempts journaled. Talking to the runner
/// while it runs (output, records, stop requests) goes through
/// `exec::task::TaskCtx`.
#[derive(Clone)]
pub struct StepCtx {
    pub step: String,
    pub index: usize,
    pub action: Action,
    /// The action's own target (for compare: the left one).
    pub target: String,
    /// Whether that target is protected (production).
    pub protected: bool,
    /// What a shell command of this action would get in its environment:
    /// the runbook's variables, the target's `env`, runsheet's own.
    pub env: Vec<(String, String)>,
    /// Values never to show or journal.
    pub secrets: Secrets,
    /// Checkpoints this action journaled in earlier attempts, by key, in
    /// order (`Msg::Checkpoint`): how a resumed upload knows its parts.
    pub checkpoints: BTreeMap<String, Vec<serde_json::Value>>,
}

impl StepCtx {
    /// `${VAR}`, `$VAR` and `{{VAR}}` in `text`, from this action's
    /// environment, else the process's.
    pub fn expand(&self, text: &str) -> String {
        let values: HashMap<String, String> = self.env.iter().cloned().collect();
        crate::runbook::vars::expand(text, &values, &|n| std::env::var(n).ok())
    }

    /// The value of a variable in this action's environment, else the
    /// process's (`AWS_PROFILE`, `AWS_ENDPOINT_URL` …).
    pub fn var(&self, name: &str) -> Option<String> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name).ok())
    }
}

/// How an in-process action ended, when it could run at all.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// It ran, and its expectation was not met: the reason.
    Failed(String),
    /// It ran and found what it guards against (a destructive migration
    /// pending on a protected target): not an error, a question for a
    /// person. The step stops at a typed gate on its target showing
    /// `finding`; the target's name typed, the action counts as passed.
    NeedsApproval {
        finding: String,
    },
}
