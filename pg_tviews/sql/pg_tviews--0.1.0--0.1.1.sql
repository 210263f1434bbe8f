-- pg_tviews 0.1.0 -> 0.1.1 (ALTER EXTENSION pg_tviews UPDATE).
--
-- Every upgrade script brings the objects of the previous released version to exactly what a
-- fresh CREATE EXTENSION of the new version makes; scripts/ops_test.sh (upgrade) proves it by
-- comparing the two databases' fingerprints (sql/ops/fingerprint.sql).
\echo Use "ALTER EXTENSION pg_tviews UPDATE" to load this file. \quit

-- The health check also reports tables with pg_tviews triggers and no catalog row.
COMMENT ON FUNCTION @extschema@.pg_tviews_health_check() IS
'Checks every TVIEW: primary key on the key column, definition view and its dependencies, the four statement triggers on every source (present and enabled), the guard trigger, that the definition still analyzes over the recorded sources, and that no table carries pg_tviews triggers without a catalog row (schema-only restore). One row per check; ok = false needs attention.';
