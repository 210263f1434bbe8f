-- Every place a definition can read a table is followed: its changes reach the rows they
-- change, its row security and privileges are checked as for any source. WITH queries are
-- read where they are written, not where they are read from (a subquery may define a WITH
-- query of the same name, or read an outer column another way).
\set VERBOSITY terse
CREATE SCHEMA wr;
SET search_path = wr, public;
CREATE TABLE tb_a (id int PRIMARY KEY, nxt int, name text);
CREATE TABLE tb_b (id int PRIMARY KEY, fk int, v int);
CREATE TABLE tb_x (id int PRIMARY KEY, label text);
CREATE TABLE tb_cfg (id int PRIMARY KEY, n int);
INSERT INTO tb_a SELECT g, g % 5 + 1, 'a' || g FROM generate_series(1, 5) g;
INSERT INTO tb_b SELECT g, g % 5 + 1, g * 10 FROM generate_series(1, 12) g;
INSERT INTO tb_x SELECT g, 'x' || g FROM generate_series(1, 5) g;
INSERT INTO tb_cfg VALUES (1, 2);

-- 1. WITH queries reading WITH queries, read from subqueries and sublinks below.
SELECT pg_tviews_create('chain3', $$
  WITH b AS (SELECT * FROM tb_b),
       c AS (SELECT b.id, x.label FROM b JOIN tb_x x ON x.id = b.fk),
       d AS (SELECT c.id, c.label FROM c)
  SELECT d.id, d.label FROM d$$);
SELECT pg_tviews_create('below', $$
  WITH b AS (SELECT * FROM tb_b),
       c AS (SELECT b.id, b.v FROM b)
  SELECT s.id, s.v FROM (SELECT c.id, c.v FROM c) s$$);
SELECT pg_tviews_create('counted', $$
  WITH x AS (SELECT * FROM tb_x),
       c AS (SELECT b.id, x.label FROM tb_b b JOIN x ON x.id = b.fk)
  SELECT x.id, x.label, (SELECT count(*) FROM c WHERE c.label = x.label) AS n FROM x$$);
-- c reads the outer b (tb_b) although the subquery reading c defines a b of its own (tb_x).
SELECT pg_tviews_create('shadowed', $$
  WITH b AS (SELECT * FROM tb_b), c AS (SELECT b.id, b.v FROM b)
  SELECT s.id, s.v, s.n FROM (WITH b AS (SELECT * FROM tb_x)
                              SELECT c.id, c.v, (SELECT count(*) FROM b WHERE b.id = c.id) AS n FROM c) s$$);
-- A WITH query correlated with an outer row, read one level below where it is written.
SELECT pg_tviews_create('correlated', $$
  SELECT a.id, a.name,
         (WITH c AS (SELECT b.v FROM tb_b b WHERE b.fk = a.id)
          SELECT sum(s.v) FROM tb_a a2 JOIN (SELECT * FROM c) s ON true WHERE a2.id = a.nxt) AS total
    FROM tb_a a$$);
SELECT pg_tviews_create('correlated_deferred', $$
  SELECT a.id, a.name,
         (WITH c AS (SELECT b.v FROM tb_b b WHERE b.fk = a.id)
          SELECT sum(s.v) FROM tb_a a2 JOIN (SELECT * FROM c) s ON true WHERE a2.id = a.nxt) AS total
    FROM tb_a a$$, mode => 'deferred');
-- A table only an unreferenced WITH query reads: refused (nothing would follow it).
SELECT pg_tviews_create('unread', $$
  WITH o AS (SELECT * FROM tb_x) SELECT b.id, b.v FROM tb_b b$$);

-- 2. Subqueries in VALUES lists, function calls in FROM, LIMIT, OFFSET and window frames.
SELECT pg_tviews_create('vals', $$
  SELECT a.id, (SELECT v.x FROM (VALUES ((SELECT sum(b.v) FROM tb_b b WHERE b.fk = a.id))) v(x)) AS s
    FROM tb_a a$$);
SELECT pg_tviews_create('func', $$
  SELECT a.id, (SELECT max(f.n) FROM generate_series(1, (SELECT count(*) FROM tb_b b WHERE b.fk = a.id)::int) f(n)) AS m
    FROM tb_a a$$);
SELECT pg_tviews_create('top_n', $$
  SELECT a.id, ARRAY(SELECT b.v FROM tb_b b WHERE b.fk = a.id ORDER BY b.id
                     LIMIT (SELECT c.n FROM tb_cfg c WHERE c.id = 1)) AS top_v
    FROM tb_a a$$);
SELECT pg_tviews_create('skip_n', $$
  SELECT a.id, (SELECT sum(s.v) FROM (SELECT b.v FROM tb_b b WHERE b.fk = a.id ORDER BY b.id
                                      OFFSET (SELECT c.n FROM tb_cfg c WHERE c.id = 1)) s) AS rest
    FROM tb_a a$$, mode => 'deferred');
SELECT pg_tviews_create('frame', $$
  SELECT a.id, (SELECT max(w.s) FROM (SELECT sum(b.v) OVER (ORDER BY b.id ROWS BETWEEN
                                        (SELECT c.n FROM tb_cfg c WHERE c.id = 1) PRECEDING AND CURRENT ROW) AS s
                                        FROM tb_b b WHERE b.fk = a.id) w) AS best
    FROM tb_a a$$);
SELECT tview_name, sources FROM pg_tview_meta m
 WHERE (SELECT c.relnamespace FROM pg_class c WHERE c.oid = m.table_name) = 'wr'::regnamespace ORDER BY 1;

-- 3. Writes of every source: each TVIEW equals its definition.
UPDATE tb_b SET v = 1000 WHERE id = 1;
UPDATE tb_b SET fk = 1 WHERE id = 2;
INSERT INTO tb_b VALUES (40, 4, 99), (41, 2, 7);
DELETE FROM tb_b WHERE id = 5;
UPDATE tb_x SET label = 'zz' WHERE id = 3;
DELETE FROM tb_x WHERE id = 5;
INSERT INTO tb_x VALUES (50, 'q');
UPDATE tb_a SET nxt = 2 WHERE id = 4;
UPDATE tb_cfg SET n = 1;
SELECT m.tview_name, c FROM pg_tview_meta m CROSS JOIN LATERAL pg_tviews_check('wr.' || m.tview_name) c
 WHERE (SELECT c.relnamespace FROM pg_class c WHERE c.oid = m.table_name) = 'wr'::regnamespace;
SELECT count(*) AS checked FROM pg_tview_meta m
 WHERE (SELECT c.relnamespace FROM pg_class c WHERE c.oid = m.table_name) = 'wr'::regnamespace;
SELECT id, top_v FROM tv_top_n ORDER BY id;

-- 4. A helper view replaced to read another table through a WITH query that a subquery
-- shadows: refused like one that reads it plainly.
CREATE TABLE tb_o (id int PRIMARY KEY, fk int, v int);
CREATE VIEW v_sums AS WITH g AS (SELECT fk, sum(v) AS s FROM tb_b GROUP BY fk) SELECT g.fk, g.s FROM g;
SELECT pg_tviews_create('sums', 'SELECT a.id, a.name, v.s FROM tb_a a LEFT JOIN v_sums v ON v.fk = a.id');
CREATE OR REPLACE VIEW v_sums AS
  WITH b AS (SELECT * FROM tb_o),
       g AS (SELECT fk, sum(v) AS s FROM b GROUP BY fk)
  SELECT s.fk, s.s FROM (WITH b AS (SELECT * FROM tb_b) SELECT * FROM g WHERE EXISTS (SELECT FROM b)) s;
SELECT sources FROM pg_tview_meta WHERE tview_name = 'sums';

-- 5. Row security on a table read inside VALUES applies to the TVIEW's owner: refused, as
-- it is when the table is read plainly.
CREATE ROLE wr_owner;
CREATE ROLE wr_other;
GRANT USAGE, CREATE ON SCHEMA wr TO wr_owner, wr_other;
SET ROLE wr_other;
CREATE TABLE wr.tb_guarded (id int PRIMARY KEY, fk int, v int);
ALTER TABLE wr.tb_guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON wr.tb_guarded USING (v > 0);
GRANT SELECT, TRIGGER ON wr.tb_guarded TO wr_owner;
RESET ROLE;
GRANT SELECT, TRIGGER ON wr.tb_a TO wr_owner;
SET ROLE wr_owner;
SELECT pg_tviews_create('wr.guarded_vals', $$
  SELECT a.id, (SELECT v.x FROM (VALUES ((SELECT sum(g.v) FROM wr.tb_guarded g WHERE g.fk = a.id))) v(x)) AS s
    FROM wr.tb_a a$$);
RESET ROLE;

-- 6. A subquery that reads an outer column without a condition tying its rows to the outer
-- row (in its ORDER BY, its select list, a filter on the outer row alone) ranks every row
-- for every outer row: its LIMIT, OFFSET, window functions and DISTINCT ON are not local,
-- and its table's changes recompute every row (WARNING). Tied by a condition, they are.
CREATE TABLE tb_p1 (id int PRIMARY KEY, active bool, target int);
CREATE TABLE tb_c1 (id int PRIMARY KEY, pid int, v int);
INSERT INTO tb_p1 VALUES (1, true, 100), (2, true, 200), (3, true, 300);
INSERT INTO tb_c1 VALUES (10, 1, 100), (20, 2, 200), (30, 3, 300);
SELECT pg_tviews_create('nearest', $$
  SELECT p.id, s.v AS nearest_v
    FROM tb_p1 p LEFT JOIN LATERAL (SELECT c.pid, c.v FROM tb_c1 c ORDER BY abs(c.v - p.target), c.id LIMIT 1) s
      ON s.pid = p.id$$);
SELECT pg_tviews_create('top2', $$
  SELECT p.id, (SELECT count(*) FROM (SELECT c.pid FROM tb_c1 c WHERE p.active ORDER BY c.v DESC, c.id LIMIT 2) s
                 WHERE s.pid = p.id) AS in_top2
    FROM tb_p1 p$$, mode => 'deferred');
SELECT pg_tviews_create('ranked', $$
  SELECT p.id, (SELECT s.rk FROM (SELECT c.pid, rank() OVER (ORDER BY c.v) + 0 * p.id AS rk FROM tb_c1 c) s
                 WHERE s.pid = p.id) AS rk
    FROM tb_p1 p$$);
SELECT pg_tviews_create('lowest', $$
  SELECT p.id, (SELECT s.v FROM (SELECT DISTINCT ON (p.active) c.pid, c.v FROM tb_c1 c ORDER BY p.active, c.v, c.id) s
                 WHERE s.pid = p.id) AS lowest_v
    FROM tb_p1 p$$);
SELECT pg_tviews_create('own_top', $$
  SELECT p.id, ARRAY(SELECT c.v FROM tb_c1 c WHERE c.pid = p.id ORDER BY c.v DESC, c.id LIMIT 2) AS top_v
    FROM tb_p1 p$$);
INSERT INTO tb_c1 VALUES (40, 9, 1000), (5, 9, 100);
UPDATE tb_c1 SET v = 150 WHERE id = 10;
SELECT m.tview_name, c FROM pg_tview_meta m CROSS JOIN LATERAL pg_tviews_check('wr.' || m.tview_name) c
 WHERE m.tview_name IN ('nearest', 'top2', 'ranked', 'lowest', 'own_top');
SELECT id, rk FROM tv_ranked ORDER BY id;

-- 7. A FROM item of one row (a VALUES list of one row, a SELECT without FROM) adds no row:
-- the key is proven beside it.
SELECT pg_tviews_create('one_row_items', $$
  SELECT p.id, v.n, w.m, x.k
    FROM tb_p1 p CROSS JOIN LATERAL (VALUES ((SELECT count(*) FROM tb_c1 c WHERE c.pid = p.id))) v(n)
         CROSS JOIN LATERAL (SELECT (SELECT max(c.v) FROM tb_c1 c WHERE c.pid = p.id) AS m) w
         CROSS JOIN (VALUES ('only')) x(k)$$);
DELETE FROM tb_c1 WHERE id = 10;
SELECT * FROM pg_tviews_check('wr.one_row_items');

-- 8. A set operation's column comes from every branch, and ROLLUP shows a grouped column
-- NULL in its total row: neither links a table to the key (its changes recompute every row).
-- A WITH query inside a sublink, tied to the outer row, stays incremental.
DROP TABLE tv_ranked;
CREATE TABLE tb_l (id int PRIMARY KEY, pid int, k int);
CREATE TABLE tb_d (id int PRIMARY KEY, cid int, v int);
CREATE TABLE tb_k (id int PRIMARY KEY, k int, v int);
INSERT INTO tb_l VALUES (1, 2, 7), (2, 1, 5);
INSERT INTO tb_d VALUES (1, 1, 100);
INSERT INTO tb_k VALUES (1, 100, 55), (2, 5, 10);
SELECT pg_tviews_create('union_col', $$
  SELECT p.id, (SELECT max(c.v) FROM (SELECT l.k AS x FROM tb_l l WHERE l.pid = p.id
                                      UNION ALL SELECT d.v FROM tb_d d WHERE d.cid = p.id) u
                  JOIN tb_k c ON c.k = u.x) AS v
    FROM tb_p1 p$$);
SELECT pg_tviews_create('rollup_col', $$
  SELECT p.id, (SELECT max(c.v) FROM (SELECT l.k FROM tb_l l WHERE l.pid = p.id GROUP BY ROLLUP (l.k)) g
                  JOIN tb_k c ON c.k IS NOT DISTINCT FROM g.k) AS v
    FROM tb_p1 p$$, mode => 'deferred');
SELECT pg_tviews_create('with_in_sublink', $$
  SELECT p.id, (WITH x AS (SELECT c.v FROM tb_c1 c WHERE c.pid = p.id ORDER BY c.v LIMIT 2)
                SELECT jsonb_agg(x.v ORDER BY x.v) FROM x) AS kids
    FROM tb_p1 p$$);
UPDATE tb_k SET v = 56 WHERE id = 1;
INSERT INTO tb_k VALUES (3, NULL, 99);
INSERT INTO tb_c1 VALUES (7, 2, 1);
SELECT m.tview_name, c FROM pg_tview_meta m CROSS JOIN LATERAL pg_tviews_check('wr.' || m.tview_name) c
 WHERE m.tview_name IN ('union_col', 'rollup_col', 'with_in_sublink');
SELECT id, v FROM tv_union_col ORDER BY id;

DROP SCHEMA wr CASCADE;
DROP ROLE wr_owner;
DROP ROLE wr_other;
