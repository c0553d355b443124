//! HTTP checks (being written).

use crate::exec::task::TaskCtx;
use crate::native::{Native, Verdict};
use crate::runbook::model::HttpCheck;

pub async fn run(_native: &Native, _ctx: &TaskCtx, _check: &HttpCheck) -> Result<Verdict, String> {
    Err("```http steps cannot run in this version of runsheet yet; skip with a reason".into())
}
