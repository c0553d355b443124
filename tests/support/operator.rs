//! An operator at the keyboard of `runsheet run --plain`: reads what the
//! session prints, and answers each question as it is asked, the way a
//! person would, instead of a script of answers typed ahead that goes out
//! of step at the first surprise. Use it from a test
//! module with `use crate::support::operator;`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A question the session is waiting on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// `[Enter] run · s skip · n note · q quit`
    Run,
    /// A checklist item to tick.
    Tick(String),
    /// A manual step: done?
    Done,
    /// A gate: type the target's name.
    Gate,
    /// The step failed: retry, skip, rollback …
    Failed,
    /// The step was left in doubt by a crash.
    InDoubt,
    /// Which rollback, after `b`.
    WhichRollback,
    /// A reason for skipping, after `s`.
    Reason,
    /// A note's text, after `n`.
    Note,
    /// A variable's value, before the session starts.
    Variable(String),
    /// Ctrl-C while a command runs on a protected target: stop it?
    Stop,
    /// Alternatives offered where they stand: a letter, or `n` for none.
    Offer,
}

/// Where the session is when it asks.
#[derive(Clone, Debug)]
pub struct Moment {
    /// The title of the step being shown (`""` before the first).
    pub step: String,
    pub ask: Ask,
    /// Everything printed since the step's header.
    pub since_header: String,
}

/// Prompts as the console prints them, with the question each one asks.
const PROMPTS: &[(&str, Ask)] = &[
    ("[Enter] run · s skip · n note · q quit > ", Ask::Run),
    ("done? y · s skip · n note · q quit > ", Ask::Done),
    (
        "type the target's name to run it (Enter refuses) > ",
        Ask::Gate,
    ),
    ("r retry · s skip · n note · q quit > ", Ask::Failed),
    (
        "r retry · s skip · b rollback · n note · q quit > ",
        Ask::Failed,
    ),
    // Once a rollback undid the failure, the session may end there.
    (
        "r retry · s skip · b rollback · e end, rolled back · n note · q quit > ",
        Ask::Failed,
    ),
    (
        "r re-run · d it completed, mark done · s skip · q quit > ",
        Ask::InDoubt,
    ),
    ("which rollback? > ", Ask::WhichRollback),
    (
        "y + Enter stops it · Enter alone lets it run · Ctrl-C again stops it > ",
        Ask::Stop,
    ),
    ("reason for skipping: ", Ask::Reason),
    ("note: ", Ask::Note),
];

const TICK: &str = "tick it? y · s skip step · n note · q quit > ";

pub struct Operator {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<Vec<u8>>,
    /// Everything the session printed, stdout and stderr interleaved as
    /// they arrived.
    pub transcript: String,
    /// Where the unanswered part of the transcript starts.
    seen: usize,
    step: String,
    header_at: usize,
    /// Longest wait for the next question.
    pub patience: Duration,
}

impl Operator {
    /// Starts `cmd` (a `runsheet run … --plain`) with its input and output
    /// piped to this operator.
    pub fn start(mut cmd: Command) -> Operator {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runsheet");
        let (tx, rx) = channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 8192];
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx.send(buf[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
        Operator {
            stdin: child.stdin.take(),
            child,
            out: rx,
            transcript: String::new(),
            seen: 0,
            step: String::new(),
            header_at: 0,
            patience: Duration::from_secs(120),
        }
    }

    /// The next question, or None once the session has ended.
    pub fn next(&mut self) -> Option<Moment> {
        let deadline = Instant::now() + self.patience;
        let mut bytes = Vec::new();
        loop {
            if let Some(m) = self.question() {
                return Some(m);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    // Output may split a UTF-8 character between reads.
                    let valid = match std::str::from_utf8(&bytes) {
                        Ok(s) => s.len(),
                        Err(e) => e.valid_up_to(),
                    };
                    let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                    bytes.drain(..valid);
                    self.transcript.push_str(&text);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.transcript.push_str(&String::from_utf8_lossy(&bytes));
                    return None;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!(
                        "no question from runsheet within {:?}; the session printed:\n{}",
                        self.patience, self.transcript
                    );
                }
            }
        }
    }

    /// A question at the end of what was printed and not yet answered.
    fn question(&mut self) -> Option<Moment> {
        let fresh = &self.transcript[self.seen..];
        // Step headers seen since the last answer.
        let mut at = self.seen;
        for line in fresh.split_inclusive('\n') {
            if let Some(rest) = line.strip_prefix("▶ ") {
                let title = rest.rsplit_once(" [").map_or(rest, |(t, _)| t);
                self.step = title.trim().to_string();
                self.header_at = at;
            }
            at += line.len();
        }
        let ask = if fresh.ends_with(TICK) {
            let item = fresh
                .lines()
                .rev()
                .find_map(|l| l.trim_start().strip_prefix("[ ] "))
                .unwrap_or_default()
                .to_string();
            Ask::Tick(item)
        } else if let Some((_, ask)) = PROMPTS.iter().find(|(p, _)| fresh.ends_with(p)) {
            ask.clone()
        } else if fresh.trim_end().ends_with("/n none · note · q quit >") {
            Ask::Offer
        } else if self.step.is_empty() && fresh.ends_with("): ") {
            // `NAME (description): ` before the session starts.
            let last = fresh.rsplit("): ").nth(1).unwrap_or_default();
            let name = last
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ' ' || c == '('))
                .next()
                .unwrap_or_default();
            let name = name.split(" (").next().unwrap_or_default().trim();
            Ask::Variable(name.to_string())
        } else {
            return None;
        };
        let since = self.transcript[self.header_at..].to_string();
        self.seen = self.transcript.len();
        Some(Moment {
            step: self.step.clone(),
            ask,
            since_header: since,
        })
    }

    /// The process id of runsheet (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Types `line` and Enter.
    pub fn say(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Answers every question with `policy` until the session ends, and
    /// returns how it ended. The policy gets each moment and returns the
    /// lines to type.
    pub fn drive(&mut self, mut policy: impl FnMut(&Moment) -> Vec<String>) -> ExitStatus {
        let mut asked = 0;
        while let Some(m) = self.next() {
            asked += 1;
            assert!(
                asked < 2_000,
                "the session keeps asking; last: {m:?}\n{}",
                self.transcript
            );
            for line in policy(&m) {
                self.say(&line);
            }
        }
        self.wait()
    }

    pub fn wait(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + self.patience;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = self.child.kill();
                    panic!("runsheet did not end:\n{}", self.transcript);
                }
            }
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Lines to type: `say(["s", "no cluster here"])`.
pub fn say<const N: usize>(lines: [&str; N]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}
