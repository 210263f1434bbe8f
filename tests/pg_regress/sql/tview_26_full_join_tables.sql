-- FULL JOINs with further tables: joins that leave no table in every row, keyed by the keys
-- of every table joined, NULL where a row has no row of that table. A change joins its rows
-- outward to the other tables, tries every combination of the outer joins' columns NULL,
-- and reads the stored rows holding its old rows' keys. Every TVIEW exists in both modes;
-- every step ends with the oracle over all of them (no rows: all exact).
CREATE SCHEMA fj3;
SET search_path = fj3, public;
CREATE TABLE tb_a (id int PRIMARY KEY, k int, v text);
CREATE TABLE tb_b (id int PRIMARY KEY, k int, v text);
CREATE TABLE tb_c (id int PRIMARY KEY, bid int, aid int, v text);
CREATE INDEX ON tb_a (k);
CREATE INDEX ON tb_b (k);
CREATE INDEX ON tb_c (bid);
CREATE INDEX ON tb_c (aid);
INSERT INTO tb_a SELECT g, CASE WHEN g = 5 THEN NULL ELSE g % 3 END, 'a' || g
  FROM generate_series(1, 6) g;
INSERT INTO tb_b SELECT 10 + g, CASE WHEN g = 4 THEN NULL ELSE g % 4 END, 'b' || g
  FROM generate_series(1, 6) g;
INSERT INTO tb_c SELECT 100 + g, CASE WHEN g = 3 THEN NULL ELSE 10 + g % 7 END, g % 5, 'c' || g
  FROM generate_series(1, 8) g;

\i tests/pg_regress/include/both_modes.sql

-- A LEFT JOIN beside a FULL JOIN; a third table inside one side; two FULL JOINs; a FULL
-- JOIN's ON comparing the third table with both sides; a LEFT JOIN inside a side; RIGHT
-- JOIN around a FULL JOIN. Keys chosen automatically: every table's primary key.
SELECT make_both('left_c', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid, a.v AS av, b.v AS bv, c.v AS cv
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k LEFT JOIN tb_c c ON c.bid = b.id $$);
SELECT make_both('inner_side', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid, b.v
      FROM tb_a a FULL JOIN (tb_b b JOIN tb_c c ON c.bid = b.id) ON b.k = a.k $$);
SELECT make_both('full3', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid, c.v
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k FULL JOIN tb_c c ON c.bid = b.id $$);
SELECT make_both('both_sides', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k FULL JOIN tb_c c ON c.aid = a.id AND c.bid = b.id $$);
SELECT make_both('left_inside', $$
    SELECT a.id AS aid, c.id AS cid, b.id AS bid
      FROM (tb_a a LEFT JOIN tb_c c ON c.aid = a.id) FULL JOIN tb_b b ON b.k = a.k AND b.id = c.bid $$);
SELECT make_both('right_around', $$
    SELECT b.id AS bid, c.id AS cid, a.id AS aid
      FROM tb_b b RIGHT JOIN (tb_c c FULL JOIN tb_a a ON a.id = c.aid) ON b.id = c.bid $$);
-- Rows that show no key: the three primary keys added as hidden columns.
SELECT make_both('bag', $$
    SELECT a.v AS av, c.v AS cv
      FROM tb_c c FULL JOIN tb_a a ON c.aid = a.id FULL JOIN tb_b b ON b.id = c.bid
     WHERE coalesce(b.k, 0) < 3 $$);
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'bag';
SELECT source, reaches FROM pg_tviews_explain('full3') ORDER BY source;
-- GROUP BY the two sides' keys: the table aggregated beside them has no key column; its
-- changes find their groups through its joins (a key of groups, see tview_27).
SELECT make_both('grouped', $$
    SELECT a.id AS aid, b.id AS bid, count(c.id) AS n, sum(c.aid) AS s
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k LEFT JOIN tb_c c ON c.bid = b.id
     GROUP BY a.id, b.id $$);
SELECT count(*) AS rows, count(*) FILTER (WHERE aid IS NULL) AS without_a,
       count(*) FILTER (WHERE bid IS NULL) AS without_b,
       count(*) FILTER (WHERE cid IS NULL) AS without_c FROM tv_full3;
SELECT * FROM differing();

-- Rows arriving match rows left unmatched (on every side), leaving they unmatch them again.
INSERT INTO tb_b VALUES (20, 5, 'b20'), (21, 0, 'b21');
INSERT INTO tb_a VALUES (7, 5, 'a7');
INSERT INTO tb_c VALUES (110, 20, 7, 'c110'), (111, 21, 7, 'c111');
SELECT aid, bid, cid FROM tv_full3 WHERE aid = 7 OR bid IN (20, 21) OR cid IN (110, 111)
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST;
DELETE FROM tb_b WHERE id = 20;
SELECT aid, bid, cid FROM tv_full3 WHERE aid = 7 OR bid IN (20, 21) OR cid IN (110, 111)
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST;
SELECT * FROM differing();
-- Moves, NULL join values, keys changed, on every table.
UPDATE tb_a SET k = NULL WHERE id = 1;
UPDATE tb_b SET k = 2 WHERE k IS NULL;
UPDATE tb_c SET bid = NULL WHERE id = 101;
UPDATE tb_c SET bid = 12 WHERE bid IS NULL AND id <> 101;
UPDATE tb_a SET id = id + 100 WHERE id = 2;
UPDATE tb_b SET id = 30, k = 1 WHERE id = 11;
UPDATE tb_c SET aid = 102 WHERE aid = 2;
SELECT * FROM differing();
-- Several tables in one statement, one transaction, savepoints.
WITH gone AS (DELETE FROM tb_b WHERE k = 1 RETURNING id)
UPDATE tb_c SET bid = 13 WHERE bid IN (SELECT id FROM gone);
BEGIN;
INSERT INTO tb_a SELECT g, g % 4, 'n' || g FROM generate_series(40, 45) g;
SAVEPOINT s;
DELETE FROM tb_a;
ROLLBACK TO s;
UPDATE tb_b SET k = (coalesce(k, 0) + 1) % 4;
DELETE FROM tb_c WHERE id % 3 = 0;
SELECT pg_tviews_flush();
INSERT INTO tb_c SELECT 200 + g, 12 + g % 3, 40 + g % 6, 'm' || g FROM generate_series(1, 9) g;
COMMIT;
SELECT * FROM differing();
MERGE INTO tb_a t USING (SELECT g FROM generate_series(1, 8) g) s ON t.id = s.g
  WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.g, s.g % 3, 'm' || s.g);
TRUNCATE tb_c;
SELECT * FROM differing();

-- Refused: a key leaving out a table whose rows can stand alone (a row of it unmatched would
-- have a key of NULLs); a third table no condition in an ON links; a key column that may be
-- NULL in its table.
SELECT pg_tviews_create('no_c', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k FULL JOIN tb_c c ON c.bid = b.id $$,
    key => ARRAY['aid', 'bid']);
SELECT pg_tviews_create('or_linked', $$
    SELECT a.id AS aid, b.id AS bid, c.id AS cid
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k FULL JOIN tb_c c ON c.bid = b.id OR c.aid = a.id $$);
SELECT pg_tviews_create('values_side', $$
    SELECT a.id AS aid, v.n FROM tb_a a FULL JOIN (VALUES (1), (7), (8)) AS v(n) ON v.n = a.id $$,
    key => ARRAY['aid']);
SELECT pg_tviews_create('nullable_key', $$
    SELECT a.id AS aid, b.id AS bid, c.bid AS cbid
      FROM tb_a a FULL JOIN tb_b b ON b.k = a.k LEFT JOIN tb_c c ON c.bid = b.id $$,
    key => ARRAY['aid', 'bid', 'cbid']);
-- A condition of a FULL JOIN's ON comparing two tables of one side only decides which
-- rows match: it links nothing (here a is reached from b through c's condition instead).
SELECT make_both('same_side', $$
    SELECT a.id AS aid, c.id AS cid, b.id AS bid
      FROM (tb_a a JOIN tb_c c ON c.aid = a.id) FULL JOIN tb_b b ON b.id = c.bid AND a.k = c.id % 3 $$);
INSERT INTO tb_c VALUES (300, 12, 1, 'x'), (301, 13, 3, 'y');
UPDATE tb_a SET k = (coalesce(k, 0) + 1) % 3;
UPDATE tb_c SET id = id + 10 WHERE id = 300;
SELECT * FROM differing();

-- A FULL JOIN whose unmatched rows of one side a strict condition rejects is a RIGHT JOIN
-- (PostgreSQL's own reduction): keyed by the side it keeps. The function made non-strict
-- later changes what the definition means: the command is refused, naming the TVIEW.
CREATE FUNCTION positive(int) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS 'SELECT $1 > 0';
SELECT pg_tviews_create('reduced', $$
    SELECT b.id AS bid, a.v FROM tb_a a FULL JOIN tb_b b ON a.id = b.k WHERE positive(b.k) $$);
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'reduced';
UPDATE tb_b SET k = 2 WHERE k = 3;
INSERT INTO tb_a VALUES (60, 0, 'sixty');
SELECT * FROM differing();
ALTER FUNCTION positive(int) CALLED ON NULL INPUT;
CREATE OR REPLACE FUNCTION positive(int) RETURNS bool LANGUAGE sql IMMUTABLE
    AS 'SELECT coalesce($1 > 0, true)';

RESET search_path;
DROP SCHEMA fj3 CASCADE;
