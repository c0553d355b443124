//! The post-mortem as Markdown: who, what, where, when; the timeline with
//! planned against actual durations; gates and who confirmed them; skips,
//! notes, failures with their last lines of output; comparisons; the
//! journal's final hash.

use std::fmt::Write;
use std::time::Duration;

use super::build::{Ending, Report, StepLine};
use super::plain::plain;
use super::{Integrity, Source};
use crate::runbook::duration::format_duration;
use crate::session::{Millis, StepStatus};

pub fn render(r: &Report, src: &Source) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Post-mortem: {}\n", md(&r.title));
    integrity_banner(&mut out, src);
    evidence(&mut out, src);
    summary(&mut out, r, src);
    coverage(&mut out, r);
    timeline(&mut out, r);
    gates(&mut out, r);
    events(&mut out, "Approvals", &r.approvals, r, "approval");
    events(&mut out, "Alternatives", &r.choices, r, "choice");
    events(&mut out, "Skipped steps", &r.skips, r, "reason");
    events(&mut out, "Notes", &r.notes, r, "note");
    events(&mut out, "Warnings", &r.warnings, r, "warning");
    events(&mut out, "Interruptions", &r.interruptions, r, "why");
    failures(&mut out, r);
    comparisons(&mut out, r);
    databases(&mut out, r);
    contexts(&mut out, r);
    let _ = writeln!(
        out,
        "---\nWritten by runsheet {} from `{}`.",
        env!("CARGO_PKG_VERSION"),
        src.path.display()
    );
    out
}

fn integrity_banner(out: &mut String, src: &Source) {
    if let Integrity::Broken { line, reason } = &src.integrity {
        let _ = writeln!(
            out,
            "> **Warning: the journal fails verification at line {line}** ({}). \
             This report covers the {} records before line {}; from there on, nothing can be trusted.\n",
            md(reason),
            line.saturating_sub(2),
            line.saturating_sub(1)
        );
    }
}

/// The final hash first, where the person attaching the report to a
/// ticket sees it, with the command that checks the journal against it:
/// only a hash kept outside the journal catches a record edited with every
/// later hash recomputed, or records cut off the end.
fn evidence(out: &mut String, src: &Source) {
    let (Integrity::Intact, Some(hash)) = (&src.integrity, &src.final_hash) else {
        return;
    };
    let _ = writeln!(
        out,
        "**Final hash:** `{hash}` ({} records, chain verified). Write it in the change ticket;          anyone can check the journal against it later:\n\n```sh\n{}\n```\n",
        src.records,
        crate::journal::paths::verify_command(&src.path, hash)
    );
    let sig = crate::journal::paths::sig_path(&src.path);
    if sig.exists() {
        let _ = writeln!(
            out,
            "Signed: `{}` beside the journal; `runsheet verify` says by whom.\n",
            md(&sig.display().to_string()).replace('`', "'")
        );
    }
}

/// A rehearsal's coverage: what of the flow ran, and why the rest did not.
fn coverage(out: &mut String, r: &Report) {
    if !super::coverage::applies(r) {
        return;
    }
    let c = super::coverage::coverage(r);
    let _ = writeln!(out, "## Coverage\n\n{}\n", c.line());
    for (title, reason) in &c.skipped {
        let _ = writeln!(
            out,
            "- skipped by the operator: {} ({})",
            md(title),
            md(reason)
        );
    }
    for (title, reason) in &c.not_rehearsable {
        let _ = writeln!(out, "- not rehearsable: {} ({})", md(title), md(reason));
    }
    for (title, block, reason) in &c.blocks_not_rehearsed {
        let _ = writeln!(
            out,
            "- block {block} of {} not rehearsable ({})",
            md(title),
            md(reason)
        );
    }
    for title in &c.not_reached {
        let _ = writeln!(out, "- not reached: {}", md(title));
    }
    let listed = c.skipped.len()
        + c.not_rehearsable.len()
        + c.blocks_not_rehearsed.len()
        + c.not_reached.len();
    if listed > 0 {
        out.push('\n');
    }
}

fn summary(out: &mut String, r: &Report, src: &Source) {
    let i = &r.info;
    let _ = writeln!(out, "| Session | Details |\n| --- | --- |");
    row(
        out,
        "Runbook",
        &format!(
            "`{}` (sha256 `{}`)",
            md(&i.runbook_path).replace('`', "'"),
            short(&i.runbook_hash)
        ),
    );
    row(out, "Target", &format!("**{}**", md(&i.target)));
    let mut who = format!("{}@{}", md(&i.operator), md(&i.host));
    for res in &r.resumes {
        let _ = write!(
            who,
            "; resumed by {}@{} at {}{}",
            md(&res.operator),
            md(&res.host),
            time(res.at),
            if res.runbook_changed {
                " (with a changed runbook)"
            } else {
                ""
            }
        );
    }
    row(out, "Operator", &who);
    row(out, "Kind", kind(i));
    row(out, "Started", &time(r.started_at));
    row(
        out,
        "Last record",
        &format!(
            "{} ({} after the start)",
            time(r.last_at),
            span(r.last_at - r.started_at)
        ),
    );
    if r.down_ms > 0 {
        row(
            out,
            "Time down",
            &format!(
                "{} between a stop and its resume (ran {})",
                span(r.down_ms),
                span((r.last_at - r.started_at - r.down_ms).max(0))
            ),
        );
    }
    row(out, "Outcome", &outcome(r));
    let planned: Duration = r
        .steps
        .iter()
        .filter(|s| !s.off_flow)
        .filter_map(|s| s.planned.as_ref().map(|e| e.high))
        .sum();
    if !planned.is_zero() {
        row(
            out,
            "Planned (sum of step estimates)",
            &format_duration(planned),
        );
    }
    row(out, "Tool", &format!("runsheet {}", md(&i.tool_version)));
    let hash = match (&src.integrity, &src.final_hash) {
        (Integrity::Intact, Some(h)) => format!("`{h}` (chain verified, {} records)", src.records),
        (Integrity::Broken { line, .. }, _) => format!("chain BROKEN at line {line}"),
        (_, None) => "empty journal".into(),
    };
    row(out, "Journal final hash", &hash);
    out.push('\n');
}

/// What kind of session it was: a rehearsal (`--drill`, and `runsheet
/// demo`, which touches nothing real on any of its targets), in the
/// sandbox, or live. The same words in the report and in `history`.
pub fn kind(i: &crate::session::SessionInfo) -> &'static str {
    match (i.drill, i.sandbox) {
        (true, true) => "drill (rehearsal) in the sandbox",
        (true, false) => "drill (rehearsal)",
        (false, true) => "in the sandbox",
        (false, false) => "live",
    }
}

fn outcome(r: &Report) -> String {
    match &r.outcome {
        Ending::Completed => "completed: every step done or skipped".into(),
        Ending::Abandoned => "abandoned by the operator".into(),
        Ending::RolledBack { failed, rollback } => format!(
            "**rolled back**: “{}” failed and “{}” undid it; the session was ended there",
            md(&title_of(r, failed)),
            md(&title_of(r, rollback))
        ),
        Ending::Unfinished { undone: Some(u) } => format!(
            "unfinished: “{}” failed and “{}” undid it, but the session was not ended (resumable with `runsheet resume`)",
            md(&title_of(r, &u.failed)),
            md(&title_of(r, &u.rollback))
        ),
        Ending::Unfinished { undone: None } => match r
            .steps
            .iter()
            .find(|s| matches!(s.status, StepStatus::Failed { .. } | StepStatus::InDoubt))
        {
            Some(s) => format!(
                "unfinished: stopped at “{}” ({})",
                md(&s.title),
                md(&status(&s.status))
            ),
            None => "unfinished (resumable with `runsheet resume`)".into(),
        },
    }
}

fn timeline(out: &mut String, r: &Report) {
    let _ = writeln!(out, "## Timeline\n");
    let _ = writeln!(
        out,
        "| # | Phase | Step | Status | Planned | Actual | Started | Attempts |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (n, s) in r.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            n + 1,
            md(&s.phase),
            md(&s.title),
            md(&if s.not_chosen {
                "not chosen".to_string()
            } else {
                status(&s.status)
            }),
            s.planned
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            actual(s),
            s.started_at.map(clock).unwrap_or_default(),
            if s.attempts > 0 {
                s.attempts.to_string()
            } else {
                String::new()
            },
        );
    }
    out.push('\n');
}

fn actual(s: &StepLine) -> String {
    let Some(ms) = s.actual_ms() else {
        return String::new();
    };
    let over = s
        .planned
        .as_ref()
        .is_some_and(|e| !e.high.is_zero() && Duration::from_millis(ms as u64) > e.high);
    let text = span(ms);
    if over {
        format!("**{text}** (over)")
    } else {
        text
    }
}

fn gates(out: &mut String, r: &Report) {
    if r.gates.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Gates\n");
    let _ = writeln!(
        out,
        "| Step | Shown | Answered | By | Typed | Result |\n| --- | --- | --- | --- | --- | --- |"
    );
    for g in &r.gates {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}` | {} |",
            md(&title_of(r, &g.step)),
            g.shown_at.map(clock).unwrap_or_default(),
            clock(g.answered_at),
            md(&g.by),
            md(&plain(&g.typed)).replace('`', "'"),
            match (&g.finding, g.confirmed) {
                (Some(f), true) => format!("approved: {}", md(f)),
                (_, true) => "confirmed".into(),
                _ if g.typed.is_empty() => "refused".into(),
                _ => "refused (wrong name)".into(),
            }
        );
    }
    out.push('\n');
}

fn events(out: &mut String, heading: &str, list: &[super::build::Event], r: &Report, what: &str) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {heading}\n");
    let _ = writeln!(
        out,
        "| At | Step | {} |\n| --- | --- | --- |",
        capital(what)
    );
    for e in list {
        let step = e
            .step
            .as_deref()
            .map(|s| title_of(r, s))
            .unwrap_or_default();
        let _ = writeln!(out, "| {} | {} | {} |", clock(e.at), md(&step), md(&e.text));
    }
    out.push('\n');
}

fn failures(out: &mut String, r: &Report) {
    if r.failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Failures\n");
    for f in &r.failures {
        let _ = writeln!(
            out,
            "### {} — {}\n\n{}: {}\n",
            md(&title_of(r, &f.step)),
            clock(f.at),
            md(&f.step),
            md(&f.reason)
        );
        // As a terminal showed them: a report holds no escape sequences.
        let shown: Vec<String> = f
            .last_lines
            .iter()
            .map(|l| plain(l.trim_end_matches('\n')))
            .collect();
        let lines: Vec<&str> = shown.iter().map(String::as_str).collect();
        let lines: Vec<&str> = match lines.split_last() {
            Some((&"", rest)) => rest.to_vec(),
            _ => lines,
        };
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "Last lines of its output:\n\n```text\n{}\n```\n",
                lines.join("\n").replace("```", "'''")
            );
        }
    }
}

fn comparisons(out: &mut String, r: &Report) {
    if r.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Comparisons\n");
    for c in &r.comparisons {
        let left = md(c.result["left"].as_str().unwrap_or("left"));
        let right = md(c.result["right"].as_str().unwrap_or("right"));
        let _ = writeln!(
            out,
            "### {} — {left} vs {right} ({})\n",
            md(&title_of(r, &c.step)),
            clock(c.at)
        );
        let _ = writeln!(
            out,
            "| Table | {left} | {right} | Difference | Verdict |\n| --- | ---: | ---: | ---: | --- |"
        );
        for t in c.result["tables"].as_array().into_iter().flatten() {
            let n = |v: &serde_json::Value| {
                v.as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "—".into())
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(t["table"].as_str().unwrap_or("?")),
                n(&t["left"]),
                n(&t["right"]),
                n(&t["difference"]),
                md(t["verdict"].as_str().unwrap_or("?"))
            );
        }
        out.push('\n');
    }
}

fn databases(out: &mut String, r: &Report) {
    if r.databases.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Databases\n");
    let _ = writeln!(
        out,
        "| Target | Database | Server | Version | System identifier |\n| --- | --- | --- | --- | --- |"
    );
    for (t, id) in &r.databases {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(t),
            md(&id.database),
            md(&id.server),
            md(&id.version),
            id.system_identifier.as_deref().unwrap_or("—")
        );
    }
    out.push('\n');
}

fn contexts(out: &mut String, r: &Report) {
    if r.contexts.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Where commands ran\n");
    let _ = writeln!(
        out,
        "| Context | Reached with | Host or pod | User | Host key |\n| --- | --- | --- | --- | --- |"
    );
    for (name, id) in &r.contexts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(name),
            md(&id.reached),
            md(&id.hostname),
            md(&id.user),
            id.host_key.as_deref().map_or_else(|| "—".to_string(), md)
        );
    }
    out.push('\n');
}

pub fn status(s: &StepStatus) -> String {
    match s {
        StepStatus::Pending => "not run".into(),
        StepStatus::AwaitingGate => "waiting at its gate".into(),
        StepStatus::Countdown => "counting down".into(),
        StepStatus::Running { .. } => "running".into(),
        StepStatus::AwaitingChecklist => "checklist not ticked".into(),
        StepStatus::Done => "done".into(),
        StepStatus::Failed { reason } => format!("FAILED: {reason}"),
        StepStatus::Skipped { reason } => format!("skipped: {reason}"),
        StepStatus::NotRehearsable { reason } => format!("not rehearsable — {reason}"),
        StepStatus::InDoubt => "in doubt".into(),
    }
}

fn title_of(r: &Report, step: &str) -> String {
    r.steps
        .iter()
        .find(|s| s.id == step)
        .map_or_else(|| step.to_string(), |s| s.title.clone())
}

fn row(out: &mut String, k: &str, v: &str) {
    let _ = writeln!(out, "| {k} | {v} |");
}

/// Text safe inside a Markdown table cell or a line: as a terminal would
/// print it (no escape sequence, no control), on one line.
fn md(text: &str) -> String {
    plain(text)
        .replace('|', "\\|")
        .replace(['\n', '\r', '\t'], " ")
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// `2026-11-21 14:03:12 UTC`.
pub fn time(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `14:03:12`.
pub fn clock(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A measured time in ms: `850ms`, `12s`, `3m05s`
/// (`runbook::duration::format_span`).
pub fn span(ms: i64) -> String {
    crate::runbook::duration::format_span_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build::build;
    use crate::session::{ActionOutcome, Msg, SessionInfo};
    use serde_json::json;

    const RUNBOOK: &str = "# Migrate\n\n## Check {#check}\n\n### Counts {#counts}\n\n```compare {left=staging right=production}\nusers\n```\n";

    #[test]
    fn comparisons_become_tables() {
        let info = SessionInfo {
            drill: true,
            ..SessionInfo::sample("m.md", RUNBOOK, "production")
        };
        let step = || "counts".to_string();
        let records = vec![
            (1_000, Msg::SessionStarted(info)),
            (2_000, Msg::RunRequested { step: step() }),
            (
                2_001,
                Msg::ActionStarted {
                    step: step(),
                    action: 0,
                    pid: None,
                },
            ),
            (
                2_500,
                Msg::ActionResult {
                    step: step(),
                    action: 0,
                    result: json!({"kind": "comparison", "left": "staging", "right": "production",
                        "tables": [{"table": "users", "left": 1200, "right": 1198, "difference": -2, "verdict": "differ"}]}),
                },
            ),
            (
                2_600,
                Msg::ActionFinished {
                    step: step(),
                    action: 0,
                    outcome: ActionOutcome {
                        exit_code: Some(0),
                        failure: Some("users: staging 1200, production 1198 (-2)".into()),
                        ..ActionOutcome::default()
                    },
                },
            ),
        ];
        let report = build(&records).unwrap_or_else(|e| panic!("{e}"));
        let src = crate::report::Source {
            path: "j.jsonl".into(),
            records: 5,
            final_hash: Some("ab".repeat(32)),
            integrity: crate::report::Integrity::Intact,
        };
        let md = render(&report, &src);
        // The hash for the ticket comes before everything else, with the
        // command that checks it.
        let hash = "ab".repeat(32);
        let top = md
            .find(&format!("**Final hash:** `{hash}` (5 records"))
            .unwrap_or(usize::MAX);
        let command = format!("runsheet verify j.jsonl --expect {hash}");
        assert!(top < md.find("| Session |").unwrap_or(0), "{md}");
        assert!(md.contains(&command), "{md}");
        let html = crate::report::html::render(&report, &src);
        assert!(html.contains(&command) && html.contains(&hash), "{html}");
        assert!(md.contains("| Kind | drill (rehearsal) |"), "{md}");
        assert!(md.contains("### Counts — staging vs production"), "{md}");
        assert!(md.contains("| users | 1200 | 1198 | -2 | differ |"), "{md}");
        assert!(
            md.contains("FAILED: users: staging 1200, production 1198 (-2)"),
            "{md}"
        );
        assert!(md.contains("unfinished: stopped at “Counts”"), "{md}");
    }
}
