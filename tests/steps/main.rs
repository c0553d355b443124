//! HTTP and S3 steps against loopback servers (tests/support).
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! steps`, or `cargo test --test steps <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod archive;
mod http_steps;
mod s3_steps;
mod step_errors;
