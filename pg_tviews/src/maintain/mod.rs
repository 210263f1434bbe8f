//! Step 3 of the pipeline: keeping TVIEWs equal to their definitions as sources change.
//!
//! [`cache`] holds each backend's compiled TVIEWs and their prepared plans; [`trigger`] runs
//! the action `tviews_core::action` decides for a statement (changed rows become keys, keys
//! become a MERGE or a patch); [`deferred`] holds the keys of deferred TVIEWs until commit;
//! [`lock`] keeps all of it exact when transactions write concurrently; [`run`] is how any of
//! it runs (as whom, with which settings, counted). Each module uses only those after it
//! here: trigger → deferred → run → lock, cache.

pub mod cache;
pub mod deferred;
pub mod lock;
pub mod run;
pub mod trigger;

/// Reset at transaction end, whatever happened.
pub fn reset() {
    run::reset();
    lock::reset();
    deferred::reset();
    crate::stats::reset();
}
