//! The backend-free core of pg_tviews.
//!
//! The extension's pipeline, with the parts that need no backend living here:
//!
//! 1. [`naming`]: what a TVIEW is called and which table holds it;
//! 2. [`key`]: which column identifies a row of it;
//! 3. (to come) the definition model built from PostgreSQL's analyzer, the dependency map
//!    from each source table to the TVIEW keys it affects, and the maintenance plan.
//!
//! The `pg_tviews` crate is the shell that feeds these from the catalogs and runs the plan.

pub mod error;
pub mod key;
pub mod model;
pub mod naming;
pub mod plan;
pub mod sqlgen;

pub use error::{Error, Result};
