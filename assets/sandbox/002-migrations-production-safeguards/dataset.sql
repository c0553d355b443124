-- Seed 002's sandbox: the database of the Grenoble Roller Rails app
-- (grenoble_roller_production), loaded into both the staging and the
-- production clusters. The code (db/migrate) is ahead of it: the first
-- three migrations are recorded in schema_migrations, the last two are
-- not (AddConfirmableToUsers, and RemoveLegacyPhoneFromUsers, destructive:
-- remove_column). This is the state the seed describes: the deploy script
-- left early because Git was up to date, and the migrations never ran.

CREATE TABLE schema_migrations (
    version character varying NOT NULL PRIMARY KEY
);

CREATE TABLE ar_internal_metadata (
    key character varying NOT NULL PRIMARY KEY,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email character varying DEFAULT '' NOT NULL,
    encrypted_password character varying DEFAULT '' NOT NULL,
    first_name character varying,
    last_name character varying,
    phone character varying,
    legacy_phone character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE UNIQUE INDEX index_users_on_email ON users (email);

CREATE TABLE events (
    id bigserial PRIMARY KEY,
    title character varying NOT NULL,
    starts_at timestamp(6) without time zone NOT NULL,
    location character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE attendances (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    event_id bigint NOT NULL REFERENCES events (id),
    status character varying DEFAULT 'registered' NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE INDEX index_attendances_on_user_id ON attendances (user_id);
CREATE INDEX index_attendances_on_event_id ON attendances (event_id);

INSERT INTO schema_migrations (version) VALUES
    ('20250110090000'),
    ('20250112090000'),
    ('20250115090000');

INSERT INTO ar_internal_metadata (key, value, created_at, updated_at) VALUES
    ('environment', 'production', now(), now());

INSERT INTO users (email, first_name, last_name, phone, legacy_phone, created_at, updated_at)
SELECT
    'membre' || i || '@grenoble-roller.example',
    'Prénom' || i,
    'Nom' || i,
    '06' || lpad((10000000 + i)::text, 8, '0'),
    CASE WHEN i % 3 = 0 THEN '04' || lpad((76000000 + i)::text, 8, '0') END,
    now() - (i || ' days')::interval,
    now()
FROM generate_series(1, 120) AS i;

INSERT INTO events (title, starts_at, location, created_at, updated_at)
SELECT
    'Rando roller #' || i,
    timestamp '2025-01-10 20:30' + (i * 7 || ' days')::interval,
    CASE WHEN i % 2 = 0 THEN 'Place Notre-Dame' ELSE 'Parc Paul Mistral' END,
    now(),
    now()
FROM generate_series(1, 12) AS i;

INSERT INTO attendances (user_id, event_id, status, created_at, updated_at)
SELECT u, e, CASE WHEN (u + e) % 5 = 0 THEN 'cancelled' ELSE 'registered' END, now(), now()
FROM generate_series(1, 120) AS u, generate_series(1, 12) AS e
WHERE (u * e) % 4 = 0;
