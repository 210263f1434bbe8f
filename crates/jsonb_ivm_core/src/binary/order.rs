//! A total order on jsonb values, used to keep arrays sorted (`jsonb_array_insert_where`).
//!
//! It is jsonb's btree order (`null < string < number < boolean < array < object`; numbers
//! by value; arrays and objects first by size, then element by element or pair by pair in
//! storage order), with one deliberate difference: strings compare by their bytes, that is by
//! code point (the "C" collation), so the result does not depend on the database's locale.

use std::cmp::Ordering;

use super::numeric::NumericRef;
use super::reader::{key_cmp, Container, Value};
use crate::error::Result;

fn rank(v: &Value<'_>) -> u8 {
    match v {
        Value::Null => 0,
        Value::String(_) => 1,
        Value::Numeric(_) => 2,
        Value::Bool(_) => 3,
        Value::Container(c) if c.is_array() => 4,
        Value::Container(_) => 5,
    }
}

/// Compare two values in the order described above.
pub fn cmp_values(a: &Value<'_>, b: &Value<'_>) -> Result<Ordering> {
    match rank(a).cmp(&rank(b)) {
        Ordering::Equal => {}
        o => return Ok(o),
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Numeric(x), Value::Numeric(y)) => {
            NumericRef::decode(x)?.cmp_value(&NumericRef::decode(y)?)
        }
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Container(x), Value::Container(y)) => cmp_containers(x, y)?,
        _ => unreachable!("same rank implies same kind"),
    })
}

fn cmp_containers(a: &Container<'_>, b: &Container<'_>) -> Result<Ordering> {
    match a.len().cmp(&b.len()) {
        Ordering::Equal => {}
        o => return Ok(o),
    }
    if a.is_object() {
        for i in 0..a.len() {
            match key_cmp(a.key(i)?, b.key(i)?) {
                Ordering::Equal => {}
                o => return Ok(o),
            }
            match cmp_values(&a.value_at(i)?, &b.value_at(i)?)? {
                Ordering::Equal => {}
                o => return Ok(o),
            }
        }
    } else {
        for i in 0..a.len() {
            match cmp_values(&a.elem(i)?, &b.elem(i)?)? {
                Ordering::Equal => {}
                o => return Ok(o),
            }
        }
    }
    Ok(Ordering::Equal)
}
