//! One journaled message applied as the live session applied it: through
//! `Session::update`, its effects to `App::on_effect`, and a frame's
//! reconcile after it (the live loop draws after every event). Where the
//! live screen changed because of a key rather than an effect (a gate
//! answered, a rollback chosen), the key is played to the `App` the same way.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::session::{Effect, Millis, Msg, Rejected, Session, StepStatus};
use crate::tui::{App, Mode};

/// What the replay's `App`s are made with: the live session's view
/// settings, and read-only.
#[derive(Clone, Debug)]
pub struct View {
    pub journal_path: String,
}

impl View {
    /// The `App` a session's front end starts with (at the start, and again
    /// after each resume).
    pub fn app(&self, session: &Session) -> App {
        let mut app = App::new(session).with_journal_path(self.journal_path.clone());
        app.read_only = true;
        app
    }
}

/// Applies `msg` (journaled at `at`) to the session and its view. A refusal
/// leaves both as they were, but for a gate's typed name (shown already).
pub fn apply(
    session: &mut Session,
    app: &mut App,
    view: &View,
    at: Millis,
    msg: Msg,
) -> Result<Vec<Effect>, Rejected> {
    match &msg {
        Msg::GateAnswered { step, typed } => {
            if matches!(&app.mode, Mode::Gate { step: shown, .. } if shown == step) {
                app.mode = Mode::Gate {
                    step: step.clone(),
                    input: typed.clone(),
                };
                let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
                // Its command is this very message, applied below.
                let _ = app.handle_key(session, enter, at);
            }
        }
        Msg::RollbackRequested { rollback, .. } => app.select(rollback),
        _ => {}
    }
    let resumed = matches!(msg, Msg::Resumed { .. });
    let effects = session.update(at, msg)?;
    if resumed {
        *app = view.app(session);
    }
    for effect in effects.iter().skip(1) {
        // Bells and the like are for the operator who was there.
        let _ = app.on_effect(session, effect, at);
    }
    app.reconcile(session);
    Ok(effects)
}

/// Where a record is worth stopping at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// A step started, an action ended, or a step settled.
    pub boundary: bool,
    pub failure: bool,
    /// A gate shown, answered or refused.
    pub gate: bool,
    pub note: bool,
}

impl Marks {
    /// Classifies a record once applied (`session` is the state after it).
    pub fn of(msg: &Msg, effects: &[Effect], session: &Session) -> Marks {
        let settled_failed = |step: &str| {
            session
                .state(step)
                .is_some_and(|s| matches!(s.status, StepStatus::Failed { .. }))
        };
        let mut marks = Marks {
            boundary: matches!(msg, Msg::ActionFinished { .. }),
            failure: false,
            gate: matches!(msg, Msg::GateAnswered { .. } | Msg::GateRefused { .. }),
            note: matches!(msg, Msg::Note { .. }),
        };
        for e in effects {
            match e {
                Effect::RunAction { action: 0, .. } => marks.boundary = true,
                Effect::StepSettled { step } => {
                    marks.boundary = true;
                    marks.failure |= settled_failed(step);
                }
                Effect::ShowGate(_) => marks.gate = true,
                _ => {}
            }
        }
        marks
    }
}
