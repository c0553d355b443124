//! A `sql` step: the block runs on its target in one transaction,
//! read-only unless the step says it writes; the rows come back as a table
//! (the first ones, the count, the time) in the output and the journal.

use std::future::Future;
use std::time::Instant;

use futures::{StreamExt, pin_mut};
use serde_json::json;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::ctx::DbCtx;
use super::error::{DbStepError, Escape, Refusal};
use super::table;
use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::destructive;
use crate::runbook::model::{Comparison, Expect};
use crate::session::Msg;

/// Rows kept for the screen and the journal; the rest are only counted.
pub const SHOWN_ROWS: usize = 50;

pub async fn run(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    writes: bool,
) -> Result<Verdict, DbStepError> {
    let target = native.target.as_str();
    let code = native.action.code.as_str();
    // Refused before anything is sent: `check` reports the same as errors.
    if let Some(why) = refusal(code) {
        return Err(why.into());
    }
    let client = db.connect(ctx, target).await?;
    let started = Instant::now();
    let result = stoppable(db, ctx, &client, target, run_block(&client, code, writes)).await;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(match e {
                BlockError::Query(e) => db.query_error(target, e).into(),
                BlockError::Escaped(why) => DbStepError::Escaped {
                    target: target.to_string(),
                    why,
                },
            });
        }
    };
    let elapsed = started.elapsed();
    let mut text = String::new();
    if !result.columns.is_empty() {
        text.push_str(&table::render(&result.columns, &result.rows));
    }
    let more = result.count.saturating_sub(result.rows.len() as u64);
    text.push_str(&format!(
        "({} {}{}, {} ms{})\n",
        result.count,
        if result.columns.is_empty() {
            "affected"
        } else {
            "rows"
        },
        if more > 0 {
            format!(", first {} shown", result.rows.len())
        } else {
            String::new()
        },
        elapsed.as_millis(),
        if writes { ", committed" } else { "" },
    ));
    ctx.print(text).await;
    let record = Msg::ActionResult {
        step: native.step.clone(),
        action: native.index,
        result: json!({
            "kind": "query",
            "target": target,
            "columns": result.columns,
            "rows": result.rows,
            "row_count": result.count,
            "truncated": more > 0,
            "duration_ms": elapsed.as_millis() as u64,
        }),
    };
    ctx.record(record)
        .await
        .map_err(|_| DbStepError::SessionStopped)?;
    Ok(check(native.action.expect.as_ref(), result.count))
}

/// Runs `work`; if the step is cancelled or times out meanwhile, asks the
/// server to cancel the query and returns what it then says.
pub async fn stoppable<T, E>(
    db: &DbCtx,
    ctx: &TaskCtx,
    client: &Client,
    target: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    pin_mut!(work);
    tokio::select! {
        r = &mut work => r,
        _ = ctx.stopped() => {
            if let Some(cfg) = db.config(target) {
                cfg.cancel(client.cancel_token()).await;
            }
            work.await
        }
    }
}

/// What the last statement that returned rows gave (or, with none, how
/// many rows the last statement changed).
#[derive(Debug, Default)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub count: u64,
}

#[derive(Debug)]
pub enum BlockError {
    /// The server refused a statement; the transaction is rolled back.
    Query(tokio_postgres::Error),
    /// A statement got out of the transaction runsheet runs the block in,
    /// or out of its read-only mode; nothing after it ran.
    Escaped(Escape),
}

impl From<tokio_postgres::Error> for BlockError {
    fn from(e: tokio_postgres::Error) -> Self {
        BlockError::Query(e)
    }
}

/// Why a block is not sent at all: a psql meta-command, or a statement that
/// begins, ends or re-modes the transaction.
pub fn refusal(code: &str) -> Option<Refusal> {
    if let Some(meta) = destructive::sql_statements(code)
        .into_iter()
        .find(|s| s.meta)
    {
        let text = code.get(meta.range).unwrap_or_default().trim();
        return Some(Refusal::PsqlCommand(text.to_string()));
    }
    let found = destructive::sql_transaction_control(code);
    let first = found.first()?;
    Some(Refusal::TransactionControl(first.excerpt.clone()))
}

/// Runs a block in one transaction, a statement at a time, and ends it:
/// COMMIT for a block that writes, ROLLBACK for one that does not.
///
/// The read-only mode is not trusted to hold by itself (`RESET
/// transaction_read_only`, in a function or a DO block, turns it off even
/// after the first query): each statement is sent alone, parsed first by
/// the server so that it cannot hold a second one; after each, runsheet
/// checks that the transaction is still its own and, for a read-only block,
/// still read-only, and stops at the first that is not. A read-only block
/// is always rolled back, so whatever a statement wrote by flipping the
/// mode is undone.
pub async fn run_block(
    client: &Client,
    code: &str,
    writes: bool,
) -> Result<QueryResult, BlockError> {
    if let Some(why) = refusal(code) {
        return Err(BlockError::Escaped(why.into()));
    }
    let nonce = nonce();
    client
        .batch_execute(&format!(
            "BEGIN {}; SET LOCAL runsheet.block = '{nonce}'; SELECT 1",
            if writes { "READ WRITE" } else { "READ ONLY" }
        ))
        .await?;
    let mut out = QueryResult::default();
    for (n, statement) in destructive::sql_statements(code).into_iter().enumerate() {
        let sql = code.get(statement.range).unwrap_or_default();
        // Parse first: the server refuses two statements in one parse, so
        // a statement can only be what runsheet split and checked.
        drop(client.prepare(sql).await?);
        collect(client, sql, &mut out).await?;
        still_ours(client, &nonce, writes, n + 1, sql).await?;
    }
    client
        .batch_execute(if writes { "COMMIT" } else { "ROLLBACK" })
        .await?;
    Ok(out)
}

/// Is the open transaction still the block's, in the mode it began with?
async fn still_ours(
    client: &Client,
    nonce: &str,
    writes: bool,
    n: usize,
    sql: &str,
) -> Result<(), BlockError> {
    // Qualified: a block may have changed search_path to shadow them.
    let rows = client
        .simple_query(
            "SELECT pg_catalog.current_setting('transaction_read_only'), \
             pg_catalog.current_setting('runsheet.block', true)",
        )
        .await?;
    let row = rows.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(r) => Some((
            r.get(0).unwrap_or_default().to_string(),
            r.get(1).unwrap_or_default().to_string(),
        )),
        _ => None,
    });
    let (read_only, block) = row.unwrap_or_default();
    let shown = destructive::excerpt_of(sql);
    if block != nonce {
        return Err(BlockError::Escaped(Escape::Ended { n, shown }));
    }
    if !writes && read_only != "on" {
        return Err(BlockError::Escaped(Escape::TurnedReadWrite { n, shown }));
    }
    Ok(())
}

/// A value the block cannot guess, to recognise its transaction by.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

async fn collect(
    client: &Client,
    code: &str,
    out: &mut QueryResult,
) -> Result<(), tokio_postgres::Error> {
    let stream = client.simple_query_raw(code).await?;
    pin_mut!(stream);
    // A new statement's rows replace the previous statement's.
    let mut fresh = false;
    while let Some(msg) = stream.next().await {
        match msg? {
            SimpleQueryMessage::RowDescription(cols) => {
                out.columns = cols.iter().map(|c| c.name().to_string()).collect();
                out.rows.clear();
                out.count = 0;
                fresh = true;
            }
            SimpleQueryMessage::Row(row) if out.rows.len() < SHOWN_ROWS => {
                out.rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                );
            }
            SimpleQueryMessage::CommandComplete(n) => {
                if fresh || out.columns.is_empty() {
                    out.count = n;
                }
                fresh = false;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `expect=rows==0` and its kin; with none, running is passing.
fn check(expect: Option<&Expect>, count: u64) -> Verdict {
    let Some(Expect::Rows(cmp, n)) = expect else {
        return Verdict::Passed;
    };
    let ok = match cmp {
        Comparison::Eq => count == *n,
        Comparison::Ne => count != *n,
        Comparison::Lt => count < *n,
        Comparison::Le => count <= *n,
        Comparison::Gt => count > *n,
        Comparison::Ge => count >= *n,
    };
    if ok {
        Verdict::Passed
    } else {
        Verdict::Failed(format!("expected rows {} {n}, got {count}", cmp.symbol()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_expectations() {
        let e = Expect::Rows(Comparison::Eq, 0);
        assert_eq!(check(Some(&e), 0), Verdict::Passed);
        assert_eq!(
            check(Some(&e), 3),
            Verdict::Failed("expected rows == 0, got 3".into())
        );
        assert_eq!(
            check(Some(&Expect::Rows(Comparison::Ge, 2)), 3),
            Verdict::Passed
        );
        assert_eq!(check(None, 3), Verdict::Passed);
    }
}
