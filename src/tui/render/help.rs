//! Every key, in two columns when the screen is wide enough.

use super::Ctx;
use super::text::{centered, pad, width, wrap};
use crate::tui::keys::{HelpSection, help_sections};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

fn section(sec: &HelpSection, col_w: usize, key_w: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(sec.title, t.title()))];
    let what_w = col_w.saturating_sub(key_w + 4).max(10);
    for (key, what) in &sec.keys {
        for (i, part) in wrap(what, what_w).into_iter().enumerate() {
            let k = if i == 0 {
                pad(key, key_w)
            } else {
                " ".repeat(key_w)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {k}"), t.key()),
                Span::raw(format!("  {part}")),
            ]));
        }
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let two = area.width >= 110;
    let modal_w = area.width.saturating_sub(2).min(if two { 150 } else { 84 });
    let inner_w = usize::from(modal_w.saturating_sub(2));
    let col_w = if two { (inner_w - 3) / 2 } else { inner_w };
    let help = help_sections(ctx.app);
    let key_w = help
        .iter()
        .flat_map(|s| s.keys.iter())
        .map(|(k, _)| width(k))
        .max()
        .unwrap_or(10);
    let sections: Vec<Vec<Line>> = help.iter().map(|s| section(s, col_w, key_w, t)).collect();
    let total: usize = sections.iter().map(|s| s.len() + 1).sum();
    let mut columns: Vec<Vec<Line>> = vec![Vec::new()];
    for s in sections {
        let current = columns.len() - 1;
        if two && current == 0 && columns[0].len() + s.len() / 2 > total / 2 {
            columns.push(Vec::new());
        }
        let col = columns.len() - 1;
        if !columns[col].is_empty() {
            columns[col].push(Line::default());
        }
        columns[col].extend(s);
    }
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let h = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let modal = centered(area, modal_w, h);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(" Keys · Esc closes · j/k scroll ")
        .title_style(t.title());
    let inner = block.inner(modal);
    frame.render_widget(Clear, modal);
    frame.render_widget(block, modal);
    let max = u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height);
    let scroll = ctx.app.help_scroll.min(max);
    let areas: Vec<Rect> = if columns.len() == 2 {
        let [a, _, b] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Fill(1),
        ])
        .areas(inner);
        vec![a, b]
    } else {
        vec![inner]
    };
    for (lines, area) in columns.into_iter().zip(areas) {
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
    }
}
