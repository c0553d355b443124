//! `compare` steps against two real PostgreSQL clusters (staging and
//! production), through the headless runner. Each test has its own
//! database on each cluster.

use crate::support::pg;
use crate::support::workdir;

use serde_json::Value;
use workdir::{Workdir, text};

/// A runbook whose staging and production databases come from variables.
fn runbook(body: &str) -> String {
    format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\n  production: {{ protected: true, database: $PROD_DB_URL }}\nvariables:\n  STAGING_DB_URL: {{ secret: true }}\n  PROD_DB_URL: {{ secret: true }}\n---\n# Db\n\n## Phase {{#p}}\n\n{body}"
    )
}

/// A compare step with `attrs` over `tables`, then a step of the same
/// phase that says it ran.
fn compare_then_next(attrs: &str, tables: &str) -> String {
    runbook(&format!(
        "### Compare {{#cmp}}\n\n```compare {{left=staging right=production {attrs}}}\n{tables}```\n\n\
         ### Next {{#next}}\n\n```bash\necho NEXT-$((40 + 2))\n```\n"
    ))
}

/// Whether the step after the comparison ran: its output is computed, so
/// the runbook's text being shown does not count.
fn next_ran(all: &str) -> bool {
    all.contains("NEXT-42")
}

fn url(cluster: &pg::Cluster, db: &str) -> String {
    format!("{}?sslmode=disable", cluster.url(db))
}

/// A fresh database on each cluster, seeded with `seed` on both, then with
/// `on_staging` and `on_production`; a workdir pointing at them.
fn setup(seed: &str, on_staging: &str, on_production: &str) -> (Workdir, String) {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("compare");
    // Both at once: creating and seeding databases is most of a test's time.
    std::thread::scope(|scope| {
        for (c, extra) in [(staging, on_staging), (production, on_production)] {
            let db = &db;
            scope.spawn(move || {
                c.create_db(db);
                c.psql(db, &format!("{seed}\n{extra}\nANALYZE;"));
            });
        }
    });
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &url(staging, &db))
        .set("PROD_DB_URL", &url(production, &db));
    (w, db)
}

/// Runs the runbook `body` in `w`: whether it succeeded, and all it printed.
fn run(w: &Workdir, body: &str) -> (bool, String) {
    run_as(w, "r.md", body)
}

/// `run` under another file name: the journal readers take the journal
/// whose name sorts last, and a second run of `r.md` within the same second
/// would sort first.
fn run_as(w: &Workdir, name: &str, body: &str) -> (bool, String) {
    let rb = w.write(name, body);
    let out = w.auto(&rb, "staging");
    (out.status.success(), text(&out))
}

/// The one comparison the run journaled.
fn result(w: &Workdir) -> Value {
    let results = w.of_type("action-result");
    assert_eq!(results.len(), 1, "{results:?}");
    results[0]["result"].clone()
}

type Row = (String, Option<i64>, Option<i64>, String);

/// `(table, left, right, verdict)` of each table compared.
fn tables(result: &Value) -> Vec<Row> {
    let all = result["tables"].as_array().cloned().unwrap_or_default();
    all.iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap_or("?").to_string(),
                t["left"].as_i64(),
                t["right"].as_i64(),
                t["verdict"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn row(table: &str, left: i64, right: i64, verdict: &str) -> Row {
    (table.into(), Some(left), Some(right), verdict.into())
}

const SEED: &str = "CREATE TABLE users (id int primary key, email text);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 120) g;
CREATE TABLE api_keys (id bigint primary key, user_id int);
INSERT INTO api_keys SELECT g, g FROM generate_series(1, 30) g;
CREATE TABLE routing_rules (id int primary key, rule text);
INSERT INTO routing_rules SELECT g, 'r' || g FROM generate_series(1, 7) g;";

const TABLES: &str = "users\napi_keys\nrouting_rules\n";

#[test]
fn equal_counts_pass_and_the_phase_goes_on() {
    let (w, _) = setup(SEED, "", "");
    let (ok, all) = run(&w, &compare_then_next("expect=equal", TABLES));
    assert!(ok, "{all}");
    assert!(next_ran(&all), "{all}");
    // Estimates first, then the exact table, then the verdict.
    let estimates = all.find("Estimates (pg_class.reltuples");
    let exact = all.find("Exact counts (one snapshot per side)");
    assert!(estimates.is_some() && estimates < exact, "{all}");
    assert!(
        all.contains(" users         | ~120           | ~120"),
        "{all}"
    );
    assert!(
        all.contains(" table         | staging | production | difference | verdict"),
        "{all}"
    );
    assert!(
        all.contains(" users         | 120     | 120        | 0          | equal"),
        "{all}"
    );
    assert!(
        all.contains("OK: all 3 tables as expected (expect=equal)"),
        "{all}"
    );
    let r = result(&w);
    assert_eq!(r["kind"], "comparison");
    assert_eq!(r["mode"], "count");
    assert_eq!(
        (r["left"].as_str(), r["right"].as_str()),
        (Some("staging"), Some("production"))
    );
    assert_eq!(
        tables(&r),
        [
            row("users", 120, 120, "equal"),
            row("api_keys", 30, 30, "equal"),
            row("routing_rules", 7, 7, "equal"),
        ]
    );
}

#[test]
fn unequal_counts_fail_and_stop_the_phase() {
    let (w, _) = setup(SEED, "", "DELETE FROM users WHERE id > 118;");
    let (ok, all) = run(&w, &compare_then_next("", TABLES));
    assert!(!ok, "{all}");
    assert!(
        all.contains(" users         | 120     | 118        | -2         | DIFFERS"),
        "{all}"
    );
    assert!(
        all.contains("users: staging 120, production 118 (-2)"),
        "{all}"
    );
    assert!(
        all.contains("FAILED: 1 of 3 tables not as expected"),
        "{all}"
    );
    assert!(!next_ran(&all), "{all}");
    let started = w.of_type("action-started");
    assert!(started.iter().all(|r| r["step"] != "next"), "{started:?}");
    let finished = w.of_type("action-finished");
    assert_eq!(
        finished[0]["outcome"]["failure"],
        "users: staging 120, production 118 (-2)"
    );
    let r = result(&w);
    assert_eq!(tables(&r)[0], row("users", 120, 118, "differ"));
    assert_eq!(r["tables"][0]["difference"], -2);
    assert_eq!(r["passed"], false);
}

#[test]
fn a_table_missing_on_one_side_fails() {
    let (w, _) = setup(SEED, "", "DROP TABLE routing_rules;");
    let (ok, all) = run(&w, &compare_then_next("", TABLES));
    assert!(!ok, "{all}");
    assert!(!next_ran(&all), "{all}");
    assert!(all.contains("| missing on production"), "{all}");
    assert!(
        all.contains("routing_rules: missing on production"),
        "{all}"
    );
    let r = result(&w);
    assert_eq!(r["tables"][2]["verdict"], "missing");
    assert_eq!(r["tables"][2]["left"], 7);
    assert!(r["tables"][2]["right"].is_null());
}

#[test]
fn no_table_listed_compares_every_table_of_the_schema() {
    let sales = "CREATE SCHEMA sales;
CREATE TABLE sales.orders (id int primary key);
INSERT INTO sales.orders SELECT generate_series(1, 40);
CREATE TABLE sales.\"Refunds\" (id int primary key);
INSERT INTO sales.\"Refunds\" VALUES (1), (2);";
    let (w, _) = setup(
        &format!("{SEED}\n{sales}"),
        "",
        "INSERT INTO users VALUES (999, 'x');",
    );
    let (ok, all) = run(&w, &compare_then_next("schema=sales", ""));
    assert!(ok, "{all}");
    assert!(next_ran(&all), "{all}");
    // public.users differs, but it is not in the schema compared.
    assert_eq!(
        tables(&result(&w)),
        [
            row("Refunds", 2, 2, "equal"),
            row("orders", 40, 40, "equal")
        ]
    );

    // A schema without tables compares nothing: that cannot pass.
    let (ok, all) = run_as(&w, "s.md", &compare_then_next("schema=nothing", ""));
    assert!(!ok, "{all}");
    assert!(
        all.contains(
            "no table to compare: schema `nothing` has no tables on staging or production"
        ),
        "{all}"
    );
}

#[test]
fn a_filter_counts_only_the_rows_it_selects() {
    let (w, _) = setup(SEED, "", "DELETE FROM users WHERE id <= 10;");
    let tables_ = "users where id > 100 and email like 'user%'\napi_keys\n";
    let (ok, all) = run(&w, &compare_then_next("", tables_));
    assert!(ok, "{all}");
    // The table cuts long labels; the journal keeps the whole filter.
    assert!(
        all.contains(" users where id > 100 and email like 'us… | 20 "),
        "{all}"
    );
    let r = result(&w);
    assert_eq!(r["tables"][0]["filter"], "id > 100 and email like 'user%'");
    assert_eq!(tables(&r)[0], row("users", 20, 20, "equal"));
}

#[test]
fn an_expected_difference_must_hold_for_every_table() {
    let two_more = "INSERT INTO users VALUES (1001, 'a'), (1002, 'b');
INSERT INTO api_keys VALUES (1001, 1), (1002, 2);
INSERT INTO routing_rules VALUES (1001, 'a'), (1002, 'b');";
    let (w, _) = setup(SEED, "", two_more);
    let (ok, all) = run(&w, &compare_then_next("expect=+2", TABLES));
    assert!(ok, "{all}");
    assert!(
        all.contains(" users         | 120     | 122        | +2 "),
        "{all}"
    );
    assert!(
        all.contains("OK: all 3 tables as expected (expect=+2)"),
        "{all}"
    );
    assert_eq!(result(&w)["tables"][1]["difference"], 2);

    let (ok, all) = run_as(&w, "s.md", &compare_then_next("expect=+3", "users\n"));
    assert!(!ok, "{all}");
    assert!(
        all.contains("users: staging 120, production 122 (+2, expected +3)"),
        "{all}"
    );
}

/// Production's own time zone: timestamptz values print differently there.
const TOKYO: &str = "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', \
    current_database(), 'Asia/Tokyo'); END $$;";

const BIG: &str =
    "CREATE TABLE users (id bigint primary key, email text, created timestamptz, score float8);
INSERT INTO users SELECT g, 'user' || g || '@example.com',
  '2024-01-01'::timestamptz + g * interval '1 minute', g / 3.0
FROM generate_series(1, 20000) g;";

#[test]
fn checksums_find_a_changed_row_when_counts_are_equal() {
    // Production's own time zone must not make every timestamptz differ.
    let (w, _) = setup(
        BIG,
        "",
        &format!("UPDATE users SET email = 'changed@example.com' WHERE id = 7321;\n{TOKYO}"),
    );
    let (ok, all) = run(&w, &compare_then_next("", "users\n"));
    assert!(ok, "counts alone see no difference: {all}");

    let (ok, all) = run_as(&w, "s.md", &compare_then_next("mode=checksum", "users\n"));
    assert!(!ok, "{all}");
    assert!(!next_ran(&all), "{all}");
    assert!(all.contains("| 0          | DIFFERS (rows)"), "{all}");
    let r = result(&w);
    assert_eq!(r["mode"], "checksum");
    assert_eq!(tables(&r), [row("users", 20000, 20000, "differ")]);
    let ranges = r["tables"][0]["ranges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // One range: had production's time zone leaked into the rows' text,
    // every range would differ.
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    let from = ranges[0]["from"].as_i64().unwrap_or(i64::MAX);
    let to = ranges[0]["to"].as_i64().unwrap_or(i64::MIN);
    assert!(
        from <= 7321 && 7321 <= to && to - from < 100,
        "{from}..{to}"
    );
    assert!(
        all.contains(&format!("users: rows differ in id {from}..{to} (")),
        "{all}"
    );
    assert!(
        all.contains("users: same count (20000), rows differ (first in keys"),
        "{all}"
    );
}

#[test]
fn checksums_without_an_integer_key_say_they_cannot_narrow() {
    let seed = "CREATE TABLE countries (code text primary key, name text);
INSERT INTO countries VALUES ('fr', 'France'), ('de', 'Germany'), ('it', 'Italy');";
    let (w, _) = setup(
        seed,
        "",
        "UPDATE countries SET name = 'Italia' WHERE code = 'it';",
    );
    let (ok, all) = run(
        &w,
        &compare_then_next("mode=checksum key=code", "countries\n"),
    );
    assert!(!ok, "{all}");
    assert!(all.contains("DIFFERS (rows)"), "{all}");
    assert!(all.contains("needs an integer key (code is text"), "{all}");
}

#[test]
fn a_key_column_that_does_not_exist_is_named() {
    let (w, _) = setup(SEED, "", "");
    let (ok, all) = run(&w, &compare_then_next("mode=checksum key=uuid", "users\n"));
    assert!(!ok, "{all}");
    assert!(
        all.contains("on `staging`: table `users` has no column `uuid` to use as key"),
        "{all}"
    );
    assert!(w.of_type("action-result").is_empty());
}

#[test]
fn two_targets_on_the_same_database_compare_nothing() {
    let (mut w, db) = setup(SEED, "", "");
    let (staging, _) = pg::pair();
    w.set("PROD_DB_URL", &url(staging, &db));
    let (ok, all) = run(&w, &compare_then_next("", TABLES));
    assert!(!ok, "{all}");
    assert!(all.contains("same database"), "{all}");
    assert!(!all.contains("Exact counts"), "{all}");
    assert!(!next_ran(&all), "{all}");
    assert!(w.of_type("action-result").is_empty());
}

#[test]
fn a_missing_permission_names_the_target() {
    let (mut w, db) = setup(SEED, "", "");
    let (_, production) = pg::pair();
    // Roles belong to the cluster: one per test run.
    let role = pg::unique_db("reader");
    production.psql(
        &db,
        &format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'pw';
             GRANT SELECT ON users, routing_rules TO {role};"
        ),
    );
    w.set(
        "PROD_DB_URL",
        &format!(
            "postgresql://{role}:pw@127.0.0.1:{}/{db}?sslmode=disable",
            production.port()
        ),
    );
    let (ok, all) = run(&w, &compare_then_next("", TABLES));
    assert!(!ok, "{all}");
    assert!(
        all.contains("on `production`: permission denied for table api_keys"),
        "{all}"
    );
    assert!(w.of_type("action-result").is_empty());
}

#[test]
fn a_timeout_cancels_the_counts_on_both_servers() {
    let (w, db) = setup(SEED, "", "");
    let slow = "users where (SELECT true FROM pg_sleep(30))\napi_keys\n";
    let started = std::time::Instant::now();
    let (ok, all) = run(&w, &compare_then_next("timeout=1s", slow));
    assert!(!ok, "{all}");
    assert!(started.elapsed().as_secs() < 15, "{all}");
    assert!(all.contains("canceling statement"), "{all}");
    let finished = w.of_type("action-finished");
    assert_eq!(finished[0]["outcome"]["timed_out"], true, "{finished:?}");
    let (staging, production) = pg::pair();
    let sleeping = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND query LIKE '%pg_sleep%' \
         AND pid <> pg_backend_pid()"
    );
    assert_eq!(staging.psql("postgres", &sleeping), "0");
    assert_eq!(production.psql("postgres", &sleeping), "0");
}
