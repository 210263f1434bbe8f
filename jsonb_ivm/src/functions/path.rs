//! Setting values through `a.b[2].c` paths.

use pgrx::prelude::*;

use crate::datum::{Jsonb, JsonbOut};
use crate::error::OrRaise;
use jsonb_ivm_core::ops::path;

/// Set the value at `path`, creating missing objects and arrays.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_ivm_set_path(target: Jsonb, path: &str, value: Jsonb) -> JsonbOut {
    let segs = path::parse_path(path, "path").or_raise();
    JsonbOut::encode(&path::set_path(&target.root(), &segs, &value.root()).or_raise())
}

/// In every element of `target[array_key]` matching, set `update_path` to `update_value`.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_ivm_array_update_where_path(
    target: Jsonb,
    array_key: &str,
    match_key: &str,
    match_value: Jsonb,
    update_path: &str,
    update_value: Jsonb,
) -> JsonbOut {
    let segs = path::parse_path(update_path, "update_path").or_raise();
    let r = path::array_update_where_path(
        &target.root(),
        array_key,
        match_key,
        &match_value.root(),
        &segs,
        &update_value.root(),
    );
    JsonbOut::encode(&r.or_raise())
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_ivm_set_path(jsonb, text, jsonb) IS
'Set value at path (a.b[2].c; "quoted" keys; negative indexes count from the end), creating missing objects and arrays; an index past the end pads with nulls. A value of the wrong kind on the way is an error.';
COMMENT ON FUNCTION jsonb_ivm_array_update_where_path(jsonb, text, text, jsonb, text, jsonb) IS
'In every object of the array target->array_key whose match_key equals match_value, set update_path (path syntax as jsonb_ivm_set_path) to update_value.';
"#,
    name = "comment_path",
    requires = [jsonb_ivm_set_path, jsonb_ivm_array_update_where_path]
);
