//! A record in a few words, for the replay bar: what just happened.

use crate::session::{Decision, Msg, Session, SessionEnd, StepStatus};

/// `msg` as it reads once applied (`session` is the state after it).
pub fn event(msg: &Msg, session: &Session) -> String {
    let title = |id: &str| session.step_title(id);
    match msg {
        Msg::SessionStarted(info) => format!(
            "session started by {}@{} on {}",
            info.operator, info.host, info.target
        ),
        Msg::Resumed {
            operator,
            host,
            runbook_changed,
            ..
        } => format!(
            "resumed by {}@{}{}",
            operator.as_deref().unwrap_or("someone"),
            host.as_deref().unwrap_or("somewhere"),
            if *runbook_changed {
                ", on a changed runbook"
            } else {
                ""
            }
        ),
        Msg::RunRequested { step } => format!("run {}", title(step)),
        Msg::GateAnswered { step, typed } => {
            let held = session
                .state(step)
                .is_some_and(|s| s.status == StepStatus::AwaitingGate);
            format!(
                "gate of {}: typed “{typed}” {}",
                title(step),
                if held {
                    "✖ not the name, nothing ran"
                } else {
                    "✔"
                }
            )
        }
        Msg::GateRefused { step } => format!("gate of {} refused", title(step)),
        Msg::CountdownElapsed { step } => format!("countdown of {} ran out", title(step)),
        Msg::CountdownCancelled { step } => format!("countdown of {} cancelled", title(step)),
        Msg::ActionStarted { step, action, pid } => format!(
            "{}: action {} started{}",
            title(step),
            action + 1,
            pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
        ),
        Msg::Output { step, .. } => format!("output of {}", title(step)),
        Msg::ActionFinished {
            step,
            action,
            outcome,
        } => format!(
            "{}: action {} ended, {} after {}",
            title(step),
            action + 1,
            outcome.describe(),
            crate::tui::render::text::millis(i64::try_from(outcome.duration_ms).unwrap_or(0))
        ),
        Msg::ActionResult { step, action, .. } => {
            format!("{}: action {} result recorded", title(step), action + 1)
        }
        Msg::VarsExported { step, vars, .. } => format!(
            "{}: {}",
            title(step),
            crate::session::exports::exported_line(vars).unwrap_or_default()
        ),
        Msg::BatchStarted {
            step, batch, rows, ..
        } => format!("{}: batch {batch} ran ({rows} rows)", title(step)),
        Msg::BatchCommitted { step, batch, .. } => {
            format!("{}: batch {batch} committed", title(step))
        }
        Msg::Checkpoint { step, key, .. } => format!("{}: checkpoint {key}", title(step)),
        Msg::DatabaseIdentified { target, identity } => {
            format!("{target} is {} on {}", identity.database, identity.server)
        }
        Msg::ContextIdentified { name, identity, .. } => {
            format!(
                "context `{name}` ({}) is {}",
                identity.reached,
                identity.describe()
            )
        }
        Msg::CancelRequested { step } => format!("cancel of {} asked", title(step)),
        Msg::ChecklistTicked {
            step,
            item,
            checked,
        } => format!(
            "{} item {} of {}",
            if *checked { "ticked" } else { "unticked" },
            item + 1,
            title(step)
        ),
        Msg::ConfirmedDone { step } => format!("{} confirmed done", title(step)),
        Msg::Skipped { step, reason } => format!("skipped {}: {reason}", title(step)),
        Msg::NotRehearsable {
            step,
            action: None,
            reason,
        } => format!("{} not rehearsable — {reason}", title(step)),
        Msg::NotRehearsable {
            step,
            action: Some(i),
            reason,
        } => format!(
            "block {} of {} not rehearsable — {reason}",
            i + 1,
            title(step)
        ),
        Msg::Note { text, .. } => format!("note: {text}"),
        Msg::Warned { text } => format!("warning: {text}"),
        Msg::Notified {
            event,
            to,
            attempt,
            status,
            error,
        } => format!(
            "notification `{event}` to {to}, attempt {attempt}: {}",
            match (status, error) {
                (Some(s), _) if (200..300).contains(s) => format!("delivered ({s})"),
                (Some(s), _) => format!("answered {s}"),
                (None, Some(e)) => e.clone(),
                (None, None) => "no answer".into(),
            }
        ),
        Msg::ApprovalRequested {
            step,
            requested_by,
            needed,
            ..
        } => format!(
            "{} asks {needed} approval{} ({requested_by} asked)",
            title(step),
            if *needed == 1 { "" } else { "s" }
        ),
        Msg::Approved {
            step,
            approver,
            reason,
            ..
        } => format!("{} approved by {approver}: {reason}", title(step)),
        Msg::Denied {
            step,
            approver,
            reason,
            ..
        } => format!("{} denied by {approver}: {reason}", title(step)),
        Msg::HandedOver {
            note,
            operator,
            host,
        } => format!(
            "handed over by {}@{}: {note}",
            operator.as_deref().unwrap_or("?"),
            host.as_deref().unwrap_or("?")
        ),
        Msg::RollbackRequested { failed, rollback } => {
            format!("rollback {} after {}", title(rollback), title(failed))
        }
        Msg::InDoubtResolved { step, decision } => format!(
            "{} (in doubt): {}",
            title(step),
            match decision {
                Decision::Rerun => "run again".to_string(),
                Decision::MarkDone => "marked done".to_string(),
                Decision::Skip { reason } => format!("skipped: {reason}"),
            }
        ),
        Msg::AlternativeChosen { offer, choice, .. } => {
            session.describe_choice(offer, choice.as_deref())
        }
        Msg::Interrupted { reason } => format!("interrupted: {reason}"),
        Msg::SessionEnded { outcome } => match outcome {
            SessionEnd::Completed => "session completed".into(),
            SessionEnd::Abandoned => "session abandoned".into(),
            SessionEnd::RolledBack => "session ended rolled back".into(),
        },
    }
}
