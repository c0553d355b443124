//! A destructive step on an unprotected target: it runs when the count
//! reaches zero unless the operator cancels.

use super::Ctx;
use super::gate::{code_lines, landing_lines, reason_lines, reasons_of, shown_code, with_values};
use super::text::{centered, truncate};
use crate::session::display::Values;
use crate::tui::app::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

/// Whole seconds left, rounded up: "runs in 1s" until it runs.
pub fn seconds_left(ends_at_ms: i64, now_ms: i64) -> i64 {
    ((ends_at_ms - now_ms).max(0) + 999) / 1000
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let Mode::Countdown { step, ends_at_ms } = &ctx.app.mode else {
        return;
    };
    let t = ctx.theme;
    let s = ctx.session;
    let Some((phase, st)) = s.step(step) else {
        return;
    };
    let target = st
        .actions
        .iter()
        .find(|a| a.destructive.is_destructive())
        .map_or_else(
            || s.info().target.clone(),
            |a| s.action_target(phase, st, a).to_string(),
        );
    let modal_w = area.width.saturating_sub(2).min(80);
    let w = usize::from(modal_w.saturating_sub(4));
    let secs = seconds_left(*ends_at_ms, ctx.now_ms);
    let mut lines = vec![
        Line::from(Span::styled(truncate(&st.title, w), t.title())),
        Line::from(vec![
            Span::styled(format!(" runs in {secs}s "), t.flash(true)),
            Span::raw(" — "),
            Span::styled("Esc", t.key()),
            Span::raw(" or "),
            Span::styled("c", t.key()),
            Span::raw(" to cancel"),
        ]),
        Line::default(),
    ];
    lines.extend(landing_lines(s, step, &target, w, t));
    lines.push(Line::from(Span::styled("Why it is destructive:", t.bold())));
    let reasons = with_values(reasons_of(st), &Values::on_target(s, &target));
    lines.extend(reason_lines(&reasons, w, t));
    lines.push(Line::from(vec![
        Span::styled("What will run on ", t.bold()),
        Span::styled(target.clone(), t.gate_name()),
        Span::styled(":", t.bold()),
    ]));
    let code = shown_code(s, step);
    let room = usize::from(area.height.saturating_sub(4))
        .saturating_sub(lines.len())
        .clamp(3, 10);
    lines.extend(code_lines(&code, w, room, t));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let modal = centered(area, modal_w, h);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.gate_border())
        .title(Span::styled(
            format!(
                " ⚠ DESTRUCTIVE · {} · counting down ",
                target.to_uppercase()
            ),
            t.target_badge(false),
        ));
    frame.render_widget(Clear, modal);
    frame.render_widget(Paragraph::new(lines).block(block), modal);
}
