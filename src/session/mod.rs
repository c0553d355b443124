//! The session engine: a pure state machine over the runbook. Messages in
//! (operator decisions, action results, time), effects out (run this, show a
//! gate, record this). The same fold serves a live session, a resumed one
//! and a replay.

pub mod alternatives;
mod checklist;
pub mod contexts;
pub mod display;
pub mod exports;
pub mod finding_gate;
pub mod four_eyes;
mod free_text;
pub mod gate_text;
pub mod msg;
mod not_rehearsable;
mod outcome;
mod plan;
pub mod protection;
pub mod shell_failure;
pub mod state;
pub mod update;

#[cfg(test)]
mod alternatives_tests;
#[cfg(test)]
mod checklist_tests;
#[cfg(test)]
mod finding_gate_tests;
#[cfg(test)]
mod four_eyes_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod times_tests;

pub use alternatives::{Choice, Offer, OptionRef, Standing};
pub use checklist::Next;
pub use free_text::FreeText;
pub use msg::{
    ActionOutcome, ContextIdentity, DbIdentity, Decision, Millis, Msg, SessionEnd, SessionInfo,
    Stream, TargetSettings,
};
pub use outcome::{RolledBack, SessionOutcome};
pub use state::{Session, StepState, StepStatus};
pub use update::{Effect, Gate, Rejected};

use crate::runbook::Runbook;
use std::sync::Arc;

/// Rebuilds a session from its journaled messages, in order.
pub fn fold(
    runbook: Arc<Runbook>,
    messages: impl IntoIterator<Item = (Millis, Msg)>,
) -> Result<Session, Rejected> {
    let mut messages = messages.into_iter();
    let Some((at, Msg::SessionStarted(info))) = messages.next() else {
        return Err(Rejected(
            "the journal does not start with a session-started record".into(),
        ));
    };
    let mut session = Session::new(runbook, info, at);
    for (i, (at, msg)) in messages.enumerate() {
        session
            .replay(at, &msg)
            .map_err(|r| Rejected(format!("record {}: {r}", i + 1)))?;
    }
    Ok(session)
}
