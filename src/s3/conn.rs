//! The S3 client of one action, configured from the step's environment
//! first (a target's `env:` declares the endpoint and keys of *its*
//! provider), then from the standard AWS chain (process environment,
//! profiles, SSO, instance roles).

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};

use super::error::S3Error;
use crate::exec::step::StepCtx;

const DEFAULT_REGION: &str = "us-east-1";

pub struct Conn {
    pub client: Client,
    pub target: String,
    /// A custom endpoint (Scaleway, MinIO, OVH …), for messages.
    pub endpoint: Option<String>,
    pub region: String,
    /// Where the credentials come from, for messages that say what to check.
    pub credentials: &'static str,
}

pub async fn connect(native: &StepCtx) -> Result<Conn, S3Error> {
    let in_step = native.env.iter().any(|(k, _)| k == "AWS_ACCESS_KEY_ID");
    connect_with(&|name| native.var(name), native.target.clone(), in_step).await
}

/// A client from these variables (a step's, or runsheet's own
/// environment for `archive`); `in_step`: the keys are the target's.
pub async fn connect_with(
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    target: String,
    in_step: bool,
) -> Result<Conn, S3Error> {
    let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(S3Error::Settings(format!(
            "the S3 endpoint of target `{target}` is `{e}`, not a URL: set AWS_ENDPOINT_URL to \
             https://… (e.g. https://s3.fr-par.scw.cloud)"
        )));
    }
    // A part that fails is retried a few times before the upload stops
    // (resumable): more than the default, as a part is costly to lose.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(super::https::client())
        .retry_config(RetryConfig::standard().with_max_attempts(4));
    if let Some(region) = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")) {
        loader = loader.region(Region::new(region));
    }
    if let Some(e) = &endpoint {
        loader = loader.endpoint_url(e.trim_end_matches('/'));
    }
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            let token = var("AWS_SESSION_TOKEN");
            loader = loader.credentials_provider(Credentials::new(id, secret, token, None, "env"));
            if in_step {
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the target's env: or the runbook's variables"
            } else {
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of runsheet's environment"
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(S3Error::Settings(format!(
                "target `{target}` sets only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: \
                 set both (in the target's env: or the environment), or neither to use a profile"
            )));
        }
        (None, None) => match var("AWS_PROFILE") {
            Some(profile) => {
                loader = loader.profile_name(profile);
                "the AWS profile in AWS_PROFILE"
            }
            None => "the default AWS credential chain (environment, ~/.aws, SSO, instance role)",
        },
    };
    let sdk = loader.load().await;
    let region = sdk
        .region()
        .map_or_else(|| DEFAULT_REGION.to_string(), ToString::to_string);
    // S3-compatible providers rarely resolve bucket subdomains of a custom
    // endpoint (and never on localhost): path-style unless told otherwise.
    let path_style = match var("AWS_S3_FORCE_PATH_STYLE") {
        Some(v) => matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        None => endpoint.is_some(),
    };
    // Integrity comes from the digests runsheet computes itself off the
    // runtime's thread and sends as plain headers (a small file's
    // Content-MD5, each part's CRC32) and the SHA-256 checked on download;
    // the SDK's own CRC trailers (aws-chunked bodies) are what several
    // S3-compatible providers reject, so it adds checksums only where an
    // operation requires one. One behaviour for every provider, AWS
    // included, is also the one that is tested.
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .region(Region::new(region.clone()))
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    Ok(Conn {
        client: Client::from_conf(config),
        target,
        endpoint,
        region,
        credentials,
    })
}

impl Conn {
    /// `endpoint http://127.0.0.1:9000` or `AWS S3 (eu-west-3)`.
    pub fn server(&self) -> String {
        match &self.endpoint {
            Some(e) => format!("endpoint {e}"),
            None => format!("AWS S3 ({})", self.region),
        }
    }
}
