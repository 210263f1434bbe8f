//! How maintenance runs, whatever it does: as the TVIEW's owner, restricted, with the TVIEW's
//! pinned settings, inside an SPI connection, with writes to that TVIEW table allowed and the
//! run counted in pg_tviews_stats. The trigger ([`super::trigger`]) and the commit of deferred
//! TVIEWs ([`super::deferred`]) both go through [`with_maintenance`].

use std::cell::RefCell;

use pgrx::pg_sys;

use crate::errors::TviewError;
use crate::maintain::cache::{self, Compiled};
use crate::maintain::lock;
use crate::pg::context::{self, Role};
use crate::pg::spi::Connection;

thread_local! {
    /// The maintenance in progress in this backend: which TVIEW table it writes, the trigger
    /// depth its statements run at, and the executor depth where it started (see
    /// `pg::hooks::run_depth`). The guard lets a write through only when it is one of those
    /// statements: the same table, one trigger level deeper (the guard is a trigger of that
    /// statement), one executor level deeper (or, for a TRUNCATE, which runs no executor, at
    /// it). A write from anything those statements fire in turn (a user's trigger on a TVIEW
    /// table, another TVIEW's maintenance writing elsewhere) runs at a deeper trigger level;
    /// one from a function they call (a cast to json, a function in the definition, however
    /// it writes) runs inside their executor, deeper; both are refused like any direct
    /// write.
    static MAINTAINING: RefCell<Vec<(pg_sys::Oid, i32, u32)>> = const { RefCell::new(Vec::new()) };
}

/// The current trigger nesting level (what `pg_trigger_depth()` returns).
pub fn trigger_depth() -> i32 {
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
        let run = crate::pg::hooks::run_depth();
        MAINTAINING.with(|m| m.borrow_mut().push((table, depth, run)));
        MaintenanceScope(())
    }
}

impl Drop for MaintenanceScope {
    fn drop(&mut self) {
        MAINTAINING.with(|m| m.borrow_mut().pop());
    }
}

/// Is this write of TVIEW table `table` (or of one of its state tables), at trigger depth
/// `depth`, one of maintenance's own statements (see `MAINTAINING`)? `truncate`: a TRUNCATE,
/// which runs no executor.
pub fn is_maintenance_write(table: pg_sys::Oid, depth: i32, truncate: bool) -> bool {
    let run = crate::pg::hooks::run_depth();
    MAINTAINING.with(|m| {
        m.borrow().iter().any(|(t, d, r)| {
            *t == table && *d + 1 == depth && run == if truncate { *r } else { *r + 1 }
        })
    })
}

/// Forget scopes left open (transaction end).
pub fn reset() {
    MAINTAINING.with(|m| m.borrow_mut().clear());
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
    crate::checks::check_row_security(
        &tview.meta.tview_name,
        &tview.meta.sources,
        tview.meta.owner,
    )?;
    // Decided before running as the owner: who asked.
    let writer_reads = crate::checks::may_read_everything(tview.meta.table, &tview.meta.sources);
    let run = crate::stats::Run::start(tview.meta.table);
    let owner = Role::As {
        user: tview.meta.owner,
        restricted: true,
    };
    let body = std::panic::AssertUnwindSafe(|| {
        context::run(owner, &tview.meta.settings, || -> Result<R, TviewError> {
            let conn = Connection::open()?;
            // The TVIEW's table, and the state tables its tallies write.
            let _scopes: Vec<MaintenanceScope> = std::iter::once(tview.meta.table)
                .chain(tview.state_tables.iter().copied())
                .map(MaintenanceScope::enter)
                .collect();
            let r = f(&conn)?;
            drop(conn);
            Ok(r)
        })
    });
    let r = if writer_reads {
        body()?
    } else {
        let tview_name = tview.meta.tview_name.as_str();
        pgrx::PgTryBuilder::new(body)
            .catch_others(|e| withheld(e, tview_name))
            .execute()?
    };
    run.finish();
    Ok(r)
}

/// Errors whose text carries no values of the rows maintenance reads (SQLSTATE classes, or
/// codes): transaction rollbacks (serialization failures, deadlocks), resources and
/// program limits, objects not ready (a lock not available), operator intervention (a
/// cancel, a statement timeout), system and connection errors, invalid transaction state,
/// features not supported (pg_tviews' refusals), insufficient privilege. Any other error
/// may quote a value (a constraint's failing row, a cast's or a parser's input: a tsquery,
/// a jsonpath), wherever its class.
const CLASSES_WITHOUT_VALUES: [&str; 10] = [
    "40", "53", "54", "55", "57", "58", "08", "25", "0A", "42501",
];

/// An error raised inside maintenance, for a writer who may not read everything the TVIEW
/// reads (see `checks::may_read_everything`): errors outside [`CLASSES_WITHOUT_VALUES`] are
/// raised again with their SQLSTATE and without their text, which goes to the server log
/// only; the others (a refusal, a deadlock, a lock timeout, a cancel) as they are.
fn withheld(e: pgrx::pg_sys::panic::CaughtError, tview: &str) -> ! {
    use pgrx::pg_sys::panic::{CaughtError, ErrorReport};
    use pgrx::PgLogLevel;
    let report = match &e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => r,
        CaughtError::RustPanic { ereport, .. } => ereport,
    };
    let code = report.sql_error_code();
    // SAFETY: unpacks an error code PostgreSQL made.
    let sqlstate = unsafe {
        std::ffi::CStr::from_ptr(pg_sys::unpack_sql_state(code as i32))
            .to_string_lossy()
            .into_owned()
    };
    if CLASSES_WITHOUT_VALUES
        .iter()
        .any(|c| sqlstate.starts_with(c))
    {
        e.rethrow();
    }
    let mut whole = ErrorReport::new(
        code,
        format!(
            "pg_tviews: maintaining TVIEW {tview} failed: {}",
            report.message()
        ),
        "pg_tviews",
    );
    if let Some(d) = report.detail() {
        whole = whole.set_detail(d.to_string());
    }
    whole.report(PgLogLevel::LOG_SERVER_ONLY);
    ErrorReport::new(
        code,
        format!("maintaining TVIEW {tview} failed with SQLSTATE {sqlstate}"),
        "pg_tviews",
    )
    .set_detail(
        "The error's text is withheld: it may hold values of rows that maintenance reads as the TVIEW's owner, and this role may not read all of them.".to_string(),
    )
    .set_hint(format!(
        "The server log has the whole error. A role with SELECT on the TVIEW's table and every table it reads sees it whole; the TVIEW's owner can also run pg_tviews_check('{}').",
        tview.replace('\'', "''")
    ))
    .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// Recompute every row of a TVIEW (pg_tviews_refresh, creation after a restore).
/// A TVIEW marked maybe stale is no longer once its triggers are in place again.
pub fn refresh_all_rows(meta: &crate::catalog::TviewMeta) -> Result<u64, TviewError> {
    let clear = crate::monitor::mark_to_clear(meta)?;
    let compiled = cache::compiled(meta)?;
    let rows = with_maintenance(&compiled, |_| {
        lock::lock_whole(meta.table);
        compiled.refresh_everything()
    })?;
    if let Some(seen) = clear {
        crate::catalog::clear_maybe_stale(meta.table, &seen)?;
    }
    Ok(rows)
}
