//! Generators shared by the property tests.

#![allow(dead_code)]

use jsonb_ivm_core::model::Json;
use proptest::prelude::*;

/// JSON numbers in the shapes that matter: integers, decimals with trailing zeros, exponents.
pub fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        (any::<i32>(), 0u32..6).prop_map(|(v, zeros)| {
            let s = format!("{}", v.unsigned_abs());
            let sign = if v < 0 { "-" } else { "" };
            format!("{sign}{}.{}{}", s, "5", "0".repeat(zeros as usize))
        }),
        (1u32..999, -30i32..30).prop_map(|(m, e)| format!("{m}e{e}")),
        Just("0".to_string()),
        Just("0.000".to_string()),
        Just("-0.5".to_string()),
        Just("10.50".to_string()),
    ]
}

/// Keys drawn from a small alphabet so that merges collide often; some need escaping and
/// some are multibyte.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-e]{0,3}",
        Just("id".to_string()),
        Just("with \"quote\"".to_string()),
        Just("é".to_string()),
        Just("tab\t".to_string()),
    ]
}

pub fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Number),
        "[a-z ]{0,8}|\\PC{0,4}".prop_map(Json::String),
    ]
}

pub fn json() -> impl Strategy<Value = Json> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(Json::Object),
        ]
    })
}

/// Objects with many keys cross the 32-entry offset stride of the binary format.
pub fn wide_object() -> impl Strategy<Value = Json> {
    prop::collection::vec(("[a-z]{1,6}", scalar()), 20..80).prop_map(Json::Object)
}

pub fn object() -> impl Strategy<Value = Json> {
    prop_oneof![
        prop::collection::vec((key(), json()), 0..8).prop_map(Json::Object),
        wide_object(),
    ]
}
