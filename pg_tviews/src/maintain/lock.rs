//! Locks that keep maintenance exact while transactions write concurrently.
//!
//! Two transactions recomputing the same TVIEW row from snapshots that miss each other's
//! uncommitted changes would each write a row without the other's change, and the later
//! one would win. So before recomputing, a transaction locks what it is about to recompute
//! and holds the lock until it ends; the recompute then runs as a new statement, whose
//! snapshot (read committed) includes everything committed by whoever held the lock before.
//! Whoever recomputes a row last therefore sees every change committed before it plus its
//! own, and any transaction still uncommitted will recompute the row itself afterwards.
//!
//! Two levels, both transaction-scoped advisory locks in a space of their own (they show in
//! `pg_locks` as `advisory` with `objsubid` 29812 or 29803, `classid` the TVIEW table's OID),
//! so they never meet the locks applications take with `pg_advisory_lock`:
//!
//! * the **TVIEW lock**, taken first: `RowExclusiveLock` by row-level maintenance (such
//!   holders do not conflict with each other), `ExclusiveLock` by work that must see the
//!   whole TVIEW still: changes of sources whose affected keys are found through other rows
//!   (a renamed category finds its products through their foreign keys, which a concurrent
//!   transaction may be changing), full recomputes, and statements with too many keys;
//! * one **key lock** per TVIEW key (an `ExclusiveLock` on the key's hash, collisions only
//!   cost a wait), taken in hash order, so two statements never wait for each other in a
//!   cycle.
//!
//! A transaction that would hold more than [`MAX_KEY_LOCKS`] key locks on a TVIEW (or
//! [`MAX_KEYS_PER_STATEMENT`] in one statement) takes the TVIEW lock in exclusive mode
//! instead: the lock table is small and shared by all sessions.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::pg_sys;

/// `locktag_field4` of the TVIEW lock ("tt") and of key locks ("tk").
const SPACE_TVIEW: u16 = 0x7474;
const SPACE_KEY: u16 = 0x746b;

/// Above this many keys in one statement, lock the whole TVIEW.
pub const MAX_KEYS_PER_STATEMENT: usize = 256;
/// Above this many key locks held on one TVIEW by one transaction, lock the whole TVIEW.
pub const MAX_KEY_LOCKS: usize = 1024;

#[derive(Default, Clone, Copy)]
struct Held {
    whole: bool,
    keys: usize,
}

thread_local! {
    /// What this transaction holds, per TVIEW table OID.
    static HELD: RefCell<HashMap<u32, Held>> = RefCell::new(HashMap::new());
}

/// Forget what was held (the locks themselves go with the transaction).
pub fn reset() {
    HELD.with(|h| h.borrow_mut().clear());
}

fn acquire(tview: pg_sys::Oid, id: u32, space: u16, mode: u32) {
    let tag = pg_sys::LOCKTAG {
        // SAFETY: MyDatabaseId is set for the whole life of a backend connected to a database.
        locktag_field1: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        locktag_field2: tview.to_u32(),
        locktag_field3: id,
        locktag_field4: space,
        locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
        locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
    };
    // SAFETY: a transaction-level lock on a valid tag; waits (or errors out on deadlock or
    // cancel) like any heavyweight lock.
    unsafe {
        pg_sys::LockAcquire(&tag, mode as pg_sys::LOCKMODE, false, false);
    }
}

/// Lock the whole TVIEW for the rest of the transaction.
pub fn lock_whole(tview: pg_sys::Oid) {
    let already = HELD.with(|h| h.borrow().get(&tview.to_u32()).is_some_and(|x| x.whole));
    if !already {
        acquire(tview, 0, SPACE_TVIEW, pg_sys::ExclusiveLock);
        HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().whole = true);
    }
}

/// Lock the keys in `keys` (an array of `key_type`, compared under `collation`) before
/// recomputing them.
///
/// # Safety
/// `keys` must be a non-null array datum of element type `key_type`, valid for this call.
pub unsafe fn lock_keys(
    tview: pg_sys::Oid,
    keys: pg_sys::Datum,
    key_type: pg_sys::Oid,
    collation: pg_sys::Oid,
) {
    let held = HELD.with(|h| h.borrow().get(&tview.to_u32()).copied().unwrap_or_default());
    if held.whole {
        return;
    }
    // SAFETY: per contract.
    let Some(mut hashes) = (unsafe { key_hashes(keys, key_type, collation) }) else {
        lock_whole(tview);
        return;
    };
    hashes.sort_unstable();
    hashes.dedup();
    if hashes.len() > MAX_KEYS_PER_STATEMENT || held.keys + hashes.len() > MAX_KEY_LOCKS {
        lock_whole(tview);
        return;
    }
    acquire(tview, 0, SPACE_TVIEW, pg_sys::RowExclusiveLock);
    for h in &hashes {
        acquire(tview, *h, SPACE_KEY, pg_sys::ExclusiveLock);
    }
    HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().keys += hashes.len());
}

/// The hash of every element, by the type's own hash function under the key's collation (so
/// keys that are equal hash alike even when their bytes differ), 0 for the NULL key (a group like any other where the
/// key may be NULL); `None` if the type has none.
unsafe fn key_hashes(
    keys: pg_sys::Datum,
    key_type: pg_sys::Oid,
    collation: pg_sys::Oid,
) -> Option<Vec<u32>> {
    // SAFETY: catalog lookups and array access on a valid array datum (caller's contract).
    unsafe {
        let tce = pg_sys::lookup_type_cache(key_type, pg_sys::TYPECACHE_HASH_PROC_FINFO as i32);
        if tce.is_null() || (*tce).hash_proc == pg_sys::InvalidOid {
            return None;
        }
        // The key column's collation, or the type's own (a domain may carry one).
        let collation = if collation == pg_sys::InvalidOid {
            (*tce).typcollation
        } else {
            collation
        };
        let out = crate::pg::arrays::elements(keys, key_type)
            .into_iter()
            .map(|d| match d {
                Some(d) => pg_sys::FunctionCall1Coll(&mut (*tce).hash_proc_finfo, collation, d)
                    .value() as u32,
                None => 0,
            })
            .collect();
        Some(out)
    }
}
