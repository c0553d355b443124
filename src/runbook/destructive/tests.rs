use super::*;

fn rules(findings: &[Finding]) -> Vec<Rule> {
    findings.iter().map(|f| f.rule).collect()
}

fn sql(text: &str) -> Vec<Rule> {
    rules(&scan_sql(text))
}

fn shell(text: &str) -> Vec<Rule> {
    rules(&scan_shell(text))
}

/// The single finding of `rule` and the text its span covers.
fn only<'t>(text: &'t str, findings: &[Finding], rule: Rule) -> (&'t str, Finding) {
    assert_eq!(rules(findings), vec![rule], "in {text:?}: {findings:#?}");
    let f = findings[0].clone();
    (&text[f.span.clone()], f)
}

fn sql_span(text: &str, rule: Rule) -> &str {
    only(text, &scan_sql(text), rule).0
}

fn shell_span(text: &str, rule: Rule) -> &str {
    only(text, &scan_shell(text), rule).0
}

// ---- Rule ----

#[test]
fn rule_ids_are_unique_kebab_case_and_match_serde() {
    let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    for (rule, id) in Rule::ALL.iter().zip(&ids) {
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}"
        );
        assert!(!id.starts_with('-') && !id.ends_with('-') && !id.contains("--"));
        let json = serde_json::to_string(rule).unwrap_or_default();
        assert_eq!(json, format!("\"{id}\""));
        assert!(!rule.describe().is_empty());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), Rule::ALL.len());
    assert_eq!(Rule::ALL.len(), 55);
    assert_eq!(Rule::SqlDeleteWithoutWhere.id(), "sql-delete-without-where");
}

#[test]
fn finding_serializes_with_kebab_rule() {
    let f = &scan_sql("TRUNCATE t")[0];
    let json = serde_json::to_value(f).unwrap_or_default();
    assert_eq!(json["rule"], "sql-truncate");
    assert_eq!(json["span"]["start"], 0);
    assert_eq!(json["span"]["end"], 10);
    assert_eq!(json["excerpt"], "TRUNCATE t");
}

#[test]
fn excerpt_collapses_whitespace_and_truncates() {
    let (_, f) = only(
        "DELETE\n   FROM\tusers ;",
        &scan_sql("DELETE\n   FROM\tusers ;"),
        Rule::SqlDeleteWithoutWhere,
    );
    assert_eq!(f.excerpt, "DELETE FROM users");
    let long = format!("DROP TABLE {};", vec!["t"; 100].join(", "));
    let f = &scan_sql(&long)[0];
    assert_eq!(f.excerpt.chars().count(), 80);
    assert!(f.excerpt.ends_with('…'));
}

// ---- SQL: DROP / TRUNCATE ----

#[test]
fn sql_drop_flagged_with_statement_span() {
    assert_eq!(
        sql_span("DROP TABLE users;", Rule::SqlDrop),
        "DROP TABLE users"
    );
    assert_eq!(
        sql_span("  drop index concurrently idx_a ;\n", Rule::SqlDrop),
        "drop index concurrently idx_a"
    );
    assert_eq!(sql("DROP SCHEMA s CASCADE"), vec![Rule::SqlDrop]);
    assert_eq!(sql("Drop Database prod"), vec![Rule::SqlDrop]);
}

#[test]
fn sql_drop_not_flagged_elsewhere() {
    assert_eq!(sql("SELECT drop_count FROM stats"), vec![]);
    assert_eq!(sql("CREATE TABLE drops (id int)"), vec![]);
}

#[test]
fn sql_truncate() {
    assert_eq!(
        sql_span("TRUNCATE TABLE a, b CASCADE;", Rule::SqlTruncate),
        "TRUNCATE TABLE a, b CASCADE"
    );
    assert_eq!(sql("truncate audit_log"), vec![Rule::SqlTruncate]);
    assert_eq!(sql("SELECT truncate_log(); SELECT trunc(1.5)"), vec![]);
}

#[test]
fn sql_statements_are_split_and_ordered() {
    let text = "DROP TABLE a; SELECT 1; TRUNCATE b; DELETE FROM c WHERE id = 1; UPDATE d SET x = 1";
    let found = scan_sql(text);
    assert_eq!(
        rules(&found),
        vec![
            Rule::SqlDrop,
            Rule::SqlTruncate,
            Rule::SqlUpdateWithoutWhere
        ]
    );
    assert_eq!(&text[found[1].span.clone()], "TRUNCATE b");
    assert_eq!(&text[found[2].span.clone()], "UPDATE d SET x = 1");
}

// ---- SQL: DELETE / UPDATE ----

#[test]
fn sql_delete_without_where() {
    assert_eq!(
        sql_span("DELETE FROM users;", Rule::SqlDeleteWithoutWhere),
        "DELETE FROM users"
    );
    assert_eq!(
        sql("delete from users returning id"),
        vec![Rule::SqlDeleteWithoutWhere]
    );
}

#[test]
fn sql_delete_with_where_not_flagged() {
    assert_eq!(sql("DELETE FROM users WHERE id = 42;"), vec![]);
    assert_eq!(sql("DELETE FROM t WHERE CURRENT OF c"), vec![]);
    assert_eq!(sql("DELETE FROM t USING u WHERE t.id = u.id"), vec![]);
    assert_eq!(
        sql("DELETE FROM t WHERE id IN (SELECT id FROM u) RETURNING *"),
        vec![]
    );
}

#[test]
fn sql_with_cte_then_delete_without_where_flagged() {
    let text = "WITH stale AS (SELECT id FROM sessions) DELETE FROM sessions;";
    assert_eq!(
        sql_span(text, Rule::SqlDeleteWithoutWhere),
        "DELETE FROM sessions"
    );
    let text = "WITH RECURSIVE x(n) AS MATERIALIZED (SELECT 1) DELETE FROM t";
    assert_eq!(sql(text), vec![Rule::SqlDeleteWithoutWhere]);
}

#[test]
fn sql_where_inside_parentheses_does_not_count() {
    let cte = "WITH old AS (SELECT id FROM users WHERE created_at < now()) DELETE FROM users";
    assert_eq!(sql(cte), vec![Rule::SqlDeleteWithoutWhere]);
    let sub = "DELETE FROM users USING (SELECT id FROM banned WHERE x) b";
    assert_eq!(sql(sub), vec![Rule::SqlDeleteWithoutWhere]);
    let upd = "UPDATE users SET score = (SELECT max(s) FROM scores WHERE scores.u = users.id)";
    assert_eq!(sql(upd), vec![Rule::SqlUpdateWithoutWhere]);
    let cte_where = "WITH x AS (SELECT 1) DELETE FROM users WHERE id IN (SELECT * FROM x)";
    assert_eq!(sql(cte_where), vec![]);
}

#[test]
fn sql_data_modifying_cte_flagged_once_per_rule() {
    let text = "WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone";
    assert_eq!(
        sql_span(text, Rule::SqlDeleteWithoutWhere),
        "DELETE FROM t RETURNING *"
    );
    let twice = "WITH a AS (DELETE FROM x), b AS (DELETE FROM y) DELETE FROM z";
    assert_eq!(sql(twice), vec![Rule::SqlDeleteWithoutWhere]);
}

#[test]
fn sql_update_without_where() {
    assert_eq!(
        sql_span(
            "UPDATE users SET active = false;",
            Rule::SqlUpdateWithoutWhere
        ),
        "UPDATE users SET active = false"
    );
    assert_eq!(
        sql("WITH v AS (SELECT 1) UPDATE t SET a = 1"),
        vec![Rule::SqlUpdateWithoutWhere]
    );
    // A column called "where" is not a WHERE clause.
    assert_eq!(
        sql(r#"UPDATE t SET "where" = 1"#),
        vec![Rule::SqlUpdateWithoutWhere]
    );
    assert_eq!(
        sql("UPDATE t SET a = s.where FROM s"),
        vec![Rule::SqlUpdateWithoutWhere]
    );
}

#[test]
fn sql_update_with_where_not_flagged() {
    assert_eq!(sql("UPDATE users SET active = false WHERE id = 1"), vec![]);
    assert_eq!(sql("UPDATE t SET a = u.a FROM u WHERE t.id = u.id"), vec![]);
}

#[test]
fn sql_insert_on_conflict_do_update_not_flagged() {
    let text = "INSERT INTO counters (k, v) VALUES ('a', 1) \
                ON CONFLICT (k) DO UPDATE SET v = counters.v + 1;";
    assert_eq!(sql(text), vec![]);
    assert_eq!(sql("SELECT * FROM jobs FOR UPDATE SKIP LOCKED"), vec![]);
}

#[test]
fn sql_explain_only_flags_when_it_executes() {
    assert_eq!(sql("EXPLAIN DELETE FROM t"), vec![]);
    assert_eq!(
        sql("EXPLAIN ANALYZE DELETE FROM t"),
        vec![Rule::SqlDeleteWithoutWhere]
    );
    assert_eq!(
        sql_span(
            "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1",
            Rule::SqlUpdateWithoutWhere
        ),
        "UPDATE t SET a = 1"
    );
    assert_eq!(sql("EXPLAIN (ANALYZE false) DELETE FROM t"), vec![]);
}

// ---- SQL: ALTER ... DROP ----

#[test]
fn sql_alter_drop_flagged() {
    assert_eq!(
        sql_span("ALTER TABLE users DROP COLUMN email;", Rule::SqlAlterDrop),
        "ALTER TABLE users DROP COLUMN email"
    );
    assert_eq!(
        sql("ALTER TABLE users DROP CONSTRAINT users_email_key"),
        vec![Rule::SqlAlterDrop]
    );
    assert_eq!(
        sql("alter table users drop email"),
        vec![Rule::SqlAlterDrop]
    );
    let text = "ALTER TABLE t ALTER c DROP DEFAULT, DROP COLUMN d, ADD e int";
    assert_eq!(
        sql_span(text, Rule::SqlAlterDrop),
        "ALTER TABLE t ALTER c DROP DEFAULT, DROP COLUMN d"
    );
}

#[test]
fn sql_alter_harmless_drops_not_flagged() {
    assert_eq!(sql("ALTER TABLE t ALTER COLUMN c DROP DEFAULT"), vec![]);
    assert_eq!(sql("ALTER TABLE t ALTER COLUMN c DROP NOT NULL"), vec![]);
    assert_eq!(
        sql("ALTER TABLE t ALTER COLUMN c DROP IDENTITY IF EXISTS"),
        vec![]
    );
    assert_eq!(sql("ALTER TABLE t ALTER COLUMN c DROP EXPRESSION"), vec![]);
    assert_eq!(sql("ALTER TABLE t ADD COLUMN c int"), vec![]);
    assert_eq!(
        sql("ALTER FOREIGN TABLE f OPTIONS (DROP schema_name)"),
        vec![]
    );
}

// ---- SQL: literals, comments, meta-commands ----

#[test]
fn sql_keywords_in_literals_and_comments_not_matched() {
    for text in [
        "SELECT 'DROP TABLE x'",
        "SELECT 'it''s; DROP TABLE x'",
        "SELECT E'it\\'s; DROP TABLE x'",
        "-- DROP TABLE x",
        "SELECT 1 -- ; DROP TABLE x",
        "/* TRUNCATE */ SELECT 1",
        "/* outer /* inner */ DROP TABLE x; */ SELECT 1",
        "SELECT $$DROP TABLE x$$",
        "SELECT $fn$ ; DELETE FROM t; $fn$",
        r#"SELECT "DROP TABLE x" FROM t"#,
        r#"SELECT 1 AS "x; DROP TABLE y""#,
        "CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM t WHERE id = 1 $$ LANGUAGE sql",
        "\\echo DROP TABLE x",
    ] {
        assert_eq!(sql(text), vec![], "{text}");
    }
}

#[test]
fn sql_backslash_does_not_escape_a_standard_string() {
    // standard_conforming_strings: 'a\' is a whole string.
    let text = r"SELECT 'a\'; DROP TABLE x; --'";
    assert_eq!(sql_span(text, Rule::SqlDrop), "DROP TABLE x");
}

#[test]
fn sql_after_meta_command_is_scanned() {
    let text = "\\c production\nDROP TABLE x;";
    assert_eq!(sql_span(text, Rule::SqlDrop), "DROP TABLE x");
    // `\g` sends the buffer: the next line is a new statement.
    assert_eq!(
        sql("DELETE FROM t \\g\nSELECT 1 WHERE true;"),
        vec![Rule::SqlDeleteWithoutWhere]
    );
    assert_eq!(sql("\\x \\\\ TRUNCATE t"), vec![Rule::SqlTruncate]);
}

#[test]
fn sql_unterminated_literals_do_not_panic() {
    for text in [
        "SELECT 'DROP TABLE x",
        "SELECT E'\\",
        "SELECT \"DROP",
        "/* DROP TABLE x",
        "/* /* */ DROP TABLE x",
        "SELECT $$ DROP TABLE x",
        "SELECT $a$ DROP TABLE x $b$",
        "\\echo 'x",
        "EXPLAIN (ANALYZE",
    ] {
        assert_eq!(sql(text), vec![], "{text}");
    }
    // A condition cut short picks no rows: flagged, the safe side.
    assert_eq!(
        sql("DELETE FROM t WHERE ("),
        vec![Rule::SqlDeleteWithoutWhere]
    );
    assert_eq!(sql("DROP TABLE 'x"), vec![Rule::SqlDrop]);
    assert_eq!(
        sql("WITH x AS (DELETE FROM t"),
        vec![Rule::SqlDeleteWithoutWhere]
    );
}

// ---- Shell: pg_restore ----

const SEED_PG_RESTORE: &str = "pg_restore \\
  --host=\"$PROD_DB_HOST\" \\
  --dbname=\"$PROD_DB_NAME\" \\
  --clean \\
  --if-exists \\
  -v \\
  migration_data.dump
";

#[test]
fn shell_pg_restore_clean_seed() {
    let (covered, f) = only(
        SEED_PG_RESTORE,
        &scan_shell(SEED_PG_RESTORE),
        Rule::ShellPgRestoreClean,
    );
    assert!(covered.starts_with("pg_restore"));
    assert!(covered.ends_with("migration_data.dump"));
    assert_eq!(
        f.excerpt,
        "pg_restore --host=\"$PROD_DB_HOST\" --dbname=\"$PROD_DB_NAME\" --clean --if-exists …"
    );
}

#[test]
fn shell_pg_restore_clean_forms() {
    for text in [
        "pg_restore -c -d app dump.bin",
        "pg_restore -cv -d app dump.bin",
        "pg_restore -Cc -d postgres dump.bin",
        "pg_restore dump.bin --clean",
        "pg_restore --cl dump.bin",
        "/usr/lib/postgresql/16/bin/pg_restore -j4 -c dump.bin",
        "kubectl exec -n veylant deploy/postgres -- pg_restore --clean -d app /tmp/d",
    ] {
        assert_eq!(shell(text), vec![Rule::ShellPgRestoreClean], "{text}");
    }
    let text = "kubectl exec -n veylant deploy/postgres -- pg_restore --clean x";
    assert_eq!(
        shell_span(text, Rule::ShellPgRestoreClean),
        "pg_restore --clean x"
    );
}

#[test]
fn shell_pg_restore_without_clean_not_flagged() {
    for text in [
        "pg_restore --create -d postgres dump.bin",
        "pg_restore -C -d postgres dump.bin",
        "pg_restore -d clean dump.bin",
        "pg_restore -d clean_db dump.bin",
        "pg_restore -dclean dump.bin",
        "pg_restore --dbname=clean dump.bin",
        "pg_restore -l dump.bin -- -c",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

// ---- Shell: dropdb ----

#[test]
fn shell_dropdb() {
    assert_eq!(
        shell_span("dropdb app_prod", Rule::ShellDropdb),
        "dropdb app_prod"
    );
    assert_eq!(
        shell_span("sudo -u postgres dropdb --if-exists app", Rule::ShellDropdb),
        "dropdb --if-exists app"
    );
    assert_eq!(
        shell_span("docker exec db dropdb foo", Rule::ShellDropdb),
        "dropdb foo"
    );
    assert_eq!(
        shell_span("env X=1 dropdb x", Rule::ShellDropdb),
        "dropdb x"
    );
    assert_eq!(shell("PGHOST=db dropdb x"), vec![Rule::ShellDropdb]);
}

#[test]
fn shell_dropdb_mentions_not_flagged() {
    for text in [
        "echo \"dropdb x\"",
        "echo dropdb x",
        "grep -n dropdb runbook.md",
        "createdb x",
        "dropuser x",
        "# dropdb x",
        "echo 'ok' # then dropdb x",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

// ---- Shell: rm ----

#[test]
fn shell_rm_recursive_force_forms() {
    for text in [
        "rm -rf /tmp/x",
        "rm -fr /tmp/x",
        "rm -Rf /tmp/x",
        "rm -rfv /tmp/x",
        "rm -r -f /tmp/x",
        "rm --recursive --force /tmp/x",
        "rm -r --force /tmp/x",
        "rm /tmp/x -rf",
        "/bin/rm -rf x",
        "\\rm -rf x",
        "'rm' -rf x",
        "sudo rm -rf /var/lib/x",
        "find . -name '*.tmp' | xargs rm -rf",
        "find /x -type d -exec rm -rf {} \\;",
    ] {
        assert_eq!(shell(text), vec![Rule::ShellRmRecursiveForce], "{text}");
    }
    assert_eq!(
        shell_span("sudo rm -rf /tmp/x  ", Rule::ShellRmRecursiveForce),
        "rm -rf /tmp/x"
    );
}

#[test]
fn shell_rm_without_recursion_not_flagged() {
    for text in [
        "rm -f file",
        "rm file",
        "rm -- -r",
        "docker rm -f container",
        "echo \"rm -rf /\"",
        "# rm -rf /",
        "  # rm -rf /\nls",
        "echo rm -rf /",
        "printf 'rm -rf %s' /",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

#[test]
fn shell_one_finding_per_rule_and_command() {
    let text = "rm -rf a -rf b; rm -rf c";
    let found = scan_shell(text);
    assert_eq!(found.len(), 2);
    assert_eq!(&text[found[0].span.clone()], "rm -rf a -rf b");
    assert_eq!(&text[found[1].span.clone()], "rm -rf c");
}

// ---- Shell: kubectl ----

#[test]
fn shell_kubectl_delete() {
    for text in [
        "kubectl delete pod x",
        "kubectl --context=prod delete pod x",
        "kubectl -n x delete deploy y",
        "time kubectl delete pod x",
        "KUBECONFIG=/k kubectl delete ns veylant",
    ] {
        assert_eq!(shell(text), vec![Rule::ShellKubectlDelete], "{text}");
    }
    assert_eq!(
        shell_span("time kubectl delete pod x", Rule::ShellKubectlDelete),
        "kubectl delete pod x"
    );
}

#[test]
fn shell_kubectl_without_delete_not_flagged() {
    for text in [
        "kubectl get nodes -n veylant --context=production",
        "kubectl get pods",
        "kubectl create job x --from=cronjob/y",
        "kubectl exec pod -- tool delete",
        "kubectl logs deploy/app | grep delete",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

// ---- Shell: aws ----

#[test]
fn shell_aws_s3_deletes() {
    for text in [
        "aws s3 rm s3://bucket/key",
        "aws s3 rm --recursive s3://bucket/prefix",
        "aws s3 rb s3://bucket --force",
        "aws s3 mv s3://a/k s3://b/k",
        "aws s3 sync ./out s3://bucket --delete",
        "aws --profile prod --region eu-west-1 s3 rm s3://x/y",
        "aws s3api delete-object --bucket b --key k",
        "aws s3api delete-objects --bucket b --delete file://d.json",
        "aws s3api delete-bucket --bucket b",
    ] {
        assert_eq!(shell(text), vec![Rule::ShellAwsS3Rm], "{text}");
    }
}

#[test]
fn shell_aws_reads_not_flagged() {
    for text in [
        "aws s3 cp backup.sql.gz s3://bucket/",
        "aws s3 ls s3://bucket",
        "aws s3 sync ./out s3://bucket",
        "aws s3api get-object --bucket b --key rm out",
        "aws ec2 describe-instances",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

// ---- Shell: redis ----

#[test]
fn shell_redis_flush() {
    assert_eq!(
        shell_span("redis-cli -h cache FLUSHALL", Rule::ShellRedisFlush),
        "redis-cli -h cache FLUSHALL"
    );
    assert_eq!(
        shell("redis-cli flushdb async"),
        vec![Rule::ShellRedisFlush]
    );
    assert_eq!(
        shell_span("echo FLUSHALL | redis-cli", Rule::ShellRedisFlush),
        "FLUSHALL"
    );
    assert_eq!(
        shell("kubectl exec redis-0 -- redis-cli FlushDB"),
        vec![Rule::ShellRedisFlush]
    );
}

#[test]
fn shell_redis_reads_not_flagged() {
    for text in [
        "redis-cli -h cache INFO keyspace",
        "redis-cli GET flushall_marker",
        "grep FLUSHALL /var/log/redis.log",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

// ---- Shell: psql ----

#[test]
fn shell_psql_dash_c_span_points_into_quoted_sql() {
    let text = r#"psql "$DATABASE_URL" -c "DROP TABLE users;""#;
    let (covered, f) = only(text, &scan_shell(text), Rule::ShellSql);
    assert_eq!(covered, "DROP TABLE users");
    assert_eq!(f.excerpt, "DROP TABLE users");
}

#[test]
fn shell_psql_command_forms() {
    for (text, covered) in [
        ("psql -tAc 'TRUNCATE jobs'", "TRUNCATE jobs"),
        ("psql --command='DELETE FROM t'", "DELETE FROM t"),
        ("psql --command \"DELETE FROM t\"", "DELETE FROM t"),
        ("psql -c'UPDATE t SET a=1' db", "UPDATE t SET a=1"),
        ("psql -X -c \"SELECT 1; DROP VIEW v\"", "DROP VIEW v"),
        (
            r#"psql -c "DELETE FROM \"users\"""#,
            r#"DELETE FROM \"users\""#,
        ),
        ("psql -c \"DELETE FROM ünïcödé\"", "DELETE FROM ünïcödé"),
        (
            "kubectl exec -i db-0 -- psql -U app -c 'ALTER TABLE t DROP COLUMN c'",
            "ALTER TABLE t DROP COLUMN c",
        ),
    ] {
        assert_eq!(shell_span(text, Rule::ShellSql), covered, "{text}");
    }
}

#[test]
fn shell_psql_one_finding_per_statement() {
    let text = "psql -c 'DROP TABLE a; TRUNCATE b; SELECT 1'";
    let found = scan_shell(text);
    assert_eq!(rules(&found), vec![Rule::ShellSql, Rule::ShellSql]);
    assert_eq!(&text[found[0].span.clone()], "DROP TABLE a");
    assert_eq!(&text[found[1].span.clone()], "TRUNCATE b");
    let text = "psql -c 'WITH d AS (DELETE FROM a) UPDATE b SET x = 1'";
    assert_eq!(shell(text), vec![Rule::ShellSql]);
}

#[test]
fn shell_psql_harmless_not_flagged() {
    for text in [
        "STAGING_USERS=$(psql \"$STAGING_DB_URL\" -t -c \"SELECT COUNT(*) FROM users;\")",
        "psql -d clean_db -c 'SELECT 1'",
        "psql -c \"SELECT 'DROP TABLE x'\"",
        "psql -v ON_ERROR_STOP=1 -c '\\dt'",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

#[test]
fn shell_psql_heredoc_scanned() {
    let text = "psql \"$DB\" <<'SQL'\nBEGIN;\nTRUNCATE audit_log;\nCOMMIT;\nSQL\necho done\n";
    assert_eq!(shell_span(text, Rule::ShellSql), "TRUNCATE audit_log");
    let text = "psql <<-EOF\n\tDELETE FROM t;\n\tEOF\n";
    assert_eq!(shell_span(text, Rule::ShellSql), "DELETE FROM t");
    let text = "kubectl exec -i db-0 -- psql -U app <<\"EOF\"\nDROP TABLE t;\nEOF";
    assert_eq!(shell_span(text, Rule::ShellSql), "DROP TABLE t");
    let text = "cat <<EOF | psql \"$URL\"\nTRUNCATE t;\nEOF\n";
    assert_eq!(shell_span(text, Rule::ShellSql), "TRUNCATE t");
}

#[test]
fn shell_psql_heredoc_harmless_or_not_psql() {
    let text = "psql <<SQL\nSELECT 1;\n-- DROP TABLE x;\nSQL\n";
    assert_eq!(shell(text), vec![]);
    let text = "cat > fix.sql <<'EOF'\nDROP TABLE x;\nrm -rf /\nEOF\n";
    assert_eq!(shell(text), vec![]);
    // After the terminator, lines are commands again.
    let text = "cat <<EOF\nhello\nEOF\nrm -rf /tmp/x\n";
    assert_eq!(
        shell_span(text, Rule::ShellRmRecursiveForce),
        "rm -rf /tmp/x"
    );
}

#[test]
fn shell_psql_stdin_from_herestring_and_echo() {
    let text = "psql \"$URL\" <<< 'DROP TABLE t'";
    assert_eq!(shell_span(text, Rule::ShellSql), "DROP TABLE t");
    let text = "echo \"DELETE FROM t;\" | psql";
    assert_eq!(shell_span(text, Rule::ShellSql), "DELETE FROM t");
    assert_eq!(shell("echo 'SELECT 1' | psql"), vec![]);
}

// ---- Shell: code run by another program ----

#[test]
fn shell_dash_c_scanned_recursively() {
    let text = r#"bash -c "rm -rf /tmp/x && echo ok""#;
    assert_eq!(
        shell_span(text, Rule::ShellRmRecursiveForce),
        "rm -rf /tmp/x"
    );
    assert_eq!(shell("sh -ec 'dropdb x'"), vec![Rule::ShellDropdb]);
    assert_eq!(shell("su postgres -c 'dropdb x'"), vec![Rule::ShellDropdb]);
    let text = r#"kubectl exec db-0 -- sh -c "psql -c 'DROP TABLE x'""#;
    assert_eq!(shell_span(text, Rule::ShellSql), "DROP TABLE x");
    let text = "ssh db1 'sudo -u postgres dropdb x'";
    assert_eq!(shell_span(text, Rule::ShellDropdb), "dropdb x");
    let text = "ssh db1 <<'EOF'\nrm -rf /data\nEOF\n";
    assert_eq!(
        shell_span(text, Rule::ShellRmRecursiveForce),
        "rm -rf /data"
    );
    assert_eq!(shell("bash -c 'echo rm -rf /'"), vec![]);
    // ssh and eval join their arguments: one finding per remote command.
    let text = "ssh -i key -p 22 db1 sudo 'rm -rf /x'";
    assert_eq!(shell_span(text, Rule::ShellRmRecursiveForce), "rm -rf /x");
    assert_eq!(
        shell_span("ssh db1 dropdb x", Rule::ShellDropdb),
        "dropdb x"
    );
    assert_eq!(
        shell_span("eval dropdb app", Rule::ShellDropdb),
        "dropdb app"
    );
    let text = "watch -n 5 'kubectl delete pod -l app=x'";
    assert_eq!(
        shell_span(text, Rule::ShellKubectlDelete),
        "kubectl delete pod -l app=x"
    );
    // With a remote command, stdin is that command's input, not shell code.
    assert_eq!(
        shell("ssh db1 'cat > notes' <<'EOF'\nrm -rf /data\nEOF\n"),
        vec![]
    );
    assert_eq!(
        shell("ssh db1 bash -s <<'EOF'\ndropdb x\nEOF\n"),
        vec![Rule::ShellDropdb]
    );
    assert_eq!(
        shell("ssh db1 psql <<'EOF'\nDROP TABLE x;\nEOF\n"),
        vec![Rule::ShellSql]
    );
    assert_eq!(shell("bash -c 'echo hi'"), vec![]);
}

#[test]
fn shell_command_substitutions_scanned() {
    let text = "X=$(rm -rf /tmp/x)";
    assert_eq!(
        shell_span(text, Rule::ShellRmRecursiveForce),
        "rm -rf /tmp/x"
    );
    let text = "echo \"removed: $(dropdb old)\"";
    assert_eq!(shell_span(text, Rule::ShellDropdb), "dropdb old");
    let text = "echo `kubectl delete pod x`";
    assert_eq!(
        shell_span(text, Rule::ShellKubectlDelete),
        "kubectl delete pod x"
    );
    let text = "N=$(echo $(psql -tc 'TRUNCATE t'))";
    assert_eq!(shell_span(text, Rule::ShellSql), "TRUNCATE t");
    let text = "diff <(redis-cli FLUSHALL) expected";
    assert_eq!(
        shell_span(text, Rule::ShellRedisFlush),
        "redis-cli FLUSHALL"
    );
    // An unquoted heredoc body is expanded; a quoted one is not.
    assert_eq!(
        shell("cat <<EOF\n$(dropdb x)\nEOF\n"),
        vec![Rule::ShellDropdb]
    );
    assert_eq!(shell("cat <<'EOF'\n$(dropdb x)\nEOF\n"), vec![]);
    assert_eq!(shell("echo '$(dropdb x)'"), vec![]);
}

#[test]
fn shell_seed_negatives() {
    for text in [
        "kubectl get nodes -n veylant --context=production",
        "pg_dump --host=\"$STAGING_DB_HOST\" --table=users --format=custom -f migration_data.dump",
        "gunzip -t backup.sql.gz && echo \"Backup OK\"",
        "STAGING_USERS=$(psql \"$STAGING_DB_URL\" -t -c \"SELECT COUNT(*) FROM users;\")",
        "docker exec app bin/rails db:migrate:status | grep -c \"^\\s*down\" || echo \"0\"",
    ] {
        assert_eq!(shell(text), vec![], "{text}");
    }
}

#[test]
fn shell_findings_ordered_across_commands() {
    let text = "set -e\n# backup first\npg_dump db > d.sql\ndropdb db && \\\n  rm -rf /srv/db\nkubectl delete pod x\n";
    let found = scan_shell(text);
    assert_eq!(
        rules(&found),
        vec![
            Rule::ShellDropdb,
            Rule::ShellRmRecursiveForce,
            Rule::ShellKubectlDelete
        ]
    );
    assert_eq!(&text[found[0].span.clone()], "dropdb db");
    assert_eq!(&text[found[1].span.clone()], "rm -rf /srv/db");
}

#[test]
fn shell_unterminated_input_does_not_panic() {
    for text in [
        "echo \"rm -rf /",
        "echo 'rm -rf /",
        "echo $'rm -rf",
        "psql -c \"DROP TABLE",
        "psql <<EOF\nDROP TABLE t;",
        "cat <<",
        "x=$(",
        "x=$((1+",
        "echo `",
        "echo ${x",
        "arr=(a b",
        "echo \\",
        "bash -c",
        "psql -c",
    ] {
        let _ = scan_shell(text);
    }
    assert_eq!(
        shell("x=$(rm -rf /tmp/x"),
        vec![Rule::ShellRmRecursiveForce]
    );
    // An unterminated heredoc runs to the end of the text.
    assert_eq!(shell("psql <<EOF\nDROP TABLE t;"), vec![Rule::ShellSql]);
}

// ---- Migration names ----

#[test]
fn migration_names_flagged() {
    for (name, word) in [
        ("20240101_remove_email_from_users.rb", "remove"),
        ("RemoveEmailFromUsers", "Remove"),
        ("003_drop_old_table.up.sql", "drop"),
        ("V2__Delete_legacy.sql", "Delete"),
        ("ClearCache", "Clear"),
        ("destroy-sessions", "destroy"),
        ("TRUNCATE_events", "TRUNCATE"),
        ("HTMLDropOldColumns", "Drop"),
    ] {
        let Some(f) = scan_migration_name(name) else {
            panic!("{name} not flagged");
        };
        assert_eq!(f.rule, Rule::MigrationName);
        assert_eq!(&name[f.span.clone()], word, "{name}");
        assert_eq!(f.excerpt, name);
    }
}

#[test]
fn migration_names_not_flagged() {
    for name in [
        "AddDropdownToForm",
        "add_clearance_level",
        "CreateDeletedItemsTable",
        "AddRemovedAtToUsers",
        "Truncated",
        "HTMLParser",
        "20240101_create_users.rb",
        "",
    ] {
        assert_eq!(scan_migration_name(name), None, "{name}");
    }
}

// ---- Robustness ----

const TRICKY: &[&str] = &[
    "WITH x AS (DELETE FROM ü WHERE a = 'é''; DROP' /* /* ✓ */ */) DELETE FROM t; -- ✓\n\\c db 'q\n$tag$ DROP $tag$ E'\\'' \"id\"\"x\" $1 TRUNCATE t",
    "ALTER TABLE t DROP COLUMN c, ALTER d DROP DEFAULT; UPDATE t SET a = (SELECT 1 WHERE b) ;",
    "psql -tAc \"DELETE FROM ☃ WHERE x = \\\"y\\\"\" <<-'E'\n\tTRUNCATE ☃;\n\tE\nrm -rf \"/tmp/☃\" $'a\\'b' ${x:-$(dropdb y)} `kubectl delete po z`",
    "bash -c \"ssh h 'psql -c \\\"DROP TABLE é\\\"'\" && echo é | psql; cat <<X | psql\nDROP TABLE ü;\nX\naws s3 rm s3://ü/é",
    "x=(a b) y=$((1+2)) diff <(redis-cli FLUSHALL) >(cat) 2>&1 &>/dev/null { rm -rf a; } ; (pg_restore -cv d)",
];

fn assert_spans_sane(text: &str, findings: &[Finding]) {
    for f in findings {
        assert!(f.span.start <= f.span.end, "{text:?} {f:?}");
        assert!(f.span.end <= text.len(), "{text:?} {f:?}");
        assert!(text.is_char_boundary(f.span.start), "{text:?} {f:?}");
        assert!(text.is_char_boundary(f.span.end), "{text:?} {f:?}");
        assert!(f.excerpt.chars().count() <= 80);
    }
    assert!(
        findings
            .windows(2)
            .all(|w| w[0].span.start <= w[1].span.start),
        "{text:?} {findings:?}"
    );
}

#[test]
fn every_prefix_and_suffix_is_safe() {
    for input in TRICKY {
        let cuts = input.char_indices().map(|(i, _)| i).chain([input.len()]);
        for cut in cuts {
            for text in [&input[..cut], &input[cut..]] {
                assert_spans_sane(text, &scan_sql(text));
                assert_spans_sane(text, &scan_shell(text));
                if let Some(f) = scan_migration_name(text) {
                    assert_spans_sane(text, &[f]);
                }
            }
        }
    }
}

#[test]
fn tricky_inputs_find_what_they_hide() {
    let found = scan_shell(TRICKY[2]);
    let covered: Vec<&str> = found.iter().map(|f| &TRICKY[2][f.span.clone()]).collect();
    assert_eq!(
        covered,
        vec![
            "TRUNCATE ☃",
            "rm -rf \"/tmp/☃\" $'a\\'b' ${x:-$(dropdb y)} `kubectl delete po z`",
            "dropdb y",
            "kubectl delete po z",
        ],
        "{found:#?}"
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("{}rm -rf x{}", "$(".repeat(500), ")".repeat(500));
    let _ = scan_shell(&deep);
    let deep_sql = format!(
        "{}DELETE FROM t{}",
        "WITH a AS (".repeat(500),
        ")".repeat(500)
    );
    let _ = scan_sql(&deep_sql);
    let backticks = "`".repeat(1000);
    let _ = scan_shell(&backticks);
}
