//! `download s3://BUCKET/KEY LOCAL`: an object, or every object under a
//! prefix. A small one is streamed in one GET to a hidden file next to its
//! destination while a blocking thread writes and hashes it (memory stays
//! at a few chunks); a large one (the multipart threshold and more) comes
//! in ranges, several in flight, resumable (`ranged`). Either is checked,
//! then renamed into place: a download that fails or does not match never
//! leaves a file under the real name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::{S3Error, fail};
use super::job::{Job, url};
use super::local::{base_name, resolve, safe_relative};
use super::md5::Md5;
use super::progress::Meter;
use super::ranged;
use super::remote::{self, Object};
use super::tuning::human_bytes;
use crate::runbook::model::S3Url;

/// Chunks between the network and the writing thread.
const CHUNKS_IN_FLIGHT: usize = 16;

/// How a download was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    /// Against the SHA-256 runsheet stored when uploading.
    Sha256,
    /// Against the ETag, the MD5 of a single-part unencrypted object.
    Md5,
    /// Only the size: nothing else to compare with.
    Size,
}

impl Checked {
    fn name(self) -> &'static str {
        match self {
            Checked::Sha256 => "sha256",
            Checked::Md5 => "md5",
            Checked::Size => "size",
        }
    }
}

struct Fetched {
    bytes: u64,
    sha256: String,
    checked: Checked,
}

pub async fn run(job: &Job<'_>, from: &S3Url, to: &str) -> Result<Value, S3Error> {
    if from.key.is_empty() || from.key.ends_with('/') {
        return prefix(job, from, to).await;
    }
    let base = resolve(job.native, to);
    let dest = if to.ends_with('/') || base.is_dir() {
        base.join(base_name(&from.key))
    } else {
        base
    };
    let source = url(&from.bucket, &from.key);
    job.print(format!("download {source} → {}\n", dest.display()))
        .await;
    let started = Instant::now();
    let got = fetch(job, &from.bucket, &from.key, &dest, None, None).await?;
    let took = started.elapsed();
    let check = match got.checked {
        Checked::Sha256 => "matches the sha256 stored at upload",
        Checked::Md5 => "matches the ETag's MD5",
        Checked::Size => "size checked only: the object has no checksum to compare with",
    };
    let rate = got.bytes as f64 / took.as_secs_f64().max(0.001);
    job.print(format!(
        "downloaded {} in {} ({}/s) · sha256 {} ({check})\n",
        human_bytes(got.bytes),
        crate::runbook::duration::format_span(took),
        human_bytes(rate as u64),
        got.sha256
    ))
    .await;
    Ok(json!({
        "op": "download",
        "from": source,
        "to": to,
        "bytes": got.bytes,
        "objects": 1,
        "duration_ms": took.as_millis() as u64,
        "sha256": got.sha256,
        "checked": got.checked.name(),
    }))
}

async fn prefix(job: &Job<'_>, from: &S3Url, to: &str) -> Result<Value, S3Error> {
    let source = url(&from.bucket, &from.key);
    let what = format!("cannot download {source}");
    let mut objects = remote::list(job, &from.bucket, &from.key, &what).await?;
    // Zero-byte keys ending in / are folder markers some tools create.
    objects.retain(|o| !o.key.ends_with('/'));
    if objects.is_empty() {
        return Err(fail!(
            BadOp,
            "{what} on target `{}`: there is no object under it",
            job.conn.target
        ));
    }
    let root = resolve(job.native, to);
    let mut files = Vec::with_capacity(objects.len());
    for o in &objects {
        let rel = o.key.get(from.key.len()..).unwrap_or_default();
        let Some(path) = safe_relative(rel) else {
            return Err(fail!(
                BadOp,
                "{what}: the key `{}` would not land inside {to} (it has `..`, `//` or an absolute path); nothing was downloaded",
                o.key
            ));
        };
        files.push((o.key.clone(), root.join(path), o.size));
    }
    let total: u64 = objects.iter().map(|o| o.size).sum();
    let count = files.len();
    job.print(format!(
        "download {source} → {} ({count} files, {})\n",
        root.display(),
        human_bytes(total)
    ))
    .await;
    let started = Instant::now();
    let meter = Meter::new(total, Some(count as u64), 0);
    let meter = &meter;
    let got: Vec<Fetched> = stream::iter(files)
        .map(|(key, dest, size)| {
            async move {
                let f = fetch(job, &from.bucket, &key, &dest, Some(meter), Some(size)).await?;
                if let Some(line) = meter.add(0, 1) {
                    job.print(line).await;
                }
                Ok::<_, S3Error>(f)
            }
            .boxed()
        })
        .buffer_unordered(job.tuning.files_in_flight)
        .try_collect()
        .await?;
    job.print(meter.done()).await;
    let took = started.elapsed();
    let by = |c: Checked| got.iter().filter(|f| f.checked == c).count();
    let (sha, md5, size) = (by(Checked::Sha256), by(Checked::Md5), by(Checked::Size));
    job.print(format!(
        "downloaded {count} files ({}) in {} · checked: {sha} by sha256, {md5} by md5, {size} by size only\n",
        human_bytes(total),
        crate::runbook::duration::format_span(took)
    ))
    .await;
    Ok(json!({
        "op": "download",
        "from": source,
        "to": to,
        "bytes": total,
        "objects": count,
        "duration_ms": took.as_millis() as u64,
        "checked": {"sha256": sha, "md5": md5, "size": size},
    }))
}

/// Removes a partial download unless it was renamed into place.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Fetches one object to `dest`: in ranges when it is large (`listed`: its
/// size from a listing; None: asked with a HEAD), else in one GET; then
/// checks it and renames it into place.
async fn fetch(
    job: &Job<'_>,
    bucket: &str,
    key: &str,
    dest: &Path,
    meter: Option<&Meter>,
    listed: Option<u64>,
) -> Result<Fetched, S3Error> {
    let source = url(bucket, key);
    let what = format!("cannot download {source}");
    let resumable = !job
        .checkpoints(&ranged::checkpoint_key(bucket, key, dest))
        .is_empty();
    if resumable || listed.is_none_or(|s| s >= job.tuning.threshold) {
        // A missing object falls through to the GET, which says so.
        if let Some(object) = remote::head(job, bucket, key, &what).await?
            && object.size >= job.tuning.threshold
            && let Some(etag) = object.etag.clone()
        {
            return fetch_ranged(job, (bucket, key, &what), dest, meter, &object, &etag).await;
        }
    }
    let (object, bytes, sha256, md5, partial) = fetch_whole(job, bucket, key, dest, meter).await?;
    let checked = keep(
        &what,
        &object,
        (bytes, &sha256, md5.as_deref()),
        partial,
        dest,
    )
    .await?;
    Ok(Fetched {
        bytes,
        sha256,
        checked,
    })
}

/// A large object in ranges, resumable; see `ranged`.
async fn fetch_ranged(
    job: &Job<'_>,
    (bucket, key, what): (&str, &str, &str),
    dest: &Path,
    meter: Option<&Meter>,
    object: &Object,
    etag: &str,
) -> Result<Fetched, S3Error> {
    let temp = prepare(what, dest).await?;
    let got = ranged::Ranged {
        bucket,
        key,
        dest,
        temp: &temp,
        object,
        etag,
        with_md5: object.sha256.is_none() && object.etag_md5().is_some(),
        meter,
    }
    .fetch(job)
    .await?;
    // From here the hidden file is either renamed or useless: a file that
    // does not match is removed, and the next attempt starts over.
    let partial = Partial(Some(temp));
    let checked = keep(
        what,
        object,
        (got.bytes, &got.sha256, got.md5.as_deref()),
        partial,
        dest,
    )
    .await?;
    ranged::completed(job, bucket, key, dest, etag).await;
    if got.reused > 0 {
        job.print(format!(
            "{} of {} ranges came from the earlier attempt\n",
            got.reused, got.ranges
        ))
        .await;
    }
    Ok(Fetched {
        bytes: got.bytes,
        sha256: got.sha256,
        checked,
    })
}

/// The destination's folder, created, and the hidden file next to it.
async fn prepare(what: &str, dest: &Path) -> Result<PathBuf, S3Error> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(parent).await.map_err(|e| {
        fail!(
            Local,
            "{what}: cannot create the folder {}: {e}",
            parent.display()
        )
    })?;
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download");
    Ok(parent.join(format!(".{name}.runsheet-partial")))
}

/// Checks what was fetched against the object: its size, then the
/// SHA-256 stored at upload, else the ETag's MD5.
/// Checks what came down (bytes, sha256, md5) against the object and
/// renames it into place; a file that does not match is removed with
/// `partial`.
async fn keep(
    what: &str,
    object: &Object,
    (bytes, sha256, md5): (u64, &str, Option<&str>),
    mut partial: Partial,
    dest: &Path,
) -> Result<Checked, S3Error> {
    let checked = check(what, object, bytes, sha256, md5)?;
    if let Some(temp) = partial.0.take() {
        rename(what, &temp, dest).await?;
    }
    Ok(checked)
}

fn check(
    what: &str,
    object: &Object,
    bytes: u64,
    sha256: &str,
    md5: Option<&str>,
) -> Result<Checked, S3Error> {
    if bytes != object.size {
        return Err(fail!(
            Mismatch,
            "{what}: got {bytes} bytes of {}; run the step again",
            object.size
        ));
    }
    let md5_wanted = object.sha256.is_none().then(|| object.etag_md5()).flatten();
    Ok(match (&object.sha256, &md5_wanted) {
        (Some(want), _) if want != sha256 => {
            return Err(fail!(
                Mismatch,
                "{what}: its sha256 is {sha256}, and the sha256 stored at upload is {want}: the \
                 object is not what was uploaded (nothing was written)"
            ));
        }
        (Some(_), _) => Checked::Sha256,
        (None, Some(want)) if md5 != Some(want.as_str()) => {
            return Err(fail!(
                Mismatch,
                "{what}: its MD5 does not match the ETag {want}: the data changed on its way \
                 (nothing was written); run the step again"
            ));
        }
        (None, Some(_)) => Checked::Md5,
        (None, None) => Checked::Size,
    })
}

async fn rename(what: &str, temp: &Path, dest: &Path) -> Result<(), S3Error> {
    tokio::fs::rename(temp, dest).await.map_err(|e| {
        let _ = std::fs::remove_file(temp);
        fail!(
            Local,
            "{what}: cannot move it into place at {}: {e}",
            dest.display()
        )
    })
}

/// One GET, streamed to the hidden file: the object's head, the bytes
/// received, their SHA-256 and (when the ETag can check it) MD5, and the
/// hidden file, removed unless taken.
async fn fetch_whole(
    job: &Job<'_>,
    bucket: &str,
    key: &str,
    dest: &Path,
    meter: Option<&Meter>,
) -> Result<(Object, u64, String, Option<String>, Partial), S3Error> {
    let source = url(bucket, key);
    let what = format!("cannot download {source}");
    let out = job
        .client()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| job.error(&what, bucket, &source, &e))?;
    let sha256 = match remote::meta_sha256(out.metadata()) {
        Some(h) => Some(h),
        None if remote::sha256_tagged(out.metadata()) => {
            remote::tagged_sha256(job, bucket, key).await
        }
        None => None,
    };
    let object = Object {
        size: remote::size(out.content_length()),
        sha256,
        checksum_crc32: None,
        checksum_sha256: None,
        etag: out.e_tag().map(str::to_string),
        encrypted: remote::encrypted(
            out.server_side_encryption(),
            out.sse_customer_algorithm().is_some(),
        ),
        last_modified: None,
    };
    let md5_wanted = object.sha256.is_none().then(|| object.etag_md5()).flatten();
    let temp = prepare(&what, dest).await?;
    let partial = Partial(Some(temp.clone()));
    let own = meter.is_none().then(|| Meter::new(object.size, None, 0));
    let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    let with_md5 = md5_wanted.is_some();
    let writer = tokio::task::spawn_blocking(move || write_chunks(rx, &temp, with_md5));
    let mut body = out.body;
    let mut bytes = 0u64;
    while let Some(chunk) = body.try_next().await.map_err(|e| {
        fail!(
            Transfer,
            "{what} on target `{}`: the transfer broke off: {e}",
            job.conn.target
        )
    })? {
        let n = chunk.len() as u64;
        if tx.send(chunk).await.is_err() {
            break;
        }
        bytes += n;
        for m in [meter, own.as_ref()].into_iter().flatten() {
            if let Some(line) = m.add(n, 0) {
                job.print(line).await;
            }
        }
    }
    drop(tx);
    let (sha256, md5) = writer
        .await
        .map_err(|e| fail!(Local, "{what}: writing failed: {e}"))??;
    if let Some(m) = &own {
        job.print(m.done()).await;
    }
    Ok((object, bytes, sha256, md5, partial))
}

/// Writes and hashes what arrives until the sender is dropped: the SHA-256
/// and, when asked, the MD5 (hex). Generic so that the chunk type (the
/// SDK's) needs no name here.
fn write_chunks<T: AsRef<[u8]>>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
    temp: &Path,
    with_md5: bool,
) -> Result<(String, Option<String>), S3Error> {
    let mut file = std::fs::File::create(temp)
        .map_err(|e| fail!(Local, "cannot write {}: {e}", temp.display()))?;
    let mut sha = Sha256::new();
    let mut md5 = with_md5.then(Md5::new);
    while let Some(chunk) = rx.blocking_recv() {
        let chunk = chunk.as_ref();
        file.write_all(chunk)
            .map_err(|e| fail!(Local, "cannot write {}: {e}", temp.display()))?;
        sha.update(chunk);
        if let Some(m) = md5.as_mut() {
            m.update(chunk);
        }
    }
    Ok((
        hex::encode(sha.finalize()),
        md5.map(|m| hex::encode(m.finish())),
    ))
}
