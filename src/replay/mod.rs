//! `runsheet replay JOURNAL`: the session played back in the live UI,
//! read-only, as it happened: steps starting and ending, output with its
//! real timing, gates shown and answered, notes and skips. Play, pause,
//! speed, skipping idle time, seeking by step, mark or time, and following
//! a journal that is still being written.
//!
//! ```text
//! journal file ──▶ index (offsets, times, steps, marks, checkpoints; the
//!                  hash chain checked as it reads; output left on disk)
//!                    │
//!  keys ──▶ controls ──▶ player: position + clock ──▶ fold::apply, record by
//!                    │   record: Session::update, App::on_effect (the live path)
//!                    ▼
//!            screen: banner · tui::draw (the live screen) · replay bar
//! ```

pub mod cli;
pub mod clock;
pub mod controls;
mod describe;
pub mod error;
pub mod event_loop;
pub mod fold;
pub mod index;
mod line;
pub mod player;
mod rehearsed;
pub mod screen;

pub use cli::{ReplayOptions, replay};
pub use controls::Controls;
pub use error::ReplayError;
pub use index::{Index, Mark, Stop};
pub use player::Player;
