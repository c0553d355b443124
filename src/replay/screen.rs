//! A replay frame: the live session's screen, untouched, between a banner
//! (when the journal cannot be trusted to the end) and the replay bar
//! (playing or paused, speed, time, position, follow, what just happened).
//!
//! ```text
//! ⚠ the journal fails verification at line 40 … (banner, when needed)
//! ┌ the live UI, drawn by tui::draw into the rows between ┐
//! └───────────────────────────────────────────────────────┘
//! ▶ PLAYING 5x · skip idle │ 3:12 / 20:45 │ record 57 / 230 │ last: …
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clock::format_offset;
use super::controls::Controls;
use super::index::Stop;
use crate::session::Millis;
use crate::tui::render::text::{truncate, width};
use crate::tui::{self, Mode, Theme};

/// Where the banner (if any), the live UI and the bar go.
pub fn regions(area: Rect, banner: bool) -> (Option<Rect>, Rect, Rect) {
    let top = u16::from(banner && area.height > 3);
    let body = area.height.saturating_sub(1 + top);
    let banner = (top > 0).then(|| Rect::new(area.x, area.y, area.width, 1));
    let ui = Rect::new(area.x, area.y + top, area.width, body);
    let bar = Rect::new(area.x, area.y + top + body, area.width, area.height.min(1));
    (banner, ui, bar)
}

/// What the banner says, and whether it is a warning.
pub fn banner(controls: &Controls) -> Option<(String, bool)> {
    let p = &controls.player;
    if let Some(reason) = p.failed() {
        return Some((
            format!("⚠ Replay stopped here, what follows is not shown: {reason}"),
            true,
        ));
    }
    match p.index().stop() {
        Some(Stop::Broken { line, reason }) => Some((
            format!(
                "⚠ The journal fails verification at line {line}: replay stops after line {}, \
                 what follows cannot be trusted ({reason})",
                line.saturating_sub(2)
            ),
            true,
        )),
        Some(Stop::Refused { line, reason }) => Some((
            format!("⚠ Replay stops before line {line}, which cannot be replayed ({reason})"),
            true,
        )),
        Some(Stop::Truncated) => Some((
            "⚠ The journal became shorter while being read (replaced or cut): replay stops at \
             what was read."
                .into(),
            true,
        )),
        None if p.index().torn() && !p.following() => Some((
            "The journal's last line is incomplete (being written, or the session died \
             mid-write): it is not shown."
                .into(),
            false,
        )),
        None => None,
    }
}

/// Fits the view to the frame: call before [`draw`].
pub fn prepare(controls: &mut Controls, area: Rect) {
    let (_, ui, _) = regions(area, banner(controls).is_some());
    controls.player.prepare(ui);
    controls.event = controls.player.last_event();
}

pub fn draw(frame: &mut Frame, controls: &Controls, theme: &Theme, wall: Millis) {
    let banner = banner(controls);
    let (top, ui, bar) = regions(frame.area(), banner.is_some());
    let p = &controls.player;
    match controls.help {
        Some(scroll) => {
            let mut app = p.app().clone();
            app.mode = Mode::Help;
            app.help_scroll = scroll;
            tui::render::draw_in(frame, ui, p.session(), &app, p.outputs(), p.now(), theme);
        }
        None => tui::render::draw_in(frame, ui, p.session(), p.app(), p.outputs(), p.now(), theme),
    }
    if let (Some(area), Some((text, alert))) = (top, banner) {
        let style = if alert {
            theme.flash(true)
        } else {
            theme.dim()
        };
        let text = truncate(&text, usize::from(area.width));
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, style))), area);
    }
    frame.render_widget(
        Paragraph::new(bar_line(controls, theme, wall, bar.width)),
        bar,
    );
}

/// The replay bar, as text (for tests and the event description).
pub fn bar_line(
    controls: &Controls,
    theme: &Theme,
    wall: Millis,
    width_cols: u16,
) -> Line<'static> {
    let p = &controls.player;
    let w = usize::from(width_cols);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let mut push = |spans: &mut Vec<Span<'static>>, text: String, style| {
        let room = w.saturating_sub(used);
        if room == 0 {
            return;
        }
        let text = truncate(&text, room);
        used += width(&text);
        spans.push(Span::styled(text, style));
    };
    if let Some(input) = &controls.seek_input {
        push(&mut spans, " SEEK ".into(), theme.flash(false));
        push(
            &mut spans,
            format!(" time since the start (mm:ss or hh:mm:ss): {input}▏"),
            theme.input(),
        );
        push(&mut spans, "  Enter go · Esc cancel".into(), theme.dim());
        return Line::from(spans);
    }
    let (state, style) = if p.following() {
        (" ● FOLLOWING ", theme.marker(true))
    } else if p.playing() {
        (" ▶ PLAYING ", theme.flash(false))
    } else {
        (" ■ PAUSED ", theme.marker(false))
    };
    push(&mut spans, state.into(), style);
    if !p.following() {
        let idle = if p.skip_idle() { " · skip idle" } else { "" };
        push(&mut spans, format!(" {}x{idle}", p.speed()), theme.bold());
    }
    let start = p.index().started_at();
    let last = p.index().last_at();
    let time = if p.following() {
        // The end grows: how long the session has been quiet says more.
        format!(
            " │ {} │ last record {} ago",
            format_offset(p.now() - start),
            format_offset(p.now() - last)
        )
    } else {
        format!(
            " │ {} / {}",
            format_offset(p.now() - start),
            format_offset(last - start)
        )
    };
    push(&mut spans, time, theme.base());
    push(
        &mut spans,
        format!(" │ record {} / {}", p.pos(), p.index().len()),
        theme.base(),
    );
    if let Some(flash) = controls.flash_at(wall) {
        push(&mut spans, " │ ".into(), theme.base());
        push(
            &mut spans,
            format!(" {} ", flash.text),
            theme.flash(flash.alert),
        );
    } else if let Some(event) = &controls.event {
        push(&mut spans, format!(" │ {event}"), theme.dim());
    }
    Line::from(spans)
}
