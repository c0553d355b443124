//! A non-interactive action while it runs: a supervised shell child or an
//! in-process step, behind one surface (`next`, `cancel`, `pid`) for every
//! front end. Its events come out in batches of items, output already
//! through the `OutputPipe`, so a flood costs a few large records.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::output::OutputPipe;
use super::prepare::Prepared;
use crate::exec::shell::{self, ShellEvent, ShellHandle, ShellSpec};
use crate::exec::task::{self, TaskEvent, TaskHandle};
use crate::runbook::duration::format_duration;
use crate::secrets::Secrets;
use crate::session::{ActionOutcome, Msg, Stream};

/// An action running in the background: a shell command, or a step kind
/// running inside runsheet (database, http, s3).
pub struct Running {
    inner: Inner,
    pipe: OutputPipe,
    timeout: Duration,
    /// The block's context, and the start of what it said on stderr: a far
    /// side without bash is told from it once the block ends (`no_bash`).
    context: Option<String>,
    stderr_start: String,
    /// Whether it printed anything on stdout: then its bash did start.
    printed: bool,
}

/// How much of a context block's stderr is kept to recognise a missing
/// bash: a wrapper that could not start it says so first, in a line or
/// two.
const STDERR_KEPT: usize = 4096;

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
    /// With `finished`, what a shell block exported (`exec::exports`).
    pub exported: Vec<(String, String)>,
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
        if let Some(why) = &p.refused {
            return Err(error_outcome(why.clone()));
        }
        let wrapper = match &p.context {
            Some(ctx) => {
                Some(crate::exec::context::wrapper_words(ctx, &p.env).map_err(error_outcome)?)
            }
            None => None,
        };
        let inner = match p.interpreter {
            Some(interpreter) => {
                let mut spec = ShellSpec::new(interpreter, p.action.code.clone());
                // Into a pod or onto a host goes only what the block asks for.
                spec.env = match &p.context {
                    Some(ctx) => {
                        crate::exec::context::crossing::crossing(ctx, &p.action.code, &p.env)
                    }
                    None => p.env.clone(),
                };
                spec.cwd = p.action.cwd.as_ref().map(Into::into);
                spec.timeout = Some(p.timeout);
                spec.capture_exports = true;
                spec.wrapper = wrapper;
                spec.stdout_to = p.action.stdout.as_ref().map(Into::into);
                // Up to 256 pipe reads in flight (at most 16 MiB): the command
                // keeps writing while the journal catches up, and memory stays
                // bounded.
                let (tx, rx) = mpsc::channel(256);
                let handle = shell::spawn(spec, tx).map_err(|e| failed_to_start(&e.to_string()))?;
                Inner::Shell { handle, rx }
            }
            None => {
                let Some(work) = p.in_process.clone() else {
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
            context: p.context.as_ref().map(|c| c.name.clone()),
            stderr_start: String::new(),
            printed: false,
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
            exported: Vec::new(),
        }
    }

    fn shell_batch(&mut self, events: Vec<ShellEvent>) -> Batch {
        let mut items = Vec::new();
        let mut finished = None;
        let mut exported = Vec::new();
        for ev in events {
            match ev {
                ShellEvent::Output { stream, data, .. } => {
                    items.extend(outputs(self.pipe.push(stream, data)));
                }
                ShellEvent::Finished(o) => {
                    let succeeded = o.success();
                    exported = o.exported;
                    let mut failure = o.timed_out.then(|| {
                        format!(
                            "timed out after {} (its limit)",
                            format_duration(self.timeout)
                        )
                    });
                    if let Some(w) = &o.stdout_file {
                        items.extend(outputs(
                            self.pipe.push(Stream::Stdout, w.line().into_bytes()),
                        ));
                        if !w.complete && succeeded {
                            failure = Some(format!(
                                "the block succeeded, but its output, left in {}, could not take its name",
                                w.path.display()
                            ));
                        }
                    }
                    finished = Some(ActionOutcome {
                        exit_code: o.exit_code,
                        signal: o.signal,
                        timed_out: o.timed_out,
                        cancelled: o.cancelled,
                        duration_ms: o.duration.as_millis() as u64,
                        error: None,
                        failure,
                        needs_approval: None,
                    });
                }
            }
        }
        items.extend(outputs(self.pipe.flush(finished.is_some())));
        if let Some(outcome) = finished.as_mut() {
            self.no_bash(&items, outcome);
        } else {
            self.keep_stderr(&items);
        }
        Batch {
            items,
            finished,
            exported,
        }
    }

    /// Keeps the start of a context block's (redacted) stderr.
    fn keep_stderr(&mut self, items: &[Item]) {
        if self.context.is_none() {
            return;
        }
        for item in items {
            if let Item::Output(Stream::Stdout, text) = item {
                self.printed |= !text.is_empty();
            }
            if let Item::Output(Stream::Stderr, text) = item {
                let room = STDERR_KEPT.saturating_sub(self.stderr_start.len());
                let cut = (0..=room.min(text.len()))
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                self.stderr_start.push_str(&text[..cut]);
            }
        }
    }

    /// A context block that could not start because there is no bash
    /// there fails saying so, not with a bare 127. Only a block that
    /// printed nothing and whose first line of stderr says it: a script's
    /// own `sudo bash …` failing later is the script's failure.
    fn no_bash(&mut self, items: &[Item], outcome: &mut ActionOutcome) {
        self.keep_stderr(items);
        let Some(name) = &self.context else { return };
        if self.printed {
            return;
        }
        let success = outcome.exit_code == Some(0) && !outcome.timed_out;
        let first = self
            .stderr_start
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        if outcome.failure.is_none()
            && let Some(line) = crate::exec::context::no_bash::said(success, first)
        {
            outcome.failure = Some(crate::exec::context::no_bash::message(name, &line));
        }
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
        Batch {
            items,
            finished,
            exported: Vec::new(),
        }
    }
}

fn outputs(pieces: impl IntoIterator<Item = (Stream, String)>) -> Vec<Item> {
    pieces
        .into_iter()
        .map(|(stream, text)| Item::Output(stream, text))
        .collect()
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

/// The outcome of an action that could not run at all.
pub(super) fn error_outcome(error: String) -> ActionOutcome {
    ActionOutcome {
        error: Some(error),
        ..ActionOutcome::default()
    }
}

pub(super) fn failed_to_start(e: &str) -> ActionOutcome {
    error_outcome(format!("could not start the command: {e}"))
}

fn unsupported(kind: &str) -> ActionOutcome {
    error_outcome(format!(
        "```{kind} steps cannot run in this version of runsheet yet; do it by hand, then skip the step with a reason"
    ))
}
