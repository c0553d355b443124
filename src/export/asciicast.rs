//! A session as an asciinema recording (asciicast v2): its output with its
//! real timing, a header line for each step and a marker at each, so the
//! player's marker list is the runbook's steps. Streamed record by record:
//! a 500 MB journal never sits in memory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde_json::json;

use crate::journal::record::{RecordError, decode_line};
use crate::runbook;
use crate::session::{Millis, Msg, SessionEnd};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 36;

/// Why a journal could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{} holds no record", path.display())]
    Empty { path: std::path::PathBuf },
    /// The first line is no record this runsheet reads.
    #[error("line 1: {0}")]
    FirstRecord(RecordError),
    #[error("{} does not start with a session-started record", path.display())]
    NotASession { path: std::path::PathBuf },
    #[error("line {0} is not a record")]
    NotARecord(usize),
    /// Writing the recording out failed (disk full, closed pipe).
    #[error("writing the recording: {0}")]
    Write(std::io::Error),
}

/// Writes the recording of the journal at `path` to `out`.
pub fn write(path: &Path, out: &mut dyn Write) -> Result<(), ExportError> {
    let file = std::fs::File::open(path).map_err(|source| ExportError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut lines = BufReader::new(file).lines();
    let io = ExportError::Write;
    let first = match lines.next() {
        Some(Ok(l)) => l,
        _ => {
            return Err(ExportError::Empty {
                path: path.to_path_buf(),
            });
        }
    };
    let first = decode_line::<Msg>(first.as_bytes()).map_err(ExportError::FirstRecord)?;
    let Msg::SessionStarted(info) = &first.body else {
        return Err(ExportError::NotASession {
            path: path.to_path_buf(),
        });
    };
    let start = first.ts.as_millisecond();
    let runbook = runbook::parse(&info.runbook_path, &info.runbook_text).runbook;
    let titles: HashMap<String, String> = runbook
        .steps()
        .map(|(_, s)| (s.id.clone(), s.title.clone()))
        .collect();
    let header = json!({
        "version": 2,
        "width": WIDTH,
        "height": HEIGHT,
        "timestamp": start / 1000,
        "title": format!("{} — {}", runbook.title, info.target),
        "env": { "TERM": "xterm-256color", "SHELL": "/bin/bash" },
    });
    writeln!(out, "{header}").map_err(io)?;
    let mut cast = Cast {
        out,
        start,
        last: 0.0,
        titles,
        shown: None,
    };
    cast.text(
        0,
        &format!(
            "\x1b[1mrunsheet · {} · target {}\x1b[0m\r\n",
            runbook.title, info.target
        ),
    )?;
    for (n, line) in lines.enumerate() {
        let Ok(line) = line else { break };
        // A torn last line (the session still running, or a crash) ends
        // the recording where the journal's whole records end.
        let Ok(record) = decode_line::<Msg>(line.as_bytes()) else {
            if n == 0 {
                return Err(ExportError::NotARecord(2));
            }
            break;
        };
        cast.record(record.ts.as_millisecond(), &record.body)?;
    }
    Ok(())
}

struct Cast<'a> {
    out: &'a mut dyn Write,
    start: Millis,
    /// Seconds of the last event: asciicast times never go back.
    last: f64,
    titles: HashMap<String, String>,
    /// The step whose header was shown last.
    shown: Option<String>,
}

impl Cast<'_> {
    fn record(&mut self, at: Millis, msg: &Msg) -> Result<(), ExportError> {
        match msg {
            Msg::RunRequested { step } | Msg::ActionStarted { step, .. } => {
                self.header(at, step)?;
            }
            Msg::Output { step, data, .. } => {
                self.header(at, step)?;
                self.text(at, &crlf(data))?;
            }
            Msg::ActionFinished { step, outcome, .. } => {
                let ok = outcome.error.is_none()
                    && outcome.failure.is_none()
                    && !outcome.timed_out
                    && !outcome.cancelled
                    && outcome.exit_code == Some(0);
                let line = if ok {
                    format!("\x1b[32m✔ {}\x1b[0m\r\n", self.title(step))
                } else {
                    format!(
                        "\x1b[31m✖ {}: {}\x1b[0m\r\n",
                        self.title(step),
                        outcome.describe()
                    )
                };
                self.text(at, &line)?;
            }
            Msg::GateAnswered { step, typed } => {
                self.text(
                    at,
                    &format!(
                        "\x1b[33mgate on {}: typed “{typed}”\x1b[0m\r\n",
                        self.title(step)
                    ),
                )?;
            }
            Msg::GateRefused { step } => {
                self.text(
                    at,
                    &format!("\x1b[33mgate on {}: refused\x1b[0m\r\n", self.title(step)),
                )?;
            }
            Msg::Skipped { step, reason } => {
                self.text(at, &format!("↷ skipped {}: {reason}\r\n", self.title(step)))?;
            }
            Msg::Note { text, .. } => self.text(at, &format!("✎ note: {text}\r\n"))?,
            Msg::Warned { text } => self.text(at, &format!("⚠ warning: {text}\r\n"))?,
            Msg::HandedOver { note, .. } => self.text(at, &format!("⇄ handed over: {note}\r\n"))?,
            Msg::Approved {
                step,
                approver,
                reason,
                ..
            } => self.text(
                at,
                &format!(
                    "✔ {} approved by {approver}: {reason}\r\n",
                    self.title(step)
                ),
            )?,
            Msg::Denied {
                step,
                approver,
                reason,
                ..
            } => self.text(
                at,
                &format!(
                    "\x1b[31m✘ {} denied by {approver}: {reason}\x1b[0m\r\n",
                    self.title(step)
                ),
            )?,
            Msg::Interrupted { reason } => {
                self.text(at, &format!("\x1b[33m■ interrupted: {reason}\x1b[0m\r\n"))?;
            }
            Msg::Resumed { .. } => self.text(at, "\x1b[1m▶ resumed\x1b[0m\r\n")?,
            Msg::SessionEnded { outcome } => {
                let how = match outcome {
                    SessionEnd::Completed => "completed",
                    SessionEnd::Abandoned => "abandoned",
                    SessionEnd::RolledBack => "rolled back",
                };
                self.text(at, &format!("\x1b[1m■ session {how}\x1b[0m\r\n"))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A marker and a heading when output moves to another step.
    fn header(&mut self, at: Millis, step: &str) -> Result<(), ExportError> {
        if self.shown.as_deref() == Some(step) {
            return Ok(());
        }
        self.shown = Some(step.to_string());
        let title = self.title(step);
        self.event(at, "m", &title)?;
        self.text(at, &format!("\r\n\x1b[1;36m▶ {title}\x1b[0m\r\n"))
    }

    fn title(&self, step: &str) -> String {
        self.titles
            .get(step)
            .cloned()
            .unwrap_or_else(|| step.to_string())
    }

    fn text(&mut self, at: Millis, data: &str) -> Result<(), ExportError> {
        self.event(at, "o", data)
    }

    fn event(&mut self, at: Millis, code: &str, data: &str) -> Result<(), ExportError> {
        let t = ((at - self.start).max(0) as f64 / 1000.0).max(self.last);
        self.last = t;
        let line = json!([(t * 1000.0).round() / 1000.0, code, data]);
        writeln!(self.out, "{line}").map_err(ExportError::Write)
    }
}

/// Output recorded from a pipe has bare `\n`; a terminal needs `\r\n`.
fn crlf(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + data.len() / 40);
    let mut prev = '\0';
    for c in data.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::crlf;

    #[test]
    fn bare_newlines_get_a_carriage_return() {
        assert_eq!(crlf("a\nb\r\nc\rd\n"), "a\r\nb\r\nc\rd\r\n");
    }
}
