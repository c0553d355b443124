//! A large file in parts, several in flight, each sent exactly once across
//! failures, cancels and crashes. The upload id (with the file's size,
//! modification time and part size), then every part the server confirmed
//! (with its CRC32), then the whole file's SHA-256, are journaled as
//! checkpoints under `upload s3://BUCKET/KEY` as soon as they are known. A
//! retry or a resumed session finds them in `native.checkpoints`, asks the
//! server (ListParts) which parts it still has, and sends only the others;
//! a file that changed, or an upload the server no longer knows, starts
//! over, and says so.
//!
//! One reader goes through the file in order, hashing it (SHA-256) as it
//! goes, and hands each part with its CRC32 to the senders: the first part
//! leaves as soon as it is read, not after a pass over the whole file. The
//! upload declares CRC32 checksums (composite) at its creation, so the
//! server checks each part on arrival, and keeps the CRC32 of the parts'
//! CRC32s, checked at completion; the SHA-256, known only once the last
//! part was read, goes in the object's tag (`remote::SHA256_TAG`).
//! On resume the reader reads the confirmed parts too (reading is cheap
//! next to sending) to finish the SHA-256, and checks them against their
//! journaled CRC32.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart, Tag, Tagging,
};
use bytes::Bytes;
use futures::future::OptionFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::SemaphorePermit;

use super::base64;
use super::error::{Failure, Kind, S3Error, fail};
use super::hash;
use super::job::{Job, url};
use super::local;
use super::md5;
use super::progress::Meter;
use super::remote::{self, SHA256_TAG, SHA256_TAG_META};
use super::tuning::human_bytes;
use super::upload::{FileUp, Sent, check_overwrite};

/// The `checksum` of uploads whose parts declare their CRC32.
const CRC32: &str = "CRC32";

/// The first checkpoint of an upload.
#[derive(Serialize, Deserialize)]
struct Begun {
    upload_id: String,
    size: u64,
    mtime_ns: u64,
    part_size: u64,
    /// Uploads journaled before parts declared a CRC32: the SHA-256,
    /// computed before the first part (it is in the metadata), their parts
    /// checked by Content-MD5. Still resumed that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// `CRC32`: each part declares its CRC32, the object keeps their
    /// composite, the SHA-256 goes in a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
}

impl Begun {
    fn scheme(&self) -> Scheme {
        match (&self.sha256, self.checksum.as_deref()) {
            (Some(sha256), None) => Scheme::Md5 {
                sha256: sha256.clone(),
            },
            _ => Scheme::Crc32,
        }
    }
}

/// How parts are checked on arrival, and where the SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scheme {
    /// Content-MD5 per part; the SHA-256 (known before) in the metadata.
    Md5 { sha256: String },
    /// A CRC32 per part; the SHA-256 (known at the end) in a tag.
    Crc32,
}

/// A part the server confirmed.
#[derive(Serialize, Deserialize)]
struct PartDone {
    part: i32,
    etag: String,
    size: u64,
    /// Base64, as S3 writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crc32: Option<String>,
}

/// Every part was read: the file's SHA-256 and the object's composite
/// CRC32 (`CRC-N`), what the object must show once completed.
#[derive(Serialize, Deserialize, Clone)]
struct Hashed {
    hashed: String,
    sha256: String,
    crc32: String,
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
    hashed: Option<Hashed>,
    completed: bool,
}

fn journaled(records: &[Value]) -> Journaled {
    let mut j = Journaled::default();
    for r in records {
        let of_this = |id: &str| j.begun.as_ref().is_some_and(|b| b.upload_id == id);
        if let Ok(b) = Begun::deserialize(r) {
            j = Journaled {
                begun: Some(b),
                ..Journaled::default()
            };
        } else if let Ok(p) = PartDone::deserialize(r) {
            j.parts.insert(p.part, p);
        } else if let Ok(h) = Hashed::deserialize(r) {
            if of_this(&h.hashed) {
                j.hashed = Some(h);
            }
        } else if let Ok(c) = Completed::deserialize(r) {
            j.completed = of_this(&c.completed);
        }
    }
    j
}

/// A part on the server: its ETag, size and (when declared) CRC32.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OnServer {
    etag: String,
    size: u64,
    crc32: Option<String>,
}

/// The upload to go on with: its id, part size, scheme, and the parts
/// already on the server.
struct Plan {
    upload_id: String,
    part_size: u64,
    scheme: Scheme,
    done: BTreeMap<i32, OnServer>,
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
            if let Some(sha256) = finished(job, f, &b, j.hashed.as_ref()).await? {
                return Ok(already(&b, sha256));
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
                Listed::Gone => {
                    if let Some(sha256) = finished(job, f, &b, j.hashed.as_ref()).await? {
                        return Ok(already(&b, sha256));
                    }
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

fn already(b: &Begun, sha256: String) -> Sent {
    Sent {
        bytes: b.size,
        sha256,
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

/// The SHA-256 of the object, when it holds the journaled upload already
/// (completed by an attempt whose end was not journaled, or whose tag was
/// not written: it is written now).
async fn finished(
    job: &Job<'_>,
    f: &FileUp<'_>,
    b: &Begun,
    hashed: Option<&Hashed>,
) -> Result<Option<String>, S3Error> {
    let what = format!("cannot upload {}", f.shown);
    let Some(o) = remote::head(job, f.bucket, f.key, &what).await? else {
        return Ok(None);
    };
    if o.size != b.size {
        return Ok(None);
    }
    match (b.scheme(), hashed) {
        (Scheme::Md5 { sha256 }, _) => Ok((o.sha256.as_deref() == Some(&sha256)).then_some(sha256)),
        (Scheme::Crc32, Some(h)) if o.sha256.as_deref() == Some(&h.sha256) => {
            Ok(Some(h.sha256.clone()))
        }
        (Scheme::Crc32, Some(h))
            if o.sha256.is_none()
                && o.checksum_crc32
                    .as_deref()
                    .is_some_and(|c| hash::crc32_matches(c, &h.crc32)) =>
        {
            tag(job, f, &h.sha256).await;
            Ok(Some(h.sha256.clone()))
        }
        _ => Ok(None),
    }
}

/// What the server says of an earlier upload.
enum Listed {
    /// Its parts, by number.
    Parts(BTreeMap<i32, OnServer>),
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
                let part = OnServer {
                    etag: etag.to_string(),
                    size: remote::size(p.size()),
                    crc32: p.checksum_crc32().map(str::to_string),
                };
                out.insert(n, part);
            }
        }
    }
    Ok(Listed::Parts(out))
}

/// Keeps the journaled parts the server still has, as journaled (a
/// server that lists a part's CRC32 must list the one journaled).
async fn resume(
    job: &Job<'_>,
    f: &FileUp<'_>,
    b: Begun,
    journaled: &BTreeMap<i32, PartDone>,
    server: &BTreeMap<i32, OnServer>,
) -> Plan {
    let done: BTreeMap<i32, OnServer> = journaled
        .values()
        .filter(|p| {
            server.get(&p.part).is_some_and(|s| {
                s.etag == p.etag && s.size == p.size && (s.crc32.is_none() || s.crc32 == p.crc32)
            })
        })
        .map(|p| {
            let part = OnServer {
                etag: p.etag.clone(),
                size: p.size,
                crc32: p.crc32.clone(),
            };
            (p.part, part)
        })
        .collect();
    let total = b.size.div_ceil(b.part_size.max(1));
    let bytes: u64 = done.values().map(|p| p.size).sum();
    let text = format!(
        "resuming the upload begun earlier: {} of {total} parts ({}) are on the server and are not sent again",
        done.len(),
        human_bytes(bytes)
    );
    say(job, f, &text).await;
    Plan {
        scheme: b.scheme(),
        upload_id: b.upload_id,
        part_size: b.part_size,
        done,
    }
}

/// A new upload, declaring a CRC32 per part, its id journaled before any
/// part is sent. The file's SHA-256 comes while the parts are read; only
/// an object already at the key, which it may replace, needs it first (to
/// tell whether it holds these bytes).
async fn begin(job: &Job<'_>, f: &FileUp<'_>, ckey: &str) -> Result<Plan, S3Error> {
    let part_size = job.tuning.part_size_for(f.identity.size)?;
    let target = url(f.bucket, f.key);
    let what = format!("cannot upload {}", f.shown);
    let mut known_sha256 = None;
    if let Some(allowed) = f.check
        && remote::head(job, f.bucket, f.key, &what).await?.is_some()
    {
        let sha256 = hash::sha256_file(job, f.path, f.identity.size, f.meter.is_none()).await?;
        check_overwrite(job, f, &sha256, allowed).await?;
        known_sha256 = Some(sha256);
    }
    let with_crc = job
        .client()
        .create_multipart_upload()
        .bucket(f.bucket)
        .key(f.key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .checksum_type(ChecksumType::Composite)
        .metadata(SHA256_TAG_META, SHA256_TAG)
        .send()
        .await;
    let (created, scheme) = match with_crc {
        Ok(c) => (c, Scheme::Crc32),
        // Some S3-compatible providers refuse a declared checksum: the
        // upload goes the way they all accept, Content-MD5 per part and
        // the SHA-256 (read first) in the metadata.
        Err(e) if refuses_checksums(&e) => {
            say(
                job,
                f,
                &format!(
                    "the server refuses part checksums ({}): each part is checked by Content-MD5 instead, after one pass to compute the SHA-256",
                    crate::s3::error::Failure::of(&e).code()
                ),
            )
            .await;
            let sha256 = match known_sha256 {
                Some(s) => s,
                None => hash::sha256_file(job, f.path, f.identity.size, f.meter.is_none()).await?,
            };
            let c = job
                .client()
                .create_multipart_upload()
                .bucket(f.bucket)
                .key(f.key)
                .metadata(remote::SHA256_META, &sha256)
                .send()
                .await
                .map_err(|e| job.error(&what, f.bucket, &target, &e))?;
            (c, Scheme::Md5 { sha256 })
        }
        Err(e) => return Err(job.error(&what, f.bucket, &target, &e)),
    };
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
        sha256: match &scheme {
            Scheme::Md5 { sha256 } => Some(sha256.clone()),
            Scheme::Crc32 => None,
        },
        checksum: (scheme == Scheme::Crc32).then(|| CRC32.into()),
    };
    job.checkpoint(ckey, to_json(&begun)).await?;
    Ok(Plan {
        upload_id,
        part_size,
        scheme,
        done: BTreeMap::new(),
    })
}

/// The server said no to the declared checksum itself, not to the
/// upload: the codes S3-compatible providers answer an unknown header or
/// algorithm with.
fn refuses_checksums<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let f = crate::s3::error::Failure::of(e);
    matches!(
        f.code(),
        "InvalidRequest" | "InvalidArgument" | "NotImplemented" | "InvalidChecksum"
    )
}

/// Part buffers, kept for the next part once sent: a new 8 MiB buffer for
/// every part leaves the allocator holding freed ones in each thread's
/// arena, and the process grows past what is in flight.
type Pool = Mutex<Vec<Vec<u8>>>;

/// A part read from the file, to send.
struct Read<'j> {
    n: i32,
    data: Vec<u8>,
    /// Base64: the CRC32, or the MD5 of the legacy scheme.
    digest: String,
    _memory: SemaphorePermit<'j>,
}

/// What the reader found once it reached the end of the file.
#[derive(Default)]
struct ReadAll {
    /// Crc32 scheme only.
    sha256: Option<String>,
    /// Every part's CRC32, base64 (Crc32 scheme).
    crc32: BTreeMap<i32, String>,
}

/// The reader's state between parts.
struct Reader<'a> {
    job: &'a Job<'a>,
    f: &'a FileUp<'a>,
    file: Arc<std::fs::File>,
    plan: &'a Plan,
    pool: &'a Pool,
    next: u64,
    total: u64,
    sha: Option<Sha256>,
    found: &'a Mutex<ReadAll>,
}

impl<'a> Reader<'a> {
    /// The next part to send, after reading (and hashing) the confirmed
    /// ones before it; None at the end of the file.
    async fn next_part(&mut self) -> Result<Option<Read<'a>>, S3Error> {
        let (job, f) = (self.job, self.f);
        while self.next < self.total {
            if job.ctx.stop_requested().is_some() {
                return Err(S3Error::Stopped("stopped while reading the file".into()));
            }
            let index = self.next;
            self.next += 1;
            let n = i32::try_from(index + 1)
                .map_err(|_| fail!(TooLarge, "part {} is past S3's 10,000", index + 1))?;
            let offset = index * self.plan.part_size;
            let len = self.plan.part_size.min(f.identity.size - offset);
            let memory = job.memory(len).await?;
            let mut buf = self
                .pool
                .lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_default();
            let file = Arc::clone(&self.file);
            let mut sha = self.sha.take();
            let crc = self.plan.scheme == Scheme::Crc32;
            let (buf_back, sha_back, digest) = tokio::task::spawn_blocking(move || {
                buf.resize(usize::try_from(len).unwrap_or(0), 0);
                file.read_exact_at(&mut buf, offset)?;
                if let Some(s) = sha.as_mut() {
                    s.update(&buf);
                }
                let digest = if crc {
                    base64::encode(&hash::crc32(&buf))
                } else {
                    base64::encode(&md5::digest(&buf))
                };
                Ok::<_, std::io::Error>((buf, sha, digest))
            })
            .await
            .map_err(|e| fail!(Local, "reading part {n} failed: {e}"))?
            .map_err(|e| fail!(Local, "cannot read part {n} of {}: {e}", f.path.display()))?;
            self.sha = sha_back;
            if crc && let Ok(mut found) = self.found.lock() {
                found.crc32.insert(n, digest.clone());
            }
            let Some(done) = self.plan.done.get(&n) else {
                return Ok(Some(Read {
                    n,
                    data: buf_back,
                    digest,
                    _memory: memory,
                }));
            };
            if let Ok(mut p) = self.pool.lock() {
                p.push(buf_back);
            }
            if crc && done.crc32.as_ref().is_some_and(|c| *c != digest) {
                return Err(fail!(
                    LocalChanged,
                    "{}: part {n} differs from the one sent earlier, though the file's size and modification time are the same; the upload was not completed: run the step again",
                    f.shown
                ));
            }
        }
        if let (Some(sha), Ok(mut found)) = (self.sha.take(), self.found.lock()) {
            found.sha256 = Some(hex::encode(sha.finalize()));
        }
        Ok(None)
    }
}

/// One step of the reader, owning it while it reads.
async fn read_next(mut r: Reader<'_>) -> (Reader<'_>, Result<Option<Read<'_>>, S3Error>) {
    let got = r.next_part().await;
    (r, got)
}

/// Sends the parts the reader hands out, at most `in_flight` in memory at
/// once (the one being read among them): the reader is started on the
/// next part only when one of them is free. Written out rather than as a
/// stream combinator: their closures would have to hold for any lifetime
/// of a part, and the future must stay `Send` for a folder's uploads.
async fn pipeline(
    reader: Reader<'_>,
    part: &Part<'_>,
    in_flight: usize,
) -> Result<Vec<(i32, String)>, S3Error> {
    let mut sending = FuturesUnordered::new();
    let mut reading = Some(Box::pin(read_next(reader)));
    let mut idle = None;
    let mut sent = Vec::new();
    loop {
        if reading.is_none()
            && sending.len() < in_flight
            && let Some(r) = idle.take()
        {
            reading = Some(Box::pin(read_next(r)));
        }
        if reading.is_none() && sending.is_empty() {
            return Ok(sent);
        }
        tokio::select! {
            Some((r, got)) = OptionFuture::from(reading.as_mut()), if reading.is_some() => {
                reading = None;
                if let Some(p) = got? {
                    sending.push(part.send(p).boxed());
                    idle = Some(r);
                }
            }
            Some(done) = sending.next(), if !sending.is_empty() => sent.push(done?),
            else => return Ok(sent),
        }
    }
}

async fn send_parts(
    job: &Job<'_>,
    f: &FileUp<'_>,
    ckey: &str,
    plan: Plan,
) -> Result<Sent, S3Error> {
    let size = f.identity.size;
    let total = size.div_ceil(plan.part_size);
    let reused = plan.done.len() as u64;
    let reused_bytes: u64 = plan.done.values().map(|p| p.size).sum();
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
    let pool = Pool::default();
    let found = Mutex::new(ReadAll::default());
    let reader = Reader {
        job,
        f,
        file,
        plan: &plan,
        pool: &pool,
        next: 0,
        total,
        sha: (plan.scheme == Scheme::Crc32).then(Sha256::new),
        found: &found,
    };
    let part = Part {
        job,
        f,
        ckey,
        upload_id: &plan.upload_id,
        crc: plan.scheme == Scheme::Crc32,
        total,
        meter,
        confirmed: &confirmed,
        pool: &pool,
    };
    let sent = pipeline(reader, &part, job.tuning.in_flight_for(plan.part_size))
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
    let found = found.into_inner().unwrap_or_default();
    let mut parts: BTreeMap<i32, (String, Option<String>)> = plan
        .done
        .into_iter()
        .map(|(n, p)| (n, (p.etag, None)))
        .collect();
    parts.extend(sent.into_iter().map(|(n, e)| (n, (e, None))));
    let (sha256, hashed) = match (&plan.scheme, found.sha256) {
        (Scheme::Md5 { sha256 }, _) => (sha256.clone(), None),
        (Scheme::Crc32, Some(sha256)) => {
            let crcs: Vec<&str> = found.crc32.values().map(String::as_str).collect();
            let composite = hash::crc32_composite(&crcs).ok_or_else(|| {
                fail!(Local, "the CRC32 of a part of {} was not computed", f.shown)
            })?;
            for (n, (_, crc)) in parts.iter_mut() {
                *crc = found.crc32.get(n).cloned();
            }
            let hashed = Hashed {
                hashed: plan.upload_id.clone(),
                sha256: sha256.clone(),
                crc32: composite,
            };
            job.checkpoint(ckey, to_json(&hashed)).await?;
            (sha256, Some(hashed))
        }
        (Scheme::Crc32, None) => {
            return Err(fail!(Local, "the file {} was not read to its end", f.shown));
        }
    };
    complete(job, f, ckey, &plan.upload_id, parts, hashed.as_ref()).await?;
    Ok(Sent {
        bytes: size,
        sha256,
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
    upload_id: &'a str,
    /// The part's digest is its CRC32 (else its MD5).
    crc: bool,
    total: u64,
    meter: &'a Meter,
    confirmed: &'a AtomicU64,
    pool: &'a Pool,
}

impl Part<'_> {
    async fn send(&self, p: Read<'_>) -> Result<(i32, String), S3Error> {
        let (job, f, n) = (self.job, self.f, p.n);
        let len = p.data.len() as u64;
        let data = Bytes::from(p.data);
        let kept = data.clone();
        let target = url(f.bucket, f.key);
        let request = job
            .client()
            .upload_part()
            .bucket(f.bucket)
            .key(f.key)
            .upload_id(self.upload_id)
            .part_number(n)
            .content_length(i64::try_from(len).unwrap_or(i64::MAX));
        // Either digest lets the server check the part, computed by the
        // reader off the runtime's only thread; signing the payload too
        // would hash it again there.
        let request = if self.crc {
            request.checksum_crc32(&p.digest)
        } else {
            request.content_md5(&p.digest)
        };
        let out = request
            .body(ByteStream::from(data))
            .customize()
            .disable_payload_signing()
            .send()
            .await;
        if let (Ok(buf), Ok(mut pool)) = (kept.try_into_mut(), self.pool.lock()) {
            pool.push(buf.into());
        }
        let out = out.map_err(|e| {
            let what = format!("cannot upload part {n} of {} of {}", self.total, f.shown);
            job.error(&what, f.bucket, &target, &e)
        })?;
        if self.crc
            && let Some(echoed) = out.checksum_crc32()
            && echoed != p.digest
        {
            return Err(fail!(
                Mismatch,
                "the server stored part {n} of {target} with the CRC32 {echoed}, and it was sent with {}: run the step again",
                p.digest
            ));
        }
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
            crc32: self.crc.then(|| p.digest.clone()),
        };
        job.checkpoint(self.ckey, to_json(&done)).await?;
        self.confirmed.fetch_add(1, Ordering::Relaxed);
        if let Some(line) = self.meter.add(len, 0) {
            job.print(line).await;
        }
        Ok((n, etag))
    }
}

/// Completes the upload (parts by number: ETag, and CRC32 when declared),
/// checks the object the server made of them, and tags it with the file's
/// SHA-256 (`hashed`: the Crc32 scheme).
async fn complete(
    job: &Job<'_>,
    f: &FileUp<'_>,
    ckey: &str,
    upload_id: &str,
    parts: BTreeMap<i32, (String, Option<String>)>,
    hashed: Option<&Hashed>,
) -> Result<(), S3Error> {
    let target = url(f.bucket, f.key);
    let list: Vec<CompletedPart> = parts
        .into_iter()
        .map(|(n, (etag, crc))| {
            CompletedPart::builder()
                .part_number(n)
                .e_tag(etag)
                .set_checksum_crc32(crc)
                .build()
        })
        .collect();
    let mut request = job
        .client()
        .complete_multipart_upload()
        .bucket(f.bucket)
        .key(f.key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(list))
                .build(),
        );
    if hashed.is_some() {
        request = request.checksum_type(ChecksumType::Composite);
    }
    let sent = request.send().await;
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
    let o = match remote::head(job, f.bucket, f.key, &what).await? {
        Some(o) if o.size == f.identity.size => o,
        Some(o) => {
            return Err(fail!(
                Mismatch,
                "{target} is {} bytes on the server after the upload, and {} is {} bytes",
                o.size,
                f.shown,
                f.identity.size
            ));
        }
        None => {
            return Err(fail!(
                Mismatch,
                "{target} is not on the server after its upload completed"
            ));
        }
    };
    let Some(h) = hashed else {
        return Ok(());
    };
    // A server that keeps the composite must keep the one of these parts.
    if let Some(theirs) = o.checksum_crc32.as_deref()
        && !hash::crc32_matches(theirs, &h.crc32)
    {
        return Err(fail!(
            Mismatch,
            "{target} has the CRC32 {theirs} on the server after the upload, and its parts make {}: the object is not what was sent; run the step again",
            h.crc32
        ));
    }
    tag(job, f, &h.sha256).await;
    Ok(())
}

/// Tags the object with the file's SHA-256. Best effort: a provider
/// without tagging, or a user not allowed to tag, still has the object
/// and its CRC32s; the SHA-256 is then only in the journal and the step's
/// result, and a download of it checks the size and what the server
/// answers.
async fn tag(job: &Job<'_>, f: &FileUp<'_>, sha256: &str) {
    let tagging = Tag::builder()
        .key(SHA256_TAG)
        .value(sha256)
        .build()
        .and_then(|t| Tagging::builder().tag_set(t).build());
    let sent = match tagging {
        Ok(t) => job
            .client()
            .put_object_tagging()
            .bucket(f.bucket)
            .key(f.key)
            .tagging(t)
            .send()
            .await
            .map_err(|e| Failure::of(&e).message),
        Err(e) => Err(e.to_string()),
    };
    if let Err(why) = sent {
        let text = format!(
            "the object's SHA-256 could not be stored in its tag `{SHA256_TAG}` ({why}): a later download checks its size only"
        );
        say(job, f, &text).await;
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
        let begun = |id: &str| json!({"upload_id": id, "size": 40, "mtime_ns": 7, "part_size": 8, "checksum": "CRC32"});
        let part = |n: i32| json!({"part": n, "etag": format!("\"e{n}\""), "size": 8, "crc32": "AAAAAA=="});
        let j = journaled(&[begun("old"), part(1), part(2), begun("new"), part(3)]);
        assert_eq!(j.begun.as_ref().map(|b| b.upload_id.as_str()), Some("new"));
        assert_eq!(j.begun.map(|b| b.scheme()), Some(Scheme::Crc32));
        assert_eq!(j.parts.keys().copied().collect::<Vec<_>>(), vec![3]);
        assert_eq!(j.parts[&3].crc32.as_deref(), Some("AAAAAA=="));
        assert!(!j.completed && j.hashed.is_none());
        let hashed = |id: &str| json!({"hashed": id, "sha256": "ab", "crc32": "x-1"});
        let j = journaled(&[begun("a"), part(1), hashed("a"), json!({"completed": "a"})]);
        assert!(j.completed);
        assert_eq!(j.hashed.map(|h| h.sha256), Some("ab".into()));
        let j = journaled(&[begun("a"), hashed("other"), json!({"completed": "other"})]);
        assert!(!j.completed && j.hashed.is_none());
    }

    #[test]
    fn an_upload_journaled_by_the_md5_scheme_resumes_by_it() {
        let old =
            json!({"upload_id": "u", "size": 40, "mtime_ns": 7, "part_size": 8, "sha256": "ab"});
        let j = journaled(&[old, json!({"part": 1, "etag": "\"e\"", "size": 8})]);
        assert_eq!(
            j.begun.map(|b| b.scheme()),
            Some(Scheme::Md5 {
                sha256: "ab".into()
            })
        );
        assert_eq!(j.parts[&1].crc32, None);
    }
}
