-- The verdict: every TVIEW compared with its definition.
\set ON_ERROR_STOP 1
SELECT t AS tview, (SELECT count(*) FROM pg_tviews_check(t)) AS differing_keys,
       (SELECT count(*) FROM pg_tviews_check(t)) = 0 AS exact
  FROM unnest(ARRAY['product', 'category', 'review']) AS t;
SELECT data FROM tv_product WHERE pk_product <= 3 ORDER BY pk_product;
