//! Actions that run inside runsheet (a query, a comparison, a batched
//! migration) rather than as a child process. They speak to the runner as a
//! shell command does, through events: text for the output pane, and
//! records that must be journaled before they go on (a batch's transaction
//! id before its COMMIT). Timeout and cancel reach them as a signal they
//! answer by stopping cleanly; one that does not within the grace period is
//! dropped.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use crate::session::{ActionOutcome, Msg};

pub enum TaskEvent {
    /// Text for the output pane and the journal (redacted on the way).
    Output(String),
    /// A record to journal; answered once it is on disk, or with the
    /// engine's reason for refusing it.
    Record(Msg, oneshot::Sender<Result<(), String>>),
    Finished(ActionOutcome),
}

/// What a running task holds to talk to the runner.
#[derive(Clone)]
pub struct TaskCtx {
    tx: mpsc::Sender<TaskEvent>,
    stop: watch::Receiver<Option<Stop>>,
}

/// Why a task is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    TimedOut,
}

/// The runner is gone (`None`) or refused the record (its reason): the
/// task must not go on.
#[derive(Debug)]
pub struct Refused(pub Option<String>);

impl TaskCtx {
    pub async fn print(&self, text: impl Into<String>) {
        let _ = self.tx.send(TaskEvent::Output(text.into())).await;
    }

    /// Journals `msg` and returns once it is synced.
    pub async fn record(&self, msg: Msg) -> Result<(), Refused> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(TaskEvent::Record(msg, ack))
            .await
            .map_err(|_| Refused(None))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(Refused(Some(reason))),
            Err(_) => Err(Refused(None)),
        }
    }

    /// Whether a stop was asked for, and why.
    pub fn stop_requested(&self) -> Option<Stop> {
        *self.stop.borrow()
    }

    /// Resolves when the task is asked to stop.
    pub async fn stopped(&self) -> Stop {
        let mut rx = self.stop.clone();
        loop {
            if let Some(stop) = *rx.borrow_and_update() {
                return stop;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

pub struct TaskHandle {
    stop: watch::Sender<Option<Stop>>,
    join: tokio::task::JoinHandle<()>,
}

impl TaskHandle {
    pub fn cancel(&self) {
        self.stop.send_if_modified(|s| {
            let first = s.is_none();
            if first {
                *s = Some(Stop::Cancelled);
            }
            first
        });
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.join.abort();
    }
}

/// Starts `task`; its outcome arrives as the last event. `grace` is how long
/// a task asked to stop has to do so before it is dropped.
pub fn spawn<F, Fut>(
    timeout: Duration,
    grace: Duration,
    task: F,
) -> (TaskHandle, mpsc::Receiver<TaskEvent>)
where
    F: FnOnce(TaskCtx) -> Fut,
    Fut: Future<Output = ActionOutcome> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    let (stop_tx, stop_rx) = watch::channel(None);
    let ctx = TaskCtx {
        tx: tx.clone(),
        stop: stop_rx.clone(),
    };
    let work = task(ctx);
    let stop_for_timeout = stop_tx.clone();
    let join = tokio::spawn(async move {
        let started = Instant::now();
        let mut outcome = supervise(work, timeout, grace, stop_for_timeout, stop_rx).await;
        outcome.duration_ms = started.elapsed().as_millis() as u64;
        let _ = tx.send(TaskEvent::Finished(outcome)).await;
    });
    (
        TaskHandle {
            stop: stop_tx,
            join,
        },
        rx,
    )
}

async fn supervise(
    work: impl Future<Output = ActionOutcome>,
    timeout: Duration,
    grace: Duration,
    stop_tx: watch::Sender<Option<Stop>>,
    mut stop_rx: watch::Receiver<Option<Stop>>,
) -> ActionOutcome {
    tokio::pin!(work);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let stop = tokio::select! {
        outcome = &mut work => return outcome,
        () = &mut deadline => {
            stop_tx.send_if_modified(|s| {
                let first = s.is_none();
                if first {
                    *s = Some(Stop::TimedOut);
                }
                first
            });
            stop_tx.borrow().unwrap_or(Stop::TimedOut)
        }
        stop = wait_stop(&mut stop_rx) => stop,
    };
    // Asked to stop: it may be committing or cancelling its query; give
    // it the grace period to end cleanly.
    let mut outcome = match tokio::time::timeout(grace, &mut work).await {
        Ok(outcome) => outcome,
        Err(_) => ActionOutcome {
            error: Some(format!(
                "did not stop within {}s of being asked; abandoned",
                grace.as_secs()
            )),
            ..ActionOutcome::default()
        },
    };
    match stop {
        Stop::Cancelled => outcome.cancelled = true,
        Stop::TimedOut => outcome.timed_out = true,
    }
    outcome
}

async fn wait_stop(rx: &mut watch::Receiver<Option<Stop>>) -> Stop {
    loop {
        if let Some(stop) = *rx.borrow_and_update() {
            return stop;
        }
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> ActionOutcome {
        ActionOutcome {
            exit_code: Some(0),
            ..ActionOutcome::default()
        }
    }

    async fn collect(mut rx: mpsc::Receiver<TaskEvent>) -> (Vec<String>, Option<ActionOutcome>) {
        let mut out = Vec::new();
        while let Some(ev) = rx.recv().await {
            match ev {
                TaskEvent::Output(t) => out.push(t),
                TaskEvent::Record(m, ack) => {
                    out.push(format!("record {:?}", m.step()));
                    let _ = ack.send(Ok(()));
                }
                TaskEvent::Finished(o) => return (out, Some(o)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn output_and_records_arrive_in_order_then_the_outcome() {
        let (_h, rx) = spawn(
            Duration::from_secs(5),
            Duration::from_secs(1),
            |ctx| async move {
                ctx.print("a").await;
                if ctx
                    .record(Msg::ConfirmedDone { step: "s".into() })
                    .await
                    .is_err()
                {
                    return ActionOutcome::default();
                }
                ctx.print("b").await;
                ok()
            },
        );
        let (out, outcome) = collect(rx).await;
        assert_eq!(out, vec!["a", "record Some(\"s\")", "b"]);
        assert_eq!(outcome.and_then(|o| o.exit_code), Some(0));
    }

    #[tokio::test]
    async fn a_timeout_asks_the_task_to_stop_and_says_so() {
        let (_h, rx) = spawn(
            Duration::from_millis(50),
            Duration::from_secs(1),
            |ctx| async move {
                let why = ctx.stopped().await;
                ctx.print(format!("{why:?}")).await;
                ActionOutcome::default()
            },
        );
        let (out, outcome) = collect(rx).await;
        assert_eq!(out, vec!["TimedOut"]);
        assert!(outcome.is_some_and(|o| o.timed_out && !o.cancelled));
    }

    #[tokio::test]
    async fn a_task_that_ignores_cancel_is_abandoned_after_the_grace() {
        let (h, rx) = spawn(
            Duration::from_secs(60),
            Duration::from_millis(50),
            |_ctx| async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                ok()
            },
        );
        h.cancel();
        let (_, outcome) = collect(rx).await;
        let outcome = outcome.unwrap_or_default();
        assert!(outcome.cancelled);
        assert!(outcome.error.is_some_and(|e| e.contains("abandoned")));
    }
}
