-- Hostile roles: nobody steers maintenance. A writer of the sources, a TVIEW creator and a
-- role allowed to create objects in public each plant a function, operator or aggregate
-- under every name pg_tviews' statements use (tests/pg_regress/include/plant_hostile.sql),
-- then do everything they may: write in both modes, create, switch modes, flush, check,
-- explain, drop. Every planted object writes to hr.loot when it runs; at the end the loot
-- is empty, nobody gained a privilege and every TVIEW is exact. Then the writer does it all
-- again under unusual values of every setting that can change a document.
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE SCHEMA hr;
GRANT USAGE ON SCHEMA hr TO PUBLIC;
CREATE TABLE hr.loot (who text, what text);
GRANT INSERT, SELECT ON hr.loot TO PUBLIC;
CREATE TABLE hr.tb_cat (pk_cat int PRIMARY KEY, title text NOT NULL);
CREATE TABLE hr.tb_item (pk_item int PRIMARY KEY, fk_cat int, name text NOT NULL,
                         price numeric NOT NULL, ratio float8 NOT NULL, made date NOT NULL,
                         took interval NOT NULL, seen timestamptz NOT NULL, raw bytea NOT NULL,
                         secret text);
CREATE TABLE hr.tb_day (pk_day int PRIMARY KEY, day date NOT NULL UNIQUE, label text NOT NULL);
CREATE TABLE hr.tb_event (pk_event int PRIMARY KEY, day date NOT NULL, what text NOT NULL);
INSERT INTO hr.tb_cat VALUES (1, 'tools'), (2, 'toys');
INSERT INTO hr.tb_item VALUES
    (1, 1, 'hammer', 10.50, 0.25, '2026-03-04', '1 day 02:00', '2026-03-04 12:00+00', '\x00ff', 's1'),
    (2, 2, 'kite', 3.00, 0.75, '2026-05-06', '3 hours', '2026-05-06 08:30+00', '\xbeef', 's2');
INSERT INTO hr.tb_day VALUES (1, '2026-03-04', 'fourth of March'), (2, '2026-04-03', 'third of April');
INSERT INTO hr.tb_event VALUES (1, '2026-03-04', 'opening');

-- A superuser's TVIEW (the prize: maintenance runs as its owner), printing every kind of
-- value whose text depends on a setting, with a document key holding a backslash, a filter
-- on a float and a lookup the fast path patches.
SELECT pg_tviews_create('hr.item', $$
    SELECT i.pk_item,
           jsonb_build_object('name', i.name, 'price', i.price, 'ratio', i.ratio,
                              'made', i.made, 'took', i.took, 'seen', i.seen,
                              'raw', i.raw::text, 'back\slash', i.name, 'cat', c.title,
                              'day', to_char(i.made, 'TMDay'), 'words', to_tsvector(i.name)::text) AS data
      FROM hr.tb_item i LEFT JOIN hr.tb_cat c ON c.pk_cat = i.fk_cat
     WHERE i.ratio < 0.5 $$);
-- A deferred TVIEW reached through a date: changes of tb_event are captured as text at the
-- statement and turned back into dates at commit.
SELECT pg_tviews_create('hr.day', $$
    SELECT d.pk_day, jsonb_build_object('label', d.label,
               'events', (SELECT coalesce(jsonb_agg(e.what ORDER BY e.pk_event), '[]')
                            FROM hr.tb_event e WHERE e.day = d.day)) AS data
      FROM hr.tb_day d $$, mode => 'deferred');
SELECT pg_tviews_create('hr.cat_count', $$
    SELECT c.pk_cat, (SELECT count(*) FROM hr.tb_item i WHERE i.fk_cat = c.pk_cat) AS n
      FROM hr.tb_cat c $$);

-- The writer may write the sources and read their keys only; its schema comes first.
CREATE ROLE hr_writer;
CREATE SCHEMA hr_writer AUTHORIZATION hr_writer;
GRANT INSERT, UPDATE, DELETE ON hr.tb_item, hr.tb_cat, hr.tb_event TO hr_writer;
GRANT SELECT (pk_item) ON hr.tb_item TO hr_writer;
GRANT SELECT (pk_cat) ON hr.tb_cat TO hr_writer;
GRANT SELECT (pk_event) ON hr.tb_event TO hr_writer;
-- The creator makes TVIEWs of its own from what it may read.
CREATE ROLE hr_creator;
CREATE SCHEMA hr_creator AUTHORIZATION hr_creator;
GRANT SELECT, TRIGGER ON hr.tb_item, hr.tb_cat TO hr_creator;
GRANT INSERT, UPDATE ON hr.tb_item TO hr_creator;
GRANT USAGE, CREATE ON SCHEMA hr TO hr_creator;
-- This role may create in public, which every default search_path reads.
CREATE ROLE hr_public;
GRANT CREATE ON SCHEMA public TO hr_public;
GRANT INSERT, UPDATE ON hr.tb_item TO hr_public;
GRANT SELECT (pk_item) ON hr.tb_item TO hr_public;

\set ECHO none
\i tests/pg_regress/include/plant_hostile.sql
\set ECHO all
SET ROLE hr_public;
SET search_path = public;
SELECT hr.plant();
RESET ROLE;
RESET search_path;
SET ROLE hr_writer;
SET search_path = hr_writer, public, pg_catalog, hr;
SELECT hr.plant();
RESET ROLE;
RESET search_path;
SELECT count(*) > 30 AS planted_in_each_schema, count(DISTINCT pronamespace) AS schemas
  FROM pg_proc WHERE pronamespace IN ('public'::regnamespace, 'hr_writer'::regnamespace);

-- The creator builds a TVIEW with its ordinary search_path, then plants and attacks the
-- paths that run as the extension's owner: mode switches, flushes, drops.
SET ROLE hr_creator;
SET search_path = hr, public;
SELECT pg_tviews_create('hr.mine', $$
    SELECT i.pk_item, jsonb_build_object('name', i.name, 'secret', i.secret) AS data
      FROM hr.tb_item i $$);
SET search_path = hr_creator, public, pg_catalog, hr;
SELECT hr.plant();
SELECT pg_tviews_set_mode('hr.mine', 'deferred');
BEGIN;
UPDATE hr.tb_item SET name = 'claw hammer' WHERE pk_item BETWEEN 1 AND 1;
SELECT pg_tviews_flush();
COMMIT;
SELECT pg_tviews_set_mode('hr.mine', 'immediate');
SELECT * FROM pg_tviews_check('hr.mine');
SELECT source FROM pg_tviews_explain('hr.mine') ORDER BY 1;
RESET ROLE;
RESET search_path;

-- The writer, everything it may do, in both modes, with its plants first on its path.
SET ROLE hr_writer;
SET search_path = hr_writer, public, pg_catalog, hr;
INSERT INTO hr.tb_item VALUES (3, 1, 'saw', 7.25, 0.125, '2026-07-08', '2 days', '2026-07-08 00:00+00', '\x01', 's3');
UPDATE hr.tb_item SET price = 11.00 WHERE pk_item BETWEEN 1 AND 1;            -- fast path
UPDATE hr.tb_item SET fk_cat = 2 WHERE pk_item BETWEEN 3 AND 3;               -- recompute
UPDATE hr.tb_cat SET title = 'hand tools' WHERE pk_cat BETWEEN 1 AND 1;       -- lookup patch
DELETE FROM hr.tb_item WHERE pk_item BETWEEN 2 AND 2;
BEGIN;
INSERT INTO hr.tb_event VALUES (2, '2026-04-03', 'fair');
UPDATE hr.tb_event SET what = 'grand opening' WHERE pk_event BETWEEN 1 AND 1;
COMMIT;
RESET ROLE;
RESET search_path;
SET ROLE hr_public;
SET search_path = public;
UPDATE hr.tb_item SET name = 'big saw' WHERE pk_item BETWEEN 3 AND 3;
RESET ROLE;
RESET search_path;

-- The creator's TVIEW goes, through DROP TABLE (the sql_drop cleanup runs as the extension
-- owner) with the plants still first on its path.
SET ROLE hr_creator;
SET search_path = hr_creator, public, pg_catalog, hr;
DROP TABLE hr.tv_mine;
RESET ROLE;
RESET search_path;

SELECT * FROM hr.loot;
SELECT rolname, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname LIKE 'hr\_%' ORDER BY 1;
SELECT m.tview_name, (SELECT count(*) FROM pg_tviews_check(m.table_name::text)) AS differing
  FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
 WHERE c.relnamespace::regnamespace::text IN ('hr', 'hr_app') ORDER BY 1;
SELECT * FROM hr.tv_item ORDER BY 1;

-- The same writer under unusual values of every setting that can change a document or how
-- maintenance compares and writes values. The TVIEWs keep their creator's settings.
SET ROLE hr_writer;
SET search_path = hr_writer, public, pg_catalog, hr;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET TimeZone = 'Pacific/Chatham';
SET timezone_abbreviations = 'India';
SET extra_float_digits = -3;
SET bytea_output = 'escape';
SET standard_conforming_strings = off;
SET xmloption = document;
SET array_nulls = off;
SET default_text_search_config = 'simple';
SET lc_time = 'C';
SET row_security = off;
-- A float change that extra_float_digits = -3 prints as no change: 0.49999999999999994 and
-- 0.5000000000000001 both print as 0.5, and the second leaves the filter.
UPDATE hr.tb_item SET ratio = 0.49999999999999994 WHERE pk_item BETWEEN 1 AND 1;
UPDATE hr.tb_item SET ratio = 0.5000000000000001 WHERE pk_item BETWEEN 1 AND 1;
RESET ROLE;   -- the settings stay: only a reader's check in between
SELECT pk_item FROM hr.tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.item');
SET ROLE hr_writer;
UPDATE hr.tb_item SET ratio = 0.25, name = 'hammer' WHERE pk_item BETWEEN 1 AND 1;
UPDATE hr.tb_item SET made = '01/02/2026', seen = '01/02/2026 10:00 IST', took = '1 2:00:00'
 WHERE pk_item BETWEEN 1 AND 1;
INSERT INTO hr.tb_item VALUES (4, 1, 'drills', 99.9, 0.0625, '05/06/2026', '0 1:00:00', '05/06/2026 09:00 IST', '\\x6162', 's4');
-- A date captured under one DateStyle and replayed at commit under another.
BEGIN;
SET LOCAL DateStyle = 'SQL, MDY';
INSERT INTO hr.tb_event VALUES (3, '2026-03-04', 'march');
SET LOCAL DateStyle = 'SQL, DMY';
COMMIT;
RESET ALL;
RESET ROLE;

SELECT * FROM hr.loot;
SELECT m.tview_name, (SELECT count(*) FROM pg_tviews_check(m.table_name::text)) AS differing
  FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
 WHERE c.relnamespace::regnamespace::text IN ('hr', 'hr_app') ORDER BY 1;
SELECT * FROM hr.tv_item ORDER BY 1;
SELECT * FROM hr.tv_day ORDER BY 1;

-- The settings are the creator's, shown by explain, and changed only by the owner.
SELECT settings FROM pg_tview_meta WHERE table_name::oid = 'hr.tv_item'::regclass::oid;
SELECT maintenance FROM pg_tviews_explain('hr.item') WHERE source = '(every source)';
SET ROLE hr_writer;
SELECT pg_tviews_set_setting('hr.item', 'TimeZone', 'Asia/Tokyo');
RESET ROLE;
RESET search_path;
SELECT pg_tviews_set_setting('hr.item', 'search_path', 'hr_writer');
SELECT pg_tviews_set_setting('hr.item', 'TimeZone', 'no such zone');
SELECT pg_tviews_set_setting('hr.item', 'timezone', 'Asia/Tokyo');
SELECT data->>'seen' AS seen_in_tokyo FROM hr.tv_item ORDER BY pk_item;
SELECT * FROM pg_tviews_check('hr.item');
SET TimeZone = 'UTC';
SELECT * FROM pg_tviews_check('hr.item');
RESET TimeZone;

-- Ownership and row security. A TVIEW changes owner with its definition: maintenance then
-- runs as the new owner, who must be able to read the sources.
CREATE ROLE hr_heir;
ALTER TABLE hr.tv_cat_count OWNER TO hr_heir;
GRANT SELECT ON hr.tb_cat, hr.tb_item TO hr_heir;
ALTER TABLE hr.tv_cat_count OWNER TO hr_heir;
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
 WHERE c.oid IN (SELECT table_name FROM pg_tview_meta WHERE tview_name = 'cat_count'
                 UNION ALL SELECT definition_view FROM pg_tview_meta WHERE tview_name = 'cat_count')
 ORDER BY 1;
INSERT INTO hr.tb_item VALUES (5, 2, 'ball', 1, 0.5, '2026-01-01', '1 hour', '2026-01-01 00:00+00', '\x', NULL);
SELECT * FROM hr.tv_cat_count ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.cat_count');
ALTER VIEW tviews_def.tv_cat_count OWNER TO hr_writer;
-- Policies may filter what other roles read; they may not filter what maintenance writes.
ALTER TABLE hr.tv_cat_count ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_toys ON hr.tv_cat_count USING (pk_cat = 2);
ALTER TABLE hr.tv_cat_count FORCE ROW LEVEL SECURITY;
INSERT INTO hr.tb_item VALUES (6, 1, 'nail', 0.1, 0.5, '2026-01-01', '1 hour', '2026-01-01 00:00+00', '\x', NULL);
SELECT * FROM hr.tv_cat_count ORDER BY 1;
-- A renamed column of a TVIEW table would make every write fail later: refused now.
ALTER TABLE hr.tv_cat_count RENAME COLUMN n TO how_many;
-- A temporary TVIEW would be seen by one session only while its triggers fire in all.
CREATE TEMP TABLE tv_scratch AS SELECT c.pk_cat FROM hr.tb_cat c;
SELECT pg_tviews_create('pg_temp.scratch', 'SELECT c.pk_cat FROM hr.tb_cat c');
SELECT count(*) AS temporary_tviews FROM pg_tview_meta WHERE tview_name = 'scratch';
UPDATE hr.tb_cat SET title = 'games' WHERE pk_cat = 2;

-- Maintenance of one TVIEW opens no door to another's table: a role with DML rights on a
-- TVIEW table (GRANT ... ON ALL TABLES) writes to it from a trigger on its own TVIEW's table,
-- which fires inside maintenance. Refused like any direct write.
CREATE ROLE hr_app;
CREATE SCHEMA hr_app AUTHORIZATION hr_app;
GRANT USAGE ON SCHEMA hr TO hr_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA hr TO hr_app;
SET ROLE hr_app;
CREATE TABLE hr_app.tb_x (pk_x int PRIMARY KEY);
SELECT pg_tviews_create('hr_app.x', 'SELECT x.pk_x FROM hr_app.tb_x x');
CREATE FUNCTION hr_app.plant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hr.tv_cat_count SET n = 1000000 WHERE pk_cat = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER plant AFTER INSERT ON hr_app.tv_x FOR EACH STATEMENT EXECUTE FUNCTION hr_app.plant();
INSERT INTO hr_app.tb_x VALUES (1);
-- Its own TVIEW table, the same way: refused too.
CREATE OR REPLACE FUNCTION hr_app.plant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hr_app.tv_x VALUES (666);
    RETURN NULL;
END $$;
INSERT INTO hr_app.tb_x VALUES (2);
RESET ROLE;
SELECT * FROM hr.tv_cat_count ORDER BY 1;

-- Row level security on a source that applies to the TVIEW's owner: a policy may read other
-- tables (or ask who the user is), which maintenance cannot follow. Refused at creation, and
-- when it is turned on later.
CREATE TABLE hr.tb_acl (doc int PRIMARY KEY);
CREATE TABLE hr.tb_doc (pk_doc int PRIMARY KEY, title text NOT NULL);
INSERT INTO hr.tb_doc VALUES (1, 'one'), (2, 'two');
INSERT INTO hr.tb_acl VALUES (1);
CREATE POLICY acl ON hr.tb_doc FOR SELECT TO hr_app
    USING (EXISTS (SELECT 1 FROM hr.tb_acl a WHERE a.doc = tb_doc.pk_doc));
GRANT SELECT, TRIGGER ON hr.tb_doc TO hr_app;
GRANT SELECT ON hr.tb_acl TO hr_app;
ALTER TABLE hr.tb_doc ENABLE ROW LEVEL SECURITY;
SET ROLE hr_app;
SELECT pg_tviews_create('hr_app.doc', 'SELECT d.pk_doc, d.title FROM hr.tb_doc d');
RESET ROLE;
ALTER TABLE hr.tb_doc DISABLE ROW LEVEL SECURITY;
SET ROLE hr_app;
SELECT pg_tviews_create('hr_app.doc', 'SELECT d.pk_doc, d.title FROM hr.tb_doc d');
RESET ROLE;
ALTER TABLE hr.tb_doc ENABLE ROW LEVEL SECURITY;
SELECT * FROM pg_tviews_check('hr_app.doc');
-- A policy that asks who the user is: refused for what it uses, and the hint says that a
-- policy can bring it in (the user wrote no CURRENT_USER).
CREATE TABLE hr.tb_mine (pk int PRIMARY KEY, who text);
GRANT SELECT, TRIGGER ON hr.tb_mine TO hr_app;
CREATE POLICY mine ON hr.tb_mine FOR SELECT TO hr_app USING (who = current_user);
ALTER TABLE hr.tb_mine ENABLE ROW LEVEL SECURITY;
SET ROLE hr_app;
SELECT pg_tviews_create('hr_app.mine', 'SELECT m.pk, m.who FROM hr.tb_mine m');
RESET ROLE;
DROP TABLE hr.tb_mine;

-- Constants in a value the fast path patches are printed and read back the same whatever the
-- session that first compiles the TVIEW has set (a pooled connection's first client).
CREATE TABLE hr.tb_task (pk_task int PRIMARY KEY, due date, ratio float8, title text);
INSERT INTO hr.tb_task VALUES (1, NULL, 1, 'a'), (2, NULL, 1, 'a');
SELECT pg_tviews_create('hr.task', $$
    SELECT t.pk_task, jsonb_build_object('title', t.title,
             'due', coalesce(t.due, DATE '2026-01-02'),
             'took', coalesce(NULL::interval, INTERVAL '-1 day 02:00'),
             'scaled', t.ratio * '1.2345678901234567'::float8) AS data
      FROM hr.tb_task t $$);
GRANT UPDATE, SELECT (pk_task) ON hr.tb_task TO hr_writer;
\c
SET ROLE hr_writer;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = -3;
UPDATE hr.tb_task SET title = 'b', ratio = 2 WHERE pk_task = 1;
RESET ALL;
UPDATE hr.tb_task SET title = 'c', ratio = 3 WHERE pk_task = 2;
\c
SELECT * FROM hr.tv_task ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.task');

-- Functions a definition calls must not open another door. One that sets its own search_path
-- without pg_temp would find a writer's temporary objects first, run as the owner; one of the
-- user's own that is STABLE may read tables that are not sources.
CREATE SCHEMA hr_fn;
CREATE TABLE hr_fn.rate (cur text PRIMARY KEY, factor numeric NOT NULL);
INSERT INTO hr_fn.rate VALUES ('EUR', 1.1);
CREATE FUNCTION hr_fn.to_eur(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = hr_fn AS $$ SELECT v * 2 $$;
CREATE FUNCTION hr_fn.rated(v numeric) RETURNS numeric LANGUAGE sql STABLE
    AS $$ SELECT v * (SELECT factor FROM hr_fn.rate WHERE cur = 'EUR') $$;
CREATE FUNCTION hr_fn.safe(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = hr_fn, pg_temp AS $$ SELECT v * 2 $$;
SELECT pg_tviews_create('hr.eur', 'SELECT i.pk_item, hr_fn.to_eur(i.price) AS eur FROM hr.tb_item i');
SELECT pg_tviews_create('hr.eur', 'SELECT i.pk_item, hr_fn.rated(i.price) AS eur FROM hr.tb_item i');
SELECT pg_tviews_create('hr.eur', $$ SELECT c.pk_cat, (SELECT sum(hr_fn.rated(i.price)) FROM hr.tb_item i
                                                        WHERE i.fk_cat = c.pk_cat) AS eur FROM hr.tb_cat c $$);
SELECT pg_tviews_create('hr.eur', 'SELECT i.pk_item, hr_fn.safe(i.price) AS eur FROM hr.tb_item i');
DROP TABLE hr.tv_eur;

-- pg_tviews' trigger names are its own: a role that may create triggers on a table and puts
-- decoys named like them there first does not make a later TVIEW go unmaintained.
CREATE TABLE hr.tb_decoy (pk int PRIMARY KEY);
GRANT TRIGGER ON hr.tb_decoy TO hr_app;
CREATE FUNCTION hr_fn.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
GRANT USAGE ON SCHEMA hr_fn TO hr_app;
SET ROLE hr_app;
CREATE TRIGGER pgtv_insert AFTER INSERT ON hr.tb_decoy FOR EACH STATEMENT EXECUTE FUNCTION hr_fn.noop();
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER decoy AFTER INSERT ON hr.tb_decoy FOR EACH STATEMENT EXECUTE FUNCTION hr_fn.noop();
RESET ROLE;
-- Renamed to one of the names (as the table's owner): refused too.
ALTER TRIGGER decoy ON hr.tb_decoy RENAME TO pgtv_update;
DROP TRIGGER decoy ON hr.tb_decoy;
-- In a replica session too (pg_tviews' event triggers fire ALWAYS). One made while they
-- were disabled is found by the creation.
SET session_replication_role = replica;
CREATE TRIGGER pgtv_insert AFTER INSERT ON hr.tb_decoy FOR EACH STATEMENT EXECUTE FUNCTION hr_fn.noop();
RESET session_replication_role;
ALTER EVENT TRIGGER pg_tviews_alter DISABLE;
CREATE TRIGGER pgtv_insert AFTER INSERT ON hr.tb_decoy FOR EACH STATEMENT EXECUTE FUNCTION hr_fn.noop();
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
SELECT pg_tviews_create('hr.decoy', 'SELECT d.pk FROM hr.tb_decoy d');
\echo :LAST_ERROR_SQLSTATE

-- A key of a domain type whose base type's = lives outside pg_catalog: an exact-match = for
-- the domain planted in public is never chosen.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE DOMAIN hr.email AS citext;
CREATE TABLE hr.tb_user (pk_email hr.email PRIMARY KEY, name text NOT NULL);
INSERT INTO hr.tb_user VALUES ('a@x.org', 'Ann');
SELECT pg_tviews_create('hr.user', 'SELECT u.pk_email, u.name FROM hr.tb_user u');
GRANT USAGE ON SCHEMA hr TO hr_public;
SET ROLE hr_public;
CREATE FUNCTION public.email_eq(a hr.email, b hr.email) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN INSERT INTO hr.loot VALUES (CURRENT_USER, 'public.=(email)'); RETURN a::text = b::text; END$$;
CREATE OPERATOR public.= (FUNCTION = public.email_eq, LEFTARG = hr.email, RIGHTARG = hr.email);
RESET ROLE;
\c
INSERT INTO hr.tb_user VALUES ('b@x.org', 'Bob');
UPDATE hr.tb_user SET pk_email = 'A@X.ORG' WHERE name = 'Ann';
SELECT * FROM hr.tv_user ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.user');

-- A writer's quote_all_identifiers changes what quote_ident and format('%I') print: pinned off.
SELECT pg_tviews_create('hr.quoted', $$
    SELECT c.pk_cat, quote_ident(c.title) AS q, format('%I', c.title) AS f FROM hr.tb_cat c $$);
SET ROLE hr_writer;
SET quote_all_identifiers = on;
UPDATE hr.tb_cat SET title = 'toys' WHERE pk_cat BETWEEN 2 AND 2;
RESET quote_all_identifiers;
RESET ROLE;
SELECT * FROM hr.tv_quoted ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.quoted');

-- A new owner is who maintenance runs as: the same rules as for a creator. And the oracle
-- runs as the owner, so a caller the TVIEW table's policies filter may not run it.
CREATE ROLE hr_filtered;
CREATE TABLE hr.tb_secret (pk int PRIMARY KEY, confidential boolean NOT NULL);
INSERT INTO hr.tb_secret VALUES (1, false), (2, true);
ALTER TABLE hr.tb_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY open ON hr.tb_secret FOR SELECT USING (NOT confidential);
SELECT pg_tviews_create('hr.secret', 'SELECT s.pk, s.confidential FROM hr.tb_secret s');
GRANT SELECT ON hr.tb_secret TO hr_filtered;
ALTER TABLE hr.tv_secret OWNER TO hr_filtered;
SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'hr.tv_secret'::regclass;
SET ROLE hr_app;
SELECT * FROM pg_tviews_check('hr.quoted');
RESET ROLE;
GRANT SELECT ON hr.tv_cat_count TO hr_app;
SET ROLE hr_app;
SELECT * FROM pg_tviews_check('hr.cat_count');
RESET ROLE;
SELECT * FROM pg_tviews_check('hr.cat_count');

-- Second round. A function reached only through another one, with a search_path that lets the
-- session's temporary schema in first: caught when it runs as another role (here already by
-- the first fill, which runs as maintenance will).
CREATE FUNCTION hr_fn.inner_rate(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = hr_fn AS $$ SELECT v * 3 $$;
CREATE FUNCTION hr_fn.outer_rate(v numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN hr_fn.inner_rate(v); END $$;
SELECT pg_tviews_create('hr.nested', 'SELECT i.pk_item, hr_fn.outer_rate(i.price) AS r FROM hr.tb_item i');
-- pg_temp listed first is no better than not at all.
CREATE FUNCTION hr_fn.temp_first(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = pg_temp, hr_fn AS $$ SELECT v $$;
SELECT pg_tviews_create('hr.nested', 'SELECT i.pk_item, hr_fn.temp_first(i.price) AS r FROM hr.tb_item i');
-- A PL/pgSQL function is fine (its language is read as what it is), and one altered after
-- creation to set such a search_path is refused at the ALTER.
CREATE FUNCTION hr_fn.plain(v numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN v + 1; END $$;
SELECT pg_tviews_create('hr.plain', 'SELECT i.pk_item, hr_fn.plain(i.price) AS r FROM hr.tb_item i');
ALTER FUNCTION hr_fn.plain(numeric) SET search_path = hr_fn;
CREATE OR REPLACE FUNCTION hr_fn.plain(v numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN v + 2; END $$;
SELECT pk_item, r FROM hr.tv_plain ORDER BY 1;
SELECT * FROM pg_tviews_check('hr.plain');

-- pg_tviews' own function in generated SQL is called with its exact argument types: an
-- overload planted next to it (public is writable here) is never chosen.
SET ROLE hr_public;
CREATE FUNCTION public.pg_tviews_key_repeats(t oid, k integer) RETURNS integer LANGUAGE plpgsql AS
    $$BEGIN INSERT INTO hr.loot VALUES (CURRENT_USER, 'pg_tviews_key_repeats(oid, int)'); RETURN k; END$$;
RESET ROLE;
CREATE TABLE hr.tb_rank (pk int PRIMARY KEY, score int NOT NULL);
CREATE TABLE hr.tb_tier (pk int PRIMARY KEY, lo int NOT NULL, hi int NOT NULL);
INSERT INTO hr.tb_rank VALUES (1, 3);
INSERT INTO hr.tb_tier VALUES (1, 0, 5), (2, 5, 9);
SELECT pg_tviews_create('hr.rank', $$ SELECT r.pk, t.pk AS tier FROM hr.tb_rank r
                                       LEFT JOIN hr.tb_tier t ON r.score >= t.lo AND r.score < t.hi $$, key => 'pk');
\c
UPDATE hr.tb_tier SET lo = 1 WHERE pk = 2;
SELECT * FROM hr.loot;

-- Only the DDL in progress calls the event trigger's function usefully: by hand it raises.
SELECT pg_tviews_after_alter('hr.tb_item'::regclass);

-- A trigger named like pg_tviews' and calling its function, but for other events, is not
-- taken for pg_tviews' own.
CREATE TABLE hr.tb_decoy2 (pk int PRIMARY KEY, v int);
GRANT TRIGGER ON hr.tb_decoy2 TO hr_app;
SET ROLE hr_app;
CREATE TRIGGER pgtv_insert AFTER TRUNCATE ON hr.tb_decoy2 FOR EACH STATEMENT EXECUTE FUNCTION public.pg_tviews_source_trigger();
RESET ROLE;
ALTER EVENT TRIGGER pg_tviews_alter DISABLE;
CREATE TRIGGER pgtv_insert AFTER TRUNCATE ON hr.tb_decoy2 FOR EACH STATEMENT EXECUTE FUNCTION public.pg_tviews_source_trigger();
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
SELECT pg_tviews_create('hr.decoy2', 'SELECT d.pk, d.v FROM hr.tb_decoy2 d');
-- Triggers switched to fire only on replicas no longer maintain: the health check says so.
ALTER TABLE hr.tb_cat ENABLE REPLICA TRIGGER pgtv_update;
SELECT tview, check_name, ok FROM pg_tviews_health_check() WHERE NOT ok AND tview LIKE 'hr.%' ORDER BY 1, 2;
ALTER TABLE hr.tb_cat ENABLE TRIGGER pgtv_update;

-- A function of another role: that role could replace it at any time, and every write
-- (and the recompute that follows its replacement, at once) would run it with the TVIEW
-- owner's rights: refused, whoever owns the TVIEW.
SET ROLE hr_app;
CREATE FUNCTION hr_app.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) $$;
RESET ROLE;
GRANT USAGE ON SCHEMA hr_app TO hr_creator;
SET ROLE hr_creator;
SELECT pg_tviews_create('hr.loud', 'SELECT c.pk_cat, hr_app.shout(c.title) AS t FROM hr.tb_cat c');
RESET ROLE;
ALTER FUNCTION hr_app.shout(text) OWNER TO hr_creator;
SET ROLE hr_creator;
SELECT pg_tviews_create('hr.loud', 'SELECT c.pk_cat, hr_app.shout(c.title) AS t FROM hr.tb_cat c');
RESET ROLE;
-- Given to another role afterwards: refused.
ALTER FUNCTION hr_app.shout(text) OWNER TO hr_app;
UPDATE hr.tb_cat SET title = 'TOOLS' WHERE pk_cat = 1;
-- Both reassigned to a superuser: fine. A TVIEW of a superuser whose function another role
-- owns would run, on every write, code that role can change: refused.
REASSIGN OWNED BY hr_creator TO postgres;
UPDATE hr.tb_cat SET title = 'TOOLS' WHERE pk_cat = 1;
ALTER FUNCTION hr_app.shout(text) OWNER TO hr_app;
UPDATE hr.tb_cat SET title = 'TOOLS' WHERE pk_cat = 1;
ALTER FUNCTION hr_app.shout(text) OWNER TO postgres;
UPDATE hr.tb_cat SET title = 'TOOLS' WHERE pk_cat = 1;
SELECT * FROM pg_tviews_check('hr.loud');

-- Third round. pg_temp must come once, last, in search_path as PostgreSQL reads it: listed
-- twice (the first one counts), or inside one quoted name, it does not.
CREATE FUNCTION hr_fn.twice(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = pg_temp, hr_fn, pg_temp AS $$ SELECT v $$;
CREATE FUNCTION hr_fn.quoted(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    SET search_path = 'hr_fn, pg_temp' AS $$ SELECT v $$;
SELECT pg_tviews_create('hr.sp', 'SELECT i.pk_item, hr_fn.twice(i.price) AS r FROM hr.tb_item i');
SELECT pg_tviews_create('hr.sp', 'SELECT i.pk_item, hr_fn.quoted(i.price) AS r FROM hr.tb_item i');
-- A superuser's TVIEW may not cast to a domain whose CHECK calls another role's function.
SET ROLE hr_app;
CREATE FUNCTION hr_app.valid(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT t <> '' $$;
CREATE DOMAIN hr_app.label AS text CHECK (hr_app.valid(VALUE));
RESET ROLE;
SELECT pg_tviews_create('hr.labels', 'SELECT c.pk_cat, c.title::hr_app.label AS l FROM hr.tb_cat c');

SELECT * FROM hr.loot;
SELECT m.tview_name, (SELECT count(*) FROM pg_tviews_check(m.table_name::text)) AS differing
  FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
 WHERE c.relnamespace::regnamespace::text IN ('hr', 'hr_app') ORDER BY 1;

DROP SCHEMA hr, hr_writer, hr_creator, hr_app, hr_fn CASCADE;
DROP OWNED BY hr_public, hr_heir, hr_app, hr_filtered;
REVOKE CREATE ON SCHEMA public FROM hr_public;
DROP ROLE hr_writer, hr_creator, hr_public, hr_heir, hr_app, hr_filtered;
DROP EXTENSION citext;
