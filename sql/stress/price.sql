-- One product's price, anywhere in the catalogue.
\set p random(1, 1000)
UPDATE tb_product SET price = 10 + random(0, 8999) / 100.0 WHERE pk_product = :p;
