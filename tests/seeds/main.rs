//! Rehearsals of the seed runbooks, and the sandbox they run against.
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! seeds`, or `cargo test --test seeds <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod drills_tui;
mod sandbox;
mod sandbox_provision;
mod sandbox_root;
mod seed_000;
mod seed_001;
mod seed_002;
mod seed_003;
mod seed_004;
mod session_workdir;
