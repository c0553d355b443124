//! The driver's one door to "running an action" (`crate::action`):
//! prepare, spawn, next batch, cancel, interactive. Every
//! use of that API is here, so a move or a rename touches this file only.

use crate::action::{self as runtime, Prepared, Running};
use crate::secrets::Secrets;
use crate::session::{ActionOutcome, Session};
use std::collections::HashMap;
use std::time::Duration;

pub use crate::action::{Batch, Item};

/// What a front end shows as an action starts.
#[derive(Clone, Debug)]
pub struct Header {
    pub step: String,
    pub index: usize,
    pub action: crate::runbook::model::Action,
    pub target: String,
    pub timeout: Duration,
    /// It gets the terminal until it exits (`Event::HandOver` follows).
    pub interactive: bool,
}

/// An action resolved from the session, not started yet.
pub(super) struct Ready {
    prepared: Prepared,
    pub(super) header: Header,
}

impl Ready {
    /// A shell block: it runs in a shell, so it gets what earlier blocks
    /// of its target exported.
    pub(super) fn is_shell(&self) -> bool {
        self.prepared.interpreter.is_some()
    }

    /// Adds carried variables to its environment: an earlier block's
    /// export wins over the runbook's value and the target's `env`, as the
    /// later assignment does in a terminal. In the sandbox, what they hold
    /// may be a real host the block would now reach: it is looked at again.
    pub(super) fn carry(
        &mut self,
        session: &Session,
        vars: impl IntoIterator<Item = (String, String)>,
    ) {
        let mut exported = Vec::new();
        for (name, value) in vars {
            exported.push(name.clone());
            match self.prepared.env.iter_mut().find(|(k, _)| *k == name) {
                Some(entry) => entry.1 = value,
                None => self.prepared.env.push((name, value)),
            }
        }
        if exported.is_empty() || self.prepared.refused.is_some() {
            return;
        }
        let process_env = |n: &str| std::env::var(n).ok();
        self.prepared.refused = runtime::reach::refusal(
            session.info().sandbox,
            &runtime::reach::Reach {
                action: &self.prepared.action,
                target: session.target(&self.prepared.target),
                env: &self.prepared.env,
                exported: &exported,
                databases: &[],
                process_env: &process_env,
            },
        );
    }
}

pub(super) fn prepare(
    session: &Session,
    values: &HashMap<String, String>,
    secrets: &Secrets,
    step: &str,
    index: usize,
) -> Result<Ready, String> {
    let prepared = runtime::prepare(session, values, secrets, step, index)?;
    // Shown as the runbook writes it, not as rewritten to run (a
    // placeholder's `"${NAMESPACE}"`).
    let written = session
        .step(step)
        .and_then(|(_, s)| s.actions.get(index).cloned())
        .unwrap_or_else(|| prepared.action.clone());
    let header = Header {
        step: step.to_string(),
        index,
        action: written,
        target: prepared.target.clone(),
        timeout: prepared.timeout,
        interactive: prepared.action.interactive && prepared.interpreter.is_some(),
    };
    Ok(Ready { prepared, header })
}

/// The action that runs now, with what the driver watches beside it.
pub(super) struct Current {
    pub(super) step: String,
    pub(super) index: usize,
    pub(super) target: String,
    running: Running,
    /// The step's slowest rehearsal, until the step has passed it once.
    overrun: Option<i64>,
    clock: tokio::time::Interval,
}

/// What woke a running action's watch.
pub(super) enum Watched {
    Batch(Batch),
    /// A second passed: time to look at the rehearsals again.
    Clock,
}

impl Current {
    /// Spawns a non-interactive action; the error is the outcome of one
    /// that could not start.
    pub(super) fn spawn(
        ready: &Ready,
        secrets: &Secrets,
        slowest_rehearsal: Option<i64>,
    ) -> Result<Current, ActionOutcome> {
        let running = Running::spawn(&ready.prepared, secrets)?;
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Ok(Current {
            step: ready.header.step.clone(),
            index: ready.header.index,
            target: ready.header.target.clone(),
            running,
            overrun: slowest_rehearsal,
            clock,
        })
    }

    pub(super) fn pid(&self) -> Option<u32> {
        self.running.pid()
    }

    pub(super) fn cancel(&self) {
        self.running.cancel();
    }

    /// Cancel-safe: waits for the next batch, or the overrun clock while
    /// the step has not passed its slowest rehearsal.
    pub(super) async fn watch(&mut self) -> Watched {
        let watching = self.overrun.is_some();
        tokio::select! {
            batch = self.running.next() => Watched::Batch(batch),
            _ = self.clock.tick(), if watching => Watched::Clock,
        }
    }

    /// The slowest rehearsal, once, when the step has just passed it.
    pub(super) fn overran(&mut self, session: &Session, now: i64) -> Option<i64> {
        let slowest = self.overrun?;
        if !session.overran_rehearsals(&self.step, now) {
            return None;
        }
        self.overrun = None;
        Some(slowest)
    }
}

/// Runs an interactive action on the real terminal to its end.
pub(super) async fn run_interactive(ready: &Ready) -> runtime::Interactive {
    runtime::run_interactive(&ready.prepared).await
}
