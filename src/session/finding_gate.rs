//! A safeguard that finds what it guards against stops its step at a gate,
//! not at a failure: a check (`Verdict::NeedsApproval`, e.g. a destructive
//! migration pending on a protected target) ran and met its expectation,
//! and what it found is a question for a person. The step waits at a
//! typed gate on the action's target with the finding as the gate's
//! reason; the target's name typed, the action counts as passed and the
//! step goes on. A failure would offer the phase's rollback, which is the
//! wrong answer to "this needs a decision".

use super::msg::Millis;
use super::state::{Session, StepStatus};
use super::update::{Effect, Gate, GateReason, Rejected};
use crate::runbook::destructive::Rule;

/// What a check of `step` found, waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The action that found it: the step goes on after it once approved.
    pub action: usize,
    /// Whose name must be typed: the action's target.
    pub target: String,
    pub text: String,
}

impl Session {
    /// Stops `step` after its action `action` found `text`: the gate it
    /// now waits at.
    pub(super) fn stop_at_finding(
        &mut self,
        at: Millis,
        step: &str,
        action: usize,
        text: &str,
    ) -> Vec<Effect> {
        let target = self
            .step(step)
            .and_then(|(phase, s)| {
                let a = s.actions.get(action)?;
                Some(self.action_target(phase, s, a).to_string())
            })
            .unwrap_or_else(|| self.info.target.clone());
        if let Some(s) = self.steps.get_mut(step) {
            s.status = StepStatus::AwaitingGate;
            s.finding = Some(Finding {
                action,
                target,
                text: text.to_string(),
            });
            s.guarded_at = Some(at);
            s.wrong_answer = None;
        }
        let needed = self
            .finding_gate(step)
            .map_or(0, |g| self.approvals_needed(step, &g.target));
        self.begin_four_eyes(step, needed);
        self.current = Some(step.to_string());
        self.finding_gate(step)
            .map(Effect::ShowGate)
            .into_iter()
            .collect()
    }

    /// The gate `step` waits at for a check's finding, if it does.
    pub fn finding_gate(&self, step: &str) -> Option<Gate> {
        let st = self.state(step)?;
        if st.status != StepStatus::AwaitingGate {
            return None;
        }
        let f = st.finding.as_ref()?;
        let (_, s) = self.step(step)?;
        Some(Gate {
            step: step.to_string(),
            target: f.target.clone(),
            reasons: vec![GateReason {
                rule: Rule::Finding,
                why: f.text.clone(),
                excerpt: String::new(),
            }],
            code: s.actions.iter().map(|a| a.code.clone()).collect(),
            finding: Some(f.text.clone()),
            approvals: self.approvals_needed(step, &f.target),
        })
    }

    /// The answer at a finding's gate: the target's name approves it and
    /// the step goes on after the action that found it; anything else is
    /// journaled as mistyped and the gate stays. None when `step` does not
    /// wait at a finding.
    pub(super) fn finding_answered(
        &mut self,
        at: Millis,
        step: &str,
        typed: &str,
    ) -> Option<Result<Vec<Effect>, Rejected>> {
        let gate = self.finding_gate(step)?;
        let typed = typed.trim();
        if typed != gate.target {
            if let Some(s) = self.steps.get_mut(step) {
                s.wrong_answer = Some(typed.to_string());
            }
            return Some(Ok(vec![Effect::GateMistyped {
                step: step.to_string(),
                typed: typed.to_string(),
                target: gate.target,
            }]));
        }
        if let Some(waiting) = self.hold_for_approvals(step) {
            return Some(Ok(waiting));
        }
        Some(Ok(self.finding_passed(at, step)))
    }

    /// The finding is approved: the step goes on after the action that
    /// found it.
    pub(super) fn finding_passed(&mut self, at: Millis, step: &str) -> Vec<Effect> {
        let Some(action) = self
            .state(step)
            .and_then(|s| s.finding.as_ref())
            .map(|f| f.action)
        else {
            return Vec::new();
        };
        if let Some(s) = self.steps.get_mut(step) {
            if let Some(f) = s.finding.take() {
                s.approved.push(f.text);
            }
            s.wrong_answer = None;
            s.status = StepStatus::Running { action };
        }
        self.action_passed(at, step, action)
    }
}
