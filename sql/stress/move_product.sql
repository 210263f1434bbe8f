-- A hot product moved to another category (both categories' documents change).
\set p random(1, 3)
\set c random(1, 10)
UPDATE tb_product SET fk_category = :c WHERE pk_product = :p;
