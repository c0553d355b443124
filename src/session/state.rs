//! The session as a fold over its messages: where each step stands, what
//! the operator decided, and when.

use super::msg::{ActionOutcome, ContextIdentity, DbIdentity, Millis, SessionEnd, SessionInfo};
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
    /// Actions succeeded (all of them, or those before the items written
    /// before the next one, `StepState::next_action`); items are unticked.
    AwaitingChecklist,
    Done,
    Failed {
        reason: String,
    },
    Skipped {
        reason: String,
    },
    /// Marked `sandbox=skip` and passed by in a sandbox session: nobody
    /// decided it, the runbook says it cannot be rehearsed, and why.
    NotRehearsable {
        reason: String,
    },
    /// Was running when the session died: it may or may not have completed.
    InDoubt,
}

impl StepStatus {
    /// Done or skipped: the flow may go past it.
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            StepStatus::Done | StepStatus::Skipped { .. } | StepStatus::NotRehearsable { .. }
        )
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
            StepStatus::NotRehearsable { .. } => "not rehearsable",
            StepStatus::InDoubt => "in doubt",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepState {
    pub status: StepStatus,
    pub ticked: Vec<bool>,
    /// The next action of its current run: how many have succeeded (a
    /// paused step, `AwaitingChecklist` with actions left, goes on there).
    pub next_action: usize,
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
    /// When its gate or countdown was last shown.
    pub guarded_at: Option<Millis>,
    /// The wrong name last typed at the gate now shown, if any.
    pub wrong_answer: Option<String>,
    /// For a step that was running when the session stopped: the time of
    /// the session's last record before it stopped, the last moment it is
    /// known to have run. Its time ends there, never when someone decided
    /// about it after the resume; cleared when it runs again.
    pub ran_until: Option<Millis>,
    /// Time the session was down while this step was under way but not
    /// running (a checklist half ticked, a manual step not yet confirmed,
    /// across a stop and a resume): not part of its time.
    pub down_ms: i64,
    /// What a check of its current run found, waiting at its gate for
    /// the target's name (`finding_gate`).
    pub finding: Option<super::finding_gate::Finding>,
    /// Findings approved at its gate, in order.
    pub approved: Vec<String>,
    /// The approvals its gate now shown needs and has (four-eyes).
    pub four_eyes: Option<super::four_eyes::FourEyes>,
    /// Its blocks a sandbox session passed by in its current run (marked
    /// `sandbox=skip`): index and reason.
    pub not_rehearsed: Vec<(usize, String)>,
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
            next_action: 0,
            attempts: 0,
            started_at: None,
            finished_at: None,
            last_outcome: None,
            output_tail: VecDeque::new(),
            output_bytes: 0,
            batches: None,
            checkpoints: BTreeMap::new(),
            guarded_at: None,
            wrong_answer: None,
            ran_until: None,
            down_ms: 0,
            finding: None,
            approved: Vec::new(),
            four_eyes: None,
            not_rehearsed: Vec::new(),
        }
    }

    pub fn checklist_complete(&self) -> bool {
        self.ticked.iter().all(|t| *t)
    }

    pub(super) fn push_output(&mut self, data: &str) {
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

    /// The time its last run took, if it ran: from its start to its end,
    /// less any time the session was down in between. For a step settled
    /// after it was in doubt, the time up to its last sign of life before
    /// the stop; None (unknown) when there was none after its start.
    pub fn duration_ms(&self) -> Option<i64> {
        let took = self.finished_at? - self.started_at? - self.down_ms;
        (took > 0 || self.ran_until.is_none()).then_some(took.max(0))
    }

    /// Its time as a measurement: the duration of a run seen from start
    /// to end. A step settled after it was in doubt has only a lower bound
    /// (it may have gone on after the stop), which is no rehearsal time.
    pub fn measured_ms(&self) -> Option<i64> {
        if self.ran_until.is_some() {
            return None;
        }
        self.duration_ms()
    }
}

#[derive(Clone, Debug, PartialEq)]
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

/// The session: written only by its own transitions (`update`, `replay`),
/// read through the accessors below.
#[derive(Clone, Debug)]
pub struct Session {
    runbook: Arc<Runbook>,
    pub(super) info: SessionInfo,
    started_at: Millis,
    pub(super) last_at: Millis,
    pub(super) steps: HashMap<String, StepState>,
    pub(super) notes: Vec<NoteEntry>,
    /// What runsheet warned of before the first step (`Msg::Warned`).
    pub(super) warnings: Vec<NoteEntry>,
    /// The step the operator last turned to from a failure, if any.
    pub(super) rollback_from: Option<String>,
    pub(super) interrupted: Option<String>,
    pub(super) ended: Option<SessionEnd>,
    /// Databases identified so far, by target name.
    pub(super) databases: BTreeMap<String, DbIdentity>,
    /// Contexts as the preflight last found them, by name.
    pub(super) contexts: BTreeMap<String, ContextIdentity>,
    /// The non-secret variables' values now: the first record's, then
    /// what each resume changed.
    pub(super) values: BTreeMap<String, String>,
    /// The step the session is at (see `current`).
    pub(super) current: Option<String>,
    /// Time the session was down: from its last record before each stop
    /// to the resume that followed.
    pub(super) down_ms: i64,
    /// Steps' times in earlier sessions of this runbook; not journaled
    /// (it comes from the other journals), set when a session starts.
    rehearsed: HashMap<String, Rehearsed>,
    index: HashMap<String, StepRef>,
    /// What shell blocks exported, carried per target.
    pub(super) exports: super::exports::Exports,
    /// Steps run in order: the normal flow (role `Flow`: rollbacks,
    /// alternatives and context excluded) and the chosen options' steps
    /// where they stand (`alternatives::rebuild_flow`), in order.
    pub(super) flow: Vec<String>,
    /// Where the runbook offers alternatives (from the runbook, once).
    pub(super) offers: Vec<super::alternatives::Offer>,
    /// What was chosen at each offer, by offer id.
    pub(super) choices: BTreeMap<String, super::alternatives::Choice>,
    /// Who operates now: the first record's, then each resume's.
    pub(super) operator: String,
}

/// Two sessions are equal when they run the same runbook (the same one,
/// not an equal copy) and every fold-made field is equal.
impl PartialEq for Session {
    fn eq(&self, other: &Session) -> bool {
        Arc::ptr_eq(&self.runbook, &other.runbook)
            && self.info == other.info
            && self.started_at == other.started_at
            && self.last_at == other.last_at
            && self.steps == other.steps
            && self.notes == other.notes
            && self.warnings == other.warnings
            && self.rollback_from == other.rollback_from
            && self.interrupted == other.interrupted
            && self.ended == other.ended
            && self.databases == other.databases
            && self.contexts == other.contexts
            && self.values == other.values
            && self.current == other.current
            && self.down_ms == other.down_ms
            && self.rehearsed == other.rehearsed
            && self.exports == other.exports
            && self.choices == other.choices
            && self.operator == other.operator
    }
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
                // Only flow steps run in order: a rollback, an alternative
                // or a context section runs only when chosen.
                if s.role.is_flow() {
                    flow.push(s.id.clone());
                }
            }
        }
        let values = info.values.clone();
        let offers = super::alternatives::offers_of(&runbook);
        let operator = info.operator.clone();
        let mut session = Session {
            runbook,
            info,
            values,
            started_at: at,
            last_at: at,
            steps,
            notes: Vec::new(),
            warnings: Vec::new(),
            rollback_from: None,
            interrupted: None,
            ended: None,
            databases: BTreeMap::new(),
            contexts: BTreeMap::new(),
            current: None,
            down_ms: 0,
            rehearsed: HashMap::new(),
            index,
            flow,
            exports: Default::default(),
            offers,
            choices: BTreeMap::new(),
            operator,
        };
        session.current = session.first_current();
        session.note_turn(at);
        session
    }

    /// Where a session stands when it starts or resumes: at its step in
    /// doubt, else at the first step not done or skipped, else the first.
    pub(super) fn first_current(&self) -> Option<String> {
        self.runbook
            .steps()
            .map(|(_, s)| &s.id)
            .find(|id| {
                self.state(id)
                    .is_some_and(|s| s.status == StepStatus::InDoubt)
            })
            .cloned()
            .or_else(|| self.next_step().map(str::to_string))
            .or_else(|| self.runbook.steps().next().map(|(_, s)| s.id.clone()))
    }

    /// The step the session is at: the one whose gate or countdown was
    /// last shown, whose actions last started, or the rollback last turned
    /// to; once that one is done or skipped, the next step of the flow.
    /// A failure stays current. What the full-screen UI shows selected
    /// when nobody has moved the selection.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The first step, in runbook order, that was running when a session
    /// stopped: resume asks about it before anything else.
    pub fn first_in_doubt(&self) -> Option<&str> {
        self.runbook()
            .steps()
            .map(|(_, s)| s.id.as_str())
            .find(|id| {
                self.state(id)
                    .is_some_and(|s| s.status == StepStatus::InDoubt)
            })
    }

    /// When the countdown now running for `step` ends.
    pub fn countdown_ends_at(&self, step: &str) -> Option<Millis> {
        let st = self.state(step)?;
        if st.status != StepStatus::Countdown {
            return None;
        }
        let seconds = self.countdown_seconds(step)?;
        let secs = i64::try_from(seconds).unwrap_or(i64::MAX / 2_000);
        Some(st.guarded_at?.saturating_add(secs.saturating_mul(1000)))
    }

    pub fn runbook(&self) -> &Arc<Runbook> {
        &self.runbook
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// When the session started (its first record).
    pub fn started_at(&self) -> Millis {
        self.started_at
    }

    /// The time of the latest message applied.
    pub fn last_at(&self) -> Millis {
        self.last_at
    }

    /// How long the session was down: from its last record before each
    /// stop (a crash, a quit) to the resume that followed.
    pub fn down_ms(&self) -> Millis {
        self.down_ms
    }

    /// Time the session has been running at `now`: since its start, less
    /// the time it was down. What the plan is measured against.
    pub fn elapsed(&self, now: Millis) -> Millis {
        (now - self.started_at - self.down_ms).max(0)
    }

    /// Every step's state, by id.
    pub fn steps(&self) -> &HashMap<String, StepState> {
        &self.steps
    }

    pub fn notes(&self) -> &[NoteEntry] {
        &self.notes
    }

    /// What runsheet warned of before the first step, in order.
    pub fn warnings(&self) -> &[NoteEntry] {
        &self.warnings
    }

    /// The failed step the operator last turned to a rollback from.
    pub fn rollback_from(&self) -> Option<&str> {
        self.rollback_from.as_deref()
    }

    /// Why the session last stopped while it could go on, until a resume.
    pub fn interrupted(&self) -> Option<&str> {
        self.interrupted.as_deref()
    }

    /// How the session ended, once it has.
    pub fn ended(&self) -> Option<SessionEnd> {
        self.ended
    }

    /// The non-secret variables' values as the session uses them now (a
    /// resume may have changed some), any secret inside them masked.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// Databases identified so far, by target name.
    pub fn databases(&self) -> &BTreeMap<String, DbIdentity> {
        &self.databases
    }

    /// Contexts as the preflight last identified them, by name.
    pub fn contexts(&self) -> &BTreeMap<String, ContextIdentity> {
        &self.contexts
    }

    /// Steps' times in earlier sessions of this runbook.
    pub fn rehearsed(&self) -> &HashMap<String, Rehearsed> {
        &self.rehearsed
    }

    /// Sets the earlier sessions' times: they come from other journals,
    /// not from this one's messages, so they are the one thing set from
    /// outside the fold (when a session starts or resumes). Never this
    /// session's own times: a resumed session expects what it expected
    /// when it started, not what its first steps happened to take.
    pub fn set_rehearsed(&mut self, rehearsed: HashMap<String, Rehearsed>) {
        self.rehearsed = rehearsed;
    }

    /// What folding `Output` records of `step` carrying `bytes` bytes
    /// does, for records whose text is not read: replay skips output that
    /// would leave the bounded tail before the position it shows.
    pub fn skip_output(&mut self, step: &str, bytes: u64) {
        if let Some(s) = self.steps.get_mut(step) {
            s.output_bytes += bytes;
        }
    }

    /// Replaces `step`'s output tail with `tail`, after `before` bytes
    /// whose text is not read: what folding all of them would leave.
    pub fn restore_output<'a>(
        &mut self,
        step: &str,
        before: u64,
        tail: impl IntoIterator<Item = &'a str>,
    ) {
        if let Some(s) = self.steps.get_mut(step) {
            s.output_tail.clear();
            s.output_bytes = before;
            for data in tail {
                s.push_output(data);
            }
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

    /// A step as the operator knows it: its title (its id if the runbook
    /// has no such step).
    pub fn step_title(&self, id: &str) -> String {
        self.step(id)
            .map_or_else(|| id.to_string(), |(_, s)| s.title.clone())
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

    /// Every flow step settled and every offer decided.
    pub fn is_complete(&self) -> bool {
        self.next_step().is_none() && !self.offer_undecided()
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
