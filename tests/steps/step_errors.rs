//! The errors in-process step kinds hand the dispatch are typed: a caller
//! tells an unset variable in a URL, an unusable S3 setting, a refused
//! database connection, a psql command in a sql block and a missing
//! migrations folder apart by variant (`action::StepError`), and the
//! outcome the session records is that error's sentence with the secrets
//! masked. None of these needs a server: each fails before or at connecting.

use crate::support::in_process;

use runsheet::action::StepError;
use runsheet::db::conn::DbError;
use runsheet::db::migrations::ScanError;
use runsheet::db::{DbStepError, Refusal};
use runsheet::http::HttpError;
use runsheet::s3::S3Error;

fn runbook(front: &str, body: &str) -> String {
    format!("---\n{front}---\n# Errors\n\n## Phase {{#p}}\n\n{body}")
}

/// The error of a run that must fail, and the outcome's error text.
fn failed(r: in_process::Ran) -> (StepError, String) {
    let shown = r.outcome.error.clone();
    match (r.result, shown) {
        (Err(e), Some(shown)) => (e, shown),
        (other, shown) => panic!("expected an error, got {other:?} / {shown:?}"),
    }
}

#[test]
fn an_unset_variable_in_a_url_is_an_http_error_naming_it() {
    let text = runbook(
        "targets:\n  staging: {}\n",
        "### Health {#health}\n\n```http\nGET http://${RUNSHEET_TEST_NEVER_SET}/health\n\nHTTP 200\n```\n",
    );
    let (e, shown) = failed(in_process::run(&text, "staging", "health", &[], &[]));
    match &e {
        StepError::Http(HttpError::Unset { names, .. }) => {
            assert_eq!(names, &["RUNSHEET_TEST_NEVER_SET".to_string()]);
        }
        other => panic!("expected Http(Unset), got {other:?}"),
    }
    assert_eq!(shown, e.to_string());
    assert!(
        shown.contains("$RUNSHEET_TEST_NEVER_SET, which is not set"),
        "{shown}"
    );
}

#[test]
fn an_s3_setting_is_an_s3_error_and_its_secret_value_is_masked_in_the_outcome() {
    let text = runbook(
        "targets:\n  staging:\n    env:\n      RUNSHEET_S3_PART_SIZE: $PART\nvariables:\n  PART: { secret: true }\n",
        "### Up {#up}\n\n```s3\nupload ./a.txt s3://bucket/a.txt\n```\n",
    );
    let r = in_process::run(
        &text,
        "staging",
        "up",
        &[("PART", "hushhush")],
        &["hushhush"],
    );
    let (e, shown) = failed(r);
    assert!(matches!(e, StepError::S3(S3Error::Settings(_))), "{e:?}");
    // The typed error holds what it read; what is recorded does not.
    assert!(e.to_string().contains("`hushhush` is not a size"), "{e}");
    assert_eq!(shown, e.to_string().replace("hushhush", "***"));
}

#[test]
fn a_refused_database_connection_is_told_by_its_variant() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let text = runbook(
        "targets:\n  staging: { database: $DB_URL }\nvariables:\n  DB_URL: { secret: true }\n",
        "### Rows {#rows}\n\n```sql\nSELECT 1;\n```\n",
    );
    let url = format!("postgresql://app:pw@127.0.0.1:{port}/ledgerdb?sslmode=disable");
    let r = in_process::run(&text, "staging", "rows", &[("DB_URL", &url)], &["ledgerdb"]);
    let (e, shown) = failed(r);
    assert!(
        matches!(e, StepError::Db(DbStepError::Db(DbError::Refused { .. }))),
        "{e:?}"
    );
    assert!(e.to_string().contains("ledgerdb"), "{e}");
    assert_eq!(shown, e.to_string().replace("ledgerdb", "***"));
    assert!(
        shown.starts_with("cannot reach the database of target `staging`")
            && shown.ends_with("is the server running, and are the host and port right?"),
        "{shown}"
    );
}

#[test]
fn a_psql_command_is_refused_before_connecting() {
    // The database does not exist: the refusal comes first.
    let text = runbook(
        "targets:\n  staging: { database: \"postgresql://127.0.0.1:1/none\" }\n",
        "### Rows {#rows}\n\n```sql\n\\x\nSELECT 1;\n```\n",
    );
    let (e, shown) = failed(in_process::run(&text, "staging", "rows", &[], &[]));
    match &e {
        StepError::Db(DbStepError::Refused(Refusal::PsqlCommand(cmd))) => assert_eq!(cmd, "\\x"),
        other => panic!("expected Db(Refused(PsqlCommand)), got {other:?}"),
    }
    assert_eq!(
        shown,
        "`\\x` is a psql command, not SQL: run it in a shell step with psql; nothing was sent"
    );
}

#[test]
fn a_missing_migrations_folder_is_a_scan_error() {
    let text = runbook(
        "targets:\n  staging: { database: \"postgresql://127.0.0.1:1/none\" }\n",
        "### Pending {#pending}\n\n```migrations {dir=/nonexistent/runsheet-test/migrate}\n```\n",
    );
    let (e, shown) = failed(in_process::run(&text, "staging", "pending", &[], &[]));
    assert!(
        matches!(
            e,
            StepError::Db(DbStepError::Migrations(ScanError::Missing { .. }))
        ),
        "{e:?}"
    );
    assert_eq!(shown, e.to_string());
}
