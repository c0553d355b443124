//! A journal signed with the operator's SSH key, the way git signs
//! commits: `ssh-keygen -Y sign` in the `runsheet` namespace over a small
//! statement (the session, its record count, its final hash, the store's
//! approvals), the ASCII-armored signature next to the journal as
//! `JOURNAL.sig`, checked with `ssh-keygen -Y verify` against an
//! allowed-signers file, which is what says who signed.
//!
//! ssh-keygen is always spawned with its arguments, never through a
//! shell, and reads the statement from a file of its own: its standard
//! input stays the terminal's, for a key's passphrase.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::approvals::Approvals;

/// The signature namespace: a signature made for runsheet cannot be
/// replayed as a git commit's or an ssh login's, nor theirs as ours.
pub const NAMESPACE: &str = "runsheet";

/// The program, overridable for a machine where it is elsewhere.
const SSH_KEYGEN_ENV: &str = "RUNSHEET_SSH_KEYGEN";

/// What a signature vouches for. Its text is rebuilt from the journal
/// (and the store) to check a signature: nothing of it is trusted from
/// the signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The store's id of the session: the SHA-256 of its first line.
    pub session: String,
    pub records: u64,
    pub final_hash: String,
    pub approvals: Option<Approvals>,
}

impl Statement {
    pub fn text(&self) -> String {
        let mut s = format!(
            "runsheet journal v1\nsession {}\nrecords {}\nfinal-hash {}\n",
            self.session, self.records, self.final_hash
        );
        if let Some(a) = &self.approvals {
            s.push_str(&a.line());
            s.push('\n');
        }
        s
    }
}

pub use crate::journal::paths::sig_path;

fn ssh_keygen() -> Command {
    let program = std::env::var_os(SSH_KEYGEN_ENV)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "ssh-keygen".into());
    let mut c = Command::new(program);
    // Its messages in the words the code below looks for.
    c.env("LC_ALL", "C");
    c
}

/// The key to sign with: the one given, else `sign: key:` in the config,
/// else the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists.
pub fn key(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(k) = given {
        return Ok(k.to_path_buf());
    }
    let config = crate::config::load().map_err(|e| e.to_string())?;
    if let Some(k) = config.sign.and_then(|s| s.key) {
        return Ok(super::expand_home(&k));
    }
    let ssh = super::home().map(|h| h.join(".ssh"));
    ssh.iter()
        .flat_map(|d| ["id_ed25519", "id_ecdsa", "id_rsa"].map(|n| d.join(n)))
        .find(|p| p.exists())
        .ok_or_else(|| {
            "no SSH key to sign with: none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exists; give one with --key, or as `sign: {key: PATH}` in the config file (a .pub whose key ssh-agent holds works too)".to_string()
        })
}

/// A folder only this process uses, removed on drop: ssh-keygen writes
/// `FILE.sig` next to the file it signs and asks before replacing one.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("runsheet-sign-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)
            .map_err(|e| format!("cannot make a scratch folder {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What ssh-keygen said, its messages in one line.
fn said(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn not_found(e: std::io::Error) -> String {
    format!(
        "cannot run ssh-keygen ({e}): signing needs OpenSSH 8.2 or later (set {SSH_KEYGEN_ENV} if it is installed elsewhere)"
    )
}

/// Signs `statement` with `key`, writing the armored signature to `out`
/// (through a temporary file, so a failure leaves any older one whole).
pub fn sign(statement: &Statement, key: &Path, out: &Path) -> Result<(), String> {
    let scratch = Scratch::new()?;
    let message = scratch.0.join("statement");
    std::fs::write(&message, statement.text())
        .map_err(|e| format!("cannot write {}: {e}", message.display()))?;
    use std::io::IsTerminal;
    // A passphrase is asked on the terminal; with none, on standard input,
    // which must then not be ours (an --auto session's pipe).
    let stdin = if std::io::stdin().is_terminal() {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    let done = ssh_keygen()
        .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .arg(&message)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(not_found)?;
    if !done.status.success() {
        return Err(format!(
            "ssh-keygen could not sign with {}: {}",
            key.display(),
            said(&done)
        ));
    }
    let made = scratch.0.join("statement.sig");
    let sig = std::fs::read(&made).map_err(|e| format!("ssh-keygen wrote no signature: {e}"))?;
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, &sig)
        .and_then(|()| std::fs::rename(&tmp, out))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// The key's fingerprint line (`256 SHA256:… comment (ED25519)`), to
/// say which key signed.
pub fn fingerprint(key: &Path) -> Option<String> {
    let done = ssh_keygen().arg("-l").arg("-f").arg(key).output().ok()?;
    done.status
        .success()
        .then(|| String::from_utf8_lossy(&done.stdout).trim().to_string())
}

/// What a signature check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Signed over this statement by a key the allowed signers name.
    Good {
        principals: Vec<String>,
        said: String,
    },
    /// The signature is not over this statement: the journal (or its
    /// approvals) changed after it was signed, or it is another's.
    NotThisJournal { said: String },
    /// Over this statement, but by a key no allowed signer has.
    UnknownSigner { said: String },
    /// Over this statement; who signed it could not be said.
    Unchecked { why: String },
}

/// Checks the signature at `sig` over `statement`, against the
/// allowed-signers file `allowed` (when there is one).
pub fn check(statement: &Statement, sig: &Path, allowed: Option<&Path>) -> Result<Checked, String> {
    let scratch = Scratch::new()?;
    let message = scratch.0.join("statement");
    std::fs::write(&message, statement.text())
        .map_err(|e| format!("cannot write {}: {e}", message.display()))?;
    let with_message = |args: &[&std::ffi::OsStr]| -> Result<std::process::Output, String> {
        let input = std::fs::File::open(&message)
            .map_err(|e| format!("cannot read {}: {e}", message.display()))?;
        ssh_keygen()
            .args(args)
            .stdin(input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(not_found)
    };
    // First whether it is a signature over this journal at all, whoever
    // made it: that is what a journal changed after signing fails.
    let over = with_message(&[
        "-Y".as_ref(),
        "check-novalidate".as_ref(),
        "-n".as_ref(),
        NAMESPACE.as_ref(),
        "-s".as_ref(),
        sig.as_os_str(),
    ])?;
    if !over.status.success() {
        return Ok(Checked::NotThisJournal { said: said(&over) });
    }
    let Some(allowed) = allowed else {
        return Ok(Checked::Unchecked {
            why: format!(
                "no allowed-signers file to say whose key it is ({}): give one with --allowed-signers, as `allowed_signers:` in the config file, in ~/.ssh/allowed_signers, or as git's gpg.ssh.allowedSignersFile",
                said(&over)
            ),
        });
    };
    let found = ssh_keygen()
        .args(["-Y", "find-principals", "-s"])
        .arg(sig)
        .arg("-f")
        .arg(allowed)
        .stdin(Stdio::null())
        .output()
        .map_err(not_found)?;
    let principals: Vec<String> = String::from_utf8_lossy(&found.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if !found.status.success() || principals.is_empty() {
        return Ok(Checked::UnknownSigner {
            said: format!(
                "{} (not in {})",
                said(&over).replace("Good \"runsheet\" signature", "signature"),
                allowed.display()
            ),
        });
    }
    // `verify` with the principal found: the allowed-signers file's own
    // rules (namespaces, validity dates) apply.
    let identity = principals.join(",");
    let verified = with_message(&[
        "-Y".as_ref(),
        "verify".as_ref(),
        "-f".as_ref(),
        allowed.as_os_str(),
        "-I".as_ref(),
        identity.as_ref(),
        "-n".as_ref(),
        NAMESPACE.as_ref(),
        "-s".as_ref(),
        sig.as_os_str(),
    ])?;
    Ok(if verified.status.success() {
        Checked::Good {
            principals,
            said: said(&verified),
        }
    } else {
        Checked::UnknownSigner {
            said: format!("{}: {}", principals.join(", "), said(&verified)),
        }
    })
}

/// The allowed-signers file: the one given, else `allowed_signers:` in
/// the config file, else git's `gpg.ssh.allowedSignersFile`, else
/// ~/.ssh/allowed_signers when it exists.
pub fn allowed_signers(given: Option<&Path>) -> Result<Option<PathBuf>, String> {
    if let Some(p) = given {
        return Ok(Some(p.to_path_buf()));
    }
    let config = crate::config::load().map_err(|e| e.to_string())?;
    if let Some(p) = config.allowed_signers.filter(|p| !p.trim().is_empty()) {
        return Ok(Some(super::expand_home(&p)));
    }
    let git = Command::new("git")
        .args(["config", "--get", "gpg.ssh.allowedSignersFile"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    if let Ok(out) = git
        && out.status.success()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !p.is_empty() {
            return Ok(Some(super::expand_home(&p)));
        }
    }
    Ok(super::home()
        .map(|h| h.join(".ssh").join("allowed_signers"))
        .filter(|p| p.exists()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_is_the_same_text_for_the_same_journal() {
        let s = Statement {
            session: "ab".repeat(32),
            records: 12,
            final_hash: "cd".repeat(32),
            approvals: None,
        };
        assert_eq!(
            s.text(),
            format!(
                "runsheet journal v1\nsession {}\nrecords 12\nfinal-hash {}\n",
                "ab".repeat(32),
                "cd".repeat(32)
            )
        );
        let with = Statement {
            approvals: Some(Approvals {
                count: 2,
                digest: "ef".repeat(32),
            }),
            ..s
        };
        assert!(
            with.text()
                .ends_with(&format!("approvals 2 sha256:{}\n", "ef".repeat(32)))
        );
        assert_eq!(
            sig_path(Path::new("/j/a.jsonl")),
            PathBuf::from("/j/a.jsonl.sig")
        );
    }
}
