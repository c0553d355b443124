//! What a forger does to a journal, and an operator's SSH key: for the
//! tests that a journal's evidence (store, ticket hash, signature) catches
//! what its own chain cannot.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The journal's text with `from` replaced by `to` in the first record
/// holding it, and every later `prev` recomputed: the chain holds again,
/// as an editor who knows the format would leave it. Returns the text and
/// the edited record's seq.
pub fn edit_and_rechain(journal: &str, from: &str, to: &str) -> (String, u64) {
    let mut out = String::new();
    let mut prev: Option<String> = None;
    let mut edited = None;
    for (seq, line) in journal.lines().enumerate() {
        let mut line = line.to_string();
        if edited.is_none() && line.contains(from) {
            line = line.replacen(from, to, 1);
            edited = Some(seq as u64);
        }
        if let Some(p) = &prev {
            let v: serde_json::Value = serde_json::from_str(&line).expect("a record");
            let old = v["prev"].as_str().expect("prev").to_string();
            // Only the prev changes, in place: the rest of the line stays
            // the writer's bytes.
            line = line.replacen(&old, p, 1);
        }
        prev = Some(hex::encode(Sha256::digest(line.as_bytes())));
        out.push_str(&line);
        out.push('\n');
    }
    (
        out,
        edited.unwrap_or_else(|| panic!("no record holds {from:?}")),
    )
}

/// The journal's text without its last `n` records: cut at a record
/// boundary, so its chain still holds.
pub fn cut(journal: &str, n: usize) -> String {
    let lines: Vec<&str> = journal.lines().collect();
    let keep = lines.len().saturating_sub(n);
    lines[..keep].iter().map(|l| format!("{l}\n")).collect()
}

/// The hex SHA-256 of the journal's last line: its final hash.
pub fn final_hash(journal: &str) -> String {
    let last = journal.lines().last().unwrap_or_default();
    hex::encode(Sha256::digest(last.as_bytes()))
}

/// A home folder with an ed25519 key (no passphrase) for `principal` in
/// `.ssh/id_ed25519`, as `ssh-keygen -t ed25519` makes it.
pub struct SshHome {
    pub dir: tempfile::TempDir,
    pub principal: String,
}

impl SshHome {
    pub fn new(principal: &str) -> SshHome {
        let dir = tempfile::tempdir().expect("tempdir");
        let ssh = dir.path().join(".ssh");
        std::fs::create_dir(&ssh).expect("mkdir .ssh");
        keygen(&ssh.join("id_ed25519"), principal);
        SshHome {
            dir,
            principal: principal.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn key(&self) -> PathBuf {
        self.path().join(".ssh/id_ed25519")
    }

    /// The allowed-signers line that trusts this key for `principal`.
    pub fn allowed_line(&self) -> String {
        let public = std::fs::read_to_string(self.path().join(".ssh/id_ed25519.pub"))
            .expect("the public key");
        let mut parts = public.split_whitespace();
        let (kind, key) = (parts.next().expect("type"), parts.next().expect("key"));
        format!("{} namespaces=\"runsheet\" {kind} {key}\n", self.principal)
    }

    /// `~/.ssh/allowed_signers` trusting this key.
    pub fn trust_itself(&self) -> PathBuf {
        let p = self.path().join(".ssh/allowed_signers");
        std::fs::write(&p, self.allowed_line()).expect("write allowed_signers");
        p
    }
}

/// A new ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
