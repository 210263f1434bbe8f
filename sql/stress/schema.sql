-- The stress test's schema: products in categories with reviews, three TVIEWs (one reading
-- another), and a handful of hot rows every writer fights over.
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS pg_tviews CASCADE;

CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_product (
    pk_product int PRIMARY KEY,
    name text NOT NULL,
    price numeric(10, 2) NOT NULL,
    fk_category int NOT NULL REFERENCES tb_category
);
CREATE TABLE tb_review (
    pk_review bigserial PRIMARY KEY,
    fk_product int NOT NULL REFERENCES tb_product,
    rating int NOT NULL
);
CREATE INDEX ON tb_product (fk_category);
CREATE INDEX ON tb_review (fk_product);

INSERT INTO tb_category SELECT i, 'category ' || i FROM generate_series(1, 10) AS i;
INSERT INTO tb_product
SELECT i, 'product ' || i, 10 + i % 90, 1 + i % 10 FROM generate_series(1, 1000) AS i;
INSERT INTO tb_review (fk_product, rating)
SELECT 1 + i % 1000, 1 + i % 5 FROM generate_series(1, 5000) AS i;

-- One document per product: its category embedded, review statistics and the 5 latest.
CREATE TABLE tv_product AS
SELECT p.pk_product, p.fk_category,
       jsonb_build_object(
           'name', p.name,
           'price', p.price,
           'category', jsonb_build_object('id', c.pk_category, 'name', c.name),
           'reviews', jsonb_build_object(
               'count', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product),
               'average', (SELECT round(avg(r.rating), 2) FROM tb_review r
                            WHERE r.fk_product = p.pk_product),
               'latest', (SELECT coalesce(jsonb_agg(l.rating ORDER BY l.pk_review DESC), '[]')
                            FROM (SELECT r.pk_review, r.rating FROM tb_review r
                                   WHERE r.fk_product = p.pk_product
                                   ORDER BY r.pk_review DESC LIMIT 5) AS l))) AS data
  FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category;

-- One document per category, built on the product documents (a cascade).
CREATE TABLE tv_category AS
SELECT c.pk_category,
       jsonb_build_object(
           'name', c.name,
           'products', (SELECT count(*) FROM tv_product t WHERE t.fk_category = c.pk_category),
           'reviews', (SELECT coalesce(sum((t.data->'reviews'->>'count')::int), 0)
                         FROM tv_product t WHERE t.fk_category = c.pk_category)) AS data
  FROM tb_category c;

-- One document per review with its product's name and category (lookups two hops away).
CREATE TABLE tv_review AS
SELECT r.pk_review,
       jsonb_build_object('rating', r.rating, 'product', p.name, 'category', c.name) AS data
  FROM tb_review r
  JOIN tb_product p ON p.pk_product = r.fk_product
  JOIN tb_category c ON c.pk_category = p.fk_category;
