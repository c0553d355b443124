//! A step's checklist and actions in the order they are written: "tick,
//! run, tick". An item may be ticked once the actions written before it
//! have succeeded in this run of the step; action k may start only once
//! every item written before it is ticked; an item holding a block is
//! ticked by that block's success. A checklist written after every block is
//! ticked once they ran (as before); one written before them, first.
//! Both front ends ask `next_in_order` what to offer, so they agree.

use super::state::{Session, StepStatus};
use super::update::Rejected;

/// What a step waits for next, in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Item `i` (its index in the checklist) is the first to tick.
    Tick(usize),
    /// Every item before action `k` is ticked: it is the one to run (the
    /// step's first, or the one a paused step goes on with).
    Run(usize),
    /// Nothing is left to run or tick: a manual step, to confirm.
    Confirm,
    /// Nothing is asked of the operator here (running, at a gate, in
    /// doubt, failed, settled).
    Nothing,
}

impl Session {
    /// How many of `step`'s actions succeeded in its current run: where the
    /// order of its items stands.
    pub fn actions_done(&self, step: &str) -> usize {
        let Some(st) = self.state(step) else {
            return 0;
        };
        let count = self.step(step).map_or(0, |(_, s)| s.actions.len());
        match st.status {
            StepStatus::Running { action } => action,
            StepStatus::AwaitingChecklist | StepStatus::Failed { .. } => st.next_action,
            StepStatus::Done => count,
            _ => 0,
        }
    }

    /// The first unticked item written before action `action` of `step`.
    pub fn unticked_before(&self, step: &str, action: usize) -> Option<usize> {
        let (Some((_, s)), Some(st)) = (self.step(step), self.state(step)) else {
            return None;
        };
        s.checklist
            .iter()
            .enumerate()
            .find(|(i, item)| {
                item.before_action <= action && !st.ticked.get(*i).copied().unwrap_or(true)
            })
            .map(|(i, _)| i)
    }

    /// What `step` waits for next, in the order its items and blocks are
    /// written: the next box to tick, the next block to run, a confirmation.
    pub fn next_in_order(&self, step: &str) -> Next {
        let (Some((_, s)), Some(st)) = (self.step(step), self.state(step)) else {
            return Next::Nothing;
        };
        let from = match st.status {
            StepStatus::Pending => 0,
            StepStatus::AwaitingChecklist => st.next_action,
            _ => return Next::Nothing,
        };
        if from < s.actions.len() {
            return match self.unticked_before(step, from) {
                Some(i) => Next::Tick(i),
                None => Next::Run(from),
            };
        }
        match st.ticked.iter().position(|t| !t) {
            Some(i) => Next::Tick(i),
            None if s.actions.is_empty() => Next::Confirm,
            None => Next::Nothing,
        }
    }

    /// Whether item `item` of `step` may be ticked (or unticked) now: once
    /// the actions written before it have succeeded in this run.
    pub(super) fn may_tick(&self, step: &str, item: usize) -> Result<(), Rejected> {
        let Some((_, s)) = self.step(step) else {
            return Err(Rejected(format!("no step `{step}`")));
        };
        let Some(it) = s.checklist.get(item) else {
            return Err(Rejected(format!(
                "{} has no checklist item {}",
                self.named_step(step),
                item + 1
            )));
        };
        if it.before_action <= self.actions_done(step) {
            return Ok(());
        }
        if !it.actions.is_empty() {
            return Err(Rejected(format!(
                "“{}” is ticked when its command succeeds: run it first",
                it.text
            )));
        }
        let block = s
            .actions
            .get(it.before_action.saturating_sub(1))
            .map(|a| a.code.lines().next().unwrap_or_default().trim().to_string())
            .unwrap_or_default();
        Err(Rejected(format!(
            "“{}” comes after the block `{block}`, which has not run yet: run it first",
            it.text
        )))
    }

    /// Action `action` of `step` may start only once every item written
    /// before it is ticked: the refusal names the first that is not.
    pub(super) fn items_before_ticked(&self, step: &str, action: usize) -> Result<(), Rejected> {
        let Some(i) = self.unticked_before(step, action) else {
            return Ok(());
        };
        let text = self
            .step(step)
            .and_then(|(_, s)| s.checklist.get(i))
            .map_or_else(String::new, |it| it.text.clone());
        let what = if action == 0 {
            "its first command"
        } else {
            "its next command"
        };
        Err(Rejected(format!(
            "tick “{text}” first (item {} of {}): it comes before {what}",
            i + 1,
            self.named_step(step)
        )))
    }

    /// A new run of `step` starts from its first block: what was ticked
    /// about an earlier run's blocks (their output, their success) is
    /// asked again; items written before every block stay ticked.
    pub(super) fn untick_for_new_run(&mut self, step: &str) {
        let after: Vec<usize> = match self.step(step) {
            Some((_, s)) => s
                .checklist
                .iter()
                .enumerate()
                .filter(|(_, it)| it.before_action > 0)
                .map(|(i, _)| i)
                .collect(),
            None => return,
        };
        if let Some(st) = self.steps.get_mut(step) {
            for i in after {
                if let Some(t) = st.ticked.get_mut(i) {
                    *t = false;
                }
            }
            st.next_action = 0;
        }
    }

    /// Action `action` of `step` succeeded: the item holding it (as its
    /// last block) is ticked, and the step's run has got past it.
    pub(super) fn tick_items_of(&mut self, step: &str, action: usize) {
        let held: Vec<usize> = match self.step(step) {
            Some((_, s)) => s
                .checklist
                .iter()
                .enumerate()
                .filter(|(_, it)| it.actions.last() == Some(&action))
                .map(|(i, _)| i)
                .collect(),
            None => return,
        };
        if let Some(st) = self.steps.get_mut(step) {
            for i in held {
                if let Some(t) = st.ticked.get_mut(i) {
                    *t = true;
                }
            }
            st.next_action = action + 1;
        }
    }

    /// A step as a refusal names it: its title.
    fn named_step(&self, step: &str) -> String {
        self.step(step)
            .map_or_else(|| format!("`{step}`"), |(_, s)| format!("“{}”", s.title))
    }
}
