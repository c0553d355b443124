//! A `migrations` step: the migration files of a folder that the target's
//! database does not record as applied, destructive ones flagged. Usable
//! as a precondition before a deploy step (seed 002's lesson: the code was
//! up to date, the database was not).

use std::path::PathBuf;

use serde_json::json;

use super::migrations::{self, Pending};
use super::native::{Native, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::{Expect, MigrationsSpec};
use crate::session::Msg;

pub async fn run(native: &Native, ctx: &TaskCtx, spec: &MigrationsSpec) -> Result<Verdict, String> {
    let target = native.target.as_str();
    // Relative to the step's `cwd`, else where runsheet runs, as a shell
    // step would see it.
    let dir = match &native.action.cwd {
        Some(cwd) => PathBuf::from(cwd).join(&spec.dir),
        None => PathBuf::from(&spec.dir),
    };
    let files = migrations::scan_dir(&dir).map_err(|e| e.to_string())?;
    let client = native.connect(ctx, target).await?;
    let applied = migrations::applied(&client, &spec.table)
        .await
        .map_err(|e| format!("on `{target}`: {e}"))?;
    let pending = migrations::pending(files, &applied);
    ctx.print(migrations::report(&pending, &spec.dir, &spec.table))
        .await;
    let result = Msg::ActionResult {
        step: native.step.clone(),
        action: native.index,
        result: json!({
            "kind": "pending-migrations",
            "target": target,
            "dir": spec.dir,
            "table": spec.table,
            "pending": pending.files,
            "dirty": pending.dirty,
            "applied_unknown": pending.applied_unknown,
        }),
    };
    ctx.record(result)
        .await
        .map_err(|_| "the session stopped".to_string())?;
    Ok(verdict(
        &pending,
        native.action.expect.as_ref(),
        native.protected,
        target,
    ))
}

/// Fails on a dirty or failed migration always, on any pending one with
/// `expect=none`, and on a destructive pending one on a protected target
/// (where seed 002's deploy script stopped for a person to decide).
fn verdict(p: &Pending, expect: Option<&Expect>, protected: bool, target: &str) -> Verdict {
    if p.dirty || !p.failed.is_empty() {
        return Verdict::Failed(format!(
            "a migration on `{target}` failed or was left dirty; repair it before going on"
        ));
    }
    if expect == Some(&Expect::NoPending) && !p.files.is_empty() {
        return Verdict::Failed(format!(
            "{} migration(s) pending on `{target}`: {}",
            p.files.len(),
            names(p.files.iter())
        ));
    }
    let destructive: Vec<_> = p.destructive().collect();
    if protected && !destructive.is_empty() {
        return Verdict::Failed(format!(
            "destructive migration(s) pending on protected `{target}`: {}; back up, rehearse on staging, then run them in a step that passes the gate",
            names(destructive.into_iter())
        ));
    }
    Verdict::Passed
}

fn names<'a>(files: impl Iterator<Item = &'a migrations::MigrationFile>) -> String {
    files
        .map(|f| format!("{} {}", f.version, f.name))
        .collect::<Vec<_>>()
        .join(", ")
}
