//! The full-screen UI's event loop: one `select!` over keys, the driver
//! (the running action, signals), and a frame timer. Keys become commands
//! for the pure `tui::App`; its `Submit`s go to the same driver as the
//! plain console's answers, and the driver's events become the App's
//! effects and flashes.

use crate::driver::{Driver, Event as DriverEvent, RunEnd, Sig, Submitted, now_ms};
use crate::tui::{App, Command, Flash, Outputs, Theme, draw, prepare};
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
/// How long a warning from the driver stays on screen.
const WARNING_MS: i64 = 8_000;

struct Loop {
    driver: Driver,
    app: App,
    outputs: Outputs,
    theme: Theme,
    quit: bool,
    /// The operator ended the session as rolled back (`e`).
    end_rolled_back: bool,
    /// Nowhere to draw, nothing to read (SSH dropped).
    terminal_lost: bool,
    /// Dropped as soon as the terminal is gone (see `stop_reading`).
    events: Option<EventStream>,
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

pub async fn run(driver: Driver, color: bool) -> Result<RunEnd> {
    let journal_path = driver.journal_path().display().to_string();
    let app = App::new(driver.session()).with_journal_path(journal_path.clone());
    let outputs = Outputs::new().with_secrets(driver.secrets().clone());
    let mut lp = Loop {
        driver,
        app,
        outputs,
        theme: Theme::new(color),
        quit: false,
        end_rolled_back: false,
        terminal_lost: false,
        events: None,
    };
    let mut terminal = init_terminal()?;
    let guard = TerminalGuard;
    lp.events = Some(EventStream::new());
    let end = lp.event_loop(&mut terminal).await;
    drop(guard);
    // ratatui's Terminal shows the cursor on drop and reports a failure with
    // eprintln!, which panics when the terminal is gone; it was restored above.
    std::mem::forget(terminal);
    let Loop { driver, .. } = lp;
    let coverage = RunEnd::coverage_lines(driver.session());
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            driver.abandon().await;
            return Err(e);
        }
    };
    driver.close(&end).await?;
    print_end(&end, &journal_path, &coverage);
    Ok(end)
}

/// Says how the session ended; the terminal may be gone, so nothing here
/// may fail.
fn print_end(end: &RunEnd, journal: &str, coverage: &[String]) {
    let mut text = format!("{}\n", end.summary());
    for l in coverage {
        text.push_str(&format!("  {l}\n"));
    }
    if end.resumable() {
        text.push_str(&format!("  continue with: runsheet resume {journal}\n"));
    }
    text.push_str(&format!("  journal: {journal}\n"));
    // An ended session's hash is final: what goes in the ticket, and the
    // command that checks it there later.
    if !end.resumable() {
        for l in crate::evidence::end_lines(std::path::Path::new(journal)) {
            text.push_str(&format!("  {l}\n"));
        }
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

impl Loop {
    async fn event_loop(&mut self, terminal: &mut DefaultTerminal) -> Result<RunEnd> {
        let mut frames = tokio::time::interval(FRAME);
        frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut dirty = true;
        let mut last_draw = Instant::now();
        // The driver's warnings from before the first frame.
        self.driver_events(terminal).await?;
        loop {
            if !self.terminal_lost && (dirty || last_draw.elapsed() >= IDLE_REDRAW) {
                if self.draw(terminal).is_err() {
                    // Nowhere to draw (SSH dropped): keep supervising and
                    // journaling the running step, then stop resumably.
                    self.lose_terminal();
                }
                dirty = false;
                last_draw = Instant::now();
            }
            if !self.driver.busy() {
                if let Some(reason) = self.driver.take_interrupted() {
                    return Ok(RunEnd::Interrupted { reason });
                }
                if self.quit {
                    return Ok(self.end_on_quit());
                }
            }
            let reading = !self.terminal_lost && self.events.is_some();
            tokio::select! {
                ev = next_event(&mut self.events), if reading => match ev {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                        let cmds = self.app.handle_key(self.driver.session(), key, now_ms());
                        self.commands(cmds, terminal).await?;
                        dirty = true;
                    }
                    Some(Ok(Event::Paste(text))) => {
                        self.app.handle_paste(&text);
                        dirty = true;
                    }
                    Some(Ok(_)) => dirty = true,
                    // The terminal is gone (SSH dropped): stop reading it,
                    // keep supervising and journaling the running step.
                    Some(Err(_)) | None => self.lose_terminal(),
                },
                wake = self.driver.wait() => {
                    self.driver.handle(wake).await?;
                    self.driver_events(terminal).await?;
                    dirty = true;
                }
                _ = frames.tick() => {
                    let cmds = self.app.tick(self.driver.session(), now_ms());
                    if !cmds.is_empty() {
                        self.commands(cmds, terminal).await?;
                        dirty = true;
                    }
                }
            }
        }
    }

    /// Stops reading and drawing; the driver finishes what runs, then the
    /// session stops resumably.
    fn lose_terminal(&mut self) {
        self.terminal_lost = true;
        stop_reading(&mut self.events);
        self.driver.interrupt("the terminal went away");
    }

    fn draw(&mut self, terminal: &mut DefaultTerminal) -> Result<()> {
        let now = now_ms();
        let area = terminal
            .size()
            .map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))
            .map_err(|e| format!("cannot read the terminal size: {e}"))?;
        prepare(
            &mut self.app,
            &mut self.outputs,
            self.driver.session(),
            area,
        );
        self.app.store_behind = self
            .driver
            .store_progress()
            .filter(|p| p.behind() > 0)
            .map(|p| (p.behind(), p.error));
        let (session, app, outputs, theme) =
            (self.driver.session(), &self.app, &self.outputs, &self.theme);
        terminal
            .draw(|f| draw(f, session, app, outputs, now, theme))
            .map_err(|e| format!("cannot draw on the terminal: {e}"))?;
        Ok(())
    }

    fn end_on_quit(&self) -> RunEnd {
        let session = self.driver.session();
        if self.end_rolled_back
            && let Some(end) = RunEnd::rolled_back(session)
        {
            return end;
        }
        if session.is_complete() {
            RunEnd::Completed
        } else {
            RunEnd::Stopped {
                step: session.next_step().map(str::to_string),
                why: "the operator quit".into(),
            }
        }
    }

    async fn commands(&mut self, cmds: Vec<Command>, terminal: &mut DefaultTerminal) -> Result<()> {
        for c in cmds {
            match c {
                Command::Submit(msg) => {
                    if let Submitted::Refused(r) = self.driver.submit(msg).await? {
                        self.app.on_refused(&r, now_ms());
                    }
                    self.driver_events(terminal).await?;
                }
                Command::Quit => {
                    self.quit = true;
                    self.driver.quit();
                }
                Command::KeepRunning => self.driver.cancel_declined(),
                Command::EndRolledBack => {
                    self.end_rolled_back = true;
                    self.quit = true;
                    self.driver.quit();
                }
                Command::Bell => bell(),
                Command::Variable { .. } => {}
            }
        }
        Ok(())
    }

    /// What the driver did, shown: effects to the App, warnings as
    /// flashes, the terminal handed to an interactive command and back.
    async fn driver_events(&mut self, terminal: &mut DefaultTerminal) -> Result<()> {
        while let Some(event) = self.driver.poll_event() {
            let now = now_ms();
            match event {
                DriverEvent::Effect(e) => {
                    for c in self.app.on_effect(self.driver.session(), &e, now) {
                        if let Command::Bell = c {
                            bell();
                        }
                    }
                }
                DriverEvent::HandOver(h) => {
                    if self.terminal_lost {
                        // No terminal to give: it runs on what is left.
                        self.driver.hand_over().await?;
                        continue;
                    }
                    restore_quietly();
                    let _ = writeln!(
                        std::io::stdout(),
                        "runsheet: `{}` has the terminal until it exits",
                        h.action.lang
                    );
                    self.driver.hand_over().await?;
                    let fresh = init_terminal()?;
                    std::mem::forget(std::mem::replace(terminal, fresh));
                    let _ = terminal.clear();
                }
                DriverEvent::Overran { slowest_ms, .. } => self.flash(
                    format!(
                        "⚠ running longer than every rehearsal (slowest {})",
                        crate::report::markdown::span(slowest_ms)
                    ),
                    now,
                ),
                DriverEvent::Warning(text) => self.flash(text, now),
                DriverEvent::Signal(Sig::Hup) => {
                    // The connection dropped: the running step goes on,
                    // supervised and journaled, then the session stops
                    // resumably. Nothing new starts.
                    self.terminal_lost = true;
                    stop_reading(&mut self.events);
                }
                DriverEvent::CancelAsked { step } => self.app.ask_cancel(&step),
                DriverEvent::Signal(_)
                | DriverEvent::ActionStarting(_)
                | DriverEvent::Output { .. }
                | DriverEvent::Cancelling { .. } => {}
            }
        }
        Ok(())
    }

    fn flash(&mut self, text: String, now: i64) {
        self.app.flash = Some(Flash {
            text,
            until_ms: now + WARNING_MS,
            alert: true,
        });
    }
}

fn bell() {
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
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
