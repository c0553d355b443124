//! `runsheet report JOURNAL`: a post-mortem from a journal, in Markdown or
//! as one self-contained HTML page. A journal that fails verification is
//! reported up to its break, under a warning.

pub mod build;
pub mod coverage;
pub mod html;
pub mod markdown;
mod plain;

/// Why no report could be written from a journal.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The journal could not be opened or verified.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// The file is not a runsheet journal at all.
    #[error("{} is not a runsheet journal: {why}\n{}", path.display(), journal::verify::WHAT_A_JOURNAL_IS)]
    NotAJournal { path: PathBuf, why: String },
    /// Reading the journal failed part way.
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The journal fails verification at its very start.
    #[error(
        "{}: no record of it can be trusted (the journal fails verification at its start)",
        path.display()
    )]
    Untrusted { path: PathBuf },
    /// The first trusted record does not start a session.
    #[error(transparent)]
    NotASession(#[from] build::NotASession),
}

use std::path::{Path, PathBuf};

use crate::journal;
use std::io::BufRead;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::journal::record::decode_line;
use crate::session::Msg;

/// How a resume record's type reads in a journal line. Output that holds
/// these words is escaped in its line (`\"type\"`), so they only match a
/// record's own type, or cost one needless decode.
/// (`None` would mean every line is decoded: slower, still right.)
static RESUMED: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasick::new([r#""type":"resumed""#]).ok());

/// Calls `each` with the first `limit` whole lines of the file (0-based
/// number, bytes without the newline), one at a time, until it says stop.
fn each_line(
    path: &Path,
    limit: usize,
    mut each: impl FnMut(usize, &[u8]) -> bool,
) -> Result<(), ReportError> {
    let read = |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut input = std::io::BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    for i in 0..limit {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(read)?;
        if n == 0 || line.pop() != Some(b'\n') {
            break;
        }
        if !each(i, &line) {
            break;
        }
    }
    Ok(())
}

/// What the report says about the journal itself.
pub struct Source {
    pub path: PathBuf,
    pub records: u64,
    pub final_hash: Option<String>,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Intact,
    Broken { line: usize, reason: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// Reads, verifies and folds a journal, then renders the report.
pub fn write(path: &Path, format: Format) -> Result<String, ReportError> {
    let verified = journal::verify(path)?;
    if let Some(why) = &verified.not_a_journal {
        return Err(ReportError::NotAJournal {
            path: path.to_path_buf(),
            why: why.clone(),
        });
    }
    let mut integrity = match &verified.first_break {
        Some(b) => Integrity::Broken {
            line: b.line,
            reason: b.reason.clone(),
        },
        None => Integrity::Intact,
    };
    // A break at line N means line N's `prev` does not match line N-1:
    // either may be the edited one, so neither is trusted.
    let trusted = match &integrity {
        Integrity::Broken { line, .. } => line.saturating_sub(2),
        Integrity::Intact => usize::try_from(verified.records).unwrap_or(usize::MAX),
    };
    // Two passes over the file, one record in memory at a time: the
    // runbook a report follows is the last one a resume accepted, which
    // the fold needs from its first record on.
    let mut accepted: Vec<String> = Vec::new();
    each_line(path, trusted, |_, line| {
        if RESUMED.as_ref().is_none_or(|r| r.find(line).is_some())
            && let Ok(r) = decode_line::<Msg>(line)
            && let Some(text) = build::accepted_runbook(&r.body)
        {
            accepted.push(text.to_string());
        }
        true
    })?;
    let mut builder: Option<build::Builder> = None;
    let mut start_error = None;
    each_line(path, trusted, |i, line| {
        // Decoded line by line: an edited journal still reports up to the
        // first record this runsheet cannot read.
        let record = match decode_line::<Msg>(line) {
            Ok(r) => r,
            Err(reason) => {
                integrity = Integrity::Broken {
                    line: i + 1,
                    reason: reason.to_string(),
                };
                return false;
            }
        };
        let at = record.ts.as_millisecond();
        match builder.as_mut() {
            Some(b) => b.push(i, at, &record.body),
            None => match build::Builder::new(at, &record.body, &accepted) {
                Ok(b) => {
                    builder = Some(b);
                    true
                }
                Err(e) => {
                    start_error = Some(e);
                    false
                }
            },
        }
    })?;
    let report = match (builder, start_error) {
        (Some(b), _) => b.finish(),
        (None, Some(e)) => return Err(ReportError::NotASession(e)),
        (None, None) => {
            return Err(ReportError::Untrusted {
                path: path.to_path_buf(),
            });
        }
    };
    let src = Source {
        path: path.to_path_buf(),
        records: verified.records,
        final_hash: verified.final_hash,
        integrity,
    };
    Ok(match format {
        Format::Markdown => markdown::render(&report, &src),
        Format::Html => html::render(&report, &src),
    })
}
