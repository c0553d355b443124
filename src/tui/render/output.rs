//! The selected step's output as its emulator shows it (only the visible
//! rows are drawn, however much is buffered), whether it follows the newest
//! line, and the search matches on screen.

use super::Ctx;
use crate::session::StepStatus;
use crate::tui::app::Focus;
use crate::tui::output::View;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_term::widget::{Cursor, PseudoTerminal};

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let app = ctx.app;
    let t = ctx.theme;
    let step = app.selected.as_deref().unwrap_or_default();
    let view = ctx.outputs.view(step);
    let mut block = ctx.block("Output", app.focus == Focus::Output);
    if let Some(v) = &view {
        let marker = if v.offset == 0 {
            Span::styled(" FOLLOW ", t.marker(true))
        } else {
            Span::styled(format!(" SCROLL ↑{} ", v.offset), t.marker(false))
        };
        let mut right = vec![marker];
        if let Some(s) = &app.search {
            let at = s
                .current
                .and_then(|c| s.matches.iter().position(|m| *m == c))
                .map_or_else(|| "-".to_string(), |i| (i + 1).to_string());
            right.insert(
                0,
                Span::styled(format!(" /{} {at}/{} ", s.query, s.matches.len()), t.hint()),
            );
        }
        if v.scrollback_len > 0 {
            right.push(Span::styled(
                format!(" {} rows above ", v.scrollback_len - v.offset),
                t.dim(),
            ));
        }
        block = block.title_top(Line::from(right).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(view) = view else {
        frame.render_widget(Paragraph::new(placeholder(ctx, step)).style(t.dim()), inner);
        return;
    };
    frame.render_widget(
        PseudoTerminal::new(view.screen).cursor(Cursor::default().visibility(false)),
        inner,
    );
    if !t.color {
        // NO_COLOR covers the commands' own colours too; bold and the like stay.
        let buf = frame.buffer_mut();
        for y in inner.top()..inner.bottom() {
            for x in inner.left()..inner.right() {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_fg(Color::Reset).set_bg(Color::Reset);
                }
            }
        }
    }
    if let Some(s) = &app.search {
        highlight(frame.buffer_mut(), inner, &view, &s.query, s.current, t);
    }
    // A long line wraps: a secret may start on one row and end on the next.
    let top = inner.top();
    super::mask::rows(frame.buffer_mut(), inner, ctx.outputs.secrets(), &|y| {
        view.screen.row_wrapped(y - top)
    });
}

fn placeholder(ctx: &Ctx, step: &str) -> &'static str {
    match ctx.session.state(step).map(|s| &s.status) {
        Some(StepStatus::Pending) if ctx.app.read_only => "Nothing has run yet.",
        Some(StepStatus::Pending) => "Nothing has run yet: Enter runs it.",
        Some(StepStatus::Running { .. }) => "Running; no output yet.",
        Some(StepStatus::AwaitingGate | StepStatus::Countdown) => "Waiting to run.",
        _ => "No output.",
    }
}

/// Marks where the query appears in the visible rows, ignoring case.
fn highlight(
    buf: &mut Buffer,
    inner: Rect,
    view: &View,
    query: &str,
    current: Option<usize>,
    t: &Theme,
) {
    let needle: Vec<char> = query.to_lowercase().chars().collect();
    if needle.is_empty() {
        return;
    }
    for r in 0..inner.height {
        let mut chars: Vec<(u16, char)> = Vec::new();
        for c in 0..inner.width {
            let Some(cell) = view.screen.cell(r, c) else {
                break;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            let text = cell.contents();
            if text.is_empty() {
                chars.push((c, ' '));
            } else {
                chars.extend(text.chars().flat_map(char::to_lowercase).map(|ch| (c, ch)));
            }
        }
        let style = t.search_match(current == Some(view.absolute_row(usize::from(r))));
        let mut i = 0;
        while i + needle.len() <= chars.len() {
            if chars[i..i + needle.len()]
                .iter()
                .map(|(_, ch)| *ch)
                .eq(needle.iter().copied())
            {
                let (from, to) = (chars[i].0, chars[i + needle.len() - 1].0);
                for c in from..=to {
                    if let Some(cell) = buf.cell_mut((inner.x + c, inner.y + r)) {
                        cell.set_style(style);
                    }
                }
                i += needle.len();
            } else {
                i += 1;
            }
        }
    }
}
