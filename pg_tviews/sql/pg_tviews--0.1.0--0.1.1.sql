-- pg_tviews 0.1.0 -> 0.1.1 (ALTER EXTENSION pg_tviews UPDATE).
--
-- Every upgrade script brings the objects of the previous released version to exactly what a
-- fresh CREATE EXTENSION of the new version makes; scripts/ops_test.sh (upgrade) proves it by
-- comparing the two databases' fingerprints (sql/ops/fingerprint.sql).
\echo Use "ALTER EXTENSION pg_tviews UPDATE" to load this file. \quit

-- The health check also reports tables with pg_tviews triggers and no catalog row.
COMMENT ON FUNCTION @extschema@.pg_tviews_health_check() IS
'Checks every TVIEW: primary key on the key column, definition view and its dependencies, the four statement triggers on every source (present and enabled), the guard trigger, that the definition still analyzes over the recorded sources, and that no table carries pg_tviews triggers without a catalog row (schema-only restore). One row per check; ok = false needs attention.';

-- pg_tviews_stats: maintenance counters per TVIEW in shared memory.
CREATE  FUNCTION "pg_tviews_stats_raw"() RETURNS TABLE (
	"table_oid" oid,  /* pg_sys :: Oid */
	"runs" bigint,  /* i64 */
	"keys_recomputed" bigint,  /* i64 */
	"full_recomputes" bigint,  /* i64 */
	"rows_written" bigint,  /* i64 */
	"rows_patched" bigint,  /* i64 */
	"total_time_ms" double precision,  /* f64 */
	"last_run" timestamp with time zone  /* Option < TimestampWithTimeZone > */
)
STRICT VOLATILE PARALLEL RESTRICTED
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_stats_raw_wrapper';

CREATE  FUNCTION "pg_tviews_stats_reset"() RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_stats_reset_wrapper';

CREATE VIEW pg_tviews_stats AS
SELECT m.table_name AS tview,
       m.tview_name,
       m.mode,
       coalesce(s.runs, 0) AS runs,
       coalesce(s.keys_recomputed, 0) AS keys_recomputed,
       coalesce(s.full_recomputes, 0) AS full_recomputes,
       coalesce(s.rows_written, 0) AS rows_written,
       coalesce(s.rows_patched, 0) AS rows_patched,
       coalesce(s.total_time_ms, 0) AS total_time_ms,
       s.last_run
  FROM pg_tview_meta m
  LEFT JOIN pg_tviews_stats_raw() s ON s.table_oid = m.table_name::oid;
GRANT SELECT ON pg_tviews_stats TO PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_tviews_stats_reset() FROM PUBLIC;

COMMENT ON VIEW pg_tviews_stats IS 'pg_tviews: maintenance counters per TVIEW of this database, shared by all sessions, since the server started or pg_tviews_stats_reset().';
COMMENT ON COLUMN pg_tviews_stats.tview IS 'The TVIEW''s table.';
COMMENT ON COLUMN pg_tviews_stats.tview_name IS 'The TVIEW''s name without the tv_ prefix.';
COMMENT ON COLUMN pg_tviews_stats.mode IS 'immediate or deferred.';
COMMENT ON COLUMN pg_tviews_stats.runs IS 'Maintenance runs: one per source statement (in deferred mode, the queueing step), one per commit or flush that applied the TVIEW''s queue, one per pg_tviews_refresh.';
COMMENT ON COLUMN pg_tviews_stats.keys_recomputed IS 'Documents recomputed through the definition by key.';
COMMENT ON COLUMN pg_tviews_stats.full_recomputes IS 'Runs that recomputed every row (TRUNCATE, sources with no join path, large deferred queues, pg_tviews_refresh).';
COMMENT ON COLUMN pg_tviews_stats.rows_written IS 'Rows inserted, updated or deleted in the TVIEW table: documents that actually changed.';
COMMENT ON COLUMN pg_tviews_stats.rows_patched IS 'Documents patched in place without a recompute (the fast path).';
COMMENT ON COLUMN pg_tviews_stats.total_time_ms IS 'Wall-clock milliseconds spent in maintenance, lock waits and cascaded TVIEWs included.';
COMMENT ON COLUMN pg_tviews_stats.last_run IS 'When maintenance last ran (NULL: not since the server started or the last reset).';
COMMENT ON FUNCTION pg_tviews_stats_raw() IS 'pg_tviews internal: the counters behind the view pg_tviews_stats.';
COMMENT ON FUNCTION pg_tviews_stats_reset() IS 'Zero the pg_tviews_stats counters of every TVIEW in this database (superuser unless granted).';
