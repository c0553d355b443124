//! The session's transitions: `update(session, at, msg)` checks that a
//! message makes sense now, applies it, and says what must happen next.
//! No I/O and no clock: the runtime performs the effects and feeds their
//! results back as messages.

use super::msg::{Decision, Millis, Msg, SessionEnd};
use super::state::{BatchProgress, InFlightBatch, Session, StepStatus};
use crate::runbook::destructive::Rule;
use crate::runbook::model::{ActionKind, Expect};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Append the message to the journal (always the first effect).
    Record(Msg),
    RunAction {
        step: String,
        action: usize,
    },
    CancelAction {
        step: String,
    },
    /// Stop at a destructive step until the target's name is typed.
    ShowGate(Gate),
    /// Warn about a destructive step on an unprotected target, then run it.
    StartCountdown {
        step: String,
        seconds: u64,
    },
    /// A step reached done, failed or skipped (bell, flash, next prompt).
    StepSettled {
        step: String,
    },
    /// Every step of the flow is done or skipped.
    FlowComplete,
    /// The name typed at a gate was not the target's: nothing ran, and
    /// the gate stays up for another try.
    GateMistyped {
        step: String,
        /// What was typed, trimmed (secrets already masked).
        typed: String,
        target: String,
    },
    /// The target's name was typed at a gate that still waits for
    /// approvals from other people (four-eyes).
    AwaitingApprovals {
        step: String,
        missing: u32,
    },
    /// Someone approved or denied the gate's request.
    ApprovalAnswered {
        step: String,
        approver: String,
        approve: bool,
        reason: String,
    },
    /// After a failure, the operator turned to this rollback step.
    RollbackChosen {
        failed: String,
        rollback: String,
    },
    /// An offer of alternatives was decided: the chosen option's steps
    /// (if any) now run in order.
    AlternativeChosen {
        offer: String,
        choice: Option<String>,
    },
}

/// What the operator must see before a destructive step runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub step: String,
    /// The protected target whose name must be typed.
    pub target: String,
    pub reasons: Vec<GateReason>,
    /// The actions' text, as they will run.
    pub code: Vec<String>,
    /// What a check found, when the gate asks to approve a finding
    /// (`finding_gate`) rather than to run a destructive step.
    pub finding: Option<String>,
    /// Approvals from other people it needs besides the typed name.
    pub approvals: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateReason {
    pub rule: Rule,
    pub why: String,
    pub excerpt: String,
}

/// Why a message was refused; nothing was applied or journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected(pub String);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

fn reject<T>(reason: impl Into<String>) -> Result<T, Rejected> {
    Err(Rejected(reason.into()))
}

/// How a step must be confirmed before its actions run.
enum Guard {
    None,
    Gate(Gate),
    Countdown(u64),
}

impl Session {
    /// Applies `msg` at time `at`. On success the first effect records it.
    /// A refused message changes nothing: every transition checks all it
    /// needs before its first change, so front ends submit operator input
    /// as it comes and show a refusal instead of asking first.
    ///
    /// In a sandbox session, what the runbook marks not rehearsable and
    /// the message brings the flow to is passed by here too, each pass
    /// one more record among the effects (`not_rehearsable`).
    pub fn update(&mut self, at: Millis, msg: Msg) -> Result<Vec<Effect>, Rejected> {
        let mut effects = self.update_recorded(at, msg)?;
        self.chain_not_rehearsable(at, &mut effects);
        self.note_turn(at);
        Ok(effects)
    }

    /// `update` for a record read back from a journal, with its effects
    /// (replay): the passes `update` chained were journaled after it and
    /// come as records of their own, so none is chained here.
    pub fn update_recorded(&mut self, at: Millis, msg: Msg) -> Result<Vec<Effect>, Rejected> {
        if self.ended.is_some() && !matches!(msg, Msg::Note { .. }) {
            return reject("the session has ended");
        }
        let mut effects = self.apply(at, &msg)?;
        self.last_at = self.last_at.max(at);
        self.note_turn(at);
        effects.insert(0, Effect::Record(msg));
        Ok(effects)
    }

    /// Rebuilds a session from journaled messages (resume, replay). They were
    /// all accepted once, so a refusal means the journal does not belong to
    /// this runbook or was tampered with.
    pub fn replay(&mut self, at: Millis, msg: &Msg) -> Result<(), Rejected> {
        self.apply(at, msg)?;
        self.last_at = self.last_at.max(at);
        self.note_turn(at);
        Ok(())
    }

    /// A step with nothing to run (a checklist, a manual step) takes the
    /// time from its turn (it became the current step, or was first
    /// ticked, whichever came first) to when it was settled: its clock
    /// starts here, once, at the first message after which it is current.
    pub(super) fn note_turn(&mut self, at: Millis) {
        // Every message passes here, output chunks included: no copy.
        let Some(id) = self.current.as_deref() else {
            return;
        };
        if !self.step(id).is_some_and(|(_, s)| s.actions.is_empty()) {
            return;
        }
        if let Some(st) = self.steps.get_mut(id)
            && !st.status.is_settled()
        {
            st.started_at.get_or_insert(at);
        }
    }

    fn apply(&mut self, at: Millis, msg: &Msg) -> Result<Vec<Effect>, Rejected> {
        if let Some(step) = msg.step()
            && self.step_ref(step).is_none()
        {
            return reject(format!("this runbook has no step `{step}`"));
        }
        match msg {
            Msg::SessionStarted(_) => reject("the session has already started"),
            Msg::Resumed {
                values, operator, ..
            } => {
                if let Some(op) = operator {
                    self.operator = op.clone();
                }
                self.values
                    .extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
                // The session was down from its last record to now: not
                // its time, nor that of any step under way.
                let last_seen = self.last_at;
                let down = (at - last_seen).max(0);
                self.down_ms += down;
                for s in self.steps.values_mut() {
                    // Under way: its actions done and its checklist not,
                    // or begun (a box ticked) and not finished.
                    let under_way = s.ran_until.is_none()
                        && match s.status {
                            StepStatus::AwaitingChecklist => true,
                            StepStatus::Pending
                            | StepStatus::AwaitingGate
                            | StepStatus::Countdown => {
                                s.started_at.is_some() && s.finished_at.is_none()
                            }
                            _ => false,
                        };
                    if under_way {
                        s.down_ms += down;
                    }
                    s.status = match &s.status {
                        StepStatus::Running { .. } => {
                            s.ran_until = Some(last_seen);
                            StepStatus::InDoubt
                        }
                        StepStatus::AwaitingGate | StepStatus::Countdown => StepStatus::Pending,
                        other => other.clone(),
                    };
                }
                self.interrupted = None;
                self.current = self.first_current();
                Ok(Vec::new())
            }
            Msg::RunRequested { step } => self.run_requested(at, step),
            Msg::GateAnswered { step, typed } => self.gate_answered(at, step, typed),
            Msg::GateRefused { step } => {
                self.expect_status(
                    step,
                    |s| *s == StepStatus::AwaitingGate,
                    "no gate is shown for",
                )?;
                self.set(step, StepStatus::Pending);
                Ok(Vec::new())
            }
            Msg::ApprovalRequested {
                step,
                request,
                requested_by,
                needed: _,
            } => self.approval_requested(step, *request, requested_by),
            Msg::Approved {
                step,
                request,
                approver,
                reason,
            } => self.approved(at, step, *request, approver, reason),
            Msg::Denied {
                step,
                request,
                approver,
                reason,
            } => self.denied(step, *request, approver, reason),
            Msg::CountdownElapsed { step } => {
                self.expect_status(
                    step,
                    |s| *s == StepStatus::Countdown,
                    "no countdown runs for",
                )?;
                Ok(self.start_actions(at, step))
            }
            Msg::CountdownCancelled { step } => {
                self.expect_status(
                    step,
                    |s| *s == StepStatus::Countdown,
                    "no countdown runs for",
                )?;
                self.set(step, StepStatus::Pending);
                Ok(Vec::new())
            }
            Msg::ActionStarted { step, action, .. } => {
                self.expect_status(
                    step,
                    |s| *s == StepStatus::Running { action: *action },
                    &format!("action {action} was not asked to run in"),
                )?;
                Ok(Vec::new())
            }
            Msg::Output { step, data, .. } => {
                self.expect_status(
                    step,
                    |s| matches!(s, StepStatus::Running { .. }),
                    "output arrived for a step that is not running:",
                )?;
                if let Some(s) = self.steps.get_mut(step) {
                    s.push_output(data);
                }
                Ok(Vec::new())
            }
            Msg::ActionFinished {
                step,
                action,
                outcome,
            } => self.action_finished(at, step, *action, outcome),
            Msg::VarsExported { .. } => self.vars_exported(msg),
            Msg::ActionResult { step, action, .. } => {
                self.expect_running(step, *action, "a result arrived for")?;
                Ok(Vec::new())
            }
            Msg::BatchStarted {
                step,
                action,
                batch,
                after,
                upto,
                xid,
                rows,
            } => {
                self.expect_running(step, *action, "a batch cannot start in")?;
                let progress = self.batch_progress(step, *action);
                // Starting the in-flight batch again is allowed: the runner
                // asked the database first, and it did not commit.
                if let Some(f) = &progress.in_flight
                    && (f.batch != *batch || f.after != *after)
                {
                    return reject(format!(
                        "batch {batch} of `{step}` started before batch {} was settled",
                        f.batch
                    ));
                }
                if *batch != progress.batches + 1 || *after != progress.last_key {
                    return reject(format!(
                        "batch {batch} of `{step}` does not follow batch {} (last key {:?})",
                        progress.batches, progress.last_key
                    ));
                }
                let progress = BatchProgress {
                    in_flight: Some(InFlightBatch {
                        batch: *batch,
                        after: after.clone(),
                        upto: upto.clone(),
                        xid: xid.clone(),
                        rows: *rows,
                    }),
                    ..progress
                };
                self.set_batches(step, progress);
                Ok(Vec::new())
            }
            Msg::BatchCommitted {
                step,
                action,
                batch,
            } => {
                // Also accepted outside a run: on resume, the database
                // says whether the batch in flight at the crash committed.
                let mut progress = self.batch_progress(step, *action);
                match progress.in_flight.take() {
                    Some(f) if f.batch == *batch => {
                        progress.batches = f.batch;
                        progress.rows += f.rows;
                        progress.last_key = Some(f.upto);
                        self.set_batches(step, progress);
                        Ok(Vec::new())
                    }
                    _ => reject(format!("batch {batch} of `{step}` was not in flight")),
                }
            }
            Msg::Checkpoint {
                step,
                action,
                key,
                data,
            } => {
                self.expect_running(step, *action, "a checkpoint arrived for")?;
                if let Some(s) = self.steps.get_mut(step) {
                    s.checkpoints
                        .entry((*action, key.clone()))
                        .or_default()
                        .push(data.clone());
                }
                Ok(Vec::new())
            }
            Msg::DatabaseIdentified { target, identity } => {
                if let Some((other, _)) = self
                    .databases
                    .iter()
                    .find(|(t, id)| *t != target && id.same_database(identity))
                {
                    return reject(format!(
                        "targets `{other}` and `{target}` are the same database ({} on {})",
                        identity.database, identity.server
                    ));
                }
                self.databases.insert(target.clone(), identity.clone());
                Ok(Vec::new())
            }
            Msg::ContextIdentified { name, identity, .. } => {
                self.contexts.insert(name.clone(), identity.clone());
                Ok(Vec::new())
            }
            Msg::CancelRequested { step } => {
                self.expect_status(
                    step,
                    |s| matches!(s, StepStatus::Running { .. }),
                    "nothing is running in",
                )?;
                Ok(vec![Effect::CancelAction { step: step.clone() }])
            }
            Msg::ChecklistTicked {
                step,
                item,
                checked,
            } => self.ticked(at, step, *item, *checked),
            Msg::ConfirmedDone { step } => self.confirmed_done(at, step),
            Msg::Skipped { step, reason } => self.skipped(at, step, reason),
            Msg::NotRehearsable {
                step,
                action,
                reason,
            } => self.passed_by(at, step, *action, reason),
            Msg::Note { step, text } => {
                if text.trim().is_empty() {
                    return reject("a note needs some text");
                }
                self.notes.push(super::state::NoteEntry {
                    at,
                    step: step.clone(),
                    text: text.clone(),
                });
                Ok(Vec::new())
            }
            Msg::HandedOver { note, .. } => {
                if self.running().is_some() {
                    return reject("a session is handed over once its step has finished");
                }
                self.notes.push(super::state::NoteEntry {
                    at,
                    step: None,
                    text: format!("handed over: {note}"),
                });
                Ok(Vec::new())
            }
            Msg::Warned { text } => {
                self.warnings.push(super::state::NoteEntry {
                    at,
                    step: None,
                    text: text.clone(),
                });
                Ok(Vec::new())
            }
            Msg::Notified { .. } => Ok(Vec::new()),
            Msg::RollbackRequested { failed, rollback } => {
                self.expect_status(
                    failed,
                    |s| matches!(s, StepStatus::Failed { .. }),
                    "a rollback is offered after a failure, and nothing failed in",
                )?;
                if !self.rollbacks_for(failed).iter().any(|s| s.id == *rollback) {
                    return reject(format!(
                        "`{rollback}` does not undo the phase of `{failed}`"
                    ));
                }
                self.rollback_from = Some(failed.clone());
                self.current = Some(rollback.clone());
                Ok(vec![Effect::RollbackChosen {
                    failed: failed.clone(),
                    rollback: rollback.clone(),
                }])
            }
            Msg::AlternativeChosen {
                offer,
                choice,
                note,
            } => self.choose(at, offer, choice.as_deref(), note.as_deref()),
            Msg::InDoubtResolved { step, decision } => {
                self.expect_status(
                    step,
                    |s| *s == StepStatus::InDoubt,
                    "nothing is in doubt in",
                )?;
                // Checked as if it were pending, before anything changes.
                match decision {
                    Decision::Rerun => {
                        self.may_run(step)?;
                        Ok(self.turn_to(at, step))
                    }
                    Decision::MarkDone => Ok(self.settle(at, step, StepStatus::Done)),
                    Decision::Skip { reason } => {
                        let reason = skip_reason(reason)?;
                        Ok(self.settle(at, step, StepStatus::Skipped { reason }))
                    }
                }
            }
            Msg::Interrupted { reason } => {
                self.interrupted = Some(reason.clone());
                Ok(Vec::new())
            }
            Msg::SessionEnded { outcome } => {
                if let Some(r) = self.running() {
                    return reject(format!(
                        "`{r}` is still running; stop it before ending the session"
                    ));
                }
                if *outcome == SessionEnd::Completed && !self.is_complete() {
                    return reject("steps remain; the session can only be abandoned");
                }
                if *outcome == SessionEnd::RolledBack && self.rolled_back().is_none() {
                    return reject(
                        "nothing was rolled back: a session ends rolled back once a rollback step is done after the failure it undoes",
                    );
                }
                self.ended = Some(*outcome);
                Ok(Vec::new())
            }
        }
    }

    fn set(&mut self, step: &str, status: StepStatus) {
        if let Some(s) = self.steps.get_mut(step) {
            s.status = status;
        }
    }

    pub(super) fn expect_running(
        &self,
        step: &str,
        action: usize,
        what: &str,
    ) -> Result<(), Rejected> {
        self.expect_status(
            step,
            |s| *s == StepStatus::Running { action },
            &format!("{what} action {action}, which is not running in"),
        )
    }

    /// The step's batch progress, a fresh one for another action. A copy:
    /// the caller writes it back once the message is known to be accepted.
    fn batch_progress(&self, step: &str, action: usize) -> BatchProgress {
        self.steps
            .get(step)
            .and_then(|s| s.batches.clone())
            .filter(|b| b.action == action)
            .unwrap_or(BatchProgress {
                action,
                ..BatchProgress::default()
            })
    }

    fn set_batches(&mut self, step: &str, progress: BatchProgress) {
        if let Some(s) = self.steps.get_mut(step) {
            s.batches = Some(progress);
        }
    }

    fn status(&self, step: &str) -> StepStatus {
        self.steps
            .get(step)
            .map_or(StepStatus::Pending, |s| s.status.clone())
    }

    fn expect_status(
        &self,
        step: &str,
        ok: impl Fn(&StepStatus) -> bool,
        what: &str,
    ) -> Result<(), Rejected> {
        let status = self.status(step);
        if ok(&status) {
            Ok(())
        } else {
            reject(format!("{what} `{step}` (it is {})", status.label()))
        }
    }

    /// A step as a refusal names it for the operator: its title.
    fn named(&self, step: &str) -> String {
        self.step(step)
            .map_or_else(|| format!("`{step}`"), |(_, s)| format!("“{}”", s.title))
    }

    fn run_requested(&mut self, at: Millis, step: &str) -> Result<Vec<Effect>, Rejected> {
        match self.status(step) {
            StepStatus::Pending | StepStatus::Failed { .. } => {}
            StepStatus::AwaitingChecklist if self.paused_before(step).is_some() => {
                return self.go_on(step);
            }
            other => {
                return reject(format!(
                    "{} cannot start: it is {}",
                    self.named(step),
                    other.label()
                ));
            }
        }
        if let Some(why) = self.not_rehearsable(step) {
            return reject(format!(
                "{} is not run in the sandbox: {why}",
                self.named(step)
            ));
        }
        self.may_run(step)?;
        self.items_before_ticked(step, 0)?;
        Ok(self.turn_to(at, step))
    }

    /// The action a step paused at (its items between two blocks unticked
    /// when the first succeeded), if it is paused.
    fn paused_before(&self, step: &str) -> Option<usize> {
        let count = self.step(step).map_or(0, |(_, s)| s.actions.len());
        let st = self.steps.get(step)?;
        (st.status == StepStatus::AwaitingChecklist && st.next_action < count)
            .then_some(st.next_action)
    }

    /// A paused step goes on with its next action, once the items written
    /// before it are ticked. Same run: its gate was answered for all its
    /// blocks, its clock runs on.
    fn go_on(&mut self, step: &str) -> Result<Vec<Effect>, Rejected> {
        let Some(next) = self.paused_before(step) else {
            return reject(format!("{} is not paused", self.named(step)));
        };
        if let Some(r) = self.running() {
            return reject(format!(
                "{} is running; one step runs at a time",
                self.named(r)
            ));
        }
        self.items_before_ticked(step, next)?;
        self.current = Some(step.to_string());
        if let Some(s) = self.steps.get_mut(step) {
            s.status = StepStatus::Running { action: next };
            s.finished_at = None;
        }
        Ok(vec![Effect::RunAction {
            step: step.to_string(),
            action: next,
        }])
    }

    /// Could `step` start now, were it pending? Everything but its status.
    fn may_run(&self, step: &str) -> Result<(), Rejected> {
        if let Some(r) = self.running() {
            return reject(format!(
                "{} is running; one step runs at a time",
                self.named(r)
            ));
        }
        if let Some(why) = self.offer_blocks(step) {
            return reject(why);
        }
        if let Some(blocker) = self.unsettled_before(step) {
            return reject(format!(
                "{} comes after {}, which is not done or skipped",
                self.named(step),
                self.named(&blocker)
            ));
        }
        let has_actions = self.step(step).is_some_and(|(_, s)| !s.actions.is_empty());
        if !has_actions {
            return reject(format!(
                "{} has nothing to run: tick its checklist or confirm it is done",
                self.named(step)
            ));
        }
        Ok(())
    }

    /// Starts a step that may run: its gate, its countdown, or its actions.
    fn turn_to(&mut self, at: Millis, step: &str) -> Vec<Effect> {
        let guard = self.guard(step);
        if !matches!(guard, Guard::None) {
            self.current = Some(step.to_string());
            if let Some(s) = self.steps.get_mut(step) {
                s.guarded_at = Some(at);
                s.wrong_answer = None;
            }
        }
        match guard {
            Guard::None => self.start_actions(at, step),
            Guard::Gate(gate) => {
                self.set(step, StepStatus::AwaitingGate);
                self.begin_four_eyes(step, gate.approvals);
                vec![Effect::ShowGate(gate)]
            }
            Guard::Countdown(seconds) => {
                self.set(step, StepStatus::Countdown);
                vec![Effect::StartCountdown {
                    step: step.to_string(),
                    seconds,
                }]
            }
        }
    }

    /// The first flow step before `step` that is not settled. Rollback steps
    /// are outside the flow and may run whenever the operator decides.
    pub(super) fn unsettled_before(&self, step: &str) -> Option<String> {
        let pos = self.flow().iter().position(|s| s == step)?;
        // A chosen option offered after a failure runs with it failed.
        let failure = self.failure_before_option(step);
        self.flow()[..pos]
            .iter()
            .filter(|s| Some(s.as_str()) != failure)
            .find(|s| !self.status(s).is_settled())
            .cloned()
    }

    /// The gate `step` stops at, if it is gated (shown or not).
    pub fn gate(&self, step: &str) -> Option<Gate> {
        if let Some(g) = self.finding_gate(step) {
            return Some(g);
        }
        match self.guard(step) {
            Guard::Gate(g) => Some(g),
            _ => None,
        }
    }

    /// How long `step` counts down before it runs, if it does.
    pub fn countdown_seconds(&self, step: &str) -> Option<u64> {
        match self.guard(step) {
            Guard::Countdown(secs) => Some(secs),
            _ => None,
        }
    }

    fn guard(&self, step: &str) -> Guard {
        let Some((phase, s)) = self.step(step) else {
            return Guard::None;
        };
        let mut gate: Option<Gate> = None;
        let mut countdown: Option<u64> = None;
        for a in &s.actions {
            // A block that writes to a protected target is gated whatever its
            // text: the rules below only add reasons. On an unprotected target
            // a write counts down only when a rule flags it.
            let writes = matches!(
                a.kind,
                ActionKind::Sql { writes: true } | ActionKind::Batch(_)
            );
            let destructive = a.destructive.is_destructive();
            let target_name = self.action_target(phase, s, a).to_string();
            let Some(target) = self.target(&target_name) else {
                continue;
            };
            let gated_write = writes && target.protected;
            if !(destructive || gated_write) {
                continue;
            }
            if target.protected {
                let g = gate.get_or_insert_with(|| Gate {
                    step: step.to_string(),
                    target: target_name.clone(),
                    reasons: Vec::new(),
                    code: s.actions.iter().map(|a| a.code.clone()).collect(),
                    finding: None,
                    approvals: 0,
                });
                if writes {
                    g.reasons.push(GateReason {
                        rule: Rule::SqlWrites,
                        why: format!("this block writes to {target_name}"),
                        excerpt: String::new(),
                    });
                }
                if destructive {
                    g.reasons
                        .extend(a.destructive.findings.iter().map(|f| GateReason {
                            rule: f.rule,
                            why: f.rule.describe().to_string(),
                            excerpt: f.excerpt.clone(),
                        }));
                }
                if let Some(o) = a.destructive.overridden.as_ref().filter(|o| o.destructive) {
                    g.reasons.push(GateReason {
                        rule: Rule::Attribute,
                        why: o
                            .reason
                            .clone()
                            .unwrap_or_else(|| "marked destructive by the runbook".into()),
                        excerpt: String::new(),
                    });
                }
            } else if a.destructive.overridden.is_some()
                || a.destructive
                    .findings
                    .iter()
                    .any(|f| f.rule != Rule::ShellOpaque)
            {
                // Not being able to see what runs is a reason to stop on a
                // protected target, not to count down on any other.
                let secs = target.countdown.as_secs();
                countdown = Some(countdown.map_or(secs, |c| c.max(secs)));
            }
        }
        // A step that asks for approvals is gated whatever its blocks:
        // the author wants a second person to see it before it runs.
        if gate.is_none()
            && let Some(n) = s.approvals.filter(|n| *n > 0 && !self.info.sandbox)
            && !s.actions.is_empty()
        {
            let target = s
                .actions
                .first()
                .map(|a| self.action_target(phase, s, a).to_string())
                .unwrap_or_else(|| self.info.target.clone());
            gate = Some(Gate {
                step: step.to_string(),
                target,
                reasons: vec![GateReason {
                    rule: Rule::Attribute,
                    why: format!(
                        "the runbook asks {n} approval{} for this step",
                        if n == 1 { "" } else { "s" }
                    ),
                    excerpt: String::new(),
                }],
                code: s.actions.iter().map(|a| a.code.clone()).collect(),
                finding: None,
                approvals: 0,
            });
        }
        if let Some(g) = &mut gate {
            g.approvals = self.approvals_needed(step, &g.target);
        }
        match (gate, countdown) {
            (Some(g), _) => Guard::Gate(g),
            (None, Some(secs)) => Guard::Countdown(secs),
            (None, None) => Guard::None,
        }
    }

    fn gate_answered(
        &mut self,
        at: Millis,
        step: &str,
        typed: &str,
    ) -> Result<Vec<Effect>, Rejected> {
        self.expect_status(
            step,
            |s| *s == StepStatus::AwaitingGate,
            "no gate is shown for",
        )?;
        if let Some(answered) = self.finding_answered(at, step, typed) {
            return answered;
        }
        let Guard::Gate(gate) = self.guard(step) else {
            return reject(format!("`{step}` has no gate"));
        };
        if typed.trim() != gate.target {
            // Journaled all the same: a mistyped confirmation is part of the story.
            if let Some(s) = self.steps.get_mut(step) {
                s.wrong_answer = Some(typed.trim().to_string());
            }
            return Ok(vec![Effect::GateMistyped {
                step: step.to_string(),
                typed: typed.trim().to_string(),
                target: gate.target,
            }]);
        }
        if let Some(waiting) = self.hold_for_approvals(step) {
            return Ok(waiting);
        }
        Ok(self.start_actions(at, step))
    }

    pub(super) fn start_actions(&mut self, at: Millis, step: &str) -> Vec<Effect> {
        self.current = Some(step.to_string());
        self.untick_for_new_run(step);
        if let Some(s) = self.steps.get_mut(step) {
            s.status = StepStatus::Running { action: 0 };
            s.attempts += 1;
            s.started_at = Some(at);
            s.finished_at = None;
            s.ran_until = None;
            s.down_ms = 0;
            s.last_outcome = None;
            // A new run checks again: an earlier finding is no answer.
            s.finding = None;
            s.not_rehearsed.clear();
        }
        vec![Effect::RunAction {
            step: step.to_string(),
            action: 0,
        }]
    }

    fn action_finished(
        &mut self,
        at: Millis,
        step: &str,
        action: usize,
        outcome: &super::msg::ActionOutcome,
    ) -> Result<Vec<Effect>, Rejected> {
        self.expect_status(
            step,
            |s| *s == StepStatus::Running { action },
            &format!("action {action} cannot finish: it was not running in"),
        )?;
        let expected = self
            .step(step)
            .and_then(|(_, s)| s.actions.get(action))
            .map_or_else(|| vec![0], expected_exit_codes);
        let succeeded = outcome.succeeded(&expected);
        if let Some(s) = self.steps.get_mut(step) {
            s.last_outcome = Some(outcome.clone());
            // A finished batched migration is done with its progress; a
            // failed one keeps it for the retry.
            if succeeded && s.batches.as_ref().is_some_and(|b| b.action == action) {
                s.batches = None;
            }
            if succeeded {
                s.checkpoints.retain(|(a, _), _| *a != action);
            }
        }
        if !succeeded {
            let reason = outcome.describe();
            return Ok(self.settle(at, step, StepStatus::Failed { reason }));
        }
        if let Some(finding) = &outcome.needs_approval {
            return Ok(self.stop_at_finding(at, step, action, finding));
        }
        Ok(self.action_passed(at, step, action))
    }

    /// Action `action` of `step` met its expectation (and any finding of
    /// it was approved): the step goes on to its next action, pauses for
    /// the items before it, or is done.
    pub(super) fn action_passed(&mut self, at: Millis, step: &str, action: usize) -> Vec<Effect> {
        let count = self.step(step).map_or(0, |(_, s)| s.actions.len());
        self.tick_items_of(step, action);
        if action + 1 < count && self.unticked_before(step, action + 1).is_some() {
            // Items written between this block and the next: the step
            // waits for them, then for a run request.
            if let Some(s) = self.steps.get_mut(step) {
                s.status = StepStatus::AwaitingChecklist;
                s.finished_at = Some(at);
            }
            return Vec::new();
        }
        if action + 1 < count {
            self.set(step, StepStatus::Running { action: action + 1 });
            return vec![Effect::RunAction {
                step: step.to_string(),
                action: action + 1,
            }];
        }
        let complete = self.steps.get(step).is_some_and(|s| s.checklist_complete());
        if complete {
            self.settle(at, step, StepStatus::Done)
        } else {
            if let Some(s) = self.steps.get_mut(step) {
                s.status = StepStatus::AwaitingChecklist;
                s.finished_at = Some(at);
            }
            Vec::new()
        }
    }

    fn ticked(
        &mut self,
        at: Millis,
        step: &str,
        item: usize,
        checked: bool,
    ) -> Result<Vec<Effect>, Rejected> {
        let status = self.status(step);
        if status.is_settled() {
            return reject(format!(
                "{} is {}; its checklist is closed",
                self.named(step),
                status.label()
            ));
        }
        self.may_tick(step, item)?;
        let Some(s) = self.steps.get_mut(step) else {
            return reject(format!("no step `{step}`"));
        };
        let Some(slot) = s.ticked.get_mut(item) else {
            return reject(format!("no checklist item {}", item + 1));
        };
        *slot = checked;
        let complete = s.checklist_complete();
        let actionless = self.step(step).is_some_and(|(_, st)| st.actions.is_empty());
        // A checklist ticked before its turn came started then.
        if actionless && let Some(s) = self.steps.get_mut(step) {
            s.started_at.get_or_insert(at);
        }
        // The last box ticked closes the step once its actions are done, or
        // at once for a checklist-only step whose turn has come.
        let closes = match status {
            StepStatus::AwaitingChecklist => complete && self.paused_before(step).is_none(),
            StepStatus::Pending => {
                complete
                    && actionless
                    && self.unsettled_before(step).is_none()
                    && self.offer_blocks(step).is_none()
            }
            _ => false,
        };
        if closes {
            return Ok(self.settle(at, step, StepStatus::Done));
        }
        Ok(Vec::new())
    }

    fn confirmed_done(&mut self, at: Millis, step: &str) -> Result<Vec<Effect>, Rejected> {
        let (has_actions, complete) = match (self.step(step), self.steps.get(step)) {
            (Some((_, s)), Some(st)) => (!s.actions.is_empty(), st.checklist_complete()),
            _ => return reject(format!("no step `{step}`")),
        };
        let status = self.status(step);
        let named = self.named(step);
        if has_actions {
            return reject(match status {
                StepStatus::AwaitingChecklist => {
                    format!("{named} still has unticked checklist items")
                }
                _ => format!(
                    "{named} is done when its actions succeed, not by confirmation (it is {})",
                    status.label()
                ),
            });
        }
        if status != StepStatus::Pending {
            return reject(format!(
                "{named} cannot be confirmed: it is {}",
                status.label()
            ));
        }
        if !complete {
            return reject(format!("tick every checklist item of {named} first"));
        }
        if let Some(why) = self.offer_blocks(step) {
            return reject(why);
        }
        if let Some(blocker) = self.unsettled_before(step) {
            return reject(format!(
                "{named} comes after {}, which is not done or skipped",
                self.named(&blocker)
            ));
        }
        if let Some(s) = self.steps.get_mut(step) {
            s.started_at.get_or_insert(at);
        }
        Ok(self.settle(at, step, StepStatus::Done))
    }

    fn skipped(&mut self, at: Millis, step: &str, reason: &str) -> Result<Vec<Effect>, Rejected> {
        let reason = skip_reason(reason)?;
        let named = self.named(step);
        match self.status(step) {
            StepStatus::Running { .. } => {
                reject(format!("{named} is running: stop it before skipping it"))
            }
            StepStatus::Done => reject(format!("{named} is already done")),
            StepStatus::Skipped { .. } => reject(format!("{named} is already skipped")),
            _ => Ok(self.settle(at, step, StepStatus::Skipped { reason })),
        }
    }

    pub(super) fn settle(&mut self, at: Millis, step: &str, status: StepStatus) -> Vec<Effect> {
        let failed = matches!(status, StepStatus::Failed { .. });
        if let Some(s) = self.steps.get_mut(step) {
            // A step in doubt stopped running when the session did: that
            // is where its time ends, not when someone decided about it.
            // (`ran_until` is cleared when it runs again.)
            s.status = status;
            s.finished_at = Some(s.ran_until.unwrap_or(at));
        }
        // The flow moves on from its current step, not from a failure.
        if !failed
            && self.current.as_deref() == Some(step)
            && let Some(next) = self.next_in_option(step).or_else(|| self.next_step())
        {
            self.current = Some(next.to_string());
        }
        let mut effects = vec![Effect::StepSettled {
            step: step.to_string(),
        }];
        if self.is_complete() && self.flow().iter().any(|s| s == step) {
            effects.push(Effect::FlowComplete);
        }
        effects
    }
}

/// A skip's reason, trimmed; an empty one is refused.
fn skip_reason(reason: &str) -> Result<String, Rejected> {
    match reason.trim() {
        "" => reject("a skip needs a reason, for whoever reads the journal"),
        r => Ok(r.to_string()),
    }
}

/// Exit codes a shell action accepts (`expect=0,1`); 0 by default.
pub fn expected_exit_codes(action: &crate::runbook::model::Action) -> Vec<i32> {
    match (&action.kind, &action.expect) {
        (ActionKind::Shell { .. }, Some(Expect::Exit(codes))) => codes.clone(),
        _ => vec![0],
    }
}
