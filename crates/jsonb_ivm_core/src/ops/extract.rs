//! Reading identifiers out of documents.

use std::borrow::Cow;

use crate::binary::{NumericRef, Value};
use crate::error::Result;

/// The value of `key` in object `data` as text: a string's content, or a number exactly as
/// `numeric_out` prints it (`10.50` stays `10.50`). `None` when `data` is not an object, the
/// key is absent, or its value is not a string or a number (identifiers are one or the
/// other; this matches the public jsonb_ivm API).
pub fn extract_id<'a>(data: &Value<'a>, key: &str) -> Result<Option<Cow<'a, str>>> {
    let Some(obj) = data.as_object() else {
        return Ok(None);
    };
    Ok(match obj.get(key.as_bytes())? {
        Some(Value::String(s)) => Some(String::from_utf8_lossy(s)),
        Some(Value::Numeric(n)) => Some(Cow::Owned(NumericRef::decode(n)?.to_text())),
        _ => None,
    })
}
