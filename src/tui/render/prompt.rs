//! One-line inputs: a skip's reason, a note, a search, a variable's value
//! (masked when it is a secret).

use super::Ctx;
use super::text::{centered, truncate, truncate_left, width, wrap};
use crate::tui::app::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let s = ctx.session;
    let title_of = |id: &str| {
        s.step(id)
            .map_or_else(|| id.to_string(), |(_, st)| st.title.clone())
    };
    let (title, question, input, secret) = match &ctx.app.mode {
        Mode::Skip { step, input } => (
            "Skip".to_string(),
            format!(
                "Why skip “{}”? The reason goes in the journal.",
                title_of(step)
            ),
            input,
            false,
        ),
        Mode::Note { step, input } => (
            "Note".to_string(),
            match step {
                Some(id) => format!("A note on “{}”, for the journal:", title_of(id)),
                None => "A note for the journal:".to_string(),
            },
            input,
            false,
        ),
        Mode::Search { input } => (
            "Search".to_string(),
            "Search the output for:".to_string(),
            input,
            false,
        ),
        Mode::Prompt {
            name,
            secret,
            input,
        } => {
            // A placeholder's variable is described by where it came from.
            let description = crate::runbook::placeholders::asked_variables(s.runbook())
                .iter()
                .find(|v| v.name == *name)
                .and_then(|v| v.description.clone());
            let mut q = format!("A value for ${name}");
            if let Some(d) = description {
                q.push_str(&format!(" ({d})"));
            }
            q.push_str(if *secret {
                ": a secret, not shown and never journaled"
            } else {
                ":"
            });
            (format!("Variable {name}"), q, input, *secret)
        }
        _ => return,
    };
    let modal_w = area.width.saturating_sub(2).min(76);
    let w = usize::from(modal_w.saturating_sub(4));
    let mut lines: Vec<Line> = wrap(&question, w).into_iter().map(Line::from).collect();
    let shown = if secret {
        "•".repeat(input.chars().count())
    } else {
        input.clone()
    };
    // The end of a long input is where the typing happens.
    let shown = if width(&shown) + 3 > w {
        truncate_left(&shown, w.saturating_sub(3))
    } else {
        shown
    };
    lines.push(Line::from(vec![
        Span::styled("> ", t.bold()),
        Span::styled(shown, t.input()),
        Span::styled("█", Style::default()),
    ]));
    if let Some(hint) = &ctx.app.hint {
        lines.extend(
            wrap(hint, w)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, t.hint()))),
        );
    }
    lines.push(Line::from(Span::styled(
        truncate("Enter confirms · Esc cancels · Ctrl-U clears", w),
        t.dim(),
    )));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let modal = centered(area, modal_w, h);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(format!(" {title} "))
        .title_style(t.title());
    frame.render_widget(Clear, modal);
    frame.render_widget(Paragraph::new(lines).block(block), modal);
}
