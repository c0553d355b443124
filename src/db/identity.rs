//! Who a database is, so that two targets pointing at the same one (the
//! classic "compared production with itself", "restored staging onto
//! production") are caught before anything runs.

use tokio_postgres::Client;

use super::conn::{DbConfig, DbError};
use crate::session::DbIdentity;

pub async fn identify(client: &Client, cfg: &DbConfig) -> Result<DbIdentity, DbError> {
    let row = client
        .query_one(
            "SELECT coalesce(host(inet_server_addr()), ''), coalesce(inet_server_port(), 0), \
             current_database(), current_setting('server_version')",
            &[],
        )
        .await
        .map_err(|e| DbError::query(&cfg.target, e))?;
    let addr: String = row.get(0);
    let port: i32 = row.get(1);
    // Over a Unix socket the server has no address to report: the socket
    // path we used stands in.
    let server = if addr.is_empty() {
        cfg.describe()
            .split_once('@')
            .map(|(_, rest)| rest.rsplit_once('/').map_or(rest, |(h, _)| h).to_string())
            .unwrap_or_default()
    } else {
        format!("{addr}:{port}")
    };
    // Readable by superusers and pg_monitor members only (on some
    // versions); without it, the address decides.
    let system_identifier = client
        .query_one(
            "SELECT system_identifier::text FROM pg_control_system()",
            &[],
        )
        .await
        .ok()
        .map(|r| r.get::<_, String>(0));
    Ok(DbIdentity {
        server,
        database: row.get(2),
        version: row.get(3),
        system_identifier,
    })
}
