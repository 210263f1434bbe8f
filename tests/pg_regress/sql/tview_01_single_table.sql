-- Shape 1: one table projected into a document, with a WHERE filter.
CREATE SCHEMA shape1;
SET search_path = shape1, public;

CREATE TABLE tb_post (
    pk_post   bigint PRIMARY KEY,
    title     text NOT NULL,
    body      text,
    published boolean NOT NULL DEFAULT false
);
INSERT INTO tb_post VALUES (1, 'Hello', 'first', true), (2, 'Draft', 'wip', false), (3, 'News', NULL, true);

-- Create the TVIEW: the table tv_post holds one document per published post.
SELECT pg_tviews_create('post', $$
    SELECT p.pk_post,
           jsonb_build_object('id', p.pk_post, 'title', p.title, 'body', p.body) AS data
      FROM tb_post p
     WHERE p.published
$$);

SELECT * FROM tv_post ORDER BY pk_post;

-- The catalog knows it, with the key chosen from the pk_* column.
SELECT tview_name, table_name, key_column, sources, mode FROM pg_tview_meta ORDER BY 1;

-- Every change to the source is applied at the end of the statement.
INSERT INTO tb_post VALUES (4, 'Later', 'x', true);
UPDATE tb_post SET title = 'Hello, world' WHERE pk_post = 1;
UPDATE tb_post SET published = true WHERE pk_post = 2;   -- enters the TVIEW
UPDATE tb_post SET published = false WHERE pk_post = 3;  -- leaves it
DELETE FROM tb_post WHERE pk_post = 4;                  -- disappears
SELECT * FROM tv_post ORDER BY pk_post;

-- Changing the key moves the row.
UPDATE tb_post SET pk_post = 10 WHERE pk_post = 1;
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY pk_post;

-- The oracle: no differing keys.
SELECT * FROM pg_tviews_check('post');

-- A transaction reads its own writes; a rolled-back savepoint leaves nothing behind.
BEGIN;
INSERT INTO tb_post VALUES (5, 'In tx', NULL, true);
SELECT count(*) FROM tv_post WHERE pk_post = 5;
SAVEPOINT s;
DELETE FROM tb_post;
SELECT count(*) AS after_delete FROM tv_post;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS after_rollback_to FROM tv_post;
ROLLBACK;
SELECT pk_post FROM tv_post ORDER BY 1;
SELECT * FROM pg_tviews_check('tv_post');

-- TRUNCATE of the source empties the TVIEW.
BEGIN;
TRUNCATE tb_post;
SELECT count(*) FROM tv_post;
ROLLBACK;

-- Direct writes to the TVIEW's table are refused.
INSERT INTO tv_post VALUES (99, '{}');
UPDATE tv_post SET data = '{}';
DELETE FROM tv_post;
TRUNCATE tv_post;

-- Indexes users add survive maintenance.
CREATE INDEX tv_post_title ON tv_post ((data->>'title'));
UPDATE tb_post SET title = 'Indexed' WHERE pk_post = 2;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'tv_post'::regclass ORDER BY 1;
SELECT * FROM pg_tviews_check('post');

-- Dropping the TVIEW removes the table, the catalog row and the triggers.
SELECT pg_tviews_drop('post');
SELECT count(*) FROM pg_tview_meta;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'tb_post'::regclass ORDER BY 1;
SELECT pg_tviews_drop('post');
SELECT pg_tviews_drop('post', if_exists => true);

-- CREATE TABLE tv_x AS SELECT creates the same TVIEW.
CREATE TABLE tv_post AS
SELECT p.pk_post, jsonb_build_object('id', p.pk_post, 'title', p.title) AS data
  FROM tb_post p WHERE p.published;
SELECT tview_name, key_column FROM pg_tview_meta;
UPDATE tb_post SET title = 'Via CTAS' WHERE pk_post = 10;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM pg_tviews_check('post');
DROP TABLE tv_post;
SELECT count(*) FROM pg_tview_meta;
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tb_post'::regclass;

RESET search_path;

-- With pg_tviews.create_table_as off, CREATE TABLE tv_x AS makes a plain table.
SET pg_tviews.create_table_as = off;
CREATE TABLE tv_plain AS SELECT 1 AS x;
SELECT count(*) FROM pg_tview_meta;
DROP TABLE tv_plain;
RESET pg_tviews.create_table_as;
SET pg_tviews.no_such_setting = 1;
