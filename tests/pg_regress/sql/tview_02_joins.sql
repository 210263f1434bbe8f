-- Shape 2: the root joined, inner and left, to lookups over chains of several hops,
-- directly and through a helper view.
CREATE SCHEMA shape2;
SET search_path = shape2, public;

CREATE TABLE tb_country (pk_country int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_company (pk_company int PRIMARY KEY, name text NOT NULL,
                         fk_country int REFERENCES tb_country);
CREATE TABLE tb_user    (pk_user int PRIMARY KEY, name text NOT NULL,
                         fk_company int NOT NULL REFERENCES tb_company);
CREATE TABLE tb_post    (pk_post int PRIMARY KEY, title text NOT NULL,
                         fk_author int NOT NULL REFERENCES tb_user,
                         fk_editor int REFERENCES tb_user);

INSERT INTO tb_country VALUES (1, 'France'), (2, 'Japan');
INSERT INTO tb_company VALUES (10, 'Acme', 1), (11, 'Globex', 2), (12, 'Nowhere Inc', NULL);
INSERT INTO tb_user VALUES (100, 'ann', 10), (101, 'bob', 11), (102, 'cid', 12);
INSERT INTO tb_post VALUES (1000, 'one', 100, 101), (1001, 'two', 101, NULL), (1002, 'three', 102, 100);

-- A helper view: the author with company and country (a left join: countries are optional).
CREATE VIEW v_author AS
SELECT u.pk_user, u.name, c.name AS company, co.name AS country
  FROM tb_user u
  JOIN tb_company c ON c.pk_company = u.fk_company
  LEFT JOIN tb_country co ON co.pk_country = c.fk_country;

SELECT pg_tviews_create('post', $$
    SELECT p.pk_post,
           jsonb_build_object(
               'title',  p.title,
               'author', jsonb_build_object('name', a.name, 'company', a.company, 'country', a.country),
               'editor', e.name) AS data
      FROM tb_post p
      JOIN v_author a ON a.pk_user = p.fk_author
      LEFT JOIN tb_user e ON e.pk_user = p.fk_editor
$$);

-- The helper view is followed to its tables.
SELECT sources FROM pg_tview_meta WHERE tview_name = 'post';

SELECT pk_post, data FROM tv_post ORDER BY 1;

-- Three hops away: renaming a country reaches the posts of its companies' users.
UPDATE tb_country SET name = 'République française' WHERE pk_country = 1;
-- Two hops: a company moves to another country.
UPDATE tb_company SET fk_country = 2 WHERE pk_company = 12;
-- One hop, two roles: bob is an author and an editor.
UPDATE tb_user SET name = 'robert' WHERE pk_user = 101;
-- The nullable side: an editor is removed, then a post gets one.
UPDATE tb_post SET fk_editor = NULL WHERE pk_post = 1000;
UPDATE tb_post SET fk_editor = 102 WHERE pk_post = 1001;
SELECT pk_post, data FROM tv_post ORDER BY 1;
SELECT * FROM pg_tviews_check('post');

-- Deleting a country through the left join: the country becomes null, the post stays.
UPDATE tb_company SET fk_country = NULL WHERE fk_country = 2;
DELETE FROM tb_country WHERE pk_country = 2;
SELECT pk_post, data->'author' AS author FROM tv_post ORDER BY 1;
SELECT * FROM pg_tviews_check('post');

-- A source column the TVIEW reads cannot be dropped or retyped, as for a view.
ALTER TABLE tb_country DROP COLUMN name;
ALTER TABLE tb_user ALTER COLUMN name TYPE varchar(10);
-- Columns it does not read can.
ALTER TABLE tb_user ADD COLUMN email text;
UPDATE tb_user SET email = 'ann@example.com' WHERE pk_user = 100;
ALTER TABLE tb_user DROP COLUMN email;
SELECT * FROM pg_tviews_check('post');

-- Renaming a source keeps the TVIEW working.
ALTER TABLE tb_company RENAME TO tb_firm;
UPDATE tb_firm SET name = 'Acme Corp' WHERE pk_company = 10;
SELECT data->'author'->>'company' AS company FROM tv_post WHERE pk_post = 1000;
SELECT * FROM pg_tviews_check('post');

RESET search_path;

-- CREATE TABLE AS with joins and a subquery creates the same kind of TVIEW.
SET search_path = shape2, public;
CREATE TABLE tv_user_posts AS
SELECT u.pk_user,
       jsonb_build_object('name', u.name, 'company', c.name,
                          'posts', (SELECT count(*) FROM tb_post p WHERE p.fk_author = u.pk_user)) AS data
  FROM tb_user u JOIN tb_firm c ON c.pk_company = u.fk_company;
UPDATE tb_post SET fk_author = 100 WHERE pk_post = 1001;
SELECT pk_user, data FROM tv_user_posts ORDER BY 1;
SELECT * FROM pg_tviews_check('user_posts');
-- A column list cannot rename a TVIEW's columns.
CREATE TABLE tv_renamed (a, b) AS SELECT pk_user, name FROM tb_user;
RESET search_path;
