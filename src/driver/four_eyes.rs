//! The driver's side of four-eyes: a gate that needs approvals is
//! published to the team's store when it is shown, the answers that
//! arrive are submitted to the engine like any message (journaled, masked,
//! checked), and the request is closed once the gate is gone.

use super::{Driver, Event, Result};
use crate::session::{Gate, Msg, StepStatus};
use crate::store::approvals::{Answer, Ask, Watcher};

impl Driver {
    /// From now on, gates that need approvals ask the store (`conninfo`).
    pub(super) fn approvals_through(&mut self, conninfo: String) {
        self.approvals = Some(Watcher::start(conninfo));
    }

    /// A gate is shown: if it needs approvals, ask the team for them.
    pub(super) fn gate_shown(&mut self, gate: &Gate) {
        if gate.approvals == 0 {
            return;
        }
        let Some(watcher) = &self.approvals else {
            self.events.push_back(Event::Warning(format!(
                "this gate needs {} approval{} from another person, given through the team's session store, and no store is set: it cannot open. Set RUNSHEET_STORE (or `store:` in the config file) and resume, or refuse the step",
                gate.approvals,
                if gate.approvals == 1 { "" } else { "s" }
            )));
            return;
        };
        let session = &self.session;
        let description =
            crate::session::gate_text::lines(&crate::term::Paint::new(false), session, gate)
                .iter()
                .map(|l| self.secrets.redact(l))
                .collect::<Vec<_>>()
                .join("\n");
        let path = self.journal.path();
        let session_id = match crate::store::ship::session_id(path) {
            Ok(id) => id,
            Err(e) => {
                self.events
                    .push_back(Event::Warning(format!("approvals cannot be asked: {e}")));
                return;
            }
        };
        watcher.ask(Ask {
            session_id,
            session_name: self.session_name(),
            step: gate.step.clone(),
            step_title: session.step_title(&gate.step),
            target: gate.target.clone(),
            needed: gate.approvals,
            description,
            host: session.info().host.clone(),
        });
        self.asked = Some(gate.step.clone());
    }

    /// The request of a gate no longer shown is closed in the store.
    pub(super) fn close_gone_request(&mut self) {
        let Some(step) = &self.asked else {
            return;
        };
        let still = self
            .session
            .state(step)
            .is_some_and(|s| s.status == StepStatus::AwaitingGate && s.four_eyes.is_some());
        if still {
            return;
        }
        let why = match self.session.state(step).map(|s| &s.status) {
            Some(StepStatus::Pending) => "the gate was refused or denied",
            _ => "the gate opened",
        };
        if let Some(w) = &self.approvals {
            w.close(why);
        }
        self.asked = None;
    }

    /// An answer from the store, submitted to the engine.
    pub(super) async fn on_answer(&mut self, answer: Answer) -> Result<()> {
        let msg = match answer {
            Answer::Trouble(e) => {
                self.events
                    .push_back(Event::Warning(format!("approvals: {e}")));
                return Ok(());
            }
            Answer::Asked {
                step,
                request,
                requested_by,
            } => {
                let needed = self.session.four_eyes(&step).map_or(0, |f| f.needed);
                Msg::ApprovalRequested {
                    step,
                    request,
                    requested_by,
                    needed,
                }
            }
            Answer::Given {
                step,
                request,
                approver,
                approve: true,
                reason,
            } => Msg::Approved {
                step,
                request,
                approver,
                reason,
            },
            Answer::Given {
                step,
                request,
                approver,
                approve: false,
                reason,
            } => Msg::Denied {
                step,
                request,
                approver,
                reason,
            },
        };
        match self.apply(msg).await? {
            Ok(effects) => self.perform(effects).await,
            // A stale answer (the gate moved on) changes nothing; say why.
            Err(refused) => {
                self.events.push_back(Event::Warning(format!(
                    "an approval was not taken: {refused}"
                )));
                self.close_gone_request();
                Ok(())
            }
        }
    }

    /// The session ends: its open request is closed.
    pub(super) async fn finish_approvals(&mut self) {
        if let Some(w) = self.approvals.take() {
            w.finish(std::time::Duration::from_secs(3)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Driver, Parts, Submitted};
    use crate::journal::{JournalWriter, lock::SessionLock};
    use crate::session::{Msg, Session, SessionInfo, StepStatus};
    use std::path::Path;
    use std::sync::Arc;

    const RUNBOOK: &str = "---\ntargets:\n  production: { protected: true, approvals: 1 }\n---\n# R\n\n## P\n\n### Wipe {#wipe}\n\n```bash\nrm -rf /tmp/runsheet-never-this\n```\n";

    /// Only the store's answers count: a front end (or anything that
    /// reaches `submit`) saying "approved" is refused, and the gate stays.
    #[tokio::test]
    async fn no_front_end_can_submit_an_approval() {
        let dir = tempfile::tempdir().unwrap();
        let info = SessionInfo::sample("r.md", RUNBOOK, "production");
        let rb = crate::runbook::parse("r.md", RUNBOOK).runbook;
        let session = Session::new(Arc::new(rb), info.clone(), 0);
        let path = dir.path().join("r.jsonl");
        let (journal, task) =
            JournalWriter::create(&path, super::super::clock::ts(0), Msg::SessionStarted(info))
                .await
                .unwrap();
        let lock =
            SessionLock::acquire(dir.path(), Path::new("r.md"), "production", &path).unwrap();
        let mut d = Driver::new(Parts {
            session,
            journal,
            writer_task: Some(task),
            values: Default::default(),
            secrets: Default::default(),
            auto: true,
            lock,
        })
        .unwrap();
        let run = d
            .submit(Msg::RunRequested {
                step: "wipe".into(),
            })
            .await
            .unwrap();
        assert_eq!(run, Submitted::Accepted);
        for msg in [
            Msg::ApprovalRequested {
                step: "wipe".into(),
                request: 1,
                requested_by: "mallory".into(),
                needed: 1,
            },
            Msg::Approved {
                step: "wipe".into(),
                request: 1,
                approver: "bob".into(),
                reason: "trust me".into(),
            },
        ] {
            let said = d.submit(msg).await.unwrap();
            assert!(
                matches!(&said, Submitted::Refused(r) if r.contains("team's store")),
                "{said:?}"
            );
        }
        let typed = d
            .submit(Msg::GateAnswered {
                step: "wipe".into(),
                typed: "production".into(),
            })
            .await
            .unwrap();
        assert_eq!(typed, Submitted::Accepted);
        assert_eq!(
            d.session().state("wipe").map(|s| s.status.clone()),
            Some(StepStatus::AwaitingGate)
        );
        d.abandon().await;
    }
}
