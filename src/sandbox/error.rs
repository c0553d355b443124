//! What can stop the sandbox from starting or stopping. Each message says
//! what to do; the variant lets a caller (and a test) tell a machine
//! without PostgreSQL from a cluster that would not start.

use std::io;

use super::cluster::INSTALL_HINT;
use crate::journal::JournalError;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// PostgreSQL's server binaries are not installed.
    #[error("PostgreSQL's `{tool}` was not found; {INSTALL_HINT}")]
    NotInstalled { tool: &'static str },
    /// Running as root, with no `postgres` user to run the server as.
    #[error(
        "PostgreSQL will not run as root, and there is no `postgres` user to run it as; {INSTALL_HINT}"
    )]
    NoPostgresUser,
    /// Running as root, the `postgres` user cannot enter the sandbox's
    /// folder, nor the temporary directory the clusters would go to instead.
    #[error(
        "the postgres user (PostgreSQL runs as it under root) cannot enter {folder}, nor the temporary folder {also}; fix: {fix}"
    )]
    Unreachable {
        folder: String,
        fix: String,
        also: String,
    },
    /// A file or folder of the sandbox could not be created, written,
    /// handed over or removed; `doing` says which (`cannot write …/env`).
    #[error("{doing}: {source}")]
    Io { doing: String, source: io::Error },
    /// A PostgreSQL tool (initdb, psql, pg_restore) ran and failed.
    #[error("{what} failed: {stderr}")]
    Tool { what: String, stderr: String },
    /// `pg_ctl start` failed for another reason than a taken port.
    #[error("{name}: PostgreSQL did not start ({stderr}); its log is {log}")]
    DidNotStart {
        name: String,
        stderr: String,
        log: String,
    },
    /// A server was started but never listened on its port.
    #[error("{what} did not start listening on port {port} within 30s")]
    NotListening { what: String, port: u16 },
    /// `stop` ended what it knew of, and still found a port in use.
    #[error("stopped the sandbox, but something still listens on port(s) {ports:?}")]
    StillListening { ports: Vec<u16> },
    /// `moto_server` is not installed: the sandbox runs without S3.
    #[error(
        "no S3 server: `moto_server` is not installed (`python3 -m pip install 'moto[server]'`); s3 steps cannot run in this sandbox"
    )]
    NoS3Server,
    /// No directory to keep the sandbox in.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A bug rather than a condition (a thread that panicked, state that
    /// would not serialize): nothing a caller could act on by kind.
    #[error("{0}")]
    Internal(String),
}

impl SandboxError {
    pub(crate) fn io(doing: impl Into<String>, source: io::Error) -> SandboxError {
        SandboxError::Io {
            doing: doing.into(),
            source,
        }
    }
}
