//! Checks a journal's hash chain on its raw lines, without knowing the body
//! type, so any runsheet version can vouch for any journal of its schema.

use std::fs;
use std::path::Path;

use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};

use super::JournalError;
use super::record::{GENESIS_PREV, RecordError, decode_header};
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
    /// Why the file is not a journal at all (empty, or no line of it is a
    /// record): then nothing was vouched for, whatever `first_break` says.
    pub not_a_journal: Option<String>,
}

/// What a journal looks like, for the message about a file that is not one.
pub const WHAT_A_JOURNAL_IS: &str = "a runsheet journal is the .jsonl file a session writes \
     in the journals folder of runsheet's data directory, one JSON record a line, the first \
     one `{\"v\":1,\"seq\":0,…,\"type\":\"session-started\",…}`; `runsheet history RUNBOOK` \
     lists a runbook's journals";

/// The type of record every journal starts with.
const FIRST_TYPE: &str = "session-started";

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
/// before. Only I/O failures are errors; a broken chain is a report. The
/// file is read line by line: a journal of any size verifies in little
/// memory.
pub fn verify(path: &Path) -> Result<VerifyReport, JournalError> {
    use std::io::BufRead;
    let io = |e| JournalError::io(path, e);
    let mut input = std::io::BufReader::with_capacity(1 << 20, fs::File::open(path).map_err(io)?);
    let mut v = Verifier::default();
    // The last whole line is held back: torn if it is not JSON (scan's rule).
    let mut pending: Option<Vec<u8>> = None;
    let mut line = Vec::new();
    let mut torn_tail = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        if line.pop() != Some(b'\n') {
            torn_tail = true;
            break;
        }
        match pending.as_mut() {
            Some(held) => {
                std::mem::swap(held, &mut line);
                v.line(&line);
            }
            None => pending = Some(std::mem::take(&mut line)),
        }
    }
    if let Some(last) = pending {
        if !torn_tail && serde_json::from_slice::<IgnoredAny>(&last).is_err() {
            torn_tail = true;
        } else {
            v.line(&last);
        }
    }
    Ok(v.report(torn_tail))
}

pub(crate) fn verify_bytes(data: &[u8]) -> VerifyReport {
    let scanned = scan(data);
    let mut v = Verifier::default();
    for range in &scanned.lines {
        v.line(&data[range.clone()]);
    }
    v.report(scanned.torn_from.is_some())
}

/// The chain checked one whole line at a time.
#[derive(Default)]
struct Verifier {
    records: u64,
    /// Lines that are journal records (of any schema version).
    recognised: u64,
    /// Why line 1 is not a record, for the "not a journal" message.
    first_line: Option<String>,
    chain: Chain,
    first_break: Option<Break>,
}

impl Verifier {
    fn line(&mut self, line: &[u8]) {
        self.records += 1;
        let number = self.records as usize;
        let decoded = decode_header(line);
        match &decoded {
            Ok(_) => self.recognised += 1,
            // Another version's record is still a journal's.
            Err(RecordError::UnknownVersion(_)) => self.recognised += 1,
            Err(reason) if number == 1 => self.first_line = Some(reason.to_string()),
            Err(_) => {}
        }
        let first_type = match &decoded {
            Ok((_, body)) if number == 1 => body.get("type").and_then(|t| t.as_str()),
            _ => None,
        };
        let header = decoded.as_ref().map(|(h, _)| h);
        if self.first_break.is_none() {
            let checked = match &header {
                Err(reason) => Err((None, reason.to_string())),
                Ok(h) => self
                    .chain
                    .check(number, line, h.seq, h.prev.as_bytes())
                    .and_then(|()| match first_type {
                        Some(FIRST_TYPE) => Ok(()),
                        _ if number > 1 => Ok(()),
                        other => Err(not_a_start(other)),
                    })
                    .map_err(|reason| (Some(h.seq), reason)),
            };
            match checked {
                Ok(()) => return,
                Err((seq, reason)) => {
                    self.first_break = Some(Break {
                        line: number,
                        seq,
                        reason,
                    })
                }
            }
        }
        // After a break later lines are still hashed, for `final_hash`.
        let seq = header.map(|h| h.seq).unwrap_or(u64::MAX);
        self.chain.advance(seq, line);
    }

    fn report(self, torn_tail: bool) -> VerifyReport {
        let not_a_journal =
            (self.recognised == 0).then(|| match (self.records, &self.first_line) {
                (0, _) if torn_tail => {
                    "it holds no whole record (nothing but one line with no end)".to_string()
                }
                (0, _) => "it is empty".to_string(),
                (_, Some(why)) => format!("no line of it is a journal record (line 1: {why})"),
                (_, None) => "no line of it is a journal record".to_string(),
            });
        VerifyReport {
            records: self.records,
            final_hash: self.chain.last_hash(),
            first_break: self.first_break,
            torn_tail,
            not_a_journal,
        }
    }
}

/// The hash chain's rules, line by line: shared by `verify` and by the
/// replay's index, which checks the chain as it reads a journal that may
/// still be growing.
#[derive(Default)]
pub(crate) struct Chain {
    /// The seq of the last line checked, and its hash as `prev` writes it
    /// (lowercase hex): comparing text is cheaper than decoding every prev.
    last: Option<(u64, [u8; 64])>,
}

impl Chain {
    /// Checks a line whose header reads `seq` and `prev` (as written);
    /// `line_no` is 1-based. Returns why the chain breaks here, if it does;
    /// a line that holds becomes the one the next must follow.
    pub fn check(
        &mut self,
        line_no: usize,
        line: &[u8],
        seq: u64,
        prev: &[u8],
    ) -> Result<(), String> {
        if let Some(reason) = seq_problem(self.last.as_ref().map(|(s, _)| *s), seq) {
            return Err(reason);
        }
        match &self.last {
            None if prev != GENESIS_PREV.as_bytes() => Err(
                "the first record's prev is not all zeros (records were removed from the start)"
                    .into(),
            ),
            Some((_, before)) if prev != before.as_slice() => Err(format!(
                "prev does not match the hash of line {} (the record was edited or a record \
                 was removed)",
                line_no - 1
            )),
            _ => {
                self.advance(seq, line);
                Ok(())
            }
        }
    }

    /// Takes `line` as the last one, unchecked.
    pub fn advance(&mut self, seq: u64, line: &[u8]) {
        self.last = Some((seq, hex(&Sha256::digest(line).into())));
    }

    /// The last line's hash, as `prev` and the incident ticket write it.
    pub fn last_hash(&self) -> Option<String> {
        self.last
            .as_ref()
            .map(|(_, h)| String::from_utf8_lossy(h).into_owned())
    }
}

fn hex(hash: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(hash) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

/// Why a journal cannot begin with a record of type `kind`.
fn not_a_start(kind: Option<&str>) -> String {
    let kind = kind.map_or("a record of no type".to_string(), |t| format!("a `{t}`"));
    format!(
        "the first record is {kind}, not the session's start (`{FIRST_TYPE}`): records were \
         removed from the start, or the file was not written by a session"
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::line_hash;

    /// A chained journal of `n` records, as the writer lays them out.
    fn journal(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = GENESIS_PREV.to_string();
        for seq in 0..n {
            let line = format!(
                r#"{{"v":1,"seq":{seq},"ts":"2026-11-21T00:00:00.000Z","prev":"{prev}","type":"{kind}","text":"n{seq}"}}"#,
                kind = if seq == 0 {
                    "session-started"
                } else {
                    "note-added"
                }
            );
            prev = line_hash(line.as_bytes());
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn reading_the_file_line_by_line_finds_what_reading_it_whole_does() {
        let intact = journal(5);
        let mut edited = intact.clone();
        let at = edited.windows(2).position(|w| w == b"n2").unwrap_or(0);
        edited[at + 1] = b'9';
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("intact", intact.clone()),
            (
                "no newline at the end",
                [&intact[..], b"{\"v\":1,"].concat(),
            ),
            ("NUL tail", [&intact[..], &[0u8; 16]].concat()),
            ("garbage last line", [&intact[..], b"xx\n"].concat()),
            (
                "garbage inside",
                [&intact[..20], b"\n", &intact[20..]].concat(),
            ),
            ("edited", edited),
        ];
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (name, data) in cases {
            let path = dir.path().join("j.jsonl");
            std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
            let streamed = verify(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(streamed, verify_bytes(&data), "{name}");
        }
        assert_eq!(verify_bytes(&intact).records, 5);
        assert!(verify_bytes(&intact).first_break.is_none());
    }

    #[test]
    fn hashes_are_compared_as_prev_writes_them() {
        let mut chain = Chain::default();
        assert!(chain.check(1, b"first", 0, GENESIS_PREV.as_bytes()).is_ok());
        let prev = line_hash(b"first");
        assert!(chain.check(2, b"second", 1, prev.as_bytes()).is_ok());
        assert_eq!(chain.last_hash(), Some(line_hash(b"second")));
        let wrong = chain.check(3, b"third", 2, prev.as_bytes());
        assert!(wrong.is_err_and(|r| r.contains("hash of line 2")));
        let gap = chain.check(3, b"third", 5, line_hash(b"second").as_bytes());
        assert!(gap.is_err_and(|r| r.contains("seq 5 follows 1")));
    }
}
