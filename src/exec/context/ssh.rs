//! The OpenSSH command line of an `ssh:` context. The user's own
//! configuration and agent apply (aliases, keys, `ProxyJump` in
//! `~/.ssh/config`); runsheet adds only what makes a session safe to run
//! unattended: no password prompt in the middle of a step (`BatchMode`),
//! host keys checked strictly (an unknown or changed key stops the step),
//! and one shared connection per host (`ControlPath`), opened by the
//! preflight and reused by every step. A `jump:` bastion gets the same
//! (`jump`).

use std::path::PathBuf;

/// Where the shared connections' sockets live: private to this user.
pub fn control_dir() -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    base.join(format!("runsheet-ssh-{}", nix::unistd::getuid()))
}

/// Makes `control_dir()` (mode 0700); without it steps still run, each on
/// a connection of its own.
pub fn ensure_control_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let dir = control_dir();
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    // A folder someone else made, or opened to others, could hand our
    // steps to their connection.
    let mine = meta.is_dir()
        && meta.uid() == nix::unistd::getuid().as_raw()
        && meta.permissions().mode() & 0o077 == 0;
    mine.then_some(dir)
}

/// What an ssh command line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A block: no terminal, its output back as two clean streams.
    Piped,
    /// An interactive block: a terminal there (`-tt`).
    Terminal,
    /// The preflight's shared connection, opened in the background.
    Master,
    /// Ends the shared connection (`-O exit`).
    Exit,
}

/// The socket of this process's shared connections: one per host, for
/// this session only (another session's master is never borrowed, and
/// ending ours never cuts theirs).
/// A host reached through a bastion gets a socket of its own (`%C` does
/// not cover a `ProxyCommand`).
fn control_path(dir: &std::path::Path, jump: Option<&str>) -> String {
    let via = jump
        .map(|j| format!("{}-", super::jump::key(j)))
        .unwrap_or_default();
    format!(
        "ControlPath={}/{}-{via}%C",
        dir.display(),
        std::process::id()
    )
}

/// What every ssh of a context gets, its bastion's included: the config
/// file, no prompt, strict host keys, a bounded connect.
fn safety_options() -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    if let Some(cfg) = std::env::var_os("RUNSHEET_SSH_CONFIG") {
        a.push("-F".into());
        a.push(cfg.to_string_lossy().into_owned());
    }
    for opt in [
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ConnectTimeout=10",
    ] {
        a.push("-o".into());
        a.push(opt.into());
    }
    a
}

/// `ssh … DEST` with runsheet's options.
pub fn argv(dest: &str, jump: Option<&str>, port: Option<u16>, mode: Mode) -> Vec<String> {
    let mut a: Vec<String> = vec!["ssh".into()];
    let safety = safety_options();
    a.extend(safety.iter().cloned());
    if let Some(dir) = ensure_control_dir() {
        a.push("-o".into());
        a.push(control_path(&dir, jump));
        a.push("-o".into());
        a.push(if mode == Mode::Master {
            "ControlMaster=yes".into()
        } else {
            "ControlMaster=no".into()
        });
        if mode == Mode::Master {
            // Only a safety net: the session ends its masters itself
            // (`preflight::Masters`); this one outlives a runsheet killed
            // with SIGKILL by at most this long once idle.
            a.push("-o".into());
            a.push("ControlPersist=30m".into());
        }
    }
    if let Some(p) = port {
        a.push("-p".into());
        a.push(p.to_string());
    }
    if let Some(j) = jump {
        // Not `-J`: its hop would not get `safety` (`jump`).
        a.push("-o".into());
        a.push(format!(
            "ProxyCommand={}",
            super::jump::proxy_command(j, &safety)
        ));
    }
    match mode {
        Mode::Master => {
            a.push("-f".into());
            a.push("-N".into());
        }
        Mode::Piped => a.push("-T".into()),
        Mode::Terminal => a.push("-tt".into()),
        Mode::Exit => {
            a.push("-O".into());
            a.push("exit".into());
        }
    }
    a.push("--".into());
    a.push(dest.into());
    a
}
