//! Why an `http` step could not be tried at all (its request or client
//! cannot be built) or could not be journaled: a failure of the step, not
//! an answer that failed its checks (that is a `Verdict::Failed`).

use super::client::CA_CERT_VAR;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// `place` (the URL, a header) refers to variables nobody set.
    #[error("{}", unset(place, names))]
    Unset { place: String, names: Vec<String> },
    /// The URL, filled in and masked as `shown`, does not parse.
    #[error("`{shown}` is not a usable URL: {reason}")]
    BadUrl { shown: String, reason: String },
    #[error("`{0}` is not an http:// or https:// URL (after filling in variables)")]
    NotHttp(String),
    #[error("`{0}` is not an HTTP method")]
    BadMethod(String),
    #[error("`{0}` is not a header name")]
    BadHeaderName(String),
    /// Header `0`'s value holds a character a header cannot carry.
    #[error("the {0} header's value has characters a header cannot carry (a line break?)")]
    BadHeaderValue(String),
    /// The CA file named by `RUNSHEET_CA_CERT` cannot be read.
    #[error("cannot read {CA_CERT_VAR}={path}: {source}")]
    CaUnreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("{CA_CERT_VAR}={path} is not a PEM certificate file: {source}")]
    CaNotPem {
        path: String,
        source: reqwest::Error,
    },
    #[error("{CA_CERT_VAR}={path} holds no certificate (expected -----BEGIN CERTIFICATE-----)")]
    CaEmpty { path: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(reqwest::Error),
    /// The session ended before the result could be journaled.
    #[error("the session stopped")]
    SessionStopped,
}

fn unset(place: &str, names: &[String]) -> String {
    match names {
        [one] => format!(
            "{place} uses ${one}, which is not set (declare it in the runbook's variables or the target's env)"
        ),
        many => format!(
            "{place} uses {}, which are not set (declare them in the runbook's variables or the target's env)",
            many.iter()
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
