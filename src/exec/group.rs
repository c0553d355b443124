//! Signals for a whole process group, so a step's grandchildren are reached
//! too.

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The process group a step's shell leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group(Pid);

impl Group {
    /// `None` for ids that `killpg` would read as "our own group" or "every
    /// process", so a bogus id can never take the runner down.
    pub(crate) fn new(pgid: u32) -> Option<Self> {
        let raw = i32::try_from(pgid).ok()?;
        (raw > 1).then_some(Self(Pid::from_raw(raw)))
    }

    pub(crate) fn signal(self, signal: Signal) {
        // ESRCH (already gone) is the outcome we want; nothing else can help.
        let _ = killpg(self.0, signal);
    }

    /// Whether a member still runs. Zombies do not count: they hold no pipe
    /// and run nothing, and orphans are reaped by init, which in a container
    /// may be slow or never happen.
    pub(crate) fn alive(self) -> bool {
        if matches!(killpg(self.0, None), Err(Errno::ESRCH)) {
            return false;
        }
        running_member(self.0.as_raw()).unwrap_or(true)
    }
}

/// Scans /proc for a non-zombie process in group `pgid`; `None` when /proc
/// cannot tell.
#[cfg(target_os = "linux")]
fn running_member(pgid: i32) -> Option<bool> {
    let pgid = pgid.to_string();
    let entries = std::fs::read_dir("/proc").ok()?;
    let running = entries.flatten().any(|entry| {
        // Processes vanish mid-scan; an unreadable one is not ours to wait on.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // The command name may hold spaces and parentheses; the fields after
        // the last ')' are: state ppid pgrp ...
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1);
        pgrp == Some(pgid.as_str()) && !matches!(state, Some("Z" | "X"))
    });
    Some(running)
}

#[cfg(not(target_os = "linux"))]
fn running_member(_pgid: i32) -> Option<bool> {
    None
}
