-- Shape 5: TVIEWs embedding other TVIEWs' documents, six levels deep.
CREATE SCHEMA shape5;
SET search_path = shape5, public;

CREATE TABLE tb_org      (pk_org int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_team     (pk_team int PRIMARY KEY, fk_org int NOT NULL REFERENCES tb_org, name text NOT NULL);
CREATE TABLE tb_member   (pk_member int PRIMARY KEY, fk_team int NOT NULL REFERENCES tb_team, name text NOT NULL);
CREATE TABLE tb_task     (pk_task int PRIMARY KEY, fk_member int NOT NULL REFERENCES tb_member, name text NOT NULL);
CREATE TABLE tb_comment  (pk_comment int PRIMARY KEY, fk_task int NOT NULL REFERENCES tb_task, body text NOT NULL);
CREATE TABLE tb_reaction (pk_reaction int PRIMARY KEY, fk_comment int NOT NULL REFERENCES tb_comment, emoji text NOT NULL);

INSERT INTO tb_org VALUES (1, 'org-a'), (2, 'org-b');
INSERT INTO tb_team VALUES (10, 1, 'team-a1'), (11, 2, 'team-b1');
INSERT INTO tb_member VALUES (100, 10, 'ann'), (101, 11, 'bob');
INSERT INTO tb_task VALUES (1000, 100, 'write'), (1001, 101, 'review');
INSERT INTO tb_comment VALUES (10000, 1000, 'first'), (10001, 1001, 'second');
INSERT INTO tb_reaction VALUES (100000, 10000, '+1'), (100001, 10001, 'heart');

SELECT pg_tviews_create('org', $$
    SELECT o.pk_org, jsonb_build_object('name', o.name) AS data FROM tb_org o $$);
SELECT pg_tviews_create('team', $$
    SELECT t.pk_team, jsonb_build_object('name', t.name, 'org', o.data) AS data
      FROM tb_team t JOIN tv_org o ON o.pk_org = t.fk_org $$);
SELECT pg_tviews_create('member', $$
    SELECT m.pk_member, jsonb_build_object('name', m.name, 'team', t.data) AS data
      FROM tb_member m JOIN tv_team t ON t.pk_team = m.fk_team $$);
SELECT pg_tviews_create('task', $$
    SELECT k.pk_task, jsonb_build_object('name', k.name, 'member', m.data) AS data
      FROM tb_task k JOIN tv_member m ON m.pk_member = k.fk_member $$);
SELECT pg_tviews_create('comment', $$
    SELECT c.pk_comment, jsonb_build_object('body', c.body, 'task', k.data) AS data
      FROM tb_comment c JOIN tv_task k ON k.pk_task = c.fk_task $$);
SELECT pg_tviews_create('reaction', $$
    SELECT r.pk_reaction, jsonb_build_object('emoji', r.emoji, 'comment', c.data) AS data
      FROM tb_reaction r JOIN tv_comment c ON c.pk_comment = r.fk_comment $$);

SELECT data FROM tv_reaction WHERE pk_reaction = 100000;

-- Renaming the organisation reaches the sixth level within the statement.
UPDATE tb_org SET name = 'org-a renamed' WHERE pk_org = 1;
SELECT data #>> '{comment,task,member,team,org,name}' AS org_name FROM tv_reaction ORDER BY pk_reaction;

-- Moving a team to another organisation, deleting a reaction, moving a task.
UPDATE tb_team SET fk_org = 2 WHERE pk_team = 10;
DELETE FROM tb_reaction WHERE pk_reaction = 100001;
UPDATE tb_task SET fk_member = 100 WHERE pk_task = 1001;
SELECT tview_name, (SELECT count(*) FROM pg_tviews_check(tview_name)) AS differing
  FROM pg_tview_meta WHERE table_name::text LIKE 'shape5.%' OR table_name::regclass::oid IN
       (SELECT oid FROM pg_class WHERE relnamespace = 'shape5'::regnamespace)
 ORDER BY created_at, tview_name;

-- Dropping a TVIEW another one reads is refused, as for views; CASCADE drops the readers.
DROP TABLE tv_comment;
SELECT pg_tviews_drop('comment');
DROP TABLE tv_comment CASCADE;
SELECT tview_name FROM pg_tview_meta
 WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'shape5'::regnamespace)
 ORDER BY 1;

RESET search_path;
