//! The selected step: where it stands (and, after a failure, why and which
//! rollback is offered), then its instructions with checklist and actions.

use super::Ctx;
use super::markdown::{self, Embeds};
use super::scroll::Scrolled;
use super::text::{clock, millis, portable};
use super::tree::mark;
use super::wrap::{Break, wrap};
use crate::runbook::duration::format_duration;
use crate::runbook::model::{Phase, Step};
use crate::session::{Session, StepState, StepStatus};
use crate::tui::app::Focus;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let block = ctx.block("Step", ctx.app.focus == Focus::Step);
    let inner = block.inner(area);
    let Some((phase, step, state)) = ctx
        .app
        .selected
        .as_deref()
        .and_then(|id| Some((ctx.session.step(id)?, ctx.session.state(id)?)))
        .map(|((p, s), st)| (p, s, st))
    else {
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new("This runbook has no steps."), inner);
        return;
    };
    let w = usize::from(inner.width);
    let rows: Vec<Line<'static>> = lines(ctx, phase, step, state, w)
        .iter()
        .flat_map(|l| wrap(l, w, &hanging(l), Break::Words))
        .collect();
    let bottom = ctx.regions.borders().contains(Borders::BOTTOM);
    let view = Scrolled::new(rows.len(), usize::from(ctx.app.step_scroll), inner, bottom);
    frame.render_widget(view.decorate(block, ctx.theme), area);
    let visible: Vec<Line> = rows.into_iter().skip(view.top).take(view.height).collect();
    frame.render_widget(Paragraph::new(visible), view.area);
    view.below_inside(frame, ctx.theme);
}

/// A list item's wrapped rows start under its text, not under its bullet.
fn hanging(line: &Line) -> Vec<Span<'static>> {
    let mut lead = 0;
    for span in &line.spans {
        let c = span.content.as_ref();
        let t = c.trim_start();
        let marker = t.starts_with("• ")
            || t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            || c.trim().chars().all(|ch| ch.is_ascii_digit())
            || matches!(c, "[ ] " | "[x] ");
        if c.trim().is_empty() || (marker && super::text::width(c) <= 8) {
            lead += super::text::width(c);
        } else {
            break;
        }
    }
    if lead == 0 || lead > 16 {
        return Vec::new();
    }
    vec![Span::raw(" ".repeat(lead))]
}

pub fn lines(
    ctx: &Ctx,
    phase: &Phase,
    step: &Step,
    state: &StepState,
    width: usize,
) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let s = ctx.session;
    let mut out = vec![Line::from(Span::styled(
        portable(&step.title).into_owned(),
        t.title(),
    ))];
    let mut meta = vec![portable(&phase.title).into_owned(), step.kind_label()];
    if let Some(r) = ctx.session.rehearsed().get(&step.id) {
        meta.push(format!(
            "rehearsed: median {}, slowest {} ({} run{})",
            millis(r.median_ms),
            millis(r.slowest_ms),
            r.runs,
            if r.runs == 1 { "" } else { "s" }
        ));
        if ctx.session.overran_rehearsals(&step.id, ctx.now_ms) {
            meta.push("⚠ longer than every rehearsal".into());
        }
    } else if let Some(e) = step.estimate {
        meta.push(format!("estimate ~{e}"));
    }
    if state.attempts > 1 {
        meta.push(format!("attempt {}", state.attempts));
    }
    out.push(Line::from(Span::styled(meta.join(" · "), t.dim())));
    if let Some(note) = s.role_note(&step.id) {
        out.push(Line::from(Span::styled(note, t.dim())));
    }
    if phase.rollback {
        let undoes: Vec<String> = step
            .undoes
            .iter()
            .map(|id| {
                s.runbook()
                    .phases
                    .iter()
                    .find(|p| p.id == *id)
                    .map_or(id.clone(), |p| p.title.clone())
            })
            .collect();
        out.push(Line::from(Span::styled(
            format!("↺ Rollback step: undoes {}", undoes.join(", ")),
            t.hint(),
        )));
    }
    out.extend(status_lines(ctx, step, state));
    if let Some(l) = crate::session::exports::exported_line(s.exports().of_step(&step.id)) {
        out.push(Line::from(Span::styled(l, t.dim())));
    }

    let ticked = state.ticked.clone();
    let action = |n: usize| action_header(s, t, phase, step, state, n);
    let body = markdown::render(
        &crate::session::display::markdown(
            &step.body,
            &crate::session::display::Values::for_step(s, &step.id),
        ),
        t,
        &Embeds {
            ticked: &ticked,
            action: &action,
        },
        width,
    );
    if !body.is_empty() {
        out.push(Line::default());
        out.extend(body);
    }
    let notes: Vec<_> = s
        .notes()
        .iter()
        .filter(|n| n.step.as_deref() == Some(step.id.as_str()))
        .collect();
    if !notes.is_empty() {
        out.push(Line::default());
        for n in notes {
            out.push(Line::from(vec![
                Span::styled(format!("✎ +{} ", millis(n.at - s.started_at())), t.dim()),
                Span::raw(n.text.clone()),
            ]));
        }
    }
    out
}

fn status_lines(ctx: &Ctx, step: &Step, state: &StepState) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let st = &state.status;
    let m = mark(st, ctx.now_ms);
    let took = state.duration_ms().map(millis);
    let text = match st {
        StepStatus::Pending => return Vec::new(),
        StepStatus::Running { action } => format!(
            "{m} running for {} · action {} of {}",
            clock(ctx.now_ms - state.started_at.unwrap_or(ctx.now_ms)),
            action + 1,
            step.actions.len()
        ),
        StepStatus::AwaitingGate => {
            format!("{m} stopped at the gate: the target's name must be typed")
        }
        StepStatus::Countdown => format!("{m} counting down before it runs"),
        StepStatus::AwaitingChecklist if state.next_action < step.actions.len() => format!(
            "{m} paused after block {} of {}: tick the items written before the next, then Enter runs it",
            state.next_action,
            step.actions.len()
        ),
        StepStatus::AwaitingChecklist => {
            format!("{m} actions succeeded: tick the remaining items to finish it")
        }
        StepStatus::Done => match took {
            Some(d) => format!("{m} done in {d}"),
            None => format!("{m} done"),
        },
        StepStatus::Skipped { reason } => format!("{m} skipped: {reason}"),
        StepStatus::NotRehearsable { reason } => format!("{m} not rehearsable — {reason}"),
        StepStatus::InDoubt => {
            format!(
                "{m} in doubt: it was running when the session stopped, and may or may not have completed"
            )
        }
        StepStatus::Failed { reason } => {
            let after = took.map(|d| format!(" after {d}")).unwrap_or_default();
            let mut lines = vec![Line::from(Span::styled(
                format!("{m} failed{after}: {reason}"),
                t.failure(),
            ))];
            lines.extend(rollback_offer(ctx, step));
            return lines;
        }
    };
    let mut lines = vec![Line::from(Span::styled(text, t.status(st)))];
    // Blocks the sandbox passed by, each with the runbook's reason.
    let passed = StepStatus::NotRehearsable {
        reason: String::new(),
    };
    for (i, reason) in &state.not_rehearsed {
        lines.push(Line::from(Span::styled(
            format!("⊘ block {} not rehearsable — {reason}", i + 1),
            t.status(&passed),
        )));
    }
    lines
}

/// After a failure: what `r`, `s` and `b` would do.
fn rollback_offer(ctx: &Ctx, step: &Step) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let s = ctx.session;
    let mut lines = Vec::new();
    let rollbacks = s.rollbacks_for(&step.id);
    if rollbacks.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("r", t.key()),
            Span::raw(" retry · "),
            Span::styled("s", t.key()),
            Span::raw(" skip · no rollback step undoes this phase"),
        ]));
        return lines;
    }
    lines.push(Line::from(vec![
        Span::styled("r", t.key()),
        Span::raw(" retry · "),
        Span::styled("s", t.key()),
        Span::raw(" skip · "),
        Span::styled("b", t.key()),
        Span::raw(" rollback:"),
    ]));
    let phase = s
        .step(&step.id)
        .map_or_else(String::new, |(p, _)| p.title.clone());
    for r in rollbacks {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled("b", t.key()),
            Span::raw(format!(": rollback {phase} — {}", r.title)),
            Span::styled(
                r.estimate.map(|e| format!(" ~{e}")).unwrap_or_default(),
                t.dim(),
            ),
        ]));
    }
    lines
}

/// The line above an action's code: kind, target, timeout, and why it is
/// destructive.
fn action_header(
    s: &Session,
    t: &Theme,
    phase: &Phase,
    step: &Step,
    state: &StepState,
    n: usize,
) -> Option<Vec<Line<'static>>> {
    let a = step.actions.get(n)?;
    let target_name = s.action_target(phase, step, a).to_string();
    let target = s.target(&target_name);
    let timeout = a.timeout.or(target.map(|t| t.timeout));
    let passed_by = StepStatus::NotRehearsable {
        reason: String::new(),
    };
    let progress = match &state.status {
        // Passed by in the sandbox: never ran, whatever came after it.
        _ if state.not_rehearsed.iter().any(|(i, _)| *i == n) => Some(("⊘ ", t.status(&passed_by))),
        StepStatus::Running { action } if *action == n => Some(("◐ ", t.status(&state.status))),
        StepStatus::Running { action } if *action > n => Some(("✔ ", t.ok())),
        StepStatus::AwaitingChecklist if state.attempts > 0 && n < state.next_action => {
            Some(("✔ ", t.ok()))
        }
        StepStatus::Done if state.attempts > 0 => Some(("✔ ", t.ok())),
        _ => None,
    };
    let mut spans = Vec::new();
    if let Some((m, style)) = progress {
        spans.push(Span::styled(m, style));
    }
    let mut head = String::from("▶ ");
    if let Some(name) = &a.name {
        head.push_str(&format!("{name} · "));
    }
    head.push_str(&a.lang);
    spans.push(Span::styled(head, t.bold()));
    spans.push(Span::raw(" on "));
    let protected = target.is_some_and(|t| t.protected);
    spans.push(Span::styled(
        target_name,
        if protected { t.destructive() } else { t.bold() },
    ));
    if let Some(d) = timeout {
        spans.push(Span::raw(format!(" · timeout {}", format_duration(d))));
    }
    if a.interactive {
        spans.push(Span::raw(" · interactive (takes the terminal)"));
    }
    let mut lines = vec![Line::from(spans)];
    if a.destructive.is_destructive() {
        let mut why: Vec<String> = a
            .destructive
            .findings
            .iter()
            .map(|f| f.rule.describe().to_string())
            .collect();
        if let Some(o) = &a.destructive.overridden {
            why.push(
                o.reason
                    .clone()
                    .unwrap_or_else(|| "marked destructive by the runbook".into()),
            );
        }
        why.dedup();
        let gate = if protected {
            "gated: the target's name must be typed"
        } else {
            "counts down before it runs"
        };
        lines.push(Line::from(Span::styled(
            format!("⚠ destructive ({gate}): {}", why.join("; ")),
            t.destructive(),
        )));
    }
    Some(lines)
}
