-- The demo the README's first command runs against a throwaway PostgreSQL 17 cluster.
\pset footer off
\echo '--- installed extensions'
CREATE EXTENSION jsonb_ivm;
CREATE EXTENSION pg_tviews;
SELECT extname, extversion FROM pg_extension WHERE extname IN ('jsonb_ivm', 'pg_tviews') ORDER BY 1;

\echo '--- source tables'
CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, title text NOT NULL,
                      fk_author int NOT NULL REFERENCES tb_user);
CREATE TABLE tb_comment (pk_comment int PRIMARY KEY, body text NOT NULL,
                         fk_post int NOT NULL REFERENCES tb_post ON DELETE CASCADE);
INSERT INTO tb_user VALUES (1, 'ann'), (2, 'bob');
INSERT INTO tb_post VALUES (10, 'Hello', 1), (11, 'Second post', 2);
INSERT INTO tb_comment VALUES (100, 'First!', 10);

\echo '--- a TVIEW: one JSONB document per post, with its author and comments'
CREATE TABLE tv_post AS
SELECT p.pk_post,
       jsonb_build_object(
           'title', p.title,
           'author', jsonb_build_object('name', u.name),
           'comments', coalesce((SELECT jsonb_agg(c.body ORDER BY c.pk_comment)
                                   FROM tb_comment c WHERE c.fk_post = p.pk_post), '[]')) AS data
  FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_author;
SELECT * FROM tv_post ORDER BY pk_post;

\echo '--- writes to the sources update the documents in the same statement'
UPDATE tb_user SET name = 'Ann Smith' WHERE pk_user = 1;
INSERT INTO tb_comment VALUES (101, 'Nice one', 10), (102, 'Welcome', 11);
DELETE FROM tb_post WHERE pk_post = 11;
SELECT * FROM tv_post ORDER BY pk_post;

\echo '--- the oracle: keys where the table differs from its definition (none)'
SELECT count(*) AS differing_keys FROM pg_tviews_check('post');

\echo '--- jsonb_ivm: patch a document without rebuilding it (numbers kept exactly)'
SELECT jsonb_merge_shallow('{"id": 1, "name": "Widget", "price": 10.50}',
                           '{"name": "Widget Pro", "stock": 3}') AS patched;
