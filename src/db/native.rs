//! A database action ready to run: its step, its target(s) resolved to
//! connection settings, and what the session already knows (identities of
//! databases, progress of a batched migration). Built from the session by
//! the runner, run as a native task.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;

use super::conn::{DbConfig, DbError};
use super::identity;
use crate::exec::task::TaskCtx;
use crate::run::vars::expand;
use crate::runbook::model::{Action, ActionKind};
use crate::session::state::BatchProgress;
use crate::session::{ActionOutcome, DbIdentity, Msg, Session};

#[derive(Clone)]
pub struct Native {
    pub step: String,
    pub index: usize,
    pub action: Action,
    /// The action's own target (for compare: the left one).
    pub target: String,
    /// Whether that target is protected (production).
    pub protected: bool,
    /// Connection settings of every target the action touches.
    pub databases: BTreeMap<String, Result<DbConfig, String>>,
    /// Databases the session identified before.
    pub known: BTreeMap<String, DbIdentity>,
    pub progress: Option<BatchProgress>,
}

/// The native form of a database action; `None` for other kinds.
pub fn prepare(
    session: &Session,
    values: &HashMap<String, String>,
    step: &str,
    index: usize,
    action: &Action,
    target: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Native> {
    let targets: Vec<String> = match &action.kind {
        ActionKind::Sql { .. } | ActionKind::Migrations(_) | ActionKind::Batch(_) => {
            vec![target.to_string()]
        }
        ActionKind::Compare(spec) => vec![spec.left.clone(), spec.right.clone()],
        ActionKind::Shell { .. } | ActionKind::Http(_) | ActionKind::S3(_) => return None,
    };
    let databases = targets
        .iter()
        .map(|name| (name.clone(), config_of(session, values, name, env)))
        .collect();
    Some(Native {
        step: step.to_string(),
        index,
        action: action.clone(),
        target: targets.first().cloned().unwrap_or_default(),
        protected: targets
            .first()
            .and_then(|t| session.target(t))
            .is_some_and(|t| t.protected),
        databases,
        known: session.databases.clone(),
        progress: session
            .state(step)
            .and_then(|s| s.batches.clone())
            .filter(|b| b.action == index),
    })
}

/// A target's connection settings, from its `database` (variables
/// expanded) or the PG* environment.
pub fn config_of(
    session: &Session,
    values: &HashMap<String, String>,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<DbConfig, String> {
    let Some(target) = session.target(name) else {
        let known: Vec<&str> = session
            .runbook
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        return Err(format!(
            "no target `{name}` in this runbook (targets: {})",
            known.join(", ")
        ));
    };
    let conn = target.database.as_ref().map(|d| expand(d, values, env));
    DbConfig::parse(name, conn.as_deref(), env)
}

impl Native {
    pub async fn run(self, ctx: TaskCtx) -> ActionOutcome {
        let result = match &self.action.kind {
            ActionKind::Sql { writes } => super::sql::run(&self, &ctx, *writes).await,
            ActionKind::Compare(spec) => super::compare::run(&self, &ctx, spec).await,
            ActionKind::Migrations(spec) => super::pending::run(&self, &ctx, spec).await,
            ActionKind::Batch(spec) => super::batch::run(&self, &ctx, spec).await,
            other => Err(format!("`{}` is not a database action", other.label())),
        };
        match result {
            Ok(Verdict::Passed) => ActionOutcome {
                exit_code: Some(0),
                ..ActionOutcome::default()
            },
            Ok(Verdict::Failed(why)) => ActionOutcome {
                exit_code: Some(0),
                failure: Some(why),
                ..ActionOutcome::default()
            },
            Err(e) => ActionOutcome {
                error: Some(e),
                ..ActionOutcome::default()
            },
        }
    }

    /// Connects to `target` and makes sure it is the database the session
    /// knows under that name, or records it if it is the first time.
    pub async fn connect(&self, ctx: &TaskCtx, target: &str) -> Result<Client, String> {
        let cfg = match self.databases.get(target) {
            Some(Ok(cfg)) => cfg,
            Some(Err(e)) => return Err(e.clone()),
            None => return Err(format!("no connection settings for target `{target}`")),
        };
        let client = cfg.connect().await.map_err(|e| e.to_string())?;
        let identity = identity::identify(&client, cfg)
            .await
            .map_err(|e| e.to_string())?;
        match self.known.get(target) {
            Some(known) if known.same_database(&identity) => {}
            Some(known) => {
                return Err(format!(
                    "the database of target `{target}` is not the one this session used before \
                     (then {} on {}, now {} on {}); check the connection settings before going on",
                    known.database, known.server, identity.database, identity.server
                ));
            }
            None => {
                let msg = Msg::DatabaseIdentified {
                    target: target.to_string(),
                    identity,
                };
                if let Err(refused) = ctx.record(msg).await {
                    return Err(match refused.0 {
                        Some(reason) => format!("stopped before anything ran: {reason}"),
                        None => "the session stopped".into(),
                    });
                }
            }
        }
        Ok(client)
    }

    pub fn config(&self, target: &str) -> Option<&DbConfig> {
        self.databases.get(target).and_then(|r| r.as_ref().ok())
    }

    pub fn query_error(&self, target: &str, e: tokio_postgres::Error) -> String {
        DbError::query(target, e).to_string()
    }
}

/// How a database action ended, when it could run at all.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// It ran, and its expectation was not met: the reason.
    Failed(String),
}
