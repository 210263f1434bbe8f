-- pg_tviews 0.1.1 -> 0.2.0 (ALTER EXTENSION pg_tviews UPDATE).
--
-- Every upgrade script brings the objects of the previous released version to exactly what a
-- fresh CREATE EXTENSION of the new version makes; scripts/ops_test.sh (upgrade) proves it by
-- comparing the two databases' fingerprints (sql/ops/fingerprint.sql).
\echo Use "ALTER EXTENSION pg_tviews UPDATE" to load this file. \quit

-- Settings pinned per TVIEW. TVIEWs made before this version get the values of the session
-- running the upgrade (a fresh TVIEW gets its creator's); pg_tviews_set_setting changes them.
ALTER TABLE @extschema@.pg_tview_meta ADD COLUMN settings text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN @extschema@.pg_tview_meta.settings IS 'The settings maintenance, refresh and pg_tviews_check run with, as name=value (DateStyle, TimeZone, extra_float_digits, ...), captured from the creating session; the writer''s own settings never apply. Change with pg_tviews_set_setting.';
UPDATE @extschema@.pg_tview_meta
   SET settings = ARRAY(
       SELECT s.name OPERATOR(pg_catalog.||) '=' OPERATOR(pg_catalog.||) pg_catalog.current_setting(s.name)
         FROM pg_catalog.unnest(ARRAY['DateStyle', 'IntervalStyle', 'TimeZone', 'timezone_abbreviations',
                                      'extra_float_digits', 'bytea_output', 'lc_monetary', 'lc_numeric',
                                      'lc_time', 'xmloption', 'xmlbinary', 'array_nulls',
                                      'default_text_search_config']) WITH ORDINALITY AS s(name, i)
        ORDER BY s.i);
-- Keys of TVIEWs made before this version count as passed by name: never proven.
ALTER TABLE @extschema@.pg_tview_meta ADD COLUMN key_proven boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.pg_tview_meta.key_proven IS 'true when pg_tviews chose the key itself (no key argument) and proved it unique for every content of the sources; DDL that changes what the definition reads must keep that proof. false for a key passed by name, which writes that repeat it refuse (23505).';
-- Keys of several columns.
ALTER TABLE @extschema@.pg_tview_meta ADD COLUMN key_columns name[] NOT NULL DEFAULT '{}';
ALTER TABLE @extschema@.pg_tview_meta ADD COLUMN key_type regtype;
COMMENT ON COLUMN @extschema@.pg_tview_meta.key_column IS 'The column that identifies a row (for a key of several columns, its first column): unique; the table''s primary key, or where the key may be NULL its UNIQUE NULLS NOT DISTINCT constraint.';
COMMENT ON COLUMN @extschema@.pg_tview_meta.key_columns IS 'The columns of a key of several columns, in order (GROUP BY a, b; a composite primary key; key => ARRAY[...]); empty for a key of one column (key_column).';
COMMENT ON COLUMN @extschema@.pg_tview_meta.key_type IS 'For a key of several columns: the composite type of its columns (in schema tviews_def, dropped with the table) that holds one key; the table''s unique index is on that value. NULL for a key of one column.';
-- TVIEWs that may differ from their definitions (triggers disabled meanwhile).
ALTER TABLE @extschema@.pg_tview_meta ADD COLUMN maybe_stale text;
COMMENT ON COLUMN @extschema@.pg_tview_meta.maybe_stale IS 'NULL while every write has reached the TVIEW. Otherwise why its rows may differ from the definition: a command left pg_tviews'' triggers disabled on a source or the table (writes made meanwhile reached no TVIEW, or wrote the table directly). pg_tviews_refresh, or a pg_tviews_check that finds no difference, clears it once the triggers are in place again; pg_tviews_health_check reports it.';

CREATE  FUNCTION "pg_tviews_set_setting"(
	"tview_name" TEXT, /* Option < & str > */
	"setting" TEXT, /* Option < & str > */
	"value" TEXT /* Option < & str > */
) RETURNS void
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_set_setting_wrapper';
CREATE  FUNCTION "pg_tviews_create"(
	"tview_name" TEXT, /* Option < & str > */
	"select_sql" TEXT, /* Option < & str > */
	"key" TEXT[], /* Option < Vec < Option < String > > > */
	"mode" TEXT DEFAULT 'immediate' /* Option < & str > */
) RETURNS regclass /* api::Regclass */
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_create_keyed_wrapper';
COMMENT ON FUNCTION pg_tviews_create(text, text, text[], text) IS
'Create a TVIEW whose key is several columns, named in order (key => ARRAY[''a'', ''b'']): they must identify the rows together and come from one table of the FROM list, or from tables joined to one another (a pair of primary keys); NULL in any of them is a value like any other. Otherwise as pg_tviews_create(text, text, text, text).';
COMMENT ON FUNCTION pg_tviews_create(text, text, text, text) IS
'Create a TVIEW: table tv_<name> (tview_name may be post or tv_post, optionally schema-qualified) kept equal to select_sql inside every writing transaction. key names the row identity column (default: pk_<name>; the only pk_* column, or of several the one proven unique; the root table''s primary key; the GROUP BY or DISTINCT column; for a one-row aggregate, a column of it; else the columns that identify the rows together, such as GROUP BY a, b or a composite primary key); a key whose column may be NULL keeps its NULL group as one row. mode: immediate (maintained by each statement, the default) or deferred (once per transaction, at commit). Returns the table.';

COMMENT ON FUNCTION pg_tviews_set_setting(text, text, text) IS
'Change one of the settings a TVIEW pins (DateStyle, TimeZone, extra_float_digits and the others pg_tviews_explain lists), captured from the creating session, then recompute every row under the new value. Owner only.';

COMMENT ON FUNCTION pg_tviews_refresh(text) IS
'Recompute every row of a TVIEW from its definition, after creating again any of its triggers that were dropped. Maintenance keeps TVIEWs exact, so this is for repairs and tests; it clears the TVIEW''s maybe-stale mark (pg_tview_meta.maybe_stale) when its triggers are in place. Owner only.';

COMMENT ON FUNCTION pg_tviews_check(text) IS
'The oracle: keys (as text) of rows where the TVIEW''s table and its definition differ, compared with EXCEPT ALL both ways; then keys whose kept state (tallies, summaries) differs from a recount of its table. No rows means exact, and clears the TVIEW''s maybe-stale mark (pg_tview_meta.maybe_stale) when its triggers are in place.';

COMMENT ON FUNCTION pg_tviews_explain(text) IS
'How a TVIEW is maintained: one row per source table with how its changed rows reach the keys, what maintenance does and when (per the TVIEW''s mode), and the key query run after an UPDATE; a last row says as whom and with which pinned settings maintenance runs.';

-- CREATE TABLE ... INHERITS of a TVIEW's source is refused.
CREATE  FUNCTION "pg_tviews_check_inherited"(
	"table" oid /* pg_sys :: Oid */
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_check_inherited_wrapper';
COMMENT ON FUNCTION pg_tviews_check_inherited(oid) IS
'pg_tviews internal: called by the ddl_command_end event trigger after CREATE TABLE and CREATE FOREIGN TABLE (also inside CREATE SCHEMA); refuses a table that inherits from a TVIEW''s source, table or state table.';

-- The event trigger functions no longer resolve anything through the caller's search_path.
CREATE OR REPLACE FUNCTION pg_tviews_on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.pg_tviews_adopt_table(c.objid)
       FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
      WHERE c.command_tag OPERATOR(pg_catalog.=) ANY (ARRAY['CREATE TABLE AS', 'SELECT INTO'])
        AND c.object_type OPERATOR(pg_catalog.=) 'table';
    PERFORM @extschema@.pg_tviews_check_inherited(c.objid)
       FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
      WHERE c.command_tag OPERATOR(pg_catalog.=) ANY (ARRAY['CREATE TABLE', 'CREATE FOREIGN TABLE'])
        AND c.object_type OPERATOR(pg_catalog.=) ANY (ARRAY['table', 'foreign table']);
END
$$;
COMMENT ON FUNCTION pg_tviews_on_ddl_command_end() IS
'pg_tviews: event trigger function making CREATE TABLE tv_<name> AS SELECT create a TVIEW, and refusing CREATE TABLE ... INHERITS of a TVIEW''s source.';
DROP EVENT TRIGGER pg_tviews_ddl_command_end;
CREATE EVENT TRIGGER pg_tviews_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO', 'CREATE TABLE', 'CREATE FOREIGN TABLE',
                 'CREATE SCHEMA')
    EXECUTE FUNCTION pg_tviews_on_ddl_command_end();
COMMENT ON EVENT TRIGGER pg_tviews_ddl_command_end IS
'pg_tviews: CREATE TABLE tv_<name> AS SELECT ... creates a TVIEW; CREATE TABLE ... INHERITS of a TVIEW''s source is refused.';

CREATE  FUNCTION "pg_tviews_after_trigger_drop"(
	"tables" oid[] /* Option < Vec < pg_sys :: Oid > > */
) RETURNS void
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_after_trigger_drop_wrapper';
COMMENT ON FUNCTION pg_tviews_after_trigger_drop(oid[]) IS
'pg_tviews internal: called by the sql_drop event trigger after DROP TRIGGER on these tables: the TVIEWs that read them or are them are warned about and marked maybe stale.';

CREATE  FUNCTION "pg_tviews_after_cast"(
	"source" oid, /* Option < pg_sys :: Oid > */
	"target" oid, /* Option < pg_sys :: Oid > */
	"command" TEXT /* Option < & str > */
) RETURNS void
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_after_cast_wrapper';
COMMENT ON FUNCTION pg_tviews_after_cast(oid, oid, text) IS
'pg_tviews internal: called by the event triggers after CREATE CAST and DROP CAST: a cast to json or jsonb from a type whose values a TVIEW''s definition handles changes what to_json and the like compute there, so each such TVIEW is checked again (the DDL is refused if the cast''s function may not run in its maintenance) and recomputed; a cast between text and the type of a column of a table a TVIEW reads (maintenance carries such values as text) is refused when its function may not run in that TVIEW''s maintenance.';

CREATE OR REPLACE FUNCTION pg_tviews_on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.pg_tviews_forget_dropped(pg_catalog.array_agg(d.objid))
       FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
      WHERE (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
             AND d.objsubid OPERATOR(pg_catalog.=) 0)
         OR d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass;
    -- DROP TRIGGER on a table that stays (its schema, table and trigger name are the dropped
    -- trigger's address), whatever the trigger's name: one of pg_tviews' may have been renamed.
    PERFORM @extschema@.pg_tviews_after_trigger_drop(pg_catalog.array_agg(DISTINCT c.oid))
       FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
       JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.address_names[1]
       JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
                                 AND c.relname OPERATOR(pg_catalog.=) d.address_names[2]
      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
     HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0;
    -- DROP CAST (a cast to json changes what to_json and the like compute).
    PERFORM @extschema@.pg_tviews_after_cast(pg_catalog.to_regtype(d.address_names[1])::pg_catalog.oid,
                                             pg_catalog.to_regtype(d.address_args[1])::pg_catalog.oid,
                                             'DROP CAST')
       FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_cast'::pg_catalog.regclass;
END
$$;

-- ALTER TABLE tv_x OWNER TO carries the TVIEW; FORCE ROW LEVEL SECURITY and changed columns on
-- a TVIEW table, and row security on a source that applies to its owner, are refused; a
-- replaced helper view or a column added to a table read as whole rows recomputes the TVIEW.
CREATE  FUNCTION "pg_tviews_after_alter"(
	"relation" oid /* pg_sys :: Oid */
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_after_alter_wrapper';
COMMENT ON FUNCTION pg_tviews_after_alter(oid) IS
'pg_tviews internal: called by the ddl_command_end event trigger after ALTER TABLE, ALTER VIEW, CREATE (OR REPLACE) VIEW or FUNCTION, ALTER FUNCTION, ALTER TYPE, ALTER DOMAIN, ALTER TEXT SEARCH CONFIGURATION or DICTIONARY, CREATE TEXT SEARCH CONFIGURATION, CREATE RULE, CREATE TRIGGER, CREATE SCHEMA (for the objects it creates), COMMENT, CREATE INDEX, REINDEX (PostgreSQL 17 and later), CREATE STATISTICS, CREATE OPERATOR, ALTER OPERATOR, ALTER ROUTINE, CREATE OPERATOR CLASS and ALTER OPERATOR FAMILY, for an object that command changed (a comment matters only on a tally state table, which is built again, as is a state table altered in any way): code of a role other than a TVIEW''s owner or a superuser that its maintenance would now run (an index, its operator class, a CHECK or statistics expression on a table it reads or writes, a cast to or from text or a domain CHECK inside a column''s type, an operator''s new negator or commutator, a function given to another owner) is refused; the definition view follows its TVIEW table''s owner; FORCE ROW LEVEL SECURITY, changed columns or an unlogged TVIEW table, a TVIEW table or state table made a partition, a parent or child by inheritance or given rules or BEFORE row triggers, and row security on a source that applies to its owner are refused; TVIEWs whose definition changed under them (a helper view, a function, type or text search configuration they use, a column added to a table read as whole rows) are checked again and recomputed.';

CREATE FUNCTION pg_tviews_on_alter() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.pg_tviews_after_alter(c.objid)
       FROM (SELECT DISTINCT objid FROM pg_catalog.pg_event_trigger_ddl_commands()
              WHERE classid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_class'::pg_catalog.regclass,
                                                              'pg_catalog.pg_proc'::pg_catalog.regclass,
                                                              'pg_catalog.pg_type'::pg_catalog.regclass,
                                                              'pg_catalog.pg_ts_config'::pg_catalog.regclass,
                                                              'pg_catalog.pg_ts_dict'::pg_catalog.regclass,
                                                              'pg_catalog.pg_rewrite'::pg_catalog.regclass,
                                                              'pg_catalog.pg_trigger'::pg_catalog.regclass,
                                                              'pg_catalog.pg_statistic_ext'::pg_catalog.regclass,
                                                              'pg_catalog.pg_operator'::pg_catalog.regclass,
                                                              'pg_catalog.pg_opclass'::pg_catalog.regclass,
                                                              'pg_catalog.pg_opfamily'::pg_catalog.regclass])) AS c;
    PERFORM @extschema@.pg_tviews_after_cast(k.castsource, k.casttarget, c.command_tag)
       FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
       JOIN pg_catalog.pg_cast k ON k.oid OPERATOR(pg_catalog.=) c.objid
      WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_cast'::pg_catalog.regclass;
END
$$;
COMMENT ON FUNCTION pg_tviews_on_alter() IS
'pg_tviews: event trigger function keeping TVIEWs consistent after DDL on their tables, views, functions and types.';

CREATE EVENT TRIGGER pg_tviews_alter ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE VIEW', 'CREATE FUNCTION', 'ALTER FUNCTION',
                 'ALTER TYPE', 'ALTER DOMAIN', 'ALTER TEXT SEARCH CONFIGURATION',
                 'ALTER TEXT SEARCH DICTIONARY', 'CREATE TEXT SEARCH CONFIGURATION', 'CREATE RULE',
                 'CREATE TRIGGER', 'CREATE SCHEMA', 'COMMENT', 'CREATE CAST', 'ALTER TRIGGER',
                 'CREATE INDEX', 'CREATE STATISTICS', 'CREATE OPERATOR', 'ALTER OPERATOR',
                 'ALTER ROUTINE', 'CREATE OPERATOR CLASS', 'ALTER OPERATOR FAMILY')
    EXECUTE FUNCTION pg_tviews_on_alter();
COMMENT ON EVENT TRIGGER pg_tviews_alter IS
'pg_tviews: ALTER TABLE tv_<name> OWNER TO carries the TVIEW; changes that would break maintenance are refused.';

-- A change that makes a key appear twice in a definition raises through this function.
CREATE  FUNCTION "pg_tviews_key_repeats"(
	"tview" oid, /* pg_sys :: Oid */
	"key" TEXT /* &str */
) RETURNS TEXT /* alloc::string::String */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_key_repeats_wrapper';
COMMENT ON FUNCTION pg_tviews_key_repeats(oid, text) IS 'pg_tviews internal: raises the error for a key that a change makes appear more than once in a TVIEW''s definition (called by maintenance''s MERGE).';

-- A change that gives a row of a definition a NULL key raises through this function.
CREATE  FUNCTION "pg_tviews_key_null"(
	"tview" oid, /* pg_sys :: Oid */
	"key" TEXT /* &str */
) RETURNS TEXT /* alloc::string::String */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'pg_tviews_key_null_wrapper';
COMMENT ON FUNCTION pg_tviews_key_null(oid, text) IS 'pg_tviews internal: raises the error for a change that gives a row of a TVIEW''s definition a NULL key (called by maintenance''s MERGE).';

-- TVIEWs on a logical replication subscriber: the apply worker fires only row triggers, and
-- only those enabled for replica. Each source gets a row trigger and a TRUNCATE trigger so
-- enabled, which collect the changes for maintenance at commit.
CREATE FUNCTION "pg_tviews_replica_trigger"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'pg_tviews_replica_trigger_wrapper';
COMMENT ON FUNCTION pg_tviews_replica_trigger() IS 'pg_tviews: row and TRUNCATE trigger on a TVIEW source table, enabled for replica sessions only (logical replication''s apply worker); collects the changes it applies for maintenance at commit.';
COMMENT ON FUNCTION pg_tviews_health_check() IS
'Checks every TVIEW: primary key on the key column, definition view and its dependencies, the source triggers on every source (present, and enabled for ordinary sessions or for replication''s apply), the guard trigger, the owner''s privileges, plain tables, state tables (the owner''s, keyed by their group columns), pinned settings, the maybe-stale mark, that the definition still analyzes over the recorded sources, and that no table carries pg_tviews triggers without a catalog row (schema-only restore) and no catalog row outlives its table. One row per check; ok = false needs attention.';
DO $upgrade$
DECLARE
    source regclass;
    tview regclass;
BEGIN
    -- The guard fires in every session: a replica session (the apply worker) must not write
    -- a TVIEW table either.
    FOR tview IN SELECT table_name FROM @extschema@.pg_tview_meta LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgtv_guard', tview);
    END LOOP;
    FOR source IN
        SELECT DISTINCT s FROM @extschema@.pg_tview_meta, pg_catalog.unnest(sources) AS s
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                            WHERE t.tgrelid OPERATOR(pg_catalog.=) s
                              AND t.tgname OPERATOR(pg_catalog.=) 'pgtv_replica_row')
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER pgtv_replica_row AFTER INSERT OR UPDATE OR DELETE ON %s '
            'FOR EACH ROW EXECUTE FUNCTION @extschema@.pg_tviews_replica_trigger()', source);
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER pgtv_replica_truncate AFTER TRUNCATE ON %s '
            'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.pg_tviews_replica_trigger()', source);
        EXECUTE pg_catalog.format(
            'ALTER TABLE %s ENABLE REPLICA TRIGGER pgtv_replica_row, '
            'ENABLE REPLICA TRIGGER pgtv_replica_truncate', source);
    END LOOP;
END
$upgrade$;

-- rows_patched also counts partial recomputes.
COMMENT ON COLUMN pg_tviews_stats.rows_patched IS 'Documents patched in place without a recompute (the fast path), or whose child-fed keys alone were recomputed (partial recompute).';

-- DROP VIEW / TABLE / TYPE of a TVIEW's part alone detaches the TVIEW first (pg_restore
-- --clean drops each object on its own).
DROP EVENT TRIGGER pg_tviews_ddl_command_start;
CREATE EVENT TRIGGER pg_tviews_ddl_command_start ON ddl_command_start
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO', 'DROP TABLE', 'DROP VIEW', 'DROP TYPE')
    EXECUTE FUNCTION @extschema@.pg_tviews_on_ddl_command_start();
COMMENT ON EVENT TRIGGER pg_tviews_ddl_command_start IS
'pg_tviews: captures the SELECT of CREATE TABLE tv_<name> AS for the TVIEW it creates, and detaches a TVIEW whose definition view, state table or key type is dropped alone (its table stays, as a plain table).';
COMMENT ON FUNCTION @extschema@.pg_tviews_on_ddl_command_start() IS
'pg_tviews: event trigger function capturing the SELECT of CREATE TABLE tv_<name> AS before it runs, and detaching a TVIEW before DROP VIEW, DROP TABLE or DROP TYPE of one of its parts alone (what pg_restore --clean does).';

-- The event triggers fire in replica sessions too (session_replication_role = replica): DDL
-- there (a TVIEW dropped, a trigger added to its table) is checked and followed up like
-- anywhere else instead of escaping.
ALTER EVENT TRIGGER pg_tviews_ddl_command_start ENABLE ALWAYS;
ALTER EVENT TRIGGER pg_tviews_ddl_command_end ENABLE ALWAYS;
ALTER EVENT TRIGGER pg_tviews_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
-- REINDEX fires event triggers from PostgreSQL 17 on (each index it builds, tagged REINDEX):
-- it makes valid an index a refused CREATE INDEX CONCURRENTLY left invalid. Before 17 the
-- next write refuses such an index instead.
DO $pgtv$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::int >= 170000 THEN
        CREATE EVENT TRIGGER pg_tviews_reindex ON ddl_command_end WHEN TAG IN ('REINDEX')
            EXECUTE FUNCTION @extschema@.pg_tviews_on_alter();
        ALTER EVENT TRIGGER pg_tviews_reindex ENABLE ALWAYS;
        COMMENT ON EVENT TRIGGER pg_tviews_reindex IS
        'pg_tviews: REINDEX that makes valid an index running code of a role other than a TVIEW''s owner or a superuser is refused (PostgreSQL 17 and later).';
    END IF;
END
$pgtv$;
