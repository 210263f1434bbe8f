//! An owned, obviously-correct JSON tree: the reference model the binary algorithms are
//! checked against in property tests and fuzz targets. It is slow on purpose: no sharing,
//! no binary tricks, just the semantics written plainly.

use std::borrow::Cow;

use crate::binary::{numeric, text, Node, NumericRef, Value};
use crate::error::Result;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number as JSON text; equal values may be written differently (`1` and `1.0`).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Pairs in any order; duplicates allowed, the last one wins (as in `jsonb_in`).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The binary node for this value.
    pub fn to_node(&self) -> Result<Node<'static>> {
        Ok(match self {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => Node::Numeric(Cow::Owned(numeric::encode_numeric_text(n)?)),
            Json::String(s) => Node::String(Cow::Owned(s.clone().into_bytes())),
            Json::Array(items) => {
                Node::Array(items.iter().map(Json::to_node).collect::<Result<_>>()?)
            }
            Json::Object(pairs) => Node::object(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((Cow::Owned(k.clone().into_bytes()), v.to_node()?)))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// The complete jsonb datum for this value.
    pub fn to_datum(&self) -> Result<Vec<u8>> {
        crate::binary::encode(&self.to_node()?)
    }

    /// Read a binary value back into the model (objects in stored order).
    pub fn from_value(v: &Value<'_>) -> Result<Json> {
        Ok(match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Numeric(n) => Json::Number(NumericRef::decode(n)?.to_text()),
            Value::String(s) => Json::String(String::from_utf8_lossy(s).into_owned()),
            Value::Container(c) if c.is_scalar() => Json::from_value(&c.elem(0)?)?,
            Value::Container(c) if c.is_object() => Json::Object(
                c.pairs()
                    .map(|p| {
                        let (k, v) = p?;
                        Ok((
                            String::from_utf8_lossy(k).into_owned(),
                            Json::from_value(&v)?,
                        ))
                    })
                    .collect::<Result<_>>()?,
            ),
            Value::Container(c) => Json::Array(
                c.elems()
                    .map(|e| Json::from_value(&e?))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// JSON text for this value (compact; keys in the model's order).
    pub fn to_json_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => {
                text::escape_into(s.as_bytes(), out).expect("a Rust string is UTF-8")
            }
            Json::Array(items) => {
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    it.write_text(out);
                }
                out.push(']');
            }
            Json::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    text::escape_into(k.as_bytes(), out).expect("a Rust string is UTF-8");
                    out.push(':');
                    v.write_text(out);
                }
                out.push('}');
            }
        }
    }

    /// The value of `key` (the last one if duplicated).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Set `key`, replacing every earlier occurrence.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(pairs) = self {
            pairs.retain(|(k, _)| k != key);
            pairs.push((key.to_string(), value));
        }
    }
}
