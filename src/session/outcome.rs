//! What a session came to: how it ended, or, while it goes on, what it
//! stands at. One answer for every reader (the footer, the console's last
//! line, the report, `history`, the replay), so none of them works out
//! "rolled back" on its own.

use super::msg::SessionEnd;
use super::state::{Session, StepStatus};

/// What a session came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionOutcome {
    /// Going on, or stopped where it can be resumed, with nothing undone.
    InProgress,
    /// Every step of the flow done or skipped.
    Completed,
    /// A step failed and a rollback step undid its phase: the failure
    /// still stands and the rollback was done after it.
    RolledBack(RolledBack),
    /// Ended by the operator before the end, on purpose.
    Abandoned,
}

/// Which failure a rollback undid (step ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolledBack {
    pub failed: String,
    pub rollback: String,
}

impl Session {
    /// How the session ended, once it has; before that, what it stands
    /// at: rolled back as soon as a rollback step is done after the
    /// failure that is still standing (the front ends then offer to end
    /// the session so), completed once every flow step is settled.
    pub fn outcome(&self) -> SessionOutcome {
        match self.ended {
            Some(SessionEnd::Completed) => SessionOutcome::Completed,
            Some(SessionEnd::Abandoned) => SessionOutcome::Abandoned,
            Some(SessionEnd::RolledBack) => match self.rolled_back() {
                Some(r) => SessionOutcome::RolledBack(r),
                // Not reachable through `update`, which refuses the end
                // unless a rollback stands; a journal says so all the same.
                None => SessionOutcome::RolledBack(RolledBack {
                    failed: self.rollback_from.clone().unwrap_or_default(),
                    rollback: String::new(),
                }),
            },
            None => match self.rolled_back() {
                Some(r) => SessionOutcome::RolledBack(r),
                None if self.is_complete() => SessionOutcome::Completed,
                None => SessionOutcome::InProgress,
            },
        }
    }

    /// The failure a rollback undid, if it still stands: the step the
    /// operator last turned to a rollback from is failed, and one of its
    /// rollback steps was done after that failure (a retry that failed
    /// again after the rollback is a new failure, not undone).
    pub fn rolled_back(&self) -> Option<RolledBack> {
        let failed = self.rollback_from.as_deref()?;
        let state = self.steps.get(failed)?;
        if !matches!(state.status, StepStatus::Failed { .. }) {
            return None;
        }
        let failed_at = state.finished_at?;
        self.rollbacks_for(failed)
            .iter()
            .filter_map(|s| Some((s, self.steps.get(&s.id)?)))
            .filter(|(_, st)| {
                st.status == StepStatus::Done && st.finished_at.is_some_and(|at| at >= failed_at)
            })
            .max_by_key(|(_, st)| st.finished_at)
            .map(|(s, _)| RolledBack {
                failed: failed.to_string(),
                rollback: s.id.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::parse;
    use crate::session::{ActionOutcome, Msg, SessionInfo};
    use std::sync::Arc;

    const RUNBOOK: &str = "# Deploy\n\n## Deploy {#deploy}\n\n### Install {#install}\n\n```bash\necho install\n```\n\n### Announce {#announce}\n\nTell the team.\n\n## Rollback\n\n### Undo {#undo undoes=deploy}\n\n```bash\necho undo\n```\n";

    fn session() -> Session {
        let parsed = parse("d.md", RUNBOOK);
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let info = SessionInfo {
            runbook_path: "d.md".into(),
            runbook_hash: "h".into(),
            runbook_text: RUNBOOK.into(),
            target: "staging".into(),
            operator: "a".into(),
            host: "h".into(),
            tool_version: "0".into(),
            drill: false,
            sandbox: false,
            workdir: None,
            targets: Vec::new(),
            variables: vec![],
            values: Default::default(),
        };
        Session::new(Arc::new(parsed.runbook), info, 0)
    }

    fn ok(s: &mut Session, at: i64, msg: Msg) {
        if let Err(e) = s.update(at, msg.clone()) {
            panic!("{msg:?}: {e}");
        }
    }

    fn run(s: &mut Session, at: i64, step: &str, exit: i32) {
        ok(s, at, Msg::RunRequested { step: step.into() });
        ok(
            s,
            at + 10,
            Msg::ActionFinished {
                step: step.into(),
                action: 0,
                outcome: ActionOutcome {
                    exit_code: Some(exit),
                    duration_ms: 10,
                    ..ActionOutcome::default()
                },
            },
        );
    }

    fn rollback(s: &mut Session, at: i64) {
        ok(
            s,
            at,
            Msg::RollbackRequested {
                failed: "install".into(),
                rollback: "undo".into(),
            },
        );
        run(s, at, "undo", 0);
    }

    fn end(outcome: SessionEnd) -> Msg {
        Msg::SessionEnded { outcome }
    }

    #[test]
    fn a_rollback_done_after_a_failure_is_the_outcome_and_may_end_the_session() {
        let mut s = session();
        assert_eq!(s.outcome(), SessionOutcome::InProgress);
        // Nothing undone yet: the end is refused, the session untouched.
        assert!(s.update(1, end(SessionEnd::RolledBack)).is_err());
        run(&mut s, 100, "install", 1);
        assert!(s.update(1, end(SessionEnd::RolledBack)).is_err());
        assert_eq!(s.outcome(), SessionOutcome::InProgress);
        rollback(&mut s, 200);
        let undone = SessionOutcome::RolledBack(RolledBack {
            failed: "install".into(),
            rollback: "undo".into(),
        });
        assert_eq!(s.outcome(), undone);
        ok(&mut s, 300, end(SessionEnd::RolledBack));
        assert_eq!(s.ended(), Some(SessionEnd::RolledBack));
        assert_eq!(s.outcome(), undone);
    }

    #[test]
    fn a_retry_after_the_rollback_is_no_longer_rolled_back() {
        let mut s = session();
        run(&mut s, 100, "install", 1);
        rollback(&mut s, 200);
        // Failed again after the rollback: that failure is not undone.
        run(&mut s, 300, "install", 1);
        assert_eq!(s.outcome(), SessionOutcome::InProgress);
        assert!(s.update(400, end(SessionEnd::RolledBack)).is_err());
        // Passed: the flow goes on.
        run(&mut s, 500, "install", 0);
        assert_eq!(s.outcome(), SessionOutcome::InProgress);
        assert!(s.update(600, end(SessionEnd::RolledBack)).is_err());
    }

    #[test]
    fn a_manual_step_takes_the_time_from_its_turn_to_its_confirmation() {
        let mut s = session();
        run(&mut s, 1_000, "install", 0);
        // "install" settled at 1_010: the manual step's turn came then.
        ok(
            &mut s,
            4_010,
            Msg::ConfirmedDone {
                step: "announce".into(),
            },
        );
        let st = s.state("announce").map(|st| st.duration_ms());
        assert_eq!(st, Some(Some(3_000)));
        assert_eq!(s.outcome(), SessionOutcome::Completed);
    }
}
