use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong with a journal. The messages are read by an
/// operator in the middle of a maintenance window: each says which file and
/// what to do next.
#[derive(Debug)]
pub enum JournalError {
    /// Reading, creating or opening the journal failed; nothing was lost.
    Io { path: PathBuf, source: io::Error },
    /// A write or fdatasync failed. The writer has stopped and will not
    /// retry: what was acknowledged before is on disk, what was not may be
    /// missing or torn.
    Fatal { path: PathBuf, message: String },
    /// The journal's content is damaged somewhere other than a torn tail.
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The writer is no longer running: it was closed, or stopped after a
    /// [`JournalError::Fatal`] that was reported to an earlier call.
    Closed,
    /// A record body could not be turned into a journal line (a bug in the
    /// caller's body type, not a disk problem); nothing was written.
    Body { message: String },
    /// No directory to keep journals in could be determined.
    NoDataDir,
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::Io { path, source } => {
                let hint = match source.kind() {
                    io::ErrorKind::NotFound => "check the path and that its disk is mounted",
                    io::ErrorKind::AlreadyExists => {
                        "a journal is never overwritten: choose another name, or resume it"
                    }
                    io::ErrorKind::PermissionDenied => {
                        "run as the user who owns the journal, or fix its permissions"
                    }
                    _ => "check that the disk is mounted, writable and not full",
                };
                write!(
                    f,
                    "cannot use the journal {}: {source}; {hint}",
                    path.display()
                )
            }
            JournalError::Fatal { path, message } => write!(
                f,
                "the journal {} could not be written: {message}. The session must not go on \
                 unrecorded: stop here, fix the disk (space, permissions, hardware), then \
                 continue with `runsheet resume {}`",
                path.display(),
                path.display()
            ),
            JournalError::Corrupt { path, line, reason } => write!(
                f,
                "the journal {} is damaged at line {line}: {reason}. Do not edit it; keep it \
                 for the post-mortem, check it with `runsheet verify {}`, and start a new \
                 session if this one cannot be resumed",
                path.display(),
                path.display()
            ),
            JournalError::Closed => write!(
                f,
                "the journal writer has stopped (after the write failure reported earlier, or \
                 because the session was closed); nothing more can be recorded: stop here, and \
                 once the cause is fixed continue with `runsheet resume <journal>`"
            ),
            JournalError::Body { message } => write!(
                f,
                "internal error, please report it: a journal record could not be encoded \
                 ({message}); nothing was written"
            ),
            JournalError::NoDataDir => write!(
                f,
                "cannot find a directory to keep journals in (no home directory); set \
                 RUNSHEET_DATA_DIR to a persistent, writable directory"
            ),
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JournalError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl JournalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        JournalError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        line: usize,
        reason: impl Into<String>,
    ) -> Self {
        JournalError::Corrupt {
            path: path.into(),
            line,
            reason: reason.into(),
        }
    }
}
