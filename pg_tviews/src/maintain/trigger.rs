//! The triggers: one set per source table serving every TVIEW that reads it, and a guard on
//! every TVIEW table.
//!
//! A source statement fires one AFTER ... FOR EACH STATEMENT trigger per kind of change, with
//! its transition tables. For each TVIEW reading the table, in dependency order, the trigger
//! runs the action `tviews_core::action::decide` returns: typically one key query over the
//! transition tables, then one MERGE for those keys — two queries per TVIEW whatever the
//! number of changed rows. A MERGE into a TVIEW that others read fires that table's own
//! triggers, which carries the change up the chain.

use pgrx::prelude::*;
use tviews_core::action::{Action, Everything, Lock, Query, When, Write};
use tviews_core::sqlgen::patch::Change;

use crate::errors::{OrRaise, TviewError};
use crate::maintain::cache::{self, Compiled};
use crate::maintain::lock::KeyLocks;
use crate::maintain::run::{is_maintenance_write, trigger_depth, with_maintenance};
use crate::maintain::{deferred, lock};
use crate::pg::context::{self, Role};
use crate::pg::spi::{first_keys, first_row, KeptPlan};

/// Make `tview` equal its definition for the rows a `write` on `source` may have changed:
/// now (immediate mode) or by queueing what commit needs (deferred mode).
fn maintain(
    tview: &Compiled,
    source: pg_sys::Oid,
    write: Write,
    td: *mut pg_sys::TriggerData,
) -> Result<(), TviewError> {
    let action = tview.decide(source, write);
    with_maintenance(tview, |conn| {
        // SAFETY: td is the TriggerData of the trigger call in progress.
        unsafe { conn.register_trigger_data(td) };
        execute(tview, &action)
    })
}

/// Run `action`. Locks first (see [`lock`]), queries after, each a statement of its own so
/// that it sees what transactions that held the locks before have committed. A query the
/// TVIEW has no statement for (a source that left the plan) recomputes every row.
pub fn execute(tview: &Compiled, action: &Action) -> Result<(), TviewError> {
    let everything = |when| Action::All {
        why: Everything::Untraceable,
        when,
        reset: None,
    };
    match action {
        Action::All {
            when: When::AtCommit,
            reset,
            ..
        } => {
            if let Some(reset) = reset {
                tview.tally(*reset)?;
            }
            deferred::queue_all(tview)
        }
        Action::All {
            when: When::Now,
            reset,
            ..
        } => {
            lock::lock_whole(tview.meta.table);
            if let Some(reset) = reset {
                tview.tally(*reset)?;
            }
            tview.refresh_everything()?;
        }
        Action::Keys {
            keys,
            lock,
            when,
            partial,
            tally,
        } => {
            match lock {
                // The key query must see every row a concurrent writer moved.
                Lock::Whole => lock::lock_whole(tview.meta.table),
                // The lookup values the new rows point at, before their documents.
                Lock::Lookups {
                    values,
                    exclusive: false,
                } => drop(tview.lock_lookups(*values, false)?),
                Lock::Lookups {
                    exclusive: true, ..
                }
                | Lock::EachKey => {}
            }
            let Some(key_query) = tview.plan(*keys)? else {
                return execute(tview, &everything(*when));
            };
            let (found, locked) = match lock {
                Lock::Lookups {
                    values,
                    exclusive: true,
                } => (lookup_change_keys(tview, *values, &key_query)?, true),
                _ => {
                    key_query.execute(&[])?;
                    (first_keys(tview.key_type), false)
                }
            };
            // Deferred mode leaves the rows' deltas pending, without a lock, for the commit
            // to add under the keys' locks.
            let tally = match tally {
                Some(q @ Query::TallyPending { .. }) => {
                    deferred::leave_pending(tview, *q)?;
                    None
                }
                other => *other,
            };
            let Some(found) = found else {
                // No changed row reaches a document; its tallies still count the rows.
                if let Some(tally) = tally {
                    tview.tally(tally)?;
                }
                return Ok(());
            };
            // Now, or before adding rows to the tallies at commit's side (rows a replica
            // session collected): the documents' locks come before their state rows, for
            // every writer (a writer holding a document's lock waits for its state row).
            if !locked && *lock != Lock::Whole && (*when == When::Now || tally.is_some()) {
                // SAFETY: the key query returns an array of the key type.
                unsafe { tview.lock_keys(found) };
            }
            // The state rows are written after the documents' locks, in key order: writers
            // of the same documents take both in the same order.
            if let Some(tally) = tally {
                tview.tally(tally)?;
            }
            match when {
                // SAFETY: the key query returns an array of the key type.
                When::AtCommit => match partial.and_then(|p| p.source()) {
                    Some(source) => unsafe { deferred::queue_partial_keys(tview, source, found) },
                    None => unsafe { deferred::queue_keys(tview, found) },
                },
                When::Now => {
                    // SAFETY: as above.
                    match partial {
                        Some(p) => unsafe { tview.refresh_partially(*p, found)? },
                        None => unsafe { tview.refresh_keys(found)? },
                    };
                }
            }
        }
        Action::Summary {
            tally: q @ Query::TallyPending { .. },
            ..
        } => {
            // Deferred mode: the commit takes the lock, adds these to the state and
            // recomputes the one row (see deferred::apply).
            deferred::leave_pending(tview, *q)?;
        }
        Action::Summary { tally, when } => {
            // The whole lock before the state row, for every writer (see Action::Keys).
            lock::lock_whole(tview.meta.table);
            tview.tally(*tally)?;
            match when {
                When::Now => {
                    tview.refresh_summary()?;
                }
                When::AtCommit => deferred::queue_all(tview),
            }
        }
        Action::Capture { capture, patch, .. } => {
            let (Some(source), Some(plan)) = (capture.source(), tview.plan(*capture)?) else {
                return execute(tview, &everything(When::AtCommit));
            };
            // Only patchable columns changed: the documents found at commit get only the
            // keys the fast path sets.
            let patched = match patch {
                None => false,
                Some(p) => match tview.classify(p.classify)? {
                    Change::Nothing => return Ok(()),
                    Change::Patch => true,
                    Change::Recompute => false,
                },
            };
            // The captured values travel as text until commit: printed exactly, whatever the
            // TVIEW pinned (a float rounded at extra_float_digits 0, a time zone abbreviation
            // read back as another zone's: the replay would look for a value no row has).
            crate::pg::context::with_exact_text(|| plan.execute(&[]))?;
            // SAFETY: the capture query returns one text[] per delta column. The replay runs
            // at commit (deferred::apply).
            unsafe { deferred::queue_lookup(tview, source, patched, &first_row()) };
        }
        Action::Patch {
            classify,
            keys,
            lock,
            patch,
            when,
            otherwise,
        } => match tview.classify(*classify)? {
            Change::Nothing => {}
            Change::Recompute => execute(tview, otherwise)?,
            Change::Patch if *when == When::AtCommit => {
                // The keys of the changed rows, queued for the patched document keys alone;
                // at commit they are set from the rows as they are then.
                let (Some(source), Some(key_query)) = (patch.source(), tview.plan(*keys)?) else {
                    return execute(tview, otherwise);
                };
                key_query.execute(&[])?;
                if let Some(found) = first_keys(tview.key_type) {
                    // SAFETY: the key query returns an array of the key type.
                    unsafe { deferred::queue_partial_keys(tview, source, found) };
                }
            }
            Change::Patch => {
                match lock {
                    Lock::Whole => lock::lock_whole(tview.meta.table),
                    Lock::Lookups {
                        values,
                        exclusive: true,
                    } => {
                        if let Some(key_query) = tview.plan(*keys)? {
                            lookup_change_keys(tview, *values, &key_query)?;
                        }
                    }
                    Lock::EachKey | Lock::Lookups { .. } => {
                        if let Lock::Lookups { values, .. } = lock {
                            drop(tview.lock_lookups(*values, false)?);
                        }
                        if let Some(key_query) = tview.plan(*keys)? {
                            key_query.execute(&[])?;
                            if let Some(found) = first_keys(tview.key_type) {
                                // SAFETY: the key query returns an array of the key type.
                                unsafe { tview.lock_keys(found) };
                            }
                        }
                    }
                }
                tview.patch(*patch)?;
            }
        },
    }
    Ok(())
}

/// The keys a lookup's change reaches (`keys`, its key query), locked: the lookup values its
/// rows hold first (`values`, exclusively), then the TVIEW lock in row mode (waited for with
/// the values given back, see [`lock::Taken::try_rows`]), then the key query, then the keys'
/// locks, none waited for. A key another transaction holds makes it give back what this statement took,
/// wait for that transaction to end, and start over: waiting for the key while holding the
/// values would deadlock with a transaction that wrote that document and then writes
/// another one of the same lookup value (it would wait for the values). With too many keys,
/// the whole TVIEW is locked instead: at once if no one holds a lock of it, else after giving
/// the values back, and the keys are then found again under it. `None`: no key.
fn lookup_change_keys(
    tview: &Compiled,
    values: Query,
    keys: &KeptPlan,
) -> Result<Option<pg_sys::Datum>, TviewError> {
    loop {
        let mut taken = tview.lock_lookups(values, true)?;
        if !taken.try_rows(tview.meta.table) {
            // A transaction holding the whole TVIEW may have moved rows to these values
            // without their locks: look for the keys only after it ends.
            taken.release();
            lock::wait_for_rows(tview.meta.table);
            continue;
        }
        keys.execute(&[])?;
        let Some(found) = first_keys(tview.key_type) else {
            return Ok(None);
        };
        // SAFETY: the key query returns an array of the key type.
        match unsafe { tview.try_lock_keys(found) } {
            KeyLocks::Taken => return Ok(Some(found)),
            KeyLocks::TooMany => {
                // Free now: the keys found under the values stand (nothing moved to them
                // since, and no writer of the TVIEW is in progress).
                if lock::try_lock_whole(tview.meta.table) {
                    return Ok(Some(found));
                }
                taken.release();
                lock::lock_whole(tview.meta.table);
                keys.execute(&[])?;
                return Ok(first_keys(tview.key_type));
            }
            KeyLocks::Busy(hash) => {
                taken.release();
                lock::wait_for_key(tview.meta.table, hash);
            }
        }
    }
}

/// Maintain every TVIEW reading the trigger's table.
#[pg_trigger]
fn pg_tviews_source_trigger<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, TviewError> {
    let td = trigger.trigger_data() as *const pg_sys::TriggerData as *mut pg_sys::TriggerData;
    let op = trigger.trigger_data().tg_event & pg_sys::TRIGGER_EVENT_OPMASK;
    let write = match op {
        pg_sys::TRIGGER_EVENT_INSERT => Write::Insert,
        pg_sys::TRIGGER_EVENT_UPDATE => Write::Update,
        pg_sys::TRIGGER_EVENT_DELETE => Write::Delete,
        _ => Write::Truncate,
    };
    // The catalog reads and the analysis run with the search_path restricted too: the writer's
    // session steers nothing of what happens here.
    let run = || -> Result<(), TviewError> {
        let source = trigger
            .relid()
            .map_err(|e| TviewError::Internal(e.to_string()))?;
        let tviews = cache::tviews_reading_triggered(source)?;
        if tviews.is_empty() {
            // Triggers are dropped with the last TVIEW reading a table: the catalog is
            // missing rows, and a change maintained nowhere would silently go stale.
            return Err(TviewError::OrphanSource(crate::pg::names::describe(source)));
        }
        lock_downstream(&tviews)?;
        if write == Write::Truncate && !crate::maintain::replica::is_empty() {
            // Rows a replica session collected earlier in this transaction are counted in
            // the tallies before TRUNCATE empties them, not after.
            crate::maintain::replica::drain()?;
        }
        for meta in tviews {
            if !lock_tview_table(meta.table) {
                continue; // dropped by a transaction that committed while this one waited
            }
            let compiled = cache::compiled(&meta)?;
            maintain(&compiled, source, write, td)?;
        }
        Ok(())
    };
    context::run(Role::Caller, &[], run).or_raise();
    Ok(None)
}

/// Lock now, as [`lock_tview_table`] does, the tables of `tviews` and of every TVIEW built on
/// them, however deep: maintenance writes them all before the transaction ends (the
/// cascade, or the commit of deferred work), and a DROP of one of them in between (it locks
/// its table, then its sources) would otherwise deadlock with that write.
pub fn lock_downstream(tviews: &[crate::catalog::TviewMeta]) -> Result<(), TviewError> {
    let mut seen: Vec<pg_sys::Oid> = Vec::new();
    let mut next: Vec<pg_sys::Oid> = tviews.iter().map(|m| m.table).collect();
    while let Some(table) = next.pop() {
        if seen.contains(&table) {
            continue;
        }
        seen.push(table);
        if lock_tview_table(table) {
            next.extend(cache::tviews_reading(table)?.iter().map(|m| m.table));
        }
    }
    Ok(())
}

/// Take the lock a write of the TVIEW table takes (ROW EXCLUSIVE) now, at the source
/// statement, in both modes; false when the table is gone once the lock is granted. A
/// concurrent DROP TABLE of the TVIEW then either waits for this transaction (so a deferred
/// commit never deadlocks with it) or has committed, and this write simply no longer
/// maintains the TVIEW.
pub fn lock_tview_table(table: pg_sys::Oid) -> bool {
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
    let truncate = trigger.trigger_data().tg_event & pg_sys::TRIGGER_EVENT_OPMASK
        == pg_sys::TRIGGER_EVENT_TRUNCATE;
    if !is_maintenance_write(table, depth, truncate) {
        let name = format!(
            "{}.{}",
            trigger.table_schema().unwrap_or_default(),
            trigger.table_name().unwrap_or_default()
        );
        let schema = trigger.table_schema().unwrap_or_default();
        if schema == crate::catalog::DEFINITION_SCHEMA {
            TviewError::StateWrite(name).raise();
        }
        TviewError::DirectWrite(name).raise();
    }
    Ok(None)
}

/// Raised from inside a refresh (see `tviews_core::sqlgen::refresh`) when the definition
/// returns `key` (as text) more than once for TVIEW table `tview`. Never returns.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_key_repeats(tview: pg_sys::Oid, key: &str) -> String {
    TviewError::KeyRepeats {
        tview: crate::pg::names::describe(tview),
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
        tview: crate::pg::names::describe(tview),
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
