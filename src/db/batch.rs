//! A batched data migration (`sql {writes batch=TABLE.KEY batch-size=N}`):
//! the statement runs once per key range, `$1` < key <= `$2`, found by
//! keyset (never OFFSET), each batch in its own transaction.
//!
//! Exactly once, even across a crash: before its COMMIT, each batch is
//! journaled (synced) with its transaction id, and after it, marked
//! committed. A batch found in flight on resume is settled by asking the
//! database (`txid_status`) whether that transaction committed.

use std::time::{Duration, Instant};

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Statement};

use super::conn::DbError;
use super::ctx::DbCtx;
use super::error::DbStepError;
use super::sql::stoppable;
use crate::exec::progress;
use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::BatchSpec;
use crate::session::Msg;
use crate::session::state::InFlightBatch;

/// Progress lines at most this often: a fast migration must not flood the
/// journal with them.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// How long a crashed session's transaction may still be open on the
/// server before its fate is known.
const SETTLE_WAIT: Duration = Duration::from_secs(30);

pub async fn run(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    spec: &BatchSpec,
) -> Result<Verdict, DbStepError> {
    let target = native.target.as_str();
    // Each batch is its own transaction, begun and committed by runsheet;
    // the statement is prepared, so the server takes it as one statement.
    if let Some(why) = super::sql::refusal(&native.action.code) {
        return Err(why.into());
    }
    let client = db.connect(ctx, target).await?;
    let q = |e| db.query_error(target, e);
    let table = quote_qualified(&spec.table);
    let key = quote_ident(&spec.key);
    let statement = client
        .prepare(native.action.code.trim())
        .await
        .map_err(|e| DbStepError::BatchStatement(q(e)))?;
    let [low_ty, high_ty] = match statement.params() {
        [a, b] => [a.clone(), b.clone()],
        other => {
            return Err(DbStepError::BatchParameters(other.len()));
        }
    };
    // Two statements, not one with `$1 IS NULL OR …`: that form keeps the
    // planner from using the key's index, and every batch would scan.
    let ty = key_type(&client, target, &spec.table, &spec.key).await?;
    let size = spec.size.max(1);
    let first_key = client
        .prepare(&format!(
            "SELECT max(k)::text FROM (SELECT {key} AS k FROM {table} \
             ORDER BY {key} LIMIT {size}) s"
        ))
        .await
        .map_err(q)?;
    let next_key = client
        .prepare(&format!(
            "SELECT max(k)::text FROM (SELECT {key} AS k FROM {table} \
             WHERE {key} > $1::text::{ty} ORDER BY {key} LIMIT {size}) s"
        ))
        .await
        .map_err(q)?;
    let mut state = Progress::from(db);
    if let Some(f) = state.in_flight.take() {
        settle(native, db, ctx, &client, &f, &mut state).await?;
    }
    let total = estimate(&client, &spec.table).await;
    let started = Instant::now();
    let mut shown = Instant::now() - PROGRESS_EVERY;
    let rows_before = state.rows;
    let mut redraw = progress::Redraw::default();
    loop {
        if ctx.stop_requested().is_some() {
            let text = progress_line(&state, total, started, rows_before, true);
            ctx.print(redraw.line(&text, true)).await;
            return Ok(Verdict::Failed(format!(
                "stopped after batch {} ({} rows); run the step again to go on from key {}",
                state.batches,
                state.rows,
                state.last_key.as_deref().unwrap_or("(start)")
            )));
        }
        let done = one_batch(
            native,
            db,
            ctx,
            &client,
            (&statement, &low_ty, &high_ty),
            (&first_key, &next_key),
            &mut state,
        )
        .await?;
        if done || shown.elapsed() >= PROGRESS_EVERY {
            let text = progress_line(&state, total, started, rows_before, done);
            ctx.print(redraw.line(&text, done)).await;
            shown = Instant::now();
        }
        if done {
            ctx.print(format!(
                "{} batches, {} rows, in {}\n",
                state.batches,
                state.rows,
                crate::runbook::duration::format_span(started.elapsed())
            ))
            .await;
            return Ok(Verdict::Passed);
        }
    }
}

/// Where the migration stands, from the journal and then from each batch.
struct Progress {
    batches: u64,
    rows: u64,
    last_key: Option<String>,
    in_flight: Option<InFlightBatch>,
}

impl Progress {
    fn from(db: &DbCtx) -> Progress {
        match &db.progress {
            Some(p) => Progress {
                batches: p.batches,
                rows: p.rows,
                last_key: p.last_key.clone(),
                in_flight: p.in_flight.clone(),
            },
            None => Progress {
                batches: 0,
                rows: 0,
                last_key: None,
                in_flight: None,
            },
        }
    }
}

/// Runs the next batch; true when there was none left.
async fn one_batch(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    client: &Client,
    (statement, low_ty, high_ty): (&Statement, &Type, &Type),
    (first_key, next_key): (&Statement, &Statement),
    state: &mut Progress,
) -> Result<bool, DbStepError> {
    let target = native.target.as_str();
    let q = |e| db.query_error(target, e);
    client.batch_execute("BEGIN").await.map_err(q)?;
    let work = async {
        type Found = Option<(String, String, Option<u64>)>;
        let xid: String = client
            .query_one("SELECT txid_current()::text", &[])
            .await?
            .get(0);
        let row = match &state.last_key {
            Some(last) => client.query_one(next_key, &[last]).await?,
            None => client.query_one(first_key, &[]).await?,
        };
        let Some(upto) = row.get::<_, Option<String>>(0) else {
            return Ok::<Found, tokio_postgres::Error>(None);
        };
        let low = param(low_ty, state.last_key.as_deref(), true);
        let high = param(high_ty, Some(&upto), false);
        let (Ok(low), Ok(high)) = (low, high) else {
            return Ok(Some((xid, upto, None)));
        };
        let rows = client
            .execute(statement, &[low.as_ref(), high.as_ref()])
            .await?;
        Ok(Some((xid, upto, Some(rows))))
    };
    let (xid, upto, rows) = match stoppable(db, ctx, client, target, work).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Ok(true);
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(DbStepError::BatchFailed {
                batch: state.batches + 1,
                source: q(e),
            });
        }
    };
    let Some(rows) = rows else {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(DbStepError::BatchKeyType(upto));
    };
    let batch = state.batches + 1;
    let started = Msg::BatchStarted {
        step: native.step.clone(),
        action: native.index,
        batch,
        after: state.last_key.clone(),
        upto: upto.clone(),
        xid,
        rows,
    };
    if ctx.record(started).await.is_err() {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(DbStepError::BatchNotJournaled);
    }
    // If the connection dies during COMMIT, whether it happened is for the
    // next run to ask the database, by the journaled transaction id.
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| DbStepError::CommitFailed {
            batch,
            source: q(e),
        })?;
    committed(native, ctx, batch).await?;
    state.batches = batch;
    state.rows += rows;
    state.last_key = Some(upto);
    Ok(false)
}

async fn committed(native: &StepCtx, ctx: &TaskCtx, batch: u64) -> Result<(), DbStepError> {
    ctx.record(Msg::BatchCommitted {
        step: native.step.clone(),
        action: native.index,
        batch,
    })
    .await
    .map_err(|_| DbStepError::SessionStopped)
}

/// Settles the batch a crash left in flight: committed or not, by its
/// transaction id.
async fn settle(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    client: &Client,
    f: &InFlightBatch,
    state: &mut Progress,
) -> Result<(), DbStepError> {
    let q = |e| db.query_error(&native.target, e);
    let waited = Instant::now();
    loop {
        let status: Option<String> = client
            .query_one("SELECT txid_status($1::text::bigint)", &[&f.xid])
            .await
            .map_err(q)?
            .get(0);
        match status.as_deref() {
            Some("committed") => {
                committed(native, ctx, f.batch).await?;
                ctx.print(format!(
                    "batch {} (keys up to {}) had committed before the interruption\n",
                    f.batch, f.upto
                ))
                .await;
                state.batches = f.batch;
                state.rows += f.rows;
                state.last_key = Some(f.upto.clone());
                return Ok(());
            }
            Some("aborted") => {
                ctx.print(format!(
                    "batch {} (keys up to {}) had not committed; running it again\n",
                    f.batch, f.upto
                ))
                .await;
                return Ok(());
            }
            Some(_) if waited.elapsed() < SETTLE_WAIT => {
                // The crashed session's transaction is still open: the
                // server ends it once it notices the client is gone.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => {
                return Err(DbStepError::Unsettled {
                    batch: f.batch,
                    xid: f.xid.clone(),
                    said: other.map(str::to_string),
                });
            }
        }
    }
}

/// A key, as text, turned into the type the statement expects. The lowest
/// possible value stands for "before the first key".
fn param(ty: &Type, key: Option<&str>, low: bool) -> Result<Box<dyn ToSql + Sync + Send>, ()> {
    let int = |min: i64| -> Result<i64, ()> {
        match key {
            Some(k) => k.parse::<i64>().map_err(|_| ()),
            None if low => Ok(min),
            None => Err(()),
        }
    };
    Ok(match *ty {
        Type::INT8 => Box::new(int(i64::MIN)?),
        Type::INT4 => Box::new(i32::try_from(int(i64::from(i32::MIN))?).map_err(|_| ())?),
        Type::INT2 => Box::new(i16::try_from(int(i64::from(i16::MIN))?).map_err(|_| ())?),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            Box::new(key.unwrap_or_default().to_string())
        }
        _ => return Err(()),
    })
}

/// The key column's SQL type, for casting keys kept as text.
async fn key_type(
    client: &Client,
    target: &str,
    table: &str,
    key: &str,
) -> Result<String, DbStepError> {
    let row = client
        .query_opt(
            "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
            &[&quote_qualified(table), &key],
        )
        .await
        .map_err(|e| DbError::query(target, e))?;
    match row {
        Some(r) => Ok(r.get(0)),
        None => Err(DbStepError::NoBatchKey {
            table: table.to_string(),
            key: key.to_string(),
        }),
    }
}

/// The planner's row estimate, for the progress bar; None if unknown.
async fn estimate(client: &Client, table: &str) -> Option<u64> {
    let row = client
        .query_opt(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)",
            &[&quote_qualified(table)],
        )
        .await
        .ok()??;
    u64::try_from(row.get::<_, i64>(0)).ok().filter(|n| *n > 0)
}

fn progress_line(
    state: &Progress,
    total: Option<u64>,
    started: Instant,
    rows_before: u64,
    last: bool,
) -> String {
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let rate = (state.rows - rows_before) as f64 / secs;
    let mut line = String::new();
    if let Some(total) = total {
        line.push_str(&progress::bar(state.rows as f64 / total as f64));
        line.push(' ');
    }
    line.push_str(&format!("batch {} · {} rows", state.batches, state.rows));
    if let Some(total) = total {
        let pct = (state.rows as f64 / total as f64 * 100.0).min(100.0);
        line.push_str(&format!(" of ~{total} ({pct:.0}%)"));
        if rate > 0.0 && state.rows < total && !last {
            let eta = (total - state.rows) as f64 / rate;
            line.push_str(&format!(" · ETA {}", progress::eta(eta)));
        }
    }
    line.push_str(&format!(" · {rate:.0} rows/s"));
    line
}

/// `name` as an SQL identifier, quoted.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table` or `table`, each part quoted.
pub fn quote_qualified(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_the_statements_parameter_types() {
        let debug = |r: Result<Box<dyn ToSql + Sync + Send>, ()>| r.map(|b| format!("{b:?}"));
        assert_eq!(
            debug(param(&Type::INT8, Some("42"), false)),
            Ok("42".into())
        );
        assert_eq!(
            debug(param(&Type::INT4, None, true)),
            Ok(i32::MIN.to_string())
        );
        assert!(param(&Type::INT2, Some("70000"), false).is_err());
        assert_eq!(debug(param(&Type::TEXT, None, true)), Ok("\"\"".into()));
        assert!(param(&Type::NUMERIC, Some("1"), false).is_err());
    }

    #[test]
    fn identifiers_are_quoted_part_by_part() {
        assert_eq!(
            quote_qualified("public.old_users"),
            "\"public\".\"old_users\""
        );
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}
