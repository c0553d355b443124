//! Database steps run through the dispatch against a real cluster: what
//! went wrong is a variant of `action::StepError::Db`, not a sentence to
//! read (a wrong password, a block that escaped its read-only transaction,
//! a batch key or a compare key that is not there), and the outcome the
//! session records is that variant's sentence, as the operator saw before.

use crate::support::{in_process, pg};

use runsheet::action::StepError;
use runsheet::db::conn::DbError;
use runsheet::db::{DbStepError, Escape};

const SEED: &str = "CREATE TABLE users (id int primary key, email text);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 20) g;
CREATE TABLE labels (name text primary key);
CREATE FUNCTION sneaky() RETURNS void LANGUAGE plpgsql AS $$
BEGIN RESET transaction_read_only; UPDATE users SET email = 'pwned' WHERE id = 1; END $$;";

fn runbook(body: &str) -> String {
    format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\n  production: {{ database: $PROD_DB_URL }}\nvariables:\n  STAGING_DB_URL: {{ secret: true }}\n  PROD_DB_URL: {{ secret: true }}\n---\n# Db\n\n## Phase {{#p}}\n\n{body}"
    )
}

/// Runs `step` of `body` with both targets on a fresh database (the
/// production one on the other cluster); `staging_url` replaces
/// staging's URL when given.
fn error_of(db: &str, body: &str, step: &str, staging_url: Option<String>) -> (StepError, String) {
    let (staging, production) = pg::pair();
    let staging_url = staging_url.unwrap_or_else(|| format!("{}?sslmode=disable", staging.url(db)));
    let prod_url = format!("{}?sslmode=disable", production.url(db));
    let values = [
        ("STAGING_DB_URL", staging_url.as_str()),
        ("PROD_DB_URL", prod_url.as_str()),
    ];
    let r = in_process::run(&runbook(body), "staging", step, &values, &[]);
    match (r.result, r.outcome.error) {
        (Err(e), Some(shown)) => {
            assert_eq!(shown, e.to_string());
            (e, shown)
        }
        (other, shown) => panic!("{step}: expected an error, got {other:?} / {shown:?}"),
    }
}

#[test]
fn each_database_step_failure_is_its_own_variant() {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("step_errors");
    for c in [staging, production] {
        c.create_db(&db);
        c.psql(&db, SEED);
    }

    // A wrong password: the connection's own variant, with its SQLSTATE.
    let wrong = format!(
        "postgresql://postgres:not-the-password@127.0.0.1:{}/{db}?sslmode=disable",
        staging.port()
    );
    let (e, shown) = error_of(
        &db,
        "### Rows {#rows}\n\n```sql\nSELECT 1;\n```\n",
        "rows",
        Some(wrong),
    );
    assert!(
        matches!(
            e,
            StepError::Db(DbStepError::Db(DbError::Authentication { .. }))
        ),
        "{e:?}"
    );
    assert!(matches!(&e, StepError::Db(d) if d.sqlstate() == Some("28P01")));
    assert!(shown.ends_with("; check the user and password"), "{shown}");

    // A function that turns the read-only block read-write: caught after
    // the statement, which is the block's first.
    let (e, shown) = error_of(
        &db,
        "### Sneaky {#sneaky}\n\n```sql\nSELECT sneaky();\n```\n",
        "sneaky",
        None,
    );
    match &e {
        StepError::Db(DbStepError::Escaped {
            target,
            why: Escape::TurnedReadWrite { n, .. },
        }) => assert_eq!((target.as_str(), *n), ("staging", 1)),
        other => panic!("expected Escaped(TurnedReadWrite), got {other:?}"),
    }
    assert!(
        shown.ends_with("ran nothing after it (on `staging`)"),
        "{shown}"
    );
    assert_eq!(
        staging.psql(&db, "SELECT email FROM users WHERE id = 1"),
        "user1@example.com"
    );

    // A batch key that is not a column.
    let (e, shown) = error_of(
        &db,
        "### Copy {#copy}\n\n```sql {writes batch=users.nope batch-size=5}\nUPDATE users SET email = email WHERE id > $1 AND id <= $2\n```\n",
        "copy",
        None,
    );
    assert!(
        matches!(&e, StepError::Db(DbStepError::NoBatchKey { table, key }) if table == "users" && key == "nope"),
        "{e:?}"
    );
    assert!(shown.contains("check batch=TABLE.KEY"), "{shown}");

    // A batch statement with a parameter beyond its two bounds.
    let (e, _) = error_of(
        &db,
        "### Copy {#copy}\n\n```sql {writes batch=users.id batch-size=5}\nUPDATE users SET email = $3 WHERE id > $1 AND id <= $2\n```\n",
        "copy",
        None,
    );
    assert!(
        matches!(e, StepError::Db(DbStepError::BatchParameters(3))),
        "{e:?}"
    );

    // A checksum compare keyed on a column a table lacks.
    let (e, shown) = error_of(
        &db,
        "### Compare {#cmp}\n\n```compare {left=staging right=production mode=checksum key=id}\nlabels\n```\n",
        "cmp",
        None,
    );
    match &e {
        StepError::Db(DbStepError::NoKeyColumn { table, key, .. }) => {
            assert_eq!((table.as_str(), key.as_str()), ("labels", "id"));
        }
        other => panic!("expected NoKeyColumn, got {other:?}"),
    }
    assert!(
        shown.contains("has no column `id` to use as key"),
        "{shown}"
    );
}
