//! A pane's rows seen through its height, and the marks that say there is
//! more: "↑ N above" on the top border, "↓ N more lines" on the bottom one
//! (or on the pane's last row when it has no bottom border).

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// A pane's rows seen through its height: where the view starts, and the
/// marks that say what is above or below it (on the border when the pane
/// has one there, else on its last row).
pub struct Scrolled {
    pub top: usize,
    pub height: usize,
    pub area: Rect,
    above: usize,
    below: usize,
    /// The pane has no bottom border: the "more" mark takes the last row.
    inside: Option<Rect>,
}

impl Scrolled {
    /// `rows` of content, the first `scroll` of them scrolled past, in
    /// `inner`; `bottom_border`: the pane has a border below it.
    pub fn new(rows: usize, scroll: usize, inner: Rect, bottom_border: bool) -> Self {
        let full = usize::from(inner.height);
        let mut height = full;
        let mut area = inner;
        let mut inside = None;
        if rows > full && !bottom_border && full >= 2 {
            height = full - 1;
            area.height -= 1;
            inside = Some(Rect {
                y: area.bottom(),
                height: 1,
                ..inner
            });
        }
        let top = scroll.min(rows.saturating_sub(height));
        let below = rows.saturating_sub(top + height);
        if below == 0 {
            inside = None;
        }
        Self {
            top,
            height,
            area,
            above: top,
            below,
            inside,
        }
    }

    fn below_text(&self) -> String {
        let n = self.below;
        format!("↓ {n} more line{}", if n == 1 { "" } else { "s" })
    }

    /// The block with the marks on its borders.
    pub fn decorate(&self, block: Block<'static>, theme: &Theme) -> Block<'static> {
        let mut block = block;
        if self.above > 0 {
            block = block.title_top(
                Line::from(Span::styled(
                    format!(" ↑ {} above ", self.above),
                    theme.hint(),
                ))
                .right_aligned(),
            );
        }
        if self.below > 0 && self.inside.is_none() {
            block = block.title_bottom(
                Line::from(Span::styled(
                    format!(" {} ", self.below_text()),
                    theme.hint(),
                ))
                .right_aligned(),
            );
        }
        block
    }

    /// Without a bottom border, the mark is the pane's last row.
    pub fn below_inside(&self, frame: &mut Frame, theme: &Theme) {
        if let Some(row) = self.inside {
            frame.render_widget(
                Paragraph::new(
                    Line::from(Span::styled(self.below_text(), theme.hint())).right_aligned(),
                ),
                row,
            );
        }
    }
}
