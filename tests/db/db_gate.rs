//! A gate names the database it lands on as a real server identified it
//! at the start: host, port, database, server version, system identifier.

use crate::support::pg;
use crate::support::workdir;

use std::io::Write;
use std::process::Stdio;
use workdir::{Workdir, text};

const RB: &str = "---
targets:
  staging: { database: $STAGING_DB_URL }
  production: { protected: true, database: $PROD_DB_URL }
variables:
  STAGING_DB_URL: { secret: true }
  PROD_DB_URL: { secret: true }
  TABLE: {}
---
# Db

## Phase {#p}

### Empty the table {#empty}

```sql {writes target=production}
DELETE FROM ${TABLE};
```
";

#[test]
fn the_gate_shows_the_real_servers_version_and_system_identifier() {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("gate");
    for c in [staging, production] {
        c.create_db(&db);
        c.psql(
            &db,
            "CREATE TABLE jobs (id int); INSERT INTO jobs VALUES (1);",
        );
    }
    let version = production.psql(&db, "SHOW server_version");
    let system = production.psql(&db, "SELECT system_identifier FROM pg_control_system()");
    let mut w = Workdir::new();
    w.set(
        "STAGING_DB_URL",
        &format!("{}?sslmode=disable", staging.url(&db)),
    )
    .set(
        "PROD_DB_URL",
        &format!("{}?sslmode=disable", production.url(&db)),
    )
    .set("TABLE", "jobs");
    w.write("r.md", RB);
    let mut child = w
        .cmd(&["run", "r.md", "--target", "production", "--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runsheet");
    // Enter runs the step: its gate; Enter refuses; q leaves.
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(b"\n\nq\n");
    }
    let out = child.wait_with_output().expect("wait runsheet");
    let all = text(&out);
    for want in [
        "where it lands: production (protected)".to_string(),
        format!(
            "database {db} on host 127.0.0.1, port {}",
            production.port()
        ),
        format!("PostgreSQL {version} · system identifier {system}"),
        "│ DELETE FROM jobs;".to_string(),
        "values: $TABLE = jobs".to_string(),
    ] {
        assert!(all.contains(&want), "`{want}` not on the gate:\n{all}");
    }
    assert!(!all.contains(production.password()), "{all}");
    assert_eq!(production.psql(&db, "SELECT count(*) FROM jobs"), "1");
}
