//! Four-eyes: a gate on a target (or a step) that asks for approvals
//! opens only when the target's name is typed *and* that many other
//! people approved it through the team's store. The order does not
//! matter: approvals may arrive before the name is typed, or after, while
//! the gate shows who approved and who is awaited.
//!
//! Who approves is the store's word (its authenticated role), carried in
//! the message; the engine adds the rules that need no store: the role
//! that asked can never approve its own request, each role counts once,
//! and only the request of the gate now shown counts (a gate shown again
//! asks again). A denial closes the gate: the step waits for the operator.
//!
//! A sandbox session asks no approvals: it runs stand-ins, and a drill
//! must not wait for a colleague to rehearse.

use super::msg::Millis;
use super::state::{Session, StepStatus};
use super::update::{Effect, Rejected};

/// The approvals of the gate now shown, when it needs some.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FourEyes {
    pub needed: u32,
    /// The store's request, once asked, and the role that asked it.
    pub request: Option<i64>,
    pub requested_by: Option<String>,
    /// Approvals so far, one per role, in order.
    pub approvals: Vec<Approval>,
    /// The operator typed the target's name: the last approval opens it.
    pub name_typed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub approver: String,
    pub reason: String,
    pub at: Millis,
}

impl FourEyes {
    /// Approvals still awaited.
    pub fn missing(&self) -> u32 {
        self.needed
            .saturating_sub(u32::try_from(self.approvals.len()).unwrap_or(u32::MAX))
    }
}

impl Session {
    /// How many approvals `step`'s gate needs: its own `{approvals=N}`,
    /// else the most any target its gated blocks write to asks.
    pub fn approvals_needed(&self, step: &str, target: &str) -> u32 {
        if self.info.sandbox {
            return 0;
        }
        let own = self.step(step).and_then(|(_, s)| s.approvals);
        let on_target = self.target(target).map_or(0, |t| t.approvals);
        own.unwrap_or(0).max(on_target)
    }

    /// A gate is shown: a fresh round of approvals if it needs any.
    pub(super) fn begin_four_eyes(&mut self, step: &str, needed: u32) {
        if let Some(s) = self.steps.get_mut(step) {
            s.four_eyes = (needed > 0).then(|| FourEyes {
                needed,
                ..FourEyes::default()
            });
        }
    }

    /// The approvals of the gate `step` waits at, if it needs any.
    pub fn four_eyes(&self, step: &str) -> Option<&FourEyes> {
        let s = self.state(step)?;
        (s.status == StepStatus::AwaitingGate)
            .then_some(s.four_eyes.as_ref())
            .flatten()
    }

    /// The name was typed right: `Some` (what to show) when the gate still
    /// waits for approvals, None when it may open now.
    pub(super) fn hold_for_approvals(&mut self, step: &str) -> Option<Vec<Effect>> {
        let s = self.steps.get_mut(step)?;
        let fe = s.four_eyes.as_mut()?;
        fe.name_typed = true;
        s.wrong_answer = None;
        (fe.missing() > 0).then(|| {
            vec![Effect::AwaitingApprovals {
                step: step.to_string(),
                missing: fe.missing(),
            }]
        })
    }

    pub(super) fn approval_requested(
        &mut self,
        step: &str,
        request: i64,
        requested_by: &str,
    ) -> Result<Vec<Effect>, Rejected> {
        let fe = self.waiting_four_eyes(step)?;
        if fe.request != Some(request) {
            // A gate asks once; another id is the same gate asked again
            // after the store lost the first (its approvals went with it).
            fe.approvals.clear();
        }
        fe.request = Some(request);
        fe.requested_by = Some(requested_by.to_string());
        Ok(Vec::new())
    }

    pub(super) fn approved(
        &mut self,
        at: Millis,
        step: &str,
        request: i64,
        approver: &str,
        reason: &str,
    ) -> Result<Vec<Effect>, Rejected> {
        let fe = self.answering(step, request, approver)?;
        if fe.approvals.iter().any(|a| a.approver == approver) {
            return Err(Rejected(format!(
                "`{approver}` has approved this gate already: each person counts once"
            )));
        }
        fe.approvals.push(Approval {
            approver: approver.to_string(),
            reason: reason.to_string(),
            at,
        });
        let opens = fe.name_typed && fe.missing() == 0;
        let mut effects = vec![Effect::ApprovalAnswered {
            step: step.to_string(),
            approver: approver.to_string(),
            approve: true,
            reason: reason.to_string(),
        }];
        if opens {
            effects.extend(self.pass_gate(at, step));
        }
        Ok(effects)
    }

    pub(super) fn denied(
        &mut self,
        step: &str,
        request: i64,
        approver: &str,
        reason: &str,
    ) -> Result<Vec<Effect>, Rejected> {
        self.answering(step, request, approver)?;
        if let Some(s) = self.steps.get_mut(step) {
            s.four_eyes = None;
            s.finding = None;
            s.status = StepStatus::Pending;
        }
        Ok(vec![Effect::ApprovalAnswered {
            step: step.to_string(),
            approver: approver.to_string(),
            approve: false,
            reason: reason.to_string(),
        }])
    }

    fn waiting_four_eyes(&mut self, step: &str) -> Result<&mut FourEyes, Rejected> {
        let s = self
            .steps
            .get_mut(step)
            .filter(|s| s.status == StepStatus::AwaitingGate)
            .ok_or_else(|| Rejected(format!("no gate is shown for `{step}`")))?;
        s.four_eyes
            .as_mut()
            .ok_or_else(|| Rejected(format!("the gate of `{step}` needs no approval")))
    }

    /// The gate's round, when `approver` may answer its `request`: the
    /// request is the one shown, and the approver is not who asked.
    fn answering(
        &mut self,
        step: &str,
        request: i64,
        approver: &str,
    ) -> Result<&mut FourEyes, Rejected> {
        let fe = self.waiting_four_eyes(step)?;
        if fe.request != Some(request) {
            return Err(Rejected(format!(
                "request {request} is not the one the gate of `{step}` waits on: it was withdrawn or answered"
            )));
        }
        if fe.requested_by.as_deref() == Some(approver) {
            return Err(Rejected(format!(
                "`{approver}` asked for this approval and cannot give it: another person must (the asker withdraws at the gate)"
            )));
        }
        Ok(fe)
    }

    /// The gate opens: the step's actions start, or, at a check's finding,
    /// the step goes on after the action that found it.
    fn pass_gate(&mut self, at: Millis, step: &str) -> Vec<Effect> {
        if let Some(s) = self.steps.get_mut(step) {
            s.four_eyes = None;
        }
        if self.state(step).is_some_and(|s| s.finding.is_some()) {
            return self.finding_passed(at, step);
        }
        self.start_actions(at, step)
    }
}
