-- The oracle again, with deferred TVIEWs: the randomized workload of tview_90 with the
-- product documents and the category documents built on them in deferred mode, the others
-- immediate (cascades cross modes both ways). Keys are collected over three statements
-- (pg_tviews_flush() then applies them), through savepoints rolled back before and after
-- a flush, and every TVIEW is checked after each flush.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS rnd CASCADE;
RESET client_min_messages;
\i tests/oracle/random_workload.sql
\i tests/oracle/several_column_keys.sql
SET search_path = rnd, public;

-- Shape 8, here only (checked after every third statement; the golden file tview_23 and the
-- definition fuzzer cover it in immediate mode): a FULL JOIN of two tables, keyed by both
-- sides' keys: products and the suppliers of their category, with the products no supplier
-- serves and the suppliers no product needs as rows of their own.
SELECT pg_tviews_create('prod_or_sup', $$
    SELECT p.pk_prod, s.pk_sup, coalesce(p.name, '-') || ' / ' || coalesce(s.name, '-') AS pair
      FROM tb_prod p FULL JOIN tb_sup s ON s.fk_cat = p.fk_cat $$);

SELECT pg_tviews_set_mode('prod', 'deferred');
SELECT pg_tviews_set_mode('cat_products', 'deferred');
SELECT pg_tviews_set_mode('tagging', 'deferred');
SELECT pg_tviews_set_mode('prod_sup', 'deferred');
SELECT pg_tviews_set_mode('prod_or_sup', 'deferred');
SELECT pg_tviews_set_mode('prod_sup_bag', 'deferred');
SELECT pg_tviews_set_mode('prod_rev_bag', 'deferred');
SELECT pg_tviews_set_mode('cat_rev_vote_bag', 'deferred');
SELECT pg_tviews_set_mode('same_sup_bag', 'deferred');
SELECT tview_name, mode FROM pg_tview_meta
 WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rnd'::regnamespace)
 ORDER BY created_at;

-- 4,000 statements in two seeded runs.
SELECT * FROM random_workload(0.55, 2000, 3);
SELECT * FROM random_workload(0.66, 2000, 3);

-- What the last run left queued was applied at its commit.
SELECT tview_name, (SELECT count(*) FROM pg_tviews_check(tview_name)) AS differing
  FROM pg_tview_meta
 WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rnd'::regnamespace)
 ORDER BY created_at;

RESET search_path;
