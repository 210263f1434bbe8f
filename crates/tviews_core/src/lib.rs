//! The backend-free core of pg_tviews.
//!
//! The extension's pipeline, with the parts that need no backend living here:
//!
//! 1. [`naming`]: what a TVIEW is called and which table holds it;
//! 2. [`key`]: which column identifies a row of it, and [`unique`]: the proof that it does;
//! 3. [`model`]: the definition as PostgreSQL's analyzer saw it (tables and join conditions);
//! 4. [`plan`]: where a changed row of each source becomes TVIEW keys;
//! 5. [`sqlgen`]: the key queries and refresh statements;
//! 6. [`action`]: what maintenance does after a statement on a source, as data (the trigger
//!    runs it, explain prints it, the docs table is checked against it);
//! 7. [`queue`]: the keys deferred TVIEWs still owe at commit, following savepoints;
//! 8. [`explain`]: all of the above in words, for `pg_tviews_explain`;
//! 9. [`stats`]: the per-TVIEW maintenance counters shared by every backend;
//! 10. [`settings`]: the settings maintenance pins, whoever writes.
//!
//! The `pg_tviews` crate is the shell that feeds these from the catalogs and runs the plan.

pub mod action;
pub mod error;
pub mod explain;
pub mod key;
pub mod model;
pub mod naming;
pub mod plan;
pub mod queue;
pub mod settings;
pub mod sqlgen;
pub mod stats;
pub mod unique;

pub use error::{Error, Result};
