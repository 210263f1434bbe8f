-- What code that maintenance runs may do, and what its errors tell a writer. From an outside
-- security review: a cast to json made after creation ran unchecked (as a superuser owner's,
-- rows stale), a function run inside maintenance's statements wrote the TVIEW table, a
-- constraint's error showed a writer the row it could not read, and pg_tviews_drop queued
-- for the sources' locks before checking who asked.
CREATE SCHEMA dc;
SET search_path = dc, public;
CREATE ROLE dc_owner;
CREATE ROLE dc_other;
CREATE ROLE dc_writer;
GRANT USAGE, CREATE ON SCHEMA dc TO dc_owner, dc_other;
GRANT USAGE ON SCHEMA dc TO dc_writer;
CREATE TYPE dc.mood AS ENUM ('happy', 'sad');
ALTER TYPE dc.mood OWNER TO dc_other;
CREATE TABLE dc.tb_item (pk_item int PRIMARY KEY, mood dc.mood, name text);
INSERT INTO dc.tb_item VALUES (1, 'happy', 'a'), (2, 'sad', 'b');
ALTER TABLE dc.tb_item OWNER TO dc_owner;
GRANT SELECT, UPDATE ON dc.tb_item TO dc_other, dc_writer;

SET ROLE dc_owner;
-- The mood as json, named, and the whole row (whose columns it reaches without naming them).
SELECT pg_tviews_create('dc.item', $$
    SELECT i.pk_item, jsonb_build_object('mood', i.mood, 'name', i.name) AS data FROM dc.tb_item i $$);
SELECT pg_tviews_create('dc.item_row', $$ SELECT i.pk_item, to_jsonb(i) AS data FROM dc.tb_item i $$,
                        mode => 'deferred');
RESET ROLE;

-- 1. A cast to json changes what to_json and the like compute: made or dropped after
-- creation, every TVIEW whose values go through it is recomputed (a named column or a whole
-- row). The owner's own cast function is accepted.
SET ROLE dc_owner;
CREATE FUNCTION dc.mood_json(dc.mood) RETURNS json IMMUTABLE LANGUAGE sql
    AS $$ SELECT pg_catalog.to_json($1::text || '!') $$;
RESET ROLE;
CREATE CAST (dc.mood AS json) WITH FUNCTION dc.mood_json(dc.mood);
SELECT pk_item, data FROM dc.tv_item ORDER BY 1;
SELECT pk_item, data->>'mood' AS mood FROM dc.tv_item_row ORDER BY 1;
SELECT * FROM pg_tviews_check('dc.item') UNION ALL SELECT * FROM pg_tviews_check('dc.item_row');
DROP CAST (dc.mood AS json);
SELECT pk_item, data FROM dc.tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('dc.item') UNION ALL SELECT * FROM pg_tviews_check('dc.item_row');

-- 2. A cast whose function another role owns (the type's owner may make one at any time):
-- refused, as it would run that role's code with the TVIEW owner's rights on every write.
SET ROLE dc_other;
CREATE FUNCTION dc.loud(dc.mood) RETURNS json IMMUTABLE LANGUAGE sql
    AS $$ SELECT pg_catalog.to_json(upper($1::text)) $$;
CREATE CAST (dc.mood AS json) WITH FUNCTION dc.loud(dc.mood);
RESET ROLE;
SELECT count(*) AS casts FROM pg_cast WHERE castsource = 'dc.mood'::regtype;

-- 3. Code a maintenance statement runs may not write the TVIEW table, whichever way it
-- writes: a statement, a data-modifying WITH query (run when its statement finishes), or
-- TRUNCATE (which PostgreSQL itself refuses on a table in use).
SET ROLE dc_owner;
CREATE FUNCTION dc.forge(how text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF how = 'none' THEN
        RETURN;
    ELSIF how = 'insert' THEN
        INSERT INTO dc.tv_item VALUES (666, '{"forged": true}');
    ELSIF how = 'with' THEN
        EXECUTE 'WITH x AS (INSERT INTO dc.tv_item VALUES (777, ''{}'') RETURNING 1) SELECT 1';
    ELSE
        TRUNCATE dc.tv_item;
    END IF;
END $$;
CREATE TABLE dc.how (how text);
INSERT INTO dc.how VALUES ('none');
-- IMMUTABLE, so the definition may call it (its body is the owner's responsibility).
CREATE FUNCTION dc.mood_forging(dc.mood) RETURNS json IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dc.forge((SELECT how FROM dc.how));
    RETURN pg_catalog.to_json($1::text);
END $$;
RESET ROLE;
CREATE CAST (dc.mood AS json) WITH FUNCTION dc.mood_forging(dc.mood);
UPDATE dc.how SET how = 'insert';
UPDATE dc.tb_item SET name = 'i' WHERE pk_item = 1;
UPDATE dc.how SET how = 'with';
UPDATE dc.tb_item SET name = 'w' WHERE pk_item = 1;
UPDATE dc.how SET how = 'truncate';
UPDATE dc.tb_item SET name = 't' WHERE pk_item = 1;
DROP CAST (dc.mood AS json);
SELECT pk_item, data FROM dc.tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('dc.item');

-- 4. An error raised inside maintenance may carry values of rows the writer cannot read
-- (maintenance reads as the owner). A writer without SELECT on the TVIEW table and every
-- table it reads gets the SQLSTATE, not the text; one who may read them gets it whole.
SET ROLE dc_owner;
CREATE TABLE dc.tb_salary (fk_item int PRIMARY KEY REFERENCES dc.tb_item, amount int NOT NULL);
INSERT INTO dc.tb_salary VALUES (1, 123456), (2, 654321);
SELECT pg_tviews_create('dc.pay', $$
    SELECT i.pk_item, i.name, jsonb_build_object('amount', s.amount) AS data
      FROM dc.tb_item i JOIN dc.tb_salary s ON s.fk_item = i.pk_item $$);
ALTER TABLE dc.tv_pay ADD CONSTRAINT short_name CHECK (length(name) < 5);
RESET ROLE;
SET ROLE dc_writer;
\set VERBOSITY default
UPDATE dc.tb_item SET name = 'too long' WHERE pk_item = 1;
RESET ROLE;
GRANT SELECT ON dc.tv_pay, dc.tb_salary TO dc_writer;
SET ROLE dc_writer;
UPDATE dc.tb_item SET name = 'too long' WHERE pk_item = 1;
RESET ROLE;
\set VERBOSITY terse

-- 5. pg_tviews_drop by a role that may not drop the table: refused before any lock.
SET ROLE dc_writer;
SELECT pg_tviews_drop('dc.item');
RESET ROLE;
SELECT count(*) AS tviews FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
 WHERE c.relnamespace = 'dc'::regnamespace;

SELECT tview, check_name FROM pg_tviews_health_check() WHERE NOT ok AND tview LIKE 'dc.%';

-- From a second review of the above.
-- 6. A function folded while maintenance plans its statement (an IMMUTABLE function over
-- constants, calling one that writes) runs outside any executor run: refused all the same.
SET ROLE dc_owner;
CREATE FUNCTION dc.write_tv() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT how FROM dc.how) = 'insert' THEN
        INSERT INTO dc.tv_item VALUES (888, '{"folded": true}');
    END IF;
    RETURN 1;
END $$;
CREATE FUNCTION dc.folded(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
DECLARE v int;
BEGIN v := dc.write_tv(); RETURN $1 + v - 1; END $$;
UPDATE dc.how SET how = 'none';
SELECT pg_tviews_create('dc.fold', $$ SELECT i.pk_item, i.name, dc.folded(1) AS one FROM dc.tb_item i $$);
UPDATE dc.how SET how = 'insert';
RESET ROLE;
UPDATE dc.tb_item SET name = 'f' WHERE pk_item = 2;
SELECT count(*) AS forged FROM dc.tv_item WHERE pk_item = 888;
UPDATE dc.how SET how = 'none';
SELECT * FROM pg_tviews_check('dc.fold');

-- 7. Renaming one of pg_tviews' triggers takes it out of place as dropping it does (and a
-- DROP under the new name is still noticed); ENABLE ALWAYS on a trigger for ordinary
-- sessions would maintain a replica session's rows twice. Each warns and marks.
CREATE VIEW dc.marks AS
    SELECT m.tview_name, m.maybe_stale IS NOT NULL AS marked
      FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
     WHERE c.relnamespace = 'dc'::regnamespace ORDER BY 1;
ALTER TRIGGER pgtv_update ON dc.tb_item RENAME TO zz_update;
DROP TRIGGER zz_update ON dc.tb_item;
SELECT * FROM dc.marks;
SELECT pg_tviews_refresh('dc.item'), pg_tviews_refresh('dc.item_row'), pg_tviews_refresh('dc.pay'),
       pg_tviews_refresh('dc.fold');
SELECT * FROM dc.marks;
ALTER TABLE dc.tb_item ENABLE ALWAYS TRIGGER pgtv_insert;
SELECT * FROM dc.marks;
ALTER TABLE dc.tb_item ENABLE TRIGGER pgtv_insert;
SELECT count(*) AS cleared FROM pg_tview_meta m, pg_tviews_check(m.table_name::text) c
 WHERE m.table_name::regclass::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'dc'::regnamespace);
SELECT * FROM dc.marks;
-- CREATE OR REPLACE TRIGGER of one of them with another function (TRIGGER on the table
-- allows it, no ownership needed): refused; with pg_tviews' own, as it is: accepted, no mark.
CREATE FUNCTION dc.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER pgtv_update AFTER UPDATE ON dc.tb_item
    REFERENCING OLD TABLE AS pgtv_old NEW TABLE AS pgtv_new FOR EACH STATEMENT EXECUTE FUNCTION dc.noop();
\echo :LAST_ERROR_SQLSTATE
UPDATE dc.tb_item SET name = 'r' WHERE pk_item = 2;
CREATE OR REPLACE TRIGGER pgtv_update AFTER UPDATE ON dc.tb_item
    REFERENCING OLD TABLE AS pgtv_old NEW TABLE AS pgtv_new FOR EACH STATEMENT EXECUTE FUNCTION public.pg_tviews_source_trigger();
SELECT * FROM dc.marks;
SELECT * FROM pg_tviews_check('dc.item');
DROP VIEW dc.marks;

-- 8. The event triggers' helpers are not for calling by hand.
SET ROLE dc_writer;
SELECT pg_tviews_after_cast('int4'::regtype, 'jsonb'::regtype, 'CREATE CAST');
SELECT pg_tviews_after_trigger_drop(ARRAY['dc.tb_item'::regclass::oid]);
RESET ROLE;

-- 9. Withheld by default: an error of any class may quote a value (a tsquery's parser
-- quotes its input: SQLSTATE 42601).
SET ROLE dc_owner;
CREATE TABLE dc.tb_note (fk_item int PRIMARY KEY REFERENCES dc.tb_item, q text NOT NULL);
INSERT INTO dc.tb_note VALUES (1, 'secret code 4711');
UPDATE dc.tb_item SET name = 'x' WHERE pk_item = 1;
-- Item 1's note is read only once its name is not 'x'.
SELECT pg_tviews_create('dc.note', $$
    SELECT i.pk_item, to_tsquery('simple', n.q)::text AS q
      FROM dc.tb_item i JOIN dc.tb_note n ON n.fk_item = i.pk_item WHERE i.name <> 'x' $$);
RESET ROLE;
SET ROLE dc_writer;
\set VERBOSITY default
UPDATE dc.tb_item SET name = 'n' WHERE pk_item = 1;
\set VERBOSITY terse
RESET ROLE;

-- 10. Built-in functions reading server state no write changes: refused.
SELECT pg_tviews_create('dc.live', $$ SELECT i.pk_item, pg_stat_get_live_tuples('dc.tb_item'::regclass) AS n FROM dc.tb_item i $$);
SELECT pg_tviews_create('dc.aged', $$ SELECT i.pk_item, age(i.xmin) AS a FROM dc.tb_item i $$);
SELECT pg_tviews_create('dc.xml', $$ SELECT i.pk_item, table_to_xml('dc.tb_note', true, false, '') AS x FROM dc.tb_item i $$);
-- Who logged in, called as a function rather than by its keyword: refused like the keyword.
SELECT pg_tviews_create('dc.who', $$ SELECT i.pk_item, pg_catalog."session_user"()::text AS who FROM dc.tb_item i $$);

-- 11. Tables without a primary key get a replica identity (a publication FOR ALL TABLES
-- would refuse maintenance's UPDATE and DELETE without one): a TVIEW keyed by a column
-- that may be NULL or by several, and the state tables.
CREATE TABLE dc.tb_sale (pk_sale int PRIMARY KEY, region text, kind text, amount int NOT NULL);
INSERT INTO dc.tb_sale VALUES (1, NULL, 'a', 5), (2, 'n', 'b', 7);
SELECT pg_tviews_create('dc.by_region', $$ SELECT s.region, count(*) AS n, sum(s.amount) AS total FROM dc.tb_sale s GROUP BY s.region $$);
SELECT pg_tviews_create('dc.by_pair', $$ SELECT s.region, s.kind, count(*) AS n FROM dc.tb_sale s WHERE s.region IS NOT NULL GROUP BY s.region, s.kind $$);
SELECT c.relname, c.relreplident FROM pg_class c
 WHERE (c.relnamespace = 'dc'::regnamespace AND c.relname IN ('tv_by_region', 'tv_by_pair', 'tv_item'))
    OR (c.relnamespace = 'tviews_def'::regnamespace AND c.relname LIKE 'tv\_by\_%')
 ORDER BY 1, 2;

-- 12. A catalog row without pinned settings (restored from a dump of a version before
-- 0.2.0): maintenance runs with PostgreSQL's built-in values, never the writer's, and the
-- health check says so.
SET ROLE dc_owner;
CREATE TABLE dc.tb_event (pk_event int PRIMARY KEY, at timestamptz NOT NULL);
SELECT pg_tviews_create('dc.event', $$ SELECT e.pk_event, e.at::text AS at FROM dc.tb_event e $$);
RESET ROLE;
UPDATE pg_tview_meta SET settings = '{}' WHERE table_name = 'dc.tv_event'::regclass;
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'dc.tv_event' AND NOT ok;
SET TimeZone = 'Asia/Tokyo';
SET timezone_abbreviations = 'India';
INSERT INTO dc.tb_event VALUES (1, '2026-01-01 00:00:00+00');
RESET TimeZone;
RESET timezone_abbreviations;
SELECT source, maintenance LIKE '%timezone_abbreviations=Default%' AS abbreviations_pinned
  FROM pg_tviews_explain('dc.event') WHERE source = '(every source)';
SELECT at FROM dc.tv_event;
SELECT pg_tviews_set_setting('dc.event', 'TimeZone', 'UTC');
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'dc.tv_event' AND NOT ok;
SELECT at FROM dc.tv_event;

-- 13. A domain's CHECK runs where the definition converts values to the domain, and the
-- domain's owner may add one at any time: what it calls must be the TVIEW owner's or a
-- superuser's (like a cast to json). Built-in checks, and domains of source columns (read,
-- never converted to), are fine.
SET ROLE dc_other;
CREATE FUNCTION dc.other_ok(int) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$ SELECT $1 >= 0 $$;
CREATE DOMAIN dc.qty AS int CHECK (VALUE >= 0);
CREATE DOMAIN dc.qty_base AS int;
CREATE DOMAIN dc.qty_outer AS dc.qty_base;
CREATE DOMAIN dc.checked AS int CHECK (dc.other_ok(VALUE));
CREATE DOMAIN dc.label AS text CHECK (dc.other_ok(length(VALUE)));
RESET ROLE;
SET ROLE dc_owner;
CREATE TABLE dc.tb_stock (pk_stock int PRIMARY KEY, n int NOT NULL, tag dc.label);
INSERT INTO dc.tb_stock VALUES (1, 5, 'a');
SELECT pg_tviews_create('dc.stock', $$
    SELECT s.pk_stock, s.n::dc.qty AS q, s.n::dc.qty_outer AS o, s.tag FROM dc.tb_stock s $$);
-- Converting to a domain whose check calls another role's function: refused at creation.
SELECT pg_tviews_create('dc.stock_checked', $$ SELECT s.pk_stock, s.n::dc.checked AS c FROM dc.tb_stock s $$);
RESET ROLE;
SET ROLE dc_other;
-- Adding such a check later (to the domain, or to one it is over): refused.
ALTER DOMAIN dc.qty ADD CONSTRAINT qty_other CHECK (dc.other_ok(VALUE));
ALTER DOMAIN dc.qty_base ADD CONSTRAINT base_other CHECK (dc.other_ok(VALUE));
-- A built-in check: accepted, and the TVIEW is recomputed under it.
ALTER DOMAIN dc.qty_base ADD CONSTRAINT base_small CHECK (VALUE < 1000);
RESET ROLE;
SET ROLE dc_owner;
UPDATE dc.tb_stock SET n = 7;
UPDATE dc.tb_stock SET n = 5000;
SELECT pk_stock, q, o, tag FROM dc.tv_stock;
SELECT * FROM pg_tviews_check('dc.stock');
RESET ROLE;

-- 14. The owner loses SELECT on a source (a restore with --no-acl, a REVOKE): every write
-- to it fails, and the health check names the source.
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'dc.tv_stock' AND check_name = 'owner privileges';
ALTER TABLE dc.tb_stock OWNER TO postgres;
REVOKE ALL ON dc.tb_stock FROM dc_owner;
SELECT check_name, ok, detail FROM pg_tviews_health_check() WHERE tview = 'dc.tv_stock' AND NOT ok;
UPDATE dc.tb_stock SET n = 8;
GRANT SELECT (pk_stock, n, tag) ON dc.tb_stock TO dc_owner;
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'dc.tv_stock' AND NOT ok;
UPDATE dc.tb_stock SET n = 8;
SELECT pk_stock, q FROM dc.tv_stock;

-- 15. Built-ins a domain's CHECK calls count too (PostgreSQL records no dependency on
-- them): one that runs a query given as text (ts_rewrite ran the domain owner's function
-- as a superuser TVIEW owner), reads tables named in its arguments, or reads the session.
SET ROLE dc_other;
CREATE FUNCTION dc.noisy() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ran as %', current_user; RETURN 1; END $$;
ALTER DOMAIN dc.qty ADD CHECK (ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery FROM (SELECT dc.noisy()) s') IS NOT NULL);
ALTER DOMAIN dc.qty ADD CHECK (length(table_to_xml('dc.tb_stock'::regclass, true, false, '')::text) > 0);
ALTER DOMAIN dc.qty ADD CHECK (VALUE::text <> current_setting('application_name'));
-- Keywords standing for such functions too.
ALTER DOMAIN dc.qty ADD CHECK (VALUE::text <> SESSION_USER);
ALTER DOMAIN dc.qty ADD CHECK (VALUE::text <> CURRENT_CATALOG);
RESET ROLE;
SELECT count(*) AS checks FROM pg_constraint WHERE contypid = 'dc.qty'::regtype;

-- 16. Functions answering for the session or the server, named in a definition: refused.
SELECT pg_tviews_create('dc.prepared', $$ SELECT s.pk_stock, (SELECT count(*) FROM pg_prepared_statement()) AS n FROM dc.tb_stock s $$);
SELECT pg_tviews_create('dc.dbs', $$ SELECT s.pk_stock, (SELECT count(*) FROM pg_tablespace_databases(1663)) AS n FROM dc.tb_stock s $$);
SELECT pg_tviews_create('dc.schema', $$ SELECT s.pk_stock, current_schema() AS s FROM dc.tb_stock s $$);

-- 17. A trigger on a TVIEW table fires inside maintenance, as the TVIEW's owner: its
-- function must be the owner's or a superuser's (TRIGGER on the table is not enough).
GRANT TRIGGER ON dc.tv_stock TO dc_other;
SET ROLE dc_other;
CREATE FUNCTION dc.other_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER z_other AFTER INSERT OR UPDATE ON dc.tv_stock FOR EACH ROW EXECUTE FUNCTION dc.other_trigger();
-- Nor may its WHEN condition call such a function (whatever function the trigger names).
CREATE FUNCTION dc.other_when() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ran as %', current_user; RETURN false; END $$;
CREATE TRIGGER z_when AFTER INSERT OR UPDATE ON dc.tv_stock FOR EACH ROW WHEN (dc.other_when()) EXECUTE FUNCTION pg_tviews_guard_trigger();
-- Nor a built-in that runs a query given as text, nor a conversion to a domain whose CHECK
-- calls such a function: only IMMUTABLE functions of the owner's or a superuser's.
CREATE TRIGGER z_text AFTER UPDATE ON dc.tv_stock FOR EACH ROW
    WHEN (ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery') IS NULL) EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE DOMAIN dc.when_dom AS int CHECK (dc.other_ok(VALUE));
CREATE TRIGGER z_dom AFTER UPDATE ON dc.tv_stock FOR EACH ROW
    WHEN ((NEW.pk_stock)::dc.when_dom IS NULL) EXECUTE FUNCTION suppress_redundant_updates_trigger();
RESET ROLE;
SET ROLE dc_owner;
CREATE FUNCTION dc.own_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER z_own AFTER UPDATE ON dc.tv_stock FOR EACH ROW
    WHEN (OLD.q IS DISTINCT FROM NEW.q) EXECUTE FUNCTION dc.own_trigger();
RESET ROLE;
UPDATE dc.tb_stock SET n = 9;
SELECT pk_stock, q FROM dc.tv_stock;
-- Nor may its function be given to another role afterwards.
ALTER FUNCTION dc.own_trigger() OWNER TO dc_other;

-- 18. The health check analyzes a definition (which locks the tables it reads until the
-- transaction ends) only for callers that may read the TVIEW.
BEGIN;
SET LOCAL ROLE dc_writer;
SELECT count(*) > 0 AS rows FROM pg_tviews_health_check();
SELECT count(*) AS locked FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation = 'dc.tb_stock'::regclass;
COMMIT;


-- 19. The owner privileges row counts what the executor checks: a whole row (to_jsonb(t))
-- needs every column, count(*) needs one, a security_invoker view's tables count for the
-- owner too.
CREATE TABLE dc.tb_wide (pk_wide int PRIMARY KEY, x int, secret text);
INSERT INTO dc.tb_wide VALUES (1, 2, 's');
GRANT SELECT, TRIGGER ON dc.tb_wide TO dc_owner;
CREATE VIEW dc.wide_inv WITH (security_invoker) AS SELECT w.pk_wide, w.x FROM dc.tb_wide w;
ALTER VIEW dc.wide_inv OWNER TO dc_owner;
SET ROLE dc_owner;
SELECT pg_tviews_create('dc.wide_whole', $$ SELECT w.pk_wide, to_jsonb(w) AS data FROM dc.tb_wide w $$);
SELECT pg_tviews_create('dc.wide_count', $$ SELECT 1 AS pk, count(*) AS n FROM dc.tb_wide w $$);
SELECT pg_tviews_create('dc.wide_view', $$ SELECT v.pk_wide, v.x FROM dc.wide_inv v $$);
RESET ROLE;
REVOKE SELECT ON dc.tb_wide FROM dc_owner;
GRANT SELECT (pk_wide, x) ON dc.tb_wide TO dc_owner;
SELECT tview, ok, detail FROM pg_tviews_health_check()
 WHERE check_name = 'owner privileges' AND tview LIKE 'dc.tv_wide%' ORDER BY tview;
UPDATE dc.tb_wide SET x = 3;
GRANT SELECT (secret) ON dc.tb_wide TO dc_owner;
SELECT tview, ok FROM pg_tviews_health_check()
 WHERE check_name = 'owner privileges' AND tview LIKE 'dc.tv_wide%' ORDER BY tview;
UPDATE dc.tb_wide SET x = 4;
REVOKE SELECT (pk_wide, x, secret) ON dc.tb_wide FROM dc_owner;
SELECT tview, ok FROM pg_tviews_health_check()
 WHERE check_name = 'owner privileges' AND tview LIKE 'dc.tv_wide%' ORDER BY tview;
GRANT SELECT ON dc.tb_wide TO dc_owner;
SELECT pk_wide, data->>'x' AS x FROM dc.tv_wide_whole;

DROP SCHEMA dc CASCADE;
DROP ROLE dc_owner;
DROP ROLE dc_other;
DROP ROLE dc_writer;
RESET search_path;
