//! `runsheet report JOURNAL`: a post-mortem from a journal, in Markdown or
//! as one self-contained HTML page. A journal that fails verification is
//! reported up to its break, under a warning.

pub mod build;
pub mod html;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::journal;
use crate::journal::record::decode_line;
use crate::session::{Millis, Msg};

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
pub fn write(path: &Path, format: Format) -> Result<String, String> {
    let verified = journal::verify(path).map_err(|e| e.to_string())?;
    if let Some(why) = &verified.not_a_journal {
        return Err(format!(
            "{} is not a runsheet journal: {why}\n{}",
            path.display(),
            journal::verify::WHAT_A_JOURNAL_IS
        ));
    }
    let raw = journal::reader::read_lines(path).map_err(|e| e.to_string())?;
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
        Integrity::Intact => raw.lines.len(),
    };
    // Decoded line by line: an edited journal still reports up to the
    // first record this runsheet cannot read.
    let mut records: Vec<(Millis, Msg)> = Vec::with_capacity(trusted);
    for (i, line) in raw.lines.iter().take(trusted).enumerate() {
        match decode_line::<Msg>(line.as_bytes()) {
            Ok(r) => records.push((r.ts.as_millisecond(), r.body)),
            Err(reason) => {
                integrity = Integrity::Broken {
                    line: i + 1,
                    reason,
                };
                break;
            }
        }
    }
    let report = build::build(&records)?;
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
