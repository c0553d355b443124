//! The single task that owns a journal file: it encodes records in order,
//! writes them in coalesced batches and decides when to fdatasync.

use std::fs::File;
use std::io::{self, Write};
use std::mem;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::JournalError;
use super::record::{encode_fields, line_hash};

/// Batched records are on disk (fdatasync'ed) at most this long after
/// being written; a power cut loses at most this much output.
pub(crate) const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Past this many buffered bytes a batch is written even if more records
/// are queued, so a flood of output cannot hold much unwritten data.
const MAX_BATCH_BYTES: usize = 1 << 20;

pub(crate) type Reply = oneshot::Sender<Result<(), JournalError>>;

pub(crate) enum Command {
    Append {
        ts: Timestamp,
        fields: Map<String, Value>,
        /// Present for Sync records: answered once the record is synced.
        reply: Option<Reply>,
    },
    /// Write and sync everything accepted so far, then stop.
    Close { reply: Reply },
}

/// How the task ended, for handles that find it gone: `Err` holds the
/// fatal error's message.
pub(crate) type Outcome = Arc<OnceLock<Result<(), String>>>;

pub(crate) struct Task {
    pub path: PathBuf,
    pub file: Arc<File>,
    pub next_seq: u64,
    pub prev: String,
    pub outcome: Outcome,
    /// Encoded lines not yet written, and how many records they hold.
    buf: Vec<u8>,
    buffered: usize,
    /// Sync appends and closes waiting for the next fdatasync.
    waiters: Vec<Reply>,
    closers: Vec<Reply>,
    /// Set while written records are not yet synced: when they must be.
    sync_due: Option<Instant>,
}

impl Task {
    pub(crate) fn new(
        path: PathBuf,
        file: File,
        next_seq: u64,
        prev: String,
        outcome: Outcome,
    ) -> Self {
        Task {
            path,
            file: Arc::new(file),
            next_seq,
            prev,
            outcome,
            buf: Vec::new(),
            buffered: 0,
            waiters: Vec::new(),
            closers: Vec::new(),
            sync_due: None,
        }
    }

    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Command>) -> Result<(), JournalError> {
        let result = self.serve(&mut rx).await;
        match &result {
            Ok(()) => {
                let _ = self.outcome.set(Ok(()));
            }
            Err(e) => {
                let message = match e {
                    JournalError::Fatal { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                let _ = self.outcome.set(Err(message));
                // Everyone waiting learns of the failure; nothing queued
                // after it is written, and nothing is retried.
                let pending: Vec<Reply> = self
                    .waiters
                    .drain(..)
                    .chain(self.closers.drain(..))
                    .collect();
                for reply in pending {
                    let _ = reply.send(Err(self.fatal_again()));
                }
                rx.close();
                while let Ok(cmd) = rx.try_recv() {
                    match cmd {
                        Command::Append { reply, .. } => {
                            if let Some(reply) = reply {
                                let _ = reply.send(Err(JournalError::Closed));
                            }
                        }
                        Command::Close { reply } => {
                            let _ = reply.send(Err(self.fatal_again()));
                        }
                    }
                }
            }
        }
        result
    }

    async fn serve(&mut self, rx: &mut mpsc::Receiver<Command>) -> Result<(), JournalError> {
        // An fdatasync runs beside the writing, not in front of it: while
        // the disk flushes, records keep being encoded and written to the
        // page cache, so a flooding step never stalls on the disk.
        let mut inflight: Option<InFlight> = None;
        loop {
            if inflight.is_none() && (!self.waiters.is_empty() || self.sync_overdue()) {
                inflight = self.start_sync();
            }
            let due = self.sync_due;
            tokio::select! {
                cmd = rx.recv() => {
                    // Every handle is gone: what they queued must still be kept.
                    let Some(cmd) = cmd else {
                        return self.finish(inflight).await;
                    };
                    let mut closing = self.take(cmd);
                    // Coalesce whatever else is already queued into one write.
                    while !closing && self.buf.len() < MAX_BATCH_BYTES {
                        match rx.try_recv() {
                            Ok(cmd) => closing = self.take(cmd),
                            Err(_) => break,
                        }
                    }
                    if closing {
                        rx.close();
                        while let Some(cmd) = rx.recv().await {
                            self.take(cmd);
                        }
                        self.finish(inflight).await?;
                        for reply in self.closers.drain(..) {
                            let _ = reply.send(Ok(()));
                        }
                        return Ok(());
                    }
                    self.write().await?;
                }
                done = wait(&mut inflight) => {
                    inflight = None;
                    self.synced(done)?;
                }
                () = sleep_until_due(due), if inflight.is_none() && due.is_some() => {
                    inflight = self.start_sync();
                }
            }
        }
    }

    /// Writes what is left, waits for a sync in flight, then syncs once more.
    async fn finish(&mut self, inflight: Option<InFlight>) -> Result<(), JournalError> {
        self.write().await?;
        if let Some(sync) = inflight {
            let done = sync.wait().await;
            self.synced(done)?;
        }
        if let Some(sync) = self.start_sync() {
            let done = sync.wait().await;
            self.synced(done)?;
        }
        Ok(())
    }

    fn sync_overdue(&self) -> bool {
        self.sync_due.is_some_and(|due| due <= Instant::now())
    }

    /// Starts an fdatasync covering everything written so far; the
    /// records waiting for durability are answered when it ends.
    fn start_sync(&mut self) -> Option<InFlight> {
        if self.sync_due.take().is_none() && self.waiters.is_empty() {
            return None;
        }
        let file = Arc::clone(&self.file);
        Some(InFlight {
            handle: tokio::task::spawn_blocking(move || file.sync_data()),
            waiters: mem::take(&mut self.waiters),
        })
    }

    fn synced(&mut self, done: (io::Result<()>, Vec<Reply>)) -> Result<(), JournalError> {
        let (result, waiters) = done;
        if let Err(e) = result {
            // Put them back so the failure reaches them too.
            self.waiters.extend(waiters);
            return Err(self.fatal(format!("fdatasync failed: {e}")));
        }
        for reply in waiters {
            let _ = reply.send(Ok(()));
        }
        Ok(())
    }

    /// Encodes an append into the buffer; true for a close.
    fn take(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Append { ts, fields, reply } => {
                let line = encode_fields(self.next_seq, ts, &self.prev, &fields);
                self.prev = line_hash(line.as_bytes());
                self.next_seq += 1;
                self.buf.extend_from_slice(line.as_bytes());
                self.buf.push(b'\n');
                self.buffered += 1;
                self.waiters.extend(reply);
                false
            }
            Command::Close { reply } => {
                self.closers.push(reply);
                true
            }
        }
    }

    /// Writes the buffer; the data is then due to be synced.
    async fn write(&mut self) -> Result<(), JournalError> {
        if !self.buf.is_empty() {
            let data = mem::take(&mut self.buf);
            let records = mem::take(&mut self.buffered);
            let file = Arc::clone(&self.file);
            // Written at once so that a kill -9 (not a power cut) loses
            // nothing: the data is in the page cache before it is synced.
            blocking(move || (&*file).write_all(&data))
                .await
                .map_err(|e| self.fatal(format!("writing {records} record(s) failed: {e}")))?;
            self.sync_due
                .get_or_insert_with(|| Instant::now() + SYNC_INTERVAL);
        }
        Ok(())
    }

    fn fatal(&self, message: String) -> JournalError {
        JournalError::Fatal {
            path: self.path.clone(),
            message,
        }
    }

    fn fatal_again(&self) -> JournalError {
        match self.outcome.get() {
            Some(Err(message)) => self.fatal(message.clone()),
            _ => JournalError::Closed,
        }
    }
}

/// An fdatasync running on the blocking pool, and the records it makes
/// durable.
struct InFlight {
    handle: tokio::task::JoinHandle<io::Result<()>>,
    waiters: Vec<Reply>,
}

impl InFlight {
    async fn wait(self) -> (io::Result<()>, Vec<Reply>) {
        let result = self
            .handle
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)));
        (result, self.waiters)
    }
}

/// Resolves when the sync in flight ends; never if there is none.
async fn wait(inflight: &mut Option<InFlight>) -> (io::Result<()>, Vec<Reply>) {
    match inflight {
        Some(sync) => {
            let result = (&mut sync.handle)
                .await
                .unwrap_or_else(|e| Err(io::Error::other(e)));
            (result, mem::take(&mut sync.waiters))
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

async fn blocking(f: impl FnOnce() -> io::Result<()> + Send + 'static) -> io::Result<()> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}
