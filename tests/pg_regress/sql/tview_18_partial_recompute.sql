-- Partial recompute: a table read only inside some document keys' subqueries (a child's
-- count, average, latest rows) recomputes only those keys when it changes, from the root
-- row, in immediate mode. pg_tviews_explain names the keys, pg_tviews_stats counts the
-- documents as patched, and the oracle (text forms) proves each document is what the
-- definition gives. Shapes outside the rule keep the whole recompute.
CREATE SCHEMA part;
SET search_path = part, public;
CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, name text NOT NULL,
                         fk_category int NOT NULL REFERENCES tb_category);
CREATE TABLE tb_review (pk_review int PRIMARY KEY,
                        fk_product int NOT NULL REFERENCES tb_product ON DELETE CASCADE,
                        fk_user int REFERENCES tb_user, rating int, body text,
                        created int NOT NULL);
CREATE INDEX ON tb_review (fk_product);
INSERT INTO tb_category VALUES (1, 'tools'), (2, 'garden');
INSERT INTO tb_user VALUES (1, 'ann'), (2, 'bob');
INSERT INTO tb_product SELECT g, 'product ' || g, 1 + g % 2 FROM generate_series(1, 6) g;
INSERT INTO tb_review SELECT g, 1 + g % 5, 1 + g % 2, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 5 END,
                             'review ' || g, g
  FROM generate_series(1, 24) g;

-- The subqueries use the alias r, which the recompute also gives the root row.
SELECT pg_tviews_create('product', $$
    SELECT p.pk_product,
           jsonb_build_object(
               'name', p.name,
               'category', c.name,
               'reviews', jsonb_build_object(
                   'count', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'average', (SELECT round(avg(r.rating), 2) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'latest', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.pk_review, 'by', u.name)
                                                        ORDER BY l.created DESC)
                                         FROM (SELECT r.pk_review, r.fk_user, r.created FROM tb_review r
                                                WHERE r.fk_product = p.pk_product
                                                ORDER BY r.created DESC LIMIT 2) l
                                         LEFT JOIN tb_user u ON u.pk_user = l.fk_user), '[]')),
               'title', upper(p.name)) AS data,
           jsonb_build_object('rated', (SELECT count(r.rating) FROM tb_review r WHERE r.fk_product = p.pk_product)) AS extra
      FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category $$);
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('product')
 WHERE source IN ('part.tb_review', 'part.tb_user') ORDER BY 1;

CREATE FUNCTION counters(OUT patched bigint, OUT recomputed bigint) LANGUAGE sql AS $$
    SELECT rows_patched, keys_recomputed FROM pg_tviews_stats WHERE tview = 'part.tv_product'::regclass $$;
SELECT pg_tviews_stats_reset();
INSERT INTO tb_review VALUES (100, 1, 1, 5, 'new', 100);
SELECT data, extra FROM tv_product WHERE pk_product = 1;
SELECT * FROM counters();
SELECT * FROM pg_tviews_check('product');
-- Several documents in one statement, a review moved, NULL ratings, a product left without
-- reviews (count 0, average NULL, latest []).
UPDATE tb_review SET rating = NULL WHERE fk_product = 2;
UPDATE tb_review SET fk_product = 3 WHERE pk_review = 100;
DELETE FROM tb_review WHERE fk_product = 4;
SELECT data, extra FROM tv_product WHERE pk_product IN (1, 2, 4) ORDER BY pk_product;
SELECT * FROM counters();
SELECT * FROM pg_tviews_check('product');
-- A change that leaves the documents as they are writes nothing.
UPDATE tb_review SET body = 'edited' WHERE pk_review = 5;
SELECT * FROM counters();
-- A user renamed: reached through the reviews, under the TVIEW lock, same keys only.
UPDATE tb_user SET name = 'ann b' WHERE pk_user = 1;
SELECT * FROM counters();
SELECT * FROM pg_tviews_check('product');
-- The root's own changes and a cascade delete take their usual paths.
UPDATE tb_product SET fk_category = 1 WHERE pk_product = 6;
DELETE FROM tb_product WHERE pk_product = 5;
SELECT * FROM pg_tviews_check('product');
-- Savepoints undo the partial recompute with the change.
BEGIN;
SAVEPOINT a;
INSERT INTO tb_review VALUES (101, 6, 2, 1, 'x', 101);
ROLLBACK TO a;
INSERT INTO tb_review VALUES (102, 6, 2, 2, 'y', 102);
COMMIT;
SELECT data->'reviews' FROM tv_product WHERE pk_product = 6;
SELECT * FROM pg_tviews_check('product');

-- A TVIEW over this one follows the patched documents.
SELECT pg_tviews_create('category', $$
    SELECT c.pk_category,
           jsonb_build_object('name', c.name,
                              'products', coalesce((SELECT jsonb_agg(t.data->'reviews' ORDER BY t.pk_product)
                                                      FROM tv_product t JOIN tb_product p ON p.pk_product = t.pk_product
                                                     WHERE p.fk_category = c.pk_category), '[]')) AS data
      FROM tb_category c $$);
INSERT INTO tb_review VALUES (103, 2, 1, 4, 'z', 103);
SELECT * FROM pg_tviews_check('product');
SELECT * FROM pg_tviews_check('category');
SELECT pg_tviews_drop('category');

-- Deferred mode: a child's keys are queued as such; at commit a document only children
-- changed has their keys recomputed, one queued by another change too is recomputed whole.
-- A table reached through other rows finds its keys at commit and recomputes whole.
SELECT pg_tviews_set_mode('product', 'deferred');
SELECT source, regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('product')
 WHERE source IN ('part.tb_review', 'part.tb_user') ORDER BY 1;
SELECT pg_tviews_stats_reset();
BEGIN;
INSERT INTO tb_review VALUES (104, 1, 2, 3, 'w', 104);
INSERT INTO tb_review VALUES (106, 1, 2, 4, 'v', 106);
DELETE FROM tb_review WHERE pk_review = 1;
INSERT INTO tb_review VALUES (107, 2, 1, 2, 'u', 107);
UPDATE tb_product SET name = 'product 2b', fk_category = 2 WHERE pk_product = 2;  -- a join column: whole
COMMIT;
SELECT * FROM counters();
SELECT * FROM pg_tviews_check('product');
BEGIN;
SAVEPOINT s;
INSERT INTO tb_review VALUES (108, 3, 1, 5, 't', 108);
ROLLBACK TO s;
INSERT INTO tb_review VALUES (109, 6, 1, 5, 's', 109);
UPDATE tb_user SET name = 'bob c' WHERE pk_user = 2;
COMMIT;
SELECT * FROM pg_tviews_check('product');
SELECT pg_tviews_drop('product');

-- Outside the rule, the whole recompute: the child also read in a filter; a subquery that
-- also reads a joined table's column; a value that also reads one outside its subquery.
SELECT pg_tviews_create('filtered', $$
    SELECT p.pk_product,
           jsonb_build_object('n', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM tb_product p WHERE EXISTS (SELECT FROM tb_review r WHERE r.fk_product = p.pk_product) $$);
SELECT pg_tviews_create('mixed', $$
    SELECT p.pk_product,
           jsonb_build_object('n', (SELECT count(*) FROM tb_review r
                                     WHERE r.fk_product = p.pk_product AND r.body <> c.name)) AS data
      FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category $$);
SELECT pg_tviews_create('outer_value', $$
    SELECT p.pk_product,
           jsonb_build_object('n', c.name || (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category $$);
SELECT tview, source, maintenance LIKE '%only the document keys%' AS partial
  FROM (SELECT 'filtered' AS tview UNION ALL SELECT 'mixed' UNION ALL SELECT 'outer_value') v,
       LATERAL pg_tviews_explain(v.tview) e
 WHERE e.source = 'part.tb_review' ORDER BY 1;
INSERT INTO tb_review VALUES (105, 2, 1, 1, 'tools', 105);
DELETE FROM tb_review WHERE fk_product = 3;
SELECT * FROM pg_tviews_check('filtered');
SELECT * FROM pg_tviews_check('mixed');
SELECT * FROM pg_tviews_check('outer_value');
SELECT pg_tviews_drop('filtered');
SELECT pg_tviews_drop('mixed');
SELECT pg_tviews_drop('outer_value');

-- ONLY: the recompute reads the root table without its inheritance children too.
CREATE TABLE tb_base (pk int PRIMARY KEY, name text);
CREATE TABLE tb_base_child (pk int) INHERITS (tb_base);
CREATE TABLE tb_note (pk int PRIMARY KEY, fk int NOT NULL, body text);
INSERT INTO tb_base VALUES (1, 'one'), (2, 'two');
INSERT INTO tb_base_child VALUES (1, 'shadow');
INSERT INTO tb_note VALUES (1, 1, 'a');
SELECT pg_tviews_create('base', $$
    SELECT b.pk, jsonb_build_object('name', b.name,
                                    'notes', (SELECT jsonb_agg(n.body || '/' || b.name ORDER BY n.pk)
                                                FROM tb_note n WHERE n.fk = b.pk)) AS data
      FROM ONLY tb_base b $$);
SELECT maintenance LIKE '%only the document keys%' AS partial FROM pg_tviews_explain('base') WHERE source = 'part.tb_note';
INSERT INTO tb_note VALUES (2, 1, 'b');
SELECT data FROM tv_base ORDER BY pk;
SELECT * FROM pg_tviews_check('base');
SELECT pg_tviews_drop('base');

-- The values are printed as SQL under the TVIEW's pinned settings, not the writer's: a date
-- constant printed under DateStyle DMY would be read back under MDY as another day (the
-- fast path's values too).
CREATE TABLE tb_launch (pk int PRIMARY KEY, name text NOT NULL, launched date NOT NULL);
CREATE TABLE tb_event (pk int PRIMARY KEY, fk int NOT NULL, at date NOT NULL);
INSERT INTO tb_launch VALUES (1, 'a', '2026-03-01'), (2, 'b', '2026-03-01');
SELECT pg_tviews_create('launch', $$
    SELECT l.pk, jsonb_build_object('name', l.name,
                                    'late', l.launched > DATE '2026-02-01',
                                    'recent', (SELECT count(*) FROM tb_event e
                                                WHERE e.fk = l.pk AND e.at > DATE '2026-02-03')) AS data
      FROM tb_launch l $$);
\c
SET search_path = part, public;
SET DateStyle = 'SQL, DMY';
INSERT INTO tb_event VALUES (1, 1, '2026-02-20');
UPDATE tb_launch SET launched = '2026-01-20' WHERE pk = 2;
RESET DateStyle;
SELECT * FROM tv_launch ORDER BY pk;
SELECT * FROM pg_tviews_check('launch');
SELECT pg_tviews_drop('launch');

-- A helper view inside the value: its tables are read with the view owner's rights, which
-- a statement naming them would not have; the whole recompute reads the view.
CREATE ROLE part_owner;
CREATE ROLE part_creator;
GRANT USAGE, CREATE ON SCHEMA part TO part_owner, part_creator;
SET ROLE part_owner;
CREATE TABLE tb_item (pk int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_mark (pk int PRIMARY KEY, fk int NOT NULL);
CREATE VIEW v_mark AS SELECT pk, fk FROM tb_mark;
INSERT INTO tb_item VALUES (1, 'a');
GRANT SELECT, TRIGGER ON tb_item TO part_creator;
GRANT TRIGGER ON tb_mark TO part_creator;
GRANT SELECT ON v_mark TO part_creator;
SET ROLE part_creator;
SELECT pg_tviews_create('item', $$
    SELECT i.pk, jsonb_build_object('name', i.name,
                                    'marks', (SELECT count(*) FROM v_mark m WHERE m.fk = i.pk)) AS data
      FROM tb_item i $$);
SELECT maintenance LIKE '%only the document keys%' AS partial FROM pg_tviews_explain('item') WHERE source = 'part.tb_mark';
SET ROLE part_owner;
INSERT INTO tb_mark VALUES (1, 1);
RESET ROLE;
SELECT * FROM tv_item;
SELECT * FROM pg_tviews_check('item');
SELECT pg_tviews_drop('item');
DROP VIEW v_mark;
DROP TABLE tb_item, tb_mark;
REVOKE ALL ON SCHEMA part FROM part_owner, part_creator;
DROP ROLE part_owner;
DROP ROLE part_creator;

-- A definition that reads the clock (now(), CURRENT_DATE): a whole recompute gives every
-- key a new value, so neither partial recompute nor the fast path sets only some of them.
CREATE TABLE tb_offer (pk int PRIMARY KEY, name text NOT NULL, ends timestamptz NOT NULL);
CREATE TABLE tb_bid (pk int PRIMARY KEY, fk int NOT NULL);
SELECT pg_tviews_create('offer', $$
    SELECT o.pk, jsonb_build_object('name', o.name, 'open', o.ends > now(),
                                    'bids', (SELECT count(*) FROM tb_bid b WHERE b.fk = o.pk)) AS data
      FROM tb_offer o $$);
SELECT pg_tviews_create('offer_today', $$
    SELECT o.pk, jsonb_build_object('name', o.name, 'today', o.ends::date = CURRENT_DATE,
                                    'bids', (SELECT count(*) FROM tb_bid b WHERE b.fk = o.pk)) AS data
      FROM tb_offer o $$);
SELECT pg_tviews_create('offer_text', $$
    SELECT o.pk, jsonb_build_object('name', o.name, 'seen', ('now'::text)::timestamptz > o.ends,
                                    'bids', (SELECT count(*) FROM tb_bid b WHERE b.fk = o.pk)) AS data
      FROM tb_offer o $$);
SELECT v.tview, e.source, regexp_replace(e.maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance
  FROM unnest(ARRAY['offer', 'offer_today', 'offer_text']) v(tview), LATERAL pg_tviews_explain(v.tview) e
 WHERE e.source IN ('part.tb_offer', 'part.tb_bid') ORDER BY v.tview, e.source;
SELECT pg_tviews_drop('offer');
SELECT pg_tviews_drop('offer_today');
SELECT pg_tviews_drop('offer_text');

-- Children of a varchar or a domain key are children (one lock per key, keys read from their
-- rows); a child joined across types (bigint to an integer key) is found through the key's
-- table, like a lookup.
CREATE DOMAIN sku AS int CHECK (VALUE > 0);
CREATE TABLE tb_shelf (code varchar(10) PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_box (pk int PRIMARY KEY, code varchar(10) NOT NULL);
CREATE TABLE tb_sku (id sku PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_stock (pk int PRIMARY KEY, id sku NOT NULL, far bigint NOT NULL);
INSERT INTO tb_shelf VALUES ('a1', 'first'); INSERT INTO tb_box VALUES (1, 'a1');
INSERT INTO tb_sku VALUES (1, 'one'); INSERT INTO tb_stock VALUES (1, 1, 1);
SELECT pg_tviews_create('shelf', $$
    SELECT s.code, jsonb_build_object('name', s.name,
                                      'boxes', (SELECT count(*) FROM tb_box b WHERE b.code = s.code)) AS data
      FROM tb_shelf s $$);
SELECT pg_tviews_create('sku', $$
    SELECT k.id, jsonb_build_object('name', k.name,
                                    'stock', (SELECT count(*) FROM tb_stock t WHERE t.id = k.id),
                                    'far', (SELECT count(*) FROM tb_stock t WHERE t.far = k.id)) AS data
      FROM tb_sku k $$);
SELECT v.tview, e.source, regexp_replace(e.maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance, e.key_query
  FROM unnest(ARRAY['shelf', 'sku']) v(tview), LATERAL pg_tviews_explain(v.tview) e
 WHERE e.source IN ('part.tb_box', 'part.tb_stock') ORDER BY 1, 2;
INSERT INTO tb_box VALUES (2, 'a1'), (3, 'zz');
INSERT INTO tb_stock VALUES (2, 1, 1), (3, 1, 5000000000);
SELECT * FROM pg_tviews_check('shelf');
SELECT * FROM pg_tviews_check('sku');
SELECT pg_tviews_drop('shelf');
SELECT pg_tviews_drop('sku');
DROP TABLE tb_shelf, tb_box, tb_sku, tb_stock;
DROP DOMAIN sku;

RESET search_path;
-- A product the definition filters out has no document: a review of it computes nothing
-- (here a division by its zero quantity, which the filter excludes).
CREATE TABLE tb_stock (pk int PRIMARY KEY, qty int NOT NULL);
CREATE TABLE tb_stock_review (pk int PRIMARY KEY, fk int NOT NULL REFERENCES tb_stock);
INSERT INTO tb_stock VALUES (1, 2), (2, 0);
SELECT pg_tviews_create('per_unit', $$
    SELECT s.pk, jsonb_build_object('per', (SELECT count(*) FROM tb_stock_review r WHERE r.fk = s.pk) / s.qty) AS data
      FROM tb_stock s WHERE s.qty > 0 $$);
INSERT INTO tb_stock_review VALUES (1, 1), (2, 2), (3, 1);
SELECT pg_tviews_set_mode('per_unit', 'deferred');
INSERT INTO tb_stock_review VALUES (4, 2), (5, 1);
SELECT * FROM tv_per_unit ORDER BY 1;
SELECT * FROM pg_tviews_check('per_unit');

DROP SCHEMA part CASCADE;
