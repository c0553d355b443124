//! A target's database: its connection string read as libpq reads it
//! (URL or `key=value`, PG* environment variables for what it leaves out,
//! `sslmode` up to `verify-full`), connecting with TLS when asked, and
//! errors that name the target and say what to check.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode`, all of it: tokio-postgres knows only the first three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// libpq's default: TLS if the server offers it, unverified.
    Prefer,
    /// TLS, certificate not verified (libpq's meaning).
    Require,
    /// TLS, certificate chain verified, host name not.
    VerifyCa,
    /// TLS, chain and host name verified.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "disable" | "allow" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "unknown sslmode `{other}` (use disable, prefer, require, verify-ca or verify-full)"
                ));
            }
        })
    }
}

/// How to reach one target's database.
#[derive(Clone)]
pub struct DbConfig {
    pub target: String,
    pg: Config,
    ssl: SslMode,
    root_cert: Option<PathBuf>,
}

/// Drives a connection, passing its notifications on; ends with it.
async fn forward_notifications<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    tx: tokio::sync::mpsc::UnboundedSender<tokio_postgres::Notification>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
    while let Some(Ok(message)) = futures::StreamExt::next(&mut messages).await {
        if let tokio_postgres::AsyncMessage::Notification(n) = message
            && tx.send(n).is_err()
        {
            return;
        }
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        write!(f, "DbConfig({}: {})", self.target, self.describe())
    }
}

/// Keys libpq accepts that runsheet handles itself, or that tokio-postgres
/// would refuse.
const OWN_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];
const UNSUPPORTED_KEYS: [&str; 4] = ["sslcert", "sslkey", "sslpassword", "passfile"];

impl DbConfig {
    /// Reads `conn` (a URL or `key=value` string; `None`: only the PG*
    /// variables), filling what it leaves out from `env` as libpq does.
    pub fn parse(
        target: &str,
        conn: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<DbConfig, DbError> {
        let bad = |why: String| DbError::BadConnectionString {
            target: target.to_string(),
            why,
        };
        let (rest, own) = match conn.map(str::trim) {
            Some(c) if !c.is_empty() => split_own_keys(c).map_err(bad)?,
            _ => (String::new(), Vec::new()),
        };
        let mut pg = if rest.is_empty() {
            Config::new()
        } else {
            Config::from_str(&rest).map_err(|e| {
                bad(format!(
                    "cannot read the connection string ({e}); write it as \
                     postgresql://user:password@host:port/dbname or host=… dbname=…"
                ))
            })?
        };
        let get = |k: &str| own.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let ssl = match get("sslmode").or_else(|| env("PGSSLMODE")) {
            Some(m) => m.parse::<SslMode>().map_err(bad)?,
            None => SslMode::Prefer,
        };
        let root_cert = get("sslrootcert")
            .or_else(|| env("PGSSLROOTCERT"))
            .map(PathBuf::from);
        // tokio-postgres fills in 5432 for a URL without a port, where libpq
        // would still take PGPORT.
        if !rest.is_empty()
            && !mentions_port(&rest)
            && let Some(port) = env("PGPORT").and_then(|p| p.parse::<u16>().ok())
        {
            pg = Config::from_str(&with_port(&rest, port)).map_err(|e| bad(e.to_string()))?;
        }
        fill_from_env(&mut pg, env);
        pg.ssl_mode(match ssl {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        if pg.get_connect_timeout().is_none() {
            // An unreachable database fails the step in seconds, not minutes.
            pg.connect_timeout(Duration::from_secs(10));
        }
        if pg.get_application_name().is_none() {
            pg.application_name("runsheet");
        }
        Ok(DbConfig {
            target: target.to_string(),
            pg,
            ssl,
            root_cert,
        })
    }

    /// The password, for redaction: it is never shown or journaled.
    pub fn password(&self) -> Option<String> {
        self.pg
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The network hosts it connects to (names and addresses; a Unix
    /// socket is none).
    pub fn hosts(&self) -> Vec<String> {
        let names = self.pg.get_hosts().iter().filter_map(|h| match h {
            Host::Tcp(name) => Some(name.clone()),
            Host::Unix(_) => None,
        });
        let addrs = self.pg.get_hostaddrs().iter().map(|a| a.to_string());
        names.chain(addrs).collect()
    }

    /// `user@host:port/dbname`, for messages.
    pub fn describe(&self) -> String {
        let host = match self.pg.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{host}:{port}/{}",
            self.pg.get_user().unwrap_or("?"),
            self.pg.get_dbname().unwrap_or("?")
        )
    }

    /// `the database of target `…` (user@host:port/dbname)`, the subject
    /// of connection errors.
    pub fn at(&self) -> String {
        format!(
            "the database of target `{}` ({})",
            self.target,
            self.describe()
        )
    }

    /// Connects; the connection is driven by a task on the current runtime
    /// and ends when the client is dropped.
    pub async fn connect(&self) -> Result<Client, DbError> {
        let fail = |e: tokio_postgres::Error| DbError::connect(self, e);
        if self.ssl == SslMode::Disable {
            let (client, conn) = self.pg.connect(NoTls).await.map_err(fail)?;
            tokio::spawn(conn);
            return Ok(client);
        }
        let tls = MakeRustlsConnect::new(self.tls_config()?);
        let (client, conn) = self.pg.connect(tls).await.map_err(fail)?;
        tokio::spawn(conn);
        Ok(client)
    }

    /// A connection whose server notifications (`LISTEN`) come out of
    /// the receiver, for as long as the connection lives.
    pub async fn connect_listening(
        &self,
    ) -> Result<
        (
            Client,
            tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
        ),
        DbError,
    > {
        let fail = |e: tokio_postgres::Error| DbError::connect(self, e);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        if self.ssl == SslMode::Disable {
            let (client, conn) = self.pg.connect(NoTls).await.map_err(fail)?;
            tokio::spawn(forward_notifications(conn, tx));
            return Ok((client, rx));
        }
        let tls = MakeRustlsConnect::new(self.tls_config()?);
        let (client, conn) = self.pg.connect(tls).await.map_err(fail)?;
        tokio::spawn(forward_notifications(conn, tx));
        Ok((client, rx))
    }

    /// Asks the server to cancel what `token`'s connection is running:
    /// dropping a connection does not stop a query the server is busy with.
    pub async fn cancel(&self, token: tokio_postgres::CancelToken) {
        if self.ssl == SslMode::Disable {
            let _ = token.cancel_query(NoTls).await;
        } else if let Ok(tls) = self.tls_config() {
            let _ = token.cancel_query(MakeRustlsConnect::new(tls)).await;
        }
    }

    fn tls_config(&self) -> Result<ClientConfig, DbError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| DbError::tls(self, e.to_string()))?;
        let algorithms = provider.signature_verification_algorithms;
        let verifier: Arc<dyn ServerCertVerifier> = match self.ssl {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                Arc::new(Unverified { algorithms })
            }
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let roots = self.roots()?;
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| DbError::tls(self, e.to_string()))?;
                Arc::new(ChainVerifier {
                    inner: webpki,
                    check_name: self.ssl == SslMode::VerifyFull,
                })
            }
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    /// `sslrootcert`, else `~/.postgresql/root.crt` (libpq's default),
    /// else the system's certificates.
    fn roots(&self) -> Result<RootCertStore, DbError> {
        let default = directories::BaseDirs::new()
            .map(|d| d.home_dir().join(".postgresql/root.crt"))
            .filter(|p| p.exists());
        let mut roots = RootCertStore::empty();
        match self.root_cert.clone().or(default) {
            Some(path) if path.as_os_str() != "system" => {
                let certs = CertificateDer::pem_file_iter(&path)
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| {
                        DbError::tls(
                            self,
                            format!("cannot read sslrootcert {}: {e}", path.display()),
                        )
                    })?;
                for cert in certs {
                    roots.add(cert).map_err(|e| {
                        DbError::tls(self, format!("bad certificate in {}: {e}", path.display()))
                    })?;
                }
            }
            _ => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        if roots.is_empty() {
            return Err(DbError::tls(
                self,
                "no root certificate to verify the server with; set sslrootcert=/path/to/ca.crt"
                    .into(),
            ));
        }
        Ok(roots)
    }
}

/// Splits off the keys runsheet reads itself from a URL's query or a
/// `key=value` string; refuses client-certificate keys it cannot honour.
fn split_own_keys(conn: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut own = Vec::new();
    let mut keep = |k: &str, v: String| -> Result<bool, String> {
        if UNSUPPORTED_KEYS.contains(&k) {
            return Err(format!(
                "`{k}` is not supported by runsheet yet (client certificates, password files); \
                 use a password in the connection string or PGPASSWORD"
            ));
        }
        if OWN_KEYS.contains(&k) {
            own.push((k.to_string(), v));
            return Ok(false);
        }
        Ok(true)
    };
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let Some((base, query)) = conn.split_once('?') else {
            return Ok((conn.to_string(), own));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if keep(k, percent_decode(v))? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, own));
    }
    let mut kept = Vec::new();
    for (k, raw, v) in key_values(conn)? {
        if keep(&k, v)? {
            kept.push(raw);
        }
    }
    Ok((kept.join(" "), own))
}

/// `key=value` pairs as libpq writes them (values may be single-quoted
/// with backslash escapes), each with its raw text.
fn key_values(s: &str) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return Ok(out);
        };
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next().is_none_or(|(_, c)| c != '=') {
            return Err(format!("`{key}` has no value (expected {key}=value)"));
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if(|(_, c)| *c == '\'').is_some() {
            loop {
                match chars.next() {
                    Some((_, '\\')) => {
                        if let Some((_, c)) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some((_, '\'')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err(format!("the value of `{key}` has no closing quote")),
                }
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                value.push(c);
            }
        }
        let end = chars.peek().map(|(i, _)| *i).unwrap_or(s.len());
        out.push((key, s[start..end].to_string(), value));
    }
}

/// Whether a connection string (without runsheet's own keys) sets a port.
fn mentions_port(conn: &str) -> bool {
    if let Some(after) = conn
        .strip_prefix("postgresql://")
        .or_else(|| conn.strip_prefix("postgres://"))
    {
        let authority = after.split(['/', '?']).next().unwrap_or("");
        let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        return hosts.split(',').any(|h| match h.rsplit_once("]:") {
            Some((_, port)) => !port.is_empty(),
            None => !h.starts_with('[') && h.contains(':'),
        }) || after.contains("port=");
    }
    key_values(conn)
        .map(|kv| kv.iter().any(|(k, _, _)| k == "port"))
        .unwrap_or(false)
}

/// `conn` with `port` given to every host that has none.
fn with_port(conn: &str, port: u16) -> String {
    let Some((scheme, after)) = conn.split_once("://") else {
        return format!("{conn} port={port}");
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, tail) = after.split_at(end);
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let hosts: Vec<String> = hosts
        .split(',')
        .map(|h| {
            if h.is_empty() {
                h.to_string()
            } else {
                format!("{h}:{port}")
            }
        })
        .collect();
    format!("{scheme}://{user}{}{tail}", hosts.join(","))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's defaults for what the string leaves out: PG* variables, then
/// the local socket and the operating-system user.
fn fill_from_env(pg: &mut Config, env: &dyn Fn(&str) -> Option<String>) {
    if pg.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) => {
                for host in h.split(',') {
                    pg.host(host);
                }
            }
            None => {
                let socket = std::path::Path::new("/var/run/postgresql");
                if socket.exists() {
                    pg.host_path(socket);
                } else {
                    pg.host("localhost");
                }
            }
        }
    }
    if pg.get_ports().is_empty()
        && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        pg.port(port);
    }
    if pg.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        pg.user(&user);
    }
    if pg.get_password().is_none()
        && let Some(pw) = env("PGPASSWORD")
    {
        pg.password(pw);
    }
    if pg.get_dbname().is_none() {
        let db = env("PGDATABASE")
            .or_else(|| pg.get_user().map(String::from))
            .unwrap_or_else(|| "postgres".into());
        pg.dbname(&db);
    }
    if pg.get_connect_timeout().is_none()
        && let Some(secs) = env("PGCONNECT_TIMEOUT").and_then(|s| s.parse().ok())
    {
        pg.connect_timeout(Duration::from_secs(secs));
    }
}

/// A database failure, worded for the operator: which target, what
/// happened, what to check. The variant says what kind of failure it is,
/// so a caller can tell a refused connection from a wrong password (to
/// retry one and not the other) without reading the text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    /// The connection string, or a setting in it, cannot be used.
    #[error("the database of target `{target}`: {why}")]
    BadConnectionString { target: String, why: String },
    /// Nothing listens at the host and port (the connection was refused).
    #[error("cannot reach {at}: {cause}; is the server running, and are the host and port right?")]
    Refused { at: String, cause: String },
    /// The server did not answer within the connect timeout.
    #[error("cannot reach {at}: {cause}; is the server running, and are the host and port right?")]
    Timeout { at: String, cause: String },
    /// Connecting and identifying the database took longer than the
    /// session waits for before its first step.
    #[error("{at} did not answer within {seconds}s")]
    NoAnswer { at: String, seconds: u64 },
    /// The host is unknown or unreachable, or the connection broke before
    /// the server said anything.
    #[error("cannot reach {at}: {cause}")]
    Unreachable { at: String, cause: String },
    /// The TLS handshake failed (certificate, protocol).
    #[error("cannot reach {at}: {cause}; check sslmode and sslrootcert")]
    TlsHandshake { at: String, cause: String },
    /// TLS could not be set up before connecting (root certificates).
    #[error("TLS for the database of target `{target}`: {why}")]
    Tls { target: String, why: String },
    /// Wrong user or password, or no `pg_hba.conf` entry (SQLSTATE 28P01
    /// or 28000).
    #[error("{at} refused the connection: {message}; check the user and password")]
    Authentication {
        at: String,
        code: String,
        message: String,
    },
    /// The database does not exist (SQLSTATE 3D000).
    #[error("{at} refused the connection: {message}; check the database name")]
    UnknownDatabase { at: String, message: String },
    /// The server refused the connection for another reason (too many
    /// connections, shutting down…); `code` is its SQLSTATE.
    #[error("{at} refused the connection: {message}")]
    Rejected {
        at: String,
        code: String,
        message: String,
    },
    /// A statement failed; `code` is the SQLSTATE when the server sent one,
    /// `text` the message with its detail and hint.
    #[error("on `{target}`: {text}")]
    Query {
        target: String,
        code: Option<String>,
        text: String,
    },
}

impl DbError {
    pub fn connect(cfg: &DbConfig, e: tokio_postgres::Error) -> DbError {
        let at = cfg.at();
        if let Some(db) = e.as_db_error() {
            let message = db.message().to_string();
            return match db.code().code() {
                code @ ("28P01" | "28000") => DbError::Authentication {
                    at,
                    code: code.to_string(),
                    message,
                },
                "3D000" => DbError::UnknownDatabase { at, message },
                code => DbError::Rejected {
                    at,
                    code: code.to_string(),
                    message,
                },
            };
        }
        let cause = error_chain(&e);
        match io_kind(&e) {
            Some(std::io::ErrorKind::ConnectionRefused) => DbError::Refused { at, cause },
            Some(std::io::ErrorKind::TimedOut) => DbError::Timeout { at, cause },
            _ if cause.contains("refused") => DbError::Refused { at, cause },
            _ if cause.contains("timed out") => DbError::Timeout { at, cause },
            _ if cause.contains("certificate") || cause.contains("TLS") => {
                DbError::TlsHandshake { at, cause }
            }
            _ => DbError::Unreachable { at, cause },
        }
    }

    pub fn query(target: &str, e: tokio_postgres::Error) -> DbError {
        let target = target.to_string();
        match e.as_db_error() {
            Some(db) => {
                let code = db.code().code().to_string();
                let mut text = format!("{} (SQLSTATE {code})", db.message());
                if let Some(detail) = db.detail() {
                    text.push_str(&format!("\n  detail: {detail}"));
                }
                if let Some(hint) = db.hint() {
                    text.push_str(&format!("\n  hint: {hint}"));
                }
                DbError::Query {
                    target,
                    code: Some(code),
                    text,
                }
            }
            None => DbError::Query {
                target,
                code: None,
                text: error_chain(&e),
            },
        }
    }

    /// The server's SQLSTATE, when it sent one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Authentication { code, .. } | DbError::Rejected { code, .. } => Some(code),
            DbError::UnknownDatabase { .. } => Some("3D000"),
            DbError::Query { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    fn tls(cfg: &DbConfig, why: String) -> DbError {
        DbError::Tls {
            target: cfg.target.clone(),
            why,
        }
    }
}

/// The kind of the first I/O error in `e`'s chain of causes.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = c.source();
    }
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// `sslmode=require`/`prefer`: encrypted, not authenticated, as in libpq.
#[derive(Debug)]
struct Unverified {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca` and `verify-full`: the chain must lead to a trusted root;
/// only `verify-full` also holds the server to its host name.
#[derive(Debug)]
struct ChainVerifier {
    inner: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(conn: &str) -> Result<DbConfig, String> {
        DbConfig::parse("production", Some(conn), &no_env).map_err(|e| e.to_string())
    }

    #[test]
    fn urls_and_key_values_read_alike() {
        for conn in [
            "postgresql://app:s3cret@db.example:5433/shop?sslmode=verify-full&sslrootcert=/ca.pem",
            "host=db.example port=5433 user=app password='s3cret' dbname=shop sslmode=verify-full sslrootcert=/ca.pem",
        ] {
            let c = parse(conn).unwrap_or_else(|e| panic!("{conn}: {e}"));
            assert_eq!(c.describe(), "app@db.example:5433/shop", "{conn}");
            assert_eq!(c.ssl, SslMode::VerifyFull);
            assert_eq!(
                c.root_cert.as_deref(),
                Some(std::path::Path::new("/ca.pem"))
            );
            assert_eq!(c.password().as_deref(), Some("s3cret"));
            assert!(!format!("{c:?}").contains("s3cret"));
        }
    }

    #[test]
    fn quoted_values_keep_spaces_and_escapes() {
        let c = parse(r"host=h dbname='my db' password='it\'s'").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.pg.get_dbname(), Some("my db"));
        assert_eq!(c.password().as_deref(), Some("it's"));
    }

    #[test]
    fn what_the_string_leaves_out_comes_from_pg_variables() {
        let env = |k: &str| match k {
            "PGPASSWORD" => Some("pw".to_string()),
            "PGPORT" => Some("6432".to_string()),
            "PGSSLMODE" => Some("require".to_string()),
            _ => None,
        };
        let c = DbConfig::parse("staging", Some("postgresql://u@h/db"), &env)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.password().as_deref(), Some("pw"));
        assert_eq!(c.describe(), "u@h:6432/db");
        assert_eq!(c.ssl, SslMode::Require);
        let only_env = |k: &str| match k {
            "PGHOST" => Some("pg.internal".to_string()),
            "PGUSER" => Some("ops".to_string()),
            _ => None,
        };
        let c = DbConfig::parse("staging", None, &only_env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.describe(), "ops@pg.internal:5432/ops");
    }

    #[test]
    fn bad_strings_say_what_is_wrong_and_name_the_target() {
        let e = parse("postgresql://u@h/db?sslmode=sometimes")
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("target `production`") && e.contains("unknown sslmode"),
            "{e}"
        );
        let e = parse("host=h password='open").err().unwrap_or_default();
        assert!(e.contains("no closing quote"), "{e}");
        let e = parse("host=h sslcert=/c.pem").err().unwrap_or_default();
        assert!(e.contains("`sslcert` is not supported"), "{e}");
        let e = parse("host=h bogus=1").err().unwrap_or_default();
        assert!(e.contains("cannot read the connection string"), "{e}");
    }

    #[test]
    fn percent_encoded_query_values_are_decoded() {
        let c = parse("postgresql://u@h/db?sslrootcert=%2Ftmp%2Fca%20x.pem")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.root_cert.as_deref(),
            Some(std::path::Path::new("/tmp/ca x.pem"))
        );
    }
}
