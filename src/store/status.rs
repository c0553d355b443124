//! What the store holds, for `runsheet store status`.

use std::fmt::Write;
use tokio_postgres::Client;

use super::schema::{self, why};

/// Sessions shown, newest first.
const SHOWN: i64 = 20;

/// The status text: where the store is, its schema, its sessions.
pub async fn render(client: &Client, at: &str) -> Result<String, String> {
    let mut out = String::new();
    let version = schema::version(client).await?;
    let _ = writeln!(out, "store     {at}");
    if version == 0 {
        let _ = writeln!(
            out,
            "schema    none yet: run `runsheet store init` to create it"
        );
        return Ok(out);
    }
    let _ = writeln!(
        out,
        "schema    version {version}{}",
        if version == schema::latest() {
            String::new()
        } else {
            format!(
                " (this runsheet writes {}: run `runsheet store init`)",
                schema::latest()
            )
        }
    );
    let totals = client
        .query_one(
            "SELECT count(*), coalesce(sum(records), 0)::bigint, count(*) FILTER (WHERE NOT ended)
             FROM runsheet.sessions",
            &[],
        )
        .await
        .map_err(|e| why(&e))?;
    let (sessions, records, open): (i64, i64, i64) = (totals.get(0), totals.get(1), totals.get(2));
    let _ = writeln!(
        out,
        "sessions  {sessions} ({open} not ended), {records} records"
    );
    let rows = client
        .query(
            "SELECT name, target, operator, host, records, ended, drill,
                    to_char(coalesce(last_at, started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
             FROM runsheet.sessions ORDER BY coalesce(last_at, started_at) DESC LIMIT $1",
            &[&SHOWN],
        )
        .await
        .map_err(|e| why(&e))?;
    for r in rows {
        let (name, target, operator, host): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let (records, ended, drill, last): (i64, bool, bool, String) =
            (r.get(4), r.get(5), r.get(6), r.get(7));
        let _ = writeln!(
            out,
            "  {name}  {target}{}  {operator}@{host}  {records} records  last {last} UTC  {}",
            if drill { " (drill)" } else { "" },
            if ended { "ended" } else { "open" }
        );
    }
    Ok(out)
}
