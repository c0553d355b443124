//! How a session ends, whichever front end ran it.

use crate::session::{Msg, SessionEnd};

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
}

impl RunEnd {
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
        }
    }

    /// Whether `runsheet resume` can carry the session on.
    pub fn resumable(&self) -> bool {
        !matches!(self, RunEnd::Completed | RunEnd::Abandoned)
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            RunEnd::Completed => 0,
            RunEnd::Failed { .. } => 1,
            RunEnd::Stopped { .. } | RunEnd::Abandoned => 3,
            RunEnd::Interrupted { .. } => 130,
        }
    }
}
