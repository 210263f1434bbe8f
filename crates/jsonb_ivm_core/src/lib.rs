//! The backend-free core of the `jsonb_ivm` PostgreSQL extension.
//!
//! * [`binary`] reads and writes PostgreSQL's binary jsonb format directly, so patches never
//!   go through JSON text;
//! * [`ops`] holds the patch algorithms behind each SQL function.
//!
//! Nothing here links against PostgreSQL: it is tested with `cargo test`, property tests
//! against a reference model, and fuzzing. The `jsonb_ivm` crate is the thin pgrx shell.

pub mod binary;
pub mod error;
pub mod model;
pub mod ops;

pub use error::{Error, Result};
