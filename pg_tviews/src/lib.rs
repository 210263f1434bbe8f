//! `pg_tviews`: transactional views for PostgreSQL.
//!
//! A TVIEW is a table `tv_<name>` whose rows equal a SELECT at all times. This crate is the
//! pgrx shell around `tviews_core`; the pipeline, one module per step:
//!
//! 1. [`analyze`]: the SELECT through PostgreSQL's parser, analyzer and rewriter, into the
//!    core's definition model and maintenance plan;
//! 2. [`create`] and [`install`]: definition view, table, catalog row ([`catalog`]), triggers;
//!    [`checks`]: what must hold for maintenance to be exact and safe (creation, DDL and
//!    every maintenance run check it);
//! 3. [`maintain`]: statement triggers running the action `tviews_core::action` decides:
//!    changed rows into keys, keys into a MERGE or a patch;
//! 4. [`api`] and [`ddl`]: the SQL functions and the DDL event triggers users meet;
//!    [`monitor`]: explain and health check.

use pgrx::prelude::*;

pub mod analyze;
pub mod api;
pub mod catalog;
pub mod checks;
pub mod create;
pub mod ddl;
pub mod errors;
pub mod guc;
pub mod install;
pub mod maintain;
pub mod monitor;
pub mod pg;
pub mod stats;
pub mod tally;

::pgrx::pg_module_magic!(name, version);

/// The extension's version, as built.
#[pg_extern(immutable, parallel_safe)]
fn pg_tviews_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_version() IS 'The version of the pg_tviews library loaded in this session.';
"#,
    name = "comment_version",
    requires = [pg_tviews_version]
);

/// Per-transaction state is reset at every transaction end, whatever path it takes, so
/// nothing leaks to the next client of a pooled connection.
#[pg_guard]
unsafe extern "C-unwind" fn on_xact_event(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    if matches!(event, XACT_EVENT_PRE_COMMIT | XACT_EVENT_PRE_PREPARE) {
        // Deferred TVIEWs are refreshed here: the last point where work may fail and
        // abort the transaction instead.
        maintain::commit::at_pre_commit(event == XACT_EVENT_PRE_PREPARE);
        return;
    }
    if matches!(
        event,
        XACT_EVENT_COMMIT | XACT_EVENT_ABORT | XACT_EVENT_PREPARE | XACT_EVENT_PARALLEL_ABORT
    ) {
        maintain::reset();
        maintain::cache::transaction_ended(
            if matches!(event, XACT_EVENT_COMMIT | XACT_EVENT_PREPARE) {
                maintain::cache::Ended::Committed
            } else {
                maintain::cache::Ended::RolledBack
            },
        );
        ddl::reset();
        pg::hooks::reset();
    }
}

/// Savepoints: the deferred queue follows them. Locks taken in a subtransaction that rolls
/// back are released with it: forget what the lock module believes it holds (taking a held
/// lock again is cheap).
#[pg_guard]
unsafe extern "C-unwind" fn on_subxact_event(
    event: pg_sys::SubXactEvent::Type,
    my: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::SubXactEvent::*;
    match event {
        SUBXACT_EVENT_COMMIT_SUB => {
            maintain::deferred::subxact_committed(my, parent);
            maintain::replica::subxact_committed(my, parent);
        }
        SUBXACT_EVENT_ABORT_SUB => {
            maintain::deferred::subxact_aborted(my);
            maintain::replica::subxact_aborted(my);
            maintain::lock::reset();
            maintain::cache::transaction_ended(maintain::cache::Ended::SubRolledBack(my));
            ddl::subxact_aborted(my);
        }
        _ => {}
    }
}

/// Called once when the library is loaded into a backend.
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::init();
    stats::preload();
    pg::hooks::install();
    // SAFETY: registers a static callback for the backend's lifetime.
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_xact_event), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subxact_event), std::ptr::null_mut());
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn library_and_catalog_versions_agree() {
        let v = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'pg_tviews'",
        );
        assert_eq!(v, Ok(Some(crate::pg_tviews_version().to_string())));
    }
}
