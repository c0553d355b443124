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
) -> String
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    explain(conn, what, bucket, url, &Failure::of(err))
}
