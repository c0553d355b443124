//! Where the clusters' folders go when the server runs as another user.
//! Under root the server runs as `postgres`, which must be able to enter
//! every folder above its data directory. The data directory runsheet
//! keeps journals in is often root's 0700 folder (`/root/.local/share`),
//! so a cluster there fails with "initdb: Permission denied". Then the
//! clusters go to a fresh folder in the system's temporary directory
//! instead, and when that is not reachable either the error names the
//! folder, its mode and owner, and the command that fixes it.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::error::SandboxError;

/// The first folder in `dir`'s chain (itself included) that `uid`/`gid`
/// may not enter, with its mode and owner.
pub fn blocked(dir: &Path, uid: u32, gid: u32) -> Option<Blocked> {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut chain: Vec<&Path> = abs.ancestors().collect();
    chain.reverse();
    for folder in chain {
        // A folder not created yet will be made by us with the usual umask.
        let Ok(meta) = std::fs::metadata(folder) else {
            continue;
        };
        let mode = meta.mode();
        let bit = if meta.uid() == uid {
            0o100
        } else if meta.gid() == gid {
            0o010
        } else {
            0o001
        };
        if mode & bit == 0 {
            return Some(Blocked {
                folder: folder.to_path_buf(),
                mode: mode & 0o7777,
                owner: meta.uid(),
            });
        }
    }
    None
}

#[derive(Debug, Clone)]
pub struct Blocked {
    pub folder: PathBuf,
    pub mode: u32,
    pub owner: u32,
}

impl Blocked {
    pub fn describe(&self) -> String {
        format!(
            "{} (mode {:04o}, owner uid {})",
            self.folder.display(),
            self.mode,
            self.owner
        )
    }
}

/// The folder the clusters' folders go in: `sandbox_dir` when the server
/// user can reach it (or runsheet is not root), else a new private folder
/// under the temporary directory. The second value says whether that
/// folder is a fallback `stop` must remove too.
pub fn clusters_root(
    sandbox_dir: &Path,
    run_as: Option<(u32, u32)>,
    unique: &str,
) -> Result<(PathBuf, bool), SandboxError> {
    let Some((uid, gid)) = run_as else {
        return Ok((sandbox_dir.to_path_buf(), false));
    };
    let Some(first) = blocked(sandbox_dir, uid, gid) else {
        return Ok((sandbox_dir.to_path_buf(), false));
    };
    let tmp = std::env::temp_dir();
    if let Some(second) = blocked(&tmp, uid, gid) {
        return Err(SandboxError::Unreachable {
            folder: first.describe(),
            fix: fix_command(&first),
            also: second.describe(),
        });
    }
    let root = tmp.join(format!("runsheet-sandbox-{unique}"));
    // Traverse-only for others: the server user enters its own cluster
    // folder (handed to it) but cannot list the others.
    std::fs::DirBuilder::new()
        .mode(0o711)
        .create(&root)
        .map_err(|e| SandboxError::io(format!("cannot create {}", root.display()), e))?;
    Ok((root, true))
}

fn fix_command(b: &Blocked) -> String {
    format!(
        "`chmod o+x {}`, or RUNSHEET_SANDBOX_DIR set to a folder the postgres user can enter (`RUNSHEET_SANDBOX_DIR=/var/tmp/runsheet-sandbox runsheet sandbox`)",
        b.folder.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_private_parent_blocks_another_user() {
        let t = tempfile::tempdir().unwrap();
        let private = t.path().join("private");
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        let me = nix::unistd::Uid::effective().as_raw();
        let other = me.wrapping_add(4242);
        let b = blocked(&private.join("sandbox/staging"), other, other).expect("blocked");
        assert!(
            b.folder == private || b.folder.starts_with(t.path()),
            "{:?}",
            b.folder
        );
        assert_eq!(b.mode & 0o001, 0);
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o711)).unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        assert!(blocked(&private.join("sandbox/staging"), other, other).is_none());
    }
}
