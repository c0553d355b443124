-- The new users table, filled from old_users by the data migration
-- (runbook step 2.1): same columns, in the same order.
CREATE TABLE users (
    id         bigint      PRIMARY KEY,
    email      text        NOT NULL,
    name       text,
    created_at timestamptz NOT NULL DEFAULT now()
);
