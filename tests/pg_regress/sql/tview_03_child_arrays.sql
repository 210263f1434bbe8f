-- Shape 3: child arrays from correlated subqueries, grandchildren, ORDER BY and LIMIT inside,
-- and aggregates over children.
CREATE SCHEMA shape3;
SET search_path = shape3, public;

CREATE TABLE tb_product (pk_product int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_review  (pk_review int PRIMARY KEY,
                         fk_product int NOT NULL REFERENCES tb_product ON DELETE CASCADE,
                         rating int NOT NULL, body text, created_at int NOT NULL);
CREATE TABLE tb_vote    (pk_vote int PRIMARY KEY,
                         fk_review int NOT NULL REFERENCES tb_review ON DELETE CASCADE,
                         up boolean NOT NULL);

INSERT INTO tb_product VALUES (1, 'lamp'), (2, 'desk'), (3, 'chair');
INSERT INTO tb_review VALUES
    (10, 1, 5, 'great', 1), (11, 1, 3, 'ok', 2), (12, 1, 4, 'nice', 3),
    (13, 2, 1, 'bad', 4);
INSERT INTO tb_vote VALUES (100, 10, true), (101, 10, false), (102, 13, true);

SELECT pg_tviews_create('product', $$
    SELECT p.pk_product,
           jsonb_build_object(
               'name', p.name,
               'reviews', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'rating', r.rating,
                              'votes', coalesce((SELECT jsonb_agg(v.up ORDER BY v.pk_vote)
                                                   FROM tb_vote v WHERE v.fk_review = r.pk_review), '[]'))
                          ORDER BY r.created_at DESC, r.pk_review)
                     FROM tb_review r WHERE r.fk_product = p.pk_product), '[]'),
               'latest', coalesce((
                   SELECT jsonb_agg(l.body ORDER BY l.created_at DESC)
                     FROM (SELECT r2.body, r2.created_at FROM tb_review r2
                            WHERE r2.fk_product = p.pk_product
                            ORDER BY r2.created_at DESC LIMIT 2) l), '[]'),
               'stats', (SELECT jsonb_build_object('count', count(*), 'avg', round(avg(r3.rating), 2),
                                                   'sum', sum(r3.rating), 'min', min(r3.rating),
                                                   'max', max(r3.rating))
                           FROM tb_review r3 WHERE r3.fk_product = p.pk_product)) AS data
      FROM tb_product p
$$);

SELECT pk_product, data FROM tv_product ORDER BY 1;

-- A new review enters the array, the latest two and the stats.
INSERT INTO tb_review VALUES (14, 1, 2, 'meh', 5);
-- A grandchild changes: only its product's document.
INSERT INTO tb_vote VALUES (103, 11, true);
UPDATE tb_vote SET up = true WHERE pk_vote = 101;
-- A review moves to another product: both documents change.
UPDATE tb_review SET fk_product = 3 WHERE pk_review = 10;
-- A review is deleted, and its votes with it (ON DELETE CASCADE).
DELETE FROM tb_review WHERE pk_review = 13;
SELECT pk_product, data FROM tv_product ORDER BY 1;
SELECT * FROM pg_tviews_check('product');

-- Multi-row statements.
UPDATE tb_review SET rating = rating + 1, created_at = created_at + 10;
DELETE FROM tb_vote WHERE up;
SELECT * FROM pg_tviews_check('product');

-- Deleting a product removes its row; TRUNCATE of a child recomputes what it must.
DELETE FROM tb_product WHERE pk_product = 2;
TRUNCATE tb_vote;
SELECT pk_product, data->'stats' AS stats FROM tv_product ORDER BY 1;
SELECT * FROM pg_tviews_check('product');

RESET search_path;
