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

-- 5. Columns that identify the rows only together are the key together (tview_16 has more).
SELECT pg_tviews_create('by_kind_zone', $$
    SELECT s.kind, s.fk_region, count(*) AS shops FROM tb_shop s GROUP BY s.kind, s.fk_region $$);
SELECT key_column, key_columns FROM pg_tview_meta WHERE tview_name = 'by_kind_zone';
UPDATE tb_shop SET fk_region = NULL WHERE pk_shop = 1;
SELECT * FROM pg_tviews_check('by_kind_zone');

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

-- 7. Found by an outside attack, each once a wrong table or a failed write.
-- 7a. A plain UNIQUE on a nullable column holds NULL any number of times: it proves no key
-- (the table's primary key is added as a hidden key column instead).
CREATE TABLE tb_acct (id int PRIMARY KEY, email text UNIQUE, name text);
INSERT INTO tb_acct VALUES (1, 'a@x', 'A'), (2, NULL, 'B');
SELECT pg_tviews_create('acct', $$SELECT a.email, a.name FROM tb_acct a$$);
SELECT key_column FROM pg_tview_meta WHERE tview_name = 'acct';
-- 7b. The fast path finds a document by its key: only when no other row of the key's table
-- (filtered out, another tenant's) has the same key, NULL included.
CREATE TABLE tb_team (id int PRIMARY KEY, name text);
CREATE TABLE tb_usr (id int PRIMARY KEY, email text, active bool NOT NULL, name text, fk_team int REFERENCES tb_team);
INSERT INTO tb_team VALUES (1, 'T1'), (2, 'T2');
INSERT INTO tb_usr VALUES (1, NULL, true, 'alice', 1), (2, NULL, false, 'bob', 2);
SELECT pg_tviews_create('member', $$SELECT u.email, jsonb_build_object('name', u.name, 'team', t.name) AS data
   FROM tb_usr u JOIN tb_team t ON t.id = u.fk_team WHERE u.active$$, key => 'email');
UPDATE tb_usr SET name = 'bob2' WHERE id = 2;
UPDATE tb_team SET name = 'T2-renamed' WHERE id = 2;
SELECT * FROM tv_member;
SELECT pg_tviews_check('member');
CREATE TABLE tb_sku (id int PRIMARY KEY, tenant int NOT NULL, sku text NOT NULL, price numeric,
                     UNIQUE (tenant, sku));
INSERT INTO tb_sku VALUES (1, 1, 'A-1', 10), (2, 2, 'A-1', 99);
SELECT pg_tviews_create('tenant_one', $$SELECT s.sku, jsonb_build_object('price', s.price) AS data
   FROM tb_sku s WHERE s.tenant = 1$$);
SELECT key_column FROM pg_tview_meta WHERE tview_name = 'tenant_one';
UPDATE tb_sku SET price = 12345 WHERE id = 2;
SELECT * FROM tv_tenant_one;
SELECT pg_tviews_check('tenant_one');
-- 7c. A one-row TVIEW is keyed by a fixed-length column rather than by a document (whose
-- index entry would outgrow a page), and may be keyed by a column named as its key.
CREATE TABLE tb_note (id int PRIMARY KEY, body text);
INSERT INTO tb_note VALUES (1, 'hello');
SELECT pg_tviews_create('all_notes', $$
    SELECT jsonb_agg(jsonb_build_object('id', n.id, 'body', n.body) ORDER BY n.id) AS doc, count(*) AS n FROM tb_note n $$);
SELECT pg_tviews_create('all_notes_named', $$
    SELECT jsonb_agg(n.body ORDER BY n.id) AS doc, count(*) AS n FROM tb_note n $$, key => 'n');
SELECT tview_name, key_column FROM pg_tview_meta WHERE tview_name LIKE 'all_notes%' ORDER BY 1;
INSERT INTO tb_note SELECT g, repeat(md5(g::text), 4) FROM generate_series(2, 200) g;
SELECT n, pg_column_size(doc) > 8192 AS big FROM tv_all_notes;
SELECT pg_tviews_check('all_notes') AS chosen, pg_tviews_check('all_notes_named') AS named;
-- 7d. Grouping by values that are equal but spelled differently: the group would show the
-- spelling of whichever row comes first.
CREATE COLLATION keys.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE tb_tagged (id int PRIMARY KEY, tag text COLLATE keys.ci, amount numeric, price numeric(8, 2), f float8);
SELECT pg_tviews_create('by_tag', $$SELECT t.tag, count(*) AS n FROM tb_tagged t GROUP BY t.tag$$);
SELECT pg_tviews_create('by_amount', $$SELECT DISTINCT t.amount FROM tb_tagged t$$);
SELECT pg_tviews_create('by_f', $$SELECT t.f, count(*) AS n FROM tb_tagged t GROUP BY t.f$$);
-- A numeric with a scale has one spelling per value; a group not shown is no question.
SELECT pg_tviews_create('by_price', $$SELECT t.price, count(*) AS n FROM tb_tagged t GROUP BY t.price$$);
SELECT pg_tviews_create('tags_counted', $$SELECT count(DISTINCT t.tag) AS tags FROM tb_tagged t$$);
-- Shown through an expression, or kept by DISTINCT or min/max inside an aggregate: the same.
SELECT pg_tviews_create('amount_docs', $$SELECT s.v FROM (SELECT to_jsonb(t.amount) AS v FROM tb_tagged t GROUP BY t.amount) s$$, key => 'v');
SELECT pg_tviews_create('amounts', $$SELECT count(*) AS n, jsonb_agg(DISTINCT t.amount) AS amounts FROM tb_tagged t$$);
SELECT pg_tviews_create('first_tag', $$SELECT count(*) AS n, min(t.tag) AS first FROM tb_tagged t$$);
-- Grouped with the table's primary key, a column comes from one row: accepted. So is a
-- domain over numeric(p, s).
CREATE DOMAIN keys.money2 AS numeric(10, 2);
ALTER TABLE tb_tagged ADD COLUMN m keys.money2;
SELECT pg_tviews_create('tagged_rows', $$SELECT t.id, t.tag, t.f, count(*) AS n FROM tb_tagged t GROUP BY t.id, t.tag, t.f$$);
SELECT pg_tviews_create('by_money', $$SELECT t.m, count(*) AS n FROM tb_tagged t GROUP BY t.m$$);
INSERT INTO tb_tagged VALUES (1, 'a', 1.0, 1.5, 0), (2, 'A', 1.00, 1.50, -0);
SELECT * FROM tv_by_price;
SELECT * FROM tv_tags_counted;
SELECT * FROM tv_tagged_rows ORDER BY id;
SELECT pg_tviews_check('tagged_rows') AS tagged_rows, pg_tviews_check('by_money') AS by_money;
CREATE TABLE tb_num (k numeric PRIMARY KEY, label text);
CREATE TABLE tb_num_part (id int PRIMARY KEY, k numeric, qty int);
INSERT INTO tb_num VALUES (1.0, 'one');
INSERT INTO tb_num_part VALUES (1, 1.00, 2), (2, 1, 3);
SELECT pg_tviews_create('num_parts', $$SELECT n.k, n.label, sum(p.qty) AS qty FROM tb_num n LEFT JOIN tb_num_part p ON p.k = n.k GROUP BY n.k$$);
UPDATE tb_num SET k = 1.000 WHERE k = 1;
INSERT INTO tb_num_part VALUES (3, 1.0000, 4);
SELECT k, label, qty FROM tv_num_parts;
SELECT pg_tviews_check('num_parts') AS num_parts;
-- Not with GROUPING SETS: the group of (amount) holds several rows of the table.
CREATE TABLE tb_gs (id int PRIMARY KEY, amount numeric NOT NULL);
INSERT INTO tb_gs VALUES (1, 1.0), (2, 1.00);
SELECT pg_tviews_create('gs', $$SELECT p.k, (SELECT jsonb_agg(s.amount ORDER BY s.id) FROM (SELECT g.id, g.amount FROM tb_gs g GROUP BY GROUPING SETS ((g.id, g.amount), (g.amount))) s) AS amounts FROM tb_num p$$);
-- A unique index counts only with the default operator class of its column's type:
-- text_ops on a citext column tells 'a' from 'A' (two rows of the table, one group; a
-- join on it can add two rows).
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE tb_cs (code citext NOT NULL, v int);
CREATE UNIQUE INDEX tb_cs_code_text ON tb_cs (code text_ops);
INSERT INTO tb_cs VALUES ('a', 1), ('A', 2);
CREATE TABLE tb_cs_note (id int PRIMARY KEY, code citext);
INSERT INTO tb_cs_note VALUES (1, 'a');
SELECT pg_tviews_create('cs_codes', $$SELECT c.code, count(n.id) AS n FROM tb_cs c LEFT JOIN tb_cs_note n ON n.code = c.code GROUP BY c.code$$);
SELECT pg_tviews_create('cs_notes', $$SELECT n.id, c.v FROM tb_cs_note n JOIN tb_cs c ON c.code = n.code$$);
DELETE FROM tb_cs WHERE v = 2;
CREATE UNIQUE INDEX tb_cs_code ON tb_cs (code);
SELECT pg_tviews_create('cs_codes', $$SELECT c.code, count(n.id) AS n FROM tb_cs c LEFT JOIN tb_cs_note n ON n.code = c.code GROUP BY c.code$$);
SELECT pg_tviews_create('cs_notes', $$SELECT n.id, c.v FROM tb_cs_note n JOIN tb_cs c ON c.code = n.code$$);
UPDATE tb_cs SET code = 'A';
SELECT code, n FROM tv_cs_codes;
SELECT pg_tviews_check('cs_codes') AS cs_codes, pg_tviews_check('cs_notes') AS cs_notes;
-- Without the index that makes each group one row, the definition is refused again: every
-- write fails until the index is back.
DROP INDEX tb_cs_code;
UPDATE tb_cs SET v = 3;
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'keys.tv_cs_codes' AND NOT ok;
CREATE UNIQUE INDEX tb_cs_code ON tb_cs (code);
UPDATE tb_cs SET v = 4;
SELECT code, n FROM tv_cs_codes;
DROP TABLE tv_cs_codes, tv_cs_notes, tb_cs, tb_cs_note;
DROP EXTENSION citext;
-- 7e. Key locks hash keys under the key column's collation: 'a' and 'A' are one key under
-- a case-insensitive one, and lock alike (a concurrent writer of the other spelling waits;
-- the isolation layer runs the two sessions).
CREATE TABLE tb_item_ci (id int PRIMARY KEY, code text COLLATE keys.ci UNIQUE NOT NULL, qty int);
INSERT INTO tb_item_ci VALUES (1, 'a', 1);
SELECT pg_tviews_create('item_ci', $$SELECT i.code, i.qty FROM tb_item_ci i$$, key => 'code');
UPDATE tb_item_ci SET qty = 2 WHERE code = 'A';
SELECT * FROM tv_item_ci;
-- Grouped by a table's own unique key, a group is one row of that table: the key shows the
-- row's own spelling, under a case-insensitive collation or in a numeric without a scale.
CREATE TABLE tb_item_ci_note (id int PRIMARY KEY, code text COLLATE keys.ci NOT NULL, note text);
INSERT INTO tb_item_ci_note VALUES (1, 'A', 'x'), (2, 'a', 'y');
SELECT pg_tviews_create('item_ci_notes', $$SELECT i.code, count(n.id) AS notes FROM tb_item_ci i LEFT JOIN tb_item_ci_note n ON n.code = i.code GROUP BY i.code$$);
UPDATE tb_item_ci SET code = 'A' WHERE id = 1;
INSERT INTO tb_item_ci_note VALUES (3, 'a', 'z');
SELECT code, notes FROM tv_item_ci_notes;
SELECT pg_tviews_check('item_ci_notes') AS item_ci_notes;

-- 7f. Deferred mode keeps a lookup's joined values as text until commit: printed exactly
-- even when the TVIEW pinned extra_float_digits = 0 (a float printed rounded matched no row).
SET extra_float_digits = 0;
CREATE TABLE tb_lk (id int PRIMARY KEY, f float8 UNIQUE, label text);
CREATE TABLE tb_it (id int PRIMARY KEY, f float8, q int);
INSERT INTO tb_lk VALUES (1, 0.1::float8 + 0.2::float8, 'x');
INSERT INTO tb_it VALUES (1, 0.1::float8 + 0.2::float8, 5);
SELECT pg_tviews_create('float_join', $$SELECT i.id, jsonb_build_object('q', i.q, 'label', l.label) AS d
                                        FROM tb_it i JOIN tb_lk l ON l.f = i.f$$, mode => 'deferred');
RESET extra_float_digits;
UPDATE tb_lk SET label = 'y' WHERE id = 1;
SELECT * FROM tv_float_join;
SELECT pg_tviews_check('float_join');

-- 7g. A key column of a domain whose own collation differs from the column's: the keys of
-- a refresh take the column's collation explicitly (every write failed with 42P22).
CREATE DOMAIN keys.dtc AS text COLLATE "C";
CREATE TABLE tb_dom (k keys.dtc COLLATE "POSIX" PRIMARY KEY, v int);
INSERT INTO tb_dom VALUES ('a', 1), ('b', 2);
SELECT pg_tviews_create('dom', 'SELECT d.k, d.v FROM tb_dom d');
CREATE DOMAIN keys.dci AS text COLLATE keys.ci;
CREATE TABLE tb_dom_g (id int PRIMARY KEY, k keys.dci COLLATE "C", v int);
INSERT INTO tb_dom_g VALUES (1, 'a', 1), (2, 'A', 2);
SELECT pg_tviews_create('dom_g', 'SELECT g.k, sum(g.v) AS s FROM tb_dom_g g GROUP BY g.k', mode => 'deferred');
UPDATE tb_dom SET v = v + 1 WHERE k = 'a';
UPDATE tb_dom SET v = v + 1;
INSERT INTO tb_dom VALUES ('c', 3);
UPDATE tb_dom_g SET v = v + 10 WHERE id = 1;
SELECT pg_tviews_check('dom') AS dom, pg_tviews_check('dom_g') AS dom_g;
-- 7h. Deferred keys and lookup values travel as text from the statement to the commit:
-- printed and read back exactly whatever the TVIEW pinned (a float range printed rounded,
-- a time zone abbreviation read back as another zone's refreshed the wrong key).
CREATE TYPE keys.f8range AS RANGE (subtype = float8, subtype_diff = float8mi);
SET extra_float_digits = 0;
CREATE TABLE tb_fr (k keys.f8range PRIMARY KEY, v int);
INSERT INTO tb_fr VALUES (keys.f8range(0.1::float8 + 0.2::float8, 1), 1), (keys.f8range(0.3, 1), 2);
SELECT pg_tviews_create('fr', 'SELECT f.k, f.v FROM tb_fr f', mode => 'deferred');
RESET extra_float_digits;
UPDATE tb_fr SET v = 10 WHERE k = keys.f8range(0.1::float8 + 0.2::float8, 1);
SET DateStyle = 'SQL, MDY';
SET TimeZone = 'Asia/Kolkata';
CREATE TABLE tb_tz (k tstzrange PRIMARY KEY, v int);
INSERT INTO tb_tz VALUES (tstzrange('2024-01-01 00:00+00', '2024-01-02 00:00+00'), 1);
SELECT pg_tviews_create('tz', 'SELECT z.k, z.v FROM tb_tz z', mode => 'deferred');
CREATE TABLE tb_shift (at timestamptz PRIMARY KEY, team text NOT NULL);
CREATE TABLE tb_ev (id int PRIMARY KEY, at timestamptz NOT NULL, n int);
INSERT INTO tb_shift VALUES ('2024-01-01 00:00+00', 'red'), ('2024-01-01 03:30+00', 'blue');
INSERT INTO tb_ev VALUES (1, '2024-01-01 00:00+00', 1), (2, '2024-01-01 03:30+00', 2);
SELECT pg_tviews_create('shifts', 'SELECT s.team, sum(e.n) AS n FROM tb_ev e JOIN tb_shift s ON s.at = e.at GROUP BY s.team',
                        mode => 'deferred');
RESET DateStyle;
RESET TimeZone;
UPDATE tb_tz SET v = 2;
UPDATE tb_ev SET n = n + 10 WHERE id = 1;
SELECT * FROM tv_shifts ORDER BY team;
SELECT pg_tviews_check('fr') AS fr, pg_tviews_check('tz') AS tz, pg_tviews_check('shifts') AS shifts;
-- 7i. A key or joined value of a domain is read back as its base type: a CHECK constraint
-- added NOT VALID since does not fail the commit of a write that the table accepts.
CREATE DOMAIN keys.code AS text;
CREATE TABLE tb_code_p (k keys.code PRIMARY KEY, v int);
INSERT INTO tb_code_p VALUES ('legacy', 1), ('ok', 2);
SELECT pg_tviews_create('code_p', 'SELECT c.k, c.v FROM tb_code_p c', mode => 'deferred');
CREATE TABLE tb_cust (id keys.code PRIMARY KEY, zone text NOT NULL);
CREATE TABLE tb_ord (id int PRIMARY KEY, cust keys.code NOT NULL REFERENCES tb_cust, amt int);
INSERT INTO tb_cust VALUES ('legacy', 'n'), ('ok', 's');
INSERT INTO tb_ord VALUES (1, 'legacy', 10), (2, 'ok', 20);
SELECT pg_tviews_create('zones', 'SELECT c.zone, sum(o.amt) AS s FROM tb_ord o JOIN tb_cust c ON c.id = o.cust GROUP BY c.zone',
                        mode => 'deferred');
ALTER DOMAIN keys.code ADD CONSTRAINT short CHECK (length(VALUE) <= 3) NOT VALID;
DELETE FROM tb_code_p WHERE k = 'legacy';
UPDATE tb_ord SET amt = amt + 1 WHERE id = 1;
SELECT pg_tviews_check('code_p') AS code_p, pg_tviews_check('zones') AS zones;

-- A WITH query read like a subquery in FROM proves a key the same way (it was refused: "rows
-- of b can repeat its values"), MATERIALIZED or not, a grouped one by its GROUP BY; so does a
-- WITH query reading another WITH query of the definition, and a subquery reading one (from
-- a level below the one that defines it).
CREATE TABLE tb_wa (id int PRIMARY KEY, i int, j int);
CREATE TABLE tb_wb (id int PRIMARY KEY, i int, k int);
INSERT INTO tb_wa SELECT g, g % 4, g FROM generate_series(1, 10) g;
INSERT INTO tb_wb SELECT g, g % 3, g * 2 FROM generate_series(1, 8) g;
SELECT pg_tviews_create('w_one', $$WITH b AS (SELECT * FROM tb_wb) SELECT b.id, b.k FROM b$$);
SELECT pg_tviews_create('w_pair', $$WITH b AS (SELECT * FROM tb_wb)
    SELECT a.id AS aid, b.id AS bid, a.j FROM tb_wa a, b WHERE a.i = b.i$$);
SELECT pg_tviews_create('w_mat', $$WITH b AS MATERIALIZED (SELECT * FROM tb_wb WHERE k > 2)
    SELECT b.id, b.k, (SELECT count(*) FROM b b2 WHERE b2.i = b.i) AS n FROM b$$, mode => 'deferred');
SELECT pg_tviews_create('w_grouped', $$WITH g AS (SELECT i, count(*) AS n FROM tb_wb GROUP BY i)
    SELECT g.i, g.n FROM g$$);
SELECT pg_tviews_create('w_nested', $$WITH b AS (SELECT * FROM tb_wb), c AS (SELECT b.id, b.k FROM b WHERE b.k > 4)
    SELECT c.id, c.k FROM c$$);
SELECT pg_tviews_create('w_below', $$WITH b AS (SELECT * FROM tb_wb)
    SELECT s.id, s.k, s.j FROM (WITH a AS (SELECT * FROM tb_wa)
                                SELECT b.id, b.k, a.j FROM b LEFT JOIN a ON a.id = b.i) s$$);
SELECT tview_name, key_column, key_proven FROM pg_tview_meta WHERE tview_name LIKE 'w\_%' ORDER BY tview_name;
INSERT INTO tb_wb VALUES (9, 0, 18), (10, 1, 1);
UPDATE tb_wb SET i = 2 WHERE id = 1;
UPDATE tb_wa SET i = 0 WHERE id < 4;
DELETE FROM tb_wb WHERE id = 2;
SELECT m.tview_name, c FROM pg_tview_meta m CROSS JOIN LATERAL pg_tviews_check(m.table_name::text) c
 WHERE m.tview_name LIKE 'w\_%';

-- Every TVIEW of this file passes the health check.
SELECT tview, check_name, detail FROM pg_tviews_health_check()
 WHERE tview LIKE 'keys.%' AND NOT ok;
SELECT DISTINCT check_name, detail FROM pg_tviews_health_check()
 WHERE tview LIKE 'keys.%' AND check_name = 'primary key' ORDER BY 2;

DROP SCHEMA keys CASCADE;
