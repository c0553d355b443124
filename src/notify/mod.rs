//! Sends the session's notifications (`notify:`) to webhooks, in the
//! background: a Slack-compatible JSON body (`{"text": …}`) POSTed, a 2xx
//! answer delivers it, anything else is tried again with back-off. A
//! webhook that is slow, down or wrong never holds up or fails the
//! session: the driver hands a notification over and goes on, and each
//! attempt comes back to it (`Notifier::next`) to be journaled.
//!
//! The text handed over is masked already; the URL is never journaled
//! nor shown (a Slack webhook's URL is its credential), only its scheme
//! and host (`Webhook::to`).

use crate::runbook::notify::{Hook, NotifyEvent};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::mpsc;

/// How a delivery is tried: `attempts` in all, the first wait `first`,
/// doubling after each failure; each request given up after `timeout`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub attempts: u32,
    pub first: Duration,
    pub timeout: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        // 0.5 s, 1 s, 2 s, 4 s between the five attempts: a webhook that
        // blinked is reached within seconds, one that is down costs about
        // eight seconds of a background task.
        Backoff {
            attempts: 5,
            first: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A webhook with its URL resolved.
#[derive(Clone, Debug)]
pub struct Webhook {
    url: reqwest::Url,
    /// Scheme and host (and port), what the journal and the screen say.
    pub to: String,
    pub on: Vec<NotifyEvent>,
}

impl Webhook {
    /// The whole URL, to be added to the session's secrets.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }
}

/// The webhooks of the runbook and of the config file, their `$VAR`s
/// resolved from the session's values then the environment; what could
/// not be resolved is said (with the URL as written, never its value).
pub fn resolve(
    hooks: &[Hook],
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Webhook>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for hook in hooks {
        let written = &hook.url;
        let resolved = crate::runbook::vars::expand(written, values, env);
        if resolved.contains('$') || resolved.contains("{{") || resolved.trim().is_empty() {
            warnings.push(format!(
                "notify: the webhook `{written}` is not set (no such variable in the session or the environment): it is not told of this session"
            ));
            continue;
        }
        let url = match reqwest::Url::parse(resolved.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => {
                warnings.push(format!(
                    "notify: the webhook `{written}` is not an http(s) URL: it is not told of this session"
                ));
                continue;
            }
        };
        let to = match url.port() {
            Some(p) => format!("{}://{}:{p}", url.scheme(), url.host_str().unwrap_or("")),
            None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
        };
        // The same webhook in the runbook and the config file is told once.
        if let Some(same) = out.iter_mut().find(|w: &&mut Webhook| w.url == url) {
            for e in &hook.on {
                if !same.on.contains(e) {
                    same.on.push(*e);
                }
            }
            continue;
        }
        out.push(Webhook {
            url,
            to,
            on: hook.on.clone(),
        });
    }
    (out, warnings)
}

/// One attempt to deliver a notification, for the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub event: NotifyEvent,
    pub to: String,
    pub attempt: u32,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// Why there was no answer, or why it was not taken.
    pub error: Option<String>,
    /// Nothing more will be tried for this delivery.
    pub settled: bool,
    delivery: u64,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A delivery that had not settled when the session ended: the next
/// attempt it would have made, never made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GivenUp {
    pub event: NotifyEvent,
    pub to: String,
    pub attempt: u32,
}

struct Job {
    delivery: u64,
    event: NotifyEvent,
    body: serde_json::Value,
}

struct Worker {
    hook: Webhook,
    jobs: mpsc::UnboundedSender<Job>,
    task: tokio::task::JoinHandle<()>,
}

/// The webhooks' background senders: one task per webhook, so its
/// notifications arrive in the order they were given.
pub struct Notifier {
    workers: Vec<Worker>,
    client: reqwest::Client,
    backoff: Backoff,
    results: mpsc::UnboundedReceiver<Attempt>,
    /// Kept so the channel never closes and `next` waits while idle.
    results_tx: mpsc::UnboundedSender<Attempt>,
    /// Deliveries not settled yet: event, webhook, attempts made.
    open: BTreeMap<u64, (NotifyEvent, String, u32)>,
    next_id: u64,
}

impl Notifier {
    pub fn start(hooks: Vec<Webhook>, backoff: Backoff) -> Result<Notifier, String> {
        let client = client(backoff)?;
        let (results_tx, results) = mpsc::unbounded_channel();
        let workers = hooks
            .into_iter()
            .map(|hook| {
                let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
                let (client, tx, h) = (client.clone(), results_tx.clone(), hook.clone());
                let task = tokio::spawn(async move {
                    while let Some(job) = rx.recv().await {
                        deliver(&client, &h, &job, backoff, &tx).await;
                    }
                });
                Worker { hook, jobs, task }
            })
            .collect();
        Ok(Notifier {
            workers,
            client,
            backoff,
            results,
            results_tx,
            open: BTreeMap::new(),
            next_id: 0,
        })
    }

    /// Whether some webhook hears `event`.
    pub fn hears(&self, event: NotifyEvent) -> bool {
        self.workers.iter().any(|w| w.hook.on.contains(&event))
    }

    /// The webhooks (`Webhook::to`) that hear `event`.
    pub fn hearing(&self, event: NotifyEvent) -> Vec<String> {
        self.workers
            .iter()
            .filter(|w| w.hook.on.contains(&event))
            .map(|w| w.hook.to.clone())
            .collect()
    }

    /// Hands `text` (masked already) to every webhook that hears `event`;
    /// never waits.
    pub fn send(&mut self, event: NotifyEvent, text: &str) {
        for w in &self.workers {
            if !w.hook.on.contains(&event) {
                continue;
            }
            self.next_id += 1;
            let job = Job {
                delivery: self.next_id,
                event,
                body: body(text),
            };
            if w.jobs.send(job).is_ok() {
                self.open
                    .insert(self.next_id, (event, w.hook.to.clone(), 0));
            }
        }
    }

    /// The next attempt made; cancel-safe, and waits for ever while
    /// nothing is being sent.
    pub async fn next(&mut self) -> Attempt {
        match self.results.recv().await {
            Some(a) => {
                if a.settled {
                    self.open.remove(&a.delivery);
                } else if let Some(o) = self.open.get_mut(&a.delivery) {
                    o.2 = a.attempt;
                }
                a
            }
            // Unreachable while `results_tx` lives; wait rather than spin.
            None => std::future::pending().await,
        }
    }

    /// Deliveries not settled yet.
    pub fn pending(&self) -> usize {
        self.open.len()
    }

    /// Stops the senders: the attempts they made that were not taken
    /// yet, then each delivery not settled, given up as the attempt it
    /// would have made next.
    pub fn stop(&mut self) -> (Vec<Attempt>, Vec<GivenUp>) {
        for w in &self.workers {
            w.task.abort();
        }
        let mut made = Vec::new();
        while let Ok(a) = self.results.try_recv() {
            if a.settled {
                self.open.remove(&a.delivery);
            } else if let Some(o) = self.open.get_mut(&a.delivery) {
                o.2 = a.attempt;
            }
            made.push(a);
        }
        let given_up = std::mem::take(&mut self.open)
            .into_values()
            .map(|(event, to, made)| GivenUp {
                event,
                to,
                attempt: made + 1,
            })
            .collect();
        (made, given_up)
    }

    /// The last notification (`end`), sent to the webhooks that hear it
    /// once the journal is closed: it carries the final hash, so what
    /// became of it cannot be journaled without changing that hash. Waits
    /// at most `budget`; returns every attempt made.
    pub async fn last(self, text: &str, budget: Duration) -> Vec<Attempt> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let body = body(text);
        let sends = self
            .workers
            .iter()
            .filter(|w| w.hook.on.contains(&NotifyEvent::End))
            .map(|w| {
                let job = Job {
                    delivery: 0,
                    event: NotifyEvent::End,
                    body: body.clone(),
                };
                let (client, tx) = (&self.client, tx.clone());
                async move { deliver(client, &w.hook, &job, self.backoff, &tx).await }
            })
            .collect::<Vec<_>>();
        drop(tx);
        let _ = tokio::time::timeout(budget, futures::future::join_all(sends)).await;
        let mut out = Vec::new();
        while let Ok(a) = rx.try_recv() {
            out.push(a);
        }
        drop(self.results_tx);
        out
    }
}

fn client(backoff: Backoff) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        // A webhook that redirects is misconfigured; following it would
        // carry the message somewhere not chosen.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("runsheet/", env!("CARGO_PKG_VERSION")))
        .timeout(backoff.timeout);
    crate::http::client::trusting(builder)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| format!("notify: cannot make an HTTP client: {e}"))
}

/// Slack's incoming-webhook body, which Mattermost, Rocket.Chat, Discord's
/// `/slack` endpoint and most chat tools take as well.
fn body(text: &str) -> serde_json::Value {
    serde_json::json!({ "text": text })
}

/// Tries one delivery to its end (delivered, refused for good, or out of
/// attempts), each attempt sent back as it is made.
async fn deliver(
    client: &reqwest::Client,
    hook: &Webhook,
    job: &Job,
    backoff: Backoff,
    tx: &mpsc::UnboundedSender<Attempt>,
) {
    let mut wait = backoff.first;
    for attempt in 1..=backoff.attempts.max(1) {
        let (status, error) = match client.post(hook.url.clone()).json(&job.body).send().await {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(describe(e))),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        // A 4xx other than "too many" or "timeout" is the webhook saying
        // no (revoked, wrong channel): asking again changes nothing.
        let refused = status.is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429);
        let settled = delivered || refused || attempt >= backoff.attempts;
        let _ = tx.send(Attempt {
            event: job.event,
            to: hook.to.clone(),
            attempt,
            status,
            error,
            settled,
            delivery: job.delivery,
        });
        if settled {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2);
    }
}

/// An error's text with its causes and without the URL (its path is the
/// webhook's secret).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = if e.is_timeout() {
        "no answer in time".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> Hook {
        Hook {
            url: url.into(),
            on: NotifyEvent::ALL.to_vec(),
        }
    }

    #[test]
    fn a_webhook_is_resolved_and_named_by_its_host_alone() {
        let values: HashMap<String, String> = [(
            "SLACK_WEBHOOK".to_string(),
            "https://hooks.slack.com/services/T0/B0/secretpart".to_string(),
        )]
        .into();
        let env = |_: &str| None;
        let (hooks, warnings) = resolve(
            &[
                hook("$SLACK_WEBHOOK"),
                hook("$UNSET_HOOK"),
                hook("http://127.0.0.1:9/x"),
            ],
            &values,
            &env,
        );
        assert_eq!(hooks.len(), 2);
        assert_eq!(hooks[0].to, "https://hooks.slack.com");
        assert_eq!(hooks[1].to, "http://127.0.0.1:9");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("$UNSET_HOOK") && !warnings[0].contains("secretpart"),
            "{warnings:?}"
        );
    }
}
