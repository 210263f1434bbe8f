-- What a TVIEW definition cannot be, and the errors that say so (SQLSTATE, message, hint).
CREATE SCHEMA refused;
SET search_path = refused, public;
CREATE TABLE tb_thing (pk_thing int PRIMARY KEY, name text, n int);
CREATE TABLE tb_nokey (a int, b text);
INSERT INTO tb_thing VALUES (1, 'x', 1), (2, 'y', 1);
INSERT INTO tb_nokey VALUES (1, 'a'), (1, 'b');

\set VERBOSITY default
-- Not one SELECT.
SELECT pg_tviews_create('thing', 'SELECT 1; SELECT 2');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'DELETE FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT * FROM tb_thing FOR UPDATE');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELEC nothing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', NULL);
\echo :LAST_ERROR_SQLSTATE

-- Constructs no stored row can follow.
SELECT pg_tviews_create('thing', 'SELECT pk_thing, random() AS r FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing FROM tb_thing LIMIT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing, rank() OVER (ORDER BY n) FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing FROM tb_thing UNION SELECT 3');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing AS __pgtv_x FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE

-- No usable key.
SELECT pg_tviews_create('nokey', 'SELECT a, b FROM tb_nokey');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('nokey', 'SELECT a, b FROM tb_nokey', key => 'a');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing, name FROM tb_thing', key => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT pk_thing + 1 AS pk_thing, name FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('thing', 'SELECT n, count(*) FROM tb_thing GROUP BY n', key => 'count');
\echo :LAST_ERROR_SQLSTATE

-- Bad names.
SELECT pg_tviews_create('', 'SELECT pk_thing FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create(repeat('x', 61), 'SELECT pk_thing FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('a.b.c', 'SELECT pk_thing FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('nosuchschema.thing', 'SELECT pk_thing FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE

-- Never overwrite what the user owns.
CREATE TABLE tv_taken (x int);
SELECT pg_tviews_create('taken', 'SELECT pk_thing FROM tb_thing');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW v_thing AS SELECT 1 AS one;
SELECT pg_tviews_create('thing', 'SELECT pk_thing, name FROM tb_thing');
SELECT * FROM v_thing;

-- Nothing half-created remains after the failures above.
SELECT count(*) AS tviews FROM pg_tview_meta WHERE tview_name IN ('nokey', 'taken');
SELECT count(*) AS views FROM pg_views WHERE schemaname = 'tviews_def' AND viewname IN ('tv_nokey', 'tv_taken');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'tb_nokey'::regclass;

-- Sources that statement triggers cannot follow.
CREATE MATERIALIZED VIEW mv AS SELECT pk_thing FROM tb_thing;
SELECT pg_tviews_create('frommv', 'SELECT pk_thing FROM mv');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE tb_parent (pk int PRIMARY KEY);
CREATE TABLE tb_child () INHERITS (tb_parent);
SELECT pg_tviews_create('inh', 'SELECT pk FROM tb_parent');
\echo :LAST_ERROR_SQLSTATE

-- Row locking clauses anywhere (a subquery, a correlated subquery, a view): refused by
-- pg_tviews, not by the read-only execution that would run them.
SELECT pg_tviews_create('locked', $$ SELECT * FROM (SELECT pk_thing FROM tb_thing FOR UPDATE) s $$);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_tviews_create('locked', $$ SELECT t.pk_thing,
    (SELECT u.pk_thing FROM tb_thing u WHERE u.pk_thing = t.pk_thing FOR KEY SHARE) AS same FROM tb_thing t $$);
CREATE VIEW v_locked AS SELECT pk_thing FROM tb_thing FOR NO KEY UPDATE;
SELECT pg_tviews_create('locked', 'SELECT pk_thing FROM v_locked');
DROP VIEW v_locked;

-- The definition view dropped on its own detaches the TVIEW: its table stays, a plain
-- table (tview_31_parts_dropped has more).
DROP VIEW tviews_def.tv_thing;
SELECT count(*) AS tviews FROM pg_tview_meta WHERE table_name = 'refused.tv_thing'::regclass;
DROP TABLE tv_thing;

RESET search_path;
