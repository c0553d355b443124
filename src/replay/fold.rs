//! One journaled message applied as the live session applied it: through
//! `Session::update`, its effects to `App::on_effect`, and a frame's
//! reconcile after it (the live loop draws after every event). What the
//! live screen did in answer to the operator (a wrong name at a gate, a
//! rollback chosen) comes back from the engine as effects, so nothing here
//! plays keys.

use crate::session::{Effect, Millis, Msg, Rejected, Session, StepStatus};
use crate::tui::App;

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
        self.read_only(App::new(session))
    }

    /// The view of a session at any point, from its state alone: what a
    /// seek starts from (the index keeps sessions, not screens).
    pub fn restored(&self, session: &Session) -> App {
        self.read_only(App::restore(session))
    }

    fn read_only(&self, app: App) -> App {
        let mut app = app.with_journal_path(self.journal_path.clone());
        app.read_only = true;
        app
    }
}

/// Applies `msg` (journaled at `at`) to the session and its view. A refusal
/// leaves both as they were.
pub fn apply(
    session: &mut Session,
    app: &mut App,
    view: &View,
    at: Millis,
    msg: Msg,
) -> Result<Vec<Effect>, Rejected> {
    let resumed = matches!(msg, Msg::Resumed { .. });
    let effects = session.update_recorded(at, msg)?;
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
