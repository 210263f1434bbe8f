//! Looking inside: how a TVIEW is maintained (`pg_tviews_explain`) and whether everything it
//! relies on is in place (`pg_tviews_health_check`).

use pgrx::prelude::*;
use tviews_core::explain::{describe_key, explain, KeyFacts};
use tviews_core::sqlgen::keys::{key_query, Event};

use crate::api::{existing_tview, required};
use crate::catalog::TviewMeta;
use crate::errors::{OrRaise, TviewError};
use crate::maintain::cache;

/// One row per source table of a TVIEW: how its changed rows reach the keys, what
/// maintenance does and when, and the key query run for an UPDATE; then the key (which
/// column, why, and what NULL is) and the context maintenance runs in.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_explain(
    tview_name: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(source, String),
        name!(reaches, String),
        name!(maintenance, String),
        name!(key_query, Option<String>),
    ),
> {
    let meta = existing_tview(required(tview_name, "tview_name"));
    let compiled = cache::compiled(&meta).or_raise();
    let def = &compiled.def;
    let target = compiled.target();
    let mut rows: Vec<_> = explain(&compiled.inputs())
        .into_iter()
        .zip(def.plan.sources.iter())
        .map(|(e, sp)| {
            (
                e.source,
                e.reaches,
                e.maintenance,
                key_query(&def.model, &def.plan, sp, Event::Update, &target),
            )
        })
        .collect();
    // SAFETY: a catalog lookup of an existing role's name (palloc'd).
    let owner = unsafe { crate::pg::nodes::cstring(pg_sys::GetUserNameFromId(meta.owner, true)) }
        .unwrap_or_else(|| format!("role {}", meta.owner.to_u32()));
    let key = describe_key(
        &def.model,
        &KeyFacts {
            columns: &def.key,
            proven: meta.key_proven,
            nullable: compiled.key_nullable,
        },
    );
    rows.push((key.source, key.reaches, key.maintenance, None));
    rows.push((
        "(every source)".into(),
        "-".into(),
        tviews_core::settings::describe(&owner, &meta.settings),
        None,
    ));
    TableIterator::new(rows)
}

/// The catalog-side checks, one row per (TVIEW, check): name, ok, and a detail saying what
/// was found. `$1` is the TVIEW table.
const CATALOG_CHECKS: &str = r#"
WITH m AS (
    -- key_type arrived with 0.2.0: read through jsonb, so an older catalog checks too.
    SELECT table_name, definition_view, key_column, sources,
           (pg_catalog.to_jsonb(x) ->> 'key_type')::pg_catalog.regtype::pg_catalog.oid AS key_type,
           pg_catalog.to_jsonb(x) -> 'key_columns' AS key_columns,
           pg_catalog.to_jsonb(x) ->> 'maybe_stale' AS maybe_stale,
           pg_catalog.jsonb_array_length(coalesce(pg_catalog.to_jsonb(x) -> 'settings', '[]')) AS settings
      FROM @ext@.pg_tview_meta x WHERE table_name = $1::regclass
), ours AS (
    -- The trigger functions of this installation: a trigger with the right name that calls
    -- something else maintains nothing.
    SELECT p.oid, p.proname FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_extension x ON p.pronamespace = x.extnamespace
     WHERE x.extname = 'pg_tviews'
), expected(tgname, function, tgtype, oldtable, newtable, enabled) AS (
    -- What pg_tviews creates (install.rs): statement triggers with transition tables for
    -- ordinary sessions, a row and a TRUNCATE trigger for replica sessions.
    @source_triggers@
), source_triggers AS (
    SELECT s.src, e.tgname, t.tgenabled, e.enabled
      FROM m, unnest(m.sources) AS s(src)
     CROSS JOIN (SELECT * FROM expected x
                  -- Triggers of functions a version older than the library lacks (until
                  -- ALTER EXTENSION ... UPDATE adds both).
                  WHERE EXISTS (SELECT 1 FROM ours WHERE proname = x.function)) e
      LEFT JOIN pg_catalog.pg_trigger t ON t.tgrelid = s.src AND t.tgname = e.tgname
                                       AND t.tgfoid = (SELECT oid FROM ours WHERE proname = e.function)
                                       AND t.tgtype = e.tgtype AND t.tgqual IS NULL
                                       AND cardinality(t.tgattr::int2[]) = 0
                                       AND t.tgoldtable IS NOT DISTINCT FROM e.oldtable
                                       AND t.tgnewtable IS NOT DISTINCT FROM e.newtable
), c(check_name, ok, good, bad) AS (
    -- A key that may be NULL (its column has no NOT NULL) has a unique index that counts
    -- NULL as one value instead: its NULL group is one row.
    -- A key of several columns has a unique index on its composite value.
    SELECT 'primary key', EXISTS (
               SELECT 1 FROM pg_catalog.pg_index i JOIN m ON i.indrelid = m.table_name
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE (i.indisprimary OR (i.indisunique AND i.indnullsnotdistinct
                                          AND i.indpred IS NULL AND i.indimmediate))
                  AND i.indnatts = 1 AND a.attname = m.key_column AND m.key_type IS NULL)
           OR EXISTS (
               SELECT 1 FROM pg_catalog.pg_index i JOIN m ON i.indrelid = m.table_name
                 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass
                                            AND d.objid = i.indexrelid
                                            AND d.refclassid = 'pg_catalog.pg_type'::regclass
                                            AND d.refobjid = m.key_type
                 JOIN pg_catalog.pg_type t ON t.oid = m.key_type
                 JOIN pg_catalog.pg_class c ON c.oid = m.table_name
                WHERE i.indisunique AND i.indpred IS NULL AND i.indimmediate AND i.indisvalid
                  AND i.indnatts = 1 AND i.indkey[0] = 0 AND t.typowner = c.relowner
                  AND pg_catalog.to_jsonb(ARRAY(
                          SELECT a.attname::text FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                           ORDER BY a.attnum)) = m.key_columns),
           (SELECT CASE WHEN m.key_type IS NOT NULL THEN 'the key''s columns have a unique index on their composite value'
                        WHEN a.attnotnull THEN 'the key column is the table''s primary key'
                        ELSE 'the key column, which may be NULL, has a unique index counting NULL as one value' END
              FROM m JOIN pg_catalog.pg_attribute a ON a.attrelid = m.table_name AND a.attname = m.key_column),
           CASE WHEN (SELECT key_type FROM m) IS NULL
                THEN 'the table has no primary key on its key column: maintenance needs it to find rows'
                ELSE 'the table has no unique index on its key''s composite value, or the type of its keys no longer has the key''s columns or the table''s owner: maintenance needs them to find rows' END
    UNION ALL
    SELECT 'definition view', EXISTS (
               SELECT 1 FROM pg_catalog.pg_depend d JOIN m ON d.objid = (
                      SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = m.definition_view)
                WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.deptype = 'n'),
           'the definition view exists and depends on its sources',
           'the definition view records no dependency on its sources'
    UNION ALL
    SELECT 'source triggers', coalesce(bool_and(coalesce(strpos(enabled, tgenabled) > 0, false)), true),
           'every source has its triggers (four for ordinary sessions, two for replication''s apply), each enabled where it works',
           'missing, not enabled where it works (origin for pgtv_insert, pgtv_update, pgtv_delete, pgtv_truncate; replica for pgtv_replica_row, pgtv_replica_truncate) or not pg_tviews'' own: '
               || string_agg(src::regclass::text || '.' || tgname, ', ' ORDER BY src::regclass::text, tgname) FILTER (WHERE tgenabled IS NULL OR strpos(enabled, tgenabled) = 0)
      FROM source_triggers
    UNION ALL
    -- On the table and on each of its state tables (tables made part of it).
    SELECT 'guard trigger', NOT EXISTS (
               SELECT 1 FROM (SELECT table_name AS rel FROM m
                              UNION ALL
                              SELECT d.objid FROM pg_catalog.pg_depend d JOIN m ON d.refobjid = m.table_name
                                JOIN pg_catalog.pg_class k ON k.oid = d.objid
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.refclassid = 'pg_catalog.pg_class'::regclass
                                 AND d.deptype = 'i' AND k.relkind = 'r') AS g
                WHERE NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_trigger t
                       WHERE t.tgrelid = g.rel AND t.tgname = 'pgtv_guard' AND t.tgenabled = 'A' AND t.tgtype = 62
                         AND t.tgqual IS NULL AND cardinality(t.tgattr::int2[]) = 0
                         AND t.tgfoid = (SELECT oid FROM ours WHERE proname = 'pg_tviews_guard_trigger'))),
           'direct writes to the table are refused',
           'trigger pgtv_guard is missing, not enabled ALWAYS (replica sessions and logical replication''s apply included), or not pg_tviews'' own, on the table or one of its state tables (pg_tviews_refresh builds those again): direct writes to it are not refused'
    UNION ALL
    -- A catalog row restored from a dump of a version before 0.2.0 pins no settings.
    SELECT 'pinned settings', (SELECT settings > 0 FROM m),
           'maintenance runs with the settings pinned at creation (pg_tviews_explain lists them)',
           'no settings are pinned (a TVIEW restored from a dump of a version before 0.2.0): maintenance runs with PostgreSQL''s built-in values (TimeZone GMT, DateStyle ISO, MDY, ...), which may not be the ones its rows were computed with; pin yours with pg_tviews_set_setting, or run pg_tviews_refresh to recompute the rows with the built-in ones'
    UNION ALL
    SELECT 'maybe stale', (SELECT maybe_stale IS NULL FROM m),
           'every write has reached the TVIEW since it was created or last refreshed',
           (SELECT 'its rows may differ from the definition: ' || maybe_stale
                   || '. pg_tviews_check(' || pg_catalog.quote_literal(table_name::text)
                   || ') lists the keys that differ; pg_tviews_refresh(' || pg_catalog.quote_literal(table_name::text)
                   || ') creates dropped triggers again and recomputes the rows. Once every trigger is in place and enabled, either clears this' FROM m)
)
SELECT check_name, ok, CASE WHEN ok THEN good ELSE bad END FROM c
 WHERE $2::text[] IS NULL OR check_name = ANY ($2::text[])
"#;

/// The checks of [`CATALOG_CHECKS`] whose failure means writes may not reach the TVIEW
/// (or reach its table directly).
const TRIGGER_CHECKS: [&str; 2] = ["source triggers", "guard trigger"];

/// The catalog checks of one TVIEW (those named in `names`, or all): (check_name, ok,
/// detail).
fn catalog_checks(
    meta: &TviewMeta,
    ext: &str,
    names: Option<&[&str]>,
) -> Result<Vec<(String, bool, String)>, TviewError> {
    let names: Option<Vec<String>> = names.map(|n| n.iter().map(|n| n.to_string()).collect());
    Ok(Spi::connect(|client| {
        let rows = client.select(
            &CATALOG_CHECKS.replace("@ext@", ext).replace(
                "@source_triggers@",
                &crate::install::source_triggers_values(),
            ),
            None,
            &[meta.table.into(), names.into()],
        )?;
        let mut v = Vec::new();
        for r in rows {
            v.push((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<bool>(2)?.unwrap_or(false),
                r.get::<String>(3)?.unwrap_or_default(),
            ));
        }
        Ok::<_, pgrx::spi::SpiError>(v)
    })?)
}

/// The maybe-stale mark a recompute or an exact check about to start may clear: the TVIEW's
/// mark as seen now, if its triggers are all in place and this statement reads a fresh
/// snapshot. Read before the rows are: writes made while the triggers were out of place
/// committed before they were put back (a write and `ALTER TABLE ... ENABLE TRIGGER` lock
/// each other out), so a snapshot taken after this sees them all. Says why when it cannot.
pub fn mark_to_clear(meta: &TviewMeta) -> Result<Option<String>, TviewError> {
    let Some(seen) = meta.maybe_stale.clone() else {
        return Ok(None);
    };
    let tview = &meta.tview_name;
    // SAFETY: reads backend-global transaction state.
    let (read_only, xact_snapshot) = unsafe {
        (
            pg_sys::XactReadOnly || pg_sys::RecoveryInProgress(),
            pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32,
        )
    };
    if read_only {
        // A standby, or a read-only transaction: the mark is left to the primary.
        return Ok(None);
    }
    if xact_snapshot {
        pgrx::notice!(
            "TVIEW {tview} stays marked maybe stale: this transaction's snapshot may predate writes that reached no TVIEW; run it in a READ COMMITTED transaction to clear the mark"
        );
        return Ok(None);
    }
    let problems = triggers_out_of_place(meta)?;
    if !problems.is_empty() {
        pgrx::notice!(
            "TVIEW {tview} stays marked maybe stale: {}",
            problems.join("; ")
        );
        return Ok(None);
    }
    Ok(Some(seen))
}

/// What keeps writes from reaching a TVIEW now, as the health check words it (a source's
/// trigger disabled, the table's guard disabled); empty when every trigger is in place.
pub fn triggers_out_of_place(meta: &TviewMeta) -> Result<Vec<String>, TviewError> {
    let ext = crate::catalog::extension_schema_quoted()?;
    Ok(catalog_checks(meta, &ext, Some(&TRIGGER_CHECKS))?
        .into_iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(name, _, detail)| format!("{name}: {detail}"))
        .collect())
}

/// The health check's row 'owner privileges'. Maintenance runs the definition as the
/// TVIEW table's owner (a restore with --no-acl, or a REVOKE, can take its rights away:
/// every write to a source then fails): the owner must have what the executor checks when
/// it reads the definition view (see [`crate::pg::scan::view_needs`]): SELECT on each
/// relation it reads, or on each column it reads of it (every column for a whole row, one
/// for a relation read for no column), and EXECUTE on each function it calls.
fn owner_privileges(meta: &TviewMeta) -> (bool, String) {
    use pg_sys::AclResult::ACLCHECK_OK;
    let select = pg_sys::ACL_SELECT as pg_sys::AclMode;
    let owner = crate::pg::names::relation_owner(meta.table).unwrap_or(meta.owner);
    let needs = crate::pg::scan::view_needs(meta.view);
    let mut missing: Vec<String> = Vec::new();
    for (relid, columns) in &needs.reads {
        // SAFETY: privilege checks of relations and columns the catalogs hold now.
        let ok = unsafe {
            let column = |attnum: i16| match attnum {
                0 => pg_sys::pg_attribute_aclcheck_all(*relid, owner, select, pg_sys::AclMaskHow::ACLMASK_ALL),
                n => pg_sys::pg_attribute_aclcheck(*relid, n, owner, select),
            } == ACLCHECK_OK;
            pg_sys::pg_class_aclcheck(*relid, owner, select) == ACLCHECK_OK
                || match columns.is_empty() {
                    true => {
                        pg_sys::pg_attribute_aclcheck_all(
                            *relid,
                            owner,
                            select,
                            pg_sys::AclMaskHow::ACLMASK_ANY,
                        ) == ACLCHECK_OK
                    }
                    false => columns.iter().all(|&c| column(c)),
                }
        };
        if !ok {
            missing.push(crate::pg::names::describe(*relid));
        }
    }
    for function in &needs.functions {
        // SAFETY: a privilege check of a function the catalogs hold now.
        let ok = unsafe {
            pg_sys::object_aclcheck(
                pg_sys::ProcedureRelationId,
                *function,
                owner,
                pg_sys::ACL_EXECUTE as pg_sys::AclMode,
            ) == ACLCHECK_OK
        };
        if !ok {
            missing.push(crate::pg::names::describe_function(*function));
        }
    }
    // What maintenance writes as the owner: the table and its state tables (a REVOKE by the
    // owner from itself takes that away too).
    for relid in crate::checks::written_tables(meta.table) {
        let lacking: Vec<&str> = [
            (pg_sys::ACL_SELECT, "SELECT"),
            (pg_sys::ACL_INSERT, "INSERT"),
            (pg_sys::ACL_UPDATE, "UPDATE"),
            (pg_sys::ACL_DELETE, "DELETE"),
        ]
        .into_iter()
        // SAFETY: privilege checks of a relation the catalogs hold now.
        .filter(|(mode, _)| unsafe {
            pg_sys::pg_class_aclcheck(relid, owner, *mode as pg_sys::AclMode) != ACLCHECK_OK
        })
        .map(|(_, name)| name)
        .collect();
        if !lacking.is_empty() {
            missing.push(format!(
                "{} ({})",
                crate::pg::names::describe(relid),
                lacking.join(", ")
            ));
        }
    }
    if missing.is_empty() {
        return (
            true,
            "the TVIEW's owner may read what its definition reads, run what it calls, and write its table and state tables".into(),
        );
    }
    missing.sort();
    missing.dedup();
    (
        false,
        format!(
            "the TVIEW's owner ({}) may not read, run or write what maintenance needs of {}: maintenance runs as the owner, so every write to a source fails with \"permission denied\"; GRANT what is missing (SELECT, EXECUTE, or on the TVIEW's table and state tables SELECT, INSERT, UPDATE, DELETE) on it TO the owner",
            crate::pg::names::role_name(owner),
            missing.join(", ")
        ),
    )
}

/// (tview, check_name, ok, detail)
type HealthRow = (String, String, bool, String);

fn check_one(meta: &TviewMeta, ext: &str) -> Vec<HealthRow> {
    // Schema-qualified: TVIEWs of the same name may live in several schemas.
    let tview = format!("{}.{}", meta.table_name.0, meta.table_name.1);
    let mut out: Vec<HealthRow> = catalog_checks(meta, ext, None)
        .or_raise()
        .into_iter()
        .map(|(name, ok, detail)| (tview.clone(), name, ok, detail))
        .collect();
    let (ok, detail) = owner_privileges(meta);
    let at = out
        .iter()
        .position(|r| r.1 == "guard trigger")
        .map_or(out.len(), |i| i + 1);
    out.insert(at, (tview.clone(), "owner privileges".into(), ok, detail));
    // DDL that escaped the event triggers (a replica session's) can have made the table or
    // a state table something maintenance cannot write as a plain table.
    let problems = crate::checks::plain_table_problems(&[meta.table]).or_raise();
    out.push((
        tview.clone(),
        "plain table".into(),
        problems.is_empty(),
        match problems.is_empty() {
            true => "the table and its state tables are plain tables: no partition, inheritance, rules or BEFORE row triggers".into(),
            false => problems
                .iter()
                .map(|(rel, problem)| format!("{} cannot {problem}", crate::pg::names::describe(*rel)))
                .collect::<Vec<_>>()
                .join("; "),
        },
    ));
    let problems = crate::tally::state_problems(meta).or_raise();
    out.push((
        tview.clone(),
        "state tables".into(),
        problems.is_empty(),
        match problems.is_empty() {
            true => "every state table of a tallied aggregate is the TVIEW owner's and keyed by its group columns (or there is none)".into(),
            false => format!("{}; pg_tviews_refresh builds them again", problems.join("; ")),
        },
    ));
    // The definition must still analyze to the plan maintenance runs, over the same sources.
    // Analyzing locks every table it reads until the caller's transaction ends: only for
    // callers who may read the TVIEW (any role may call this; one that may not must not be
    // able to hold those locks).
    // SAFETY: a privilege check of an existing relation by the current user.
    let may_read = unsafe {
        pg_sys::pg_class_aclcheck(
            meta.table,
            pg_sys::GetUserId(),
            pg_sys::ACL_SELECT as pg_sys::AclMode,
        ) == pg_sys::AclResult::ACLCHECK_OK
    };
    if !may_read {
        return out;
    }
    let (ok, detail) = match cache::compiled(meta) {
        Err(e) => (false, format!("the definition no longer analyzes: {e}")),
        Ok(c) => {
            let mut found: Vec<u32> = c.def.model.tables().iter().map(|t| t.oid).collect();
            let mut recorded: Vec<u32> = meta.sources.iter().map(|s| s.to_u32()).collect();
            found.sort_unstable();
            recorded.sort_unstable();
            if found == recorded {
                (
                    true,
                    "the definition analyzes; its tables are the recorded sources".into(),
                )
            } else {
                (
                    false,
                    "the definition's tables differ from the recorded sources".into(),
                )
            }
        }
    };
    out.push((tview, "definition".into(), ok, detail));
    out
}

/// Every TVIEW's catalog row, triggers, key and definition, checked; one row per check.
/// Whether the rows are exact is `pg_tviews_check`'s job (it reads the whole TVIEW).
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_health_check() -> TableIterator<
    'static,
    (
        name!(tview, String),
        name!(check_name, String),
        name!(ok, bool),
        name!(detail, String),
    ),
> {
    // Catalog queries with the search_path restricted: the caller's schemas steer nothing.
    let rows = crate::pg::context::run(crate::pg::context::Role::Caller, &[], || {
        let ext = crate::catalog::extension_schema_quoted()?;
        let mut rows = Vec::new();
        for meta in cache::all()? {
            rows.extend(check_one(&meta, &ext));
        }
        rows.extend(orphans(&ext));
        Ok(rows)
    })
    .or_raise();
    TableIterator::new(rows)
}

/// Tables carrying pg_tviews triggers with no catalog row behind them: TVIEW tables missing
/// from pg_tview_meta, sources no TVIEW reads (a schema-only restore without its data leaves
/// both). Writes to such a source fail rather than leave a TVIEW stale. And the reverse:
/// catalog rows whose table is gone.
const ORPHAN_CHECK: &str = r#"
SELECT t.tgrelid::regclass::text,
       CASE WHEN t.tgname = 'pgtv_guard' THEN 'catalog row' ELSE 'orphan source triggers' END,
       CASE WHEN t.tgname = 'pgtv_guard'
            THEN 'a guard trigger protects this table but pg_tview_meta has no TVIEW for it'
            ELSE 'triggers ' || string_agg(t.tgname, ', ' ORDER BY t.tgname)
                 || ' maintain TVIEWs but pg_tview_meta has no TVIEW reading this table: writes to it fail' END
  FROM pg_catalog.pg_trigger t
 WHERE t.tgname = ANY (@reserved@)
   AND NOT EXISTS (SELECT 1 FROM @ext@.pg_tview_meta m
                    WHERE m.table_name = t.tgrelid OR t.tgrelid = ANY (m.sources::oid[]))
   -- State tables (also the copies a restore brings back, which nothing uses and
   -- pg_tviews_refresh drops) carry the guard too.
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class k
                    WHERE k.oid = t.tgrelid AND k.relnamespace = 'tviews_def'::pg_catalog.regnamespace
                      AND pg_catalog.starts_with(pg_catalog.obj_description(k.oid, 'pg_class'), @state_prefix@))
 GROUP BY t.tgrelid, t.tgname = 'pgtv_guard'
UNION ALL
-- Catalog rows of TVIEW tables that are gone (dropped while the event triggers were
-- disabled): their sources keep triggers that fail every write.
SELECT m.table_name::pg_catalog.oid::pg_catalog.text, 'catalog row',
       'pg_tview_meta still holds TVIEW ' || pg_catalog.quote_literal(m.tview_name) || ' whose table (OID '
       || m.table_name::pg_catalog.oid || ') no longer exists, and its sources keep their triggers: '
       || 'SELECT @ext@.pg_tviews_forget_dropped(ARRAY[' || m.table_name::pg_catalog.oid
       || ']::pg_catalog.oid[]) removes both'
  FROM @ext@.pg_tview_meta m
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = m.table_name::pg_catalog.oid)
 ORDER BY 1, 2
"#;

fn orphans(ext: &str) -> Vec<HealthRow> {
    Spi::connect(|client| {
        let mut v = Vec::new();
        for r in client.select(
            &ORPHAN_CHECK
                .replace("@ext@", ext)
                .replace(
                    "@reserved@",
                    &tviews_core::sqlgen::quote::literal_array(&crate::install::reserved_names()),
                )
                .replace(
                    "@state_prefix@",
                    &tviews_core::sqlgen::quote::literal(tviews_core::sqlgen::tally::SPEC_PREFIX),
                ),
            None,
            &[],
        )? {
            v.push((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<String>(2)?.unwrap_or_default(),
                false,
                r.get::<String>(3)?.unwrap_or_default(),
            ));
        }
        Ok::<_, pgrx::spi::SpiError>(v)
    })
    .or_raise()
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_explain(text) IS
'How a TVIEW is maintained: one row per source table with how its changed rows reach the keys, what maintenance does and when (per the TVIEW''s mode), and the key query run after an UPDATE; a last row says as whom and with which pinned settings maintenance runs.';
COMMENT ON FUNCTION pg_tviews_health_check() IS
'Checks every TVIEW: primary key on the key column, definition view and its dependencies, the source triggers on every source (present, and enabled for ordinary sessions or for replication''s apply), the guard trigger, the owner''s privileges, plain tables, state tables (the owner''s, keyed by their group columns), pinned settings, the maybe-stale mark, that the definition still analyzes over the recorded sources, and that no table carries pg_tviews triggers without a catalog row (schema-only restore) and no catalog row outlives its table. One row per check; ok = false needs attention.';
"#,
    name = "comment_monitor",
    requires = [pg_tviews_explain, pg_tviews_health_check]
);
