-- How a TVIEW's key is chosen when none is named, keys that may be NULL (a NULL group is a
-- group like any other), and definitions of one row (aggregates without GROUP BY). Every
-- section ends with the oracle.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE SCHEMA keys;
SET search_path = keys, public;

CREATE TABLE tb_region (pk_region int PRIMARY KEY, zone text);
CREATE TABLE tb_shop (pk_shop int PRIMARY KEY, fk_region int REFERENCES tb_region,
                      kind text, email text UNIQUE, name text NOT NULL, sales int NOT NULL);
INSERT INTO tb_region VALUES (1, 'north'), (2, NULL), (3, 'south');
INSERT INTO tb_shop VALUES (1, 1, 'kiosk', 'a@x', 'Ada', 10), (2, 2, NULL, NULL, 'Bob', 20),
                           (3, NULL, NULL, 'c@x', 'Cy', 30), (4, 3, 'mall', 'd@x', 'Di', 40);

-- 1. A GROUP BY column is the key without being named. It may be NULL here (kind has no
-- NOT NULL): the NULL group is one row, kept by a unique index that counts NULL once.
SELECT pg_tviews_create('by_kind', $$
    SELECT kind, count(*) AS shops, sum(sales) AS sales FROM tb_shop GROUP BY kind $$);
SELECT pg_tviews_create('by_kind_deferred', $$
    SELECT kind, count(*) AS shops, sum(sales) AS sales FROM tb_shop GROUP BY kind $$,
    mode => 'deferred');
SELECT tview_name, key_column, key_proven FROM pg_tview_meta WHERE tview_name LIKE 'by_kind%' ORDER BY 1;
SELECT indexrelid::regclass, indisprimary, indnullsnotdistinct
  FROM pg_index WHERE indrelid = 'keys.tv_by_kind'::regclass;
SELECT * FROM tv_by_kind ORDER BY kind NULLS FIRST;
-- Explain says which key was chosen, why, and what a NULL key is.
SELECT reaches, maintenance FROM pg_tviews_explain('by_kind') WHERE source = '(key)';
-- Into, within and out of the NULL group, in one statement and across statements.
INSERT INTO tb_shop VALUES (5, 1, NULL, 'e@x', 'Eve', 5);
UPDATE tb_shop SET kind = 'kiosk' WHERE pk_shop = 2;
UPDATE tb_shop SET kind = NULL WHERE pk_shop = 4;
UPDATE tb_shop SET sales = sales + 1;
BEGIN;
UPDATE tb_shop SET kind = NULL WHERE kind = 'kiosk';
DELETE FROM tb_shop WHERE pk_shop = 3;
INSERT INTO tb_shop VALUES (6, 3, 'mall', NULL, 'Fay', 60);
COMMIT;
SELECT * FROM tv_by_kind ORDER BY kind NULLS FIRST;
SELECT * FROM tv_by_kind_deferred ORDER BY kind NULLS FIRST;
SELECT pg_tviews_check('by_kind') AS immediate, pg_tviews_check('by_kind_deferred') AS deferred;
-- The NULL group vanishes and comes back.
UPDATE tb_shop SET kind = 'stall' WHERE kind IS NULL;
SELECT count(*) FILTER (WHERE kind IS NULL) AS null_groups FROM tv_by_kind;
UPDATE tb_shop SET kind = NULL WHERE pk_shop = 1;
SELECT * FROM tv_by_kind ORDER BY kind NULLS FIRST;
SELECT pg_tviews_check('by_kind') AS immediate, pg_tviews_check('by_kind_deferred') AS deferred;

-- 2. A nullable GROUP BY column of a lookup: a shop's change reaches its region's group, a
-- region's change every group its shops are in; both modes.
SELECT pg_tviews_create('by_zone', $$
    SELECT r.zone, count(*) AS shops, sum(s.sales) AS sales
      FROM tb_shop s JOIN tb_region r ON r.pk_region = s.fk_region GROUP BY r.zone $$);
SELECT pg_tviews_create('by_zone_deferred', $$
    SELECT r.zone, count(*) AS shops, sum(s.sales) AS sales
      FROM tb_shop s JOIN tb_region r ON r.pk_region = s.fk_region GROUP BY r.zone $$,
    mode => 'deferred');
UPDATE tb_region SET zone = NULL WHERE pk_region = 1;
UPDATE tb_shop SET fk_region = 2 WHERE pk_shop = 6;
BEGIN;
UPDATE tb_region SET zone = 'east' WHERE zone IS NULL AND pk_region = 2;
UPDATE tb_region SET zone = NULL WHERE pk_region = 3;
COMMIT;
SELECT * FROM tv_by_zone ORDER BY zone NULLS FIRST;
SELECT pg_tviews_check('by_zone') AS immediate, pg_tviews_check('by_zone_deferred') AS deferred;
TRUNCATE tb_shop;
SELECT count(*) AS rows_left FROM tv_by_zone;
SELECT pg_tviews_check('by_zone') AS immediate, pg_tviews_check('by_zone_deferred') AS deferred,
       pg_tviews_check('by_kind') AS by_kind;
INSERT INTO tb_shop VALUES (1, 1, 'kiosk', 'a@x', 'Ada', 10), (2, 2, NULL, NULL, 'Bob', 20),
                           (3, NULL, NULL, 'c@x', 'Cy', 30), (4, 3, 'mall', 'd@x', 'Di', 40);

-- 3. A named key that may be NULL: one row may have it NULL; a second is refused, at
-- creation and by a write. The fast path patches the row whose key is NULL too.
SELECT pg_tviews_create('shop_by_email', $$
    SELECT s.email, jsonb_build_object('name', s.name, 'sales', s.sales) AS data FROM tb_shop s $$,
    key => 'email');
SELECT reaches, maintenance FROM pg_tviews_explain('shop_by_email') WHERE source = '(key)';
UPDATE tb_shop SET name = 'Robert', sales = 21 WHERE pk_shop = 2;
SELECT * FROM tv_shop_by_email ORDER BY email NULLS FIRST;
UPDATE tb_shop SET email = NULL WHERE pk_shop = 1;
UPDATE tb_shop SET email = 'b@x' WHERE pk_shop = 2;
SELECT * FROM tv_shop_by_email ORDER BY email NULLS FIRST;
SELECT pg_tviews_check('shop_by_email');
SELECT pg_tviews_drop('shop_by_email');
UPDATE tb_shop SET email = NULL WHERE pk_shop IN (2, 3);
SELECT pg_tviews_create('shop_by_email_again', $$ SELECT s.email, s.name FROM tb_shop s $$, key => 'email');
\echo :LAST_ERROR_SQLSTATE

-- 4. Of several pk_* columns, the one proven unique is the key: the order line, not the
-- order it belongs to.
CREATE TABLE tb_order (pk_order int PRIMARY KEY, placed date NOT NULL);
CREATE TABLE tb_line (pk_line int PRIMARY KEY, fk_order int NOT NULL REFERENCES tb_order, qty int NOT NULL);
INSERT INTO tb_order VALUES (1, '2026-01-01'), (2, '2026-02-01');
INSERT INTO tb_line VALUES (10, 1, 1), (11, 1, 2), (12, 2, 3);
SELECT pg_tviews_create('order_line', $$
    SELECT o.pk_order, l.pk_line, o.placed, l.qty FROM tb_order o JOIN tb_line l ON l.fk_order = o.pk_order $$);
SELECT key_column FROM pg_tview_meta WHERE tview_name = 'order_line';
UPDATE tb_order SET placed = '2026-03-01' WHERE pk_order = 1;
DELETE FROM tb_line WHERE pk_line = 12;
SELECT * FROM tv_order_line ORDER BY pk_line;
SELECT pg_tviews_check('order_line');

-- 5. Columns that identify the rows only together: refused, naming them.
SELECT pg_tviews_create('by_kind_zone', $$
    SELECT s.kind, s.fk_region, count(*) AS shops FROM tb_shop s GROUP BY s.kind, s.fk_region $$);

-- 6. One row: an aggregate without GROUP BY. Every change recomputes that row (the
-- aggregate), in both modes, with NULL sums when there are no rows.
SELECT pg_tviews_create('totals', $$
    SELECT count(*) AS shops, sum(sales) AS sales,
           jsonb_build_object('names', jsonb_agg(name ORDER BY name), 'best', max(sales)) AS data
      FROM tb_shop $$);
SELECT pg_tviews_create('totals_deferred', $$
    SELECT sum(sales) AS sales, count(*) AS shops FROM tb_shop $$, mode => 'deferred');
SELECT key_column, key_proven FROM pg_tview_meta WHERE tview_name LIKE 'totals%' ORDER BY tview_name;
SELECT source, reaches, maintenance FROM pg_tviews_explain('totals') WHERE source <> '(every source)';
SELECT * FROM tv_totals;
INSERT INTO tb_shop VALUES (7, 1, 'kiosk', 'g@x', 'Gil', 70);
BEGIN;
UPDATE tb_shop SET sales = sales * 2;
DELETE FROM tb_shop WHERE pk_shop = 1;
COMMIT;
SELECT * FROM tv_totals;
SELECT * FROM tv_totals_deferred;
DELETE FROM tb_shop;
SELECT * FROM tv_totals;
SELECT * FROM tv_totals_deferred;
INSERT INTO tb_shop VALUES (1, 1, 'kiosk', 'a@x', 'Ada', 10);
TRUNCATE tb_shop;
SELECT * FROM tv_totals;
SELECT pg_tviews_check('totals') AS immediate, pg_tviews_check('totals_deferred') AS deferred;
SELECT pg_tviews_refresh('totals');
SELECT * FROM tv_totals;

-- Every TVIEW of this file passes the health check.
SELECT tview, check_name, detail FROM pg_tviews_health_check()
 WHERE tview LIKE 'keys.%' AND NOT ok;
SELECT DISTINCT check_name, detail FROM pg_tviews_health_check()
 WHERE tview LIKE 'keys.%' AND check_name = 'primary key' ORDER BY 2;

DROP SCHEMA keys CASCADE;
