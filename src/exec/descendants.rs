//! Every process an action started, wherever it went: its shell's process
//! group, the shell's process tree, and the processes that left both with
//! `setsid` (a daemon's double fork, `setsid -f`, `nohup … &` in a new
//! session). The last ones are found because runsheet is a child
//! subreaper: an orphan is re-parented to runsheet instead of init, so it
//! stays in runsheet's process tree where /proc shows it.
//!
//! Which of runsheet's adopted children belong to an action: those that
//! were not its children when the action started, and only while runsheet
//! is a subreaper: otherwise orphans go to init, and a new child is one
//! the program started for itself (a test binary spawning sessions beside
//! its actions, which an action's end once sent SIGTERM). runsheet runs
//! one action
//! at a time, and what else it holds (a sandbox's PostgreSQL, moto and
//! health endpoint started by `run --sandbox` before it replaced itself
//! with the session) was there before the first action, so it is never
//! taken for an action's leftover.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Makes runsheet the reaper of every orphan below it, so that a process
/// started with `setsid` is re-parented to runsheet, which can then end
/// it. Inherited across `exec` (run --sandbox replaces itself), not by
/// children. Returns whether it took effect.
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_child_subreaper(true).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// A process as /proc shows it. `start` (clock ticks after boot) tells a
/// process from a later one that reuses its pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    zombie: bool,
    start: u64,
}

/// Identity of a process across scans.
type Id = (i32, u64);

/// The shells of the actions being supervised now. A library user (the
/// tests) may run several at once: none of them is another's leftover.
/// Held while a shell is spawned, so that no scan sees a new shell before
/// it is listed.
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<i32>> {
    // A panic elsewhere cannot make the list wrong: it is only pids.
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An action's place in [`LIVE`], given up when the last copy of the
/// action is dropped.
#[derive(Debug)]
struct Listed(i32);

impl Drop for Listed {
    fn drop(&mut self) {
        live().retain(|p| *p != self.0);
    }
}

/// What it takes to find an action's processes later.
#[derive(Debug, Clone)]
pub struct Action {
    /// runsheet's own pid.
    me: i32,
    /// The shell: also the process group id.
    shell: i32,
    /// runsheet's children when the action started: not the action's.
    before: HashSet<Id>,
    /// Orphans come to runsheet (a subreaper): its new children are the
    /// action's.
    adopts: bool,
    _listed: Arc<Listed>,
}

#[cfg(target_os = "linux")]
fn is_subreaper() -> bool {
    nix::sys::prctl::get_child_subreaper().unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn is_subreaper() -> bool {
    false
}

impl Action {
    /// To be called just before the shell is spawned: notes what runsheet
    /// already holds.
    /// `None` when /proc cannot be read: then only the process group is
    /// reached, never a child that may not be the action's.
    pub fn before_spawn() -> Option<ActionBefore> {
        let me = i32::try_from(std::process::id()).ok()?;
        let live = live();
        let before = scan()?
            .into_iter()
            .filter(|p| p.ppid == me)
            .map(|p| (p.pid, p.start))
            .collect();
        Some(ActionBefore { me, before, live })
    }

    /// Every process of the action now, the shell included; zombies too
    /// (only runsheet can reap its adopted ones). `None` when /proc cannot
    /// be read.
    fn members(&self) -> Option<Vec<Proc>> {
        let others: Vec<i32> = live()
            .iter()
            .copied()
            .filter(|p| *p != self.shell)
            .collect();
        let table = scan()?;
        let mut children: HashMap<i32, Vec<&Proc>> = HashMap::new();
        for p in &table {
            children.entry(p.ppid).or_default().push(p);
        }
        let mut found: Vec<Proc> = Vec::new();
        let mut seen: HashSet<i32> = HashSet::new();
        let mut todo: Vec<&Proc> = table
            .iter()
            .filter(|p| {
                p.pid == self.shell
                    || p.pgrp == self.shell
                    || (self.adopts
                        && p.ppid == self.me
                        && !self.before.contains(&(p.pid, p.start)))
            })
            .collect();
        while let Some(p) = todo.pop() {
            // Never runsheet itself or init, whatever /proc claims, nor
            // another action being supervised (and what it started).
            if p.pid == self.me
                || p.pid <= 1
                || others.contains(&p.pid)
                || others.contains(&p.pgrp)
                || !seen.insert(p.pid)
            {
                continue;
            }
            found.push(*p);
            if let Some(kids) = children.get(&p.pid) {
                todo.extend(kids.iter().copied());
            }
        }
        Some(found)
    }

    /// Whether a process of the action still runs (zombies do not).
    /// Unknown (no /proc) counts as yes, so callers fall back to waiting
    /// out the grace period.
    pub(crate) fn alive(&self) -> bool {
        self.members().is_none_or(|m| m.iter().any(|p| !p.zombie))
    }

    /// Signals every running process of the action; reaps adopted
    /// zombies. Returns how many were signalled.
    pub(crate) fn signal_all(&self, signal: Signal) -> usize {
        let Some(members) = self.members() else {
            return 0;
        };
        let mut signalled = 0;
        for p in members {
            if p.zombie {
                self.reap(p);
                continue;
            }
            // ESRCH: gone meanwhile, which is what we want.
            if kill(Pid::from_raw(p.pid), signal).is_ok() {
                signalled += 1;
            }
            if signal == Signal::SIGTERM {
                // A stopped process would hold SIGTERM until SIGKILL.
                let _ = kill(Pid::from_raw(p.pid), Signal::SIGCONT);
            }
        }
        signalled
    }

    /// Waits for an adopted process that has exited. The shell is not
    /// ours to reap: Tokio waits for it and would lose its status.
    fn reap(&self, p: Proc) {
        if p.ppid == self.me && p.pid != self.shell {
            let _ = waitpid(Pid::from_raw(p.pid), Some(WaitPidFlag::WNOHANG));
        }
    }

    /// SIGTERM to every process of the action, up to `grace` for them to
    /// go, then SIGKILL to what is left: for an action whose shell is not
    /// a group of its own (an interactive step shares the terminal's).
    pub async fn end_all(&self, grace: Duration) {
        if self.members().is_some_and(|m| m.is_empty()) {
            return;
        }
        self.signal_all(Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        let mut pause = Duration::from_millis(2);
        while self.alive() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
            self.reap_zombies();
        }
        self.kill_until_gone().await;
    }

    /// SIGKILL until none is left, then the zombies reaped. Bounded: a
    /// fork bomb cannot keep runsheet here forever.
    pub(crate) async fn kill_until_gone(&self) {
        for _ in 0..50 {
            if self.signal_all(Signal::SIGKILL) == 0 && !self.alive() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.reap_zombies();
    }

    pub(crate) fn reap_zombies(&self) {
        for p in self.members().unwrap_or_default() {
            if p.zombie {
                self.reap(p);
            }
        }
    }

    /// SIGKILL to every process of the action, without waiting: for a
    /// supervisor dropped at shutdown, which cannot await. What dies after
    /// runsheet has exited is reaped by init.
    pub(crate) fn kill_now(&self) {
        for _ in 0..3 {
            if self.signal_all(Signal::SIGKILL) == 0 {
                break;
            }
        }
    }
}

/// runsheet's children before an action's shell exists. Holds the list of
/// live actions until the shell is spawned and listed (or not spawned):
/// keep it only across the spawn.
pub struct ActionBefore {
    me: i32,
    before: HashSet<Id>,
    live: MutexGuard<'static, Vec<i32>>,
}

impl ActionBefore {
    pub fn spawned(mut self, shell: u32) -> Option<Action> {
        let shell = i32::try_from(shell).ok().filter(|p| *p > 1)?;
        self.live.push(shell);
        drop(self.live);
        Some(Action {
            me: self.me,
            shell,
            before: self.before,
            adopts: is_subreaper(),
            _listed: Arc::new(Listed(shell)),
        })
    }
}

/// Every process /proc shows; `None` when /proc cannot be read.
#[cfg(target_os = "linux")]
fn scan() -> Option<Vec<Proc>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let procs = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_proc)
        .collect();
    Some(procs)
}

#[cfg(not(target_os = "linux"))]
fn scan() -> Option<Vec<Proc>> {
    None
}

/// One process's stat line. Processes vanish mid-scan: `None` then.
fn read_proc(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &stat)
}

/// The command name may hold spaces and parentheses; the fields after the
/// last ')' are: state ppid pgrp session … (starttime is the 20th).
fn parse_stat(pid: i32, stat: &str) -> Option<Proc> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Proc {
        pid,
        zombie: matches!(fields.first(), Some(&("Z" | "X"))),
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_are_read() {
        let line = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 98765 1000 200 18446744073709551615";
        let p = parse_stat(4242, line).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(
            (p.ppid, p.pgrp, p.start, p.zombie),
            (17, 4242, 98765, false)
        );
        let z = "7 (sleep) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0 0";
        assert!(parse_stat(7, z).is_some_and(|p| p.zombie));
        assert_eq!(parse_stat(7, "garbage"), None);
    }

    #[test]
    fn our_own_stat_is_read() {
        let me = std::process::id() as i32;
        let p = read_proc(me).unwrap_or_else(|| panic!("no /proc/self"));
        assert_eq!(p.pid, me);
        assert!(!p.zombie);
        assert!(p.start > 0);
    }
}
