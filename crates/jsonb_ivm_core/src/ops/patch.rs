//! RFC 6902 JSON Patch on binary jsonb: applying a patch and computing one (a diff).
//!
//! Paths are RFC 6901 JSON Pointers (`/a/b/0`, `~1` for `/`, `~0` for `~`, `-` for the end of
//! an array when adding). Operations apply in order, each to the result of the previous one;
//! any failure (a missing path, an index out of range, a failing `test`) is an error and
//! nothing is returned.

use std::borrow::Cow;

use super::{object_with, object_without};
use crate::binary::{self, identical, values_equal, Container, Node, Value};
use crate::error::{Error, Expected, Result};

/// Parse an RFC 6901 pointer into its reference tokens.
pub fn parse_pointer(p: &str) -> Result<Vec<String>> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = p.strip_prefix('/') else {
        return Err(Error::invalid(
            "operations",
            format!("path \"{p}\" must be empty or start with /"),
        ));
    };
    rest.split('/')
        .map(|tok| {
            let mut out = String::with_capacity(tok.len());
            let mut chars = tok.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => {
                            return Err(Error::invalid(
                                "operations",
                                format!("path \"{p}\" has ~ not followed by 0 or 1"),
                            ))
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        })
        .collect()
}

/// Escape one token for a pointer.
fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

enum Edit<'a> {
    Add(Node<'a>),
    Replace(Node<'a>),
    Remove,
}

fn not_found(index: usize, pointer: &str) -> Error {
    Error::PathNotFound {
        argument: "operations",
        path: format!("operation {index}: path \"{pointer}\""),
    }
}

/// An array index token: `0` or digits without a leading zero.
fn array_index(tok: &str) -> Option<usize> {
    if tok == "0"
        || (!tok.is_empty() && !tok.starts_with('0') && tok.bytes().all(|b| b.is_ascii_digit()))
    {
        tok.parse().ok()
    } else {
        None
    }
}

/// The value at `tokens` in `v`, if there is one.
fn get<'a>(v: &Value<'a>, tokens: &[String]) -> Result<Option<Value<'a>>> {
    let mut cur = *v;
    for tok in tokens {
        let next = match cur {
            Value::Container(c) if c.is_object() => c.get(tok.as_bytes())?,
            Value::Container(c) => match array_index(tok) {
                Some(i) if i < c.len() => Some(c.elem(i)?),
                _ => None,
            },
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

fn edit<'a>(
    cur: &Value<'a>,
    tokens: &[String],
    depth: usize,
    e: Edit<'a>,
    index: usize,
    pointer: &str,
) -> Result<Node<'a>> {
    let Some(tok) = tokens.get(depth) else {
        return match e {
            Edit::Add(n) | Edit::Replace(n) => Ok(n),
            Edit::Remove => Err(Error::invalid(
                "operations",
                format!("operation {index} cannot remove the whole document"),
            )),
        };
    };
    let last = depth + 1 == tokens.len();
    match cur {
        Value::Container(c) if c.is_object() => {
            let existing = c.get(tok.as_bytes())?;
            if last {
                return match e {
                    Edit::Add(n) => object_with(Some(c), Cow::Owned(tok.as_bytes().to_vec()), n),
                    Edit::Replace(n) => {
                        existing.ok_or_else(|| not_found(index, pointer))?;
                        object_with(Some(c), Cow::Owned(tok.as_bytes().to_vec()), n)
                    }
                    Edit::Remove => {
                        existing.ok_or_else(|| not_found(index, pointer))?;
                        object_without(c, tok.as_bytes())
                    }
                };
            }
            let child = existing.ok_or_else(|| not_found(index, pointer))?;
            let new = edit(&child, tokens, depth + 1, e, index, pointer)?;
            object_with(Some(c), Cow::Owned(tok.as_bytes().to_vec()), new)
        }
        Value::Container(c) => {
            let len = c.len();
            let idx = if last && tok == "-" && matches!(e, Edit::Add(_)) {
                len
            } else {
                array_index(tok).ok_or_else(|| not_found(index, pointer))?
            };
            let adding = last && matches!(e, Edit::Add(_));
            if idx > len || (idx == len && !adding) {
                return Err(not_found(index, pointer));
            }
            let mut elems: Vec<Node<'a>> = Vec::with_capacity(len + 1);
            for j in 0..len {
                elems.push(Node::from(c.elem(j)?));
            }
            if last {
                match e {
                    Edit::Add(n) => elems.insert(idx, n),
                    Edit::Replace(n) => elems[idx] = n,
                    Edit::Remove => {
                        elems.remove(idx);
                    }
                }
            } else {
                elems[idx] = edit(&c.elem(idx)?, tokens, depth + 1, e, index, pointer)?;
            }
            Ok(Node::Array(elems))
        }
        _ => Err(not_found(index, pointer)),
    }
}

fn field<'a>(op: &Container<'a>, name: &str, index: usize) -> Result<Value<'a>> {
    op.get(name.as_bytes())?
        .ok_or_else(|| Error::invalid("operations", format!("operation {index} has no \"{name}\"")))
}

fn string_field(op: &Container<'_>, name: &str, index: usize) -> Result<String> {
    match field(op, name, index)? {
        Value::String(s) => Ok(String::from_utf8_lossy(s).into_owned()),
        other => Err(Error::invalid(
            "operations",
            format!(
                "operation {index}: \"{name}\" must be a string, not {}",
                other.kind().name()
            ),
        )),
    }
}

/// Apply an RFC 6902 patch (an array of operation objects) to `target`; returns the result
/// as a complete jsonb datum.
pub fn apply(target: &Value<'_>, operations: &Value<'_>) -> Result<Vec<u8>> {
    let ops = operations.as_array().ok_or_else(|| {
        Error::wrong_type("operations", Expected::Array, operations.kind().name())
    })?;
    let mut doc = binary::encode(&Node::from(*target))?;
    for index in 0..ops.len() {
        let op = ops.elem(index)?.as_object().ok_or_else(|| {
            Error::invalid("operations", format!("operation {index} must be an object"))
        })?;
        let kind = string_field(&op, "op", index)?;
        let pointer = string_field(&op, "path", index)?;
        let tokens = parse_pointer(&pointer)?;
        let cur = binary::root_of_datum(&doc)?;
        let next = match kind.as_str() {
            "add" => binary::encode(&edit(&cur, &tokens, 0, Edit::Add(Node::from(field(&op, "value", index)?)), index, &pointer)?)?,
            "replace" => binary::encode(&edit(&cur, &tokens, 0, Edit::Replace(Node::from(field(&op, "value", index)?)), index, &pointer)?)?,
            "remove" => binary::encode(&edit(&cur, &tokens, 0, Edit::Remove, index, &pointer)?)?,
            "test" => {
                let expected = field(&op, "value", index)?;
                let found = get(&cur, &tokens)?.ok_or_else(|| not_found(index, &pointer))?;
                if !values_equal(&found, &expected)? {
                    return Err(Error::TestFailed {
                        index,
                        path: pointer,
                    });
                }
                continue;
            }
            "move" | "copy" => {
                let from = string_field(&op, "from", index)?;
                let from_tokens = parse_pointer(&from)?;
                let value = get(&cur, &from_tokens)?.ok_or_else(|| not_found(index, &from))?;
                if kind == "move" {
                    if from_tokens.is_empty() {
                        return Err(Error::invalid(
                            "operations",
                            format!("operation {index} cannot move the whole document"),
                        ));
                    }
                    if tokens.len() > from_tokens.len() && tokens[..from_tokens.len()] == from_tokens[..] {
                        return Err(Error::invalid(
                            "operations",
                            format!("operation {index} moves \"{from}\" into its own child \"{pointer}\""),
                        ));
                    }
                    if tokens == from_tokens {
                        continue;
                    }
                    let removed = binary::encode(&edit(&cur, &from_tokens, 0, Edit::Remove, index, &from)?)?;
                    let after = binary::root_of_datum(&removed)?;
                    binary::encode(&edit(&after, &tokens, 0, Edit::Add(Node::from(value)), index, &pointer)?)?
                } else {
                    binary::encode(&edit(&cur, &tokens, 0, Edit::Add(Node::from(value)), index, &pointer)?)?
                }
            }
            other => {
                return Err(Error::invalid(
                    "operations",
                    format!("operation {index}: unknown op \"{other}\" (add, remove, replace, move, copy, test)"),
                ))
            }
        };
        doc = next;
    }
    Ok(doc)
}

/// An RFC 6902 patch turning `a` into `b` exactly (numbers included: `1` → `1.0` is a
/// replace). Objects are compared key by key and arrays index by index, so the patch touches
/// only what differs; applying it to `a` gives `b` byte for byte.
pub fn diff<'a>(a: &Value<'a>, b: &Value<'a>) -> Result<Node<'a>> {
    let mut ops = Vec::new();
    let mut pointer = String::new();
    diff_into(a, b, &mut pointer, &mut ops)?;
    Ok(Node::Array(ops))
}

fn op<'a>(kind: &'static str, pointer: &str, value: Option<Node<'a>>) -> Node<'a> {
    let mut pairs = vec![
        (Cow::Borrowed(b"op".as_slice()), Node::str(kind)),
        (
            Cow::Borrowed(b"path".as_slice()),
            Node::String(Cow::Owned(pointer.as_bytes().to_vec())),
        ),
    ];
    if let Some(v) = value {
        pairs.push((Cow::Borrowed(b"value".as_slice()), v));
    }
    Node::object(pairs)
}

fn diff_into<'a>(
    a: &Value<'a>,
    b: &Value<'a>,
    pointer: &mut String,
    ops: &mut Vec<Node<'a>>,
) -> Result<()> {
    if identical(a, b) {
        return Ok(());
    }
    match (a, b) {
        (Value::Container(x), Value::Container(y))
            if x.is_object() && y.is_object() && !x.is_scalar() && !y.is_scalar() =>
        {
            diff_objects(x, y, pointer, ops)
        }
        (Value::Container(x), Value::Container(y))
            if x.is_array() && y.is_array() && !x.is_scalar() && !y.is_scalar() =>
        {
            let common = x.len().min(y.len());
            for i in 0..common {
                let mark = pointer.len();
                pointer.push_str(&format!("/{i}"));
                diff_into(&x.elem(i)?, &y.elem(i)?, pointer, ops)?;
                pointer.truncate(mark);
            }
            for i in (common..x.len()).rev() {
                ops.push(op("remove", &format!("{pointer}/{i}"), None));
            }
            for i in common..y.len() {
                ops.push(op(
                    "add",
                    &format!("{pointer}/{i}"),
                    Some(Node::from(y.elem(i)?)),
                ));
            }
            Ok(())
        }
        _ => {
            ops.push(op("replace", pointer, Some(Node::from(*b))));
            Ok(())
        }
    }
}

fn diff_objects<'a>(
    x: &Container<'a>,
    y: &Container<'a>,
    pointer: &mut String,
    ops: &mut Vec<Node<'a>>,
) -> Result<()> {
    for i in 0..x.len() {
        let k = x.key(i)?;
        if y.find_key(k)?.is_none() {
            let t = escape_token(&String::from_utf8_lossy(k));
            ops.push(op("remove", &format!("{pointer}/{t}"), None));
        }
    }
    for j in 0..y.len() {
        let k = y.key(j)?;
        let t = escape_token(&String::from_utf8_lossy(k));
        let mark = pointer.len();
        pointer.push('/');
        pointer.push_str(&t);
        match x.get(k)? {
            None => ops.push(op("add", pointer, Some(Node::from(y.value_at(j)?)))),
            Some(xv) => diff_into(&xv, &y.value_at(j)?, pointer, ops)?,
        }
        pointer.truncate(mark);
    }
    Ok(())
}
