-- Shape 6: WHERE conditions on joined tables, so rows enter and leave when a lookup changes;
-- and every kind of source change (shape 7).
CREATE SCHEMA shape6;
SET search_path = shape6, public;

CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL, active boolean NOT NULL);
CREATE TABLE tb_item     (pk_item int PRIMARY KEY, name text NOT NULL,
                          fk_category int NOT NULL REFERENCES tb_category ON UPDATE CASCADE);
INSERT INTO tb_category VALUES (1, 'tools', true), (2, 'toys', false), (3, 'food', true);
INSERT INTO tb_item VALUES (10, 'hammer', 1), (11, 'ball', 2), (12, 'apple', 3), (13, 'saw', 1);

SELECT pg_tviews_create('item', $$
    SELECT i.pk_item, jsonb_build_object('name', i.name, 'category', c.name) AS data
      FROM tb_item i JOIN tb_category c ON c.pk_category = i.fk_category
     WHERE c.active
$$);
SELECT pk_item, data FROM tv_item ORDER BY 1;

-- A category is switched off: its items leave; another is switched on: its items enter.
UPDATE tb_category SET active = NOT active WHERE pk_category IN (1, 2);
SELECT pk_item, data FROM tv_item ORDER BY 1;

-- The referenced key changes and cascades to the items (ON UPDATE CASCADE).
UPDATE tb_category SET pk_category = 20 WHERE pk_category = 2;
SELECT * FROM pg_tviews_check('item');

-- INSERT ... ON CONFLICT DO UPDATE and DO NOTHING.
INSERT INTO tb_item VALUES (12, 'pear', 3), (14, 'kite', 20)
    ON CONFLICT (pk_item) DO UPDATE SET name = excluded.name;
INSERT INTO tb_item VALUES (14, 'ignored', 3) ON CONFLICT DO NOTHING;
SELECT pk_item, data FROM tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('item');

-- A data-modifying CTE writing two sources at once.
WITH c AS (INSERT INTO tb_category VALUES (4, 'books', true) RETURNING pk_category),
     m AS (UPDATE tb_item SET fk_category = 4 WHERE pk_item = 13 RETURNING pk_item)
INSERT INTO tb_item SELECT 15, 'novel', pk_category FROM c;
SELECT pk_item, data FROM tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('item');

-- Moving an item and renaming both categories in one CTE.
WITH a AS (UPDATE tb_item SET fk_category = 3 WHERE pk_item = 15),
     b AS (UPDATE tb_category SET name = upper(name) WHERE pk_category IN (3, 4))
UPDATE tb_category SET active = false WHERE pk_category = 3;
SELECT * FROM pg_tviews_check('item');

-- MERGE into a source.
MERGE INTO tb_item t
USING (VALUES (10, 'mallet', 1), (16, 'drill', 4)) AS s(pk, name, cat) ON t.pk_item = s.pk
WHEN MATCHED THEN UPDATE SET name = s.name
WHEN NOT MATCHED THEN INSERT VALUES (s.pk, s.name, s.cat);
SELECT pk_item, data FROM tv_item ORDER BY 1;
SELECT * FROM pg_tviews_check('item');

RESET search_path;
