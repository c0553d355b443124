//! `runsheet verify` against the team store's copy of a session, on a real
//! PostgreSQL cluster: an edited-and-rechained journal, a cut one, one the
//! store lacks records of, a store that is down; and the store's approvals
//! as part of what a signature covers.

use crate::support::evidence::{SshHome, cut, edit_and_rechain};
use crate::support::pg::{Cluster, unique_db};
use crate::support::workdir::{Workdir, text};
use std::path::{Path, PathBuf};
use std::process::Output;

const RUNBOOK: &str = "---\ntargets:\n  staging: {}\n---\n# Anchored\n\n## P\n\n### 1 first\n\n```bash\necho one\n```\n\n### 2 second\n\n```bash\necho two\n```\n";

/// A store, a member machine on it, and one ended session shipped.
fn shipped(home: Option<&SshHome>) -> (Cluster, String, Workdir, PathBuf) {
    let c = Cluster::start("anchor");
    let db = unique_db("anchor");
    c.create_db(&db);
    let mut w = Workdir::new();
    w.set("RUNSHEET_STORE", &c.url(&db));
    if let Some(h) = home {
        w.set("HOME", &h.path().to_string_lossy());
    }
    assert!(w.run(&["store", "init"], "").status.success());
    let rb = w.write("anchored.md", RUNBOOK);
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("not in the store yet"),
        "{}",
        text(&out)
    );
    let j = w.journals()[0].clone();
    (c, db, w, j)
}

fn verify(w: &Workdir, j: &Path, extra: &[&str]) -> Output {
    let path = j.to_string_lossy();
    let mut args = vec!["verify", &*path];
    args.extend_from_slice(extra);
    w.run(&args, "")
}

#[test]
fn verify_names_where_the_journal_and_the_stores_copy_part() {
    let (c, db, w, j) = shipped(None);
    let original = std::fs::read_to_string(&j).unwrap();
    let n = original.lines().count();
    let v = verify(&w, &j, &["--store"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains(&format!("identical to the store's copy ({n} records)")),
        "{}",
        text(&v)
    );

    // Edited with every later hash recomputed: the chain holds, the store
    // names the record.
    let (edited, seq) = edit_and_rechain(&original, "\"data\":\"two\\n\"", "\"data\":\"TWO\\n\"");
    std::fs::write(&j, &edited).unwrap();
    let v = verify(&w, &j, &[]);
    let said = text(&v);
    assert_eq!(v.status.code(), Some(1), "{said}");
    assert!(said.contains("intact"), "the chain itself holds: {said}");
    assert!(
        said.contains(&format!(
            "DIFFERS from the store's copy at record seq {seq} (line {})",
            seq + 1
        )) && said.contains("local: ")
            && said.contains("TWO")
            && said.contains("store: "),
        "{said}"
    );
    // A broken journal is not signed, nor one the store contradicts.
    let out = w.run(&["sign", &j.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // Cut at a record boundary.
    std::fs::write(&j, cut(&original, 2)).unwrap();
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains(&format!(
            "CUT: the local journal lacks records seq {}..{}",
            n - 2,
            n - 1
        )),
        "{}",
        text(&v)
    );

    // The store behind the journal (records not shipped yet).
    std::fs::write(&j, &original).unwrap();
    c.psql(
        &db,
        &format!("DELETE FROM runsheet.records WHERE seq >= {}", n - 1),
    );
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains(&format!("the store lacks record seq {}", n - 1))
            && text(&v).contains("runsheet store push"),
        "{}",
        text(&v)
    );

    // The store down: the chain is still checked; only --store makes it
    // an error.
    c.halt();
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("intact") && text(&v).contains("store:     NOT CHECKED"),
        "{}",
        text(&v)
    );
    let v = verify(&w, &j, &["--store"]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    c.restart();
}

#[test]
fn the_stores_approvals_are_part_of_what_is_signed() {
    let home = SshHome::new("alice@example.com");
    home.trust_itself();
    let (c, db, w, j) = shipped(Some(&home));
    let first = std::fs::read_to_string(&j).unwrap();
    let id = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            first.lines().next().unwrap_or_default().as_bytes(),
        ))
    };
    // A gate's request (as the store's owner) and bob's answer to it, as
    // `runsheet approve` writes them.
    let request = c.psql(
        &db,
        &format!(
            "INSERT INTO runsheet.approval_requests (session_id, session_name, step, step_title, target, needed, description, host)
             VALUES ('{id}', 'team', '2-second', '2 second', 'staging', 2, 'the gate', 'laptop') RETURNING id"
        ),
    );
    let answer = |who: &str, reason: &str| {
        c.psql(
            &db,
            &format!(
                "DO $$ BEGIN CREATE ROLE {who}; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
                 SET SESSION AUTHORIZATION {who};
                 INSERT INTO runsheet.approvals (request_id, approve, reason) VALUES ({request}, true, '{reason}');"
            ),
        )
    };
    answer("bob", "looked at it");
    let out = w.run(&["sign", &j.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("1 approvals from the store"),
        "{}",
        text(&out)
    );
    let v = verify(&w, &j, &["--signed"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("signed by alice@example.com"),
        "{}",
        text(&v)
    );

    // An approval added after signing: the signature no longer holds.
    answer("carol", "me too");
    let v = verify(&w, &j, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("signature: BAD"), "{}", text(&v));
}
