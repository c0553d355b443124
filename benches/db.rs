//! Database steps against the seeds' ways of doing the same, on two real
//! throwaway PostgreSQL clusters, measured in the same run:
//!
//! (a) comparing 40 tables between staging and production, against seed
//!     000's way: one `psql -c "SELECT COUNT(*)"` per table and database, in
//!     sequence. Target: at least 10x faster.
//! (b) one 2M-row table, against a single `SELECT count(*)` on each side
//!     (both at once). Target: close to 1x.
//! (c) a batched migration of 1M rows, against seed 004's script (Python,
//!     psycopg2, `LIMIT 1000 OFFSET n`, `execute_batch`, a commit per batch;
//!     given the `ORDER BY id` it lacks, without which it fails at this size).
//!     Target: at least 10x faster.
//!
//! Run: cargo bench --bench db. Needs the PostgreSQL server binaries (as the
//! tests do) and, for (c), python3 with psycopg2 (installed with pip into
//! the user's site-packages if missing). RUNSHEET_BENCH_SCALE divides the
//! row counts (e.g. 10 for a quick run).

#[path = "../tests/support/pg.rs"]
mod pg;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let scale: u64 = std::env::var("RUNSHEET_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let (staging, production) = pg::pair();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let db = "bench";
    for c in [staging, production] {
        c.create_db(db);
    }
    let urls = (
        format!("{}?sslmode=disable", staging.url(db)),
        format!("{}?sslmode=disable", production.url(db)),
    );
    println!("runsheet database benchmarks (scale 1/{scale})\n");
    // Seed 000's tables are a pilot client's: small. Larger ones too, where
    // counting on the server, not starting psql, is most of the time.
    forty_tables(dir.path(), (staging, production), &urls, 1_000 / scale);
    forty_tables(dir.path(), (staging, production), &urls, 50_000 / scale);
    one_big_table(dir.path(), (staging, production), &urls, scale);
    batched_migration(dir.path(), staging, &urls, scale);
}

fn forty_tables(
    dir: &Path,
    clusters: (&pg::Cluster, &pg::Cluster),
    urls: &(String, String),
    rows: u64,
) {
    let mut sql = String::new();
    for i in 0..40 {
        sql.push_str(&format!("DROP TABLE IF EXISTS t{i:02};\n"));
    }
    for i in 0..40 {
        sql.push_str(&format!(
            "CREATE TABLE t{i:02} (id bigint primary key, v text);
             INSERT INTO t{i:02} SELECT g, md5(g::text) FROM generate_series(1, {}) g;
             ANALYZE t{i:02};\n",
            rows + i
        ));
    }
    clusters.0.psql("bench", &sql);
    clusters.1.psql("bench", &sql);
    let psql = clusters.0.bin("psql");
    let seed_way = time(|| {
        for i in 0..40 {
            for url in [&urls.0, &urls.1] {
                let ok = Command::new(&psql)
                    .args([
                        url.as_str(),
                        "-XAtc",
                        &format!("SELECT COUNT(*) FROM t{i:02}"),
                    ])
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    panic!("psql failed");
                }
            }
        }
    });
    let tables: Vec<String> = (0..40).map(|i| format!("t{i:02}")).collect();
    let runbook = compare_runbook(dir, "forty.md", &tables.join("\n"));
    let ours = time(|| runsheet(dir, &runbook, urls));
    println!("(a) 40 tables of ~{rows} rows, staging vs production");
    println!(
        "    seed 000's way (80 psql -c, in sequence): {:>8.3} s",
        secs(seed_way)
    );
    println!(
        "    runsheet compare (whole session):         {:>8.3} s",
        secs(ours)
    );
    println!(
        "    speed-up: {:.1}x   (target 10x)\n",
        secs(seed_way) / secs(ours)
    );
}

fn one_big_table(
    dir: &Path,
    clusters: (&pg::Cluster, &pg::Cluster),
    urls: &(String, String),
    scale: u64,
) {
    let rows = 2_000_000 / scale;
    let sql = format!(
        "CREATE TABLE big (id bigint primary key, v text);
         INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, {rows}) g;
         VACUUM ANALYZE big;"
    );
    // Both clusters at once: seeding is not what is measured.
    std::thread::scope(|s| {
        s.spawn(|| clusters.0.psql("bench", &sql));
        s.spawn(|| clusters.1.psql("bench", &sql));
    });
    let psql = clusters.0.bin("psql");
    let count = |url: &str| {
        Command::new(&psql)
            .args([url, "-XAtc", "SELECT count(*) FROM big"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("psql: {e}"))
    };
    let runbook = compare_runbook(dir, "big.md", "big");
    // Warm both caches the same way before either is timed.
    let _ = count(&urls.0).wait();
    let _ = count(&urls.1).wait();
    let mut plain = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..3 {
        plain.push(time(|| {
            let (mut a, mut b) = (count(&urls.0), count(&urls.1));
            let ok = a.wait().is_ok_and(|s| s.success()) && b.wait().is_ok_and(|s| s.success());
            if !ok {
                panic!("psql failed");
            }
        }));
        ours.push(time(|| runsheet(dir, &runbook, urls)));
    }
    let (plain, ours) = (median(plain), median(ours));
    println!("(b) one table of {rows} rows, staging vs production (median of 3)");
    println!(
        "    SELECT count(*) on each side, at once:    {:>8.3} s",
        secs(plain)
    );
    println!(
        "    runsheet compare (whole session):         {:>8.3} s",
        secs(ours)
    );
    println!(
        "    ratio: {:.2}x   (target close to 1x)\n",
        secs(ours) / secs(plain)
    );
}

fn batched_migration(dir: &Path, staging: &pg::Cluster, urls: &(String, String), scale: u64) {
    let rows = 1_000_000 / scale;
    let setup = format!(
        "DROP TABLE IF EXISTS old_users, users;
         CREATE TABLE old_users (id bigint primary key, email text, name text);
         INSERT INTO old_users SELECT g, 'user' || g || '@example.com', 'name ' || g FROM generate_series(1, {rows}) g;
         CREATE TABLE users (id bigint primary key, email text, name text);
         VACUUM ANALYZE old_users;"
    );
    staging.psql("bench", &setup);
    let script = dir.join("migrate_data.py");
    // Seed 004's script, with its connection and insert filled in, and one
    // fix: `ORDER BY id`. Without it, OFFSET pages are not stable (a large
    // table's sequential scans start where another scan is: synchronized
    // scans), and at 1M rows the script dies on a duplicate key.
    let python = format!(
        r#"import psycopg2
from psycopg2.extras import execute_batch
insert_query = "INSERT INTO users (id, email, name) VALUES (%s, %s, %s)"
conn = psycopg2.connect("{url}")
cur = conn.cursor()
batch_size = 1000
offset = 0
while True:
    cur.execute("SELECT * FROM old_users ORDER BY id LIMIT %s OFFSET %s", (batch_size, offset))
    users = cur.fetchall()
    if not users:
        break
    execute_batch(cur, insert_query, users)
    conn.commit()
    offset += batch_size
cur.close()
conn.close()
"#,
        url = urls.0
    );
    if let Err(e) = std::fs::write(&script, python) {
        panic!("write script: {e}");
    }
    ensure_psycopg2();
    let seed_way = time(|| {
        let ok = Command::new("python3")
            .arg(&script)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            panic!("seed 004's script failed");
        }
    });
    let migrated = staging.psql("bench", "SELECT count(*) FROM users");
    staging.psql("bench", "TRUNCATE users; VACUUM ANALYZE old_users;");
    let runbook = dir.join("batch.md");
    let text = "---\ntargets:\n  staging: { database: $STAGING_DB_URL }\n  production: { database: $PROD_DB_URL }\n---\n# Bench\n\n## Data\n\n### Copy {#copy}\n\n```sql {writes batch=old_users.id batch-size=1000}\nINSERT INTO users SELECT * FROM old_users WHERE id > $1 AND id <= $2;\n```\n";
    if let Err(e) = std::fs::write(&runbook, text) {
        panic!("write runbook: {e}");
    }
    let ours = time(|| runsheet(dir, &runbook, urls));
    let ours_migrated = staging.psql("bench", "SELECT count(*) FROM users");
    println!("(c) batched migration of {rows} rows, batches of 1000");
    println!(
        "    seed 004's script (OFFSET, psycopg2):    {:>8.3} s   ({migrated} rows)",
        secs(seed_way)
    );
    println!(
        "    runsheet (keyset, journaled batches):     {:>8.3} s   ({ours_migrated} rows)",
        secs(ours)
    );
    println!(
        "    speed-up: {:.1}x   (target 10x)",
        secs(seed_way) / secs(ours)
    );
}

fn compare_runbook(dir: &Path, name: &str, tables: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let text = format!(
        "---\ntargets:\n  staging: {{ database: $STAGING_DB_URL }}\n  production: {{ database: $PROD_DB_URL }}\n---\n# Bench\n\n## Compare\n\n### Counts {{#counts}}\n\n```compare {{left=staging right=production expect=equal}}\n{tables}\n```\n"
    );
    if let Err(e) = std::fs::write(&path, text) {
        panic!("write runbook: {e}");
    }
    path
}

/// A whole `runsheet run --auto` session: start-up, journal, connections.
fn runsheet(dir: &Path, runbook: &Path, urls: &(String, String)) {
    let out = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args([
            "run",
            &runbook.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .env("RUNSHEET_DATA_DIR", dir.join("data"))
        .env("STAGING_DB_URL", &urls.0)
        .env("PROD_DB_URL", &urls.1)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("runsheet: {e}"));
    if !out.status.success() {
        panic!(
            "runsheet failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn ensure_psycopg2() {
    let has = |_: ()| {
        Command::new("python3")
            .args(["-c", "import psycopg2"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has(()) {
        return;
    }
    println!("    (installing psycopg2-binary with pip for seed 004's script)");
    let _ = Command::new("python3")
        .args(["-m", "pip", "install", "-q", "--user", "psycopg2-binary"])
        .status();
    if !has(()) {
        panic!("seed 004's script needs psycopg2: python3 -m pip install psycopg2-binary");
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
