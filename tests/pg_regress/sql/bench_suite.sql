-- The benchmark suite's own correctness at a tiny scale: it installs every approach, its
-- exactness check finds a wrong read model, and its report has the verdicts.
\set QUIET on
\i sql/bench/catalogue.sql
\set QUIET off
SET client_min_messages = warning;
CALL tviews_bench.setup('tiny');
SELECT name, value FROM tviews_bench.settings ORDER BY 1;

-- Every approach reproduces the definition right after installation.
CALL tviews_bench.install('pg_tviews');
SELECT tviews_bench.differing_rows('pg_tviews') AS pg_tviews_differing;
CALL tviews_bench.uninstall('pg_tviews');
CALL tviews_bench.install('manual');
SELECT tviews_bench.differing_rows('manual') AS manual_differing;
-- The check is not a formality: a corrupted document is found.
UPDATE tviews_bench.manual_product SET data = data || '{"name": "corrupted"}' WHERE pk_product = 7;
SELECT tviews_bench.differing_rows('manual') AS after_corruption;
CALL tviews_bench.uninstall('manual');
CALL tviews_bench.install('matview');
SELECT tviews_bench.differing_rows('matview') AS matview_differing;
CALL tviews_bench.uninstall('matview');
SELECT tviews_bench.differing_rows('bare') IS NULL AS bare_has_no_read_model;
SELECT tviews_bench.approach_available('pg_ivm') AS pg_ivm_here;

-- A short run: every scenario on three approaches (pg_tviews in both modes), each iteration committed.
CALL tviews_bench.run(NULL, '{bare,pg_tviews,pg_tviews_deferred,manual}', 2);
SELECT scenario, approach, iterations, verdict FROM tviews_bench.report
 ORDER BY scenario_position, approach_position;
RESET client_min_messages;

-- The report and the chart render from the results.
SELECT left(tviews_bench.chart_svg(), 57) AS chart_start,
       tviews_bench.chart_svg() LIKE '%</svg>%' AS chart_complete,
       position('| a category renamed (about 1% of products) |' IN tviews_bench.report_markdown('# test')) > 0 AS report_has_rows;
