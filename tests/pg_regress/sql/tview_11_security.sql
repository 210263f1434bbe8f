-- Hostile names and input, and what roles without superuser can and cannot do.
\set VERBOSITY default

-- Identifiers that need quoting everywhere: quotes, spaces, mixed case, a semicolon, a
-- 63-byte name, in a schema that needs quoting too.
CREATE SCHEMA "Odd ""Schema"" ;";
SET search_path = "Odd ""Schema"" ;", public;
CREATE TABLE "tb Parent's" ("Key Col" int PRIMARY KEY, "name; DROP TABLE x" text NOT NULL);
CREATE TABLE "TB_Child" ("Id" int PRIMARY KEY, "Parent Ref" int NOT NULL REFERENCES "tb Parent's",
                         "value ""quoted""" int NOT NULL);
INSERT INTO "tb Parent's" VALUES (1, 'one'), (2, 'two');
INSERT INTO "TB_Child" VALUES (10, 1, 5), (11, 1, 6), (12, 2, 7);

-- TVIEW names are SQL identifiers, quoted as SQL quotes them (like regclass input).
SELECT pg_tviews_create('Parent "Doc" ;', 'SELECT 1 AS k');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('"Parent ""Doc"" ;"', $$
    SELECT p."Key Col", jsonb_build_object(
               'name', p."name; DROP TABLE x",
               'children', (SELECT coalesce(jsonb_agg(c."value ""quoted""" ORDER BY c."Id"), '[]')
                              FROM "TB_Child" c WHERE c."Parent Ref" = p."Key Col")) AS "Data ""doc"""
      FROM "tb Parent's" p $$, mode => 'deferred');
SELECT table_name, tview_name, key_column, mode FROM pg_tview_meta WHERE tview_name = 'Parent "Doc" ;';
-- The longest name that fits: tv_ + 60 bytes (multibyte characters count as bytes).
SELECT pg_tviews_create(repeat('é', 30), $$ SELECT p."Key Col" FROM "tb Parent's" p $$);
SELECT octet_length(c.relname) AS table_name_bytes
  FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE m.tview_name = repeat('é', 30);
SELECT pg_tviews_create(repeat('é', 30) || 'x', $$ SELECT p."Key Col" FROM "tb Parent's" p $$);
\echo :LAST_ERROR_SQLSTATE

-- Maintained through every quoted name, in both modes.
INSERT INTO "TB_Child" VALUES (13, 2, 8);
UPDATE "tb Parent's" SET "name; DROP TABLE x" = 'TWO' WHERE "Key Col" = 2;
DELETE FROM "TB_Child" WHERE "Id" = 10;
SELECT * FROM "tv_Parent ""Doc"" ;" ORDER BY 1;
SELECT * FROM pg_tviews_check('"Odd ""Schema"" ;"."Parent ""Doc"" ;"');
SELECT pg_tviews_set_mode('"Odd ""Schema"" ;"."Parent ""Doc"" ;"', 'immediate');
UPDATE "TB_Child" SET "value ""quoted""" = 50 WHERE "Id" = 11;
SELECT * FROM pg_tviews_check('"Parent ""Doc"" ;"');
SELECT source, reaches FROM pg_tviews_explain('"Parent ""Doc"" ;"') WHERE source <> '(every source)' ORDER BY 1;
-- CREATE TABLE ... AS works with such names too.
CREATE TABLE "tv_Other Doc" AS SELECT c."Id", c."value ""quoted""" * 2 AS "Twice" FROM "TB_Child" c;
UPDATE "TB_Child" SET "value ""quoted""" = 1;
SELECT * FROM pg_tviews_check('"Other Doc"');

-- Injection attempts: every argument is data, never SQL. Each fails cleanly and nothing else
-- runs (the tables are all still here at the end).
SELECT pg_tviews_create('x', $$ SELECT 1 AS k; DROP TABLE "TB_Child" $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ SELECT "Id" FROM "TB_Child") ; DROP TABLE "TB_Child"; -- $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ SELECT "Id" FROM "TB_Child" $$, key => 'Id"; DROP TABLE "TB_Child"; --');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ SELECT "Id" FROM "TB_Child" $$, mode => 'deferred''; DROP TABLE "TB_Child"; --');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x"; DROP TABLE "TB_Child"; --', $$ SELECT "Id" FROM "TB_Child" $$);
\echo :LAST_ERROR_SQLSTATE
-- Quoted, the same text is just a (strange) name.
SELECT pg_tviews_create('"x""; DROP TABLE ""TB_Child""; --"', $$ SELECT "Id" FROM "TB_Child" $$);
SELECT tview_name FROM pg_tview_meta WHERE tview_name LIKE 'x%';
SELECT pg_tviews_drop('"x""; DROP TABLE ""TB_Child""; --"');
SELECT * FROM pg_tviews_check($$product'); DROP TABLE "TB_Child"; --$$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ SELECT "Id" FROM "TB_Child" WHERE pg_sleep(0) IS NOT NULL $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ SELECT "Id", (SELECT count(*) FROM pg_catalog.pg_authid) FROM "TB_Child" $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', $$ WITH d AS (DELETE FROM "TB_Child" RETURNING *) SELECT "Id" FROM d $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('x', repeat('(', 100000) || 'SELECT 1' || repeat(')', 100000));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS children_still_there FROM "TB_Child";
-- Nothing half-created by the failures above.
SELECT count(*) AS stray_meta FROM pg_tview_meta WHERE tview_name = 'x';
SELECT count(*) AS stray_views FROM pg_class WHERE relnamespace = 'tviews_def'::regnamespace AND relname = 'tv_x';
SELECT count(*) AS stray_tables FROM pg_class WHERE relname = 'tv_x';

-- Roles without superuser. An application role owns its tables and TVIEWs; a writer may
-- only write the sources; a reader may only read the TVIEW.
RESET search_path;
CREATE ROLE tviews_app;
CREATE ROLE tviews_src_writer;
CREATE ROLE tviews_reader;
CREATE SCHEMA app AUTHORIZATION tviews_app;
CREATE SCHEMA reader AUTHORIZATION tviews_reader;
GRANT USAGE ON SCHEMA app TO tviews_src_writer, tviews_reader;
SET ROLE tviews_app;
CREATE TABLE app.tb_secret (pk int PRIMARY KEY, visible text, hidden text);
INSERT INTO app.tb_secret VALUES (1, 'public part', 'salary 100');
SELECT pg_tviews_create('app.secret', $$
    SELECT s.pk, jsonb_build_object('visible', s.visible) AS data FROM app.tb_secret s $$);
GRANT INSERT, UPDATE, DELETE, SELECT (pk) ON app.tb_secret TO tviews_src_writer;
GRANT SELECT ON app.tv_secret TO tviews_reader;
RESET ROLE;

-- The writer writes the source (maintenance runs as the owner); it reads only the key column
-- its WHERE clauses need, and nothing of the TVIEW.
SET ROLE tviews_src_writer;
INSERT INTO app.tb_secret VALUES (2, 'second', 'salary 200');
UPDATE app.tb_secret SET visible = 'changed' WHERE pk = 1;
SELECT * FROM app.tv_secret;
SELECT * FROM app.tb_secret;
DELETE FROM app.tb_secret WHERE pk = 2;
INSERT INTO app.tb_secret VALUES (3, 'third', 'salary 300');
RESET ROLE;
-- The reader reads the TVIEW (and only what the definition exposes), not the source, and
-- not the definition view either.
SET ROLE tviews_reader;
SELECT * FROM app.tv_secret ORDER BY pk;
SELECT * FROM app.tb_secret;
SELECT * FROM tviews_def.tv_secret;
-- Nor can it write the TVIEW, refresh it, or change its mode.
UPDATE app.tv_secret SET data = '{}';
SELECT pg_tviews_refresh('app.secret');
SELECT pg_tviews_set_mode('app.secret', 'deferred');
-- A TVIEW over a table it cannot read is refused: no data leaks through a definition.
SELECT pg_tviews_create('reader.leak', $$ SELECT s.pk, s.hidden FROM app.tb_secret s $$);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE reader.tv_leak AS SELECT s.pk, s.hidden FROM app.tb_secret s;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS leak_tviews FROM pg_tview_meta WHERE tview_name = 'leak';
SELECT * FROM pg_tviews_check('app.secret');

DROP SCHEMA "Odd ""Schema"" ;" CASCADE;
DROP SCHEMA app CASCADE;
DROP SCHEMA reader CASCADE;
DROP ROLE tviews_app, tviews_src_writer, tviews_reader;
SELECT count(*) AS tviews_left FROM pg_tview_meta
 WHERE tview_name IN ('Parent "Doc" ;', 'Other Doc', 'secret') OR tview_name = repeat('é', 30);
