//! `s3` steps, run by runsheet itself (aws-sdk-s3, no `aws` CLI): upload a
//! file or a folder, download an object or a prefix, list, verify, delete,
//! on AWS or an S3-compatible provider (Scaleway, MinIO, OVH …) configured
//! by the target's environment.
//!
//! The operations of a block run in order and the block stops at the first
//! that fails: a `delete` after a failed `verify` never runs. Large files
//! go up in parts that are journaled as they are confirmed, so a retry or a
//! resumed session sends only what the server does not have yet; large
//! objects come down in ranges journaled as they are written, so a retry
//! or a resumed session fetches only the ranges it does not have. The
//! result is journaled as data (`{"kind": "s3", "ops": [...]}`) as well as
//! shown.

pub mod base64;
pub mod conn;
mod delete;
mod download;
pub mod error;
mod folder;
mod hash;
pub(crate) mod https;
mod inspect;
mod job;
mod local;
pub mod md5;
mod multipart;
mod progress;
mod ranged;
mod remote;
mod tuning;
mod upload;

use serde_json::{Value, json};

use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::{Stop, TaskCtx};
use crate::runbook::actions::s3::{S3Options, s3_options};
use crate::runbook::model::{S3Op, S3Url};
use crate::session::Msg;
use error::fail;
pub use error::{Failure, Kind, S3Error};
use job::Job;
use tuning::Tuning;

/// Runs the operations in order: the verdict, or the error of the first
/// that failed (the dispatch turns it into the step's text, redacted).
pub async fn run(native: &StepCtx, ctx: &TaskCtx, ops: &[S3Op]) -> Result<Verdict, S3Error> {
    let tuning = Tuning::from_vars(|n| native.var(n))?;
    let conn = conn::connect(native).await?;
    let mut options = s3_options(&native.action.code);
    if options.len() != ops.len() {
        // Not the text the operations came from: no line may overwrite.
        options = vec![S3Options::default(); ops.len()];
    }
    let job = Job::new(native, ctx, conn, tuning);
    let mut reports = Vec::new();
    let mut outcome = Ok(Verdict::Passed);
    for (op, opts) in ops.iter().zip(options) {
        let op = expand(native, op)?;
        let done = tokio::select! {
            r = one(&job, &op, opts) => r,
            stop = ctx.stopped() => {
                let why = stopped(&op, stop);
                reports.push(json!({"op": name(&op), "stopped": why}));
                outcome = Ok(Verdict::Failed(why));
                break;
            }
        };
        match done {
            Ok((report, None)) => reports.push(report),
            Ok((report, Some(why))) => {
                reports.push(report);
                outcome = Ok(Verdict::Failed(why));
                break;
            }
            Err(e) => {
                let shown = native.secrets.redact(&e.to_string());
                reports.push(json!({"op": name(&op), "error": shown}));
                outcome = Err(e);
                break;
            }
        }
    }
    let record = Msg::ActionResult {
        step: native.step.clone(),
        action: native.index,
        result: json!({"kind": "s3", "target": native.target, "ops": reports}),
    };
    if ctx.record(record).await.is_err() && matches!(outcome, Ok(Verdict::Passed)) {
        return Err(S3Error::NotJournaled);
    }
    outcome
}

/// Runs one operation: its report, and why it failed if it ran and failed.
async fn one(
    job: &Job<'_>,
    op: &S3Op,
    opts: S3Options,
) -> Result<(Value, Option<String>), S3Error> {
    let report = match op {
        S3Op::Upload { from, to } => upload::run(job, from, to, opts.overwrite).await?,
        S3Op::Download { from, to } => download::run(job, from, to).await?,
        S3Op::List { at } => inspect::list(job, at).await?,
        S3Op::Verify { at, checks } => return inspect::verify(job, at, checks).await,
        S3Op::Delete { at } => delete::run(job, at).await?,
    };
    Ok((report, None))
}

fn name(op: &S3Op) -> &'static str {
    match op {
        S3Op::Upload { .. } => "upload",
        S3Op::Download { .. } => "download",
        S3Op::List { .. } => "list",
        S3Op::Verify { .. } => "verify",
        S3Op::Delete { .. } => "delete",
    }
}

fn stopped(op: &S3Op, stop: Stop) -> String {
    let how = match stop {
        Stop::Cancelled => "cancelled",
        Stop::TimedOut => "timed out",
    };
    match op {
        S3Op::Upload { from, to } => format!(
            "{how} while uploading {from} to {}; parts already on the server are journaled: \
             run the step again to send only the rest",
            job::url(&to.bucket, &to.key)
        ),
        S3Op::Download { from, .. } => format!(
            "{how} while downloading {}; nothing was written under its name (a large object's \
             ranges already fetched are journaled: run the step again to fetch only the rest)",
            job::url(&from.bucket, &from.key)
        ),
        other => format!("{how} during {}", name(other)),
    }
}

/// `${VAR}` in paths, buckets and keys, from the step's environment.
fn expand(native: &StepCtx, op: &S3Op) -> Result<S3Op, S3Error> {
    let url = |u: &S3Url| {
        let bucket = native.expand(&u.bucket);
        if bucket.is_empty() || bucket.contains('/') {
            return Err(fail!(
                Settings,
                "the bucket of s3://{}/{} is `{bucket}` once variables are replaced; check the variables it uses",
                u.bucket,
                u.key
            ));
        }
        Ok(S3Url {
            bucket,
            key: native.expand(&u.key),
        })
    };
    Ok(match op {
        S3Op::Upload { from, to } => S3Op::Upload {
            from: native.expand(from),
            to: url(to)?,
        },
        S3Op::Download { from, to } => S3Op::Download {
            from: url(from)?,
            to: native.expand(to),
        },
        S3Op::List { at } => S3Op::List { at: url(at)? },
        S3Op::Verify { at, checks } => S3Op::Verify {
            at: url(at)?,
            checks: checks.clone(),
        },
        S3Op::Delete { at } => S3Op::Delete { at: url(at)? },
    })
}
