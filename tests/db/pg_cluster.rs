//! The PostgreSQL test harness (tests/support/pg.rs) starts real clusters:
//! reachable, distinct, password-protected over TCP, with TLS, and gone once
//! dropped or once the process that started them is killed.

use crate::support::pg;

use pg::{Cluster, pair, unique_db};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `psql -c sql` over TCP with a libpq connection string, as a client would.
fn psql_tcp(cluster: &Cluster, conninfo: &str, password: &str, sql: &str) -> Output {
    Command::new(cluster.bin("psql"))
        .args(["-X", "-At", "-w", "-d", conninfo, "-c", sql])
        .env("PGPASSWORD", password)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run psql")
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).is_ok()
}

#[test]
fn both_clusters_answer() {
    let (staging, production) = pair();
    assert_eq!(staging.psql("postgres", "select 1"), "1");
    assert_eq!(production.psql("postgres", "select 1"), "1");
    assert_ne!(staging.port(), production.port());
}

#[test]
fn staging_and_production_are_different_clusters() {
    let (staging, production) = pair();
    let id = "select system_identifier from pg_control_system()";
    let staging_id = staging.psql("postgres", id);
    let production_id = production.psql("postgres", id);
    assert!(!staging_id.is_empty());
    assert_ne!(staging_id, production_id);
}

#[test]
fn right_password_and_verified_tls_over_tcp() {
    let (staging, _) = pair();
    // verify-full: the server certificate chains to ca_cert() and names localhost.
    let conninfo = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=postgres \
         sslmode=verify-full sslrootcert={}",
        staging.port(),
        staging.ca_cert().display()
    );
    let out = psql_tcp(
        staging,
        &conninfo,
        staging.password(),
        "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t");

    // The URL form, with the IP address checked against the certificate too.
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        staging.url("postgres"),
        staging.ca_cert().display()
    );
    let out = psql_tcp(staging, &url, "", "select current_user");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "postgres");
}

#[test]
fn wrong_password_is_refused_over_tcp() {
    let (_, production) = pair();
    let conninfo = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        production.port()
    );
    let out = psql_tcp(production, &conninfo, "not-the-password", "select 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong password was accepted");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
}

#[test]
fn ssl_is_on() {
    let (staging, production) = pair();
    assert_eq!(staging.psql("postgres", "show ssl"), "on");
    assert_eq!(production.psql("postgres", "show ssl"), "on");
}

#[test]
fn created_database_is_visible() {
    let (staging, production) = pair();
    let db = unique_db("visible");
    staging.create_db(&db);
    let sql = format!("select count(*) from pg_database where datname = '{db}'");
    assert_eq!(staging.psql("postgres", &sql), "1");
    assert_eq!(production.psql("postgres", &sql), "0");
    assert_eq!(staging.psql(&db, "select current_database()"), db);
    assert_eq!(
        staging.psql(
            &db,
            "create table t (n int); insert into t values (1), (2); select n, n * 10 from t"
        ),
        "1|10\n2|20"
    );
}

#[test]
fn unique_db_names_differ() {
    assert_ne!(unique_db("a"), unique_db("a"));
}

#[test]
fn a_dropped_cluster_is_stopped_and_deleted() {
    let cluster = Cluster::start("dropped");
    let port = cluster.port();
    let dir = cluster.dir().to_owned();
    assert_eq!(cluster.psql("postgres", "select 1"), "1");
    assert!(accepts_connections(port));
    drop(cluster);
    assert!(
        !accepts_connections(port),
        "port {port} still accepts connections"
    );
    assert!(!dir.exists(), "{} still exists", dir.display());
}

/// Run by `a_killed_process_leaves_no_cluster` in a child process: starts a
/// cluster, says where, and waits to be killed.
#[test]
#[ignore = "helper: run by a_killed_process_leaves_no_cluster"]
fn child_holding_a_cluster() {
    if std::env::var_os("RUNSHEET_PG_CHILD").is_none() {
        return;
    }
    let cluster = Cluster::start("killed");
    println!("CLUSTER {} {}", cluster.port(), cluster.dir().display());
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_killed_process_leaves_no_cluster() {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            test_path("child_holding_a_cluster").as_str(),
            "--nocapture",
        ])
        .env("RUNSHEET_PG_CHILD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the child test process");
    let stdout = child.stdout.take().expect("no stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("CLUSTER "))
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the child process did not start a cluster")
        });
    let mut fields = line.splitn(3, ' ').skip(1);
    let port: u16 = fields
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("bad line {line:?}"));
    let dir = PathBuf::from(fields.next().unwrap_or_else(|| panic!("bad line {line:?}")));
    assert!(accepts_connections(port));

    child.kill().expect("cannot kill the child"); // SIGKILL: no Drop, no atexit
    let _ = child.wait();
    let killed = Instant::now();
    while accepts_connections(port) || dir.exists() {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "10 s after SIGKILL: port {port} open: {}, {} exists: {}",
            accepts_connections(port),
            dir.display(),
            dir.exists()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "cluster of a killed process gone after {:.2?}",
        killed.elapsed()
    );
}

/// The name libtest knows `test` by: its module path in this test binary,
/// without the binary's own name (`pg_cluster::child_holding_a_cluster`).
fn test_path(test: &str) -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_string(),
    }
}
