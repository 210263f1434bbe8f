-- The latest review of one hot product moved to another.
\set p random(1, 3)
\set q random(1, 3)
UPDATE tb_review SET fk_product = :q
 WHERE pk_review = (SELECT max(pk_review) FROM tb_review WHERE fk_product = :p);
