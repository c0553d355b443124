//! A `migrations` step (being written).

use super::native::{Native, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::MigrationsSpec;

pub async fn run(
    _native: &Native,
    _ctx: &TaskCtx,
    _spec: &MigrationsSpec,
) -> Result<Verdict, String> {
    Err("```migrations steps cannot run in this version of runsheet yet; skip with a reason".into())
}
