//! The session journal: an append-only, hash-chained JSON Lines file that
//! records everything a session did, so that a post-mortem weeks later can
//! trust it and a crashed session can be resumed.
//!
//! Each line is one [`record::Record`]: `v`, `seq`, `ts`, `prev`, then the
//! fields of a caller-defined body (any `Serialize` type that serializes as
//! a JSON object, typically an internally tagged enum). `prev` is the
//! SHA-256 of the previous line's exact bytes, so editing, removing or
//! reordering records breaks the chain; cutting the tail is detected by
//! comparing the final hash printed by [`verify::verify`] with the one
//! written in the incident ticket.
//!
//! Durability: a [`writer::JournalWriter`] owns the file through a single
//! task. A write or fdatasync failure is fatal and never retried, because a
//! session must not go on unrecorded. A crash can leave a torn last line,
//! which [`reader`] reports and [`reader::repair`] cuts off (keeping a
//! `.broken` copy of the original bytes).

mod error;
mod escape;
mod fs;
pub mod lock;
pub mod paths;
pub mod reader;
pub mod record;
mod scan;
mod task;
pub mod verify;
pub mod writer;

pub use error::JournalError;
pub use lock::{LockError, SessionLock};
pub use reader::{Journal, RawLines, Repair, TornTail, read, read_lines, repair};
pub use record::{GENESIS_PREV, Record, SCHEMA_VERSION};
pub use verify::{Break, VerifyReport, verify};
pub use writer::{Durability, JournalWriter, OpenReport, WriterTask};

use jiff::{Timestamp, Unit};

/// The current time at the precision the journal keeps (milliseconds).
///
/// The journal never reads the clock itself, so that tests and replays are
/// deterministic; callers take their timestamps from here.
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    t.round(Unit::Millisecond).unwrap_or(t)
}
