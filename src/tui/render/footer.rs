//! One row: a flash when there is one, then the keys that work right now.

use super::Ctx;
use super::text::{truncate, width};
use crate::tui::keys;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let w = usize::from(area.width);
    let mut spans = Vec::new();
    let mut used = 0;
    if let Some(flash) = ctx.app.flash_at(ctx.now_ms) {
        let text = truncate(&format!(" {} ", flash.text), w);
        used += width(&text);
        spans.push(Span::styled(text, t.flash(flash.alert)));
        spans.push(Span::raw(" "));
        used += 1;
    }
    for (key, what) in keys::available(ctx.app, ctx.session) {
        let item = width(&key) + width(&what) + 3;
        if used + item > w {
            break;
        }
        spans.push(Span::styled(format!(" {key}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
        used += item;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
