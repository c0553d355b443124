//! `migrations` steps against a real PostgreSQL cluster: pending files
//! found by version, destructive ones stopping production, and a folder
//! applied then found up to date.

use crate::support::pg;
use crate::support::workdir;

use workdir::{Workdir, text};

fn runbook(body: &str) -> String {
    format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\n  production: {{ protected: true, database: $PROD_DB_URL }}\nvariables:\n  STAGING_DB_URL: {{ secret: true }}\n  PROD_DB_URL: {{ secret: true }}\n---\n# Deploy\n\n## Checks {{#checks}}\n\n{body}"
    )
}

/// One database (same name) on both clusters with a Rails
/// `schema_migrations` table recording `applied`, and a Rails app folder.
fn rails(applied: &[&str]) -> (Workdir, String) {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("migrations");
    let values: Vec<String> = applied.iter().map(|v| format!("('{v}')")).collect();
    for c in [staging, production] {
        c.create_db(&db);
        c.psql(
            &db,
            &format!(
                "CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
                 CREATE TABLE users (id int, email text);
                 {}",
                if values.is_empty() {
                    String::new()
                } else {
                    format!("INSERT INTO schema_migrations VALUES {};", values.join(","))
                }
            ),
        );
    }
    let mut w = Workdir::new();
    w.set(
        "STAGING_DB_URL",
        &format!("{}?sslmode=disable", staging.url(&db)),
    )
    .set(
        "PROD_DB_URL",
        &format!("{}?sslmode=disable", production.url(&db)),
    );
    w.write(
        "db/migrate/20250101000000_create_users.rb",
        "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users\n  end\nend\n",
    );
    w.write(
        "db/migrate/20250102000000_add_index_to_users.rb",
        "class AddIndexToUsers < ActiveRecord::Migration[7.1]\n  def change\n    add_index :users, :email\n  end\nend\n",
    );
    w.write(
        "db/migrate/20250103000000_remove_email_from_users.rb",
        "class RemoveEmailFromUsers < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :email\n  end\nend\n",
    );
    (w, db)
}

const DETECT: &str =
    "### Pending {#pending}\n\n```migrations {dir=db/migrate table=schema_migrations}\n```\n";

#[test]
fn pending_files_are_listed_and_a_destructive_one_is_flagged() {
    let (w, _) = rails(&["20250101000000"]);
    let rb = w.write("r.md", &runbook(DETECT));
    // On staging, a destructive pending migration is reported, not fatal.
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("2 pending migrations"), "{all}");
    assert!(
        all.contains("20250102000000") && all.contains("add_index_to_users"),
        "{all}"
    );
    assert!(all.contains("remove_email_from_users"), "{all}");
    assert!(all.contains("remove_column"), "{all}");
    let result = &w.of_type("action-result")[0]["result"];
    assert_eq!(result["kind"], "pending-migrations");
    assert_eq!(result["pending"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_destructive_pending_migration_stops_production_at_a_gate_auto_never_passes() {
    let (w, _) = rails(&["20250101000000", "20250102000000"]);
    let rb = w.write("r.md", &runbook(DETECT));
    let out = w.auto(&rb, "production");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(
            "1 destructive migration pending: remove_email_from_users (rails-remove-column)"
        ),
        "{all}"
    );
    assert!(all.contains("--auto never does"), "{all}");
    // Stopped at the gate, not failed: no failure recorded, resumable.
    let finished = w.of_type("action-finished");
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert!(finished[0]["outcome"]["failure"].is_null(), "{finished:?}");
    assert!(
        finished[0]["outcome"]["needs_approval"]
            .as_str()
            .is_some_and(|f| f.contains("remove_email_from_users")),
        "{finished:?}"
    );
    assert!(w.of_type("session-ended").is_empty());
}

#[test]
fn the_finding_gate_refuses_a_wrong_name_and_the_target_s_name_approves_it() {
    let (w, _) = rails(&["20250101000000", "20250102000000"]);
    let body = format!("{DETECT}\n### After {{#after}}\n\n```bash\necho after-the-check\n```\n");
    let rb = w.write("r.md", &runbook(&body));
    let out = w.plain(&rb, "production", "\nstaging\nproduction\n\n\n\n");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("APPROVAL needed on PRODUCTION"), "{all}");
    assert!(
        all.contains("found: 1 destructive migration pending: remove_email_from_users"),
        "{all}"
    );
    assert!(all.contains("after-the-check"), "{all}");
    // The failure and its rollback offer are gone.
    assert!(!all.contains("b rollback"), "{all}");
    let answers = w.of_type("gate-answered");
    let typed: Vec<&str> = answers.iter().filter_map(|a| a["typed"].as_str()).collect();
    assert_eq!(typed, ["staging", "production"], "{answers:?}");
    // Journaled with the finding: the check's record just before the answers.
    let records = w.records();
    let at = records
        .iter()
        .position(|r| r["type"] == "gate-answered")
        .unwrap_or(0);
    assert!(
        records[..at].iter().any(|r| r["type"] == "action-finished"
            && r["outcome"]["needs_approval"]
                .as_str()
                .is_some_and(|f| f.starts_with("1 destructive migration pending"))),
        "{records:?}"
    );
    assert_eq!(w.of_type("session-ended")[0]["outcome"], "completed");
}

#[test]
fn applied_by_a_step_then_found_up_to_date() {
    let (w, db) = rails(&["20250101000000"]);
    let body = format!(
        "{DETECT}\n### Migrate {{#migrate}}\n\n```bash\npsql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -qc \"INSERT INTO schema_migrations VALUES ('20250102000000'), ('20250103000000')\"\n```\n\n### Up to date {{#up-to-date}}\n\n```migrations {{dir=db/migrate expect=none}}\n```\n"
    );
    let rb = w.write("r.md", &runbook(&body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("No pending migrations"), "{all}");
    let (staging, _) = pg::pair();
    assert_eq!(
        staging.psql(&db, "SELECT count(*) FROM schema_migrations"),
        "3"
    );
    // Without the migrate step, expect=none fails and names them.
    let rb = w.write(
        "r2.md",
        &runbook(
            "### Up to date {#up-to-date}\n\n```migrations {dir=db/migrate expect=none}\n```\n",
        ),
    );
    let (w2, _) = rails(&["20250101000000"]);
    let rb2 = w2.write("r2.md", &std::fs::read_to_string(&rb).unwrap_or_default());
    let out = w2.auto(&rb2, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("2 migration(s) pending on `staging`"), "{all}");
}

#[test]
fn golang_migrate_records_only_the_current_version() {
    let (staging, _) = pg::pair();
    let db = pg::unique_db("gomigrate");
    staging.create_db(&db);
    staging.psql(
        &db,
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (2, false);",
    );
    let mut w = Workdir::new();
    w.set(
        "STAGING_DB_URL",
        &format!("{}?sslmode=disable", staging.url(&db)),
    )
    .set("PROD_DB_URL", "postgresql://unused@127.0.0.1:1/x");
    for (v, name) in [
        (1, "init"),
        (2, "add_orders"),
        (3, "drop_legacy"),
        (10, "add_index"),
    ] {
        w.write(&format!("migrations/{v:06}_{name}.up.sql"), "SELECT 1;\n");
        w.write(
            &format!("migrations/{v:06}_{name}.down.sql"),
            "DROP TABLE x;\n",
        );
    }
    let rb = w.write(
        "r.md",
        &runbook("### Pending {#pending}\n\n```migrations {dir=migrations}\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("000003") && all.contains("000010"), "{all}");
    assert!(!all.contains("add_orders"), "{all}");
}

#[test]
fn a_missing_table_or_folder_is_a_clear_error() {
    let (w, _) = rails(&[]);
    let rb = w.write(
        "r.md",
        &runbook("### Pending {#pending}\n\n```migrations {dir=db/migrate table=flyway_schema_history}\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("on `staging`") && all.contains("flyway_schema_history"),
        "{all}"
    );
    assert!(all.contains("does not exist"), "{all}");
    let rb = w.write(
        "r2.md",
        &runbook("### Pending {#pending}\n\n```migrations {dir=app/db/migrate}\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("app/db/migrate") && all.contains("does not exist"),
        "{all}"
    );
}
