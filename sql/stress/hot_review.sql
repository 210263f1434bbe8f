-- A review added to one of the three hot products.
\set p random(1, 3)
INSERT INTO tb_review (fk_product, rating) VALUES (:p, random(1, 5));
