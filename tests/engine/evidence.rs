//! A journal as evidence, without a store: the final hash from the ticket
//! (`verify --expect`) and the operator's SSH signature (`runsheet sign`,
//! `verify` naming the signer), against journals edited with every later
//! hash recomputed or cut at a record boundary, which the chain alone lets
//! through. Real sessions, real `ssh-keygen` keys in a scratch HOME.

use crate::support::evidence::{SshHome, cut, edit_and_rechain, final_hash, keygen};
use crate::support::workdir::{Workdir, text};
use std::path::{Path, PathBuf};
use std::process::Output;

const RUNBOOK: &str = "# Evidence\n\n## P\n\n### Hello {#hello}\n\n```bash\necho \"hello from $RUNSHEET_TARGET\"\n```\n\n### Count {#count}\n\n```bash\nfor i in 1 2 3; do echo \"line $i\"; done\n```\n";

fn session(w: &Workdir) -> (PathBuf, Output) {
    let rb = w.write("evidence.md", RUNBOOK);
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = w.journals();
    assert_eq!(j.len(), 1, "{j:?}");
    (j[0].clone(), out)
}

fn verify(w: &Workdir, journal: &Path, extra: &[&str]) -> Output {
    let j = journal.to_string_lossy();
    let mut args = vec!["verify", &*j];
    args.extend_from_slice(extra);
    w.run(&args, "")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn an_edited_and_rechained_or_cut_journal_fails_the_hash_from_the_ticket() {
    let w = Workdir::new();
    let (j, out) = session(&w);
    let original = read(&j);
    let hash = final_hash(&original);
    // The end of the session shows the hash and the command to check it.
    let said = text(&out);
    let command = format!("runsheet verify {} --expect {hash}", j.display());
    assert!(
        said.contains(&format!("final hash: {hash}")) && said.contains(&command),
        "{said}"
    );
    let v = verify(&w, &j, &["--expect", &hash]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("matches the final hash given"),
        "{}",
        text(&v)
    );

    // Edited, every later prev recomputed: the chain alone says intact...
    let (edited, _) = edit_and_rechain(&original, "hello from staging", "hello from elsewhere");
    std::fs::write(&j, &edited).unwrap();
    let alone = verify(&w, &j, &[]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone));
    assert!(text(&alone).contains("anchored:  no"), "{}", text(&alone));
    // ...the ticket's hash does not.
    let v = verify(&w, &j, &["--expect", &hash]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("DOES NOT MATCH") && text(&v).contains(&final_hash(&edited)),
        "{}",
        text(&v)
    );

    // Cut at a record boundary: the same.
    std::fs::write(&j, cut(&original, 2)).unwrap();
    assert_eq!(verify(&w, &j, &[]).status.code(), Some(0));
    let v = verify(&w, &j, &["--expect", &hash.to_uppercase()]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));

    // Only the whole hash is taken: a prefix could be matched on purpose.
    std::fs::write(&j, &original).unwrap();
    let v = verify(&w, &j, &["--expect", &hash[..16]]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    assert!(text(&v).contains("64 hex digits"), "{}", text(&v));

    // The report puts the hash and the command first.
    let report = text(&w.run(&["report", &j.to_string_lossy()], ""));
    let at = report.find(&format!("**Final hash:** `{hash}`"));
    assert!(
        at.is_some_and(|at| at < report.find("| Session |").unwrap_or(0))
            && report.contains(&command),
        "{report}"
    );
}

/// A machine whose HOME has the operator's key and trusts it.
fn signer(principal: &str) -> (Workdir, SshHome) {
    let home = SshHome::new(principal);
    home.trust_itself();
    let mut w = Workdir::new();
    w.set("HOME", &home.path().to_string_lossy());
    (w, home)
}

#[test]
fn a_signed_journal_names_its_signer_and_fails_once_changed() {
    let (w, home) = signer("alice@example.com");
    let (j, _) = session(&w);
    let original = read(&j);
    let sig = PathBuf::from(format!("{}.sig", j.display()));

    // Nothing signed yet: --signed asks for it.
    let v = verify(&w, &j, &["--signed"]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("runsheet sign"), "{}", text(&v));

    let out = w.run(&["sign", &j.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&final_hash(&original)),
        "{}",
        text(&out)
    );
    let armored = read(&sig);
    assert!(
        armored.starts_with("-----BEGIN SSH SIGNATURE-----"),
        "{armored}"
    );

    let v = verify(&w, &j, &["--signed"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("signature: good: signed by alice@example.com"),
        "{}",
        text(&v)
    );
    // The signature is ssh-keygen's own: it checks there too, in the
    // runsheet namespace, over the statement runsheet prints.
    let statement = format!(
        "runsheet journal v1\nsession {}\nrecords {}\nfinal-hash {}\n",
        {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(
                original.lines().next().unwrap_or_default().as_bytes(),
            ))
        },
        original.lines().count(),
        final_hash(&original)
    );
    let msg = w.write("statement", &statement);
    let ok = std::process::Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "runsheet",
            "-I",
            "alice@example.com",
            "-f",
        ])
        .arg(home.path().join(".ssh/allowed_signers"))
        .arg("-s")
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", text(&ok));

    // Changed after signing, chain recomputed: the signature fails loudly.
    let (edited, _) = edit_and_rechain(&original, "line 2", "line 9");
    std::fs::write(&j, &edited).unwrap();
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("signature: BAD") && text(&v).contains("changed after it was signed"),
        "{}",
        text(&v)
    );
    // Cut after signing: the same.
    std::fs::write(&j, cut(&original, 1)).unwrap();
    assert_eq!(verify(&w, &j, &[]).status.code(), Some(1));

    // Signed by a key nobody trusts: the signature is over this journal,
    // but it says nobody the team knows signed it.
    std::fs::write(&j, &original).unwrap();
    let mallory = w.path().join("mallory");
    keygen(&mallory, "mallory@example.com");
    let out = w.run(
        &[
            "sign",
            &j.to_string_lossy(),
            "--key",
            &mallory.to_string_lossy(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("signature: UNTRUSTED"), "{}", text(&v));
    // An allowed-signers file given on the command line is the one read.
    let theirs = w.write(
        "team_signers",
        &format!(
            "mallory@example.com {}",
            read(&mallory.with_extension("pub"))
        ),
    );
    let v = verify(&w, &j, &["--allowed-signers", &theirs.to_string_lossy()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("signed by mallory@example.com"),
        "{}",
        text(&v)
    );

    // A broken journal is never signed.
    std::fs::write(&j, original.replacen("line 1", "line 7", 1)).unwrap();
    let out = w.run(&["sign", &j.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("BROKEN"), "{}", text(&out));
}

#[test]
fn a_session_signs_itself_at_its_end_when_the_config_says_so() {
    let (w, _home) = signer("ops@example.com");
    w.write("config.yaml", "sign:\n  auto: true\n");
    let (j, out) = session(&w);
    let said = text(&out);
    assert!(said.contains("signed ") && said.contains(".sig"), "{said}");
    let v = verify(&w, &j, &["--signed"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("signed by ops@example.com"),
        "{}",
        text(&v)
    );

    // A key that is not there costs a warning, never the session.
    let w2 = {
        let mut w2 = Workdir::new();
        w2.set("HOME", &w.path().join("nohome").to_string_lossy());
        w2
    };
    w2.write(
        "config.yaml",
        "sign:\n  auto: true\n  key: ~/.ssh/missing\n",
    );
    let (j2, out) = session(&w2);
    let said = text(&out);
    assert!(
        said.contains("the session was not signed") && said.contains("runsheet sign"),
        "{said}"
    );
    assert!(!PathBuf::from(format!("{}.sig", j2.display())).exists());
    assert_eq!(verify(&w2, &j2, &[]).status.code(), Some(0));
}
