-- Tallies: a child's count(*), count(x), sum(x) and avg(x) of integer columns, read by a
-- document key's subqueries, are kept per document key in state tables (immediate mode) and
-- read from there instead of scanning the children. Every step ends with the oracle
-- (pg_tviews_check compares the text forms, so avg's scale is checked to the digit).
CREATE SCHEMA tal;
SET search_path = tal, public;
CREATE TABLE tb_product (pk_product int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_review (pk_review int PRIMARY KEY,
                        fk_product int REFERENCES tb_product ON DELETE CASCADE,
                        rating int, weight bigint, small smallint,
                        approved bool NOT NULL DEFAULT true, body text);
INSERT INTO tb_product SELECT g, 'product ' || g FROM generate_series(1, 5) g;
INSERT INTO tb_review SELECT g, 1 + g % 4, CASE WHEN g % 6 = 0 THEN NULL ELSE g % 5 END,
                             g * 1000000007::bigint, (g % 3)::smallint, g % 4 <> 0, 'review ' || g
  FROM generate_series(1, 30) g;

-- The state tables of this file's TVIEWs (state_tables), and as shown: named after their
-- definition view (which other files' leftovers may have pushed to another name), their
-- comments without the digest (made of OIDs).
CREATE FUNCTION state_tables() RETURNS TABLE (state text, spec text) LANGUAGE sql AS $$
    SELECT c.relname::text, obj_description(c.oid, 'pg_class')
      FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'i'
      JOIN pg_class t ON t.oid = d.refobjid
     WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relkind = 'r'
       AND t.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname IN ('tal', 'tal2'))
     ORDER BY 1 $$;
CREATE FUNCTION show_state() RETURNS TABLE (state text, spec text) LANGUAGE sql AS $$
    SELECT regexp_replace(state, '^.*(_tally(_pending)?(_[0-9]+)?)$', '<view>\1'),
           regexp_replace(spec, ': (pending )?[0-9a-f]{16};', ': \1<digest>;')
      FROM state_tables() ORDER BY 1, 2 $$;

SELECT pg_tviews_create('product', $$
    SELECT p.pk_product,
           jsonb_build_object(
               'name', p.name,
               'reviews', jsonb_build_object(
                   'count', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'rated', (SELECT count(r.rating) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'average', (SELECT round(avg(r.rating), 2) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'raw_average', (SELECT avg(r.rating) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'total', (SELECT sum(r.rating) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'weight', (SELECT sum(r.weight) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'mean_weight', (SELECT avg(r.weight) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'small', (SELECT avg(small) + sum(small) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'approved', (SELECT count(*) FROM tb_review r
                                 WHERE p.pk_product = r.fk_product AND r.approved AND r.rating > 1),
                   'score', coalesce((SELECT sum(r.rating) FROM tb_review r
                                       WHERE r.fk_product = p.pk_product AND r.approved), 0) + p.pk_product,
                   -- Not tallied: DISTINCT, FILTER, ORDER BY inside, another column's
                   -- correlation, a numeric sum.
                   'distinct', (SELECT count(DISTINCT r.rating) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'filtered', (SELECT count(*) FILTER (WHERE r.small = 1) FROM tb_review r WHERE r.fk_product = p.pk_product),
                   'numeric', (SELECT sum(r.rating::numeric / 3) FROM tb_review r WHERE r.fk_product = p.pk_product))) AS data
      FROM tb_product p $$);
SELECT * FROM show_state();
SELECT regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance FROM pg_tviews_explain('product') WHERE source = 'tal.tb_review';
-- Every subquery reads the reviews the same way: said once.
SELECT reaches FROM pg_tviews_explain('product') WHERE source = 'tal.tb_review';
SELECT data FROM tv_product WHERE pk_product = 2;
SELECT * FROM pg_tviews_check('product');

-- Inserts, NULLs, several documents in one statement, a row without a product, a review
-- moved between products, the filter's column changed, a product left without reviews.
INSERT INTO tb_review VALUES (100, 5, 5, 9223372036854775807, 2, true, 'max');
INSERT INTO tb_review VALUES (101, 5, NULL, 9223372036854775807, NULL, false, 'null'),
                             (102, 1, 4, -9223372036854775808, 1, true, 'min'),
                             (103, NULL, 3, 1, 1, true, 'orphan');
SELECT data->'reviews' FROM tv_product WHERE pk_product = 5;
SELECT * FROM pg_tviews_check('product');
UPDATE tb_review SET fk_product = 5 WHERE pk_review IN (1, 103);
UPDATE tb_review SET approved = NOT approved WHERE fk_product = 2;
UPDATE tb_review SET rating = rating + 1, fk_product = 3 WHERE pk_review = 2;
UPDATE tb_review SET body = 'edited' WHERE pk_review = 3;
DELETE FROM tb_review WHERE fk_product = 4;
SELECT pk_product, data->'reviews'->'count' AS count, data->'reviews'->'average' AS average,
       data->'reviews'->'total' AS total
  FROM tv_product ORDER BY 1;
SELECT * FROM pg_tviews_check('product');
-- Savepoints undo the state with the change.
BEGIN;
INSERT INTO tb_review VALUES (104, 4, 1, 1, 1, true, 'a');
SAVEPOINT s;
INSERT INTO tb_review VALUES (105, 4, 2, 2, 2, true, 'b');
DELETE FROM tb_review WHERE fk_product = 1;
ROLLBACK TO s;
INSERT INTO tb_review VALUES (106, 4, 3, 3, 0, true, 'c');
COMMIT;
SELECT data->'reviews'->'count', data->'reviews'->'average' FROM tv_product WHERE pk_product = 4;
SELECT * FROM pg_tviews_check('product');
-- A product deleted (its reviews cascade), one added, TRUNCATE.
DELETE FROM tb_product WHERE pk_product = 3;
INSERT INTO tb_product VALUES (6, 'product 6');
INSERT INTO tb_review VALUES (107, 6, 5, 5, 5, true, 'd');
SELECT * FROM pg_tviews_check('product');
TRUNCATE tb_review;
SELECT data->'reviews'->'count', data->'reviews'->'average' FROM tv_product WHERE pk_product = 6;
INSERT INTO tb_review VALUES (108, 6, 4, 4, 4, true, 'e');
SELECT * FROM pg_tviews_check('product');
INSERT INTO tb_review SELECT g, 1 + g % 6, g % 5, g, 1, g % 3 > 0, NULL
  FROM generate_series(200, 260) g WHERE 1 + g % 6 <> 3;
SELECT * FROM pg_tviews_check('product');

-- The state is part of the TVIEW's table: dropping it alone detaches the TVIEW (rolled back
-- here; tview_31_parts_dropped has more).
SELECT min(state) AS first_state FROM tal.state_tables() \gset
BEGIN;
SET client_min_messages = error;
DROP TABLE tviews_def.:"first_state";
RESET client_min_messages;
SELECT count(*) AS tviews FROM pg_tview_meta WHERE table_name = 'tal.tv_product'::regclass;
ROLLBACK;
-- A state table is pg_tviews' own: any ALTER TABLE of it by its owner builds it again as
-- pg_tviews makes it. Its guard disabled (direct writes would pass), its key dropped (every
-- write to the source would fail), a CHECK added (some would): each time a new state table,
-- guarded and keyed, and nothing marked.
ALTER TABLE tviews_def.:"first_state" DISABLE TRIGGER ALL;
SELECT count(*) AS same_table FROM tal.state_tables() WHERE state = :'first_state';
SELECT min(state) AS first_state FROM tal.state_tables() \gset
SELECT conname AS state_key FROM pg_constraint
 WHERE conrelid = format('tviews_def.%I', :'first_state')::regclass AND contype IN ('p', 'u') \gset
ALTER TABLE tviews_def.:"first_state" DROP CONSTRAINT :"state_key";
SELECT min(state) AS first_state FROM tal.state_tables() \gset
ALTER TABLE tviews_def.:"first_state" ADD CONSTRAINT few CHECK (n < 3) NOT VALID;
SELECT min(state) AS first_state FROM tal.state_tables() \gset
-- (NOT NULL constraints left out: PostgreSQL 18 lists them here.)
SELECT contype, count(*) FROM pg_constraint
 WHERE conrelid = format('tviews_def.%I', :'first_state')::regclass AND contype <> 'n'
 GROUP BY 1 ORDER BY 1;
SELECT tgenabled FROM pg_trigger WHERE tgrelid = format('tviews_def.%I', :'first_state')::regclass;
-- Renamed: built again under its name; moved to another schema: refused (it would stay part
-- of the TVIEW's table without being its state).
ALTER TABLE tviews_def.:"first_state" RENAME TO renamed_by_hand;
SELECT count(*) AS renamed FROM tal.state_tables() WHERE state = 'renamed_by_hand';
SELECT min(state) AS first_state FROM tal.state_tables() \gset
CREATE SCHEMA tal_elsewhere;
\set VERBOSITY sqlstate
ALTER TABLE tviews_def.:"first_state" SET SCHEMA tal_elsewhere;
\set VERBOSITY default
DROP SCHEMA tal_elsewhere;
INSERT INTO tb_review SELECT g, 1, 4, 4, 4, true, 'g' FROM generate_series(290, 294) g;
SELECT * FROM pg_tviews_check('product');
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'tal.tv_product' AND NOT ok ORDER BY 1;
-- Done while pg_tviews' event triggers were disabled, the health check says so; a refresh
-- builds the state again.
ALTER EVENT TRIGGER pg_tviews_alter DISABLE;
SELECT conname AS state_key FROM pg_constraint
 WHERE conrelid = format('tviews_def.%I', :'first_state')::regclass AND contype IN ('p', 'u') \gset
ALTER TABLE tviews_def.:"first_state" DROP CONSTRAINT :"state_key";
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
SELECT check_name, ok, regexp_replace(detail, 'tv_[a-z_0-9]+', '<state>', 'g') AS detail
  FROM pg_tviews_health_check() WHERE tview = 'tal.tv_product' AND NOT ok ORDER BY 1;
SELECT pg_tviews_refresh('product');
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'tal.tv_product' AND NOT ok ORDER BY 1;
-- A column renamed: the state is built again for the new name.
ALTER TABLE tb_review RENAME COLUMN rating TO stars;
SELECT * FROM show_state();
INSERT INTO tb_review VALUES (300, 1, 5, 5, 5, true, 'f');
SELECT * FROM pg_tviews_check('product');
-- A direct write to a state table is refused (as to the TVIEW table); pg_tviews_refresh
-- builds the state again.
SELECT min(state) AS state FROM state_tables() \gset
DO $$ BEGIN
    EXECUTE format('UPDATE tviews_def.%I SET n = n + 100', (SELECT min(state) FROM state_tables()));
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'refused: %', SQLERRM ~ '^cannot write to pg_tviews state table ';
END $$;
SELECT pg_tviews_refresh('product');
INSERT INTO tb_review VALUES (301, 1, 1, 1, 1, true, 'g');
SELECT * FROM pg_tviews_check('product');
-- Deferred mode keeps the state too, with a pending table per state; back in immediate mode
-- the state is built again (and the pending tables dropped).
SELECT pg_tviews_set_mode('product', 'deferred');
SELECT * FROM show_state();
BEGIN;
INSERT INTO tb_review VALUES (302, 2, 2, 2, 2, true, 'h');
DELETE FROM tb_review WHERE pk_review = 300;
COMMIT;
SELECT * FROM pg_tviews_check('product');
SELECT pg_tviews_set_mode('product', 'immediate');
SELECT count(*) FROM show_state();
UPDATE tb_review SET stars = 1 WHERE fk_product = 2;
SELECT * FROM pg_tviews_check('product');

-- Another owner: the state follows (maintenance runs as the owner and writes it).
CREATE ROLE tal_owner;
GRANT USAGE ON SCHEMA tal TO tal_owner;
GRANT SELECT ON tb_product, tb_review TO tal_owner;
GRANT CREATE ON SCHEMA tal TO tal_owner;
ALTER TABLE tv_product OWNER TO tal_owner;
SELECT regexp_replace(s.state, '^.*_tally', '<view>_tally'), pg_get_userbyid(c.relowner)
  FROM state_tables() s JOIN pg_class c ON c.relname = s.state AND c.relnamespace = 'tviews_def'::regnamespace
 ORDER BY 1;
INSERT INTO tb_review VALUES (303, 2, 4, 4, 4, true, 'i');
SELECT * FROM pg_tviews_check('product');

-- A text key compared under the column's collation; a second TVIEW over the same child.
CREATE TABLE tb_tag (code text PRIMARY KEY);
CREATE TABLE tb_use (id int PRIMARY KEY, tag text, n int);
INSERT INTO tb_tag VALUES ('a'), ('b'), ('é');
INSERT INTO tb_use VALUES (1, 'a', 1), (2, 'a', 2), (3, 'é', 3), (4, 'z', 4);
SELECT pg_tviews_create('tag', $$
    SELECT t.code, jsonb_build_object('uses', (SELECT count(*) FROM tb_use u WHERE u.tag = t.code),
                                      'sum', (SELECT sum(u.n) FROM tb_use u WHERE u.tag = t.code)) AS data
      FROM tb_tag t $$);
SELECT pg_tviews_create('tag_avg', $$
    SELECT t.code, jsonb_build_object('avg', (SELECT avg(u.n) FROM tb_use u WHERE u.tag = t.code)) AS data
      FROM tb_tag t $$);
SELECT * FROM show_state();
UPDATE tb_use SET tag = 'b' WHERE id = 4;
INSERT INTO tb_use VALUES (5, 'é', 10), (6, NULL, 1);
DELETE FROM tb_use WHERE id = 1;
SELECT code, data FROM tv_tag ORDER BY 1;
SELECT * FROM pg_tviews_check('tag');
SELECT * FROM pg_tviews_check('tag_avg');
SELECT pg_tviews_drop('tag_avg');
SELECT * FROM show_state();
SELECT pg_tviews_drop('tag');
SELECT pg_tviews_drop('product');
SELECT * FROM show_state();

-- Found by attacking tallies: each case is a divergence or a failure that no longer happens.
CREATE TABLE tb_p (pk int PRIMARY KEY);
CREATE TABLE tb_c (id int PRIMARY KEY, fk int, x int);
INSERT INTO tb_p VALUES (1), (2);
INSERT INTO tb_c VALUES (1, 1, 1), (2, 1, 5), (3, 2, 7);
CREATE FUNCTION big(int) RETURNS bool IMMUTABLE LEAKPROOF LANGUAGE sql AS 'SELECT $1 > 1';
SELECT pg_tviews_create('c', $$
    SELECT p.pk, jsonb_build_object(
           'n', (SELECT count(*) FROM tb_c c WHERE c.fk = p.pk),
           'big', (SELECT count(*) FROM tb_c c WHERE c.fk = p.pk AND big(c.x)),
           -- A condition that can fail (a division) on a row no document reads is not
           -- tallied: the state would evaluate it on every row.
           'tenth', (SELECT count(*) FROM tb_c c WHERE c.fk = p.pk AND 10 / c.x > 1)) AS data
      FROM tb_p p $$);
SELECT spec FROM show_state();
INSERT INTO tb_c VALUES (4, 99, 0);
SELECT * FROM pg_tviews_check('c');
-- A function renamed and renamed back: the state follows the same function throughout.
ALTER FUNCTION big(int) RENAME TO big2;
INSERT INTO tb_c VALUES (5, 1, 5);
ALTER FUNCTION big2(int) RENAME TO big;
INSERT INTO tb_c VALUES (6, 1, 5);
SELECT * FROM pg_tviews_check('c');
-- The function replaced: its rows counted again.
CREATE OR REPLACE FUNCTION big(int) RETURNS bool IMMUTABLE LEAKPROOF LANGUAGE sql AS 'SELECT $1 > 6';
INSERT INTO tb_c VALUES (7, 1, 9);
SELECT * FROM pg_tviews_check('c');
-- The schema renamed and renamed back.
ALTER SCHEMA tal RENAME TO tal2;
INSERT INTO tal2.tb_c VALUES (8, 1, 8);
ALTER SCHEMA tal2 RENAME TO tal;
INSERT INTO tb_c VALUES (9, 1, 8);
SELECT * FROM pg_tviews_check('c');
-- Replica sessions (logical replication's apply worker): TRUNCATE, a refresh after
-- collected rows, an ordinary TRUNCATE after them, ALTER TABLE between them.
SET session_replication_role = replica;
TRUNCATE tb_c;
RESET session_replication_role;
INSERT INTO tb_c VALUES (10, 1, 3);
SELECT * FROM pg_tviews_check('c');
SET session_replication_role = replica;
BEGIN;
INSERT INTO tb_c VALUES (11, 1, 3);
SELECT pg_tviews_refresh('c');
COMMIT;
RESET session_replication_role;
SELECT * FROM pg_tviews_check('c');
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_c VALUES (12, 1, 3);
SET LOCAL session_replication_role = origin;
TRUNCATE tb_c;
COMMIT;
SELECT * FROM pg_tviews_check('c');
SELECT data FROM tv_c ORDER BY pk;
SET session_replication_role = replica;
BEGIN;
INSERT INTO tb_c VALUES (13, 1, 3);
ALTER TABLE tb_c ADD COLUMN w int;
INSERT INTO tb_c VALUES (14, 1, 4);
COMMIT;
RESET session_replication_role;
INSERT INTO tb_c VALUES (15, 1, 5);
SELECT * FROM pg_tviews_check('c');
SELECT pg_tviews_drop('c');
-- Another role's table under a state table's name (the definition schema is open to all):
-- kept, and the state takes another name.
CREATE ROLE tal_squatter;
SELECT pg_tviews_create('c', $$
    SELECT p.pk, jsonb_build_object('n', (SELECT count(*) FROM tb_c c WHERE c.fk = p.pk)) AS data
      FROM tb_p p $$);
SELECT min(state) AS ours, min(state) || '_2' AS ours2 FROM state_tables() \gset
SELECT pg_tviews_drop('c');
SET ROLE tal_squatter;
CREATE TABLE tviews_def.:"ours" ();
COMMENT ON TABLE tviews_def.:"ours" IS 'pg_tviews tally state: 0000000000000000; fake';
CREATE TABLE tviews_def.:"ours2" ();
RESET ROLE;
SELECT pg_tviews_create('c', $$
    SELECT p.pk, jsonb_build_object('n', (SELECT count(*) FROM tb_c c WHERE c.fk = p.pk)) AS data
      FROM tb_p p $$);
SELECT s.state = :'ours' || '_3' AS third_name, pg_get_userbyid(c.relowner)
  FROM state_tables() s JOIN pg_class c ON c.relname = s.state AND c.relnamespace = 'tviews_def'::regnamespace;
SELECT pg_get_userbyid(relowner), count(*) FROM pg_class
 WHERE relname IN (:'ours', :'ours' || '_2') AND relnamespace = 'tviews_def'::regnamespace GROUP BY 1;
INSERT INTO tb_c VALUES (16, 2, 1);
SELECT * FROM pg_tviews_check('c');
SELECT pg_tviews_drop('c');
DROP OWNED BY tal_squatter;
DROP ROLE tal_squatter;
-- A child joined to a key of a domain type by a column of the domain's base type: the same
-- values (the key is stored as the base type), so its count is kept by delta too; 2 and 2.0
-- are one key under numeric's equality.
CREATE DOMAIN dnum AS numeric;
CREATE TABLE tb_dp (pk dnum PRIMARY KEY);
CREATE TABLE tb_dc (id int PRIMARY KEY, fk numeric);
INSERT INTO tb_dp VALUES (1), (2);
INSERT INTO tb_dc VALUES (1, 1), (2, 1);
SELECT pg_tviews_create('dn', $$
    SELECT p.pk, jsonb_build_object('n', (SELECT count(*) FROM tb_dc c WHERE c.fk = p.pk)) AS data
      FROM tb_dp p $$);
SELECT count(*) FROM show_state();
INSERT INTO tb_dc VALUES (3, 2);
SELECT * FROM pg_tviews_check('dn');
INSERT INTO tb_dc VALUES (4, 2.0);
DELETE FROM tb_dc WHERE id = 1;
UPDATE tb_dc SET fk = 2.00 WHERE id = 2;
SELECT pk, data FROM tv_dn ORDER BY pk;
SELECT * FROM pg_tviews_check('dn');
SELECT pg_tviews_drop('dn');

-- Found by a second attack. count() of a row value counts values with NULL fields (not
-- tallied); a child column named like the delta's sign column (not tallied); rows of a
-- subtransaction a replica session rolled back; a state table altered by hand.
CREATE TYPE pair AS (a int, b int);
CREATE TABLE tb_q (pk int PRIMARY KEY);
CREATE TABLE tb_r (id int PRIMARY KEY, fk int, pr pair, __pgtv_sign int, x int);
INSERT INTO tb_q VALUES (1), (2);
INSERT INTO tb_r VALUES (1, 1, ROW(1, NULL), 0, 1);
SELECT pg_tviews_create('q', $$
    SELECT p.pk, jsonb_build_object(
           'pairs', (SELECT count(r.pr) FROM tb_r r WHERE r.fk = p.pk),
           'n', (SELECT count(*) FROM tb_r r WHERE r.fk = p.pk)) AS data FROM tb_q p $$);
SELECT count(*) FROM show_state();
INSERT INTO tb_r VALUES (2, 1, ROW(NULL, 2), 0, 2), (3, 2, ROW(NULL, NULL), 0, 3);
SELECT pk, data FROM tv_q ORDER BY pk;
SELECT * FROM pg_tviews_check('q');
ALTER TABLE tb_r DROP COLUMN __pgtv_sign;
SELECT spec FROM show_state();
SET session_replication_role = replica;
BEGIN;
INSERT INTO tb_r VALUES (4, 1, NULL, 10);
SAVEPOINT a;
INSERT INTO tb_r VALUES (5, 1, NULL, 20);
ROLLBACK TO a;
COMMIT;
-- Every row in the rolled-back subtransaction: its lock on the table went with it.
BEGIN;
SAVEPOINT a;
INSERT INTO tb_r VALUES (8, 2, NULL, 5);
ROLLBACK TO a;
COMMIT;
RESET session_replication_role;
SELECT pk, data FROM tv_q ORDER BY pk;
SELECT * FROM pg_tviews_check('q');
CREATE ROLE tal_other;
SELECT min(state) AS state FROM state_tables() \gset
ALTER TABLE tviews_def.:"state" OWNER TO tal_other;
INSERT INTO tb_r VALUES (6, 1, NULL, 1);
SELECT min(state) AS state FROM state_tables() \gset
ALTER TABLE tviews_def.:"state" OWNER TO CURRENT_USER;
INSERT INTO tb_r VALUES (7, 1, NULL, 1);
SELECT * FROM pg_tviews_check('q');
-- A state table's comment changed by hand (it says what the table holds): built again, so
-- that no backend keeps reading a state others would stop adding to.
SELECT min(state) AS state FROM state_tables() \gset
COMMENT ON TABLE tviews_def.:"state" IS 'edited';
SELECT count(*) AS edited FROM state_tables() WHERE spec = 'edited';
SELECT * FROM show_state();
INSERT INTO tb_r VALUES (9, 1, NULL, 1);
SELECT * FROM pg_tviews_check('q');
-- pg_tviews_check also recounts the states: a state row that drifted from the table (here
-- changed by hand) is reported by its key before any document shows it, and a refresh
-- builds the state again.
SELECT min(state) AS state FROM state_tables() WHERE state NOT LIKE '%pending%' \gset
-- (pg_tviews enables its guard again after any ALTER TABLE: switched off in the catalog.)
UPDATE pg_trigger SET tgenabled = 'D'
 WHERE tgname = 'pgtv_guard' AND tgrelid = format('tviews_def.%I', :'state')::regclass;
ANALYZE tviews_def.:"state";
UPDATE tviews_def.:"state" SET n = n + 1 WHERE k = 2;
DELETE FROM tviews_def.:"state" WHERE k = 1;
UPDATE pg_trigger SET tgenabled = 'A'
 WHERE tgname = 'pgtv_guard' AND tgrelid = format('tviews_def.%I', :'state')::regclass;
SELECT pk, data FROM tv_q ORDER BY pk;
SELECT * FROM pg_tviews_check('q') ORDER BY 1;
ALTER TABLE tviews_def.:"state" ENABLE ALWAYS TRIGGER pgtv_guard;
SELECT pg_tviews_refresh('q');
SELECT * FROM pg_tviews_check('q');
SELECT pg_tviews_drop('q');
DROP ROLE tal_other;

-- Deferred mode keeps tallies too: each statement leaves its rows' counts and sums in a
-- pending table (appending, no lock), and the commit adds them to the state under the keys'
-- locks before recomputing the documents from it.
CREATE TABLE tb_doc (pk int PRIMARY KEY, label text);
CREATE TABLE tb_line (id int PRIMARY KEY, fk int, qty int, amt numeric(10, 2), ok boolean);
INSERT INTO tb_doc VALUES (1, 'one'), (2, 'two'), (3, 'three');
INSERT INTO tb_line VALUES (1, 1, 2, 1.50, true), (2, 1, 3, 2.25, true), (3, 2, 7, 'NaN', false);
SELECT pg_tviews_create('doc', $$
    SELECT d.pk, jsonb_build_object('label', d.label,
           'n', (SELECT count(*) FROM tb_line l WHERE l.fk = d.pk),
           'qty', (SELECT sum(l.qty) FROM tb_line l WHERE l.fk = d.pk),
           'avg', (SELECT round(avg(l.amt), 3) FROM tb_line l WHERE l.fk = d.pk),
           'all_ok', (SELECT bool_and(l.ok) FROM tb_line l WHERE l.fk = d.pk),
           'top', (SELECT max(l.qty) FROM tb_line l WHERE l.fk = d.pk AND l.qty IS NOT NULL
                     AND l.id > 0 AND l.ok IS NOT NULL)) AS data
      FROM tb_doc d $$);
SELECT pg_tviews_set_mode('doc', 'deferred');
SELECT * FROM show_state() WHERE spec LIKE '%tb_line%';
SELECT regexp_replace(maintenance, '"tviews_def"\."[^"]+"', '<state table>', 'g') AS maintenance
  FROM pg_tviews_explain('doc') WHERE source = 'tal.tb_line';
CREATE FUNCTION pending_rows() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE t text; n bigint := 0; m bigint;
BEGIN
    FOR t IN SELECT state FROM state_tables() WHERE state LIKE 'tv_doc%pending%' LOOP
        EXECUTE format('SELECT count(*) FROM tviews_def.%I', t) INTO m;
        n := n + m;
    END LOOP;
    RETURN n;
END $$;
-- Several statements on one document, rows moved between documents, a row no document
-- reads (fk 99) and one without a key: the deltas wait, the TVIEW is unchanged until commit.
BEGIN;
INSERT INTO tb_line VALUES (4, 1, 4, 0.10, true);
INSERT INTO tb_line VALUES (5, 1, NULL, NULL, NULL), (6, 99, 1, 1, true), (7, NULL, 1, 1, false);
UPDATE tb_line SET fk = 2 WHERE id = 2;
DELETE FROM tb_line WHERE id = 1;
SELECT pending_rows() > 0 AS deltas_waiting;
SELECT pk, data FROM tv_doc ORDER BY pk;
COMMIT;
SELECT pending_rows() AS left_pending;
SELECT pk, data FROM tv_doc ORDER BY pk;
SELECT * FROM pg_tviews_check('doc');
-- A flush inside a savepoint that rolls back, then more rows and the commit (the flush's
-- additions to the state go with the savepoint, the deltas come back and are added once).
BEGIN;
INSERT INTO tb_line VALUES (8, 3, 5, 5.55, true);
SAVEPOINT a;
INSERT INTO tb_line VALUES (9, 3, 6, 6.66, false);
SELECT pg_tviews_flush();
SELECT data->'n' AS n_inside FROM tv_doc WHERE pk = 3;
ROLLBACK TO a;
INSERT INTO tb_line VALUES (10, 3, 1, 1.00, true);
SELECT pg_tviews_flush();
SELECT data->'n' AS n_flushed FROM tv_doc WHERE pk = 3;
INSERT INTO tb_line VALUES (11, 3, 2, 2.00, true);
COMMIT;
SELECT pk, data FROM tv_doc WHERE pk = 3;
SELECT * FROM pg_tviews_check('doc');
-- The same again and again in one transaction (a long transaction's flushes).
BEGIN;
UPDATE tb_line SET qty = qty + 1 WHERE fk = 3;
SAVEPOINT b;
UPDATE tb_line SET qty = qty + 1 WHERE fk = 3;
SELECT pg_tviews_flush();
ROLLBACK TO b;
UPDATE tb_line SET qty = qty + 10 WHERE fk = 3;
SELECT pg_tviews_flush();
UPDATE tb_line SET qty = qty + 100 WHERE fk = 3;
COMMIT;
SELECT * FROM pg_tviews_check('doc');
-- A document also changed by its own row: recomputed whole, the state still follows.
BEGIN;
UPDATE tb_doc SET label = 'ONE' WHERE pk = 1;
INSERT INTO tb_line VALUES (12, 1, 9, 9.99, false);
COMMIT;
SELECT pk, data FROM tv_doc WHERE pk = 1;
SELECT * FROM pg_tviews_check('doc');
-- TRUNCATE in the transaction: the state and the pending deltas emptied, rows after it
-- counted.
BEGIN;
INSERT INTO tb_line VALUES (13, 2, 1, 1, true);
TRUNCATE tb_line;
INSERT INTO tb_line VALUES (14, 2, 3, 3.33, true), (15, 2, 4, NULL, true);
COMMIT;
SELECT pending_rows() AS left_pending;
SELECT pk, data FROM tv_doc ORDER BY pk;
SELECT * FROM pg_tviews_check('doc');
-- Switched to immediate mode with deltas waiting, and back: the state is built again from
-- the rows, this transaction's included.
BEGIN;
INSERT INTO tb_line VALUES (16, 1, 1, 1, true);
SELECT pg_tviews_set_mode('doc', 'immediate');
INSERT INTO tb_line VALUES (17, 1, 2, 2, true);
COMMIT;
SELECT * FROM pg_tviews_check('doc');
BEGIN;
INSERT INTO tb_line VALUES (18, 2, 1, 1, true);
SELECT pg_tviews_set_mode('doc', 'deferred');
INSERT INTO tb_line VALUES (19, 2, 2, 2, true);
COMMIT;
SELECT * FROM pg_tviews_check('doc');
SELECT count(*) AS state_and_pending FROM state_tables() WHERE state LIKE 'tv_doc%';
-- The pending table refuses direct writes, like the state.
SELECT min(state) AS pending FROM state_tables() WHERE state LIKE 'tv_doc%pending%' \gset
INSERT INTO tviews_def.:"pending" SELECT * FROM tviews_def.:"pending";
-- An aborted transaction leaves nothing pending.
BEGIN;
INSERT INTO tb_line VALUES (20, 1, 1, 1, true);
ROLLBACK;
SELECT pending_rows() AS left_pending;
SELECT * FROM pg_tviews_check('doc');
-- The pending table's owner rewrites it between a flush and the commit (CLUSTER moves the
-- rows, the transaction's deltas are no longer where it left them): the commit notices, says
-- so, and builds the states again from the tables; nothing is left pending.
CREATE INDEX tal_pending_k ON tviews_def.:"pending" (k);
BEGIN;
INSERT INTO tb_line VALUES (21, 1, 7, 7, true);
SELECT pg_tviews_flush();
INSERT INTO tb_line VALUES (22, 2, 5, 5, true);
CLUSTER tviews_def.:"pending" USING tal_pending_k;
COMMIT;
SELECT pending_rows() AS left_pending;
SELECT pk, data FROM tv_doc ORDER BY pk;
SELECT * FROM pg_tviews_check('doc');
-- A rewrite undone by its savepoint leaves the deltas where they were: no rebuild.
SELECT min(state) AS pending FROM state_tables() WHERE state LIKE 'tv_doc%pending%' \gset
CREATE INDEX tal_pending_k ON tviews_def.:"pending" (k);
BEGIN;
INSERT INTO tb_line VALUES (23, 1, 1, 1, true);
SAVEPOINT c;
CLUSTER tviews_def.:"pending" USING tal_pending_k;
ROLLBACK TO c;
INSERT INTO tb_line VALUES (24, 3, 2, 2, true);
COMMIT;
SELECT pending_rows() AS left_pending;
SELECT * FROM pg_tviews_check('doc');
SELECT pg_tviews_drop('doc');
SELECT count(*) AS left_over FROM state_tables() WHERE state LIKE 'tv_doc%';

DROP OWNED BY tal_owner;
DROP ROLE tal_owner;
DROP SCHEMA tal CASCADE;
