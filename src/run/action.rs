//! Starting one action of a step and collecting what it does, for any
//! front end: the plain console awaits it, the TUI polls it in its loop.

use super::vars;
use crate::exec::descendants;
use crate::exec::shell::{self, Interpreter, ShellEvent, ShellHandle, ShellSpec};
use crate::exec::task::{self, TaskEvent, TaskHandle};
use crate::native::{self, Native};
use crate::runbook::duration::format_duration;
use crate::runbook::model::{Action, ActionKind};
use crate::secrets::{DrawnLine, Secrets, StreamRedactor};
use crate::session::{ActionOutcome, Msg, Session, Stream};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What it takes to run an action, resolved from the session.
pub struct Prepared {
    pub action: Action,
    pub target: String,
    pub timeout: Duration,
    pub env: Vec<(String, String)>,
    pub interpreter: Option<Interpreter>,
    /// A database action, ready to run inside runsheet.
    pub native: Option<Native>,
}

/// Resolves an action's target, timeout and environment.
pub fn prepare(
    session: &Session,
    values: &HashMap<String, String>,
    secrets: &Secrets,
    step: &str,
    index: usize,
) -> Result<Prepared, String> {
    let Some((phase, s)) = session.step(step) else {
        return Err(format!("no step `{step}`"));
    };
    let Some(action) = s.actions.get(index).cloned() else {
        return Err(format!("step `{step}` has no action {index}"));
    };
    let target_name = session.action_target(phase, s, &action).to_string();
    let target = session.target(&target_name).cloned();
    let env = vars::command_env(
        values,
        target.as_ref(),
        &target_name,
        &session.info().runbook_path,
        step,
        &|n| std::env::var(n).ok(),
    );
    let timeout = action
        .timeout
        .or(target.as_ref().map(|t| t.timeout))
        .unwrap_or(Duration::from_secs(300));
    let interpreter = match &action.kind {
        ActionKind::Shell { interpreter } if interpreter == "sh" => Some(Interpreter::Sh),
        ActionKind::Shell { .. } => Some(Interpreter::Bash),
        _ => None,
    };
    let native = native::prepare(native::Inputs {
        session,
        values,
        step,
        index,
        action: &action,
        target: &target_name,
        env: env.clone(),
        secrets,
        process_env: &|n| std::env::var(n).ok(),
    });
    Ok(Prepared {
        action,
        target: target_name,
        timeout,
        env,
        interpreter,
        native,
    })
}

/// An action running in the background: a shell command, or a native
/// step (database) running inside runsheet.
pub struct Running {
    inner: Inner,
    pipe: OutputPipe,
    timeout: Duration,
}

enum Inner {
    Shell {
        handle: ShellHandle,
        rx: mpsc::Receiver<ShellEvent>,
    },
    Task {
        handle: TaskHandle,
        rx: mpsc::Receiver<TaskEvent>,
    },
}

/// One thing a running action produced, in order. A record is boxed:
/// records are rare beside output, which should not carry their size.
pub enum Item {
    /// Output, redacted.
    Output(Stream, String),
    /// A record the action needs journaled before it goes on; answer with
    /// the engine's verdict once it is on disk.
    Record(Box<Msg>, oneshot::Sender<Result<(), String>>),
}

/// What arrived since the last call, in order, and, at the end, the outcome.
pub struct Batch {
    pub items: Vec<Item>,
    pub finished: Option<ActionOutcome>,
}

/// Events taken at once; bounds the size of one output record (each event
/// is at most one 64 KiB pipe read).
const OUTPUT_BURST: usize = 16;

/// How long a native action asked to stop has to end cleanly (finish or
/// roll back its transaction) before it is dropped.
const TASK_GRACE: Duration = Duration::from_secs(10);

impl Running {
    /// Starts a non-interactive action. An error is the outcome of an
    /// action that could not start.
    pub fn spawn(p: &Prepared, secrets: &Secrets) -> Result<Running, ActionOutcome> {
        let inner = match p.interpreter {
            Some(interpreter) => {
                let mut spec = ShellSpec::new(interpreter, p.action.code.clone());
                spec.env = p.env.clone();
                spec.cwd = p.action.cwd.as_ref().map(Into::into);
                spec.timeout = Some(p.timeout);
                // Up to 256 pipe reads in flight (at most 16 MiB): the command
                // keeps writing while the journal catches up, and memory stays
                // bounded.
                let (tx, rx) = mpsc::channel(256);
                let handle = shell::spawn(spec, tx).map_err(|e| failed_to_start(&e.to_string()))?;
                Inner::Shell { handle, rx }
            }
            None => {
                let Some(work) = p.native.clone() else {
                    return Err(unsupported(p.action.kind.label()));
                };
                let (handle, rx) = task::spawn(p.timeout, TASK_GRACE, move |ctx| work.run(ctx));
                Inner::Task { handle, rx }
            }
        };
        Ok(Running {
            inner,
            pipe: OutputPipe::new(secrets),
            timeout: p.timeout,
        })
    }

    /// The process id of a shell action.
    pub fn pid(&self) -> Option<u32> {
        match &self.inner {
            Inner::Shell { handle, .. } => Some(handle.pid()),
            Inner::Task { .. } => None,
        }
    }

    pub fn cancel(&self) {
        match &self.inner {
            Inner::Shell { handle, .. } => handle.cancel(),
            Inner::Task { handle, .. } => handle.cancel(),
        }
    }

    /// Waits for the next events. Everything already waiting becomes one
    /// piece per stream run: a flood costs a few large records, not one per
    /// pipe read.
    pub async fn next(&mut self) -> Batch {
        match &mut self.inner {
            Inner::Shell { rx, .. } => match burst(rx).await {
                Some(events) => self.shell_batch(events),
                None => self.lost(),
            },
            Inner::Task { rx, .. } => match burst(rx).await {
                Some(events) => self.task_batch(events),
                None => self.lost(),
            },
        }
    }

    fn lost(&mut self) -> Batch {
        Batch {
            items: outputs(self.pipe.flush(true)),
            finished: Some(error_outcome(
                "the action's supervisor stopped without a result".into(),
            )),
        }
    }

    fn shell_batch(&mut self, events: Vec<ShellEvent>) -> Batch {
        let mut items = Vec::new();
        let mut finished = None;
        for ev in events {
            match ev {
                ShellEvent::Output { stream, data, .. } => {
                    let stream = match stream {
                        shell::Stream::Stdout => Stream::Stdout,
                        shell::Stream::Stderr => Stream::Stderr,
                    };
                    items.extend(outputs(self.pipe.push(stream, data)));
                }
                ShellEvent::Finished(o) => {
                    finished = Some(ActionOutcome {
                        exit_code: o.exit_code,
                        signal: o.signal,
                        timed_out: o.timed_out,
                        cancelled: o.cancelled,
                        duration_ms: o.duration.as_millis() as u64,
                        error: None,
                        failure: o.timed_out.then(|| {
                            format!(
                                "timed out after {} (its limit)",
                                format_duration(self.timeout)
                            )
                        }),
                    });
                }
            }
        }
        items.extend(outputs(self.pipe.flush(finished.is_some())));
        Batch { items, finished }
    }

    fn task_batch(&mut self, events: Vec<TaskEvent>) -> Batch {
        let mut items = Vec::new();
        let mut finished = None;
        for ev in events {
            match ev {
                TaskEvent::Output(text) => {
                    items.extend(outputs(self.pipe.push(Stream::Stdout, text.into_bytes())));
                }
                TaskEvent::Record(msg, ack) => {
                    // Output before the record stays before it.
                    items.extend(outputs(self.pipe.flush(false)));
                    items.push(Item::Record(Box::new(msg), ack));
                }
                TaskEvent::Finished(mut o) => {
                    if o.timed_out && o.failure.is_none() {
                        o.failure = Some(format!(
                            "timed out after {} (its limit)",
                            format_duration(self.timeout)
                        ));
                    }
                    finished = Some(o);
                }
            }
        }
        items.extend(outputs(self.pipe.flush(finished.is_some())));
        Batch { items, finished }
    }
}

fn outputs(pieces: impl IntoIterator<Item = (Stream, String)>) -> Vec<Item> {
    pieces
        .into_iter()
        .map(|(stream, text)| Item::Output(stream, text))
        .collect()
}

/// Runs an interactive action with the real terminal (the caller gives it
/// up first and takes it back after).
pub async fn run_interactive(p: &Prepared) -> (Option<u32>, ActionOutcome) {
    let started = std::time::Instant::now();
    let interpreter = p.interpreter.unwrap_or(Interpreter::Bash);
    let mut cmd = tokio::process::Command::new(interpreter.program());
    if interpreter == Interpreter::Bash {
        cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail"]);
    } else {
        cmd.arg("-e");
    }
    cmd.arg("-c").arg(&p.action.code).envs(p.env.clone());
    if let Some(cwd) = &p.action.cwd {
        cmd.current_dir(cwd);
    }
    let before = descendants::Action::before_spawn();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (None, failed_to_start(&e.to_string())),
    };
    let pid = child.id();
    let leftovers = before.zip(pid).and_then(|(b, pid)| b.spawned(pid));
    let mut o = ActionOutcome::default();
    match child.wait().await {
        Ok(st) => {
            use std::os::unix::process::ExitStatusExt;
            o.exit_code = st.code();
            o.signal = st.signal();
        }
        Err(e) => o.error = Some(format!("lost the interactive command: {e}")),
    }
    // It shares the terminal's process group, so only what it started and
    // left behind is ended (what it put in the background, what escaped
    // with setsid), never the group.
    if let Some(leftovers) = leftovers {
        leftovers.end_all(shell::DEFAULT_GRACE).await;
    }
    o.duration_ms = started.elapsed().as_millis() as u64;
    (pid, o)
}

/// The outcome of an action that could not run at all.
fn error_outcome(error: String) -> ActionOutcome {
    ActionOutcome {
        error: Some(error),
        ..ActionOutcome::default()
    }
}

fn failed_to_start(e: &str) -> ActionOutcome {
    error_outcome(format!("could not start the command: {e}"))
}

pub fn unsupported(kind: &str) -> ActionOutcome {
    error_outcome(format!(
        "```{kind} steps cannot run in this version of runsheet yet; do it by hand, then skip the step with a reason"
    ))
}

/// Output on its way to the journal: secrets redacted (even when split
/// across chunks), UTF-8 kept whole across chunk boundaries, and
/// consecutive chunks of one stream merged. What the pieces draw together,
/// both streams in the order they are shown, is checked too: a secret
/// drawn in pieces (a `\r` overwrite, a backspace, half on stderr) is
/// masked as it is completed.
pub struct OutputPipe {
    redactors: [StreamRedactor; 2],
    drawn: DrawnLine,
    /// Redacted bytes not yet emitted, per stream.
    pending: [Vec<u8>; 2],
    /// The stream of the bytes in `pending` that came last, so that a
    /// switch between stdout and stderr keeps their order.
    current: Option<Stream>,
}

impl OutputPipe {
    pub fn new(secrets: &Secrets) -> Self {
        OutputPipe {
            redactors: [secrets.stream(), secrets.stream()],
            drawn: DrawnLine::new(secrets),
            pending: [Vec::new(), Vec::new()],
            current: None,
        }
    }

    fn slot(stream: Stream) -> usize {
        match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    /// Adds a chunk; when the stream changes, returns the other stream's
    /// text so far.
    pub fn push(&mut self, stream: Stream, data: Vec<u8>) -> Option<(Stream, String)> {
        let switched = match self.current {
            Some(prev) if prev != stream => take_utf8(&mut self.pending[Self::slot(prev)], false)
                .map(|t| (prev, self.drawn.pass(t))),
            _ => None,
        };
        self.current = Some(stream);
        let i = Self::slot(stream);
        let redacted = self.redactors[i].push_owned(data);
        if self.pending[i].is_empty() {
            self.pending[i] = redacted;
        } else {
            self.pending[i].extend_from_slice(&redacted);
        }
        switched
    }

    /// The text ready to emit; at the end of the run, everything, held-back
    /// bytes included.
    pub fn flush(&mut self, end: bool) -> Vec<(Stream, String)> {
        let mut out = Vec::new();
        let order = match self.current {
            Some(Stream::Stderr) => [Stream::Stdout, Stream::Stderr],
            _ => [Stream::Stderr, Stream::Stdout],
        };
        for stream in order {
            let i = Self::slot(stream);
            if end {
                let rest = self.redactors[i].finish();
                self.pending[i].extend_from_slice(&rest);
            }
            if let Some(text) = take_utf8(&mut self.pending[i], end) {
                out.push((stream, self.drawn.pass(text)));
            }
        }
        out
    }
}

/// Takes `buf` as text, leaving only an incomplete trailing character for
/// the next chunk; invalid bytes become U+FFFD. At the end of the stream,
/// everything is taken. An invalid byte earlier in the buffer does not
/// change what is held back: only the tail can be a character cut in two.
fn take_utf8(buf: &mut Vec<u8>, end: bool) -> Option<String> {
    if buf.is_empty() {
        return None;
    }
    let cut = if end {
        buf.len()
    } else {
        buf.len() - incomplete_tail(buf)
    };
    if cut == 0 {
        return None;
    }
    let rest = buf.split_off(cut);
    let taken = std::mem::replace(buf, rest);
    Some(
        String::from_utf8(taken)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// How many bytes at the end of `buf` start a character that the next
/// chunk may complete (0 to 3).
fn incomplete_tail(buf: &[u8]) -> usize {
    // A UTF-8 character is at most 4 bytes: only the last 3 can be an
    // unfinished one. Find the last lead byte among them.
    let from = buf.len().saturating_sub(3);
    for start in (from..buf.len()).rev() {
        let b = buf[start];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let tail = &buf[start..];
        return match std::str::from_utf8(tail) {
            // Valid, or invalid for good: nothing to wait for.
            Ok(_) => 0,
            Err(e) if e.error_len().is_some() => 0,
            Err(_) => tail.len(),
        };
    }
    0
}

/// The next event and whatever else is already waiting, up to a burst;
/// None once the sender is gone.
async fn burst<T>(rx: &mut mpsc::Receiver<T>) -> Option<Vec<T>> {
    let first = rx.recv().await?;
    let mut events = vec![first];
    while events.len() < OUTPUT_BURST {
        match rx.try_recv() {
            Ok(e) => events.push(e),
            Err(_) => break,
        }
    }
    Some(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_across_chunks_is_kept_whole() {
        let mut buf = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_utf8(&mut buf, false), None);
        buf.extend_from_slice(&"é".as_bytes()[1..]);
        buf.extend_from_slice(b"x");
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("éx"));
        assert!(buf.is_empty());
    }

    #[test]
    fn a_character_split_after_an_invalid_byte_is_kept_whole() {
        let mut buf = b"\xff\xc3".to_vec();
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("\u{fffd}"));
        buf.extend_from_slice(b"\xa9");
        assert_eq!(take_utf8(&mut buf, true).as_deref(), Some("é"));
    }

    fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> String {
        let mut buf = Vec::new();
        let mut text = String::new();
        let mut from = 0;
        for &cut in cuts {
            buf.extend_from_slice(&bytes[from..cut]);
            from = cut;
            text.extend(take_utf8(&mut buf, false));
        }
        buf.extend_from_slice(&bytes[from..]);
        text.extend(take_utf8(&mut buf, true));
        text
    }

    proptest::proptest! {
        #[test]
        fn decoding_in_pieces_equals_decoding_whole(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::sample::select(vec![0xc3u8, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80]),
                ],
                0..40,
            ),
            mut cuts in proptest::collection::vec(0usize..40, 0..8),
        ) {
            cuts.iter_mut().for_each(|c| *c = (*c).min(bytes.len()));
            cuts.sort_unstable();
            let whole = String::from_utf8_lossy(&bytes).into_owned();
            proptest::prop_assert_eq!(decode_in_pieces(&bytes, &cuts), whole);
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut buf = vec![b'a', 0xff, b'b'];
        assert_eq!(take_utf8(&mut buf, false).as_deref(), Some("a\u{fffd}b"));
    }

    #[test]
    fn secrets_split_across_chunks_never_reach_the_journal() {
        let secrets = Secrets::new(["hunter2".to_string()]);
        let mut pipe = OutputPipe::new(&secrets);
        let mut text = String::new();
        assert_eq!(pipe.push(Stream::Stdout, b"pass=hun".to_vec()), None);
        for (_, t) in pipe.flush(false) {
            text.push_str(&t);
        }
        assert_eq!(pipe.push(Stream::Stdout, b"ter2 ok\n".to_vec()), None);
        for (_, t) in pipe.flush(true) {
            text.push_str(&t);
        }
        assert_eq!(text, "pass=*** ok\n");
    }

    #[test]
    fn switching_streams_keeps_the_order_of_output() {
        let mut pipe = OutputPipe::new(&Secrets::default());
        assert_eq!(pipe.push(Stream::Stdout, b"a\n".to_vec()), None);
        assert_eq!(
            pipe.push(Stream::Stderr, b"b\n".to_vec()),
            Some((Stream::Stdout, "a\n".into()))
        );
        assert_eq!(
            pipe.push(Stream::Stdout, b"c\n".to_vec()),
            Some((Stream::Stderr, "b\n".into()))
        );
        assert_eq!(pipe.flush(true), vec![(Stream::Stdout, "c\n".to_string())]);
    }
}
