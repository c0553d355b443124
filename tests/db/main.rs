//! PostgreSQL steps against real throwaway clusters (tests/support/pg.rs).
//!
//! One test binary per area (each links all of runsheet): `cargo test --test
//! db`, or `cargo test --test db <filter>`.

// The unwrap lints guard runsheet's own code; a test that cannot go on
// should stop loudly. clippy.toml's allow-*-in-tests reaches only #[test]
// functions, not the helpers beside them, hence the crate-wide allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod db_batch;
mod db_compare;
mod db_errors;
mod db_gate;
mod db_migrations;
mod db_sql;
mod db_step_errors;
mod evidence_store;
mod four_eyes;
mod pg_cluster;
mod shared_database;
mod store;
