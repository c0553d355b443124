//! The terminal UI's pure layer: view state and keys (`app`), the output
//! emulators (`output`), and drawing (`render`). Nothing here touches a
//! terminal, a process or a clock; the event loop owns those and calls in:
//!
//! ```text
//! key ──▶ App::handle_key ──▶ [Command] ──▶ Submit(msg): session.update ──▶ effects
//!                                                            │
//!          App::on_effect ◀── ShowGate, StartCountdown, RunAction, StepSettled, FlowComplete
//! each frame: App::tick, prepare(app, outputs, session, area), terminal.draw(draw(…))
//! ```

pub mod app;
pub mod event_loop;
pub mod keymap;
pub mod keys;
pub mod output;
pub mod render;
pub mod theme;

pub use app::{App, Ask, Command, Flash, Focus, Jump, Mode, Search};
pub use output::Outputs;
pub use render::draw;
pub use theme::Theme;

use crate::session::Session;
use ratatui::layout::Rect;

/// Everything a frame needs that is not drawing, so `draw` changes nothing:
/// fits the emulators to the output pane, feeds them the session's new
/// output, keeps a scrolled-back view on its text, and runs a pending search.
pub fn prepare(app: &mut App, outputs: &mut Outputs, session: &Session, area: Rect) {
    app.frame = area;
    app.reconcile(session);
    let regions = render::layout(
        area,
        app.shows_output(session),
        render::tree_rows(session, app),
    );
    if regions.output.height > 0 {
        let inner = regions.inner(regions.output);
        outputs.resize(inner.height, inner.width);
    }
    let selected = app.selected.clone();
    outputs.catch_up(session, selected.as_deref());
    let Some(step) = selected else {
        return;
    };
    let pushed = outputs.pushed(&step);
    if let Some((marked, at)) = &app.output_mark
        && *marked == step
        && !app.follow
    {
        let moved = usize::try_from(pushed.saturating_sub(*at)).unwrap_or(usize::MAX);
        app.scroll = app.scroll.saturating_add(moved);
    }
    app.output_mark = Some((step.clone(), pushed));
    if let Some(search) = &mut app.search {
        if search.jump.is_some() || search.step.as_deref() != Some(step.as_str()) {
            search.matches = outputs.search(&step, &search.query);
            search.step = Some(step.clone());
        }
        if let Some(jump) = search.jump.take() {
            let m = &search.matches;
            let target = match (jump, search.current) {
                (Jump::Last, _) | (Jump::Prev, None) => m.last(),
                (Jump::Next, None) => m.first(),
                (Jump::Next, Some(c)) => m.iter().find(|r| **r > c).or(m.first()),
                (Jump::Prev, Some(c)) => m.iter().rev().find(|r| **r < c).or(m.last()),
            };
            if let Some(&row) = target {
                search.current = Some(row);
                let half = usize::from(outputs.size().0 / 2);
                app.scroll = outputs
                    .scrollback_len(&step)
                    .saturating_sub(row.saturating_sub(half));
                app.follow = false;
            }
        }
    }
    if app.follow {
        app.scroll = 0;
    }
    app.scroll = outputs.set_scroll(&step, app.scroll);
}
