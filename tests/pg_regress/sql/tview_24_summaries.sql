-- Summaries: a definition aggregating one table at the top level (GROUP BY columns that
-- are the key, or no GROUP BY: one row) reads its rows from a state kept by each statement's
-- changed rows, in immediate mode. Every step ends with the oracle (pg_tviews_check compares
-- the text forms: avg's digits, numeric scales and NULL sums are checked exactly).
CREATE SCHEMA summ;
SET search_path = summ, public;
CREATE TABLE tb_sale (id int PRIMARY KEY, kind text, qty int, big bigint, small smallint,
                      price numeric(8,2), ok bool, cancelled bool NOT NULL DEFAULT false);
INSERT INTO tb_sale
SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'k' || g % 3 END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g % 9 END, g * 1000000007::bigint, (g % 4)::smallint,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (g % 13) * 1.25 END,
       CASE WHEN g % 6 = 0 THEN NULL ELSE g % 2 = 0 END, g % 10 = 0
  FROM generate_series(1, 200) g;

CREATE FUNCTION show_state() RETURNS TABLE (state text, spec text) LANGUAGE sql AS $$
    SELECT regexp_replace(c.relname::text, '^.*(_tally(_pending)?(_[0-9]+)?)$', '<view>\1'),
           regexp_replace(obj_description(c.oid, 'pg_class'), ': (pending )?[0-9a-f]{16};', ': \1<digest>;')
      FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'i'
      JOIN pg_class t ON t.oid = d.refobjid
     WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relkind = 'r'
       AND t.relnamespace = 'summ'::regnamespace
     ORDER BY 1, 2 $$;
CREATE FUNCTION all_exact() RETURNS bigint LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM pg_tviews_check('summ.kinds'))
         + (SELECT count(*) FROM pg_tviews_check('summ.totals'))
         + (SELECT count(*) FROM pg_tviews_check('summ.busy')) $$;

-- Grouped by a column that may be NULL (the NULL group is a row), filtered, every kept
-- aggregate, expressions around them.
SELECT pg_tviews_create('kinds', $$
    SELECT kind, count(*) AS n, count(qty) AS n_qty, sum(qty) AS qty, sum(big) AS big,
           sum(small) AS small, avg(qty) AS avg_qty, round(avg(price), 3) AS avg_price,
           sum(price) AS price, bool_and(ok) AS all_ok, bool_or(ok) AS any_ok,
           coalesce(sum(qty), 0) * 2 AS twice,
           kind || '!' AS shout
      FROM tb_sale WHERE NOT cancelled GROUP BY kind $$);
-- No GROUP BY: one row, also over an empty table.
SELECT pg_tviews_create('totals', $$
    SELECT count(*) AS n, sum(qty) AS qty, avg(price) AS avg_price, bool_and(ok) AS all_ok
      FROM tb_sale $$);
-- HAVING decides which groups exist.
SELECT pg_tviews_create('busy', $$
    SELECT kind, count(*) AS n, sum(qty) AS qty FROM tb_sale
     GROUP BY kind HAVING count(*) > 40 AND sum(qty) IS NOT NULL $$);
SELECT * FROM show_state();
SELECT source, maintenance FROM pg_tviews_explain('summ.kinds') WHERE source = 'summ.tb_sale';
SELECT source, maintenance FROM pg_tviews_explain('summ.totals') WHERE source = 'summ.tb_sale';
SELECT * FROM tv_kinds ORDER BY kind;
SELECT * FROM tv_totals;
SELECT * FROM tv_busy ORDER BY kind;

-- Rows arrive, move between groups (NULL included), enter and leave the filter, leave.
INSERT INTO tb_sale VALUES (1001, 'k1', 3, 5, 1, 2.50, true, false),
                           (1002, NULL, 4, 6, 2, 1.00, false, false),
                           (1003, 'new', 1, 1, 1, 1.11, NULL, false);
UPDATE tb_sale SET qty = qty + 1 WHERE id % 10 = 1;
UPDATE tb_sale SET kind = NULL WHERE id BETWEEN 20 AND 30;
UPDATE tb_sale SET kind = 'k9' WHERE kind IS NULL AND id < 60;
UPDATE tb_sale SET cancelled = NOT cancelled WHERE id % 3 = 0;
DELETE FROM tb_sale WHERE id % 13 = 0;
SELECT all_exact();
SELECT * FROM tv_kinds ORDER BY kind;
SELECT * FROM tv_busy ORDER BY kind;

-- A group emptied disappears, and comes back; the filter alone can empty it.
DELETE FROM tb_sale WHERE kind = 'new';
SELECT count(*) FROM tv_kinds WHERE kind = 'new';
INSERT INTO tb_sale VALUES (1004, 'new', NULL, 1, 1, NULL, NULL, false);
SELECT kind, n, n_qty, qty, avg_qty, avg_price, price, all_ok FROM tv_kinds WHERE kind = 'new';
UPDATE tb_sale SET cancelled = true WHERE kind = 'new';
SELECT count(*) FROM tv_kinds WHERE kind = 'new';
SELECT all_exact();

-- Savepoints, a statement touching the table twice, MERGE, ON CONFLICT, COPY.
BEGIN;
INSERT INTO tb_sale VALUES (2001, 'k0', 100, 1, 1, 9.99, true, false);
SAVEPOINT a;
UPDATE tb_sale SET qty = 1000 WHERE kind = 'k0';
ROLLBACK TO a;
WITH d AS (DELETE FROM tb_sale WHERE id = 2001 RETURNING *)
INSERT INTO tb_sale SELECT id + 1, 'k2', qty, big, small, price, ok, cancelled FROM d;
COMMIT;
MERGE INTO tb_sale s USING (VALUES (2002, 7), (2003, 8)) v(id, q) ON s.id = v.id
 WHEN MATCHED THEN UPDATE SET qty = v.q
 WHEN NOT MATCHED THEN INSERT (id, kind, qty) VALUES (v.id, 'k1', v.q);
INSERT INTO tb_sale (id, kind, qty) VALUES (2003, 'k1', 1)
    ON CONFLICT (id) DO UPDATE SET qty = tb_sale.qty + EXCLUDED.qty, kind = NULL;
COPY tb_sale (id, kind, qty, price) FROM stdin;
3001	k2	5	0.01
3002	\N	6	99.99
\.
SELECT all_exact();

-- numeric scale and NaN-free sums stay exact to the digit; sums of integers do not overflow
-- where the definition's do not.
UPDATE tb_sale SET price = 999999.99, big = 9000000000000000000 WHERE id IN (1, 2, 3);
SELECT kind, price, big, avg_price FROM tv_kinds ORDER BY kind;
SELECT all_exact();

-- TRUNCATE empties the state; the one row stays, with counts 0 and NULL sums.
TRUNCATE tb_sale;
SELECT * FROM tv_kinds;
SELECT * FROM tv_totals;
INSERT INTO tb_sale (id, kind, qty, price, ok) VALUES (1, 'a', 1, 1.00, true), (2, 'a', 2, 2.50, false);
SELECT * FROM tv_totals;
DELETE FROM tb_sale;
SELECT * FROM tv_totals;
INSERT INTO tb_sale SELECT g, 'k' || g % 4, g % 5, g, 1, g % 7, g % 2 = 0 FROM generate_series(1, 300) g;
SELECT all_exact();

-- Deferred mode keeps the state of a GROUP BY summary too: statements leave their deltas in
-- a pending table, the commit adds them under the groups' locks and computes the groups'
-- rows from the state (a NULL group, groups emptied and made, a flush rolled back with its
-- savepoint). The one-row summary too: its commit takes the TVIEW lock, adds the pending
-- rows and computes the row from the state. Back in immediate mode the state is built again
-- from the rows as they are.
SELECT pg_tviews_set_mode('summ.kinds', 'deferred');
SELECT pg_tviews_set_mode('summ.totals', 'deferred');
SELECT * FROM show_state();
BEGIN;
UPDATE tb_sale SET qty = qty + 10 WHERE id < 50;
DELETE FROM tb_sale WHERE id > 290;
INSERT INTO tb_sale (id, kind, qty) VALUES (9001, NULL, 3), (9002, 'fresh', 4), (9003, 'fresh', 5);
SAVEPOINT s;
UPDATE tb_sale SET kind = 'gone' WHERE kind = 'fresh';
SELECT pg_tviews_flush();
SELECT kind, n, qty FROM tv_kinds WHERE kind IS NULL OR kind IN ('gone', 'fresh', 'other') ORDER BY 1;
SELECT n, qty FROM tv_totals;
ROLLBACK TO s;
UPDATE tb_sale SET kind = 'other' WHERE id = 9002;
COMMIT;
SELECT kind, n, qty FROM tv_kinds WHERE kind IS NULL OR kind IN ('gone', 'fresh', 'other') ORDER BY 1;
SELECT n, qty FROM tv_totals;
SELECT all_exact();
BEGIN;
DELETE FROM tb_sale WHERE id > 9000;
TRUNCATE tb_sale;
INSERT INTO tb_sale (id, kind, qty) VALUES (9001, 'a', 1);
ROLLBACK;
DELETE FROM tb_sale WHERE id > 9000;
SELECT n, qty FROM tv_totals;
SELECT all_exact();
SELECT pg_tviews_set_mode('summ.totals', 'immediate');
SELECT pg_tviews_set_mode('summ.kinds', 'immediate');
SELECT * FROM show_state();
UPDATE tb_sale SET kind = 'k0' WHERE id < 20;
SELECT all_exact();

-- ALTER TABLE of the table rebuilds the state; a rename keeps it.
ALTER TABLE tb_sale RENAME COLUMN qty TO quantity;
INSERT INTO tb_sale (id, kind, quantity) VALUES (5000, 'k3', 4);
ALTER TABLE tb_sale ADD COLUMN note text;
UPDATE tb_sale SET quantity = quantity * 2 WHERE kind = 'k3';
SELECT all_exact();
SELECT * FROM show_state();

-- GROUP BY several columns of the table (pg_ivm's GROUP BY a, b): the state is kept per
-- combination of their values, a NULL in any of them a group of its own; the key is those
-- columns in the order it names them (here not the GROUP BY's), filtered, with HAVING.
SELECT pg_tviews_create('pairs', $$ SELECT kind, ok, count(*) AS n, sum(quantity) AS q FROM tb_sale GROUP BY kind, ok $$);
SELECT pg_tviews_create('triples', $$
    SELECT small, kind, ok, count(*) AS n, avg(price) AS p, sum(big) AS big, bool_and(cancelled) AS none
      FROM tb_sale WHERE NOT cancelled GROUP BY kind, ok, small HAVING count(*) > 1 $$,
    key => ARRAY['ok', 'small', 'kind']);
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.triples') WHERE source = 'summ.tb_sale';
SELECT * FROM show_state() WHERE spec LIKE '% per "%"%), "%' ORDER BY spec;
UPDATE tb_sale SET ok = NULL WHERE id % 9 = 0;
UPDATE tb_sale SET small = NULL, kind = NULL WHERE id % 17 = 0;
BEGIN;
UPDATE tb_sale SET ok = NOT ok, cancelled = id % 2 = 0 WHERE id % 5 = 1;
SAVEPOINT b;
DELETE FROM tb_sale WHERE ok;
ROLLBACK TO b;
INSERT INTO tb_sale (id, kind, quantity, small, ok) VALUES (8001, NULL, 1, NULL, NULL), (8002, NULL, 2, NULL, NULL);
COMMIT;
SELECT * FROM tv_triples WHERE kind IS NULL OR small IS NULL ORDER BY ok, small, kind;
SELECT count(*) FROM pg_tviews_check('summ.pairs');
SELECT count(*) FROM pg_tviews_check('summ.triples');
-- pg_tviews_check recounts the state too: the all-NULL group's state row changed by hand
-- is reported by its key, a row of the group's values; a refresh builds the state again.
SELECT c.relname AS state FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'i'
 WHERE d.refobjid = 'summ.tv_triples'::regclass AND c.relnamespace = 'tviews_def'::regnamespace
   AND c.relkind = 'r' \gset
-- (pg_tviews enables its guard again after any ALTER TABLE: switched off in the catalog.)
UPDATE pg_trigger SET tgenabled = 'D'
 WHERE tgname = 'pgtv_guard' AND tgrelid = format('tviews_def.%I', :'state')::regclass;
ANALYZE tviews_def.:"state";
UPDATE tviews_def.:"state" SET n = n + 1 WHERE k IS NULL AND k1 IS NULL AND k2 IS NULL;
UPDATE pg_trigger SET tgenabled = 'A'
 WHERE tgname = 'pgtv_guard' AND tgrelid = format('tviews_def.%I', :'state')::regclass;
SELECT * FROM pg_tviews_check('summ.triples');
ALTER TABLE tviews_def.:"state" ENABLE ALWAYS TRIGGER pgtv_guard;
SELECT pg_tviews_refresh('summ.triples');
SELECT count(*) FROM pg_tviews_check('summ.triples');

-- Definitions that do not qualify are computed from the table, as before: a join whose
-- aggregate reads the lookup, a sum of numeric without a scale, count(DISTINCT), min/max
-- (alone or beside kept aggregates: each would read the group's rows), a GROUP BY column
-- the key leaves out.
CREATE TABLE tb_kind (kind text PRIMARY KEY, label text);
INSERT INTO tb_kind VALUES ('k0', 'zero'), ('k1', 'one');
SELECT pg_tviews_create('joined', $$
    SELECT s.kind, count(*) AS n, count(k.label) AS labelled FROM tb_sale s JOIN tb_kind k ON k.kind = s.kind GROUP BY s.kind $$);
SELECT pg_tviews_create('unscaled', $$ SELECT kind, sum(id::numeric) AS f, count(*) AS n FROM tb_sale GROUP BY kind $$);
SELECT pg_tviews_create('part_key', $$ SELECT id, kind, count(*) AS n FROM tb_sale GROUP BY id, kind $$, key => ARRAY['id']);
SELECT pg_tviews_create('distinct_n', $$ SELECT kind, count(DISTINCT quantity) AS n FROM tb_sale GROUP BY kind $$);
SELECT pg_tviews_create('extremes', $$ SELECT kind, max(quantity) AS top FROM tb_sale GROUP BY kind $$);
SELECT pg_tviews_create('ranges', $$ SELECT kind, count(*) AS n, min(quantity) AS low, max(price) AS high FROM tb_sale GROUP BY kind $$);
SELECT * FROM show_state();
UPDATE tb_sale SET quantity = quantity + 1, kind = 'k1' WHERE id % 4 = 0;
UPDATE tb_kind SET label = 'ONE' WHERE kind = 'k1';
SELECT v, (SELECT count(*) FROM pg_tviews_check('summ.' || v)) AS differing
  FROM unnest(ARRAY['kinds', 'totals', 'busy', 'joined', 'unscaled', 'pairs', 'triples', 'part_key', 'distinct_n', 'extremes', 'ranges']) v;

-- A TVIEW over a summary follows it.
SELECT pg_tviews_create('kinds_doc', $$
    SELECT kind, jsonb_build_object('n', n, 'qty', qty) AS data FROM tv_kinds WHERE kind IS NOT NULL $$);
INSERT INTO tb_sale (id, kind, quantity) VALUES (6001, 'k2', 50), (6002, 'zz', 1);
SELECT * FROM tv_kinds_doc ORDER BY kind;
SELECT count(*) FROM pg_tviews_check('summ.kinds_doc');

-- A table joined to a lookup by a column unique there (pg_ivm's category sales): a group's
-- row joins its state row with its lookup row, which may come, go, change or be filtered
-- out; the key may be either side of the join.
CREATE TABLE tb_cat (pk_cat int PRIMARY KEY, name text, active bool NOT NULL DEFAULT true);
CREATE TABLE tb_item (pk_item int PRIMARY KEY, fk_cat int, price numeric(10,2), qty int);
INSERT INTO tb_cat SELECT g, 'cat ' || g FROM generate_series(1, 6) g;
INSERT INTO tb_item SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 8 END, (g % 40) / 4.0, g % 5
  FROM generate_series(1, 300) g;
SELECT pg_tviews_create('cat_sales', $$
    SELECT c.pk_cat, c.name, count(*) AS items, sum(i.price) AS total, avg(i.price) AS mean,
           bool_or(i.qty = 0) AS some_zero
      FROM tb_item i JOIN tb_cat c ON c.pk_cat = i.fk_cat GROUP BY c.pk_cat, c.name $$);
SELECT pg_tviews_create('cat_busy', $$
    SELECT i.fk_cat, upper(c.name) AS label, count(i.qty) AS n, avg(i.qty) AS avg_qty
      FROM tb_cat c, tb_item i WHERE i.fk_cat = c.pk_cat AND c.active AND i.qty > 0
     GROUP BY i.fk_cat, c.name HAVING count(*) > 2 $$, key => ARRAY['fk_cat']);
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.cat_sales') WHERE source = 'summ.tb_item';
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.cat_busy') WHERE source = 'summ.tb_item';
UPDATE tb_item SET price = price + 1 WHERE pk_item % 9 = 0;
UPDATE tb_item SET fk_cat = 7 WHERE pk_item BETWEEN 1 AND 30;
INSERT INTO tb_cat VALUES (7, 'seven'), (8, 'eight');
UPDATE tb_cat SET name = 'renamed' WHERE pk_cat = 3;
UPDATE tb_cat SET active = false WHERE pk_cat = 4;
UPDATE tb_cat SET pk_cat = 20 WHERE pk_cat = 5;
DELETE FROM tb_cat WHERE pk_cat = 6;
DELETE FROM tb_item WHERE pk_item % 5 = 0;
INSERT INTO tb_item VALUES (5001, 20, 1.5, 3), (5002, 99, 2, 2);
INSERT INTO tb_cat VALUES (99, 'late');
UPDATE tb_item SET qty = 0 WHERE fk_cat = 2;
SELECT * FROM tv_cat_sales ORDER BY pk_cat;
SELECT * FROM tv_cat_busy ORDER BY fk_cat;
SELECT count(*) FROM pg_tviews_check('summ.cat_sales');
SELECT count(*) FROM pg_tviews_check('summ.cat_busy');
-- A lookup with columns named like the state's own (n, k, c0, s0, z0, l, s) and outputs
-- named so too: every name of the rows' query is qualified.
CREATE TABLE tb_clash (pk int PRIMARY KEY, n int, k int, c0 text, s0 int, z0 int, l int, s int);
INSERT INTO tb_clash VALUES (1, 10, 11, 'a', 1, 2, 3, 4), (2, 20, 21, 'b', 1, 2, 3, 4);
CREATE TABLE tb_clashing (id int PRIMARY KEY, fk int, n int, m numeric(6,2));
INSERT INTO tb_clashing SELECT g, 1 + g % 2, g, g / 4.0 FROM generate_series(1, 20) g;
SELECT pg_tviews_create('clash', $$
    SELECT c.pk, c.n AS lookup_n, c.c0, count(*) AS k, sum(x.n) AS s0, avg(x.m) AS z0,
           count(x.m) AS n
      FROM tb_clashing x JOIN tb_clash c ON c.pk = x.fk WHERE c.s0 = 1
     GROUP BY c.pk, c.n, c.c0 HAVING count(*) > 0 $$, key => ARRAY['pk']);
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.clash') WHERE source = 'summ.tb_clashing';
INSERT INTO tb_clashing VALUES (100, 1, 7, 1.25);
UPDATE tb_clash SET n = 99, c0 = 'z' WHERE pk = 2;
UPDATE tb_clashing SET m = 'NaN' WHERE id = 3;
SELECT * FROM tv_clash ORDER BY pk;
SELECT count(*) FROM pg_tviews_check('summ.clash');

-- Several GROUP BY columns beside a lookup: the link (either side) and columns of the
-- aggregated table are the key together, the state is kept per combination (a NULL in the
-- table's columns a group of its own), joined to the lookup by the link's column wherever
-- the key names it; in both modes.
SELECT pg_tviews_create('cat_qty', $$
    SELECT c.pk_cat, c.name, i.qty, count(*) AS items, sum(i.price) AS total
      FROM tb_item i JOIN tb_cat c ON c.pk_cat = i.fk_cat GROUP BY c.pk_cat, c.name, i.qty $$);
SELECT pg_tviews_create('qty_cat', $$
    SELECT i.qty, i.fk_cat, c.name, count(*) AS items, avg(i.price) AS mean
      FROM tb_item i, tb_cat c WHERE c.pk_cat = i.fk_cat AND c.active
     GROUP BY i.qty, i.fk_cat, c.name HAVING count(*) > 1 $$,
    key => ARRAY['qty', 'fk_cat'], mode => 'deferred');
SELECT tview_name, key_columns FROM pg_tview_meta WHERE tview_name IN ('cat_qty', 'qty_cat') ORDER BY 1;
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.qty_cat') WHERE source = 'summ.tb_item';
INSERT INTO tb_item VALUES (6001, 2, 4.5, NULL), (6002, 2, 1.25, NULL), (6003, 3, NULL, 1);
UPDATE tb_item SET qty = 4 WHERE pk_item % 7 = 0;
UPDATE tb_item SET fk_cat = 3, qty = NULL WHERE pk_item IN (6003, 41, 42);
BEGIN;
UPDATE tb_item SET qty = qty + 1 WHERE fk_cat = 2;
SAVEPOINT a;
DELETE FROM tb_item WHERE fk_cat = 3;
ROLLBACK TO a;
UPDATE tb_cat SET active = false, name = 'two' WHERE pk_cat = 2;
COMMIT;
UPDATE tb_cat SET active = true WHERE pk_cat = 2;
DELETE FROM tb_item WHERE qty IS NULL AND pk_item <> 6001;
SELECT * FROM tv_qty_cat WHERE fk_cat IN (2, 3) ORDER BY qty, fk_cat;
SELECT count(*) FROM pg_tviews_check('summ.cat_qty');
SELECT count(*) FROM pg_tviews_check('summ.qty_cat');

-- A LEFT JOIN from the lookup (a RIGHT JOIN written the other way round): every lookup row
-- passing the WHERE is a group, one without rows of the table too (count(*) counts its
-- NULL-extended row: 1; count(x) 0; sums and averages NULL); conditions on the
-- table's row in the ON decide which rows join. The key is the lookup's column. Both modes.
SELECT pg_tviews_create('cat_all', $$
    SELECT c.pk_cat, c.name, count(*) AS joined, count(i.pk_item) AS items, sum(i.price) AS total,
           avg(i.qty) AS avg_qty
      FROM tb_cat c LEFT JOIN tb_item i ON i.fk_cat = c.pk_cat AND i.qty > 0
     WHERE c.active GROUP BY c.pk_cat, c.name $$);
SELECT pg_tviews_create('cat_few', $$
    SELECT c.pk_cat, count(i.price) AS priced
      FROM tb_item i RIGHT JOIN tb_cat c ON c.pk_cat = i.fk_cat
     GROUP BY c.pk_cat HAVING count(*) < 40 $$, mode => 'deferred');
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.cat_all') WHERE source = 'summ.tb_item';
SELECT source, substring(maintenance FROM '\(the rows.*') AS rows
  FROM pg_tviews_explain('summ.cat_few') WHERE source = 'summ.tb_item';
INSERT INTO tb_cat VALUES (30, 'empty', true), (31, 'hidden', false);
UPDATE tb_item SET qty = 0 WHERE fk_cat = 2;
BEGIN;
DELETE FROM tb_item WHERE fk_cat = 3;
SAVEPOINT a;
UPDATE tb_item SET fk_cat = 30 WHERE pk_item % 10 = 1;
ROLLBACK TO a;
UPDATE tb_item SET fk_cat = 31 WHERE pk_item % 10 = 2;
UPDATE tb_cat SET active = true WHERE pk_cat = 31;
COMMIT;
UPDATE tb_cat SET name = 'renamed again' WHERE pk_cat = 30;
UPDATE tb_cat SET pk_cat = 32 WHERE pk_cat = 30;
SELECT * FROM tv_cat_all WHERE pk_cat IN (2, 3, 31, 32) ORDER BY pk_cat;
SELECT count(*) FROM pg_tviews_check('summ.cat_all');
SELECT count(*) FROM pg_tviews_check('summ.cat_few');
-- Beside a LEFT JOIN: a condition on the table's row in the WHERE rejects the rows without
-- one, so the join is the inner join it means and the count is kept from the state; a
-- condition on the lookup's row in the ON keeps it an outer join, computed from the tables.
SELECT pg_tviews_create('cat_where', $$
    SELECT c.pk_cat, count(*) AS n FROM tb_cat c LEFT JOIN tb_item i ON i.fk_cat = c.pk_cat
     WHERE i.qty > 1 GROUP BY c.pk_cat $$);
SELECT pg_tviews_create('cat_on', $$
    SELECT c.pk_cat, count(*) AS n FROM tb_cat c LEFT JOIN tb_item i ON i.fk_cat = c.pk_cat AND c.active
     GROUP BY c.pk_cat $$);
SELECT count(*) FROM pg_tviews_explain('summ.cat_where') WHERE maintenance LIKE '%computed from the state%';
SELECT count(*) FROM pg_tviews_explain('summ.cat_on') WHERE maintenance LIKE '%computed from the state%';
UPDATE tb_item SET qty = qty + 1 WHERE pk_item % 3 = 0;
UPDATE tb_cat SET active = NOT active WHERE pk_cat < 5;
SELECT count(*) FROM pg_tviews_check('summ.cat_where');
SELECT count(*) FROM pg_tviews_check('summ.cat_on');
-- A category's last qualifying item goes (its group too), one comes back elsewhere, a new
-- category gets its first: the groups follow the inner join.
UPDATE tb_item SET qty = 0 WHERE fk_cat = 2;
INSERT INTO tb_cat VALUES (40, 'cat 40');
INSERT INTO tb_item VALUES (9001, 40, 1.00, 5), (9002, NULL, 1.00, 5);
UPDATE tb_item SET fk_cat = 2, qty = 3 WHERE pk_item = 9001;
DELETE FROM tb_item WHERE fk_cat = 3 AND qty > 1;
SELECT count(*) FROM pg_tviews_check('summ.cat_where');
SELECT count(*) FROM pg_tviews_check('summ.cat_on');

-- Not a summary: the lookup's column is not unique there, or an aggregate reads the lookup.
CREATE TABLE tb_tag (cat int, tag text);
INSERT INTO tb_tag VALUES (1, 'x'), (1, 'y'), (2, 'x');
SELECT pg_tviews_create('tagged', $$
    SELECT i.pk_item, count(*) AS tags FROM tb_item i JOIN tb_tag t ON t.cat = i.fk_cat GROUP BY i.pk_item $$);
INSERT INTO tb_tag VALUES (2, 'z');
SELECT count(*) FROM pg_tviews_check('summ.tagged');

-- The state tables are pg_tviews' own: direct writes are refused like the TVIEW table's,
-- and a name (or a type's name) another role took in the definition schema is skipped.
CREATE ROLE summ_squatter;
SET ROLE summ_squatter;
CREATE TYPE tviews_def.tv_squat_2_tally AS ENUM ('x');
CREATE TYPE tviews_def.tv_squat AS ENUM ('x');
RESET ROLE;
SELECT pg_tviews_create('squat', $$ SELECT kind, count(*) AS n FROM tb_sale GROUP BY kind $$);
SELECT c.relname, c.relkind FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'i'
 WHERE d.refobjid = 'summ.tv_squat'::regclass AND c.relkind IN ('r', 'v') ORDER BY 1;
SELECT definition_view FROM pg_tview_meta WHERE table_name = 'summ.tv_squat'::regclass;
UPDATE tviews_def.tv_squat_2_tally_2 SET n = n + 5;
DELETE FROM tviews_def.tv_squat_2_tally_2;
INSERT INTO tb_sale (id, kind, quantity) VALUES (7001, 'k1', 1);
SELECT count(*) FROM pg_tviews_check('summ.squat');
SELECT count(*) FROM pg_tviews_health_check() WHERE NOT ok;
DROP TYPE tviews_def.tv_squat_2_tally, tviews_def.tv_squat;
-- A state table's guard dropped is reported; pg_tviews_refresh builds the state again.
SELECT c.oid::regclass AS state FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'i'
 WHERE d.refobjid = 'summ.tv_squat'::regclass AND c.relkind = 'r' \gset
DROP TRIGGER pgtv_guard ON :state;
SELECT tview, check_name, ok FROM pg_tviews_health_check() WHERE NOT ok;
SELECT pg_tviews_refresh('summ.squat');
SELECT count(*) FROM pg_tviews_health_check() WHERE NOT ok;

-- Cleanup.
SELECT pg_tviews_drop(v) FROM unnest(ARRAY['summ.kinds_doc', 'summ.kinds', 'summ.totals', 'summ.busy',
    'summ.joined', 'summ.unscaled', 'summ.pairs', 'summ.triples', 'summ.part_key', 'summ.distinct_n', 'summ.extremes', 'summ.ranges', 'summ.cat_sales',
    'summ.cat_busy', 'summ.cat_qty', 'summ.qty_cat', 'summ.cat_all', 'summ.cat_few', 'summ.cat_where', 'summ.cat_on', 'summ.tagged', 'summ.squat', 'summ.clash']) v;
SELECT count(*) FROM show_state();
DROP SCHEMA summ CASCADE;
DROP ROLE summ_squatter;
RESET search_path;
