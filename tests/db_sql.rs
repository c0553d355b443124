//! `sql` steps and database connections against two real PostgreSQL
//! clusters (staging and production), through the headless runner.

#[path = "support/pg.rs"]
mod pg;
#[path = "support/workdir.rs"]
mod workdir;

use workdir::{Workdir, text};

/// A runbook whose staging and production databases come from variables.
fn runbook(body: &str) -> String {
    format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\n  production: {{ protected: true, database: $PROD_DB_URL }}\nvariables:\n  STAGING_DB_URL: {{ secret: true }}\n  PROD_DB_URL: {{ secret: true }}\n---\n# Db\n\n## Phase {{#p}}\n\n{body}"
    )
}

/// A fresh database on each cluster, seeded with `sql`, and a workdir
/// whose variables point at them.
fn setup(seed: &str) -> (Workdir, String) {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("sql");
    for c in [staging, production] {
        c.create_db(&db);
        c.psql(&db, seed);
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
    (w, db)
}

const USERS: &str = "CREATE TABLE users (id int primary key, email text);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 120) g;";

#[test]
fn a_query_shows_its_rows_and_journals_the_result() {
    let (w, _) = setup(USERS);
    let rb = w.write(
        "r.md",
        &runbook("### Count {#count}\n\n```sql {expect=\"rows==120\"}\nSELECT id, email FROM users ORDER BY id;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains(" id | email"), "{all}");
    assert!(all.contains(" 1  | user1@example.com"), "{all}");
    assert!(all.contains("(120 rows, first 50 shown"), "{all}");
    let results = w.of_type("action-result");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["result"]["row_count"], 120);
    assert_eq!(
        results[0]["result"]["rows"].as_array().map(Vec::len),
        Some(50)
    );
    assert_eq!(results[0]["result"]["truncated"], true);
    // Every target's declared database, not only the one the step uses.
    let ids = w.of_type("database-identified");
    let targets: Vec<&str> = ids.iter().filter_map(|i| i["target"].as_str()).collect();
    assert_eq!(targets, ["production", "staging"], "{ids:?}");
    assert!(
        ids.iter()
            .all(|i| i["identity"]["system_identifier"].is_string()),
        "{ids:?}"
    );
}

#[test]
fn an_unmet_row_expectation_fails_the_step() {
    let (w, _) = setup(USERS);
    let rb = w.write(
        "r.md",
        &runbook("### Orphans {#orphans}\n\n```sql {expect=\"rows==0\"}\nSELECT id FROM users WHERE id <= 3;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("expected rows == 0, got 3"), "{all}");
}

#[test]
fn a_step_that_does_not_say_it_writes_cannot_write() {
    let (w, db) = setup(USERS);
    let rb = w.write(
        "r.md",
        &runbook("### Sneaky {#sneaky}\n\n```sql\nINSERT INTO users VALUES (1000, 'x');\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("read-only transaction"), "{all}");
    let (staging, _) = pg::pair();
    assert_eq!(staging.psql(&db, "SELECT count(*) FROM users"), "120");
}

#[test]
fn a_writing_step_commits_all_its_statements() {
    let (w, db) = setup(USERS);
    let rb = w.write(
        "r.md",
        &runbook("### Fix {#fix}\n\n```sql {writes}\nUPDATE users SET email = lower(email) WHERE id < 10;\nINSERT INTO users VALUES (1000, 'new@example.com');\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(1 affected"), "{}", text(&out));
    let (staging, production) = pg::pair();
    assert_eq!(staging.psql(&db, "SELECT count(*) FROM users"), "121");
    assert_eq!(production.psql(&db, "SELECT count(*) FROM users"), "120");
}

#[test]
fn a_failing_statement_rolls_back_the_whole_step() {
    let (w, db) = setup(USERS);
    let rb = w.write(
        "r.md",
        &runbook("### Half {#half}\n\n```sql {writes}\nINSERT INTO users VALUES (2000, 'a');\nINSERT INTO nowhere VALUES (1);\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("relation \"nowhere\" does not exist"), "{all}");
    assert!(all.contains("on `staging`"), "{all}");
    let (staging, _) = pg::pair();
    assert_eq!(
        staging.psql(&db, "SELECT count(*) FROM users WHERE id = 2000"),
        "0"
    );
}

#[test]
fn a_wrong_password_is_named_and_never_written() {
    let (mut w, db) = setup(USERS);
    let (staging, _) = pg::pair();
    let wrong = format!(
        "postgresql://postgres:hunter2-wrong@127.0.0.1:{}/{db}?sslmode=disable",
        staging.port()
    );
    w.set("STAGING_DB_URL", &wrong);
    let rb = w.write(
        "r.md",
        &runbook("### Count {#count}\n\n```sql\nSELECT 1;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("target `staging`"), "{all}");
    assert!(all.contains("password authentication failed"), "{all}");
    assert!(all.contains("check the user and password"), "{all}");
    assert!(!all.contains("hunter2-wrong"), "{all}");
    assert!(!w.journal_text().contains("hunter2-wrong"));
}

#[test]
fn an_unreachable_database_fails_the_step_with_its_cause() {
    let (mut w, _) = setup(USERS);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().map(|a| a.port()).unwrap_or(1)
    };
    w.set(
        "STAGING_DB_URL",
        &format!("postgresql://postgres:pw@127.0.0.1:{port}/x?sslmode=disable&connect_timeout=3"),
    );
    let rb = w.write(
        "r.md",
        &runbook("### Count {#count}\n\n```sql\nSELECT 1;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("cannot reach the database of target `staging`"),
        "{all}"
    );
    assert!(all.contains("is the server running"), "{all}");
}

#[test]
fn tls_require_and_verify_full_connect_and_a_foreign_ca_is_refused() {
    let (mut w, db) = setup(USERS);
    let (staging, production) = pg::pair();
    let rb = w.write("r.md", &runbook("### Ssl {#ssl}\n\n```sql {expect=\"rows==1\"}\nSELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl;\n```\n"));
    for mode in [
        "sslmode=require".to_string(),
        format!(
            "sslmode=verify-full&sslrootcert={}",
            staging.ca_cert().display()
        ),
    ] {
        let url = format!(
            "postgresql://postgres:{}@localhost:{}/{db}?{mode}",
            staging.password(),
            staging.port()
        );
        w.set("STAGING_DB_URL", &url);
        let out = w.auto(&rb, "staging");
        assert!(out.status.success(), "{mode}: {}", text(&out));
    }
    // Production's CA did not sign staging's certificate.
    let url = format!(
        "postgresql://postgres:{}@localhost:{}/{db}?sslmode=verify-full&sslrootcert={}",
        staging.password(),
        staging.port(),
        production.ca_cert().display()
    );
    w.set("STAGING_DB_URL", &url);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("cannot reach the database of target `staging`"),
        "{all}"
    );
    assert!(all.to_lowercase().contains("certificate"), "{all}");
}

#[test]
fn two_targets_on_one_database_stop_the_session_before_anything_runs() {
    let (mut w, db) = setup(USERS);
    let (staging, _) = pg::pair();
    // Production's variable was pasted from staging's, with another spelling
    // of the same server.
    w.set(
        "PROD_DB_URL",
        &format!(
            "host=localhost port={} user=postgres password={} dbname={db} sslmode=disable",
            staging.port(),
            staging.password()
        ),
    );
    let rb = w.write(
        "r.md",
        &runbook("### Mark {#mark}\n\n```sql {writes}\nINSERT INTO users VALUES (5000, 'ran');\n```\n\n### Prod {#prod target=production}\n\n```sql\nSELECT 1;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("targets `production` and `staging` are the same database")
            || all.contains("targets `staging` and `production` are the same database"),
        "{all}"
    );
    assert!(all.contains("nothing was run"), "{all}");
    assert_eq!(
        staging.psql(&db, "SELECT count(*) FROM users WHERE id = 5000"),
        "0"
    );
    assert!(w.of_type("run-requested").is_empty());
    assert_eq!(w.of_type("interrupted").len(), 1);
    assert!(!w.journal_text().contains(staging.password()));
}
