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

use std::process::Command;

/// `runsheet ARGS` without colour: (exit code, stdout, stderr).
pub fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("could not run runsheet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

mod adopt_corpus;
mod adopt_expect;
mod check_assets;
mod check_contexts;
mod check_errors;
mod check_estimates;
mod check_exports;
mod check_fences;
mod check_hosts;
mod check_notify;
mod check_placeholders;
mod check_roles;
mod check_sandbox_skip;
mod check_workdir;
mod diags;
mod parser_never_panics;
