//! SDK errors as one line an operator can act on: the target, the bucket or
//! key, the cause the provider gave (its error code and message, unwrapped
//! from the SDK's layers), and what to check.

use std::error::Error;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::conn::Conn;

/// What went wrong, without the SDK's types.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The provider's error code (`NoSuchBucket`, `AccessDenied` …); HEAD
    /// responses have no body, hence none, and only a status.
    pub code: Option<String>,
    pub status: Option<u16>,
    pub message: String,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The server answered with an error.
    Service,
    /// No answer: connection refused, DNS, TLS.
    Unreachable,
    Timeout,
    /// No usable credentials before anything was sent.
    Credentials,
    Other,
}

impl Failure {
    pub fn of<E>(err: &SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (kind, code, message) = match err {
            SdkError::ServiceError(ctx) => {
                let e = ctx.err();
                let code = e.code().map(str::to_string);
                match (e.message(), &code, status) {
                    (Some(m), _, _) => (Kind::Service, code, m.to_string()),
                    // A success the SDK could not read: the answer is not
                    // what S3 sends.
                    (None, None, Some(200..=299)) => (Kind::Other, None, innermost(e)),
                    // A HEAD answer has no body, hence no message.
                    (None, _, _) => (Kind::Service, code, String::new()),
                }
            }
            SdkError::TimeoutError(_) => (Kind::Timeout, None, innermost(err)),
            SdkError::DispatchFailure(d) if d.is_timeout() => (Kind::Timeout, None, innermost(err)),
            SdkError::DispatchFailure(_) => (Kind::Unreachable, None, innermost(err)),
            _ => {
                let full = DisplayErrorContext(err).to_string();
                let kind = if full.to_ascii_lowercase().contains("credential") {
                    Kind::Credentials
                } else {
                    Kind::Other
                };
                (kind, None, full)
            }
        };
        Failure {
            code,
            status,
            message,
            kind,
        }
    }

    /// The error code, else one read from the status of a bodiless answer.
    pub fn code(&self) -> &str {
        match (&self.code, self.status) {
            (Some(c), _) => c,
            (None, Some(404)) => "NotFound",
            (None, Some(403)) => "Forbidden",
            (None, Some(301)) => "PermanentRedirect",
            (None, Some(400)) => "BadRequest",
            _ => "",
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.code(), "NotFound" | "NoSuchKey" | "404")
    }
}

/// The last error of `err`'s source chain: the one that says what happened
/// (`Connection refused`), below the SDK's wrappers.
fn innermost(err: &(dyn Error + 'static)) -> String {
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    e.to_string()
}

/// One line: `{what} on target `t` (endpoint …): {cause}; {what to check}`.
/// `what` says what was attempted (`cannot upload to s3://b/k`), `bucket`
/// and `url` name what it was about.
pub fn explain(conn: &Conn, what: &str, bucket: &str, url: &str, f: &Failure) -> String {
    let at = format!("{what} on target `{}` ({})", conn.target, conn.server());
    let creds = conn.credentials;
    match f.kind {
        Kind::Unreachable => {
            return format!(
                "{at}: cannot reach the server: {}; check AWS_ENDPOINT_URL and the network",
                f.message
            );
        }
        Kind::Timeout => {
            return format!(
                "{at}: the server did not answer in time ({}); check the endpoint and the network",
                f.message
            );
        }
        Kind::Credentials => {
            return format!(
                "{at}: no usable AWS credentials ({}); set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY in the target's env:, or AWS_PROFILE",
                f.message
            );
        }
        Kind::Service | Kind::Other => {}
    }
    let said = if f.message.is_empty() {
        String::new()
    } else {
        format!(" (the server says: {})", f.message)
    };
    match f.code() {
        "NoSuchBucket" => format!(
            "{at}: bucket `{bucket}` does not exist; check the bucket name, AWS_REGION ({}) and \
             AWS_ENDPOINT_URL",
            conn.region
        ),
        "NoSuchKey" | "NotFound" => format!("{at}: {url} does not exist"),
        "AccessDenied" | "Forbidden" | "AllAccessDisabled" => format!(
            "{at}: access denied to {url}{said}; check that the credentials ({creds}) are \
             allowed this on bucket `{bucket}`"
        ),
        "InvalidAccessKeyId" => format!(
            "{at}: the server does not know this access key{said}; check the credentials \
             ({creds}) for this target"
        ),
        "SignatureDoesNotMatch" => format!(
            "{at}: the secret key does not match the access key{said}; check the credentials \
             ({creds}), AWS_SECRET_ACCESS_KEY in particular"
        ),
        "ExpiredToken" | "TokenRefreshRequired" | "InvalidToken" => format!(
            "{at}: the session token is expired or invalid{said}; renew it (`aws sso login`, \
             or a new AWS_SESSION_TOKEN)"
        ),
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => {
            format!(
                "{at}: bucket `{bucket}` is not in region {}{said}; set AWS_REGION to the \
                 bucket's region",
                conn.region
            )
        }
        "RequestTimeTooSkewed" => format!(
            "{at}: this machine's clock is too far from the server's{said}; fix the clock (NTP)"
        ),
        "BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch" => format!(
            "{at}: the data changed on its way (checksum mismatch){said}; run the step again"
        ),
        "" => format!("{at}: {}", f.message),
        code => format!("{at}: {code}: {}", f.message),
    }
}

/// [`explain`] straight from an SDK error.
pub fn sdk<E>(
    conn: &Conn,
    what: &str,
    bucket: &str,
    url: &str,
    err: &SdkError<E, HttpResponse>,
) -> S3Error
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    S3Error::sdk(conn, what, bucket, url, Failure::of(err))
}

/// Why an `s3` operation failed, as the layers of `s3/` pass it up; the
/// step entry turns its `Display` into the step's error line. Each variant
/// holds the finished sentence (the wording tests compare), and says what
/// failed so a caller can tell, e.g., an unreachable server
/// (`Sdk` with `Kind::Unreachable`) from a checksum mismatch.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The step's settings: endpoint, credentials, tuning, a bucket once
    /// variables are replaced.
    #[error("{0}")]
    Settings(String),
    /// An SDK call failed; `failure.kind` says how, `line` says it all.
    #[error("{line}")]
    Sdk { failure: Failure, line: String },
    /// A local file or folder could not be read or written.
    #[error("{0}")]
    Local(String),
    /// The operation cannot be done as written (a folder to a key that is
    /// not a prefix, nothing to transfer, a key that would land outside).
    #[error("{0}")]
    BadOp(String),
    /// A local file changed while it was being read or uploaded.
    #[error("{0}")]
    LocalChanged(String),
    /// The object changed on the server while it was being downloaded.
    #[error("{0}")]
    RemoteChanged(String),
    /// The bytes are not the ones expected: size, SHA-256, MD5.
    #[error("{0}")]
    Mismatch(String),
    /// A body broke off, or the server sent more than asked for.
    #[error("{0}")]
    Transfer(String),
    /// The server's answer lacks what S3 always sends (upload id, ETag).
    #[error("{0}")]
    Answer(String),
    /// A differing object on a protected target, not to be replaced.
    #[error("{0}")]
    Overwrite(String),
    /// Beyond S3's limits (object size).
    #[error("{0}")]
    TooLarge(String),
    /// The transfer or the session stopped.
    #[error("{0}")]
    Stopped(String),
    /// The session refused to journal a checkpoint.
    #[error("{0}")]
    Checkpoint(String),
    /// The session ended before the step's result was journaled.
    #[error("the session stopped before the result was journaled")]
    NotJournaled,
    /// A file of a folder failed; the others may be on the server.
    #[error("{0}; the folder is partly uploaded: run the step again to upload it all")]
    PartlyUploaded(Box<S3Error>),
    /// A part failed; the parts already sent are kept and journaled.
    #[error(
        "{cause}; {confirmed} of {total} parts are on the server and journaled: run the step again to send the rest"
    )]
    PartsKept {
        cause: Box<S3Error>,
        confirmed: u64,
        total: u64,
    },
    /// A range failed; the ranges already written are kept and journaled.
    #[error(
        "{cause}; {confirmed} of {total} ranges are in {temp} and journaled: run the step again to fetch only the rest"
    )]
    RangesKept {
        cause: Box<S3Error>,
        confirmed: u64,
        total: u64,
        temp: String,
    },
}

impl S3Error {
    /// [`explain`]ed, keeping the failure for callers that match on it.
    pub fn sdk(conn: &Conn, what: &str, bucket: &str, url: &str, failure: Failure) -> S3Error {
        let line = explain(conn, what, bucket, url, &failure);
        S3Error::Sdk { failure, line }
    }
}

/// `S3Error::$variant(format!(…))`: a sentence, filed under what failed.
macro_rules! fail {
    ($variant:ident, $($fmt:tt)*) => {
        $crate::s3::error::S3Error::$variant(format!($($fmt)*))
    };
}
pub(super) use fail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapper_says_its_cause_then_what_is_kept() {
        let cause = || Box::new(fail!(Transfer, "cannot download range 3 of 9: broke off"));
        let parts = S3Error::PartsKept {
            cause: cause(),
            confirmed: 2,
            total: 9,
        };
        assert_eq!(
            parts.to_string(),
            "cannot download range 3 of 9: broke off; 2 of 9 parts are on the server and \
             journaled: run the step again to send the rest"
        );
        let ranges = S3Error::RangesKept {
            cause: cause(),
            confirmed: 4,
            total: 9,
            temp: "/d/.f.runsheet-partial".into(),
        };
        assert_eq!(
            ranges.to_string(),
            "cannot download range 3 of 9: broke off; 4 of 9 ranges are in \
             /d/.f.runsheet-partial and journaled: run the step again to fetch only the rest"
        );
        let folder = S3Error::PartlyUploaded(cause());
        assert!(
            matches!(&folder, S3Error::PartlyUploaded(c) if matches!(**c, S3Error::Transfer(_)))
        );
        assert_eq!(
            folder.to_string(),
            "cannot download range 3 of 9: broke off; the folder is partly uploaded: run the \
             step again to upload it all"
        );
    }
}
