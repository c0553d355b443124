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
    crate::runbook::workdir::resolve("workdir:", declared, base, values, &env).map(Some)
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
