//! The one driver under every front end. It owns the session, the journal
//! writer, the running action and the secrets, and performs the engine's
//! effects; a front end only turns keys or lines into messages and draws.
//!
//! The surface is small:
//! - [`Driver::submit`]: a message from the operator — masked, validated,
//!   applied, journaled, its effects performed (an action started…); a
//!   refusal comes back as a value to show.
//! - [`Driver::next_event`] (or, inside a `select!`, the cancel-safe
//!   [`Driver::wait`] followed by [`Driver::handle`], then
//!   [`Driver::poll_event`]): what happened — output, an action's end and
//!   the effects of it, a signal and what the policy did about it, the
//!   overrun and multiplexer warnings, the effects a screen reacts to.
//! - [`Driver::close`]: the record that ends the session, then the journal
//!   flushed and closed.
//!
//! The replay folds the same journal with no driver at all: it performs
//! no effect.

mod action;
pub mod clock;
mod contexts;
mod end;
mod exports;
mod four_eyes;
pub mod interrupt;
mod notify;
pub mod signals;
mod warnings;

pub use action::Header;
pub use clock::now_ms;
pub use contexts::check_contexts;
pub use end::RunEnd;
pub use signals::{Sig, Signals};

use crate::journal::{Durability, JournalWriter, WriterTask, lock::SessionLock};
use crate::secrets::Secrets;
use crate::session::{ActionOutcome, Effect, Msg, Session, Stream};
use action::{Current, Item, Watched};
use std::collections::{HashMap, VecDeque};
use std::path::Path;

type Result<T> = std::result::Result<T, String>;

/// What a session is driven with, gathered by start or resume.
pub struct Parts {
    pub session: Session,
    pub journal: JournalWriter<Msg>,
    pub writer_task: Option<WriterTask>,
    pub values: HashMap<String, String>,
    pub secrets: Secrets,
    /// Nobody at the terminal (`--auto`).
    pub auto: bool,
    pub lock: SessionLock,
}

/// What the engine said to an operator's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    Accepted,
    /// Not applied, not journaled: the reason, to show.
    Refused(String),
}

/// What happened, for the front end to show.
#[derive(Debug)]
pub enum Event {
    /// An effect of the engine a screen reacts to (a gate shown, a
    /// countdown, a step settled, the flow complete, an action asked for
    /// or cancelled). Records are journaled, never passed on.
    Effect(Effect),
    /// An action is about to start.
    ActionStarting(Header),
    /// An interactive action waits for the terminal: give it up, call
    /// [`Driver::hand_over`], take it back.
    HandOver(Header),
    /// Output of the running action, masked, already journaled. Only
    /// when [`Driver::echo_output`] asked for it: the full-screen UI draws
    /// from the session's output tail instead.
    Output { stream: Stream, data: String },
    /// SIGINT while an action ran: it is being stopped.
    Cancelling { step: String },
    /// SIGINT while an action runs on a protected target: nothing is
    /// stopped yet. Ask the operator ([`interrupt::protected_run`] says
    /// what); yes is `Msg::CancelRequested`, no is
    /// [`Driver::cancel_declined`]. A second SIGINT meanwhile is a yes.
    CancelAsked { step: String },
    /// A signal arrived; the policy is applied already (the action
    /// cancelled, the session to stop once nothing runs).
    Signal(Sig),
    /// The running step has just passed its slowest rehearsal.
    Overran { step: String, slowest_ms: i64 },
    /// Something the operator should know before going on.
    Warning(String),
}

/// What woke [`Driver::wait`]; give it to [`Driver::handle`].
pub struct Wake(Woke);

enum Woke {
    Action(Watched),
    Signal(Sig),
    Approval(crate::store::approvals::Answer),
    Notified(crate::notify::Attempt),
}

/// How long the end of a session waits for the store to take its last
/// records.
const SHIP_AT_CLOSE: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Driver {
    session: Session,
    journal: JournalWriter<Msg>,
    writer_task: Option<WriterTask>,
    values: HashMap<String, String>,
    secrets: Secrets,
    auto: bool,
    signals: Signals,
    running: Option<Current>,
    /// An interactive action waiting for the front end to give up the
    /// terminal.
    handover: Option<action::Ready>,
    events: VecDeque<Event>,
    /// SIGTERM, SIGHUP or a lost terminal: finish what runs, then stop.
    interrupted: Option<String>,
    /// The operator quit: what runs is cancelled, nothing new starts.
    nothing_new: bool,
    /// The step a SIGINT asked about (`Event::CancelAsked`), unanswered.
    cancel_asked: Option<String>,
    echo_output: bool,
    /// Exported secrets' values, for the next blocks of their target.
    carry: exports::Carry,
    /// Ships each record to the team's store once it is journaled.
    shipper: Option<crate::store::ship::Shipper>,
    /// Asks the team's store for a gate's approvals, and hears them.
    approvals: Option<crate::store::approvals::Watcher>,
    /// The step whose gate's approvals were asked, while it is shown.
    asked: Option<String>,
    /// Tells the webhooks of `notify:` what happens, in the background.
    notifier: Option<crate::notify::Notifier>,
    /// The shared ssh connections the preflight opened: they end with
    /// the driver, that is with the session.
    masters: crate::exec::context::preflight::Masters,
    _lock: SessionLock,
}

impl Driver {
    pub fn new(parts: Parts) -> Result<Driver> {
        let signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
        let mut events = VecDeque::new();
        if let Some(w) = warnings::outside_multiplexer(parts.auto) {
            events.push_back(Event::Warning(w.into()));
        }
        if let Some(w) = exports::lost_on_resume(&parts.session) {
            events.push_back(Event::Warning(w));
        }
        Ok(Driver {
            session: parts.session,
            journal: parts.journal,
            writer_task: parts.writer_task,
            values: parts.values,
            secrets: parts.secrets,
            auto: parts.auto,
            signals,
            running: None,
            handover: None,
            events,
            interrupted: None,
            nothing_new: false,
            cancel_asked: None,
            echo_output: false,
            carry: exports::Carry::default(),
            shipper: None,
            approvals: None,
            asked: None,
            notifier: None,
            masters: Default::default(),
            _lock: parts.lock,
        })
    }

    /// Something the operator should know before going on, for the front
    /// end's next event.
    pub(crate) fn push_warning(&mut self, warning: String) {
        self.events.push_back(Event::Warning(warning));
    }

    /// A warning found before the first step: journaled (`Msg::Warned`,
    /// masked like any text), so the post-mortem has it, and shown by the
    /// front end once it is up (a line on stderr before the full-screen UI
    /// opens would be gone with the alternate screen).
    pub(crate) async fn warn(&mut self, warning: &str) -> Result<()> {
        let text = self.secrets.redact(warning);
        self.submit(Msg::Warned { text: text.clone() }).await?;
        self.push_warning(text);
        Ok(())
    }

    /// From now on, every record goes to the team's store too (`store`),
    /// after the local journal.
    pub fn ship_to(&mut self, conninfo: String) {
        let path = self.journal.path().to_path_buf();
        self.approvals_through(conninfo.clone());
        self.shipper = Some(crate::store::ship::Shipper::start(conninfo, path));
    }

    /// How far the store is behind the journal, when there is one.
    pub fn store_progress(&self) -> Option<crate::store::ship::Progress> {
        self.shipper
            .as_ref()
            .map(crate::store::ship::Shipper::progress)
    }

    /// Pass output on as [`Event::Output`] (the plain console prints it).
    pub fn echo_output(mut self, on: bool) -> Self {
        self.echo_output = on;
        self
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The variables' values, as resolved at start.
    pub fn values(&self) -> &HashMap<String, String> {
        &self.values
    }

    pub fn auto(&self) -> bool {
        self.auto
    }

    /// The session's name: its journal's, as the store and the team say it.
    pub fn session_name(&self) -> String {
        crate::journal::paths::session_name(self.journal.path())
    }

    pub fn journal_path(&self) -> &Path {
        self.journal.path()
    }

    /// An action runs, or waits for the terminal.
    pub fn busy(&self) -> bool {
        self.running.is_some() || self.handover.is_some()
    }

    /// The step whose action runs now.
    pub fn running_step(&self) -> Option<&str> {
        self.running.as_ref().map(|c| c.step.as_str())
    }

    /// Why the session is to stop once nothing runs, taken once.
    pub fn take_interrupted(&mut self) -> Option<String> {
        self.interrupted.take()
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.is_some()
    }

    /// The session is to stop once what runs has ended (the first reason
    /// given is kept).
    pub fn interrupt(&mut self, reason: impl Into<String>) {
        self.interrupted.get_or_insert_with(|| reason.into());
    }

    /// The operator quit: the running action is stopped (not recorded as
    /// a cancel: the step is found as it ended) and nothing new starts.
    pub fn quit(&mut self) {
        self.nothing_new = true;
        if let Some(c) = &self.running {
            c.cancel();
        }
    }

    /// The operator answered no to `Event::CancelAsked`: the command goes
    /// on, and the next SIGINT asks again.
    pub fn cancel_declined(&mut self) {
        self.cancel_asked = None;
    }

    /// A message from the operator: masked, validated, applied, journaled
    /// before anything else happens, and its effects performed.
    pub async fn submit(&mut self, msg: Msg) -> Result<Submitted> {
        // An approval is the store's word about another person: no front
        // end may say it, whatever reaches it.
        if matches!(
            msg,
            Msg::ApprovalRequested { .. } | Msg::Approved { .. } | Msg::Denied { .. }
        ) {
            return Ok(Submitted::Refused(
                "approvals come from the team's store (`runsheet approve`), never from this session"
                    .into(),
            ));
        }
        match self.apply(msg).await? {
            Err(refused) => Ok(Submitted::Refused(refused)),
            Ok(effects) => {
                self.perform(effects).await?;
                Ok(Submitted::Accepted)
            }
        }
    }

    /// Events a front end took and did not show, put back first in line
    /// in their order.
    pub fn requeue(&mut self, events: Vec<Event>) {
        for e in events.into_iter().rev() {
            self.events.push_front(e);
        }
    }

    /// The next event queued, if any; never waits.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next event, waiting for one. Not cancel-safe: inside a
    /// `select!`, use [`Driver::wait`] and [`Driver::handle`].
    pub async fn next_event(&mut self) -> Result<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Ok(e);
            }
            let wake = self.wait().await;
            self.handle(wake).await?;
        }
    }

    /// Waits for the running action or a signal; cancel-safe (nothing is
    /// taken that a dropped wait would lose).
    pub async fn wait(&mut self) -> Wake {
        let approvals = async {
            match &mut self.approvals {
                Some(w) => w.next().await,
                None => std::future::pending().await,
            }
        };
        let notified = async {
            match &mut self.notifier {
                Some(n) => n.next().await,
                None => std::future::pending().await,
            }
        };
        match &mut self.running {
            Some(current) => Wake(tokio::select! {
                w = current.watch() => Woke::Action(w),
                sig = self.signals.next() => Woke::Signal(sig),
                a = approvals => Woke::Approval(a),
                n = notified => Woke::Notified(n),
            }),
            None => Wake(tokio::select! {
                sig = self.signals.next() => Woke::Signal(sig),
                a = approvals => Woke::Approval(a),
                n = notified => Woke::Notified(n),
            }),
        }
    }

    /// Journals and performs what woke the wait; events are queued for
    /// [`Driver::poll_event`].
    pub async fn handle(&mut self, wake: Wake) -> Result<()> {
        match wake.0 {
            Woke::Signal(sig) => self.on_signal(sig).await?,
            Woke::Approval(answer) => self.on_answer(answer).await?,
            Woke::Notified(attempt) => self.on_attempt(attempt).await?,
            Woke::Action(Watched::Clock) => {
                let now = now_ms();
                if let Some(current) = &mut self.running
                    && let Some(slowest_ms) = current.overran(&self.session, now)
                {
                    self.events.push_back(Event::Overran {
                        step: current.step.clone(),
                        slowest_ms,
                    });
                }
            }
            Woke::Action(Watched::Batch(batch)) => {
                let Some((step, index, target)) = self
                    .running
                    .as_ref()
                    .map(|c| (c.step.clone(), c.index, c.target.clone()))
                else {
                    return Ok(());
                };
                for item in batch.items {
                    match item {
                        Item::Output(stream, data) => {
                            if self.echo_output {
                                self.events.push_back(Event::Output {
                                    stream,
                                    data: data.clone(),
                                });
                            }
                            let msg = Msg::Output {
                                step: step.clone(),
                                action: index,
                                stream,
                                data,
                            };
                            self.apply_own(msg).await?;
                        }
                        Item::Record(msg, ack) => {
                            // The engine's refusal (two targets on one
                            // database) goes back to the action, which
                            // stops; only a journal failure is fatal here.
                            let verdict = self.apply(*msg).await?.map(|_| ());
                            let _ = ack.send(verdict);
                        }
                    }
                }
                if let Some(outcome) = batch.finished {
                    self.exported((&step, index, &target), batch.exported)
                        .await?;
                    self.running = None;
                    self.cancel_asked = None;
                    self.finished(&step, index, outcome).await?;
                }
            }
        }
        Ok(())
    }

    /// Runs the interactive action the last [`Event::HandOver`] announced,
    /// on the real terminal, to its end.
    pub async fn hand_over(&mut self) -> Result<()> {
        let Some(ready) = self.handover.take() else {
            return Ok(());
        };
        let done = action::run_interactive(&ready).await;
        let (step, index) = (ready.header.step, ready.header.index);
        self.apply_own(Msg::ActionStarted {
            step: step.clone(),
            action: index,
            pid: done.pid,
        })
        .await?;
        self.exported((&step, index, &ready.header.target), done.exported)
            .await?;
        self.finished(&step, index, done.outcome).await
    }

    /// Ends a session that a check before its first step refused: the
    /// reason, its secrets masked, is journaled as how it ended, and
    /// returned for the operator.
    pub async fn refuse_start(self, refused: &str) -> Result<String> {
        let why = self.secrets().redact(refused);
        self.close(&RunEnd::Interrupted {
            reason: why.clone(),
        })
        .await?;
        Ok(why)
    }

    /// Records how the session ended (if it ends this way: a stopped one
    /// stays open for resume), then flushes, syncs and closes the journal.
    pub async fn close(mut self, end: &RunEnd) -> Result<()> {
        self.settle_notifications().await?;
        if let Some(msg) = end.closing_record() {
            self.apply_own(msg).await?;
        }
        self.journal
            .clone()
            .close()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(task) = self.writer_task.take() {
            task.wait().await.map_err(|e| e.to_string())?;
        }
        self.finish_approvals().await;
        self.notify_end(end).await;
        if let Some(shipper) = self.shipper.take() {
            let left = shipper.finish(SHIP_AT_CLOSE).await;
            if left.behind() > 0 {
                eprintln!(
                    "store: {} of the session's {} records are not in the store yet ({}); `runsheet store push {}` sends them",
                    left.behind(),
                    left.local,
                    left.error.as_deref().unwrap_or("it did not answer in time"),
                    self.journal.path().display()
                );
            }
        }
        Ok(())
    }

    /// After a fatal error: closes the journal as far as it can.
    pub async fn abandon(self) {
        let _ = self.journal.clone().close().await;
    }

    /// The signal policy, the same in every front end.
    async fn on_signal(&mut self, sig: Sig) -> Result<()> {
        match sig {
            Sig::Int => {
                // Stops the running step (recorded); with nothing running,
                // the front end decides (the console's question quits). On
                // a protected target it asks first, unless nobody can
                // answer (`--auto`) or it has asked already (a second
                // Ctrl-C is the answer).
                if let Some(step) = self.running_step().map(str::to_string) {
                    let protected =
                        interrupt::protected_run(&self.session).is_some_and(|r| r.step == step);
                    if protected && !self.auto && self.cancel_asked.as_deref() != Some(&step) {
                        self.cancel_asked = Some(step.clone());
                        self.events.push_back(Event::CancelAsked { step });
                        self.events.push_back(Event::Signal(sig));
                        return Ok(());
                    }
                    self.cancel_asked = None;
                    self.events
                        .push_back(Event::Cancelling { step: step.clone() });
                    if let Ok(effects) = self.apply(Msg::CancelRequested { step }).await? {
                        self.perform(effects).await?;
                    }
                    if let Some(c) = &self.running {
                        c.cancel();
                    }
                }
            }
            Sig::Term => {
                // Asked to stop: stop the step too (nothing is left
                // behind), record how it ended, stop resumably.
                self.interrupt(sig.describe());
                if let Some(c) = &self.running {
                    c.cancel();
                }
            }
            Sig::Hup => {
                // The operator's connection dropped, not their decision:
                // the step (a two-hour restore, say) runs to its end and
                // is journaled; nothing new starts.
                self.interrupt(sig.describe());
            }
        }
        self.events.push_back(Event::Signal(sig));
        Ok(())
    }

    /// Journals what a shell block exported (secrets masked), before its
    /// end, so the block its end starts already gets it.
    async fn exported(
        &mut self,
        at: (&str, usize, &str),
        vars: Vec<(String, String)>,
    ) -> Result<()> {
        if let Some(msg) = self
            .carry
            .record(&self.session, &mut self.secrets, at, vars)
        {
            self.apply_own(msg).await?;
        }
        Ok(())
    }

    async fn finished(&mut self, step: &str, index: usize, outcome: ActionOutcome) -> Result<()> {
        let outcome = crate::session::shell_failure::locate(&self.session, step, index, outcome);
        let effects = self
            .apply_own(Msg::ActionFinished {
                step: step.into(),
                action: index,
                outcome,
            })
            .await?;
        self.perform(effects).await
    }

    /// Carries out effects in order: actions are started, everything a
    /// screen reacts to is queued as an event.
    async fn perform(&mut self, effects: Vec<Effect>) -> Result<()> {
        let mut work: VecDeque<Effect> = effects.into();
        while let Some(effect) = work.pop_front() {
            match effect {
                Effect::Record(_) => {}
                Effect::RunAction { step, action } => {
                    if self.interrupted.is_some() || self.nothing_new {
                        // Stopping: record how things ended, start nothing.
                        continue;
                    }
                    self.events.push_back(Event::Effect(Effect::RunAction {
                        step: step.clone(),
                        action,
                    }));
                    work.extend(self.start(&step, action).await?);
                }
                Effect::CancelAction { step } => {
                    if let Some(c) = &self.running {
                        c.cancel();
                    }
                    self.events
                        .push_back(Event::Effect(Effect::CancelAction { step }));
                }
                other => {
                    self.announce_effect(&other);
                    if let Effect::ShowGate(gate) = &other {
                        self.gate_shown(gate);
                    }
                    self.events.push_back(Event::Effect(other));
                }
            }
        }
        self.close_gone_request();
        Ok(())
    }

    /// Starts an action; returns the effects of one that ended at once.
    async fn start(&mut self, step: &str, index: usize) -> Result<Vec<Effect>> {
        let mut ready = action::prepare(&self.session, &self.values, &self.secrets, step, index)?;
        if ready.is_shell() {
            let carried = self.carry.vars_for(&self.session, &ready.header.target);
            ready.carry(&self.session, carried);
        }
        if ready.header.interactive {
            self.events
                .push_back(Event::ActionStarting(ready.header.clone()));
            self.events.push_back(Event::HandOver(ready.header.clone()));
            self.handover = Some(ready);
            return Ok(Vec::new());
        }
        self.events
            .push_back(Event::ActionStarting(ready.header.clone()));
        let slowest = self.session.rehearsed().get(step).map(|r| r.slowest_ms);
        match Current::spawn(&ready, &self.secrets, slowest) {
            Ok(current) => {
                let pid = current.pid();
                self.running = Some(current);
                self.apply_own(Msg::ActionStarted {
                    step: step.into(),
                    action: index,
                    pid,
                })
                .await
            }
            Err(outcome) => {
                self.apply_own(Msg::ActionFinished {
                    step: step.into(),
                    action: index,
                    outcome,
                })
                .await
            }
        }
    }

    async fn apply_own(&mut self, msg: Msg) -> Result<Vec<Effect>> {
        self.apply(msg)
            .await?
            .map_err(|r| format!("runsheet refused its own step: {r}"))
    }

    /// The one place a message meets the engine: masked, validated,
    /// applied, then journaled before anything else happens. The outer
    /// error is fatal (the journal failed); the inner one is a refusal.
    async fn apply(&mut self, msg: Msg) -> Result<std::result::Result<Vec<Effect>, String>> {
        let msg = mask(msg, &self.secrets);
        let at = now_ms();
        match self.session.update(at, msg) {
            Ok(effects) => {
                let rest = record(&self.journal, at, effects).await?;
                if let Some(s) = &self.shipper {
                    s.poke();
                }
                Ok(Ok(rest))
            }
            Err(r) => Ok(Err(r.0)),
        }
    }
}

/// Journals the effects' records (synced, except output, before this
/// returns) and gives back the others.
async fn record(
    journal: &JournalWriter<Msg>,
    at: i64,
    effects: Vec<Effect>,
) -> Result<Vec<Effect>> {
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
                    .append_fields(clock::ts(at), m.into_journal_fields()?, durability)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            other => rest.push(other),
        }
    }
    Ok(rest)
}

/// Masks every free-text field of a message (what the operator typed at a
/// gate or as a note or a reason, an error's text, a native action's
/// result) before it is checked, applied or journaled. Every message goes
/// through here, and `Msg::free_text_mut` lists the fields, so a field
/// added later is masked without anyone remembering to.
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
