//! The terminal UI's event loop: one `select!` over keys, the running
//! action's output, a frame timer and signals. Keys become commands for the
//! pure `tui::App`; its `Submit`s go through the same engine and journal as
//! the plain console.

use super::action::{self, Item, Running};
use super::console::{Sig, Signals};
use super::runner::{RunEnd, RunnerParts, apply_and_record, mask, now_ms, record_if_accepted};
use crate::session::{Effect, Msg};
use crate::tui::{App, Command, Outputs, Theme, draw, prepare};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use std::io::Write;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

/// A frame at most every ~33 ms while things change, one a second otherwise
/// (the clocks), none while nothing happens.
const FRAME: Duration = Duration::from_millis(33);
const IDLE_REDRAW: Duration = Duration::from_secs(1);

struct Loop {
    parts: RunnerParts,
    app: App,
    outputs: Outputs,
    theme: Theme,
    running: Option<(String, usize, Running)>,
    /// SIGTERM/SIGHUP or a lost terminal: finish supervising, then stop.
    interrupted: Option<String>,
    quit: bool,
    signals: Signals,
}

/// Restores the terminal however the loop ends (the replay's loop too).
pub(crate) struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_quietly();
    }
}

/// Raw mode and the alternate screen, with a panic hook that gives the
/// terminal back first (quietly: it may be gone).
pub(crate) fn init_terminal() -> Result<DefaultTerminal> {
    use crossterm::{execute, terminal};
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_quietly();
            previous(info);
        }));
    });
    terminal::enable_raw_mode().map_err(|e| format!("cannot use the terminal: {e}"))?;
    if let Err(e) = execute!(std::io::stdout(), terminal::EnterAlternateScreen) {
        restore_quietly();
        return Err(format!("cannot use the terminal: {e}"));
    }
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
        .map_err(|e| format!("cannot use the terminal: {e}"))
}

/// Gives the terminal back. `ratatui::restore` reports failures with
/// `eprintln!`, which panics when the terminal is gone (SSH dropped) and
/// would kill the session before it records how it ended.
fn restore_quietly() {
    use crossterm::{cursor::Show, execute, terminal};
    let _ = terminal::disable_raw_mode();
    let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen, Show);
}

pub async fn run(parts: RunnerParts, color: bool) -> Result<RunEnd> {
    let signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
    let journal_path = parts.journal.path().display().to_string();
    let mut app = App::new(&parts.session).with_journal_path(journal_path.clone());
    if std::env::var_os("TMUX").is_none() && std::env::var_os("STY").is_none() {
        app.flash = Some(crate::tui::Flash {
            text: "not inside tmux or screen: an SSH drop would stop this session (resumable); run it inside tmux to keep it going".into(),
            until_ms: now_ms() + 8_000,
            alert: true,
        });
    }
    let outputs = Outputs::new().with_secrets(parts.secrets.clone());
    let mut lp = Loop {
        parts,
        app,
        outputs,
        theme: Theme::new(color),
        running: None,
        interrupted: None,
        quit: false,
        signals,
    };
    let mut terminal = init_terminal()?;
    let guard = TerminalGuard;
    let end = lp.event_loop(&mut terminal).await;
    drop(guard);
    // ratatui's Terminal shows the cursor on drop and reports a failure with
    // eprintln!, which panics when the terminal is gone; it was restored above.
    std::mem::forget(terminal);
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            let _ = lp.parts.journal.clone().close().await;
            return Err(e);
        }
    };
    lp.close(&end).await?;
    print_end(&end, &journal_path);
    Ok(end)
}

/// Says how the session ended; the terminal may be gone, so nothing here
/// may fail.
fn print_end(end: &RunEnd, journal: &str) {
    let mut text = format!("{}\n", end.summary());
    if end.resumable() {
        text.push_str(&format!("  continue with: runsheet resume {journal}\n"));
    }
    text.push_str(&format!("  journal: {journal}\n"));
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

impl Loop {
    async fn event_loop(&mut self, terminal: &mut DefaultTerminal) -> Result<RunEnd> {
        // Dropped as soon as the terminal is gone (see `stop_reading`).
        let mut events = Some(EventStream::new());
        let mut terminal_lost = false;
        let mut frames = tokio::time::interval(FRAME);
        frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut dirty = true;
        let mut last_draw = Instant::now();
        loop {
            if !terminal_lost && (dirty || last_draw.elapsed() >= IDLE_REDRAW) {
                if self.draw(terminal).is_err() {
                    // Nowhere to draw (SSH dropped): keep supervising and
                    // journaling the running step, then stop resumably.
                    terminal_lost = true;
                    stop_reading(&mut events);
                    self.interrupted
                        .get_or_insert_with(|| "the terminal went away".into());
                }
                dirty = false;
                last_draw = Instant::now();
            }
            if self.running.is_none() {
                if let Some(reason) = self.interrupted.take() {
                    return Ok(RunEnd::Interrupted { reason });
                }
                if self.quit {
                    return Ok(self.end_on_quit());
                }
            }
            tokio::select! {
                ev = next_event(&mut events), if !terminal_lost && events.is_some() => match ev {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                        let cmds = self.app.handle_key(&self.parts.session, key, now_ms());
                        self.commands(cmds, terminal).await?;
                        dirty = true;
                    }
                    Some(Ok(Event::Paste(text))) => {
                        self.app.handle_paste(&text);
                        dirty = true;
                    }
                    Some(Ok(_)) => dirty = true,
                    Some(Err(_)) | None => {
                        // The terminal is gone (SSH dropped): stop reading it,
                        // keep supervising and journaling the running step.
                        terminal_lost = true;
                        stop_reading(&mut events);
                        self.interrupted.get_or_insert_with(|| "the terminal went away".into());
                    }
                },
                batch = next_batch(&mut self.running), if self.running.is_some() => {
                    self.on_batch(batch, terminal).await?;
                    dirty = true;
                }
                _ = frames.tick() => {
                    let cmds = self.app.tick(&self.parts.session, now_ms());
                    if !cmds.is_empty() {
                        self.commands(cmds, terminal).await?;
                        dirty = true;
                    }
                }
                sig = self.signals.next() => {
                    match sig {
                        Sig::Int => {
                            if let Some((step, _, _)) = &self.running {
                                let step = step.clone();
                                self.submit(Msg::CancelRequested { step }, terminal).await?;
                            }
                        }
                        Sig::Term => {
                            self.interrupted = Some(sig.describe().into());
                            if let Some((_, _, r)) = &self.running {
                                r.cancel();
                            }
                        }
                        Sig::Hup => {
                            // The connection dropped: the running step goes
                            // on, supervised and journaled, then the session
                            // stops resumably. Nothing new starts.
                            self.interrupted = Some(sig.describe().into());
                            terminal_lost = true;
                            stop_reading(&mut events);
                        }
                    }
                    dirty = true;
                }
            }
        }
    }

    fn draw(&mut self, terminal: &mut DefaultTerminal) -> Result<()> {
        let now = now_ms();
        let area = terminal
            .size()
            .map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))
            .map_err(|e| format!("cannot read the terminal size: {e}"))?;
        prepare(&mut self.app, &mut self.outputs, &self.parts.session, area);
        let (session, app, outputs, theme) =
            (&self.parts.session, &self.app, &self.outputs, &self.theme);
        terminal
            .draw(|f| draw(f, session, app, outputs, now, theme))
            .map_err(|e| format!("cannot draw on the terminal: {e}"))?;
        Ok(())
    }

    fn end_on_quit(&self) -> RunEnd {
        if self.parts.session.is_complete() {
            RunEnd::Completed
        } else {
            RunEnd::Stopped {
                step: self.parts.session.next_step().map(str::to_string),
                why: "the operator quit".into(),
            }
        }
    }

    async fn commands(&mut self, cmds: Vec<Command>, terminal: &mut DefaultTerminal) -> Result<()> {
        for c in cmds {
            match c {
                Command::Submit(msg) => self.submit(msg, terminal).await?,
                Command::Quit => {
                    self.quit = true;
                    if let Some((_, _, r)) = &self.running {
                        r.cancel();
                    }
                }
                Command::Bell => {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07");
                    let _ = out.flush();
                }
                Command::Variable { .. } => {}
            }
        }
        Ok(())
    }

    /// Applies a message: refused ones are shown, accepted ones journaled and
    /// their effects carried out.
    async fn submit(&mut self, msg: Msg, terminal: &mut DefaultTerminal) -> Result<()> {
        let msg = mask(msg, &self.parts.secrets);
        match record_if_accepted(&mut self.parts.session, &self.parts.journal, msg).await? {
            Err(r) => {
                self.app.on_refused(&r.0, now_ms());
                Ok(())
            }
            Ok(effects) => self.effects(effects, terminal).await,
        }
    }

    async fn apply(&mut self, msg: Msg) -> Result<Vec<Effect>> {
        let msg = mask(msg, &self.parts.secrets);
        apply_and_record(&mut self.parts.session, &self.parts.journal, msg).await
    }

    async fn effects(
        &mut self,
        effects: Vec<Effect>,
        terminal: &mut DefaultTerminal,
    ) -> Result<()> {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            let now = now_ms();
            let cmds = self.app.on_effect(&self.parts.session, &e, now);
            match &e {
                Effect::RunAction { step, action } => {
                    queue.extend(self.start_action(step, *action, terminal).await?);
                }
                Effect::CancelAction { .. } => {
                    if let Some((_, _, r)) = &self.running {
                        r.cancel();
                    }
                }
                _ => {}
            }
            for c in cmds {
                if let Command::Bell = c {
                    let _ = std::io::stdout().write_all(b"\x07");
                }
            }
        }
        Ok(())
    }

    /// Starts an action in the background; an interactive one gets the real
    /// terminal until it exits. Returns effects of an action that ended at once.
    async fn start_action(
        &mut self,
        step: &str,
        index: usize,
        terminal: &mut DefaultTerminal,
    ) -> Result<Vec<Effect>> {
        let p = action::prepare(
            &self.parts.session,
            &self.parts.values,
            &self.parts.secrets,
            step,
            index,
        )?;
        if p.action.interactive && p.interpreter.is_some() {
            restore_quietly();
            let _ = writeln!(
                std::io::stdout(),
                "runsheet: `{}` has the terminal until it exits",
                p.action.lang
            );
            let (pid, outcome) = action::run_interactive(&p).await;
            let fresh = init_terminal()?;
            std::mem::forget(std::mem::replace(terminal, fresh));
            let _ = terminal.clear();
            self.apply(Msg::ActionStarted {
                step: step.into(),
                action: index,
                pid,
            })
            .await?;
            return self
                .apply(Msg::ActionFinished {
                    step: step.into(),
                    action: index,
                    outcome,
                })
                .await;
        }
        match Running::spawn(&p, &self.parts.secrets) {
            Ok(running) => {
                let pid = running.pid();
                self.running = Some((step.to_string(), index, running));
                self.apply(Msg::ActionStarted {
                    step: step.into(),
                    action: index,
                    pid,
                })
                .await
            }
            Err(outcome) => {
                self.apply(Msg::ActionFinished {
                    step: step.into(),
                    action: index,
                    outcome,
                })
                .await
            }
        }
    }

    async fn on_batch(
        &mut self,
        batch: Option<action::Batch>,
        terminal: &mut DefaultTerminal,
    ) -> Result<()> {
        let Some(batch) = batch else {
            return Ok(());
        };
        let Some((step, index)) = self.running.as_ref().map(|(s, i, _)| (s.clone(), *i)) else {
            return Ok(());
        };
        for item in batch.items {
            match item {
                Item::Output(stream, data) => {
                    self.apply(Msg::Output {
                        step: step.clone(),
                        action: index,
                        stream,
                        data,
                    })
                    .await?;
                }
                Item::Record(msg, ack) => {
                    // The engine's refusal goes back to the action, which
                    // stops; only a journal failure is fatal here.
                    let msg = mask(*msg, &self.parts.secrets);
                    let verdict =
                        record_if_accepted(&mut self.parts.session, &self.parts.journal, msg)
                            .await?
                            .map(|_| ())
                            .map_err(|r| r.to_string());
                    let _ = ack.send(verdict);
                }
            }
        }
        if let Some(outcome) = batch.finished {
            self.running = None;
            let effects = self
                .apply(Msg::ActionFinished {
                    step,
                    action: index,
                    outcome,
                })
                .await?;
            if self.interrupted.is_some() || self.quit {
                // Record how it ended, run nothing more.
                let settled: Vec<Effect> = effects
                    .into_iter()
                    .filter(|e| !matches!(e, Effect::RunAction { .. }))
                    .collect();
                return self.effects(settled, terminal).await;
            }
            self.effects(effects, terminal).await?;
        }
        Ok(())
    }

    async fn close(&mut self, end: &RunEnd) -> Result<()> {
        if let Some(msg) = end.closing_record() {
            self.apply(msg).await?;
        }
        self.parts
            .journal
            .clone()
            .close()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(task) = self.parts.writer_task.take() {
            task.wait().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Stops reading a terminal that is gone, without a spin. crossterm's
/// reader thread reads the terminal in a loop that only a read with
/// nothing to give ends (WouldBlock); a hung-up terminal answers every read
/// at once with an error or end of file, so that thread would burn a core
/// until the session ended, and dropping the stream cannot reach it. So
/// standard input, which crossterm reads, becomes an empty pipe that
/// never ends (its write end is kept) and never blocks: the thread's next
/// read ends its loop, it waits for an event that never comes, and the
/// dropped stream's wake-up lets it go.
fn stop_reading(events: &mut Option<EventStream>) {
    use nix::fcntl::OFlag;
    use std::os::fd::OwnedFd;
    use std::sync::OnceLock;
    /// The write end, held for the rest of the process.
    static KEEP_OPEN: OnceLock<OwnedFd> = OnceLock::new();
    if KEEP_OPEN.get().is_none()
        && let Ok((read, write)) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
        // Best effort: without it the session still ends as it should,
        // only at the cost of a busy thread until then.
        && nix::unistd::dup2_stdin(&read).is_ok()
    {
        let _ = KEEP_OPEN.set(write);
    }
    *events = None;
}

/// The next terminal event; `None` once the stream is dropped (never
/// polled then: the branch is disabled).
async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(stream) => stream.next().await,
        None => None,
    }
}

async fn next_batch(running: &mut Option<(String, usize, Running)>) -> Option<action::Batch> {
    match running {
        Some((_, _, r)) => Some(r.next().await),
        None => std::future::pending().await,
    }
}
