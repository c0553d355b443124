//! The SQL rules of issue 13: each construct that ran ungated on a
//! protected target, with its harmless neighbours.

use super::*;

fn sql(text: &str) -> Vec<Rule> {
    scan_sql(text).iter().map(|f| f.rule).collect()
}

fn flags(text: &str, rule: Rule) {
    assert!(
        sql(text).contains(&rule),
        "{text:?} should be {rule:?}, got {:?}",
        sql(text)
    );
}

fn clean(text: &str) {
    assert_eq!(sql(text), vec![], "{text:?} should pass");
}

fn tc(text: &str) -> Vec<String> {
    sql_transaction_control(text)
        .into_iter()
        .map(|f| f.excerpt)
        .collect()
}

#[test]
fn harmless_statements_pass() {
    for text in [
        "SELECT id, email FROM users WHERE id = 3",
        "DELETE FROM users WHERE id = 3",
        "DELETE FROM users WHERE id = $1",
        "UPDATE users SET email = lower(email) WHERE id IN (1, 2, 3)",
        "UPDATE users SET n = n + 1 WHERE created_at < now() - interval '30 days'",
        "DELETE FROM t WHERE id > $1 AND id <= $2",
        "DELETE FROM t WHERE a = 1 AND 1 = 1",
        "DELETE FROM t WHERE x IS NULL",
        "DELETE FROM t WHERE CURRENT OF c",
        "DELETE FROM t USING u WHERE t.uid = u.id",
        "DELETE FROM t AS a USING u WHERE a.uid = u.id",
        "UPDATE t SET x = u.x FROM u WHERE t.id = u.id",
        "UPDATE t SET x = 1 WHERE id BETWEEN 1 AND 10",
        "DELETE FROM t WHERE id IN (SELECT id FROM stale)",
        "COPY t TO STDOUT",
        "COPY (SELECT * FROM t) TO STDOUT WITH CSV",
        "COPY t FROM STDIN",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = s.x",
        "MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)",
        "WITH d AS (SELECT 1) SELECT * FROM d",
        "WITH d AS (DELETE FROM t WHERE id = 3 RETURNING *) SELECT * FROM d",
        "SELECT count(*) INTO TEMP tmp FROM t",
        "DO $$ BEGIN UPDATE t SET x = 1 WHERE id = 1; END $$",
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM t FOR UPDATE LOOP PERFORM 1; END LOOP; END $$",
        "PREPARE p AS SELECT * FROM t WHERE id = $1; EXECUTE p(1)",
        "LOCK TABLE t IN ACCESS SHARE MODE",
        "VACUUM ANALYZE t",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
        "SELECT set_config('statement_timeout', '5s', true)",
        "SELECT pg_stat_get_live_tuples('t'::regclass)",
        "SET statement_timeout = '5min'",
        "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 2",
        "SELECT * FROM t WHERE x = x",
        "CREATE INDEX CONCURRENTLY i ON t (x)",
    ] {
        clean(text);
    }
}

#[test]
fn a_do_block_is_read_through() {
    flags("DO $$ BEGIN DROP TABLE t; END $$", Rule::SqlDrop);
    flags(
        "DO $x$ BEGIN IF true THEN DELETE FROM t; END IF; END $x$;",
        Rule::SqlDeleteWithoutWhere,
    );
    flags("DO 'BEGIN TRUNCATE t; END'", Rule::SqlTruncate);
    flags(
        "DO LANGUAGE plpgsql $$ BEGIN DROP TABLE t; END $$",
        Rule::SqlDrop,
    );
    flags(
        "DO $$ <<l>> BEGIN LOOP UPDATE t SET x = 1; EXIT; END LOOP; END $$",
        Rule::SqlUpdateWithoutWhere,
    );
    flags(
        "DO $$ DECLARE r record; BEGIN FOR r IN DELETE FROM t RETURNING * LOOP NULL; END LOOP; END $$",
        Rule::SqlDeleteWithoutWhere,
    );
    flags(
        "DO $$ BEGIN PERFORM pg_terminate_backend(42); END $$",
        Rule::SqlOtherSessions,
    );
    flags("DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", Rule::SqlDrop);
    // Dynamic SQL is opaque, and its literal pieces are still read.
    let dynamic = "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident(x); END $$";
    flags(dynamic, Rule::SqlOpaque);
    flags(dynamic, Rule::SqlDrop);
    flags(
        "DO $$ BEGIN EXECUTE format('TRUNCATE %I', t); END $$",
        Rule::SqlOpaque,
    );
    flags("DO $$ BEGIN EXECUTE q; END $$", Rule::SqlOpaque);
    flags(
        "DO LANGUAGE plpython3u $$ plpy.execute('x') $$",
        Rule::SqlOpaque,
    );
}

#[test]
fn prepared_statements_are_read_and_unknown_ones_are_opaque() {
    flags(
        "PREPARE p AS DELETE FROM t; EXECUTE p",
        Rule::SqlDeleteWithoutWhere,
    );
    flags(
        "PREPARE p (int) AS UPDATE t SET x = $1",
        Rule::SqlUpdateWithoutWhere,
    );
    flags("EXECUTE elsewhere", Rule::SqlOpaque);
    flags("EXECUTE \"P\"", Rule::SqlOpaque);
    flags("CALL archive_everything()", Rule::SqlOpaque);
}

#[test]
fn a_where_that_holds_for_every_row_is_no_where() {
    for cond in [
        "true",
        "TRUE",
        "1=1",
        "1 = 1",
        "'a'='a'",
        "'a' = 'a'",
        "2 > 1",
        "1 <> 2",
        "'1' = 1",
        "(1=1)",
        "NOT false",
        "NOT (1 = 2)",
        "x IS NOT NULL OR TRUE",
        "id = 3 OR 1=1",
        "id = id",
        "t.id = t.id",
        "(id) = (id)",
        "coalesce(a, 0) = coalesce(a, 0)",
        "x IS NULL OR x IS NOT NULL",
        "a = b OR a <> b",
        "a < 5 OR a >= 5",
        "NOT p OR p",
        "'t'::boolean",
        "true AND true",
        "now() > '2000-01-01'",
        "current_user = 'postgres'",
        "$1",
        "x LIKE '%'",
        "id IS NOT DISTINCT FROM id",
        "EXISTS (SELECT 1)",
        "CASE WHEN true THEN true END",
        "1 = 1 -- a comment id = 3",
        "true RETURNING *",
    ] {
        flags(
            &format!("DELETE FROM t WHERE {cond}"),
            Rule::SqlDeleteWithoutWhere,
        );
        flags(
            &format!("UPDATE t SET x = 1 WHERE {cond}"),
            Rule::SqlUpdateWithoutWhere,
        );
    }
    for cond in ["false", "1 = 2", "NOT true", "id = 3 AND false"] {
        clean(&format!("DELETE FROM t WHERE {cond}"));
    }
}

#[test]
fn a_join_without_a_condition_on_the_target_changes_every_row() {
    flags("DELETE FROM t USING u", Rule::SqlDeleteWithoutWhere);
    flags(
        "DELETE FROM t USING u WHERE u.flag",
        Rule::SqlDeleteWithoutWhere,
    );
    flags("UPDATE t SET x = u.x FROM u", Rule::SqlUpdateWithoutWhere);
    flags(
        "UPDATE t SET x = u.x FROM u WHERE u.id = 1",
        Rule::SqlUpdateWithoutWhere,
    );
    flags(
        "UPDATE ONLY public.t AS a SET x = 1 FROM u WHERE u.id = 1 OR true",
        Rule::SqlUpdateWithoutWhere,
    );
}

#[test]
fn merge_that_deletes_or_matches_everything() {
    flags(
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        Rule::SqlMergeDelete,
    );
    flags(
        "MERGE INTO t USING s ON true WHEN MATCHED THEN UPDATE SET x = 1",
        Rule::SqlUpdateWithoutWhere,
    );
    flags(
        "MERGE INTO t a USING s ON s.k = 1 WHEN MATCHED THEN UPDATE SET x = 1",
        Rule::SqlUpdateWithoutWhere,
    );
}

#[test]
fn copy_program_and_server_files() {
    flags("COPY t FROM PROGRAM 'curl http://x'", Rule::SqlProgram);
    flags(
        "COPY (SELECT 1) TO PROGRAM 'rm -rf /var/lib'",
        Rule::SqlProgram,
    );
    flags("COPY t TO '/tmp/t.csv'", Rule::SqlServerFiles);
    flags(
        "SELECT lo_export(1234, '/etc/passwd')",
        Rule::SqlServerFiles,
    );
    flags(
        "SELECT pg_file_write('x', 'y', false)",
        Rule::SqlServerFiles,
    );
    flags(
        "COPY (DELETE FROM t RETURNING *) TO STDOUT",
        Rule::SqlDeleteWithoutWhere,
    );
}

#[test]
fn rules_triggers_and_replaced_code() {
    flags(
        "CREATE RULE r AS ON SELECT TO t DO INSTEAD NOTHING",
        Rule::SqlRuleOrTrigger,
    );
    flags(
        "CREATE OR REPLACE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u",
        Rule::SqlDeleteWithoutWhere,
    );
    flags(
        "CREATE RULE r AS ON INSERT TO t DO (DELETE FROM u; DELETE FROM v)",
        Rule::SqlDeleteWithoutWhere,
    );
    flags(
        "CREATE TRIGGER tr AFTER INSERT ON t EXECUTE FUNCTION f()",
        Rule::SqlRuleOrTrigger,
    );
    flags(
        "CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        Rule::SqlRuleOrTrigger,
    );
    flags(
        "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()",
        Rule::SqlRuleOrTrigger,
    );
    flags("ALTER TABLE t DISABLE TRIGGER ALL", Rule::SqlRuleOrTrigger);
    flags(
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
        Rule::SqlReplacesCode,
    );
    flags(
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        Rule::SqlReplacesCode,
    );
    flags(
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE t; END $$",
        Rule::SqlDrop,
    );
    flags(
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END",
        Rule::SqlDeleteWithoutWhere,
    );
    flags(
        "CREATE FUNCTION f(int) RETURNS bool AS 'pg_terminate_backend' LANGUAGE internal",
        Rule::SqlOpaque,
    );
    clean("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$");
}

#[test]
fn server_privileges_and_locks() {
    flags("ALTER SYSTEM SET fsync = off", Rule::SqlServerControl);
    flags("LOAD 'evil'", Rule::SqlServerControl);
    flags("GRANT ALL ON t TO public", Rule::SqlPrivileges);
    flags("REVOKE SELECT ON t FROM app", Rule::SqlPrivileges);
    flags("ALTER ROLE app NOLOGIN", Rule::SqlPrivileges);
    flags("ALTER TABLE t OWNER TO someone", Rule::SqlPrivileges);
    flags("VACUUM FULL t", Rule::SqlExclusiveLock);
    flags("VACUUM (FULL, ANALYZE) t", Rule::SqlExclusiveLock);
    flags("REINDEX TABLE t", Rule::SqlExclusiveLock);
    flags("CLUSTER t USING i", Rule::SqlExclusiveLock);
    flags("LOCK TABLE t", Rule::SqlExclusiveLock);
    flags("LOCK t IN ACCESS EXCLUSIVE MODE", Rule::SqlExclusiveLock);
    flags("REFRESH MATERIALIZED VIEW mv", Rule::SqlExclusiveLock);
    flags(
        "ALTER TABLE t ALTER COLUMN c TYPE bigint",
        Rule::SqlExclusiveLock,
    );
    flags("SELECT * INTO new_table FROM t", Rule::SqlSelectInto);
    flags(
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
        Rule::SqlDeleteWithoutWhere,
    );
}

#[test]
fn functions_with_effects_outside_the_transaction() {
    for (text, rule) in [
        (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
            Rule::SqlOtherSessions,
        ),
        (
            "SELECT pg_catalog.pg_cancel_backend(1)",
            Rule::SqlOtherSessions,
        ),
        ("SELECT \"pg_terminate_backend\"(1)", Rule::SqlOtherSessions),
        ("SELECT PG_TERMINATE_BACKEND (1)", Rule::SqlOtherSessions),
        ("SELECT pg_promote()", Rule::SqlServerControl),
        ("SELECT pg_reload_conf()", Rule::SqlServerControl),
        (
            "SELECT pg_drop_replication_slot('s')",
            Rule::SqlServerControl,
        ),
        ("SELECT pg_stat_reset()", Rule::SqlServerControl),
        (
            "SELECT dblink_exec('host=x', 'DROP TABLE t')",
            Rule::SqlRemote,
        ),
        (
            "SELECT * FROM dblink('host=x', 'SELECT 1') AS r(x int)",
            Rule::SqlRemote,
        ),
        ("SELECT lo_unlink(42)", Rule::SqlLargeObject),
        ("SELECT lo_import('/etc/passwd')", Rule::SqlServerFiles),
        ("SELECT setval('s', 1)", Rule::SqlSequence),
        ("SELECT nextval('s')", Rule::SqlSequence),
        (
            "SELECT set_config('session_replication_role', 'replica', false)",
            Rule::SqlSetting,
        ),
        (
            "SELECT set_config(name, 'x', false) FROM settings",
            Rule::SqlOpaque,
        ),
        ("SET session_replication_role = replica", Rule::SqlSetting),
        (
            "SELECT query_to_xml('SELECT pg_reload_conf()', true, true, '')",
            Rule::SqlServerControl,
        ),
        (
            "SELECT query_to_xml(q, true, true, '') FROM queries",
            Rule::SqlOpaque,
        ),
        (
            "SELECT query_to_xml('SELECT ' || x, true, true, '')",
            Rule::SqlOpaque,
        ),
        (
            "SELECT x FROM t WHERE x = (SELECT pg_terminate_backend(1))",
            Rule::SqlOtherSessions,
        ),
    ] {
        flags(text, rule);
    }
    // The SQL sent through dblink is read too.
    flags("SELECT dblink_exec('c', 'DROP TABLE t')", Rule::SqlDrop);
    clean("SELECT 'pg_terminate_backend(1)'");
    clean("SELECT pg_terminate_backend FROM t");
}

#[test]
fn transaction_control_is_found_everywhere_and_nowhere_else() {
    for text in [
        "COMMIT; DROP TABLE t",
        "ROLLBACK; DROP TABLE t",
        "END; DROP TABLE t",
        "ABORT; DROP TABLE t",
        "BEGIN; DROP TABLE t",
        "START TRANSACTION READ WRITE",
        "commit and chain",
        "SAVEPOINT a",
        "RELEASE a",
        "ROLLBACK TO SAVEPOINT a",
        "PREPARE TRANSACTION 'x'",
        "SET TRANSACTION READ WRITE",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "SET default_transaction_read_only = off",
        "SET LOCAL transaction_read_only TO off",
        "SET SESSION transaction_read_only TO DEFAULT",
        "RESET transaction_read_only",
        "RESET ALL",
        "SELECT set_config('transaction_read_only', 'off', true)",
        "SELECT set_config('transaction_read_only', NULL, true)",
        "DO $$ BEGIN RESET transaction_read_only; END $$",
        "DO $$ BEGIN EXECUTE 'SET transaction_read_only = off'; END $$",
        "DO $$ BEGIN COMMIT; END $$",
        "/* hi */ COMMIT",
    ] {
        assert!(!tc(text).is_empty(), "{text:?} controls the transaction");
        // Never a gate reason: it is an error instead.
        assert!(
            !sql(text).contains(&Rule::SqlTransactionControl),
            "{text:?}"
        );
    }
    for text in [
        "SELECT 'COMMIT'",
        "-- COMMIT",
        "DO $$ BEGIN UPDATE t SET x = 1 WHERE id = 2; END $$",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
        "SET statement_timeout = 0",
        "SELECT current_setting('transaction_read_only')",
        "CREATE TABLE commits (id int)",
    ] {
        assert_eq!(tc(text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn statements_split_as_the_server_splits_them() {
    let ranges = |text: &str| -> Vec<String> {
        sql_statements(text)
            .into_iter()
            .map(|s| text[s.range].to_string())
            .collect()
    };
    assert_eq!(
        ranges("SELECT 1; SELECT ';'; -- x;\n SELECT $$;$$ /* ; */;"),
        vec!["SELECT 1", "SELECT ';'", "SELECT $$;$$"]
    );
    assert_eq!(
        ranges("CREATE RULE r AS ON INSERT TO t DO (DELETE FROM u; DELETE FROM v); SELECT 2"),
        vec![
            "CREATE RULE r AS ON INSERT TO t DO (DELETE FROM u; DELETE FROM v)",
            "SELECT 2"
        ]
    );
    assert_eq!(
        ranges(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; SELECT 3"
        ),
        vec![
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END",
            "SELECT 3"
        ]
    );
    assert_eq!(
        ranges("SELECT E'\\';'; SELECT 2"),
        vec!["SELECT E'\\';'", "SELECT 2"]
    );
    assert_eq!(ranges(" -- only a comment\n;;"), Vec::<String>::new());
    let meta = sql_statements("\\c db\nSELECT 1");
    assert!(meta[0].meta && !meta[1].meta, "{meta:?}");
}

#[test]
fn the_sql_scanner_never_panics_on_random_text() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::default();
    let alphabet = proptest::collection::vec(
        prop_oneof![
            Just("DO ".to_string()),
            Just("$$".to_string()),
            Just("$a$".to_string()),
            Just("'".to_string()),
            Just("E'\\".to_string()),
            Just("\"".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just(";".to_string()),
            Just("/*".to_string()),
            Just("*/".to_string()),
            Just("--".to_string()),
            Just("\n".to_string()),
            Just("BEGIN ATOMIC ".to_string()),
            Just("END ".to_string()),
            Just("CREATE FUNCTION f() AS ".to_string()),
            Just("DELETE FROM t WHERE ".to_string()),
            Just("EXECUTE ".to_string()),
            Just("PREPARE p AS ".to_string()),
            Just("MERGE INTO t USING s ON ".to_string()),
            Just("dblink_exec(".to_string()),
            Just("NOT ".to_string()),
            Just(" OR ".to_string()),
            Just("=".to_string()),
            Just("é".to_string()),
            Just("::".to_string()),
            "[a-z0-9 ,.]{0,6}".prop_map(|s| s),
        ],
        0..40,
    );
    let result = runner.run(&alphabet, |parts| {
        let text = parts.concat();
        for f in scan_sql(&text)
            .into_iter()
            .chain(sql_transaction_control(&text))
        {
            prop_assert!(text.get(f.span.clone()).is_some(), "{text:?} {f:?}");
        }
        for s in sql_statements(&text) {
            prop_assert!(text.get(s.range.clone()).is_some(), "{text:?} {s:?}");
        }
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn deep_or_long_conditions_stay_fast() {
    let started = std::time::Instant::now();
    let deep = format!(
        "DELETE FROM t WHERE {}x = 1{}",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let _ = scan_sql(&deep);
    let long = format!("DELETE FROM t WHERE {}", vec!["a = 1"; 50_000].join(" OR "));
    let _ = scan_sql(&long);
    let calls = format!("SELECT {}", vec!["f(1)"; 50_000].join(", "));
    let _ = scan_sql(&calls);
    let nested_calls = format!("SELECT {}1{}", "f(".repeat(20_000), ")".repeat(20_000));
    let _ = scan_sql(&nested_calls);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
