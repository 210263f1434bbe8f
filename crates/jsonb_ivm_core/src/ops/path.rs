//! The `a.b[2].c` path syntax and setting a value through it.
//!
//! Grammar: segments separated by `.`, each a key (`name`, or `"quoted name"` for keys
//! containing `.`, `[`, `]` or `"`, with `\"` and `\\` escapes), optionally followed by any
//! number of `[index]`; a path may also start with an index. Indexes are integers; a negative
//! index counts from the end (`-1` is the last element).

use std::borrow::Cow;

use super::array::{matches, rewrite_array, ElemEdit};
use super::object_with;
use crate::binary::{Container, Node, Value};
use crate::error::{Error, Expected, Result};

/// How far past the end of an array an index may point (the gap is filled with nulls).
/// A bound keeps a typo such as `[100000000]` from building a gigabyte of nulls.
pub const MAX_PADDING: usize = 1_000_000;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(i64),
}

/// Parse a path; `argument` names it in errors.
pub fn parse_path(text: &str, argument: &'static str) -> Result<Vec<Segment>> {
    let bad = |at: usize, what: &str| {
        Error::invalid(
            argument,
            format!("{what} at character {} of \"{text}\"", at + 1),
        )
    };
    let chars: Vec<char> = text.chars().collect();
    let mut segs = Vec::new();
    let mut i = 0;
    let mut expect_key = true;
    if chars.is_empty() {
        return Err(Error::invalid(argument, "the path is empty"));
    }
    while i < chars.len() {
        match chars[i] {
            '[' => {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| bad(i, "unclosed ["))?;
                let body: String = chars[i + 1..close].iter().collect();
                let idx = body
                    .parse::<i64>()
                    .ok()
                    .filter(|_| !body.starts_with('+') && !body.is_empty())
                    .ok_or_else(|| bad(i + 1, "an array index must be an integer"))?;
                segs.push(Segment::Index(idx));
                i = close + 1;
                expect_key = false;
            }
            '.' if !expect_key => {
                i += 1;
                expect_key = true;
                if i == chars.len() {
                    return Err(bad(i - 1, "a key must follow ."));
                }
            }
            '.' => return Err(bad(i, "empty key")),
            ']' => return Err(bad(i, "unexpected ]")),
            _ if !expect_key => return Err(bad(i, "expected . or [")),
            '"' => {
                let mut key = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad(i - 1, "unterminated quoted key")),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let c = chars
                                .get(i + 1)
                                .ok_or_else(|| bad(i, "unterminated quoted key"))?;
                            key.push(*c);
                            i += 2;
                        }
                        Some(c) => {
                            key.push(*c);
                            i += 1;
                        }
                    }
                }
                segs.push(Segment::Key(key));
                expect_key = false;
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], '.' | '[' | ']' | '"') {
                    i += 1;
                }
                segs.push(Segment::Key(chars[start..i].iter().collect()));
                expect_key = false;
            }
        }
    }
    Ok(segs)
}

/// Render segments back in path syntax (for messages).
pub fn render(segs: &[Segment]) -> String {
    let mut out = String::new();
    for (n, s) in segs.iter().enumerate() {
        match s {
            Segment::Key(k) => {
                if n > 0 {
                    out.push('.');
                }
                if k.is_empty() || k.contains(['.', '[', ']', '"']) {
                    out.push('"');
                    out.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    out.push('"');
                } else {
                    out.push_str(k);
                }
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Set the value at `path` in `target`, creating missing objects and arrays on the way (an
/// index past the end pads the array with nulls). A value of the wrong kind on the way (a key
/// step into something that is not an object, an index step into something that is not an
/// array) is an error.
pub fn set_path<'a>(
    target: &Value<'a>,
    path: &'a [Segment],
    value: &Value<'a>,
) -> Result<Node<'a>> {
    set_at(Some(*target), path, 0, value, "target")
}

fn set_at<'a>(
    cur: Option<Value<'a>>,
    path: &'a [Segment],
    depth: usize,
    value: &Value<'a>,
    argument: &'static str,
) -> Result<Node<'a>> {
    let Some(seg) = path.get(depth) else {
        return Ok(Node::from(*value));
    };
    let wrong = |v: &Value<'_>, expected| Error::WrongType {
        argument,
        expected,
        found: v.kind().name(),
        at: Some(format!(
            "path {}",
            render(&path[..depth]).if_empty("(the root)")
        )),
    };
    match seg {
        Segment::Key(k) => {
            let obj: Option<Container<'a>> = match cur {
                None => None,
                Some(v) => Some(v.as_object().ok_or_else(|| wrong(&v, Expected::Object))?),
            };
            let child = match &obj {
                Some(o) => o.get(k.as_bytes())?,
                None => None,
            };
            let new = set_at(child, path, depth + 1, value, argument)?;
            object_with(obj.as_ref(), Cow::Borrowed(k.as_bytes()), new)
        }
        Segment::Index(i) => {
            let arr: Option<Container<'a>> = match cur {
                None => None,
                Some(v) => Some(v.as_array().ok_or_else(|| wrong(&v, Expected::Array))?),
            };
            let len = arr.map_or(0, |a| a.len());
            let idx = if *i < 0 { len as i64 + i } else { *i };
            if idx < 0 {
                return Err(Error::invalid(
                    argument,
                    format!(
                        "index {i} at path {} is before the start of an array of {len}",
                        render(&path[..depth]).if_empty("(the root)")
                    ),
                ));
            }
            let idx = idx as usize;
            if idx >= len && idx - len > MAX_PADDING {
                return Err(Error::invalid(
                    argument,
                    format!(
                        "index {i} at path {} is more than {MAX_PADDING} past the end of an array of {len}",
                        render(&path[..depth]).if_empty("(the root)")
                    ),
                ));
            }
            let child = match arr {
                Some(a) if idx < len => Some(a.elem(idx)?),
                _ => None,
            };
            let new = set_at(child, path, depth + 1, value, argument)?;
            let mut elems = Vec::with_capacity(len.max(idx + 1));
            for j in 0..len.max(idx + 1) {
                if j == idx {
                    // placeholder; replaced below to keep the borrow simple
                    elems.push(Node::Null);
                } else if j < len {
                    elems.push(Node::from(arr.expect("j < len").elem(j)?));
                } else {
                    elems.push(Node::Null);
                }
            }
            elems[idx] = new;
            Ok(Node::Array(elems))
        }
    }
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() {
            other.to_string()
        } else {
            self
        }
    }
}

/// In every element of `target[array_key]` whose `match_key` equals `match_value`, set
/// `update_path` to `update_value`.
pub fn array_update_where_path<'a>(
    target: &Value<'a>,
    array_key: &'a str,
    match_key: &str,
    match_value: &Value<'a>,
    update_path: &'a [Segment],
    update_value: &Value<'a>,
) -> Result<Node<'a>> {
    rewrite_array(target, array_key, |e| {
        Ok(if matches(&e, match_key, match_value)? {
            ElemEdit::Replace(set_at(Some(e), update_path, 0, update_value, "element")?)
        } else {
            ElemEdit::Keep
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &[Segment]) -> String {
        render(v)
    }

    #[test]
    fn parses_keys_indexes_and_quotes() {
        let p = parse_path("a.b[2].c", "path").unwrap();
        assert_eq!(
            p,
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Key("c".into())
            ]
        );
        let q = parse_path(r#"[0]."x.y"[-1][3].z"#, "path").unwrap();
        assert_eq!(q[0], Segment::Index(0));
        assert_eq!(q[1], Segment::Key("x.y".into()));
        assert_eq!(q[2], Segment::Index(-1));
        assert_eq!(keys(&q), r#"[0]."x.y"[-1][3].z"#);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "", ".", "a.", ".a", "a..b", "a[", "a[]", "a[x]", "a[+1]", "a]", "a[1]b", "\"a",
            "a\"b\"",
        ] {
            assert!(parse_path(bad, "path").is_err(), "{bad:?}");
        }
    }
}
