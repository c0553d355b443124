//! runsheet: a Markdown runbook turned into a guided, gated, journaled
//! terminal session. The binary is a thin shell over this library so tests
//! and benchmarks drive the same code.

pub mod action;
pub mod adopt;
pub mod archive;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod driver;
pub mod evidence;
pub mod exec;
pub mod export;
pub mod history;
pub mod http;
pub mod journal;
pub mod notify;
pub mod replay;
pub mod report;
pub mod run;
pub mod runbook;
pub mod s3;
pub mod sandbox;
pub mod secrets;
pub mod session;
pub mod store;
pub mod term;
pub mod tui;

#[cfg(test)]
mod layers;
