//! The session engine end to end: headless runs, the journal, protection,
//! masks, processes, shell steps, gates, history, reports and replay.
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! engine`, or `cargo test --test engine <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod alternatives;
mod checklists;
mod contexts;
mod contexts_jump;
mod evidence;
mod exports;
mod fences;
mod four_eyes;
mod gates_shell;
mod history;
mod interactive_rule;
mod journal;
mod literal_secrets;
mod masks;
mod not_rehearsable;
mod notify;
mod placeholders;
mod processes;
mod prompts;
mod protection;
mod reach;
mod replay;
mod report;
mod report_demo;
mod roles;
mod run_headless;
mod shell_exec;
mod times;
mod values;
