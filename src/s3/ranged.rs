//! A large object in ranges (`Range: bytes=a-b`), several in flight, each
//! written at its offset into the hidden file next to the destination and
//! synced, then journaled as a checkpoint under `download s3://B/K → PATH`
//! with the object's ETag and size and the hidden file's path: only then
//! does it count as done. A retry or a resumed session reads them back from
//! `native.checkpoints` and fetches only the other ranges, if the object
//! still has that ETag and size and the hidden file is still there, long
//! enough; otherwise it starts over, and says why. Every ranged GET carries
//! `If-Match: ETAG`, so an object replaced mid-download fails the download
//! instead of mixing two versions in one file.
//!
//! The SHA-256 (and, when the caller checks it, the MD5) is computed by a
//! blocking thread that reads the ranges back in order as they complete,
//! while the others are still in flight.

use std::collections::BTreeSet;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::{Failure, S3Error, fail};
use super::job::{Job, url};
use super::md5::Md5;
use super::progress::Meter;
use super::remote::Object;
use super::tuning::human_bytes;

/// Read back per blocking read while hashing.
const HASH_BUF: usize = 1 << 20;

/// A range written, synced, and journaled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct RangeDone {
    etag: String,
    size: u64,
    temp: String,
    part_size: u64,
    /// Its number from 0: bytes `range * part_size` on, `part_size` of
    /// them (the last one shorter).
    range: u64,
}

/// The ranges journaled for the latest download of the key: the identity
/// they were fetched for (ETag, size, hidden file, range size) and which.
#[derive(Debug, PartialEq, Eq)]
struct Journaled {
    etag: String,
    size: u64,
    temp: String,
    part_size: u64,
    ranges: BTreeSet<u64>,
}

/// The download was renamed into place: its ranges are used up.
#[derive(Serialize, Deserialize)]
struct Completed {
    completed: String,
}

fn journaled(records: &[Value]) -> Option<Journaled> {
    let mut latest: Option<Journaled> = None;
    for r in records {
        if Completed::deserialize(r).is_ok() {
            latest = None;
            continue;
        }
        let Ok(d) = RangeDone::deserialize(r) else {
            continue;
        };
        let same = latest.as_ref().is_some_and(|j| {
            j.etag == d.etag && j.size == d.size && j.temp == d.temp && j.part_size == d.part_size
        });
        if !same {
            latest = Some(Journaled {
                etag: d.etag.clone(),
                size: d.size,
                temp: d.temp.clone(),
                part_size: d.part_size,
                ranges: BTreeSet::new(),
            });
        }
        if let Some(j) = latest.as_mut() {
            j.ranges.insert(d.range);
        }
    }
    latest
}

/// The checkpoint key of the download of `bucket/key` to `dest`.
pub fn checkpoint_key(bucket: &str, key: &str, dest: &Path) -> String {
    format!("download {} → {}", url(bucket, key), dest.display())
}

/// Journals that the download of `bucket/key` to `dest` is in place, so
/// that running the step again starts a new one without a word.
pub async fn completed(job: &Job<'_>, bucket: &str, key: &str, dest: &Path, etag: &str) {
    let done = Completed {
        completed: etag.to_string(),
    };
    let data = serde_json::to_value(&done).unwrap_or(Value::Null);
    // Best effort: without it, the next run says the partial file is gone.
    let _ = job
        .checkpoint(&checkpoint_key(bucket, key, dest), data)
        .await;
}

/// What the ranges add up to.
pub struct Got {
    pub bytes: u64,
    pub sha256: String,
    pub md5: Option<String>,
    pub ranges: u64,
    /// Ranges an earlier attempt had fetched, not fetched again.
    pub reused: u64,
}

/// One object to fetch in ranges.
pub struct Ranged<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub dest: &'a Path,
    pub temp: &'a Path,
    pub object: &'a Object,
    /// The ETag every ranged GET must match.
    pub etag: &'a str,
    pub with_md5: bool,
    /// A folder's meter; None: the object shows its own progress.
    pub meter: Option<&'a Meter>,
}

impl Ranged<'_> {
    /// Fetches the ranges still missing into `temp` (synced) and hashes
    /// the whole; the caller checks and renames it. On failure the hidden
    /// file is kept for the next attempt.
    pub async fn fetch(&self, job: &Job<'_>) -> Result<Got, S3Error> {
        let source = url(self.bucket, self.key);
        let what = format!("cannot download {source}");
        let size = self.object.size;
        let ckey = checkpoint_key(self.bucket, self.key, self.dest);
        let temp_text = self.temp.to_string_lossy().to_string();
        let mut part_size = job.tuning.part_size_for(size)?;
        let mut done = BTreeSet::new();
        if let Some(j) = journaled(job.checkpoints(&ckey)) {
            match self.reusable(&j, &temp_text).await {
                Ok(()) => {
                    part_size = j.part_size;
                    done = j.ranges;
                }
                Err(why) => {
                    job.print(format!("{source}: {why}: starting over\n")).await;
                }
            }
        }
        let total = size.div_ceil(part_size);
        done.retain(|r| *r < total);
        let file = self.open(&what, !done.is_empty()).await?;
        let reused = done.len() as u64;
        let reused_bytes: u64 = done.iter().map(|r| range_len(*r, part_size, size)).sum();
        if reused > 0 {
            job.print(format!(
                "{source}: resuming the download begun earlier: {reused} of {total} ranges ({}) are in {} and are not fetched again\n",
                human_bytes(reused_bytes),
                self.temp.display()
            ))
            .await;
        }
        let own = Meter::new(size, None, reused_bytes);
        let meter = match self.meter {
            Some(m) => {
                let _ = m.add(reused_bytes, 0);
                m
            }
            None => &own,
        };
        // The hashing thread: told each range once it is on disk.
        let (hashed_tx, hashed_rx) = std::sync::mpsc::channel::<u64>();
        let hash_file = Arc::clone(&file);
        let with_md5 = self.with_md5;
        let hasher = tokio::task::spawn_blocking(move || {
            hash_in_order(&hash_file, size, part_size, &hashed_rx, with_md5)
        });
        for r in &done {
            let _ = hashed_tx.send(*r);
        }
        let todo: Vec<u64> = (0..total).filter(|r| !done.contains(r)).collect();
        let confirmed = AtomicU64::new(reused);
        let one = One {
            job,
            r: self,
            ckey: &ckey,
            temp_text: &temp_text,
            file: &file,
            part_size,
            total,
            meter,
            confirmed: &confirmed,
            hashed: &hashed_tx,
        };
        stream::iter(todo)
            .map(|r| one.get(r).boxed())
            .buffer_unordered(job.tuning.in_flight_for(part_size))
            .try_collect::<Vec<()>>()
            .await
            .map_err(|e| match e {
                Failed::Changed(e) => e,
                Failed::Other(e) => S3Error::RangesKept {
                    cause: Box::new(e),
                    confirmed: confirmed.load(Ordering::Relaxed),
                    total,
                    temp: self.temp.display().to_string(),
                },
            })?;
        drop(hashed_tx);
        if self.meter.is_none() {
            job.print(own.done()).await;
        }
        let (sha256, md5) = hasher
            .await
            .map_err(|e| fail!(Local, "{what}: hashing failed: {e}"))??;
        Ok(Got {
            bytes: size,
            sha256,
            md5,
            ranges: total,
            reused,
        })
    }

    /// Whether the journaled ranges can be kept: same object (ETag, size),
    /// and the hidden file is still there, at least as long as they reach.
    async fn reusable(&self, j: &Journaled, temp_text: &str) -> Result<(), Stale> {
        if j.etag != self.etag || j.size != self.object.size {
            return Err(Stale::ObjectChanged {
                size_then: j.size,
                etag_then: j.etag.clone(),
                size_now: self.object.size,
                etag_now: self.etag.to_string(),
            });
        }
        if j.temp != temp_text {
            return Err(Stale::OtherFile {
                then: j.temp.clone(),
                now: temp_text.to_string(),
            });
        }
        if j.part_size == 0 {
            return Err(Stale::NoRangeSize);
        }
        let reach = j
            .ranges
            .iter()
            .map(|r| r.saturating_mul(j.part_size) + range_len(*r, j.part_size, j.size))
            .max()
            .unwrap_or(0);
        let temp = self.temp.display().to_string();
        match tokio::fs::metadata(self.temp).await {
            Ok(m) if m.is_file() && m.len() >= reach => Ok(()),
            Ok(m) if m.is_file() => Err(Stale::Shorter {
                temp,
                len: m.len(),
                reach,
            }),
            Ok(_) => Err(Stale::NotAFile(temp)),
            Err(source) => Err(Stale::Unusable { temp, source }),
        }
    }

    /// The hidden file: kept as it is to go on, else new, `size` bytes
    /// long (sparse), and its folder entry synced before any range counts.
    async fn open(&self, what: &str, keep: bool) -> Result<Arc<std::fs::File>, S3Error> {
        let temp = self.temp.to_path_buf();
        let size = self.object.size;
        let opened = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(!keep)
                .open(&temp)?;
            if !keep {
                file.set_len(size)?;
                file.sync_all()?;
                if let Some(dir) = temp.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
            }
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(|e| fail!(Local, "{what}: opening the partial file failed: {e}"))?
        .map_err(|e| fail!(Local, "{what}: cannot write {}: {e}", self.temp.display()))?;
        Ok(Arc::new(opened))
    }
}

fn range_len(r: u64, part_size: u64, size: u64) -> u64 {
    let offset = r.saturating_mul(part_size);
    part_size.min(size.saturating_sub(offset))
}

/// What fetching one range needs.
struct One<'a> {
    job: &'a Job<'a>,
    r: &'a Ranged<'a>,
    ckey: &'a str,
    temp_text: &'a str,
    file: &'a Arc<std::fs::File>,
    part_size: u64,
    total: u64,
    meter: &'a Meter,
    confirmed: &'a AtomicU64,
    hashed: &'a std::sync::mpsc::Sender<u64>,
}

/// Why a range failed.
enum Failed {
    /// The object is not the one the download began with: the journaled
    /// ranges are of no use any more.
    Changed(S3Error),
    Other(S3Error),
}

impl From<S3Error> for Failed {
    fn from(e: S3Error) -> Failed {
        Failed::Other(e)
    }
}

impl One<'_> {
    async fn get(&self, n: u64) -> Result<(), Failed> {
        let (job, r) = (self.job, self.r);
        let size = r.object.size;
        let offset = n * self.part_size;
        let len = range_len(n, self.part_size, size);
        let source = url(r.bucket, r.key);
        let what = format!(
            "cannot download range {} of {} of {source}",
            n + 1,
            self.total
        );
        let _memory = job.memory(len).await?;
        let out = job
            .client()
            .get_object()
            .bucket(r.bucket)
            .key(r.key)
            .range(format!("bytes={offset}-{}", offset + len - 1))
            .if_match(r.etag)
            .send()
            .await
            .map_err(|e| {
                let f = Failure::of(&e);
                if f.code() == "PreconditionFailed" || f.status == Some(412) {
                    Failed::Changed(fail!(
                        RemoteChanged,
                        "{source} changed on the server while it was being downloaded (it no longer has the ETag {}); nothing was written under {}: run the step again to download the new version",
                        r.etag,
                        r.dest.display()
                    ))
                } else {
                    Failed::Other(job.error(&what, r.bucket, &source, &e))
                }
            })?;
        let want = usize::try_from(len).map_err(|_| fail!(TooLarge, "{what}: range too large"))?;
        let mut data = Vec::with_capacity(want);
        let mut body = out.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| {
            fail!(
                Transfer,
                "{what} on target `{}`: the transfer broke off: {e}",
                job.conn.target
            )
        })? {
            if data.len() + chunk.len() > want {
                return Err(Failed::Other(fail!(
                    Transfer,
                    "{what}: the server sent more than the {len} bytes asked for"
                )));
            }
            data.extend_from_slice(&chunk);
        }
        if data.len() != want {
            return Err(Failed::Other(fail!(
                Transfer,
                "{what}: got {} bytes of {len}; run the step again",
                data.len()
            )));
        }
        let file = Arc::clone(self.file);
        tokio::task::spawn_blocking(move || {
            file.write_all_at(&data, offset)?;
            file.sync_data()
        })
        .await
        .map_err(|e| fail!(Local, "{what}: writing failed: {e}"))?
        .map_err(|e| fail!(Local, "{what}: cannot write {}: {e}", r.temp.display()))?;
        let done = RangeDone {
            etag: r.etag.to_string(),
            size,
            temp: self.temp_text.to_string(),
            part_size: self.part_size,
            range: n,
        };
        job.checkpoint(
            self.ckey,
            serde_json::to_value(&done).unwrap_or(Value::Null),
        )
        .await?;
        self.confirmed.fetch_add(1, Ordering::Relaxed);
        let _ = self.hashed.send(n);
        if let Some(line) = self.meter.add(len, 0) {
            job.print(line).await;
        }
        Ok(())
    }
}

/// Hashes the file range by range, in order, as ranges are said to be on
/// disk; ends when the sender is dropped. Fails if a range is missing.
fn hash_in_order(
    file: &std::fs::File,
    size: u64,
    part_size: u64,
    ready: &std::sync::mpsc::Receiver<u64>,
    with_md5: bool,
) -> Result<(String, Option<String>), S3Error> {
    let total = size.div_ceil(part_size.max(1));
    let mut sha = Sha256::new();
    let mut md5 = with_md5.then(Md5::new);
    let mut waiting = BTreeSet::new();
    let mut next = 0u64;
    let mut buf = vec![0u8; HASH_BUF];
    while let Ok(r) = ready.recv() {
        waiting.insert(r);
        while waiting.remove(&next) {
            let end = (next * part_size + range_len(next, part_size, size)).min(size);
            let mut at = next * part_size;
            while at < end {
                let n = usize::try_from(end - at).unwrap_or(HASH_BUF).min(HASH_BUF);
                let slice = &mut buf[..n];
                file.read_exact_at(slice, at)
                    .map_err(|e| fail!(Local, "cannot read back the partial download: {e}"))?;
                sha.update(&*slice);
                if let Some(m) = md5.as_mut() {
                    m.update(slice);
                }
                at += n as u64;
            }
            next += 1;
        }
    }
    if next < total {
        return Err(fail!(
            Local,
            "only {next} of {total} ranges were downloaded in order"
        ));
    }
    Ok((
        hex::encode(sha.finalize()),
        md5.map(|m| hex::encode(m.finish())),
    ))
}

/// Why the ranges an earlier attempt journaled cannot be kept: said, and
/// the download starts over.
#[derive(Debug, thiserror::Error)]
enum Stale {
    #[error(
        "the object changed since the download began (it was {} with ETag {etag_then}, it is now {} with ETag {etag_now})",
        human_bytes(*size_then),
        human_bytes(*size_now)
    )]
    ObjectChanged {
        size_then: u64,
        etag_then: String,
        size_now: u64,
        etag_now: String,
    },
    #[error("the earlier attempt wrote to {then}, not {now}")]
    OtherFile { then: String, now: String },
    #[error("the journaled ranges have no size")]
    NoRangeSize,
    #[error("the partial file {temp} is {len} bytes, shorter than the {reach} bytes journaled")]
    Shorter { temp: String, len: u64, reach: u64 },
    #[error("{0} is not a file any more")]
    NotAFile(String),
    #[error("the partial file {temp} cannot be used ({source})")]
    Unusable {
        temp: String,
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn done(etag: &str, range: u64) -> Value {
        json!({"etag": etag, "size": 40, "temp": "/t/.x.runsheet-partial", "part_size": 8, "range": range})
    }

    #[test]
    fn the_ranges_of_the_latest_version_are_read_back() {
        assert_eq!(journaled(&[]), None);
        let j = journaled(&[done("\"a\"", 0), done("\"a\"", 2), json!({"other": 1})]);
        assert_eq!(
            j.map(|j| (j.etag, j.ranges.into_iter().collect::<Vec<_>>())),
            Some(("\"a\"".to_string(), vec![0, 2]))
        );
        // A new version started over: only its ranges count.
        let j = journaled(&[done("\"a\"", 0), done("\"a\"", 1), done("\"b\"", 3)]);
        assert_eq!(
            j.map(|j| (j.etag, j.ranges.into_iter().collect::<Vec<_>>())),
            Some(("\"b\"".to_string(), vec![3]))
        );
    }

    #[test]
    fn a_completed_download_leaves_nothing_to_resume() {
        let j = journaled(&[done("\"a\"", 0), json!({"completed": "\"a\""})]);
        assert_eq!(j, None);
        let j = journaled(&[json!({"completed": "\"a\""}), done("\"a\"", 1)]);
        assert_eq!(j.map(|j| j.ranges.len()), Some(1));
    }

    #[test]
    fn ranges_cover_the_object_and_the_last_is_short() {
        assert_eq!(range_len(0, 8, 20), 8);
        assert_eq!(range_len(2, 8, 20), 4);
        assert_eq!(range_len(3, 8, 20), 0);
    }

    #[test]
    fn hashing_in_order_matches_the_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let (tx, rx) = std::sync::mpsc::channel();
        for r in [2, 0, 1] {
            let _ = tx.send(r);
        }
        drop(tx);
        let (sha, md5) =
            hash_in_order(&file, 20_000, 8_000, &rx, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sha, hex::encode(Sha256::digest(&data)));
        assert_eq!(md5, Some(hex::encode(super::super::md5::digest(&data))));
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = tx.send(1);
        drop(tx);
        assert!(hash_in_order(&file, 20_000, 8_000, &rx, false).is_err());
    }
}
