//! The HTTP client of one step. Certificates are always verified, against
//! the Mozilla roots built into runsheet, the system's store (which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`) and, to trust a private CA, the PEM
//! file named by `RUNSHEET_CA_CERT` (the target's `env` or the process's
//! environment). Redirects are not followed, as in Hurl: a health check
//! answered by a redirect to a login page has not passed, and an
//! `Authorization` header must not follow a redirect to another host.

use std::sync::OnceLock;

use reqwest::{Certificate, Client, Url, redirect};

use super::error::HttpError;
use crate::exec::step::StepCtx;

/// The variable naming extra CA certificates to trust.
pub const CA_CERT_VAR: &str = "RUNSHEET_CA_CERT";

pub fn build(native: &StepCtx, url: &Url) -> Result<Client, HttpError> {
    let mut builder = Client::builder()
        .redirect(redirect::Policy::none())
        .user_agent(concat!("runsheet/", env!("CARGO_PKG_VERSION")));
    if url.scheme() == "https" {
        for cert in system_roots() {
            builder = builder.add_root_certificate(cert.clone());
        }
        if let Some(path) = native.var(CA_CERT_VAR).filter(|p| !p.is_empty()) {
            for cert in ca_file(&path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
    }
    builder.build().map_err(HttpError::Client)
}

/// The same trust as a step's client, for runsheet's own requests (a
/// webhook): the system's roots and the PEM file `RUNSHEET_CA_CERT` names
/// in the process's environment.
pub fn trusting(mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, HttpError> {
    for cert in system_roots() {
        builder = builder.add_root_certificate(cert.clone());
    }
    if let Some(path) = std::env::var(CA_CERT_VAR).ok().filter(|p| !p.is_empty()) {
        for cert in ca_file(&path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// Read once: the store does not change during a session, and reading it
/// costs tens of milliseconds.
fn system_roots() -> &'static [Certificate] {
    static ROOTS: OnceLock<Vec<Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .collect()
    })
}

fn ca_file(path: &str) -> Result<Vec<Certificate>, HttpError> {
    let path = path.to_string();
    let pem = match std::fs::read(&path) {
        Ok(pem) => pem,
        Err(source) => return Err(HttpError::CaUnreadable { path, source }),
    };
    let certs = match Certificate::from_pem_bundle(&pem) {
        Ok(certs) => certs,
        Err(source) => return Err(HttpError::CaNotPem { path, source }),
    };
    if certs.is_empty() {
        return Err(HttpError::CaEmpty { path });
    }
    Ok(certs)
}
