//! Local paths: relative to the action's `cwd`, else to where runsheet
//! runs; folders walked into files with their keys; a file's identity
//! (size and modification time) to tell whether a resumed upload is still
//! about the same data.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::error::{S3Error, fail};
use crate::exec::step::StepCtx;

pub fn resolve(native: &StepCtx, path: &str) -> PathBuf {
    let p = Path::new(path);
    match &native.action.cwd {
        Some(cwd) if p.is_relative() => Path::new(cwd).join(p),
        _ => p.to_path_buf(),
    }
}

/// Size and modification time in nanoseconds: what changes when the file
/// is rewritten (a new dump under the same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub size: u64,
    pub mtime_ns: u64,
}

pub fn identity(meta: &std::fs::Metadata) -> Identity {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    Identity {
        size: meta.len(),
        mtime_ns,
    }
}

/// One file of a folder: its path and its key below the folder, with `/`.
#[derive(Clone, Debug)]
pub struct LocalFile {
    pub path: PathBuf,
    pub rel: String,
    pub size: u64,
}

/// Every regular file below `root`, sorted by key. Symbolic links to files
/// are followed; links to folders are not (a loop would never end).
pub fn walk(root: &Path) -> Result<Vec<LocalFile>, S3Error> {
    let mut out = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| fail!(Local, "cannot read the folder {}: {e}", dir.display()))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| fail!(Local, "cannot read the folder {}: {e}", dir.display()))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(fail!(
                    Local,
                    "{} has a name that is not UTF-8; S3 keys are UTF-8: rename it",
                    entry.path().display()
                ));
            };
            let rel = format!("{prefix}{name}");
            let path = entry.path();
            let file_type = entry
                .file_type()
                .map_err(|e| fail!(Local, "cannot read {}: {e}", path.display()))?;
            if file_type.is_dir() {
                pending.push((path, format!("{rel}/")));
                continue;
            }
            let meta = std::fs::metadata(&path)
                .map_err(|e| fail!(Local, "cannot read {}: {e}", path.display()))?;
            if meta.is_file() {
                out.push(LocalFile {
                    path,
                    rel,
                    size: meta.len(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The last segment of a key or path (`backup.sql.gz`).
pub fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// A key below a downloaded prefix, as a relative path that stays inside
/// the destination folder; None for one that would leave it (`../x`,
/// `/etc/x`) or name no file (`a//b`, a folder marker `a/`).
pub fn safe_relative(rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.starts_with('/') || rel.ends_with('/') {
        return None;
    }
    let mut out = PathBuf::new();
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_would_escape_the_folder_are_refused() {
        assert_eq!(safe_relative("a/b.gz"), Some(PathBuf::from("a/b.gz")));
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "dir/",
            "a\\..\\b",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("migration/backup.sql.gz"), "backup.sql.gz");
        assert_eq!(base_name("./dumps/"), "dumps");
        assert_eq!(base_name("x"), "x");
    }
}
