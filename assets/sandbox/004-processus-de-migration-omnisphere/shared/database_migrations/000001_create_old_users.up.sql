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
