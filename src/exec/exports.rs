//! What a shell block exported, so the next block of the same target sees
//! it, as in one terminal (`export BACKUP_DIR=…` in one block, `$BACKUP_DIR`
//! three blocks later).
//!
//! The block's shell gets an EXIT trap, on the script's first line so the
//! line numbers of its errors stay the block's, that writes its
//! environment with `env -0` (NUL-separated: values with newlines, quotes
//! or `=` come back whole) into a private file (0600, removed once read).
//! runsheet only splits that file, it never evaluates it. The trap runs when
//! the block ends, succeeding or failing (`set -e`), and leaves its exit
//! code alone. What it cannot see: a block that replaces the shell
//! (`exec prog`), is killed, or sets its own `trap … EXIT` (which replaces
//! this one: that block's exports are not carried, its trap runs as
//! written). `cd` does not carry over.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that tells the trap where to write; runsheet's own, so
/// never carried (`RUNSHEET_` names are not).
pub const FILE_VAR: &str = "RUNSHEET_EXPORTS_FILE";

/// Set by the shell itself or by runsheet for every block: never carried.
const NOT_CARRIED: [&str; 5] = ["PWD", "OLDPWD", "SHLVL", "_", "BASH_ENV"];

/// The trap, written before the script on its first line. `command -p`
/// finds `env` whatever the block did to PATH; a failure to write costs
/// the carry, never the block's exit code.
const TRAP: &str = "trap 'command -p env -0 >\"$RUNSHEET_EXPORTS_FILE\" 2>/dev/null || :' EXIT; ";

/// The capture of one block's exports: a private file, removed on drop.
#[derive(Debug)]
pub struct Capture {
    path: PathBuf,
}

impl Capture {
    /// A fresh private file in the temporary directory; an error means the
    /// block runs without carrying its exports (never that it fails).
    pub fn new() -> std::io::Result<Capture> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        let mut last = None;
        for _ in 0..8 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = dir.join(format!(
                "runsheet-exports-{}-{n}-{nanos:x}",
                std::process::id()
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    f.flush()?;
                    return Ok(Capture { path });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The environment entry that points the trap at this file.
    pub fn env(&self) -> (String, String) {
        (FILE_VAR.to_string(), self.path.display().to_string())
    }

    /// What the block exported that differs from what it was given
    /// (`given` wins over the inherited `process` environment, as in the
    /// child), sorted by name; empty when the trap did not run.
    pub fn read(
        self,
        given: &[(String, String)],
        process: impl IntoIterator<Item = (String, String)>,
    ) -> Vec<(String, String)> {
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        let mut before: HashMap<String, String> = process.into_iter().collect();
        before.extend(given.iter().cloned());
        exported(&bytes, &before)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The script with the capture's trap in front of its first line.
pub fn wrap(script: &str) -> String {
    format!("{TRAP}{script}")
}

/// The entries of an `env -0` dump that are new or changed against
/// `before`, without the shell's own and runsheet's, sorted by name.
pub fn exported(dump: &[u8], before: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = dump
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = std::str::from_utf8(entry).ok()?;
            let (name, value) = entry.split_once('=')?;
            carried(name).then(|| (name.to_string(), value.to_string()))
        })
        .filter(|(name, value)| before.get(name) != Some(value))
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// A name that carries over: a shell identifier (not an exported function,
/// `BASH_FUNC_f%%`), neither runsheet's own nor one the shell keeps.
pub fn carried(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("RUNSHEET_")
        && !NOT_CARRIED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_dump_gives_what_is_new_or_changed_and_nothing_of_the_shell() {
        let dump = b"PWD=/tmp\0A=x y\0B=line1\nline2\0C=a=b \"q\" 'q'\0SAME=1\0CHANGED=2\0\
            SHLVL=1\0_=/bin/env\0RUNSHEET_STEP=s\0BASH_FUNC_f%%=() {  echo\n}\0";
        let got = exported(dump, &before(&[("SAME", "1"), ("CHANGED", "1")]));
        let want: Vec<(String, String)> = [
            ("A", "x y"),
            ("B", "line1\nline2"),
            ("C", "a=b \"q\" 'q'"),
            ("CHANGED", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn names_that_carry_are_identifiers_not_the_shells() {
        for ok in ["BACKUP_DIR", "backup_dir", "_x", "A1"] {
            assert!(carried(ok), "{ok}");
        }
        for no in [
            "1A",
            "",
            "A-B",
            "PWD",
            "OLDPWD",
            "_",
            "RUNSHEET_TARGET",
            "f%%",
        ] {
            assert!(!carried(no), "{no}");
        }
    }

    #[test]
    fn the_trap_keeps_the_first_line_the_scripts() {
        assert!(
            !wrap("echo hi\nfalse")
                .lines()
                .nth(1)
                .unwrap_or("")
                .contains("trap")
        );
        assert!(wrap("echo hi").ends_with("; echo hi"));
    }

    #[test]
    fn the_file_is_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let c = Capture::new().unwrap_or_else(|e| panic!("{e}"));
        let path = c.path().to_path_buf();
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
        assert!(c.read(&[], Vec::new()).is_empty());
        assert!(!path.exists());
    }
}
