-- The table comes back empty: its rows are gone with the up migration.
CREATE TABLE legacy_sessions (
    token      text        PRIMARY KEY,
    user_id    bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
