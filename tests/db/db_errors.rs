//! Connection errors against a real PostgreSQL cluster: a caller tells a
//! refused connection from a wrong password, an unknown database, a TLS
//! failure or a bad connection string by the variant of `DbError`, not by
//! reading its text; and the text still says what to check.

use crate::support::pg;

use runsheet::db::conn::{DbConfig, DbError};

fn no_env(_: &str) -> Option<String> {
    None
}

fn config(url: &str) -> DbConfig {
    DbConfig::parse("staging", Some(url), &no_env).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// Connects with `url`; the error it fails with (a success is a failure
/// of the test).
fn connect_error(url: &str) -> DbError {
    let cfg = config(url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(cfg.connect()) {
        Ok(_) => panic!("{url} connected; expected an error"),
        Err(e) => e,
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().map(|a| a.port()).unwrap_or(1)
}

#[test]
fn a_refused_connection_and_a_wrong_password_are_different_variants() {
    let (staging, _) = pg::pair();
    let db = pg::unique_db("errors");
    staging.create_db(&db);

    let refused = connect_error(&format!(
        "postgresql://postgres:pw@127.0.0.1:{}/{db}?sslmode=disable",
        closed_port()
    ));
    assert!(
        matches!(refused, DbError::Refused { .. }),
        "expected Refused, got {refused:?}"
    );
    assert_eq!(refused.sqlstate(), None);
    let text = refused.to_string();
    assert!(
        text.starts_with("cannot reach the database of target `staging`")
            && text.ends_with("is the server running, and are the host and port right?"),
        "{text}"
    );

    let wrong = connect_error(&format!(
        "postgresql://postgres:hunter2-wrong@127.0.0.1:{}/{db}?sslmode=disable",
        staging.port()
    ));
    match &wrong {
        DbError::Authentication { code, .. } => assert_eq!(code, "28P01"),
        other => panic!("expected Authentication, got {other:?}"),
    }
    assert_eq!(wrong.sqlstate(), Some("28P01"));
    let text = wrong.to_string();
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(text.ends_with("; check the user and password"), "{text}");
    assert!(!text.contains("hunter2-wrong"), "{text}");
}

#[test]
fn an_unknown_database_is_its_own_variant() {
    let (staging, _) = pg::pair();
    let e = connect_error(&format!(
        "postgresql://postgres:{}@127.0.0.1:{}/no_such_database_here?sslmode=disable",
        staging.password(),
        staging.port()
    ));
    assert!(
        matches!(e, DbError::UnknownDatabase { .. }),
        "expected UnknownDatabase, got {e:?}"
    );
    assert_eq!(e.sqlstate(), Some("3D000"));
    assert!(e.to_string().ends_with("; check the database name"), "{e}");
}

#[test]
fn a_certificate_from_another_ca_is_a_tls_failure() {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("errors_tls");
    staging.create_db(&db);
    // Production's CA did not sign staging's certificate.
    let e = connect_error(&format!(
        "postgresql://postgres:{}@localhost:{}/{db}?sslmode=verify-full&sslrootcert={}",
        staging.password(),
        staging.port(),
        production.ca_cert().display()
    ));
    assert!(
        matches!(e, DbError::TlsHandshake { .. }),
        "expected TlsHandshake, got {e:?}"
    );
    assert!(
        e.to_string().ends_with("check sslmode and sslrootcert"),
        "{e}"
    );

    // A root file that is not there fails before anything is sent.
    let e = connect_error(&format!(
        "postgresql://postgres:pw@localhost:{}/{db}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        staging.port()
    ));
    assert!(matches!(e, DbError::Tls { .. }), "expected Tls, got {e:?}");
    assert!(e.to_string().contains("cannot read sslrootcert"), "{e}");
}

#[test]
fn a_bad_connection_string_is_refused_before_connecting() {
    for bad in [
        "postgresql://u@h/db?sslmode=sometimes",
        "host=h password='open",
        "host=h sslcert=/c.pem",
        "host=h bogus=1",
    ] {
        match DbConfig::parse("staging", Some(bad), &no_env) {
            Err(DbError::BadConnectionString { target, .. }) => assert_eq!(target, "staging"),
            Err(other) => panic!("{bad}: expected BadConnectionString, got {other:?}"),
            Ok(cfg) => panic!("{bad}: read as {cfg:?}"),
        }
    }
}

#[test]
fn a_failed_statement_carries_its_sqlstate() {
    let (staging, _) = pg::pair();
    let db = pg::unique_db("errors_query");
    staging.create_db(&db);
    let cfg = config(&staging.url(&db));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = runtime.block_on(async {
        let client = cfg.connect().await.unwrap();
        match client.simple_query("SELECT * FROM no_such_table").await {
            Ok(_) => panic!("the query succeeded"),
            Err(e) => DbError::query(&cfg.target, e),
        }
    });
    assert_eq!(e.sqlstate(), Some("42P01"), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("on `staging`: relation \"no_such_table\" does not exist"),
        "{e}"
    );
}
