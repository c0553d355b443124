//! Phases and steps with their status, estimate and, once run, how long they
//! took. Rollback sections come last, dimmed. The selection stays in view; on
//! a narrow screen only the selected step's phase is shown.

use super::Ctx;
use super::scroll::Scrolled;
use super::text::{clock, millis, pad, portable, truncate, width};
use super::wrap::{Break, wrap};
use crate::runbook::Role;
use crate::runbook::model::{Phase, Step};
use crate::session::StepStatus;
use crate::tui::app::Focus;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph};

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// The mark of a status; the running one turns with time.
pub fn mark(status: &StepStatus, now_ms: i64) -> &'static str {
    match status {
        StepStatus::Pending => "○",
        StepStatus::Running { .. } => SPINNER[(now_ms / 250).rem_euclid(4) as usize],
        StepStatus::AwaitingGate | StepStatus::Countdown => "◆",
        StepStatus::AwaitingChecklist => "◑",
        StepStatus::Done => "✔",
        StepStatus::Failed { .. } => "✖",
        StepStatus::Skipped { .. } => "↷",
        StepStatus::NotRehearsable { .. } => "⊘",
        StepStatus::InDoubt => "?",
    }
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let s = ctx.session;
    let selected = ctx.app.selected.as_deref();
    let selected_phase = selected.and_then(|id| s.step_ref(id)).map(|r| r.phase);
    let block_title = match (ctx.regions.compact, selected_phase) {
        (true, Some(p)) => {
            let total = s
                .runbook()
                .phases
                .iter()
                .filter(|p| p.role.is_flow())
                .count();
            let phase = s.runbook().phases.get(p);
            match phase {
                Some(ph) if !ph.role.is_flow() => {
                    format!("{} · {}", off_flow_word(ph.role), ph.title)
                }
                // Sections off the flow are not counted among the phases.
                Some(ph) => {
                    let n = s
                        .runbook()
                        .phases
                        .iter()
                        .take(p + 1)
                        .filter(|p| p.role.is_flow())
                        .count();
                    format!("Phase {n}/{total} · {}", ph.title)
                }
                None => "Steps".into(),
            }
        }
        _ => "Steps".into(),
    };
    let block = ctx.block(&portable(&block_title), ctx.app.focus == Focus::Steps);
    let inner = block.inner(area);
    let w = usize::from(inner.width);

    let mut lines: Vec<Line> = Vec::new();
    let mut sel_line = 0;
    let mut sel_end = 0;
    for (pi, phase) in s.runbook().phases.iter().enumerate() {
        if ctx.regions.compact && Some(pi) != selected_phase {
            continue;
        }
        if !ctx.regions.compact {
            lines.push(phase_line(phase, w, ctx));
        }
        for step in &phase.steps {
            let rows = step_lines(step, w, ctx);
            if selected == Some(step.id.as_str()) {
                sel_line = lines.len();
                sel_end = lines.len() + rows.len() - 1;
            }
            lines.extend(rows);
        }
    }
    let bottom = ctx.regions.borders().contains(Borders::BOTTOM);
    let h = Scrolled::new(lines.len(), 0, inner, bottom).height;
    // Two lines of what comes next stay visible below the selection, and
    // the selection's first row stays in view.
    let top = (sel_end + 3).saturating_sub(h).min(sel_line);
    let view = Scrolled::new(lines.len(), top, inner, bottom);
    frame.render_widget(view.decorate(block, ctx.theme), area);
    let visible: Vec<Line> = lines.into_iter().skip(view.top).take(view.height).collect();
    frame.render_widget(Paragraph::new(visible), view.area);
    view.below_inside(frame, ctx.theme);
}

fn phase_line(phase: &Phase, w: usize, ctx: &Ctx) -> Line<'static> {
    let t = ctx.theme;
    let title = portable(&phase.title);
    if !phase.role.is_flow() {
        let mark = match phase.role {
            Role::Rollback => "↺",
            Role::Alternative => "⎇",
            Role::Context | Role::Flow => "¶",
        };
        Line::from(Span::styled(
            truncate(&format!("{mark} {title}"), w),
            t.dim(),
        ))
    } else {
        Line::from(Span::styled(truncate(&title, w), t.title()))
    }
}

/// A step's rows: mark, title and times on the first; a title too long for
/// the pane goes on below, under itself, rather than being cut.
fn step_lines(step: &Step, w: usize, ctx: &Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let s = ctx.session;
    let state = s.state(&step.id);
    let status = state.map_or(StepStatus::Pending, |st| st.status.clone());
    // A checklist or manual step has no run time worth showing.
    let actual = state
        .filter(|_| !step.actions.is_empty())
        .and_then(|st| match st.status {
            StepStatus::Running { .. } => st.started_at.map(|at| clock(ctx.now_ms - at)),
            _ => st.duration_ms().map(millis),
        });
    let estimate = match s.rehearsed().get(&step.id) {
        Some(r) if s.overran_rehearsals(&step.id, ctx.now_ms) => {
            Some(format!("⚠ >{}", millis(r.slowest_ms)))
        }
        Some(r) => Some(format!("~{}", millis(r.median_ms))),
        None => step.estimate.map(|e| format!("~{e}")),
    };
    let right = match (&actual, &estimate) {
        (Some(a), Some(e)) => format!("{a} {e}"),
        (Some(a), None) => a.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => String::new(),
    };
    let lead = if ctx.regions.compact { " " } else { "  " };
    let danger = if step.is_destructive() { "⚠" } else { " " };
    let head = format!("{lead}{} {danger} ", mark(&status, ctx.now_ms));
    let room = w.saturating_sub(width(&head) + width(&right) + 1);
    let full_title = portable(&step.title);
    // The first row shares its width with the times; the rows below have
    // the pane's whole width after the marks.
    let (first, title_rows) = split_title(&full_title, room, w.saturating_sub(width(&head)));
    let title = pad(&first, room);

    let selected = ctx.app.selected.as_deref() == Some(step.id.as_str());
    // Off the flow and not run: dimmed, nothing to do there unless chosen.
    let settled_rollback = !s.flow().contains(&step.id) && status == StepStatus::Pending;
    let base = if settled_rollback {
        t.dim()
    } else {
        Style::default()
    };
    let mut spans = vec![
        Span::styled(lead.to_string(), base),
        Span::styled(mark(&status, ctx.now_ms).to_string(), t.status(&status)),
        Span::styled(format!(" {danger} "), t.destructive()),
        Span::styled(title, base),
        Span::raw(" "),
    ];
    if let Some(a) = &actual {
        spans.push(Span::styled(a.clone(), t.status(&status)));
        if estimate.is_some() {
            spans.push(Span::raw(" "));
        }
    }
    if let Some(e) = estimate {
        spans.push(Span::styled(e, t.dim()));
    }
    let indent = " ".repeat(width(&head));
    let mut lines = vec![Line::from(spans)];
    let rest_w = w.saturating_sub(width(&head));
    for more in title_rows {
        lines.push(Line::from(vec![
            Span::raw(indent.clone()),
            Span::styled(pad(&more, rest_w), base),
        ]));
    }
    if selected {
        for line in &mut lines {
            *line = std::mem::take(line).style(t.selected());
            // The highlight spans the whole row, not just the text.
            let used: usize = line.spans.iter().map(|s| width(&s.content)).sum();
            if used < w {
                line.spans.push(Span::raw(" ".repeat(w - used)));
            }
        }
    }
    lines
}

/// A title's first row (at most `first_w` columns) and the rows that carry
/// on below it (at most `rest_w`), broken between words. A pane too narrow
/// to wrap in gets the title cut on one row, as before.
fn split_title(title: &str, first_w: usize, rest_w: usize) -> (String, Vec<String>) {
    if width(title) <= first_w || first_w < 8 || rest_w < 8 {
        return (title.to_string(), Vec::new());
    }
    let rows = |text: &str, max: usize| -> Vec<String> {
        wrap(&Line::from(text.to_string()), max, &[], Break::Words)
            .iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect()
    };
    let mut first_rows = rows(title, first_w);
    let first = if first_rows.is_empty() {
        String::new()
    } else {
        first_rows.remove(0)
    };
    let rest = title
        .get(first.len()..)
        .map_or_else(String::new, |r| r.trim_start().to_string());
    let more = if rest.is_empty() {
        Vec::new()
    } else {
        rows(&rest, rest_w)
    };
    (first, more)
}

/// What the narrow tree's title calls a section off the flow.
fn off_flow_word(role: Role) -> &'static str {
    match role {
        Role::Rollback => "Rollback",
        Role::Alternative => "Alternative",
        Role::Context | Role::Flow => "Context",
    }
}
