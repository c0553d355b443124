//! Digests of local data, computed off the runtime's thread (runsheet's
//! runtime has one: hashing there would stall every transfer).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::{S3Error, fail};
use super::job::Job;
use super::md5;
use super::progress::Meter;

/// Read and hashed per blocking call: between two, the transfer may be
/// stopped and the progress line refreshed.
const SLICE: u64 = 64 << 20;
const BUF: usize = 1 << 20;

/// The SHA-256 (hex) of the file at `path`, `size` bytes long, streamed
/// from disk; with a progress line when `show` (a lone large file).
pub async fn sha256_file(
    job: &Job<'_>,
    path: &Path,
    size: u64,
    show: bool,
) -> Result<String, S3Error> {
    let meter = show.then(|| Meter::new(size, None, 0).labelled("sha256"));
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path)
        .map_err(|e| fail!(Local, "cannot read {}: {e}", path.display()))?;
    let mut total = 0u64;
    loop {
        if job.ctx.stop_requested().is_some() {
            return Err(S3Error::Stopped(
                "stopped while computing the file's SHA-256".into(),
            ));
        }
        let shown = path.to_path_buf();
        let (h, f, read) = tokio::task::spawn_blocking(move || slice(hasher, file, &shown))
            .await
            .map_err(|e| fail!(Local, "hashing {} failed: {e}", path.display()))??;
        (hasher, file) = (h, f);
        total += read;
        if let Some(line) = meter.as_ref().and_then(|m| m.add(read, 0)) {
            job.print(line).await;
        }
        if read < SLICE {
            break;
        }
    }
    if let Some(m) = meter {
        job.print(m.done()).await;
    }
    if total != size {
        return Err(S3Error::LocalChanged(format!(
            "{} changed while it was being read ({total} bytes, {size} expected); run the step again once it is written",
            path.display()
        )));
    }
    Ok(hex::encode(hasher.finalize()))
}

fn slice(
    mut hasher: Sha256,
    mut file: std::fs::File,
    path: &Path,
) -> Result<(Sha256, std::fs::File, u64), S3Error> {
    let mut buf = vec![0u8; BUF];
    let mut read = 0u64;
    while read < SLICE {
        let want = usize::try_from((SLICE - read).min(BUF as u64)).unwrap_or(BUF);
        let n = file
            .read(&mut buf[..want])
            .map_err(|e| fail!(Local, "cannot read {}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        read += n as u64;
    }
    Ok((hasher, file, read))
}

/// A small file read whole, with its MD5 (for Content-MD5) and SHA-256.
pub struct Whole {
    pub data: Vec<u8>,
    pub md5: [u8; 16],
    pub sha256: String,
}

pub async fn read_whole(path: &Path) -> Result<Whole, S3Error> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let data =
            std::fs::read(&p).map_err(|e| fail!(Local, "cannot read {}: {e}", p.display()))?;
        let md5 = md5::digest(&data);
        let sha256 = hex::encode(Sha256::digest(&data));
        Ok(Whole { data, md5, sha256 })
    })
    .await
    .map_err(|e| fail!(Local, "reading {} failed: {e}", path.display()))?
}

/// The MD5 (hex) of the file at `path`, streamed from disk: what the ETag
/// of a single-part object another tool uploaded is.
pub async fn md5_file(path: &Path) -> Result<String, S3Error> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let read = |e: std::io::Error| fail!(Local, "cannot read {}: {e}", p.display());
        let mut file = std::fs::File::open(&p).map_err(read)?;
        let mut hasher = md5::Md5::new();
        let mut buf = vec![0u8; BUF];
        loop {
            let n = file.read(&mut buf).map_err(read)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex::encode(hasher.finish()))
    })
    .await
    .map_err(|e| fail!(Local, "hashing {} failed: {e}", path.display()))?
}
