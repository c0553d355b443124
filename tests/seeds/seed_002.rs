//! Seed 002 (migrations in production: pending-migration detection,
//! destructive migrations gated in production, /health checks) rehearsed
//! against the sandbox, in one `--drill` session on production (the
//! runbook pins Runbook 1 to staging and the rest to production, so one
//! session walks both databases).
//!
//! The sandbox's two databases start where the seed's incident left them:
//! the code's `db/migrate` holds two migrations `schema_migrations` does not
//! record, one of them destructive (`remove_column`). The runbook's
//! `bin/rails` steps run in its `app` context (`docker exec -i
//! $APP_CONTAINER`); in the sandbox that context is a local stand-in on the
//! target's database, where `bin/rails` is the sandbox's stand-in for the
//! app (assets/sandbox/002-…/bin/rails, beside db/migrate and db/sql), found
//! in the folder the session runs from. The runbook's own `migrations …
//! expect=none` and /health checks must then see nothing pending.

use crate::support::operator;
use crate::support::raw_http;
use crate::support::rehearsal;

use operator::{Ask, Moment, say};
use rehearsal::Rehearsal;
use serde_json::Value;
use std::path::{Path, PathBuf};

const RUNBOOK: &str = "002-migrations-production-safeguards.md";
const PENDING: [&str; 2] = ["20251124020634", "20251201090000"];

/// The app's checkout, as the container holds it: the sandbox copied the
/// seed's `sandbox: workdir:` (its `bin/rails` stand-in and `db/`) into
/// the folder its sessions run in; nothing is prepared by the test.
fn assert_app_checked_out(r: &Rehearsal) {
    for part in ["bin/rails", "db/migrate", "db/sql"] {
        assert!(
            r.work().join(part).exists(),
            "the sandbox did not copy {part} into {}",
            r.work().display()
        );
    }
}

/// The sandbox's health endpoint, asked directly (not through runsheet).
fn get(url: &str) -> Value {
    raw_http::get_json(url)
}

/// `schema_migrations` and the `users` columns the two migrations touch.
fn schema(r: &Rehearsal, url_var: &str) -> (String, String) {
    let versions = r.psql(
        url_var,
        "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations",
    );
    let columns = r.psql(
        url_var,
        "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns \
         WHERE table_name = 'users' AND column_name IN ('legacy_phone', 'confirmation_token')",
    );
    (versions, columns)
}

const BEFORE: &str = "20250110090000,20250112090000,20250115090000";
const AFTER: &str = "20250110090000,20250112090000,20250115090000,20251124020634,20251201090000";

/// Reasons the operator gives, by step title: a timeout that did not
/// happen, Grafana are not here.
fn skip_reason(step: &str) -> Option<&'static str> {
    let reasons = [
        ("3.3 ", "no migration timed out: nothing to analyse"),
        ("3.4 ", "no migration timed out: nothing to optimise"),
        (
            "Métriques",
            "no Grafana or Prometheus in the rehearsal to set the alert in",
        ),
    ];
    reasons
        .iter()
        .find(|(prefix, _)| step.starts_with(prefix))
        .map(|(_, why)| *why)
}

/// What 2.3's check finds on production, shown at its gate.
const FINDING: &str =
    "1 destructive migration pending: remove_legacy_phone_from_users (rails-remove-column)";

#[test]
fn seed_002_pending_migrations_detected_gated_applied_and_healthy() {
    let r = Rehearsal::start(RUNBOOK);
    let app = r.env("APP_URL");
    let staging_app = r.env("STAGING_APP_URL");

    // The incident's state: both databases two migrations behind the code,
    // and the app's /health says so.
    for db in ["STAGING_DB_URL", "PROD_DB_URL"] {
        assert_eq!(
            schema(&r, db),
            (BEFORE.to_string(), "legacy_phone".to_string()),
            "{db}"
        );
    }
    for base in [&app, &staging_app] {
        let health = get(&format!("{base}/health"));
        assert_eq!(health["status"], "degraded", "{health}");
        assert_eq!(health["migrations"]["pending_count"], 2, "{health}");
        assert_eq!(
            health["migrations"]["pending_migrations"][0]["name"], "AddConfirmableToUsers",
            "{health}"
        );
        let m = get(&format!("{base}/health/migrations"));
        assert_eq!(m["pending_count"], 2, "{m}");
        assert_eq!(m["status"], "pending", "{m}");
    }

    assert_app_checked_out(&r);
    let mut op = r.run("production", &[], true);
    let mut asked: Vec<(String, Ask)> = Vec::new();
    let mut gate_seen = false;
    let mut finding_answers = 0;
    let status = op.drive(|m: &Moment| {
        asked.push((m.step.clone(), m.ask.clone()));
        match &m.ask {
            Ask::Run | Ask::Done => match skip_reason(&m.step) {
                Some(_) => say(["s"]),
                None if m.ask == Ask::Done => panic!("unexpected manual step {:?}", m.step),
                None => say([""]),
            },
            Ask::Reason => {
                let why = skip_reason(&m.step)
                    .unwrap_or_else(|| panic!("no reason to skip {:?}", m.step));
                say([why])
            }
            Ask::Tick(_) => say(["y"]),
            // 2.3's check found the destructive migration: a gate that
            // says what it found, not a failure offering the rollback. A
            // wrong name is refused, production's approves it.
            Ask::Gate if m.step.starts_with("2.3 ") => {
                assert_eq!(schema(&r, "PROD_DB_URL").0, BEFORE);
                assert!(
                    m.since_header.contains("APPROVAL needed on PRODUCTION")
                        && m.since_header.contains(FINDING),
                    "{}",
                    m.since_header
                );
                assert!(!m.since_header.contains("b rollback"), "{}", m.since_header);
                finding_answers += 1;
                match finding_answers {
                    1 => say(["staging"]),
                    _ => say(["production"]),
                }
            }
            // 2.4's gate: nothing has run on production yet; approved.
            Ask::Gate if m.step.starts_with("2.4 ") => {
                assert!(
                    m.since_header.contains("DESTRUCTIVE step on PRODUCTION"),
                    "{}",
                    m.since_header
                );
                assert_eq!(
                    schema(&r, "PROD_DB_URL"),
                    (BEFORE.to_string(), "legacy_phone".to_string())
                );
                gate_seen = true;
                say(["production"])
            }
            // "3.2 Si partiellement exécutée": no migration timed out.
            Ask::Offer => say(["n"]),
            Ask::Failed => panic!("step {:?} failed:\n{}", m.step, m.since_header),
            other => panic!("unexpected question {other:?} at {:?}", m.step),
        }
    });
    let transcript = op.transcript.clone();
    assert!(status.success(), "{transcript}");
    assert!(gate_seen, "2.4 never reached its gate:\n{transcript}");
    assert_eq!(finding_answers, 2, "{transcript}");
    // bin/rails ran in the app context's stand-in, on each target's
    // database: staging at 1.2, production at 2.4, Rails' own output.
    for (version, name) in [
        ("20251124020634", "Add confirmable to users"),
        ("20251201090000", "Remove legacy phone from users"),
    ] {
        let line = format!("== {version} {name}: migrated");
        assert_eq!(transcript.matches(&line).count(), 2, "{line}\n{transcript}");
    }
    // The operator was asked about every step of the flow; "3.2 Si …" is
    // a branch (an alternative), "Si rollback nécessaire" a rollback.
    let flow: Vec<String> = r.flow_step_titles();
    assert!(
        !flow
            .iter()
            .any(|t| t.starts_with("3.2 Si") || t.starts_with("Si rollback")),
        "{flow:?}"
    );
    let mut order: Vec<&str> = asked.iter().map(|(s, _)| s.as_str()).collect();
    order.dedup();
    for t in &flow {
        assert!(
            order.contains(&t.as_str()),
            "never asked about {t:?}: {order:?}"
        );
    }
    assert!(transcript.contains("■ session complete"), "{transcript}");

    // Both databases migrated, data kept: N pending went to 0.
    for db in ["STAGING_DB_URL", "PROD_DB_URL"] {
        assert_eq!(
            schema(&r, db),
            (AFTER.to_string(), "confirmation_token".to_string()),
            "{db}"
        );
        assert_eq!(r.psql(db, "SELECT count(*) FROM users"), "120", "{db}");
    }
    for base in [&app, &staging_app] {
        let health = get(&format!("{base}/health"));
        assert_eq!(health["status"], "ok", "{health}");
        assert_eq!(health["migrations"]["pending_count"], 0, "{health}");
    }

    // The backups ran for real (pg_dump "$DATABASE_URL"), before the
    // migrations: they still hold the removed column.
    let backups = |dir: &Path, prefix: &str| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let staging_backup = backups(&r.work(), "backup_");
    let prod_backup = backups(&r.work().join("backups/production"), "db_");
    for (what, files) in [("staging", &staging_backup), ("production", &prod_backup)] {
        assert_eq!(files.len(), 1, "{what} backups: {files:?}");
        let dump = std::fs::read_to_string(&files[0]).unwrap_or_default();
        assert!(dump.contains("legacy_phone"), "{what} backup: {dump:.300}");
        assert!(
            dump.contains("COPY public.users") && dump.contains("COPY public.schema_migrations"),
            "{what} backup: {dump:.300}"
        );
        assert!(
            !dump.contains("20251124020634"),
            "{what} backup is after the migration"
        );
    }

    check_journal(&r, &transcript);
    let report = r.verify_and_report();
    // The approval and the refusal are in the post-mortem's gates.
    let gates = report.split("## Gates").nth(1).unwrap_or_default();
    let gates = gates.split("\n## ").next().unwrap_or_default();
    assert!(
        gates
            .lines()
            .any(|l| l.contains("2.4 Exécuter en production") && !l.contains("refused")),
        "the report's gates lack 2.4 approved:\n{report}"
    );
    assert!(
        gates
            .lines()
            .any(|l| l.contains("2.3 ") && l.contains(&format!("approved: {FINDING}"))),
        "the report's gates lack 2.3 approved:\n{report}"
    );
    for needle in ["remove_legacy_phone_from_users", "no migration timed out"] {
        assert!(
            report.contains(needle),
            "the report lacks {needle:?}:\n{report}"
        );
    }
}

fn check_journal(r: &Rehearsal, transcript: &str) {
    let started = r.of_type("session-started");
    assert_eq!(started[0]["drill"], true);
    assert_eq!(started[0]["target"], "production");

    // The migrations steps: what each saw.
    let results = r.of_type("action-result");
    let pending: Vec<&Value> = results
        .iter()
        .filter(|x| x["result"]["kind"] == "pending-migrations")
        .collect();
    let seen: Vec<(String, String, Vec<String>)> = pending
        .iter()
        .map(|x| {
            (
                x["step"].as_str().unwrap_or_default().to_string(),
                x["result"]["target"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                x["result"]["pending"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| f["version"].as_str().unwrap_or_default().to_string())
                    .collect(),
            )
        })
        .collect();
    let all: Vec<String> = PENDING.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        seen,
        vec![
            (
                "1-0-detecter-les-migrations-en-attente".into(),
                "staging".into(),
                all.clone()
            ),
            (
                "1-3-verifier-schema-migrations".into(),
                "staging".into(),
                vec![]
            ),
            (
                "2-3-detecter-les-migrations-destructives-en-production".into(),
                "production".into(),
                all
            ),
            (
                "2-5-valider-schema-migrations-health".into(),
                "production".into(),
                vec![]
            ),
        ],
        "{transcript}"
    );
    // The destructive one is flagged by its name and by its remove_column.
    let flagged = &pending[2]["result"]["pending"][1]["destructive"];
    let rules: Vec<&str> = flagged
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"migration-name"), "{flagged}");
    assert!(rules.iter().any(|r| r.contains("remove")), "{flagged}");
    assert_eq!(
        pending[2]["result"]["pending"][0]["destructive"],
        serde_json::json!([])
    );

    // Every http check passed, each with nothing pending where asked.
    let http: Vec<&Value> = results
        .iter()
        .filter(|x| x["result"]["kind"] == "http")
        .collect();
    let urls: Vec<(&str, &str)> = http
        .iter()
        .map(|x| {
            (
                x["step"].as_str().unwrap_or_default(),
                x["result"]["url"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let app = r.env("APP_URL");
    let staging = r.env("STAGING_APP_URL");
    assert_eq!(
        urls,
        [
            ("1-4-health-check", format!("{staging}/up").as_str()),
            ("1-4-health-check", &format!("{staging}/health")),
            (
                "2-5-valider-schema-migrations-health",
                &format!("{app}/health")
            ),
            ("health-check-simple-up", &format!("{app}/up")),
            ("health-check-complet-health", &format!("{app}/health")),
            (
                "status-migrations-health-migrations",
                &format!("{app}/health/migrations")
            ),
        ]
    );
    for x in &http {
        assert_eq!(x["result"]["passed"], true, "{x}");
        assert_eq!(x["result"]["status"], 200, "{x}");
    }
    let text = serde_json::to_string(&http).unwrap_or_default();
    assert!(!text.contains("degraded"), "{text}");

    // The finding that stopped 2.3 at its gate (no failure), then the
    // operator's decisions.
    let checked: Vec<Value> = r
        .of_type("action-finished")
        .into_iter()
        .filter(|x| x["step"] == "2-3-detecter-les-migrations-destructives-en-production")
        .collect();
    assert_eq!(checked.len(), 1, "{checked:?}");
    assert_eq!(
        checked[0]["outcome"]["needs_approval"], FINDING,
        "{}",
        checked[0]
    );
    assert!(checked[0]["outcome"]["failure"].is_null(), "{}", checked[0]);
    assert!(r.of_type("rollback-requested").is_empty());
    let answered: Vec<(String, String)> = r
        .of_type("gate-answered")
        .iter()
        .map(|x| {
            (
                x["step"].as_str().unwrap_or_default().to_string(),
                x["typed"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let at_2_3 = "2-3-detecter-les-migrations-destructives-en-production".to_string();
    assert_eq!(
        answered,
        [
            (at_2_3.clone(), "staging".to_string()),
            (at_2_3, "production".to_string()),
            ("2-4-executer-en-production".into(), "production".into()),
        ],
        "{transcript}"
    );
    assert!(r.of_type("gate-refused").is_empty(), "{transcript}");
    // Every bin/rails step ran; the rollback did not.
    let started_steps = r.of_type("action-started");
    let started: Vec<&str> = started_steps
        .iter()
        .filter_map(|x| x["step"].as_str())
        .collect();
    for step in [
        "1-2-executer-migration",
        "1-3-verifier-db-migrate-status",
        "2-2-tester-en-staging-d-abord",
        "2-4-executer-en-production",
        "2-5-valider-db-migrate-status",
        "3-1-verifier-l-etat",
    ] {
        assert!(started.contains(&step), "{step} did not run: {started:?}");
    }
    assert!(!started.contains(&"si-rollback-necessaire"), "{started:?}");
    let skipped: Vec<(String, String)> = r
        .of_type("skipped")
        .iter()
        .map(|x| {
            (
                x["step"].as_str().unwrap_or_default().to_string(),
                x["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let ids: Vec<&str> = skipped.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        ids,
        [
            "3-3-analyser-pourquoi-timeout",
            "3-4-optimiser-la-migration-avant-reessai",
            "metriques-recommandees-grafana-prometheus",
        ],
        "{skipped:?}"
    );
    for (step, reason) in &skipped {
        assert!(!reason.is_empty(), "{step} skipped without a reason");
    }
}
