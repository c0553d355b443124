//! What the server holds: one object's head, or every object under a prefix.

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};

use super::error::{Failure, S3Error};
use super::job::{Job, url};

/// The metadata key runsheet sets on a single-PUT upload, and set on
/// multipart ones before they declared CRC32 parts (`x-amz-meta-sha256`):
/// the whole object's SHA-256, which S3 itself does not keep for a
/// multipart object. `verify sha256=` and downloads check against it.
pub const SHA256_META: &str = "sha256";

/// A multipart upload's SHA-256 is known only once its last part was read,
/// after the metadata was set (at CreateMultipartUpload): it goes in the
/// object's tag of this name once the upload completes.
pub const SHA256_TAG: &str = "runsheet-sha256";

/// Set (to [`SHA256_TAG`]) at CreateMultipartUpload: says the SHA-256 is in
/// that tag, so that only runsheet's own multipart objects cost a tagging
/// request to read it.
pub const SHA256_TAG_META: &str = "sha256-tag";

#[derive(Clone, Debug)]
pub struct Object {
    pub size: u64,
    /// From our metadata or tag, lowercase hex.
    pub sha256: Option<String>,
    /// The server's CRC32: of the whole object, or `CRC-N` composed of
    /// its N parts' CRC32s (what runsheet declares for its uploads).
    pub checksum_crc32: Option<String>,
    /// The server's own SHA-256 of a single-part object, when it keeps one.
    pub checksum_sha256: Option<String>,
    pub etag: Option<String>,
    /// Encrypted with KMS or a customer key: the ETag is then not an MD5.
    pub encrypted: bool,
    pub last_modified: Option<SystemTime>,
}

impl Object {
    /// The MD5 of a single-part, unencrypted object: its ETag.
    pub fn etag_md5(&self) -> Option<String> {
        let tag = self.etag.as_deref()?.trim_matches('"').to_ascii_lowercase();
        (!self.encrypted && tag.len() == 32 && tag.chars().all(|c| c.is_ascii_hexdigit()))
            .then_some(tag)
    }
}

pub fn time(t: Option<&DateTime>) -> Option<SystemTime> {
    t.and_then(|d| SystemTime::try_from(*d).ok())
}

pub fn size(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

pub fn meta_sha256(meta: Option<&HashMap<String, String>>) -> Option<String> {
    meta?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(SHA256_META))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
}

/// Whether the metadata says the SHA-256 is in the object's tag.
pub fn sha256_tagged(meta: Option<&HashMap<String, String>>) -> bool {
    meta.is_some_and(|m| {
        m.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(SHA256_TAG_META) && v.trim() == SHA256_TAG)
    })
}

/// The SHA-256 in the object's tag. None when it has none, or when the
/// tags cannot be read (a provider without tagging, or a user not allowed
/// to read them): the caller then checks what else it can.
pub async fn tagged_sha256(job: &Job<'_>, bucket: &str, key: &str) -> Option<String> {
    let out = job
        .client()
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    out.tag_set()
        .iter()
        .find(|t| t.key() == SHA256_TAG)
        .map(|t| t.value().trim().to_ascii_lowercase())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn encrypted(sse: Option<&ServerSideEncryption>, customer_key: bool) -> bool {
    customer_key || sse.is_some_and(|s| !matches!(s, ServerSideEncryption::Aes256))
}

/// The object at `key`; None when there is none (and the bucket exists).
/// `what` says what the caller was doing, for errors.
pub async fn head(
    job: &Job<'_>,
    bucket: &str,
    key: &str,
    what: &str,
) -> Result<Option<Object>, S3Error> {
    let sent = job
        .client()
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await;
    match sent {
        Ok(o) => Ok(Some(Object {
            size: size(o.content_length()),
            sha256: match meta_sha256(o.metadata()) {
                Some(h) => Some(h),
                None if sha256_tagged(o.metadata()) => tagged_sha256(job, bucket, key).await,
                None => None,
            },
            checksum_crc32: o.checksum_crc32().map(str::to_string),
            checksum_sha256: o.checksum_sha256().map(str::to_string),
            etag: o.e_tag().map(str::to_string),
            encrypted: encrypted(
                o.server_side_encryption(),
                o.sse_customer_algorithm().is_some(),
            ),
            last_modified: time(o.last_modified()),
        })),
        Err(e) => {
            let f = Failure::of(&e);
            let here = url(bucket, key);
            // A HEAD answer has no body, so no reason: a 404 may be the key
            // or the bucket, a 403 a refusal or unknown credentials. Listing
            // says which.
            if f.code.is_none() || f.is_not_found() || f.code() == "Forbidden" {
                if let Some(cause) = probe(job, bucket, key).await {
                    return Err(S3Error::sdk(&job.conn, what, bucket, &here, cause));
                }
                if f.is_not_found() {
                    return Ok(None);
                }
            }
            Err(S3Error::sdk(&job.conn, what, bucket, &here, f))
        }
    }
}

/// Why the bucket cannot be used, if listing it says so.
async fn probe(job: &Job<'_>, bucket: &str, key: &str) -> Option<Failure> {
    let listed = job
        .client()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(key)
        .max_keys(1)
        .send()
        .await;
    let f = Failure::of(&listed.err()?);
    matches!(
        f.code(),
        "NoSuchBucket"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken"
            | "PermanentRedirect"
            | "AuthorizationHeaderMalformed"
    )
    .then_some(f)
}

#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
}

/// Every object whose key starts with `prefix`, in key order.
pub async fn list(
    job: &Job<'_>,
    bucket: &str,
    prefix: &str,
    what: &str,
) -> Result<Vec<Listed>, S3Error> {
    let mut pages = job
        .client()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| job.error(what, bucket, &url(bucket, prefix), &e))?;
        for o in page.contents() {
            out.push(Listed {
                key: o.key().unwrap_or_default().to_string(),
                size: size(o.size()),
                last_modified: time(o.last_modified()),
            });
        }
    }
    Ok(out)
}

/// `2025-03-01 14:02:11` (UTC), for listings.
pub fn when(t: Option<SystemTime>) -> String {
    t.and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".repeat(19))
}

/// How long ago `t` was (zero for a time ahead of this machine's clock).
pub fn age(t: SystemTime) -> std::time::Duration {
    SystemTime::now().duration_since(t).unwrap_or_default()
}
