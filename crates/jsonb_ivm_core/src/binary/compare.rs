//! jsonb equality, as PostgreSQL's `jsonb = jsonb` decides it.
//!
//! Values of different types are never equal (`5` vs `"5"`); numbers compare by value
//! (`1` = `1.0`); strings and keys bytewise; arrays element by element in order; objects by
//! their (sorted) pairs. A top-level scalar differs from a one-element array holding it.

use super::numeric::NumericRef;
use super::reader::{Container, Value};
use crate::error::Result;
use std::cmp::Ordering;

/// `a = b` under jsonb semantics.
pub fn values_equal(a: &Value<'_>, b: &Value<'_>) -> Result<bool> {
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Numeric(x), Value::Numeric(y)) => {
            x == y || NumericRef::decode(x)?.cmp_value(&NumericRef::decode(y)?) == Ordering::Equal
        }
        (Value::Container(x), Value::Container(y)) => containers_equal(x, y)?,
        _ => false,
    })
}

/// Container equality; identical bytes short-circuit the walk.
pub fn containers_equal(a: &Container<'_>, b: &Container<'_>) -> Result<bool> {
    if a.bytes() == b.bytes() {
        return Ok(true);
    }
    if a.is_object() != b.is_object() || a.is_scalar() != b.is_scalar() || a.len() != b.len() {
        return Ok(false);
    }
    if a.is_object() {
        for i in 0..a.len() {
            if a.key(i)? != b.key(i)? || !values_equal(&a.value_at(i)?, &b.value_at(i)?)? {
                return Ok(false);
            }
        }
    } else {
        for i in 0..a.len() {
            if !values_equal(&a.elem(i)?, &b.elem(i)?)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Are `a` and `b` the same jsonb value byte for byte (so `1` and `1.0` differ)?
pub fn identical(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) | (Value::Numeric(x), Value::Numeric(y)) => x == y,
        (Value::Container(x), Value::Container(y)) => x.bytes() == y.bytes(),
        _ => false,
    }
}
