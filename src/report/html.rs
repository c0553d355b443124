//! The post-mortem as one self-contained HTML page: the Markdown report
//! rendered (so both say the same), with a timeline chart of planned
//! against actual time per step, drawn as inline SVG (no script, no
//! network: it opens from an attachment in a ticket).

use std::fmt::Write;

use pulldown_cmark::{Options, Parser, html};

use super::Source;
use super::build::Report;
use super::markdown::{self, span};
use crate::session::StepStatus;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;vertical-align:top}\
th{background:#f3f3f3}pre{background:#f6f6f6;padding:.6rem;overflow:auto}blockquote{border-left:4px solid #c00;margin:0;padding:.2rem 1rem;background:#fff3f3}\
svg text{font:12px system-ui,sans-serif}.legend span{display:inline-block;width:1rem;height:.7rem;margin:0 .3rem 0 1rem}";

pub fn render(r: &Report, src: &Source) -> String {
    let text = markdown::render(r, src);
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(&text, Options::ENABLE_TABLES));
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

/// One row per step that ran or was planned: a grey bar for the plan (its
/// upper estimate), a coloured one for what it took, placed at its start.
fn chart(r: &Report) -> String {
    let rows: Vec<_> = r
        .steps
        .iter()
        .filter(|s| s.started_at.is_some() || s.planned.is_some())
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let end = r.last_at.max(r.started_at + 1);
    let planned_total: i64 = rows
        .iter()
        .filter_map(|s| s.planned.as_ref().map(|e| e.high.as_millis() as i64))
        .sum();
    let scale_ms = (end - r.started_at).max(planned_total).max(1) as f64;
    let (label_w, bar_w, row_h) = (260.0, 640.0, 22.0);
    let height = rows.len() as f64 * row_h + 30.0;
    let mut svg = format!(
        "<p class=\"legend\">Planned<span style=\"background:#c8c8c8\"></span>\
         Actual<span style=\"background:#2e7d32\"></span>failed<span style=\"background:#c62828\"></span>\
         over plan<span style=\"background:#ef6c00\"></span></p>\
         <svg role=\"img\" aria-label=\"Planned and actual duration of each step\" \
         width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        label_w + bar_w + 80.0,
        label_w + bar_w + 80.0
    );
    // Planned bars follow one another, as the runbook lays them out.
    let mut planned_at = 0.0;
    for (i, s) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 13.0,
            escape(&truncate(&s.title, 38))
        );
        if let Some(e) = &s.planned {
            let w = e.high.as_millis() as f64 / scale_ms * bar_w;
            let x = label_w + planned_at / scale_ms * bar_w;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"8\" fill=\"#c8c8c8\"><title>planned {}</title></rect>",
                w.max(1.0),
                escape(&e.to_string())
            );
            planned_at += e.high.as_millis() as f64;
        }
        if let (Some(start), Some(ms)) = (s.started_at, s.actual_ms()) {
            let x = label_w + (start - r.started_at) as f64 / scale_ms * bar_w;
            let w = (ms as f64 / scale_ms * bar_w).max(1.5);
            let over = s
                .planned
                .as_ref()
                .is_some_and(|e| !e.high.is_zero() && ms > e.high.as_millis() as i64);
            let colour = match (&s.status, over) {
                (StepStatus::Failed { .. }, _) => "#c62828",
                (_, true) => "#ef6c00",
                _ => "#2e7d32",
            };
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"9\" fill=\"{colour}\"><title>took {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{}\">{}</text>",
                y + 8.0,
                span(ms),
                x + w + 4.0,
                y + 16.0,
                span(ms)
            );
        }
    }
    svg.push_str("</svg>");
    svg
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
