//! Running one action of a step, for every front end: resolve it from the
//! session (`prepare`), start it as a supervised shell child or as an
//! in-process step kind (`running`, `dispatch`), turn what it prints into
//! masked, whole-character text (`output`), and hand over the terminal to
//! an interactive one (`interactive`). Below it, `exec/` holds the process
//! and task plumbing; above it, the driver decides when an action runs and
//! journals what it does.

mod dispatch;
pub mod env;
mod error;
mod interactive;
mod output;
mod prepare;
pub mod reach;
mod running;

pub use dispatch::InProcess;
pub use error::StepError;
pub use interactive::{Interactive, run_interactive};
pub use output::OutputPipe;
pub use prepare::{PrepareError, Prepared, prepare};
pub use running::{Batch, Item, Running};
