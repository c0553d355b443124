//! Why a database step (sql, compare, migrations, batch) could not run or
//! finish: the typed errors its bodies pass up to the step entry, which
//! hands them to the dispatch (`action::StepError::Db`). Each `Display` is
//! the line the operator reads and the journal keeps (the wording tests
//! compare); a caller tells, say, a refused connection (`Db(Refused)`)
//! from a statement that escaped its transaction (`Escaped`) by variant.

use super::conn::DbError;
use super::migrations::{AppliedError, ScanError};
use crate::session::DbIdentity;

/// Why a target's connection settings cannot be used. Kept per target in
/// `DbCtx` (hence `Clone`) and by the preflight.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SettingsError {
    /// The runbook declares no target by that name.
    #[error("no target `{name}` in this runbook (targets: {})", known.join(", "))]
    UnknownTarget { name: String, known: Vec<String> },
    /// Its connection string (or a PG* variable) cannot be read.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a block is not sent at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A psql meta-command (`\c`, `\gset` …), written as it is in the block.
    #[error("`{0}` is a psql command, not SQL: run it in a shell step with psql; nothing was sent")]
    PsqlCommand(String),
    /// A statement that begins, ends or re-modes the transaction.
    #[error(
        "`{0}` controls the transaction, and a sql block runs in one transaction that runsheet \
         begins and ends; nothing was sent (remove it; work that needs several transactions \
         goes in several steps)"
    )]
    TransactionControl(String),
}

/// A statement got out of the transaction runsheet runs a block in, or out
/// of its read-only mode; nothing after it ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Escape {
    /// Refused before anything was sent.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Statement `n` (shown as `shown`) ended the block's transaction.
    #[error(
        "statement {n} (`{shown}`) ended the transaction runsheet runs the block in; \
         nothing after it ran"
    )]
    Ended { n: usize, shown: String },
    /// Statement `n` turned a read-only block read-write.
    #[error(
        "statement {n} (`{shown}`) turned the read-only transaction read-write; \
         runsheet rolled everything back and ran nothing after it"
    )]
    TurnedReadWrite { n: usize, shown: String },
}

/// Why a database step failed (as opposed to running and not meeting its
/// expectation, which is a `Verdict::Failed`).
#[derive(Debug, thiserror::Error)]
pub enum DbStepError {
    /// The target's connection settings cannot be used.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The action names a target it was not prepared with.
    #[error("no connection settings for target `{0}`")]
    NoSettings(String),
    /// Connecting, identifying the database, or a statement failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The target's database is not the one the session identified under
    /// that name before.
    #[error(
        "the database of target `{target}` is not the one this session used before \
         (then {} on {}, now {} on {}); check the connection settings before going on",
        then.database, then.server, now.database, now.server
    )]
    OtherDatabase {
        target: String,
        then: Box<DbIdentity>,
        now: Box<DbIdentity>,
    },
    /// The session refused to journal the database's identity (another
    /// target already stands for it): nothing ran.
    #[error("stopped before anything ran: {0}")]
    IdentityRefused(String),
    /// The session ended before a result could be journaled.
    #[error("the session stopped")]
    SessionStopped,
    /// The block is not sent (psql command, transaction control).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A statement of a sql block escaped its transaction; rolled back.
    #[error("{why} (on `{target}`)")]
    Escaped { target: String, why: Escape },
    /// The migrations folder cannot be read.
    #[error(transparent)]
    Migrations(#[from] ScanError),
    /// The table recording applied migrations cannot be read.
    #[error("on `{target}`: {source}")]
    Applied {
        target: String,
        source: AppliedError,
    },
    /// compare in checksum mode: a table lacks the `key=` column.
    #[error(
        "on `{target}`: table `{table}` has no column `{key}` to use as key; \
         set key= to its key column (an integer one narrows differences down)"
    )]
    NoKeyColumn {
        target: String,
        table: String,
        key: String,
    },
    /// compare: a stop asked between two rounds of narrowing.
    #[error("stopped before the comparison finished")]
    CompareStopped,
    /// batch: the server refused to prepare the batch statement.
    #[error("{0} (the batch statement)")]
    BatchStatement(DbError),
    /// batch: the statement does not take exactly `$1` and `$2`.
    #[error(
        "a batch statement takes $1 (the last key of the previous batch) and $2 \
         (the last key of this one); this one takes {0} parameter(s)"
    )]
    BatchParameters(usize),
    /// batch: `batch=TABLE.KEY` names no column of this database.
    #[error("the batch key `{table}.{key}` does not exist in this database; check batch=TABLE.KEY")]
    NoBatchKey { table: String, key: String },
    /// batch: a batch failed before its COMMIT; it was rolled back.
    #[error("batch {batch} failed and was rolled back: {source}")]
    BatchFailed { batch: u64, source: DbError },
    /// batch: a key does not fit the statement's parameter types.
    #[error(
        "the batch statement's parameters must be integers or text (the key `{0}` does not fit)"
    )]
    BatchKeyType(String),
    /// batch: the session ended before the batch was journaled.
    #[error("the session stopped; the batch was rolled back")]
    BatchNotJournaled,
    /// batch: COMMIT failed; whether it happened is for the next run to ask.
    #[error(
        "batch {batch}: COMMIT failed ({source}); run the step again: it checks whether the \
         batch committed"
    )]
    CommitFailed { batch: u64, source: DbError },
    /// batch: the database cannot say whether a batch a crash left in
    /// flight committed (`said`: what `txid_status` answered).
    #[error(
        "cannot tell whether batch {batch} (transaction {xid}) committed: the database says {}; \
         check by hand, then skip or re-run the step",
        said.as_deref().unwrap_or("nothing (too old)")
    )]
    Unsettled {
        batch: u64,
        xid: String,
        said: Option<String>,
    },
}

impl DbStepError {
    /// The SQLSTATE of the server's refusal, when there was one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbStepError::Db(e)
            | DbStepError::Settings(SettingsError::Db(e))
            | DbStepError::BatchStatement(e)
            | DbStepError::BatchFailed { source: e, .. }
            | DbStepError::CommitFailed { source: e, .. } => e.sqlstate(),
            _ => None,
        }
    }
}
