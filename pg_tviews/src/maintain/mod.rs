//! Step 3 of the pipeline: keeping TVIEWs equal to their definitions as sources change.
//!
//! [`cache`] holds each backend's compiled TVIEWs and their prepared plans; [`trigger`] runs
//! the action `tviews_core::action` decides for a statement (changed rows become keys, keys
//! become a MERGE or a patch); [`replica`] collects the rows a replica session (logical
//! replication's apply) changes and hands them to the same actions at commit; [`deferred`]
//! holds the keys of deferred TVIEWs until commit; [`commit`] applies what waits;
//! [`lock`] keeps all of it exact when transactions write concurrently; [`run`] is how any of
//! it runs (as whom, with which settings, counted). Each module uses only those after it
//! here: commit → replica → trigger → deferred → run → lock, cache.

pub mod cache;
pub mod commit;
pub mod deferred;
pub mod lock;
pub mod replica;
pub mod run;
pub mod trigger;

/// Reset at transaction end, whatever happened.
pub fn reset() {
    run::reset();
    lock::reset();
    deferred::reset();
    replica::reset();
    crate::stats::reset();
}
