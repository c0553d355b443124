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
use crate::runbook::model::ActionKind;
use crate::runbook::vars;
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

pub use crate::runbook::lint_targets::declared_database;

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
    let unset: Vec<Vec<String>> = targets
        .iter()
        .map(|(t, _)| unset_variables(session, values, t, env))
        .collect();
    let sandbox = session.info().sandbox;
    let checks = targets
        .into_iter()
        .zip(unset)
        .map(|((target, cfg), unset)| async move {
            let found = match cfg {
                // Unset, its reference would be read as text (or the PG*
                // defaults would stand in): not this target's database.
                _ if !unset.is_empty() => Err(PreflightError::Unset(unset)),
                // A rehearsal reaches no real system, not even to ask who it is.
                Ok(cfg) if sandbox && real_host(&cfg).is_some() => Err(PreflightError::RealHost(
                    real_host(&cfg).unwrap_or_default(),
                )),
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
    /// Its `database:` names variables that are not set.
    #[error("its database names {}, not set", .0.iter().map(|n| format!("`${n}`")).collect::<Vec<_>>().join(", "))]
    Unset(Vec<String>),
    /// In the sandbox, its database is on a real host, which a rehearsal
    /// never reaches.
    #[error(
        "its database is on `{0}`, a real system a rehearsal does not reach: map it to the sandbox under `sandbox: env:`"
    )]
    RealHost(String),
    /// Connecting or reading who the database is failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The variables target `name`'s declared database names that neither the
/// runbook's values nor the environment set.
fn unset_variables(
    session: &Session,
    values: &HashMap<String, String>,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let Some(declared) = session.target(name).and_then(declared_database) else {
        return Vec::new();
    };
    let mut names: Vec<String> = vars::references(declared)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !values.contains_key(n) && env(n).is_none())
        .collect();
    names.dedup();
    names
}

/// The first real host (not loopback, not a name reserved for tests) the
/// connection settings would reach.
fn real_host(cfg: &DbConfig) -> Option<String> {
    cfg.hosts()
        .into_iter()
        .find(|h| crate::runbook::hosts::is_real(h))
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
