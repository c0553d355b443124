//! The gate: what will run, on which target, why it is destructive, and the
//! target's name to type. Refusing is journaled, and so is a wrong name.

use super::Ctx;
use super::text::{centered, truncate, wrap};
use crate::runbook::model::Step;
use crate::session::Session;
use crate::session::display::{self, Piece, Shown, Values};
use crate::tui::app::Mode;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
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

/// The reasons with the values their excerpts run with.
pub fn with_values(
    reasons: Vec<(String, String, String)>,
    values: &Values,
) -> Vec<(String, String, String)> {
    reasons
        .into_iter()
        .map(|(rule, why, excerpt)| (rule, why, values.fill(&excerpt)))
        .collect()
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

/// A step's code as the gate shows it: each action's text with the
/// values it runs with (secrets `***`), by the rules of its kind, and the
/// variables shown, for the legend under it.
pub fn shown_code(session: &Session, step: &str) -> (Vec<Vec<Seg>>, Vec<(String, Shown)>) {
    let Some((phase, st)) = session.step(step) else {
        return (Vec::new(), Vec::new());
    };
    let mut rows: Vec<Vec<Seg>> = Vec::new();
    let mut named: Vec<(String, Shown)> = Vec::new();
    for a in &st.actions {
        let values = Values::on_target(session, session.action_target(phase, st, a));
        let pieces = display::code(a, &values);
        for entry in display::legend(&pieces) {
            if !named.iter().any(|(n, _)| *n == entry.0) {
                named.push(entry);
            }
        }
        let mut row: Vec<Seg> = Vec::new();
        for p in &pieces {
            let (text, value) = match p {
                Piece::Text(t) => (*t, false),
                Piece::Var { shown, .. } => (shown.text(), true),
            };
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    rows.push(std::mem::take(&mut row));
                }
                if !part.is_empty() {
                    row.push((part.replace('\t', "    "), value));
                }
            }
        }
        if !row.is_empty() {
            rows.push(row);
        }
    }
    (rows, named)
}

/// A piece of a code line and whether it is a variable's value.
pub type Seg = (String, bool);

/// Code lines wrapped to `w` (a continuation keeps the gutter, indented),
/// values underlined, cut to `rows` with a count of what was left out;
/// then the legend saying which variable each value is.
pub fn code_lines(
    code: &(Vec<Vec<Seg>>, Vec<(String, Shown)>),
    w: usize,
    rows: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    let (code, named) = code;
    let value_style = t.code().add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
    let mut all: Vec<Line<'static>> = Vec::new();
    for row in code {
        let (first, rest) = (w.saturating_sub(2).max(8), w.saturating_sub(4).max(8));
        for (i, segs) in wrap_segs(row, first, rest).into_iter().enumerate() {
            let mut spans = vec![Span::styled(if i == 0 { "┃ " } else { "┃   " }, t.code())];
            spans.extend(segs.into_iter().map(|(text, value)| {
                Span::styled(text, if value { value_style } else { t.code() })
            }));
            all.push(Line::from(spans));
        }
    }
    let legend: Vec<Line<'static>> = if named.is_empty() {
        Vec::new()
    } else {
        wrap(&display::legend_text(named), w.saturating_sub(2))
            .into_iter()
            .map(|l| Line::from(Span::styled(format!("  {l}"), t.dim())))
            .collect()
    };
    let rows = rows.saturating_sub(legend.len()).max(2);
    let fits = all.len() <= rows;
    let shown = if fits {
        all.len()
    } else {
        rows.saturating_sub(1)
    };
    let left = all.len() - shown;
    let mut lines: Vec<Line<'static>> = all.into_iter().take(shown).collect();
    if !fits {
        lines.push(Line::from(Span::styled(
            format!("┃ … {left} more lines (in the step pane)"),
            t.dim(),
        )));
    }
    lines.extend(legend);
    lines
}

/// One code line's pieces cut into rows of at most `first` columns, then
/// `rest` (the continuations' gutter is wider).
fn wrap_segs(row: &[Seg], first: usize, rest: usize) -> Vec<Vec<Seg>> {
    let mut out: Vec<Vec<Seg>> = vec![Vec::new()];
    let mut used = 0;
    for (text, value) in row {
        let mut cur = String::new();
        for c in text.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            let w = if out.len() == 1 { first } else { rest };
            if used + cw > w && used > 0 {
                if !cur.is_empty()
                    && let Some(r) = out.last_mut()
                {
                    r.push((std::mem::take(&mut cur), *value));
                }
                out.push(Vec::new());
                used = 0;
            }
            cur.push(c);
            used += cw;
        }
        if !cur.is_empty()
            && let Some(r) = out.last_mut()
        {
            r.push((cur, *value));
        }
    }
    out
}

/// Where the step lands, target by target: the database identified there
/// at the start (host, port, database, version, system identifier), or
/// where its commands run.
pub fn landing_lines(
    session: &Session,
    step: &str,
    target: &str,
    w: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, l) in display::landings(session, step, target).iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(
                if i == 0 {
                    "Where it lands: "
                } else {
                    "Also on: "
                },
                t.bold(),
            ),
            Span::styled(l.target.clone(), t.gate_name()),
            Span::styled(if l.protected { " (protected)" } else { "" }, t.dim()),
        ]));
        for fact in l.lines() {
            for (j, part) in wrap(&fact, w.saturating_sub(4)).into_iter().enumerate() {
                let lead = if j == 0 { "  " } else { "    " };
                lines.push(Line::from(Span::raw(format!("{lead}{part}"))));
            }
        }
    }
    lines
}

/// Who approved, and how many are awaited: the gate opens with the name
/// typed and the last approval, in either order.
fn four_eyes_lines(
    fe: &crate::session::four_eyes::FourEyes,
    w: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "Four-eyes: {} approval{} from another person, besides the name:",
            fe.needed,
            if fe.needed == 1 { "" } else { "s" }
        ),
        t.bold(),
    ))];
    for a in &fe.approvals {
        for l in wrap(&format!("  ✔ {}: {}", a.approver, a.reason), w) {
            lines.push(Line::from(Span::raw(l)));
        }
    }
    let missing = fe.missing();
    if missing > 0 {
        let asked = match &fe.request {
            Some(_) => "they run `runsheet approve`",
            None => "not asked yet: the store has not answered",
        };
        for l in wrap(&format!("  … waiting for {missing} more ({asked})"), w) {
            lines.push(Line::from(Span::styled(l, t.hint())));
        }
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
    let reasons = with_values(reasons, &Values::on_target(s, &target));
    let code = shown_code(s, step);

    let modal_w = area.width.saturating_sub(2).min(92);
    let w = usize::from(modal_w.saturating_sub(4));
    let max_inner = usize::from(area.height.saturating_sub(2)).max(6);

    let mut top = vec![Line::from(Span::styled(truncate(&st.title, w), t.title()))];
    top.extend(landing_lines(s, step, &target, w, t));
    // A check's finding asks for approval of what it found; its code ran.
    let finding = gate.is_some_and(|g| g.finding.is_some());
    let (why, what, verb) = if finding {
        (
            "What the check found:",
            "The check that ran on ",
            " to approve it and go on:",
        )
    } else {
        ("Why it is destructive:", "What will run on ", " to run it:")
    };
    top.push(Line::from(Span::styled(why, t.bold())));
    top.extend(reason_lines(&reasons, w, t));
    top.push(Line::from(vec![
        Span::styled(what, t.bold()),
        Span::styled(target.clone(), t.gate_name()),
        Span::styled(":", t.bold()),
    ]));

    let mut bottom = vec![Line::from(vec![
        Span::raw("Type "),
        Span::styled(target.clone(), t.gate_name()),
        Span::raw(verb),
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
    if let Some(fe) = s.four_eyes(step) {
        bottom.extend(four_eyes_lines(fe, w, t));
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
