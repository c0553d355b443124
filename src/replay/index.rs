//! What replay knows of a journal without holding its text: where each
//! record starts, when it happened, which step's output it carries and how
//! much, where steps start and end, and snapshots of the session every few
//! hundred records so a seek does not start from the beginning.
//!
//! The index reads the file once, front to back, checking the hash chain
//! as it goes, and can be extended as the file grows (follow mode): a line
//! without its newline yet is simply not complete. Output text is read
//! again, from the file, only for what is shown.
//!
//! Alongside, the index folds every record but output into a session (the
//! "tip"): that is where it learns which records are failures or gates,
//! and it checks that the journal fits its runbook. It keeps sessions
//! only, never screens: a seek rebuilds the view from the session
//! (`View::restored`) and the effects of the records after it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::IgnoredAny;

use super::error::ReplayError;
use super::fold::{Marks, View};
use super::line;
use super::rehearsed;
use crate::journal::record::{decode_header, decode_line};
use crate::journal::verify::Chain;
use crate::session::{Millis, Msg, Session, SessionInfo};

/// A snapshot of the session every this many records other than output.
const CHECKPOINT_EVERY: usize = 512;

/// One record of the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where its line starts in the file.
    pub offset: u64,
    /// When it is shown: its time, or the time of the record before if
    /// that is later (a clock stepped back must not run a replay backwards).
    pub at: Millis,
    /// Its line's length, newline excluded.
    pub len: u32,
    /// Output only: the bytes of its decoded data.
    pub data_len: u32,
    /// Output only: the step, as an index into [`Index::step_name`].
    pub step: u32,
    pub output: bool,
}

/// Places worth jumping to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Boundary,
    Failure,
    Gate,
    Note,
}

const MARKS: [Mark; 4] = [Mark::Boundary, Mark::Failure, Mark::Gate, Mark::Note];

/// Why the replay ends before the file does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The hash chain breaks at `line` (1-based): that line and the one
    /// before may be the edited ones, so replay stops before both.
    Broken { line: usize, reason: String },
    /// The record at `line` could not be applied: the engine refused it,
    /// or this runsheet cannot read it.
    Refused { line: usize, reason: String },
    /// The file became shorter than what was already read.
    Truncated,
}

/// The session after the first `pos` records, output left out.
#[derive(Clone)]
pub struct Checkpoint {
    pub pos: usize,
    pub session: Session,
    /// Output bytes of each step (by step index) in records before `pos`.
    pub bytes: Vec<u64>,
}

struct Tip {
    session: Session,
    bytes: Vec<u64>,
    since_checkpoint: usize,
}

pub struct Index {
    file: File,
    path: PathBuf,
    view: View,
    entries: Vec<Entry>,
    step_names: Vec<String>,
    step_ids: HashMap<String, u32>,
    /// Each step's output records, in order.
    outputs: Vec<Vec<u32>>,
    /// The records that are not output, in order.
    others: Vec<u32>,
    /// Records carrying each mark, in order (see [`MARKS`]).
    marks: [Vec<u32>; 4],
    checkpoints: Vec<Checkpoint>,
    /// Positions from which the session runs on a runbook changed at a resume.
    epochs: Vec<usize>,
    tip: Option<Tip>,
    chain: Chain,
    /// Bytes of whole lines read so far.
    read_to: u64,
    torn: bool,
    stop: Option<Stop>,
}

impl Index {
    /// Opens and indexes a journal. Fails if it is not a runsheet journal
    /// or nothing of it can be trusted.
    pub fn open(path: &Path) -> Result<Index, ReplayError> {
        Index::open_as(path, &path.display().to_string())
    }

    /// [`Index::open`], the header showing the journal as `shown` (a
    /// copy replayed in place of the original, a stable name in tests).
    pub fn open_as(path: &Path, shown: &str) -> Result<Index, ReplayError> {
        let file = File::open(path).map_err(|source| ReplayError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let mut index = Index {
            file,
            path: path.to_path_buf(),
            view: View {
                journal_path: shown.to_string(),
            },
            entries: Vec::new(),
            step_names: Vec::new(),
            step_ids: HashMap::new(),
            outputs: Vec::new(),
            others: Vec::new(),
            marks: Default::default(),
            checkpoints: Vec::new(),
            epochs: Vec::new(),
            tip: None,
            chain: Chain::default(),
            read_to: 0,
            torn: false,
            stop: None,
        };
        index.extend()?;
        if index.entries.is_empty() {
            let path = path.to_path_buf();
            return Err(match index.stop.take() {
                Some(Stop::Broken { line, reason }) => {
                    ReplayError::BrokenChain { path, line, reason }
                }
                _ => ReplayError::Empty { path },
            });
        }
        Ok(index)
    }

    /// Reads the lines appended since the last call; returns how many
    /// records were added. Only an I/O failure is an error.
    pub fn extend(&mut self) -> Result<usize, ReplayError> {
        if self.stop.is_some() {
            return Ok(0);
        }
        let before = self.entries.len();
        let size = self.file.metadata()?.len();
        if size < self.read_to {
            self.stop = Some(Stop::Truncated);
            return Ok(0);
        }
        // A second handle on the file: records are read back (by offset)
        // through the first while this one streams.
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(self.read_to))?;
        // Up to the size seen: what is appended meanwhile is for next time.
        let mut reader = BufReader::with_capacity(1 << 20, file.take(size - self.read_to));
        let mut buf = Vec::with_capacity(4096);
        self.torn = false;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            if buf.last() != Some(&b'\n') {
                self.torn = true;
                break;
            }
            let offset = self.read_to;
            let last = offset + n as u64 == size;
            match self.line(offset, &buf[..n - 1], last)? {
                Next::Go => self.read_to += n as u64,
                Next::Torn => {
                    self.torn = true;
                    break;
                }
                Next::Stopped => break,
            }
        }
        Ok(self.entries.len().saturating_sub(before))
    }

    fn line(&mut self, offset: u64, body: &[u8], last: bool) -> Result<Next, ReplayError> {
        let line_no = self.entries.len() + 1;
        let len =
            u32::try_from(body.len()).map_err(|_| ReplayError::LineTooLong { line: line_no })?;
        // A chain that does not hold here is left to the full decoder
        // below, which says why the way `verify` does.
        if self.tip.is_some()
            && let Some(out) = line::output_line(body)
            && self.chain.check(line_no, body, out.seq, out.prev).is_ok()
        {
            let data_len = u32::try_from(out.data_len).unwrap_or(u32::MAX);
            self.push_output(offset, len, out.ts, out.step, data_len);
            return Ok(Next::Go);
        }
        let record = match decode_line::<Msg>(body) {
            Ok(r) => r,
            Err(reason) => {
                return match decode_header(body) {
                    Err(_) if last && serde_json::from_slice::<IgnoredAny>(body).is_err() => {
                        Ok(Next::Torn)
                    }
                    Err(header) => {
                        if line_no == 1 {
                            return Err(ReplayError::NotAJournal(header));
                        }
                        self.broken(line_no, header.to_string())
                    }
                    Ok((h, _)) => {
                        if let Err(broken) =
                            self.chain.check(line_no, body, h.seq, h.prev.as_bytes())
                        {
                            return self.broken(line_no, broken);
                        }
                        self.refused(line_no, reason.to_string())
                    }
                };
            }
        };
        if let Err(reason) = self
            .chain
            .check(line_no, body, record.seq, record.prev.as_bytes())
        {
            return self.broken(line_no, reason);
        }
        let at = record.ts.as_millisecond();
        match record.body {
            Msg::Output { step, data, .. } if self.tip.is_some() => {
                let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
                self.push_output(offset, len, at, &step, data_len);
                Ok(Next::Go)
            }
            Msg::SessionStarted(info) if self.tip.is_none() => {
                self.start(info, at);
                self.push(offset, len, at);
                self.checkpoint();
                Ok(Next::Go)
            }
            _ if self.tip.is_none() => Err(ReplayError::NoSessionStart),
            msg => self.apply(line_no, offset, len, at, msg),
        }
    }

    fn start(&mut self, info: SessionInfo, at: Millis) {
        let rb = Arc::new(crate::session::protection::journal_runbook(&info, &[]));
        let mut session = Session::new(rb, info, at);
        session.set_rehearsed(rehearsed::before(&self.path, &session, at));
        self.tip = Some(Tip {
            session,
            bytes: Vec::new(),
            since_checkpoint: 0,
        });
    }

    fn apply(
        &mut self,
        line_no: usize,
        offset: u64,
        len: u32,
        at: Millis,
        msg: Msg,
    ) -> Result<Next, ReplayError> {
        let mut epoch = false;
        if let Msg::Resumed { runbook_text, .. } = &msg {
            if let Some(text) = runbook_text {
                // The resumed session was folded afresh on the changed runbook.
                if let Err(reason) = self.refold(text) {
                    return self.refused(line_no, reason);
                }
                epoch = true;
            }
            if let Some(tip) = self.tip.as_mut() {
                let times = rehearsed::before(&self.path, &tip.session, at);
                tip.session.set_rehearsed(times);
            }
        }
        let Some(tip) = self.tip.as_mut() else {
            return Ok(Next::Stopped);
        };
        let copy = msg.clone();
        let effects = match tip.session.update_recorded(at, msg) {
            Ok(e) => e,
            Err(r) => return self.refused(line_no, r.0),
        };
        let marks = Marks::of(&copy, &effects, &tip.session);
        tip.since_checkpoint += 1;
        let due = tip.since_checkpoint >= CHECKPOINT_EVERY;
        let record = self.entries.len() as u32;
        for (kind, set) in MARKS
            .iter()
            .zip([marks.boundary, marks.failure, marks.gate, marks.note])
        {
            if set {
                self.marks[*kind as usize].push(record);
            }
        }
        self.push(offset, len, at);
        if epoch {
            self.epochs.push(self.entries.len());
        }
        if due || epoch {
            self.checkpoint();
        }
        Ok(Next::Go)
    }

    /// Folds every record so far again on `text`'s runbook, as a resume
    /// with a changed runbook did.
    /// The error is the reason of a [`Stop::Refused`], shown as it is:
    /// it stays text.
    fn refold(&mut self, text: &str) -> Result<(), String> {
        let Some(first) = self.checkpoints.first() else {
            return Err("no session to resume".into());
        };
        let info = first.session.info().clone();
        let started = first.session.started_at();
        let mut buf = Vec::new();
        // The runbooks accepted at earlier resumes still fix its targets.
        let mut records = Vec::new();
        let mut accepted = Vec::new();
        for i in self.others.iter().skip(1).map(|i| *i as usize) {
            let (at, msg) = self.read(i, &mut buf).map_err(|e| e.to_string())?;
            if let Msg::Resumed {
                runbook_text: Some(t),
                ..
            } = &msg
            {
                accepted.push(t.clone());
            }
            records.push((i, at, msg));
        }
        accepted.push(text.to_string());
        let rb = Arc::new(crate::session::protection::journal_runbook(
            &info, &accepted,
        ));
        let mut session = Session::new(rb, info, started);
        for (i, at, msg) in records {
            session.update_recorded(at, msg).map_err(|r| {
                format!(
                    "the runbook changed at this resume no longer fits line {}: {r}",
                    i + 1
                )
            })?;
        }
        if let Some(tip) = self.tip.as_mut() {
            tip.session = session;
        }
        Ok(())
    }

    fn push(&mut self, offset: u64, len: u32, at: Millis) {
        self.others.push(self.entries.len() as u32);
        let shown = self.entries.last().map_or(at, |e| e.at.max(at));
        self.entries.push(Entry {
            offset,
            at: shown,
            len,
            data_len: 0,
            step: u32::MAX,
            output: false,
        });
    }

    fn push_output(&mut self, offset: u64, len: u32, at: Millis, step: &str, data_len: u32) {
        let id = self.intern(step);
        let record = self.entries.len() as u32;
        self.push(offset, len, at);
        self.others.pop();
        if let Some(e) = self.entries.last_mut() {
            e.output = true;
            e.step = id;
            e.data_len = data_len;
        }
        self.outputs[id as usize].push(record);
        if let Some(tip) = self.tip.as_mut() {
            tip.bytes.resize(self.step_names.len(), 0);
            tip.bytes[id as usize] += u64::from(data_len);
        }
    }

    fn intern(&mut self, step: &str) -> u32 {
        // Output comes in runs of one step: skip the hashing for those.
        if let Some(last) = self.entries.last()
            && last.output
            && self.step_name(last.step) == Some(step)
        {
            return last.step;
        }
        if let Some(id) = self.step_ids.get(step) {
            return *id;
        }
        let id = self.step_names.len() as u32;
        self.step_names.push(step.to_string());
        self.step_ids.insert(step.to_string(), id);
        self.outputs.push(Vec::new());
        id
    }

    fn checkpoint(&mut self) {
        let Some(tip) = self.tip.as_mut() else {
            return;
        };
        tip.since_checkpoint = 0;
        let pos = self.entries.len();
        self.checkpoints.retain(|c| c.pos != pos);
        self.checkpoints.push(Checkpoint {
            pos,
            session: tip.session.clone(),
            bytes: tip.bytes.clone(),
        });
    }

    fn broken(&mut self, line: usize, reason: String) -> Result<Next, ReplayError> {
        // A break at line N: N's prev does not match line N-1, and either
        // may be the edited one.
        self.truncate(line.saturating_sub(2))?;
        self.stop = Some(Stop::Broken { line, reason });
        Ok(Next::Stopped)
    }

    fn refused(&mut self, line: usize, reason: String) -> Result<Next, ReplayError> {
        self.stop = Some(Stop::Refused { line, reason });
        Ok(Next::Stopped)
    }

    /// Forgets every record from `n` on (what a break makes untrusted,
    /// possibly already indexed when following a growing file).
    fn truncate(&mut self, n: usize) -> Result<(), ReplayError> {
        if n >= self.entries.len() {
            return Ok(());
        }
        self.entries.truncate(n);
        let cut = |v: &mut Vec<u32>| v.truncate(v.partition_point(|r| (*r as usize) < n));
        self.outputs.iter_mut().for_each(cut);
        self.marks.iter_mut().for_each(cut);
        cut(&mut self.others);
        self.checkpoints.retain(|c| c.pos <= n);
        self.epochs.retain(|e| *e <= n);
        let Some(cp) = self.checkpoints.last() else {
            self.tip = None;
            return Ok(());
        };
        let (from, mut session) = (cp.pos, cp.session.clone());
        let mut buf = Vec::new();
        let mut since = 0;
        let first = self.others.partition_point(|r| (*r as usize) < from);
        for i in self.others[first..].iter().map(|i| *i as usize) {
            let (at, msg) = self.read(i, &mut buf)?;
            session
                .update_recorded(at, msg)
                .map_err(|reason| ReplayError::RefusedRefold {
                    line: i + 1,
                    reason,
                })?;
            since += 1;
        }
        let bytes = self
            .outputs
            .iter()
            .map(|recs| {
                recs.iter()
                    .map(|r| u64::from(self.entries[*r as usize].data_len))
                    .sum()
            })
            .collect();
        self.tip = Some(Tip {
            session,
            bytes,
            since_checkpoint: since,
        });
        Ok(())
    }

    /// Reads and decodes record `i` (0-based): its time and message.
    pub fn read(&self, i: usize, buf: &mut Vec<u8>) -> Result<(Millis, Msg), ReplayError> {
        let line = i + 1;
        let e = self.entries.get(i).ok_or(ReplayError::NoRecord { line })?;
        buf.resize(e.len as usize, 0);
        self.file
            .read_exact_at(buf, e.offset)
            .map_err(|source| ReplayError::LineUnreadable { line, source })?;
        let r =
            decode_line::<Msg>(buf).map_err(|source| ReplayError::BadRecord { line, source })?;
        Ok((r.ts.as_millisecond(), r.body))
    }

    /// Records that can be replayed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    pub fn stop(&self) -> Option<&Stop> {
        self.stop.as_ref()
    }

    /// The file ends with an incomplete line (being written, or a crash).
    pub fn torn(&self) -> bool {
        self.torn
    }

    pub fn step_name(&self, id: u32) -> Option<&str> {
        self.step_names.get(id as usize).map(String::as_str)
    }

    pub fn step_count(&self) -> usize {
        self.step_names.len()
    }

    /// The output records of step `id`, in order.
    pub fn outputs_of(&self, id: u32) -> &[u32] {
        self.outputs.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The last record before position `pos` that is not output.
    pub fn last_other_before(&self, pos: usize) -> Option<usize> {
        let i = self.others.partition_point(|r| (*r as usize) < pos);
        self.others.get(i.checked_sub(1)?).map(|r| *r as usize)
    }

    /// The time of the first record: the session's start.
    pub fn started_at(&self) -> Millis {
        self.entries.first().map_or(0, |e| e.at)
    }

    /// When the last replayable record happened.
    pub fn last_at(&self) -> Millis {
        self.entries.last().map_or(0, |e| e.at)
    }

    /// The last checkpoint at or before position `pos` (records applied).
    pub fn checkpoint_before(&self, pos: usize) -> Option<&Checkpoint> {
        let i = self.checkpoints.partition_point(|c| c.pos <= pos);
        self.checkpoints.get(i.checked_sub(1)?)
    }

    /// Does the runbook change (at a resume) between positions `from`
    /// (excluded) and `to` (included)?
    pub fn runbook_changes(&self, from: usize, to: usize) -> bool {
        self.epochs.iter().any(|e| *e > from && *e <= to)
    }

    /// How many checkpoints lie after `from` and at or before `to`.
    pub fn checkpoints_between(&self, from: usize, to: usize) -> usize {
        let a = self.checkpoints.partition_point(|c| c.pos <= from);
        let b = self.checkpoints.partition_point(|c| c.pos <= to);
        b.saturating_sub(a)
    }

    /// The position just after the first `mark` record not yet applied at `pos`.
    pub fn next_mark(&self, mark: Mark, pos: usize) -> Option<usize> {
        let set = &self.marks[mark as usize];
        let i = set.partition_point(|r| (*r as usize) < pos);
        set.get(i).map(|r| *r as usize + 1)
    }

    /// The position just after the last `mark` record before `pos - 1`.
    pub fn prev_mark(&self, mark: Mark, pos: usize) -> Option<usize> {
        let set = &self.marks[mark as usize];
        let i = set.partition_point(|r| (*r as usize) + 1 < pos);
        set.get(i.checked_sub(1)?).map(|r| *r as usize + 1)
    }

    /// Every position just after a `mark` record.
    pub fn marks(&self, mark: Mark) -> impl Iterator<Item = usize> + '_ {
        self.marks[mark as usize].iter().map(|r| *r as usize + 1)
    }

    /// How many records happened at or before `at` (at least the first).
    pub fn position_at(&self, at: Millis) -> usize {
        self.entries.partition_point(|e| e.at <= at).max(1)
    }
}

enum Next {
    Go,
    Torn,
    Stopped,
}
