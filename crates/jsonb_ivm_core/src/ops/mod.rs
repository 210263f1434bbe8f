//! The algorithms behind jsonb_ivm's SQL functions, one module per family:
//!
//! * [`merge`]: shallow, at a path, deep, RFC 7386 merge patch;
//! * [`array`]: update, delete, insert and find array elements by a key's value;
//! * [`path`]: the `a.b[2].c` path syntax and setting values through it;
//! * [`patch`]: RFC 6902 JSON Patch, applied and computed (diff);
//! * [`extract`]: identifiers out of documents.
//!
//! Every operation reads only the containers on its way and returns a [`Node`] tree whose
//! untouched parts are copies of the input's bytes.

pub mod array;
pub mod extract;
pub mod merge;
pub mod patch;
pub mod path;

pub use extract::extract_id;
pub use merge::{deep_merge, merge_at_path, merge_patch, merge_shallow};

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::binary::{key_cmp, Container, Node, Value};
use crate::error::{Error, Expected, Result};

/// `v` as an object, or a [`Error::WrongType`] naming `argument`.
pub(crate) fn expect_object<'a>(argument: &'static str, v: &Value<'a>) -> Result<Container<'a>> {
    v.as_object()
        .ok_or_else(|| Error::wrong_type(argument, Expected::Object, v.kind().name()))
}

/// The pairs of `obj` with `key` set to `value` (replaced, or inserted in key order).
pub(crate) fn object_with<'a>(
    obj: Option<&Container<'a>>,
    key: Cow<'a, [u8]>,
    value: Node<'a>,
) -> Result<Node<'a>> {
    let mut out: Vec<(Cow<'a, [u8]>, Node<'a>)> =
        Vec::with_capacity(obj.map_or(0, |o| o.len()) + 1);
    let mut value = Some(value);
    if let Some(obj) = obj {
        for i in 0..obj.len() {
            let k = obj.key(i)?;
            match key_cmp(k, &key) {
                Ordering::Less => out.push((Cow::Borrowed(k), Node::from(obj.value_at(i)?))),
                Ordering::Equal => {
                    out.push((Cow::Borrowed(k), value.take().expect("one match")));
                }
                Ordering::Greater => {
                    if let Some(v) = value.take() {
                        out.push((key.clone(), v));
                    }
                    out.push((Cow::Borrowed(k), Node::from(obj.value_at(i)?)));
                }
            }
        }
    }
    if let Some(v) = value {
        out.push((key, v));
    }
    Ok(Node::Object(out))
}

/// The pairs of `obj` without `key`.
pub(crate) fn object_without<'a>(obj: &Container<'a>, key: &[u8]) -> Result<Node<'a>> {
    let mut out = Vec::with_capacity(obj.len());
    for i in 0..obj.len() {
        let k = obj.key(i)?;
        if k != key {
            out.push((Cow::Borrowed(k), Node::from(obj.value_at(i)?)));
        }
    }
    Ok(Node::Object(out))
}
