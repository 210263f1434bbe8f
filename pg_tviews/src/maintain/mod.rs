//! Step 3 of the pipeline: keeping TVIEWs equal to their definitions as sources change.
//!
//! [`cache`] holds each backend's compiled TVIEWs; [`trigger`] is where a statement's changed
//! rows become keys and keys become a MERGE; [`deferred`] holds the keys of deferred TVIEWs
//! until commit; [`lock`] keeps all of it exact when transactions write concurrently.

pub mod cache;
pub mod deferred;
pub mod lock;
pub mod trigger;
