//! The plain console: the session printed as lines, questions asked on the
//! terminal. This is what scripts, CI drills and tests drive, and what an
//! operator gets with `--plain`.

use super::runner::RunEnd;
use crate::runbook::duration::format_duration;
use crate::runbook::model::Action;
use crate::session::{Gate, Session, StepStatus, Stream};
use crate::term::Paint;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

/// What the operator answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Run,
    Yes,
    No,
    Skip(String),
    Note(String),
    Rollback(String),
    Typed(String),
    Quit,
    /// SIGTERM or SIGHUP arrived while waiting for an answer.
    Interrupted(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    Int,
    Term,
    Hup,
}

impl Sig {
    pub fn describe(self) -> &'static str {
        match self {
            Sig::Int => "SIGINT",
            Sig::Term => "SIGTERM",
            Sig::Hup => "SIGHUP (the terminal went away)",
        }
    }
}

pub struct Signals {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Signals {
    pub fn new() -> std::io::Result<Self> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    pub async fn next(&mut self) -> Sig {
        tokio::select! {
            _ = self.int.recv() => Sig::Int,
            _ = self.term.recv() => Sig::Term,
            _ = self.hup.recv() => Sig::Hup,
        }
    }
}

pub struct Console {
    paint: Paint,
    /// Lines typed by the operator; None when nobody can answer (`--auto`).
    input: Option<mpsc::UnboundedReceiver<String>>,
    /// Set while a question wants a line: the stdin reader reads only
    /// then, so what is typed while an `interactive` command has the
    /// terminal goes to that command.
    wanted: Option<Arc<AtomicBool>>,
    pub signals: Signals,
    /// A signal that arrived during a question.
    pub interrupted: Option<String>,
    /// What an answer echoed back is masked with.
    secrets: crate::secrets::Secrets,
}

impl Console {
    pub fn new(color: bool, interactive: bool) -> std::io::Result<Self> {
        let (input, wanted) = match interactive.then(spawn_stdin_reader) {
            Some((input, wanted)) => (Some(input), Some(wanted)),
            None => (None, None),
        };
        Ok(Console {
            paint: Paint::new(color),
            input,
            wanted,
            signals: Signals::new()?,
            interrupted: None,
            secrets: crate::secrets::Secrets::default(),
        })
    }

    /// Answers echoed back (an answer that is not one of those offered)
    /// are masked with these.
    pub fn with_secrets(mut self, secrets: crate::secrets::Secrets) -> Self {
        self.secrets = secrets;
        self
    }

    fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn line(&self, text: &str) {
        self.print(&format!("{text}\n"));
    }

    pub fn session_start(&self, session: &Session, journal: &Path, resumed: bool) {
        let p = &self.paint;
        let target = &session.info().target;
        let protected = session.target(target).is_some_and(|t| t.protected);
        let badge = if protected {
            p.red(&format!(" {} ", target.to_uppercase()))
        } else {
            p.yellow(&format!(" {target} "))
        };
        let verb = if resumed { "resuming" } else { "runsheet" };
        self.line(&format!(
            "{} · {} · target {badge}{}",
            p.bold(verb),
            session.runbook().title,
            match (session.info().drill, session.info().sandbox) {
                (true, true) => " · drill in the sandbox",
                (true, false) => " · drill",
                (false, true) => " · in the sandbox",
                (false, false) => "",
            }
        ));
        self.line(&p.dim(&format!("journal {}", journal.display())));
    }

    pub fn step_header(&self, session: &Session, step: &str) {
        let p = &self.paint;
        let Some((phase, s)) = session.step(step) else {
            return;
        };
        let flow = session.flow();
        let position = flow.iter().position(|id| id == step).map_or_else(
            || "rollback".to_string(),
            |i| format!("{}/{}", i + 1, flow.len()),
        );
        let est = match session.rehearsed().get(step) {
            Some(r) => format!(
                " · rehearsed: median {}, slowest {} ({} run{})",
                short_ms(r.median_ms),
                short_ms(r.slowest_ms),
                r.runs,
                if r.runs == 1 { "" } else { "s" }
            ),
            None => s
                .estimate
                .map(|e| format!(" · est. {e}"))
                .unwrap_or_default(),
        };
        self.line("");
        self.line(&format!(
            "{} {} {}{}",
            p.bold("▶"),
            p.bold(&s.title),
            p.dim(&format!("[{position}] {}", phase.title)),
            p.dim(&est)
        ));
        let prose = prose_of(&s.body);
        if !prose.is_empty() {
            for l in prose.lines() {
                self.line(&format!("  {l}"));
            }
        }
    }

    /// Said once, while the step runs, when it passes its slowest rehearsal.
    pub fn overrun(&self, slowest_ms: i64) {
        let p = &self.paint;
        self.line(&p.bold(&format!(
            "  ⚠ running longer than every rehearsal (slowest {})",
            short_ms(slowest_ms)
        )));
    }

    pub fn action_header(&self, action: &Action, target: &str, timeout: Duration) {
        let p = &self.paint;
        self.line(&p.dim(&format!(
            "  $ {} on {target} (timeout {})",
            action.lang,
            format_duration(timeout)
        )));
        for l in action.code.lines() {
            self.line(&p.dim(&format!("  │ {l}")));
        }
    }

    pub fn output(&self, _stream: Stream, data: &str) {
        self.print(data);
    }

    pub fn settled(&self, session: &Session, step: &str) {
        let p = &self.paint;
        let Some(st) = session.state(step) else {
            return;
        };
        let took = st
            .duration_ms()
            .map(|ms| format!(" in {}", human_ms(ms)))
            .unwrap_or_default();
        let line = match &st.status {
            StepStatus::Done => p.green(&format!("✔ done{took}")),
            StepStatus::Failed { reason } => p.red(&format!("✖ failed{took}: {reason}")),
            StepStatus::Skipped { reason } => p.yellow(&format!("↷ skipped: {reason}")),
            other => other.label().to_string(),
        };
        self.line(&line);
    }

    pub fn gate(&self, gate: &Gate, _session: &Session) {
        let p = &self.paint;
        self.line(&p.red(&format!(
            "⚠  DESTRUCTIVE step on {}: it needs the target's name typed to run",
            gate.target.to_uppercase()
        )));
        for r in &gate.reasons {
            let excerpt = if r.excerpt.is_empty() {
                String::new()
            } else {
                format!(" — {}", r.excerpt)
            };
            self.line(&format!("   {}: {}{excerpt}", p.yellow(r.rule.id()), r.why));
        }
    }

    pub fn countdown_start(&self, _step: &str, seconds: u64) {
        self.line(&self.paint.yellow(&format!(
            "⚠  destructive step: it runs in {seconds}s (press Enter to cancel)"
        )));
    }

    /// Counts down; returns true when the operator cancelled (Enter).
    pub async fn countdown(&mut self, seconds: u64, cancellable: bool) -> bool {
        for left in (1..=seconds).rev() {
            self.print(&format!("\r  {left:>3}s … "));
            let tick = tokio::time::sleep(Duration::from_secs(1));
            if cancellable {
                self.want_line();
            }
            match (&mut self.input, cancellable) {
                (Some(input), true) => {
                    tokio::select! {
                        _ = tick => {}
                        _ = input.recv() => {
                            self.line("cancelled");
                            return true;
                        }
                    }
                }
                _ => tick.await,
            }
        }
        self.unwant_line();
        self.line("go");
        false
    }

    pub fn mistyped(&self, typed: &str) {
        self.line(&self.paint.red(&format!(
            "✋ `{typed}` is not the target's name; nothing ran (recorded in the journal)"
        )));
    }

    pub fn refused_gate(&self) {
        self.line(
            &self
                .paint
                .yellow("✋ not run (refusal recorded in the journal)"),
        );
    }

    pub fn refused(&self, why: &str) {
        self.line(&self.paint.yellow(&format!("✋ {why}")));
    }

    pub fn cancelling(&self) {
        self.line(
            &self
                .paint
                .yellow("\n⏹  stopping the command (SIGTERM, then SIGKILL)…"),
        );
    }

    pub fn interactive_start(&self) {
        self.line(
            &self
                .paint
                .dim("  (the command has the terminal until it exits)"),
        );
    }

    pub fn in_doubt(&self, session: &Session, step: &str) {
        let title = session.step(step).map_or(step, |(_, s)| s.title.as_str());
        self.line("");
        self.line(&self.paint.yellow(&format!(
            "?  `{title}` was running when the session stopped: it may or may not have completed"
        )));
    }

    pub fn ended(&self, end: &RunEnd, journal: &Path) {
        let p = &self.paint;
        self.line("");
        let summary = end.summary();
        let msg = match end {
            RunEnd::Completed => p.green(&summary),
            RunEnd::Failed { .. } => p.red(&summary),
            _ => p.yellow(&summary),
        };
        self.line(&msg);
        if end.resumable() {
            self.line(&format!(
                "  continue with: runsheet resume {}",
                journal.display()
            ));
        }
        self.line(&p.dim(&format!("  journal: {}", journal.display())));
    }

    /// Reads one answer; SIGINT means quit, SIGTERM/SIGHUP interrupt.
    async fn read(&mut self, prompt: &str) -> Option<Result<String, Reply>> {
        self.print(&format!("{} ", self.paint.bold(prompt)));
        self.want_line();
        let input = self.input.as_mut()?;
        tokio::select! {
            line = input.recv() => match line {
                Some(l) => Some(Ok(l)),
                None => Some(Err(Reply::Quit)),
            },
            sig = self.signals.next() => {
                self.unwant_line();
                self.print("\n");
                Some(Err(match sig {
                    Sig::Int => Reply::Quit,
                    other => {
                        self.interrupted = Some(other.describe().into());
                        Reply::Interrupted(other.describe().into())
                    }
                }))
            }
        }
    }

    /// Has the stdin reader read the next line typed.
    fn want_line(&mut self) {
        if let Some(wanted) = &self.wanted {
            wanted.store(true, Ordering::Release);
        }
    }

    /// The question is over: what is typed from now on is not for it.
    fn unwant_line(&mut self) {
        if let Some(wanted) = &self.wanted {
            wanted.store(false, Ordering::Release);
        }
        // A line read just as the question ended answered nothing.
        if let Some(input) = self.input.as_mut() {
            while input.try_recv().is_ok() {}
        }
    }

    async fn text(&mut self, prompt: &str) -> Result<String, Reply> {
        match self.read(prompt).await {
            Some(r) => r.map(|l| l.trim().to_string()),
            None => Err(Reply::Quit),
        }
    }

    async fn common(&mut self, answer: &str) -> Option<Reply> {
        match answer {
            "s" | "skip" => Some(match self.text("reason for skipping:").await {
                Ok(r) => Reply::Skip(r),
                Err(reply) => reply,
            }),
            "n" | "note" => Some(match self.text("note:").await {
                Ok(t) => Reply::Note(t),
                Err(reply) => reply,
            }),
            "q" | "quit" => Some(Reply::Quit),
            "" => None,
            other => {
                // Asked again: say why, rather than repeat the question
                // as if nothing had been typed.
                let other = self.secrets.redact(other);
                self.line(
                    &self
                        .paint
                        .dim(&format!("  `{other}` is not one of the answers shown")),
                );
                None
            }
        }
    }

    pub async fn ask_run(&mut self, _step: &str) -> Reply {
        let answer = match self.text("[Enter] run · s skip · n note · q quit >").await {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "" | "r" | "run" => Reply::Run,
            other => self.common(other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_tick(&mut self, item: &str) -> Reply {
        self.line(&format!("  [ ] {item}"));
        let answer = match self
            .text("      tick it? y · s skip step · n note · q quit >")
            .await
        {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "y" | "yes" | "o" | "oui" => Reply::Yes,
            other => self.common(other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_done(&mut self, _step: &str) -> Reply {
        let answer = match self.text("done? y · s skip · n note · q quit >").await {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "y" | "yes" | "o" | "oui" => Reply::Yes,
            other => self.common(other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_gate(&mut self, _step: &str) -> Reply {
        match self
            .text("type the target's name to run it (Enter refuses) >")
            .await
        {
            Ok(a) if a.is_empty() => Reply::No,
            Ok(a) => Reply::Typed(a),
            Err(r) => r,
        }
    }

    pub async fn ask_failed(
        &mut self,
        _step: &str,
        _reason: &str,
        rollbacks: &[(String, String)],
    ) -> Reply {
        let prompt = if rollbacks.is_empty() {
            "r retry · s skip · n note · q quit >"
        } else {
            "r retry · s skip · b rollback · n note · q quit >"
        };
        let answer = match self.text(prompt).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "r" | "retry" => Reply::Run,
            "b" | "rollback" if !rollbacks.is_empty() => {
                if rollbacks.len() == 1 {
                    return Reply::Rollback(rollbacks[0].0.clone());
                }
                for (i, (_, title)) in rollbacks.iter().enumerate() {
                    self.line(&format!("  {}. {title}", i + 1));
                }
                match self.text("which rollback? >").await {
                    Ok(n) => n
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| rollbacks.get(n.wrapping_sub(1)))
                        .map_or(Reply::No, |(id, _)| Reply::Rollback(id.clone())),
                    Err(r) => r,
                }
            }
            other => self.common(other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_in_doubt(&mut self, _step: &str) -> Reply {
        let answer = match self
            .text("r re-run · d it completed, mark done · s skip · q quit >")
            .await
        {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "r" | "rerun" => Reply::Run,
            "d" | "done" => Reply::Yes,
            other => self.common(other).await.unwrap_or(Reply::No),
        }
    }
}

/// The step's instructions without its action blocks and task list, which
/// are shown as they run and as questions. Other fenced blocks (a
/// ```` ```python ```` script shown for reference, ```` ```text ````) are
/// part of the instructions and kept, as the full-screen view keeps them.
fn prose_of(body: &str) -> String {
    let mut out = Vec::new();
    // Inside a fence: whether its lines are shown.
    let mut fence: Option<bool> = None;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            let shown = match fence {
                Some(shown) => {
                    fence = None;
                    shown
                }
                None => {
                    let lang = t
                        .trim_start_matches(['`', '~'])
                        .split(|c: char| c.is_whitespace() || c == '{')
                        .next()
                        .unwrap_or_default();
                    let shown = crate::runbook::action::kind_of(lang).is_none();
                    fence = Some(shown);
                    shown
                }
            };
            if shown {
                out.push(line);
            }
            continue;
        }
        match fence {
            Some(true) => out.push(line),
            Some(false) => {}
            None if t.starts_with("- [ ]") || t.starts_with("- [x]") || t.starts_with("* [ ]") => {}
            None => out.push(line),
        }
    }
    out.join("\n").trim().to_string()
}

fn human_ms(ms: i64) -> String {
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format_duration(Duration::from_millis(ms.max(0) as u64))
    }
}

/// Stdin is read on its own thread: a blocking read must not stall the
/// runtime that supervises the running command. It reads a line only
/// while one is wanted, a byte at a time (as the shell's `read` does on a
/// pipe): nothing is read ahead, and nothing is read once a question is
/// over, so the lines typed for an `interactive` command (psql's queries,
/// `\q`) reach it instead of being taken as answers.
fn spawn_stdin_reader() -> (mpsc::UnboundedReceiver<String>, Arc<AtomicBool>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let (tx, rx) = mpsc::unbounded_channel();
    let want = Arc::new(AtomicBool::new(false));
    let wanted = Arc::clone(&want);
    std::thread::spawn(move || {
        // fd 0 itself, not `Stdin`, which reads ahead into its buffer.
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return;
        };
        let mut stdin = std::fs::File::from(fd);
        while !tx.is_closed() {
            if !wanted.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            // Wait for input without committing to a read that may no
            // longer be wanted when it comes.
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(50u8)) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
                Ok(_) => {}
            }
            if !wanted.load(Ordering::Acquire) {
                continue;
            }
            let line = read_line_from(&mut stdin);
            wanted.store(false, Ordering::Release);
            let Some((line, ended)) = line else { break };
            if tx.send(line).is_err() || ended {
                break;
            }
        }
    });
    (rx, want)
}

/// One line from standard input, read a byte at a time so that nothing
/// after it is taken from whoever reads next (a command, the session's
/// questions). None at end of input.
pub fn read_stdin_line() -> Option<String> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    read_line_from(&mut std::fs::File::from(fd)).map(|(line, _)| line)
}

/// The line, and whether input ended with it; None when it ended before.
fn read_line_from(input: &mut std::fs::File) -> Option<(String, bool)> {
    use std::io::Read;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let ended = loop {
        match input.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => break true,
            Ok(_) if byte[0] == b'\n' => break false,
            Ok(_) => line.push(byte[0]),
        }
    };
    if ended && line.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&line);
    Some((text.trim_end_matches(['\n', '\r']).to_string(), ended))
}

fn short_ms(ms: i64) -> String {
    crate::report::markdown::span(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_leaves_out_blocks_and_checklists() {
        let body = "Do this.\n\n```bash\necho\n```\n\n- [ ] tick\nThen that.";
        assert_eq!(prose_of(body), "Do this.\n\n\nThen that.");
    }

    #[test]
    fn prose_keeps_blocks_that_are_shown_not_run() {
        let body = "For reference:\n\n```python\n- [ ] not a task\nprint(1)\n```\n\n```sql {writes}\nDELETE FROM t WHERE id = 1;\n```\nDone.";
        assert_eq!(
            prose_of(body),
            "For reference:\n\n```python\n- [ ] not a task\nprint(1)\n```\n\nDone."
        );
    }
}
