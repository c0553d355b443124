//! Seed 001 (plan de reprise du CDTN), rehearsed through the full-screen
//! UI in a real terminal (tmux), on the sandbox's production: checklists
//! ticked with space and `x`, manual steps confirmed with `d`, the
//! kubectl job skipped with a reason (no cluster here), the two external
//! services' and the site's HTTP checks sent for real to the sandbox's
//! health endpoint, and the backup restored for real with the runbook's
//! `pg_restore --clean` behind its gate. Then `runsheet verify` and
//! `runsheet report` on the journal.

use crate::support::rehearsal;
use crate::support::tmux;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use rehearsal::Rehearsal;
use tmux::Tmux;

const RUNBOOK: &str = "001-plan-de-reprise-cdtn.md";
const TABLES: [&str; 4] = [
    "auth.users",
    "public.sources",
    "public.documents",
    "public.document_relations",
];
const KUBECTL_REASON: &str =
    "pas de cluster Kubernetes ni de cronjob cron-ingester dans le bac à sable";

fn records(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn is(r: &serde_json::Value, ty: &str, step: &str) -> bool {
    r["type"] == ty && r["step"] == step
}

/// The session's journal, once it exists.
fn journal(r: &Rehearsal, t: &Tmux) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(j) = r.w.journals().pop() {
            return j;
        }
        assert!(
            Instant::now() < deadline,
            "no journal; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the journal holds a record for which `pred` is true.
fn wait_record(t: &Tmux, j: &Path, what: &str, pred: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if records(j).iter().any(&pred) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the journal never recorded {what}; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ticks the `n` items of `step`'s checklist, alternating space and `x`,
/// each one seen in the journal before the next.
fn tick_all(t: &Tmux, j: &Path, step: &str, n: usize) {
    for item in 0..n {
        t.keys(&[if item % 2 == 0 { "Space" } else { "x" }]);
        wait_record(t, j, &format!("{step} item {item}"), |r| {
            is(r, "checklist-ticked", step) && r["item"] == item && r["checked"] == true
        });
    }
}

fn counts(r: &Rehearsal, url_var: &str) -> BTreeMap<String, i64> {
    TABLES
        .iter()
        .map(|t| {
            let n = r.psql(url_var, &format!("SELECT count(*) FROM {t}"));
            (t.to_string(), n.parse().unwrap_or(-1))
        })
        .collect()
}

/// `'…'` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn seed_001_recovery_plan_through_the_tui() {
    let r = Rehearsal::start(RUNBOOK);
    let source = counts(&r, "STAGING_DB_URL");
    assert_eq!(source["public.documents"], 2500, "{source:?}");

    // The backup of cdtn-admin's database: the sandbox made it at start
    // (`sandbox: setup:`, a real pg_dump of its production) in the folder
    // the session runs in. The database to restore it into is empty (the
    // sandbox loaded the dataset into production too: drop it there).
    let backup = r.w.data().join("sandbox/work/cdtn_admin.dump");
    let head = std::fs::read(&backup).unwrap_or_default();
    assert!(
        head.starts_with(b"PGDMP"),
        "the sandbox made no pg_dump archive at {}",
        backup.display()
    );
    r.psql(
        "PROD_DB_URL",
        "DROP TABLE public.document_relations, public.documents, public.sources; DROP SCHEMA auth CASCADE",
    );

    // `runsheet run … --sandbox` in the terminal, as an operator would
    // type it: the sandbox's variables and the runbook's `sandbox.env`
    // (BACKUP_FILE too) come with it; nothing is asked.
    let t = Tmux::new("seed-001");
    let cmd = format!(
        "cd {} && RUNSHEET_DATA_DIR={} {} run {} --target production --drill --sandbox",
        quote(&r.w.path().to_string_lossy()),
        quote(&r.w.data().to_string_lossy()),
        quote(env!("CARGO_BIN_EXE_runsheet")),
        quote(&r.runbook.to_string_lossy()),
    );
    t.start(&cmd);
    t.wait_screen("PRODUCTION");
    let j = journal(&r, &t);

    // Pré-requis, gt1, gt2: checklists, ticked item by item.
    t.wait_screen("Pré-requis");
    // A settled step stays in view: Enter selects the next one.
    tick_all(&t, &j, "prerequis", 5);
    t.keys(&["Enter"]);
    tick_all(&t, &j, "gt1", 2);
    t.keys(&["Enter"]);
    tick_all(&t, &j, "gt2", 5);
    t.keys(&["Enter"]);

    // gt3: the checklist, then the two services' HTTP checks.
    tick_all(&t, &j, "gt3", 4);
    t.keys(&["Enter"]);
    wait_record(&t, &j, "the second service's check", |r| {
        is(r, "action-finished", "gt3") && r["action"] == 1
    });
    t.keys(&["Enter"]);
    tick_all(&t, &j, "gt4", 3);

    // tt1: the CI deployment, done by hand.
    t.wait_screen("Déploiement via la CI");
    t.keys(&["Enter", "d"]);
    wait_record(&t, &j, "the CI deployment confirmed", |r| {
        is(r, "confirmed-done", "tt1")
    });

    // tt2: the restore, destructive on production: its gate.
    t.wait_screen("Restauration du backup");
    t.keys(&["Enter", "Enter"]);
    t.wait_screen("DESTRUCTIVE STEP");
    t.type_text("production");
    t.keys(&["Enter"]);
    wait_record(&t, &j, "the restore", |r| is(r, "action-finished", "tt2"));

    // tt3: kubectl: no cluster here.
    t.wait_screen("Ingestion des données externes");
    t.keys(&["Enter", "s"]);
    t.type_text(KUBECTL_REASON);
    t.keys(&["Enter"]);
    wait_record(&t, &j, "the kubectl skip", |r| is(r, "skipped", "tt3"));

    // tt4, tt5, tp1: done by hand in the administration and the CI.
    for step in ["tt4", "tt5", "tp1"] {
        t.keys(&["Enter", "d"]);
        wait_record(&t, &j, step, |r| is(r, "confirmed-done", step));
    }

    // The site's check, then the session is complete.
    t.wait_screen("Vérification du site");
    t.keys(&["Enter", "Enter"]);
    wait_record(&t, &j, "the site's check", |r| {
        is(r, "action-finished", "verification-site")
    });
    // Every step settled, the UI stays open for reading until `q`, which
    // ends the session, complete.
    t.wait_screen("all steps settled");
    t.keys(&["q"]);
    wait_record(&t, &j, "the end of the session", |r| {
        r["type"] == "session-ended"
    });
    t.wait_screen("session complete");
    let screen = t.screen();

    let recs = records(&j);
    let ended = recs
        .iter()
        .find(|r| r["type"] == "session-ended")
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(ended["outcome"], "completed", "{ended}\n{screen}");

    // Every action succeeded.
    for (step, action) in [("gt3", 0), ("gt3", 1), ("tt2", 0), ("verification-site", 0)] {
        let f = recs
            .iter()
            .find(|r| is(r, "action-finished", step) && r["action"] == action)
            .unwrap_or_else(|| panic!("no end for {step} #{action}"));
        assert_eq!(f["outcome"]["exit_code"], 0, "{f}");
    }
    // The HTTP checks went to the sandbox, not to the Internet.
    let app = r.env("APP_URL");
    let http: Vec<&serde_json::Value> = recs
        .iter()
        .filter(|r| r["type"] == "action-result" && r["result"]["kind"] == "http")
        .collect();
    assert_eq!(http.len(), 3, "{http:?}");
    for h in &http {
        assert!(
            h["result"]["url"].as_str().unwrap_or("").starts_with(&app),
            "{h}"
        );
        assert_eq!(h["result"]["status"], 200, "{h}");
    }
    // The gate, typed once.
    let gates: Vec<&serde_json::Value> = recs
        .iter()
        .filter(|r| r["type"] == "gate-answered")
        .collect();
    assert_eq!(gates.len(), 1, "{gates:?}");
    assert_eq!(gates[0]["step"], "tt2");
    assert_eq!(gates[0]["typed"], "production");
    // The skip, with its reason.
    assert!(
        recs.iter()
            .any(|r| is(r, "skipped", "tt3") && r["reason"] == KUBECTL_REASON),
        "{recs:?}"
    );
    // The backup restored: production holds the source's rows.
    assert_eq!(counts(&r, "PROD_DB_URL"), source);

    let report = r.verify_and_report();
    assert!(report.contains(KUBECTL_REASON), "{report}");
}
