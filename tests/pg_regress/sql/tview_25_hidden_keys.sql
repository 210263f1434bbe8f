-- Hidden keys: a definition whose own columns identify no row (rows that repeat every value
-- they show, as a bag) is keyed by the primary keys of the tables its rows come from, which
-- pg_tviews adds to the output as __pgtv_key_<alias>_<column> columns, with a NOTICE.
-- Every step ends with the oracle; the bag of the definition's own columns is compared too.
CREATE SCHEMA hid;
SET search_path = hid, public;
CREATE TABLE tb_a (id int PRIMARY KEY, i int, j int);
CREATE TABLE tb_b (id int PRIMARY KEY, i int, k int);
INSERT INTO tb_a SELECT g, g % 3, (g % 2) * 10 FROM generate_series(1, 12) g;
INSERT INTO tb_b SELECT g, g % 4, g % 3 * 100 FROM generate_series(1, 9) g;
CREATE FUNCTION all_exact() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum((SELECT count(*) FROM pg_tviews_check(m.table_name::regclass::text)))
      FROM pg_tview_meta m
     WHERE m.table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'hid'::regnamespace) $$;

-- 1. One table whose shown columns repeat: keyed by its primary key, added.
SELECT pg_tviews_create('flat', 'SELECT i, j FROM tb_a');
SELECT * FROM tv_flat ORDER BY __pgtv_key_tb_a_id LIMIT 4;
SELECT reaches, maintenance FROM pg_tviews_explain('flat') WHERE source = '(key)';
SELECT definition, key_column, key_columns FROM pg_tview_meta WHERE tview_name = 'flat';

-- 2. A many-to-many join: both tables' keys, the pair being the key (both modes).
SELECT pg_tviews_create('pairs', 'SELECT a.j, b.k FROM tb_a a JOIN tb_b b ON b.i = a.i');
SELECT pg_tviews_create('pairs_later', 'SELECT a.j, b.k FROM tb_a a JOIN tb_b b USING (i)',
                        mode => 'deferred');
SELECT reaches FROM pg_tviews_explain('pairs') WHERE source = '(key)';
-- A self-join: the alias tells the two keys apart.
SELECT pg_tviews_create('twins', 'SELECT x.j, y.j AS j2 FROM tb_a x JOIN tb_a y ON y.i = x.i AND y.id <> x.id');
-- A join that does not multiply the root's rows needs only the root's key.
SELECT pg_tviews_create('looked_up', 'SELECT a.j, b.k FROM tb_a a JOIN tb_b b ON b.id = a.i');
SELECT key_columns, key_column FROM pg_tview_meta WHERE tview_name = 'looked_up';

-- 3. A pk_* column that the join repeats (one row per review, the product's key shown):
--    it stays an ordinary column, the child's key is added.
CREATE TABLE tb_prod (pk_prod int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_rev (pk_rev int PRIMARY KEY, fk_prod int NOT NULL, rating int NOT NULL);
INSERT INTO tb_prod SELECT g, 'p' || g FROM generate_series(1, 4) g;
INSERT INTO tb_rev SELECT g, 1 + g % 4, g % 5 FROM generate_series(1, 10) g;
SELECT pg_tviews_create('rated', $$
    SELECT p.pk_prod, p.name, r.rating,
           (SELECT count(*) FROM tb_rev r2 WHERE r2.fk_prod = p.pk_prod) AS n
      FROM tb_prod p JOIN tb_rev r ON r.fk_prod = p.pk_prod
     ORDER BY r.rating $$);
SELECT key_column FROM pg_tview_meta WHERE tview_name = 'rated';

-- 4. A FULL JOIN showing no key: both sides' keys, NULL for the side a row lacks.
SELECT pg_tviews_create('both', 'SELECT a.j, b.k FROM tb_a a FULL JOIN tb_b b ON b.k = a.j');
SELECT count(*) FILTER (WHERE __pgtv_key_a_id IS NULL) AS only_b,
       count(*) FILTER (WHERE __pgtv_key_b_id IS NULL) AS only_a FROM tv_both;

-- 5. A quoted alias names its column as it is.
SELECT pg_tviews_create('quoted', 'SELECT "A b".j FROM tb_a "A b" WHERE "A b".i > 0');
SELECT attname FROM pg_attribute WHERE attrelid = 'tv_quoted'::regclass AND attnum > 0 ORDER BY attnum;

SELECT all_exact();

-- Writes of every kind: the oracle holds, and the TVIEWs hold the definitions' bags.
INSERT INTO tb_a VALUES (13, 1, 10), (14, 1, 10);
UPDATE tb_b SET i = 1 WHERE id IN (2, 3);
DELETE FROM tb_a WHERE id = 3;
UPDATE tb_a SET id = 30 WHERE id = 4;
INSERT INTO tb_rev VALUES (11, 2, 4);
UPDATE tb_rev SET fk_prod = 3 WHERE pk_rev = 1;
BEGIN;
UPDATE tb_a SET j = j + 1 WHERE i = 2;
INSERT INTO tb_b VALUES (10, 2, 0);
SAVEPOINT s; DELETE FROM tb_b; ROLLBACK TO s;
COMMIT;
SELECT all_exact();
SELECT (SELECT count(*) FROM (SELECT i, j FROM tv_flat EXCEPT ALL SELECT i, j FROM tb_a) d)
     + (SELECT count(*) FROM (SELECT i, j FROM tb_a EXCEPT ALL SELECT i, j FROM tv_flat) d) AS flat_differs,
       (SELECT count(*) FROM (SELECT j, k FROM tv_pairs EXCEPT ALL
                              SELECT a.j, b.k FROM tb_a a JOIN tb_b b ON b.i = a.i) d) AS pairs_differs,
       (SELECT count(*) FROM tv_pairs) = (SELECT count(*) FROM tb_a a JOIN tb_b b ON b.i = a.i) AS same_size;
TRUNCATE tb_b;
SELECT all_exact();
INSERT INTO tb_b SELECT g, g % 4, g % 3 * 100 FROM generate_series(1, 9) g;
SELECT all_exact();

-- A TVIEW over one with hidden keys (the cascade): counts per j.
SELECT pg_tviews_create('per_j', 'SELECT j, count(*) AS n FROM tv_pairs GROUP BY j');
INSERT INTO tb_a VALUES (40, 1, 99);
DELETE FROM tb_b WHERE id = 1;
SELECT * FROM tv_per_j ORDER BY j;
SELECT all_exact();

-- 6. A LEFT (or RIGHT) JOIN of two tables that repeats rows: keyed by both sides' keys, the
--    nullable side's NULL in a row without a match; the definition is kept as written.
SELECT pg_tviews_create('outer_bag', 'SELECT a.j, b.k FROM tb_a a LEFT JOIN tb_b b ON b.i = a.i');
SELECT definition FROM pg_tview_meta WHERE tview_name = 'outer_bag';
SELECT pg_tviews_create('outer_using', 'SELECT i, a.j, b.k FROM tb_a a LEFT JOIN tb_b b USING (i)
    WHERE b.k IS NULL OR b.k > 0', mode => 'deferred');
SELECT pg_tviews_create('outer_right', 'SELECT b.k, a.j FROM tb_b b RIGHT JOIN tb_a a ON b.i = a.i AND b.k > 0');
INSERT INTO tb_a VALUES (60, 3, 1), (61, 3, 2);
INSERT INTO tb_b VALUES (60, 3, 5);
UPDATE tb_b SET i = (i + 1) % 4 WHERE id % 2 = 0;
DELETE FROM tb_b WHERE id = 60;
UPDATE tb_a SET id = id + 1000 WHERE id > 50;
BEGIN;
DELETE FROM tb_b WHERE k = 0;
SAVEPOINT s; UPDATE tb_a SET i = NULL WHERE id = 1; ROLLBACK TO s;
UPDATE tb_a SET i = NULL WHERE id = 7;
COMMIT;
SELECT __pgtv_key_a_id, __pgtv_key_b_id FROM tv_outer_bag WHERE __pgtv_key_b_id IS NULL ORDER BY 1;
SELECT all_exact();
SELECT (SELECT count(*) FROM (SELECT j, k FROM tv_outer_bag EXCEPT ALL
                              SELECT a.j, b.k FROM tb_a a LEFT JOIN tb_b b ON b.i = a.i) d)
     + (SELECT count(*) FROM (SELECT a.j, b.k FROM tb_a a LEFT JOIN tb_b b ON b.i = a.i
                              EXCEPT ALL SELECT j, k FROM tv_outer_bag) d) AS outer_differs;
TRUNCATE tb_b;
SELECT all_exact();

CREATE TABLE tb_country (id int PRIMARY KEY, name text);
-- 7. Still refused, each saying what would identify the rows.
-- A FULL JOIN on an expression: its keys cannot be traced from both sides.
SELECT pg_tviews_create('bad', 'SELECT a.j, b.k FROM tb_a a FULL JOIN tb_b b ON b.k = a.j * 10');
-- The table that multiplies the rows is inside a view or a subquery: no key to add.
CREATE VIEW v_ab AS SELECT a.j, b.k FROM tb_a a JOIN tb_b b ON b.i = a.i;
SELECT pg_tviews_create('bad', 'SELECT j, k FROM v_ab');
SELECT pg_tviews_create('bad', 'SELECT s.j FROM (SELECT j FROM tb_a) s');
-- A cross join, a set-returning function, DISTINCT: a key added would not identify a row,
-- or would change which rows there are.
SELECT pg_tviews_create('bad', 'SELECT a.j, b.k FROM tb_a a, tb_b b');
SELECT pg_tviews_create('bad', 'SELECT j, generate_series(1, 2) AS g FROM tb_a');
SELECT pg_tviews_create('distinct_j', 'SELECT DISTINCT j FROM tb_a');
SELECT key_column FROM pg_tview_meta WHERE tview_name = 'distinct_j';
-- No primary key, or a DEFERRABLE one.
CREATE TABLE tb_loose (i int, j int);
SELECT pg_tviews_create('bad', 'SELECT i, j FROM tb_loose');
CREATE TABLE tb_late (id int PRIMARY KEY DEFERRABLE, j int);
SELECT pg_tviews_create('bad', 'SELECT j FROM tb_late');
-- The names are pg_tviews': a definition may not use them itself.
SELECT pg_tviews_create('bad', 'SELECT id AS __pgtv_key_tb_a_id, j FROM tb_a');
\echo :LAST_ERROR_SQLSTATE
-- CREATE TABLE AS adopts the table it made: its columns are the SELECT's, so no key is
-- added (use pg_tviews_create).
CREATE TABLE tv_adopted AS SELECT i, j FROM tb_a;
SELECT to_regclass('tv_adopted') IS NULL AS gone;


-- 8. Found by an outside attack.
-- 8a. Two pk_* columns that each identify the rows are the user's keys: refused as
--     ambiguous, with or without a lookup beside them (no key is added).
CREATE TABLE tb_user (pk_user int PRIMARY KEY, fk_country int);
CREATE TABLE tb_profile (pk_profile int PRIMARY KEY, fk_user int NOT NULL UNIQUE, bio text);
SELECT pg_tviews_create('amb', 'SELECT u.pk_user, p.pk_profile, c.name FROM tb_user u
    JOIN tb_profile p ON p.fk_user = u.pk_user JOIN tb_country c ON c.id = u.fk_country');
-- 8b. Only the tables the key needs: a lookup beside a many-to-many join adds nothing.
SELECT pg_tviews_create('pairs_named', 'SELECT a.j, b.k, c.name FROM tb_a a
    JOIN tb_b b ON b.i = a.i JOIN tb_country c ON c.id = a.i');
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'pairs_named';
-- 8c. A key column the creator may not read is not added (the refusal stands).
CREATE ROLE hid_reader;
GRANT USAGE, CREATE ON SCHEMA hid TO hid_reader;
GRANT SELECT (i), TRIGGER ON tb_a TO hid_reader;
SET ROLE hid_reader;
SELECT pg_tviews_create('hid.only_i', 'SELECT i FROM hid.tb_a');
RESET ROLE;
-- A creation that fails later (no TRIGGER privilege on the source) announces no key.
GRANT SELECT ON tb_b TO hid_reader;
SET ROLE hid_reader;
SELECT pg_tviews_create('hid.only_k', 'SELECT k FROM hid.tb_b');
RESET ROLE;
-- 8d. SELECT * over a TVIEW with hidden keys shows them: refused, saying so; by name it
--     works (keyed by that TVIEW's own key, added again).
SELECT pg_tviews_create('over_flat', 'SELECT * FROM tv_flat');
SELECT pg_tviews_create('over_flat', 'SELECT f.i, f.j FROM tv_flat f');
INSERT INTO tb_a VALUES (50, 2, 7);
SELECT all_exact();
-- 8e. A RIGHT JOIN ... USING: its merged column is the preserved side's value (5.00 where
--     the nullable side holds 5.0), as the definition says (it is not rewritten).
CREATE DOMAIN amount AS numeric;
CREATE TABLE tb_price (id int PRIMARY KEY, amount numeric);
CREATE TABLE tb_item (id int PRIMARY KEY, amount amount);
INSERT INTO tb_price VALUES (1, 5.0), (2, 5.0);
INSERT INTO tb_item VALUES (10, 5.00), (11, 7);
SELECT pg_tviews_create('priced_right', 'SELECT amount FROM tb_price RIGHT JOIN tb_item USING (amount)');
SELECT amount::text FROM tv_priced_right ORDER BY 1;
-- The LEFT JOIN the other way round alike.
SELECT pg_tviews_create('priced', 'SELECT amount FROM tb_item LEFT JOIN tb_price USING (amount)');
SELECT amount::text FROM tv_priced ORDER BY 1;
-- 8f. An aliased join hides its tables' columns: no key is added (refused cleanly).
SELECT pg_tviews_create('bad', 'SELECT j.k FROM (tb_a a LEFT JOIN tb_b b ON b.i = a.i) j');
-- 8g. A LEFT JOIN showing both keys is keyed by them (nothing added).
SELECT pg_tviews_create('both_shown', 'SELECT i.id, p.id AS price_id, p.amount FROM tb_item i
    LEFT JOIN tb_price p ON p.amount = i.amount');
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'both_shown';
-- The same key named alike; a key of the nullable side alone, or listed first, is refused.
SELECT pg_tviews_create('both_named', 'SELECT i.id, p.id AS price_id, p.amount FROM tb_item i
    LEFT JOIN tb_price p ON p.amount = i.amount', key => ARRAY['id', 'price_id'], mode => 'deferred');
SELECT pg_tviews_create('bad', 'SELECT i.id, p.id AS price_id, p.amount FROM tb_item i
    LEFT JOIN tb_price p ON p.amount = i.amount', key => 'price_id');
SELECT pg_tviews_create('bad', 'SELECT i.id, p.id AS price_id, p.amount FROM tb_item i
    LEFT JOIN tb_price p ON p.amount = i.amount', key => ARRAY['price_id', 'id']);
INSERT INTO tb_price VALUES (3, 7);
DELETE FROM tb_price WHERE id = 1;
SELECT all_exact();
-- 9. Outer joins beside other tables, and nested: keyed by every multiplying table's key,
--    the tables an outer join NULL-extends NULL in a row it finds no match for; the
--    definition is kept as written, so the oracle compares with the user's own SELECT.
CREATE TABLE tb_cust (id int PRIMARY KEY, name text);
CREATE TABLE tb_ord (id int PRIMARY KEY, cust_id int, label text);
CREATE TABLE tb_line (id int PRIMARY KEY, ord_id int, qty int);
CREATE TABLE tb_ship (id int PRIMARY KEY, line_id int NOT NULL, note text);
INSERT INTO tb_cust VALUES (1, 'ann'), (2, 'bob');
INSERT INTO tb_ord VALUES (1, 1, 'o1'), (2, 1, 'o2'), (3, 2, 'o3'), (4, NULL, 'o4');
INSERT INTO tb_line VALUES (10, 1, 1), (11, 1, 1), (12, 2, 5), (13, NULL, 2);
INSERT INTO tb_ship VALUES (100, 10, 'x'), (101, 10, 'x'), (102, 12, 'y');
-- A LEFT JOIN that repeats rows beside an inner lookup: the lookup's key is not needed.
SELECT pg_tviews_create('ord_lines', 'SELECT o.label, c.name, l.qty FROM tb_ord o
    JOIN tb_cust c ON c.id = o.cust_id LEFT JOIN tb_line l ON l.ord_id = o.id');
-- Two levels: lines, then their shipments (deferred).
SELECT pg_tviews_create('ord_ships', 'SELECT o.label, l.qty, s.note FROM tb_ord o
    LEFT JOIN tb_line l ON l.ord_id = o.id LEFT JOIN tb_ship s ON s.line_id = l.id',
    mode => 'deferred');
-- A LEFT JOIN of an inner join: a line counts only with a shipment; the shipment's key
-- determines the line's.
SELECT pg_tviews_create('ord_shipped', 'SELECT o.label, s.note FROM tb_ord o
    LEFT JOIN (tb_line l JOIN tb_ship s ON s.line_id = l.id) ON l.ord_id = o.id');
-- A RIGHT JOIN beside a LEFT JOIN lookup: the preserved side's key comes first.
SELECT pg_tviews_create('ord_right', 'SELECT l.qty, o.label, c.name FROM tb_line l
    RIGHT JOIN tb_ord o ON l.ord_id = o.id LEFT JOIN tb_cust c ON c.id = o.cust_id');
-- The keys shown and named.
SELECT pg_tviews_create('ord_named', 'SELECT o.id, l.id AS line_id, s.id AS ship_id, s.note
    FROM tb_ord o LEFT JOIN tb_line l ON l.ord_id = o.id LEFT JOIN tb_ship s ON s.line_id = l.id',
    key => ARRAY['id', 'line_id', 'ship_id']);
SELECT tview_name, key_columns FROM pg_tview_meta WHERE tview_name LIKE 'ord%' ORDER BY 1;
SELECT reaches FROM pg_tviews_explain('ord_ships') WHERE source = '(key)';
SELECT all_exact();
INSERT INTO tb_ord VALUES (5, 2, 'o5');                 -- no line: its row with NULLs
INSERT INTO tb_line VALUES (14, 5, 3);                  -- its first line replaces that row
INSERT INTO tb_ship VALUES (103, 14, 'z');              -- the line's first shipment
UPDATE tb_line SET ord_id = 2 WHERE id = 11;            -- a line moves to another order
DELETE FROM tb_line WHERE id = 12;                      -- order 2 keeps line 11
DELETE FROM tb_ship WHERE id = 102;                     -- shipment of a deleted line
UPDATE tb_line SET ord_id = NULL WHERE id = 14;         -- order 5 is left without lines
UPDATE tb_ord SET cust_id = 1 WHERE id = 4;             -- now joins a customer
DELETE FROM tb_cust WHERE id = 2;                       -- its orders leave the inner join
UPDATE tb_ord SET id = id + 100 WHERE id = 1;           -- a key change of the kept side
SELECT all_exact();
BEGIN;
UPDATE tb_line SET ord_id = 101 WHERE ord_id IS NULL;
SAVEPOINT s; DELETE FROM tb_line; ROLLBACK TO s;
UPDATE tb_ship SET line_id = 11 WHERE id = 100;
DELETE FROM tb_ord WHERE id = 3;
COMMIT;
SELECT all_exact();
TRUNCATE tb_ship;
SELECT all_exact();
INSERT INTO tb_ship SELECT 200 + g, 10 + g % 5, 'n' || g FROM generate_series(0, 9) g;
SELECT all_exact();
SELECT (SELECT count(*) FROM (SELECT label, qty, note FROM tv_ord_ships EXCEPT ALL
            SELECT o.label, l.qty, s.note FROM tb_ord o LEFT JOIN tb_line l ON l.ord_id = o.id
              LEFT JOIN tb_ship s ON s.line_id = l.id) d)
     + (SELECT count(*) FROM (SELECT o.label, l.qty, s.note FROM tb_ord o
              LEFT JOIN tb_line l ON l.ord_id = o.id LEFT JOIN tb_ship s ON s.line_id = l.id
            EXCEPT ALL SELECT label, qty, note FROM tv_ord_ships) d) AS ships_differ,
       (SELECT count(*) FROM tv_ord_ships WHERE __pgtv_key_s_id IS NULL) AS without_shipment;
-- Refused: a nullable side without a primary key; a key column of the nullable side that a
-- row may hold NULL (a NULL must mean "no match"); more than four outer joins NULL-extending
-- key columns.
CREATE TABLE tb_note (ord_id int, v int);
SELECT pg_tviews_create('bad', 'SELECT o.label, n.v FROM tb_ord o
    JOIN tb_cust c ON c.id = o.cust_id LEFT JOIN tb_note n ON n.ord_id = o.id');
CREATE TABLE tb_code (code int UNIQUE, ord_id int);
SELECT pg_tviews_create('bad', 'SELECT o.id, u.code FROM tb_ord o LEFT JOIN tb_code u ON u.ord_id = o.id',
    key => ARRAY['id', 'code']);
SELECT pg_tviews_create('bad', 'SELECT o.id, l1.id AS i1, l2.id AS i2, l3.id AS i3, l4.id AS i4, l5.id AS i5
    FROM tb_ord o LEFT JOIN tb_line l1 ON l1.ord_id = o.id LEFT JOIN tb_line l2 ON l2.ord_id = o.id
    LEFT JOIN tb_line l3 ON l3.ord_id = o.id LEFT JOIN tb_line l4 ON l4.ord_id = o.id
    LEFT JOIN tb_line l5 ON l5.ord_id = o.id', key => ARRAY['id', 'i1', 'i2', 'i3', 'i4', 'i5']);
-- 10. Joins on IS NOT DISTINCT FROM: a NULL matches a NULL. A lookup unique with NULLS NOT
--     DISTINCT adds at most one row (the key stays the root's); a plain UNIQUE lookup holds
--     NULL in several rows, which repeat the rows (keyed by both tables' keys); a bag of two
--     tables sharing nullable codes. Changes find their keys NULL-safely, in both modes.
CREATE TABLE tb_code_nn (pk int PRIMARY KEY, code text UNIQUE NULLS NOT DISTINCT, name text);
CREATE TABLE tb_code_u (pk int PRIMARY KEY, code text UNIQUE, name text);
CREATE TABLE tb_thing (pk int PRIMARY KEY, code text, v int);
CREATE TABLE tb_other (pk int PRIMARY KEY, code text, w int);
INSERT INTO tb_code_nn VALUES (1, 'a', 'ca'), (2, NULL, 'c-null');
INSERT INTO tb_code_u VALUES (1, 'a', 'ua'), (2, NULL, 'u-null'), (3, NULL, 'u-null2');
INSERT INTO tb_thing VALUES (1, 'a', 1), (2, NULL, 2), (3, 'b', 3);
INSERT INTO tb_other VALUES (1, 'a', 10), (2, NULL, 20), (3, NULL, 30);
SELECT pg_tviews_create('thing_nn', 'SELECT t.pk, t.v, c.name FROM tb_thing t
    LEFT JOIN tb_code_nn c ON c.code IS NOT DISTINCT FROM t.code');
SELECT reaches FROM pg_tviews_explain('thing_nn') WHERE source = 'hid.tb_code_nn';
SELECT pg_tviews_create('thing_u', 'SELECT t.pk, t.v, c.name FROM tb_thing t
    LEFT JOIN tb_code_u c ON c.code IS NOT DISTINCT FROM t.code', mode => 'deferred');
SELECT pg_tviews_create('thing_other', 'SELECT t.v, o.w FROM tb_thing t
    JOIN tb_other o ON o.code IS NOT DISTINCT FROM t.code');
SELECT pk, v, name FROM tv_thing_nn ORDER BY pk;
UPDATE tb_code_nn SET name = 'c-null!' WHERE code IS NULL;
UPDATE tb_code_u SET code = 'b' WHERE pk = 3;
INSERT INTO tb_thing VALUES (4, NULL, 4);
UPDATE tb_other SET code = NULL WHERE pk = 1;
BEGIN;
UPDATE tb_thing SET code = NULL WHERE pk = 3;
DELETE FROM tb_code_u WHERE pk = 2;
COMMIT;
DELETE FROM tb_other WHERE pk = 2;
SELECT pk, v, name FROM tv_thing_nn ORDER BY pk;
SELECT all_exact();
SELECT (SELECT count(*) FROM (SELECT v, w FROM tv_thing_other EXCEPT ALL
            SELECT t.v, o.w FROM tb_thing t JOIN tb_other o ON o.code IS NOT DISTINCT FROM t.code) d)
     + (SELECT count(*) FROM (SELECT t.v, o.w FROM tb_thing t JOIN tb_other o ON o.code IS NOT DISTINCT FROM t.code
            EXCEPT ALL SELECT v, w FROM tv_thing_other) d) AS other_differs;
-- 10b. A condition that holds with a NULL side (IS NOT DISTINCT FROM, an operator whose
--      function is not strict) outside an outer join's ON, in WHERE or in the ON of a join
--      above it, is no link into the rows that join NULL-extends: a row arriving there may
--      make a match that removes a NULL-extended row it does not itself satisfy.
CREATE TABLE tb_nso (pk int PRIMARY KEY, z int);
CREATE TABLE tb_nsl (pk int PRIMARY KEY, fk int NOT NULL, z int);
CREATE TABLE tb_nss (pk int PRIMARY KEY, fk int NOT NULL, z int);
CREATE FUNCTION lax_eq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT coalesce($1, 0) = coalesce($2, 0)';
CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = lax_eq);
INSERT INTO tb_nso VALUES (1, NULL), (2, 7), (3, NULL);
INSERT INTO tb_nsl VALUES (20, 2, 7);
SELECT pg_tviews_create('nso_where', 'SELECT o.pk, l.pk AS line_pk, o.z FROM tb_nso o
    LEFT JOIN tb_nsl l ON l.fk = o.pk WHERE o.z IS NOT DISTINCT FROM l.z');
SELECT pg_tviews_create('nso_lax', 'SELECT o.pk, l.pk AS line_pk FROM tb_nso o
    LEFT JOIN tb_nsl l ON l.fk = o.pk WHERE o.z === l.z', mode => 'deferred');
SELECT pg_tviews_create('nso_above', 'SELECT o.pk, l.pk AS line_pk, s.pk AS ship_pk FROM tb_nso o
    LEFT JOIN (tb_nsl l LEFT JOIN tb_nss s ON s.fk = l.pk) ON l.fk = o.pk AND o.z IS NOT DISTINCT FROM s.z');
SELECT pk, line_pk FROM tv_nso_where ORDER BY pk, line_pk;
INSERT INTO tb_nsl VALUES (10, 1, 5), (30, 3, NULL);
SELECT pk, line_pk FROM tv_nso_where ORDER BY pk, line_pk;
SELECT all_exact();
INSERT INTO tb_nss VALUES (100, 10, 9);
SELECT all_exact();
UPDATE tb_nsl SET z = 8 WHERE pk = 30;
SELECT all_exact();
UPDATE tb_nso SET z = 5 WHERE pk = 1;
DELETE FROM tb_nss WHERE pk = 100;
INSERT INTO tb_nss VALUES (101, 30, 1);
SELECT all_exact();
-- 10c. ... nor from a column an earlier outer join NULL-extends: a row of the table joined
--      NULL-safely to c.code also pairs with the rows that have no c at all (c.code is NULL
--      there), which no link from c reaches. Joined, in a correlated and a LATERAL subquery.
CREATE TABLE tb_nsp (pk int PRIMARY KEY);
CREATE TABLE tb_nsc (pk int PRIMARY KEY, fk int UNIQUE, code text);
CREATE TABLE tb_nsd (pk int PRIMARY KEY, code text UNIQUE NULLS NOT DISTINCT, name text);
INSERT INTO tb_nsp VALUES (1), (2);
INSERT INTO tb_nsc VALUES (20, 2, 'b');
INSERT INTO tb_nsd VALUES (100, NULL, 'old'), (200, 'b', 'bee');
SELECT pg_tviews_create('nsp_join', 'SELECT p.pk, d.name FROM tb_nsp p
    LEFT JOIN tb_nsc c ON c.fk = p.pk LEFT JOIN tb_nsd d ON d.code IS NOT DISTINCT FROM c.code');
SELECT pg_tviews_create('nsp_inner', 'SELECT p.pk, d.name FROM tb_nsp p
    LEFT JOIN tb_nsc c ON c.fk = p.pk JOIN tb_nsd d ON d.code IS NOT DISTINCT FROM c.code');
SELECT pg_tviews_create('nsp_sub', 'SELECT p.pk, (SELECT d.name FROM tb_nsd d
    WHERE d.code IS NOT DISTINCT FROM c.code) AS name FROM tb_nsp p LEFT JOIN tb_nsc c ON c.fk = p.pk',
    mode => 'deferred');
SELECT pg_tviews_create('nsp_lateral', 'SELECT p.pk, x.name FROM tb_nsp p
    LEFT JOIN tb_nsc c ON c.fk = p.pk LEFT JOIN LATERAL (SELECT d.name FROM tb_nsd d
    WHERE d.code IS NOT DISTINCT FROM c.code) x ON true');
-- Where c is no outer join's NULL-extended side, the condition links (the LEFT JOIN LATERAL
-- NULL-extends the subquery's own rows after it held).
SELECT pg_tviews_create('nsp_linked', 'SELECT p.pk, x.name FROM tb_nsp p JOIN tb_nsc c ON c.fk = p.pk
    LEFT JOIN LATERAL (SELECT d.name FROM tb_nsd d WHERE d.code IS NOT DISTINCT FROM c.code) x ON true');
SELECT source, reaches FROM pg_tviews_explain('nsp_linked') WHERE source LIKE '%tb_nsd%';
UPDATE tb_nsd SET name = 'new' WHERE pk = 100;
SELECT pk, name FROM tv_nsp_join ORDER BY pk;
SELECT all_exact();
INSERT INTO tb_nsc VALUES (10, 1, NULL);
UPDATE tb_nsd SET name = 'newer' WHERE pk = 100;
SELECT all_exact();
DELETE FROM tb_nsc WHERE pk = 10;
DELETE FROM tb_nsd WHERE pk = 100;
SELECT all_exact();
INSERT INTO tb_nsd VALUES (101, NULL, 'back');
SELECT pk, name FROM tv_nsp_sub ORDER BY pk;
SELECT all_exact();
-- 11. An outer join whose NULL-extended rows a condition above always rejects is the inner
--     join it means (PostgreSQL's own reduction): keys, links and proofs read it so, and the
--     definition is stored as written. Conditions that keep NULLs (IS NULL, an OR) do not.
CREATE TABLE tb_ra (id int PRIMARY KEY, x int);
CREATE TABLE tb_rb (id int PRIMARY KEY, aid int, x int);
CREATE TABLE tb_rc (id int PRIMARY KEY, bid int, x int);
INSERT INTO tb_ra SELECT g, g % 3 FROM generate_series(1, 6) g;
INSERT INTO tb_rb SELECT g, g % 7, g % 3 FROM generate_series(1, 8) g;
INSERT INTO tb_rc SELECT g, g % 9, g % 4 FROM generate_series(1, 10) g;
-- Each c meets at most one b, each b one a: c's key alone (refused before: a LEFT JOIN's
-- rows repeat), and a named key of all three (no chain linked a to c before).
SELECT pg_tviews_create('red_nested', 'SELECT c.id AS cid, b.id AS bid, a.id FROM tb_rc c
    LEFT JOIN (tb_ra a LEFT JOIN tb_rb b ON b.aid = a.id) ON c.bid = b.id');
SELECT reaches FROM pg_tviews_explain('red_nested') WHERE source = '(key)';
SELECT pg_tviews_create('red_right', 'SELECT a.id, b.id AS bid, c.id AS cid FROM tb_ra a
    LEFT JOIN tb_rb b ON b.aid = a.id RIGHT JOIN tb_rc c ON c.bid = b.id',
    key => ARRAY['cid', 'bid', 'id'], mode => 'deferred');
SELECT pg_tviews_create('red_where', 'SELECT a.id, b.id AS bid, b.x FROM tb_ra a
    LEFT JOIN tb_rb b ON b.aid = a.id WHERE b.x > 0');
SELECT source, reaches FROM pg_tviews_explain('red_where') WHERE source LIKE '%tb_r%' ORDER BY 1;
SELECT definition FROM pg_tview_meta WHERE tview_name = 'red_where';
SELECT pg_tviews_create('red_in_on', 'SELECT a.id, b.id AS bid, c.id AS cid FROM tb_ra a
    LEFT JOIN (tb_rb b LEFT JOIN tb_rc c ON c.bid = b.id) ON b.aid = a.id AND c.x > 0');
SELECT pg_tviews_create('red_sub', 'SELECT a.id, s.id AS bid FROM tb_ra a LEFT JOIN
    (SELECT b.id, b.aid, coalesce(b.x, 0) AS x FROM tb_rb b) s ON s.aid = a.id WHERE s.x >= 0');
SELECT pg_tviews_create('red_is_null', 'SELECT a.id, b.id AS bid FROM tb_ra a
    LEFT JOIN tb_rb b ON b.aid = a.id WHERE b.x IS NULL', mode => 'deferred');
SELECT pg_tviews_create('red_or', 'SELECT a.id, b.id AS bid FROM tb_ra a
    LEFT JOIN tb_rb b ON b.aid = a.id WHERE b.x > 0 OR a.x = 1');
SELECT pg_tviews_create('red_full', 'SELECT a.id, b.id AS bid FROM tb_ra a
    FULL JOIN tb_rb b ON b.aid = a.id WHERE b.x > 0');
SELECT all_exact();
UPDATE tb_rb SET aid = 3 WHERE id = 1;
UPDATE tb_rb SET x = 2 WHERE id = 5;
DELETE FROM tb_ra WHERE id = 2;
INSERT INTO tb_rb VALUES (20, 4, 1), (21, 4, 0), (22, NULL, 1);
SELECT all_exact();
BEGIN;
UPDATE tb_rc SET bid = 20 WHERE id < 4;
DELETE FROM tb_rb WHERE id = 3;
UPDATE tb_rb SET x = NULL WHERE id IN (4, 6);
UPDATE tb_rc SET x = 1 WHERE bid = 20;
COMMIT;
SELECT all_exact();
INSERT INTO tb_ra VALUES (2, 1);
UPDATE tb_ra SET x = 1;
DELETE FROM tb_rc WHERE x = 1;
SELECT all_exact();
DROP OWNED BY hid_reader;
DROP ROLE hid_reader;

-- A FULL JOIN that a strict WHERE makes one-sided (s kept), written with the kept table
-- second: the added keys list the kept table's first, as for the other spelling (it was
-- refused: "its first column comes from ... the nullable side").
CREATE TABLE tb_fr (i int, id int PRIMARY KEY);
CREATE TABLE tb_fs (i int, j int, id int PRIMARY KEY);
INSERT INTO tb_fr VALUES (1, 1), (2, 2), (3, 3), (NULL, 4);
INSERT INTO tb_fs VALUES (1, 10, 1), (2, 20, 2), (4, 40, 3), (NULL, 0, 4), (-1, 0, 5);
SELECT pg_tviews_create('fw', $$
    SELECT r.i AS r, s.i AS s FROM tb_fr r FULL JOIN tb_fs s ON r.i = s.i WHERE s.i > 0 $$);
SELECT pg_tviews_create('fw_d', $$
    SELECT r.i AS r, s.i AS s FROM tb_fr r FULL JOIN tb_fs s ON r.i = s.i WHERE s.i > 0 $$,
    mode => 'deferred');
SELECT tview_name, key_columns FROM pg_tview_meta WHERE tview_name LIKE 'fw%' ORDER BY 1;
INSERT INTO tb_fr VALUES (4, 5), (1, 6);
UPDATE tb_fs SET i = 3 WHERE id = 3;
DELETE FROM tb_fr WHERE id = 1;
UPDATE tb_fs SET i = 2 WHERE id = 5;
SELECT all_exact();
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA hid CASCADE;
RESET client_min_messages;
