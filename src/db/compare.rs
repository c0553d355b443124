//! A `compare` step: row counts (or checksums) of tables on two targets,
//! side by side. Both databases are read at once, each in one read-only
//! snapshot, so that every count of a side describes the same instant.
//! Planner estimates are shown first (they are instant), the exact table
//! when both sides are done; the step's expectation decides pass or fail.

mod narrow;
mod query;
mod report;
mod side;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use futures::pin_mut;

use self::narrow::{Differing, Probe, Range, Sum};
use self::report::{Estimate, Line, Sides};
use self::side::{Found, Key, Side, Totals};
use super::ctx::DbCtx;
use super::error::DbStepError;
use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::{CompareMode, CompareSpec, Expect};
use crate::session::Msg;

pub async fn run(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    spec: &CompareSpec,
) -> Result<Verdict, DbStepError> {
    let started = Instant::now();
    // Both identified before anything is read: the session refuses a
    // second target on the same database, and that ends the step here.
    let (left, right) = tokio::try_join!(
        Side::open(db, ctx, &spec.left),
        Side::open(db, ctx, &spec.right)
    )?;
    let lines = match stoppable(ctx, &left, &right, compare(ctx, spec, &left, &right)).await {
        Ok(lines) => lines,
        Err(e) => {
            // One side failed: the other may still be counting a big table.
            tokio::join!(left.cancel(), right.cancel());
            return Err(e);
        }
    };
    tokio::try_join!(left.commit(), right.commit())?;
    finish(native, ctx, spec, &lines, started).await
}

/// A table to compare, and what each side has of it.
struct Item {
    table: String,
    filter: Option<String>,
    left: Option<Found>,
    right: Option<Found>,
}

impl Item {
    /// Narrowing by key ranges needs an integer key on both sides.
    fn narrowable(&self) -> bool {
        matches!(
            (&self.left, &self.right),
            (Some(l), Some(r)) if l.key == Key::Integer && r.key == Key::Integer
        )
    }
}

async fn compare(
    ctx: &TaskCtx,
    spec: &CompareSpec,
    left: &Side<'_>,
    right: &Side<'_>,
) -> Result<Vec<Line>, DbStepError> {
    let key = query::unquote(&spec.key);
    let items = items(spec, left, right, &key).await?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    ctx.print(estimates(&items, left, right)).await;
    let checksum = spec.mode == CompareMode::Checksum;
    if checksum {
        check_keys(&items, spec, left, right)?;
    }
    let quoted_key = query::quote(&key);
    let left_statements = statements(&items, checksum, &quoted_key, true);
    let right_statements = statements(&items, checksum, &quoted_key, false);
    let (left_totals, right_totals) = tokio::try_join!(
        counted(ctx, left, &left_statements, checksum),
        counted(ctx, right, &right_statements, checksum),
    )?;
    let mut lines = Vec::with_capacity(items.len());
    for ((item, l), r) in items.iter().zip(left_totals).zip(right_totals) {
        lines.push(line(ctx, spec, item, l, r, left, right).await?);
    }
    Ok(lines)
}

/// The tables listed in the block, or those of the schema on either side.
async fn items(
    spec: &CompareSpec,
    left: &Side<'_>,
    right: &Side<'_>,
    key: &str,
) -> Result<Vec<Item>, DbStepError> {
    if !spec.tables.is_empty() {
        let names: Vec<String> = spec.tables.iter().map(|t| t.name.clone()).collect();
        let (l, r) = tokio::try_join!(left.resolve(&names, key), right.resolve(&names, key))?;
        return Ok(spec
            .tables
            .iter()
            .zip(l.into_iter().zip(r))
            .map(|(t, (left, right))| Item {
                table: t.name.clone(),
                filter: t.filter.clone(),
                left,
                right,
            })
            .collect());
    }
    let schema = query::unquote(&spec.schema);
    let (l, r) = tokio::try_join!(left.list(&schema, key), right.list(&schema, key))?;
    let mut by_name: BTreeMap<String, (Option<Found>, Option<Found>)> = BTreeMap::new();
    for found in l {
        let name = found.relation.name.clone();
        by_name.entry(name).or_default().0 = Some(found);
    }
    for found in r {
        let name = found.relation.name.clone();
        by_name.entry(name).or_default().1 = Some(found);
    }
    Ok(by_name
        .into_iter()
        .map(|(table, (left, right))| Item {
            table,
            filter: None,
            left,
            right,
        })
        .collect())
}

fn estimates(items: &[Item], left: &Side<'_>, right: &Side<'_>) -> String {
    let estimate = |item: &Item, found: &Option<Found>| match found {
        None => Estimate::Missing,
        Some(_) if item.filter.is_some() => Estimate::Filtered,
        Some(f) => f.estimate.map_or(Estimate::Unknown, Estimate::Rows),
    };
    let rows: Vec<(String, Estimate, Estimate)> = items
        .iter()
        .map(|i| {
            let label = report::label(&i.table, i.filter.as_deref());
            (label, estimate(i, &i.left), estimate(i, &i.right))
        })
        .collect();
    report::estimates(&rows, sides(left, right))
}

fn sides<'a>(left: &Side<'a>, right: &Side<'a>) -> Sides<'a> {
    Sides {
        left: left.target,
        right: right.target,
    }
}

/// A key that is not there is the author's mistake: say so before any
/// checksum runs rather than guess another column.
fn check_keys(
    items: &[Item],
    spec: &CompareSpec,
    left: &Side<'_>,
    right: &Side<'_>,
) -> Result<(), DbStepError> {
    for item in items {
        for (found, target) in [(&item.left, left.target), (&item.right, right.target)] {
            if found.as_ref().is_some_and(|f| f.key == Key::Missing) {
                return Err(DbStepError::NoKeyColumn {
                    target: target.to_string(),
                    table: item.table.clone(),
                    key: spec.key.clone(),
                });
            }
        }
    }
    Ok(())
}

/// One statement per table for one side; `None` where it has no table.
fn statements(items: &[Item], checksum: bool, key: &str, left: bool) -> Vec<Option<String>> {
    items
        .iter()
        .map(|item| {
            let found = if left { &item.left } else { &item.right };
            let filter = item.filter.as_deref();
            found.as_ref().map(|f| {
                if checksum {
                    query::totals(&f.relation, filter, item.narrowable().then_some(key))
                } else {
                    query::count(&f.relation, filter)
                }
            })
        })
        .collect()
}

/// A side's totals, said as soon as they are in.
async fn counted(
    ctx: &TaskCtx,
    side: &Side<'_>,
    statements: &[Option<String>],
    checksum: bool,
) -> Result<Vec<Option<Totals>>, DbStepError> {
    let started = Instant::now();
    let totals = side.totals(statements).await?;
    ctx.print(format!(
        "{}: {} {} in {} ms\n",
        side.target,
        report::tables(totals.iter().flatten().count()),
        if checksum {
            "counted and checksummed"
        } else {
            "counted exactly"
        },
        started.elapsed().as_millis()
    ))
    .await;
    Ok(totals)
}

/// One table's result; in checksum mode, a difference is narrowed down to
/// key ranges when the key allows it.
async fn line(
    ctx: &TaskCtx,
    spec: &CompareSpec,
    item: &Item,
    l: Option<Totals>,
    r: Option<Totals>,
    left: &Side<'_>,
    right: &Side<'_>,
) -> Result<Line, DbStepError> {
    let mut line = Line {
        table: item.table.clone(),
        filter: item.filter.clone(),
        left: l.as_ref().map(|t| t.rows),
        right: r.as_ref().map(|t| t.rows),
        ..Line::default()
    };
    let (Some(l), Some(r), Some(lf), Some(rf)) = (l, r, &item.left, &item.right) else {
        return Ok(line);
    };
    if l.hash.is_none() || (l.rows == r.rows && l.hash == r.hash) {
        return Ok(line);
    }
    line.rows_differ = true;
    let whole = match (l.bounds, r.bounds) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    };
    match whole {
        Some((from, to)) if item.narrowable() => {
            let start = Differing {
                range: Range { from, to },
                left_rows: l.rows,
                right_rows: r.rows,
            };
            let filter = item.filter.as_deref();
            let key = query::quote(&query::unquote(&spec.key));
            let sql = (
                query::range(&lf.relation, filter, &key),
                query::range(&rf.relation, filter, &key),
            );
            let mut both = Both {
                ctx,
                sql: &sql,
                left,
                right,
            };
            line.narrowed = narrow::narrow(start, &mut both).await?;
        }
        _ => line.note = Some(no_narrowing(lf, rf, &spec.key)),
    }
    Ok(line)
}

/// Both sides, read together, range by range.
struct Both<'a, 'b> {
    ctx: &'a TaskCtx,
    sql: &'a (String, String),
    left: &'a Side<'b>,
    right: &'a Side<'b>,
}

impl Probe for Both<'_, '_> {
    type Error = DbStepError;
    async fn sums(&mut self, ranges: &[Range]) -> Result<Vec<(Sum, Sum)>, DbStepError> {
        // A stop asked between two rounds has no query to cancel.
        if self.ctx.stop_requested().is_some() {
            return Err(DbStepError::CompareStopped);
        }
        let (l, r) = tokio::try_join!(
            self.left.sums(&self.sql.0, ranges),
            self.right.sums(&self.sql.1, ranges)
        )?;
        Ok(l.into_iter().zip(r).collect())
    }
}

fn no_narrowing(left: &Found, right: &Found, key: &str) -> String {
    let type_of = |f: &Found| match &f.key {
        Key::Other(t) => Some(t.clone()),
        _ => None,
    };
    match type_of(left).or_else(|| type_of(right)) {
        Some(t) => format!(
            "the whole-table checksums differ; narrowing them down to key ranges needs an \
             integer key ({key} is {t}; set key= to an integer column)"
        ),
        None => "the whole-table checksums differ".into(),
    }
}

/// Shows the final table and journals the result; the expectation decides.
async fn finish(
    native: &StepCtx,
    ctx: &TaskCtx,
    spec: &CompareSpec,
    lines: &[Line],
    started: Instant,
) -> Result<Verdict, DbStepError> {
    let sides = Sides {
        left: &spec.left,
        right: &spec.right,
    };
    let expect = match &native.action.expect {
        Some(e @ (Expect::Differ | Expect::Difference(_))) => e.clone(),
        _ => Expect::Equal,
    };
    let elapsed = started.elapsed().as_millis();
    let failure = if lines.is_empty() {
        // A comparison of nothing proves nothing: most likely a wrong schema.
        let reason = format!(
            "no table to compare: schema `{}` has no tables on {} or {}",
            spec.schema, spec.left, spec.right
        );
        ctx.print(format!("{reason}\n")).await;
        Some(reason)
    } else {
        let failure = report::failure(lines, sides, &expect);
        let verdict = format!(
            "{} in {elapsed} ms",
            report::verdict_line(lines, &expect, failure.is_some())
        );
        ctx.print(report::render(lines, sides, &spec.key, &verdict))
            .await;
        failure
    };
    let mode = match spec.mode {
        CompareMode::Count => "count",
        CompareMode::Checksum => "checksum",
    };
    let mut result = report::record(lines, sides, mode, &expect, failure.is_none());
    result["duration_ms"] = serde_json::json!(elapsed as u64);
    let record = Msg::ActionResult {
        step: native.step.clone(),
        action: native.index,
        result,
    };
    ctx.record(record)
        .await
        .map_err(|_| DbStepError::SessionStopped)?;
    Ok(failure.map_or(Verdict::Passed, Verdict::Failed))
}

/// Runs `work`; if the step is cancelled or times out meanwhile, asks both
/// servers to cancel what they run, and returns what `work` then says.
async fn stoppable<T>(
    ctx: &TaskCtx,
    left: &Side<'_>,
    right: &Side<'_>,
    work: impl Future<Output = Result<T, DbStepError>>,
) -> Result<T, DbStepError> {
    pin_mut!(work);
    tokio::select! {
        r = &mut work => r,
        _ = ctx.stopped() => {
            tokio::join!(left.cancel(), right.cancel());
            work.await
        }
    }
}
