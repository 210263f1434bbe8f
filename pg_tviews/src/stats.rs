//! `pg_tviews_stats`: per-TVIEW maintenance counters that every backend adds to.
//!
//! The counters live in a shared memory segment from PostgreSQL's DSM registry (17 and
//! later: `GetNamedDSMSegment`): the first backend that needs it creates it, the others
//! attach, and no `shared_preload_libraries` entry is needed. PostgreSQL 16 has no registry:
//! there the segment is reserved at server start when the library is preloaded, and
//! otherwise each backend counts its own runs (see `attach`). It holds the table of
//! [`tviews_core::stats`] behind one LWLock, held for a few hundred nanoseconds per
//! maintenance run. Like PostgreSQL's own statistics, the counters start at zero when the
//! server starts and include work of transactions that later rolled back.

use std::cell::Cell;
use std::ffi::c_void;
use std::time::Instant;

use pgrx::prelude::*;
use tviews_core::stats::{self as table, Counters, Slot};

/// TVIEWs counted across all databases; more go uncounted (their row shows zeros).
const SLOTS: usize = 4096;
const SEGMENT: &std::ffi::CStr = c"pg_tviews_stats";

#[repr(C)]
struct Shared {
    lock: pg_sys::LWLock,
    tranche: i32,
    slots: [Slot; SLOTS],
}

thread_local! {
    /// This backend's mapping of the segment (set on first use, valid for its life).
    static SHARED: Cell<*mut Shared> = const { Cell::new(std::ptr::null_mut()) };
}

#[pg_guard]
unsafe extern "C-unwind" fn init_segment(ptr: *mut c_void) {
    // SAFETY: the registry hands over a fresh segment of size_of::<Shared>() bytes, under its
    // own lock; all-zero bytes are a valid Shared (free slots, counters at zero).
    unsafe {
        let shared = ptr as *mut Shared;
        std::ptr::write_bytes(shared as *mut u8, 0, std::mem::size_of::<Shared>());
        (*shared).tranche = pg_sys::LWLockNewTrancheId();
        pg_sys::LWLockInitialize(&mut (*shared).lock, (*shared).tranche);
    }
}

fn shared() -> *mut Shared {
    SHARED.with(|cell| {
        if cell.get().is_null() {
            // SAFETY: attach() returns a segment of size_of::<Shared>() bytes, initialized,
            // mapped for the backend's life.
            let p = unsafe { attach() };
            cell.set(p);
        }
        cell.get()
    })
}

/// The counters' segment from PostgreSQL 17's DSM registry: created by the first backend
/// that needs it, attached by the others.
///
/// # Safety
/// In a backend, once.
#[cfg(not(feature = "pg16"))]
unsafe fn attach() -> *mut Shared {
    let mut found = false;
    // SAFETY: the registry creates or attaches the named segment and keeps it mapped for the
    // backend's life; the tranche name is a static string.
    unsafe {
        let p = pg_sys::GetNamedDSMSegment(
            SEGMENT.as_ptr(),
            std::mem::size_of::<Shared>(),
            Some(init_segment),
            &mut found,
        ) as *mut Shared;
        pg_sys::LWLockRegisterTranche((*p).tranche, SEGMENT.as_ptr());
        p
    }
}

/// PostgreSQL 16 has no DSM registry: the counters live in the server's shared memory when
/// the library is in `shared_preload_libraries` (reserved at server start), and otherwise
/// in this backend's own memory (pg_tviews_stats then shows what this session did).
///
/// # Safety
/// In a backend, once.
#[cfg(feature = "pg16")]
unsafe fn attach() -> *mut Shared {
    // SAFETY: with the library preloaded the struct was reserved and initialized at server
    // start (see `preload`), and ShmemInitStruct finds it under its lock; without it, a
    // leaked zeroed allocation is initialized like a fresh segment.
    unsafe {
        let p = if PRELOADED.load(std::sync::atomic::Ordering::Relaxed) {
            let mut found = false;
            // lwlocknames.h: AddinShmemInitLock is &MainLWLockArray[21].lock.
            let init_lock = &mut (*pg_sys::MainLWLockArray.add(21)).lock as *mut pg_sys::LWLock;
            pg_sys::LWLockAcquire(init_lock, pg_sys::LWLockMode::LW_EXCLUSIVE);
            let p = pg_sys::ShmemInitStruct(
                SEGMENT.as_ptr(),
                std::mem::size_of::<Shared>(),
                &mut found,
            ) as *mut Shared;
            if !found {
                init_segment(p as *mut c_void);
            }
            pg_sys::LWLockRelease(init_lock);
            p
        } else {
            let layout = std::alloc::Layout::new::<Shared>();
            let p = std::alloc::alloc_zeroed(layout) as *mut Shared;
            init_segment(p as *mut c_void);
            p
        };
        pg_sys::LWLockRegisterTranche((*p).tranche, SEGMENT.as_ptr());
        p
    }
}

/// Set in the postmaster when the library is preloaded; forked backends inherit it.
#[cfg(feature = "pg16")]
static PRELOADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(feature = "pg16")]
static mut PREV_SHMEM_REQUEST: pg_sys::shmem_request_hook_type = None;

#[cfg(feature = "pg16")]
#[pg_guard]
unsafe extern "C-unwind" fn request_shmem() {
    // SAFETY: called by the postmaster while shared memory is sized, as the hook chain
    // requires.
    unsafe {
        if let Some(prev) = PREV_SHMEM_REQUEST {
            prev();
        }
        pg_sys::RequestAddinShmemSpace(std::mem::size_of::<Shared>());
    }
}

/// Called from _PG_init: on PostgreSQL 16, a library loaded by shared_preload_libraries
/// reserves the counters' shared memory.
pub fn preload() {
    #[cfg(feature = "pg16")]
    // SAFETY: postmaster-time hook installation, once, as PostgreSQL's own modules do.
    unsafe {
        if pg_sys::process_shared_preload_libraries_in_progress {
            PRELOADED.store(true, std::sync::atomic::Ordering::Relaxed);
            PREV_SHMEM_REQUEST = pg_sys::shmem_request_hook;
            pg_sys::shmem_request_hook = Some(request_shmem);
        }
    }
}

/// Run `f` on the slots under the lock (exclusive to change them, shared to read).
fn with_slots<R>(exclusive: bool, f: impl FnOnce(&mut [Slot]) -> R) -> R {
    let s = shared();
    let mode = if exclusive {
        pg_sys::LWLockMode::LW_EXCLUSIVE
    } else {
        pg_sys::LWLockMode::LW_SHARED
    };
    // SAFETY: the segment is mapped for the backend's life. An ERROR between acquire and
    // release cannot happen in `f` (plain memory work), and abort would release it anyway.
    unsafe {
        pg_sys::LWLockAcquire(&mut (*s).lock, mode);
        let r = f(&mut (*s).slots);
        pg_sys::LWLockRelease(&mut (*s).lock);
        r
    }
}

fn database() -> u32 {
    // SAFETY: set once the backend is connected to a database.
    unsafe { pg_sys::MyDatabaseId }.to_u32()
}

thread_local! {
    /// The counters of the maintenance runs in progress in this backend, innermost last (a
    /// run's MERGE can start the run of a TVIEW built on it). Added to shared memory once,
    /// when a run finishes: one lock per run, whatever it did.
    static RUNS: std::cell::RefCell<Vec<Counters>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Add to the counters of the innermost maintenance run in progress (see [`Run`]).
pub fn add(f: impl FnOnce(&mut Counters)) {
    RUNS.with(|r| {
        if let Some(top) = r.borrow_mut().last_mut() {
            f(top);
        }
    });
}

/// Forget runs left in progress (transaction end).
pub fn reset() {
    RUNS.with(|r| r.borrow_mut().clear());
}

/// Times one maintenance run of a TVIEW and collects what it did ([`add`]); counted in
/// shared memory by [`Run::finish`]. A run dropped unfinished (an error) counts nothing.
pub struct Run {
    table: pg_sys::Oid,
    started: Instant,
    depth: usize,
}

impl Run {
    pub fn start(table: pg_sys::Oid) -> Run {
        let depth = RUNS.with(|r| {
            let mut r = r.borrow_mut();
            r.push(Counters::default());
            r.len()
        });
        Run {
            table,
            started: Instant::now(),
            depth,
        }
    }

    pub fn finish(self) {
        let mut done = RUNS
            .with(|r| r.borrow_mut().get(self.depth - 1).copied())
            .unwrap_or_default();
        done.runs += 1;
        done.time_us += self.started.elapsed().as_micros() as u64;
        // SAFETY: reads the clock.
        done.last_run = unsafe { pg_sys::GetCurrentTimestamp() };
        let (db, table) = (database(), self.table.to_u32());
        with_slots(true, |slots| {
            table::record(slots, db, table, |c| c.add(&done))
        });
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        RUNS.with(|r| r.borrow_mut().truncate(self.depth - 1));
    }
}

/// Forget a dropped TVIEW's counters.
pub fn forget(table: pg_sys::Oid) {
    let db = database();
    with_slots(true, |slots| table::forget(slots, db, table.to_u32()));
}

/// The raw counters of this database's TVIEWs; the view `pg_tviews_stats` names them.
#[allow(clippy::type_complexity)] // pgrx needs the named columns spelled out here
#[pg_extern(volatile, parallel_restricted)]
fn pg_tviews_stats_raw() -> TableIterator<
    'static,
    (
        name!(table_oid, pg_sys::Oid),
        name!(runs, i64),
        name!(keys_recomputed, i64),
        name!(full_recomputes, i64),
        name!(rows_written, i64),
        name!(rows_patched, i64),
        name!(total_time_ms, f64),
        name!(last_run, Option<TimestampWithTimeZone>),
    ),
> {
    let db = database();
    let rows = with_slots(false, |slots| table::of_database(slots, db));
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    TableIterator::new(rows.into_iter().map(move |(t, c)| {
        (
            pg_sys::Oid::from(t),
            clamp(c.runs),
            clamp(c.keys_recomputed),
            clamp(c.full_recomputes),
            clamp(c.rows_written),
            clamp(c.rows_patched),
            c.time_us as f64 / 1000.0,
            (c.last_run != 0)
                .then(|| TimestampWithTimeZone::try_from(c.last_run).ok())
                .flatten(),
        )
    }))
}

/// Zero the counters of every TVIEW of this database.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_stats_reset() {
    let db = database();
    with_slots(true, |slots| table::reset(slots, db));
}

extension_sql!(
    r#"
CREATE VIEW pg_tviews_stats AS
SELECT m.table_name AS tview,
       m.tview_name,
       m.mode,
       coalesce(s.runs, 0) AS runs,
       coalesce(s.keys_recomputed, 0) AS keys_recomputed,
       coalesce(s.full_recomputes, 0) AS full_recomputes,
       coalesce(s.rows_written, 0) AS rows_written,
       coalesce(s.rows_patched, 0) AS rows_patched,
       coalesce(s.total_time_ms, 0) AS total_time_ms,
       s.last_run
  FROM pg_tview_meta m
  LEFT JOIN pg_tviews_stats_raw() s ON s.table_oid = m.table_name::oid;
GRANT SELECT ON pg_tviews_stats TO PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_tviews_stats_reset() FROM PUBLIC;

COMMENT ON VIEW pg_tviews_stats IS 'pg_tviews: maintenance counters per TVIEW of this database, shared by all sessions, since the server started or pg_tviews_stats_reset().';
COMMENT ON COLUMN pg_tviews_stats.tview IS 'The TVIEW''s table.';
COMMENT ON COLUMN pg_tviews_stats.tview_name IS 'The TVIEW''s name without the tv_ prefix.';
COMMENT ON COLUMN pg_tviews_stats.mode IS 'immediate or deferred.';
COMMENT ON COLUMN pg_tviews_stats.runs IS 'Maintenance runs: one per source statement (in deferred mode, the queueing step), one per commit or flush that applied the TVIEW''s queue, one per pg_tviews_refresh.';
COMMENT ON COLUMN pg_tviews_stats.keys_recomputed IS 'Documents recomputed through the definition by key.';
COMMENT ON COLUMN pg_tviews_stats.full_recomputes IS 'Runs that recomputed every row (TRUNCATE, sources with no join path, large deferred queues, pg_tviews_refresh).';
COMMENT ON COLUMN pg_tviews_stats.rows_written IS 'Rows inserted, updated or deleted in the TVIEW table: documents that actually changed.';
COMMENT ON COLUMN pg_tviews_stats.rows_patched IS 'Documents patched in place without a recompute (the fast path), or whose child-fed keys alone were recomputed (partial recompute).';
COMMENT ON COLUMN pg_tviews_stats.total_time_ms IS 'Wall-clock milliseconds spent in maintenance, lock waits and cascaded TVIEWs included.';
COMMENT ON COLUMN pg_tviews_stats.last_run IS 'When maintenance last ran (NULL: not since the server started or the last reset).';
COMMENT ON FUNCTION pg_tviews_stats_raw() IS 'pg_tviews internal: the counters behind the view pg_tviews_stats.';
COMMENT ON FUNCTION pg_tviews_stats_reset() IS 'Zero the pg_tviews_stats counters of every TVIEW in this database (superuser unless granted).';
"#,
    name = "stats_view",
    requires = ["catalog", pg_tviews_stats_raw, pg_tviews_stats_reset]
);
