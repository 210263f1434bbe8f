-- ALTER TABLE that writes a source's rows anew with other values and fires no trigger: the
-- TVIEWs reading it are recomputed. ALTER COLUMN ... SET EXPRESSION (PostgreSQL 17 on;
-- tview_32_source_rewrites_1.out is the same file on 16, where the statement does not
-- exist) recomputes a stored generated column.
CREATE SCHEMA sr;
CREATE TABLE sr.tb_gen (pk_gen int PRIMARY KEY, n int NOT NULL, g int GENERATED ALWAYS AS (n * 2) STORED);
INSERT INTO sr.tb_gen (pk_gen, n) VALUES (1, 1), (2, 2);
SELECT pg_tviews_create('sr.gen', $$ SELECT t.pk_gen, jsonb_build_object('g', t.g) AS data FROM sr.tb_gen t $$);
SELECT pg_tviews_create('sr.gen_deferred', $$ SELECT t.pk_gen, t.g FROM sr.tb_gen t $$, mode => 'deferred');
ALTER TABLE sr.tb_gen ALTER COLUMN g SET EXPRESSION AS (n * 3);
SELECT pk_gen, data FROM sr.tv_gen ORDER BY 1;
SELECT pk_gen, g FROM sr.tv_gen_deferred ORDER BY 1;
SELECT * FROM pg_tviews_check('sr.gen') UNION ALL SELECT * FROM pg_tviews_check('sr.gen_deferred');
DROP SCHEMA sr CASCADE;
