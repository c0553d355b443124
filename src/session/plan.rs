//! Time against the plan: what the flow is expected to take, what is left
//! of it, and how long the session has run. Both front ends show these.
//! Expected times come from earlier sessions or the runbook (`expected`),
//! never from the session's own steps, so a resume shows the plan the
//! session started with.

use super::msg::Millis;
use super::state::Session;
use crate::runbook::duration::Estimate;

impl Session {
    /// The sum of the flow's expected step times, else the runbook's
    /// declared estimate ("Estimated time: 3–5 minutes").
    pub fn plan(&self) -> Option<Estimate> {
        let sum = self
            .flow()
            .iter()
            .filter_map(|id| self.expected(id))
            .fold(Estimate::ZERO, |a, b| a + b);
        if sum != Estimate::ZERO {
            Some(sum)
        } else {
            self.runbook().declared_estimate
        }
    }

    /// What the flow's steps not yet done or skipped are expected to
    /// take; None when none is left.
    pub fn remaining(&self) -> Option<Estimate> {
        let mut any = false;
        let left = self
            .flow()
            .iter()
            .filter(|id| !self.state(id).is_some_and(|st| st.status.is_settled()))
            .filter_map(|id| {
                any = true;
                self.expected(id)
            })
            .fold(Estimate::ZERO, |a, b| a + b);
        any.then_some(left)
    }

    /// True when the session has run (time down left out) longer than the
    /// high end of its plan.
    pub fn over_plan(&self, now: Millis) -> bool {
        self.plan().is_some_and(|plan| {
            self.elapsed(now) > i64::try_from(plan.high.as_millis()).unwrap_or(i64::MAX)
        })
    }
}
