-- The oracle under randomized load: seeded, reproducible random DML over every shape, with
-- savepoints rolled back, and pg_tviews_check on every TVIEW after every statement.
-- (pg_regress runs from the repository root.)
\i tests/oracle/random_workload.sql
\i tests/oracle/several_column_keys.sql
SET search_path = rnd, public;

SELECT tview_name, sources FROM pg_tview_meta
 WHERE table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rnd'::regnamespace)
 ORDER BY created_at;

-- 10,000 statements in all, in four seeded runs.
SELECT * FROM random_workload(0.11, 2500);
SELECT * FROM random_workload(0.22, 2500);
SELECT * FROM random_workload(0.33, 2500);
SELECT * FROM random_workload(0.44, 2500);

RESET search_path;
