//! The sandbox's work folder, `<sandbox>/work`: where a sandbox session's
//! commands run. `sandbox: workdir:` is copied in at start, so that a drill
//! never writes into the repository's assets; then `sandbox: setup:` runs
//! there once, with the sandbox's variables, to make what the rehearsal
//! needs from the sandbox's own data (a dump of its production, …).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::SandboxError;

/// Lines of a failed setup's log quoted in the error.
const TAIL: usize = 15;

pub fn work_dir(sandbox: &Path) -> PathBuf {
    sandbox.join("work")
}

pub fn setup_log(sandbox: &Path) -> PathBuf {
    sandbox.join("setup.log")
}

/// Creates the work folder, with a copy of `from` in it when given.
pub fn prepare(sandbox: &Path, from: Option<&Path>) -> Result<PathBuf, SandboxError> {
    let work = work_dir(sandbox);
    std::fs::create_dir_all(&work)
        .map_err(|e| SandboxError::io(format!("cannot create {}", work.display()), e))?;
    if let Some(from) = from {
        if !from.is_dir() {
            return Err(SandboxError::io(
                format!(
                    "the runbook's `sandbox: workdir:` is {}, which is not a folder (paths start from the runbook's folder): fix it in the front matter",
                    from.display()
                ),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        copy_tree(from, &work)?;
    }
    Ok(work)
}

/// Copies the tree `from` into `to`, modes kept (a script stays
/// executable) and symbolic links as links.
fn copy_tree(from: &Path, to: &Path) -> Result<(), SandboxError> {
    let entries = std::fs::read_dir(from)
        .map_err(|e| SandboxError::io(format!("cannot read {}", from.display()), e))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| SandboxError::io(format!("cannot read {}", from.display()), e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| SandboxError::io(format!("cannot read {}", src.display()), e))?;
        let done = if kind.is_symlink() {
            std::fs::read_link(&src).and_then(|l| std::os::unix::fs::symlink(l, &dst))
        } else if kind.is_dir() {
            std::fs::create_dir_all(&dst)
                .map_err(|e| SandboxError::io(format!("cannot create {}", dst.display()), e))?;
            copy_tree(&src, &dst)?;
            Ok(())
        } else {
            std::fs::copy(&src, &dst).map(|_| ())
        };
        done.map_err(|e| {
            SandboxError::io(
                format!("cannot copy {} to {}", src.display(), dst.display()),
                e,
            )
        })?;
    }
    Ok(())
}

/// Runs the setup script with bash (`set -eo pipefail`, as a step's
/// block), in `work`, with `env` added to runsheet's own environment; its
/// output goes to the sandbox's `setup.log`. A failure says how it ended
/// and quotes the log's last lines.
pub fn run_setup(
    sandbox: &Path,
    work: &Path,
    script: &str,
    env: &[(String, String)],
) -> Result<(), SandboxError> {
    let log = setup_log(sandbox);
    let out = std::fs::File::create(&log)
        .map_err(|e| SandboxError::io(format!("cannot write {}", log.display()), e))?;
    let err = out
        .try_clone()
        .map_err(|e| SandboxError::io(format!("cannot write {}", log.display()), e))?;
    let status = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(work)
        .env_remove("BASH_ENV")
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| SandboxError::io("cannot start bash for `sandbox: setup:`", e))?;
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "a signal".to_string(),
    };
    Err(SandboxError::Tool {
        what: format!(
            "the runbook's `sandbox: setup:` (ended with {how}, in {})",
            work.display()
        ),
        stderr: format!(
            "its last lines ({}):\n{}\nfix the script in the runbook's front matter and start again",
            log.display(),
            tail(&log)
        ),
    })
}

fn tail(log: &Path) -> String {
    let Ok(f) = std::fs::File::open(log) else {
        return "(no output)".into();
    };
    let lines: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
    if lines.is_empty() {
        return "(no output)".into();
    }
    lines[lines.len().saturating_sub(TAIL)..].join("\n")
}
