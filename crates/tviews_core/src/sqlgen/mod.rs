//! SQL text for maintenance, generated from the plan with every identifier quoted and every
//! value passed as a parameter. Nothing a user typed is pasted here: table, column and
//! operator names come from the catalogs, through the model.
//!
//! * [`keys`]: the key query of a source table, over its transition tables;
//! * [`refresh`]: the MERGE that makes the TVIEW equal its definition for a set of keys (or all
//!   rows), the initial fill, and the oracle's difference query;
//! * [`patch`]: the fast path, patching document keys in place when only what they read changed;
//! * [`tally`]: children's counts, sums, averages and boolean aggregates kept by delta in state tables.

pub mod keys;
pub mod patch;
pub mod quote;
pub mod refresh;
pub mod tally;

pub use quote::{qualified, quote_ident};

/// Names of the transition tables the source triggers declare (REFERENCING ... AS).
pub const TRANSITION_OLD: &str = "pgtv_old";
pub const TRANSITION_NEW: &str = "pgtv_new";

/// The prefix reserved for columns pg_tviews adds in its own queries.
pub const RESERVED_PREFIX: &str = "__pgtv_";
#[cfg(test)]
pub mod lint;
