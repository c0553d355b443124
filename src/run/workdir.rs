//! Where a session's commands run: the runbook's `workdir:`, or in the
//! sandbox its own work folder.
//!
//! The folder is entered with `std::env::set_current_dir`, once, before
//! the session's first record, rather than handed to every place that
//! resolves a relative path (shell blocks, interactive steps, sql `file=`,
//! migrations `dir=`, s3 local paths, a step's own `cwd=`): one rule that
//! no new kind of step can forget. What was computed from the old folder
//! is absolute by then — the runbook's path (cli/session.rs), the journal
//! and data folders (journal::paths), the sandbox's folder and its
//! PGPASSFILE (sandbox::default_dir) — so nothing changes meaning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::runbook::vars::{expand, references};
use crate::runbook::workdir::shape_error;

use crate::runbook::Runbook;
use crate::session::SessionInfo;

/// The folder a new session runs in; None: where runsheet was started.
///
/// In the sandbox it is always the sandbox's work folder, `workdir:` or
/// not: a drill must not write its dumps and downloads into the real
/// working copy the runbook names (nor depend on where the operator
/// stands), and what it needs from there is what `sandbox: workdir:`
/// copies in. Without one the folder is empty, which is right for a
/// runbook whose steps make their own files.
pub fn for_new_session(
    rb: &Runbook,
    runbook: &Path,
    values: &HashMap<String, String>,
) -> Result<Option<PathBuf>, String> {
    if let Some(dir) = std::env::var_os(crate::sandbox::ACTIVE).filter(|d| !d.is_empty()) {
        let work = crate::sandbox::work_dir(Path::new(&dir));
        // A sandbox started by an older runsheet has none yet.
        std::fs::create_dir_all(&work).map_err(|e| {
            format!(
                "cannot create the sandbox's work folder {}: {e}",
                work.display()
            )
        })?;
        return Ok(Some(work));
    }
    let Some(declared) = &rb.workdir else {
        return Ok(None);
    };
    let base = runbook.parent().unwrap_or(Path::new("/"));
    let env = |n: &str| std::env::var(n).ok();
    resolve("workdir:", declared, base, values, &env).map(Some)
}

/// The folder a resumed session goes back to: the one its first record
/// names (None for a session that named none).
pub fn for_resume(info: &SessionInfo) -> Result<Option<PathBuf>, String> {
    let Some(dir) = &info.workdir else {
        return Ok(None);
    };
    let path = PathBuf::from(dir);
    if path.is_dir() {
        return Ok(Some(path));
    }
    let hint = if info.sandbox {
        "the sandbox it ran in was stopped since; start a new drill with `runsheet run … --sandbox --drill`"
    } else {
        "restore it (or mount it again) and resume; if it really moved, start a new session from the runbook, whose `workdir:` says where"
    };
    Err(format!(
        "this session ran its commands in {dir}, which is gone: {hint}; nothing was run"
    ))
}

/// Enters `dir` for the rest of this process.
pub fn enter(dir: &Path) -> Result<(), String> {
    std::env::set_current_dir(dir).map_err(|e| {
        format!(
            "cannot enter the session's folder {}: {e}; nothing was run",
            dir.display()
        )
    })
}

/// `declared` made a folder: variables from `values`, then `env`; `~`
/// as `$HOME`; a relative path from the runbook's folder `base`. The
/// folder must exist; `what` names the field in the messages
/// (`workdir:`, `sandbox: workdir:`).
pub fn resolve(
    what: &str,
    declared: &str,
    base: &Path,
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, String> {
    if let Some(why) = shape_error(declared) {
        return Err(format!("the runbook's `{what}` `{declared}` {why}"));
    }
    let unset: Vec<String> = references(declared)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| !values.contains_key(n) && env(n).is_none())
        .collect();
    if let Some(name) = unset.first() {
        return Err(format!(
            "the runbook's `{what}` `{declared}` uses ${name}, which is not set: `export {name}=…` (the folder it names), then start again; nothing was run"
        ));
    }
    let expanded = expand(declared, values, env);
    let path = match expanded.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = env("HOME").ok_or_else(|| {
                format!("the runbook's `{what}` `{declared}` starts with `~`, and HOME is not set: set HOME, or write the folder out")
            })?;
            PathBuf::from(format!("{home}{rest}"))
        }
        _ => PathBuf::from(&expanded),
    };
    let path = if path.is_relative() {
        base.join(path)
    } else {
        path
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Ok(std::fs::canonicalize(&path).unwrap_or(path)),
        Ok(_) => Err(format!(
            "the runbook's `{what}` `{declared}` is {}, which is a file, not a folder: point `{what}` at the folder the commands run in; nothing was run",
            path.display()
        )),
        Err(e) => Err(format!(
            "the runbook's `{what}` `{declared}` is {} ({}), which cannot be entered: {e}. Create that folder (or fix `{what}` in the front matter, relative paths start from the runbook's folder {}), then start again; nothing was run",
            path.display(),
            if expanded == declared {
                "as written".to_string()
            } else {
                format!("expanded to `{expanded}`")
            },
            base.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn relative_from_the_runbook_home_and_variables() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(d.path().join("repo/app")).unwrap_or_else(|e| panic!("{e}"));
        let root = std::fs::canonicalize(d.path()).unwrap_or_else(|e| panic!("{e}"));
        let none = HashMap::new();
        let env = |n: &str| match n {
            "HOME" => Some(root.join("repo").to_string_lossy().into_owned()),
            "REPO" => Some(root.join("repo").to_string_lossy().into_owned()),
            _ => None,
        };
        let want = root.join("repo/app");
        let got = |decl: &str| resolve("workdir:", decl, &root, &none, &env);
        assert_eq!(got("repo/app"), Ok(want.clone()));
        assert_eq!(got("~/app"), Ok(want.clone()));
        assert_eq!(got("$REPO/app"), Ok(want.clone()));
        assert_eq!(got("${REPO}/./app"), Ok(want));
    }

    #[test]
    fn missing_folder_and_unset_variable_say_what_to_do() {
        let base = Path::new("/nowhere-runsheet");
        let none = HashMap::new();
        let env = env_of(&[]);
        let e = resolve("workdir:", "app", base, &none, &env).unwrap_err();
        assert!(
            e.contains("/nowhere-runsheet/app") && e.contains("Create that folder"),
            "{e}"
        );
        let e = resolve("workdir:", "$REPO/app", base, &none, &env).unwrap_err();
        assert!(e.contains("$REPO") && e.contains("export REPO="), "{e}");
    }
}
