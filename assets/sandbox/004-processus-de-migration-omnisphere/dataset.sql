-- OmniSphere, before the migration of seed 004: the state both sandbox
-- databases (staging and production) start from.
--
-- schema_migrations is golang-migrate's table (one row: the current
-- version, and whether the migration to it stopped part-way). Version 1
-- (shared/database_migrations/000001_create_old_users.up.sql) is applied;
-- 000002 to 000004 are pending.

CREATE TABLE schema_migrations (
    version bigint  NOT NULL PRIMARY KEY,
    dirty   boolean NOT NULL
);
INSERT INTO schema_migrations (version, dirty) VALUES (1, false);

-- What 000001_create_old_users.up.sql created.
CREATE TABLE old_users (
    id         bigint      PRIMARY KEY,
    email      text        NOT NULL,
    name       text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE legacy_sessions (
    token      text        PRIMARY KEY,
    user_id    bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);

-- 20,000 users; ids with gaps (deleted accounts), as in a real table, so
-- that the batches follow the key and not a row number.
INSERT INTO old_users (id, email, name, created_at)
SELECT g * 3 - (g % 2),
       'user' || g || '@omnisphere.example',
       'Utilisateur ' || g,
       timestamptz '2023-01-01 00:00:00+00' + g * interval '17 minutes'
FROM generate_series(1, 20000) AS g;

INSERT INTO legacy_sessions (token, user_id, expires_at)
SELECT md5('session' || g), g * 3 - (g % 2), timestamptz '2024-01-01 00:00:00+00'
FROM generate_series(1, 50) AS g;

ANALYZE old_users;
