//! `sql` steps and database connections against two real PostgreSQL
//! clusters (staging and production), through the headless runner.

use crate::support::pg;
use crate::support::workdir;

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
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
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
        all.contains(
            "targets `staging` (this session's target) and `production` are the same database"
        ),
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

// ---- Issue 13: SQL that writes on a protected target, and the read-only
// transaction's holes ----

/// One step on production running `block` with the fence's `attrs`.
fn production_step(attrs: &str, block: &str) -> String {
    runbook(&format!(
        "### Step {{#step target=production}}\n\n```sql {attrs}\n{block}\n```\n"
    ))
}

fn first_email(c: &pg::Cluster, db: &str) -> String {
    c.psql(db, "SELECT email FROM users WHERE id = 1")
}

#[test]
fn sql_that_ran_ungated_on_production_stops_at_the_gate() {
    let (w, db) = setup(USERS);
    let (_, production) = pg::pair();
    // (fence attributes, block, a rule the gate must name besides sql-writes)
    let cases = [
        ("{writes}", "INSERT INTO users VALUES (9000, 'x');", None),
        (
            "{writes}",
            "DO $$ BEGIN DROP TABLE users; END $$;",
            Some("sql-drop"),
        ),
        (
            "{writes}",
            "PREPARE p AS DELETE FROM users;\nEXECUTE p;",
            Some("sql-delete-without-where"),
        ),
        (
            "{writes}",
            "DELETE FROM users WHERE true;",
            Some("sql-delete-without-where"),
        ),
        (
            "{writes}",
            "DELETE FROM users WHERE 1=1;",
            Some("sql-delete-without-where"),
        ),
        (
            "{writes}",
            "UPDATE users SET email = 'x' WHERE id IS NOT NULL OR TRUE;",
            Some("sql-update-without-where"),
        ),
        (
            "{writes}",
            "MERGE INTO users u USING (SELECT 1 AS id) s ON u.id = s.id WHEN MATCHED THEN DELETE;",
            Some("sql-merge-delete"),
        ),
        (
            "{writes}",
            "CREATE RULE r AS ON SELECT TO users DO INSTEAD NOTHING;",
            Some("sql-rule-or-trigger"),
        ),
        (
            "{writes batch=users.id batch-size=10}",
            "DELETE FROM users WHERE id > $1 AND id <= $2",
            None,
        ),
    ];
    for (i, (attrs, block, rule)) in cases.iter().enumerate() {
        let rb = w.write(&format!("r{i}.md"), &production_step(attrs, block));
        let out = w.auto(&rb, "production");
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{block}: {all}");
        assert!(
            all.contains("DESTRUCTIVE step on PRODUCTION"),
            "{block}: {all}"
        );
        assert!(
            all.contains("sql-writes: this block writes to production"),
            "{block}: {all}"
        );
        if let Some(rule) = rule {
            assert!(all.contains(rule), "{block} should name {rule}: {all}");
        }
        assert_eq!(
            production.psql(&db, "SELECT count(*) FROM users"),
            "120",
            "{block}"
        );
    }
}

#[test]
fn a_read_only_block_that_reaches_outside_the_transaction_stops_at_the_gate() {
    let (w, db) = setup(USERS);
    let (_, production) = pg::pair();
    // COPY … TO PROGRAM runs a shell command on the server, read-only or not.
    let marker = w.path().join("copied");
    // The server's user writes it: let it into the workdir.
    let _ = std::process::Command::new("chmod")
        .arg("777")
        .arg(w.path())
        .status();
    let copy = format!("COPY (SELECT 1) TO PROGRAM 'touch {}';", marker.display());
    let rb = w.write("copy.md", &production_step("", &copy));
    let out = w.auto(&rb, "production");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sql-program"), "{}", text(&out));
    assert!(!marker.exists(), "COPY TO PROGRAM ran");

    // pg_terminate_backend ends another session, read-only or not.
    let url = format!(
        "{}?sslmode=disable&application_name=victim",
        production.url(&db)
    );
    let mut victim = std::process::Command::new(production.bin("psql"))
        .args([url.as_str(), "-X", "-q", "-c", "SELECT pg_sleep(60)"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    let count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'victim'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while production.psql(&db, count) != "1" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let kill =
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim';";
    let rb = w.write("kill.md", &production_step("", kill));
    let out = w.auto(&rb, "production");
    let alive = victim.try_wait().ok().flatten().is_none();
    let _ = victim.kill();
    let _ = victim.wait();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sql-other-sessions"), "{}", text(&out));
    assert!(alive, "the other session was killed");
}

#[test]
fn transaction_control_in_a_block_is_an_error_and_nothing_runs() {
    let (w, db) = setup(USERS);
    let (staging, _) = pg::pair();
    let write = "UPDATE users SET email = 'pwned' WHERE id = 1;";
    for (i, lead) in [
        "SET TRANSACTION READ WRITE;",
        "COMMIT;",
        "ROLLBACK;",
        "END;",
        "ABORT;",
        "BEGIN;",
        "COMMIT AND CHAIN; SET TRANSACTION READ WRITE;",
        "RESET transaction_read_only;",
        "SET transaction_read_only TO DEFAULT;",
        "SELECT set_config('transaction_read_only', NULL, true);",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT;",
        "SET default_transaction_read_only = off; COMMIT;",
        "RESET ALL; COMMIT;",
    ]
    .iter()
    .enumerate()
    {
        let block = format!("{lead}\n{write}");
        let rb = w.write(
            &format!("t{i}.md"),
            &runbook(&format!("### Step {{#step}}\n\n```sql\n{block}\n```\n")),
        );
        let check = w.run(&["check", &rb.to_string_lossy()], "");
        let shown = text(&check);
        assert!(!check.status.success(), "{block}: {shown}");
        assert!(
            shown.contains("sql-transaction-control"),
            "{block}: {shown}"
        );
        assert!(shown.contains("several steps"), "{block}: {shown}");
        let out = w.auto(&rb, "staging");
        assert!(!out.status.success(), "{block}: {}", text(&out));
        assert_eq!(first_email(staging, &db), "user1@example.com", "{block}");
    }
}

/// A function that turns the read-only transaction read-write from the
/// inside: nothing in the block's text says so.
const SNEAKY: &str = "CREATE FUNCTION sneaky() RETURNS void LANGUAGE plpgsql AS $$
BEGIN RESET transaction_read_only; UPDATE users SET email = 'pwned' WHERE id = 1; END $$;";

#[test]
fn a_read_only_block_stays_read_only_even_when_a_function_turns_it_off() {
    let (w, db) = setup(&format!("{USERS}\n{SNEAKY}"));
    let (staging, _) = pg::pair();
    let rb = w.write(
        "r.md",
        &runbook("### Report {#report}\n\n```sql\nSELECT sneaky();\nSELECT 1 AS after;\n```\n"),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("turned the read-only transaction read-write"),
        "{all}"
    );
    assert!(
        w.of_type("action-result").is_empty(),
        "the statement after it ran: {all}"
    );
    assert_eq!(first_email(staging, &db), "user1@example.com");
}

/// The runtime on its own, without `check` in front of it.
async fn client(c: &pg::Cluster, db: &str) -> tokio_postgres::Client {
    let url = format!("{}?sslmode=disable", c.url(db));
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn the_runtime_sends_one_statement_at_a_time_and_never_leaves_its_transaction() {
    use runsheet::db::sql::{BlockError, run_block};
    let (_, db) = setup(USERS);
    let (staging, _) = pg::pair();
    let c = client(staging, &db).await;
    // Refused before anything is sent, read-only or not.
    for (block, writes) in [
        (
            "COMMIT; UPDATE users SET email = 'pwned' WHERE id = 1",
            false,
        ),
        (
            "UPDATE users SET id = id + 1000 WHERE id = 2; COMMIT; DELETE FROM users",
            true,
        ),
        (
            "RESET transaction_read_only; UPDATE users SET email = 'pwned' WHERE id = 1",
            false,
        ),
    ] {
        let r = run_block(&c, block, writes).await;
        assert!(matches!(r, Err(BlockError::Escaped(_))), "{block}: {r:?}");
        let _ = c.batch_execute("ROLLBACK").await;
    }
    // The lexer reads standard strings; with standard_conforming_strings off
    // the server reads this one statement as three. Parsed alone first, it
    // is refused instead of run.
    let smuggled = "SET standard_conforming_strings = off;
SELECT 'a\\' , '; COMMIT; UPDATE users SET id = id + 1000 WHERE id = 1; --';";
    let r = run_block(&c, smuggled, false).await;
    assert!(matches!(r, Err(BlockError::Query(_))), "{r:?}");
    let _ = c.batch_execute("ROLLBACK").await;
    // The same through a function: caught after the statement, rolled back.
    staging.psql(&db, SNEAKY);
    let r = run_block(&c, "SELECT sneaky()", false).await;
    assert!(matches!(r, Err(BlockError::Escaped(_))), "{r:?}");
    let _ = c.batch_execute("ROLLBACK").await;
    assert_eq!(
        staging.psql(&db, "SELECT count(*) FROM users WHERE id > 1000"),
        "0"
    );
    assert_eq!(first_email(staging, &db), "user1@example.com");
    assert_eq!(staging.psql(&db, "SELECT count(*) FROM users"), "120");
    // And a plain block still gives the rows of its last query.
    let r = run_block(
        &c,
        "SELECT 1; SELECT id FROM users WHERE id <= 3 ORDER BY id",
        false,
    )
    .await;
    let rows = r
        .map(|r| (r.columns, r.count))
        .map_err(|e| format!("{e:?}"));
    assert_eq!(rows, Ok((vec!["id".to_string()], 3)));
}
