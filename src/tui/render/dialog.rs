//! Questions with a few answers: quit while a step runs, which rollback to
//! turn to, and what to do with a step left in doubt by a crash.

use super::Ctx;
use super::text::{centered, truncate, wrap};
use crate::tui::app::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let s = ctx.session;
    let title_of = |id: &str| {
        s.step(id)
            .map_or_else(|| id.to_string(), |(_, st)| st.title.clone())
    };
    // Over the step pane when it is big enough, so the output stays in view
    // (an in-doubt step's output is what the operator checks).
    let host = if ctx.regions.compact {
        area
    } else {
        ctx.regions.step
    };
    let modal_w = host.width.saturating_sub(2).min(72);
    let w = usize::from(modal_w.saturating_sub(4));
    let para =
        |text: &str| -> Vec<Line<'static>> { wrap(text, w).into_iter().map(Line::from).collect() };
    let key_line = |pairs: &[(&str, &str)]| {
        let mut spans = Vec::new();
        for (i, (k, what)) in pairs.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::styled(k.to_string(), t.key()));
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    };
    let (title, lines) = match &ctx.app.mode {
        Mode::ConfirmQuit => {
            let running = s.running().map(title_of).unwrap_or_default();
            let mut l = para(&format!(
                "“{running}” is running. Quit anyway? The session stays resumable with `runsheet resume`."
            ));
            l.push(key_line(&[("y", "quit"), ("any other key", "stay")]));
            ("Quit?", l)
        }
        Mode::ConfirmCancel { step } => {
            let question = crate::driver::interrupt::protected_run(s)
                .filter(|r| r.step == *step)
                .map_or_else(|| format!("Stop “{}”?", title_of(step)), |r| r.question());
            let mut l = para(&question);
            l.push(key_line(&[
                ("y", "stop it"),
                ("Ctrl-C", "stop it"),
                ("any other key", "let it run"),
            ]));
            ("Stop the command?", l)
        }
        Mode::Rollback {
            failed,
            choices,
            selected,
        } => {
            let mut l = para(&format!(
                "“{}” failed. Turn to a rollback step:",
                title_of(failed)
            ));
            for (i, id) in choices.iter().enumerate() {
                let est = s
                    .step(id)
                    .and_then(|(_, st)| st.estimate)
                    .map(|e| format!(" ~{e}"))
                    .unwrap_or_default();
                let text = truncate(
                    &format!("{} {}{est}", i + 1, title_of(id)),
                    w.saturating_sub(2),
                );
                let style = if i == *selected {
                    t.selected()
                } else {
                    t.base()
                };
                l.push(Line::from(vec![Span::raw("  "), Span::styled(text, style)]));
            }
            l.push(key_line(&[
                ("j/k", "choose"),
                ("Enter", "select it, then Enter runs it"),
                ("Esc", "back"),
            ]));
            ("Rollback", l)
        }
        Mode::Offer { offer } => {
            let Some(o) = s.offer(offer) else { return };
            let n = o.options.len();
            let mut l = para(&format!(
                "{}: {n} option{}, only the one chosen runs:",
                capitalized(&s.offer_place(o)),
                if n == 1 { "" } else { "s" }
            ));
            for option in &o.options {
                let est = option
                    .steps
                    .iter()
                    .filter_map(|id| s.step(id).and_then(|(_, st)| st.estimate))
                    .reduce(|a, b| a + b)
                    .map(|e| format!(" ~{e}"))
                    .unwrap_or_default();
                let text = truncate(&format!("{}{est}", option.title), w.saturating_sub(4));
                l.push(Line::from(vec![
                    Span::raw("  "),
                    Span::styled(option.letter.to_string(), t.key()),
                    Span::raw(" "),
                    Span::styled(text, t.base()),
                ]));
            }
            l.push(key_line(&[
                ("a, b, …", "run that option"),
                ("n", "none"),
                ("Esc", "look first"),
            ]));
            ("Alternatives", l)
        }
        Mode::InDoubt { step } => {
            let mut l = para(&format!(
                "“{}” was running when the session stopped. It may or may not have completed: check, then decide.",
                title_of(step)
            ));
            l.push(Line::default());
            l.push(key_line(&[
                ("r", "run it again"),
                ("d", "it completed: mark done"),
            ]));
            l.push(key_line(&[
                ("s", "skip it (with a reason)"),
                ("n", "note"),
                ("q", "quit"),
            ]));
            ("In doubt", l)
        }
        _ => return,
    };
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let mut modal = centered(if h <= host.height { host } else { area }, modal_w, h);
    // Too tall for the step pane of a narrow screen: at the top instead
    // of the middle, so the output below stays in view (the in-doubt
    // question is answered by looking at it).
    if h > host.height && ctx.regions.output.height > 0 {
        modal.y = ctx.regions.tree.y.max(area.y);
    }
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.hint())
        .title(format!(" {title} "))
        .title_style(t.title());
    frame.render_widget(Clear, modal);
    frame.render_widget(Paragraph::new(lines).block(block), modal);
}

/// "At “Stop the app”" from "at “Stop the app”".
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
