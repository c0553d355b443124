//! Running a step's action under supervision. Shell actions: their own
//! process group, closed stdin, streamed output, timeout and cancellation
//! that reach every process the step started. Native actions (`task`):
//! in-process work with the same events, timeout and cancel.

pub mod descendants;
mod group;
pub mod progress;
pub mod shell;
pub mod task;

pub use shell::{
    DEFAULT_GRACE, Interpreter, Outcome, ShellEvent, ShellHandle, ShellSpec, Stream, spawn,
};

#[cfg(test)]
mod tests;
