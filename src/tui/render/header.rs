//! Two rows: the target badge (impossible to miss on a protected target),
//! DRILL, the title; then time against the plan, where commands run (the
//! contexts identified) and where the journal is.

use super::Ctx;
use super::contexts;
use super::text::{millis, portable, truncate, truncate_left, width};
use crate::runbook::duration::Estimate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let s = ctx.session;
    let t = ctx.theme;
    let target = &s.info().target;
    let protected = s.target(target).is_some_and(|t| t.protected);
    let badge = if protected {
        format!(" {} · protected ", target.to_uppercase())
    } else {
        format!(" {} ", target.to_uppercase())
    };
    let mut first = vec![Span::styled(badge.clone(), t.target_badge(protected))];
    let mut used = width(&badge);
    if s.info().drill {
        first.push(Span::raw(" "));
        first.push(Span::styled(" DRILL ", t.drill_badge()));
        used += 8;
    }
    // The target's name reads "PRODUCTION" in a rehearsal too: say where
    // it really is.
    if s.info().sandbox {
        first.push(Span::raw(" "));
        first.push(Span::styled(" SANDBOX ", t.drill_badge()));
        used += 10;
    }
    let room = usize::from(area.width).saturating_sub(used + 1);
    first.push(Span::raw(" "));
    first.push(Span::styled(
        truncate(&portable(&s.runbook().title), room),
        t.title(),
    ));

    let now = ctx.now_ms;
    let elapsed = s.elapsed(now);
    let mut parts: Vec<Span> = vec![Span::raw(format!("elapsed {}", millis(elapsed)))];
    if let Some(plan) = s.plan() {
        parts.push(Span::raw(format!(" · plan {plan}")));
        if s.over_plan(now) {
            parts.push(Span::styled(" (over)", t.hint()));
        }
        parts.push(Span::raw(match s.remaining() {
            Some(left) if left != Estimate::ZERO => format!(" · ETA in ~{left}"),
            _ if s.is_complete() => " · all steps settled".to_string(),
            _ => String::new(),
        }));
    }
    // The end of a rehearsal: how much of its flow it rehearsed.
    if s.is_complete() && crate::report::coverage::session_applies(s) {
        let c = crate::report::coverage::of_session(s);
        parts.push(Span::styled(format!(" · {}", c.line()), t.hint()));
    }
    if let Some(end) = s.ended() {
        parts.push(Span::styled(
            format!(" · session ended ({end:?})"),
            t.hint(),
        ));
    }
    // A store that is down is worth knowing before the next step: the
    // team does not see what happens here until it catches up.
    if let Some((n, _)) = &ctx.app.store_behind {
        parts.push(Span::styled(
            format!(
                " · store: {n} record{} behind",
                if *n == 1 { "" } else { "s" }
            ),
            t.hint(),
        ));
    }
    // Where commands run comes before the journal's path: it is what an
    // operator checks before a step, the path is for afterwards.
    let mut used: usize = parts.iter().map(|p| width(&p.content)).sum();
    let room = usize::from(area.width).saturating_sub(used + 3);
    if let Some(ctx) = contexts::segment(s, room) {
        let ctx = format!(" · {ctx}");
        used += width(&ctx);
        parts.push(Span::raw(ctx));
    }
    if let Some(path) = &ctx.app.journal_path {
        let room = usize::from(area.width).saturating_sub(used + 11);
        if room >= 8 {
            parts.push(Span::styled(" · journal ", t.dim()));
            parts.push(Span::styled(truncate_left(path, room), t.dim()));
        }
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(parts)]),
        area,
    );
}
