-- Deferred mode: a TVIEW maintained once per transaction, at commit, instead of after every
-- statement. Changes are collected as keys, a key changed many times is refreshed once, and
-- savepoints take back what they collected.
CREATE SCHEMA deferred;
SET search_path = deferred, public;
CREATE TABLE tb_author (pk_author int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, fk_author int NOT NULL REFERENCES tb_author,
                      title text NOT NULL);
CREATE TABLE tb_comment (pk_comment int PRIMARY KEY, fk_post int NOT NULL REFERENCES tb_post,
                         body text NOT NULL);
INSERT INTO tb_author VALUES (1, 'ann'), (2, 'bob');
INSERT INTO tb_post VALUES (1, 1, 'hello'), (2, 2, 'world');

SELECT pg_tviews_create('post', $$
    SELECT p.pk_post, p.fk_author,
           jsonb_build_object('title', p.title, 'author', a.name,
                              'comments', coalesce((SELECT jsonb_agg(c.body ORDER BY c.pk_comment)
                                                      FROM tb_comment c WHERE c.fk_post = p.pk_post), '[]')) AS data
      FROM tb_post p JOIN tb_author a ON a.pk_author = p.fk_author $$, mode => 'deferred');
SELECT tview_name, mode FROM pg_tview_meta WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'deferred'::regnamespace);

-- Inside the transaction the TVIEW still shows the last committed state ...
BEGIN;
INSERT INTO tb_comment VALUES (1, 1, 'first!');
UPDATE tb_author SET name = 'Ann' WHERE pk_author = 1;
SELECT pk_post, data FROM tv_post ORDER BY 1;
-- ... until pg_tviews_flush() applies what was collected so far, or COMMIT does.
SELECT pg_tviews_flush();
SELECT pk_post, data FROM tv_post ORDER BY 1;
INSERT INTO tb_comment VALUES (2, 2, 'second');
COMMIT;
SELECT pk_post, data FROM tv_post ORDER BY 1;
SELECT * FROM pg_tviews_check('post');

-- A document changed 100 times in a transaction is written once, at commit. (A trigger
-- on the TVIEW's table counts the writes; users may add their own triggers there.)
CREATE TABLE writes (pk_post int, n int);
CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deferred.writes VALUES (NEW.pk_post, 1);
    RETURN NULL;
END $$;
CREATE TRIGGER count_write AFTER UPDATE ON tv_post FOR EACH ROW EXECUTE FUNCTION count_write();
BEGIN;
DO $$ BEGIN
    FOR i IN 1..100 LOOP
        UPDATE deferred.tb_post SET title = 'draft ' || i WHERE pk_post = 2;
    END LOOP;
END $$;
COMMIT;
SELECT pk_post, sum(n) AS writes FROM writes GROUP BY 1 ORDER BY 1;
SELECT data->>'title' AS title FROM tv_post WHERE pk_post = 2;
DROP TRIGGER count_write ON tv_post;

-- ROLLBACK TO SAVEPOINT takes back the keys collected after the savepoint; a refresh that
-- pg_tviews_flush() wrote inside a rolled-back savepoint is undone and redone at commit.
BEGIN;
UPDATE tb_post SET title = 'kept' WHERE pk_post = 1;
SAVEPOINT a;
UPDATE tb_post SET title = 'dropped' WHERE pk_post = 2;
SELECT pg_tviews_flush();
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;
ROLLBACK TO SAVEPOINT a;
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;
COMMIT;
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;
SELECT * FROM pg_tviews_check('post');

-- An aborted transaction leaves nothing behind, and nothing is carried into the next one.
BEGIN;
INSERT INTO tb_comment VALUES (3, 1, 'never');
ROLLBACK;
BEGIN;
SELECT count(*) AS comments FROM tb_comment;
COMMIT;
SELECT * FROM pg_tviews_check('post');

-- TRUNCATE queues a full recompute.
BEGIN;
TRUNCATE tb_comment;
SELECT count(*) FILTER (WHERE data->'comments' <> '[]') AS posts_with_comments FROM tv_post;
COMMIT;
SELECT count(*) FILTER (WHERE data->'comments' <> '[]') AS posts_with_comments FROM tv_post;

-- Cascades cross modes: an immediate TVIEW on a deferred one follows it at commit.
SELECT pg_tviews_create('author', $$
    SELECT a.pk_author,
           jsonb_build_object('name', a.name,
                              'posts', coalesce((SELECT jsonb_agg(p.data->'title' ORDER BY p.pk_post)
                                                   FROM tv_post p WHERE p.fk_author = a.pk_author), '[]')) AS data
      FROM tb_author a $$);
BEGIN;
UPDATE tb_post SET title = 'moved', fk_author = 1 WHERE pk_post = 2;
SELECT pk_author, data FROM tv_author ORDER BY 1;
COMMIT;
SELECT pk_author, data FROM tv_author ORDER BY 1;
SELECT tview_name, (SELECT count(*) FROM pg_tviews_check(tview_name)) AS differing
  FROM pg_tview_meta WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'deferred'::regnamespace) ORDER BY 1;

-- Switching modes: back to immediate, the next statement maintains again.
SELECT pg_tviews_set_mode('post', 'immediate');
BEGIN;
UPDATE tb_post SET title = 'now' WHERE pk_post = 1;
SELECT data->>'title' AS title FROM tv_post WHERE pk_post = 1;
COMMIT;
SELECT pg_tviews_set_mode('deferred.tv_post', 'DEFERRED');
SELECT tview_name, mode FROM pg_tview_meta WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'deferred'::regnamespace) ORDER BY 1;

-- Bad input.
SELECT pg_tviews_set_mode('post', 'lazy');
SELECT pg_tviews_set_mode('post', NULL);
SELECT pg_tviews_set_mode('nope', 'deferred');
SELECT pg_tviews_create('bad', 'SELECT 1 AS pk_bad', mode => 'sometimes');
CREATE ROLE tviews_stranger;
SET ROLE tviews_stranger;
SELECT pg_tviews_set_mode('deferred.post', 'immediate');
RESET ROLE;
DROP ROLE tviews_stranger;
-- Flushing with nothing queued does nothing.
SELECT pg_tviews_flush();

-- Dropped in the transaction that queued keys for it: nothing to apply at commit.
BEGIN;
UPDATE tb_post SET title = 'gone' WHERE pk_post = 1;
DROP TABLE tv_author;
DROP TABLE tv_post;
COMMIT;
SELECT count(*) AS tviews_left FROM pg_tview_meta WHERE tview_name IN ('post', 'author')
   AND definition LIKE '%deferred.tb\_%';

-- Changes of lookups are captured as text at the statement and read back at commit; DDL in
-- between can change how that text reads (an enum value renamed, tables renamed into each
-- other's names, a function overloaded): their TVIEWs are then recomputed whole at commit.
-- (Found by an outside attack: the commit failed, or refreshed the other table's rows.)
CREATE TYPE deferred.mood AS ENUM ('sad', 'happy');
CREATE TABLE tb_mood (m deferred.mood PRIMARY KEY, label text);
CREATE TABLE tb_feel (pk_feel int PRIMARY KEY, m deferred.mood);
INSERT INTO tb_mood VALUES ('sad', 'S'), ('happy', 'H');
INSERT INTO tb_feel VALUES (1, 'sad'), (2, 'happy');
SELECT pg_tviews_create('feel', $$
    SELECT f.pk_feel, x.label FROM tb_feel f JOIN tb_mood x ON x.m = f.m $$, mode => 'deferred');
BEGIN;
UPDATE tb_mood SET label = 'H2' WHERE m = 'happy';
ALTER TYPE deferred.mood RENAME VALUE 'happy' TO 'glad';
COMMIT;
SELECT * FROM tv_feel ORDER BY 1;
SELECT * FROM pg_tviews_check('feel');
CREATE TABLE foo (); CREATE TABLE bar ();
CREATE TABLE tb_rel (rel regclass PRIMARY KEY, label text);
CREATE TABLE tb_use_rel (pk_use int PRIMARY KEY, rel regclass);
INSERT INTO tb_rel VALUES ('foo', 'F'), ('bar', 'B');
INSERT INTO tb_use_rel VALUES (1, 'foo'), (2, 'bar');
SELECT pg_tviews_create('use_rel', $$
    SELECT u.pk_use, r.label FROM tb_use_rel u JOIN tb_rel r ON r.rel = u.rel $$, mode => 'deferred');
BEGIN;
UPDATE tb_rel SET label = 'F2' WHERE rel = 'foo'::regclass;
ALTER TABLE foo RENAME TO tmp;
ALTER TABLE bar RENAME TO foo;
ALTER TABLE tmp RENAME TO bar;
COMMIT;
SELECT pk_use, label FROM tv_use_rel ORDER BY 1;
SELECT * FROM pg_tviews_check('use_rel');
CREATE FUNCTION deferred.myf(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
CREATE TABLE tb_fn (f regproc PRIMARY KEY, label text);
CREATE TABLE tb_fn_use (pk_use int PRIMARY KEY, f regproc);
INSERT INTO tb_fn VALUES ('deferred.myf', 'M');
INSERT INTO tb_fn_use VALUES (1, 'deferred.myf');
SELECT pg_tviews_create('fn_use', $$
    SELECT u.pk_use, n.label FROM tb_fn_use u JOIN tb_fn n ON n.f = u.f $$, mode => 'deferred');
BEGIN;
UPDATE tb_fn SET label = 'M2';
CREATE FUNCTION deferred.myf(text) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 2';
COMMIT;
SELECT * FROM pg_tviews_check('fn_use');

DROP SCHEMA deferred CASCADE;
RESET search_path;
