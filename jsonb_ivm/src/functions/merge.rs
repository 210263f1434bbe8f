//! Object merges: shallow, at a path, deep, RFC 7386.

use pgrx::datum::Array;
use pgrx::prelude::*;

use super::text_path;
use crate::datum::{Jsonb, JsonbOut};
use crate::error::OrRaise;
use jsonb_ivm_core::ops;

/// `target || source` for two objects, without rebuilding the unchanged values.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_merge_shallow(target: Jsonb, source: Jsonb) -> JsonbOut {
    JsonbOut::encode(&ops::merge_shallow(&target.root(), &source.root()).or_raise())
}

/// Same as `jsonb_merge_shallow` (the name the public jsonb_ivm API uses for scalar patches).
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_smart_patch_scalar(target: Jsonb, source: Jsonb) -> JsonbOut {
    jsonb_merge_shallow(target, source)
}

/// Shallow-merge `source` into the object at `path`, creating missing objects.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_merge_at_path(target: Jsonb, source: Jsonb, path: Array<'_, &str>) -> JsonbOut {
    let owned = text_path(&path, "path");
    let p: Vec<&str> = owned.iter().map(String::as_str).collect();
    JsonbOut::encode(&ops::merge_at_path(&target.root(), &source.root(), &p).or_raise())
}

/// The nested patch: same as `jsonb_merge_at_path`.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_smart_patch_nested(target: Jsonb, source: Jsonb, path: Array<'_, &str>) -> JsonbOut {
    jsonb_merge_at_path(target, source, path)
}

/// Recursive merge of objects; anything else in `source` replaces.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_deep_merge(target: Jsonb, source: Jsonb) -> JsonbOut {
    JsonbOut::encode(&ops::deep_merge(&target.root(), &source.root()).or_raise())
}

/// RFC 7386 JSON Merge Patch.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_merge_patch(target: Jsonb, patch: Jsonb) -> JsonbOut {
    JsonbOut::encode(&ops::merge_patch(&target.root(), &patch.root()).or_raise())
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_merge_shallow(jsonb, jsonb) IS
'Shallow merge of two objects: every top-level key of source replaces or adds that key in target (like target || source). Both must be objects.';
COMMENT ON FUNCTION jsonb_smart_patch_scalar(jsonb, jsonb) IS
'Same as jsonb_merge_shallow: patch top-level keys of an object.';
COMMENT ON FUNCTION jsonb_merge_at_path(jsonb, jsonb, text[]) IS
'Shallow-merge the object source into the object at path (object keys from the root), creating missing objects on the way. A non-object on the path is an error.';
COMMENT ON FUNCTION jsonb_smart_patch_nested(jsonb, jsonb, text[]) IS
'Same as jsonb_merge_at_path: jsonb_set(target, path, coalesce(target #> path, ''{}'') || source), without rebuilding the rest of the document.';
COMMENT ON FUNCTION jsonb_deep_merge(jsonb, jsonb) IS
'Recursive merge: objects merge key by key; arrays, scalars and null in source replace. If either argument is not an object, the result is source.';
COMMENT ON FUNCTION jsonb_merge_patch(jsonb, jsonb) IS
'RFC 7386 JSON Merge Patch: patch keys set to null are removed, objects merge recursively, anything else replaces.';
"#,
    name = "comment_merge",
    requires = [
        jsonb_merge_shallow,
        jsonb_smart_patch_scalar,
        jsonb_merge_at_path,
        jsonb_smart_patch_nested,
        jsonb_deep_merge,
        jsonb_merge_patch
    ]
);
