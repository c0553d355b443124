//! `list` and `verify`: what is at a key or under a prefix, and whether it
//! is what the runbook expects (the backup exists, is not empty, is less
//! than 30 minutes old, has this SHA-256) before anything depends on it.

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::base64;
use super::error::{S3Error, fail};
use super::job::{Job, url};
use super::remote::{self, Object};
use super::tuning::human_bytes;
use crate::runbook::duration::format_duration;
use crate::runbook::model::{Comparison, S3Check, S3Url};

/// Lines of a listing shown (and journaled as data); the count is whole.
const LIST_SHOWN: usize = 1000;

pub async fn list(job: &Job<'_>, at: &S3Url) -> Result<Value, S3Error> {
    let here = url(&at.bucket, &at.key);
    let what = format!("cannot list {here}");
    let objects = remote::list(job, &at.bucket, &at.key, &what).await?;
    let total: u64 = objects.iter().map(|o| o.size).sum();
    let mut text = format!("list {here}\n");
    for o in objects.iter().take(LIST_SHOWN) {
        text.push_str(&format!(
            "  {}  {:>10}  {}\n",
            remote::when(o.last_modified),
            human_bytes(o.size),
            o.key
        ));
    }
    if objects.len() > LIST_SHOWN {
        text.push_str(&format!("  … and {} more\n", objects.len() - LIST_SHOWN));
    }
    text.push_str(&match objects.len() {
        0 => "no objects\n".to_string(),
        1 => format!("1 object, {}\n", human_bytes(total)),
        n => format!("{n} objects, {}\n", human_bytes(total)),
    });
    job.print(text).await;
    let shown: Vec<Value> = objects
        .iter()
        .take(LIST_SHOWN)
        .map(|o| {
            json!({"key": o.key, "size": o.size, "last_modified": remote::when(o.last_modified)})
        })
        .collect();
    Ok(json!({
        "op": "list",
        "at": here,
        "objects": objects.len(),
        "bytes": total,
        "keys": shown,
        "truncated": objects.len() > LIST_SHOWN,
    }))
}

/// What a verify found at its URL.
enum Found {
    Object(Option<Object>),
    /// A prefix: how many objects, their total size, the newest one's age.
    Prefix {
        count: usize,
        bytes: u64,
        newest: Option<Duration>,
    },
}

/// The report, and why it failed if it did.
pub async fn verify(
    job: &Job<'_>,
    at: &S3Url,
    checks: &[S3Check],
) -> Result<(Value, Option<String>), S3Error> {
    let here = url(&at.bucket, &at.key);
    let what = format!("cannot verify {here}");
    let found = if at.key.is_empty() || at.key.ends_with('/') {
        let objects = remote::list(job, &at.bucket, &at.key, &what).await?;
        Found::Prefix {
            count: objects.len(),
            bytes: objects.iter().map(|o| o.size).sum(),
            newest: objects
                .iter()
                .filter_map(|o| o.last_modified)
                .max()
                .map(remote::age),
        }
    } else {
        Found::Object(remote::head(job, &at.bucket, &at.key, &what).await?)
    };
    let mut text = format!("verify {here}\n");
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for check in checks {
        let (passed, actual) = judge(job, at, &found, check).await?;
        let label = label(check);
        let mark = if passed { "ok    " } else { "FAILED" };
        let shown = match check {
            S3Check::Age(..) if !actual.ends_with(" old") => format!("{actual} old"),
            _ => actual.clone(),
        };
        text.push_str(&format!("  {mark}  {label}  ({shown})\n"));
        if !passed {
            failed.push(format!("{label} ({actual})"));
        }
        results.push(json!({"check": label, "passed": passed, "actual": actual}));
    }
    job.print(text).await;
    let report = json!({"op": "verify", "at": here, "checks": results});
    let why = (!failed.is_empty()).then(|| format!("verify {here}: {}", failed.join(", ")));
    Ok((report, why))
}

/// Whether `check` holds, and what was found.
async fn judge(
    job: &Job<'_>,
    at: &S3Url,
    found: &Found,
    check: &S3Check,
) -> Result<(bool, String), S3Error> {
    let missing = |what: &str| (false, what.to_string());
    Ok(match (found, check) {
        (Found::Object(None), S3Check::Exists) => missing("missing"),
        (Found::Object(None), _) => missing("the object does not exist"),
        (Found::Object(Some(_)), S3Check::Exists) => (true, "exists".into()),
        (Found::Prefix { count: 0, .. }, _) => missing("no object under the prefix"),
        (Found::Prefix { count, .. }, S3Check::Exists) => (true, format!("{count} objects")),
        (Found::Object(Some(o)), S3Check::Size(op, n)) => size_check(o.size, *op, *n),
        (Found::Prefix { bytes, count, .. }, S3Check::Size(op, n)) => {
            let (ok, shown) = size_check(*bytes, *op, *n);
            (ok, format!("{shown} in {count} objects"))
        }
        (Found::Object(Some(o)), S3Check::Age(op, limit)) => match o.last_modified {
            Some(t) => age_check(remote::age(t), *op, *limit),
            None => missing("the server gave no modification time"),
        },
        (Found::Prefix { newest, .. }, S3Check::Age(op, limit)) => match newest {
            Some(age) => {
                let (ok, shown) = age_check(*age, *op, *limit);
                (ok, format!("newest object {shown} old"))
            }
            None => missing("the server gave no modification time"),
        },
        (Found::Object(Some(o)), S3Check::Sha256(want)) => {
            let (have, source) = sha256_of(job, at, o).await?;
            (have == *want, format!("{have}, {source}"))
        }
        (Found::Prefix { .. }, S3Check::Sha256(_)) => {
            missing("a prefix has no single sha256: verify one object")
        }
    })
}

fn size_check(size: u64, op: Comparison, n: u64) -> (bool, String) {
    let shown = if size < 1024 {
        format!("{size} B")
    } else {
        format!("{}, {size} bytes", human_bytes(size))
    };
    (compare(u128::from(size), op, u128::from(n)), shown)
}

fn age_check(age: Duration, op: Comparison, limit: Duration) -> (bool, String) {
    (
        compare(age.as_millis(), op, limit.as_millis()),
        format_duration(age),
    )
}

fn compare(a: u128, op: Comparison, b: u128) -> bool {
    match op {
        Comparison::Eq => a == b,
        Comparison::Ne => a != b,
        Comparison::Lt => a < b,
        Comparison::Le => a <= b,
        Comparison::Gt => a > b,
        Comparison::Ge => a >= b,
    }
}

/// `size>0`, `age<30m`: the check as the runbook reads.
pub fn label(check: &S3Check) -> String {
    match check {
        S3Check::Exists => "exists".into(),
        S3Check::Size(op, n) => format!("size{}{n}", symbol(*op)),
        S3Check::Age(op, d) => format!("age{}{}", symbol(*op), format_duration(*d)),
        S3Check::Sha256(h) => format!("sha256={h}"),
    }
}

fn symbol(op: Comparison) -> &'static str {
    match op {
        Comparison::Eq => "=",
        other => other.symbol(),
    }
}

/// The object's SHA-256 (hex) and where it came from: the metadata
/// runsheet set at upload, the server's own checksum of a single-part
/// object, else the object itself, read and hashed.
async fn sha256_of(
    job: &Job<'_>,
    at: &S3Url,
    o: &Object,
) -> Result<(String, &'static str), S3Error> {
    if let Some(h) = &o.sha256 {
        return Ok((h.clone(), "stored at upload"));
    }
    if let Some(raw) = o.checksum_sha256.as_deref().filter(|c| !c.contains('-'))
        && let Some(bytes) = base64::decode(raw).filter(|b| b.len() == 32)
    {
        return Ok((hex::encode(bytes), "the server's checksum"));
    }
    job.print(format!(
        "  reading {} to compute its sha256 (it has no stored checksum)…\n",
        human_bytes(o.size)
    ))
    .await;
    let here = url(&at.bucket, &at.key);
    let out = job
        .client()
        .get_object()
        .bucket(&at.bucket)
        .key(&at.key)
        .send()
        .await
        .map_err(|e| job.error(&format!("cannot read {here}"), &at.bucket, &here, &e))?;
    let mut body = out.body;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| fail!(Transfer, "cannot read {here}: the transfer broke off: {e}"))?
    {
        hasher.update(&chunk);
    }
    Ok((hex::encode(hasher.finalize()), "computed from the object"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_read_as_written() {
        assert_eq!(label(&S3Check::Size(Comparison::Gt, 0)), "size>0");
        assert_eq!(
            label(&S3Check::Age(Comparison::Lt, Duration::from_secs(1800))),
            "age<30m"
        );
        assert_eq!(label(&S3Check::Exists), "exists");
    }

    #[test]
    fn ages_and_sizes_compare() {
        let half_hour = Duration::from_secs(1800);
        let (ok, shown) = age_check(Duration::from_secs(12 * 60), Comparison::Lt, half_hour);
        assert!(ok);
        assert_eq!(shown, "12m");
        assert!(!age_check(Duration::from_secs(3600), Comparison::Lt, half_hour).0);
        assert!(size_check(1, Comparison::Gt, 0).0);
        assert!(!size_check(0, Comparison::Gt, 0).0);
    }
}
