//! A batched data migration (being written).

use super::native::{Native, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::BatchSpec;

pub async fn run(_native: &Native, _ctx: &TaskCtx, _spec: &BatchSpec) -> Result<Verdict, String> {
    Err("batched migrations cannot run in this version of runsheet yet; skip with a reason".into())
}
