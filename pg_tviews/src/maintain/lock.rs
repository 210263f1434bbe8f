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
//!
//! Changes of a lookup one equality away from the key's table (`c.pk_category =
//! p.fk_category`, see `tviews_core::plan::LookupLink`) do not take the TVIEW lock
//! exclusively: they lock the lookup values their rows hold before finding the documents
//! that read them, and every writer of the key's table locks the lookup values its new rows
//! point at, shared, before recomputing them. Two more levels, taken before the TVIEW lock:
//!
//! * a **lookup lock** per lookup table (`objsubid` 29772, `objid` the lookup's OID):
//!   `RowExclusiveLock` by the lookup's writers, `RowShareLock` by the key table's writers,
//!   `ExclusiveLock` or `ShareLock` instead of value locks when a statement has too many
//!   values;
//! * a **value lock** per lookup value (`objsubid` 29804, `objid` a hash of the lookup column
//!   and the value): `ExclusiveLock` by the lookup's writers, `ShareLock` by the key table's.
//!
//! A row moved to (or inserted with) a lookup value is then either committed before the
//! lookup's writer looks for the documents of that value, or recomputed after that writer
//! commits; the documents the lookup's writer finds are locked key by key as usual. A
//! deferred-mode commit takes a lookup's values and then its documents without waiting for
//! any ([`try_lock_lookups`], [`try_lock_keys`]): a busy value makes it take the TVIEW lock
//! instead, a busy document makes it give everything back and wait for that document alone.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::pg_sys;

/// `locktag_field4` of the TVIEW lock ("tt") and of key locks ("tk").
const SPACE_TVIEW: u16 = 0x7474;
const SPACE_KEY: u16 = 0x746b;
/// ... of lookup locks ("tL") and of value locks ("tl").
const SPACE_LOOKUP: u16 = 0x744c;
const SPACE_VALUE: u16 = 0x746c;

/// Above this many keys in one statement, lock the whole TVIEW.
pub const MAX_KEYS_PER_STATEMENT: usize = 256;
/// Above this many key locks held on one TVIEW by one transaction, lock the whole TVIEW.
pub const MAX_KEY_LOCKS: usize = 1024;

#[derive(Default, Clone, Copy)]
struct Held {
    whole: bool,
    keys: usize,
    values: usize,
}

thread_local! {
    /// What this transaction holds, per TVIEW table OID.
    static HELD: RefCell<HashMap<u32, Held>> = RefCell::new(HashMap::new());
}

/// Forget what was held (the locks themselves go with the transaction).
pub fn reset() {
    HELD.with(|h| h.borrow_mut().clear());
}

fn tag(tview: pg_sys::Oid, id: u32, space: u16) -> pg_sys::LOCKTAG {
    pg_sys::LOCKTAG {
        // SAFETY: MyDatabaseId is set for the whole life of a backend connected to a database.
        locktag_field1: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        locktag_field2: tview.to_u32(),
        locktag_field3: id,
        locktag_field4: space,
        locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
        locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
    }
}

/// Take a transaction-level lock: waiting for conflicting holders, or not (`wait` false: then
/// false when another transaction holds a conflicting lock, nothing taken).
fn lock_tag(tview: pg_sys::Oid, id: u32, space: u16, mode: u32, wait: bool) -> bool {
    // SAFETY: a transaction-level lock on a valid tag; a wait ends (or errors out on deadlock
    // or cancel) like any heavyweight lock's.
    unsafe {
        pg_sys::LockAcquire(
            &tag(tview, id, space),
            mode as pg_sys::LOCKMODE,
            false,
            !wait,
        ) != pg_sys::LockAcquireResult::LOCKACQUIRE_NOT_AVAIL
    }
}

fn acquire(tview: pg_sys::Oid, id: u32, space: u16, mode: u32) {
    lock_tag(tview, id, space, mode, true);
}

/// Take the lock if no one holds a conflicting one; false (nothing taken) otherwise.
fn try_acquire(tview: pg_sys::Oid, id: u32, space: u16, mode: u32) -> bool {
    lock_tag(tview, id, space, mode, false)
}

/// Give back one acquisition of a lock this transaction took (a lock taken again earlier
/// in the transaction stays held).
fn release(tview: pg_sys::Oid, id: u32, space: u16, mode: u32) {
    // SAFETY: releases a transaction-level lock this backend holds (a no-op with a warning
    // otherwise, which the callers never cause).
    unsafe {
        pg_sys::LockRelease(&tag(tview, id, space), mode as pg_sys::LOCKMODE, false);
    }
}

/// Locks one statement took, to give back before it waits (see [`try_lock_keys`]).
#[derive(Default)]
pub struct Taken(Vec<(pg_sys::Oid, u32, u16, u32)>);

impl Taken {
    fn take(&mut self, tview: pg_sys::Oid, id: u32, space: u16, mode: u32) {
        acquire(tview, id, space, mode);
        self.0.push((tview, id, space, mode));
    }

    /// Take the lock if no other transaction holds a conflicting one; false otherwise.
    fn try_take(&mut self, tview: pg_sys::Oid, id: u32, space: u16, mode: u32) -> bool {
        let got = try_acquire(tview, id, space, mode);
        if got {
            self.0.push((tview, id, space, mode));
        }
        got
    }

    /// Take the TVIEW lock in row mode (`RowExclusiveLock`, as every row-level writer does)
    /// if no other transaction holds it exclusively; false (nothing taken) otherwise. A
    /// lookup's change takes it after its values and before it looks for its documents: a
    /// transaction holding the whole TVIEW writes rows of the key's table without value locks,
    /// so its changes must be committed (or wait for this one) before the search, or a row it
    /// moved to one of the values would be missed.
    pub fn try_rows(&mut self, tview: pg_sys::Oid) -> bool {
        self.try_take(tview, 0, SPACE_TVIEW, pg_sys::RowExclusiveLock)
    }

    /// Give them all back, newest first.
    pub fn release(self) {
        for (tview, id, space, mode) in self.0.into_iter().rev() {
            release(tview, id, space, mode);
            if space == SPACE_VALUE {
                HELD.with(|h| {
                    if let Some(held) = h.borrow_mut().get_mut(&tview.to_u32()) {
                        held.values = held.values.saturating_sub(1);
                    }
                });
            }
        }
    }
}

/// What [`try_lock_keys`] did.
pub enum KeyLocks {
    /// Every key is locked (or the whole TVIEW already was).
    Taken,
    /// Too many keys: nothing taken; lock the whole TVIEW instead.
    TooMany,
    /// Another transaction holds this key's lock: nothing taken; wait for it with
    /// [`wait_for_key`], then start over.
    Busy(u32),
}

/// Lock the keys in `keys` like [`lock_keys`], but never wait for a key: a lookup's change
/// holds its value locks while it locks the documents it found, and waiting for one of
/// them there would deadlock with a transaction that holds it and then writes another
/// document of those values (see `super::trigger`). On a busy key nothing is kept. The
/// caller holds the TVIEW lock in row mode already ([`Taken::try_rows`]), taken before it
/// looked for the keys.
///
/// # Safety
/// As [`lock_keys`].
pub unsafe fn try_lock_keys(
    tview: pg_sys::Oid,
    keys: pg_sys::Datum,
    key_type: pg_sys::Oid,
    collation: pg_sys::Oid,
) -> KeyLocks {
    let held = HELD.with(|h| h.borrow().get(&tview.to_u32()).copied().unwrap_or_default());
    if held.whole {
        return KeyLocks::Taken;
    }
    // SAFETY: per contract.
    let Some(mut hashes) = (unsafe { key_hashes(keys, key_type, collation) }) else {
        return KeyLocks::TooMany;
    };
    hashes.sort_unstable();
    hashes.dedup();
    if hashes.len() > MAX_KEYS_PER_STATEMENT || held.keys + hashes.len() > MAX_KEY_LOCKS {
        return KeyLocks::TooMany;
    }
    for (i, h) in hashes.iter().enumerate() {
        if !try_acquire(tview, *h, SPACE_KEY, pg_sys::ExclusiveLock) {
            for taken in hashes[..i].iter().rev() {
                release(tview, *taken, SPACE_KEY, pg_sys::ExclusiveLock);
            }
            return KeyLocks::Busy(*h);
        }
    }
    HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().keys += hashes.len());
    KeyLocks::Taken
}

/// Wait until the transaction holding key lock `hash` of `tview` ends; keep nothing.
pub fn wait_for_key(tview: pg_sys::Oid, hash: u32) {
    acquire(tview, hash, SPACE_KEY, pg_sys::ExclusiveLock);
    release(tview, hash, SPACE_KEY, pg_sys::ExclusiveLock);
}

/// Wait until no transaction holds `tview`'s TVIEW lock exclusively; keep nothing.
pub fn wait_for_rows(tview: pg_sys::Oid) {
    acquire(tview, 0, SPACE_TVIEW, pg_sys::RowExclusiveLock);
    release(tview, 0, SPACE_TVIEW, pg_sys::RowExclusiveLock);
}

/// Lock the whole TVIEW for the rest of the transaction if no other transaction holds one
/// of its locks now; false (nothing taken) otherwise.
pub fn try_lock_whole(tview: pg_sys::Oid) -> bool {
    let already = HELD.with(|h| h.borrow().get(&tview.to_u32()).is_some_and(|x| x.whole));
    if already {
        return true;
    }
    if !try_acquire(tview, 0, SPACE_TVIEW, pg_sys::ExclusiveLock) {
        return false;
    }
    HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().whole = true);
    true
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

/// The values of one lookup column whose value locks a statement takes: `column` identifies
/// the lookup table's column (any number, the same for every TVIEW and session), `values`
/// is an array of `element_type`.
pub struct LookupValues {
    pub lookup: pg_sys::Oid,
    pub column: u32,
    pub values: pg_sys::Datum,
    pub element_type: pg_sys::Oid,
}

/// Lock the lookup values in `lookups` on `tview`: exclusively for a change of the lookups
/// themselves, shared for new rows of the key's table pointing at them (see the module
/// comment). Lookup locks first, by OID, then value locks, by hash.
///
/// # Safety
/// Each `values` must be a non-null array datum of its `element_type`, valid for this call.
pub unsafe fn lock_lookups(tview: pg_sys::Oid, lookups: &[LookupValues], exclusive: bool) -> Taken {
    let mut taken = Taken::default();
    let held = HELD.with(|h| h.borrow().get(&tview.to_u32()).copied().unwrap_or_default());
    if exclusive && held.whole {
        // Every writer of the TVIEW waits for this transaction at its TVIEW lock.
        return taken;
    }
    let mut tables: Vec<u32> = lookups.iter().map(|l| l.lookup.to_u32()).collect();
    tables.sort_unstable();
    tables.dedup();
    let mut ids: Vec<u32> = Vec::new();
    let mut whole_tables = false;
    for l in lookups {
        // SAFETY: per contract.
        match unsafe { key_hashes(l.values, l.element_type, pg_sys::InvalidOid) } {
            Some(hashes) => ids.extend(hashes.into_iter().map(|h| value_id(l, h))),
            None => whole_tables = true,
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if whole_tables || ids.len() > MAX_KEYS_PER_STATEMENT || held.values + ids.len() > MAX_KEY_LOCKS
    {
        let mode = if exclusive {
            pg_sys::ExclusiveLock
        } else {
            pg_sys::ShareLock
        };
        for t in &tables {
            taken.take(tview, *t, SPACE_LOOKUP, mode);
        }
        return taken;
    }
    let (table_mode, value_mode) = if exclusive {
        (pg_sys::RowExclusiveLock, pg_sys::ExclusiveLock)
    } else {
        (pg_sys::RowShareLock, pg_sys::ShareLock)
    };
    for t in &tables {
        taken.take(tview, *t, SPACE_LOOKUP, table_mode);
    }
    for id in &ids {
        taken.take(tview, *id, SPACE_VALUE, value_mode);
    }
    HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().values += ids.len());
    taken
}

/// Lock the lookup values in `lookups` on `tview` exclusively, like [`lock_lookups`], but
/// only if no other transaction holds a conflicting lock of them now: `None` (nothing kept)
/// when one does, when there are too many values, or when a type has no hash function. A
/// commit (deferred mode) takes them so, after the TVIEWs before this one: waiting for a
/// writer of the key's table that holds a value shared since its statement could close a
/// cycle with that writer's own commit, which waits for this transaction's earlier locks.
///
/// # Safety
/// As [`lock_lookups`].
pub unsafe fn try_lock_lookups(tview: pg_sys::Oid, lookups: &[LookupValues]) -> Option<Taken> {
    let held = HELD.with(|h| h.borrow().get(&tview.to_u32()).copied().unwrap_or_default());
    if held.whole {
        return Some(Taken::default());
    }
    let mut tables: Vec<u32> = lookups.iter().map(|l| l.lookup.to_u32()).collect();
    tables.sort_unstable();
    tables.dedup();
    let mut ids: Vec<u32> = Vec::new();
    for l in lookups {
        // SAFETY: per contract.
        let hashes = unsafe { key_hashes(l.values, l.element_type, pg_sys::InvalidOid) }?;
        ids.extend(hashes.into_iter().map(|h| value_id(l, h)));
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_KEYS_PER_STATEMENT || held.values + ids.len() > MAX_KEY_LOCKS {
        return None;
    }
    let mut taken = Taken::default();
    let wanted = tables
        .iter()
        .map(|t| (*t, SPACE_LOOKUP, pg_sys::RowExclusiveLock))
        .chain(
            ids.iter()
                .map(|id| (*id, SPACE_VALUE, pg_sys::ExclusiveLock)),
        );
    for (id, space, mode) in wanted {
        if !taken.try_take(tview, id, space, mode) {
            taken.release();
            return None;
        }
        if space == SPACE_VALUE {
            HELD.with(|h| h.borrow_mut().entry(tview.to_u32()).or_default().values += 1);
        }
    }
    Some(taken)
}

/// The value lock's id of a value whose hash is `hash`, in `l`'s lookup column.
fn value_id(l: &LookupValues, hash: u32) -> u32 {
    hash ^ l.column.rotate_left(16) ^ l.lookup.to_u32().wrapping_mul(0x9e37_79b1)
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
