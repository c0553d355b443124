//! The full-screen UI: TestBackend screens (insta) and tmux end to end.
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! tui`, or `cargo test --test tui <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod front_ends;
mod keymap_docs;
mod tui_checklists;
mod tui_contexts;
mod tui_e2e;
mod tui_four_eyes;
mod tui_gate_values;
mod tui_keys;
mod tui_not_rehearsable;
mod tui_offer;
mod tui_output;
mod tui_prompt;
mod tui_roles;
mod tui_screens;
mod tui_trust;
mod tui_trust_e2e;
mod tui_widths;
