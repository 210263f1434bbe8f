//! Object merges: shallow, at a path (the nested patch), deep, and RFC 7386 merge patch.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{expect_object, object_with};
use crate::binary::{key_cmp, Container, Node, Value};
use crate::error::{Error, Expected, Result};

/// Shallow merge: every top-level key of `source` replaces or adds the same key of `target`,
/// as `target || source` does for two objects. Both key lists are already sorted, so this is
/// one linear merge; unchanged values are copied as bytes.
pub fn merge_shallow<'a>(target: &Value<'a>, source: &Value<'a>) -> Result<Node<'a>> {
    let t = expect_object("target", target)?;
    let s = expect_object("source", source)?;
    merge_objects(Some(&t), &s)
}

/// `t || s` for two objects (`t` absent = `{}`).
pub(crate) fn merge_objects<'a>(t: Option<&Container<'a>>, s: &Container<'a>) -> Result<Node<'a>> {
    let Some(t) = t else {
        return Ok(Node::Copy(*s));
    };
    if s.is_empty() {
        return Ok(Node::Copy(*t));
    }
    let mut out = Vec::with_capacity(t.len() + s.len());
    let (mut i, mut j) = (0, 0);
    while i < t.len() || j < s.len() {
        let take_source = if i == t.len() {
            true
        } else if j == s.len() {
            false
        } else {
            match key_cmp(t.key(i)?, s.key(j)?) {
                Ordering::Less => false,
                Ordering::Greater => true,
                Ordering::Equal => {
                    i += 1; // the source's value wins
                    true
                }
            }
        };
        if take_source {
            out.push((Cow::Borrowed(s.key(j)?), Node::from(s.value_at(j)?)));
            j += 1;
        } else {
            out.push((Cow::Borrowed(t.key(i)?), Node::from(t.value_at(i)?)));
            i += 1;
        }
    }
    Ok(Node::Object(out))
}

/// Shallow-merge `source` into the object at `path` (object keys from the root), creating
/// missing objects on the way. For an object target whose path exists up to its last key,
/// this equals `jsonb_set(target, path, coalesce(target #> path, '{}') || source)`.
pub fn merge_at_path<'a>(
    target: &Value<'a>,
    source: &Value<'a>,
    path: &[&'a str],
) -> Result<Node<'a>> {
    let s = expect_object("source", source)?;
    let t = expect_object("target", target)?;
    merge_at(Some(&t), &s, path, 0)
}

fn merge_at<'a>(
    obj: Option<&Container<'a>>,
    source: &Container<'a>,
    path: &[&'a str],
    depth: usize,
) -> Result<Node<'a>> {
    let Some(key) = path.get(depth) else {
        return merge_objects(obj, source);
    };
    let child = match obj {
        Some(o) => o.get(key.as_bytes())?,
        None => None,
    };
    let child_obj = match child {
        None => None,
        Some(v) => Some(v.as_object().ok_or_else(|| Error::WrongType {
            argument: "target",
            expected: Expected::Object,
            found: v.kind().name(),
            at: Some(format!("path {}", text_array(&path[..=depth]))),
        })?),
    };
    let merged = merge_at(child_obj.as_ref(), source, path, depth + 1)?;
    object_with(obj, Cow::Borrowed(key.as_bytes()), merged)
}

/// `{a,b}` as PostgreSQL prints a text[] (elements quoted when needed).
pub(crate) fn text_array(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| {
            let plain = !s.is_empty()
                && !s.eq_ignore_ascii_case("null")
                && s.chars()
                    .all(|c| !matches!(c, '{' | '}' | ',' | '"' | '\\') && !c.is_whitespace());
            if plain {
                s.to_string()
            } else {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// Deep merge: objects merge key by key, recursively; anything else in `source` (scalars,
/// arrays, null) replaces what `target` has. When either value is not an object the result
/// is `source`.
pub fn deep_merge<'a>(target: &Value<'a>, source: &Value<'a>) -> Result<Node<'a>> {
    match (target.as_object(), source.as_object()) {
        (Some(t), Some(s)) => deep_objects(&t, &s),
        _ => Ok(Node::from(*source)),
    }
}

fn deep_objects<'a>(t: &Container<'a>, s: &Container<'a>) -> Result<Node<'a>> {
    let mut out = Vec::with_capacity(t.len() + s.len());
    let (mut i, mut j) = (0, 0);
    while i < t.len() || j < s.len() {
        let order = if i == t.len() {
            Ordering::Greater
        } else if j == s.len() {
            Ordering::Less
        } else {
            key_cmp(t.key(i)?, s.key(j)?)
        };
        match order {
            Ordering::Less => {
                out.push((Cow::Borrowed(t.key(i)?), Node::from(t.value_at(i)?)));
                i += 1;
            }
            Ordering::Greater => {
                out.push((Cow::Borrowed(s.key(j)?), Node::from(s.value_at(j)?)));
                j += 1;
            }
            Ordering::Equal => {
                let merged = deep_merge(&t.value_at(i)?, &s.value_at(j)?)?;
                out.push((Cow::Borrowed(s.key(j)?), merged));
                i += 1;
                j += 1;
            }
        }
    }
    Ok(Node::Object(out))
}

/// RFC 7386 JSON Merge Patch: a `patch` that is not an object replaces the target; otherwise
/// each of its keys is merged recursively into the target (an object, or `{}` if it is not
/// one), and a key whose patch value is `null` is removed.
pub fn merge_patch<'a>(target: &Value<'a>, patch: &Value<'a>) -> Result<Node<'a>> {
    merge_patch_opt(Some(target), patch)
}

fn merge_patch_opt<'a>(target: Option<&Value<'a>>, patch: &Value<'a>) -> Result<Node<'a>> {
    let Some(p) = patch.as_object() else {
        return Ok(Node::from(*patch));
    };
    let t = target.and_then(|t| t.as_object());
    let mut out: Vec<(Cow<'a, [u8]>, Node<'a>)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let tlen = t.map_or(0, |t| t.len());
    while i < tlen || j < p.len() {
        let order = if i == tlen {
            Ordering::Greater
        } else if j == p.len() {
            Ordering::Less
        } else {
            key_cmp(t.expect("i < tlen").key(i)?, p.key(j)?)
        };
        match order {
            Ordering::Less => {
                let t = t.expect("i < tlen");
                out.push((Cow::Borrowed(t.key(i)?), Node::from(t.value_at(i)?)));
                i += 1;
            }
            Ordering::Greater | Ordering::Equal => {
                let existing = if order == Ordering::Equal {
                    let v = t.expect("i < tlen").value_at(i)?;
                    i += 1;
                    Some(v)
                } else {
                    None
                };
                let pv = p.value_at(j)?;
                if !matches!(pv, Value::Null) {
                    out.push((
                        Cow::Borrowed(p.key(j)?),
                        merge_patch_opt(existing.as_ref(), &pv)?,
                    ));
                }
                j += 1;
            }
        }
    }
    Ok(Node::Object(out))
}
