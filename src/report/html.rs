//! The post-mortem as one self-contained HTML page: the Markdown report
//! rendered (so both say the same), with a timeline chart of planned
//! against actual time per step, drawn as inline SVG (no script, no
//! network: it opens from an attachment in a ticket).

use std::fmt::Write;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

use super::Source;
use super::build::{Report, StepLine};
use super::markdown::{self, span};
use crate::session::{Millis, StepStatus};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;vertical-align:top}\
th{background:#f3f3f3}pre{background:#f6f6f6;padding:.6rem;overflow:auto}blockquote{border-left:4px solid #c00;margin:0;padding:.2rem 1rem;background:#fff3f3}\
svg text{font:12px system-ui,sans-serif}.legend span{display:inline-block;width:1rem;height:.7rem;margin:0 .3rem 0 1rem;vertical-align:baseline}.legend span:first-child{margin-left:0}";

pub fn render(r: &Report, src: &Source) -> String {
    let text = markdown::render(r, src);
    let mut body = String::new();
    html::push_html(
        &mut body,
        inert(Parser::new_ext(&text, Options::ENABLE_TABLES)),
    );
    // The chart goes right under the timeline's heading.
    let chart = chart(r);
    let body = match body.find("<h2>Timeline</h2>") {
        Some(at) => {
            let end = at + "<h2>Timeline</h2>".len();
            format!("{}{chart}{}", &body[..end], &body[end..])
        }
        None => body,
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"generator\" content=\"runsheet {}\"><title>Post-mortem: {}</title>\
         <style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&r.title)
    )
}

/// The Markdown's events with nothing in them that acts in a browser. The
/// Markdown report writes no HTML and no link of its own: whatever reads
/// as one came from the journal (a step's title, its output, the name a
/// pod answered with), so raw HTML is shown as text, escaped, and a link
/// or an image keeps only its text (no script, nothing fetched).
fn inert<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    events.filter_map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { .. } | Tag::Image { .. })
        | Event::End(TagEnd::Link | TagEnd::Image) => None,
        e => Some(e),
    })
}

/// Colours of the chart, named once for the bars and the legend.
const PLANNED: &str = "#c8c8c8";
const DONE: &str = "#2e7d32";
const FAILED: &str = "#c62828";
const OVER: &str = "#ef6c00";

/// One row per step that ran, or that the plan has (a rollback step only
/// when it ran): a grey bar for the plan (its upper estimate) and, right
/// under it and starting at the same point (when the step first started),
/// one bar per run of its actions: red for a failed run, orange for one
/// over its plan, green otherwise. A step that did not run has its plan
/// drawn where it would have started: after the row above.
fn chart(r: &Report) -> String {
    let rows: Vec<Row> = rows(r);
    if rows.is_empty() {
        return String::new();
    }
    let end = rows
        .iter()
        .map(Row::end)
        .chain([r.last_at])
        .max()
        .unwrap_or(r.last_at);
    let scale_ms = (end - r.started_at).max(1) as f64;
    let (label_w, bar_w, row_h, tail_w) = (260.0, 640.0, 22.0, 90.0);
    let x_of = |at: Millis| label_w + (at - r.started_at) as f64 / scale_ms * bar_w;
    let width = label_w + bar_w + tail_w;
    let height = rows.len() as f64 * row_h + 24.0;
    let swatch = |colour: &str| format!("<span style=\"background:{colour}\"></span>");
    let mut svg = format!(
        "<p class=\"legend\">{}planned {}done {}failed {}over plan</p>\
         <svg role=\"img\" aria-label=\"Planned and actual duration of each step\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        swatch(PLANNED),
        swatch(DONE),
        swatch(FAILED),
        swatch(OVER),
    );
    for (i, row) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let id = escape(&row.step.id);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 13.0,
            escape(&truncate(&row.step.title, 38))
        );
        let mut right = x_of(row.at);
        if let Some(ms) = row.planned_ms {
            let w = (ms as f64 / scale_ms * bar_w).max(1.0);
            let x = x_of(row.at);
            right = right.max(x + w);
            let _ = write!(
                svg,
                "<rect data-step=\"{id}\" data-bar=\"planned\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"8\" fill=\"{PLANNED}\"><title>planned {}</title></rect>",
                row.planned_text
            );
        }
        let mut last_took = None;
        for (n, run) in row.runs.iter().enumerate() {
            let x = x_of(run.started_at);
            let ms = run.finished_at - run.started_at;
            let w = (ms as f64 / scale_ms * bar_w).max(1.5);
            right = right.max(x + w);
            let over = row.planned_ms.is_some_and(|p| p > 0 && ms > p);
            let colour = match (run.failed, over) {
                (true, _) => FAILED,
                (false, true) => OVER,
                (false, false) => DONE,
            };
            let what = if run.failed { "failed after" } else { "took" };
            let _ = write!(
                svg,
                "<rect data-step=\"{id}\" data-bar=\"run\" data-run=\"{}\" data-failed=\"{}\" x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"9\" fill=\"{colour}\"><title>{what} {}</title></rect>",
                n + 1,
                run.failed,
                y + 9.0,
                span(ms)
            );
            last_took = Some(ms);
        }
        if let Some(ms) = last_took {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                right + 4.0,
                y + 16.0,
                span(ms)
            );
        }
    }
    // The time axis: the session's start and the chart's end.
    let axis_y = rows.len() as f64 * row_h + 18.0;
    let _ = write!(
        svg,
        "<text x=\"{label_w}\" y=\"{axis_y}\">0</text><text x=\"{:.1}\" y=\"{axis_y}\" text-anchor=\"end\">{}</text></svg>",
        label_w + bar_w,
        span(end - r.started_at)
    );
    svg
}

/// A step's row in the chart, its times resolved.
struct Row<'a> {
    step: &'a StepLine,
    /// Where its bars start: when it first started, else after the row above.
    at: Millis,
    planned_ms: Option<i64>,
    planned_text: String,
    runs: Vec<Span>,
}

/// A run drawn: finished, or cut at the last record.
struct Span {
    started_at: Millis,
    finished_at: Millis,
    failed: bool,
}

impl Row<'_> {
    fn end(&self) -> Millis {
        let planned = self.at + self.planned_ms.unwrap_or(0);
        self.runs
            .iter()
            .map(|r| r.finished_at)
            .chain([planned])
            .max()
            .unwrap_or(planned)
    }
}

fn rows(r: &Report) -> Vec<Row<'_>> {
    let mut rows: Vec<Row> = Vec::new();
    let mut next_at = r.started_at;
    for s in &r.steps {
        let mut runs: Vec<Span> = s
            .runs
            .iter()
            .map(|run| Span {
                started_at: run.started_at,
                finished_at: run.finished_at.unwrap_or(r.last_at).max(run.started_at),
                failed: run.failed,
            })
            .collect();
        // A step with nothing to run: its time from its turn to its end.
        if runs.is_empty()
            && let (Some(start), Some(_)) = (s.started_at, s.actual_ms())
        {
            runs.push(Span {
                started_at: start,
                finished_at: s.finished_at.unwrap_or(start),
                failed: matches!(s.status, StepStatus::Failed { .. }),
            });
        }
        let planned = s
            .planned
            .as_ref()
            .filter(|_| !s.off_flow || !runs.is_empty());
        if runs.is_empty() && planned.is_none() {
            continue;
        }
        let at = runs.first().map_or(next_at, |run| run.started_at);
        let row = Row {
            step: s,
            at,
            planned_ms: planned.map(|e| e.high.as_millis() as i64),
            planned_text: planned.map(|e| escape(&e.to_string())).unwrap_or_default(),
            runs,
        };
        next_at = next_at.max(row.end());
        rows.push(row);
    }
    rows
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build::build;
    use crate::session::{ContextIdentity, Msg, SessionInfo};

    const RUNBOOK: &str = "# Fix\n\n## Do {#do}\n\n### There {#there}\n\n```bash\ntrue\n```\n";

    /// A pod can answer with any name: the report shows it, it never acts.
    #[test]
    fn where_commands_ran_is_in_the_page_escaped() {
        let info = SessionInfo::sample("f.md", RUNBOOK, "production");
        let records = vec![
            (1_000, Msg::SessionStarted(info)),
            (
                1_100,
                Msg::ContextIdentified {
                    name: "db".into(),
                    kind: "exec".into(),
                    identity: ContextIdentity {
                        reached: "exec kubectl exec -i -n veylant deploy/pg --".into(),
                        host_key: None,
                        hostname: "<img src=x onerror=alert(1)>".into(),
                        user: "[me](javascript:alert(2))".into(),
                    },
                },
            ),
            (
                1_200,
                Msg::ContextIdentified {
                    name: "host".into(),
                    kind: "ssh".into(),
                    identity: ContextIdentity {
                        reached: "ssh deploy@db1".into(),
                        host_key: Some("ssh-ed25519 SHA256:abc".into()),
                        hostname: "db1".into(),
                        user: "deploy".into(),
                    },
                },
            ),
        ];
        let report = build(&records).unwrap_or_else(|e| panic!("{e}"));
        let src = crate::report::Source {
            path: "j.jsonl".into(),
            records: 3,
            final_hash: None,
            integrity: crate::report::Integrity::Intact,
        };
        let page = render(&report, &src);
        assert!(page.contains("<h2>Where commands ran</h2>"), "{page}");
        assert!(
            page.contains("<td>db</td><td>exec kubectl exec -i -n veylant deploy/pg --</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>"),
            "{page}"
        );
        assert!(!page.contains("<img") && !page.contains("<a "), "{page}");
        assert!(page.contains("<td>me</td>"), "{page}");
        assert!(
            page.contains("<td>host</td><td>ssh deploy@db1</td><td>db1</td><td>deploy</td><td>ssh-ed25519 SHA256:abc</td>"),
            "{page}"
        );
    }
}
