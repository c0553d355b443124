//! `runsheet archive JOURNAL s3://bucket/prefix`: a session's evidence put
//! where it cannot be edited away: the journal, its signature (when it is
//! signed) and the report, Markdown and HTML, uploaded under
//! `prefix/NAME.*`, each read back and compared with what was sent.
//!
//! Where the bucket has S3 Object Lock, every object is written with a
//! retention in compliance mode (nobody, the account's root included, can
//! delete it or shorten it before its date); where it has not, the upload
//! says so plainly: those copies can be deleted. The S3 client is the one
//! s3 steps use, from runsheet's own environment (`AWS_ENDPOINT_URL`,
//! keys or a profile).

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::ObjectLockMode;
use sha2::{Digest, Sha256};

use crate::s3::conn::{Conn, connect_with};

/// What to archive where, and for how long.
pub struct Archive {
    pub journal: PathBuf,
    /// `s3://bucket/prefix`.
    pub to: String,
    /// Days of compliance retention; None: the bucket's default rule.
    pub retain_days: Option<u32>,
    /// Refuse a bucket without Object Lock rather than upload unprotected.
    pub require_lock: bool,
}

/// One object archived.
#[derive(Debug)]
pub struct Stored {
    pub key: String,
    pub bytes: usize,
    pub sha256: String,
    /// Until when it cannot be deleted, when it cannot.
    pub retained_until: Option<String>,
}

/// How the bucket protects what is archived.
enum Lock {
    /// Per-object retention, this many days.
    Days(u32),
    /// The bucket's default rule applies (compliance or governance), as
    /// it says.
    BucketDefault(String),
    None,
}

pub async fn archive(a: &Archive) -> Result<String, String> {
    let url = crate::runbook::actions::s3::parse_s3_url(&a.to)
        .ok_or_else(|| format!("`{}` is not an S3 address: write s3://bucket/prefix", a.to))?;
    let verified = crate::journal::verify(&a.journal).map_err(|e| e.to_string())?;
    if let Some(why) = &verified.not_a_journal {
        return Err(format!(
            "{} is not a runsheet journal: {why}",
            a.journal.display()
        ));
    }
    if let Some(b) = &verified.first_break {
        return Err(format!(
            "{} fails verification at line {} ({}): a broken journal is not archived as evidence",
            a.journal.display(),
            b.line,
            b.reason
        ));
    }
    let files = gather(&a.journal)?;
    let env = |n: &str| std::env::var(n).ok();
    let conn = connect_with(&env, "archive".into(), false)
        .await
        .map_err(|e| e.to_string())?;
    let lock = lock_of(&conn, &url.bucket, a.retain_days).await?;
    let warning = match &lock {
        Lock::None if a.require_lock => {
            return Err(format!(
                "bucket {} has no S3 Object Lock, and --require-lock asks for it: nothing was uploaded. A bucket gets it at creation (`aws s3api create-bucket --bucket … --object-lock-enabled-for-bucket`)",
                url.bucket
            ));
        }
        Lock::None => Some(format!(
            "⚠ bucket {} has no S3 Object Lock: these copies can be deleted or overwritten by anyone with write access. For evidence that cannot be, archive to a bucket created with Object Lock (`aws s3api create-bucket --bucket … --object-lock-enabled-for-bucket`)",
            url.bucket
        )),
        _ => None,
    };
    let prefix = url.key.trim_end_matches('/');
    let mut stored = Vec::new();
    for (name, body) in &files {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        stored.push(put(&conn, &url.bucket, &key, body, &lock).await?);
    }
    Ok(render(
        &url.bucket,
        &stored,
        &lock,
        warning.as_deref(),
        &verified,
    ))
}

/// The journal, its signature, and its report in both formats, by the
/// names they get in the bucket.
fn gather(journal: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let name = Some(crate::journal::paths::session_name(journal))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "session".into());
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mut files = vec![(format!("{name}.jsonl"), read(journal)?)];
    let sig = crate::journal::paths::sig_path(journal);
    if sig.exists() {
        files.push((format!("{name}.jsonl.sig"), read(&sig)?));
    }
    for (format, ext) in [
        (crate::report::Format::Markdown, "md"),
        (crate::report::Format::Html, "html"),
    ] {
        let text = crate::report::write(journal, format).map_err(|e| e.to_string())?;
        files.push((format!("{name}.{ext}"), text.into_bytes()));
    }
    Ok(files)
}

async fn lock_of(conn: &Conn, bucket: &str, days: Option<u32>) -> Result<Lock, String> {
    let got = conn
        .client
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await;
    let config = match got {
        Ok(out) => out.object_lock_configuration,
        Err(e) => {
            let f = crate::s3::error::Failure::of(&e);
            // No lock configuration is an answer: the bucket has none.
            if f.code() == "ObjectLockConfigurationNotFoundError" {
                None
            } else {
                return Err(crate::s3::error::explain(
                    conn,
                    "read the Object Lock settings of",
                    bucket,
                    &format!("s3://{bucket}"),
                    &f,
                ));
            }
        }
    };
    let enabled = config
        .as_ref()
        .and_then(|c| c.object_lock_enabled.as_ref())
        .is_some_and(|e| e.as_str() == "Enabled");
    if !enabled {
        return Ok(Lock::None);
    }
    if let Some(d) = days {
        return Ok(Lock::Days(d));
    }
    let default = config
        .as_ref()
        .and_then(|c| c.rule.as_ref())
        .and_then(|r| r.default_retention.as_ref());
    match default {
        Some(d) => Ok(Lock::BucketDefault(format!(
            "{} for {}",
            d.mode.as_ref().map_or("retention", |m| m.as_str()),
            d.days
                .map(|n| format!("{n} days"))
                .or_else(|| d.years.map(|n| format!("{n} years")))
                .unwrap_or_else(|| "its period".into())
        ))),
        None => Err(format!(
            "bucket {bucket} has Object Lock but no default retention: say how long the evidence must be kept with --retain-days N (or `retain-days:` under `archive:` in the config). Compliance mode means nobody, the account's root included, can delete it before then"
        )),
    }
}

async fn put(
    conn: &Conn,
    bucket: &str,
    key: &str,
    body: &[u8],
    lock: &Lock,
) -> Result<Stored, String> {
    let sha = hex::encode(Sha256::digest(body));
    let md5 = crate::s3::base64::encode(&crate::s3::md5::digest(body));
    let mut req = conn
        .client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_md5(md5)
        .metadata("sha256", &sha)
        .body(ByteStream::from(body.to_vec()));
    let mut until = None;
    if let Lock::Days(days) = lock {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_add(u64::from(*days) * 86_400);
        let date = DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
        req = req
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(date);
        until = Some(date);
    }
    let what = format!("s3://{bucket}/{key}");
    req.send().await.map_err(|e| {
        crate::s3::error::explain(
            conn,
            "archive to",
            bucket,
            &what,
            &crate::s3::error::Failure::of(&e),
        )
    })?;
    // Read back: what is in the bucket is what was meant to be.
    let got = conn
        .client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            crate::s3::error::explain(
                conn,
                "read back",
                bucket,
                &what,
                &crate::s3::error::Failure::of(&e),
            )
        })?;
    let retained = got.object_lock_retain_until_date.or(until);
    let bytes = got
        .body
        .collect()
        .await
        .map_err(|e| format!("reading back {what}: {e}"))?
        .into_bytes();
    let back = hex::encode(Sha256::digest(&bytes));
    if back != sha {
        return Err(format!(
            "{what} reads back with SHA-256 {back}, not the {sha} sent: the archive is not to be trusted; try again"
        ));
    }
    Ok(Stored {
        key: key.to_string(),
        bytes: body.len(),
        sha256: sha,
        retained_until: retained.map(|d| {
            d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
                .unwrap_or_else(|_| d.secs().to_string())
        }),
    })
}

fn render(
    bucket: &str,
    stored: &[Stored],
    lock: &Lock,
    warning: Option<&str>,
    verified: &crate::journal::VerifyReport,
) -> String {
    let mut out = format!(
        "archived to s3://{bucket} ({} records, final hash {}), each read back and compared:\n",
        verified.records,
        verified.final_hash.as_deref().unwrap_or("none")
    );
    for s in stored {
        let kept = match (&s.retained_until, lock) {
            (Some(u), _) => format!(", cannot be deleted before {u} (compliance)"),
            (None, Lock::BucketDefault(rule)) => format!(", kept by the bucket's rule ({rule})"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {}  {} bytes  sha256 {}{kept}\n",
            s.key, s.bytes, s.sha256
        ));
    }
    if let Some(w) = warning {
        out.push_str(w);
        out.push('\n');
    }
    out
}
