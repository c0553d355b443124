//! The plain console's flow: walks the session step by step, asks the
//! operator on the terminal (or, with `--auto`, stops wherever a person
//! is needed), and hands every answer to the driver, which journals it and
//! runs what it asks for.

use super::offer::OfferReply;
use super::{Console, Reply};
use crate::driver::{Driver, Event, RunEnd, Submitted};
use crate::session::display;
use crate::session::{Decision, Effect, Msg, Next, StepStatus};
use std::collections::HashSet;

type Result<T> = std::result::Result<T, String>;

/// Runs the session in the plain console until the flow completes or
/// something stops it, then closes the journal.
pub async fn run(driver: Driver, console: Console) -> Result<RunEnd> {
    let mut flow = Flow {
        driver,
        console,
        shown: None,
        failed_here: HashSet::new(),
        countdown_secs: None,
        cancel_asked: None,
    };
    let end = match flow.drive().await {
        Ok(end) => end,
        Err(e) => {
            flow.driver.abandon().await;
            return Err(e);
        }
    };
    let journal = flow.driver.journal_path().to_path_buf();
    let coverage = RunEnd::coverage_lines(flow.driver.session());
    flow.driver.close(&end).await?;
    flow.console.ended(&end, &journal, &coverage);
    Ok(end)
}

struct Flow {
    driver: Driver,
    console: Console,
    /// The step whose header was printed last, so prompts that repeat do
    /// not repeat it.
    shown: Option<String>,
    /// Steps that failed in this process: `--auto` retries a step found
    /// failed on resume once, never one it just saw fail.
    failed_here: HashSet<String>,
    /// The length of the countdown the engine asked for last.
    countdown_secs: Option<u64>,
    /// A Ctrl-C asked whether to stop this step's command (a protected
    /// target): the next line typed answers.
    cancel_asked: Option<String>,
}

impl Flow {
    async fn drive(&mut self) -> Result<RunEnd> {
        self.show_events().await?;
        self.console.context_overview(self.driver.session());
        loop {
            if let Some(e) = self.console.fatal.take() {
                return Err(e);
            }
            if let Some(reason) = self.driver.take_interrupted() {
                return Ok(RunEnd::Interrupted { reason });
            }
            if let Some(step) = self.driver.session().first_in_doubt().map(str::to_string) {
                if let Some(end) = self.resolve_in_doubt(&step).await? {
                    return Ok(end);
                }
                continue;
            }
            if let Some(offer) = self.driver.session().pending_offer().map(|o| o.id.clone()) {
                if let Some(end) = self.offer(&offer).await? {
                    return Ok(end);
                }
                continue;
            }
            // A chosen option offered after a failure runs before the
            // failure is settled.
            let session = self.driver.session();
            let Some(step) = session
                .option_after_failure()
                .or_else(|| session.next_step())
                .map(str::to_string)
            else {
                return Ok(RunEnd::Completed);
            };
            let status = self.driver.session().state(&step).map(|s| s.status.clone());
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

    /// Submits a message runsheet itself decided on: a refusal is a bug.
    async fn submit(&mut self, msg: Msg) -> Result<()> {
        match self.driver.submit(msg).await? {
            Submitted::Accepted => self.settle().await,
            Submitted::Refused(r) => Err(format!("runsheet refused its own step: {r}")),
        }
    }

    /// Submits what the operator asked for: a refusal (a step out of
    /// order) is shown, not fatal.
    async fn try_submit(&mut self, msg: Msg) -> Result<bool> {
        match self.driver.submit(msg).await? {
            Submitted::Accepted => {
                self.settle().await?;
                Ok(true)
            }
            Submitted::Refused(r) => {
                self.console.refused(&r);
                Ok(false)
            }
        }
    }

    /// Shows what the driver does until nothing runs: the console runs one
    /// action at a time, to its end, before the next question.
    async fn settle(&mut self) -> Result<()> {
        loop {
            self.show_events().await?;
            if !self.driver.busy() {
                self.end_cancel_question();
                return Ok(());
            }
            if let Some(step) = self.cancel_asked.clone() {
                // The command runs on while the operator answers.
                if let Some(line) = self.console.line_or_wake(&mut self.driver).await? {
                    self.cancel_asked = None;
                    if super::is_yes(&line) {
                        self.console.cancelling();
                        // The loop goes on to show the command stopping.
                        if let Submitted::Refused(r) =
                            self.driver.submit(Msg::CancelRequested { step }).await?
                        {
                            self.console.refused(&r);
                        }
                    } else {
                        self.driver.cancel_declined();
                        self.console.goes_on(self.driver.session(), &step);
                    }
                }
                continue;
            }
            let wake = self.driver.wait().await;
            self.driver.handle(wake).await?;
        }
    }

    /// The question about stopping a command is moot (it ended, or a
    /// second Ctrl-C stopped it).
    fn end_cancel_question(&mut self) {
        if self.cancel_asked.take().is_some() {
            self.console.stop_waiting_for_line();
        }
    }

    async fn show_events(&mut self) -> Result<()> {
        while let Some(event) = self.driver.poll_event() {
            match event {
                Event::Effect(Effect::ShowGate(g)) => self.console.gate(&g, self.driver.session()),
                Event::Effect(Effect::AwaitingApprovals { missing, .. }) => {
                    let name = self.driver.session_name();
                    self.console.awaiting_approvals(missing, &name)
                }
                Event::Effect(Effect::ApprovalAnswered {
                    step,
                    approver,
                    approve,
                    reason,
                }) => self.console.approval_answered(
                    &self.driver.session().step_title(&step),
                    &approver,
                    approve,
                    &reason,
                ),
                Event::Effect(Effect::StartCountdown { step, seconds }) => {
                    self.countdown_secs = Some(seconds);
                    self.console.countdown_details(self.driver.session(), &step);
                    self.console.countdown_start(&step, seconds)
                }
                Event::Effect(Effect::StepSettled { step }) => {
                    let session = self.driver.session();
                    if session
                        .state(&step)
                        .is_some_and(|s| matches!(s.status, StepStatus::Failed { .. }))
                    {
                        self.failed_here.insert(step.clone());
                    }
                    self.console.settled(session, &step)
                }
                Event::Effect(_) => {}
                Event::ActionStarting(h) => {
                    self.console.action_header(&h.action, &h.target, h.timeout)
                }
                Event::HandOver(_) => {
                    self.console.interactive_start();
                    self.driver.hand_over().await?;
                }
                Event::Output { stream, data } => self.console.output(stream, &data),
                Event::Cancelling { .. } => {
                    self.end_cancel_question();
                    self.console.cancelling()
                }
                Event::CancelAsked { step } => {
                    self.console.ask_cancel(self.driver.session(), &step);
                    self.cancel_asked = Some(step);
                }
                Event::Overran { slowest_ms, .. } => self.console.overrun(slowest_ms),
                Event::Warning(text) => eprintln!("warning: {text}"),
                // The policy is the driver's; a question watches for them
                // itself (`Console::read`).
                Event::Signal(_) => {}
            }
        }
        Ok(())
    }

    async fn pending(&mut self, step: &str) -> Result<Option<RunEnd>> {
        let Some((_, s)) = self.driver.session().step(step) else {
            return Err(format!("no step `{step}`"));
        };
        let (no_actions, interactive) = (
            s.actions.is_empty(),
            s.actions.iter().find(|a| a.interactive),
        );
        // Why it needs a person, named for the operator reading the stop.
        let interactive = interactive.map(|a| match &a.interactive_inferred {
            Some(reason) => format!(
                "{reason}: this step needs a person at a terminal, and --auto has none \
                 (run it without --auto, or mark the block `interactive=false` if it needs no input)"
            ),
            None => "this step hands the terminal to a command (interactive): it needs a person"
                .to_string(),
        });
        // Passed by in the sandbox, unasked: the engine says so itself
        // from then on, but not for the step a session starts at.
        if let Some(msg) = self.driver.session().due_not_rehearsable() {
            self.submit(msg).await?;
            return Ok(None);
        }
        if self.shown.as_deref() != Some(step) {
            self.console.step_header(self.driver.session(), step);
            self.shown = Some(step.to_string());
        }
        if no_actions {
            return self.checklist(step).await;
        }
        // Items written before its first block are ticked before it runs.
        if let Due::Answered(end) = self.tick_due(step).await? {
            return Ok(end);
        }
        let auto = self.driver.auto();
        if let Some(why) = interactive.filter(|_| auto) {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why,
            }));
        }
        if auto {
            self.submit(Msg::RunRequested { step: step.into() }).await?;
            return Ok(None);
        }
        self.show_item_of(step, 0);
        match self.console.ask_run(&mut self.driver, step).await {
            Reply::Run => {
                self.try_submit(Msg::RunRequested { step: step.into() })
                    .await?;
                Ok(None)
            }
            other => self.answer_common(step, other).await,
        }
    }

    /// Asks the items due now, in document order, until the next thing the
    /// step waits for is not a tick.
    async fn tick_due(&mut self, step: &str) -> Result<Due> {
        while let Next::Tick(i) = self.driver.session().next_in_order(step) {
            if self.driver.auto() {
                return Ok(Due::Answered(Some(RunEnd::Stopped {
                    step: Some(step.into()),
                    why: "a checklist: --auto never ticks anything on its own".into(),
                })));
            }
            let Some((_, s)) = self.driver.session().step(step) else {
                return Err(format!("no step `{step}`"));
            };
            let Some(item) = s.checklist.get(i) else {
                return Err(format!("internal error: step `{step}` has no item {i}"));
            };
            let depth = item.depth;
            // With the values it means (`$RELEASE` → 2.4.1).
            let text = display::Values::for_step(self.driver.session(), step).fill(&item.text);
            match self.console.ask_tick(&mut self.driver, &text, depth).await {
                Reply::Yes => {
                    let msg = Msg::ChecklistTicked {
                        step: step.into(),
                        item: i,
                        checked: true,
                    };
                    if !self.try_submit(msg).await? {
                        return Ok(Due::Answered(None));
                    }
                }
                other => return Ok(Due::Answered(self.answer_common(step, other).await?)),
            }
        }
        Ok(Due::Ticked)
    }

    /// The item a block is written in, shown above the question to run it.
    fn show_item_of(&self, step: &str, action: usize) {
        let session = self.driver.session();
        let Some((_, s)) = session.step(step) else {
            return;
        };
        if let Some(item) = s
            .checklist
            .iter()
            .find(|it| it.actions.first() == Some(&action))
        {
            let text = display::Values::for_step(session, step).fill(&item.text);
            self.console.item_to_run(&text, item.depth);
        }
    }

    /// A step paused between two blocks, its items between them ticked:
    /// run the next block.
    async fn go_on(&mut self, step: &str, action: usize) -> Result<Option<RunEnd>> {
        if !self.driver.auto() {
            self.show_item_of(step, action);
            match self.console.ask_run(&mut self.driver, step).await {
                Reply::Run => {}
                other => return self.answer_common(step, other).await,
            }
        }
        self.try_submit(Msg::RunRequested { step: step.into() })
            .await?;
        Ok(None)
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
            Reply::Note(text) => {
                let added = self
                    .try_submit(Msg::Note {
                        step: Some(step.to_string()),
                        text,
                    })
                    .await?;
                if added {
                    self.console.noted(self.driver.session(), step);
                }
            }
            Reply::Quit => return Ok(Some(quit(step))),
            _ => {}
        }
        Ok(None)
    }

    /// A step waiting on its checklist (a checklist or manual step, or
    /// one whose blocks ran, or paused between two of them): its items in
    /// document order, then its next block, or the confirmation.
    async fn checklist(&mut self, step: &str) -> Result<Option<RunEnd>> {
        let manual = self
            .driver
            .session()
            .step(step)
            .is_some_and(|(_, s)| s.checklist.is_empty() && s.actions.is_empty());
        if manual && self.driver.auto() {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why: "a manual step: a person must do it and confirm".to_string(),
            }));
        }
        if let Due::Answered(end) = self.tick_due(step).await? {
            return Ok(end);
        }
        match self.driver.session().next_in_order(step) {
            Next::Run(action) => self.go_on(step, action).await,
            Next::Confirm => match self.console.ask_done(&mut self.driver, step).await {
                Reply::Yes => {
                    self.try_submit(Msg::ConfirmedDone { step: step.into() })
                        .await?;
                    Ok(None)
                }
                other => self.answer_common(step, other).await,
            },
            Next::Tick(_) | Next::Nothing => Ok(None),
        }
    }

    async fn gate(&mut self, step: &str) -> Result<Option<RunEnd>> {
        if self.driver.auto() {
            let why = match self.driver.session().finding_gate(step) {
                Some(g) => format!(
                    "{}: a person must approve it by typing `{}` (--auto never does)",
                    g.finding.unwrap_or_default(),
                    g.target
                ),
                None => "a destructive step on a protected target: a person must type the target's name (--auto never does)".into(),
            };
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why,
            }));
        }
        let waiting = self
            .driver
            .session()
            .four_eyes(step)
            .is_some_and(|f| f.name_typed);
        let reply = if waiting {
            self.console.ask_waiting(&mut self.driver).await
        } else {
            self.console.ask_gate(&mut self.driver, step).await
        };
        match reply {
            // An approval or a denial arrived: shown, and what it started
            // is watched to its end.
            Reply::Moved => self.settle().await?,
            Reply::Typed(typed) => {
                // Shown back as it is journaled: masked.
                let shown = self.driver.secrets().redact(&typed);
                self.submit(Msg::GateAnswered {
                    step: step.into(),
                    typed,
                })
                .await?;
                if self.driver.session().state(step).is_some_and(|s| {
                    s.status == StepStatus::AwaitingGate && s.wrong_answer.is_some()
                }) {
                    self.console.mistyped(&shown);
                }
            }
            Reply::Quit => {
                self.submit(Msg::GateRefused { step: step.into() }).await?;
                return Ok(Some(quit(step)));
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
        let auto = self.driver.auto();
        let cancelled = self.console.countdown(seconds, !auto).await;
        if cancelled {
            self.submit(Msg::CountdownCancelled { step: step.into() })
                .await?;
            self.console
                .countdown_cancelled(self.driver.session(), step);
            if auto {
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
        if self.driver.auto() {
            if self.failed_here.contains(step) {
                return Ok(Some(RunEnd::Failed {
                    step: step.into(),
                    reason: reason.into(),
                }));
            }
            self.console.step_header(self.driver.session(), step);
            self.submit(Msg::RunRequested { step: step.into() }).await?;
            return Ok(None);
        }
        // Back from a rollback step, say again which step failed: the
        // question that follows is about it, not about the rollback.
        if self.shown.as_deref() != Some(step) {
            self.console.step_header(self.driver.session(), step);
            self.shown = Some(step.to_string());
        }
        let rollbacks: Vec<(String, String)> = self
            .driver
            .session()
            .rollbacks_for(step)
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect();
        // Once a rollback undid this failure, the session may end there.
        let rolled_back = RunEnd::rolled_back(self.driver.session());
        match self
            .console
            .ask_failed(
                &mut self.driver,
                step,
                reason,
                &rollbacks,
                rolled_back.is_some(),
            )
            .await
        {
            Reply::Run => {
                self.try_submit(Msg::RunRequested { step: step.into() })
                    .await?;
            }
            Reply::EndRolledBack => return Ok(rolled_back),
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
        self.console.step_header(self.driver.session(), id);
        self.shown = Some(id.to_string());
        self.try_submit(Msg::RunRequested { step: id.into() })
            .await?;
        loop {
            let status = self.driver.session().state(id).map(|s| s.status.clone());
            let end = match status {
                Some(StepStatus::AwaitingGate) => self.gate(id).await?,
                Some(StepStatus::Countdown) => self.countdown(id).await?,
                _ => return Ok(None),
            };
            if end.is_some() {
                return Ok(end);
            }
        }
    }

    /// An offer of alternatives the flow reached: the operator picks one
    /// option or none; `--auto` takes none and says so in the journal.
    async fn offer(&mut self, offer: &str) -> Result<Option<RunEnd>> {
        let Some(o) = self.driver.session().offer(offer).cloned() else {
            return Err(format!("no offer `{offer}`"));
        };
        self.console.offer(self.driver.session(), &o);
        // Where a note or a quit at the offer belongs.
        let at = o
            .after
            .clone()
            .or_else(|| o.steps().next().map(str::to_string))
            .unwrap_or_default();
        let (choice, note) = if self.driver.auto() {
            self.console.offer_auto();
            (None, Some("auto: none chosen".to_string()))
        } else {
            match self.console.ask_offer(&mut self.driver, &o).await {
                OfferReply::Choose(choice) => (choice, None),
                OfferReply::Other(reply) => return self.answer_common(&at, reply).await,
            }
        };
        self.try_submit(Msg::AlternativeChosen {
            offer: offer.to_string(),
            choice,
            note,
        })
        .await?;
        Ok(None)
    }

    async fn resolve_in_doubt(&mut self, step: &str) -> Result<Option<RunEnd>> {
        self.console.in_doubt(self.driver.session(), step);
        if self.driver.auto() {
            return Ok(Some(RunEnd::Stopped {
                step: Some(step.into()),
                why: "this step was running when the session died; a person must decide: re-run, mark done, or skip".into(),
            }));
        }
        let decision = match self.console.ask_in_doubt(&mut self.driver, step).await {
            Reply::Run => Decision::Rerun,
            Reply::Yes => Decision::MarkDone,
            Reply::Skip(reason) => Decision::Skip { reason },
            Reply::Quit => return Ok(Some(quit(step))),
            _ => return Ok(None),
        };
        self.try_submit(Msg::InDoubtResolved {
            step: step.into(),
            decision,
        })
        .await?;
        Ok(None)
    }
}

/// How asking a step's due items ended.
enum Due {
    /// Every item due is ticked: the step goes on.
    Ticked,
    /// Something else was answered (a skip, a note, a quit): what the flow
    /// returns.
    Answered(Option<RunEnd>),
}

fn quit(step: &str) -> RunEnd {
    RunEnd::Stopped {
        step: Some(step.into()),
        why: "the operator stopped here".into(),
    }
}
