-- A stand-in for APiLos's production database, for rehearsing its
-- disaster recovery (runbook 003): programmes of social housing, their
-- lots, their dwellings and their conventions. Loaded into both sandbox
-- databases; the rehearsal dumps staging (the "Scalingo backup") and
-- restores it into production (the "new application's database").

CREATE TABLE programmes_programme (
    id          integer PRIMARY KEY,
    uuid        uuid NOT NULL UNIQUE,
    nom         text NOT NULL,
    code_postal text NOT NULL,
    ville       text NOT NULL,
    numero_operation text NOT NULL UNIQUE,
    cree_le     timestamptz NOT NULL
);

CREATE TABLE programmes_lot (
    id            integer PRIMARY KEY,
    programme_id  integer NOT NULL REFERENCES programmes_programme (id),
    financement   text NOT NULL CHECK (financement IN ('PLAI', 'PLUS', 'PLS')),
    nb_logements  integer NOT NULL
);

CREATE TABLE programmes_logement (
    id               integer PRIMARY KEY,
    lot_id           integer NOT NULL REFERENCES programmes_lot (id),
    designation      text NOT NULL,
    typologie        text NOT NULL,
    surface_habitable numeric(6, 2) NOT NULL,
    loyer            numeric(8, 2) NOT NULL
);

CREATE TABLE conventions_convention (
    id            integer PRIMARY KEY,
    lot_id        integer NOT NULL UNIQUE REFERENCES programmes_lot (id),
    numero        text NOT NULL UNIQUE,
    statut        text NOT NULL,
    televersement text,
    signee_le     date
);

CREATE INDEX programmes_logement_lot_id ON programmes_logement (lot_id);

INSERT INTO programmes_programme
SELECT i,
       md5('programme-' || i)::uuid,
       'Résidence ' || (ARRAY['Les Tilleuls', 'Le Parc', 'Les Vignes', 'La Source', 'Le Moulin'])[1 + i % 5] || ' ' || i,
       lpad((1000 + i * 37 % 94000)::text, 5, '0'),
       (ARRAY['Lyon', 'Nantes', 'Lille', 'Rennes', 'Bordeaux', 'Paris'])[1 + i % 6],
       'OP-2024-' || lpad(i::text, 4, '0'),
       timestamptz '2024-01-01 08:00:00+00' + i * interval '7 hours'
FROM generate_series(1, 200) AS i;

INSERT INTO programmes_lot
SELECT i,
       1 + (i - 1) / 3,
       (ARRAY['PLAI', 'PLUS', 'PLS'])[1 + i % 3],
       5 + i % 6
FROM generate_series(1, 600) AS i;

INSERT INTO programmes_logement
SELECT i,
       1 + (i - 1) / 5,
       'Logement ' || i,
       'T' || (1 + i % 5),
       (25 + i % 90)::numeric + 0.5,
       (280 + i % 700)::numeric + 0.25
FROM generate_series(1, 3000) AS i;

INSERT INTO conventions_convention
SELECT i,
       i,
       '69/' || (2024 + i % 2) || '/' || lpad(i::text, 5, '0'),
       (ARRAY['1. Projet', '2. Instruction requise', '5. Signée'])[1 + i % 3],
       CASE WHEN i % 3 = 2 THEN 'conventions/' || i || '/convention-signee.pdf' END,
       CASE WHEN i % 3 = 2 THEN date '2024-03-01' + i END
FROM generate_series(1, 450) AS i;
