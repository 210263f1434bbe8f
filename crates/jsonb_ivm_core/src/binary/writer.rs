//! Writing binary jsonb, byte for byte as PostgreSQL's `convertToJsonb` lays it out.
//!
//! A result is described as a tree of [`Node`]s whose leaves mostly *borrow* the input:
//! an unchanged sub-document is a [`Node::Copy`] of its container and is copied verbatim
//! (containers are position-independent once placed on a 4-byte boundary), so a patch costs
//! in proportion to what it changes plus a memcpy of the rest.

use std::borrow::Cow;

use super::format::*;
use super::reader::{key_cmp, Container, Value};
use crate::error::{Error, Result};

/// A value to write.
#[derive(Clone, Debug)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    String(Cow<'a, [u8]>),
    /// A numeric varlena's bytes.
    Numeric(Cow<'a, [u8]>),
    /// An existing container, copied as it is.
    Copy(Container<'a>),
    Array(Vec<Node<'a>>),
    /// Pairs sorted by [`key_cmp`] with unique keys; [`Node::object`] establishes that.
    Object(Vec<(Cow<'a, [u8]>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// An object from pairs in any order; for duplicate keys the last one wins, as in
    /// PostgreSQL's `jsonb_object` handling of `{"a":1,"a":2}`.
    pub fn object(mut pairs: Vec<(Cow<'a, [u8]>, Node<'a>)>) -> Node<'a> {
        // A stable sort keeps duplicates in input order, so the last of a run is the winner.
        pairs.sort_by(|a, b| key_cmp(&a.0, &b.0));
        let mut out: Vec<(Cow<'a, [u8]>, Node<'a>)> = Vec::with_capacity(pairs.len());
        for p in pairs {
            match out.last_mut() {
                Some(last) if last.0 == p.0 => *last = p,
                _ => out.push(p),
            }
        }
        Node::Object(out)
    }

    pub fn str(s: &'a str) -> Node<'a> {
        Node::String(Cow::Borrowed(s.as_bytes()))
    }
}

impl<'a> From<Value<'a>> for Node<'a> {
    fn from(v: Value<'a>) -> Self {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::String(s) => Node::String(Cow::Borrowed(s)),
            Value::Numeric(n) => Node::Numeric(Cow::Borrowed(n)),
            Value::Container(c) => Node::Copy(c),
        }
    }
}

/// Encode `root` as a complete jsonb varlena (4-byte header included).
pub fn encode(root: &Node<'_>) -> Result<Vec<u8>> {
    let mut w = Writer {
        buf: Vec::with_capacity(estimate(root) + VARHDRSZ),
    };
    w.buf.extend_from_slice(&[0; VARHDRSZ]);
    match root {
        // An existing root (a raw scalar included) is already a valid datum payload.
        Node::Copy(c) => w.buf.extend_from_slice(c.bytes()),
        Node::Array(_) | Node::Object(_) => {
            w.value(root)?;
        }
        scalar => {
            // A top-level scalar is a one-element array flagged as a raw scalar.
            w.array(std::slice::from_ref(scalar), true)?;
        }
    }
    let total = w.buf.len();
    if total > MAX_VARLENA {
        return Err(Error::TooLarge("result exceeds 1 GB"));
    }
    w.buf[..VARHDRSZ].copy_from_slice(&varlena_header(total));
    Ok(w.buf)
}

fn estimate(node: &Node<'_>) -> usize {
    match node {
        Node::Null | Node::Bool(_) => 4,
        Node::String(s) | Node::Numeric(s) => s.len() + 8,
        Node::Copy(c) => c.bytes().len() + 4,
        Node::Array(items) => 8 + items.iter().map(estimate).sum::<usize>(),
        Node::Object(pairs) => {
            8 + pairs
                .iter()
                .map(|(k, v)| 4 + k.len() + estimate(v))
                .sum::<usize>()
        }
    }
}

struct Writer {
    /// Starts with the varlena header, so positions are absolute within the datum: padding
    /// is computed on them exactly as PostgreSQL pads its buffer.
    buf: Vec<u8>,
}

impl Writer {
    fn pad_to_int(&mut self) -> usize {
        let pad = int_align(self.buf.len()) - self.buf.len();
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        pad
    }

    /// Append `node`'s data and return its JEntry (type bits | length).
    fn value(&mut self, node: &Node<'_>) -> Result<u32> {
        Ok(match node {
            Node::Null => JENTRY_ISNULL,
            Node::Bool(false) => JENTRY_ISBOOL_FALSE,
            Node::Bool(true) => JENTRY_ISBOOL_TRUE,
            Node::String(s) => {
                self.buf.extend_from_slice(s);
                JENTRY_ISSTRING | checked_len(s.len())?
            }
            Node::Numeric(n) => {
                let pad = self.pad_to_int();
                self.buf.extend_from_slice(n);
                JENTRY_ISNUMERIC | checked_len(pad + n.len())?
            }
            Node::Copy(c) => {
                if c.is_scalar() {
                    // A raw-scalar root embedded in another value becomes the plain scalar.
                    return self.value(&Node::from(c.elem(0)?));
                }
                let pad = self.pad_to_int();
                self.buf.extend_from_slice(c.bytes());
                JENTRY_ISCONTAINER | checked_len(pad + c.bytes().len())?
            }
            Node::Array(items) => self.array(items, false)?,
            Node::Object(pairs) => self.object(pairs)?,
        })
    }

    fn array(&mut self, items: &[Node<'_>], raw_scalar: bool) -> Result<u32> {
        let base = self.buf.len();
        self.pad_to_int();
        let n = items.len();
        if n as u32 > JB_CMASK {
            return Err(Error::TooLarge("too many array elements"));
        }
        let mut header = n as u32 | JB_FARRAY;
        if raw_scalar {
            header |= JB_FSCALAR;
        }
        self.buf.extend_from_slice(&header.to_ne_bytes());
        let entries_at = self.reserve(n)?;
        let mut total: usize = 0;
        for (i, item) in items.iter().enumerate() {
            let meta = self.value(item)?;
            self.set_entry(entries_at, i, meta, &mut total)?;
        }
        Ok(JENTRY_ISCONTAINER | checked_len(self.buf.len() - base)?)
    }

    fn object(&mut self, pairs: &[(Cow<'_, [u8]>, Node<'_>)]) -> Result<u32> {
        debug_assert!(pairs.windows(2).all(|w| key_cmp(&w[0].0, &w[1].0).is_lt()));
        let base = self.buf.len();
        self.pad_to_int();
        let n = pairs.len();
        if n as u32 > JB_CMASK {
            return Err(Error::TooLarge("too many object keys"));
        }
        self.buf
            .extend_from_slice(&(n as u32 | JB_FOBJECT).to_ne_bytes());
        let entries_at = self.reserve(2 * n)?;
        let mut total: usize = 0;
        for (i, (k, _)) in pairs.iter().enumerate() {
            self.buf.extend_from_slice(k);
            let meta = JENTRY_ISSTRING | checked_len(k.len())?;
            self.set_entry(entries_at, i, meta, &mut total)?;
        }
        for (i, (_, v)) in pairs.iter().enumerate() {
            let meta = self.value(v)?;
            self.set_entry(entries_at, n + i, meta, &mut total)?;
        }
        Ok(JENTRY_ISCONTAINER | checked_len(self.buf.len() - base)?)
    }

    fn reserve(&mut self, entries: usize) -> Result<usize> {
        let at = self.buf.len();
        let bytes = entries.checked_mul(4).ok_or(Error::TooLarge("entries"))?;
        self.buf.resize(at + bytes, 0);
        Ok(at)
    }

    /// Store child `i`'s JEntry; every JB_OFFSET_STRIDE'th one holds the end offset instead
    /// of the length, as PostgreSQL writes it.
    fn set_entry(
        &mut self,
        entries_at: usize,
        i: usize,
        meta: u32,
        total: &mut usize,
    ) -> Result<()> {
        *total += (meta & JENTRY_OFFLENMASK) as usize;
        if *total > JENTRY_OFFLENMASK as usize {
            return Err(Error::TooLarge("container data exceeds 256 MB"));
        }
        let stored = if i.is_multiple_of(JB_OFFSET_STRIDE) {
            (meta & JENTRY_TYPEMASK) | *total as u32 | JENTRY_HAS_OFF
        } else {
            meta
        };
        let at = entries_at + 4 * i;
        self.buf[at..at + 4].copy_from_slice(&stored.to_ne_bytes());
        Ok(())
    }
}

fn checked_len(len: usize) -> Result<u32> {
    if len > JENTRY_OFFLENMASK as usize {
        Err(Error::TooLarge("value exceeds 256 MB"))
    } else {
        Ok(len as u32)
    }
}
