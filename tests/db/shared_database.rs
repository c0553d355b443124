//! Two targets on one database stop the session before its first step,
//! however the two came to be one (issue 17 item 7): the same variable,
//! the same text, two spellings of one server, a PG* default. Two real
//! clusters (tests/support/pg.rs) tell apart what must run.

use crate::support::pg;
use crate::support::workdir;

use workdir::{Workdir, text};

/// A runbook of two targets declaring `staging_db` and `production_db`,
/// whose one step marks the session's database: a stopped session leaves
/// no mark.
fn runbook(staging_db: &str, production_db: &str) -> String {
    let decl = |d: &str| {
        if d.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ database: \"{d}\" }}")
        }
    };
    format!(
        "---\ntargets:\n  staging: {}\n  production: {}\n---\n# Db\n\n## Phase {{#p}}\n\n### Mark {{#mark}}\n\n```sql {{writes}}\nINSERT INTO marks VALUES ('ran');\n```\n",
        decl(staging_db),
        decl(production_db)
    )
}

/// A fresh database of that name on both clusters, with an empty `marks`.
fn fresh() -> String {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("shared");
    for c in [staging, production] {
        c.create_db(&db);
        c.psql(&db, "CREATE TABLE marks (what text)");
    }
    db
}

fn url(cluster: &pg::Cluster, db: &str) -> String {
    format!("{}?sslmode=disable", cluster.url(db))
}

/// The PG* environment of libpq, pointing at `db` on `cluster`.
fn pg_env(w: &mut Workdir, host: &str, cluster: &pg::Cluster, db: &str) {
    w.set("PGHOST", host)
        .set("PGPORT", &cluster.port().to_string())
        .set("PGUSER", "postgres")
        .set("PGPASSWORD", cluster.password())
        .set("PGDATABASE", db)
        .set("PGSSLMODE", "disable");
}

/// Runs a session on staging of `runbook(staging_db, production_db)`,
/// which must succeed; its output.
fn runs(w: &Workdir, staging_db: &str, production_db: &str) -> String {
    let rb = w.write("r.md", &runbook(staging_db, production_db));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    all
}

fn marks(cluster: &pg::Cluster, db: &str) -> String {
    cluster.psql(db, "SELECT count(*) FROM marks")
}

/// The session stopped before its first step, saying why.
fn assert_stopped(w: &Workdir, out: &std::process::Output, db: &str) -> String {
    let all = text(out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(
            "targets `staging` (this session's target) and `production` are the same database"
        ),
        "{all}"
    );
    // The identity: the database and the cluster it is on.
    assert!(all.contains(&format!("({db} on 127.0.0.1:")), "{all}");
    assert!(all.contains("(cluster "), "{all}");
    assert!(all.contains("nothing was run"), "{all}");
    assert!(
        all.contains("declare only the targets it really has"),
        "{all}"
    );
    assert!(w.of_type("action-started").is_empty(), "{all}");
    assert_eq!(w.of_type("interrupted").len(), 1, "{all}");
    let (staging, production) = pg::pair();
    assert_eq!(marks(staging, db), "0");
    assert_eq!(marks(production, db), "0");
    all
}

#[test]
fn one_variable_for_two_targets_stops_the_session() {
    let db = fresh();
    let (_, production) = pg::pair();
    let mut w = Workdir::new();
    w.set("DB_URL", &url(production, &db));
    let rb = w.write("r.md", &runbook("$DB_URL", "${DB_URL}"));
    let out = w.auto(&rb, "staging");
    let all = assert_stopped(&w, &out, &db);
    assert!(
        all.contains("both take their database from `$DB_URL`"),
        "{all}"
    );
    assert!(!all.contains(production.password()), "{all}");
    assert!(!w.journal_text().contains(production.password()));
}

#[test]
fn the_same_text_in_two_variables_stops_the_session() {
    let db = fresh();
    let (_, production) = pg::pair();
    let url = url(production, &db);
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &url).set("PROD_DB_URL", &url);
    let rb = w.write("r.md", &runbook("$STAGING_DB_URL", "$PROD_DB_URL"));
    let all = assert_stopped(&w, &w.auto(&rb, "staging"), &db);
    assert!(
        all.contains("`$STAGING_DB_URL` and `$PROD_DB_URL` reach the same server and database"),
        "{all}"
    );
}

/// `localhost` for `127.0.0.1`, a key=value string for a URL, its keys in
/// another order: one server all the same.
#[test]
fn two_spellings_of_one_server_stop_the_session() {
    let db = fresh();
    let (_, production) = pg::pair();
    let mut w = Workdir::new();
    w.set(
        "STAGING_DB_URL",
        &format!(
            "dbname={db} sslmode=disable password={} user=postgres port={} host=localhost",
            production.password(),
            production.port()
        ),
    )
    .set("PROD_DB_URL", &url(production, &db));
    let rb = w.write("r.md", &runbook("$STAGING_DB_URL", "$PROD_DB_URL"));
    let all = assert_stopped(&w, &w.auto(&rb, "staging"), &db);
    assert!(!all.contains(production.password()), "{all}");
}

/// Staging declares no database: its sql step connects through the PG*
/// environment, which is production's server.
#[test]
fn a_pg_default_on_the_other_targets_database_stops_the_session() {
    let db = fresh();
    let (_, production) = pg::pair();
    let mut w = Workdir::new();
    pg_env(&mut w, "localhost", production, &db);
    w.set("PROD_DB_URL", &url(production, &db));
    let rb = w.write("r.md", &runbook("", "$PROD_DB_URL"));
    let all = assert_stopped(&w, &w.auto(&rb, "staging"), &db);
    assert!(all.contains("PG* environment"), "{all}");
}

#[test]
fn two_clusters_run() {
    let db = fresh();
    let (staging, production) = pg::pair();
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &url(staging, &db))
        .set("PROD_DB_URL", &url(production, &db));
    let all = runs(&w, "$STAGING_DB_URL", "$PROD_DB_URL");
    assert!(!all.contains("same database"), "{all}");
    assert!(!all.contains("could not check"), "{all}");
    assert_eq!(marks(staging, &db), "1");
    assert_eq!(marks(production, &db), "0");
    assert_eq!(w.of_type("database-identified").len(), 2);
}

/// A server that does not answer cannot be compared: the session says so
/// and runs on its own database.
#[test]
fn another_target_unreachable_runs_with_a_warning() {
    let db = fresh();
    let (staging, _) = pg::pair();
    let closed = crate::support::http_server::closed_port();
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &url(staging, &db)).set(
        "PROD_DB_URL",
        &format!("postgresql://postgres:pw@127.0.0.1:{closed}/{db}?sslmode=disable"),
    );
    let all = runs(&w, "$STAGING_DB_URL", "$PROD_DB_URL");
    assert!(
        all.contains("warning: could not check `staging` against `production`"),
        "{all}"
    );
    assert_eq!(marks(staging, &db), "1");
}

/// A target whose variable is not set is not that target's database (nor
/// the PG* default's): it is not compared, and that is said.
#[test]
fn another_target_with_its_variable_unset_runs_with_a_warning() {
    let db = fresh();
    let (staging, production) = pg::pair();
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &url(staging, &db));
    // Were the PG* defaults used for production, they would be staging's.
    pg_env(&mut w, "127.0.0.1", staging, &db);
    let all = runs(&w, "$STAGING_DB_URL", "$PROD_DB_URL");
    assert!(
        all.contains("could not check `staging` against `production` (target `production`: its database names `$PROD_DB_URL`, not set)"),
        "{all}"
    );
    assert_eq!(marks(staging, &db), "1");
    assert_eq!(marks(production, &db), "0");
}
