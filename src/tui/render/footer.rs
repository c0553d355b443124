//! One row: a flash when there is one, then the keys that work right now,
//! the least important left out first when the row is short (`q quit`
//! and `? keys` never are).

use super::Ctx;
use super::text::{truncate, width};
use crate::tui::keys::{self, FooterKey};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What one key takes: ` key label `.
fn item_width(k: &FooterKey) -> usize {
    width(&k.key) + width(&k.label) + 3
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let w = usize::from(area.width);
    let available = keys::available(ctx.app, ctx.session);
    // A flash gives way to the keys that are never dropped.
    let kept: usize = available
        .iter()
        .filter(|k| k.priority == 0)
        .map(item_width)
        .sum();
    let mut spans = Vec::new();
    let mut used = 0;
    // A rollback that undid a failure is the session's outcome: said
    // first, and never dropped for keys.
    if let Some(r) = ctx.session.rolled_back() {
        let title = |id: &str| ctx.session.step_title(id);
        let text = truncate(
            &format!(
                " ↺ rolled back: “{}” undone by “{}” ",
                title(&r.failed),
                title(&r.rollback)
            ),
            w.saturating_sub(kept + 1).max(w.min(12)),
        );
        used += width(&text);
        spans.push(Span::styled(text, t.flash(true)));
        spans.push(Span::raw(" "));
        used += 1;
    }
    if let Some(flash) = ctx.app.flash_at(ctx.now_ms) {
        let room = w
            .saturating_sub(kept + 1 + used)
            .max(w.saturating_sub(used).min(12));
        let text = truncate(&format!(" {} ", flash.text), room);
        used += width(&text);
        spans.push(Span::styled(text, t.flash(flash.alert)));
        spans.push(Span::raw(" "));
        used += 1;
    }
    for k in keys::fit(available, w.saturating_sub(used), item_width) {
        spans.push(Span::styled(format!(" {}", k.key), t.key()));
        spans.push(Span::raw(format!(" {} ", k.label)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
