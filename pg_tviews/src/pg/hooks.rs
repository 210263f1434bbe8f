//! A check on every function PostgreSQL calls through its SET-clause machinery while
//! pg_tviews runs code as another role (maintenance, refresh, the oracle): a function that
//! sets its own search_path without `pg_temp` last would search the calling session's
//! temporary schema first, and that session may belong to anyone who writes a source.
//! Creation refuses such functions where it can see them; this catches the rest at the call
//! (functions reached through other functions, or altered after the TVIEW was created).

use std::cell::Cell;

use pgrx::pg_sys;
use pgrx::FromDatum;

use crate::errors::TviewError;

thread_local! {
    /// How deep this backend is in code run as another role (see `context::run`).
    static ELEVATED: Cell<u32> = const { Cell::new(0) };
}

static mut PREVIOUS: pg_sys::fmgr_hook_type = None;

/// Marks code running as another role for its lifetime (also when an ERROR unwinds).
pub struct Elevated(());

impl Elevated {
    pub fn enter() -> Elevated {
        ELEVATED.set(ELEVATED.get() + 1);
        Elevated(())
    }
}

impl Drop for Elevated {
    fn drop(&mut self) {
        ELEVATED.set(ELEVATED.get().saturating_sub(1));
    }
}

/// Forget everything at transaction end (an ERROR may have skipped a drop).
pub fn reset() {
    ELEVATED.set(0);
}

/// The `search_path` a function sets for itself, if it sets one.
fn own_search_path(function: pg_sys::Oid) -> Option<String> {
    // SAFETY: a syscache lookup of pg_proc by OID; proconfig is read (as a text[] datum,
    // copied into Rust strings) before the tuple is released.
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as _,
            pg_sys::Datum::from(function),
        );
        if tuple.is_null() {
            return None;
        }
        let mut isnull = false;
        let datum = pg_sys::SysCacheGetAttr(
            pg_sys::SysCacheIdentifier::PROCOID as _,
            tuple,
            pg_sys::Anum_pg_proc_proconfig as pg_sys::AttrNumber,
            &mut isnull,
        );
        let config = Vec::<Option<String>>::from_datum(datum, isnull);
        pg_sys::ReleaseSysCache(tuple);
        config?
            .into_iter()
            .flatten()
            .find_map(|entry| entry.strip_prefix("search_path=").map(str::to_string))
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_call(
    event: pg_sys::FmgrHookEventType::Type,
    flinfo: *mut pg_sys::FmgrInfo,
    arg: *mut pg_sys::Datum,
) {
    // SAFETY: chains to the hook that was installed before ours, with the same arguments.
    unsafe {
        if let Some(previous) = PREVIOUS {
            previous(event, flinfo, arg);
        }
    }
    if event != pg_sys::FmgrHookEventType::FHET_START || ELEVATED.get() == 0 {
        return;
    }
    // SAFETY: PostgreSQL passes the FmgrInfo of the function being called.
    let function = unsafe { (*flinfo).fn_oid };
    if let Some(path) = own_search_path(function) {
        if !tviews_core::settings::search_path_keeps_pg_temp_last(&path) {
            TviewError::UnsafeFunction {
                function: crate::pg::names::describe_function(function),
                reason: format!(
                    "it sets search_path = {path}, which does not end with pg_temp, and pg_tviews runs it as another role"
                ),
                hint: "Maintenance runs it as the TVIEW's owner in whichever session writes a source, whose temporary objects it would find first: list pg_temp last (SET search_path = app, pg_temp), as for SECURITY DEFINER functions.".into(),
            }
            .raise();
        }
    }
}

/// Install the check (once per backend, from `_PG_init`), keeping any hook installed before.
pub fn install() {
    // SAFETY: backend-global hook variables, set once at library load, before any query of
    // this backend can run our code.
    unsafe {
        PREVIOUS = pg_sys::fmgr_hook;
        pg_sys::fmgr_hook = Some(check_call);
        PREVIOUS_RUN = pg_sys::ExecutorRun_hook;
        pg_sys::ExecutorRun_hook = Some(executor_run);
        PREVIOUS_FINISH = pg_sys::ExecutorFinish_hook;
        pg_sys::ExecutorFinish_hook = Some(executor_finish);
        PREVIOUS_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
        PREVIOUS_PLANNER = pg_sys::planner_hook;
        pg_sys::planner_hook = Some(planner);
    }
}

thread_local! {
    /// How many query stages this backend is inside, each a point where a query can call
    /// functions: planning (which folds calls of immutable functions over constants),
    /// ExecutorStart (initial partition pruning), ExecutorRun (the plan) and ExecutorFinish
    /// (the data-modifying WITH queries nobody read to the end, and AFTER triggers). A query
    /// run by a function that another query's stage called is one deeper. Maintenance's own
    /// statements write one level below the point where it started; a function its
    /// statements call writes deeper still (see `maintain::run::is_maintenance_write`).
    static RUN_DEPTH: Cell<u32> = const { Cell::new(0) };
}

static mut PREVIOUS_RUN: pg_sys::ExecutorRun_hook_type = None;
static mut PREVIOUS_FINISH: pg_sys::ExecutorFinish_hook_type = None;
static mut PREVIOUS_START: pg_sys::ExecutorStart_hook_type = None;
static mut PREVIOUS_PLANNER: pg_sys::planner_hook_type = None;

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_start(query: *mut pg_sys::QueryDesc, eflags: std::ffi::c_int) {
    let _level = InRun::enter();
    // SAFETY: the arguments PostgreSQL passed, handed on unchanged.
    unsafe {
        match PREVIOUS_START {
            Some(previous) => previous(query, eflags),
            None => pg_sys::standard_ExecutorStart(query, eflags),
        }
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn planner(
    parse: *mut pg_sys::Query,
    query_string: *const std::ffi::c_char,
    cursor_options: std::ffi::c_int,
    bound_params: pg_sys::ParamListInfo,
) -> *mut pg_sys::PlannedStmt {
    let _level = InRun::enter();
    // SAFETY: the arguments PostgreSQL passed, handed on unchanged.
    unsafe {
        match PREVIOUS_PLANNER {
            Some(previous) => previous(parse, query_string, cursor_options, bound_params),
            None => pg_sys::standard_planner(parse, query_string, cursor_options, bound_params),
        }
    }
}

/// The executor nesting level now (runs and finishes).
pub fn run_depth() -> u32 {
    RUN_DEPTH.get()
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_finish(query: *mut pg_sys::QueryDesc) {
    let _level = InRun::enter();
    // SAFETY: the argument PostgreSQL passed, handed on unchanged.
    unsafe {
        match PREVIOUS_FINISH {
            Some(previous) => previous(query),
            None => pg_sys::standard_ExecutorFinish(query),
        }
    }
}

/// One level of [`RUN_DEPTH`] for its lifetime (also when an ERROR unwinds through it).
struct InRun(u32);

impl InRun {
    fn enter() -> InRun {
        let outer = RUN_DEPTH.get();
        RUN_DEPTH.set(outer + 1);
        InRun(outer)
    }
}

impl Drop for InRun {
    fn drop(&mut self) {
        RUN_DEPTH.set(self.0);
    }
}

#[cfg(not(feature = "pg18"))]
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_run(
    query: *mut pg_sys::QueryDesc,
    direction: pg_sys::ScanDirection::Type,
    count: u64,
    execute_once: bool,
) {
    let _level = InRun::enter();
    // SAFETY: the arguments PostgreSQL passed, handed on unchanged.
    unsafe {
        match PREVIOUS_RUN {
            Some(previous) => previous(query, direction, count, execute_once),
            None => pg_sys::standard_ExecutorRun(query, direction, count, execute_once),
        }
    }
}

#[cfg(feature = "pg18")]
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_run(
    query: *mut pg_sys::QueryDesc,
    direction: pg_sys::ScanDirection::Type,
    count: u64,
) {
    let _level = InRun::enter();
    // SAFETY: the arguments PostgreSQL passed, handed on unchanged.
    unsafe {
        match PREVIOUS_RUN {
            Some(previous) => previous(query, direction, count),
            None => pg_sys::standard_ExecutorRun(query, direction, count),
        }
    }
}
