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
    /// The maintenance in progress in this backend: which TVIEW table it writes, and the
    /// trigger depth its statements run at. The guard lets a write through only when it is
    /// one of those statements: the same table, one trigger level deeper (the guard is a
    /// trigger of that statement). A write from anything those statements fire in turn
    /// (a user's trigger on a TVIEW table, another TVIEW's maintenance writing elsewhere) runs
    /// deeper still, and is refused like any direct write.
    static MAINTAINING: RefCell<Vec<(pg_sys::Oid, i32)>> = const { RefCell::new(Vec::new()) };
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
        MAINTAINING.with(|m| m.borrow_mut().push((table, depth)));
        MaintenanceScope(())
    }
}

impl Drop for MaintenanceScope {
    fn drop(&mut self) {
        MAINTAINING.with(|m| m.borrow_mut().pop());
    }
}

/// Is this write of TVIEW table `table` (or of one of its state tables), at trigger depth
/// `depth`, one of maintenance's own statements (see `MAINTAINING`)?
pub fn is_maintenance_write(table: pg_sys::Oid, depth: i32) -> bool {
    MAINTAINING.with(|m| {
        m.borrow()
            .iter()
            .any(|(t, d)| *t == table && *d + 1 == depth)
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
    let run = crate::stats::Run::start(tview.meta.table);
    let owner = Role::As {
        user: tview.meta.owner,
        restricted: true,
    };
    let r = context::run(owner, &tview.meta.settings, || -> Result<R, TviewError> {
        let conn = Connection::open()?;
        // The TVIEW's table, and the state tables its tallies write.
        let _scopes: Vec<MaintenanceScope> = std::iter::once(tview.meta.table)
            .chain(tview.state_tables.iter().copied())
            .map(MaintenanceScope::enter)
            .collect();
        let r = f(&conn)?;
        drop(conn);
        Ok(r)
    })?;
    run.finish();
    Ok(r)
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
