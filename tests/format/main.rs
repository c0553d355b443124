//! The runbook format: `runsheet check` on the shipped runbooks, rendered
//! diagnostics, and a parser that never panics.
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! format`, or `cargo test --test format <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod adopt_corpus;
mod adopt_expect;
mod check_assets;
mod check_errors;
mod check_estimates;
mod check_exports;
mod check_fences;
mod check_placeholders;
mod check_roles;
mod parser_never_panics;
