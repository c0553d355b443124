//! One shell action, run to completion under supervision.
//!
//! The shell leads its own process group so that a timeout, a cancel, or the
//! shell's own exit can take down everything the step started: a step never
//! leaves a process behind.

use std::fmt;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::context;
use futures::FutureExt;
use nix::sys::signal::Signal;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Child;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::descendants::Action;
use super::exports;
use super::group::Group;
use super::interpreter::Interpreter;
use crate::session::Stream;

/// Time between SIGTERM and SIGKILL unless a spec says otherwise.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// Largest piece read from a pipe at once, so one event never holds much.
const CHUNK: usize = 64 * 1024;

/// Pipe capacity asked for (Linux's unprivileged maximum by default): a
/// flooding child keeps writing while the runner sleeps between reads,
/// instead of blocking every 64 KiB.
const PIPE_SIZE: i32 = 1 << 20;

/// After a read, how long the pump lets output accumulate before draining
/// the pipe again. A flood then costs one event per 64 KiB instead of one
/// per write the child made, and 2 ms is far below what an eye can see.
const COALESCE: Duration = Duration::from_millis(2);

/// Once the group is dead, reading goes on only while it costs no waiting:
/// what is still buffered in the pipe drains, but a process that escaped the
/// group (setsid) and keeps the pipe open cannot hold the runner.
const DRAIN_BUDGET: Duration = Duration::from_millis(500);

#[derive(Clone, PartialEq, Eq)]
pub struct ShellSpec {
    pub interpreter: Interpreter,
    pub script: String,
    /// Added to the inherited environment. Values reach the script only this
    /// way, never pasted into its text, so quoting cannot break or inject.
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Collect what the block exports (`ProcessEnd::exported`).
    pub capture_exports: bool,
    /// An `exec:` context's words, variables expanded: the script runs
    /// through it (`exec::context::wrapper`), its exports uncollected.
    pub wrapper: Option<Vec<String>>,
    /// Standard output goes to this file (`stdout_file`), not the events.
    pub stdout_to: Option<PathBuf>,
}

impl ShellSpec {
    pub fn new(interpreter: Interpreter, script: impl Into<String>) -> Self {
        Self {
            interpreter,
            script: script.into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for ShellSpec {
    // Env values may be secrets; a debug print must not be the leak.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ShellSpec")
            .field("interpreter", &self.interpreter)
            .field("script", &self.script)
            .field("env", &env)
            .field("cwd", &self.cwd)
            .field("timeout", &self.timeout)
            .field("grace", &self.grace)
            .field("capture_exports", &self.capture_exports)
            .field("wrapper", &self.wrapper)
            .field("stdout_to", &self.stdout_to)
            .finish()
    }
}

impl Default for ShellSpec {
    fn default() -> Self {
        Self {
            interpreter: Interpreter::default(),
            script: String::new(),
            env: Vec::new(),
            cwd: None,
            timeout: None,
            grace: DEFAULT_GRACE,
            capture_exports: false,
            wrapper: None,
            stdout_to: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEvent {
    Output {
        stream: Stream,
        data: Vec<u8>,
        at: SystemTime,
    },
    /// Always the last event of a run.
    Finished(ProcessEnd),
}

/// How a supervised shell process ended, once every process of its group
/// is gone and its output drained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessEnd {
    /// The shell's exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    /// From spawn until every process of the group is gone and the output
    /// is drained.
    pub duration: Duration,
    /// Also the process group id.
    pub pid: u32,
    /// What the block exported that differs from what it was given, by
    /// name, when the spec asked (`exec::exports`).
    pub exported: Vec<(String, String)>,
    /// Where standard output went, when the spec sent it to a file.
    pub stdout_file: Option<super::stdout_file::Written>,
}

impl ProcessEnd {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled
    }
}

/// A running action. Dropping it detaches: the run goes on and still ends
/// with `Finished`.
#[derive(Debug, Clone)]
pub struct ShellHandle {
    pid: u32,
    cancel: Arc<watch::Sender<bool>>,
}

impl ShellHandle {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGTERM to the whole group, then SIGKILL after the grace period.
    /// Idempotent, and harmless once the run has finished.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }
}

/// Spawns the script; its events go to `events`. Because the channel is
/// bounded, a slow consumer makes the child block on its pipe, which bounds
/// memory. Must be called within a Tokio runtime.
pub fn spawn(spec: ShellSpec, events: mpsc::Sender<ShellEvent>) -> io::Result<ShellHandle> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
        io::Error::other(format!("running a shell step needs a Tokio runtime: {e}"))
    })?;
    let started = Instant::now();
    let before = Action::before_spawn();
    // Without a private file the block still runs, its exports uncarried.
    let capture = (spec.capture_exports && spec.wrapper.is_none())
        .then(exports::Capture::new)
        .and_then(Result::ok);
    let to_file = spec
        .stdout_to
        .as_deref()
        .map(|p| super::stdout_file::Target::open(p, spec.cwd.as_deref()))
        .transpose()?;
    let mut child = start(&spec, capture.as_ref(), to_file.as_ref())?;
    let stdout: Option<Box<dyn AsyncRead + Unpin + Send>> = match child.stdout.take() {
        Some(out) => {
            widen_pipe(&out);
            Some(Box::new(out))
        }
        // Written by the child straight into the file.
        None if to_file.is_some() => Some(Box::new(tokio::io::empty())),
        None => None,
    };
    let (Some(pid), Some(stdout), Some(stderr)) = (child.id(), stdout, child.stderr.take()) else {
        let _ = child.start_kill();
        return Err(io::Error::other(format!(
            "started {} but lost hold of it",
            spec.interpreter.program()
        )));
    };
    widen_pipe(&stderr);
    let lifeline = match (&spec.wrapper, child.stdin.take()) {
        (Some(_), Some(mut stdin)) => {
            let payload = context::wrapper::payload(&spec.script, &spec.env);
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            runtime.spawn(async move {
                use tokio::io::AsyncWriteExt;
                if stdin.write_all(&payload).await.is_ok() {
                    // Held open until the run is over: its end is the
                    // far side's signal to stop.
                    let _ = rx.await;
                }
                drop(stdin);
            });
            Some(tx)
        }
        _ => None,
    };
    let Some(group) = Group::new(pid) else {
        let _ = child.start_kill();
        return Err(io::Error::other(format!(
            "{} started with unusable pid {pid}",
            spec.interpreter.program()
        )));
    };
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let run = Run {
        child,
        pid,
        group,
        action: before.and_then(|b| b.spawned(pid)),
        timeout: spec.timeout,
        grace: spec.grace,
        cancel: cancel_rx,
        capture: capture.map(|c| (c, spec.env.clone())),
        to_file,
        _lifeline: lifeline,
    };
    runtime.spawn(supervise(run, started, stdout, stderr, events));
    Ok(ShellHandle {
        pid,
        cancel: Arc::new(cancel_tx),
    })
}

fn start(
    spec: &ShellSpec,
    capture: Option<&exports::Capture>,
    to_file: Option<&super::stdout_file::Target>,
) -> io::Result<Child> {
    let program = spec.interpreter.program();
    if let Some(cwd) = &spec.cwd {
        // Checked up front: a failed chdir in the child reports the same
        // "not found" as a missing interpreter, which would mislead.
        let meta = std::fs::metadata(cwd).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("working directory {}: {e}", cwd.display()),
            )
        })?;
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("working directory {} is not a directory", cwd.display()),
            ));
        }
    }
    let mut cmd = match &spec.wrapper {
        Some(words) => wrapped(words, spec)?,
        None => {
            let mut cmd = spec.interpreter.command_capturing(
                &spec.script,
                &spec.env,
                spec.cwd.as_deref(),
                capture,
            );
            cmd.stdin(Stdio::null());
            cmd
        }
    };
    let stdout = match to_file {
        Some(t) => Stdio::from(t.file()?),
        None => Stdio::piped(),
    };
    cmd.stdout(stdout)
        .stderr(Stdio::piped())
        .process_group(0)
        // The supervising task decides when processes die, not a drop.
        .kill_on_drop(false);
    cmd.spawn().map_err(|e| {
        let place = spec
            .cwd
            .as_ref()
            .map(|c| format!(" in {}", c.display()))
            .unwrap_or_default();
        io::Error::new(e.kind(), format!("cannot start `{program}`{place}: {e}"))
    })
}

/// The wrapper's command: its words and the fixed bootstrap; the script
/// and its variables go through stdin, never into the process's
/// environment or command line.
fn wrapped(words: &[String], spec: &ShellSpec) -> io::Result<tokio::process::Command> {
    let argv = context::wrapper::argv(words, spec.interpreter);
    let Some((program, rest)) = argv.split_first() else {
        return Err(io::Error::other("the context's `exec:` list is empty"));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest).env_remove("BASH_ENV").stdin(Stdio::piped());
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(cwd);
    }
    Ok(cmd)
}

struct Run {
    child: Child,
    pid: u32,
    group: Group,
    /// Every process the step started, those that left the group too.
    action: Option<Action>,
    timeout: Option<Duration>,
    grace: Duration,
    cancel: watch::Receiver<bool>,
    /// The exports' file, and the environment the block was given.
    capture: Option<(exports::Capture, Vec<(String, String)>)>,
    /// The file standard output goes to.
    to_file: Option<super::stdout_file::Target>,
    /// Dropped when the run is over, closing a wrapper's stdin.
    _lifeline: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn supervise(
    mut run: Run,
    started: Instant,
    stdout: impl AsyncRead + Unpin + Send + 'static,
    stderr: impl AsyncRead + Unpin + Send + 'static,
    events: mpsc::Sender<ShellEvent>,
) {
    let pid = run.pid;
    let capture = run.capture.take();
    let to_file = run.to_file.take();
    let (done_tx, done_rx) = watch::channel(false);
    let readers = [
        tokio::spawn(pump(
            stdout,
            Stream::Stdout,
            events.clone(),
            done_rx.clone(),
        )),
        tokio::spawn(pump(stderr, Stream::Stderr, events.clone(), done_rx)),
    ];
    let ended = run.until_group_gone(started).await;
    done_tx.send_replace(true);
    for reader in readers {
        let _ = reader.await;
    }
    let exit_code = ended.status.and_then(|s| s.code());
    let succeeded = exit_code == Some(0) && !ended.timed_out && !ended.cancelled;
    let outcome = ProcessEnd {
        stdout_file: to_file.map(|t| t.finish(succeeded)),
        exit_code,
        signal: ended.status.and_then(|s| s.signal()),
        timed_out: ended.timed_out,
        cancelled: ended.cancelled,
        duration: started.elapsed(),
        pid,
        exported: capture
            .map(|(c, given)| c.read(&given, std::env::vars()))
            .unwrap_or_default(),
    };
    // The receiver may be gone; the run is over either way.
    let _ = events.send(ShellEvent::Finished(outcome)).await;
}

struct Ended {
    status: Option<ExitStatus>,
    timed_out: bool,
    cancelled: bool,
}

/// Kills the group and every process that left it if the runtime drops
/// the supervisor midway (shutdown, runsheet's exit), so even then nothing
/// is left behind.
struct KillOnDrop(Option<(Group, Option<Action>)>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some((group, action)) = self.0.take() {
            group.signal(Signal::SIGKILL);
            if let Some(action) = action {
                action.kill_now();
            }
        }
    }
}

impl Run {
    async fn until_group_gone(mut self, started: Instant) -> Ended {
        let mut guard = KillOnDrop(Some((self.group, self.action.clone())));
        let deadline = self.timeout.map(|t| started + t);
        let (mut timed_out, mut cancelled) = (false, false);
        let status = tokio::select! {
            status = self.child.wait() => Some(status),
            () = sleep_until(deadline) => { timed_out = true; None }
            () = cancelled_signal(&mut self.cancel) => { cancelled = true; None }
        };
        let status = match status {
            Some(waited) => {
                let status = waited.ok();
                // The shell is done; whatever it left, in its group or
                // outside it (setsid), is not.
                if self.anything_alive() {
                    self.stop_group(false).await;
                }
                status
            }
            None => self.stop_group(true).await,
        };
        guard.0 = None;
        Ended {
            status,
            timed_out,
            cancelled,
        }
    }

    fn anything_alive(&self) -> bool {
        self.group.alive() || self.action.as_ref().is_some_and(Action::alive)
    }

    /// SIGTERM, up to `grace` for the group and every process that left it
    /// to go, then SIGKILL until none is left. With `reap_shell`, also
    /// waits for the shell and returns its status.
    async fn stop_group(&mut self, reap_shell: bool) -> Option<ExitStatus> {
        self.group.signal(Signal::SIGTERM);
        // A stopped process (say, one that read the terminal from the
        // background) would hold SIGTERM pending until SIGKILL; let it act.
        self.group.signal(Signal::SIGCONT);
        if let Some(action) = &self.action {
            action.signal_all(Signal::SIGTERM);
        }
        let deadline = Instant::now() + self.grace;
        let mut status = None;
        let mut reaped = !reap_shell;
        if reap_shell {
            // A zombie shell keeps the group alive, so reap it first.
            if let Ok(waited) = tokio::time::timeout_at(deadline, self.child.wait()).await {
                status = waited.ok();
                reaped = true;
            }
        }
        self.wait_gone(deadline).await;
        // Also when only zombies are left: it costs nothing, and reaches a
        // process whose main thread exited while others still run.
        self.group.signal(Signal::SIGKILL);
        if let Some(action) = &self.action {
            action.kill_until_gone().await;
        }
        if !reaped {
            status = self.child.wait().await.ok();
        }
        status
    }
}

impl Run {
    /// Polls until the group and every process that left it are gone, or
    /// `deadline` passes; reaps what runsheet adopted on the way.
    async fn wait_gone(&self, deadline: Instant) {
        let mut pause = Duration::from_millis(2);
        while self.anything_alive() {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(50));
            if let Some(action) = &self.action {
                action.reap_zombies();
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn cancelled_signal(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        // Every handle was dropped: the run is detached, not cancelled.
        std::future::pending::<()>().await;
    }
}

/// Forwards one pipe as `Output` events until EOF, or until the group is
/// dead and the drain budget is spent.
/// Best effort: a smaller pipe only costs speed.
fn widen_pipe(pipe: &impl std::os::fd::AsFd) {
    let _ = nix::fcntl::fcntl(pipe, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
}

async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: Stream,
    events: mpsc::Sender<ShellEvent>,
    mut group_done: watch::Receiver<bool>,
) {
    // Each read fills a fresh buffer that travels on as the event's data:
    // no copy on the way out.
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut done = false;
    let mut budget = DRAIN_BUDGET;
    let mut listening = true;
    loop {
        let read = if done {
            let before = Instant::now();
            let read = tokio::time::timeout(budget, pipe.read_buf(&mut buf)).await;
            budget = budget.saturating_sub(before.elapsed());
            match read {
                Ok(read) => read,
                Err(_) => return,
            }
        } else {
            tokio::select! {
                read = pipe.read_buf(&mut buf) => read,
                _ = group_done.wait_for(|d| *d) => { done = true; continue; }
            }
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // Take whatever else is already in the pipe, so a fast writer costs
        // one event per 64 KiB rather than one per write it made.
        if !done && buf.len() < CHUNK {
            tokio::time::sleep(COALESCE).await;
        }
        while buf.len() < CHUNK {
            match pipe.read_buf(&mut buf).now_or_never() {
                Some(Ok(m)) if m > 0 => {}
                _ => break,
            }
        }
        let data = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
        // Once nobody listens, keep draining so the child never blocks on a
        // full pipe.
        if listening {
            let event = ShellEvent::Output {
                stream,
                data,
                at: SystemTime::now(),
            };
            listening = events.send(event).await.is_ok();
        }
    }
}
