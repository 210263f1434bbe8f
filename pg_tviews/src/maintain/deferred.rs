//! Deferred mode: a transaction's changes to the sources of a deferred TVIEW are turned into
//! keys as they happen (the transition tables exist only then), queued, and applied once per
//! key at commit or PREPARE TRANSACTION (or at `pg_tviews_flush()`).
//!
//! The queue itself ([`tviews_core::queue`]) follows savepoints; this module feeds it from
//! the statement triggers, drains it from the transaction callbacks, and stores keys in a
//! form that outlives the statement: the datum itself for pass-by-value key types, a copy of
//! the value's bytes otherwise (never text: no input function runs at commit; two spellings
//! of one value, `1.0` and `1.00`, are merged by the refresh's DISTINCT).
//!
//! Applying in dependency order with all of a TVIEW's key locks taken at once, in hash
//! order, means that transactions committing at the same time lock in one global order
//! (level, TVIEW, hash) and never wait for each other in a cycle.

use std::cell::RefCell;

use std::collections::{BTreeMap, HashSet};

use pgrx::prelude::*;
use pgrx::{FromDatum, IntoDatum};
use tviews_core::action::{Action, Query, Write};
use tviews_core::queue::{
    Batch, Captured, DeferredQueue, LookupOf, PendingRows, Slot, SubXact, Work,
};

use crate::errors::TviewError;
use crate::maintain::cache::{self, Compiled};
use crate::maintain::{lock, run};
use crate::pg::spi::first_keys;

/// A key kept until commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoredKey {
    /// A pass-by-value datum (int, bigint, date, ...): equal bits are equal keys.
    Word(u64),
    /// A pass-by-reference value, its bytes as they were (a varlena detoasted).
    Bytes(Vec<u8>),
    /// A NULL among the keys: the refresh checks whether the definition now has a row with a
    /// NULL key (which would vanish from the TVIEW) and raises if so.
    Null,
}

/// Above this many queued keys for one TVIEW, refresh it whole at commit.
const MAX_QUEUED_KEYS: usize = 100_000;

thread_local! {
    static QUEUE: RefCell<DeferredQueue<StoredKey>> = RefCell::new(DeferredQueue::new(MAX_QUEUED_KEYS));
}

thread_local! {
    /// Set while work is queued for the whole transaction rather than for the subtransaction
    /// running (see [`at_top_level`]).
    static TOP_LEVEL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The top transaction's subtransaction id (xact.h: TopSubTransactionId).
const TOP_SUBTRANSACTION: SubXact = 1;

fn current_sub() -> SubXact {
    if TOP_LEVEL.with(|t| t.get()) {
        return TOP_SUBTRANSACTION;
    }
    // SAFETY: a plain read of the transaction state.
    unsafe { pg_sys::GetCurrentSubTransactionId() }
}

/// Run `f` queueing its work for the whole transaction: work whose rows are not tied to the
/// subtransaction running (rows a replica session collected, drained by a flush inside a
/// savepoint) must not go if that savepoint rolls back.
pub fn at_top_level<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            TOP_LEVEL.with(|t| t.set(self.0));
        }
    }
    let _reset = Reset(TOP_LEVEL.with(|t| t.replace(true)));
    f()
}

fn slot(tview: &Compiled) -> Slot {
    tview.slot
}

/// Forget the queue (the transaction ended, whichever way).
pub fn reset() {
    QUEUE.with(|q| q.borrow_mut().clear());
}

/// Nothing is waiting for commit.
pub fn is_empty() -> bool {
    QUEUE.with(|q| q.borrow().is_empty())
}

/// A subtransaction committed into its parent.
pub fn subxact_committed(sub: SubXact, parent: SubXact) {
    QUEUE.with(|q| q.borrow_mut().commit_sub(sub, parent));
}

/// A subtransaction rolled back.
pub fn subxact_aborted(sub: SubXact) {
    QUEUE.with(|q| q.borrow_mut().abort_sub(sub));
}

/// Queue a recompute of every row of `tview`.
pub fn queue_all(tview: &Compiled) {
    QUEUE.with(|q| q.borrow_mut().add_all(slot(tview), current_sub()));
}

/// Queue the keys in `keys`, an array of the TVIEW's key type.
///
/// # Safety
/// `keys` must be a non-null array datum of element type `tview.key_type`, valid for this
/// call.
pub unsafe fn queue_keys(tview: &Compiled, keys: pg_sys::Datum) {
    // SAFETY: per contract.
    let stored = unsafe { to_stored(keys, tview.key_type) };
    QUEUE.with(|q| q.borrow_mut().add_keys(slot(tview), current_sub(), stored));
}

/// Queue the keys in `keys` (an array of the TVIEW's key type) for a partial recompute of
/// what `source` feeds (see `tviews_core::sqlgen::patch::PartialSource`).
///
/// # Safety
/// As for [`queue_keys`].
pub unsafe fn queue_partial_keys(tview: &Compiled, source: u32, keys: pg_sys::Datum) {
    // SAFETY: per contract.
    let stored = unsafe { to_stored(keys, tview.key_type) };
    QUEUE.with(|q| {
        q.borrow_mut()
            .add_partial_keys(slot(tview), current_sub(), source, stored)
    });
}

/// Run `pending` (a [`Query::TallyPending`]): leave the statement's deltas of its source's
/// tallies in the pending tables of `tview`, and note the rows' ids for the commit, which
/// takes them out and adds them to the states (see [`apply`]).
pub fn leave_pending(tview: &Compiled, pending: Query) -> Result<(), TviewError> {
    tview.tally(pending)?;
    // SAFETY: the statement's one row holds a tid[] per group.
    let rows: PendingRows = crate::pg::spi::first_row()
        .into_iter()
        .map(|ids| {
            ids.map(|d| unsafe { crate::pg::arrays::row_ids(d) })
                .unwrap_or_default()
        })
        .collect();
    if let Some(source) = pending.source() {
        QUEUE.with(|q| {
            q.borrow_mut()
                .add_tally(slot(tview), current_sub(), source, rows)
        });
    }
    Ok(())
}

/// Add the deltas statements left pending for the sources in `tallies` (by the ids of
/// their rows) to their states; under the locks of every key they touch (or the TVIEW
/// lock), before anything reads the states. A source that lost its tallies since (DDL
/// rebuilt them, emptying the pending tables) has nothing pending; ids beyond its groups
/// name nothing.
///
/// Planned (and planned again after an invalidation, always inside this call) without
/// sequential scans: the pending table is small or empty to the planner, which would scan
/// it whole rather than fetch the rows by id, and a scan reads the rows other transactions
/// left there (under `SERIALIZABLE`, a read of what they write); the states are reached
/// through their keys for the same reason.
fn fold(tview: &Compiled, tallies: &BTreeMap<u32, PendingRows>) -> Result<(), TviewError> {
    for (source, rows) in tallies {
        if let Some(plan) = tview.plan(Query::TallyFold { source: *source })? {
            let args: Vec<pg_sys::Datum> = (0..plan.arg_count())
                .map(|i| crate::pg::arrays::row_id_array(rows.get(i).map_or(&[], Vec::as_slice)))
                .collect();
            crate::pg::context::with_settings(&[("enable_seqscan", "off")], || {
                plan.execute(&args)
            })?;
        }
    }
    Ok(())
}

/// Did this transaction give one of `tables` new storage (a rewrite), in a subtransaction
/// still alive?
fn rewritten(tables: &[pg_sys::Oid]) -> bool {
    tables.iter().any(|oid| {
        // SAFETY: a relcache reference of a relation maintenance locks, released at once.
        unsafe {
            let rel = pg_sys::RelationIdGetRelation(*oid);
            if rel.is_null() {
                return false;
            }
            // InvalidSubTransactionId: storage as the transaction found it.
            let moved = (*rel).rd_firstRelfilelocatorSubid != 0;
            pg_sys::RelationClose(rel);
            moved
        }
    })
}

/// A pending table of a tally of `meta`'s TVIEW was rewritten under the transaction (see
/// [`apply`]): build its states again from the tables, this transaction's rows included, and
/// recompute every row from them.
fn rebuild_states(meta: &crate::catalog::TviewMeta) -> Result<(), TviewError> {
    let name = crate::pg::names::relation_name(meta.table)
        .map(|(s, n)| format!("{s}.{n}"))
        .unwrap_or_default();
    pgrx::warning!(
        "a pending table of TVIEW {name} was rewritten in this transaction: its tally states are built again from the tables and every row recomputed"
    );
    crate::tally::rebuild_collected(meta)?;
    refresh_all(meta, &BTreeMap::new())
}

/// Recompute every row of `meta`'s TVIEW under its lock, after adding the pending deltas
/// of `tallies` to the states (a summary's rows are computed from them).
fn refresh_all(
    meta: &crate::catalog::TviewMeta,
    tallies: &BTreeMap<u32, PendingRows>,
) -> Result<(), TviewError> {
    let tview = cache::compiled(meta)?;
    run::with_maintenance(&tview, |_| {
        lock::lock_whole(meta.table);
        fold(&tview, tallies)?;
        tview.refresh_everything()
    })?;
    Ok(())
}

/// Queue changes of `source` found through other rows: `captured` is the row of its capture
/// query (one `text[]` per delta column, NULL when no row had a value); `patch`: they
/// changed only what the fast path sets (see `tviews_core::action::CapturedPatch`).
///
/// # Safety
/// Every non-null datum must be a `text[]`, valid for this call.
pub unsafe fn queue_lookup(
    tview: &Compiled,
    source: u32,
    patch: bool,
    captured: &[Option<pg_sys::Datum>],
) {
    let captured: Captured = captured
        .iter()
        .map(|d| match d {
            // SAFETY: per contract, a text[] datum.
            Some(d) => unsafe { Vec::<Option<String>>::from_datum(*d, false) }
                .unwrap_or_default()
                .into_iter()
                .collect(),
            None => HashSet::new(),
        })
        .collect();
    QUEUE.with(|q| {
        q.borrow_mut().add_lookup(
            slot(tview),
            current_sub(),
            LookupOf { source, patch },
            captured,
        )
    });
}

/// DDL ran (an enum value, a table or a function renamed or created): changes captured as
/// text may not read back as what they were, so their TVIEWs are recomputed whole at commit
/// (see `DeferredQueue::recompute_captured`).
pub fn recompute_captured() {
    QUEUE.with(|q| q.borrow_mut().recompute_captured(current_sub()));
}

/// The next TVIEW's queued work, lowest level first (see `super::commit`).
pub fn next_batch() -> Option<Batch<StoredKey>> {
    QUEUE.with(|q| q.borrow_mut().next_batch(current_sub()))
}

/// Apply one TVIEW's queued work.
pub fn apply(batch: Batch<StoredKey>) -> Result<(), TviewError> {
    let Some(meta) = cache::all()?
        .into_iter()
        .find(|m| m.table.to_u32() == batch.slot.tview)
    else {
        return Ok(()); // dropped in this transaction
    };
    let Work {
        all,
        mut keys,
        lookups,
        mut partial,
        tallies,
    } = batch.work;
    let tview = cache::compiled(&meta)?;
    // The ids of the rows statements left in the pending tables name them only while those
    // keep their storage: a rewrite in this transaction (`CLUSTER`, an `ALTER TABLE` that
    // rewrites, by the table's owner) moved them, and an id may now name another row or
    // none. Nothing else moves them (direct writes are refused, and this transaction's lock
    // keeps other sessions' rewrites out). The states are then built again instead.
    if !tallies.is_empty() && rewritten(&tview.pending_tables) {
        return rebuild_states(&meta);
    }
    if all {
        return refresh_all(&meta, &tallies);
    }
    // An aggregate without GROUP BY kept in a state: its one row, from the state, under the
    // TVIEW lock (its only source's rows reach no key).
    let decided: Vec<Action> = tallies
        .keys()
        .map(|s| tview.decide(pg_sys::Oid::from(*s), Write::Insert))
        .collect();
    if decided.iter().any(|a| matches!(a, Action::All { .. })) {
        // The state went since the statements (DDL in the transaction).
        return refresh_all(&meta, &tallies);
    }
    if decided.iter().any(|a| matches!(a, Action::Summary { .. })) {
        run::with_maintenance(&tview, |_| {
            lock::lock_whole(meta.table);
            fold(&tview, &tallies)?;
            tview.refresh_summary()
        })?;
        if keys.is_empty() && lookups.is_empty() && partial.is_empty() {
            return Ok(());
        }
    }
    let everything = run::with_maintenance(&tview, |_| {
        // Keys reached through other rows are found now, from what is committed now, under
        // locks that make a row another transaction moves meanwhile either seen here or
        // refreshed by that transaction after this one commits (see lookup_keys).
        let locked = if lookups.is_empty() {
            false
        } else {
            let mut every: HashSet<StoredKey> = keys.clone();
            for set in partial.values() {
                every.extend(set.iter().cloned());
            }
            match lookup_keys(&tview, lookups, &every)? {
                None => return Ok(true),
                Some((found, locked)) => {
                    for (of, set) in found {
                        // A lookup's patch is its partial recompute at commit.
                        match of.patch {
                            true => partial.entry(of.source).or_default().extend(set),
                            false => keys.extend(set),
                        }
                    }
                    locked
                }
            }
        };
        // Keys queued for a partial recompute: those no other change queued, of a source that
        // still has one (DDL since may have taken it away: then recomputed whole).
        let mut partial_work = Vec::new();
        for (source, set) in partial {
            if tview.plan(Query::Partial { source })?.is_some() {
                partial_work.push((source, set));
            } else {
                keys.extend(set);
            }
        }
        for (_, set) in partial_work.iter_mut() {
            set.retain(|k| !keys.contains(k));
        }
        partial_work.retain(|(_, set)| !set.is_empty());
        if keys.is_empty() && partial_work.is_empty() {
            // Deltas of rows that reach no document.
            fold(&tview, &tallies)?;
            return Ok(false);
        }
        let mut every: HashSet<StoredKey> = keys.clone();
        for (_, set) in &partial_work {
            every.extend(set.iter().cloned());
        }
        // SAFETY: the arrays are built in the SPI connection's context, which lives until
        // the refreshes are done; the lock module reads an array of the key type. Every key
        // is locked in one call (one hash order) before anything is recomputed.
        unsafe {
            if !locked {
                tview.lock_keys(from_stored(&every, tview.key_type));
            }
            fold(&tview, &tallies)?;
            if !keys.is_empty() {
                tview.refresh_keys(from_stored(&keys, tview.key_type))?;
            }
            for (source, set) in &partial_work {
                tview.refresh_partially(
                    Query::Partial { source: *source },
                    from_stored(set, tview.key_type),
                )?;
            }
        }
        Ok(false)
    })?;
    if everything {
        // The definition changed since the changes were captured.
        refresh_all(&meta, &tallies)?;
    }
    Ok(())
}

/// The keys the captured changes of lookups (`lookups`, by source and patch) reach as of
/// now, by whose changes they are, and whether they and `queued` (the batch's other keys)
/// are all locked already. `None`: a source's replay is gone (DDL since), recompute
/// everything.
///
/// A lookup one equality away (`tviews_core::plan::LookupLink`) first locks the values its
/// captured rows held, exclusively, then the TVIEW lock in row mode (see
/// [`lock::Taken::try_rows`]), then finds the keys, then locks every key of the batch, none
/// of it waited for: writers of the key's table hold those values shared from their
/// statement to their commit, which waits for this transaction's earlier locks, so waiting
/// for a value here could close a cycle; and a key lock waited for while holding the values
/// could close one with an immediate-mode writer that holds that key and then points a row
/// at one of the values. A busy key gives everything back, waits for that key's holder and
/// starts over (holding nothing of this TVIEW, as the commit order wants), and so does a
/// TVIEW another transaction holds whole; a busy value, too
/// many values or keys, or another kind of lookup take the whole TVIEW's lock instead, as
/// every lookup change did before.
fn lookup_keys(
    tview: &Compiled,
    lookups: BTreeMap<LookupOf, Captured>,
    queued: &HashSet<StoredKey>,
) -> Result<Option<(Found, bool)>, TviewError> {
    let mut sources = Vec::new();
    for (of, captured) in lookups {
        let source = of.source;
        let Some(replay) = tview.plan(Query::Replay { source })? else {
            return Ok(None);
        };
        let args: Vec<pg_sys::Datum> = captured
            .into_iter()
            .map(|values| {
                let v: Vec<Option<String>> = values.into_iter().collect();
                v.into_datum().expect("an array is never NULL")
            })
            .collect();
        let values = match tview.decide(pg_sys::Oid::from(source), Write::Delete) {
            Action::Capture { values, .. } => values,
            _ => None,
        };
        sources.push((of, replay, args, values));
    }
    let replay_all = || -> Result<Found, TviewError> {
        let mut found = Found::new();
        for (of, replay, args, _) in &sources {
            // The captured text is read back as it was printed (see with_exact_text).
            crate::pg::context::with_exact_text(|| replay.execute(args))?;
            if let Some(keys) = first_keys(tview.key_type) {
                // SAFETY: the replayed key query returns an array of the key type.
                found
                    .entry(*of)
                    .or_default()
                    .extend(unsafe { to_stored(keys, tview.key_type) });
            }
        }
        Ok(found)
    };
    let table = tview.meta.table;
    if sources.iter().all(|(_, _, _, values)| values.is_some()) {
        'again: loop {
            let mut taken = Vec::new();
            for (_, _, args, values) in &sources {
                let values = values.expect("checked above");
                match tview.try_lock_replayed_values(values, args)? {
                    Some(t) => taken.push(t),
                    None => {
                        taken.into_iter().rev().for_each(lock::Taken::release);
                        break 'again;
                    }
                }
            }
            let mut rows = lock::Taken::default();
            if !rows.try_rows(table) {
                taken.into_iter().rev().for_each(lock::Taken::release);
                lock::wait_for_rows(table);
                continue 'again;
            }
            taken.push(rows);
            let found = replay_all()?;
            let mut every: HashSet<StoredKey> = queued.clone();
            every.extend(found.values().flatten().cloned());
            // SAFETY: an array of the key type, built in the SPI connection's context.
            let locks = unsafe { tview.try_lock_keys(from_stored(&every, tview.key_type)) };
            match locks {
                lock::KeyLocks::Taken => return Ok(Some((found, true))),
                lock::KeyLocks::TooMany if lock::try_lock_whole(table) => {
                    return Ok(Some((found, true)))
                }
                lock::KeyLocks::TooMany => {
                    taken.into_iter().rev().for_each(lock::Taken::release);
                    break 'again;
                }
                lock::KeyLocks::Busy(hash) => {
                    taken.into_iter().rev().for_each(lock::Taken::release);
                    lock::wait_for_key(table, hash);
                }
            }
        }
    }
    lock::lock_whole(table);
    Ok(Some((replay_all()?, false)))
}

/// The keys captured changes reach, by whose changes they are.
type Found = BTreeMap<LookupOf, HashSet<StoredKey>>;

/// The elements of an array datum as stored keys: a by-value datum as it is, a by-reference
/// one as a copy of its bytes (a varlena detoasted first).
///
/// # Safety
/// `keys` must be a valid array datum of `key_type`.
unsafe fn to_stored(keys: pg_sys::Datum, key_type: pg_sys::Oid) -> Vec<StoredKey> {
    // SAFETY: catalog lookups and array access on a valid array datum (caller's contract);
    // by-reference elements point at values of `len` bytes (a varlena: VARSIZE after
    // detoasting; a cstring: up to its NUL).
    unsafe {
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(key_type, &mut len, &mut byval, &mut align);
        crate::pg::arrays::elements(keys, key_type)
            .into_iter()
            .map(|e| match e {
                None => StoredKey::Null,
                Some(d) if byval => StoredKey::Word(d.value() as u64),
                Some(d) => StoredKey::Bytes(crate::pg::arrays::value_bytes(d, len, false)),
            })
            .collect()
    }
}

/// An array datum of `key_type` holding `keys`, in the current memory context: by-reference
/// keys are their stored bytes again (no input function runs: a key reads back exactly as
/// it was, whatever settings, domain constraints or type changes came since).
///
/// # Safety
/// Every key must have been stored by [`to_stored`] from values of `key_type`.
unsafe fn from_stored(keys: &HashSet<StoredKey>, key_type: pg_sys::Oid) -> pg_sys::Datum {
    // SAFETY: the bytes are a complete value of the type, copied into palloc'd memory
    // (maximally aligned) that lives as long as the array built from it.
    unsafe {
        let mut datums: Vec<pg_sys::Datum> = Vec::with_capacity(keys.len());
        let mut nulls: Vec<bool> = Vec::with_capacity(keys.len());
        for k in keys {
            datums.push(match k {
                StoredKey::Word(w) => pg_sys::Datum::from(*w as usize),
                StoredKey::Bytes(b) => {
                    let p = pg_sys::palloc(b.len()) as *mut u8;
                    std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
                    pg_sys::Datum::from(p)
                }
                StoredKey::Null => pg_sys::Datum::from(0),
            });
            nulls.push(matches!(k, StoredKey::Null));
        }
        crate::pg::arrays::build(&mut datums, &mut nulls, key_type)
    }
}
