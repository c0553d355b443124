//! The buckets a rehearsal needs, made in the sandbox's S3 (moto) at start:
//! those `sandbox: buckets:` lists and every one the runbook's s3 steps
//! name, each `$VAR` taken from the sandbox's values. Without them a
//! newcomer's first upload fails on NoSuchBucket, a bucket nobody told
//! them to make.

use std::collections::HashMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use super::SandboxError;
use crate::runbook::Runbook;
use crate::runbook::model::{ActionKind, S3Op};
use crate::runbook::vars::{expand, references};

/// Every bucket named in the runbook: `sandbox: buckets:` first, then the
/// s3 steps' in document order, as written (`$S3_BUCKET`), each once.
pub fn named(rb: &Runbook) -> Vec<String> {
    let mut out: Vec<String> = rb
        .sandbox
        .as_ref()
        .map(|s| s.buckets.clone())
        .unwrap_or_default();
    let actions = rb
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .flat_map(|s| &s.actions);
    for action in actions {
        let ActionKind::S3(ops) = &action.kind else {
            continue;
        };
        for op in ops {
            let url = match op {
                S3Op::Upload { to, .. } => to,
                S3Op::Download { from, .. } => from,
                S3Op::List { at } | S3Op::Verify { at, .. } | S3Op::Delete { at } => at,
            };
            out.push(url.bucket.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|b| seen.insert(b.clone()));
    out
}

/// What making the buckets did: made (or already there), and those that
/// could not be named (a variable the sandbox does not set).
#[derive(Debug, Default)]
pub struct Made {
    pub made: Vec<String>,
    pub unnamed: Vec<String>,
}

/// Makes each bucket of `names`, expanded with `env`, on the S3 server at
/// `endpoint`.
pub fn make(
    endpoint: &str,
    names: &[String],
    env: &[(String, String)],
) -> Result<Made, SandboxError> {
    let values: HashMap<String, String> = env.iter().cloned().collect();
    let mut out = Made::default();
    let mut wanted = Vec::new();
    for name in names {
        let bucket = expand(name, &values, &|_| None);
        if references(&bucket).is_empty() && !bucket.contains('$') && !bucket.is_empty() {
            if !wanted.contains(&bucket) {
                wanted.push(bucket);
            }
        } else {
            out.unnamed.push(name.clone());
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SandboxError::io("cannot start the S3 client", e))?;
    let client = client(endpoint);
    rt.block_on(async {
        for bucket in wanted {
            match client.create_bucket().bucket(&bucket).send().await {
                Ok(_) => {}
                Err(e) => {
                    let code = e
                        .as_service_error()
                        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                        .unwrap_or_default()
                        .to_string();
                    // Kept from a run before (a restart keeps nothing, but
                    // two names may expand to one bucket).
                    if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
                        return Err(SandboxError::Tool {
                            what: format!(
                                "making the bucket {bucket} in the sandbox's S3 ({endpoint})"
                            ),
                            stderr: format!("{}", aws_sdk_s3::error::DisplayErrorContext(&e)),
                        });
                    }
                }
            }
            out.made.push(bucket);
        }
        Ok(out)
    })
}

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::s3::https::client())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "sandbox", "sandbox", None, None, "sandbox",
        ))
        .force_path_style(true)
        .build();
    Client::from_conf(config)
}
