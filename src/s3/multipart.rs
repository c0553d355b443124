//! A large file in parts, several in flight, each sent exactly once across
//! failures, cancels and crashes. The upload id (with the file's size,
//! modification time and SHA-256), then every part the server confirmed,
//! are journaled as checkpoints under `upload s3://BUCKET/KEY` as soon as
//! they are known. A retry or a resumed session finds them in
//! `native.checkpoints`, asks the server (ListParts) which parts it still
//! has, and sends only the others; a file that changed, or an upload the
//! server no longer knows, starts over, and says so.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::base64;
use super::error::{Failure, Kind, S3Error, fail};
use super::hash;
use super::job::{Job, url};
use super::local;
use super::md5;
use super::progress::Meter;
use super::remote::{self, SHA256_META};
use super::tuning::human_bytes;
use super::upload::{FileUp, Sent, check_overwrite};

/// The first checkpoint of an upload.
#[derive(Serialize, Deserialize)]
struct Begun {
    upload_id: String,
    size: u64,
    mtime_ns: u64,
    part_size: u64,
    sha256: String,
}

/// A part the server confirmed.
#[derive(Serialize, Deserialize)]
struct PartDone {
    part: i32,
    etag: String,
    size: u64,
}

/// The upload was completed: the object exists.
#[derive(Serialize, Deserialize)]
struct Completed {
    completed: String,
}

/// What earlier attempts journaled about the latest upload of this key.
#[derive(Default)]
struct Journaled {
    begun: Option<Begun>,
    parts: BTreeMap<i32, PartDone>,
    completed: bool,
}

fn journaled(records: &[Value]) -> Journaled {
    let mut j = Journaled::default();
    for r in records {
        if let Ok(b) = Begun::deserialize(r) {
            j = Journaled {
                begun: Some(b),
                ..Journaled::default()
            };
        } else if let Ok(p) = PartDone::deserialize(r) {
            j.parts.insert(p.part, p);
        } else if let Ok(c) = Completed::deserialize(r) {
            j.completed = j.begun.as_ref().is_some_and(|b| b.upload_id == c.completed);
        }
    }
    j
}

/// The upload to go on with: its id, part size, the file's SHA-256, and
/// the parts already on the server (number → ETag, size).
struct Plan {
    upload_id: String,
    part_size: u64,
    sha256: String,
    done: BTreeMap<i32, (String, u64)>,
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub async fn upload(job: &Job<'_>, f: &FileUp<'_>) -> Result<Sent, S3Error> {
    let ckey = format!("upload {}", url(f.bucket, f.key));
    let j = journaled(job.checkpoints(&ckey));
    let mut plan = None;
    if let Some(b) = j.begun {
        let same_file = b.size == f.identity.size && b.mtime_ns == f.identity.mtime_ns;
        if !same_file {
            say(
                job,
                f,
                "the file changed since its upload began (size or modification time): starting over",
            )
            .await;
            abort(job, f, &b.upload_id).await;
        } else if j.completed {
            if finished(job, f, &b).await? {
                return Ok(already(&b));
            }
            say(
                job,
                f,
                "an earlier attempt uploaded it, but the object is gone or different: uploading again",
            )
            .await;
        } else {
            match server_parts(job, f, &b.upload_id).await? {
                Listed::Parts(server) => plan = Some(resume(job, f, b, &j.parts, &server).await),
                Listed::Gone if finished(job, f, &b).await? => return Ok(already(&b)),
                Listed::Gone => {
                    let text = format!(
                        "the upload begun earlier (id {}) is gone from the server (expired, or aborted): starting over",
                        short(&b.upload_id)
                    );
                    say(job, f, &text).await;
                }
                Listed::Unreadable(why) => {
                    let text = format!(
                        "the server's list of the parts sent earlier cannot be read ({why}): starting over"
                    );
                    say(job, f, &text).await;
                    abort(job, f, &b.upload_id).await;
                }
            }
        }
    }
    let plan = match plan {
        Some(p) => p,
        None => begin(job, f, &ckey).await?,
    };
    send_parts(job, f, &ckey, plan).await
}

fn already(b: &Begun) -> Sent {
    Sent {
        bytes: b.size,
        sha256: b.sha256.clone(),
        parts: b.size.div_ceil(b.part_size.max(1)),
        reused: 0,
        already: true,
    }
}

async fn say(job: &Job<'_>, f: &FileUp<'_>, text: &str) {
    job.print(format!("{}: {text}\n", f.shown)).await;
}

fn short(id: &str) -> String {
    match id.char_indices().nth(12) {
        Some((i, _)) => format!("{}…", &id[..i]),
        None => id.to_string(),
    }
}

/// Whether the object holds the journaled upload already (completed by an
/// attempt whose end was not journaled).
async fn finished(job: &Job<'_>, f: &FileUp<'_>, b: &Begun) -> Result<bool, S3Error> {
    let what = format!("cannot upload {}", f.shown);
    let head = remote::head(job, f.bucket, f.key, &what).await?;
    Ok(head.is_some_and(|o| o.size == b.size && o.sha256.as_deref() == Some(b.sha256.as_str())))
}

/// What the server says of an earlier upload.
enum Listed {
    /// Its parts: number → (ETag, size).
    Parts(BTreeMap<i32, (String, u64)>),
    /// It does not know the upload (completed, aborted or expired).
    Gone,
    /// An answer that cannot be read (a provider without ListParts, or
    /// one that answers it oddly): retrying would fail the same way
    /// forever, so the upload starts over.
    Unreadable(String),
}

async fn server_parts(job: &Job<'_>, f: &FileUp<'_>, upload_id: &str) -> Result<Listed, S3Error> {
    let mut pages = job
        .client()
        .list_parts()
        .bucket(f.bucket)
        .key(f.key)
        .upload_id(upload_id)
        .into_paginator()
        .send();
    let mut out = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let failure = Failure::of(&e);
                return match (failure.kind, failure.code()) {
                    (_, "NoSuchUpload") => Ok(Listed::Gone),
                    (Kind::Other, _) | (_, "NotImplemented") => {
                        Ok(Listed::Unreadable(failure.message))
                    }
                    _ => {
                        let what = format!("cannot resume the upload of {}", f.shown);
                        Err(job.error(&what, f.bucket, &url(f.bucket, f.key), &e))
                    }
                };
            }
        };
        for p in page.parts() {
            if let (Some(n), Some(etag)) = (p.part_number(), p.e_tag()) {
                out.insert(n, (etag.to_string(), remote::size(p.size())));
            }
        }
    }
    Ok(Listed::Parts(out))
}

/// Keeps the journaled parts the server still has, as journaled.
async fn resume(
    job: &Job<'_>,
    f: &FileUp<'_>,
    b: Begun,
    journaled: &BTreeMap<i32, PartDone>,
    server: &BTreeMap<i32, (String, u64)>,
) -> Plan {
    let done: BTreeMap<i32, (String, u64)> = journaled
        .values()
        .filter(|p| server.get(&p.part) == Some(&(p.etag.clone(), p.size)))
        .map(|p| (p.part, (p.etag.clone(), p.size)))
        .collect();
    let total = b.size.div_ceil(b.part_size.max(1));
    let bytes: u64 = done.values().map(|(_, s)| s).sum();
    let text = format!(
        "resuming the upload begun earlier: {} of {total} parts ({}) are on the server and are not sent again",
        done.len(),
        human_bytes(bytes)
    );
    say(job, f, &text).await;
    Plan {
        upload_id: b.upload_id,
        part_size: b.part_size,
        sha256: b.sha256,
        done,
    }
}

/// A new upload: the file's SHA-256 first (it goes in the object's
/// metadata, which is set when the upload is created), then the id,
/// journaled before any part is sent.
async fn begin(job: &Job<'_>, f: &FileUp<'_>, ckey: &str) -> Result<Plan, S3Error> {
    let part_size = job.tuning.part_size_for(f.identity.size)?;
    let sha256 = hash::sha256_file(job, f.path, f.identity.size, f.meter.is_none()).await?;
    if let Some(allowed) = f.check {
        check_overwrite(job, f, &sha256, allowed).await?;
    }
    let target = url(f.bucket, f.key);
    let created = job
        .client()
        .create_multipart_upload()
        .bucket(f.bucket)
        .key(f.key)
        .metadata(SHA256_META, &sha256)
        .send()
        .await
        .map_err(|e| job.error(&format!("cannot upload {}", f.shown), f.bucket, &target, &e))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| {
            fail!(
                Answer,
                "the server started no upload for {target} (no upload id)"
            )
        })?
        .to_string();
    let begun = Begun {
        upload_id: upload_id.clone(),
        size: f.identity.size,
        mtime_ns: f.identity.mtime_ns,
        part_size,
        sha256: sha256.clone(),
    };
    job.checkpoint(ckey, to_json(&begun)).await?;
    Ok(Plan {
        upload_id,
        part_size,
        sha256,
        done: BTreeMap::new(),
    })
}

async fn send_parts(
    job: &Job<'_>,
    f: &FileUp<'_>,
    ckey: &str,
    plan: Plan,
) -> Result<Sent, S3Error> {
    let size = f.identity.size;
    let total = size.div_ceil(plan.part_size);
    let todo: Vec<i32> = (1..=total)
        .filter_map(|n| i32::try_from(n).ok())
        .filter(|n| !plan.done.contains_key(n))
        .collect();
    let reused = plan.done.len() as u64;
    let reused_bytes: u64 = plan.done.values().map(|(_, s)| s).sum();
    let own = Meter::new(size, None, reused_bytes);
    let meter = match f.meter {
        Some(m) => {
            let _ = m.add(reused_bytes, 0);
            m
        }
        None => &own,
    };
    let file = std::fs::File::open(f.path)
        .map(Arc::new)
        .map_err(|e| fail!(Local, "cannot read {}: {e}", f.path.display()))?;
    let confirmed = AtomicU64::new(reused);
    let part = Part {
        job,
        f,
        ckey,
        file: &file,
        upload_id: &plan.upload_id,
        part_size: plan.part_size,
        total,
        meter,
        confirmed: &confirmed,
    };
    let sent: Vec<(i32, String)> = stream::iter(todo)
        .map(|n| part.send(n).boxed())
        .buffer_unordered(job.tuning.in_flight_for(plan.part_size))
        .try_collect()
        .await
        .map_err(|e| S3Error::PartsKept {
            cause: Box::new(e),
            confirmed: confirmed.load(Ordering::Relaxed),
            total,
        })?;
    if f.meter.is_none() {
        job.print(own.done()).await;
    }
    let now = std::fs::metadata(f.path).map(|m| local::identity(&m));
    if now.as_ref().ok() != Some(&f.identity) {
        abort(job, f, &plan.upload_id).await;
        return Err(fail!(
            LocalChanged,
            "{} changed while it was being uploaded; the upload was abandoned: run the step again once the file is complete",
            f.shown
        ));
    }
    let mut parts: BTreeMap<i32, String> =
        plan.done.into_iter().map(|(n, (e, _))| (n, e)).collect();
    parts.extend(sent);
    complete(job, f, ckey, &plan.upload_id, parts).await?;
    Ok(Sent {
        bytes: size,
        sha256: plan.sha256,
        parts: total,
        reused,
        already: false,
    })
}

/// What sending one part needs.
struct Part<'a> {
    job: &'a Job<'a>,
    f: &'a FileUp<'a>,
    ckey: &'a str,
    file: &'a Arc<std::fs::File>,
    upload_id: &'a str,
    part_size: u64,
    total: u64,
    meter: &'a Meter,
    confirmed: &'a AtomicU64,
}

impl Part<'_> {
    async fn send(&self, n: i32) -> Result<(i32, String), S3Error> {
        let (job, f) = (self.job, self.f);
        let offset = (u64::try_from(n).unwrap_or(1) - 1) * self.part_size;
        let len = self.part_size.min(f.identity.size - offset);
        let _memory = job.memory(len).await?;
        let file = Arc::clone(self.file);
        let (data, md5) = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
            file.read_exact_at(&mut buf, offset)?;
            let md5 = md5::digest(&buf);
            Ok::<_, std::io::Error>((buf, md5))
        })
        .await
        .map_err(|e| fail!(Local, "reading part {n} failed: {e}"))?
        .map_err(|e| fail!(Local, "cannot read part {n} of {}: {e}", f.path.display()))?;
        let target = url(f.bucket, f.key);
        let out = job
            .client()
            .upload_part()
            .bucket(f.bucket)
            .key(f.key)
            .upload_id(self.upload_id)
            .part_number(n)
            .content_length(i64::try_from(len).unwrap_or(i64::MAX))
            .content_md5(base64::encode(&md5))
            .body(ByteStream::from(data))
            .customize()
            // The Content-MD5 lets the server check the part; signing the
            // payload too would hash it again on the runtime's only thread.
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| {
                let what = format!("cannot upload part {n} of {} of {}", self.total, f.shown);
                job.error(&what, f.bucket, &target, &e)
            })?;
        let etag = out
            .e_tag()
            .ok_or_else(|| {
                fail!(
                    Answer,
                    "the server confirmed part {n} of {target} without an ETag"
                )
            })?
            .to_string();
        let done = PartDone {
            part: n,
            etag: etag.clone(),
            size: len,
        };
        job.checkpoint(self.ckey, to_json(&done)).await?;
        self.confirmed.fetch_add(1, Ordering::Relaxed);
        if let Some(line) = self.meter.add(len, 0) {
            job.print(line).await;
        }
        Ok((n, etag))
    }
}

async fn complete(
    job: &Job<'_>,
    f: &FileUp<'_>,
    ckey: &str,
    upload_id: &str,
    parts: BTreeMap<i32, String>,
) -> Result<(), S3Error> {
    let target = url(f.bucket, f.key);
    let list: Vec<CompletedPart> = parts
        .into_iter()
        .map(|(n, etag)| CompletedPart::builder().part_number(n).e_tag(etag).build())
        .collect();
    let sent = job
        .client()
        .complete_multipart_upload()
        .bucket(f.bucket)
        .key(f.key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(list))
                .build(),
        )
        .send()
        .await;
    if let Err(e) = sent {
        // A retried CompleteMultipartUpload whose first try went through
        // finds no upload: the object says whether it is done.
        let gone = Failure::of(&e).code() == "NoSuchUpload";
        let what = format!("cannot complete the upload of {}", f.shown);
        let head = remote::head(job, f.bucket, f.key, &what).await?;
        if !(gone && head.is_some_and(|o| o.size == f.identity.size)) {
            return Err(job.error(&what, f.bucket, &target, &e));
        }
    }
    let done = Completed {
        completed: upload_id.to_string(),
    };
    job.checkpoint(ckey, to_json(&done)).await?;
    let what = format!("cannot check the upload of {}", f.shown);
    match remote::head(job, f.bucket, f.key, &what).await? {
        Some(o) if o.size == f.identity.size => Ok(()),
        Some(o) => Err(fail!(
            Mismatch,
            "{target} is {} bytes on the server after the upload, and {} is {} bytes",
            o.size,
            f.shown,
            f.identity.size
        )),
        None => Err(fail!(
            Mismatch,
            "{target} is not on the server after its upload completed"
        )),
    }
}

/// Drops an upload that will not be completed, so its parts stop taking
/// space; best effort (a bucket lifecycle rule cleans up what is left).
async fn abort(job: &Job<'_>, f: &FileUp<'_>, upload_id: &str) {
    let _ = job
        .client()
        .abort_multipart_upload()
        .bucket(f.bucket)
        .key(f.key)
        .upload_id(upload_id)
        .send()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_latest_upload_and_its_parts_are_read_back() {
        let begun = |id: &str| json!({"upload_id": id, "size": 40, "mtime_ns": 7, "part_size": 8, "sha256": "ab"});
        let part = |n: i32| json!({"part": n, "etag": format!("\"e{n}\""), "size": 8});
        let j = journaled(&[begun("old"), part(1), part(2), begun("new"), part(3)]);
        assert_eq!(j.begun.map(|b| b.upload_id), Some("new".into()));
        assert_eq!(j.parts.keys().copied().collect::<Vec<_>>(), vec![3]);
        assert!(!j.completed);
        let j = journaled(&[begun("a"), part(1), json!({"completed": "a"})]);
        assert!(j.completed);
        let j = journaled(&[begun("a"), json!({"completed": "other"})]);
        assert!(!j.completed);
    }
}
