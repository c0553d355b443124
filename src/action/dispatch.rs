//! Which step kind runs an in-process action (sql, compare, migrations,
//! batch, http, s3), and how its verdict becomes the action's outcome.
//! The only place that knows every step kind: each of them knows only the
//! context it is given (`exec::step`, `db::ctx`).

use std::collections::HashMap;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::error::StepError;
use crate::db::ctx::DbCtx;
use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::{Action, ActionKind};
use crate::secrets::Secrets;
use crate::session::{ActionOutcome, Session};

/// An action runsheet runs itself, ready to start.
#[derive(Clone)]
pub struct InProcess {
    pub step: StepCtx,
    /// What a database action needs besides; `None` for http and s3.
    pub db: Option<DbCtx>,
}

/// Everything `InProcess::prepare` needs from the session.
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

impl InProcess {
    pub fn prepare(i: Inputs<'_>) -> InProcess {
        let db_targets: Option<Vec<String>> = match &i.action.kind {
            ActionKind::Sql { .. } | ActionKind::Migrations(_) | ActionKind::Batch(_) => {
                Some(vec![i.target.to_string()])
            }
            ActionKind::Compare(spec) => Some(vec![spec.left.clone(), spec.right.clone()]),
            ActionKind::Http(_) | ActionKind::S3(_) | ActionKind::Shell { .. } => None,
        };
        let db = db_targets.as_deref().map(|targets| {
            DbCtx::prepare(i.session, i.values, targets, i.step, i.index, i.process_env)
        });
        // A compare's own target is its left one.
        let target = db_targets
            .and_then(|t| t.into_iter().next())
            .unwrap_or_else(|| i.target.to_string());
        let state = i.session.state(i.step);
        let step = StepCtx {
            step: i.step.to_string(),
            index: i.index,
            action: i.action.clone(),
            protected: i.session.target(&target).is_some_and(|t| t.protected),
            target,
            env: i.env,
            secrets: i.secrets.clone(),
            checkpoints: state
                .map(|s| {
                    s.checkpoints
                        .iter()
                        .filter(|((action, _), _)| *action == i.index)
                        .map(|((_, key), v)| (key.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        InProcess { step, db }
    }

    /// Runs the action to its end: its outcome, the verdict's text or the
    /// error's, redacted.
    pub async fn run(self, ctx: TaskCtx) -> ActionOutcome {
        let result = self.attempt(&ctx).await;
        self.outcome(&result)
    }

    /// What the session records of `result`: a failed verdict's reason or
    /// the error's `Display`, with this action's secrets masked (an error
    /// may quote an expanded value: a bucket, a URL).
    pub fn outcome(&self, result: &Result<Verdict, StepError>) -> ActionOutcome {
        let secrets = &self.step.secrets;
        match result {
            Ok(Verdict::Passed) => ActionOutcome {
                exit_code: Some(0),
                ..ActionOutcome::default()
            },
            Ok(Verdict::Failed(why)) => ActionOutcome {
                exit_code: Some(0),
                failure: Some(secrets.redact(why)),
                ..ActionOutcome::default()
            },
            Ok(Verdict::NeedsApproval { finding }) => ActionOutcome {
                exit_code: Some(0),
                needs_approval: Some(secrets.redact(finding)),
                ..ActionOutcome::default()
            },
            Err(e) => ActionOutcome {
                error: Some(secrets.redact(&e.to_string())),
                ..ActionOutcome::default()
            },
        }
    }

    /// Runs the action by its step kind: the verdict, or the kind's typed
    /// error (not yet redacted: `run` does that for what is shown).
    pub async fn attempt(&self, ctx: &TaskCtx) -> Result<Verdict, StepError> {
        let InProcess { step, db } = self;
        // Boxed with `Send` spelled out here, where the lifetimes are
        // concrete: rustc otherwise tries to prove `Send` for every
        // lifetime of these borrowing futures, and cannot.
        type Run<'a> = BoxFuture<'a, Result<Verdict, StepError>>;
        let run: Run<'_> = match (&step.action.kind, db) {
            (ActionKind::Sql { writes }, Some(db)) => crate::db::sql::run(step, db, ctx, *writes)
                .map(db_kind)
                .boxed(),
            (ActionKind::Compare(spec), Some(db)) => crate::db::compare::run(step, db, ctx, spec)
                .map(db_kind)
                .boxed(),
            (ActionKind::Migrations(spec), Some(db)) => {
                crate::db::pending::run(step, db, ctx, spec)
                    .map(db_kind)
                    .boxed()
            }
            (ActionKind::Batch(spec), Some(db)) => crate::db::batch::run(step, db, ctx, spec)
                .map(db_kind)
                .boxed(),
            (ActionKind::Http(check), _) => crate::http::run(step, ctx, check)
                .map(|r| r.map_err(StepError::Http))
                .boxed(),
            (ActionKind::S3(ops), _) => crate::s3::run(step, ctx, ops)
                .map(|r| r.map_err(StepError::S3))
                .boxed(),
            (ActionKind::Shell { .. }, _) => {
                futures::future::ready(Err(StepError::NotInProcess)).boxed()
            }
            (_, None) => futures::future::ready(Err(StepError::NoDatabaseSettings)).boxed(),
        };
        run.await
    }
}

fn db_kind(r: Result<Verdict, crate::db::DbStepError>) -> Result<Verdict, StepError> {
    r.map_err(StepError::Db)
}
