-- Looking inside: pg_tviews_explain tells how each source's changes become refreshed keys;
-- pg_tviews_health_check verifies what maintenance relies on.
CREATE SCHEMA monitor;
SET search_path = monitor, public;
CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, fk_category int REFERENCES tb_category,
                         name text NOT NULL);
CREATE TABLE tb_review (pk_review int PRIMARY KEY, fk_product int REFERENCES tb_product,
                        rating int NOT NULL);
SELECT pg_tviews_create('product', $$
    SELECT p.pk_product,
           jsonb_build_object('name', p.name, 'category', c.name,
                              'ratings', (SELECT jsonb_agg(r.rating ORDER BY r.pk_review)
                                            FROM tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM tb_product p LEFT JOIN tb_category c ON c.pk_category = p.fk_category $$);
SELECT pg_tviews_create('top', $$
    SELECT p.pk_product, p.name FROM tb_product p
     WHERE p.pk_product IN (SELECT r.fk_product FROM tb_review r ORDER BY r.rating DESC LIMIT 3) $$,
    mode => 'deferred');

\x on
SELECT * FROM pg_tviews_explain('product') WHERE source <> '(every source)' ORDER BY source;
\x off
SELECT source, reaches, maintenance FROM pg_tviews_explain('monitor.tv_top') WHERE source <> '(every source)' ORDER BY source;
SELECT pg_tviews_set_mode('product', 'deferred');
SELECT source, maintenance FROM pg_tviews_explain('product') WHERE source <> '(every source)' ORDER BY source;

-- Everything in place.
SELECT check_name, ok, detail FROM pg_tviews_health_check() WHERE tview = 'monitor.tv_product' ORDER BY 1;
SELECT bool_and(ok) AS all_ok FROM pg_tviews_health_check() WHERE tview LIKE 'monitor.%';

-- A disabled source trigger and a dropped guard trigger are reported.
ALTER TABLE tb_review DISABLE TRIGGER pgtv_update;
DROP TRIGGER pgtv_guard ON tv_product;
SELECT tview, check_name, ok, regexp_replace(detail, '\(\d{4}-[^)]* UTC, transaction \d+\)', '(time)') AS detail
  FROM pg_tviews_health_check() WHERE NOT ok AND tview LIKE 'monitor.%' ORDER BY 1, 2;
ALTER TABLE tb_review ENABLE TRIGGER pgtv_update;

SELECT pg_tviews_explain('nope');
SELECT pg_tviews_explain(NULL);

-- Maintenance statistics: what ran, how many documents were recomputed and written.
SELECT pg_tviews_set_mode('product', 'immediate');
INSERT INTO tb_category VALUES (1, 'tools');
INSERT INTO tb_product VALUES (1, 1, 'hammer'), (2, 1, 'saw'), (3, NULL, 'glue');
SELECT pg_tviews_stats_reset();
SELECT tview, runs, keys_recomputed, rows_written, last_run FROM pg_tviews_stats
 WHERE tview::text LIKE 'tv_%' ORDER BY 1;
UPDATE tb_product SET name = name WHERE pk_product = 1;       -- nothing changed: no work
UPDATE tb_product SET name = name || '!' WHERE pk_product <= 2;  -- patched in place
BEGIN;
INSERT INTO tb_review (pk_review, fk_product, rating) VALUES (100, 1, 5), (101, 1, 4), (102, 2, 1);
DELETE FROM tb_review WHERE pk_review = 100;
COMMIT;                                                        -- tv_top (deferred) applies once
SELECT pg_tviews_refresh('product');
SELECT tview, mode, runs, keys_recomputed, full_recomputes, rows_written, rows_patched,
       total_time_ms > 0 AS timed, last_run IS NOT NULL AS ran
  FROM pg_tviews_stats WHERE tview::text LIKE 'tv_%' ORDER BY 1;
SELECT pg_tviews_stats_reset();
SELECT count(*) AS counted FROM pg_tviews_stats WHERE runs > 0 AND tview::text LIKE 'tv_%';
-- Resetting is for superusers unless granted.
CREATE ROLE tviews_monitor;
SET ROLE tviews_monitor;
SELECT count(*) >= 0 AS readable FROM pg_tviews_stats;
SELECT pg_tviews_stats_reset();
RESET ROLE;
DROP ROLE tviews_monitor;

DROP SCHEMA monitor CASCADE;
RESET search_path;
