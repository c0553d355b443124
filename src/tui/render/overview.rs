//! The runbook's overview over the screen: what it says before its first
//! phase and its context sections (Overview, Contacts, References…),
//! which are read, never run (`Runbook::overview`).

use super::Ctx;
use super::markdown::{self, Embeds};
use super::text::centered;
use super::wrap::{Break, wrap};
use crate::session::display::{Values, markdown as filled};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let modal_w = area.width.saturating_sub(2).min(100);
    let inner_w = usize::from(modal_w.saturating_sub(2));
    let overview = ctx.session.runbook().overview();
    let md = if overview.is_empty() {
        "This runbook has no introduction and no context section.".to_string()
    } else {
        filled(
            &overview,
            &Values::on_target(ctx.session, &ctx.session.info().target),
        )
    };
    let no_action = |_: usize| None;
    let embeds = Embeds {
        ticked: &[],
        action: &no_action,
    };
    let rows: Vec<Line<'static>> = markdown::render(&md, t, &embeds, inner_w)
        .iter()
        .flat_map(|l| wrap(l, inner_w, &[], Break::Words))
        .collect();
    let h = u16::try_from(rows.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let modal = centered(area, modal_w, h);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(" Overview · read, not run · Esc closes · j/k scroll ")
        .title_style(t.title());
    let inner = block.inner(modal);
    frame.render_widget(Clear, modal);
    frame.render_widget(block, modal);
    let max = u16::try_from(rows.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height);
    let scroll = ctx.app.help_scroll.min(max);
    frame.render_widget(Paragraph::new(rows).scroll((scroll, 0)), inner);
}
