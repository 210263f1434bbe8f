//! The SQL functions, one module per family. Each function is IMMUTABLE and PARALLEL SAFE,
//! STRICT unless NULL has a meaning for it, and has a COMMENT.

pub mod array;
pub mod extract;
pub mod merge;
pub mod patch;
pub mod path;

use pgrx::datum::Array;

use crate::error::null_argument;

/// A `text[]` path as strings; NULL elements are an error.
pub(crate) fn text_path(path: &Array<'_, &str>, argument: &str) -> Vec<String> {
    path.iter()
        .map(|e| {
            e.unwrap_or_else(|| null_argument(&format!("an element of {argument}")))
                .to_string()
        })
        .collect()
}
