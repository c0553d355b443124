//! Why a replay cannot open, or go on: the journal cannot be read, its
//! chain breaks before anything can be trusted, a record is refused, or
//! the terminal fails. `Display` is the sentence the operator reads.

use std::io;
use std::path::PathBuf;

use crate::journal::record::RecordError;
use crate::session::Rejected;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The journal file cannot be opened.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: io::Error },
    /// Reading on in the open journal failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Record `line` (1-based) cannot be read back from the file.
    #[error("cannot read line {line}: {source}")]
    LineUnreadable { line: usize, source: io::Error },
    /// There is no record `line` (1-based) to read.
    #[error("no record {line}")]
    NoRecord { line: usize },
    #[error("line {line} is longer than 4 GB")]
    LineTooLong { line: usize },
    /// Record `line`, read back, no longer decodes.
    #[error("line {line}: {source}")]
    BadRecord { line: usize, source: RecordError },
    /// Line 1 is not a runsheet record.
    #[error("not a runsheet journal: line 1 is {0}")]
    NotAJournal(RecordError),
    #[error(
        "the journal does not start with a session-started record; it is not a runsheet journal"
    )]
    NoSessionStart,
    /// The hash chain breaks before any record can be trusted.
    #[error(
        "{} fails verification at line {line} ({reason}): nothing in it can be trusted",
        path.display()
    )]
    BrokenChain {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{} holds no whole record", path.display())]
    Empty { path: PathBuf },
    #[error("the journal has no start to replay from")]
    NoStart,
    #[error("no checkpoint to replay from")]
    NoCheckpoint,
    /// The engine refused record `line` while replaying it.
    #[error("line {line} cannot be replayed: {reason}")]
    Refused { line: usize, reason: Rejected },
    /// The engine refused record `line` while the session was folded
    /// again after a break (the text is the engine's alone).
    #[error("{reason}")]
    RefusedRefold { line: usize, reason: Rejected },
    /// `--at` is not a time since the start.
    #[error("--at {0}: expected mm:ss or hh:mm:ss since the start")]
    BadOffset(String),
    #[error(
        "replay is full-screen and needs a terminal; for a written account of the session use \
         `runsheet report`"
    )]
    NoTerminal,
    /// The terminal could not be set up (the live UI's own message).
    #[error("{0}")]
    TerminalSetup(String),
    #[error("cannot read the terminal: {0}")]
    TerminalRead(io::Error),
    #[error("cannot read the terminal size: {0}")]
    TerminalSize(io::Error),
    #[error("cannot draw on the terminal: {0}")]
    Draw(io::Error),
}
