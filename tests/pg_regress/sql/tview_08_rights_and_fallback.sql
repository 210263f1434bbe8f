-- Maintenance runs with the TVIEW owner's rights; direct writes are refused for everyone.
CREATE SCHEMA rights;
SET search_path = rights, public;
CREATE TABLE tb_note (pk_note int PRIMARY KEY, body text NOT NULL);
INSERT INTO tb_note VALUES (1, 'one');
SELECT pg_tviews_create('note', 'SELECT n.pk_note, jsonb_build_object(''body'', n.body) AS data FROM tb_note n');

CREATE ROLE tviews_writer;
GRANT USAGE ON SCHEMA rights TO tviews_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON tb_note TO tviews_writer;
SET ROLE tviews_writer;
-- The writer may change tb_note but has no right at all on tv_note: maintenance still runs.
INSERT INTO tb_note VALUES (2, 'two');
UPDATE tb_note SET body = 'ONE' WHERE pk_note = 1;
SELECT * FROM tv_note;
-- ... nor write to it.
DELETE FROM tv_note;
RESET ROLE;
SELECT * FROM tv_note ORDER BY 1;
SELECT * FROM pg_tviews_check('note');

-- Reading the TVIEW needs a grant on the TVIEW itself, as for any table.
GRANT SELECT ON tv_note TO tviews_writer;
SET ROLE tviews_writer;
SELECT count(*) FROM tv_note;
RESET ROLE;

-- Only the owner may force a refresh.
SET ROLE tviews_writer;
SELECT pg_tviews_refresh('rights.note');
RESET ROLE;
SELECT pg_tviews_refresh('rights.note');

DROP TABLE tv_note;
REVOKE ALL ON tb_note FROM tviews_writer;
REVOKE ALL ON SCHEMA rights FROM tviews_writer;
DROP ROLE tviews_writer;

-- A source whose rows cannot be traced to keys is accepted with a WARNING and maintained by
-- recomputing every row: here a total over all rows (an uncorrelated subquery).
CREATE TABLE tb_item (pk_item int PRIMARY KEY, price int NOT NULL);
CREATE TABLE tb_fx (pk_fx int PRIMARY KEY, rate int NOT NULL);
INSERT INTO tb_item VALUES (1, 10), (2, 20);
INSERT INTO tb_fx VALUES (1, 2);
SELECT pg_tviews_create('item', $$
    SELECT i.pk_item,
           jsonb_build_object('price', i.price,
                              'converted', i.price * (SELECT max(f.rate) FROM tb_fx f),
                              'share', round(i.price::numeric / (SELECT sum(x.price) FROM tb_item x), 3)) AS data
      FROM tb_item i $$);
UPDATE tb_fx SET rate = 3;
INSERT INTO tb_item VALUES (3, 70);
SELECT * FROM tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('item');

RESET search_path;
