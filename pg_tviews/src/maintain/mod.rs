//! Step 3 of the pipeline: keeping TVIEWs equal to their definitions as sources change.
//!
//! [`cache`] holds each backend's compiled TVIEWs; [`trigger`] is where a statement's changed
//! rows become keys and keys become a MERGE; [`lock`] keeps that exact when transactions
//! write concurrently.

pub mod cache;
pub mod lock;
pub mod trigger;
