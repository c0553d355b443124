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

/// The CRC32 of `data`, big-endian, as S3's `x-amz-checksum-crc32` holds it.
pub fn crc32(data: &[u8]) -> [u8; 4] {
    crc32fast::hash(data).to_be_bytes()
}

/// S3's composite checksum of a multipart object from its parts' CRC32s
/// (base64, in part order): the CRC32 of their concatenation, `-N` for N
/// parts. None when one is not a CRC32.
pub fn crc32_composite(parts: &[&str]) -> Option<String> {
    let mut all = Vec::with_capacity(parts.len() * 4);
    for p in parts {
        let raw = super::base64::decode(p).filter(|r| r.len() == 4)?;
        all.extend_from_slice(&raw);
    }
    Some(format!(
        "{}-{}",
        super::base64::encode(&crc32(&all)),
        parts.len()
    ))
}

/// Whether the server's composite CRC32 is `ours` (`CRC-N`). Some servers
/// (moto) leave out the `-N` in a HEAD answer: then the CRC alone.
pub fn crc32_matches(theirs: &str, ours: &str) -> bool {
    let split = |c: &str| match c.split_once('-') {
        Some((crc, n)) => (crc.to_string(), Some(n.to_string())),
        None => (c.to_string(), None),
    };
    let (their_crc, their_n) = split(theirs.trim());
    let (our_crc, our_n) = split(ours);
    their_crc == our_crc && (their_n.is_none() || their_n == our_n)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_as_s3_writes_it_and_the_composite_of_parts() {
        // zlib's CRC32 of "123456789" is cbf43926.
        assert_eq!(hex::encode(crc32(b"123456789")), "cbf43926");
        let parts = [crc32(b"hello "), crc32(b"world")];
        let b64: Vec<String> = parts.iter().map(|p| crate::s3::base64::encode(p)).collect();
        let refs: Vec<&str> = b64.iter().map(String::as_str).collect();
        let composite = crc32_composite(&refs).unwrap_or_default();
        let mut raw = Vec::new();
        raw.extend_from_slice(&parts[0]);
        raw.extend_from_slice(&parts[1]);
        assert_eq!(
            composite,
            format!("{}-2", crate::s3::base64::encode(&crc32(&raw)))
        );
        assert!(crc32_matches(&composite, &composite));
        assert!(crc32_matches(composite.trim_end_matches("-2"), &composite));
        assert!(!crc32_matches(&composite.replace("-2", "-3"), &composite));
        assert!(!crc32_matches("AAAAAA==-2", &composite));
        assert_eq!(crc32_composite(&["not base64!"]), None);
    }
}
