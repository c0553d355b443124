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

/// Fails on a dirty or failed migration always and on any pending one
/// with `expect=none` (errors to repair). A destructive pending one on a
/// protected target is what this check guards against, found: a question
/// for a person at a typed gate (where seed 002's deploy script stopped
/// for someone to decide), not a failure that offers a rollback.
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
        return Verdict::NeedsApproval {
            finding: destructive_finding(&destructive),
        };
    }
    Verdict::Passed
}

/// "1 destructive migration pending: remove_legacy_phone_from_users
/// (rails-remove-column)": each file by name, with the rules that flag
/// it. The name alone is the weakest sign: it is said only when nothing
/// in the code is.
fn destructive_finding(files: &[&migrations::MigrationFile]) -> String {
    let each: Vec<String> = files
        .iter()
        .map(|f| {
            let mut rules: Vec<&str> = Vec::new();
            for r in &f.destructive {
                if !rules.contains(&r.rule.as_str()) {
                    rules.push(&r.rule);
                }
            }
            if rules.len() > 1 {
                rules.retain(|r| *r != migrations::RULE_NAME);
            }
            format!("{} ({})", f.name, rules.join(", "))
        })
        .collect();
    let noun = if files.len() == 1 {
        "migration"
    } else {
        "migrations"
    };
    format!(
        "{} destructive {noun} pending: {}",
        files.len(),
        each.join(", ")
    )
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

    fn file(version: &str, name: &str, rules: &[&str]) -> migrations::MigrationFile {
        migrations::MigrationFile {
            version: version.into(),
            name: name.into(),
            path: PathBuf::from(format!("{version}_{name}.rb")),
            destructive: rules
                .iter()
                .map(|r| migrations::Reason {
                    rule: (*r).into(),
                    excerpt: String::new(),
                    line: None,
                })
                .collect(),
        }
    }

    fn pending(files: Vec<migrations::MigrationFile>) -> Pending {
        Pending {
            files,
            applied_unknown: Vec::new(),
            dirty: false,
            failed: Vec::new(),
            semantics: migrations::Semantics::Set,
            applied_count: 0,
            newest_applied: None,
            newest_file: None,
        }
    }

    #[test]
    fn a_destructive_pending_migration_on_a_protected_target_needs_approval() {
        let p = pending(vec![
            file("1", "add_index", &[]),
            file(
                "2",
                "remove_legacy_phone_from_users",
                &["migration-name", "rails-remove-column", "migration-name"],
            ),
            file("3", "drop_old_sessions", &["migration-name"]),
        ]);
        assert_eq!(
            verdict(&p, None, true, "production"),
            Verdict::NeedsApproval {
                finding: "2 destructive migrations pending: remove_legacy_phone_from_users \
                          (rails-remove-column), drop_old_sessions (migration-name)"
                    .into()
            }
        );
        // Elsewhere it is reported, not asked about.
        assert_eq!(verdict(&p, None, false, "staging"), Verdict::Passed);
        // Errors stay errors, on a protected target too.
        assert!(matches!(
            verdict(&p, Some(&Expect::NoPending), true, "production"),
            Verdict::Failed(_)
        ));
        let dirty = Pending {
            dirty: true,
            ..pending(Vec::new())
        };
        assert!(matches!(
            verdict(&dirty, None, true, "production"),
            Verdict::Failed(_)
        ));
    }

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
