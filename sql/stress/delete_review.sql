-- The oldest review of a hot product deleted.
\set p random(1, 3)
DELETE FROM tb_review WHERE pk_review = (SELECT min(pk_review) FROM tb_review WHERE fk_product = :p);
