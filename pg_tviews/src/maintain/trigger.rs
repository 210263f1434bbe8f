//! The triggers: one set per source table serving every TVIEW that reads it, and a guard on
//! every TVIEW table.
//!
//! A source statement fires one AFTER ... FOR EACH STATEMENT trigger per kind of change, with
//! its transition tables. For each TVIEW reading the table, in dependency order: one key
//! query over the transition tables, then one MERGE for those keys — two queries per TVIEW
//! whatever the number of changed rows. A MERGE into a TVIEW that others read fires that
//! table's own triggers, which carries the change up the chain.

use std::cell::RefCell;

use pgrx::prelude::*;
use tviews_core::queue::Mode;
use tviews_core::sqlgen::keys::Event;
use tviews_core::sqlgen::patch::Change;

use crate::errors::{OrRaise, TviewError};
use crate::maintain::cache::{self, Compiled};
use crate::maintain::{deferred, lock};
use crate::pg::context::{self, Role};
use crate::pg::spi::{first_datum, first_row, Connection};

thread_local! {
    /// The maintenance in progress in this backend: which TVIEW table it writes, and the
    /// trigger depth its statements run at. The guard lets a write through only when it is
    /// one of those statements: the same table, one trigger level deeper (the guard is a
    /// trigger of that statement). A write from anything those statements fire in turn
    /// (a user's trigger on a TVIEW table, another TVIEW's maintenance writing elsewhere) runs
    /// deeper still, and is refused like any direct write.
    static MAINTAINING: RefCell<Vec<(pg_sys::Oid, i32)>> = const { RefCell::new(Vec::new()) };
}

/// The current trigger nesting level (what `pg_trigger_depth()` returns).
fn trigger_depth() -> i32 {
    // SAFETY: pg_trigger_depth reads a backend-global counter and never looks at its argument.
    let d = unsafe { pg_sys::pg_trigger_depth(std::ptr::null_mut()) };
    d.value() as i32
}

/// Marks maintenance of one TVIEW table in progress for its lifetime (also when an ERROR
/// unwinds through it).
pub struct MaintenanceScope(());

impl MaintenanceScope {
    pub fn enter(table: pg_sys::Oid) -> MaintenanceScope {
        let depth = trigger_depth();
        MAINTAINING.with(|m| m.borrow_mut().push((table, depth)));
        MaintenanceScope(())
    }
}

impl Drop for MaintenanceScope {
    fn drop(&mut self) {
        MAINTAINING.with(|m| m.borrow_mut().pop());
    }
}

/// Reset at transaction end, whatever happened.
pub fn reset() {
    MAINTAINING.with(|m| m.borrow_mut().clear());
    lock::reset();
    deferred::reset();
    crate::stats::reset();
}

/// What to do for one TVIEW after a statement on one of its sources.
enum Work {
    /// Recompute the keys the key query returns (or queue them, in deferred mode).
    Keys(std::rc::Rc<crate::pg::spi::KeptPlan>),
    /// Deferred mode, changes found through other rows: capture what the key query reads of
    /// the changed rows, to find the keys at commit.
    Capture(std::rc::Rc<crate::pg::spi::KeptPlan>),
    /// Recompute every row.
    All,
}

/// Make `tview` equal its definition for the rows a statement on `source` may have changed,
/// now (immediate mode) or by queueing the keys for commit (deferred mode).
///
/// Locks first (see [`lock`]), recompute after, each query a statement of its own so that it
/// sees what transactions that held the locks before have committed.
fn maintain(
    tview: &Compiled,
    source: pg_sys::Oid,
    event: Option<Event>,
    td: *mut pg_sys::TriggerData,
) -> Result<(), TviewError> {
    let deferred = tview.meta.mode == Mode::Deferred;
    let direct = tview.source_is_direct(source);
    with_maintenance(tview, |conn| {
        // SAFETY: td is the TriggerData of the trigger call in progress.
        unsafe { conn.register_trigger_data(td) };
        if event == Some(Event::Update) && !deferred && tview.patch_source(source).is_some() {
            match tview.change(source)? {
                Change::Nothing => return Ok(()),
                Change::Patch => return patch(tview, source, direct),
                Change::Recompute => {}
            }
        }
        let work = match event {
            None => Work::All, // TRUNCATE
            Some(e) if deferred && !direct => match tview.capture_plan(source, e)? {
                Some(p) => Work::Capture(p),
                None => Work::All,
            },
            Some(e) => match tview.key_query_plan(source, e)? {
                Some(p) => Work::Keys(p),
                None => Work::All,
            },
        };
        match work {
            Work::All if deferred => deferred::queue_all(tview),
            Work::Capture(capture) => {
                capture.execute(&[])?;
                // SAFETY: the capture query returns one text[] per delta column.
                unsafe { deferred::queue_lookup(tview, source, &first_row()) };
            }
            Work::All => {
                lock::lock_whole(tview.meta.table);
                tview.refresh_everything()?;
            }
            Work::Keys(key_query) => {
                if !direct {
                    // The key query must see every row a concurrent writer moved.
                    lock::lock_whole(tview.meta.table);
                }
                key_query.execute(&[])?;
                if let Some(keys) = first_datum() {
                    if deferred {
                        // SAFETY: the key query returns an array of the key type.
                        unsafe { deferred::queue_keys(tview, keys) };
                    } else {
                        if direct {
                            // SAFETY: as above.
                            unsafe { lock::lock_keys(tview.meta.table, keys, tview.key_type) };
                        }
                        // SAFETY: as above.
                        unsafe { tview.refresh_keys(keys)? };
                    }
                }
            }
        }
        Ok(())
    })
}

/// The fast path: patch the documents an UPDATE of `source` changed, under the same locks
/// a recompute would take (the keys of the changed rows, or the whole TVIEW for a lookup).
fn patch(tview: &Compiled, source: pg_sys::Oid, direct: bool) -> Result<(), TviewError> {
    if direct {
        if let Some(key_query) = tview.key_query_plan(source, Event::Update)? {
            key_query.execute(&[])?;
            if let Some(keys) = first_datum() {
                // SAFETY: the key query returns an array of the key type.
                unsafe { lock::lock_keys(tview.meta.table, keys, tview.key_type) };
            }
        }
    } else {
        lock::lock_whole(tview.meta.table);
    }
    tview.patch(source)?;
    Ok(())
}

/// Run `f` the way maintenance runs: as the TVIEW's owner (security-restricted), with the
/// search_path restricted and the TVIEW's pinned settings (see [`context`]), inside an SPI
/// connection, with writes to TVIEW tables allowed.
pub fn with_maintenance<R>(
    tview: &Compiled,
    f: impl FnOnce(&Connection) -> Result<R, TviewError>,
) -> Result<R, TviewError> {
    // Row security that has come to apply to the owner since creation (ALTER ROLE ...
    // NOBYPASSRLS, say): refuse to maintain rather than follow what it filters.
    crate::create::check_row_security(
        &tview.meta.tview_name,
        &tview.meta.sources,
        tview.meta.owner,
    )?;
    let run = crate::stats::Run::start(tview.meta.table);
    let owner = Role::As {
        user: tview.meta.owner,
        restricted: true,
    };
    let r = context::run(owner, &tview.meta.settings, || -> Result<R, TviewError> {
        let conn = Connection::open()?;
        let _scope = MaintenanceScope::enter(tview.meta.table);
        let r = f(&conn)?;
        drop(conn);
        Ok(r)
    })?;
    run.finish();
    Ok(r)
}

/// Maintain every TVIEW reading the trigger's table.
#[pg_trigger]
fn pg_tviews_source_trigger<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, TviewError> {
    let td = trigger.trigger_data() as *const pg_sys::TriggerData as *mut pg_sys::TriggerData;
    let op = trigger.trigger_data().tg_event & pg_sys::TRIGGER_EVENT_OPMASK;
    let event = match op {
        pg_sys::TRIGGER_EVENT_INSERT => Some(Event::Insert),
        pg_sys::TRIGGER_EVENT_UPDATE => Some(Event::Update),
        pg_sys::TRIGGER_EVENT_DELETE => Some(Event::Delete),
        _ => None,
    };
    // The catalog reads and the analysis run with the search_path restricted too: the writer's
    // session steers nothing of what happens here.
    let run = || -> Result<(), TviewError> {
        let source = trigger
            .relid()
            .map_err(|e| TviewError::Internal(e.to_string()))?;
        let tviews = cache::tviews_reading(source)?;
        if tviews.is_empty() {
            // Triggers are dropped with the last TVIEW reading a table: the catalog is
            // missing rows, and a change maintained nowhere would silently go stale.
            return Err(TviewError::OrphanSource(crate::create::describe(source)));
        }
        for meta in tviews {
            if !lock_tview_table(meta.table) {
                continue; // dropped by a transaction that committed while this one waited
            }
            let compiled = cache::compiled(&meta)?;
            maintain(&compiled, source, event, td)?;
        }
        Ok(())
    };
    context::run(Role::Caller, &[], run).or_raise();
    Ok(None)
}

/// Take the lock a write of the TVIEW table takes (ROW EXCLUSIVE) now, at the source
/// statement, in both modes; false when the table is gone once the lock is granted. A
/// concurrent DROP TABLE of the TVIEW then either waits for this transaction (so a deferred
/// commit never deadlocks with it) or has committed, and this write simply no longer
/// maintains the TVIEW.
fn lock_tview_table(table: pg_sys::Oid) -> bool {
    // SAFETY: a lock by OID (valid whether or not the relation still exists), then a syscache
    // probe, which sees the drop once the lock is granted (locking accepts invalidations).
    unsafe {
        pg_sys::LockRelationOid(table, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        if pg_sys::SearchSysCacheExists(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(table),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
        ) {
            return true;
        }
        pg_sys::UnlockRelationOid(table, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        false
    }
}

/// Refuse writes to a TVIEW table that do not come from maintenance.
#[pg_trigger]
fn pg_tviews_guard_trigger<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, TviewError> {
    let table = trigger
        .relid()
        .map_err(|e| TviewError::Internal(e.to_string()))?;
    let depth = trigger_depth();
    let ours = MAINTAINING.with(|m| {
        m.borrow()
            .iter()
            .any(|(t, d)| *t == table && *d + 1 == depth)
    });
    if !ours {
        let name = format!(
            "{}.{}",
            trigger.table_schema().unwrap_or_default(),
            trigger.table_name().unwrap_or_default()
        );
        TviewError::DirectWrite(name).raise();
    }
    Ok(None)
}

/// Recompute every row of a TVIEW (pg_tviews_refresh, creation after a restore).
pub fn refresh_all_rows(meta: &crate::catalog::TviewMeta) -> Result<u64, TviewError> {
    let compiled = cache::compiled(meta)?;
    with_maintenance(&compiled, |_| {
        lock::lock_whole(meta.table);
        compiled.refresh_everything()
    })
}

/// Raised from inside a refresh (see `tviews_core::sqlgen::refresh`) when the definition
/// returns `key` (as text) more than once for TVIEW table `tview`. Never returns.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_key_repeats(tview: pg_sys::Oid, key: &str) -> String {
    TviewError::KeyRepeats {
        tview: crate::create::describe(tview),
        key: key.to_string(),
    }
    .raise()
}

/// Raised from inside a refresh when a change gives a row of the definition of TVIEW table
/// `tview` a NULL key `key` (the key column's name): that row could not be stored. Never
/// returns.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_key_null(tview: pg_sys::Oid, key: &str) -> String {
    TviewError::KeyNull {
        tview: crate::create::describe(tview),
        key: key.to_string(),
    }
    .raise()
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_key_null(oid, text) IS 'pg_tviews internal: raises the error for a change that gives a row of a TVIEW''s definition a NULL key (called by maintenance''s MERGE).';
COMMENT ON FUNCTION pg_tviews_key_repeats(oid, text) IS 'pg_tviews internal: raises the error for a key that a change makes appear more than once in a TVIEW''s definition (called by maintenance''s MERGE).';
COMMENT ON FUNCTION pg_tviews_source_trigger() IS 'pg_tviews: statement trigger on a TVIEW source table; maintains every TVIEW that reads it.';
COMMENT ON FUNCTION pg_tviews_guard_trigger() IS 'pg_tviews: statement trigger on a TVIEW table; refuses writes that do not come from maintenance.';
"#,
    name = "comment_triggers",
    requires = [
        pg_tviews_source_trigger,
        pg_tviews_guard_trigger,
        pg_tviews_key_repeats
    ]
);
