//! Installing and removing the triggers maintenance needs.
//!
//! Every source table gets one set of statement triggers (named `pgtv_*`), shared by all
//! TVIEWs that read it; every TVIEW table gets a guard. Triggers are created as the user
//! creating the TVIEW, so PostgreSQL checks their TRIGGER privilege on each source; they are
//! removed as the extension owner when the last TVIEW reading a table goes.

use pgrx::prelude::*;
use tviews_core::sqlgen::{quote_ident, TRANSITION_NEW, TRANSITION_OLD};

use crate::create::describe;
use crate::errors::TviewError;
use crate::pg::names::relation_name;

/// The source triggers: (name, timing and event, transition tables).
fn source_trigger_specs() -> [(&'static str, &'static str, String); 4] {
    let (old, new) = (quote_ident(TRANSITION_OLD), quote_ident(TRANSITION_NEW));
    [
        (
            "pgtv_insert",
            "AFTER INSERT",
            format!("REFERENCING NEW TABLE AS {new}"),
        ),
        (
            "pgtv_update",
            "AFTER UPDATE",
            format!("REFERENCING OLD TABLE AS {old} NEW TABLE AS {new}"),
        ),
        (
            "pgtv_delete",
            "AFTER DELETE",
            format!("REFERENCING OLD TABLE AS {old}"),
        ),
        ("pgtv_truncate", "AFTER TRUNCATE", String::new()),
    ]
}

const GUARD_TRIGGER: &str = "pgtv_guard";

fn qualified_table(oid: pg_sys::Oid) -> Result<String, TviewError> {
    let (s, n) = relation_name(oid).ok_or(TviewError::Internal(format!(
        "table {} vanished",
        describe(oid)
    )))?;
    Ok(tviews_core::sqlgen::qualified(&s, &n))
}

/// Does `table` have pg_tviews' trigger `name`, as the latest committed catalog has it? (A
/// TVIEW created concurrently on the same source may have just added it.) A trigger of that
/// name calling another function is refused: it would pass for ours and maintain nothing.
fn has_trigger(table: pg_sys::Oid, name: &str, function: &str) -> Result<bool, TviewError> {
    use pgrx::IntoDatum;
    let name_datum = name.into_datum().expect("a text is never NULL");
    let function_datum = function.into_datum().expect("a text is never NULL");
    let found = crate::pg::spi::select_latest(
        "SELECT t.tgfoid OPERATOR(pg_catalog.=) $3::pg_catalog.regprocedure \
           FROM pg_catalog.pg_trigger t \
          WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
            AND t.tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
        &[
            (pg_sys::OIDOID, pg_sys::Datum::from(table)),
            (pg_sys::TEXTOID, name_datum),
            (pg_sys::TEXTOID, function_datum),
        ],
        // SAFETY: a boolean column.
        |r| Ok(unsafe { crate::pg::spi::value::<bool>(r[0]) }.unwrap_or(false)),
    )?;
    match found.first() {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(TviewError::ForeignTrigger {
            table: describe(table),
            trigger: name.to_string(),
        }),
    }
}

/// Make sure `table` has the source triggers.
pub fn source_triggers(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    let t = qualified_table(table)?;
    let function = format!("{ext_schema}.pg_tviews_source_trigger()");
    for (name, event, referencing) in source_trigger_specs() {
        if has_trigger(table, name, &function)? {
            continue;
        }
        Spi::run(&format!(
            "CREATE TRIGGER {} {event} ON {t} {referencing} FOR EACH STATEMENT \
             EXECUTE FUNCTION {ext_schema}.pg_tviews_source_trigger()",
            quote_ident(name)
        ))?;
    }
    Ok(())
}

/// Make sure the TVIEW table `table` refuses direct writes.
pub fn guard_trigger(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    if has_trigger(
        table,
        GUARD_TRIGGER,
        &format!("{ext_schema}.pg_tviews_guard_trigger()"),
    )? {
        return Ok(());
    }
    Spi::run(&format!(
        "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {} \
         FOR EACH STATEMENT EXECUTE FUNCTION {ext_schema}.pg_tviews_guard_trigger()",
        quote_ident(GUARD_TRIGGER),
        qualified_table(table)?
    ))?;
    Ok(())
}

/// Remove the source triggers from `table` (it is no longer read by any TVIEW).
pub fn remove_source_triggers(table: pg_sys::Oid) -> Result<(), TviewError> {
    let Ok(t) = qualified_table(table) else {
        return Ok(()); // dropped along
    };
    for (name, _, _) in source_trigger_specs() {
        Spi::run(&format!(
            "DROP TRIGGER IF EXISTS {} ON {t}",
            quote_ident(name)
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
