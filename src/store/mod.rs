//! The team's session store: a PostgreSQL database the team already runs,
//! never a server of runsheet's own. Every journal record is shipped there
//! byte for byte after it is on the local disk (`ship`), so a colleague's
//! machine can read the session. Its tables live in the `runsheet` schema
//! (`schema`); `status` says what it holds.
//!
//! Where it is: `RUNSHEET_STORE`, else `store:` in the user's config file
//! (`config`), a libpq connection string read by the same rules as a
//! target's database (URL or `key=value`, PG* defaults, `sslmode`).

pub mod approvals;
pub mod follow;
pub mod handover;
pub mod history;
pub mod lock;
pub mod schema;
pub mod ship;
pub mod status;

use crate::db::conn::DbConfig;
use std::time::Duration;

/// The variable that names the store, before the config file.
pub const ENV: &str = "RUNSHEET_STORE";

/// How long a connection to the store may take before it counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The store's connection string, if the user set one; an unreadable
/// config file is an error that names it.
pub fn conninfo() -> Result<Option<String>, String> {
    if let Some(v) = std::env::var(ENV).ok().filter(|v| !v.trim().is_empty()) {
        return Ok(Some(v));
    }
    let config = crate::config::load().map_err(|e| e.to_string())?;
    Ok(config.store.filter(|s| !s.trim().is_empty()))
}

/// The store's connection string, or what to do to set one.
pub fn required() -> Result<String, String> {
    conninfo()?.ok_or_else(|| {
        let file = crate::config::config_path().map_or_else(
            || "the config file".to_string(),
            |p| p.display().to_string(),
        );
        format!(
            "no session store is set: give its PostgreSQL connection string in {ENV} \
             (e.g. `export {ENV}=postgresql://runsheet@db.internal/ops`) or as `store:` in {file}"
        )
    })
}

/// Where the store is, for messages: host, port and database, never the
/// password.
pub fn describe(conninfo: &str) -> String {
    let env = |n: &str| std::env::var(n).ok();
    DbConfig::parse("store", Some(conninfo), &env)
        .map(|c| c.describe())
        .unwrap_or_else(|_| "the store".to_string())
}

/// A connection to the store, within [`CONNECT_TIMEOUT`].
pub async fn connect(conninfo: &str) -> Result<tokio_postgres::Client, String> {
    within(conninfo, |cfg| Box::pin(async move { cfg.connect().await })).await
}

/// [`connect`], with the server's notifications (`LISTEN`) coming out of
/// the receiver.
pub async fn connect_listening(
    conninfo: &str,
) -> Result<
    (
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
    ),
    String,
> {
    within(conninfo, |cfg| {
        Box::pin(async move { cfg.connect_listening().await })
    })
    .await
}

type Connecting<'a, T> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<T, crate::db::conn::DbError>> + Send + 'a>,
>;

/// `how` on the store's connection settings, within [`CONNECT_TIMEOUT`],
/// its errors said as the store's.
async fn within<T>(
    conninfo: &str,
    how: impl for<'a> FnOnce(&'a DbConfig) -> Connecting<'a, T>,
) -> Result<T, String> {
    let env = |n: &str| std::env::var(n).ok();
    let cfg = DbConfig::parse("store", Some(conninfo), &env)
        .map_err(|e| format!("the session store ({ENV}): {e}"))?;
    match tokio::time::timeout(CONNECT_TIMEOUT, how(&cfg)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(format!("the session store ({}): {e}", cfg.describe())),
        Err(_) => Err(format!(
            "the session store ({}) did not answer within {}s",
            cfg.describe(),
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}
