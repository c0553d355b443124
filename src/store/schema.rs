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
    (
        3,
        "four-eyes approvals, and the team's rights",
        "CREATE TABLE runsheet.approval_requests (
        id           bigserial PRIMARY KEY,
        -- No reference to sessions: a gate may ask before the shipper
        -- has registered its session.
        session_id   text NOT NULL,
        session_name text NOT NULL,
        step         text NOT NULL,
        step_title   text NOT NULL,
        target       text NOT NULL,
        needed       integer NOT NULL CHECK (needed > 0),
        -- What the operator's gate shows, as text: what the approver reads.
        description  text NOT NULL,
        host         text NOT NULL,
        -- Set by the trigger below, whatever the insert says: the role
        -- that asked is never one that approves.
        requested_by text NOT NULL DEFAULT session_user,
        asked_at     timestamptz NOT NULL DEFAULT now(),
        closed_at    timestamptz,
        closed_why   text
    );
    CREATE INDEX approval_requests_open ON runsheet.approval_requests (session_id)
        WHERE closed_at IS NULL;
    CREATE TABLE runsheet.approvals (
        id         bigserial PRIMARY KEY,
        request_id bigint NOT NULL REFERENCES runsheet.approval_requests (id),
        approve    boolean NOT NULL,
        reason     text NOT NULL CHECK (btrim(reason) <> ''),
        -- Set by the trigger: the store's authenticated role, never a
        -- name typed.
        approver   text NOT NULL DEFAULT session_user,
        host       text NOT NULL DEFAULT '',
        at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (request_id, approver)
    );
    CREATE FUNCTION runsheet.guard_request() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            NEW.requested_by := session_user;
            NEW.asked_at := now();
            NEW.closed_at := NULL;
            NEW.closed_why := NULL;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'approval requests are evidence: they are never deleted';
        END IF;
        IF OLD.closed_at IS NOT NULL THEN
            RAISE EXCEPTION 'approval request % is closed already', OLD.id;
        END IF;
        IF (NEW.id, NEW.session_id, NEW.session_name, NEW.step, NEW.step_title, NEW.target,
            NEW.needed, NEW.description, NEW.host, NEW.requested_by, NEW.asked_at)
           IS DISTINCT FROM
           (OLD.id, OLD.session_id, OLD.session_name, OLD.step, OLD.step_title, OLD.target,
            OLD.needed, OLD.description, OLD.host, OLD.requested_by, OLD.asked_at) THEN
            RAISE EXCEPTION 'an approval request is never edited: it is only closed';
        END IF;
        IF session_user <> OLD.requested_by THEN
            RAISE EXCEPTION 'only % may close approval request %', OLD.requested_by, OLD.id;
        END IF;
        NEW.closed_at := now();
        RETURN NEW;
    END $$;
    CREATE TRIGGER guard_request BEFORE INSERT OR UPDATE OR DELETE
        ON runsheet.approval_requests FOR EACH ROW EXECUTE FUNCTION runsheet.guard_request();
    CREATE FUNCTION runsheet.guard_approval() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        req runsheet.approval_requests;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            RAISE EXCEPTION 'approvals are evidence: they are never edited or deleted';
        END IF;
        SELECT * INTO req FROM runsheet.approval_requests WHERE id = NEW.request_id FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'there is no approval request %', NEW.request_id;
        END IF;
        IF req.closed_at IS NOT NULL THEN
            RAISE EXCEPTION 'approval request % was closed at % (%): nothing waits for it',
                req.id, req.closed_at, coalesce(req.closed_why, 'closed');
        END IF;
        IF req.requested_by = session_user THEN
            RAISE EXCEPTION 'role % asked for this approval and cannot give it: another person, connected to the store as their own role, must',
                session_user;
        END IF;
        NEW.approver := session_user;
        NEW.at := now();
        RETURN NEW;
    END $$;
    CREATE TRIGGER guard_approval BEFORE INSERT OR UPDATE OR DELETE
        ON runsheet.approvals FOR EACH ROW EXECUTE FUNCTION runsheet.guard_approval();
    CREATE FUNCTION runsheet.announce_approval() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('runsheet_approvals', NEW.request_id::text);
        RETURN NULL;
    END $$;
    CREATE TRIGGER announce_approval AFTER INSERT
        ON runsheet.approvals FOR EACH ROW EXECUTE FUNCTION runsheet.announce_approval();
    -- Whoever may connect to the store's database is the team: each person
    -- as their own role, none of them needing to own anything.
    GRANT USAGE ON SCHEMA runsheet TO PUBLIC;
    GRANT SELECT ON runsheet.schema_migrations TO PUBLIC;
    GRANT SELECT, INSERT, UPDATE ON runsheet.sessions, runsheet.records TO PUBLIC;
    GRANT SELECT, INSERT, UPDATE, DELETE ON runsheet.locks TO PUBLIC;
    GRANT SELECT, INSERT, UPDATE ON runsheet.approval_requests TO PUBLIC;
    GRANT SELECT, INSERT ON runsheet.approvals TO PUBLIC;
    GRANT USAGE ON SEQUENCE runsheet.approval_requests_id_seq, runsheet.approvals_id_seq TO PUBLIC;",
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
