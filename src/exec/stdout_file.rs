//! `{stdout=FILE}`: a block's standard output written to a file on this
//! machine, wherever the block runs (`kubectl exec … -- pg_dump` in a
//! context, the dump landing here). The child writes into the file
//! itself, so a dump of any size costs runsheet no memory and no copy.
//!
//! It is written as `FILE.partial` and takes its name only when the block
//! succeeds: a dump cut short by a failure, a timeout or a cancel never
//! stands where a later step (a restore) would take it for a whole one.

use std::io;
use std::path::{Path, PathBuf};

/// The file a run's standard output goes to.
#[derive(Debug)]
pub struct Target {
    path: PathBuf,
    partial: PathBuf,
    file: std::fs::File,
}

/// Where standard output went once the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `FILE` when the block succeeded, `FILE.partial` otherwise.
    pub path: PathBuf,
    pub bytes: u64,
    pub complete: bool,
}

impl Written {
    /// The line the step's output ends with.
    pub fn line(&self) -> String {
        if self.complete {
            format!(
                "→ standard output written to {} ({} bytes)\n",
                self.path.display(),
                self.bytes
            )
        } else {
            format!(
                "→ the block did not succeed: its standard output ({} bytes) is left in {}, not under its name\n",
                self.bytes,
                self.path.display()
            )
        }
    }
}

impl Target {
    /// Opens `FILE.partial` (mode 0600: a dump holds the data), `path`
    /// taken from `cwd` when relative, as a `> FILE` in the block would.
    pub fn open(path: &Path, cwd: Option<&Path>) -> io::Result<Target> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = match cwd {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        };
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot write the block's standard output to {}: {e}; nothing was run",
                        partial.display()
                    ),
                )
            })?;
        Ok(Target {
            path,
            partial,
            file,
        })
    }

    /// A handle for the child's standard output.
    pub fn file(&self) -> io::Result<std::fs::File> {
        self.file.try_clone()
    }

    /// Names the file for what it holds: `FILE` after a success.
    pub fn finish(self, succeeded: bool) -> Written {
        let bytes = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(self.file);
        if succeeded && std::fs::rename(&self.partial, &self.path).is_ok() {
            return Written {
                path: self.path,
                bytes,
                complete: true,
            };
        }
        Written {
            path: self.partial,
            bytes,
            complete: false,
        }
    }
}
