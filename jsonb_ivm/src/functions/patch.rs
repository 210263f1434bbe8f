//! RFC 6902 JSON Patch: apply and diff.

use pgrx::prelude::*;

use crate::datum::{Jsonb, JsonbOut};
use crate::error::OrRaise;
use jsonb_ivm_core::ops::patch;

/// Apply an RFC 6902 patch; a failing `test` operation is an error.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_patch(target: Jsonb, operations: Jsonb) -> JsonbOut {
    JsonbOut(patch::apply(&target.root(), &operations.root()).or_raise())
}

/// An RFC 6902 patch turning `a` into `b`.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_diff(a: Jsonb, b: Jsonb) -> JsonbOut {
    JsonbOut::encode(&patch::diff(&a.root(), &b.root()).or_raise())
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_patch(jsonb, jsonb) IS
'Apply an RFC 6902 JSON Patch (array of add, remove, replace, move, copy, test operations with JSON Pointer paths). Any failing operation, a failed test included, is an error.';
COMMENT ON FUNCTION jsonb_diff(jsonb, jsonb) IS
'An RFC 6902 JSON Patch that turns a into b exactly: jsonb_patch(a, jsonb_diff(a, b)) = b, byte for byte.';
"#,
    name = "comment_patch",
    requires = [jsonb_patch, jsonb_diff]
);
