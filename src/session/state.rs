//! The session as a fold over its messages: where each step stands, what
//! the operator decided, and when.

use super::msg::{ActionOutcome, DbIdentity, Millis, Outcome, SessionInfo};
use crate::runbook::duration::Estimate;
use crate::runbook::model::{Action, Phase, Runbook, Step, Target};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// How much of each step's output the session keeps in memory; the journal
/// has all of it.
pub const OUTPUT_TAIL_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    /// A destructive step on a protected target: waiting for the target's
    /// name to be typed.
    AwaitingGate,
    /// A destructive step on an unprotected target: warning, then running.
    Countdown,
    Running {
        action: usize,
    },
    /// Actions succeeded; checklist items are still unticked.
    AwaitingChecklist,
    Done,
    Failed {
        reason: String,
    },
    Skipped {
        reason: String,
    },
    /// Was running when the session died: it may or may not have completed.
    InDoubt,
}

impl StepStatus {
    /// Done or skipped: the flow may go past it.
    pub fn is_settled(&self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped { .. })
    }

    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::AwaitingGate => "at gate",
            StepStatus::Countdown => "countdown",
            StepStatus::Running { .. } => "running",
            StepStatus::AwaitingChecklist => "checklist",
            StepStatus::Done => "done",
            StepStatus::Failed { .. } => "failed",
            StepStatus::Skipped { .. } => "skipped",
            StepStatus::InDoubt => "in doubt",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StepState {
    pub status: StepStatus,
    pub ticked: Vec<bool>,
    /// How many times its actions were started.
    pub attempts: u32,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub last_outcome: Option<ActionOutcome>,
    /// The most recent output, bounded by OUTPUT_TAIL_BYTES.
    pub output_tail: VecDeque<u8>,
    pub output_bytes: u64,
    /// Progress of an unfinished batched migration in this step: kept
    /// across a failure, a cancel or a crash so a retry goes on from it.
    pub batches: Option<BatchProgress>,
    /// Checkpoints by (action, key), in the order they were journaled;
    /// an action's are dropped when it succeeds.
    pub checkpoints: BTreeMap<(usize, String), Vec<serde_json::Value>>,
}

/// What a step took in earlier sessions of the runbook (drills and live),
/// from their journals: its expected time in this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rehearsed {
    pub runs: u32,
    pub median_ms: i64,
    pub slowest_ms: i64,
}

/// How far a batched migration got, from its journal records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchProgress {
    pub action: usize,
    /// Batches committed, and the rows they changed.
    pub batches: u64,
    pub rows: u64,
    /// Last key of the last committed batch.
    pub last_key: Option<String>,
    /// A batch journaled as started whose commit was not seen: whether it
    /// committed is for the database to say (by its transaction id).
    pub in_flight: Option<InFlightBatch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlightBatch {
    pub batch: u64,
    pub after: Option<String>,
    pub upto: String,
    pub xid: String,
    pub rows: u64,
}

impl StepState {
    fn new(checklist_len: usize) -> Self {
        StepState {
            status: StepStatus::Pending,
            ticked: vec![false; checklist_len],
            attempts: 0,
            started_at: None,
            finished_at: None,
            last_outcome: None,
            output_tail: VecDeque::new(),
            output_bytes: 0,
            batches: None,
            checkpoints: BTreeMap::new(),
        }
    }

    pub fn checklist_complete(&self) -> bool {
        self.ticked.iter().all(|t| *t)
    }

    pub fn push_output(&mut self, data: &str) {
        self.output_bytes += data.len() as u64;
        // Only the end of a large chunk can stay in the tail.
        let bytes = data.as_bytes();
        let keep = &bytes[bytes.len().saturating_sub(OUTPUT_TAIL_BYTES)..];
        self.output_tail.extend(keep);
        let excess = self.output_tail.len().saturating_sub(OUTPUT_TAIL_BYTES);
        self.output_tail.drain(..excess);
    }

    pub fn output_tail_text(&self) -> String {
        let (a, b) = self.output_tail.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Wall time of the last run, if it ran.
    pub fn duration_ms(&self) -> Option<i64> {
        Some(self.finished_at? - self.started_at?)
    }
}

#[derive(Clone, Debug)]
pub struct NoteEntry {
    pub at: Millis,
    pub step: Option<String>,
    pub text: String,
}

/// Where a step sits in the runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepRef {
    pub phase: usize,
    pub step: usize,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub runbook: Arc<Runbook>,
    pub info: SessionInfo,
    pub started_at: Millis,
    pub last_at: Millis,
    pub steps: HashMap<String, StepState>,
    pub notes: Vec<NoteEntry>,
    /// The step the operator last turned to from a failure, if any.
    pub rollback_from: Option<String>,
    pub interrupted: Option<String>,
    pub ended: Option<Outcome>,
    /// Databases identified so far, by target name.
    pub databases: BTreeMap<String, DbIdentity>,
    /// Steps' times in earlier sessions of this runbook; not journaled
    /// (it comes from the other journals), set when a session starts.
    pub rehearsed: HashMap<String, Rehearsed>,
    index: HashMap<String, StepRef>,
    /// Steps of the normal flow (rollback sections excluded), in order.
    flow: Vec<String>,
}

impl Session {
    pub fn new(runbook: Arc<Runbook>, info: SessionInfo, at: Millis) -> Self {
        let mut index = HashMap::new();
        let mut steps = HashMap::new();
        let mut flow = Vec::new();
        for (pi, p) in runbook.phases.iter().enumerate() {
            for (si, s) in p.steps.iter().enumerate() {
                index.insert(
                    s.id.clone(),
                    StepRef {
                        phase: pi,
                        step: si,
                    },
                );
                steps.insert(s.id.clone(), StepState::new(s.checklist.len()));
                if !p.rollback {
                    flow.push(s.id.clone());
                }
            }
        }
        Session {
            runbook,
            info,
            started_at: at,
            last_at: at,
            steps,
            notes: Vec::new(),
            rollback_from: None,
            interrupted: None,
            ended: None,
            databases: BTreeMap::new(),
            rehearsed: HashMap::new(),
            index,
            flow,
        }
    }

    pub fn step_ref(&self, id: &str) -> Option<StepRef> {
        self.index.get(id).copied()
    }

    /// What a step is expected to take: its median to slowest time in
    /// earlier sessions when it has any, else the runbook's estimate.
    pub fn expected(&self, id: &str) -> Option<Estimate> {
        match self.rehearsed.get(id) {
            Some(r) => Some(Estimate {
                low: Duration::from_millis(r.median_ms.max(0) as u64),
                high: Duration::from_millis(r.slowest_ms.max(0) as u64),
            }),
            None => self.step(id).and_then(|(_, s)| s.estimate),
        }
    }

    /// True when `id` is running and has taken longer than in every
    /// earlier session, and over a second: a step of a few milliseconds
    /// that takes a few more is noise, not news.
    pub fn overran_rehearsals(&self, id: &str, now: Millis) -> bool {
        let (Some(r), Some(st)) = (self.rehearsed.get(id), self.state(id)) else {
            return false;
        };
        matches!(st.status, StepStatus::Running { .. })
            && st
                .started_at
                .is_some_and(|at| now - at > r.slowest_ms.max(1_000))
    }

    pub fn step(&self, id: &str) -> Option<(&Phase, &Step)> {
        let r = self.step_ref(id)?;
        let phase = self.runbook.phases.get(r.phase)?;
        Some((phase, phase.steps.get(r.step)?))
    }

    pub fn state(&self, id: &str) -> Option<&StepState> {
        self.steps.get(id)
    }

    pub fn flow(&self) -> &[String] {
        &self.flow
    }

    /// The first step of the normal flow that is not done or skipped.
    pub fn next_step(&self) -> Option<&str> {
        self.flow
            .iter()
            .find(|id| !self.steps.get(*id).is_some_and(|s| s.status.is_settled()))
            .map(String::as_str)
    }

    pub fn is_complete(&self) -> bool {
        self.next_step().is_none()
    }

    /// The step currently running, if any.
    pub fn running(&self) -> Option<&str> {
        self.steps
            .iter()
            .find(|(_, s)| matches!(s.status, StepStatus::Running { .. }))
            .map(|(id, _)| id.as_str())
    }

    /// The target an action runs against: its own, its step's, its phase's,
    /// or the session's.
    pub fn action_target<'a>(
        &'a self,
        phase: &'a Phase,
        step: &'a Step,
        action: &'a Action,
    ) -> &'a str {
        action
            .target
            .as_deref()
            .or(step.target.as_deref())
            .or(phase.target.as_deref())
            .unwrap_or(&self.info.target)
    }

    pub fn target(&self, name: &str) -> Option<&Target> {
        self.runbook.target(name)
    }

    /// Rollback steps offered when `step` failed: those undoing its phase.
    pub fn rollbacks_for(&self, step: &str) -> Vec<&Step> {
        let Some((phase, _)) = self.step(step) else {
            return Vec::new();
        };
        self.runbook.rollbacks_for(&phase.id).collect()
    }
}
