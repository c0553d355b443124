//! PostgreSQL: connecting to a target's database, identifying it, and the
//! database step kinds (sql, compare, migrations, batched migrations).
//! This layer does I/O; what it finds goes back to the engine as messages.

pub mod batch;
pub mod compare;
pub mod conn;
pub mod ctx;
pub mod error;
pub mod identity;
pub mod migrations;
pub mod pending;
pub mod preflight;
pub mod shared;
pub mod sql;
pub mod table;

pub use error::{DbStepError, Escape, Refusal, SettingsError};
