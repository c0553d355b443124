//! What the integration tests share, one module tree for every test binary
//! (`tests/<area>/main.rs` includes it with `#[path = "../support/mod.rs"]`).
//! A test module uses a part with `use crate::support::workdir;`.
//!
//! Each part allows dead code: a binary uses only some of what it includes.

pub mod evidence;
pub mod http_server;
pub mod in_process;
pub mod operator;
pub mod pg;
pub mod raw_http;
pub mod rehearsal;
pub mod s3;
pub mod sshd;
pub mod tmux;
pub mod tui;
pub mod tui_drill;
pub mod workdir;
