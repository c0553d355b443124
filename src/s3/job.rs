//! What every operation of one `s3` action shares: the step, the runner's
//! channel, the client, the tuning, and the memory budget.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::conn::Conn;
use super::error::{self, S3Error};
use super::tuning::{MEMORY_BUDGET, MIB, Tuning};
use crate::exec::step::StepCtx;
use crate::exec::task::TaskCtx;
use crate::session::Msg;

pub struct Job<'a> {
    pub native: &'a StepCtx,
    pub ctx: &'a TaskCtx,
    pub conn: Conn,
    pub tuning: Tuning,
    /// One permit per MiB of file data held in memory.
    memory: Semaphore,
}

const PERMITS: u64 = MEMORY_BUDGET / MIB;

impl<'a> Job<'a> {
    pub fn new(native: &'a StepCtx, ctx: &'a TaskCtx, conn: Conn, tuning: Tuning) -> Job<'a> {
        Job {
            native,
            ctx,
            conn,
            tuning,
            memory: Semaphore::new(PERMITS as usize),
        }
    }

    pub fn client(&self) -> &Client {
        &self.conn.client
    }

    /// Waits until `bytes` more fit in the memory budget; a buffer larger
    /// than the whole budget waits for all of it.
    pub async fn memory(&self, bytes: u64) -> Result<SemaphorePermit<'_>, S3Error> {
        let permits = bytes.div_ceil(MIB).clamp(1, PERMITS);
        self.memory
            .acquire_many(u32::try_from(permits).unwrap_or(u32::MAX))
            .await
            .map_err(|_| S3Error::Stopped("the transfer was stopped".into()))
    }

    pub async fn print(&self, text: impl Into<String>) {
        self.ctx.print(text).await;
    }

    /// Journals progress that a retry or resume must find, and returns once
    /// it is on disk.
    pub async fn checkpoint(&self, key: &str, data: Value) -> Result<(), S3Error> {
        let msg = Msg::Checkpoint {
            step: self.native.step.clone(),
            action: self.native.index,
            key: key.to_string(),
            data,
        };
        self.ctx.record(msg).await.map_err(|r| match r.0 {
            Some(why) => S3Error::Checkpoint(format!("the session refused a checkpoint: {why}")),
            None => S3Error::Stopped("the session stopped".into()),
        })
    }

    /// The journaled checkpoints of this action under `key`, oldest first.
    pub fn checkpoints(&self, key: &str) -> &[Value] {
        self.native
            .checkpoints
            .get(key)
            .map_or(&[][..], Vec::as_slice)
    }

    /// An SDK error as one line naming the target and what it was about.
    pub fn error<E>(
        &self,
        what: &str,
        bucket: &str,
        url: &str,
        err: &SdkError<E, HttpResponse>,
    ) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        error::sdk(&self.conn, what, bucket, url, err)
    }

    /// Whether uploads may replace differing objects: always on an
    /// unprotected target; on a protected one, only when the line says
    /// `--overwrite` or the block is marked destructive (then the operator
    /// passed the gate, typing the target's name).
    pub fn may_overwrite(&self, line_says: bool) -> bool {
        !self.native.protected
            || line_says
            || self
                .native
                .action
                .destructive
                .overridden
                .as_ref()
                .is_some_and(|o| o.destructive)
    }
}

pub fn url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}
