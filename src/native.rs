//! Actions runsheet runs itself rather than through a shell: database
//! steps (`db`), HTTP checks (`http`), S3 transfers (`s3`). A [`Native`] is
//! one such action, resolved from the session by the runner: its step, its
//! target(s), the environment a shell command would get (for `${VAR}` in
//! URLs and headers), and what the session already knows (database
//! identities, a batched migration's progress, checkpoints of resumable
//! work). It runs as a task (`exec::task`) and ends in an outcome.

use std::collections::{BTreeMap, HashMap};

use crate::db::conn::DbConfig;
use crate::db::native::config_of;
use crate::exec::task::TaskCtx;
use crate::runbook::model::{Action, ActionKind};
use crate::secrets::Secrets;
use crate::session::state::BatchProgress;
use crate::session::{ActionOutcome, DbIdentity, Session};

#[derive(Clone)]
pub struct Native {
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
    /// Connection settings of every target a database action touches.
    pub databases: BTreeMap<String, Result<DbConfig, String>>,
    /// Databases the session identified before.
    pub known: BTreeMap<String, DbIdentity>,
    pub progress: Option<BatchProgress>,
    /// Checkpoints this action journaled in earlier attempts, by key, in
    /// order (`Msg::Checkpoint`): how a resumed upload knows its parts.
    pub checkpoints: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Everything `prepare` needs from the runner.
pub struct Inputs<'a> {
    pub session: &'a Session,
    pub values: &'a HashMap<String, String>,
    pub step: &'a str,
    pub index: usize,
    pub action: &'a Action,
    pub target: &'a str,
    pub env: Vec<(String, String)>,
    pub secrets: &'a Secrets,
    pub process_env: &'a dyn Fn(&str) -> Option<String>,
}

/// The native form of an action; `None` for a shell action.
pub fn prepare(i: Inputs<'_>) -> Option<Native> {
    let db_targets: Vec<String> = match &i.action.kind {
        ActionKind::Sql { .. } | ActionKind::Migrations(_) | ActionKind::Batch(_) => {
            vec![i.target.to_string()]
        }
        ActionKind::Compare(spec) => vec![spec.left.clone(), spec.right.clone()],
        ActionKind::Http(_) | ActionKind::S3(_) => Vec::new(),
        ActionKind::Shell { .. } => return None,
    };
    let databases = db_targets
        .iter()
        .map(|name| {
            let cfg = config_of(i.session, i.values, name, i.process_env);
            (name.clone(), cfg)
        })
        .collect();
    let target = db_targets
        .first()
        .cloned()
        .unwrap_or_else(|| i.target.to_string());
    let state = i.session.state(i.step);
    Some(Native {
        step: i.step.to_string(),
        index: i.index,
        action: i.action.clone(),
        protected: i.session.target(&target).is_some_and(|t| t.protected),
        target,
        env: i.env,
        secrets: i.secrets.clone(),
        databases,
        known: i.session.databases().clone(),
        progress: state
            .and_then(|s| s.batches.clone())
            .filter(|b| b.action == i.index),
        checkpoints: state
            .map(|s| {
                s.checkpoints
                    .iter()
                    .filter(|((action, _), _)| *action == i.index)
                    .map(|((_, key), v)| (key.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

impl Native {
    pub async fn run(self, ctx: TaskCtx) -> ActionOutcome {
        // Boxed with `Send` spelled out here, where the lifetimes are
        // concrete: rustc otherwise tries to prove `Send` for every
        // lifetime of these borrowing futures, and cannot.
        type Step<'a> = futures::future::BoxFuture<'a, Result<Verdict, String>>;
        let step: Step<'_> = match &self.action.kind {
            ActionKind::Sql { writes } => Box::pin(crate::db::sql::run(&self, &ctx, *writes)),
            ActionKind::Compare(spec) => Box::pin(crate::db::compare::run(&self, &ctx, spec)),
            ActionKind::Migrations(spec) => Box::pin(crate::db::pending::run(&self, &ctx, spec)),
            ActionKind::Batch(spec) => Box::pin(crate::db::batch::run(&self, &ctx, spec)),
            ActionKind::Http(check) => Box::pin(crate::http::run(&self, &ctx, check)),
            ActionKind::S3(ops) => Box::pin(crate::s3::run(&self, &ctx, ops)),
            ActionKind::Shell { .. } => {
                Box::pin(async { Err("a shell action is not run natively".into()) })
            }
        };
        let result = step.await;
        match result {
            Ok(Verdict::Passed) => ActionOutcome {
                exit_code: Some(0),
                ..ActionOutcome::default()
            },
            Ok(Verdict::Failed(why)) => ActionOutcome {
                exit_code: Some(0),
                failure: Some(self.secrets.redact(&why)),
                ..ActionOutcome::default()
            },
            Err(e) => ActionOutcome {
                error: Some(self.secrets.redact(&e)),
                ..ActionOutcome::default()
            },
        }
    }

    /// `${VAR}`, `$VAR` and `{{VAR}}` in `text`, from this action's
    /// environment.
    pub fn expand(&self, text: &str) -> String {
        let values: HashMap<String, String> = self.env.iter().cloned().collect();
        crate::run::vars::expand(text, &values, &|n| std::env::var(n).ok())
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

/// How a native action ended, when it could run at all.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// It ran, and its expectation was not met: the reason.
    Failed(String),
}
