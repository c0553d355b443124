//! Parsers for the bodies of action blocks that have a structure of their
//! own (`http`, `s3`, `compare`). Each returns what it could read together
//! with every problem found, so `runsheet check` reports all the mistakes
//! of a block at once instead of one per run.

pub mod compare;
pub mod http;
mod lines;
pub mod s3;
