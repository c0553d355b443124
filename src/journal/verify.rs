//! Checks a journal's hash chain on its raw lines, without knowing the body
//! type, so any runsheet version can vouch for any journal of its schema.

use std::fs;
use std::path::Path;

use super::JournalError;
use super::record::{GENESIS_PREV, decode_header, line_hash};
use super::scan::scan;

/// The outcome of [`verify`]. The journal is intact when `first_break` is
/// `None`; `final_hash` is what goes in the incident ticket, so that cutting
/// whole records off the end is detected later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Whole lines, torn tail excluded.
    pub records: u64,
    /// Hex SHA-256 of the last whole line; `None` for an empty journal.
    pub final_hash: Option<String>,
    pub first_break: Option<Break>,
    /// A torn last line was found (and ignored): the session crashed
    /// mid-append and was not resumed.
    pub torn_tail: bool,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// 1-based line number.
    pub line: usize,
    /// The line's `seq`, when it could be read.
    pub seq: Option<u64>,
    pub reason: String,
}

/// Verifies every whole line: it is a record of a known schema version,
/// `seq` counts up from 0 without gaps, and `prev` is the hash of the line
/// before. Only I/O failures are errors; a broken chain is a report.
pub fn verify(path: &Path) -> Result<VerifyReport, JournalError> {
    let data = fs::read(path).map_err(|e| JournalError::io(path, e))?;
    Ok(verify_bytes(&data))
}

pub(crate) fn verify_bytes(data: &[u8]) -> VerifyReport {
    let scanned = scan(data);
    let mut first_break = None;
    let mut before: Option<(u64, String)> = None;
    for (i, range) in scanned.lines.iter().enumerate() {
        let line = &data[range.clone()];
        let hash = line_hash(line);
        if first_break.is_none() {
            first_break = check_line(i + 1, line, before.as_ref());
        }
        // After a break later lines are still hashed, for `final_hash`.
        let seq = decode_header(line).map(|(h, _)| h.seq).unwrap_or(u64::MAX);
        before = Some((seq, hash));
    }
    VerifyReport {
        records: scanned.lines.len() as u64,
        final_hash: before.map(|(_, hash)| hash),
        first_break,
        torn_tail: scanned.torn_from.is_some(),
    }
}

fn check_line(number: usize, line: &[u8], before: Option<&(u64, String)>) -> Option<Break> {
    let (header, _) = match decode_header(line) {
        Ok(h) => h,
        Err(reason) => {
            return Some(Break {
                line: number,
                seq: None,
                reason,
            });
        }
    };
    let broken = |reason: String| {
        Some(Break {
            line: number,
            seq: Some(header.seq),
            reason,
        })
    };
    if let Some(reason) = seq_problem(before.map(|(seq, _)| *seq), header.seq) {
        return broken(reason);
    }
    match before {
        None if header.prev != GENESIS_PREV => broken(
            "the first record's prev is not all zeros (records were removed from the start)".into(),
        ),
        Some((_, hash)) if header.prev != *hash => broken(format!(
            "prev does not match the hash of line {} (the record was edited or a record was \
             removed)",
            number - 1
        )),
        _ => None,
    }
}

/// Why `seq` cannot follow the record before it (`None` for the first).
pub(crate) fn seq_problem(before: Option<u64>, seq: u64) -> Option<String> {
    match before {
        None if seq != 0 => Some(format!(
            "the first record has seq {seq}, not 0 (records were removed from the start)"
        )),
        Some(b) if b.checked_add(1) != Some(seq) => Some(if seq > b {
            format!("seq {seq} follows {b} (a record was removed or moved)")
        } else {
            format!("seq {seq} follows {b} (records were reordered or duplicated)")
        }),
        _ => None,
    }
}
