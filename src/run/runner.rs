//! The headless runner: drives a session through the engine, runs its
//! actions, journals every message, and asks the operator on the terminal
//! (or, with `--auto`, stops wherever a person is needed).

use super::action::{self, Item};
use super::console::{Console, Reply, Sig};
use crate::journal::{Durability, JournalWriter, WriterTask, lock::SessionLock};
use crate::secrets::Secrets;
use crate::session::{
    ActionOutcome, Decision, Effect, Msg, Rejected, Session, SessionEnd, StepStatus, Stream,
};
use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

/// How a run ended; each maps to an exit code scripts can rely on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every step done or skipped.
    Completed,
    /// A step failed and, in `--auto`, nobody was there to decide.
    Failed {
        step: String,
        reason: String,
    },
    /// A person is needed (a gate, a checklist, a decision), or the operator
    /// quit: the session can be resumed.
    Stopped {
        step: Option<String>,
        why: String,
    },
    /// SIGTERM or SIGHUP: the session can be resumed.
    Interrupted {
        reason: String,
    },
    Abandoned,
}

impl RunEnd {
    /// The record that closes a session ending this way, if any: a stopped
    /// or failed session stays open for `resume`.
    pub fn closing_record(&self) -> Option<Msg> {
        match self {
            RunEnd::Completed => Some(Msg::SessionEnded {
                outcome: SessionEnd::Completed,
            }),
            RunEnd::Abandoned => Some(Msg::SessionEnded {
                outcome: SessionEnd::Abandoned,
            }),
            RunEnd::Interrupted { reason } => Some(Msg::Interrupted {
                reason: reason.clone(),
            }),
            RunEnd::Stopped { .. } | RunEnd::Failed { .. } => None,
        }
    }

    /// One line saying how the session ended, for any front end.
    pub fn summary(&self) -> String {
        match self {
            RunEnd::Completed => "■ session complete".into(),
            RunEnd::Failed { step, reason } => {
                format!("■ stopped: step `{step}` failed: {reason}")
            }
            RunEnd::Stopped { step, why } => format!(
                "■ stopped{}: {why}",
                step.as_ref()
                    .map(|s| format!(" at `{s}`"))
                    .unwrap_or_default()
            ),
            RunEnd::Interrupted { reason } => format!("■ interrupted by {reason}"),
            RunEnd::Abandoned => "■ session abandoned".into(),
        }
    }

    /// Whether `runsheet resume` can carry the session on.
    pub fn resumable(&self) -> bool {
        !matches!(self, RunEnd::Completed | RunEnd::Abandoned)
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            RunEnd::Completed => 0,
            RunEnd::Failed { .. } => 1,
            RunEnd::Stopped { .. } | RunEnd::Abandoned => 3,
            RunEnd::Interrupted { .. } => 130,
        }
    }
}

pub struct Runner {
    pub session: Session,
    journal: JournalWriter<Msg>,
    writer_task: Option<WriterTask>,
    values: HashMap<String, String>,
    secrets: Secrets,
    auto: bool,
    console: Console,
    /// Set by SIGTERM or SIGHUP: finish what runs, record, stop.
    interrupted: Option<String>,
    /// The step whose header was printed last, so prompts that repeat do
    /// not repeat it.
    shown: Option<String>,
    /// Steps that failed in this process: `--auto` retries a step found
    /// failed on resume once, never one it just saw fail.
    failed_here: std::collections::HashSet<String>,
    /// The length of the countdown the engine asked for last.
    countdown_secs: Option<u64>,
    _lock: SessionLock,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn ts(at: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

type Result<T> = std::result::Result<T, String>;

/// Applies a message to the session, journals it before anything else
/// happens, and returns its other effects. Every front end goes through here.
pub async fn apply_and_record(
    session: &mut Session,
    journal: &JournalWriter<Msg>,
    msg: Msg,
) -> Result<Vec<Effect>> {
    record_if_accepted(session, journal, msg)
        .await?
        .map_err(|r| format!("runsheet refused its own step: {r}"))
}

/// Applies a message the engine may refuse (operator input, a native
/// action's record): a refusal changed nothing and comes back as such; an
/// accepted message is journaled before its other effects are returned.
pub async fn record_if_accepted(
    session: &mut Session,
    journal: &JournalWriter<Msg>,
    msg: Msg,
) -> Result<std::result::Result<Vec<Effect>, Rejected>> {
    let at = now_ms();
    let effects = match session.update(at, msg) {
        Ok(effects) => effects,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut rest = Vec::new();
    for e in effects {
        match e {
            Effect::Record(m) => {
                let durability = if m.may_sync_later() {
                    Durability::Batched
                } else {
                    Durability::Sync
                };
                journal
                    .append_fields(ts(at), m.into_journal_fields()?, durability)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            other => rest.push(other),
        }
    }
    Ok(Ok(rest))
}

/// Masks every free-text field of a message (what the operator typed at a
/// gate or as a note or a reason, an error's text, a native action's
/// result) before it is checked, applied or journaled. Both front ends
/// submit through here, and `Msg::free_text_mut` lists the fields, so a
/// field added later is masked without anyone remembering to.
pub fn mask(mut msg: Msg, secrets: &Secrets) -> Msg {
    if secrets.is_empty() {
        return msg;
    }
    let fields = msg.free_text_mut();
    for text in fields.text {
        *text = secrets.redact(text);
    }
    for json in fields.json {
        secrets.redact_json(json);
    }
    msg
}

pub struct RunnerParts {
    pub session: Session,
    pub journal: JournalWriter<Msg>,
    pub writer_task: Option<WriterTask>,
    pub values: HashMap<String, String>,
    pub secrets: Secrets,
    pub auto: bool,
    pub lock: SessionLock,
}

impl Runner {
    pub fn new(p: RunnerParts, console: Console) -> Result<Self> {
        Ok(Runner {
            session: p.session,
            journal: p.journal,
            writer_task: p.writer_task,
            values: p.values,
            secrets: p.secrets,
            auto: p.auto,
            console,
            interrupted: None,
            shown: None,
            failed_here: Default::default(),
            countdown_secs: None,
            _lock: p.lock,
        })
    }

    /// Runs until the flow completes or something stops it, then closes the
    /// journal (flushing and syncing everything).
    pub async fn run(mut self) -> Result<RunEnd> {
        let end = self.drive().await;
        let end = match end {
            Ok(end) => end,
            Err(e) => {
                let _ = self.journal.clone().close().await;
                return Err(e);
            }
        };
        if let Some(msg) = end.closing_record() {
            self.submit(msg).await?;
        }
        self.journal
            .clone()
            .close()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(task) = self.writer_task.take() {
            task.wait().await.map_err(|e| e.to_string())?;
        }
        self.console.ended(&end, self.journal.path());
        Ok(end)
    }

    async fn drive(&mut self) -> Result<RunEnd> {
        loop {
            if let Some(reason) = self
                .interrupted
                .take()
                .or_else(|| self.console.interrupted.take())
            {
                return Ok(RunEnd::Interrupted { reason });
            }
            if let Some(step) = self.first_in_doubt() {
                if let Some(end) = self.resolve_in_doubt(&step).await? {
                    return Ok(end);
                }
                continue;
            }
            let Some(step) = self.session.next_step().map(str::to_string) else {
                return Ok(RunEnd::Completed);
            };
            let status = self.session.state(&step).map(|s| s.status.clone());
            let end = match status {
                Some(StepStatus::Pending) => self.pending(&step).await?,
                Some(StepStatus::AwaitingGate) => self.gate(&step).await?,
                Some(StepStatus::Countdown) => self.countdown(&step).await?,
                Some(StepStatus::Failed { reason }) => self.failed(&step, &reason).await?,
                Some(StepStatus::AwaitingChecklist) => self.checklist(&step).await?,
                other => {
                    return Err(format!(
                        "internal error: step `{step}` is {:?} between actions",
                        other.map(|s| s.label())
                    ));
                }
            };
            if let Some(end) = end {
                return Ok(end);
            }
        }
    }

    fn first_in_doubt(&self) -> Option<String> {
        self.session
            .runbook()
            .steps()
            .map(|(_, s)| s.id.clone())
            .find(|id| {
                self.session
                    .state(id)
                    .is_some_and(|s| s.status == StepStatus::InDoubt)
            })
    }

    /// Applies a message and carries out its effects, running actions as
    /// they are asked for.
    async fn submit(&mut self, msg: Msg) -> Result<()> {
        let effects = self.apply(msg).await?;
        self.handle(effects).await
    }

    /// Carries out an applied message's effects.
    async fn handle(&mut self, effects: Vec<Effect>) -> Result<()> {
        let mut work: VecDeque<Effect> = effects.into();
        while let Some(effect) = work.pop_front() {
            match effect {
                Effect::RunAction { step, action } => {
                    if self.interrupted.is_none() {
                        work.extend(self.run_action(&step, action).await?);
                    }
                }
                Effect::ShowGate(g) => self.console.gate(&g, &self.session),
                Effect::StartCountdown { step, seconds } => {
                    self.countdown_secs = Some(seconds);
                    self.console.countdown_start(&step, seconds)
                }
                Effect::StepSettled { step } => self.console.settled(&self.session, &step),
                Effect::CancelAction { .. }
                | Effect::FlowComplete
                | Effect::GateMistyped { .. }
                | Effect::RollbackChosen { .. }
                | Effect::Record(_) => {}
            }
        }
        Ok(())
    }

    /// Applies one message: checked by the engine, then journaled before
    /// anything else happens.
    async fn apply(&mut self, msg: Msg) -> Result<Vec<Effect>> {
        let msg = mask(msg, &self.secrets);
        apply_and_record(&mut self.session, &self.journal, msg).await
    }

    /// Like `submit`, for operator input the engine may refuse (a step
    /// out of order): the refusal is shown, not fatal.
    async fn try_submit(&mut self, msg: Msg) -> Result<bool> {
        let msg = mask(msg, &self.secrets);
        match record_if_accepted(&mut self.session, &self.journal, msg).await? {
            Err(r) => {
                self.console.refused(&r.0);
                Ok(false)
            }
            Ok(effects) => {
                self.handle(effects).await?;
                Ok(true)
            }
        }
    }

    async fn pending(&mut self, step: &str) -> Result<Option<RunEnd>> {
        let Some((_, s)) = self.session.step(step) else {
            return Err(format!("no step `{step}`"));
        };
        let s = s.clone();
        if self.shown.as_deref() != Some(step) {
            self.console.step_header(&self.session, step);
            self.shown = Some(step.to_string());
        }
        if s.actions.is_empty() {
            return self.checklist(step).await;
        }
        if s.actions.iter().any(|a| a.interactive) && self.auto {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why: "this step hands the terminal to a command (interactive): it needs a person"
                    .into(),
            }));
        }
        if self.auto {
            self.submit(Msg::RunRequested { step: step.into() }).await?;
            return Ok(None);
        }
        match self.console.ask_run(step).await {
            Reply::Run => {
                self.try_submit(Msg::RunRequested { step: step.into() })
                    .await?;
                Ok(None)
            }
            other => self.answer_common(step, other).await,
        }
    }

    /// Skip (with a reason), note and quit mean the same at every prompt.
    async fn answer_common(&mut self, step: &str, reply: Reply) -> Result<Option<RunEnd>> {
        match reply {
            Reply::Skip(reason) => {
                self.try_submit(Msg::Skipped {
                    step: step.into(),
                    reason,
                })
                .await?;
            }
            Reply::Note(text) => self.note(Some(step), &text).await?,
            Reply::Quit => return Ok(Some(self.quit(step))),
            _ => {}
        }
        Ok(None)
    }

    async fn note(&mut self, step: Option<&str>, text: &str) -> Result<()> {
        self.try_submit(Msg::Note {
            step: step.map(str::to_string),
            text: text.to_string(),
        })
        .await?;
        Ok(())
    }

    fn quit(&self, step: &str) -> RunEnd {
        RunEnd::Stopped {
            step: Some(step.into()),
            why: "the operator stopped here".into(),
        }
    }

    async fn checklist(&mut self, step: &str) -> Result<Option<RunEnd>> {
        let Some((_, s)) = self.session.step(step) else {
            return Err(format!("no step `{step}`"));
        };
        let items: Vec<String> = s.checklist.iter().map(|c| c.text.clone()).collect();
        if self.auto {
            let why = if items.is_empty() {
                "a manual step: a person must do it and confirm".to_string()
            } else {
                "a checklist: --auto never ticks anything on its own".to_string()
            };
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why,
            }));
        }
        let ticked: Vec<bool> = self
            .session
            .state(step)
            .map(|st| st.ticked.clone())
            .unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            if ticked.get(i).copied().unwrap_or(false) {
                continue;
            }
            match self.console.ask_tick(item).await {
                Reply::Yes => {
                    self.try_submit(Msg::ChecklistTicked {
                        step: step.into(),
                        item: i,
                        checked: true,
                    })
                    .await?;
                }
                other => return self.answer_common(step, other).await,
            }
        }
        let settled = self
            .session
            .state(step)
            .is_some_and(|s| s.status.is_settled());
        if !settled && items.is_empty() {
            match self.console.ask_done(step).await {
                Reply::Yes => {
                    self.try_submit(Msg::ConfirmedDone { step: step.into() })
                        .await?;
                }
                other => return self.answer_common(step, other).await,
            }
        }
        Ok(None)
    }

    async fn gate(&mut self, step: &str) -> Result<Option<RunEnd>> {
        if self.auto {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why: "a destructive step on a protected target: a person must type the target's name (--auto never does)".into(),
            }));
        }
        match self.console.ask_gate(step).await {
            Reply::Typed(typed) => {
                // Shown back as it is journaled: masked.
                let msg = mask(
                    Msg::GateAnswered {
                        step: step.into(),
                        typed,
                    },
                    &self.secrets,
                );
                let shown = match &msg {
                    Msg::GateAnswered { typed, .. } => typed.clone(),
                    _ => String::new(),
                };
                self.submit(msg).await?;
                if self
                    .session
                    .state(step)
                    .is_some_and(|s| s.status == StepStatus::AwaitingGate)
                {
                    self.console.mistyped(&shown);
                }
            }
            Reply::Quit => {
                self.submit(Msg::GateRefused { step: step.into() }).await?;
                return Ok(Some(self.quit(step)));
            }
            Reply::Interrupted(_) => {}
            _ => {
                self.submit(Msg::GateRefused { step: step.into() }).await?;
                self.console.refused_gate();
            }
        }
        Ok(None)
    }

    async fn countdown(&mut self, step: &str) -> Result<Option<RunEnd>> {
        // The engine said how long, with the effect that started it.
        let seconds = self.countdown_secs.take().unwrap_or(10);
        let cancelled = self.console.countdown(seconds, !self.auto).await;
        if cancelled {
            self.submit(Msg::CountdownCancelled { step: step.into() })
                .await?;
            if self.auto {
                return Ok(Some(RunEnd::Stopped {
                    step: Some(step.into()),
                    why: "countdown cancelled".into(),
                }));
            }
        } else {
            self.submit(Msg::CountdownElapsed { step: step.into() })
                .await?;
        }
        Ok(None)
    }

    async fn failed(&mut self, step: &str, reason: &str) -> Result<Option<RunEnd>> {
        if self.auto {
            if self.failed_here.contains(step) {
                return Ok(Some(RunEnd::Failed {
                    step: step.into(),
                    reason: reason.into(),
                }));
            }
            self.console.step_header(&self.session, step);
            self.submit(Msg::RunRequested { step: step.into() }).await?;
            return Ok(None);
        }
        // Back from a rollback step, say again which step failed: the
        // question that follows is about it, not about the rollback.
        if self.shown.as_deref() != Some(step) {
            self.console.step_header(&self.session, step);
            self.shown = Some(step.to_string());
        }
        let rollbacks: Vec<(String, String)> = self
            .session
            .rollbacks_for(step)
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect();
        match self.console.ask_failed(step, reason, &rollbacks).await {
            Reply::Run => {
                self.try_submit(Msg::RunRequested { step: step.into() })
                    .await?;
            }
            Reply::Rollback(id) => return self.rollback(step, &id).await,
            other => return self.answer_common(step, other).await,
        }
        Ok(None)
    }

    /// Turns to a rollback step after `failed` failed, and answers its own
    /// gate or countdown in place.
    async fn rollback(&mut self, failed: &str, id: &str) -> Result<Option<RunEnd>> {
        let msg = Msg::RollbackRequested {
            failed: failed.into(),
            rollback: id.into(),
        };
        if !self.try_submit(msg).await? {
            return Ok(None);
        }
        self.console.step_header(&self.session, id);
        self.shown = Some(id.to_string());
        self.try_submit(Msg::RunRequested { step: id.into() })
            .await?;
        loop {
            let end = match self.session.state(id).map(|s| s.status.clone()) {
                Some(StepStatus::AwaitingGate) => self.gate(id).await?,
                Some(StepStatus::Countdown) => self.countdown(id).await?,
                _ => return Ok(None),
            };
            if end.is_some() {
                return Ok(end);
            }
        }
    }

    async fn resolve_in_doubt(&mut self, step: &str) -> Result<Option<RunEnd>> {
        self.console.in_doubt(&self.session, step);
        let decision = if self.auto {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why: "this step was running when the session died; a person must decide: re-run, mark done, or skip".into(),
            }));
        } else {
            match self.console.ask_in_doubt(step).await {
                Reply::Run => Decision::Rerun,
                Reply::Yes => Decision::MarkDone,
                Reply::Skip(reason) => Decision::Skip { reason },
                Reply::Quit => return Ok(Some(self.quit(step))),
                _ => return Ok(None),
            }
        };
        self.try_submit(Msg::InDoubtResolved {
            step: step.into(),
            decision,
        })
        .await?;
        Ok(None)
    }

    /// Runs one action to its end and journals it; returns the effects of
    /// its `ActionFinished`.
    async fn run_action(&mut self, step: &str, index: usize) -> Result<Vec<Effect>> {
        let p = action::prepare(&self.session, &self.values, &self.secrets, step, index)?;
        self.console.action_header(&p.action, &p.target, p.timeout);
        if p.action.interactive && p.interpreter.is_some() {
            self.console.interactive_start();
            let (pid, outcome) = action::run_interactive(&p).await;
            self.submit_quiet(Msg::ActionStarted {
                step: step.into(),
                action: index,
                pid,
            })
            .await?;
            return self.finish(step, index, outcome).await;
        }
        let mut running = match action::Running::spawn(&p, &self.secrets) {
            Ok(r) => r,
            Err(outcome) => return self.finish(step, index, outcome).await,
        };
        self.submit_quiet(Msg::ActionStarted {
            step: step.into(),
            action: index,
            pid: running.pid(),
        })
        .await?;
        // Flag, once, a step that takes longer than in every rehearsal.
        let overrun = self.session.rehearsed().get(step).map(|r| r.slowest_ms);
        let mut flagged = overrun.is_none();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick(), if !flagged => {
                    if self.session.overran_rehearsals(step, now_ms()) {
                        flagged = true;
                        self.console.overrun(overrun.unwrap_or_default());
                    }
                }
                batch = running.next() => {
                    for item in batch.items {
                        match item {
                            Item::Output(s, text) => self.output(step, index, s, text).await?,
                            Item::Record(msg, ack) => {
                                let verdict = self.record_for_action(*msg).await?;
                                let _ = ack.send(verdict);
                            }
                        }
                    }
                    if let Some(outcome) = batch.finished {
                        return self.finish(step, index, outcome).await;
                    }
                }
                sig = self.console.signals.next() => match sig {
                    Sig::Int => {
                        self.console.cancelling();
                        self.submit_quiet(Msg::CancelRequested { step: step.into() }).await?;
                        running.cancel();
                    }
                    Sig::Term => {
                        // Asked to stop: stop the step too (nothing is left
                        // behind), record how it ended, stop resumably.
                        self.interrupted = Some(sig.describe().into());
                        running.cancel();
                    }
                    Sig::Hup => {
                        // The operator's connection dropped, not their
                        // decision: the step (a two-hour restore, say) runs
                        // to its end and is journaled; nothing new starts.
                        self.interrupted = Some(sig.describe().into());
                    }
                },
            }
        }
    }

    async fn output(
        &mut self,
        step: &str,
        action: usize,
        stream: Stream,
        data: String,
    ) -> Result<()> {
        self.console.output(stream, &data);
        self.submit_quiet(Msg::Output {
            step: step.into(),
            action,
            stream,
            data,
        })
        .await
    }

    /// Journals a record a native action asked for. The engine's refusal
    /// (two targets on one database) goes back to the action, which stops;
    /// only a journal failure is fatal here.
    async fn record_for_action(&mut self, msg: Msg) -> Result<std::result::Result<(), String>> {
        let msg = mask(msg, &self.secrets);
        let verdict = record_if_accepted(&mut self.session, &self.journal, msg).await?;
        Ok(verdict.map(|_| ()).map_err(|r| r.to_string()))
    }

    /// Applies a message whose effects are only its record.
    async fn submit_quiet(&mut self, msg: Msg) -> Result<()> {
        self.apply(msg).await.map(|_| ())
    }

    async fn finish(
        &mut self,
        step: &str,
        action: usize,
        outcome: ActionOutcome,
    ) -> Result<Vec<Effect>> {
        let effects = self
            .apply(Msg::ActionFinished {
                step: step.into(),
                action,
                outcome,
            })
            .await?;
        if self
            .session
            .state(step)
            .is_some_and(|s| matches!(s.status, StepStatus::Failed { .. }))
        {
            self.failed_here.insert(step.to_string());
        }
        let mut rest = Vec::new();
        for e in effects {
            match e {
                Effect::StepSettled { step } => self.console.settled(&self.session, &step),
                other => rest.push(other),
            }
        }
        Ok(rest)
    }
}
