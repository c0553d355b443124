//! What a sandbox session passes by: steps and blocks the runbook marks
//! `{sandbox=skip reason=…}` (a cluster's node list, a web console). They
//! are journaled as not rehearsable, with the runbook's reason, and the
//! flow goes on without anyone being asked. Outside the sandbox the mark
//! changes nothing: such a session never accepts the record.

use super::msg::{Millis, Msg};
use super::state::{Session, StepStatus};
use super::update::{Effect, Rejected};

impl Session {
    /// Why `step` is not run in this session: the runbook's reason, in a
    /// sandbox session only.
    pub fn not_rehearsable(&self, step: &str) -> Option<&str> {
        if !self.info.sandbox {
            return None;
        }
        let (_, s) = self.step(step)?;
        s.sandbox_skip.as_ref().map(|m| m.reason.as_str())
    }

    /// Why block `action` of `step` is not run in this session (a sandbox
    /// one): the block's own mark. A marked step is passed by whole.
    pub fn block_not_rehearsable(&self, step: &str, action: usize) -> Option<&str> {
        if !self.info.sandbox {
            return None;
        }
        let (_, s) = self.step(step)?;
        s.actions
            .get(action)?
            .sandbox_skip
            .as_ref()
            .map(|m| m.reason.as_str())
    }

    /// The record that passes by the step the session is at, when the
    /// runbook marks it not rehearsable and its turn has come: what a
    /// front end submits when a session starts there, and what the engine
    /// chains after every message that brings the flow to such a step.
    pub fn due_not_rehearsable(&self) -> Option<Msg> {
        if !self.info.sandbox || self.ended.is_some() || self.running().is_some() {
            return None;
        }
        // The step turned to (a rollback chosen), else the flow's next.
        [self.current.as_deref(), self.next_step()]
            .into_iter()
            .flatten()
            .find(|id| self.may_pass_by(id))
            .and_then(|id| {
                Some(Msg::NotRehearsable {
                    step: id.to_string(),
                    action: None,
                    reason: self.not_rehearsable(id)?.to_string(),
                })
            })
    }

    fn may_pass_by(&self, step: &str) -> bool {
        self.not_rehearsable(step).is_some()
            && self.state(step).map(|s| &s.status) == Some(&StepStatus::Pending)
            && self.offer_blocks(step).is_none()
            && self.unsettled_before(step).is_none()
    }

    pub(super) fn passed_by(
        &mut self,
        at: Millis,
        step: &str,
        action: Option<usize>,
        reason: &str,
    ) -> Result<Vec<Effect>, Rejected> {
        let named = self.step_title(step);
        if !self.info.sandbox {
            return Err(Rejected(format!(
                "“{named}” is rehearsed only in the sandbox: this session is not in it, so it runs"
            )));
        }
        match action {
            None => {
                if self.not_rehearsable(step).is_none() {
                    return Err(Rejected(format!(
                        "“{named}” is not marked `sandbox=skip`: it is rehearsed like any step"
                    )));
                }
                let status = self.state(step).map(|s| s.status.clone());
                if status != Some(StepStatus::Pending) {
                    return Err(Rejected(format!(
                        "“{named}” cannot be passed by: it is {}",
                        status.map_or("unknown", |s| s.label())
                    )));
                }
                Ok(self.settle(
                    at,
                    step,
                    StepStatus::NotRehearsable {
                        reason: reason.to_string(),
                    },
                ))
            }
            Some(i) => {
                if self.block_not_rehearsable(step, i).is_none() {
                    return Err(Rejected(format!(
                        "block {} of “{named}” is not marked `sandbox=skip`: it runs",
                        i + 1
                    )));
                }
                self.expect_running(step, i, "a block cannot be passed by: it is")?;
                if let Some(s) = self.steps.get_mut(step) {
                    s.not_rehearsed.push((i, reason.to_string()));
                }
                Ok(self.action_passed(at, step, i))
            }
        }
    }

    /// After `effects` of an accepted message: each block about to run
    /// that is not rehearsable is passed by instead, and so is each step
    /// the flow comes to that is. Every pass is applied and recorded (after
    /// the message, in order) as if it had been submitted, so folding the
    /// journal rebuilds the same session.
    pub(super) fn chain_not_rehearsable(&mut self, at: Millis, effects: &mut Vec<Effect>) {
        if !self.info.sandbox {
            return;
        }
        // Each pass settles a block or a step for good: this ends.
        loop {
            let block = effects.iter().position(|e| {
                matches!(e, Effect::RunAction { step, action }
                    if self.block_not_rehearsable(step, *action).is_some())
            });
            let msg = match block {
                Some(i) => {
                    let Effect::RunAction { step, action } = effects.remove(i) else {
                        break;
                    };
                    let reason = self
                        .block_not_rehearsable(&step, action)
                        .unwrap_or_default()
                        .to_string();
                    Msg::NotRehearsable {
                        step,
                        action: Some(action),
                        reason,
                    }
                }
                None => match self.due_not_rehearsable() {
                    Some(m) => m,
                    None => break,
                },
            };
            let Msg::NotRehearsable {
                step,
                action,
                reason,
            } = &msg
            else {
                break;
            };
            match self.passed_by(at, step, *action, reason) {
                Ok(more) => {
                    effects.push(Effect::Record(msg));
                    effects.extend(more);
                }
                Err(_) => break,
            }
        }
    }
}
