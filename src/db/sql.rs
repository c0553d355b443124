//! A `sql` step: the block runs on its target in one transaction,
//! read-only unless the step says it writes; the rows come back as a table
//! (the first ones, the count, the time) in the output and the journal.

use std::future::Future;
use std::time::Instant;

use futures::{StreamExt, pin_mut};
use serde_json::json;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::native::{Native, Verdict};
use super::table;
use crate::exec::task::TaskCtx;
use crate::runbook::model::{Comparison, Expect};
use crate::session::Msg;

/// Rows kept for the screen and the journal; the rest are only counted.
pub const SHOWN_ROWS: usize = 50;

pub async fn run(native: &Native, ctx: &TaskCtx, writes: bool) -> Result<Verdict, String> {
    let target = native.target.as_str();
    let client = native.connect(ctx, target).await?;
    let begin = if writes {
        "BEGIN READ WRITE"
    } else {
        "BEGIN READ ONLY"
    };
    client
        .batch_execute(begin)
        .await
        .map_err(|e| native.query_error(target, e))?;
    let started = Instant::now();
    let result = stoppable(
        native,
        ctx,
        &client,
        target,
        collect(&client, &native.action.code),
    )
    .await;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(native.query_error(target, e));
        }
    };
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| native.query_error(target, e))?;
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
        .map_err(|_| "the session stopped".to_string())?;
    Ok(check(native.action.expect.as_ref(), result.count))
}

/// Runs `work`; if the step is cancelled or times out meanwhile, asks the
/// server to cancel the query and returns what it then says.
pub async fn stoppable<T>(
    native: &Native,
    ctx: &TaskCtx,
    client: &Client,
    target: &str,
    work: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, tokio_postgres::Error> {
    pin_mut!(work);
    tokio::select! {
        r = &mut work => r,
        _ = ctx.stopped() => {
            if let Some(cfg) = native.config(target) {
                cfg.cancel(client.cancel_token()).await;
            }
            work.await
        }
    }
}

/// What the last statement that returned rows gave (or, with none, how
/// many rows the last statement changed).
struct QueryResult {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    count: u64,
}

async fn collect(client: &Client, code: &str) -> Result<QueryResult, tokio_postgres::Error> {
    let stream = client.simple_query_raw(code).await?;
    pin_mut!(stream);
    let mut out = QueryResult {
        columns: Vec::new(),
        rows: Vec::new(),
        count: 0,
    };
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
    Ok(out)
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
