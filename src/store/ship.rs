//! Shipping a journal to the store: every record, in order, the same
//! bytes, after it is on the local disk, which stays the first and synced
//! write. One task per session follows the file (`Shipper`); where it got
//! to is the store's own count of the session's records, so a crash, a
//! restart or a second machine never loses or doubles a record. A store
//! that is down holds nothing up: the session goes on, the shipper says
//! how far behind it is, and catches up when the store is back.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio_postgres::Client;

use super::schema::why;

/// Sent in one transaction at most: bounds memory whatever the output.
const BATCH_BYTES: usize = 4 << 20;

/// Between two tries while the store is down, and the longest a record
/// written without a poke (a command's output) waits to be shipped.
const RETRY: Duration = Duration::from_secs(1);

/// The channel a follower listens on; the payload is the session's id.
pub const CHANNEL: &str = "runsheet_records";

/// How far the store is, for the header and the end of a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Whole records in the local journal, as last read.
    pub local: u64,
    /// Records the store holds.
    pub stored: u64,
    /// Why the last try failed, while it has not succeeded since.
    pub error: Option<String>,
}

impl Progress {
    pub fn behind(&self) -> u64 {
        self.local.saturating_sub(self.stored)
    }
}

/// Where the store is in the local file: records it holds, and the byte
/// offset where the next one starts.
#[derive(Clone, Copy, Debug, Default)]
struct Position {
    records: u64,
    offset: u64,
}

/// One line of the journal, as it goes to the store.
struct Line {
    seq: i64,
    text: String,
    kind: String,
    at: String,
}

/// Sends what of the journal at `path` the store does not hold yet, all
/// of it: `runsheet store push`, and the shipper's catching up.
pub async fn push(client: &mut Client, path: &Path) -> Result<Progress, String> {
    let (id, mut pos) = register(client, path).await?;
    while ship_batch(client, &id, path, &mut pos).await? {}
    Ok(Progress {
        local: count_lines(path)?,
        stored: pos.records,
        error: None,
    })
}

/// The id the store knows the journal's session by: the SHA-256 of its
/// first line.
pub fn session_id(path: &Path) -> Result<String, String> {
    Ok(crate::journal::record::line_hash(
        first_line(path)?.as_bytes(),
    ))
}

/// The session's id (the SHA-256 of the journal's first line), recorded in
/// the store if it is new, and where the store is in the file, checked
/// against it: a store whose copy differs from this journal is refused.
async fn register(client: &Client, path: &Path) -> Result<(String, Position), String> {
    let first = first_line(path)?;
    let id = crate::journal::record::line_hash(first.as_bytes());
    let head: Value = serde_json::from_str(&first)
        .map_err(|e| format!("{}: its first line is not a record: {e}", path.display()))?;
    let text = |k: &str| head[k].as_str().unwrap_or_default().to_string();
    let name = crate::journal::paths::session_name(path);
    client
        .execute(
            "INSERT INTO runsheet.sessions
                 (id, name, runbook_path, target, operator, host, drill, sandbox, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::timestamptz)
             ON CONFLICT (id) DO NOTHING",
            &[
                &id,
                &name,
                &text("runbook_path"),
                &text("target"),
                &text("operator"),
                &text("host"),
                &head["drill"].as_bool().unwrap_or(false),
                &head["sandbox"].as_bool().unwrap_or(false),
                &text("ts"),
            ],
        )
        .await
        .map_err(|e| why(&e))?;
    let held: i64 = client
        .query_one(
            "SELECT records FROM runsheet.sessions WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(|e| why(&e))?
        .get(0);
    let held = u64::try_from(held).unwrap_or(0);
    let (offset, last) = offset_of(path, held)?;
    if held > 0 {
        let theirs: Option<String> = client
            .query_opt(
                "SELECT line FROM runsheet.records WHERE session_id = $1 AND seq = $2",
                &[&id, &i64::try_from(held - 1).unwrap_or(i64::MAX)],
            )
            .await
            .map_err(|e| why(&e))?
            .map(|r| r.get(0));
        if theirs.as_deref() != last.as_deref() {
            return Err(format!(
                "the store's copy of {} differs from this journal at record {}: nothing was sent. Check which one is right (`runsheet verify`) before shipping again",
                path.display(),
                held - 1
            ));
        }
    }
    Ok((
        id,
        Position {
            records: held,
            offset,
        },
    ))
}

/// Ships the next batch of whole lines from `pos`; false when there was
/// none.
async fn ship_batch(
    client: &mut Client,
    id: &str,
    path: &Path,
    pos: &mut Position,
) -> Result<bool, String> {
    let (lines, used) = read_lines(path, pos.offset, pos.records)?;
    let Some(last) = lines.last() else {
        return Ok(false);
    };
    let after = pos.records + lines.len() as u64;
    let ended = lines.iter().any(|l| l.kind == "session-ended");
    let last_at = last.at.clone();
    let (seqs, rest): (Vec<i64>, Vec<(String, String, String)>) = lines
        .into_iter()
        .map(|l| (l.seq, (l.text, l.kind, l.at)))
        .unzip();
    let mut texts = Vec::with_capacity(rest.len());
    let mut kinds = Vec::with_capacity(rest.len());
    let mut ats = Vec::with_capacity(rest.len());
    for (t, k, a) in rest {
        texts.push(t);
        kinds.push(k);
        ats.push(a);
    }
    let tx = client.transaction().await.map_err(|e| why(&e))?;
    tx.execute(
        "INSERT INTO runsheet.records (session_id, seq, line, type, at)
         SELECT $1, s, l, t, a::timestamptz
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u (s, l, t, a)",
        &[&id, &seqs, &texts, &kinds, &ats],
    )
    .await
    .map_err(|e| why(&e))?;
    let moved = tx
        .execute(
            "UPDATE runsheet.sessions
             SET records = $2, last_at = $3::text::timestamptz, ended = ended OR $4
             WHERE id = $1 AND records = $5",
            &[
                &id,
                &i64::try_from(after).unwrap_or(i64::MAX),
                &last_at,
                &ended,
                &i64::try_from(pos.records).unwrap_or(i64::MAX),
            ],
        )
        .await
        .map_err(|e| why(&e))?;
    if moved != 1 {
        return Err(
            "another machine shipped this session's records at the same time; trying again from the store's count"
                .into(),
        );
    }
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &id])
        .await
        .map_err(|e| why(&e))?;
    tx.commit().await.map_err(|e| why(&e))?;
    *pos = Position {
        records: after,
        offset: pos.offset + used,
    };
    Ok(true)
}

fn open(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn first_line(path: &Path) -> Result<String, String> {
    let (lines, _) = read_lines(path, 0, 0)?;
    lines
        .into_iter()
        .next()
        .map(|l| l.text)
        .ok_or_else(|| format!("{} has no record yet", path.display()))
}

/// The whole lines from `offset` (the first being record `seq`), up to
/// about [`BATCH_BYTES`], and how many bytes they took. A line still being
/// written (no newline yet) waits for the next read.
fn read_lines(path: &Path, offset: u64, seq: u64) -> Result<(Vec<Line>, u64), String> {
    let mut file = open(path)?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut buf = Vec::new();
    file.take(BATCH_BYTES as u64)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let whole = match buf.iter().rposition(|b| *b == b'\n') {
        Some(end) => end + 1,
        // One line longer than a batch: read it whole.
        None if buf.len() == BATCH_BYTES => return read_long_line(path, offset, seq),
        None => 0,
    };
    let mut out = Vec::new();
    for (i, raw) in buf[..whole]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        out.push(parse(path, raw, seq + i as u64)?);
    }
    Ok((out, whole as u64))
}

fn read_long_line(path: &Path, offset: u64, seq: u64) -> Result<(Vec<Line>, u64), String> {
    let mut file = open(path)?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut raw = Vec::new();
    let mut byte = [0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut byte)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if n == 0 {
            return Ok((Vec::new(), 0));
        }
        if let Some(end) = byte[..n].iter().position(|b| *b == b'\n') {
            raw.extend_from_slice(&byte[..end]);
            let used = raw.len() as u64 + 1;
            return Ok((vec![parse(path, &raw, seq)?], used));
        }
        raw.extend_from_slice(&byte[..n]);
    }
}

fn parse(path: &Path, raw: &[u8], expected: u64) -> Result<Line, String> {
    let text = String::from_utf8(raw.to_vec())
        .map_err(|_| format!("{}: record {expected} is not UTF-8", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: record {expected} is not JSON: {e}", path.display()))?;
    let seq = v["seq"].as_u64().unwrap_or(u64::MAX);
    if seq != expected {
        return Err(format!(
            "{}: record {expected} says it is record {seq}: the journal is out of order; nothing was sent",
            path.display()
        ));
    }
    Ok(Line {
        seq: i64::try_from(seq).unwrap_or(i64::MAX),
        kind: v["type"].as_str().unwrap_or_default().to_string(),
        at: v["ts"].as_str().unwrap_or_default().to_string(),
        text,
    })
}

/// The byte offset where record `n` starts, and record `n - 1`'s line.
fn offset_of(path: &Path, n: u64) -> Result<(u64, Option<String>), String> {
    if n == 0 {
        return Ok((0, None));
    }
    let mut reader = std::io::BufReader::new(open(path)?);
    let mut offset = 0u64;
    let mut line = Vec::new();
    for i in 0..n {
        line.clear();
        let read = std::io::BufRead::read_until(&mut reader, b'\n', &mut line)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if read == 0 || line.last() != Some(&b'\n') {
            return Err(format!(
                "the store holds {n} records of {} and the journal only {i}: the store's copy is not of this journal, or the journal lost records; nothing was sent",
                path.display()
            ));
        }
        offset += read as u64;
    }
    line.pop();
    Ok((offset, Some(String::from_utf8_lossy(&line).into_owned())))
}

fn count_lines(path: &Path) -> Result<u64, String> {
    let mut seen = Counted::default();
    seen.update(path)?;
    Ok(seen.lines)
}

/// Whole lines of a growing file, counted from where the last count
/// stopped: a shipper round costs the new bytes, never the whole journal.
#[derive(Default)]
struct Counted {
    offset: u64,
    lines: u64,
}

impl Counted {
    fn update(&mut self, path: &Path) -> Result<(), String> {
        let mut file = open(path)?;
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut buf = vec![0u8; 1 << 16];
        // Bytes after the last newline are read again next time.
        let mut tail = 0u64;
        loop {
            let read = file
                .read(&mut buf)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if read == 0 {
                self.offset -= tail;
                return Ok(());
            }
            for b in &buf[..read] {
                tail += 1;
                if *b == b'\n' {
                    self.lines += 1;
                    tail = 0;
                }
            }
            self.offset += read as u64;
        }
    }
}

/// The session's shipper: a task that follows the journal and ships each
/// record once it is on disk.
pub struct Shipper {
    wake: Arc<Notify>,
    progress: Arc<Mutex<Progress>>,
    finish: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Shipper {
    /// Starts following the journal at `path`. Must be called within a
    /// Tokio runtime.
    pub fn start(conninfo: String, path: PathBuf) -> Shipper {
        let wake = Arc::new(Notify::new());
        let progress = Arc::new(Mutex::new(Progress::default()));
        let (finish, finishing) = watch::channel(false);
        let task = tokio::spawn(follow(
            conninfo,
            path,
            wake.clone(),
            progress.clone(),
            finishing,
        ));
        Shipper {
            wake,
            progress,
            finish,
            task,
        }
    }

    /// A record was written: ship it.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// The journal is closed: ships what is left, waiting at most `wait`
    /// for a store that is down, and says how far it got.
    pub async fn finish(self, wait: Duration) -> Progress {
        self.finish.send_replace(true);
        self.wake.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(wait, &mut task).await.is_err() {
            task.abort();
        }
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

async fn follow(
    conninfo: String,
    path: PathBuf,
    wake: Arc<Notify>,
    progress: Arc<Mutex<Progress>>,
    mut finishing: watch::Receiver<bool>,
) {
    let set = |f: &dyn Fn(&mut Progress)| {
        if let Ok(mut p) = progress.lock() {
            f(&mut p);
        }
    };
    let mut conn: Option<(Client, String, Position)> = None;
    let mut seen = Counted::default();
    loop {
        let last_call = *finishing.borrow();
        if seen.update(&path).is_ok() {
            let n = seen.lines;
            set(&|p| p.local = n);
        }
        let round = async {
            if conn.is_none() {
                let client = super::connect(&conninfo).await?;
                super::schema::ready(&client).await?;
                let (id, pos) = register(&client, &path).await?;
                conn = Some((client, id, pos));
            }
            let Some((client, id, pos)) = conn.as_mut() else {
                return Ok(0);
            };
            while ship_batch(client, id, &path, pos).await? {}
            // The team's lock lives as long as the session ships.
            super::lock::renew(client, id).await?;
            Ok::<u64, String>(pos.records)
        };
        match round.await {
            Ok(stored) => set(&|p| {
                p.stored = stored;
                p.error = None;
            }),
            Err(e) => {
                conn = None;
                set(&|p| p.error = Some(e.clone()));
            }
        }
        let caught_up = progress
            .lock()
            .map(|p| p.error.is_none() && p.behind() == 0)
            .unwrap_or(false);
        if last_call && caught_up {
            if let Some((client, id, _)) = &conn {
                let _ = super::lock::release(client, id).await;
            }
            return;
        }
        tokio::select! {
            () = wake.notified() => {}
            _ = finishing.changed() => {}
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_growing_file_is_counted_from_where_the_count_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "a\nb\nhalf").unwrap();
        let mut seen = Counted::default();
        seen.update(&path).unwrap();
        assert_eq!((seen.lines, seen.offset), (2, 4));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b" done\nc\n").unwrap();
        seen.update(&path).unwrap();
        assert_eq!(seen.lines, 4);
        assert_eq!(seen.lines, count_lines(&path).unwrap());
        seen.update(&path).unwrap();
        assert_eq!(seen.lines, 4, "counted twice");
    }
}
