//! `upload ./dumps/ s3://bucket/dumps/`: every file below the folder, at its
//! relative path under the prefix, several at once, with one progress line
//! for the whole folder. Overwrites are looked for once, before anything is
//! sent: a refusal never leaves half a folder uploaded.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use super::error::{S3Error, fail};
use super::hash;
use super::job::{Job, url};
use super::local::{self, LocalFile};
use super::progress::Meter;
use super::remote;
use super::tuning::human_bytes;
use super::upload::{self, FileUp};
use crate::runbook::model::S3Url;

pub async fn upload(
    job: &Job<'_>,
    from: &str,
    root: &Path,
    to: &S3Url,
    allowed: bool,
) -> Result<Value, S3Error> {
    let dir = root.to_path_buf();
    let files = tokio::task::spawn_blocking(move || local::walk(&dir))
        .await
        .map_err(|e| fail!(Local, "cannot read the folder {from}: {e}"))??;
    if files.is_empty() {
        return Err(fail!(
            BadOp,
            "cannot upload {from}: the folder has no files ({})",
            root.display()
        ));
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    let prefix = url(&to.bucket, &to.key);
    job.print(format!(
        "upload {from} → {prefix} ({} files, {})\n",
        files.len(),
        human_bytes(total)
    ))
    .await;
    check_overwrites(job, from, &files, to, allowed).await?;
    let started = Instant::now();
    let meter = Meter::new(total, Some(files.len() as u64), 0);
    let meter = &meter;
    let count = files.len();
    // Owned items: a stream over references trips the compiler's proof
    // that the future is Send (rust-lang/rust#102211).
    let sent: Vec<u64> = stream::iter(files)
        .map(|lf| async move { one(job, &lf, to, meter).await }.boxed())
        .buffer_unordered(job.tuning.files_in_flight)
        .try_collect()
        .await
        .map_err(|e| S3Error::PartlyUploaded(Box::new(e)))?;
    job.print(meter.done()).await;
    let took = started.elapsed();
    let resumed = sent.iter().filter(|&&r| r > 0).count();
    let note = if resumed > 0 {
        format!(" ({resumed} files resumed from an earlier attempt)")
    } else {
        String::new()
    };
    job.print(format!(
        "uploaded {count} files ({}) in {}{note}\n",
        human_bytes(total),
        crate::runbook::duration::format_span(took)
    ))
    .await;
    Ok(json!({
        "op": "upload",
        "from": from,
        "to": prefix,
        "bytes": total,
        "objects": count,
        "duration_ms": took.as_millis() as u64,
    }))
}

/// Uploads one file of the folder; the parts an earlier attempt sent.
async fn one(job: &Job<'_>, lf: &LocalFile, to: &S3Url, meter: &Meter) -> Result<u64, S3Error> {
    let key = format!("{}{}", to.key, lf.rel);
    let meta = tokio::fs::metadata(&lf.path)
        .await
        .map_err(|e| upload::local_error(job, &lf.rel, &lf.path, &e))?;
    let sent = upload::file(
        job,
        &FileUp {
            path: &lf.path,
            shown: &lf.rel,
            bucket: &to.bucket,
            key: &key,
            identity: local::identity(&meta),
            check: None,
            meter: Some(meter),
        },
    )
    .await?;
    let bytes = if sent.already { sent.bytes } else { 0 };
    if let Some(line) = meter.add(bytes, 1) {
        job.print(line).await;
    }
    Ok(sent.reused + u64::from(sent.already))
}

/// Objects the folder would replace: listed once; on a protected target,
/// refused unless allowed or they hold the same bytes as the local file.
async fn check_overwrites(
    job: &Job<'_>,
    from: &str,
    files: &[LocalFile],
    to: &S3Url,
    allowed: bool,
) -> Result<(), S3Error> {
    let what = format!("cannot upload {from}");
    let existing: HashMap<String, u64> = remote::list(job, &to.bucket, &to.key, &what)
        .await?
        .into_iter()
        .map(|o| (o.key, o.size))
        .collect();
    let replaced: Vec<LocalFile> = files
        .iter()
        .filter(|f| existing.contains_key(&format!("{}{}", to.key, f.rel)))
        .cloned()
        .collect();
    if replaced.is_empty() {
        return Ok(());
    }
    if allowed {
        job.print(format!(
            "replaces {} existing objects under {}\n",
            replaced.len(),
            url(&to.bucket, &to.key)
        ))
        .await;
        return Ok(());
    }
    let what = &what;
    let differing: Vec<String> = stream::iter(replaced)
        .map(|f| {
            async move {
                let key = format!("{}{}", to.key, f.rel);
                let Some(remote) = remote::head(job, &to.bucket, &key, what).await? else {
                    return Ok(None);
                };
                let local = hash::sha256_file(job, &f.path, f.size, false).await?;
                let same =
                    super::upload::holds_same_bytes(&remote, &f.path, f.size, &local).await?;
                Ok::<_, S3Error>((!same).then_some(f.rel))
            }
            .boxed()
        })
        .buffer_unordered(job.tuning.files_in_flight)
        .try_filter_map(|x| async move { Ok(x) })
        .try_collect()
        .await?;
    if differing.is_empty() {
        return Ok(());
    }
    let mut names = differing;
    names.sort();
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let more = match names.len() - shown.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let prefix = url(&to.bucket, &to.key);
    Err(fail!(
        Overwrite,
        "refusing to overwrite {} objects under {prefix} on protected target `{}` that differ \
         from the local files ({}{more}); nothing was uploaded; to replace them, write \
         `upload --overwrite {from} {prefix}` (or mark the block destructive=true)",
        names.len(),
        job.conn.target,
        shown.join(", "),
    ))
}
