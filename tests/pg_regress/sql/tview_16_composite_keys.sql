-- Keys of several columns: GROUP BY a, b, a composite primary key (a many-to-many link), and
-- key => ARRAY[...]. One key is one value of a composite type of the key's columns; a NULL in
-- any of them is a value like any other. Every section ends with the oracle.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE SCHEMA ck;
SET search_path = ck, public;

CREATE TABLE tb_sale (pk_sale int PRIMARY KEY, region text, kind text,
                      amount numeric(10,2) NOT NULL, at timestamptz NOT NULL);
INSERT INTO tb_sale
SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'r' || g % 3 END,
          CASE WHEN g % 7 = 0 THEN NULL ELSE 'k' || g % 2 END,
          g * 1.25, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 60) g;

-- 1. GROUP BY a, b: no column identifies the rows alone, the two do together. The key is
-- both, found without naming them; groups with a NULL region, kind or both are rows.
SELECT pg_tviews_create('by_region_kind', $$
    SELECT region, kind, count(*) AS sales, sum(amount) AS amount, max(at) AS last_at
      FROM tb_sale GROUP BY region, kind $$);
SELECT pg_tviews_create('by_region_kind_deferred', $$
    SELECT region, kind, count(*) AS sales, sum(amount) AS amount, max(at) AS last_at
      FROM tb_sale GROUP BY region, kind $$, mode => 'deferred');
SELECT tview_name, key_column, key_columns, key_type, key_proven
  FROM pg_tview_meta WHERE tview_name LIKE 'by_region_kind%' ORDER BY 1;
-- The table's unique index is on the composite value; the type is part of the table.
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'ck.tv_by_region_kind'::regclass;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'tviews_def.tv_by_region_kind_key'::regclass AND attnum > 0 ORDER BY attnum;
SELECT reaches, maintenance FROM pg_tviews_explain('by_region_kind') WHERE source = '(key)';
SELECT source, key_query FROM pg_tviews_explain('by_region_kind') WHERE source = 'ck.tb_sale';
SELECT * FROM tv_by_region_kind ORDER BY region NULLS FIRST, kind NULLS FIRST;
-- Into, within and out of groups with NULLs, in one statement and across statements.
UPDATE tb_sale SET amount = amount + 1 WHERE pk_sale % 4 = 0;
UPDATE tb_sale SET region = NULL WHERE pk_sale IN (1, 2);
UPDATE tb_sale SET kind = NULL, region = NULL WHERE pk_sale = 3;
DELETE FROM tb_sale WHERE pk_sale = 35;
INSERT INTO tb_sale VALUES (100, NULL, 'new', 1, '2026-06-01 12:00+02'), (101, 'new', NULL, 2, '2026-06-01 12:00+02');
BEGIN;
UPDATE tb_sale SET kind = 'k1' WHERE kind IS NULL AND region IS NULL;
DELETE FROM tb_sale WHERE region = 'new';
INSERT INTO tb_sale VALUES (102, NULL, NULL, 3, '2026-07-01 00:00+00');
UPDATE tb_sale SET at = at + interval '1 minute' WHERE pk_sale = 102;
COMMIT;
SELECT * FROM tv_by_region_kind ORDER BY region NULLS FIRST, kind NULLS FIRST;
SELECT * FROM pg_tviews_check('by_region_kind');
SELECT * FROM pg_tviews_check('by_region_kind_deferred');
-- A key whose every column is NULL is still a key (a composite value with NULL fields is
-- not NULL): the group of all NULLs leaves and comes back.
DELETE FROM tb_sale WHERE region IS NULL AND kind IS NULL;
SELECT count(*) FROM tv_by_region_kind WHERE region IS NULL AND kind IS NULL;
INSERT INTO tb_sale VALUES (103, NULL, NULL, 4, '2026-07-02 00:00+00');
SELECT region, kind, sales FROM tv_by_region_kind WHERE region IS NULL AND kind IS NULL;
TRUNCATE tb_sale;
SELECT count(*) FROM tv_by_region_kind;
INSERT INTO tb_sale VALUES (1, 'r1', 'k1', 1, '2026-01-01'), (2, NULL, NULL, 2, '2026-01-01');
SELECT pg_tviews_refresh('by_region_kind_deferred');
SELECT * FROM pg_tviews_check('by_region_kind');
SELECT * FROM pg_tviews_check('by_region_kind_deferred');

-- 2. A many-to-many link: the link table's composite primary key identifies the rows, and
-- changes to either side reach them through the key's table.
CREATE TABLE tb_author (pk_author int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_book (pk_book int PRIMARY KEY, title text NOT NULL);
CREATE TABLE tb_wrote (fk_author int REFERENCES tb_author, fk_book int REFERENCES tb_book,
                       role text, PRIMARY KEY (fk_author, fk_book));
INSERT INTO tb_author SELECT g, 'author ' || g FROM generate_series(1, 6) g;
INSERT INTO tb_book SELECT g, 'book ' || g FROM generate_series(1, 8) g;
INSERT INTO tb_wrote SELECT a, b, CASE WHEN a = b THEN 'lead' END
  FROM generate_series(1, 6) a, generate_series(1, 8) b WHERE (a + b) % 3 = 0;
SELECT pg_tviews_create('credit', $$
    SELECT w.fk_author, w.fk_book,
           jsonb_build_object('author', a.name, 'book', b.title, 'role', w.role) AS data
      FROM tb_wrote w JOIN tb_author a ON a.pk_author = w.fk_author
      JOIN tb_book b ON b.pk_book = w.fk_book $$);
SELECT pg_tviews_create('credit_deferred', $$
    SELECT w.fk_author, w.fk_book,
           jsonb_build_object('author', a.name, 'book', b.title, 'role', w.role) AS data
      FROM tb_wrote w JOIN tb_author a ON a.pk_author = w.fk_author
      JOIN tb_book b ON b.pk_book = w.fk_book $$, mode => 'deferred');
SELECT source, reaches FROM pg_tviews_explain('credit') ORDER BY source;
UPDATE tb_author SET name = 'renamed' WHERE pk_author = 2;
UPDATE tb_book SET title = upper(title) WHERE pk_book IN (1, 4);
UPDATE tb_wrote SET role = 'editor' WHERE fk_book = 2;
UPDATE tb_wrote SET fk_book = 7 WHERE fk_author = 1 AND fk_book = 2;
DELETE FROM tb_wrote WHERE fk_author = 3;
INSERT INTO tb_wrote VALUES (3, 3, 'lead'), (6, 1, NULL);
BEGIN;
UPDATE tb_wrote SET role = 'x' WHERE fk_author = 6;
UPDATE tb_author SET name = name || '!' WHERE pk_author IN (5, 6);
DELETE FROM tb_wrote WHERE fk_author = 5 AND fk_book = 1;
COMMIT;
SELECT fk_author, fk_book, data FROM tv_credit ORDER BY 1, 2;
SELECT * FROM pg_tviews_check('credit');
SELECT * FROM pg_tviews_check('credit_deferred');

-- 3. key => ARRAY[...] names the columns in the order wanted; the definition must not repeat
-- the combination, now (23505 at creation) or after a write (23505, nothing written).
SELECT pg_tviews_create('credit_by_book', $$
    SELECT w.fk_book, w.fk_author, w.role FROM tb_wrote w $$, key => ARRAY['fk_book', 'fk_author']);
SELECT key_column, key_columns, key_proven FROM pg_tview_meta WHERE tview_name = 'credit_by_book';
SELECT reaches, maintenance FROM pg_tviews_explain('credit_by_book') WHERE source = '(key)';
UPDATE tb_wrote SET role = 'co' WHERE fk_book = 3;
SELECT * FROM pg_tviews_check('credit_by_book');
CREATE TABLE tb_tag (pk_tag int PRIMARY KEY, grp text, name text, note text);
INSERT INTO tb_tag VALUES (1, 'a', 'x', NULL), (2, 'a', 'y', NULL), (3, NULL, 'x', NULL);
SELECT pg_tviews_create('tag', 'SELECT grp, name, note FROM tb_tag', key => ARRAY['grp', 'name']);
INSERT INTO tb_tag VALUES (4, 'a', 'x', 'repeats');
INSERT INTO tb_tag VALUES (4, NULL, 'x', 'repeats with a NULL');
SELECT * FROM tv_tag ORDER BY grp NULLS FIRST, name;
SELECT * FROM pg_tviews_check('tag');
-- Refused, with what to do instead.
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag', key => ARRAY['grp', 'grp']);
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag', key => ARRAY['grp', 'nope']);
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag', key => ARRAY[]::text[]);
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag', key => ARRAY['grp', NULL]);
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag', key => ARRAY['grp']);
SELECT pg_tviews_create('bad', 'SELECT grp, upper(name) AS name FROM tb_tag', key => ARRAY['grp', 'name']);
-- Columns of two tables are a key when one of them has both (the author's key is the link's
-- foreign key, which the join makes equal): changes are traced through that table.
SELECT pg_tviews_create('book_author', $$
    SELECT w.fk_book, a.pk_author FROM tb_wrote w JOIN tb_author a ON a.pk_author = w.fk_author $$,
    key => ARRAY['fk_book', 'pk_author']);
SELECT reaches FROM pg_tviews_explain('book_author') WHERE source = '(key)';
SELECT pg_tviews_create('bad', 'SELECT fk_book, role FROM tb_wrote', key => ARRAY['fk_book', 'role']);
-- Without a key, columns that can repeat together are not a key.
SELECT pg_tviews_create('bad', 'SELECT grp, name FROM tb_tag');

-- 4. Key columns of other types: numeric with a scale, a domain, a timestamp with time zone
-- (deferred keys travel as text and come back exact), in both modes.
CREATE DOMAIN ck.code AS text CHECK (VALUE <> '');
CREATE TABLE tb_reading (pk_reading int PRIMARY KEY, site ck.code NOT NULL,
                         day timestamptz NOT NULL, level numeric(6,2) NOT NULL, v float8);
INSERT INTO tb_reading SELECT g, 's' || g % 3, timestamptz '2026-03-01 00:00+00' + (g % 4) * interval '1 day',
                              (g % 2) * 0.5, g / 3.0 FROM generate_series(1, 40) g;
SELECT pg_tviews_create('levels', $$
    SELECT site, day, level, count(*) AS n, max(v ORDER BY pk_reading) AS v FROM tb_reading GROUP BY site, day, level $$);
SELECT pg_tviews_create('levels_deferred', $$
    SELECT site, day, level, count(*) AS n, max(v ORDER BY pk_reading) AS v FROM tb_reading GROUP BY site, day, level $$,
    mode => 'deferred');
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'levels';
SET TimeZone = 'Asia/Kolkata';
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = -3;
UPDATE tb_reading SET v = v + 0.1 WHERE pk_reading % 5 = 0;
BEGIN;
UPDATE tb_reading SET level = 0.50 WHERE pk_reading = 2;
UPDATE tb_reading SET day = day + interval '90 minutes' WHERE pk_reading = 3;
DELETE FROM tb_reading WHERE pk_reading = 4;
COMMIT;
RESET TimeZone;
RESET DateStyle;
RESET extra_float_digits;
SELECT * FROM pg_tviews_check('levels');
SELECT * FROM pg_tviews_check('levels_deferred');

-- 5. The key type is part of the table: it cannot be dropped or altered alone, it follows the
-- table's owner, and goes with the table.
DROP TYPE tviews_def.tv_tag_key;
ALTER TYPE tviews_def.tv_tag_key ADD ATTRIBUTE c int;
ALTER TYPE tviews_def.tv_tag_key RENAME ATTRIBUTE grp TO g;
ALTER TYPE tviews_def.tv_tag_key ALTER ATTRIBUTE grp TYPE varchar;
CREATE ROLE ck_owner;
ALTER TYPE tviews_def.tv_tag_key OWNER TO ck_owner;
GRANT USAGE ON SCHEMA ck TO ck_owner;
GRANT SELECT ON tb_tag TO ck_owner;
ALTER TABLE tv_tag OWNER TO ck_owner;
SELECT typowner::regrole FROM pg_type WHERE oid = 'tviews_def.tv_tag_key'::regtype;
ALTER TABLE tv_tag OWNER TO CURRENT_USER;
-- Renamed, it is found by its new name.
ALTER TYPE tviews_def.tv_tag_key RENAME TO tag_keys;
UPDATE tb_tag SET note = 'renamed type' WHERE pk_tag = 1;
SELECT * FROM pg_tviews_check('tag');
ALTER TYPE tviews_def.tag_keys RENAME TO tv_tag_key;
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview LIKE 'ck.%' AND NOT ok;
DROP TABLE tv_tag;
SELECT count(*) FROM pg_type WHERE typname = 'tv_tag_key';
SELECT pg_tviews_drop('credit_by_book');
SELECT count(*) FROM pg_type WHERE typname = 'tv_credit_by_book_key';

-- 6. Outside attacks, each a test now.
-- More keys than fit an array test (1,000 and over), in both modes.
CREATE TABLE tb_pair (a int, b int, v int, PRIMARY KEY (a, b));
INSERT INTO tb_pair SELECT g, g, 0 FROM generate_series(1, 1200) g;
SELECT pg_tviews_create('pair', 'SELECT a, b, v FROM tb_pair');
UPDATE tb_pair SET v = v + 1;
SELECT pg_tviews_set_mode('pair', 'deferred');
UPDATE tb_pair SET v = v + 1;
SELECT count(*), sum(v) FROM tv_pair;
SELECT * FROM pg_tviews_check('pair');
-- A key column named like an alias the generated SQL uses.
CREATE TABLE tb_u (u int, k int, v int, PRIMARY KEY (u, k));
INSERT INTO tb_u VALUES (1, 1, 1), (1, 2, 2);
SELECT pg_tviews_create('u', 'SELECT u, k, v FROM tb_u');
SELECT pg_tviews_create('u_deferred', 'SELECT u, k, v FROM tb_u', mode => 'deferred');
UPDATE tb_u SET v = v + 1;
SELECT * FROM pg_tviews_check('u');
SELECT * FROM pg_tviews_check('u_deferred');
-- Deferred, the key's columns shown under other names (a self-join).
CREATE TABLE tb_tree (id int PRIMARY KEY, grp int, sub text, parent int, v int);
INSERT INTO tb_tree SELECT g, g % 3, 's' || g % 2, nullif(g / 2, 0), g FROM generate_series(1, 10) g;
SELECT pg_tviews_create('tree', $$
    SELECT a.grp AS g1, a.sub AS s1, count(*) AS n, sum(b.v) AS sv
      FROM tb_tree a LEFT JOIN tb_tree b ON b.id = a.parent GROUP BY a.grp, a.sub $$, mode => 'deferred');
UPDATE tb_tree SET v = v + 1 WHERE id = 3;
UPDATE tb_tree SET grp = 7 WHERE id = 4;
SELECT * FROM pg_tviews_check('tree');
-- A domain key column whose domain gains a constraint NOT VALID: the deferred key is read
-- back as the base type.
CREATE DOMAIN ck.label AS text;
CREATE TABLE tb_lbl (id int PRIMARY KEY, site ck.label, e int, v int);
INSERT INTO tb_lbl VALUES (1, '', 1, 1), (2, 'a', 1, 2);
SELECT pg_tviews_create('lbl', 'SELECT site, e, sum(v) AS v FROM tb_lbl GROUP BY site, e', mode => 'deferred');
ALTER DOMAIN ck.label ADD CONSTRAINT nonempty CHECK (VALUE <> '') NOT VALID;
DELETE FROM tb_lbl WHERE id = 1;
SELECT * FROM pg_tviews_check('lbl');
-- Names near the identifier limit, and a TVIEW named like another's key index.
SELECT pg_tviews_create('lbl_key', 'SELECT id, v FROM tb_lbl');
SELECT pg_tviews_create('abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcde',
                        'SELECT site, e, sum(v) AS v FROM tb_lbl GROUP BY site, e');
-- The key's columns from the tables a link table joins: read from the link table.
SELECT pg_tviews_create('credit_pairs', $$
    SELECT a.pk_author, b.pk_book, w.role
      FROM tb_author a JOIN tb_wrote w ON w.fk_author = a.pk_author
      JOIN tb_book b ON b.pk_book = w.fk_book $$);
SELECT reaches FROM pg_tviews_explain('credit_pairs') WHERE source = '(key)';
UPDATE tb_wrote SET role = 'pair' WHERE fk_book = 3;
DELETE FROM tb_wrote WHERE fk_author = 6;
UPDATE tb_author SET pk_author = 60 WHERE pk_author = 6;
SELECT * FROM pg_tviews_check('credit_pairs');
-- A GROUP BY list that shows one column as pk_*: the list is the key, not that column.
SELECT pg_tviews_create('role_count', $$
    SELECT fk_author AS pk_author, role, count(*) AS n FROM tb_wrote GROUP BY fk_author, role $$);
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'role_count';
-- A DEFERRABLE composite primary key proves no key: the hint says so.
CREATE TABLE tb_later (a int, b int, v int, PRIMARY KEY (a, b) DEFERRABLE);
SELECT pg_tviews_create('later', 'SELECT a, b, v FROM tb_later');
SELECT pg_tviews_create('later', 'SELECT a, b, v FROM tb_later', key => ARRAY['a', 'b']);
SELECT * FROM pg_tviews_check('later');
-- Without a link, columns of two tables are a key drawn from both (tview_22): named, or
-- chosen automatically as the pair proven to identify the rows together.
SELECT pg_tviews_create('pair_named', $$
    SELECT a.pk_author, b.pk_book FROM tb_author a JOIN tb_book b ON a.name < b.title $$,
    key => ARRAY['pk_author', 'pk_book']);
SELECT pg_tviews_create('pair_chosen', $$
    SELECT a.pk_author, b.pk_book FROM tb_author a JOIN tb_book b ON a.name < b.title $$);
SELECT key_columns FROM pg_tview_meta WHERE tview_name = 'pair_chosen';
UPDATE tb_author SET name = name || 'z';
SELECT * FROM pg_tviews_check('pair_named');
SELECT * FROM pg_tviews_check('pair_chosen');
-- A TVIEW over a TVIEW keyed by several columns: the unique index on their composite value
-- proves them unique (NULL counting as one value), so the key is chosen, in any order.
SELECT pg_tviews_create('roles_again', 'SELECT r.role, r.pk_author, r.n * 2 AS n2 FROM tv_role_count r');
SELECT key_columns, key_proven FROM pg_tview_meta WHERE tview_name = 'roles_again';
UPDATE tb_wrote SET role = NULL WHERE fk_author < 3;
UPDATE tb_wrote SET role = 'editor' WHERE fk_author = 2;
SELECT * FROM pg_tviews_check('roles_again');
DROP SCHEMA ck CASCADE;
DROP ROLE ck_owner;
