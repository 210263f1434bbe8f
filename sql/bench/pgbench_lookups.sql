-- pgbench: as pgbench_random.sql (one product's price, products drawn uniformly), but one
-- transaction in ten changes a supplier's email instead: a lookup change reaching the ~20
-- documents of that supplier's products, while the other writers change prices.
\set pick random(1, 10)
\set p random(1, :products)
\set s random(1, greatest(:products / 20, 1))
\if :pick = 1
UPDATE tviews_bench.tb_supplier SET email = 'x' || :p || '@example.com' WHERE pk_supplier = :s;
\else
UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = :p;
\endif
