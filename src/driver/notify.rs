//! The driver's side of `notify:`: what the engine does (a start, a gate,
//! a wait for approvals, a failure, a rollback, the end) is put in words,
//! masked, and handed to the background senders; each attempt they make
//! comes back through [`Driver::wait`] and is journaled
//! (`Msg::Notified`). The session never waits for a webhook, but for a
//! few seconds at its end.

use super::{Driver, Event, Result, RunEnd};
use crate::notify::{Attempt, Backoff, Notifier, Webhook};
use crate::runbook::notify::NotifyEvent;
use crate::session::{Effect, Msg, StepStatus};
use std::time::Duration;

/// How long the end of a session waits for notifications still being
/// tried (a webhook that is down gives up within this), then for the last
/// one, the end with its final hash.
const NOTIFY_AT_CLOSE: Duration = Duration::from_secs(3);
const END_AT_CLOSE: Duration = Duration::from_secs(3);

impl Driver {
    /// From now on, the session's events are told to `hooks`; their URLs
    /// join the secrets, and the start (or resume) is the first told.
    pub fn notify_to(&mut self, hooks: Vec<Webhook>, resumed: bool) {
        if hooks.is_empty() {
            return;
        }
        for h in &hooks {
            self.secrets.add(h.url().to_string());
        }
        match Notifier::start(hooks, Backoff::default()) {
            Ok(n) => self.notifier = Some(n),
            Err(e) => {
                self.events
                    .push_back(Event::Warning(format!("notifications are not sent: {e}")));
                return;
            }
        }
        let info = self.session.info();
        let what = format!(
            "▶ {} by {} on {}",
            if resumed { "resumed" } else { "started" },
            info.operator,
            info.host
        );
        self.announce(NotifyEvent::Start, &what);
    }

    /// Hands `what` to the webhooks that hear `event`, masked, after the
    /// line saying which session it is.
    fn announce(&mut self, event: NotifyEvent, what: &str) {
        if !self.notifier.as_ref().is_some_and(|n| n.hears(event)) {
            return;
        }
        let text = self.secrets.redact(&format!("{}\n{what}", self.headline()));
        if let Some(n) = &mut self.notifier {
            n.send(event, &text);
        }
    }

    /// "runsheet · “Title” on `production` · session NAME".
    fn headline(&self) -> String {
        let info = self.session.info();
        format!(
            "runsheet · “{}” on `{}`{} · session {}",
            self.session.runbook().title,
            info.target,
            if info.drill || info.sandbox {
                " (rehearsal)"
            } else {
                ""
            },
            self.session_name()
        )
    }

    /// The effects a webhook hears of, put in words.
    pub(super) fn announce_effect(&mut self, effect: &Effect) {
        if self.notifier.is_none() {
            return;
        }
        let title = |id: &str| self.session.step_title(id);
        let (event, what) = match effect {
            Effect::ShowGate(g) => (
                NotifyEvent::Gate,
                format!(
                    "⏸ waiting at the gate of “{}”: the name of `{}` must be typed{}",
                    title(&g.step),
                    g.target,
                    match g.approvals {
                        0 => String::new(),
                        1 => ", and another person must approve".into(),
                        n => format!(", and {n} other people must approve"),
                    }
                ),
            ),
            Effect::AwaitingApprovals { step, missing } => (
                NotifyEvent::Approval,
                format!(
                    "⏸ “{}” waits for {missing} approval{} from another person (`runsheet approve`)",
                    title(step),
                    if *missing == 1 { "" } else { "s" }
                ),
            ),
            Effect::StepSettled { step } => match self.session.state(step).map(|s| &s.status) {
                Some(StepStatus::Failed { reason }) => (
                    NotifyEvent::Failure,
                    format!("✖ “{}” failed: {reason}", title(step)),
                ),
                _ => return,
            },
            Effect::RollbackChosen { failed, rollback } => (
                NotifyEvent::Rollback,
                format!(
                    "↩ rolling back: “{}” undoes “{}”",
                    title(rollback),
                    title(failed)
                ),
            ),
            _ => return,
        };
        self.announce(event, &what);
    }

    /// An attempt the senders made, journaled.
    pub(super) async fn on_attempt(&mut self, a: Attempt) -> Result<()> {
        self.apply_own(Msg::Notified {
            event: a.event.name().into(),
            to: a.to,
            attempt: a.attempt,
            status: a.status,
            error: a.error,
        })
        .await
        .map(|_| ())
    }

    /// Before the closing record: the notifications still being tried get
    /// a few seconds, every attempt is journaled, and what is still not
    /// delivered then is journaled as given up.
    pub(super) async fn settle_notifications(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + NOTIFY_AT_CLOSE;
        loop {
            let Some(n) = &mut self.notifier else {
                return Ok(());
            };
            if n.pending() == 0 {
                break;
            }
            match tokio::time::timeout_at(deadline, n.next()).await {
                Ok(a) => self.on_attempt(a).await?,
                Err(_) => break,
            }
        }
        let Some(n) = &mut self.notifier else {
            return Ok(());
        };
        let (made, given_up) = n.stop();
        for a in made {
            self.on_attempt(a).await?;
        }
        for g in given_up {
            self.apply_own(Msg::Notified {
                event: g.event.name().into(),
                to: g.to,
                attempt: g.attempt,
                status: None,
                error: Some("given up: the session ended before it was delivered".into()),
            })
            .await?;
        }
        Ok(())
    }

    /// Once the journal is closed: the end, with the final hash that
    /// `runsheet verify` prints. What became of it cannot be journaled (it
    /// would change that hash): a failure is said on stderr.
    pub(super) async fn notify_end(&mut self, end: &RunEnd) {
        let Some(n) = self.notifier.take() else {
            return;
        };
        if !n.hears(NotifyEvent::End) {
            return;
        }
        let path = self.journal.path().to_path_buf();
        let evidence = match crate::evidence::tail(&path) {
            Some(t) => format!(
                "final hash: {} ({} records)\ncheck it: {}",
                t.final_hash,
                t.records,
                crate::evidence::verify_command(&path, &t.final_hash)
            ),
            None => "the journal has no record".into(),
        };
        let text = self.secrets.redact(&format!(
            "{}\n{}\n{evidence}",
            self.headline(),
            end.summary()
        ));
        let hooks = n.hearing(NotifyEvent::End);
        let attempts = n.last(&text, END_AT_CLOSE).await;
        for to in hooks {
            let last = attempts.iter().rev().find(|a| a.to == to);
            let why = match last {
                Some(a) if a.delivered() => continue,
                Some(Attempt {
                    status: Some(s), ..
                }) => format!("it answered {s}"),
                Some(Attempt { error: Some(e), .. }) => self.secrets.redact(e),
                _ => "no answer in time".into(),
            };
            eprintln!(
                "notify: the end of the session was not delivered to {to} after {} attempt{} ({why})",
                last.map_or(1, |a| a.attempt),
                if last.is_none_or(|a| a.attempt == 1) {
                    ""
                } else {
                    "s"
                }
            );
        }
    }
}
