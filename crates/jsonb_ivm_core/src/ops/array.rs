//! Arrays of objects addressed by a key's value: `target[array_path]` is an array of
//! objects, and an element *matches* when its `match_key` value equals `match_value` under
//! jsonb equality (`1` matches `1.0`; `5` never matches `"5"`). Every matching element is
//! affected, not only the first.
//!
//! `array_path` is one top-level key, taken literally (`"a.b"` is the key `a.b`). A missing
//! array means no elements: updates and deletes change nothing, an insert creates it. Any
//! other value where the array should be is an error.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::merge::merge_objects;
use super::{expect_object, object_with};
use crate::binary::{cmp_values, key_cmp, values_equal, Container, Node, Value};
use crate::error::{Error, Expected, Result};

/// The array at key `array_path` of `t`; `None` when the key is absent.
pub(crate) fn array_at<'a>(t: &Container<'a>, array_path: &str) -> Result<Option<Container<'a>>> {
    match t.get(array_path.as_bytes())? {
        None => Ok(None),
        Some(v) => v.as_array().map(Some).ok_or_else(|| Error::WrongType {
            argument: "target",
            expected: Expected::Array,
            found: v.kind().name(),
            at: Some(format!("key \"{array_path}\" (array_path)")),
        }),
    }
}

/// Does element `e` match: an object whose `key` value equals `value`?
pub(crate) fn matches(e: &Value<'_>, key: &str, value: &Value<'_>) -> Result<bool> {
    match e.as_object() {
        None => Ok(false),
        Some(o) => match o.get(key.as_bytes())? {
            None => Ok(false),
            Some(v) => values_equal(&v, value),
        },
    }
}

/// What to do with one array element.
pub(crate) enum ElemEdit<'a> {
    Keep,
    Replace(Node<'a>),
    Remove,
}

/// Rewrite the array at `array_path` of object `target` element by element. The document is
/// returned as it is (copied) when the array is absent or `edit` keeps every element.
pub(crate) fn rewrite_array<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    mut edit: impl FnMut(Value<'a>) -> Result<ElemEdit<'a>>,
) -> Result<Node<'a>> {
    let t = expect_object("target", target)?;
    let Some(arr) = array_at(&t, array_path)? else {
        return Ok(Node::Copy(t));
    };
    let mut changed = false;
    let mut elems = Vec::with_capacity(arr.len());
    for e in arr.elems() {
        let e = e?;
        match edit(e)? {
            ElemEdit::Keep => elems.push(Node::from(e)),
            ElemEdit::Replace(n) => {
                changed = true;
                elems.push(n);
            }
            ElemEdit::Remove => changed = true,
        }
    }
    if !changed {
        return Ok(Node::Copy(t));
    }
    object_with(
        Some(&t),
        Cow::Borrowed(array_path.as_bytes()),
        Node::Array(elems),
    )
}

/// Shallow-merge `updates` into every element whose `match_key` equals `match_value`.
pub fn update_where<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    match_key: &str,
    match_value: &Value<'a>,
    updates: &Value<'a>,
) -> Result<Node<'a>> {
    update_matching(
        target,
        array_path,
        match_key,
        match_value,
        updates,
        "updates",
    )
}

/// [`update_where`] with the patch second, as `jsonb_smart_patch_array` takes it.
pub fn smart_patch_array<'a>(
    target: &Value<'a>,
    source: &Value<'a>,
    array_path: &'a str,
    match_key: &str,
    match_value: &Value<'a>,
) -> Result<Node<'a>> {
    update_matching(target, array_path, match_key, match_value, source, "source")
}

fn update_matching<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    match_key: &str,
    match_value: &Value<'a>,
    updates: &Value<'a>,
    updates_name: &'static str,
) -> Result<Node<'a>> {
    expect_object("target", target)?;
    let u = expect_object(updates_name, updates)?;
    rewrite_array(target, array_path, |e| {
        Ok(if matches(&e, match_key, match_value)? {
            ElemEdit::Replace(merge_objects(e.as_object().as_ref(), &u)?)
        } else {
            ElemEdit::Keep
        })
    })
}

/// One `{"match_value": ..., "updates": {...}}` of a batch.
struct Spec<'a> {
    match_value: Value<'a>,
    updates: Container<'a>,
}

fn parse_specs<'a>(updates_array: &Value<'a>) -> Result<Vec<Spec<'a>>> {
    let arr = updates_array.as_array().ok_or_else(|| {
        Error::wrong_type(
            "updates_array",
            Expected::Array,
            updates_array.kind().name(),
        )
    })?;
    let mut specs = Vec::with_capacity(arr.len());
    for (i, s) in arr.elems().enumerate() {
        let bad = || {
            Error::invalid(
                "updates_array",
                format!("element {i} must be an object with \"match_value\" and \"updates\" (an object)"),
            )
        };
        let o = s?.as_object().ok_or_else(bad)?;
        let match_value = o.get(b"match_value")?.ok_or_else(bad)?;
        let updates = o
            .get(b"updates")?
            .and_then(|u| u.as_object())
            .ok_or_else(bad)?;
        specs.push(Spec {
            match_value,
            updates,
        });
    }
    Ok(specs)
}

/// Apply several updates in one pass: each element gets the updates of every spec whose
/// `match_value` it matches, in the order given (later specs win on shared keys).
pub fn update_where_batch<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    match_key: &str,
    updates_array: &Value<'a>,
) -> Result<Node<'a>> {
    expect_object("target", target)?;
    let specs = parse_specs(updates_array)?;
    rewrite_array(target, array_path, |e| {
        let Some(obj) = e.as_object() else {
            return Ok(ElemEdit::Keep);
        };
        let Some(id) = obj.get(match_key.as_bytes())? else {
            return Ok(ElemEdit::Keep);
        };
        let mut pairs: Option<Vec<(Cow<'a, [u8]>, Node<'a>)>> = None;
        for spec in &specs {
            if values_equal(&id, &spec.match_value)? {
                let base = match pairs.take() {
                    Some(p) => p,
                    None => own_pairs(&obj)?,
                };
                pairs = Some(override_pairs(base, &spec.updates)?);
            }
        }
        Ok(match pairs {
            Some(p) => ElemEdit::Replace(Node::Object(p)),
            None => ElemEdit::Keep,
        })
    })
}

fn own_pairs<'a>(o: &Container<'a>) -> Result<Vec<(Cow<'a, [u8]>, Node<'a>)>> {
    o.pairs()
        .map(|p| p.map(|(k, v)| (Cow::Borrowed(k), Node::from(v))))
        .collect()
}

/// Sorted `pairs` with every key of `s` set to `s`'s value.
fn override_pairs<'a>(
    pairs: Vec<(Cow<'a, [u8]>, Node<'a>)>,
    s: &Container<'a>,
) -> Result<Vec<(Cow<'a, [u8]>, Node<'a>)>> {
    let mut out = Vec::with_capacity(pairs.len() + s.len());
    let mut it = pairs.into_iter().peekable();
    for j in 0..s.len() {
        let sk = s.key(j)?;
        while let Some((k, _)) = it.peek() {
            match key_cmp(k, sk) {
                Ordering::Less => out.push(it.next().expect("peeked")),
                Ordering::Equal => {
                    it.next();
                    break;
                }
                Ordering::Greater => break,
            }
        }
        out.push((Cow::Borrowed(sk), Node::from(s.value_at(j)?)));
    }
    out.extend(it);
    Ok(out)
}

/// Remove every element whose `match_key` equals `match_value`.
pub fn delete_where<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    match_key: &str,
    match_value: &Value<'a>,
) -> Result<Node<'a>> {
    rewrite_array(target, array_path, |e| {
        Ok(if matches(&e, match_key, match_value)? {
            ElemEdit::Remove
        } else {
            ElemEdit::Keep
        })
    })
}

/// Sort direction of [`insert_where`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    /// `ASC` or `DESC`, any case; NULL means `ASC`.
    pub fn parse(text: Option<&str>) -> Result<SortOrder> {
        match text.map(str::trim) {
            None => Ok(SortOrder::Asc),
            Some(t) if t.eq_ignore_ascii_case("asc") => Ok(SortOrder::Asc),
            Some(t) if t.eq_ignore_ascii_case("desc") => Ok(SortOrder::Desc),
            Some(t) => Err(Error::invalid(
                "sort_order",
                format!("\"{t}\" is neither ASC nor DESC"),
            )),
        }
    }
}

/// Insert `new_element` into the array at `array_path` (created if absent). Without a
/// `sort_key`, or when the new element has no such key, it is appended; otherwise it goes
/// before the first element whose `sort_key` value sorts after it (ASC) or before it (DESC),
/// that is after any equal ones, so repeated inserts keep their order. Elements without the
/// key are passed over. Values compare in jsonb's order, strings by code point.
pub fn insert_where<'a>(
    target: &Value<'a>,
    array_path: &'a str,
    new_element: &Value<'a>,
    sort_key: Option<&str>,
    order: SortOrder,
) -> Result<Node<'a>> {
    let t = expect_object("target", target)?;
    let arr = array_at(&t, array_path)?;
    let len = arr.map_or(0, |a| a.len());
    let new_key = match (sort_key, new_element.as_object()) {
        (Some(k), Some(o)) => o.get(k.as_bytes())?.map(|v| (k, v)),
        _ => None,
    };
    let mut position = len;
    if let (Some((k, nv)), Some(a)) = (new_key, arr) {
        for i in 0..len {
            let e = a.elem(i)?;
            let Some(ev) = e
                .as_object()
                .map(|o| o.get(k.as_bytes()))
                .transpose()?
                .flatten()
            else {
                continue;
            };
            let c = cmp_values(&ev, &nv)?;
            let after = match order {
                SortOrder::Asc => c == Ordering::Greater,
                SortOrder::Desc => c == Ordering::Less,
            };
            if after {
                position = i;
                break;
            }
        }
    }
    let mut elems = Vec::with_capacity(len + 1);
    if let Some(a) = arr {
        for i in 0..len {
            if i == position {
                elems.push(Node::from(*new_element));
            }
            elems.push(Node::from(a.elem(i)?));
        }
    }
    if position == len {
        elems.push(Node::from(*new_element));
    }
    object_with(
        Some(&t),
        Cow::Borrowed(array_path.as_bytes()),
        Node::Array(elems),
    )
}

/// Does the array at `array_path` hold an element whose `id_key` equals `id_value`? False
/// when `data` is not an object or has no such array.
pub fn contains_id(
    data: &Value<'_>,
    array_path: &str,
    id_key: &str,
    id_value: &Value<'_>,
) -> Result<bool> {
    let Some(t) = data.as_object() else {
        return Ok(false);
    };
    let Some(arr) = array_at(&t, array_path)? else {
        return Ok(false);
    };
    for e in arr.elems() {
        if matches(&e?, id_key, id_value)? {
            return Ok(true);
        }
    }
    Ok(false)
}
