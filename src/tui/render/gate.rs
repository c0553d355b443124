//! The gate: what will run, on which target, why it is destructive, and the
//! target's name to type. Refusing is journaled, and so is a wrong name.

use super::Ctx;
use super::text::{centered, truncate, wrap};
use crate::runbook::model::Step;
use crate::tui::app::Mode;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

/// Why a step is destructive: (rule id, what it does, the text that matched).
pub fn reasons_of(step: &Step) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for a in step
        .actions
        .iter()
        .filter(|a| a.destructive.is_destructive())
    {
        for f in &a.destructive.findings {
            out.push((
                f.rule.id().to_string(),
                f.rule.describe().to_string(),
                f.excerpt.clone(),
            ));
        }
        if let Some(o) = a.destructive.overridden.as_ref().filter(|o| o.destructive) {
            out.push((
                "attribute".into(),
                o.reason
                    .clone()
                    .unwrap_or_else(|| "marked destructive by the runbook".into()),
                String::new(),
            ));
        }
    }
    out
}

/// Reasons as lines, wrapped to `w`.
pub fn reason_lines(
    reasons: &[(String, String, String)],
    w: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (rule, why, excerpt) in reasons {
        for (i, l) in wrap(&format!("{rule}: {why}"), w.saturating_sub(2))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { "• " } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(lead, t.destructive()),
                Span::raw(l),
            ]));
        }
        if !excerpt.is_empty() {
            lines.push(Line::from(Span::styled(
                truncate(&format!("    {}", excerpt.replace('\n', " ")), w),
                t.code(),
            )));
        }
    }
    lines
}

/// Code lines, cut to `rows` with a count of what was left out.
pub fn code_lines(code: &[String], w: usize, rows: usize, t: &Theme) -> Vec<Line<'static>> {
    let all: Vec<&str> = code
        .iter()
        .flat_map(|c| c.trim_end_matches('\n').split('\n'))
        .collect();
    let mut lines = Vec::new();
    let fits = all.len() <= rows;
    let shown = if fits {
        all.len()
    } else {
        rows.saturating_sub(1)
    };
    for l in all.iter().take(shown) {
        lines.push(Line::from(vec![
            Span::styled("┃ ", t.code()),
            Span::styled(
                truncate(&l.replace('\t', "    "), w.saturating_sub(2)),
                t.code(),
            ),
        ]));
    }
    if !fits {
        lines.push(Line::from(Span::styled(
            format!("┃ … {} more lines (in the step pane)", all.len() - shown),
            t.dim(),
        )));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let Mode::Gate { step, input } = &ctx.app.mode else {
        return;
    };
    let t = ctx.theme;
    let s = ctx.session;
    let Some((_, st)) = s.step(step) else {
        return;
    };
    let gate = ctx.app.gate.as_ref().filter(|g| g.step == *step);
    let target = gate.map_or_else(|| s.info().target.clone(), |g| g.target.clone());
    let reasons: Vec<(String, String, String)> = match gate {
        Some(g) => g
            .reasons
            .iter()
            .map(|r| (r.rule.id().to_string(), r.why.clone(), r.excerpt.clone()))
            .collect(),
        None => reasons_of(st),
    };
    let code: Vec<String> = match gate {
        Some(g) => g.code.clone(),
        None => st.actions.iter().map(|a| a.code.clone()).collect(),
    };

    let modal_w = area.width.saturating_sub(2).min(92);
    let w = usize::from(modal_w.saturating_sub(4));
    let max_inner = usize::from(area.height.saturating_sub(2)).max(6);

    let mut top = vec![Line::from(Span::styled(truncate(&st.title, w), t.title()))];
    top.push(Line::from(Span::styled("Why it is destructive:", t.bold())));
    top.extend(reason_lines(&reasons, w, t));
    top.push(Line::from(vec![
        Span::styled("What will run on ", t.bold()),
        Span::styled(target.clone(), t.gate_name()),
        Span::styled(":", t.bold()),
    ]));

    let mut bottom = vec![Line::from(vec![
        Span::raw("Type "),
        Span::styled(target.clone(), t.gate_name()),
        Span::raw(" to run it:"),
    ])];
    bottom.push(Line::from(vec![
        Span::styled("> ", t.bold()),
        Span::styled(input.clone(), t.input()),
        Span::styled("█", Style::default()),
    ]));
    if let Some(hint) = &ctx.app.hint {
        for l in wrap(hint, w) {
            bottom.push(Line::from(Span::styled(l, t.hint())));
        }
    }
    bottom.push(Line::from(Span::styled(
        "Esc refuses to run it. Refusals and wrong names are journaled.",
        t.dim(),
    )));

    let fixed = top.len() + bottom.len();
    let code_rows = max_inner.saturating_sub(fixed).max(2);
    let code = code_lines(&code, w, code_rows, t);
    let mut lines = top;
    if lines.len() + code.len() + bottom.len() > max_inner {
        // Too small for everything: keep the title, the input and the way out.
        let keep = max_inner.saturating_sub(code.len() + bottom.len()).max(1);
        lines.truncate(keep);
    }
    lines.extend(code);
    lines.extend(bottom);

    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let modal = centered(area, modal_w, h);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.gate_border())
        .title(Span::styled(
            format!(" ⚠ DESTRUCTIVE STEP · {} ", target.to_uppercase()),
            t.gate_name(),
        ));
    frame.render_widget(Clear, modal);
    frame.render_widget(Paragraph::new(lines).block(block), modal);
}
