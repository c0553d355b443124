//! The store's tables, in the `runsheet` schema, made by versioned
//! migrations that `runsheet store init` applies in order. Re-running it is
//! harmless: each migration is applied once, recorded with who applied it,
//! and two machines running init at once take turns on an advisory lock.

use tokio_postgres::Client;

/// The migrations, in order; a migration once released is never edited,
/// a change is a new one.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "sessions and their records",
        "CREATE TABLE runsheet.sessions (
        -- The SHA-256 of the journal's first line: one session, whichever
        -- machine ships it.
        id           text PRIMARY KEY,
        -- The journal's file name, without .jsonl: what people type.
        name         text NOT NULL,
        runbook_path text NOT NULL,
        target       text NOT NULL,
        operator     text NOT NULL,
        host         text NOT NULL,
        drill        boolean NOT NULL,
        sandbox      boolean NOT NULL,
        started_at   timestamptz NOT NULL,
        -- Records held, so the next to ship is seq `records`.
        records      bigint NOT NULL DEFAULT 0,
        last_at      timestamptz,
        ended        boolean NOT NULL DEFAULT false,
        shipped_by   text NOT NULL DEFAULT session_user
    );
    CREATE INDEX sessions_runbook ON runsheet.sessions (runbook_path, target);
    CREATE TABLE runsheet.records (
        session_id text NOT NULL REFERENCES runsheet.sessions (id),
        seq        bigint NOT NULL,
        -- The journal line as written, without its newline: the same bytes,
        -- so the hash chain verifies on the store's copy.
        line       text NOT NULL,
        type       text NOT NULL,
        at         timestamptz NOT NULL,
        PRIMARY KEY (session_id, seq)
    );",
    ),
    (
        2,
        "the team's session locks",
        "CREATE TABLE runsheet.locks (
        -- The runbook's file name (as a machine's own lock names it) and
        -- the target: one live session of a runbook on a target, team-wide.
        runbook    text NOT NULL,
        target     text NOT NULL,
        session_id text NOT NULL,
        host       text NOT NULL,
        pid        integer NOT NULL,
        holder     text NOT NULL DEFAULT session_user,
        taken_at   timestamptz NOT NULL DEFAULT now(),
        -- Renewed while the session lives: one that stopped renewing it
        -- died (or lost the store) and its lock is stale.
        beat_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (runbook, target)
    );",
    ),
];

/// The newest schema this runsheet knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _, _)| *v)
}

/// What `init` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i32,
    /// The migrations applied now, by version and name.
    pub now: Vec<(i32, String)>,
}

/// Applies the migrations the store lacks, in one transaction.
pub async fn init(client: &mut Client) -> Result<Applied, String> {
    let tx = client.transaction().await.map_err(|e| why(&e))?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(hashtext('runsheet store schema'));
         CREATE SCHEMA IF NOT EXISTS runsheet;
         CREATE TABLE IF NOT EXISTS runsheet.schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now(),
             applied_by text NOT NULL DEFAULT session_user
         );",
    )
    .await
    .map_err(|e| why(&e))?;
    let have = max_version(&tx).await?;
    if have > latest() {
        return Err(format!(
            "the store's schema is at version {have}, newer than this runsheet knows ({}): upgrade runsheet",
            latest()
        ));
    }
    let mut now = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > have) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("migration {version} ({name}) failed: {}", why(&e)))?;
        tx.execute(
            "INSERT INTO runsheet.schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(|e| why(&e))?;
        now.push((*version, (*name).to_string()));
    }
    tx.commit().await.map_err(|e| why(&e))?;
    Ok(Applied {
        version: latest(),
        now,
    })
}

/// The store's schema version; 0 before `init`.
pub async fn version(client: &Client) -> Result<i32, String> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('runsheet.schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| why(&e))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    max_version(client).await
}

/// The newest migration applied.
async fn max_version(client: &impl tokio_postgres::GenericClient) -> Result<i32, String> {
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM runsheet.schema_migrations",
            &[],
        )
        .await
        .map_err(|e| why(&e))?
        .get(0))
}

/// The store at the version this runsheet writes, or what to run.
pub async fn ready(client: &Client) -> Result<(), String> {
    match version(client).await? {
        v if v == latest() => Ok(()),
        0 => Err(
            "the session store has no runsheet schema yet: run `runsheet store init` once".into(),
        ),
        v if v < latest() => Err(format!(
            "the session store's schema is at version {v}, this runsheet writes version {}: run `runsheet store init` to bring it up to date",
            latest()
        )),
        v => Err(format!(
            "the session store's schema is at version {v}, newer than this runsheet knows ({}): upgrade runsheet",
            latest()
        )),
    }
}

/// A PostgreSQL error as the server said it, with what to do for the
/// usual one (no right to create the schema).
pub fn why(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) if db.code().code() == "42501" => format!(
            "{} (the store's role needs CREATE on its database the first time: `GRANT CREATE ON DATABASE … TO …`, or run `runsheet store init` as its owner)",
            db.message()
        ),
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}
