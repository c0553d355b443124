//! Seed 004 (OmniSphere, `assets/runbooks/004-processus-de-migration-omnisphere.md`)
//! rehearsed against the sandbox: on staging, then on production (both as
//! drills). The pending schema migrations are found, applied by the
//! application's own `run-migrations.sh` (its sandbox copy, run for real
//! with psql), then found up to date; 20,000 users move from `old_users`
//! to `users` in journaled batches; the integrity check passes; the ECS
//! deploy is skipped with a reason. On production the destructive steps
//! stop at their gates, and runsheet is killed (-9) in the middle of the
//! batched migration, then resumed to an exact row count.
//!
//! The runbook's paths (`shared/database_migrations`, `./infra/…`) are
//! relative to the OmniSphere repository's root, its `workdir:`: the
//! sandbox copies the seed's sandbox folder (the migrations and the
//! scripts) into its work folder, where sandbox sessions run, and runsheet
//! is started from the test's scratch folder, which holds none of them.

use crate::support::operator;
use crate::support::rehearsal;
use crate::support::workdir;

use operator::{Ask, Moment, say};
use rehearsal::Rehearsal;
use std::time::{Duration, Instant};

const RUNBOOK: &str = "004-processus-de-migration-omnisphere.md";
const USERS: &str = "20000";
const BATCHES: u64 = 20;

const ECS: &str =
    "pas de cluster ECS ni de compte AWS dans le bac à sable : le déploiement n'y est pas répété";
const REVIEWED: &str = "000004_drop_legacy_sessions relue : legacy_sessions n'est plus lue (sessions dans Redis), répétée sur staging";

/// What the operator answers, the same on both targets but for failures,
/// which only the caller knows how to judge.
fn answer(m: &Moment, on_failure: &mut impl FnMut(&Moment) -> Vec<String>) -> Vec<String> {
    match &m.ask {
        // ECS cannot exist here: skipped by title, whatever is installed.
        Ask::Run if m.step.starts_with("3.1") => say(["s"]),
        Ask::Run => say([""]),
        Ask::Reason if m.step.starts_with("3.1") => say([ECS]),
        Ask::Reason if m.step.starts_with("1.1") => say([REVIEWED]),
        Ask::Tick(_) | Ask::Done => say(["y"]),
        Ask::Failed => on_failure(m),
        Ask::InDoubt => say(["r"]),
        _ => say(["q"]),
    }
}

fn of_step(records: &[serde_json::Value], step: &str) -> Vec<serde_json::Value> {
    records
        .iter()
        .filter(|r| r["step"] == step)
        .cloned()
        .collect()
}

/// Batches journaled as committed, in order.
fn committed(r: &Rehearsal) -> Vec<u64> {
    let mut v: Vec<u64> = r
        .of_type("batch-committed")
        .iter()
        .filter_map(|b| b["batch"].as_u64())
        .collect();
    v.sort();
    v
}

fn version(r: &Rehearsal, db: &str) -> String {
    r.psql(db, "SELECT version || ' ' || dirty FROM schema_migrations")
}

#[test]
fn seed_004_rehearsed_on_staging_then_production() {
    let t0 = Instant::now();
    let r = Rehearsal::start(RUNBOOK);
    let work = r.w.data().join("sandbox/work");
    assert!(
        work.join("infra/devops_scripts/run-migrations.sh")
            .is_file(),
        "the sandbox did not copy its repository root into {}",
        work.display()
    );
    assert!(!r.w.path().join("infra").exists());
    for db in ["STAGING_DB_URL", "PROD_DB_URL"] {
        assert_eq!(
            version(&r, db),
            "1 false",
            "{db}: the dataset is at version 1"
        );
        assert_eq!(r.psql(db, "SELECT count(*) FROM old_users"), USERS);
        assert_eq!(r.psql(db, "SELECT to_regclass('users') IS NULL"), "t");
    }

    // ------------------------------------------------------------ staging
    let mut op = r.run("staging", &[], true);
    let mut asked: Vec<(String, Ask)> = Vec::new();
    let status = op.drive(|m| {
        asked.push((m.step.clone(), m.ask.clone()));
        // Nothing fails on staging: leave, and the asserts below say why.
        answer(m, &mut |_| say(["q"]))
    });
    let staging_transcript = op.transcript.clone();
    eprintln!("{staging_transcript}");
    assert!(status.success(), "{staging_transcript}");
    assert!(
        !asked
            .iter()
            .any(|(_, a)| matches!(a, Ask::Failed | Ask::Gate | Ask::InDoubt)),
        "on staging nothing fails and nothing is gated: {asked:?}\n{staging_transcript}"
    );
    let records = r.w.records();
    // The original LIMIT/OFFSET script is shown with 2.1's instructions,
    // never run.
    assert!(
        staging_transcript.contains("def migrate_users():"),
        "{staging_transcript}"
    );

    // 1.1: the three pending migrations, the DROP flagged but not fatal on
    // an unprotected target.
    let found = of_step(&r.of_type("action-result"), "1-1-migrations-en-attente");
    assert_eq!(found.len(), 1, "{found:?}");
    let text = found[0]["result"].to_string();
    for v in [
        "000002_create_users",
        "000003_add_users_email_index",
        "000004_drop_legacy_sessions",
    ] {
        let name = v.split_once('_').map_or(v, |(_, n)| n);
        assert!(text.contains(name), "{v} is not listed as pending: {text}");
    }
    assert!(
        !text.contains("create_old_users"),
        "000001 is applied: {text}"
    );
    assert!(
        staging_transcript.contains("3 pending migrations"),
        "{staging_transcript}"
    );
    assert!(
        text.contains("migration-name"),
        "the DROP is flagged: {text}"
    );

    // 1.2: the script ran for real (a countdown, no gate, on staging), and
    // the second `migrations` check found nothing pending.
    let step12 = of_step(&records, "1-2-execution-des-migrations-up");
    assert!(
        step12.iter().any(|r| r["type"] == "countdown-elapsed"),
        "{step12:?}"
    );
    assert!(
        staging_transcript.contains("[all] up   000004_drop_legacy_sessions.up.sql"),
        "{staging_transcript}"
    );
    assert!(
        staging_transcript.contains("3 migration(s) applied; version 4"),
        "{staging_transcript}"
    );
    let finished: Vec<_> = step12
        .iter()
        .filter(|r| r["type"] == "action-finished")
        .collect();
    assert_eq!(finished.len(), 2, "script, then the check: {step12:?}");
    assert_eq!(version(&r, "STAGING_DB_URL"), "4 false");
    assert_eq!(
        r.psql(
            "STAGING_DB_URL",
            "SELECT to_regclass('legacy_sessions') IS NULL, to_regclass('users_email_key') IS NOT NULL"
        ),
        "t|t"
    );

    // 2.1: every user moved, in 20 journaled batches of 1000 following the key.
    assert_eq!(
        r.psql("STAGING_DB_URL", "SELECT count(*) FROM users"),
        USERS
    );
    let started = r.of_type("batch-started");
    assert_eq!(started.len() as u64, BATCHES, "{started:?}");
    assert_eq!(committed(&r), (1..=BATCHES).collect::<Vec<_>>());
    assert!(started.iter().all(|b| b["rows"] == 1000), "{started:?}");
    for pair in started.windows(2) {
        assert_eq!(pair[1]["after"], pair[0]["upto"], "batches follow the key");
    }

    // 2.2 passed; 3.1 was skipped with why.
    let integrity = of_step(
        &r.of_type("action-result"),
        "2-2-verification-de-l-integrite-des-donnees",
    );
    assert_eq!(integrity.len(), 1, "{integrity:?}");
    let skipped = r.of_type("skipped");
    assert_eq!(skipped.len(), 1, "only the ECS deploy: {skipped:?}");
    assert_eq!(skipped[0]["step"], "3-1-deploiement-d-un-service");
    assert_eq!(skipped[0]["reason"], ECS);
    assert!(r.of_type("gate-answered").is_empty());

    // Production was not touched by the staging session (3.1 pins
    // production, and was skipped).
    assert_eq!(version(&r, "PROD_DB_URL"), "1 false");
    assert_eq!(
        r.psql("PROD_DB_URL", "SELECT to_regclass('users') IS NULL"),
        "t"
    );
    let report = r.verify_and_report();
    assert!(report.contains(ECS), "{report}");
    // The support reads "the latest journal" by name, and `…--production--…`
    // sorts before `…--staging--…`: staging's journal, verified, is moved
    // aside so that the production session's is the one read from here on.
    let staging_journal = r.w.path().join("staging-session.jsonl");
    std::fs::rename(r.journal(), &staging_journal).unwrap();

    // The rollback step's command, `run-migrations.sh … down`, reverts the
    // last migration alone and records the previous version; `up` reapplies it.
    let script = |direction: &str| {
        let out = std::process::Command::new("./infra/devops_scripts/run-migrations.sh")
            .args(["auth-service", direction])
            .current_dir(&work)
            .env("DATABASE_URL", r.env("STAGING_DB_URL"))
            .env("PGPASSFILE", r.env("PGPASSFILE"))
            .output()
            .expect("run-migrations.sh");
        assert!(out.status.success(), "{}", workdir::text(&out));
        workdir::text(&out)
    };
    let down = script("down");
    assert!(
        down.contains("000004_drop_legacy_sessions.down.sql"),
        "{down}"
    );
    assert_eq!(version(&r, "STAGING_DB_URL"), "3 false");
    assert_eq!(
        r.psql("STAGING_DB_URL", "SELECT count(*) FROM legacy_sessions"),
        "0"
    );
    let up = script("up");
    assert!(up.contains("1 migration(s) applied; version 4"), "{up}");
    assert_eq!(version(&r, "STAGING_DB_URL"), "4 false");

    // --------------------------------------------------------- production
    let mut op = r.run("production", &[], true);
    let mut gates = Vec::new();
    let mut failed = Vec::new();
    loop {
        let Some(m) = op.next() else {
            panic!(
                "the session ended before the batched migration:\n{}",
                op.transcript
            );
        };
        if m.ask == Ask::Gate {
            gates.push(m.step.clone());
            op.say("production");
            continue;
        }
        if m.step.starts_with("2.1") && m.ask == Ask::Run {
            break;
        }
        for line in answer(&m, &mut |m| {
            failed.push(m.step.clone());
            say(["q"])
        }) {
            op.say(&line);
        }
    }
    // A destructive pending migration on a protected target is a finding
    // that stops 1.1 at a gate (a person decides), not a failure.
    assert!(failed.is_empty(), "{failed:?}\n{}", op.transcript);
    assert_eq!(
        gates,
        vec![
            "1.1 Migrations en attente",
            "1.2 Exécution des migrations (up)"
        ],
        "{}",
        op.transcript
    );
    assert_eq!(version(&r, "PROD_DB_URL"), "4 false", "{}", op.transcript);

    // Production is slower: each batch's INSERT takes 150 ms, so that the
    // kill lands in the middle of the migration.
    r.psql(
        "PROD_DB_URL",
        "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep(0.15); RETURN NULL; END $$;
         CREATE TRIGGER slow_insert AFTER INSERT ON users
           FOR EACH STATEMENT EXECUTE FUNCTION slow_insert();",
    );
    op.say("");
    // Writing to production, the batched migration asks for its name.
    match op.next() {
        Some(m) if m.ask == Ask::Gate && m.step.starts_with("2.1") => op.say("production"),
        other => panic!(
            "2.1 should stop at the gate, not {other:?}:\n{}",
            op.transcript
        ),
    }
    let t = Instant::now();
    while committed(&r).len() < 3 && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("{}", op.transcript);
    drop(op); // SIGKILL, as `kill -9`
    let before = committed(&r).len() as u64;
    assert!(
        (3..BATCHES).contains(&before),
        "{before} batches committed before the kill"
    );
    let moved: u64 = r
        .psql("PROD_DB_URL", "SELECT count(*) FROM users")
        .parse()
        .unwrap_or_default();
    assert!(moved < 20_000, "the kill landed after the migration");

    let mut op = r.resume(&[]);
    let mut failed = Vec::new();
    let mut resumed_gates = 0;
    let status = op.drive(|m| {
        // Re-run, the batched migration writes to production again: its
        // gate (sql-writes) is the only one left.
        if m.ask == Ask::Gate {
            resumed_gates += 1;
            return say(["production"]);
        }
        answer(m, &mut |m| {
            failed.push(m.step.clone());
            say(["q"])
        })
    });
    assert_eq!(resumed_gates, 1, "{}", op.transcript);
    eprintln!("{}", op.transcript);
    assert!(status.success(), "{}", op.transcript);
    assert!(failed.is_empty(), "{failed:?}\n{}", op.transcript);

    // Exactly every user, once: each batch committed once across the kill.
    assert_eq!(r.psql("PROD_DB_URL", "SELECT count(*) FROM users"), USERS);
    assert_eq!(
        r.psql(
            "PROD_DB_URL",
            "SELECT count(*) FROM (SELECT id FROM old_users EXCEPT SELECT id FROM users) missing"
        ),
        "0"
    );
    assert_eq!(committed(&r), (1..=BATCHES).collect::<Vec<_>>());
    assert!(
        r.journal().to_string_lossy().contains("--production--"),
        "{}",
        r.journal().display()
    );

    // The pending check's finding gate, the migrations' gate, then the
    // batched migration's, before the kill
    // and again when it is re-run on resume.
    let gate = r.of_type("gate-answered");
    let steps: Vec<&str> = gate.iter().filter_map(|g| g["step"].as_str()).collect();
    assert_eq!(
        steps,
        vec![
            "1-1-migrations-en-attente",
            "1-2-execution-des-migrations-up",
            "migration-utilisateurs",
            "migration-utilisateurs",
        ],
        "{gate:?}"
    );
    assert!(gate.iter().all(|g| g["typed"] == "production"), "{gate:?}");
    let skipped = r.of_type("skipped");
    let reasons: Vec<(&str, &str)> = skipped
        .iter()
        .filter_map(|s| Some((s["step"].as_str()?, s["reason"].as_str()?)))
        .collect();
    assert_eq!(reasons, vec![("3-1-deploiement-d-un-service", ECS)]);
    let report = r.verify_and_report();
    assert!(report.contains(ECS), "{report}");
    // Staging's journal, moved aside, still verifies.
    let out = r.w.run(&["verify", &staging_journal.to_string_lossy()], "");
    assert!(out.status.success(), "{}", workdir::text(&out));
    eprintln!("seed 004 rehearsed in {:.1}s", t0.elapsed().as_secs_f64());
}
