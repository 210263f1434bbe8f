//! Installing and removing the triggers maintenance needs.
//!
//! Every source table gets one set of statement triggers (named `pgtv_*`), shared by all
//! TVIEWs that read it; every TVIEW table gets a guard. Triggers are created as the user
//! creating the TVIEW, so PostgreSQL checks their TRIGGER privilege on each source; they are
//! removed as the extension owner when the last TVIEW reading a table goes.

use pgrx::prelude::*;
use tviews_core::sqlgen::{quote_ident, TRANSITION_NEW, TRANSITION_OLD};

use crate::errors::TviewError;
use crate::pg::names::describe;
use crate::pg::names::relation_name;

/// One trigger pg_tviews installs: its name, the SQL of its timing and event, and what
/// `pg_trigger` then holds (`tgtype`, transition table names), so that a trigger of that name
/// made by someone else can be told apart from it.
struct TriggerSpec {
    name: &'static str,
    event: &'static str,
    referencing: String,
    tgtype: i16,
    old_table: Option<&'static str>,
    new_table: Option<&'static str>,
}

// pg_trigger.tgtype bits (trigger.h): BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32;
// no ROW bit (statement triggers), no INSTEAD.
const TYPE_BEFORE: i16 = 2;
const TYPE_INSERT: i16 = 4;
const TYPE_DELETE: i16 = 8;
const TYPE_UPDATE: i16 = 16;
const TYPE_TRUNCATE: i16 = 32;

/// The source triggers.
fn source_trigger_specs() -> [TriggerSpec; 4] {
    let (old, new) = (quote_ident(TRANSITION_OLD), quote_ident(TRANSITION_NEW));
    [
        TriggerSpec {
            name: "pgtv_insert",
            event: "AFTER INSERT",
            referencing: format!("REFERENCING NEW TABLE AS {new}"),
            tgtype: TYPE_INSERT,
            old_table: None,
            new_table: Some(TRANSITION_NEW),
        },
        TriggerSpec {
            name: "pgtv_update",
            event: "AFTER UPDATE",
            referencing: format!("REFERENCING OLD TABLE AS {old} NEW TABLE AS {new}"),
            tgtype: TYPE_UPDATE,
            old_table: Some(TRANSITION_OLD),
            new_table: Some(TRANSITION_NEW),
        },
        TriggerSpec {
            name: "pgtv_delete",
            event: "AFTER DELETE",
            referencing: format!("REFERENCING OLD TABLE AS {old}"),
            tgtype: TYPE_DELETE,
            old_table: Some(TRANSITION_OLD),
            new_table: None,
        },
        TriggerSpec {
            name: "pgtv_truncate",
            event: "AFTER TRUNCATE",
            referencing: String::new(),
            tgtype: TYPE_TRUNCATE,
            old_table: None,
            new_table: None,
        },
    ]
}

/// The guard on TVIEW tables.
fn guard_spec() -> TriggerSpec {
    TriggerSpec {
        name: GUARD_TRIGGER,
        event: "BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE",
        referencing: String::new(),
        tgtype: TYPE_BEFORE | TYPE_INSERT | TYPE_UPDATE | TYPE_DELETE | TYPE_TRUNCATE,
        old_table: None,
        new_table: None,
    }
}

const GUARD_TRIGGER: &str = "pgtv_guard";

fn qualified_table(oid: pg_sys::Oid) -> Result<String, TviewError> {
    let (s, n) = relation_name(oid).ok_or(TviewError::Internal(format!(
        "table {} vanished",
        describe(oid)
    )))?;
    Ok(tviews_core::sqlgen::qualified(&s, &n))
}

/// Does `table` have pg_tviews' trigger `spec`, as the latest committed catalog has it? (A
/// TVIEW created concurrently on the same source may have just added it.) A trigger of that
/// name that differs in anything (its function, events, timing, columns, WHEN condition or
/// transition tables) is refused: it would pass for ours and maintain nothing.
fn has_trigger(table: pg_sys::Oid, spec: &TriggerSpec, function: &str) -> Result<bool, TviewError> {
    use pgrx::IntoDatum;
    let text = |v: &str| v.into_datum().expect("a text is never NULL");
    let optional = |v: Option<&str>| v.map(text);
    let args = [
        (pg_sys::OIDOID, Some(pg_sys::Datum::from(table))),
        (pg_sys::TEXTOID, Some(text(spec.name))),
        (pg_sys::TEXTOID, Some(text(function))),
        (pg_sys::INT2OID, spec.tgtype.into_datum()),
        (pg_sys::TEXTOID, optional(spec.old_table)),
        (pg_sys::TEXTOID, optional(spec.new_table)),
    ];
    let found = crate::pg::spi::select_latest_nullable(
        "SELECT t.tgfoid OPERATOR(pg_catalog.=) $3::pg_catalog.regprocedure \
            AND t.tgtype OPERATOR(pg_catalog.=) $4 \
            AND pg_catalog.cardinality(t.tgattr::pg_catalog.int2[]) OPERATOR(pg_catalog.=) 0 \
            AND t.tgqual IS NULL \
            AND t.tgoldtable::pg_catalog.text IS NOT DISTINCT FROM $5 \
            AND t.tgnewtable::pg_catalog.text IS NOT DISTINCT FROM $6 \
           FROM pg_catalog.pg_trigger t \
          WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
            AND t.tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
        &args,
        // SAFETY: a boolean column.
        |r| Ok(unsafe { crate::pg::spi::value::<bool>(r[0]) }.unwrap_or(false)),
    )?;
    match found.first() {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(TviewError::ForeignTrigger {
            table: describe(table),
            trigger: spec.name.to_string(),
        }),
    }
}

/// Make sure `table` has the source triggers.
pub fn source_triggers(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    let t = qualified_table(table)?;
    let function = format!("{ext_schema}.pg_tviews_source_trigger()");
    for spec in source_trigger_specs() {
        if has_trigger(table, &spec, &function)? {
            continue;
        }
        Spi::run(&format!(
            "CREATE TRIGGER {} {} ON {t} {} FOR EACH STATEMENT \
             EXECUTE FUNCTION {ext_schema}.pg_tviews_source_trigger()",
            quote_ident(spec.name),
            spec.event,
            spec.referencing
        ))?;
    }
    Ok(())
}

/// Make sure the TVIEW table `table` refuses direct writes.
pub fn guard_trigger(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    let spec = guard_spec();
    if has_trigger(
        table,
        &spec,
        &format!("{ext_schema}.pg_tviews_guard_trigger()"),
    )? {
        return Ok(());
    }
    Spi::run(&format!(
        "CREATE TRIGGER {} {} ON {} \
         FOR EACH STATEMENT EXECUTE FUNCTION {ext_schema}.pg_tviews_guard_trigger()",
        quote_ident(spec.name),
        spec.event,
        qualified_table(table)?
    ))?;
    Ok(())
}

/// Remove the source triggers from `table` (it is no longer read by any TVIEW).
pub fn remove_source_triggers(table: pg_sys::Oid) -> Result<(), TviewError> {
    let Ok(t) = qualified_table(table) else {
        return Ok(()); // dropped along
    };
    for spec in source_trigger_specs() {
        Spi::run(&format!(
            "DROP TRIGGER IF EXISTS {} ON {t}",
            quote_ident(spec.name)
        ))?;
    }
    Ok(())
}

/// Make every backend rebuild its compiled TVIEWs that involve these relations. The
/// catalog's own entry is always invalidated: every backend watches it, including those that
/// knew no TVIEW reading these sources yet.
pub fn invalidate(sources: &[pg_sys::Oid], table: pg_sys::Oid) -> Result<(), TviewError> {
    let catalog = crate::catalog::catalog_oid()?;
    // SAFETY: queues relcache invalidations, delivered to other backends at commit and to
    // this one at the next command boundary.
    unsafe {
        if catalog != pg_sys::InvalidOid {
            pg_sys::CacheInvalidateRelcacheByRelid(catalog);
        }
        // Relations dropped in this transaction have no relcache entry left to invalidate.
        for rel in sources.iter().chain(std::iter::once(&table)) {
            if *rel != pg_sys::InvalidOid && relation_name(*rel).is_some() {
                pg_sys::CacheInvalidateRelcacheByRelid(*rel);
            }
        }
    }
    Ok(())
}
