-- The fast path: UPDATEs whose changed columns feed only keys of a top-level
-- jsonb_build_object patch those keys in place; UPDATEs of columns the definition does not
-- read do nothing; everything else recomputes. pg_tviews_stats shows which happened, and the
-- oracle (which compares text forms) that the patched documents are what a recompute gives.
CREATE SCHEMA fast;
SET search_path = fast, public;
CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL, secret text);
CREATE TABLE tb_supplier (pk_supplier int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL,
                         currency text NOT NULL DEFAULT 'EUR', active boolean NOT NULL DEFAULT true,
                         fk_category int NOT NULL REFERENCES tb_category,
                         fk_supplier int REFERENCES tb_supplier, note text);
CREATE TABLE tb_review (pk_review int PRIMARY KEY, fk_product int NOT NULL REFERENCES tb_product,
                        rating int NOT NULL);
INSERT INTO tb_category VALUES (1, 'tools', 's1'), (2, 'garden', 's2');
INSERT INTO tb_supplier VALUES (1, 'Acme', 'a@acme.test'), (2, 'Bolt', NULL);
INSERT INTO tb_product (pk_product, name, price, fk_category, fk_supplier)
SELECT g, 'product ' || g, g * 1.5, 1 + g % 2, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + g % 2 END
  FROM generate_series(1, 10) g;
INSERT INTO tb_review SELECT g, 1 + g % 10, 1 + g % 5 FROM generate_series(1, 30) g;

SELECT pg_tviews_create('product', $$
    SELECT p.pk_product, p.fk_category,
           jsonb_build_object(
               'name', p.name,
               'price', jsonb_build_object('amount', p.price, 'currency', p.currency),
               'label', upper(p.name) || ' (' || p.currency || ')',
               'category', jsonb_build_object('id', c.pk_category, 'name', c.name),
               'supplier', CASE WHEN s.pk_supplier IS NULL THEN NULL
                                ELSE jsonb_build_object('name', s.name, 'email', s.email) END,
               'mixed', p.name || '/' || c.name,
               'reviews', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM tb_product p
      JOIN tb_category c ON c.pk_category = p.fk_category
      LEFT JOIN tb_supplier s ON s.pk_supplier = p.fk_supplier
     WHERE p.active $$);
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('product') WHERE source <> '(every source)' ORDER BY source;

CREATE FUNCTION fast.step(what text) RETURNS TABLE (step text, patched bigint, recomputed bigint, exact boolean)
LANGUAGE sql AS $$
    SELECT what, rows_patched, keys_recomputed, NOT EXISTS (SELECT 1 FROM pg_tviews_check('fast.product'))
      FROM pg_tviews_stats WHERE tview = 'fast.tv_product'::regclass $$;

SELECT pg_tviews_stats_reset();
-- Patched: columns read only in patchable values.
UPDATE tb_product SET price = price * 2 WHERE pk_product <= 3;
SELECT * FROM fast.step('price of 3 products');
UPDATE tb_product SET currency = 'USD' WHERE pk_product = 4;
SELECT * FROM fast.step('currency (two keys read it)');
UPDATE tb_supplier SET email = 'sales@acme.test' WHERE pk_supplier = 1;
SELECT * FROM fast.step('supplier email (lookup, CASE)');
UPDATE tb_product SET price = 10.10 WHERE pk_product = 5;
UPDATE tb_product SET price = 10.1 WHERE pk_product = 5;        -- numeric(10,2) stores 10.10 again
SELECT * FROM fast.step('same price written again');
SELECT data->'price' AS price FROM tv_product WHERE pk_product = 5;
-- Nothing to do: columns the definition does not read.
UPDATE tb_product SET note = 'n' WHERE pk_product <= 5;
UPDATE tb_category SET secret = 'x';
SELECT * FROM fast.step('unread columns');
-- Recomputed: a column read elsewhere too (the 'mixed' key reads two tables, the filter,
-- the join, the output column fk_category).
UPDATE tb_product SET name = name || '!' WHERE pk_product = 6;
SELECT * FROM fast.step('name (also in mixed)');
UPDATE tb_category SET name = 'TOOLS' WHERE pk_category = 1;
SELECT * FROM fast.step('category name (also in mixed)');
UPDATE tb_product SET active = false WHERE pk_product = 7;
SELECT * FROM fast.step('filter column');
UPDATE tb_product SET fk_category = 1 WHERE pk_product = 8;
SELECT * FROM fast.step('join column');
INSERT INTO tb_product (pk_product, name, price, fk_category) VALUES (11, 'product 11', 5, 1);
UPDATE tb_product SET pk_product = 12, price = 6 WHERE pk_product = 11;
SELECT * FROM fast.step('primary key');
-- A statement mixing both kinds recomputes.
UPDATE tb_product SET price = 1, fk_category = 2 WHERE pk_product = 10;
SELECT * FROM fast.step('price and join column');
SELECT pk_product, data FROM tv_product ORDER BY 1;

-- Deferred mode: an UPDATE changing only patchable columns of the key's table queues its
-- keys for the patched document keys alone, set at commit from the rows as they are then;
-- another change of the same document in the transaction recomputes it whole; a lookup's
-- rows are found at commit through the join path and recomputed. A TVIEW built on the
-- product TVIEW follows the patched documents.
SELECT pg_tviews_create('price_list', $$
    SELECT t.pk_product, jsonb_build_object('price', t.data->'price', 'name', t.data->'name') AS data
      FROM fast.tv_product t $$);
SELECT pg_tviews_set_mode('product', 'deferred');
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('product') WHERE source <> '(every source)' ORDER BY source;
CREATE FUNCTION fast.deferred_step(what text) RETURNS TABLE (step text, patched bigint, recomputed bigint, exact boolean)
LANGUAGE sql AS $$
    SELECT what, rows_patched, keys_recomputed,
           NOT EXISTS (SELECT 1 FROM pg_tviews_check('fast.product'))
           AND NOT EXISTS (SELECT 1 FROM pg_tviews_check('fast.price_list'))
      FROM pg_tviews_stats WHERE tview = 'fast.tv_product'::regclass $$;
SELECT pg_tviews_stats_reset();
BEGIN;
UPDATE tb_product SET price = 3 WHERE pk_product = 1;
UPDATE tb_product SET price = 4, currency = 'GBP' WHERE pk_product = 1;
UPDATE tb_product SET price = 5 WHERE pk_product = 2;
UPDATE tb_product SET note = 'unread' WHERE pk_product = 3;
SELECT pk_product, data->'price' AS before_commit FROM tv_product WHERE pk_product IN (1, 2) ORDER BY 1;
COMMIT;
SELECT * FROM fast.deferred_step('two products patched, one of them twice');
SELECT pk_product, data->'price' AS price, data->'label' AS label FROM tv_product WHERE pk_product IN (1, 2) ORDER BY 1;
BEGIN;
UPDATE tb_product SET price = 6 WHERE pk_product = 2;
UPDATE tb_product SET fk_category = 2 WHERE pk_product = 2;
COMMIT;
SELECT * FROM fast.deferred_step('price, then a join column: recomputed');
BEGIN;
UPDATE tb_product SET price = 7 WHERE pk_product = 9;
DELETE FROM tb_review WHERE fk_product = 9;
DELETE FROM tb_product WHERE pk_product = 9;
COMMIT;
SELECT * FROM fast.deferred_step('patched, then deleted');
BEGIN;
UPDATE tb_product SET price = 8 WHERE pk_product = 4;
SAVEPOINT s;
UPDATE tb_product SET price = 9 WHERE pk_product = 5;
ROLLBACK TO s;
UPDATE tb_product SET price = price + 1 WHERE pk_product = 4;
COMMIT;
SELECT * FROM fast.deferred_step('a savepoint rolled back');
BEGIN;
UPDATE tb_product SET price = 10 WHERE pk_product = 7;       -- filtered out: no document
COMMIT;
BEGIN;
UPDATE tb_product SET price = 11 WHERE pk_product = 7;
UPDATE tb_product SET active = true WHERE pk_product = 7;    -- and back in
COMMIT;
SELECT * FROM fast.deferred_step('a filtered-out product, then back in');
BEGIN;
UPDATE tb_product SET price = 12 WHERE pk_product = 3;
SELECT pg_tviews_flush();
SELECT data->'price' AS flushed FROM tv_product WHERE pk_product = 3;
UPDATE tb_product SET price = 13 WHERE pk_product = 3;
UPDATE tb_supplier SET email = 'sales@bolt.test' WHERE pk_supplier = 2;
COMMIT;
SELECT * FROM fast.deferred_step('a flush, then a patch and a lookup');
BEGIN;
UPDATE tb_product SET pk_product = 13 WHERE pk_product = 12;
UPDATE tb_product SET price = 14 WHERE pk_product = 13;
COMMIT;
SELECT * FROM fast.deferred_step('a key changed, then patched');
-- A lookup's UPDATE of patchable columns alone: its documents are found at commit and have
-- only the keys it feeds set; a document another change of the transaction reached is
-- recomputed whole.
BEGIN;
UPDATE tb_supplier SET email = 'one@acme.test' WHERE pk_supplier = 1;
UPDATE tb_supplier SET email = 'two@acme.test' WHERE pk_supplier = 1;
COMMIT;
SELECT * FROM fast.deferred_step('a supplier''s email, twice');
BEGIN;
UPDATE tb_supplier SET email = 'three@acme.test' WHERE pk_supplier = 1;
UPDATE tb_product SET fk_supplier = 2 WHERE pk_product = 1;
UPDATE tb_product SET fk_supplier = 1 WHERE pk_product = 3;
COMMIT;
SELECT * FROM fast.deferred_step('an email, and products moved to and from it');
BEGIN;
SAVEPOINT s;
UPDATE tb_supplier SET email = 'rolled@back.test';
ROLLBACK TO s;
UPDATE tb_supplier SET name = 'Bolt & co' WHERE pk_supplier = 2;
COMMIT;
SELECT * FROM fast.deferred_step('an email rolled back, a name kept');
BEGIN;
INSERT INTO tb_supplier VALUES (3, 'Cask', NULL);
UPDATE tb_supplier SET email = 'c@cask.test' WHERE pk_supplier = 3;
UPDATE tb_product SET fk_supplier = 3 WHERE fk_supplier = 2;
UPDATE tb_supplier SET email = 'gone@bolt.test' WHERE pk_supplier = 2;
DELETE FROM tb_supplier WHERE pk_supplier = 2;
COMMIT;
SELECT * FROM fast.deferred_step('a new supplier, an emptied one patched and deleted');
SELECT pk_product, data FROM tv_product ORDER BY 1;
SELECT pk_product, data FROM tv_price_list ORDER BY 1;
SELECT pg_tviews_drop('price_list');
SELECT pg_tviews_set_mode('product', 'immediate');

-- A row the definition filters out has no document: its values are never computed, now or
-- at commit (here they cannot be: 'world' is no numeric, a zero divides). A primary key read
-- in a value is not patchable (a changed key recomputes), which explain says.
CREATE TABLE tb_setting (pk int PRIMARY KEY, kind text NOT NULL, val text, per int);
CREATE TABLE tb_unit (pk_unit int PRIMARY KEY, fk_setting int UNIQUE NOT NULL REFERENCES tb_setting, n int NOT NULL,
                      label text);
INSERT INTO tb_setting VALUES (1, 'num', '1', 1), (2, 'text', 'hello', 0);
INSERT INTO tb_unit VALUES (10, 1, 4), (20, 2, 6);
SELECT pg_tviews_create('num_setting', $$
    SELECT s.pk, jsonb_build_object('value', s.val::numeric, 'each', u.n / s.per, 'unit', u.pk_unit, 'n', u.n,
                              'label', u.label) AS data
      FROM tb_setting s LEFT JOIN tb_unit u ON u.fk_setting = s.pk
     WHERE s.kind = 'num' $$, mode => 'deferred');
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('num_setting') WHERE source <> '(every source)' ORDER BY source;
BEGIN;
UPDATE tb_setting SET val = 'world' WHERE pk = 2;
UPDATE tb_unit SET n = 7 WHERE fk_setting = 2;
UPDATE tb_unit SET n = 8 WHERE fk_setting = 1;
COMMIT;
SELECT pg_tviews_stats_reset();
BEGIN;
UPDATE tb_unit SET label = 'first' WHERE fk_setting = 1;    -- a lookup joined to the key: patched
UPDATE tb_unit SET label = 'second' WHERE fk_setting = 2;   -- no document
UPDATE tb_unit SET label = label || '!' WHERE fk_setting = 1;
COMMIT;
SELECT rows_patched, keys_recomputed FROM pg_tviews_stats WHERE tview = 'fast.tv_num_setting'::regclass;
SELECT pg_tviews_set_mode('num_setting', 'immediate');
UPDATE tb_setting SET val = 'again' WHERE pk = 2;
UPDATE tb_unit SET n = 9 WHERE fk_setting = 2;
UPDATE tb_unit SET pk_unit = 11 WHERE fk_setting = 1;
SELECT * FROM tv_num_setting ORDER BY 1;
SELECT * FROM pg_tviews_check('num_setting');
SELECT pg_tviews_drop('num_setting');

-- Not patchable: a definition reading the table twice, or grouped at the top level.
SELECT pg_tviews_create('pair', $$
    SELECT a.pk_product, jsonb_build_object('name', a.name, 'next', b.name) AS data
      FROM tb_product a LEFT JOIN tb_product b ON b.pk_product = a.fk_supplier $$);
SELECT pg_tviews_create('per_category', $$
    SELECT p.fk_category, jsonb_build_object('total', sum(p.price)) AS data
      FROM tb_product p GROUP BY p.fk_category $$, key => 'fk_category');
SELECT pg_tviews_stats_reset();
UPDATE tb_product SET price = 7 WHERE pk_product = 2;
SELECT tview, rows_patched, keys_recomputed, full_recomputes FROM pg_tviews_stats
 WHERE tview::text IN ('tv_pair', 'tv_per_category', 'tv_product') ORDER BY 1;
SELECT t, (SELECT count(*) FROM pg_tviews_check('fast.' || t)) AS differing
  FROM unnest(ARRAY['product', 'pair', 'per_category']) t;

-- A join through USING: the merged column stands for the columns of both tables.
CREATE TABLE tb_a (id int PRIMARY KEY, x int);
CREATE TABLE tb_b (id int PRIMARY KEY, y int);
INSERT INTO tb_a VALUES (1, 1), (2, 2);
INSERT INTO tb_b VALUES (1, 10), (2, 20);
SELECT pg_tviews_create('ab', $$
    SELECT id, jsonb_build_object('x', a.x, 'y', b.y, 'id', id) AS data FROM tb_a a JOIN tb_b b USING (id) $$);
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('ab') WHERE source <> '(every source)' ORDER BY source;
UPDATE tb_b SET y = y + 1;
UPDATE tb_a SET x = 5 WHERE id = 2;
SELECT * FROM tv_ab ORDER BY 1;
SELECT * FROM pg_tviews_check('ab');

-- A lookup on the nullable side of an outer join together with another table: whether a
-- document shows it depends on that table too (here an empty flag table), so it is not
-- patched, in either mode; alone on its side, after another outer join, it is.
CREATE TABLE tb_flag (id int PRIMARY KEY);
CREATE TABLE tb_shelf (pk_shelf int PRIMARY KEY, name text);
CREATE TABLE tb_box (pk_box int PRIMARY KEY, fk_shelf int, title text);
INSERT INTO tb_shelf VALUES (1, 'top'), (2, 'bottom');
INSERT INTO tb_box VALUES (10, 1, 'b10'), (20, 2, 'b20'), (30, NULL, 'b30');
SET client_min_messages = error;
SELECT pg_tviews_create('nested', $$
    SELECT b.pk_box, jsonb_build_object('title', b.title, 'shelf', sh.name) AS data
      FROM tb_box b LEFT JOIN (tb_shelf sh JOIN tb_flag f ON f.id = 1) ON sh.pk_shelf = b.fk_shelf $$);
SELECT pg_tviews_create('nested_deferred', $$
    SELECT b.pk_box, jsonb_build_object('title', b.title, 'shelf', sh.name) AS data
      FROM tb_box b LEFT JOIN (tb_shelf sh JOIN tb_flag f ON f.id = 1) ON sh.pk_shelf = b.fk_shelf $$,
    mode => 'deferred');
SELECT pg_tviews_create('beside', $$
    SELECT b.pk_box, jsonb_build_object('title', b.title, 'shelf', sh.name) AS data
      FROM (tb_box b LEFT JOIN tb_flag f ON f.id = 1) LEFT JOIN tb_shelf sh ON sh.pk_shelf = b.fk_shelf $$);
RESET client_min_messages;
SELECT t, maintenance LIKE '%patches%' OR maintenance LIKE '%alone set%' AS fast_path
  FROM unnest(ARRAY['nested', 'nested_deferred', 'beside']) t,
       pg_tviews_explain(t) e WHERE e.source = 'fast.tb_shelf' ORDER BY 1;
UPDATE tb_shelf SET name = 'TOP' WHERE pk_shelf = 1;
INSERT INTO tb_flag VALUES (1);
UPDATE tb_shelf SET name = 'BOTTOM' WHERE pk_shelf = 2;
DELETE FROM tb_flag;
BEGIN;
UPDATE tb_shelf SET name = 'upper' WHERE pk_shelf = 1;
COMMIT;
SELECT t, (SELECT count(*) FROM pg_tviews_check('fast.' || t)) AS differing
  FROM unnest(ARRAY['nested', 'nested_deferred', 'beside']) t ORDER BY 1;
SELECT * FROM tv_nested_deferred ORDER BY 1;

DROP SCHEMA fast CASCADE;
RESET search_path;
