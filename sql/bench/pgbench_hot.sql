-- pgbench: reviews inserted on three hot products (every writer collides on the same documents).
\set p random(1, 3)
INSERT INTO tviews_bench.tb_review VALUES (nextval('tviews_bench.review_seq'), :p, 5, 'hot review', clock_timestamp());
