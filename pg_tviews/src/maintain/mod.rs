//! Step 3 of the pipeline: keeping TVIEWs equal to their definitions as sources change.
//!
//! [`cache`] holds each backend's compiled TVIEWs; [`trigger`] is where a statement's changed
//! rows become keys and keys become a MERGE.

pub mod cache;
pub mod trigger;
