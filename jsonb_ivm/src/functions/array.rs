//! Arrays of objects addressed by a key's value.

use pgrx::datum::Array;
use pgrx::prelude::*;

use crate::datum::{Jsonb, JsonbOut};
use crate::error::{null_argument, OrRaise};
use jsonb_ivm_core::ops::array;

/// Shallow-merge `updates` into every element of `target[array_path]` whose `match_key`
/// equals `match_value`.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_array_update_where(
    target: Jsonb,
    array_path: &str,
    match_key: &str,
    match_value: Jsonb,
    updates: Jsonb,
) -> JsonbOut {
    let r = array::update_where(
        &target.root(),
        array_path,
        match_key,
        &match_value.root(),
        &updates.root(),
    );
    JsonbOut::encode(&r.or_raise())
}

/// `jsonb_array_update_where` with the patch second.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_smart_patch_array(
    target: Jsonb,
    source: Jsonb,
    array_path: &str,
    match_key: &str,
    match_value: Jsonb,
) -> JsonbOut {
    let r = array::smart_patch_array(
        &target.root(),
        &source.root(),
        array_path,
        match_key,
        &match_value.root(),
    );
    JsonbOut::encode(&r.or_raise())
}

/// Several updates by key in one pass.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_array_update_where_batch(
    target: Jsonb,
    array_path: &str,
    match_key: &str,
    updates_array: Jsonb,
) -> JsonbOut {
    let r = array::update_where_batch(&target.root(), array_path, match_key, &updates_array.root());
    JsonbOut::encode(&r.or_raise())
}

/// `jsonb_array_update_where` over many documents: one result row per input, in order
/// (NULL for a NULL input).
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_array_update_multi_row(
    targets: Array<'_, Jsonb>,
    array_path: &str,
    match_key: &str,
    match_value: Jsonb,
    updates: Jsonb,
) -> TableIterator<'static, (name!(result, Option<JsonbOut>),)> {
    let mv = match_value.root();
    let up = updates.root();
    let rows: Vec<(Option<JsonbOut>,)> = targets
        .iter()
        .map(|t| {
            (t.map(|t| {
                let r = array::update_where(&t.root(), array_path, match_key, &mv, &up);
                JsonbOut::encode(&r.or_raise())
            }),)
        })
        .collect();
    TableIterator::new(rows)
}

/// Remove every element whose `match_key` equals `match_value`.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_array_delete_where(
    target: Jsonb,
    array_path: &str,
    match_key: &str,
    match_value: Jsonb,
) -> JsonbOut {
    let r = array::delete_where(&target.root(), array_path, match_key, &match_value.root());
    JsonbOut::encode(&r.or_raise())
}

/// Insert an element, keeping the array sorted by `sort_key` when one is given.
#[pg_extern(immutable, parallel_safe)]
fn jsonb_array_insert_where(
    target: Option<Jsonb>,
    array_path: Option<&str>,
    new_element: Option<Jsonb>,
    sort_key: default!(Option<&str>, "NULL"),
    sort_order: default!(Option<&str>, "'ASC'"),
) -> Option<JsonbOut> {
    let target = target?;
    let array_path = array_path.unwrap_or_else(|| null_argument("array_path"));
    let new_element = new_element.unwrap_or_else(|| null_argument("new_element"));
    let order = array::SortOrder::parse(sort_order).or_raise();
    let r = array::insert_where(
        &target.root(),
        array_path,
        &new_element.root(),
        sort_key,
        order,
    );
    Some(JsonbOut::encode(&r.or_raise()))
}

/// Does `data[array_path]` hold an element whose `id_key` equals `id_value`?
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_array_contains_id(data: Jsonb, array_path: &str, id_key: &str, id_value: Jsonb) -> bool {
    array::contains_id(&data.root(), array_path, id_key, &id_value.root()).or_raise()
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_array_update_where(jsonb, text, text, jsonb, jsonb) IS
'Shallow-merge the object updates into every object of the array target->array_path whose match_key equals match_value (jsonb equality: 1 matches 1.0, never "1"). A missing array changes nothing.';
COMMENT ON FUNCTION jsonb_smart_patch_array(jsonb, jsonb, text, text, jsonb) IS
'Same as jsonb_array_update_where, with the patch (source) as second argument.';
COMMENT ON FUNCTION jsonb_array_update_where_batch(jsonb, text, text, jsonb) IS
'Apply [{"match_value": v, "updates": {...}}, ...] to the array target->array_path in one pass: each element gets the updates of every spec it matches, in order.';
COMMENT ON FUNCTION jsonb_array_update_multi_row(jsonb[], text, text, jsonb, jsonb) IS
'jsonb_array_update_where over an array of documents: one result row per input document, in order (NULL stays NULL).';
COMMENT ON FUNCTION jsonb_array_delete_where(jsonb, text, text, jsonb) IS
'Remove every object of the array target->array_path whose match_key equals match_value. A missing array changes nothing.';
COMMENT ON FUNCTION jsonb_array_insert_where(jsonb, text, jsonb, text, text) IS
'Insert new_element into the array target->array_path (created if missing): appended, or with sort_key before the first element that sorts after it (ASC) or before it (DESC). NULL target gives NULL.';
COMMENT ON FUNCTION jsonb_array_contains_id(jsonb, text, text, jsonb) IS
'True when the array data->array_path holds an object whose id_key equals id_value; false when there is no such array.';
"#,
    name = "comment_array",
    requires = [
        jsonb_array_update_where,
        jsonb_smart_patch_array,
        jsonb_array_update_where_batch,
        jsonb_array_update_multi_row,
        jsonb_array_delete_where,
        jsonb_array_insert_where,
        jsonb_array_contains_id
    ]
);
