-- Two statements in one transaction: a review added to one hot product, then another moved
-- away from a second one (writers hold one document while asking for the next).
\set p random(1, 3)
\set q random(1, 3)
BEGIN;
INSERT INTO tb_review (fk_product, rating) VALUES (:p, 5);
UPDATE tb_review SET fk_product = :p
 WHERE pk_review = (SELECT max(pk_review) FROM tb_review WHERE fk_product = :q AND :q <> :p);
COMMIT;
