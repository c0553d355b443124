//! Where journals live and how they are named.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use jiff::Timestamp;

use super::JournalError;

/// Overrides the data directory (journals go in its `journals/`): for
/// tests, and for hosts where home is not persistent.
pub const DATA_DIR_ENV: &str = "RUNSHEET_DATA_DIR";

const EXTENSION: &str = "jsonl";

/// `$RUNSHEET_DATA_DIR/journals` if set, else the platform data directory's
/// `journals` (e.g. `~/.local/share/runsheet/journals`).
pub fn journal_dir() -> Result<PathBuf, JournalError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        // Absolute, so that a lock records the journal by a path that
        // means the same from any folder.
        let dir = PathBuf::from(dir);
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        return Ok(dir.join("journals"));
    }
    directories::ProjectDirs::from("", "", "runsheet")
        .map(|d| d.data_dir().join("journals"))
        .ok_or(JournalError::NoDataDir)
}

/// `<runbook stem>--<target>--<YYYYMMDD>T<HHMMSS>Z.jsonl`, both names
/// slugged, the time in UTC. Slugs never contain `--`, so the parts can be
/// told apart again.
pub fn journal_file_name(runbook_path: &Path, target: &str, started: Timestamp) -> String {
    format!(
        "{}--{}--{}.{EXTENSION}",
        runbook_slug(runbook_path),
        slug(target, "target"),
        started.strftime("%Y%m%dT%H%M%SZ")
    )
}

/// A path in `dir` for a new journal that does not exist yet: the plain
/// name, else with `-2`, `-3`… before the extension (two sessions started
/// in the same second). Creating it can still race; `create` uses
/// create_new, so a loser gets an error rather than a shared file.
pub fn free_journal_path(
    dir: &Path,
    runbook_path: &Path,
    target: &str,
    started: Timestamp,
) -> PathBuf {
    let name = journal_file_name(runbook_path, target, started);
    let stem = name.trim_end_matches(&format!(".{EXTENSION}")).to_string();
    let mut candidate = dir.join(&name);
    let mut n = 2u32;
    while candidate.symlink_metadata().is_ok() {
        candidate = dir.join(format!("{stem}-{n}.{EXTENSION}"));
        n += 1;
    }
    candidate
}

/// The most recently modified journal in `dir` (`.broken` copies and lock
/// files are not journals). `None` if there is none or no such directory.
pub fn latest_journal(dir: &Path) -> Result<Option<PathBuf>, JournalError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(JournalError::io(dir, e)),
    };
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != EXTENSION) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => continue,
            // Removed since it was listed.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(JournalError::io(&path, e)),
        };
        let modified = meta.modified().map_err(|e| JournalError::io(&path, e))?;
        // Ties go to the later name, which sorts by start time.
        if best
            .as_ref()
            .is_none_or(|(t, p)| (modified, &path) > (*t, p))
        {
            best = Some((modified, path));
        }
    }
    Ok(best.map(|(_, path)| path))
}

/// Whether two paths name one journal file: the same file on disk, or,
/// when either cannot be read, the same absolute path.
pub fn same_journal(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => {
            let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            abs(a) == abs(b)
        }
    }
}

/// A session's name: its journal's file name without `.jsonl`, as the
/// team's store, `follow`, `approve` and `resume --store` say it.
pub fn session_name(journal: &Path) -> String {
    journal
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The runbook's file stem, slugged: the part of journal and lock names
/// that says which runbook.
pub(crate) fn runbook_slug(runbook_path: &Path) -> String {
    let stem = runbook_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    slug(&stem, "runbook")
}

/// Lowercase ASCII letters, digits and single dashes: safe in a file name
/// on any filesystem, and never `--`, which separates the name's parts.
pub(crate) fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let folded = if c.is_alphanumeric() {
            deunicode::deunicode_char(c).unwrap_or("")
        } else {
            ""
        };
        let mut pushed = false;
        for a in folded.chars().filter(char::is_ascii_alphanumeric) {
            out.push(a.to_ascii_lowercase());
            pushed = true;
        }
        if !pushed && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.chars().take(80).collect();
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        fallback.to_string()
    } else {
        out.to_string()
    }
}

/// Where the signature of `journal` goes: beside it, `.sig` appended.
pub fn sig_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// The command that checks a journal against the hash in a ticket.
pub fn verify_command(journal: &Path, hash: &str) -> String {
    format!(
        "runsheet verify {} --expect {hash}",
        shell_word(&journal.display().to_string())
    )
}

/// `text` as one shell word, for a command to copy: quoted only when it
/// needs to be.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_from_the_spec() {
        let ts: Timestamp = "2026-11-21T14:03:12.345Z".parse().unwrap_or_default();
        assert_eq!(
            journal_file_name(
                Path::new("runbooks/000-migration-client-pilote.md"),
                "production",
                ts
            ),
            "000-migration-client-pilote--production--20261121T140312Z.jsonl"
        );
    }

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("Prod / EU-west 1", "t"), "prod-eu-west-1");
        assert_eq!(slug("Données--clients", "t"), "donnees-clients");
        assert_eq!(slug("../..", "t"), "t");
    }

    #[test]
    fn a_path_is_quoted_only_when_the_shell_would_split_it() {
        assert_eq!(shell_word("/data/j-1.jsonl"), "/data/j-1.jsonl");
        assert_eq!(shell_word("/my data/it's"), r"'/my data/it'\''s'");
    }
}
