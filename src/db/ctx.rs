//! What database steps need beyond any in-process step's context
//! (`exec::step::StepCtx`): the connection settings of their targets, what
//! the session already knows (database identities, a batched migration's
//! progress), and a connection checked against the database the session
//! identified under that name.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;

use super::conn::{DbConfig, DbError};
use super::error::{DbStepError, SettingsError};
use super::identity;
use crate::exec::task::TaskCtx;
use crate::runbook::vars::expand;
use crate::session::state::BatchProgress;
use crate::session::{DbIdentity, Msg, Session};

/// The database side of one database action (sql, compare, migrations,
/// batch).
#[derive(Clone)]
pub struct DbCtx {
    /// Connection settings of every target the action touches.
    pub databases: BTreeMap<String, Result<DbConfig, SettingsError>>,
    /// Databases the session identified before.
    pub known: BTreeMap<String, DbIdentity>,
    /// A batched migration's progress so far, for this action.
    pub progress: Option<BatchProgress>,
}

/// A target's connection settings, from its `database` (else the
/// `DATABASE_URL` its `env` sets: what its shell steps get), variables
/// expanded, or the PG* environment.
pub fn config_of(
    session: &Session,
    values: &HashMap<String, String>,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<DbConfig, SettingsError> {
    let Some(target) = session.target(name) else {
        return Err(SettingsError::UnknownTarget {
            name: name.to_string(),
            known: session
                .runbook()
                .targets
                .iter()
                .map(|t| t.name.clone())
                .collect(),
        });
    };
    let conn = crate::db::preflight::declared_database(target).map(|d| expand(d, values, env));
    Ok(DbConfig::parse(name, conn.as_deref(), env)?)
}

impl DbCtx {
    /// The database side of action `index` of `step`, over `targets`;
    /// `values` and `env` expand their connection settings.
    pub fn prepare(
        session: &Session,
        values: &HashMap<String, String>,
        targets: &[String],
        step: &str,
        index: usize,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> DbCtx {
        let databases = targets
            .iter()
            .map(|name| (name.clone(), config_of(session, values, name, env)))
            .collect();
        DbCtx {
            databases,
            known: session.databases().clone(),
            progress: session
                .state(step)
                .and_then(|s| s.batches.clone())
                .filter(|b| b.action == index),
        }
    }

    /// Connects to `target` and makes sure it is the database the session
    /// knows under that name, or records it if it is the first time.
    pub async fn connect(&self, ctx: &TaskCtx, target: &str) -> Result<Client, DbStepError> {
        let cfg = match self.databases.get(target) {
            Some(Ok(cfg)) => cfg,
            Some(Err(e)) => return Err(e.clone().into()),
            None => return Err(DbStepError::NoSettings(target.to_string())),
        };
        let client = cfg.connect().await?;
        let identity = identity::identify(&client, cfg).await?;
        match self.known.get(target) {
            Some(known) if known.same_database(&identity) => {}
            Some(known) => {
                return Err(DbStepError::OtherDatabase {
                    target: target.to_string(),
                    then: Box::new(known.clone()),
                    now: Box::new(identity),
                });
            }
            None => {
                let msg = Msg::DatabaseIdentified {
                    target: target.to_string(),
                    identity,
                };
                if let Err(refused) = ctx.record(msg).await {
                    return Err(match refused.0 {
                        Some(reason) => DbStepError::IdentityRefused(reason),
                        None => DbStepError::SessionStopped,
                    });
                }
            }
        }
        Ok(client)
    }

    pub fn config(&self, target: &str) -> Option<&DbConfig> {
        self.databases.get(target).and_then(|r| r.as_ref().ok())
    }

    /// A statement's failure on `target`, with its SQLSTATE.
    pub fn query_error(&self, target: &str, e: tokio_postgres::Error) -> DbError {
        DbError::query(target, e)
    }
}
