//! The TUI's view state and what keys do to it. No terminal, no clock: time
//! comes in as `now_ms`, and what only the runtime can do (apply a message to
//! the session, quit, ring the bell) goes out as `Command`s.

mod input;
mod modal_keys;
mod normal_keys;
mod offer;

use super::render;
use crate::session::{Effect, Gate, Msg, Session, StepStatus};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use input::{Edit, edit, is_ctrl};
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::fmt;

/// A step that took longer than this gets a bell and a flash when it ends:
/// the operator has probably looked away.
pub const LONG_STEP_MS: i64 = 30_000;
const FLASH_MS: i64 = 4_000;

/// The pane that scroll keys (j/k, PgUp/PgDn) move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The tree: j/k select a step.
    Steps,
    /// The selected step's instructions.
    Step,
    /// The output pane.
    Output,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    /// The runbook's overview: its introduction and context sections.
    Overview,
    /// A destructive step on a protected target: the target's name is typed.
    Gate {
        step: String,
        input: String,
    },
    /// A reason for skipping (also how an in-doubt step is skipped).
    Skip {
        step: String,
        input: String,
    },
    Note {
        step: Option<String>,
        input: String,
    },
    Search {
        input: String,
    },
    ConfirmQuit,
    /// Ctrl-C (or c) while a command runs on a protected target: stop it?
    ConfirmCancel {
        step: String,
    },
    Rollback {
        failed: String,
        choices: Vec<String>,
        selected: usize,
    },
    /// A step was running when the session died: re-run, mark done or skip.
    InDoubt {
        step: String,
    },
    /// The flow reached an offer of alternatives: one option, or none.
    Offer {
        offer: String,
    },
    Countdown {
        step: String,
        ends_at_ms: i64,
    },
    /// A variable's value, asked before the session starts.
    Prompt {
        name: String,
        secret: bool,
        input: String,
    },
}

/// Secrets typed at a prompt must not reach a log or a panic message.
impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Normal => f.write_str("Normal"),
            Mode::Help => f.write_str("Help"),
            Mode::Overview => f.write_str("Overview"),
            Mode::ConfirmQuit => f.write_str("ConfirmQuit"),
            Mode::ConfirmCancel { step } => write!(f, "ConfirmCancel {{ step: {step:?} }}"),
            Mode::Gate { step, input } => write!(f, "Gate {{ step: {step:?}, input: {input:?} }}"),
            Mode::Skip { step, input } => write!(f, "Skip {{ step: {step:?}, input: {input:?} }}"),
            Mode::Note { step, input } => write!(f, "Note {{ step: {step:?}, input: {input:?} }}"),
            Mode::Search { input } => write!(f, "Search {{ input: {input:?} }}"),
            Mode::Rollback {
                failed,
                choices,
                selected,
            } => write!(
                f,
                "Rollback {{ failed: {failed:?}, choices: {choices:?}, selected: {selected} }}"
            ),
            Mode::InDoubt { step } => write!(f, "InDoubt {{ step: {step:?} }}"),
            Mode::Offer { offer } => write!(f, "Offer {{ offer: {offer:?} }}"),
            Mode::Countdown { step, ends_at_ms } => {
                write!(
                    f,
                    "Countdown {{ step: {step:?}, ends_at_ms: {ends_at_ms} }}"
                )
            }
            Mode::Prompt {
                name,
                secret,
                input,
            } => {
                let shown = if *secret { "***" } else { input.as_str() };
                write!(
                    f,
                    "Prompt {{ name: {name:?}, secret: {secret}, input: {shown:?} }}"
                )
            }
        }
    }
}

/// What a key asks for that only the runtime can do.
// One command lives at a time, handed straight to the runtime: boxing the
// message (whose first-record variant carries the session's settings)
// would buy nothing but an allocation per key.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// Apply this message to the session (the engine may refuse it: then
    /// call `App::on_refused`).
    Submit(Msg),
    /// Leave; the session stays resumable.
    Quit,
    /// The operator let a command on a protected target run on (see
    /// `Driver::cancel_declined`).
    KeepRunning,
    /// End the session as rolled back (`Session::rolled_back` stands).
    EndRolledBack,
    Bell,
    /// The value typed at a variable prompt.
    Variable {
        name: String,
        value: String,
    },
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Submit(m) => write!(f, "Submit({m:?})"),
            Command::Quit => f.write_str("Quit"),
            Command::KeepRunning => f.write_str("KeepRunning"),
            Command::EndRolledBack => f.write_str("EndRolledBack"),
            Command::Bell => f.write_str("Bell"),
            Command::Variable { name, .. } => write!(f, "Variable {{ name: {name:?}, .. }}"),
        }
    }
}

/// A message shown for a few seconds in the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub until_ms: i64,
    /// A refusal or a failure, rather than good news.
    pub alert: bool,
}

/// A search in the output of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// The step `matches` were computed for.
    pub step: Option<String>,
    /// Absolute rows of the output (scrollback first) that contain the query.
    pub matches: Vec<usize>,
    /// The match the view was last moved to.
    pub current: Option<usize>,
    /// A move waiting for the matches to be (re)computed before the next frame.
    pub jump: Option<Jump>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jump {
    /// The newest match.
    Last,
    Next,
    Prev,
}

/// A variable to ask for before the session starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    pub name: String,
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct App {
    pub selected: Option<String>,
    pub focus: Focus,
    pub mode: Mode,
    /// Output rows above the live screen; 0 with `follow`.
    pub scroll: usize,
    /// The output pane sticks to the newest line.
    pub follow: bool,
    /// Rows of the step's instructions scrolled past.
    pub step_scroll: u16,
    pub help_scroll: u16,
    pub search: Option<Search>,
    pub flash: Option<Flash>,
    /// Why the open input did not go through (empty reason, wrong name).
    pub hint: Option<String>,
    /// The gate on screen, as the engine described it.
    pub gate: Option<Gate>,
    pub journal_path: Option<String>,
    /// Records the team's store does not hold yet (`store::ship`), and
    /// why, while it is behind.
    pub store_behind: Option<(u64, Option<String>)>,
    /// A replay: the footer and help show the replay's keys, since nothing
    /// here may change the session.
    pub read_only: bool,
    /// The last frame's size: page keys scroll by the panes' heights.
    pub frame: Rect,
    asks: VecDeque<Ask>,
    /// The selected step and its output's `pushed` count at the last frame.
    pub(crate) output_mark: Option<(String, u64)>,
    /// The offer of alternatives closed with Esc to look around: not
    /// asked again until `o` (or the next offer).
    offer_closed: Option<String>,
}

impl App {
    pub fn new(session: &Session) -> App {
        let in_doubt = session.first_in_doubt().map(str::to_string);
        let selected = in_doubt
            .clone()
            .or_else(|| session.running().map(str::to_string))
            .or_else(|| session.next_step().map(str::to_string))
            .or_else(|| session.runbook().steps().next().map(|(_, s)| s.id.clone()));
        App {
            selected,
            focus: Focus::Steps,
            mode: in_doubt.map_or(Mode::Normal, |step| Mode::InDoubt { step }),
            scroll: 0,
            follow: true,
            step_scroll: 0,
            help_scroll: 0,
            search: None,
            flash: None,
            hint: None,
            gate: None,
            journal_path: None,
            store_behind: None,
            read_only: false,
            frame: Rect::new(0, 0, 120, 40),
            asks: VecDeque::new(),
            output_mark: None,
            offer_closed: None,
        }
    }

    pub fn with_journal_path(mut self, path: impl Into<String>) -> App {
        self.journal_path = Some(path.into());
        self
    }

    /// Asks for these variables, one prompt each, before anything else.
    pub fn ask_variables(&mut self, asks: impl IntoIterator<Item = Ask>) {
        self.asks.extend(asks);
        if !matches!(self.mode, Mode::Prompt { .. }) {
            self.next_prompt();
        }
    }

    fn next_prompt(&mut self) {
        self.mode = match self.asks.pop_front() {
            Some(a) => Mode::Prompt {
                name: a.name,
                secret: a.secret,
                input: String::new(),
            },
            None => Mode::Normal,
        };
    }

    /// The engine refused what a key asked for: say why.
    pub fn on_refused(&mut self, reason: &str, now_ms: i64) {
        self.flash_alert(reason.to_string(), now_ms);
    }

    fn flash_info(&mut self, text: impl Into<String>, now_ms: i64) {
        self.flash = Some(Flash {
            text: text.into(),
            until_ms: now_ms + FLASH_MS,
            alert: false,
        });
    }

    fn flash_alert(&mut self, text: impl Into<String>, now_ms: i64) {
        self.flash = Some(Flash {
            text: text.into(),
            until_ms: now_ms + FLASH_MS,
            alert: true,
        });
    }

    /// The flash to show at `now_ms`, if it has not run out.
    pub fn flash_at(&self, now_ms: i64) -> Option<&Flash> {
        self.flash.as_ref().filter(|f| now_ms < f.until_ms)
    }

    /// Time passing: ends a countdown that ran out (the runtime calls this at
    /// least every second, and at `Countdown::ends_at_ms`).
    pub fn tick(&mut self, session: &Session, now_ms: i64) -> Vec<Command> {
        self.reconcile(session);
        // A session that starts (or resumes) at a step the sandbox cannot
        // rehearse passes it by unasked; later ones the engine passes itself.
        if let Some(msg) = session.due_not_rehearsable() {
            return vec![Command::Submit(msg)];
        }
        if self.flash.as_ref().is_some_and(|f| now_ms >= f.until_ms) {
            self.flash = None;
        }
        if let Mode::Countdown { step, ends_at_ms } = &self.mode
            && now_ms >= *ends_at_ms
        {
            let step = step.clone();
            self.mode = Mode::Normal;
            return vec![Command::Submit(Msg::CountdownElapsed { step })];
        }
        Vec::new()
    }

    /// What the engine said must happen next, as far as the screen is concerned.
    pub fn on_effect(&mut self, session: &Session, effect: &Effect, now_ms: i64) -> Vec<Command> {
        match effect {
            Effect::ShowGate(gate) => {
                self.select(&gate.step);
                self.gate = Some(gate.clone());
                self.hint = None;
                self.mode = Mode::Gate {
                    step: gate.step.clone(),
                    input: String::new(),
                };
            }
            Effect::StartCountdown { step, seconds } => {
                self.select(step);
                let secs = i64::try_from(*seconds).unwrap_or(i64::MAX / 2_000);
                self.mode = Mode::Countdown {
                    step: step.clone(),
                    ends_at_ms: now_ms.saturating_add(secs.saturating_mul(1000)),
                };
            }
            Effect::RunAction { step, action } => {
                self.select(step);
                if *action == 0 {
                    self.follow = true;
                    self.scroll = 0;
                }
            }
            Effect::StepSettled { step } => return self.settled(session, step, now_ms),
            Effect::FlowComplete => {
                // What the last action said stays said (a skip, a note).
                let done = if crate::report::coverage::session_applies(session) {
                    let c = crate::report::coverage::of_session(session);
                    format!("Every step is settled · {}: q to finish", c.line())
                } else {
                    "Every step is done or skipped: q to finish".to_string()
                };
                let text = match self.flash_at(now_ms).filter(|f| !f.alert) {
                    Some(f) => format!("{} · {done}", f.text),
                    None => done.to_string(),
                };
                self.flash_info(text, now_ms);
            }
            Effect::GateMistyped {
                step,
                typed,
                target,
            } => {
                // Nothing ran (the answer is journaled); the gate stays up.
                self.hint = Some(mistyped_hint(typed, target));
                self.mode = Mode::Gate {
                    step: step.clone(),
                    input: String::new(),
                };
            }
            Effect::AwaitingApprovals { step, missing } => {
                // The name is right; the gate stays up, saying who it waits for.
                self.hint = Some(format!(
                    "name confirmed · waiting for {missing} approval{} from another person (`runsheet approve`) · Esc withdraws",
                    if *missing == 1 { "" } else { "s" }
                ));
                self.mode = Mode::Gate {
                    step: step.clone(),
                    input: String::new(),
                };
            }
            Effect::ApprovalAnswered {
                step,
                approver,
                approve: true,
                reason,
            } => self.flash_info(
                format!(
                    "✔ {} approved by {approver}: {reason}",
                    session.step_title(step)
                ),
                now_ms,
            ),
            Effect::ApprovalAnswered {
                step,
                approver,
                approve: false,
                reason,
            } => {
                self.gate = None;
                self.hint = None;
                self.mode = Mode::Normal;
                self.flash_alert(
                    format!(
                        "✘ {} denied by {approver}: {reason}",
                        session.step_title(step)
                    ),
                    now_ms,
                );
            }
            Effect::RollbackChosen { rollback, .. } => self.select(rollback),
            Effect::AlternativeChosen { .. } => self.alternative_chosen(session),
            Effect::Record(_) | Effect::CancelAction { .. } => {}
        }
        Vec::new()
    }

    /// The view of a session nobody has looked around in: where its flow
    /// is, the gate, countdown or in-doubt question it is at. What replay
    /// shows after a seek, from the session alone; at a session's start
    /// and after each resume, the same as `App::new`.
    pub fn restore(session: &Session) -> App {
        let mut app = App::new(session);
        if let Some(current) = session.current() {
            app.select(current);
        }
        let Some(step) = app.selected.clone() else {
            return app;
        };
        let Some(state) = session.state(&step) else {
            return app;
        };
        match state.status {
            StepStatus::AwaitingGate => {
                app.gate = session.gate(&step);
                if let (Some(typed), Some(gate)) = (&state.wrong_answer, &app.gate) {
                    app.hint = Some(mistyped_hint(typed, &gate.target));
                }
                app.mode = Mode::Gate {
                    step,
                    input: String::new(),
                };
            }
            StepStatus::Countdown => {
                if let Some(ends_at_ms) = session.countdown_ends_at(&step) {
                    app.mode = Mode::Countdown { step, ends_at_ms };
                }
            }
            _ => {}
        }
        app
    }

    fn settled(&mut self, session: &Session, step: &str, now_ms: i64) -> Vec<Command> {
        let Some(state) = session.state(step) else {
            return Vec::new();
        };
        // The selection stays on the step that just settled, with its mark,
        // its time and its output, until the operator moves on (Enter on a
        // settled step selects the next one): what a step just did, the
        // output of a command confirmed at its gate, is seen, not jumped
        // past. A rollback step stays in view the same way.
        let long = state.duration_ms().is_some_and(|d| d > LONG_STEP_MS);
        if !long {
            return Vec::new();
        }
        let title = session.step(step).map_or(step, |(_, s)| s.title.as_str());
        let took = render::text::millis(state.duration_ms().unwrap_or(0));
        match &state.status {
            StepStatus::Failed { reason } => {
                self.flash_alert(format!("✖ {title} failed after {took}: {reason}"), now_ms)
            }
            StepStatus::Skipped { .. } => return Vec::new(),
            _ => self.flash_info(format!("✔ {title} done after {took}"), now_ms),
        }
        vec![Command::Bell]
    }

    pub fn select(&mut self, step: &str) {
        if self.selected.as_deref() != Some(step) {
            self.selected = Some(step.to_string());
            self.step_scroll = 0;
            self.scroll = 0;
            self.follow = true;
        }
    }

    /// Drops a modal the session has moved past (a gate answered elsewhere,
    /// a countdown cancelled) and opens the in-doubt question when needed.
    pub fn reconcile(&mut self, session: &Session) {
        let status = |id: &str| session.state(id).map(|s| s.status.clone());
        let stale = match &self.mode {
            Mode::Gate { step, .. } => status(step) != Some(StepStatus::AwaitingGate),
            Mode::Countdown { step, .. } => status(step) != Some(StepStatus::Countdown),
            Mode::InDoubt { step } => status(step) != Some(StepStatus::InDoubt),
            Mode::Skip { step, .. } => status(step).is_some_and(|s| s.is_settled()),
            Mode::Rollback { failed, .. } => {
                !matches!(status(failed), Some(StepStatus::Failed { .. }))
            }
            Mode::ConfirmQuit => session.running().is_none(),
            Mode::Offer { offer } => session.chosen(offer).is_some(),
            Mode::ConfirmCancel { step } => {
                !matches!(status(step), Some(StepStatus::Running { .. }))
            }
            _ => false,
        };
        if stale {
            self.mode = Mode::Normal;
            self.hint = None;
        }
        if matches!(self.mode, Mode::Gate { .. }) {
            return;
        }
        if self.mode == Mode::Normal
            && let Some(step) = session.first_in_doubt().map(str::to_string)
        {
            self.select(&step);
            self.mode = Mode::InDoubt { step };
        }
        self.ask_offer(session);
    }

    /// Text pasted into the terminal goes to the open input, on one line.
    pub fn handle_paste(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        if let Some(input) = self.input_mut() {
            input.push_str(&clean);
        }
    }

    fn input_mut(&mut self) -> Option<&mut String> {
        match &mut self.mode {
            Mode::Gate { input, .. }
            | Mode::Skip { input, .. }
            | Mode::Note { input, .. }
            | Mode::Search { input }
            | Mode::Prompt { input, .. } => Some(input),
            _ => None,
        }
    }

    pub fn handle_key(&mut self, session: &Session, key: KeyEvent, now_ms: i64) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let Some(key) = input::normalize(key) else {
            return Vec::new();
        };
        self.reconcile(session);
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        match mode {
            Mode::Normal => self.normal_key(session, key, now_ms),
            Mode::Help => {
                self.help_key(key);
                Vec::new()
            }
            Mode::Overview => {
                self.overview_key(key);
                Vec::new()
            }
            Mode::Gate { step, input } => self.gate_key(session, step, input, key, now_ms),
            Mode::Skip { step, input } => self.skip_key(session, step, input, key, now_ms),
            Mode::Note { step, input } => self.note_key(session, step, input, key, now_ms),
            Mode::Search { input } => self.search_key(input, key),
            Mode::ConfirmQuit => match key.code {
                KeyCode::Char('y' | 'Y') => vec![Command::Quit],
                _ if is_ctrl(&key, 'c') => vec![Command::Quit],
                _ => Vec::new(),
            },
            Mode::ConfirmCancel { step } => self.confirm_cancel_key(session, step, key, now_ms),
            Mode::Rollback {
                failed,
                choices,
                selected,
            } => self.rollback_key(failed, choices, selected, key),
            Mode::InDoubt { step } => self.in_doubt_key(session, step, key),
            Mode::Offer { offer } => self.offer_key(session, offer, key),
            Mode::Countdown { step, ends_at_ms } => match key.code {
                KeyCode::Esc | KeyCode::Char('c') => self.cancel_countdown(session, step, now_ms),
                _ if is_ctrl(&key, 'c') => self.cancel_countdown(session, step, now_ms),
                other => {
                    // Enter (a second one, pressed in a hurry) neither
                    // cancels nor hurries the step: it says what does.
                    if other == KeyCode::Enter {
                        self.flash_alert("Esc or c cancels the countdown.", now_ms);
                    }
                    self.mode = Mode::Countdown { step, ends_at_ms };
                    Vec::new()
                }
            },
            Mode::Prompt {
                name,
                secret,
                mut input,
            } => match edit(&mut input, &key) {
                // An empty value is not one: ask again, the values already
                // given are kept.
                Edit::Submit if input.trim().is_empty() => {
                    self.hint = Some(format!(
                        "${name} needs a value: type one, then Enter (Esc quits)"
                    ));
                    self.mode = Mode::Prompt {
                        name,
                        secret,
                        input,
                    };
                    Vec::new()
                }
                Edit::Submit => {
                    self.hint = None;
                    self.next_prompt();
                    vec![Command::Variable { name, value: input }]
                }
                Edit::Cancel => vec![Command::Quit],
                Edit::Changed | Edit::Ignored => {
                    self.mode = Mode::Prompt {
                        name,
                        secret,
                        input,
                    };
                    Vec::new()
                }
            },
        }
    }

    fn cancel_countdown(&mut self, session: &Session, step: String, now_ms: i64) -> Vec<Command> {
        let title = session.step_title(&step);
        self.flash_info(
            format!("Countdown cancelled: “{title}” did not run."),
            now_ms,
        );
        vec![Command::Submit(Msg::CountdownCancelled { step })]
    }

    /// Stops the running step, asking first when it runs on a protected
    /// target (the driver's rule for SIGINT, the same for keys).
    pub(super) fn cancel_running(&mut self, session: &Session, step: &str) -> Vec<Command> {
        if crate::driver::interrupt::protected_run(session).is_some_and(|r| r.step == step) {
            self.ask_cancel(step);
            return Vec::new();
        }
        vec![Command::Submit(Msg::CancelRequested { step: step.into() })]
    }

    /// Asks whether to stop `step`'s command (a key, or the driver's
    /// `Event::CancelAsked` for a SIGINT).
    pub fn ask_cancel(&mut self, step: &str) {
        self.mode = Mode::ConfirmCancel { step: step.into() };
    }

    fn confirm_cancel_key(
        &mut self,
        session: &Session,
        step: String,
        key: KeyEvent,
        now_ms: i64,
    ) -> Vec<Command> {
        // A second Ctrl-C is the answer a hurried operator gives: yes.
        if matches!(key.code, KeyCode::Char('y' | 'Y')) || is_ctrl(&key, 'c') {
            return vec![Command::Submit(Msg::CancelRequested { step })];
        }
        let title = session.step_title(&step);
        self.flash_info(format!("“{title}” goes on running."), now_ms);
        vec![Command::KeepRunning]
    }

    /// Moves the tree selection by `delta` steps (rollback steps included).
    pub fn move_selection(&mut self, session: &Session, delta: i64) {
        let ids = all_steps(session);
        if ids.is_empty() {
            return;
        }
        let pos = self
            .selected
            .as_ref()
            .and_then(|s| ids.iter().position(|i| i == s))
            .unwrap_or(0) as i64;
        let to = (pos + delta).clamp(0, ids.len() as i64 - 1) as usize;
        if let Some(id) = ids.get(to) {
            let id = id.clone();
            self.select(&id);
        }
    }

    /// Does the selected step have an output pane (actions, or output)?
    pub fn shows_output(&self, session: &Session) -> bool {
        self.selected.as_deref().is_some_and(|id| {
            session.step(id).is_some_and(|(_, s)| !s.actions.is_empty())
                || session.state(id).is_some_and(|s| s.output_bytes > 0)
        })
    }
}

/// What the gate says under a wrong name.
fn mistyped_hint(typed: &str, target: &str) -> String {
    format!("“{typed}” is not {target}: nothing ran (journaled). Type {target}, or Esc to refuse.")
}

fn is_failed(session: &Session, step: &str) -> bool {
    session
        .state(step)
        .is_some_and(|s| matches!(s.status, StepStatus::Failed { .. }))
}

/// Every step in tree order, rollback steps included.
pub fn all_steps(session: &Session) -> Vec<String> {
    session
        .runbook()
        .steps()
        .map(|(_, s)| s.id.clone())
        .collect()
}
