//! The plain console: the session printed as lines, questions asked on the
//! terminal. This is what scripts, CI drills and tests drive, and what an
//! operator gets with `--plain`.

mod flow;
mod offer;
mod stdin;

pub use flow::run;
pub use stdin::read_stdin_line;

use crate::driver::{Driver, Event, RunEnd, Sig};
use crate::runbook::duration::format_duration;
use crate::runbook::model::Action;
use crate::session::{Gate, Session, StepStatus, Stream};
use crate::session::{display, gate_text};
use crate::term::Paint;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
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
    /// End the session as rolled back (offered once a rollback stands).
    EndRolledBack,
    Typed(String),
    Quit,
    /// SIGTERM or SIGHUP arrived while waiting for an answer.
    Interrupted(String),
    /// Something came from outside while the question waited (an
    /// approval, a denial): show it, then ask again what fits now.
    Moved,
}

/// Lines of a block's pasted output shown before it runs.
const SAMPLE_LINES: usize = 6;
pub struct Console {
    paint: Paint,
    /// Lines typed by the operator; None when nobody can answer (`--auto`).
    input: Option<mpsc::UnboundedReceiver<String>>,
    /// Set while a question wants a line: the stdin reader reads only
    /// then, so what is typed while an `interactive` command has the
    /// terminal goes to that command.
    wanted: Option<Arc<AtomicBool>>,
    /// The driver failed (its journal) while a question waited.
    pub fatal: Option<String>,
    /// What an answer echoed back is masked with.
    secrets: crate::secrets::Secrets,
}

impl Console {
    pub fn new(color: bool, interactive: bool) -> std::io::Result<Self> {
        let (input, wanted) = match interactive.then(stdin::spawn_stdin_reader) {
            Some((input, wanted)) => (Some(input), Some(wanted)),
            None => (None, None),
        };
        Ok(Console {
            paint: Paint::new(color),
            input,
            wanted,
            fatal: None,
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

    /// Every line the console writes is masked: a command the runbook
    /// writes with a password in it is printed before it runs.
    fn line(&self, text: &str) {
        self.print(&format!("{}\n", self.secrets.redact(text)));
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
        for (name, id) in session.contexts() {
            self.line(&p.dim(&format!(
                "context `{name}` ({}): {}",
                id.reached,
                id.describe()
            )));
        }
        if let Some(plan) = plan_line(session, resumed) {
            self.line(&p.dim(&plan));
        }
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
        // Values in place (`$RELEASE` → 2.4.1), and which is which after.
        let values = display::Values::for_step(session, step);
        let prose = prose_of(&s.body);
        let pieces = display::pieces(&prose, &values, display::Syntax::Plain);
        let prose = display::render(&pieces);
        if !prose.is_empty() {
            for l in prose.lines() {
                self.line(&format!("  {l}"));
            }
        }
        let mut named = display::legend(&pieces);
        for item in &s.checklist {
            for entry in display::legend(&display::pieces(
                &item.text,
                &values,
                display::Syntax::Plain,
            )) {
                if !named.iter().any(|(n, _)| *n == entry.0) {
                    named.push(entry);
                }
            }
        }
        if !named.is_empty() {
            self.line(&p.dim(&format!("  values: {}", display::legend_text(&named))));
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
        // A block pasted from a terminal: what it printed for its author.
        if let Some(sample) = &action.sample_output {
            self.line(&p.dim("  the runbook shows it printed:"));
            for l in sample.lines().take(SAMPLE_LINES) {
                self.line(&p.dim(&format!("  ╎ {l}")));
            }
            let more = sample.lines().count().saturating_sub(SAMPLE_LINES);
            if more > 0 {
                self.line(&p.dim(&format!("  ╎ … {more} more")));
            }
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
        // What it printed, counted: a step that printed nothing says so too.
        let printed = match st.output_bytes {
            0 if st.attempts == 0 => String::new(),
            0 => " · no output".to_string(),
            1 => " · 1 byte of output".to_string(),
            n => format!(" · {n} bytes of output"),
        };
        let line = match &st.status {
            StepStatus::Done => p.green(&format!("✔ done{took}{printed}")),
            StepStatus::Failed { reason } => p.red(&format!("✖ failed{took}{printed}: {reason}")),
            StepStatus::Skipped { reason } => p.yellow(&format!("↷ skipped: {reason}")),
            // Passed by with no header of its own: the line names it.
            StepStatus::NotRehearsable { reason } => p.dim(&format!(
                "⊘ {} not rehearsable — {reason}",
                session.step_title(step)
            )),
            other => other.label().to_string(),
        };
        self.line(&line);
        for (i, reason) in &st.not_rehearsed {
            self.line(&p.dim(&format!("  ⊘ block {} not rehearsable — {reason}", i + 1)));
        }
        let exported = session.exports().of_step(step);
        if let Some(l) = crate::session::exports::exported_line(exported) {
            self.line(&p.dim(&format!("  {l}")));
        }
    }

    pub fn gate(&self, gate: &Gate, session: &Session) {
        for l in gate_text::lines(&self.paint, session, gate) {
            self.line(&l);
        }
    }

    /// The countdown's reasons, landing and command, before it counts.
    pub fn countdown_details(&self, session: &Session, step: &str) {
        let p = &self.paint;
        let Some((phase, st)) = session.step(step) else {
            return;
        };
        let target = st
            .actions
            .iter()
            .find(|a| a.destructive.is_destructive())
            .map_or_else(
                || session.info().target.clone(),
                |a| session.action_target(phase, st, a).to_string(),
            );
        self.line(&p.yellow(&format!(
            "⚠  `{}` is destructive and runs on {target} after a countdown:",
            st.title
        )));
        let values = display::Values::on_target(session, &target);
        for a in st.actions.iter().filter(|a| a.destructive.is_destructive()) {
            for f in &a.destructive.findings {
                self.line(&format!(
                    "   {}: {} — {}",
                    p.yellow(f.rule.id()),
                    f.rule.describe(),
                    values.fill(&f.excerpt)
                ));
            }
            if let Some(o) = a.destructive.overridden.as_ref().filter(|o| o.destructive) {
                let why = o
                    .reason
                    .as_deref()
                    .unwrap_or("marked destructive by the runbook");
                self.line(&format!("   {}: {why}", p.yellow("attribute")));
            }
        }
        for l in gate_text::landing(&self.paint, session, step, &target)
            .into_iter()
            .chain(gate_text::code(&self.paint, session, step, &target))
        {
            self.line(&l);
        }
    }

    pub fn countdown_start(&self, _step: &str, seconds: u64) {
        self.line(&self.paint.yellow(&format!(
            "⚠  destructive step: it runs in {seconds}s (Enter cancels)"
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
                        _ = input.recv() => return true,
                    }
                }
                _ => tick.await,
            }
        }
        self.unwant_line();
        self.line("go");
        false
    }

    pub fn countdown_cancelled(&self, session: &Session, step: &str) {
        let title = session.step(step).map_or(step, |(_, s)| s.title.as_str());
        self.line(
            &self
                .paint
                .yellow(&format!("cancelled: “{title}” did not run (journaled)")),
        );
    }

    pub fn noted(&self, session: &Session, step: &str) {
        let title = session.step(step).map_or(step, |(_, s)| s.title.as_str());
        self.line(
            &self
                .paint
                .dim(&format!("  ✎ note added to the journal on “{title}”")),
        );
    }

    pub fn mistyped(&self, typed: &str) {
        self.line(&self.paint.red(&format!(
            "✋ `{typed}` is not the target's name; nothing ran (recorded in the journal)"
        )));
    }

    /// The name is right; the gate waits for other people's approvals.
    pub fn awaiting_approvals(&self, missing: u32, session_name: &str) {
        self.line(&self.paint.yellow(&format!(
            "✔ name confirmed · waiting for {missing} approval{} from another person: they run `runsheet approve {session_name}`",
            if missing == 1 { "" } else { "s" }
        )));
    }

    pub fn approval_answered(&self, title: &str, approver: &str, approve: bool, reason: &str) {
        let text = if approve {
            self.paint
                .green(&format!("✔ {title} approved by {approver}: {reason}"))
        } else {
            self.paint.red(&format!(
                "✘ {title} denied by {approver}: {reason} — nothing ran; the step waits"
            ))
        };
        self.line(&text);
    }

    /// While the gate waits for approvals: a line is a withdrawal only
    /// when it says so, so that a stray Enter does not undo the wait.
    pub async fn ask_waiting(&mut self, driver: &mut Driver) -> Reply {
        match self
            .text(
                driver,
                "waiting for approval · `withdraw` refuses the step · q quit >",
            )
            .await
        {
            Ok(a) if a == "withdraw" => Reply::No,
            Ok(a) if a == "q" || a == "quit" => Reply::Quit,
            Ok(_) => Reply::Moved,
            Err(r) => r,
        }
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

    /// Ctrl-C on a protected target: the question, answered by the next
    /// line while the command runs on.
    pub fn ask_cancel(&mut self, session: &Session, step: &str) {
        let question = crate::driver::interrupt::protected_run(session)
            .filter(|r| r.step == step)
            .map_or_else(
                || format!("Stop the running step `{step}`?"),
                |r| r.question(),
            );
        self.line("");
        self.line(&self.paint.red(&format!("⚠  {question}")));
        self.print(&format!(
            "{} ",
            self.paint
                .bold("y + Enter stops it · Enter alone lets it run · Ctrl-C again stops it >")
        ));
        self.want_line();
    }

    /// The operator let the command run.
    pub fn goes_on(&self, session: &Session, step: &str) {
        let title = session.step(step).map_or(step, |(_, s)| s.title.as_str());
        self.line(&self.paint.dim(&format!("  “{title}” goes on running")));
    }

    /// A line typed, or else whatever woke the driver, handled (None).
    async fn line_or_wake(&mut self, driver: &mut Driver) -> Result<Option<String>, String> {
        let Some(input) = self.input.as_mut() else {
            let wake = driver.wait().await;
            driver.handle(wake).await?;
            return Ok(None);
        };
        tokio::select! {
            line = input.recv() => Ok(Some(line.unwrap_or_default())),
            wake = driver.wait() => {
                driver.handle(wake).await?;
                Ok(None)
            }
        }
    }

    /// A question ended without its answer: what is typed next is not for it.
    fn stop_waiting_for_line(&mut self) {
        self.unwant_line();
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

    /// How the session ended; `coverage`: a rehearsal's coverage lines
    /// (`RunEnd::coverage_lines`).
    pub fn ended(&self, end: &RunEnd, journal: &Path, coverage: &[String]) {
        let p = &self.paint;
        self.line("");
        let summary = end.summary();
        let msg = match end {
            RunEnd::Completed => p.green(&summary),
            RunEnd::Failed { .. } => p.red(&summary),
            _ => p.yellow(&summary),
        };
        self.line(&msg);
        for l in coverage {
            self.line(&format!("  {l}"));
        }
        if end.resumable() {
            self.line(&format!(
                "  continue with: runsheet resume {}",
                journal.display()
            ));
        }
        self.line(&p.dim(&format!("  journal: {}", journal.display())));
        // An ended session's hash is final: what goes in the ticket, and
        // the command that checks it there later.
        if !end.resumable() {
            for l in crate::evidence::end_lines(journal) {
                self.line(&format!("  {}", p.bold(&l)));
            }
        }
    }

    /// Reads one answer, watching the driver meanwhile: SIGINT means
    /// quit, SIGTERM/SIGHUP interrupt (the driver has recorded why).
    async fn read(&mut self, driver: &mut Driver, prompt: &str) -> Option<Result<String, Reply>> {
        self.print(&format!("{} ", self.paint.bold(prompt)));
        self.want_line();
        let input = self.input.as_mut()?;
        loop {
            tokio::select! {
                line = input.recv() => return Some(match line {
                    Some(l) => Ok(l),
                    None => Err(Reply::Quit),
                }),
                wake = driver.wait() => {
                    // Nothing runs while a question waits: only signals
                    // wake the driver here.
                    let handled = driver.handle(wake).await;
                    let mut reply = None;
                    if let Err(e) = handled {
                        // The journal failed: the flow stops on it.
                        self.fatal = Some(e.clone());
                        reply = Some(Reply::Interrupted(e));
                    }
                    let mut others = Vec::new();
                    while let Some(event) = driver.poll_event() {
                        match event {
                            Event::Signal(sig) => {
                                reply = Some(match sig {
                                    Sig::Int => Reply::Quit,
                                    other => Reply::Interrupted(other.describe().into()),
                                });
                            }
                            // Said at once; the question still stands.
                            Event::Warning(text) => {
                                // As the flow says warnings: on stderr.
                                eprintln!("\n{}", self.secrets.redact(&format!("warning: {text}")));
                            }
                            // Only a gate's approvals change the session
                            // while a question waits: the flow shows them
                            // and asks again what fits now.
                            other => others.push(other),
                        }
                    }
                    if reply.is_none() && !others.is_empty() {
                        reply = Some(Reply::Moved);
                    }
                    driver.requeue(others);
                    if let Some(reply) = reply {
                        self.unwant_line();
                        self.print("\n");
                        return Some(Err(reply));
                    }
                }
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

    async fn text(&mut self, driver: &mut Driver, prompt: &str) -> Result<String, Reply> {
        match self.read(driver, prompt).await {
            Some(r) => r.map(|l| l.trim().to_string()),
            None => Err(Reply::Quit),
        }
    }

    async fn common(&mut self, driver: &mut Driver, answer: &str) -> Option<Reply> {
        match answer {
            "s" | "skip" => Some(match self.text(driver, "reason for skipping:").await {
                Ok(r) => Reply::Skip(r),
                Err(reply) => reply,
            }),
            "n" | "note" => Some(match self.text(driver, "note:").await {
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

    pub async fn ask_run(&mut self, driver: &mut Driver, _step: &str) -> Reply {
        let answer = match self
            .text(driver, "[Enter] run · s skip · n note · q quit >")
            .await
        {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "" | "r" | "run" => Reply::Run,
            other => self.common(driver, other).await.unwrap_or(Reply::No),
        }
    }

    /// A checklist item to tick, indented under its parent item.
    pub async fn ask_tick(&mut self, driver: &mut Driver, item: &str, depth: usize) -> Reply {
        let indent = "  ".repeat(depth);
        self.line(&format!("  {indent}[ ] {item}"));
        self.ask_yes(driver, "      tick it? y · s skip step · n note · q quit >")
            .await
    }

    /// The item a block is written in, before the question to run it.
    pub fn item_to_run(&self, item: &str, depth: usize) {
        let indent = "  ".repeat(depth);
        self.line(&format!("  {indent}▸ {item}"));
    }

    pub async fn ask_done(&mut self, driver: &mut Driver, _step: &str) -> Reply {
        self.ask_yes(driver, "done? y · s skip · n note · q quit >")
            .await
    }

    /// A question whose own answer is yes; the rest are the common ones.
    async fn ask_yes(&mut self, driver: &mut Driver, prompt: &str) -> Reply {
        let answer = match self.text(driver, prompt).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            a if is_yes(a) => Reply::Yes,
            other => self.common(driver, other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_gate(&mut self, driver: &mut Driver, _step: &str) -> Reply {
        match self
            .text(driver, "type the target's name to run it (Enter refuses) >")
            .await
        {
            Ok(a) if a.is_empty() => Reply::No,
            Ok(a) => Reply::Typed(a),
            Err(r) => r,
        }
    }

    pub async fn ask_failed(
        &mut self,
        driver: &mut Driver,
        _step: &str,
        _reason: &str,
        rollbacks: &[(String, String)],
        rolled_back: bool,
    ) -> Reply {
        let prompt = match (rollbacks.is_empty(), rolled_back) {
            (true, _) => "r retry · s skip · n note · q quit >",
            (false, false) => "r retry · s skip · b rollback · n note · q quit >",
            (false, true) => {
                "r retry · s skip · b rollback · e end, rolled back · n note · q quit >"
            }
        };
        let answer = match self.text(driver, prompt).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "r" | "retry" => Reply::Run,
            "e" | "end" if rolled_back => Reply::EndRolledBack,
            "b" | "rollback" if !rollbacks.is_empty() => {
                if rollbacks.len() == 1 {
                    return Reply::Rollback(rollbacks[0].0.clone());
                }
                for (i, (_, title)) in rollbacks.iter().enumerate() {
                    self.line(&format!("  {}. {title}", i + 1));
                }
                match self.text(driver, "which rollback? >").await {
                    Ok(n) => n
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| rollbacks.get(n.wrapping_sub(1)))
                        .map_or(Reply::No, |(id, _)| Reply::Rollback(id.clone())),
                    Err(r) => r,
                }
            }
            other => self.common(driver, other).await.unwrap_or(Reply::No),
        }
    }

    pub async fn ask_in_doubt(&mut self, driver: &mut Driver, _step: &str) -> Reply {
        let answer = match self
            .text(
                driver,
                "r re-run · d it completed, mark done · s skip · q quit >",
            )
            .await
        {
            Ok(a) => a,
            Err(r) => return r,
        };
        match answer.as_str() {
            "r" | "rerun" => Reply::Run,
            "d" | "done" => Reply::Yes,
            other => self.common(driver, other).await.unwrap_or(Reply::No),
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
            None if is_task_line(t) => {}
            None => out.push(line),
        }
    }
    out.join("\n").trim().to_string()
}

/// `- [ ] …`, `* [x] …`, `+ [X] …`, `1. [ ] …`: a task item, asked as a
/// question rather than shown.
fn is_task_line(line: &str) -> bool {
    let rest = match line.strip_prefix(['-', '*', '+']) {
        Some(rest) => rest,
        None => {
            let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
            if digits.len() == line.len() {
                return false;
            }
            match digits.strip_prefix(['.', ')']) {
                Some(rest) => rest,
                None => return false,
            }
        }
    };
    let spaced = rest.trim_start_matches([' ', '\t']);
    if spaced.len() == rest.len() {
        return false;
    }
    let rest = spaced;
    ["[ ]", "[x]", "[X]"].iter().any(|b| {
        rest.strip_prefix(b)
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
    })
}

/// A yes, as the console's questions take it.
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim(), "y" | "Y" | "yes" | "o" | "oui")
}

/// `plan 2m45s`, and on a resume how far the session got: the time it
/// ran, the time it was down (not counted), what is left of the plan.
fn plan_line(session: &Session, resumed: bool) -> Option<String> {
    let mut parts = Vec::new();
    let plan = session.plan();
    if let Some(plan) = plan {
        parts.push(format!("plan {plan}"));
    }
    if resumed {
        let mut ran = format!("ran {}", human_ms(session.elapsed(session.last_at())));
        if session.down_ms() > 0 {
            ran.push_str(&format!(
                " (and down {}, not counted)",
                human_ms(session.down_ms())
            ));
        }
        parts.push(ran);
        match session.remaining() {
            Some(left) if plan.is_some() && left != crate::runbook::duration::Estimate::ZERO => {
                parts.push(format!("left ~{left}"));
            }
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn human_ms(ms: i64) -> String {
    crate::runbook::duration::format_span_ms(ms)
}

fn short_ms(ms: i64) -> String {
    crate::runbook::duration::format_span_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_in_every_list_style() {
        for t in [
            "- [ ] a",
            "* [x] b",
            "+ [X] c",
            "1. [ ] d",
            "12) [ ] e",
            "- [ ]",
        ] {
            assert!(is_task_line(t), "{t}");
        }
        for t in ["- a [ ]", "-[ ] f", "[ ] g", "1.5 [ ] h", "- [ ]x"] {
            assert!(!is_task_line(t), "{t}");
        }
    }

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
