//! Before a session runs anything: every database the session may touch
//! is reached and identified, so that two targets on the same database
//! stop the session before its first step, and the operator learns at
//! once which databases cannot be reached. That is every target that
//! declares a `database:`, whatever its steps are: a shell step gets it as
//! `DATABASE_URL`, and a target the session never runs on is still the
//! one a copy-pasted URL may point at.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::conn::{DbConfig, DbError};
use super::ctx::config_of;
use super::error::SettingsError;
use super::identity;
use crate::runbook::model::{ActionKind, Target};
use crate::secrets::Secrets;
use crate::session::{DbIdentity, Session};

/// How long identifying one database may take before the session goes on
/// without it (its steps will say what is wrong when they run).
const REACH: Duration = Duration::from_secs(5);

/// Targets whose database the session may touch, in name order: every
/// target that declares a `database:`, and every target a database step
/// uses (without a `database:`, it connects through the PG* environment).
pub fn database_targets(session: &Session) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = session
        .runbook()
        .targets
        .iter()
        .filter(|t| declared_database(t).is_some())
        .map(|t| t.name.clone())
        .collect();
    for phase in &session.runbook().phases {
        for step in &phase.steps {
            for action in &step.actions {
                match &action.kind {
                    ActionKind::Sql { .. } | ActionKind::Migrations(_) | ActionKind::Batch(_) => {
                        out.insert(session.action_target(phase, step, action).to_string());
                    }
                    ActionKind::Compare(spec) => {
                        out.insert(spec.left.clone());
                        out.insert(spec.right.clone());
                    }
                    ActionKind::Shell { .. } | ActionKind::Http(_) | ActionKind::S3(_) => {}
                }
            }
        }
    }
    out
}

/// The database a target declares: its `database:`, else a
/// `DATABASE_URL` set in its `env` (its shell steps get the same either
/// way: see `action::env::command_env`).
pub fn declared_database(target: &Target) -> Option<&String> {
    target.database.as_ref().or_else(|| {
        target
            .env
            .iter()
            .find(|(k, _)| k == "DATABASE_URL")
            .map(|(_, v)| v)
    })
}

/// Adds every database password the session may use to the secrets, so
/// that a password pasted in a connection string never reaches the screen
/// or the journal.
pub fn add_passwords(
    session: &Session,
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Secrets,
) {
    for target in &session.runbook().targets {
        if let Ok(cfg) = config_of(session, values, &target.name, env)
            && let Some(pw) = cfg.password().filter(|p| !p.is_empty())
        {
            secrets.add(pw);
        }
    }
}

/// Identifies the database of each target, concurrently; an error says
/// why a database could not be reached or read.
pub async fn identify_all(
    session: &Session,
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, Result<DbIdentity, PreflightError>)> {
    let targets: Vec<(String, Result<DbConfig, SettingsError>)> = database_targets(session)
        .into_iter()
        .map(|t| {
            let cfg = config_of(session, values, &t, env);
            (t, cfg)
        })
        .collect();
    let checks = targets.into_iter().map(|(target, cfg)| async move {
        let found = match cfg {
            Ok(cfg) => identify(&cfg).await.map_err(PreflightError::Db),
            Err(e) => Err(PreflightError::Settings(e)),
        };
        (target, found)
    });
    futures::future::join_all(checks).await
}

/// Why one target's database could not be identified before the session.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PreflightError {
    /// The target's connection settings cannot be used (unknown target,
    /// unreadable connection string): the variant says which.
    #[error(transparent)]
    Settings(SettingsError),
    /// Connecting or reading who the database is failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

async fn identify(cfg: &DbConfig) -> Result<DbIdentity, DbError> {
    let work = async {
        let client = cfg.connect().await?;
        identity::identify(&client, cfg).await
    };
    tokio::time::timeout(REACH, work).await.unwrap_or_else(|_| {
        Err(DbError::NoAnswer {
            at: cfg.at(),
            seconds: REACH.as_secs(),
        })
    })
}
