//! The HTTP client under every S3 request: hyper 1 with rustls on ring, the
//! stack the rest of runsheet already links (reqwest, tokio-postgres-rustls).
//! The SDK's own default client would add hyper 0.14, rustls 0.21 and
//! aws-lc-sys (a C build through cmake) for the same job.

use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// HTTPS with the system's trusted roots; plain HTTP for an `http://`
/// endpoint (a local MinIO, a test server) goes through the same client.
pub fn client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
