//! The progress line of a transfer: bytes (and files, for a folder), rate
//! and ETA, rewritten in place with `\r` at most four times a second (the
//! journal keeps every line printed), and a last one ending with `\n`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::tuning::human_bytes;
use crate::exec::progress;

const EVERY: Duration = Duration::from_millis(250);

pub struct Meter {
    /// Before the bar (`sha256` while hashing); empty for a transfer.
    label: &'static str,
    total_bytes: u64,
    /// Files of a folder; None for one file.
    total_files: Option<u64>,
    started: Instant,
    state: Mutex<State>,
}

struct State {
    bytes: u64,
    files: u64,
    /// Bytes done before this attempt (a resumed upload's parts): not
    /// part of the rate.
    before: u64,
    shown: Option<Instant>,
    redraw: progress::Redraw,
}

impl Meter {
    pub fn new(total_bytes: u64, total_files: Option<u64>, already: u64) -> Meter {
        Meter {
            label: "",
            total_bytes,
            total_files,
            started: Instant::now(),
            state: Mutex::new(State {
                bytes: already,
                files: 0,
                before: already,
                shown: None,
                redraw: progress::Redraw::default(),
            }),
        }
    }

    pub fn labelled(self, label: &'static str) -> Meter {
        Meter { label, ..self }
    }

    /// Counts `bytes` (and `files`) done; the line to print when one is due.
    pub fn add(&self, bytes: u64, files: u64) -> Option<String> {
        let mut s = self.state.lock().ok()?;
        s.bytes += bytes;
        s.files += files;
        let due = s.shown.is_none_or(|t| t.elapsed() >= EVERY);
        if !due {
            return None;
        }
        s.shown = Some(Instant::now());
        Some(self.line(&mut s, false))
    }

    /// The final line, with the total time.
    pub fn done(&self) -> String {
        match self.state.lock() {
            Ok(mut s) => self.line(&mut s, true),
            Err(_) => String::from("\n"),
        }
    }

    fn line(&self, s: &mut State, last: bool) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = s.bytes.saturating_sub(s.before) as f64 / secs;
        let fraction = if self.total_bytes == 0 {
            1.0
        } else {
            s.bytes as f64 / self.total_bytes as f64
        };
        let mut line = String::new();
        if !self.label.is_empty() {
            line.push_str(self.label);
            line.push(' ');
        }
        line.push_str(&progress::bar(fraction));
        line.push(' ');
        if let Some(files) = self.total_files {
            line.push_str(&format!("{}/{files} files · ", s.files));
        }
        line.push_str(&format!(
            "{} of {} ({:.0}%) · {}/s",
            human_bytes(s.bytes),
            human_bytes(self.total_bytes),
            (fraction * 100.0).min(100.0),
            human_bytes(rate as u64),
        ));
        if last {
            line.push_str(&format!(
                " · {}",
                crate::runbook::duration::format_span(self.started.elapsed())
            ));
        } else if rate > 0.0 && s.bytes < self.total_bytes {
            let eta = (self.total_bytes - s.bytes) as f64 / rate;
            line.push_str(&format!(" · ETA {}", progress::eta(eta)));
        }
        s.redraw.line(&line, last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_throttled_and_the_last_one_ends_the_line() {
        let m = Meter::new(40 << 20, None, 0);
        let first = m.add(8 << 20, 0).unwrap_or_default();
        assert!(first.starts_with("\r[####"), "{first}");
        assert!(first.contains("8.0 MiB of 40.0 MiB (20%)"), "{first}");
        assert!(first.contains("ETA"), "{first}");
        assert_eq!(m.add(8 << 20, 0), None, "a second line within 250 ms");
        let last = m.done();
        assert!(
            last.contains("16.0 MiB of 40.0 MiB") && last.trim_end().ends_with('s'),
            "{last}"
        );
        assert!(last.ends_with('\n'), "{last}");
        // Shorter than the line it replaces (no ETA): padded over it.
        assert!(last.chars().count() > first.chars().count(), "{last}");
    }

    #[test]
    fn a_folder_counts_files() {
        let m = Meter::new(3000, Some(3), 0);
        let line = m.add(1000, 1).unwrap_or_default();
        assert!(
            line.contains("1/3 files · 1000 B of 2.9 KiB (33%)"),
            "{line}"
        );
    }

    #[test]
    fn a_label_comes_first() {
        let m = Meter::new(10, None, 0).labelled("sha256");
        assert!(m.done().starts_with("\rsha256 ["));
    }
}
