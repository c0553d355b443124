//! One request and its response, within a time budget, reading at most
//! [`MAX_BODY`] of the body; or, when there was no response, why, in words
//! an operator can act on.

use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::Client;
use reqwest::header::HeaderMap;

use super::client::CA_CERT_VAR;
use super::request::Request;
use super::show;

/// Bodies are read up to this much; health endpoints answer in bytes, and a
/// runaway one must not fill memory.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body went on past [`MAX_BODY`].
    pub truncated: bool,
    /// From sending to the end of the body (or the cap).
    pub elapsed: Duration,
}

/// Why an attempt got no (whole) response. Hosts in the text are masked
/// as the request shows them; the variant says what kind of failure it was,
/// so a retry policy or a test need not read the words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoResponse {
    /// Nothing answered within the attempt's budget.
    #[error("no response within {}", show::millis(*budget))]
    Timeout { budget: Duration },
    /// Nothing listens at the host and port.
    #[error("connection refused by {at} (nothing listening there?)")]
    Refused { at: String },
    /// The TLS handshake failed; `why` says how to fix it when it can.
    #[error("TLS with {at} failed: {why}")]
    Tls { at: String, why: String },
    /// Connecting failed otherwise (DNS, unreachable network).
    #[error("cannot connect to {at}: {cause}")]
    Connect { at: String, cause: String },
    /// Connected, then the exchange failed.
    #[error("request to {at} failed: {cause}")]
    Exchange { at: String, cause: String },
    /// The step was cancelled or timed out before any response came.
    #[error("{0}")]
    Stopped(String),
    /// The status line arrived, then the body broke off.
    #[error("{status}, then the body broke off: {cause}")]
    BodyBrokeOff { status: u16, cause: Box<NoResponse> },
}

pub async fn send(
    client: &Client,
    req: &Request,
    budget: Duration,
) -> Result<Response, NoResponse> {
    let started = Instant::now();
    match tokio::time::timeout(budget, exchange(client, req, started)).await {
        Ok(result) => result,
        Err(_) => Err(NoResponse::Timeout { budget }),
    }
}

async fn exchange(
    client: &Client,
    req: &Request,
    started: Instant,
) -> Result<Response, NoResponse> {
    let mut builder = client.request(req.method.clone(), req.url.clone());
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    }
    let mut resp = builder.send().await.map_err(|e| cause(e, req))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| NoResponse::BodyBrokeOff {
        status,
        cause: Box::new(cause(e, req)),
    })? {
        let room = MAX_BODY - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        headers,
        body,
        truncated,
        elapsed: started.elapsed(),
    })
}

/// The innermost reason, named by what failed: connecting, TLS, or the
/// exchange. reqwest's own text would name the URL, secrets and all.
fn cause(e: reqwest::Error, req: &Request) -> NoResponse {
    let at = req.authority();
    let e = e.without_url();
    let mut innermost = req.mask_parsed_host(&e.to_string());
    let mut tls = None;
    let mut refused = false;
    for s in chain(e.source()) {
        innermost = req.mask_parsed_host(&s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            tls = Some(r.clone());
        }
    }
    if let Some(t) = tls {
        return NoResponse::Tls {
            at,
            why: req.mask_parsed_host(&tls_words(&t)),
        };
    }
    if refused {
        return NoResponse::Refused { at };
    }
    if e.is_connect() {
        return NoResponse::Connect {
            at,
            cause: innermost,
        };
    }
    NoResponse::Exchange {
        at,
        cause: innermost,
    }
}

/// Every error under `first`, going into the errors an io::Error wraps:
/// its `source()` skips them (a TLS failure arrives as an io::Error
/// wrapping an io::Error wrapping the rustls error).
fn chain<'a>(
    first: Option<&'a (dyn std::error::Error + 'static)>,
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = first;
    while let Some(e) = next {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

fn tls_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => format!(
            "the server's certificate is not signed by a trusted CA; to trust a private CA, \
             set {CA_CERT_VAR} to its PEM file"
        ),
        rustls::Error::InvalidCertificate(C::NotValidForName)
        | rustls::Error::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            "the server's certificate is for another name".into()
        }
        rustls::Error::InvalidCertificate(C::Expired)
        | rustls::Error::InvalidCertificate(C::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        other => other.to_string(),
    }
}
