//! The runbook: its model, the Markdown parser that builds it, and the
//! checks (`lint`, destructive rules) that run on it before anything executes.

pub mod action;
pub mod actions;
pub mod attributes;
mod checklist;
pub mod context;
pub mod credentials;
pub mod destructive;
pub mod diagnostic;
pub mod duration;
pub mod estimates;
pub mod fences;
pub mod frontmatter;
pub mod hosts;
pub mod interactive;
mod lint;
mod lint_approvals;
pub mod lint_contexts;
pub mod lint_targets;
mod lint_vars;
pub mod model;
pub mod notify;
pub mod outline;
pub mod parse;
pub mod placeholders;
pub mod role;
pub mod sandbox_skip;
pub mod shell_error;
pub mod shell_vars;
pub mod span;
pub mod vars;
pub mod workdir;

pub use diagnostic::{Diagnostic, Severity};
pub use model::*;
pub use parse::{Parsed, parse};
pub use role::Role;
