-- A category renamed while its products are being written.
\set c random(1, 3)
UPDATE tb_category SET name = 'category ' || :c || ' v' || random(1, 1000000) WHERE pk_category = :c;
