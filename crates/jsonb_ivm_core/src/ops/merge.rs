//! Object merges.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::expect_object;
use crate::binary::{key_cmp, Container, Node, Value};
use crate::error::Result;

/// Shallow merge: every top-level key of `source` replaces or adds the same key of `target`,
/// as `target || source` does for two objects. Both keys lists are already sorted, so this is
/// one linear merge; unchanged values are copied as bytes.
pub fn merge_shallow<'a>(target: &Value<'a>, source: &Value<'a>) -> Result<Node<'a>> {
    let t = expect_object("target", target)?;
    let s = expect_object("source", source)?;
    merge_objects(&t, &s)
}

pub(crate) fn merge_objects<'a>(t: &Container<'a>, s: &Container<'a>) -> Result<Node<'a>> {
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
