-- A FULL JOIN of two tables as the whole FROM list (pg_ivm's outer joins where every table
-- is on a nullable side): keyed by both sides' keys, (a, NULL) and (NULL, b) for unmatched
-- rows. A change finds the pairs its rows form and the rows they leave unmatched. Every step
-- ends with the oracle.
CREATE SCHEMA fj;
SET search_path = fj, public;
CREATE TABLE tb_left (pk_left int PRIMARY KEY, x int, name text NOT NULL);
CREATE TABLE tb_right (pk_right int PRIMARY KEY, y int, note text,
                       fk_left int REFERENCES tb_left ON DELETE CASCADE);
CREATE INDEX ON tb_left (x);
CREATE INDEX ON tb_right (y);
INSERT INTO tb_left SELECT g, g % 5, 'l' || g FROM generate_series(1, 12) g;
INSERT INTO tb_right SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 8 END, 'r' || g,
                            CASE WHEN g % 3 = 0 THEN g END
  FROM generate_series(1, 10) g;

-- Chosen automatically: both primary keys.
SELECT pg_tviews_create('pairs', $$
    SELECT l.pk_left, r.pk_right, jsonb_build_object('l', l.name, 'r', r.note) AS data
      FROM tb_left l FULL JOIN tb_right r ON r.y = l.x $$);
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'pairs';
SELECT source, reaches FROM pg_tviews_explain('pairs') ORDER BY source;
SELECT count(*) AS rows, count(*) FILTER (WHERE pk_left IS NULL) AS right_only,
       count(*) FILTER (WHERE pk_right IS NULL) AS left_only FROM tv_pairs;
-- The same with USING, a WHERE over the join, in deferred mode.
SELECT pg_tviews_create('pairs_later', $$
    SELECT l.pk_left, r.pk_right, coalesce(l.name, '-') || '/' || coalesce(r.note, '-') AS pair
      FROM tb_left l FULL JOIN (SELECT * FROM tb_right) r ON r.y = l.x
     WHERE coalesce(l.name, '') <> 'l11' $$, mode => 'deferred');
SELECT pg_tviews_create('pairs_using', $$
    SELECT l.pk_left, r.pk_right, x, l.name, r.note
      FROM tb_left l FULL JOIN (SELECT pk_right, y AS x, note FROM tb_right) r USING (x) $$,
    mode => 'deferred');
SELECT pg_tviews_create('pairs_named', $$
    SELECT l.pk_left, r.pk_right, l.name, r.note
      FROM tb_left l FULL JOIN (SELECT pk_right, fk_left AS pk_left, note FROM tb_right) r
           USING (pk_left) $$, key => ARRAY['pk_right', 'pk_left'],
    mode => 'deferred');

-- A row arriving matches rows left unmatched; leaving, it leaves them unmatched again.
INSERT INTO tb_left VALUES (20, 7, 'l20'), (21, 99, 'l21');
SELECT pk_left, pk_right FROM tv_pairs WHERE pk_left IN (20, 21) OR pk_right = 7 ORDER BY 1, 2;
DELETE FROM tb_left WHERE pk_left = 20;
SELECT pk_left, pk_right FROM tv_pairs WHERE pk_left = 20 OR pk_right = 7 ORDER BY 1, 2;
-- Moves, NULL join values, keys changed on both sides.
UPDATE tb_right SET y = NULL WHERE pk_right = 1;
UPDATE tb_right SET y = 4 WHERE pk_right = 7;
UPDATE tb_left SET x = 6 WHERE pk_left IN (3, 8);
UPDATE tb_left SET pk_left = pk_left + 100 WHERE pk_left = 2;
UPDATE tb_right SET pk_right = 50, y = 1 WHERE pk_right = 2;
SELECT * FROM pg_tviews_check('pairs');
-- Both sides in one statement; a foreign key cascade deleting right rows.
WITH moved AS (UPDATE tb_left SET x = 0 WHERE x = 1 RETURNING pk_left)
UPDATE tb_right SET y = 0 WHERE pk_right IN (SELECT pk_right FROM tb_right WHERE y = 3);
DELETE FROM tb_left WHERE pk_left = 6;
MERGE INTO tb_right r USING (SELECT g FROM generate_series(8, 12) g) s ON r.pk_right = s.g
  WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT (pk_right, y, note) VALUES (s.g, s.g % 5, 'm' || s.g);
SELECT * FROM pg_tviews_check('pairs');
-- Savepoints: maintenance rolls back with the change.
BEGIN;
SAVEPOINT s;
DELETE FROM tb_left;
SELECT count(*) FILTER (WHERE pk_left IS NOT NULL) AS with_left FROM tv_pairs;
ROLLBACK TO s;
UPDATE tb_left SET name = name || '!' WHERE x = 4;
COMMIT;
SELECT * FROM pg_tviews_check('pairs');
SELECT * FROM pg_tviews_check('pairs_later');
SELECT * FROM pg_tviews_check('pairs_using');
SELECT * FROM pg_tviews_check('pairs_named');
-- Many statements in one deferred transaction, then TRUNCATE.
BEGIN;
INSERT INTO tb_right SELECT g, g % 6, 'n' || g, NULL FROM generate_series(200, 260) g;
UPDATE tb_left SET x = (x + 1) % 6;
DELETE FROM tb_right WHERE y = 2;
SELECT pg_tviews_flush();
UPDATE tb_right SET y = 5 WHERE pk_right > 250;
COMMIT;
SELECT * FROM pg_tviews_check('pairs');
SELECT * FROM pg_tviews_check('pairs_later');
SELECT * FROM pg_tviews_check('pairs_using');
SELECT * FROM pg_tviews_check('pairs_named');
TRUNCATE tb_right;
SELECT count(*) AS rows, count(*) FILTER (WHERE pk_right IS NULL) AS left_only FROM tv_pairs;
SELECT * FROM pg_tviews_check('pairs');
SELECT * FROM pg_tviews_check('pairs_later');

-- GROUP BY over the join: the groups of a pair of keys.
INSERT INTO tb_right SELECT g, g % 6, 'n' || g, NULL FROM generate_series(1, 15) g;
SELECT pg_tviews_create('pair_counts', $$
    SELECT l.pk_left, r.pk_right, count(*) AS n
      FROM tb_left l FULL JOIN tb_right r ON r.y = l.x AND r.note <> 'n3'
     GROUP BY l.pk_left, r.pk_right $$);
UPDATE tb_right SET note = 'n3' WHERE pk_right = 4;
UPDATE tb_right SET note = 'x' WHERE pk_right = 3;
SELECT * FROM pg_tviews_check('pair_counts');

-- A table read beside the join: its changes recompute every row (with a WARNING).
CREATE TABLE tb_tag (pk_tag int PRIMARY KEY, fk_right int, tag text);
INSERT INTO tb_tag VALUES (1, 1, 'a'), (2, 4, 'b');
SELECT pg_tviews_create('pairs_tagged', $$
    SELECT l.pk_left, r.pk_right,
           (SELECT jsonb_agg(t.tag ORDER BY t.pk_tag) FROM tb_tag t WHERE t.fk_right = r.pk_right) AS tags
      FROM tb_left l FULL JOIN tb_right r ON r.y = l.x $$);
SELECT source, reaches FROM pg_tviews_explain('pairs_tagged') ORDER BY source;
INSERT INTO tb_tag VALUES (3, 4, 'c');
UPDATE tb_right SET y = 99 WHERE pk_right = 4;
SELECT * FROM pg_tviews_check('pairs_tagged');

-- A self FULL JOIN: a person and whoever took their desk.
CREATE TABLE tb_person (pk_person int PRIMARY KEY, desk int, prev_desk int);
INSERT INTO tb_person VALUES (1, 10, NULL), (2, 11, 10), (3, 12, 11), (4, 13, 99);
SELECT pg_tviews_create('desk_handover', $$
    SELECT o.pk_person AS pk_before, n.pk_person AS pk_after
      FROM tb_person o FULL JOIN tb_person n ON n.prev_desk = o.desk $$);
UPDATE tb_person SET prev_desk = 12 WHERE pk_person = 4;
UPDATE tb_person SET desk = 20, prev_desk = 13 WHERE pk_person = 1;
DELETE FROM tb_person WHERE pk_person = 3;
SELECT * FROM tv_desk_handover ORDER BY 1 NULLS FIRST, 2 NULLS FIRST;
SELECT * FROM pg_tviews_check('desk_handover');

-- Several conditions between the two sides: a key query joins on all of them (joining on
-- the first alone reached every row sharing its value: every row of a tenant).
CREATE TABLE tb_ta (pk_ta int PRIMARY KEY, tenant int NOT NULL, ref int, v text);
CREATE TABLE tb_tb (pk_tb int PRIMARY KEY, tenant int NOT NULL, ref int, w text);
INSERT INTO tb_ta SELECT g, g % 2, g, 'a' || g FROM generate_series(1, 400) g;
INSERT INTO tb_tb SELECT g, g % 2, g + 4, 'b' || g FROM generate_series(1, 400) g;
SELECT pg_tviews_create('tenant_pairs', $$
    SELECT a.pk_ta, b.pk_tb, a.v, b.w
      FROM tb_ta a FULL JOIN tb_tb b ON a.tenant = b.tenant AND a.ref = b.ref $$);
SELECT source, reaches FROM pg_tviews_explain('tenant_pairs') WHERE source LIKE 'fj.%' ORDER BY 1;
SELECT pg_tviews_stats_reset();
UPDATE tb_ta SET v = 'z' WHERE pk_ta = 8;
UPDATE tb_tb SET w = 'z' WHERE pk_tb = 4;
SELECT runs, keys_recomputed FROM pg_tviews_stats WHERE tview = 'fj.tv_tenant_pairs'::regclass;
SELECT * FROM pg_tviews_check('tenant_pairs');

-- Only the ON decides whether a row is unmatched: a WHERE condition comparing the two
-- sides is not a way from one to the other. Without a column comparison in the ON, the
-- key cannot be traced (refused, saying so).
CREATE FUNCTION same_or_unknown(int, int) RETURNS bool LANGUAGE sql IMMUTABLE
    AS 'SELECT $1 IS NULL OR $2 IS NULL OR $1 = $2';
CREATE OPERATOR === (leftarg = int, rightarg = int, function = same_or_unknown);
SELECT pg_tviews_create('where_only', $$
    SELECT a.pk_ta, b.pk_tb FROM tb_ta a FULL JOIN tb_tb b ON a.ref + 0 = b.ref
     WHERE a.tenant === b.tenant $$);
-- With one, a WHERE comparing the sides filters rows and is ignored by the key queries.
SELECT pg_tviews_create('where_too', $$
    SELECT a.pk_ta, b.pk_tb FROM tb_ta a FULL JOIN tb_tb b ON a.ref = b.ref
     WHERE a.tenant === b.tenant $$);
UPDATE tb_ta SET tenant = 1 - tenant WHERE pk_ta IN (10, 11, 12);
UPDATE tb_tb SET ref = ref + 1 WHERE pk_tb IN (3, 9);
SELECT * FROM pg_tviews_check('where_too');

-- GROUPING SETS, ROLLUP and CUBE at the top level are refused (their subtotal rows, NULL
-- in the columns rolled up, sum many groups that no change's keys name), over a FULL JOIN
-- or anything else.
SELECT pg_tviews_create('rolled_up', $$
    SELECT a.tenant AS ta, b.tenant AS tb, count(*) AS n
      FROM tb_ta a FULL JOIN tb_tb b ON a.ref = b.ref GROUP BY ROLLUP (a.tenant, b.tenant) $$,
    key => ARRAY['ta', 'tb']);
SELECT pg_tviews_create('cubed', $$
    SELECT a.tenant, a.ref, count(*) AS n FROM tb_ta a GROUP BY CUBE (a.tenant, a.ref) $$,
    key => ARRAY['tenant', 'ref']);

-- Refused: a key of one side only, a key column that may be NULL.
SELECT pg_tviews_create('one_side', $$
    SELECT l.pk_left, r.note FROM tb_left l FULL JOIN tb_right r ON r.y = l.x $$,
    key => 'pk_left');
SELECT pg_tviews_create('nullable_side', $$
    SELECT l.pk_left, r.y, r.note FROM tb_left l FULL JOIN tb_right r ON r.y = l.x $$,
    key => ARRAY['pk_left', 'y']);
-- A third table: an inner join on the right side's key makes the FULL JOIN a RIGHT JOIN
-- (a row without a right side never meets a tag); beside a second FULL JOIN, no table is
-- in every row and every table's key keys the rows (see tview_26).
SELECT pg_tviews_create('three', $$
    SELECT l.pk_left, r.pk_right, t.pk_tag
      FROM tb_left l FULL JOIN tb_right r ON r.y = l.x JOIN tb_tag t ON t.fk_right = r.pk_right $$);
SELECT pg_tviews_create('three_full', $$
    SELECT l.pk_left, r.pk_right, t.pk_tag
      FROM tb_left l FULL JOIN tb_right r ON r.y = l.x FULL JOIN tb_tag t ON t.fk_right = r.pk_right $$);
UPDATE tb_tag SET fk_right = 2 WHERE pk_tag = 3;
INSERT INTO tb_tag VALUES (4, NULL, 'd');
DELETE FROM tb_right WHERE pk_right = 4;
SELECT * FROM pg_tviews_check('three');
SELECT * FROM pg_tviews_check('three_full');
-- Showing no key: both primary keys added as hidden columns.
SELECT pg_tviews_create('values_only', $$
    SELECT l.x, r.note FROM tb_left l FULL JOIN tb_right r ON r.y = l.x $$);

RESET search_path;
DROP SCHEMA fj CASCADE;
