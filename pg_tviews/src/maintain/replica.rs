//! Changes applied where only row triggers fire: logical replication's apply worker (it
//! applies a replicated transaction row by row, with `session_replication_role = replica`,
//! and fires neither the statement triggers of ordinary sessions nor transition tables), and
//! any session that sets `session_replication_role = replica` itself.
//!
//! Each source carries, beside its statement triggers, a row trigger and a TRUNCATE trigger
//! enabled for replica only (see `install`). They collect the changed rows of the
//! transaction, per source and kind of change, in tuplestores shaped like transition tables;
//! at commit (or `pg_tviews_flush()`) each collection is registered under the transition
//! tables' names and handed to the same decision and queries a statement would get, in
//! deferred mode (`decide_collected`): keys and captured lookups join the deferred queue,
//! which is then applied once per key. Refreshing a TVIEW that others read writes its table
//! with the same role, so its rows are collected too and drained before the next level.

use std::cell::RefCell;

use pgrx::prelude::*;
use tviews_core::action::Write;

use crate::errors::TviewError;
use crate::maintain::{cache, deferred, run, trigger};

/// The rows of one source collected in this transaction. The stores live in the top
/// transaction's memory and resource owner (temporary files past work_mem), as PostgreSQL's
/// own transition tables do; they go with the transaction.
struct Collected {
    source: pg_sys::Oid,
    /// The source's row type when the first row came (its descriptor and each attribute's
    /// type, or None for a dropped one); rows of another shape (DDL in the same
    /// transaction) make its TVIEWs recompute whole: the stores could not be read as the
    /// table's rows.
    desc: pg_sys::TupleDesc,
    row_type: Vec<Option<(pg_sys::Oid, i32)>>,
    reshaped: bool,
    /// The TVIEW tables its rows reach are locked (a subtransaction rolled back since may
    /// have released the locks: taken again at the next row).
    locked: bool,
    truncated: bool,
    /// A subtransaction rolled back rows collected in it (or in one it had absorbed): the
    /// stores may hold rows that no longer exist. Keys recomputed from the tables do not
    /// mind; tallies, which count the rows, are built again instead.
    rolled_back: bool,
    /// The newest subtransaction a row was collected in. Ids grow through the transaction,
    /// so the rows a rolled-back subtransaction takes back were collected in it or in one
    /// started after it: a subtransaction at least as new.
    newest_sub: pg_sys::SubTransactionId,
    inserted: *mut pg_sys::Tuplestorestate,
    updated_old: *mut pg_sys::Tuplestorestate,
    updated_new: *mut pg_sys::Tuplestorestate,
    deleted: *mut pg_sys::Tuplestorestate,
}

impl Collected {
    /// A second handle on the same stores (the list keeps the first until they are queued).
    fn copy(&self) -> Collected {
        Collected {
            source: self.source,
            desc: self.desc,
            row_type: self.row_type.clone(),
            reshaped: self.reshaped,
            locked: self.locked,
            truncated: self.truncated,
            rolled_back: self.rolled_back,
            newest_sub: self.newest_sub,
            inserted: self.inserted,
            updated_old: self.updated_old,
            updated_new: self.updated_new,
            deleted: self.deleted,
        }
    }

    /// Free the stores and close their temporary files.
    ///
    /// # Safety
    /// No other handle on them is used afterwards.
    unsafe fn end(&self) {
        for store in [
            self.inserted,
            self.updated_old,
            self.updated_new,
            self.deleted,
        ] {
            if !store.is_null() {
                // SAFETY: per contract; a store made by new_store.
                unsafe { pg_sys::tuplestore_end(store) };
            }
        }
    }
}

thread_local! {
    /// In the order sources were first changed.
    static COLLECTED: RefCell<Vec<Collected>> = const { RefCell::new(Vec::new()) };
}

/// Forget what was collected (transaction end: the stores went with its memory).
pub fn reset() {
    COLLECTED.with(|c| c.borrow_mut().clear());
    COUNTED_IN.with(|c| c.borrow_mut().clear());
    LOST.with(|l| l.borrow_mut().clear());
}

/// Nothing collected waits for commit (nor a state that lost collected rows).
pub fn is_empty() -> bool {
    COLLECTED.with(|c| c.borrow().is_empty()) && LOST.with(|l| l.borrow().is_empty())
}

/// A new store in the top transaction's memory, spilling past work_mem under its resource
/// owner.
///
/// # Safety
/// Inside a transaction.
unsafe fn new_store() -> *mut pg_sys::Tuplestorestate {
    // SAFETY: switches context and resource owner around the creation, as trigger.c does
    // for transition tables.
    unsafe {
        let old_cxt = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
        let store = pg_sys::tuplestore_begin_heap(false, false, pg_sys::work_mem);
        pg_sys::CurrentResourceOwner = old_owner;
        pg_sys::MemoryContextSwitchTo(old_cxt);
        store
    }
}

/// Append the row in `slot` to `*store`, creating the store first.
///
/// # Safety
/// `slot` must hold a row of the source, valid for this call.
unsafe fn append(store: &mut *mut pg_sys::Tuplestorestate, slot: *mut pg_sys::TupleTableSlot) {
    // SAFETY: per contract; the store copies the row into its own memory, with the same
    // resource owner for any temporary file it opens.
    unsafe {
        if store.is_null() {
            *store = new_store();
        }
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
        pg_sys::tuplestore_puttupleslot(*store, slot);
        pg_sys::CurrentResourceOwner = old_owner;
    }
}

/// Take, for each TVIEW reading `source`, the lock an ordinary statement on it takes. Errors
/// (an unreadable catalog) are left to the drain at commit, which reads the same.
fn lock_tviews_of(source: pg_sys::Oid) {
    let _ = crate::pg::context::run(crate::pg::context::Role::Caller, &[], || {
        trigger::lock_downstream(&cache::tviews_reading(source)?)
    });
}

thread_local! {
    /// TVIEW tables whose states had collected rows added inside a subtransaction (a
    /// `pg_tviews_flush()` in a savepoint), by that subtransaction: the rows are let go once
    /// added, so should it roll back, the states would miss them for good.
    static COUNTED_IN: RefCell<Vec<(pg_sys::SubTransactionId, pg_sys::Oid)>> =
        const { RefCell::new(Vec::new()) };
    /// TVIEW tables whose states lost such additions to a rollback: built again from the
    /// tables, and the TVIEW recomputed, before the commit applies its work.
    static LOST: RefCell<Vec<pg_sys::Oid>> = const { RefCell::new(Vec::new()) };
}

/// A subtransaction rolled back, and the locks taken in it with it: take them again at the
/// next row of each source. Collections with rows from it may hold rows that are gone.
/// States that collected rows were added to inside it lost them.
pub fn subxact_aborted(sub: pg_sys::SubTransactionId) {
    COLLECTED.with(|c| {
        for e in c.borrow_mut().iter_mut() {
            e.locked = false;
            e.rolled_back |= e.newest_sub >= sub;
        }
    });
    COUNTED_IN.with(|c| {
        let mut c = c.borrow_mut();
        let lost: Vec<pg_sys::Oid> = c
            .iter()
            .filter(|(s, _)| *s == sub)
            .map(|(_, t)| *t)
            .collect();
        c.retain(|(s, _)| *s != sub);
        LOST.with(|l| l.borrow_mut().extend(lost));
    });
}

/// A subtransaction committed into `parent`: what it added is now the parent's to lose.
pub fn subxact_committed(sub: pg_sys::SubTransactionId, parent: pg_sys::SubTransactionId) {
    COUNTED_IN.with(|c| {
        for (s, _) in c.borrow_mut().iter_mut() {
            if *s == sub {
                *s = parent;
            }
        }
    });
}

/// Build again the states that lost collected rows to a rolled-back subtransaction, and
/// queue their TVIEWs for a full recompute. At the top level only: inside a subtransaction
/// the rebuild could be rolled back in turn (it waits for the commit or a flush outside).
pub fn rebuild_lost() -> Result<(), TviewError> {
    // SAFETY: a plain read of the transaction state.
    if unsafe { pg_sys::GetCurrentTransactionNestLevel() } > 1 {
        return Ok(());
    }
    let mut lost = LOST.with(|l| std::mem::take(&mut *l.borrow_mut()));
    lost.sort_by_key(|t| t.to_u32());
    lost.dedup();
    for table in lost {
        let Some(meta) = cache::all()?.into_iter().find(|m| m.table == table) else {
            continue; // dropped since
        };
        crate::tally::rebuild_collected(&meta)?;
        let tview = cache::compiled(&meta)?;
        deferred::queue_all(&tview);
    }
    Ok(())
}

/// Collect the change a replica trigger call reports.
///
/// # Safety
/// `td` must be the TriggerData of the call in progress.
unsafe fn collect(td: &pg_sys::TriggerData) {
    // SAFETY: the trigger's relation and slots, valid for the call.
    unsafe {
        let rel = td.tg_relation;
        let source = (*rel).rd_id;
        let desc = (*rel).rd_att;
        let op = td.tg_event & pg_sys::TRIGGER_EVENT_OPMASK;
        COLLECTED.with(|c| {
            let mut c = c.borrow_mut();
            let i = match c.iter().position(|e| e.source == source) {
                Some(i) => i,
                None => {
                    // The lock an ordinary statement takes on its TVIEWs' tables, taken now
                    // too: a pg_tviews_drop waiting for this transaction would otherwise
                    // hold its table while this commit asks for it.
                    c.push(Collected {
                        source,
                        desc,
                        row_type: row_type(desc),
                        reshaped: false,
                        locked: false,
                        truncated: false,
                        rolled_back: false,
                        newest_sub: 0,
                        inserted: std::ptr::null_mut(),
                        updated_old: std::ptr::null_mut(),
                        updated_new: std::ptr::null_mut(),
                        deleted: std::ptr::null_mut(),
                    });
                    c.len() - 1
                }
            };
            let e = &mut c[i];
            e.newest_sub = e.newest_sub.max(pg_sys::GetCurrentSubTransactionId());
            if !e.locked {
                // The locks an ordinary statement takes on its TVIEWs' tables, taken now
                // too: a DROP waiting for this transaction would otherwise hold its table
                // while this commit asks for it.
                lock_tviews_of(source);
                e.locked = true;
            }
            if e.desc != desc {
                // The relcache entry was rebuilt: usually the same row type.
                e.reshaped |= row_type(desc) != e.row_type;
                e.desc = desc;
            }
            match op {
                pg_sys::TRIGGER_EVENT_INSERT => append(&mut e.inserted, td.tg_trigslot),
                pg_sys::TRIGGER_EVENT_UPDATE => {
                    append(&mut e.updated_old, td.tg_trigslot);
                    append(&mut e.updated_new, td.tg_newslot);
                }
                pg_sys::TRIGGER_EVENT_DELETE => append(&mut e.deleted, td.tg_trigslot),
                _ => e.truncated = true,
            }
        });
    }
}

/// Turn everything collected so far into deferred work (keys, captured lookups, whole
/// recomputes), TVIEW by TVIEW, as the statement triggers would have in deferred mode. The
/// work is queued for the whole transaction (a flush inside a savepoint that rolls back
/// leaves it waiting again), and a source's rows are let go only once all of their work is
/// queued (an error on the way, caught by an exception block, leaves them for the next
/// call). Rows collected later (a refreshed TVIEW that others read) wait for the next call.
///
/// A TVIEW whose states one collection builds again from the tables (a TRUNCATE, rows of
/// another shape, a rolled-back savepoint) has counted every row written so far, those of
/// the collections still to come in this call too: they only queue its recompute (already
/// queued whole), never their deltas on top of the new count.
pub fn drain() -> Result<(), TviewError> {
    let mut recounted: Vec<pg_sys::Oid> = Vec::new();
    while let Some(e) = COLLECTED.with(|c| c.borrow().first().map(Collected::copy)) {
        deferred::at_top_level(|| queue_collected(&e, &mut recounted))?;
        COLLECTED.with(|c| c.borrow_mut().remove(0));
        // SAFETY: the stores are no longer registered anywhere (their SPI connections are
        // finished); ending them closes their temporary files.
        unsafe { e.end() };
    }
    Ok(())
}

fn queue_collected(e: &Collected, recounted: &mut Vec<pg_sys::Oid>) -> Result<(), TviewError> {
    if crate::pg::names::relation_name(e.source).is_none() {
        return Ok(()); // dropped in this transaction
    }
    let tviews = cache::tviews_reading_triggered(e.source)?;
    if tviews.is_empty() {
        if !crate::install::has_replica_trigger(e.source)? {
            return Ok(()); // its last TVIEW was dropped in this transaction, after the rows
        }
        return Err(TviewError::OrphanSource(crate::pg::names::describe(
            e.source,
        )));
    }
    // The lock the writes took, which a subtransaction rolled back since may have released:
    // the stores are read as the table's rows below.
    // SAFETY: locks an existing relation until the transaction ends.
    unsafe { pg_sys::LockRelationOid(e.source, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE) };
    // SAFETY: a plain read of the relation's current row type.
    let reshaped =
        e.reshaped || unsafe { current_row_type(e.source) }.as_ref() != Some(&e.row_type);
    for meta in tviews {
        if !trigger::lock_tview_table(meta.table) {
            continue;
        }
        if recounted.contains(&meta.table) {
            continue; // counted by the rebuild, recomputed whole
        }
        let tview = cache::compiled(&meta)?;
        let tallied = !tview.def.tallies.is_empty();
        // SAFETY: plain reads of the transaction state.
        if tallied && unsafe { pg_sys::GetCurrentTransactionNestLevel() } > 1 {
            let sub = unsafe { pg_sys::GetCurrentSubTransactionId() };
            COUNTED_IN.with(|c| c.borrow_mut().push((sub, meta.table)));
        }
        // Only a tallied table's own rows are in the states: a TRUNCATE or a rolled-back
        // savepoint of another source (the documents' root, a lookup) leaves them as they
        // are. Building them again would lock the tallied tables against writers (on a
        // subscriber that streams in parallel, an apply worker holding one of them waits
        // for the leader doing this: a deadlock, retried forever).
        let counts_rows = tview
            .def
            .tallies
            .iter()
            .any(|t| t.source == e.source.to_u32());
        if e.truncated || reshaped || (e.rolled_back && counts_rows) {
            // The collected rows are not counted one by one: the tallies are built again
            // from the table as it is.
            if counts_rows {
                crate::tally::rebuild_collected(&meta)?;
                recounted.push(meta.table);
            }
            deferred::queue_all(&tview);
            continue;
        }
        let kinds = [
            (Write::Insert, std::ptr::null_mut(), e.inserted),
            (Write::Update, e.updated_old, e.updated_new),
            (Write::Delete, e.deleted, std::ptr::null_mut()),
        ];
        for (write, old, new) in kinds {
            if old.is_null() && new.is_null() {
                continue;
            }
            let action = tview.decide_collected(e.source, write);
            run::with_maintenance(&tview, |conn| {
                // SAFETY: the stores hold rows of the source, of its current row type
                // (checked above), and live until the transaction ends.
                unsafe { conn.register_transitions(e.source, old, new)? };
                trigger::execute(&tview, &action)
            })?;
        }
    }
    Ok(())
}

/// Each attribute's type and modifier, None for a dropped one.
///
/// # Safety
/// `desc` must be a valid tuple descriptor.
unsafe fn row_type(desc: pg_sys::TupleDesc) -> Vec<Option<(pg_sys::Oid, i32)>> {
    // SAFETY: reads `natts` attributes of a valid descriptor.
    unsafe {
        crate::pg::tupdesc::attributes(desc)
            .iter()
            .map(|a| (!a.attisdropped).then_some((a.atttypid, a.atttypmod)))
            .collect()
    }
}

/// `relid`'s row type now (None when it is gone).
///
/// # Safety
/// Inside a transaction.
unsafe fn current_row_type(relid: pg_sys::Oid) -> Option<Vec<Option<(pg_sys::Oid, i32)>>> {
    // SAFETY: opens and closes the relation with a lock the transaction already holds
    // (its rows were written).
    unsafe {
        let rel = pg_sys::try_table_open(relid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        if rel.is_null() {
            return None;
        }
        let t = row_type((*rel).rd_att);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        Some(t)
    }
}

/// Collect a change applied in a replica session, for commit.
#[pg_trigger]
fn pg_tviews_replica_trigger<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, TviewError> {
    // Enabled for an ordinary session too (ENABLE ALWAYS by hand): the statement triggers
    // maintain its changes already.
    // SAFETY: a plain read of a backend-global setting.
    if unsafe { pg_sys::SessionReplicationRole } != pg_sys::SESSION_REPLICATION_ROLE_REPLICA as i32
    {
        return Ok(None);
    }
    // Nothing is read or run here: the row is only kept for commit.
    // SAFETY: the TriggerData of this call.
    unsafe { collect(trigger.trigger_data()) };
    Ok(None)
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_replica_trigger() IS 'pg_tviews: row and TRUNCATE trigger on a TVIEW source table, enabled for replica sessions only (logical replication''s apply worker); collects the changes it applies for maintenance at commit.';
"#,
    name = "comment_replica_trigger",
    requires = [pg_tviews_replica_trigger]
);
