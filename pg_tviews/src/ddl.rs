//! DDL integration through event triggers, which fire in every session without
//! shared_preload_libraries:
//!
//! * `CREATE TABLE tv_x AS SELECT ...` (and `SELECT ... INTO tv_x`) turns the new table into a
//!   TVIEW of that SELECT. The SELECT is captured at `ddl_command_start`, while its analyzed
//!   query is intact (executing CREATE TABLE AS rewrites and plans it in place, after which
//!   PostgreSQL's deparser can no longer print it), and the table is adopted at
//!   `ddl_command_end`;
//! * `DROP TABLE tv_x` (or a CASCADE reaching it) removes its catalog row and the triggers no
//!   TVIEW needs any more;
//! * `ALTER TABLE tv_x OWNER TO r` carries the TVIEW: its definition view follows, so
//!   maintenance runs as `r` reading with `r`'s rights; ALTER TABLE that would make maintenance
//!   wrong (FORCE ROW LEVEL SECURITY, renamed or retyped columns) is refused.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::prelude::*;

use crate::analyze::parse::normalize_query;
use crate::catalog::{as_extension_owner, extension_schema_quoted};
use crate::create::{create_tview, Target};
use crate::errors::{OrRaise, TviewError};
use crate::install;
use crate::maintain::cache;
use crate::pg::names::relation_name;
use crate::pg::nodes::{cstring, is_a};
use tviews_core::action::Mode;
use tviews_core::naming::{TviewName, TABLE_PREFIX};

/// A captured CREATE TABLE tv_x AS: its SELECT and the subtransaction that ran it. (WITH NO
/// DATA needs no note: every adopted table is recomputed.)
struct Captured {
    sql: String,
    sub: pg_sys::SubTransactionId,
}

thread_local! {
    /// SELECTs of CREATE TABLE tv_x AS statements seen at ddl_command_start, by
    /// (schema or "", table), waiting for ddl_command_end. Cleared at transaction end, and
    /// for a subtransaction that rolls back: a statement that failed there leaves nothing a
    /// later CREATE TABLE of the same name could be mistaken for.
    static PENDING: RefCell<HashMap<(String, String), Captured>> = RefCell::new(HashMap::new());
}

thread_local! {
    /// TVIEWs detached by the DROP command running (see [`detach_before_drop`]), with the
    /// subtransaction that detached them: announced once the drop went through (at
    /// sql_drop), never when it failed.
    static DETACHED: RefCell<Vec<(pg_sys::SubTransactionId, String)>> = const { RefCell::new(Vec::new()) };
}

/// Forget captured statements and detached TVIEWs not yet announced (transaction end).
pub fn reset() {
    PENDING.with(|p| p.borrow_mut().clear());
    DETACHED.with(|d| d.borrow_mut().clear());
}

/// Announce the TVIEWs the DROP that just went through detached.
fn announce_detached() {
    for message in DETACHED.with(|d| std::mem::take(&mut *d.borrow_mut())) {
        pgrx::warning!("{}", message.1);
    }
}

/// Forget what subtransaction `sub` (and those it contained, whose ids are larger) captured.
pub fn subxact_aborted(sub: pg_sys::SubTransactionId) {
    DETACHED.with(|d| d.borrow_mut().retain(|(s, _)| *s < sub));
    PENDING.with(|p| p.borrow_mut().retain(|_, c| c.sub < sub));
}

/// V1 call-convention record of [`pg_tviews_on_ddl_command_start`].
#[no_mangle]
pub extern "C" fn pg_finfo_pg_tviews_on_ddl_command_start() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// The `ddl_command_start` event trigger function (declared in SQL below; pgrx has no
/// event_trigger return type): capture the SELECT of `CREATE TABLE tv_x AS`.
///
/// # Safety
/// Called by PostgreSQL as an event trigger, with an EventTriggerData context.
#[no_mangle]
#[pg_guard]
pub unsafe extern "C-unwind" fn pg_tviews_on_ddl_command_start(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: the context is checked to be EventTriggerData; parse-tree nodes are cast after
    // their tags are checked.
    unsafe {
        let ctx = (*fcinfo).context;
        if !is_a(ctx, pg_sys::NodeTag::T_EventTriggerData) {
            pgrx::error!("pg_tviews_on_ddl_command_start must be called as an event trigger");
        }
        let data = &*(ctx as *mut pg_sys::EventTriggerData);
        if crate::guc::CREATE_TABLE_AS.get() {
            capture(data.parsetree).or_raise();
        }
        detach_before_drop(data.parsetree).or_raise();
        pg_sys::Datum::from(0)
    }
}

/// `DROP VIEW`, `DROP TABLE` or `DROP TYPE` of a part of a TVIEW (its definition view, one
/// of its state tables, the type of its keys) without its table, by a role that owns that
/// part. The TVIEW is detached first: its table stays, a plain table with the rows it has;
/// its catalog row, its guard triggers and the source triggers no other TVIEW needs go. The
/// part named is no longer part of the table, so the drop goes ahead (and fails as
/// PostgreSQL says if something else still needs it); the other parts stay parts of the
/// table, dropped with it or one by one. This is what `pg_restore --clean` relies on: it
/// drops each object of the dump on its own, a TVIEW's parts before its table, and the
/// sources a definition view reads after the view.
unsafe fn detach_before_drop(stmt: *mut pg_sys::Node) -> Result<(), TviewError> {
    use crate::pg::nodes::list_iter;
    // SAFETY: tags are checked before casts; the names are resolved without locks, only to
    // find the TVIEWs concerned (the DROP itself locks and checks them).
    unsafe {
        if !is_a(stmt, pg_sys::NodeTag::T_DropStmt) {
            return Ok(());
        }
        let drop = &*(stmt as *mut pg_sys::DropStmt);
        let mut named: Vec<(pg_sys::Oid, pg_sys::Oid)> = Vec::new();
        match drop.removeType {
            pg_sys::ObjectType::OBJECT_TABLE | pg_sys::ObjectType::OBJECT_VIEW => {
                for names in list_iter::<pg_sys::List>(drop.objects) {
                    let rv = pg_sys::makeRangeVarFromNameList(names);
                    let oid = pg_sys::RangeVarGetRelidExtended(
                        rv,
                        pg_sys::NoLock as pg_sys::LOCKMODE,
                        pg_sys::RVROption::RVR_MISSING_OK,
                        None,
                        std::ptr::null_mut(),
                    );
                    if oid != pg_sys::InvalidOid {
                        named.push((pg_sys::RelationRelationId, oid));
                    }
                }
            }
            pg_sys::ObjectType::OBJECT_TYPE => {
                for name in list_iter::<pg_sys::TypeName>(drop.objects) {
                    let oid = pg_sys::LookupTypeNameOid(std::ptr::null_mut(), name, true);
                    if oid != pg_sys::InvalidOid {
                        named.push((pg_sys::TypeRelationId, oid));
                    }
                }
            }
            _ => return Ok(()),
        }
        let definition_schema = pg_sys::get_namespace_oid(
            std::ffi::CString::new(crate::catalog::DEFINITION_SCHEMA)
                .expect("no NUL")
                .as_ptr(),
            true,
        );
        let in_definition_schema = |class: pg_sys::Oid, oid: pg_sys::Oid| {
            definition_schema != pg_sys::InvalidOid
                && if class == pg_sys::TypeRelationId {
                    crate::pg::scan::syscache_row(
                        pg_sys::SysCacheIdentifier::TYPEOID,
                        &[pg_sys::Datum::from(oid)],
                        |t: &pg_sys::FormData_pg_type, _| t.typnamespace,
                    ) == Some(definition_schema)
                } else {
                    pg_sys::get_rel_namespace(oid) == definition_schema
                }
        };
        let all_named = named.clone();
        named.retain(|(class, oid)| in_definition_schema(*class, *oid));
        if named.is_empty() {
            return Ok(());
        }
        let Ok(ext) = extension_schema_quoted() else {
            return Ok(());
        };
        let parts = tview_parts(&ext)?;
        let user = pg_sys::GetUserId();
        for &(class, oid) in &named {
            if !pg_sys::object_ownercheck(class, oid, user) {
                continue; // the DROP refuses it
            }
            // Whose part it is: the table it is an internal part of, or (after a restore,
            // which brings no such dependency back) the TVIEW whose catalog row names it.
            let owner = crate::pg::scan::internal_owner(class, oid).or_else(|| {
                parts
                    .iter()
                    .find(|(_, view, key_type)| {
                        if class == pg_sys::TypeRelationId {
                            *key_type == Some(oid)
                        } else {
                            *view == oid
                        }
                    })
                    .map(|(table, _, _)| *table)
            });
            let Some(table) = owner else {
                continue;
            };
            if all_named.contains(&(pg_sys::RelationRelationId, table)) {
                continue; // dropped whole
            }
            if parts.iter().any(|(t, _, _)| *t == table) {
                detach(&ext, table, class, oid)?;
            }
            // SAFETY: the rows that make it an internal part of the table (if any).
            pg_sys::deleteDependencyRecordsForClass(
                class,
                oid,
                pg_sys::RelationRelationId,
                pg_sys::DependencyType::DEPENDENCY_INTERNAL as std::ffi::c_char,
            );
            pg_sys::CommandCounterIncrement();
        }
        Ok(())
    }
}

/// Turn the TVIEW whose table is `table` into a plain table (see [`detach_before_drop`]),
/// because `DROP` names its part `part` (of catalog `class`).
fn detach(
    ext: &str,
    table: pg_sys::Oid,
    class: pg_sys::Oid,
    part: pg_sys::Oid,
) -> Result<(), TviewError> {
    let tview = crate::pg::names::describe(table);
    let what = if class == pg_sys::TypeRelationId {
        format!(
            "DROP TYPE of its key type {}",
            crate::pg::names::qualified_type(part)
        )
    } else if crate::pg::names::relation_kind(part) == Some(pg_sys::RELKIND_VIEW) {
        format!(
            "DROP VIEW of its definition view {}",
            crate::pg::names::describe(part)
        )
    } else {
        format!(
            "DROP TABLE of its state table {}",
            crate::pg::names::describe(part)
        )
    };
    let guarded: Vec<pg_sys::Oid> = std::iter::once(table)
        .chain(crate::pg::scan::internal_parts(table))
        .filter(|r| crate::pg::names::relation_kind(*r) == Some(pg_sys::RELKIND_RELATION))
        .collect();
    as_extension_owner(|| -> Result<(), TviewError> {
        // The catalog row first: the guards' drops below then concern no TVIEW.
        forget_tviews(ext, &[table])?;
        cache::invalidate();
        for rel in &guarded {
            install::remove_guard_trigger(*rel)?;
        }
        Ok(())
    })?;
    let message = format!(
        "TVIEW {tview} is no longer maintained: {what} detached it; table {tview} stays as a plain table with the rows it had (drop it, or create the TVIEW again with pg_tviews_create)"
    );
    // SAFETY: reads backend-global transaction state.
    let sub = unsafe { pg_sys::GetCurrentSubTransactionId() };
    DETACHED.with(|d| d.borrow_mut().push((sub, message)));
    Ok(())
}

/// Remember the SELECT of a CREATE TABLE tv_x AS statement.
unsafe fn capture(stmt: *mut pg_sys::Node) -> Result<(), TviewError> {
    // SAFETY: tags checked before casts; the Query is analyzed but not yet rewritten.
    unsafe {
        if !is_a(stmt, pg_sys::NodeTag::T_CreateTableAsStmt) {
            return Ok(());
        }
        let ctas = &*(stmt as *mut pg_sys::CreateTableAsStmt);
        if ctas.objtype != pg_sys::ObjectType::OBJECT_TABLE || ctas.into.is_null() {
            return Ok(());
        }
        let into = &*ctas.into;
        let rel = &*into.rel;
        let name = cstring(rel.relname).unwrap_or_default();
        if !name.starts_with(TABLE_PREFIX) {
            return Ok(());
        }
        if !into.colNames.is_null() {
            return Err(TviewError::Refused {
                construct: "a column list in CREATE TABLE ... AS".into(),
                hint: "Name the columns in the SELECT instead: SELECT p.pk_post AS pk_post, ..."
                    .into(),
            });
        }
        let query = ctas.query as *mut pg_sys::Query;
        if !is_a(ctas.query, pg_sys::NodeTag::T_Query) || !(*query).utilityStmt.is_null() {
            return Err(TviewError::NotASingleSelect {
                found: "CREATE TABLE ... AS EXECUTE".into(),
            });
        }
        let sql = normalize_query(query)?;
        let schema = cstring(rel.schemaname).unwrap_or_default();
        let captured = Captured {
            sql,
            sub: pg_sys::GetCurrentSubTransactionId(),
        };
        PENDING.with(|p| p.borrow_mut().insert((schema, name), captured));
        Ok(())
    }
}

/// Turn a table just made by CREATE TABLE AS into a TVIEW when its SELECT was captured.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_adopt_table(table: pg_sys::Oid) {
    let Some((schema, name)) = relation_name(table) else {
        return;
    };
    // The statement named the table with or without its schema.
    let captured = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        p.remove(&(schema.clone(), name.clone()))
            .or_else(|| p.remove(&(String::new(), name.clone())))
    });
    let Some(Captured { sql, .. }) = captured else {
        return;
    };
    let target = Target {
        schema,
        name: TviewName::parse(&name).or_raise(),
    };
    create_tview(&target, &sql, None, Mode::Immediate, Some(table)).or_raise();
    // CREATE TABLE AS filled the table (or, WITH NO DATA, did not) from a snapshot taken
    // before pg_tviews locked the sources: a write committed in between would be missing.
    // Recompute from the latest committed state, now that no writer can slip in; only rows
    // that differ are written.
    let meta = crate::api::find_tview(&format!(
        "{}.{}",
        tviews_core::sqlgen::quote_ident(&target.schema),
        tviews_core::sqlgen::quote_ident(&target.name.table)
    ))
    .or_raise()
    .unwrap_or_else(|| TviewError::Internal("adopted TVIEW not found".into()).raise());
    crate::maintain::run::refresh_all_rows(&meta).or_raise();
}

/// After CREATE TABLE or CREATE FOREIGN TABLE: refuse a table that inherits from a TVIEW's
/// source. Writes through the
/// parent would then reach the child's rows, which the parent's statement triggers do not
/// see (`ALTER TABLE ... INHERIT` is refused by the same rule, at analysis). Reads only, so
/// calling it by hand changes nothing.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_check_inherited(table: pg_sys::Oid) {
    let run = || -> Result<(), TviewError> {
        let parents = crate::pg::scan::inheritance_parents(table);
        if parents.is_empty() {
            return Ok(());
        }
        // A child of a TVIEW's table (or of one of its state tables).
        check_plain_tables(table)?;
        for m in cache::all()? {
            if let Some(parent) = parents.iter().find(|p| m.sources.contains(p)) {
                return Err(TviewError::UnsupportedSource {
                    relation: crate::pg::names::describe(*parent),
                    kind: "a table with inheritance children".into(),
                });
            }
        }
        Ok(())
    };
    crate::pg::context::run(crate::pg::context::Role::Caller, &[], run).or_raise();
}

/// [`crate::checks::check_plain_tables`] for what a DDL command did to `object`, among every
/// TVIEW's tables.
fn check_plain_tables(object: pg_sys::Oid) -> Result<(), TviewError> {
    let tables: Vec<pg_sys::Oid> = cache::all()?.iter().map(|m| m.table).collect();
    crate::checks::check_plain_tables(&[object], &tables)
}

/// After `CREATE CAST` or `DROP CAST` from `source` to `target`: `to_json`, `to_jsonb` and
/// the functions that build json from values (`jsonb_build_object`, `json_agg`, ...) find a
/// type's cast to `json` or `jsonb` at run time, so such a cast changes what a definition
/// handling values of `source` computes, and which functions its maintenance runs. Each
/// such TVIEW is compiled again (its checks refuse the command if the cast's function may
/// not run in its maintenance) and recomputed. Other casts change nothing already parsed.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_after_cast(
    source: Option<pg_sys::Oid>,
    target: Option<pg_sys::Oid>,
    command: Option<&str>,
) {
    let (Some(source), Some(target)) = (source, target) else {
        return; // a cast dropped with its type
    };
    let command = command.unwrap_or("CREATE CAST");
    if command == "CREATE CAST" && (source == pg_sys::TEXTOID || target == pg_sys::TEXTOID) {
        // A cast between a type and text runs when maintenance carries that type's values as
        // text (see scan::text_round_trip_functions): its function must be trusted.
        let typ = if source == pg_sys::TEXTOID {
            target
        } else {
            source
        };
        check_code_after(typ, "CREATE CAST").or_raise();
        return;
    }
    if target != pg_sys::JSONOID && target != pg_sys::JSONBOID {
        return;
    }
    let run = || -> Result<(), TviewError> {
        // Only for a cast the DDL command in progress made or dropped: called by hand (it is
        // callable, as event trigger functions must be), it raises, as the event trigger
        // functions PostgreSQL provides do outside an event trigger (a recompute under the
        // TVIEW's lock is not for anyone to start).
        let ours: Option<bool> = if command == "DROP CAST" {
            crate::pg::spi::read_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() AS d \
                                 WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_cast'::pg_catalog.regclass)",
                &[],
            )?
        } else {
            crate::pg::spi::read_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() AS c \
                                  JOIN pg_catalog.pg_cast k ON k.oid OPERATOR(pg_catalog.=) c.objid \
                                 WHERE k.castsource OPERATOR(pg_catalog.=) $1 \
                                   AND k.casttarget OPERATOR(pg_catalog.=) $2)",
                &[source.into(), target.into()],
            )?
        };
        if ours != Some(true) {
            return Ok(());
        }
        cache::invalidate();
        for m in cache::all()? {
            if crate::pg::scan::definition_types(m.view).contains(&source) {
                compiled_after(&m, command)?;
                crate::maintain::run::refresh_all_rows(&m)?;
            }
        }
        Ok(())
    };
    run().or_raise();
}

/// After `DROP TRIGGER` on `tables` (tables that stay): when it took one of pg_tviews'
/// triggers (under its name or another it was renamed to), the TVIEWs reading them, or whose
/// tables they are, no longer get every write. Warned about and marked, as for a disabled
/// trigger; `pg_tviews_refresh` creates the missing triggers again.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_after_trigger_drop(tables: Option<Vec<pg_sys::Oid>>) {
    let run = || -> Result<(), TviewError> {
        // Only inside the sql_drop event trigger (this raises elsewhere).
        crate::pg::spi::read_one::<i64>(
            "SELECT pg_catalog.count(*) FROM pg_catalog.pg_event_trigger_dropped_objects()",
            &[],
        )?;
        let all = cache::all()?;
        for table in tables.unwrap_or_default() {
            note_triggers_out_of_place(table, &all, "DROP TRIGGER")?;
        }
        Ok(())
    };
    run().or_raise();
}

/// Forget TVIEWs whose tables were dropped; remove triggers no TVIEW needs any more. Only
/// rows of tables that no longer exist are touched, so calling it by hand changes nothing.
///
/// A TVIEW's definition view and key type (of a key of several columns) are part of its
/// table: dropping one of them by name detaches the TVIEW first ([`detach_before_drop`]);
/// one dropped otherwise while the table stays (by a CASCADE, after a restore that did not
/// bring back their internal dependency on the table) is refused. A dropped table's view
/// and key type go with it, whether or not that dependency was there.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_forget_dropped(dropped: Option<Vec<pg_sys::Oid>>) {
    announce_detached();
    let all_dropped = dropped.unwrap_or_default();
    let dropped: Vec<pg_sys::Oid> = all_dropped
        .iter()
        .copied()
        .filter(|o| relation_name(*o).is_none())
        .collect();
    if dropped.is_empty() {
        return;
    }
    let run = || -> Result<(), TviewError> {
        let ext = extension_schema_quoted()?;
        let parts = tview_parts(&ext)?;
        for (table, view, key_type) in &parts {
            let part_dropped =
                all_dropped.contains(view) || key_type.is_some_and(|k| all_dropped.contains(&k));
            if part_dropped && relation_name(*table).is_some() {
                let table = crate::pg::names::describe(*table);
                return Err(TviewError::AlterRefused {
                    table: table.clone(),
                    change: "drop the definition view or key type".into(),
                    hint: format!(
                        "They are part of the TVIEW: DROP TABLE {table} drops them with it."
                    ),
                });
            }
        }
        let leftovers: Vec<(pg_sys::Oid, Option<pg_sys::Oid>)> = parts
            .iter()
            .filter(|(table, _, _)| dropped.contains(table))
            .map(|(_, view, key_type)| (*view, *key_type))
            .collect();
        as_extension_owner(|| -> Result<(), TviewError> {
            for (view, key_type) in &leftovers {
                if let Some((schema, name)) = relation_name(*view) {
                    Spi::run(&format!(
                        "DROP VIEW {}",
                        tviews_core::sqlgen::qualified(&schema, &name)
                    ))?;
                }
                if let Some(k) = key_type {
                    if crate::pg::names::type_exists(*k) {
                        Spi::run(&format!(
                            "DROP TYPE {}",
                            crate::pg::names::qualified_type(*k)
                        ))?;
                    }
                }
            }
            forget_tviews(&ext, &dropped)
        })
    };
    run().or_raise();
    cache::invalidate();
}

/// Remove the catalog rows of the TVIEWs whose tables are `tables` (dropped, or detached
/// from their definitions), their statistics, and the source triggers no TVIEW needs any
/// more. Runs as the extension's owner.
fn forget_tviews(ext: &str, tables: &[pg_sys::Oid]) -> Result<(), TviewError> {
    // A write: pgrx's get_one marks the transaction as writing (DROP did already).
    let gone: Option<Vec<pg_sys::Oid>> = Spi::get_one_with_args(
            &format!(
                "WITH d AS (DELETE FROM {ext}.pg_tview_meta \
                 WHERE table_name::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1) RETURNING sources) \
                 SELECT pg_catalog.array_agg(DISTINCT s::pg_catalog.oid) \
                   FROM d, pg_catalog.unnest(d.sources) AS s"
            ),
            &[tables.to_vec().into()],
        )?;
    for t in tables {
        crate::stats::forget(*t);
    }
    let gone = gone.unwrap_or_default();
    if gone.is_empty() {
        return Ok(());
    }
    // Concurrent drops of the last TVIEWs on a source must not each leave the
    // triggers to the other: whoever drops second waits here, then sees the first.
    let existing: Vec<pg_sys::Oid> = gone
        .iter()
        .copied()
        .filter(|s| relation_name(*s).is_some())
        .collect();
    crate::create::lock_in_order(&existing, pg_sys::ShareRowExclusiveLock);
    let still: Vec<pg_sys::Oid> = crate::pg::spi::select_latest(
        &format!(
            "SELECT DISTINCT s::pg_catalog.oid \
                   FROM {ext}.pg_tview_meta, pg_catalog.unnest(sources) AS s"
        ),
        &[],
        // SAFETY: an oid column.
        |r| Ok(unsafe { crate::pg::spi::value::<pg_sys::Oid>(r[0]) }),
    )?
    .into_iter()
    .flatten()
    .collect();
    for s in gone.iter().filter(|s| !still.contains(s)) {
        install::remove_source_triggers(*s)?;
    }
    install::invalidate(&gone, pg_sys::InvalidOid)?;
    Ok(())
}

/// The type holding a TVIEW's keys (a key of several columns) must stay what creation made:
/// owned by the table's owner, with one field per key column in order, of its base type and
/// modifier, under its collation. Anything else (an attribute added, renamed or retyped;
/// another owner) is refused.
fn check_key_type(meta: &crate::catalog::TviewMeta) -> Result<(), TviewError> {
    let Some(key_type) = meta.key_type else {
        return Ok(());
    };
    let mut expected = Vec::new();
    for column in &meta.key {
        let mut typmod = crate::pg::names::column_typmod(meta.table, column)?;
        // SAFETY: a type catalog lookup of an existing type.
        let typ = unsafe {
            pg_sys::getBaseTypeAndTypmod(
                crate::pg::names::column_type(meta.table, column)?,
                &mut typmod,
            )
        };
        let collation = crate::pg::names::column_collation(meta.table, column)?;
        expected.push(format!(
            "{column}:{}:{typmod}:{}",
            typ.to_u32(),
            collation.to_u32()
        ));
    }
    // Its fields, then its owner, as one list.
    let found: Option<Vec<String>> = crate::pg::spi::read_one(
        "SELECT pg_catalog.array_agg(a.attname::pg_catalog.text OPERATOR(pg_catalog.||) ':' \
                OPERATOR(pg_catalog.||) a.atttypid::pg_catalog.int8 OPERATOR(pg_catalog.||) ':' \
                OPERATOR(pg_catalog.||) a.atttypmod OPERATOR(pg_catalog.||) ':' \
                OPERATOR(pg_catalog.||) a.attcollation::pg_catalog.int8 ORDER BY a.attnum) \
                OPERATOR(pg_catalog.||) pg_catalog.max(t.typowner::pg_catalog.int8)::pg_catalog.text \
           FROM pg_catalog.pg_type t \
           JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) t.typrelid \
          WHERE t.oid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 \
            AND NOT a.attisdropped",
        &[key_type.into()],
    )?;
    expected.push(owner_of(meta.table).to_u32().to_string());
    if found.as_ref() == Some(&expected) {
        return Ok(());
    }
    let table = crate::pg::names::describe(meta.table);
    Err(TviewError::AlterRefused {
        table: table.clone(),
        change: "alter the key type".into(),
        hint: format!(
            "{} is part of the TVIEW: its fields are the key's columns and it belongs to the table's owner (ALTER TABLE {table} OWNER TO ... carries it).",
            crate::pg::names::qualified_type(key_type)
        ),
    })
}

/// Every TVIEW's table, definition view and key type (for a key of several columns), from
/// the catalog's latest committed state.
fn tview_parts(
    ext: &str,
) -> Result<Vec<(pg_sys::Oid, pg_sys::Oid, Option<pg_sys::Oid>)>, TviewError> {
    // key_type arrived with 0.2.0.
    let key_type = if crate::catalog::has_settings_column()? {
        "m.key_type::pg_catalog.oid"
    } else {
        "NULL::pg_catalog.oid"
    };
    Ok(crate::pg::spi::select_latest(
        &format!(
            "SELECT m.table_name::pg_catalog.oid, m.definition_view::pg_catalog.oid, {key_type} \
               FROM {ext}.pg_tview_meta m"
        ),
        &[],
        // SAFETY: oid columns.
        |r| unsafe {
            use crate::pg::spi::value;
            Ok(Some((
                value::<pg_sys::Oid>(r[0]).unwrap_or(pg_sys::InvalidOid),
                value::<pg_sys::Oid>(r[1]).unwrap_or(pg_sys::InvalidOid),
                value::<pg_sys::Oid>(r[2]).filter(|o| *o != pg_sys::InvalidOid),
            )))
        },
    )?
    .into_iter()
    .flatten()
    .collect())
}

/// The views a definition view reads, directly or through other views.
fn helper_views(view: pg_sys::Oid) -> Result<Vec<pg_sys::Oid>, TviewError> {
    crate::pg::spi::select_latest(
        "WITH RECURSIVE rels(rel) AS ( \
             SELECT $1::pg_catalog.oid \
             UNION \
             SELECT d.refobjid FROM rels r \
               JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) r.rel \
               JOIN pg_catalog.pg_depend d ON d.objid OPERATOR(pg_catalog.=) w.oid \
                AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
                AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass \
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.refobjid \
                AND c.relkind OPERATOR(pg_catalog.=) 'v'::pg_catalog.\"char\") \
         SELECT rel FROM rels WHERE rel OPERATOR(pg_catalog.<>) $1",
        &[(pg_sys::OIDOID, pg_sys::Datum::from(view))],
        // SAFETY: an oid column.
        |r| Ok(unsafe { crate::pg::spi::value::<pg_sys::Oid>(r[0]) }),
    )
    .map(|v| v.into_iter().flatten().collect())
}

/// ALTER TABLE ... SET SCHEMA of a state table of one of the TVIEWs `all` (a table made
/// part of a TVIEW's table, found outside the definition schema), or of a definition view:
/// refused. Moved, a state table would stay part of the TVIEW's table, guarded, and no
/// longer be its state; a definition view would be out of every writer's reach (writers
/// need no rights on a TVIEW, but compiling it reads its view).
fn refuse_part_moved(
    relation: pg_sys::Oid,
    all: &[crate::catalog::TviewMeta],
) -> Result<(), TviewError> {
    let definition_schema =
        std::ffi::CString::new(crate::catalog::DEFINITION_SCHEMA).expect("no NUL in a schema name");
    // SAFETY: catalog lookups; '\0' / InvalidOid for a relation that is gone.
    let (kind, schema, definition_schema, name) = unsafe {
        (
            pg_sys::get_rel_relkind(relation) as u8,
            pg_sys::get_rel_namespace(relation),
            pg_sys::get_namespace_oid(definition_schema.as_ptr(), true),
            crate::pg::nodes::cstring(pg_sys::get_rel_name(relation)).unwrap_or_default(),
        )
    };
    if schema == definition_schema {
        return Ok(());
    }
    let part = match kind {
        pg_sys::RELKIND_RELATION => "state table",
        pg_sys::RELKIND_VIEW => "definition view",
        _ => return Ok(()),
    };
    match all.iter().find(|m| {
        m.view == relation
            || (kind == pg_sys::RELKIND_RELATION
                && crate::pg::scan::internal_parts(m.table).contains(&relation))
    }) {
        Some(m) => Err(TviewError::AlterRefused {
            table: crate::pg::names::describe(m.table),
            change: format!(
                "move {part} {} out of schema {}",
                tviews_core::sqlgen::quote::quote_ident(&name),
                crate::catalog::DEFINITION_SCHEMA
            ),
            hint: "A TVIEW's definition view and state tables are pg_tviews' own, found in that schema (any other ALTER TABLE of a state table builds it again).".into(),
        }),
        None => Ok(()),
    }
}

/// Is `relation` a state table of one of the TVIEWs `all`?
fn is_any_state_table(
    relation: pg_sys::Oid,
    all: &[crate::catalog::TviewMeta],
) -> Result<bool, TviewError> {
    for m in all {
        if crate::tally::is_state_table(m, relation)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// After `command` on `relation`: each TVIEW that reads it or is its table, and whose
/// triggers are no longer all in place (a source's disabled, or enabled for replica
/// sessions only, by `DISABLE TRIGGER USER/ALL` or by name; the table's guard disabled), is
/// warned about and marked maybe stale. Not refused: a data-only restore with
/// `--disable-triggers` does exactly this, on purpose.
fn note_triggers_out_of_place(
    relation: pg_sys::Oid,
    all: &[crate::catalog::TviewMeta],
    command: &str,
) -> Result<(), TviewError> {
    for m in all.iter() {
        // A source, the TVIEW's table, or one of its state tables (their guards too).
        if !(m.sources.contains(&relation)
            || m.table == relation
            || crate::tally::is_state_table(m, relation)?)
        {
            continue;
        }
        let problems = crate::monitor::triggers_out_of_place(m)?;
        if problems.is_empty() {
            continue;
        }
        let problems = problems.join("; ");
        let table = crate::pg::names::describe(relation);
        let what = format!("after {command} on {table}, pg_tviews' triggers are out of place");
        // The transaction's id makes each mark its own: a check clears only the mark it
        // read, never one another transaction made since with the same words.
        let since: String = crate::pg::spi::read_one(
            "SELECT pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \
                    OPERATOR(pg_catalog.||) ' UTC, transaction ' \
                    OPERATOR(pg_catalog.||) pg_catalog.txid_current()",
            &[],
        )?
        .unwrap_or_default();
        crate::catalog::mark_maybe_stale(
            m.table,
            &format!("after {command} on {table} ({since}), pg_tviews' triggers were out of place: {problems}"),
        )?;
        // As the health check names it: an argument pg_tviews_refresh accepts.
        let tview =
            tviews_core::sqlgen::qualified(&m.table_name.0, &m.table_name.1).replace('\'', "''");
        pgrx::pg_sys::panic::ErrorReport::new(
            PgSqlErrorCode::ERRCODE_WARNING,
            format!("TVIEW {} may stop following its definition: {what}", m.tview_name),
            "pg_tviews",
        )
        .set_detail(problems)
        .set_hint(format!(
            "Writes made meanwhile reach no TVIEW (or write its table directly), and enabling the triggers again brings nothing back. pg_tviews_refresh('{tview}') creates dropped triggers again and recomputes the rows; after a data-only restore, which loads the TVIEW's rows too, pg_tviews_check('{tview}') confirms them instead. Once every trigger is in place and enabled, either clears the mark pg_tviews_health_check() reports as maybe stale."
        ))
        .report(PgLogLevel::WARNING);
    }
    Ok(())
}

/// The ALTER TABLE subcommands other than enabling or disabling triggers
/// ([`TRIGGER_STATE_ALTERS`]) that change no column and no value
/// ([`alter_changes_no_values`]).
const VALUE_NEUTRAL_ALTERS: [pg_sys::AlterTableType::Type; 20] = {
    use pg_sys::AlterTableType as A;
    [
        A::AT_AddIndex,
        A::AT_ReAddIndex,
        A::AT_AddConstraint,
        A::AT_ReAddConstraint,
        A::AT_AddIndexConstraint,
        A::AT_ValidateConstraint,
        A::AT_DropConstraint,
        A::AT_ClusterOn,
        A::AT_DropCluster,
        A::AT_SetStatistics,
        A::AT_SetOptions,
        A::AT_ResetOptions,
        A::AT_SetStorage,
        A::AT_SetCompression,
        A::AT_SetRelOptions,
        A::AT_ResetRelOptions,
        A::AT_ReplaceRelOptions,
        A::AT_ReplicaIdentity,
        A::AT_ColumnDefault,
        A::AT_CookedColumnDefault,
    ]
};

/// The ALTER TABLE subcommands that enable or disable triggers: only these can put one of
/// pg_tviews' triggers out of place (DROP TRIGGER and ALTER TRIGGER are commands of their
/// own).
const TRIGGER_STATE_ALTERS: [pg_sys::AlterTableType::Type; 8] = {
    use pg_sys::AlterTableType as A;
    [
        A::AT_EnableTrig,
        A::AT_EnableAlwaysTrig,
        A::AT_EnableReplicaTrig,
        A::AT_DisableTrig,
        A::AT_EnableTrigAll,
        A::AT_DisableTrigAll,
        A::AT_EnableTrigUser,
        A::AT_DisableTrigUser,
    ]
};

/// The subcommands of the ALTER TABLE commands the running DDL reported for `relation`;
/// `None` when one of them is not an ALTER TABLE that can be read (or none was reported).
fn alter_subcommands(
    relation: pg_sys::Oid,
) -> Result<Option<Vec<pg_sys::AlterTableType::Type>>, TviewError> {
    // The command column is a pointer to the collected command, alive while the event
    // trigger runs (a by-value datum).
    let commands = crate::pg::spi::select_latest(
        "SELECT c.command FROM pg_catalog.pg_event_trigger_ddl_commands() AS c \
          WHERE c.objid OPERATOR(pg_catalog.=) $1",
        &[(pg_sys::OIDOID, pg_sys::Datum::from(relation))],
        |r| Ok(r[0]),
    )?;
    if commands.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for command in commands {
        let Some(datum) = command else {
            return Ok(None);
        };
        // SAFETY: a CollectedCommand of the running event trigger; tags are checked before
        // casts.
        unsafe {
            let cmd = datum.cast_mut_ptr::<pg_sys::CollectedCommand>();
            if cmd.is_null()
                || (*cmd).type_ != pg_sys::CollectedCommandType::SCT_AlterTable
                || !is_a((*cmd).parsetree, pg_sys::NodeTag::T_AlterTableStmt)
            {
                return Ok(None);
            }
            let stmt = &*((*cmd).parsetree as *mut pg_sys::AlterTableStmt);
            out.extend(
                crate::pg::nodes::list_iter::<pg_sys::AlterTableCmd>(stmt.cmds)
                    .map(|c| (*c).subtype),
            );
        }
    }
    Ok(Some(out))
}

/// Does every ALTER TABLE command the running DDL reported for `relation` leave its columns
/// and values as they were: constraints and indexes added, validated or dropped, triggers
/// enabled or disabled, statistics, storage, options, replica identity, clustering, column
/// defaults? (Not: columns added, dropped or retyped, generated expressions, NOT NULL,
/// owner, row security, access method, partitions, inheritance.)
fn alter_changes_no_values(relation: pg_sys::Oid) -> Result<bool, TviewError> {
    Ok(alter_subcommands(relation)?.is_some_and(|subs| {
        subs.iter()
            .all(|s| VALUE_NEUTRAL_ALTERS.contains(s) || TRIGGER_STATE_ALTERS.contains(s))
    }))
}

/// May the running ALTER TABLE of `relation` have enabled or disabled triggers (one that
/// cannot be read may have)?
fn alter_sets_triggers(relation: pg_sys::Oid) -> Result<bool, TviewError> {
    Ok(alter_subcommands(relation)?
        .is_none_or(|subs| subs.iter().any(|s| TRIGGER_STATE_ALTERS.contains(s))))
}

/// The table and name of trigger `trigger` (None for another kind of object).
fn trigger_table_and_name(
    trigger: pg_sys::Oid,
) -> Result<Option<(pg_sys::Oid, String)>, TviewError> {
    let found = crate::pg::spi::select_latest(
        "SELECT t.tgrelid, t.tgname::pg_catalog.text FROM pg_catalog.pg_trigger t \
          WHERE t.oid OPERATOR(pg_catalog.=) $1",
        &[(pg_sys::OIDOID, pg_sys::Datum::from(trigger))],
        // SAFETY: an oid and a text column.
        |r| unsafe {
            Ok(crate::pg::spi::value::<pg_sys::Oid>(r[0])
                .zip(crate::pg::spi::value::<String>(r[1])))
        },
    )?;
    Ok(found.into_iter().flatten().next())
}

/// Has this transaction given `relid` new storage (a rewrite by ALTER TABLE)?
fn rewritten_in_this_transaction(relid: pg_sys::Oid) -> bool {
    // SAFETY: opens an existing relation that the running ALTER TABLE has locked, reads its
    // relcache entry and closes it.
    unsafe {
        let rel = pg_sys::relation_open(relid, pg_sys::NoLock as pg_sys::LOCKMODE);
        // (InvalidSubTransactionId is 0.)
        let rewritten = (*rel).rd_newRelfilelocatorSubid != 0;
        pg_sys::relation_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        rewritten
    }
}

/// The owner of a relation (InvalidOid for one that is gone).
fn owner_of(relid: pg_sys::Oid) -> pg_sys::Oid {
    crate::pg::names::relation_owner(relid).unwrap_or(pg_sys::InvalidOid)
}

/// The relation whose rule `object` is, when it is a rule.
fn rule_relation(object: pg_sys::Oid) -> Result<Option<pg_sys::Oid>, TviewError> {
    Ok(crate::pg::spi::read_one::<pg_sys::Oid>(
        "SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid OPERATOR(pg_catalog.=) $1",
        &[object.into()],
    )?)
}

/// Is `object` a text search configuration or dictionary?
fn is_text_search_object(object: pg_sys::Oid) -> Result<bool, TviewError> {
    Ok(crate::pg::spi::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config c WHERE c.oid OPERATOR(pg_catalog.=) $1)
             OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict d WHERE d.oid OPERATOR(pg_catalog.=) $1)",
        &[object.into()],
    )?
    .unwrap_or(false))
}

/// Does the `default_text_search_config` TVIEW `m` runs with name `object` (a text search
/// configuration), or a configuration using `object` (a dictionary)?
fn default_text_search_config_is(
    m: &crate::catalog::TviewMeta,
    object: pg_sys::Oid,
) -> Result<bool, TviewError> {
    let Some((_, config)) = m
        .settings
        .iter()
        .find(|(name, _)| name == "default_text_search_config")
    else {
        return Ok(false);
    };
    Ok(crate::pg::spi::read_one::<bool>(
        // PostgreSQL stores the setting schema-qualified when it can resolve it; a bare
        // name resolves in pg_catalog under maintenance's fixed search_path.
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config c
                           JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.cfgnamespace,
                                pg_catalog.parse_ident($1) AS p(parts)
                         WHERE c.cfgname OPERATOR(pg_catalog.=)
                                   p.parts[pg_catalog.array_length(p.parts, 1)]::pg_catalog.name
                           AND n.nspname OPERATOR(pg_catalog.=)
                                   (CASE WHEN pg_catalog.array_length(p.parts, 1) OPERATOR(pg_catalog.>) 1
                                         THEN p.parts[1] ELSE 'pg_catalog' END)::pg_catalog.name
                           AND (c.oid OPERATOR(pg_catalog.=) $2
                                OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config_map m
                                            WHERE m.mapcfg OPERATOR(pg_catalog.=) c.oid
                                              AND m.mapdict OPERATOR(pg_catalog.=) $2)))",
        &[config.as_str().into(), object.into()],
    )?
    .unwrap_or(false))
}

/// After ALTER TABLE or ALTER VIEW: keep what maintenance relies on true for a TVIEW whose
/// table or definition view `relation` is. Other relations are left alone, so calling it by
/// hand changes nothing but re-applying the rules.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_after_alter(relation: pg_sys::Oid) {
    let run = || -> Result<(), TviewError> {
        // Only for what the DDL command in progress changed: called by hand (it is
        // callable, as event trigger functions must be), it raises, as
        // pg_event_trigger_ddl_commands() does outside an event trigger.
        let changed: Option<bool> = crate::pg::spi::read_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() AS c \
                             WHERE c.objid OPERATOR(pg_catalog.=) $1)",
            &[relation.into()],
        )?;
        if changed != Some(true) {
            return Ok(());
        }
        if relation == crate::catalog::catalog_oid()? {
            // pg_tview_meta itself: a data-only restore loads its rows between ALTER TABLE
            // ... DISABLE and ENABLE TRIGGER ALL, and COPY announces them to no backend's
            // cache. This one reads the catalog again, the others at commit.
            // SAFETY: queues a relcache invalidation of an existing relation.
            unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relation) };
            cache::invalidate();
            return Ok(());
        }
        let tag: String = crate::pg::spi::read_one(
            "SELECT pg_catalog.min(c.command_tag) FROM pg_catalog.pg_event_trigger_ddl_commands() AS c \
              WHERE c.objid OPERATOR(pg_catalog.=) $1",
            &[relation.into()],
        )?
        .unwrap_or_default();
        // Code of another role that maintenance would now run without its definition
        // changing: refused here, rather than at every later write.
        check_code_after(relation, &tag)?;
        if CODE_TAGS.contains(&tag.as_str()) {
            return Ok(());
        }
        // Whatever the command named (ATTACH PARTITION the parent, INHERIT the child, a
        // trigger or rule its table), no table pg_tviews writes may stop being plain.
        check_plain_tables(relation)?;
        if tag == "CREATE TRIGGER" || tag == "ALTER TRIGGER" {
            let Some((table, name)) = trigger_table_and_name(relation)? else {
                return Ok(());
            };
            // A trigger under one of the names pg_tviews reserves that is not pg_tviews'
            // own would pass for it: CREATE OR REPLACE TRIGGER of one of them (which TRIGGER
            // on the table allows, no ownership needed) would stop maintenance of every
            // write to the table, and another trigger renamed to one of them would make a
            // TVIEW created later trust it.
            if install::is_impostor(table, &name)? {
                return Err(TviewError::ReservedTrigger {
                    table: crate::pg::names::describe(table),
                    trigger: name,
                });
            }
            // A rename takes one of pg_tviews' triggers out of place as surely as DROP
            // TRIGGER (and makes it look like someone else's to DROP TRIGGER after it). A
            // trigger created changes no value a definition reads.
            if tag == "ALTER TRIGGER" {
                note_triggers_out_of_place(table, &cache::all()?, &tag)?;
            }
            return Ok(());
        }
        // Deferred changes this transaction captured as text before this DDL.
        crate::maintain::deferred::recompute_captured();
        if tag == "COMMENT" {
            // A state table's comment says what it holds, and decides whether a backend
            // compiling its TVIEW uses it: one changed by hand is built again (with its
            // comment), so that no backend keeps reading a state the others stopped adding
            // to. Other comments change nothing maintenance reads.
            for m in cache::all()? {
                if crate::tally::is_state_table(&m, relation)? {
                    crate::tally::rebuild_for(m.table)?;
                }
            }
            return Ok(());
        }
        // CREATE TEXT SEARCH CONFIGURATION matters to a TVIEW whose pinned
        // default_text_search_config names it (one dropped and made again), not to others.
        let created = tag.starts_with("CREATE");
        // CREATE OR REPLACE VIEW, or CREATE RULE "_RETURN" (which replaces a view's query,
        // reported as the rule): the view's query is new.
        let replaced = tag == "CREATE VIEW" || tag == "CREATE RULE";
        let relation = rule_relation(relation)?.unwrap_or(relation);
        if tag == "ALTER TABLE" {
            // ENABLE TRIGGER ALL (a data-only restore with --disable-triggers ends with it)
            // enables every trigger for ordinary sessions only. The catalog may not list the
            // table yet (its rows restored later): the triggers themselves say.
            install::keep_trigger_states(relation)?;
        }
        let all = cache::all()?;
        // An ALTER TABLE that changes no column and no value (a constraint or index added, a
        // trigger enabled: a restore's post-data is made of these) needs no TVIEW analyzed
        // again. Analyzing opens every table a definition reads, and the jobs of a parallel
        // restore, each holding the table it alters, deadlocked doing so.
        // A state table is pg_tviews' own, whatever its owner does to it: any ALTER TABLE of
        // one (a dropped key would fail every write to its source, an added CHECK some) has
        // it built again below.
        let is_state = is_any_state_table(relation, &all)?;
        if (tag == "ALTER TABLE" || tag == "ALTER VIEW") && !is_state {
            refuse_part_moved(relation, &all)?;
        }
        let neutral = tag == "ALTER TABLE" && !is_state && alter_changes_no_values(relation)?;
        // Tallies of a table that changed (a renamed or retyped column, another owner of the
        // TVIEW) are built again at the end, from the tables as they are then.
        let mut tallied = Vec::new();
        // So are those of a TVIEW whose definition uses what changed (a function replaced:
        // its conditions count other rows now).
        // What the DDL touched is decided from the catalogs first: analyzing a definition
        // locks every table it reads until the transaction ends, which a role's DDL on its
        // own objects (CREATE FUNCTION) must not do to TVIEWs it has nothing to do with.
        // A table made a child of a source (CREATE TABLE ... INHERITS, ALTER TABLE ...
        // INHERIT) is reported itself: analysis refuses the source.
        let parents = crate::pg::scan::inheritance_parents(relation);
        for m in all.iter().filter(|_| !neutral) {
            if (m.sources.contains(&relation)
                || parents.iter().any(|p| m.sources.contains(p))
                // ATTACH PARTITION reports the parent: a source now has one.
                || m.sources.iter().any(|s| crate::pg::scan::has_inheritance_parent(*s))
                || m.table == relation
                || crate::checks::definition_depends_on(m.view, relation, &m.sources)?
                // A state table altered by hand (its owner changed and changed back): it may
                // have missed rows meanwhile.
                || crate::tally::is_state_table(m, relation)?)
                && !compiled_after(m, &tag)?.def.tallies.is_empty()
            {
                tallied.push(m.table);
            }
        }
        let result = after_alter_checks(relation, &all, &tag, created, replaced, neutral);
        for table in tallied {
            crate::tally::rebuild_for(table)?;
        }
        result
    };
    crate::pg::context::run(crate::pg::context::Role::Caller, &[], run).or_raise();
}

/// Commands the event trigger reports only for [`check_code_after`]: what they make or
/// change is read by maintenance's planning, never by a definition's values.
const CODE_TAGS: [&str; 7] = [
    "CREATE INDEX",
    "REINDEX",
    "CREATE STATISTICS",
    "CREATE OPERATOR",
    "ALTER OPERATOR",
    "CREATE OPERATOR CLASS",
    "ALTER OPERATOR FAMILY",
];

/// After DDL command `tag` on `object`: the TVIEWs whose maintenance may now run code of a
/// role that is neither their owner nor a superuser, though no definition changed, are
/// refused as their next write would be (`checks::check_functions`). The planner evaluates
/// the expressions of the indexes, CHECK constraints and statistics objects of the tables
/// it plans over (CREATE INDEX, CREATE STATISTICS, ALTER TABLE ... ADD CONSTRAINT), and may
/// put an operator's negator or commutator in its place (ALTER OPERATOR ... SET NEGATOR,
/// CREATE OPERATOR naming an existing operator as either); ALTER FUNCTION ... OWNER TO
/// gives a function maintenance runs to another role. Only TVIEWs that read the table, or
/// run the function or operator, are checked (from the catalogs: no table is locked), so a
/// TVIEW broken by something else never refuses an unrelated role's DDL.
fn check_code_after(object: pg_sys::Oid, tag: &str) -> Result<(), TviewError> {
    // What to look for: a table read, or a function run.
    enum Touched {
        Table(pg_sys::Oid),
        Function(pg_sys::Oid),
        // An operator family indexes may use.
        Family(pg_sys::Oid),
        // A domain or type whose values maintenance may carry as text and read back.
        Type(pg_sys::Oid),
    }
    // SAFETY: catalog lookups; InvalidOid / '\0' for what is not there.
    let touched = unsafe {
        match tag {
            // REINDEX makes an index valid again (one a refused CREATE INDEX CONCURRENTLY
            // left invalid): from then on the planner uses it.
            "CREATE INDEX" | "REINDEX" | "ALTER TABLE" => {
                match pg_sys::get_rel_relkind(object) as u8 {
                    pg_sys::RELKIND_INDEX | pg_sys::RELKIND_PARTITIONED_INDEX => {
                        Touched::Table(pg_sys::IndexGetRelation(object, true))
                    }
                    _ => Touched::Table(object),
                }
            }
            "CREATE STATISTICS" => Touched::Table(crate::pg::scan::statistics_table(object)),
            "CREATE OPERATOR" | "ALTER OPERATOR" => Touched::Function(pg_sys::get_opcode(object)),
            "ALTER FUNCTION" | "ALTER ROUTINE" => Touched::Function(object),
            "CREATE OPERATOR CLASS" => Touched::Family(pg_sys::get_opclass_family(object)),
            "ALTER OPERATOR FAMILY" => Touched::Family(object),
            "ALTER DOMAIN" | "CREATE CAST" => Touched::Type(object),
            _ => return Ok(()),
        }
    };
    for m in cache::all()? {
        let concerned = match touched {
            // The tables a definition reads are its sources (compiling refuses others); the
            // ones it writes, its table and state tables. Decided without walking anything:
            // a restore's post-data runs this for every index and constraint it adds.
            Touched::Table(t) => {
                t != pg_sys::InvalidOid
                    && (m.sources.contains(&t)
                        || m.table == t
                        || crate::pg::scan::internal_parts(m.table).contains(&t))
            }
            // A family's members run through the indexes that use it, and (a default class)
            // wherever values of its type are compared, sorted or hashed, a built-in type's
            // too: every TVIEW is checked (only a superuser changes a family, rarely).
            Touched::Family(f) => f != pg_sys::InvalidOid,
            Touched::Type(typ) => m.sources.iter().any(|&t| {
                crate::pg::scan::column_types(t).iter().any(|&c| {
                    crate::pg::scan::text_round_trip_functions(c)
                        .iter()
                        .any(|&(_, through)| through == typ)
                })
            }),
            Touched::Function(f) => {
                f != pg_sys::InvalidOid
                    && (crate::pg::scan::definition_reach(m.view)
                        .functions
                        .contains(&f)
                        || crate::checks::maintained_tables(m.view, m.owner, Some(m.table))
                            .iter()
                            .any(|&(t, written)| {
                                crate::pg::scan::table_code_functions(t, written).contains(&f)
                            }))
            }
        };
        if concerned {
            crate::checks::check_functions(m.view, m.owner, Some(m.table))
                .map_err(|cause| breaks(&m, tag, cause))?;
        }
    }
    Ok(())
}

/// The refusal `cause` of analyzing TVIEW `m` again after DDL command `command`, said as
/// the command's.
fn breaks(m: &crate::catalog::TviewMeta, command: &str, cause: TviewError) -> TviewError {
    if let TviewError::AlterRefused { .. } = cause {
        // Already said as a change refused to the TVIEW's table.
        return cause;
    }
    TviewError::DdlBreaks {
        command: command.to_string(),
        tview: crate::pg::names::describe(m.table),
        cause: Box::new(cause),
    }
}

/// TVIEW `m` compiled (analyzed again when DDL command `command` invalidated it).
fn compiled_after(
    m: &crate::catalog::TviewMeta,
    command: &str,
) -> Result<std::rc::Rc<cache::Compiled>, TviewError> {
    cache::compiled(m).map_err(|cause| breaks(m, command, cause))
}

/// The checks and recomputes of [`pg_tviews_after_alter`] for `relation` (changed by
/// `command`, its tag; `created`: by a CREATE command; `replaced`: a view's query
/// replaced; `neutral`: an ALTER TABLE that changed no column or value, see
/// [`alter_changes_no_values`]), given every TVIEW's catalog row.
fn after_alter_checks(
    relation: pg_sys::Oid,
    all: &[crate::catalog::TviewMeta],
    command: &str,
    created: bool,
    replaced: bool,
    neutral: bool,
) -> Result<(), TviewError> {
    // ALTER TYPE ... ATTRIBUTE reports the composite type's relation, OWNER and RENAME
    // the type itself.
    // SAFETY: a syscache lookup; InvalidOid when `relation` is no relation.
    let row_type = unsafe { pg_sys::get_rel_type_id(relation) };
    if let Some(meta) = all
        .iter()
        .find(|m| m.key_type.is_some_and(|k| k == relation || k == row_type))
    {
        // ALTER TYPE of the type that holds a TVIEW's keys.
        check_key_type(meta)?;
        // Renamed or moved: maintenance names it anew in every backend.
        // SAFETY: queues a relcache invalidation of an existing relation.
        unsafe { pg_sys::CacheInvalidateRelcacheByRelid(meta.table) };
        cache::invalidate();
        return Ok(());
    }
    // A source whose row level security now applies to a TVIEW's owner.
    for m in all.iter().filter(|m| m.sources.contains(&relation)) {
        crate::checks::check_row_security(&m.tview_name, &[relation], m.owner)?;
    }
    // ALTER TABLE ... DISABLE / ENABLE [REPLICA | ALWAYS] TRIGGER: one of pg_tviews'
    // triggers there now fires where it does not work (or nowhere). Triggers that are merely
    // missing are another command's doing (DROP TRIGGER marks), or a restore's post-data
    // section that has not created them all yet (it enables each replica trigger as it
    // creates it: marking then would mark every TVIEW of every restore, and parallel
    // restores' sessions would update the same catalog rows in opposite orders).
    // Only a command that enables or disables triggers marks: a trigger left disabled since
    // it was created (the replica triggers on a table its owner did not enable them on)
    // was out of place before any other ALTER TABLE, which changes nothing of it.
    // A state table's triggers are made anew with it (it is built again after any ALTER).
    if command == "ALTER TABLE"
        && alter_sets_triggers(relation)?
        && !is_any_state_table(relation, all)?
        && !install::enabled_out_of_place(relation)?.is_empty()
    {
        note_triggers_out_of_place(relation, all, command)?;
    }
    // What a definition computes changed under it: recompute (every backend recompiles,
    // since the TVIEW table's relcache entry is invalidated).
    let is_relation = relation_name(relation).is_some();
    let text_search_object = !is_relation && is_text_search_object(relation)?;
    for m in all {
        let stale = if m.sources.contains(&relation) {
            // ADD, DROP or RENAME COLUMN on a table read as whole rows; or an ALTER TABLE
            // that wrote the source's rows anew, with values that may differ, and no trigger
            // fired (ALTER COLUMN ... SET EXPRESSION recomputes a stored generated column;
            // a column's type changed under USING).
            rewritten_in_this_transaction(relation)
                || (!neutral
                    && cache::compiled(m)?
                        .def
                        .whole_row_sources
                        .contains(&relation))
        } else if is_relation {
            // CREATE OR REPLACE VIEW (or RULE) of a helper view the definition reads or of
            // its own definition view; RENAME ATTRIBUTE or COLUMN of a composite type, a
            // table or a view whose row type the definition uses (ROW(...)::t).
            (m.view == relation && replaced)
                || (m.view != relation && helper_views(m.view)?.contains(&relation))
                || crate::checks::definition_depends_on(
                    m.view,
                    // SAFETY: a syscache lookup of an existing relation.
                    unsafe { pg_sys::get_rel_type_id(relation) },
                    &m.sources,
                )?
        } else {
            // CREATE OR REPLACE FUNCTION, ALTER FUNCTION, ALTER TYPE (RENAME VALUE,
            // RENAME ATTRIBUTE), ALTER DOMAIN, ALTER TEXT SEARCH CONFIGURATION or
            // DICTIONARY of something the definition uses, or of the text search
            // configuration its pinned default_text_search_config names.
            crate::checks::definition_depends_on(m.view, relation, &m.sources)?
                || default_text_search_config_is(m, relation)?
                || (text_search_object && !created && cache::compiled(m)?.def.text_search)
        };
        if stale {
            // SAFETY: queues a relcache invalidation of an existing relation.
            unsafe { pg_sys::CacheInvalidateRelcacheByRelid(m.table) };
            cache::invalidate();
            let fresh = cache::all()?
                .into_iter()
                .find(|x| x.table == m.table)
                .ok_or_else(|| TviewError::NoSuchTview(m.tview_name.clone()))?;
            // Analyzing it again applies every rule of creation to what it reads now; a
            // helper view that now reads other tables would leave those without triggers.
            // (Compiling refuses one that now reads other tables than its sources.)
            compiled_after(&fresh, command)?;
            // A proven key stays proven through a replaced helper view or function (not
            // re-proven at ALTER TABLE of a source: a restore adds constraints in any
            // order, and a dropped unique index is caught by the first repeating write).
            if fresh.key_proven && !fresh.sources.contains(&relation) {
                crate::analyze::prove_key_again(
                    &fresh.view_name.0,
                    &fresh.view_name.1,
                    &fresh.tview_name,
                    &fresh.key,
                )
                .map_err(|cause| breaks(&fresh, command, cause))?;
            }
            crate::maintain::run::refresh_all_rows(&fresh)?;
        }
    }
    let Some(meta) = all
        .iter()
        .find(|m| m.table == relation || m.view == relation)
    else {
        return Ok(());
    };
    let (table_owner, view_owner) = (owner_of(meta.table), owner_of(meta.view));
    let table = crate::pg::names::describe(meta.table);
    if relation == meta.view && table_owner != view_owner {
        return Err(TviewError::AlterRefused {
                table: table.clone(),
                change: "give the definition view an owner other than that".into(),
                hint: format!(
                    "The definition view follows its TVIEW: ALTER TABLE {table} OWNER TO ... changes both."
                ),
            });
    }
    crate::checks::check_persistence(meta.table)?;
    let forced: Option<bool> = crate::pg::spi::read_one(
        "SELECT relforcerowsecurity FROM pg_catalog.pg_class \
              WHERE oid OPERATOR(pg_catalog.=) $1",
        &[meta.table.into()],
    )?;
    if forced == Some(true) {
        return Err(TviewError::AlterRefused {
                table,
                change: "force row level security on the owner".into(),
                hint: "Maintenance writes every row as the table's owner, who must see them all. ENABLE ROW LEVEL SECURITY alone lets policies filter what other roles read.".into(),
            });
    }
    crate::create::check_same_columns(meta.table, meta.view).map_err(|_| TviewError::AlterRefused {
            table,
            change: "rename, retype, add or drop columns".into(),
            hint: "A TVIEW's columns are its definition's: drop the TVIEW and create it again with the new SELECT.".into(),
        })?;
    if relation == meta.table && rewritten_in_this_transaction(meta.table) {
        // ALTER TABLE wrote the rows anew (ALTER COLUMN ... TYPE ... USING, SET ACCESS
        // METHOD): what it wrote is not the definition's, so the definition's rows replace
        // it.
        crate::maintain::run::refresh_all_rows(meta)?;
    }
    if let Some(key_type) = meta.key_type {
        // The type of the keys follows the table's owner too (its owner may alter it).
        let type_owner: Option<pg_sys::Oid> = crate::pg::spi::read_one(
            "SELECT typowner FROM pg_catalog.pg_type WHERE oid OPERATOR(pg_catalog.=) $1",
            &[key_type.into()],
        )?;
        if type_owner.is_some_and(|o| o != table_owner) {
            // SAFETY: a catalog lookup of an existing role's name (palloc'd).
            let role =
                unsafe { crate::pg::nodes::cstring(pg_sys::GetUserNameFromId(table_owner, false)) }
                    .ok_or(TviewError::Internal("the owner has no name".into()))?;
            as_extension_owner(|| {
                Ok(Spi::run(&format!(
                    "ALTER TYPE {} OWNER TO {}",
                    crate::pg::names::qualified_type(key_type),
                    tviews_core::sqlgen::quote_ident(&role)
                ))?)
            })?;
        }
    }
    if table_owner != view_owner {
        // The new owner is who maintenance runs as: the same rules as at creation.
        crate::checks::check_row_security(&meta.tview_name, &meta.sources, table_owner)?;
        crate::checks::check_functions(meta.view, table_owner, Some(meta.table))?;
        let view = tviews_core::sqlgen::qualified(&meta.view_name.0, &meta.view_name.1);
        // SAFETY: a catalog lookup of an existing role's name (palloc'd).
        let role =
            unsafe { crate::pg::nodes::cstring(pg_sys::GetUserNameFromId(table_owner, false)) }
                .ok_or(TviewError::Internal("the owner has no name".into()))?;
        as_extension_owner(|| {
            Ok(Spi::run(&format!(
                "ALTER VIEW {view} OWNER TO {}",
                tviews_core::sqlgen::quote_ident(&role)
            ))?)
        })?;
        // The new owner must be able to read what the definition reads: maintenance runs
        // as it. PostgreSQL checks the privileges when the query starts, rows or not.
        let as_owner = crate::pg::context::Role::As {
            user: table_owner,
            restricted: true,
        };
        crate::pg::context::run(as_owner, &meta.settings, || {
            Ok(Spi::run(&format!("SELECT FROM {view} LIMIT 0"))?)
        })?;
        cache::invalidate();
        // What the definition returns may depend on who asks (current_user, policies the
        // new owner bypasses): the rows are recomputed as the new owner.
        // SAFETY: queues a relcache invalidation of an existing relation, sent at commit.
        unsafe { pg_sys::CacheInvalidateRelcacheByRelid(meta.table) };
        let moved = cache::all()?
            .into_iter()
            .find(|m| m.table == meta.table)
            .ok_or_else(|| TviewError::NoSuchTview(meta.tview_name.clone()))?;
        crate::maintain::run::refresh_all_rows(&moved)?;
    }
    Ok(())
}

extension_sql!(
    r#"
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
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER pg_tviews_alter IS
'pg_tviews: ALTER TABLE tv_<name> OWNER TO carries the TVIEW; changes that would break maintenance are refused.';
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
"#,
    name = "event_trigger_alter",
    requires = [pg_tviews_after_alter]
);

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_adopt_table(oid) IS
'pg_tviews internal: called by the ddl_command_end event trigger to turn a table made by CREATE TABLE tv_<name> AS SELECT into a TVIEW.';

CREATE FUNCTION pg_tviews_on_ddl_command_start() RETURNS event_trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'pg_tviews_on_ddl_command_start';
COMMENT ON FUNCTION pg_tviews_on_ddl_command_start() IS
'pg_tviews: event trigger function capturing the SELECT of CREATE TABLE tv_<name> AS before it runs, and detaching a TVIEW before DROP VIEW, DROP TABLE or DROP TYPE of one of its parts alone (what pg_restore --clean does).';
COMMENT ON FUNCTION pg_tviews_check_inherited(oid) IS
'pg_tviews internal: called by the ddl_command_end event trigger after CREATE TABLE and CREATE FOREIGN TABLE (also inside CREATE SCHEMA); refuses a table that inherits from a TVIEW''s source, table or state table.';
COMMENT ON FUNCTION pg_tviews_forget_dropped(oid[]) IS
'pg_tviews internal: called by the sql_drop event trigger to remove catalog rows and triggers of dropped TVIEWs.';
COMMENT ON FUNCTION pg_tviews_after_cast(oid, oid, text) IS
'pg_tviews internal: called by the event triggers after CREATE CAST and DROP CAST: a cast to json or jsonb from a type whose values a TVIEW''s definition handles changes what to_json and the like compute there, so each such TVIEW is checked again (the DDL is refused if the cast''s function may not run in its maintenance) and recomputed; a cast between text and the type of a column of a table a TVIEW reads (maintenance carries such values as text) is refused when its function may not run in that TVIEW''s maintenance.';
COMMENT ON FUNCTION pg_tviews_after_trigger_drop(oid[]) IS
'pg_tviews internal: called by the sql_drop event trigger after DROP TRIGGER on these tables: the TVIEWs that read them or are them are warned about and marked maybe stale.';

CREATE FUNCTION pg_tviews_on_ddl_command_end() RETURNS event_trigger
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

CREATE FUNCTION pg_tviews_on_sql_drop() RETURNS event_trigger
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
COMMENT ON FUNCTION pg_tviews_on_sql_drop() IS
'pg_tviews: event trigger function cleaning up after dropped TVIEWs.';

CREATE EVENT TRIGGER pg_tviews_ddl_command_start ON ddl_command_start
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO', 'DROP TABLE', 'DROP VIEW', 'DROP TYPE')
    EXECUTE FUNCTION pg_tviews_on_ddl_command_start();
ALTER EVENT TRIGGER pg_tviews_ddl_command_start ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER pg_tviews_ddl_command_start IS
'pg_tviews: captures the SELECT of CREATE TABLE tv_<name> AS for the TVIEW it creates, and detaches a TVIEW whose definition view, state table or key type is dropped alone (its table stays, as a plain table).';

CREATE EVENT TRIGGER pg_tviews_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO', 'CREATE TABLE', 'CREATE FOREIGN TABLE',
                 'CREATE SCHEMA')
    EXECUTE FUNCTION pg_tviews_on_ddl_command_end();
ALTER EVENT TRIGGER pg_tviews_ddl_command_end ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER pg_tviews_ddl_command_end IS
'pg_tviews: CREATE TABLE tv_<name> AS SELECT ... creates a TVIEW; CREATE TABLE ... INHERITS of a TVIEW''s source is refused.';

CREATE EVENT TRIGGER pg_tviews_sql_drop ON sql_drop
    EXECUTE FUNCTION pg_tviews_on_sql_drop();
ALTER EVENT TRIGGER pg_tviews_sql_drop ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER pg_tviews_sql_drop IS
'pg_tviews: DROP TABLE tv_<name> removes the TVIEW''s catalog row and unneeded triggers.';
"#,
    name = "event_triggers",
    requires = [
        pg_tviews_adopt_table,
        pg_tviews_forget_dropped,
        pg_tviews_after_trigger_drop,
        pg_tviews_after_cast,
        pg_tviews_check_inherited
    ]
);
