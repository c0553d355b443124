//! Batched data migrations against a real PostgreSQL cluster: keyset
//! batches, one transaction each, exactly once across kill -9 and resume.

use crate::support::pg;
use crate::support::workdir;

use std::process::Stdio;
use std::time::{Duration, Instant};
use workdir::{Workdir, text};

fn runbook(statement: &str, size: u64) -> String {
    format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\nvariables:\n  STAGING_DB_URL: {{ secret: true }}\n---\n# Migrate\n\n## Data {{#data}}\n\n### Copy users {{#copy}}\n\n```sql {{writes batch=old_users.id batch-size={size}}}\n{statement}\n```\n\n### After {{#after}}\n\n```sql {{expect=\"rows==0\"}}\nSELECT id FROM old_users EXCEPT SELECT id FROM users;\n```\n"
    )
}

const COPY: &str = "INSERT INTO users SELECT * FROM old_users WHERE id > $1 AND id <= $2;";

/// A database with `rows` old users (ids with gaps) and an empty `users`.
fn setup(rows: u64) -> (Workdir, String) {
    let (staging, _) = pg::pair();
    let db = pg::unique_db("batch");
    staging.create_db(&db);
    staging.psql(
        &db,
        &format!(
            "CREATE TABLE old_users (id bigint primary key, email text);
             INSERT INTO old_users SELECT g * 3, 'u' || g FROM generate_series(1, {rows}) g;
             CREATE TABLE users (id bigint primary key, email text);
             ANALYZE old_users;"
        ),
    );
    let mut w = Workdir::new();
    w.set(
        "STAGING_DB_URL",
        &format!("{}?sslmode=disable", staging.url(&db)),
    );
    (w, db)
}

fn count(db: &str, table: &str) -> String {
    pg::pair()
        .0
        .psql(db, &format!("SELECT count(*) FROM {table}"))
}

#[test]
fn every_row_is_migrated_once_in_keyset_batches() {
    let (w, db) = setup(10_500);
    let rb = w.write("m.md", &runbook(COPY, 1000));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(count(&db, "users"), "10500");
    assert_eq!(w.of_type("batch-committed").len(), 11, "{all}");
    let started = w.of_type("batch-started");
    // Each batch starts where the previous one ended.
    for pair in started.windows(2) {
        assert_eq!(pair[1]["after"], pair[0]["upto"]);
    }
    assert_eq!(started[0]["rows"], 1000);
    assert_eq!(started[10]["rows"], 500);
    assert!(all.contains("11 batches, 10500 rows"), "{all}");
    assert!(all.contains("of ~10500 (100%)"), "{all}");
}

#[test]
fn a_failing_batch_rolls_back_alone_and_the_retry_goes_on_from_it() {
    let (w, db) = setup(3000);
    // Row 4500 (batch 2) already exists in `users`: batch 2 fails.
    pg::pair()
        .0
        .psql(&db, "INSERT INTO users VALUES (4500, 'taken')");
    let rb = w.write("m.md", &runbook(COPY, 1000));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("batch 2 failed and was rolled back"), "{all}");
    assert!(all.contains("duplicate key"), "{all}");
    assert_eq!(count(&db, "users"), "1001");
    // Fixed by hand; the retry (resume, re-run) starts at batch 2.
    pg::pair()
        .0
        .psql(&db, "DELETE FROM users WHERE email = 'taken'");
    let j = w.journals().pop().unwrap_or_default();
    let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\n");
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_eq!(count(&db, "users"), "3000");
    let starts: Vec<u64> = w
        .of_type("batch-started")
        .iter()
        .filter_map(|r| r["batch"].as_u64())
        .collect();
    assert_eq!(starts, vec![1, 2, 3], "batch 1 is not run twice");
}

#[test]
fn kill_9_during_a_migration_then_resume_gives_the_exact_row_count() {
    // Slow batches (20 ms each) so that the kill lands mid-migration.
    let slow = "INSERT INTO users SELECT o.* FROM old_users o, pg_sleep(0.02) WHERE o.id > $1 AND o.id <= $2;";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..4 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (w, db) = setup(4000);
        let rb = w.write("m.md", &runbook(slow, 100));
        let mut child = w
            .cmd(&[
                "run",
                &rb.to_string_lossy(),
                "--target",
                "staging",
                "--auto",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a few batches, then a random extra delay.
        let t = Instant::now();
        while w.of_type("batch-committed").len() < 3 && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis((seed >> 33) % 300));
        let _ = child.kill();
        let _ = child.wait();
        let done_before = w.of_type("batch-committed").len();
        assert!(
            (3..40).contains(&done_before),
            "round {round}: {done_before} batches before the kill"
        );
        let j = w.journals().pop().unwrap_or_default();
        let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\nr\n");
        assert!(
            resumed.status.success(),
            "round {round}: {}",
            text(&resumed)
        );
        assert_eq!(count(&db, "users"), "4000", "round {round}");
        let verify = w.run(&["verify", &j.to_string_lossy()], "");
        assert!(verify.status.success(), "round {round}: {}", text(&verify));
        // Every batch committed exactly once in the journal too.
        let mut committed: Vec<u64> = w
            .of_type("batch-committed")
            .iter()
            .filter_map(|r| r["batch"].as_u64())
            .collect();
        committed.sort();
        assert_eq!(committed, (1..=40).collect::<Vec<u64>>(), "round {round}");
    }
}

#[test]
fn a_statement_without_both_bounds_is_refused_by_check_before_anything_runs() {
    let (w, db) = setup(100);
    let rb = w.write(
        "m.md",
        &runbook(
            "INSERT INTO users SELECT * FROM old_users WHERE id > $1;",
            10,
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("error[bad-batch]"), "{all}");
    assert!(all.contains("nothing was run"), "{all}");
    assert_eq!(count(&db, "users"), "0");
    assert!(w.journals().is_empty());
}
