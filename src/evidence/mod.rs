//! A journal turned into evidence someone else can check: anchored to the
//! team store's copy (`anchor`), to the final hash written in a ticket
//! (`expect`), and signed with the operator's SSH key (`sign`).
//!
//! The chain alone cannot catch a record edited with every later hash
//! recomputed, nor a journal cut at a record boundary: both verify. What
//! catches them is a copy or a hash kept somewhere the editor cannot
//! reach, and a signature says who vouches for that hash.

pub mod anchor;
pub mod approvals;
pub mod check;
pub mod sign;

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Length of a final hash as `verify` prints it (hex SHA-256).
pub const HASH_LEN: usize = 64;

/// The last whole record of a journal: how many records it has and its
/// hash, read from the end of the file (the end of a session must not
/// read a journal of any size again to say it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub records: u64,
    pub final_hash: String,
}

/// [`Tail`] of the journal at `path`; `None` when it has no whole record
/// or the last one says no `seq`. Its chain is not checked: `verify` does.
pub fn tail(path: &Path) -> Option<Tail> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.seek(SeekFrom::End(0)).ok()?;
    // Bytes from `start` to the end, growing backwards until they hold the
    // newline before the last whole line (or the file's start).
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let step = (64 << 10).min(start);
        start -= step;
        let mut chunk = vec![0u8; usize::try_from(step).ok()?];
        file.seek(SeekFrom::Start(start)).ok()?;
        file.read_exact(&mut chunk).ok()?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        let end = buf.iter().rposition(|b| *b == b'\n')?;
        if let Some(before) = buf[..end].iter().rposition(|b| *b == b'\n') {
            return tail_of(&buf[before + 1..end]);
        }
        if start == 0 {
            return tail_of(&buf[..end]);
        }
    }
}

fn tail_of(line: &[u8]) -> Option<Tail> {
    let seq = serde_json::from_slice::<serde_json::Value>(line)
        .ok()?
        .get("seq")?
        .as_u64()?;
    Some(Tail {
        records: seq.checked_add(1)?,
        final_hash: crate::journal::record::line_hash(line),
    })
}

pub use crate::journal::paths::verify_command;

/// What the end of a session says about its evidence, one line each: the
/// final hash and the command to check it later. Nothing for a journal
/// with no record.
pub fn end_lines(journal: &Path) -> Vec<String> {
    let Some(t) = tail(journal) else {
        return Vec::new();
    };
    vec![
        format!(
            "final hash: {} ({} records): write it in the ticket",
            t.final_hash, t.records
        ),
        format!("check it later: {}", verify_command(journal, &t.final_hash)),
    ]
}

/// `~/rest` as a path in the home folder; anything else as written.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home().unwrap_or_else(|| PathBuf::from(path)),
        _ => PathBuf::from(path),
    }
}

/// The user's home folder: `$HOME`, as ssh and git read it.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// What `--expect` was given, as a full hash: a prefix would let a
/// forger search for a journal whose hash merely starts the same (48 bits
/// for 12 digits is within reach), so only the whole hash is accepted.
pub fn parse_expected(given: &str) -> Result<String, String> {
    let h = given.trim().to_ascii_lowercase();
    if h.len() != HASH_LEN || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "--expect takes the journal's whole final hash, {HASH_LEN} hex digits as `runsheet verify` and the report print it (got {} characters{}); a shortened hash is not accepted, as a journal made to match a short prefix could pass",
            h.len(),
            if h.bytes().all(|b| b.is_ascii_hexdigit()) {
                ""
            } else {
                ", not all hex digits"
            }
        ));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_the_last_whole_record_however_long_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("j.jsonl");
        let long = "x".repeat(200_000);
        let text =
            format!("{{\"seq\":0,\"a\":\"{long}\"}}\n{{\"seq\":1,\"b\":\"{long}\"}}\n{{\"seq\":2");
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let t = tail(&path).unwrap_or_else(|| panic!("no tail"));
        assert_eq!(t.records, 2);
        let second = format!("{{\"seq\":1,\"b\":\"{long}\"}}");
        assert_eq!(
            t.final_hash,
            crate::journal::record::line_hash(second.as_bytes())
        );
        std::fs::write(&path, "{\"seq\":0}\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tail(&path).map(|t| t.records), Some(1));
        std::fs::write(&path, "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tail(&path), None);
    }

    #[test]
    fn only_a_whole_hash_is_expected() {
        let h = "AB".repeat(32);
        assert_eq!(parse_expected(&format!(" {h}\n")), Ok(h.to_lowercase()));
        assert!(parse_expected(&h[..12]).is_err_and(|e| e.contains("64 hex digits")));
        assert!(parse_expected(&"g".repeat(64)).is_err_and(|e| e.contains("not all hex")));
    }
}
