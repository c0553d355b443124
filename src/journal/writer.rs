//! Appending to a journal through a single writer task.

use std::fs::{File, OpenOptions};
use std::future::{Future, IntoFuture};
use std::io::{Read, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::JournalError;
use super::reader::{Repair, repair};
use super::record::{GENESIS_PREV, body_fields, encode_fields, line_hash};
use super::task::{Command, Outcome, Task};
use super::verify::verify_bytes;

/// Appends queued beyond this wait for the writer: back-pressure rather
/// than unbounded memory when the disk is slow.
const QUEUE: usize = 1024;

/// How soon an appended record must be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `append` returns once the record, and everything queued before it,
    /// is written and fdatasync'ed.
    Sync,
    /// `append` returns once the record is queued. It is written promptly
    /// (so it survives the process being killed) and fdatasync'ed within
    /// about a second (so it survives a power cut), or sooner with the next
    /// Sync record or at close. Meant for command output chunks.
    Batched,
}

/// What [`JournalWriter::open_append`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Whole records in the journal before appending resumes.
    pub records: u64,
    /// Set when a torn tail had to be cut off first.
    pub repaired: Option<Repair>,
}

/// A handle to a journal's writer task; clones share the task and the
/// sequence numbers.
pub struct JournalWriter<T> {
    shared: Arc<Shared>,
    _body: PhantomData<fn(T)>,
}

struct Shared {
    path: PathBuf,
    /// Held across the send so that, across clones, the order of records in
    /// the channel is the order of the seqs handed out.
    next_seq: Mutex<u64>,
    tx: mpsc::Sender<Command>,
    outcome: Outcome,
}

impl<T> Clone for JournalWriter<T> {
    fn clone(&self) -> Self {
        JournalWriter {
            shared: Arc::clone(&self.shared),
            _body: PhantomData,
        }
    }
}

/// The writer task. Await it (or call [`WriterTask::wait`]) on shutdown to
/// learn of a fatal error that no append was waiting for.
pub struct WriterTask(tokio::task::JoinHandle<Result<(), JournalError>>, PathBuf);

impl WriterTask {
    /// Waits for the task to stop (after `close`, the last handle being
    /// dropped, or a fatal error) and returns how it ended.
    pub async fn wait(self) -> Result<(), JournalError> {
        let WriterTask(handle, path) = self;
        handle.await.unwrap_or_else(|e| {
            Err(JournalError::Fatal {
                path,
                message: format!("the journal writer task crashed ({e})"),
            })
        })
    }
}

impl IntoFuture for WriterTask {
    type Output = Result<(), JournalError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

impl<T: Serialize + Send + 'static> JournalWriter<T> {
    /// Creates a new journal and writes `first` as seq 0, synced.
    ///
    /// The file is created owner-only (0600) and must not exist; missing
    /// parent directories are created owner-only (0700). The directory is
    /// synced too, so the new file survives a power cut.
    pub async fn create(
        path: &Path,
        ts: Timestamp,
        first: T,
    ) -> Result<(Self, WriterTask), JournalError> {
        let fields = body_fields(&first).map_err(|message| JournalError::Body { message })?;
        let line = encode_fields(0, ts, GENESIS_PREV, &fields);
        let prev = line_hash(line.as_bytes());
        let owned = path.to_path_buf();
        let file = blocking(path, move || {
            let io = |e| JournalError::io(&owned, e);
            if let Some(dir) = owned.parent() {
                super::fs::create_private_dirs(dir).map_err(|e| JournalError::io(dir, e))?;
            }
            let mut file = super::fs::create_new_private(&owned).map_err(io)?;
            file.write_all(format!("{line}\n").as_bytes())
                .and_then(|()| file.sync_data())
                .and_then(|()| super::fs::sync_parent_dir(&owned))
                .map_err(io)?;
            Ok(file)
        })
        .await?;
        Ok(Self::with_open_file(path, file, 1, prev))
    }

    /// Opens an existing journal to resume a session.
    ///
    /// A torn tail is cut off first (see [`crate::journal::reader::repair`],
    /// reported in [`OpenReport::repaired`]). The whole chain is then
    /// verified: a journal that was edited or damaged is refused with
    /// [`JournalError::Corrupt`] rather than extended, since new records
    /// chained onto it would look trustworthy.
    pub async fn open_append(path: &Path) -> Result<(Self, WriterTask, OpenReport), JournalError> {
        let owned = path.to_path_buf();
        let (file, report, prev) = blocking(path, move || {
            let repaired = repair(&owned)?;
            let io = |e| JournalError::io(&owned, e);
            let mut file = OpenOptions::new()
                .read(true)
                .append(true)
                .open(&owned)
                .map_err(io)?;
            let mut data = Vec::new();
            file.read_to_end(&mut data).map_err(io)?;
            let verified = verify_bytes(&data);
            if let Some(b) = verified.first_break {
                return Err(JournalError::corrupt(&owned, b.line, b.reason));
            }
            if verified.torn_tail {
                // Only possible if something else writes the file: refuse.
                let line = verified.records as usize + 1;
                let reason = "the last line is torn again: is another runsheet writing it?";
                return Err(JournalError::corrupt(&owned, line, reason));
            }
            let prev = verified
                .final_hash
                .unwrap_or_else(|| GENESIS_PREV.to_string());
            let report = OpenReport {
                records: verified.records,
                repaired,
            };
            Ok((file, report, prev))
        })
        .await?;
        let (writer, task) = Self::with_open_file(path, file, report.records, prev);
        Ok((writer, task, report))
    }

    /// Starts a writer on a file that is already open for appending, which
    /// continues the chain at `next_seq` after a line whose hash is `prev`.
    ///
    /// Nothing is checked: this exists for fault-injection tests (a writer
    /// on `/dev/full`) and for callers that have just verified the file.
    /// Must be called within a Tokio runtime.
    pub fn with_open_file(
        path: &Path,
        file: File,
        next_seq: u64,
        prev: String,
    ) -> (Self, WriterTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let outcome: Outcome = Arc::new(OnceLock::new());
        let task = Task::new(
            path.to_path_buf(),
            file,
            next_seq,
            prev,
            Arc::clone(&outcome),
        );
        let handle = tokio::spawn(task.run(rx));
        let writer = JournalWriter {
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                next_seq: Mutex::new(next_seq),
                tx,
                outcome,
            }),
            _body: PhantomData,
        };
        (writer, WriterTask(handle, path.to_path_buf()))
    }

    /// Queues a record and returns its seq; see [`Durability`] for when.
    ///
    /// After a write or sync failure the pending Sync appends get
    /// [`JournalError::Fatal`] and every later append [`JournalError::Closed`].
    pub async fn append(
        &self,
        ts: Timestamp,
        body: T,
        durability: Durability,
    ) -> Result<u64, JournalError> {
        let fields = body_fields(&body).map_err(|message| JournalError::Body { message })?;
        self.append_fields(ts, fields, durability).await
    }

    /// [`Self::append`] for a body already turned into its fields (by
    /// [`body_fields`] or an equivalent that avoids copying large text).
    pub async fn append_fields(
        &self,
        ts: Timestamp,
        fields: serde_json::Map<String, serde_json::Value>,
        durability: Durability,
    ) -> Result<u64, JournalError> {
        if let Some(name) = crate::journal::record::RESERVED_FIELDS
            .iter()
            .find(|n| fields.contains_key(**n))
        {
            return Err(JournalError::Body {
                message: format!("the body has a field named `{name}`, which the header uses"),
            });
        }
        let (reply, done) = match durability {
            Durability::Sync => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
            Durability::Batched => (None, None),
        };
        let seq = {
            let mut next = self.shared.next_seq.lock().await;
            if self.shared.outcome.get().is_some() {
                return Err(JournalError::Closed);
            }
            let cmd = Command::Append { ts, fields, reply };
            self.shared
                .tx
                .send(cmd)
                .await
                .map_err(|_| JournalError::Closed)?;
            let seq = *next;
            *next += 1;
            seq
        };
        if let Some(done) = done {
            done.await.unwrap_or(Err(JournalError::Closed))?;
        }
        Ok(seq)
    }

    /// Writes and syncs everything queued (by this handle and its clones),
    /// then stops the task. Closing a journal that is already closed is Ok;
    /// one whose writer failed returns that failure again.
    pub async fn close(self) -> Result<(), JournalError> {
        let (reply, done) = oneshot::channel();
        if self.shared.tx.send(Command::Close { reply }).await.is_err() {
            return self.ended();
        }
        done.await.unwrap_or_else(|_| self.ended())
    }

    /// The journal this writer appends to.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    fn ended(&self) -> Result<(), JournalError> {
        match self.shared.outcome.get() {
            Some(Ok(())) => Ok(()),
            Some(Err(message)) => Err(JournalError::Fatal {
                path: self.shared.path.clone(),
                message: message.clone(),
            }),
            None => Err(JournalError::Closed),
        }
    }
}

async fn blocking<R: Send + 'static>(
    path: &Path,
    f: impl FnOnce() -> Result<R, JournalError> + Send + 'static,
) -> Result<R, JournalError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(JournalError::io(path, std::io::Error::other(e))))
}
