//! The plumbing under every step kind: child processes and in-process
//! tasks. Shell actions: their own process group, closed stdin, streamed
//! output, timeout and cancellation that reach every process the step
//! started (`shell`, `group`, `descendants`), from one command line
//! (`interpreter`). In-process actions (`task`): the same events, timeout
//! and cancel, given a `step::StepCtx` and answering a `step::Verdict`.
//! Which step kind runs an action, and what becomes of its output, is
//! `action/`'s business, above this.

pub mod context;
pub mod descendants;
pub mod exports;
mod group;
pub mod interpreter;
pub mod progress;
pub mod shell;
pub mod stdout_file;
pub mod step;
pub mod task;

pub use interpreter::Interpreter;
pub use shell::{DEFAULT_GRACE, ProcessEnd, ShellEvent, ShellHandle, ShellSpec, spawn};

#[cfg(test)]
mod tests;
