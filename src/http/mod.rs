//! `http` steps: one request, sent by runsheet itself (no curl, no jq), and
//! what its response must satisfy. With `retry=`, attempts repeat every
//! `interval=` until the checks pass or the time is up, each one shown; the
//! last response is shown and journaled as data, credentials left out.

mod attempt;
mod check;
pub(crate) mod client;
mod error;
mod json_path;
mod request;
mod show;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::{Stop, TaskCtx};
use crate::runbook::duration::format_duration;
use crate::runbook::model::HttpCheck;
use crate::session::Msg;
use attempt::{NoResponse, Response};
use check::{Answer, CheckResult};
pub use error::HttpError;
use request::Request;

/// How long one attempt waits for its response.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// An attempt near the retry deadline still gets this long: one that could
/// not possibly succeed would be noise.
const MIN_BUDGET: Duration = Duration::from_secs(1);
/// `interval=0s` would hammer the very service being waited for.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// How long one attempt may wait for its answer. A single request waits
/// as long as the block's `timeout=` allows (a slow admin call), else 10 s;
/// while retrying until healthy, each try waits 10 s at most, and never
/// past the retry deadline (but at least a second).
fn attempt_budget(timeout: Option<Duration>, deadline: Option<Instant>, now: Instant) -> Duration {
    match deadline {
        None => timeout.unwrap_or(REQUEST_TIMEOUT),
        Some(d) => REQUEST_TIMEOUT.min(d.saturating_duration_since(now).max(MIN_BUDGET)),
    }
}

/// Runs the step: its verdict, or why it could not be tried or journaled
/// (the dispatch turns that into the step's text, redacted).
pub async fn run(native: &StepCtx, ctx: &TaskCtx, check: &HttpCheck) -> Result<Verdict, HttpError> {
    let req = request::prepare(native, check)?;
    ctx.print(native.secrets.redact(&intro(native, check, &req)))
        .await;
    let client = client::build(native, &req.url)?;
    let started = Instant::now();
    let deadline = check.retry_for.map(|d| started + d);
    let interval = check.retry_interval.max(MIN_INTERVAL);
    let mut attempts = 0;
    let mut last: Option<Tried> = None;
    loop {
        attempts += 1;
        let budget = attempt_budget(native.action.timeout, deadline, Instant::now());
        let sent = tokio::select! {
            r = attempt::send(&client, &req, budget) => r,
            stop = ctx.stopped() => return stopped(native, ctx, &req, attempts, last, stop).await,
        };
        let tried = Tried::new(sent, check.status, &req);
        let number = deadline.is_some().then_some(attempts);
        ctx.print(native.secrets.redact(&tried.line(number))).await;
        if tried.passed() {
            finish(native, ctx, &req, attempts, &tried).await?;
            return Ok(Verdict::Passed);
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match (left, check.retry_for) {
            (Some(left), Some(retry_for)) if left.is_zero() => {
                finish(native, ctx, &req, attempts, &tried).await?;
                return Ok(Verdict::Failed(format!(
                    "still failing after {} ({}): {}",
                    format_duration(retry_for),
                    count_attempts(attempts),
                    tried.reason()
                )));
            }
            (Some(left), _) => {
                last = Some(tried);
                tokio::select! {
                    () = tokio::time::sleep(interval.min(left)) => {}
                    stop = ctx.stopped() => return stopped(native, ctx, &req, attempts, last, stop).await,
                }
            }
            _ => {
                finish(native, ctx, &req, attempts, &tried).await?;
                return Ok(Verdict::Failed(tried.reason()));
            }
        }
    }
}

fn count_attempts(n: usize) -> String {
    if n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
}

/// The request as it is sent, credentials masked, and how it is retried.
fn intro(native: &StepCtx, check: &HttpCheck, req: &Request) -> String {
    let mut out = format!("{} {}\n", req.method, req.shown_url);
    for h in &req.shown_headers {
        out.push_str(h);
        out.push('\n');
    }
    if let Some(body) = &req.body {
        // Not shown: request bodies carry logins and tokens too often.
        out.push_str(&format!("(request body: {})\n", show::size(body.len())));
    }
    if let Some(retry) = check.retry_for {
        out.push_str(&format!(
            "retrying for up to {}, every {}",
            format_duration(retry),
            show::interval(check.retry_interval.max(MIN_INTERVAL))
        ));
        if let Some(limit) = native.action.timeout.filter(|t| *t < retry) {
            out.push_str(&format!(
                " (the step's timeout={} stops it sooner)",
                format_duration(limit)
            ));
        }
        out.push('\n');
    }
    out
}

/// One attempt: the response and its checks, or why there was none.
struct Tried {
    result: Result<Response, NoResponse>,
    checks: Vec<CheckResult>,
}

impl Tried {
    fn new(result: Result<Response, NoResponse>, status: Option<u16>, req: &Request) -> Tried {
        let checks = match &result {
            Ok(r) => check::evaluate(
                status,
                &req.asserts,
                &Answer {
                    status: r.status,
                    headers: &r.headers,
                    body: &r.body,
                    truncated: r.truncated,
                    elapsed_ms: r.elapsed.as_millis() as u64,
                },
            ),
            Err(_) => Vec::new(),
        };
        Tried { result, checks }
    }

    fn passed(&self) -> bool {
        self.result.is_ok() && self.checks.iter().all(|c| c.passed)
    }

    /// The failed checks' lines. A wrong status says it all: the asserts
    /// on an error page fail as a matter of course (they stay in the
    /// journal).
    fn failures(&self) -> Vec<&str> {
        let failed = self.checks.iter().filter_map(|c| c.failure.as_deref());
        match self.checks.first() {
            Some(status) if !status.passed => failed.take(1).collect(),
            _ => failed.collect(),
        }
    }

    /// `attempt 3 · 503 in 12ms · status 503, expected 200`.
    fn line(&self, attempt: Option<usize>) -> String {
        let prefix = attempt
            .map(|n| format!("attempt {n} · "))
            .unwrap_or_default();
        let r = match &self.result {
            Ok(r) => r,
            Err(cause) => return format!("{prefix}{cause}\n"),
        };
        let verdict = if self.passed() {
            match self.checks.len() {
                1 => "the check passes".to_string(),
                n => format!("all {n} checks pass"),
            }
        } else {
            self.failures().join("; ")
        };
        format!(
            "{prefix}{} in {} · {verdict}\n",
            r.status,
            show::millis(r.elapsed)
        )
    }

    /// Why it failed, on one line: the failed checks with what they got,
    /// and the status when that is not among them.
    fn reason(&self) -> String {
        let r = match &self.result {
            Ok(r) => r,
            Err(cause) => return cause.to_string(),
        };
        let failures = self.failures().join("; ");
        if self.checks.first().is_some_and(|c| c.passed) {
            format!("{failures} (status {})", r.status)
        } else {
            failures
        }
    }
}

/// Shows the last response and journals the result.
async fn finish(
    native: &StepCtx,
    ctx: &TaskCtx,
    req: &Request,
    attempts: usize,
    tried: &Tried,
) -> Result<(), HttpError> {
    let secrets = &native.secrets;
    let shown_body = tried
        .result
        .as_ref()
        .ok()
        .and_then(|r| show::body(&r.body, r.truncated, secrets));
    if let Ok(r) = &tried.result {
        let mut text = format!(
            "HTTP {} · {} · {}{}\n",
            r.status,
            show::millis(r.elapsed),
            show::size(r.body.len()),
            if r.truncated { " read" } else { "" }
        );
        match &shown_body {
            Some(b) => {
                text.push_str(b);
                text.push('\n');
            }
            None => text.push_str("(empty body)\n"),
        }
        ctx.print(secrets.redact(&text)).await;
    }
    let response = tried.result.as_ref().ok();
    let result = json!({
        "kind": "http",
        "method": req.method.as_str(),
        "url": req.shown_url,
        "attempts": attempts,
        "status": response.map(|r| r.status),
        "duration_ms": response.map(|r| r.elapsed.as_millis() as u64),
        "body": shown_body,
        "truncated": response.is_some_and(|r| r.truncated),
        "checks": checks_json(&tried.checks),
        "passed": tried.passed(),
        "error": tried.result.as_ref().err().map(ToString::to_string),
    });
    record(native, ctx, result).await
}

fn checks_json(checks: &[CheckResult]) -> Value {
    checks
        .iter()
        .map(|c| {
            let mut v = json!({"check": c.check, "passed": c.passed, "actual": c.actual});
            if let (Some(f), Some(map)) = (&c.failure, v.as_object_mut()) {
                map.insert("failure".into(), json!(f));
            }
            v
        })
        .collect()
}

async fn record(native: &StepCtx, ctx: &TaskCtx, result: Value) -> Result<(), HttpError> {
    ctx.record(Msg::ActionResult {
        step: native.step.clone(),
        action: native.index,
        result: show::redact_value(result, &native.secrets),
    })
    .await
    .map_err(|_| HttpError::SessionStopped)
}

/// Cancelled, or the step's time limit: ends now, saying how far it got.
async fn stopped(
    native: &StepCtx,
    ctx: &TaskCtx,
    req: &Request,
    attempts: usize,
    last: Option<Tried>,
    stop: Stop,
) -> Result<Verdict, HttpError> {
    let why = match stop {
        Stop::Cancelled => "cancelled".to_string(),
        Stop::TimedOut => match native.action.timeout {
            Some(t) => format!("timed out (timeout={})", format_duration(t)),
            None => "timed out (the target's step timeout)".to_string(),
        },
    };
    let reason = match &last {
        Some(t) => format!(
            "{why} after {}; the last: {}",
            count_attempts(attempts),
            t.reason()
        ),
        None => format!("{why} waiting for the response"),
    };
    ctx.print(native.secrets.redact(&format!("{reason}\n")))
        .await;
    let last = last.unwrap_or(Tried {
        result: Err(NoResponse::Stopped(why)),
        checks: Vec::new(),
    });
    finish(native, ctx, req, attempts, &last).await?;
    Ok(Verdict::Failed(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_request_waits_as_long_as_its_block_allows() {
        let now = Instant::now();
        let two_min = Duration::from_secs(120);
        assert_eq!(attempt_budget(None, None, now), REQUEST_TIMEOUT);
        assert_eq!(attempt_budget(Some(two_min), None, now), two_min);
        // Retrying: 10 s a try, never past the deadline, at least 1 s.
        let far = now + Duration::from_secs(600);
        assert_eq!(
            attempt_budget(Some(two_min), Some(far), now),
            REQUEST_TIMEOUT
        );
        let near = now + Duration::from_secs(3);
        assert_eq!(
            attempt_budget(None, Some(near), now),
            Duration::from_secs(3)
        );
        assert_eq!(attempt_budget(None, Some(now), now), MIN_BUDGET);
    }
}
