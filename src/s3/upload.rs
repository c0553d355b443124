//! `upload LOCAL s3://BUCKET/KEY`: one file (a single PUT below the
//! multipart threshold, in parts above it) or a folder. Every object gets
//! its SHA-256, so that `verify sha256=` and downloads can check it end to
//! end: a small one as metadata, with a Content-MD5 the server checks; a
//! large one in a tag, each part with a CRC32 the server checks
//! (`multipart`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};

use super::base64;
use super::error::{S3Error, fail};
use super::folder;
use super::hash;
use super::job::{Job, url};
use super::local::{self, Identity};
use super::multipart;
use super::progress::Meter;
use super::remote::{self, SHA256_META};
use super::tuning::human_bytes;
use crate::runbook::model::S3Url;

/// One file to put at one key.
pub struct FileUp<'a> {
    pub path: &'a Path,
    /// As the runbook wrote it, for messages.
    pub shown: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub identity: Identity,
    /// Whether to look for an object it would replace, and whether it may;
    /// None when the caller looked already (a folder looks once for all).
    pub check: Option<bool>,
    /// A folder's meter; None: the file shows its own progress.
    pub meter: Option<&'a Meter>,
}

/// How a file went up.
pub struct Sent {
    pub bytes: u64,
    pub sha256: String,
    pub parts: u64,
    /// Parts an earlier attempt had sent, not sent again.
    pub reused: u64,
    /// An earlier attempt had finished it: nothing was sent.
    pub already: bool,
}

pub async fn run(job: &Job<'_>, from: &str, to: &S3Url, overwrite: bool) -> Result<Value, S3Error> {
    let path = local::resolve(job.native, from);
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|e| local_error(job, from, &path, &e))?;
    let allowed = job.may_overwrite(overwrite);
    if meta.is_dir() {
        if !(to.key.is_empty() || to.key.ends_with('/')) {
            return Err(fail!(
                BadOp,
                "cannot upload {from}: it is a folder, and {} is not a prefix; end the S3 URL with /",
                url(&to.bucket, &to.key)
            ));
        }
        return folder::upload(job, from, &path, to, allowed).await;
    }
    let key = if to.key.is_empty() || to.key.ends_with('/') {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(from);
        format!("{}{name}", to.key)
    } else {
        to.key.clone()
    };
    let target = url(&to.bucket, &key);
    let identity = local::identity(&meta);
    job.print(format!(
        "upload {from} → {target} ({})\n",
        human_bytes(identity.size)
    ))
    .await;
    let started = Instant::now();
    let sent = file(
        job,
        &FileUp {
            path: &path,
            shown: from,
            bucket: &to.bucket,
            key: &key,
            identity,
            check: Some(allowed),
            meter: None,
        },
    )
    .await?;
    let took = started.elapsed();
    let line = if sent.already {
        "an earlier attempt of this step uploaded it, and it is still there: not sent again".into()
    } else {
        let rate = sent.bytes as f64 / took.as_secs_f64().max(0.001);
        let reused = if sent.reused > 0 {
            format!(
                ", {} of {} parts from the earlier attempt",
                sent.reused, sent.parts
            )
        } else {
            String::new()
        };
        format!(
            "uploaded {} in {} ({}/s{reused})",
            human_bytes(sent.bytes),
            crate::runbook::duration::format_span(took),
            human_bytes(rate as u64)
        )
    };
    job.print(format!("{line} · sha256 {}\n", sent.sha256))
        .await;
    Ok(json!({
        "op": "upload",
        "from": from,
        "to": target,
        "bytes": sent.bytes,
        "objects": 1,
        "parts": sent.parts,
        "parts_reused": sent.reused,
        "already_uploaded": sent.already,
        "duration_ms": took.as_millis() as u64,
        "sha256": sent.sha256,
    }))
}

pub async fn file(job: &Job<'_>, f: &FileUp<'_>) -> Result<Sent, S3Error> {
    if f.identity.size >= job.tuning.threshold {
        multipart::upload(job, f).await
    } else {
        put_small(job, f).await
    }
}

/// A file below the threshold: read whole, one PUT.
async fn put_small(job: &Job<'_>, f: &FileUp<'_>) -> Result<Sent, S3Error> {
    let _memory = job.memory(f.identity.size).await?;
    let whole = hash::read_whole(f.path).await?;
    if let Some(allowed) = f.check {
        check_overwrite(job, f, &whole.sha256, allowed).await?;
    }
    let bytes = whole.data.len() as u64;
    let target = url(f.bucket, f.key);
    job.client()
        .put_object()
        .bucket(f.bucket)
        .key(f.key)
        .content_length(i64::try_from(bytes).unwrap_or(i64::MAX))
        .content_md5(base64::encode(&whole.md5))
        .metadata(SHA256_META, &whole.sha256)
        .body(ByteStream::from(whole.data))
        .customize()
        // The Content-MD5 already lets the server check the body: signing
        // it too would hash it once more on runsheet's only runtime thread.
        .disable_payload_signing()
        .send()
        .await
        .map_err(|e| job.error(&format!("cannot upload {}", f.shown), f.bucket, &target, &e))?;
    if let Some(line) = f.meter.and_then(|m| m.add(bytes, 0)) {
        job.print(line).await;
    }
    Ok(Sent {
        bytes,
        sha256: whole.sha256,
        parts: 1,
        reused: 0,
        already: false,
    })
}

/// Before replacing the object at `key`: on a protected target, refuses
/// unless allowed or the object already holds these bytes (same SHA-256);
/// elsewhere, says what is replaced.
pub async fn check_overwrite(
    job: &Job<'_>,
    f: &FileUp<'_>,
    sha256: &str,
    allowed: bool,
) -> Result<(), S3Error> {
    let (bucket, key, shown) = (f.bucket, f.key, f.shown);
    let target = url(bucket, key);
    let what = format!("cannot upload {shown}");
    let Some(existing) = remote::head(job, bucket, key, &what).await? else {
        return Ok(());
    };
    if holds_same_bytes(&existing, f.path, f.identity.size, sha256).await? {
        return Ok(());
    }
    let age = existing
        .last_modified
        .map(|t| {
            format!(
                ", modified {} ago",
                crate::runbook::duration::format_span(remote::age(t))
            )
        })
        .unwrap_or_default();
    let about = format!("{}{age}", human_bytes(existing.size));
    if allowed {
        job.print(format!("replaces the existing {target} ({about})\n"))
            .await;
        return Ok(());
    }
    Err(fail!(
        Overwrite,
        "refusing to overwrite {target} on protected target `{}`: it exists ({about}) and differs \
         from {shown}; to replace it, write `upload --overwrite {shown} {target}` (or mark the \
         block destructive=true), else upload to a new key",
        job.conn.target
    ))
}

/// Whether `existing` already holds the bytes of the local file at `path`
/// (`size` bytes, `sha256`): by the SHA-256 runsheet stores with what it
/// uploads, by the server's own SHA-256 checksum, or, for an object another
/// tool (`aws s3 cp`) uploaded in one part, by its ETag's MD5. Putting the
/// same bytes again replaces nothing, on a protected target too.
pub async fn holds_same_bytes(
    existing: &remote::Object,
    path: &Path,
    size: u64,
    sha256: &str,
) -> Result<bool, S3Error> {
    if existing.sha256.as_deref() == Some(sha256) {
        return Ok(true);
    }
    if existing.size != size {
        return Ok(false);
    }
    if let Some(checksum) = existing
        .checksum_sha256
        .as_deref()
        .filter(|c| !c.contains('-'))
        && let Ok(raw) = hex::decode(sha256)
    {
        return Ok(checksum == super::base64::encode(&raw));
    }
    match existing.etag_md5() {
        Some(md5) => Ok(hash::md5_file(path).await? == md5),
        None => Ok(false),
    }
}

/// A local file that cannot be read, said with where it was looked for.
pub fn local_error(job: &Job<'_>, shown: &str, path: &Path, e: &std::io::Error) -> S3Error {
    let base = match &job.native.action.cwd {
        Some(cwd) => PathBuf::from(cwd),
        None => std::env::current_dir().unwrap_or_default(),
    };
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    fail!(
        Local,
        "cannot upload {shown}: {why} ({}; relative paths start from {})",
        base.join(path).display(),
        base.display()
    )
}
