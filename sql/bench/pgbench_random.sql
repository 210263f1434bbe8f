-- pgbench: one product's price, on products drawn uniformly (writers rarely collide).
\set p random(1, :products)
UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = :p;
