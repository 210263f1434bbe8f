-- The demo the README's first command runs against a throwaway PostgreSQL 17 cluster.
\pset footer off
\echo '--- installed extensions'
CREATE EXTENSION jsonb_ivm;
CREATE EXTENSION pg_tviews;
SELECT extname, extversion FROM pg_extension WHERE extname IN ('jsonb_ivm', 'pg_tviews') ORDER BY 1;

\echo '--- jsonb_ivm: patch a document without rebuilding it (numbers kept exactly)'
SELECT jsonb_merge_shallow('{"id": 1, "name": "Widget", "price": 10.50}',
                           '{"name": "Widget Pro", "stock": 3}') AS patched;
SELECT jsonb_extract_id('{"id": "c0ffee", "name": "x"}') AS id;

\echo '--- pg_tviews: the TVIEW catalog (empty until TVIEWs are created)'
SELECT count(*) AS tviews FROM pg_tview_meta;
