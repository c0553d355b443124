//! A `migrations` step: the migration files of a folder that the target's
//! database does not record as applied, destructive ones flagged. Usable
//! as a precondition before a deploy step (seed 002's lesson: the code was
//! up to date, the database was not).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::ctx::DbCtx;
use super::error::DbStepError;
use super::migrations::{self, Pending};
use crate::exec::step::{StepCtx, Verdict};
use crate::exec::task::TaskCtx;
use crate::runbook::model::{Expect, MigrationsSpec};
use crate::session::Msg;

pub async fn run(
    native: &StepCtx,
    db: &DbCtx,
    ctx: &TaskCtx,
    spec: &MigrationsSpec,
) -> Result<Verdict, DbStepError> {
    let target = native.target.as_str();
    // Relative to the step's `cwd`, else where runsheet runs, as a shell
    // step would see it.
    let dir = match &native.action.cwd {
        Some(cwd) => PathBuf::from(cwd).join(&spec.dir),
        None => PathBuf::from(&spec.dir),
    };
    let dir = match rehearsal_dir(
        &dir,
        std::env::var_os(SANDBOX_MIGRATIONS).map(PathBuf::from),
    ) {
        Some(sandbox) => {
            ctx.print(format!(
                "rehearsal: no `{}` here; reading the sandbox's migrations folder {}\n",
                dir.display(),
                sandbox.display()
            ))
            .await;
            sandbox
        }
        None => dir,
    };
    let files = migrations::scan_dir(&dir)?;
    let client = db.connect(ctx, target).await?;
    let applied = migrations::applied(&client, &spec.table)
        .await
        .map_err(|source| DbStepError::Applied {
            target: target.to_string(),
            source,
        })?;
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
        .map_err(|_| DbStepError::SessionStopped)?;
    Ok(verdict(
        &pending,
        native.action.expect.as_ref(),
        native.protected,
        target,
    ))
}

/// Set by `runsheet sandbox` to the application's migrations folder (the
/// runbook's `sandbox.migrations`, which the health endpoint reads).
pub const SANDBOX_MIGRATIONS: &str = "RUNSHEET_SANDBOX_MIGRATIONS";

/// In a rehearsal started outside the application's folder, a relative
/// `dir` that is not there stands for the sandbox's migrations folder, as
/// the sandbox's databases stand for the real ones. Anywhere else (no
/// sandbox, an absolute `dir`, a folder that exists) `dir` is read as
/// written, and a missing one is an error.
fn rehearsal_dir(dir: &Path, sandbox: Option<PathBuf>) -> Option<PathBuf> {
    let sandbox = sandbox.filter(|s| !s.as_os_str().is_empty())?;
    (dir.is_relative() && !dir.exists()).then_some(sandbox)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_relative_folder_is_the_sandbox_s_in_a_rehearsal() {
        let sandbox = Some(PathBuf::from("/sandbox/db/migrate"));
        let missing = Path::new("no-such-folder/db/migrate");
        assert_eq!(rehearsal_dir(missing, sandbox.clone()), sandbox);
        // Without a sandbox, the step fails on the missing folder as before.
        assert_eq!(rehearsal_dir(missing, None), None);
        assert_eq!(rehearsal_dir(missing, Some(PathBuf::new())), None);
        // A folder that is there, or an absolute one, is read as written.
        assert_eq!(rehearsal_dir(Path::new("src"), sandbox.clone()), None);
        assert_eq!(rehearsal_dir(Path::new("/no/such/folder"), sandbox), None);
    }
}
