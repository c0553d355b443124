//! Drawing: reads the session, the view state and the output emulators, and
//! draws; nothing is changed while drawing. One file per region.
//!
//! Wide (100 columns and more):
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────┐
//! │ PRODUCTION  DRILL  Runbook title                            (header) │
//! │ elapsed 3m · plan 5m–8m · ETA ~2m · journal …/runbook--prod--….jsonl │
//! ├─ Steps ───────────────┬─ Step ───────────────────────────────────────┤
//! │ Phase 1               │ title, estimate, status, failure + rollback  │
//! │  ✔ step        10s 8s │ instructions (Markdown), checklist, actions  │
//! │  ◐ step       30s 0:12├─ Output ─────────────────── FOLLOW / SCROLL ─┤
//! │ Phase 2               │ the selected step's output, through a vt100  │
//! │  ○ ⚠ step         15s │ emulator (colours, \r progress bars)         │
//! │ ↺ Rollback (dimmed)   │                                              │
//! ├───────────────────────┴──────────────────────────────────────────────┤
//! │ footer: the keys that work now (or a flash)                          │
//! └──────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Narrow (under 100 columns) the panes stack and the tree shows only the
//! selected step's phase:
//!
//! ```text
//! header (2 rows) / tree of one phase (≤ 5 rows) / step / output / footer
//! ```
//!
//! Modals (help, gate, countdown, prompts, quit, rollback, in doubt) are drawn
//! last, centred over the rest. A step without actions has no output pane;
//! its instructions take the room.

pub mod contexts;
pub mod countdown;
pub mod dialog;
pub mod footer;
pub mod gate;
pub mod header;
pub mod help;
pub mod markdown;
pub mod mask;
pub mod output;
pub mod overview;
pub mod prompt;
pub mod scroll;
pub mod step;
pub mod text;
pub mod tree;
pub mod wrap;

use super::app::{App, Mode};
use super::output::Outputs;
use super::theme::Theme;
use crate::session::Session;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders};

/// From this width on, the tree sits left of the step and output panes.
pub const WIDE: u16 = 100;

/// Where each region goes for a frame of a given size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regions {
    pub header: Rect,
    pub tree: Rect,
    pub step: Rect,
    /// Empty when the selected step has no output pane.
    pub output: Rect,
    pub footer: Rect,
    /// Stacked panes, borders on top only.
    pub compact: bool,
}

impl Regions {
    pub fn borders(&self) -> Borders {
        if self.compact {
            Borders::TOP
        } else {
            Borders::ALL
        }
    }

    /// The inside of a pane drawn with `borders()`.
    pub fn inner(&self, pane: Rect) -> Rect {
        Block::default().borders(self.borders()).inner(pane)
    }
}

/// `tree_rows`: how many steps the narrow tree would list (see `tree_rows`).
pub fn layout(area: Rect, with_output: bool, tree_rows: u16) -> Regions {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let compact = area.width < WIDE;
    let (tree, rest) = if compact {
        let tree_h = tree_rows.clamp(1, if body.height >= 18 { 4 } else { 2 }) + 1;
        let [tree, rest] =
            Layout::vertical([Constraint::Length(tree_h), Constraint::Min(0)]).areas(body);
        (tree, rest)
    } else {
        let tree_w = (area.width * 7 / 20).clamp(34, 56);
        let [tree, rest] =
            Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(0)]).areas(body);
        (tree, rest)
    };
    let (step, output) = if with_output {
        let [step, output] =
            Layout::vertical([Constraint::Percentage(42), Constraint::Min(0)]).areas(rest);
        (step, output)
    } else {
        (rest, Rect::new(rest.x, rest.bottom(), rest.width, 0))
    };
    Regions {
        header,
        tree,
        step,
        output,
        footer,
        compact,
    }
}

/// What every region reads to draw itself.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub app: &'a App,
    pub outputs: &'a Outputs,
    pub now_ms: i64,
    pub theme: &'a Theme,
    pub regions: Regions,
}

impl Ctx<'_> {
    pub fn block(&self, title: &str, focused: bool) -> Block<'static> {
        Block::default()
            .borders(self.regions.borders())
            .border_style(self.theme.border(focused))
            .title(format!(" {title} "))
            .title_style(if focused {
                self.theme.title()
            } else {
                self.theme.base()
            })
    }
}

/// The number of steps in the selected step's phase: what a narrow tree lists.
pub fn tree_rows(session: &Session, app: &App) -> u16 {
    app.selected
        .as_deref()
        .and_then(|id| session.step_ref(id))
        .and_then(|r| session.runbook().phases.get(r.phase))
        .map_or(1, |p| u16::try_from(p.steps.len()).unwrap_or(u16::MAX))
}

/// Where modals go: everything but the footer, which says what keys do.
pub fn modal_area(area: Rect) -> Rect {
    Rect {
        height: area.height.saturating_sub(1),
        ..area
    }
}

pub fn draw(
    frame: &mut Frame,
    session: &Session,
    app: &App,
    outputs: &Outputs,
    now_ms: i64,
    theme: &Theme,
) {
    draw_in(frame, frame.area(), session, app, outputs, now_ms, theme);
}

/// [`draw`] into part of the frame (a replay keeps rows for its own bar).
pub fn draw_in(
    frame: &mut Frame,
    area: Rect,
    session: &Session,
    app: &App,
    outputs: &Outputs,
    now_ms: i64,
    theme: &Theme,
) {
    let regions = layout(area, app.shows_output(session), tree_rows(session, app));
    let ctx = Ctx {
        session,
        app,
        outputs,
        now_ms,
        theme,
        regions,
    };
    header::render(frame, regions.header, &ctx);
    tree::render(frame, regions.tree, &ctx);
    step::render(frame, regions.step, &ctx);
    if regions.output.height > 0 {
        output::render(frame, regions.output, &ctx);
    }
    footer::render(frame, regions.footer, &ctx);
    let area = modal_area(area);
    match &app.mode {
        Mode::Normal => {}
        Mode::Help => help::render(frame, area, &ctx),
        Mode::Overview => overview::render(frame, area, &ctx),
        Mode::Gate { .. } => gate::render(frame, area, &ctx),
        Mode::Countdown { .. } => countdown::render(frame, area, &ctx),
        Mode::Skip { .. } | Mode::Note { .. } | Mode::Search { .. } | Mode::Prompt { .. } => {
            prompt::render(frame, area, &ctx)
        }
        Mode::ConfirmQuit
        | Mode::ConfirmCancel { .. }
        | Mode::Rollback { .. }
        | Mode::Offer { .. }
        | Mode::InDoubt { .. } => dialog::render(frame, area, &ctx),
    }
    // Before masking: a secret is searched in the cells as they will show.
    text::portable_cells(frame.buffer_mut(), area);
    mask::rows(frame.buffer_mut(), area, outputs.secrets(), &|_| false);
}
