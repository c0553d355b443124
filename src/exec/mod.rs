//! Running a step's shell action under supervision: its own process group,
//! closed stdin, streamed output, timeout and cancellation that reach every
//! process the step started.

mod group;
pub mod shell;

pub use shell::{
    DEFAULT_GRACE, Interpreter, Outcome, ShellEvent, ShellHandle, ShellSpec, Stream, spawn,
};

#[cfg(test)]
mod tests;
