//! The SQL functions, one module per family. Each function is IMMUTABLE, PARALLEL SAFE and
//! STRICT unless NULL has a meaning for it, and gets a COMMENT.

pub mod extract;
pub mod merge;
