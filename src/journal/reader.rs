//! Reading a journal back, and cutting off the torn tail a crash can leave.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::JournalError;
use super::record::{Record, decode_line};
use super::scan::scan;
use super::verify::seq_problem;

/// A journal as read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Journal<T> {
    pub records: Vec<Record<T>>,
    pub torn_tail: Option<TornTail>,
}

/// An incomplete or unparsable last line: what a crash or power cut in the
/// middle of an append leaves. It is not an error; [`repair`] removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where the torn line starts; everything before is whole records.
    pub offset: u64,
    /// How many bytes from `offset` to the end of the file.
    pub bytes: u64,
}

/// What [`repair`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// A copy of the journal as it was before the cut, for the post-mortem.
    pub broken_copy: PathBuf,
    pub kept_records: u64,
    pub dropped_bytes: u64,
}

/// The whole lines of a journal as text, for tools that do not know the
/// body type (verify, replay, export). Line `n` (1-based) is `lines[n - 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLines {
    pub lines: Vec<String>,
    pub torn_tail: Option<TornTail>,
}

/// Reads a journal without changing it.
///
/// A torn last line is reported in [`Journal::torn_tail`]. Damage anywhere
/// else (a line that is not a record, a gap or reordering in `seq`) is a
/// [`JournalError::Corrupt`] naming the line. The hash chain is not checked
/// here, so a post-mortem can still read an edited journal; [`crate::journal::verify`]
/// is what vouches for it.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<Journal<T>, JournalError> {
    let data = fs::read(path).map_err(|e| JournalError::io(path, e))?;
    let scanned = scan(&data);
    let mut records: Vec<Record<T>> = Vec::with_capacity(scanned.lines.len());
    for (i, range) in scanned.lines.iter().enumerate() {
        let record: Record<T> = decode_line(&data[range.clone()])
            .map_err(|reason| JournalError::corrupt(path, i + 1, reason.to_string()))?;
        let before = records.last().map(|r| r.seq);
        if let Some(reason) = seq_problem(before, record.seq) {
            return Err(JournalError::corrupt(path, i + 1, reason));
        }
        records.push(record);
    }
    Ok(Journal {
        records,
        torn_tail: torn_tail(&data, scanned.torn_from),
    })
}

/// Reads the whole lines of a journal as text, without decoding them.
pub fn read_lines(path: &Path) -> Result<RawLines, JournalError> {
    let data = fs::read(path).map_err(|e| JournalError::io(path, e))?;
    let scanned = scan(&data);
    let lines = scanned
        .lines
        .iter()
        .enumerate()
        .map(|(i, range)| {
            String::from_utf8(data[range.clone()].to_vec())
                .map_err(|_| JournalError::corrupt(path, i + 1, "not UTF-8 text"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RawLines {
        lines,
        torn_tail: torn_tail(&data, scanned.torn_from),
    })
}

/// Cuts a torn tail off the journal so it can be appended to again.
///
/// The original bytes are first copied to `<path>.broken` (or `.broken.1`,
/// `.broken.2`… : an earlier copy is never overwritten) and synced, so the
/// cut loses nothing a post-mortem might want. Returns `None` when there is
/// no torn tail.
pub fn repair(path: &Path) -> Result<Option<Repair>, JournalError> {
    let data = fs::read(path).map_err(|e| JournalError::io(path, e))?;
    let scanned = scan(&data);
    let Some(offset) = scanned.torn_from else {
        return Ok(None);
    };
    let broken_copy = write_broken_copy(path, &data)?;
    let truncate = || -> io::Result<()> {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(offset as u64)?;
        file.sync_all()
    };
    truncate().map_err(|e| JournalError::io(path, e))?;
    Ok(Some(Repair {
        broken_copy,
        kept_records: scanned.lines.len() as u64,
        dropped_bytes: (data.len() - offset) as u64,
    }))
}

fn write_broken_copy(path: &Path, data: &[u8]) -> Result<PathBuf, JournalError> {
    for n in 0..10_000u32 {
        let mut name = path.as_os_str().to_owned();
        name.push(if n == 0 {
            ".broken".to_string()
        } else {
            format!(".broken.{n}")
        });
        let copy = PathBuf::from(name);
        let mut file = match super::fs::create_new_private(&copy) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(JournalError::io(copy, e)),
        };
        let written = file
            .write_all(data)
            .and_then(|()| file.sync_all())
            .and_then(|()| super::fs::sync_parent_dir(&copy));
        return match written {
            Ok(()) => Ok(copy),
            Err(e) => Err(JournalError::io(copy, e)),
        };
    }
    Err(JournalError::io(
        path,
        io::Error::other("no free name for a .broken copy"),
    ))
}

fn torn_tail(data: &[u8], torn_from: Option<usize>) -> Option<TornTail> {
    torn_from.map(|offset| TornTail {
        offset: offset as u64,
        bytes: (data.len() - offset) as u64,
    })
}
