//! `delete s3://BUCKET/KEY` (or a prefix: every object under it). The
//! parser flags the line destructive, so on a protected target the block
//! stops at the gate before this runs. One DeleteObject per key: the batch
//! call needs a checksum header that several S3-compatible providers
//! handle differently.

use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use super::error::S3Error;
use super::job::{Job, url};
use super::remote;
use super::tuning::human_bytes;
use crate::runbook::model::S3Url;

pub async fn run(job: &Job<'_>, at: &S3Url) -> Result<Value, S3Error> {
    let here = url(&at.bucket, &at.key);
    let what = format!("cannot delete {here}");
    let targets: Vec<(String, u64)> = if at.key.is_empty() || at.key.ends_with('/') {
        remote::list(job, &at.bucket, &at.key, &what)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect()
    } else {
        match remote::head(job, &at.bucket, &at.key, &what).await? {
            Some(o) => vec![(at.key.clone(), o.size)],
            None => Vec::new(),
        }
    };
    if targets.is_empty() {
        job.print(format!(
            "delete {here}: there is nothing there; nothing deleted\n"
        ))
        .await;
        return Ok(json!({"op": "delete", "at": here, "objects": 0, "bytes": 0}));
    }
    let bytes: u64 = targets.iter().map(|(_, s)| s).sum();
    let what = &what;
    let keys: Vec<String> = targets.iter().map(|(k, _)| k.clone()).collect();
    stream::iter(keys)
        .map(|key| {
            async move {
                job.client()
                    .delete_object()
                    .bucket(&at.bucket)
                    .key(&key)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| job.error(what, &at.bucket, &url(&at.bucket, &key), &e))
            }
            .boxed()
        })
        .buffer_unordered(job.tuning.files_in_flight)
        .try_collect::<Vec<()>>()
        .await?;
    let line = match targets.len() {
        1 => format!("deleted {here} ({})\n", human_bytes(bytes)),
        n => format!(
            "deleted {n} objects ({}) under {here}\n",
            human_bytes(bytes)
        ),
    };
    job.print(line).await;
    Ok(json!({"op": "delete", "at": here, "objects": targets.len(), "bytes": bytes}))
}
