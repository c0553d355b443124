//! A `compare` step (being written).

use super::native::{Native, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::CompareSpec;

pub async fn run(_native: &Native, _ctx: &TaskCtx, _spec: &CompareSpec) -> Result<Verdict, String> {
    Err("```compare steps cannot run in this version of runsheet yet; skip with a reason".into())
}
