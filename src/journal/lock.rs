//! One session per runbook and target at a time, across processes.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::paths::{runbook_slug, slug};
use super::record::format_ts;

/// Holds `<dir>/<runbook>--<target>.lock` while alive; the file is removed
/// on drop (unless someone else's lock has replaced it meanwhile).
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
    content: String,
}

/// What a lock file says about its holder.
#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    host: String,
    journal: PathBuf,
    since: String,
}

#[derive(Debug)]
pub enum LockError {
    /// A live process holds the lock (or one on another host, which cannot
    /// be checked from here).
    Held {
        pid: u32,
        host: String,
        journal: PathBuf,
        since: String,
    },
    /// The holder is dead: its session crashed. The caller decides whether
    /// to resume it or [`SessionLock::clear_stale`].
    Stale {
        pid: u32,
        journal: PathBuf,
        lock_path: PathBuf,
    },
    /// The lock could not be created or read; the message names the file.
    Io(io::Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held {
                pid,
                host,
                journal,
                since,
            } => write!(
                f,
                "another runsheet (pid {pid} on {host}) has been running this runbook on this \
                 target since {since}, journal {}; wait for it to finish or stop it \
                 (two sessions must not act on the same target at once)",
                journal.display()
            ),
            LockError::Stale {
                pid,
                journal,
                lock_path,
            } => write!(
                f,
                "a previous session (pid {pid}) died without releasing its lock {}; run \
                 `runsheet resume {}` to continue it, or clear the lock with `runsheet unlock` \
                 if it must not be continued",
                lock_path.display(),
                journal.display()
            ),
            LockError::Io(e) => write!(f, "cannot take the session lock: {e}"),
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A concurrent acquirer may have created the file and not yet written
/// it: an empty or partial lock file is re-read for this long.
const UNREADABLE_GRACE: Duration = Duration::from_millis(500);
const RETRY_EVERY: Duration = Duration::from_millis(25);

impl SessionLock {
    /// Takes the lock for `runbook_path` on `target`, recording this
    /// process, this host, `journal` and the time. `dir` (the journal
    /// directory) is created if missing.
    pub fn acquire(
        dir: &Path,
        runbook_path: &Path,
        target: &str,
        journal: &Path,
    ) -> Result<SessionLock, LockError> {
        let path = lock_path(dir, runbook_path, target);
        super::fs::create_private_dirs(dir).map_err(|e| with_path(dir, e))?;
        let me = Holder {
            pid: std::process::id(),
            host: hostname(),
            journal: journal.to_path_buf(),
            since: format_ts(super::now()),
        };
        let content = serde_json::to_string(&me).map_err(|e| with_path(&path, e.into()))?;
        // A lock that vanishes while examined was released: try again.
        for _ in 0..3 {
            match super::fs::create_new_private(&path) {
                Ok(mut file) => {
                    let written = file
                        .write_all(format!("{content}\n").as_bytes())
                        .and_then(|()| file.sync_all())
                        .and_then(|()| super::fs::sync_parent_dir(&path));
                    if let Err(e) = written {
                        let _ = fs::remove_file(&path);
                        return Err(with_path(&path, e));
                    }
                    return Ok(SessionLock { path, content });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if let Some(err) = examine(&path, &me.host)? {
                        return Err(err);
                    }
                }
                Err(e) => return Err(with_path(&path, e)),
            }
        }
        Err(with_path(
            &path,
            io::Error::other("the lock keeps appearing and disappearing; try again"),
        ))
    }

    /// Removes a lock file, whoever holds it. Only for a lock reported
    /// [`LockError::Stale`], once the operator has decided not to resume.
    pub fn clear_stale(lock_path: &Path) -> io::Result<()> {
        match fs::remove_file(lock_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // A lock cleared as stale and taken by another session is theirs.
        let ours = fs::read_to_string(&self.path).is_ok_and(|c| c.trim_end() == self.content);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// `<dir>/<runbook slug>--<target slug>.lock`.
pub fn lock_path(dir: &Path, runbook_path: &Path, target: &str) -> PathBuf {
    dir.join(format!(
        "{}--{}.lock",
        runbook_slug(runbook_path),
        slug(target, "target")
    ))
}

/// Why an existing lock file stops us; `None` if it is gone.
fn examine(path: &Path, my_host: &str) -> Result<Option<LockError>, LockError> {
    let mut waited = Duration::ZERO;
    let holder = loop {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(with_path(path, e)),
        };
        match serde_json::from_str::<Holder>(&text) {
            Ok(holder) => break holder,
            Err(_) if waited < UNREADABLE_GRACE => {
                thread::sleep(RETRY_EVERY);
                waited += RETRY_EVERY;
            }
            Err(e) => {
                return Err(with_path(
                    path,
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the lock file is unreadable ({e}); if no runsheet is running this \
                             runbook on this target, delete it"
                        ),
                    ),
                ));
            }
        }
    };
    let alive = holder.host != my_host || is_alive(holder.pid);
    Ok(Some(if alive {
        LockError::Held {
            pid: holder.pid,
            host: holder.host,
            journal: holder.journal,
            since: holder.since,
        }
    } else {
        LockError::Stale {
            pid: holder.pid,
            journal: holder.journal,
            lock_path: path.to_path_buf(),
        }
    }))
}

/// Signal 0 checks existence without touching the process. EPERM means it
/// exists under another user; any doubt counts as alive, since wrongly
/// calling a live session stale is the dangerous mistake.
fn is_alive(pid: u32) -> bool {
    // Pid 0 or negative would address process groups, not a process.
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    if matches!(kill(Pid::from_raw(raw), None), Err(Errno::ESRCH)) {
        return false;
    }
    // A process killed (`kill -9`) whose parent has not reaped it yet is a
    // zombie: it holds nothing any more.
    !is_zombie(raw)
}

/// Linux's `/proc/PID/stat` state `Z` (zombie) or `X` (dead); false when it
/// cannot be read (another system, or it just went), so doubt stays alive.
fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) S …`: the command may hold spaces and parentheses.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

pub(crate) fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().into_owned())
        .or_else(|| fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

fn with_path(path: &Path, e: io::Error) -> LockError {
    LockError::Io(io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_session_not_yet_reaped_holds_no_lock() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        assert!(is_alive(pid));
        let _ = kill(
            Pid::from_raw(i32::try_from(pid).expect("pid")),
            nix::sys::signal::Signal::SIGKILL,
        );
        // Not waited for: a zombie until reaped.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while is_alive(pid) && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(!is_alive(pid), "a zombie counted as a live session");
        assert!(is_zombie(i32::try_from(pid).expect("pid")));
        let _ = child.wait();
        assert!(!is_alive(pid));
    }
}
