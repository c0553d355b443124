//! How a session ends, whichever front end ran it.

use crate::session::{Msg, Session, SessionEnd};

/// How a run ended; each maps to an exit code scripts can rely on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every step done or skipped.
    Completed,
    /// A step failed and, in `--auto`, nobody was there to decide.
    Failed {
        step: String,
        reason: String,
    },
    /// A person is needed (a gate, a checklist, a decision), or the operator
    /// quit: the session can be resumed.
    Stopped {
        step: Option<String>,
        why: String,
    },
    /// SIGTERM or SIGHUP: the session can be resumed.
    Interrupted {
        reason: String,
    },
    Abandoned,
    /// A step failed, a rollback step undid its phase, and the operator
    /// ended the session there (step titles, for the last line).
    RolledBack {
        failed: String,
        rollback: String,
    },
}

impl RunEnd {
    /// Ending `session` as rolled back, if a rollback stands in it
    /// (`Session::rolled_back`): what a front end returns when the
    /// operator ends the session after the rollback.
    pub fn rolled_back(session: &Session) -> Option<RunEnd> {
        let r = session.rolled_back()?;
        let title = |id: &str| session.step_title(id);
        Some(RunEnd::RolledBack {
            failed: title(&r.failed),
            rollback: title(&r.rollback),
        })
    }

    /// The record that closes a session ending this way, if any: a stopped
    /// or failed session stays open for `resume`.
    pub fn closing_record(&self) -> Option<Msg> {
        match self {
            RunEnd::Completed => Some(Msg::SessionEnded {
                outcome: SessionEnd::Completed,
            }),
            RunEnd::Abandoned => Some(Msg::SessionEnded {
                outcome: SessionEnd::Abandoned,
            }),
            RunEnd::RolledBack { .. } => Some(Msg::SessionEnded {
                outcome: SessionEnd::RolledBack,
            }),
            RunEnd::Interrupted { reason } => Some(Msg::Interrupted {
                reason: reason.clone(),
            }),
            RunEnd::Stopped { .. } | RunEnd::Failed { .. } => None,
        }
    }

    /// One line saying how the session ended, for any front end.
    pub fn summary(&self) -> String {
        match self {
            RunEnd::Completed => "■ session complete".into(),
            RunEnd::Failed { step, reason } => {
                format!("■ stopped: step `{step}` failed: {reason}")
            }
            RunEnd::Stopped { step, why } => format!(
                "■ stopped{}: {why}",
                step.as_ref()
                    .map(|s| format!(" at `{s}`"))
                    .unwrap_or_default()
            ),
            RunEnd::Interrupted { reason } => format!("■ interrupted by {reason}"),
            RunEnd::Abandoned => "■ session abandoned".into(),
            RunEnd::RolledBack { failed, rollback } => {
                format!("■ session rolled back: “{failed}” failed, “{rollback}” undid it")
            }
        }
    }

    /// What a rehearsal's last lines say under the summary: its coverage
    /// ("Rehearsed: 9 of 10 steps in the flow (90%); 1 not rehearsable")
    /// and, one a line, each step not rehearsable with its reason. Nothing
    /// for a live session.
    pub fn coverage_lines(session: &Session) -> Vec<String> {
        if !crate::report::coverage::session_applies(session) {
            return Vec::new();
        }
        let c = crate::report::coverage::of_session(session);
        let mut lines = vec![c.line()];
        lines.extend(
            c.not_rehearsable
                .iter()
                .map(|(title, reason)| format!("⊘ {title} not rehearsable — {reason}")),
        );
        lines.extend(c.blocks_not_rehearsed.iter().map(|(title, block, reason)| {
            format!("⊘ block {block} of {title} not rehearsable — {reason}")
        }));
        lines
    }

    /// Whether `runsheet resume` can carry the session on.
    pub fn resumable(&self) -> bool {
        !matches!(
            self,
            RunEnd::Completed | RunEnd::Abandoned | RunEnd::RolledBack { .. }
        )
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            RunEnd::Completed => 0,
            RunEnd::Failed { .. } => 1,
            RunEnd::Stopped { .. } | RunEnd::Abandoned => 3,
            RunEnd::RolledBack { .. } => 4,
            RunEnd::Interrupted { .. } => 130,
        }
    }
}
