//! Zero-copy reading of binary jsonb.
//!
//! [`Container`] borrows the bytes of one container (header first) and gives random access to
//! its children; [`Value`] is one child. Every access is bounds-checked, so arbitrary bytes
//! produce [`Error::Corrupt`], never a panic or an out-of-bounds read.

use super::format::*;
use super::numeric::NumericRef;
use crate::error::{Error, Result};

/// One jsonb container (object or array), borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    /// From the header to the end of the container's data.
    bytes: &'a [u8],
    header: u32,
    count: usize,
}

/// One jsonb value, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// Raw UTF-8 bytes, as stored.
    String(&'a [u8]),
    /// The numeric varlena's bytes, as stored.
    Numeric(&'a [u8]),
    Container(Container<'a>),
}

/// The kind of a value, for messages and type checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    String,
    Number,
    Array,
    Object,
}

impl Kind {
    /// The name `jsonb_typeof` uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

impl<'a> Container<'a> {
    /// Read the container at the start of `bytes` (which may extend past its end).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let header = read_u32(bytes, 0).ok_or(Error::Corrupt("container header"))?;
        let count = (header & JB_CMASK) as usize;
        let is_obj = header & JB_FOBJECT != 0;
        let is_arr = header & JB_FARRAY != 0;
        if is_obj == is_arr {
            return Err(Error::Corrupt("container is neither object nor array"));
        }
        if header & JB_FSCALAR != 0 && (!is_arr || count != 1) {
            return Err(Error::Corrupt("raw scalar container"));
        }
        let nentries = if is_obj { count * 2 } else { count };
        let data_start = nentries
            .checked_mul(4)
            .and_then(|n| n.checked_add(4))
            .ok_or(Error::Corrupt("container count"))?;
        if data_start > bytes.len() {
            return Err(Error::Corrupt("container entries"));
        }
        let mut c = Container {
            bytes,
            header,
            count,
        };
        // The data ends where the last child's data ends.
        let end = if nentries == 0 {
            data_start
        } else {
            data_start + c.child_end(nentries - 1)?
        };
        if end > bytes.len() {
            return Err(Error::Corrupt("container data"));
        }
        c.bytes = &bytes[..end];
        Ok(c)
    }

    /// Read the root container of a jsonb datum's payload (the bytes after the varlena header).
    pub fn root(payload: &'a [u8]) -> Result<Self> {
        Self::parse(payload)
    }

    pub fn is_object(&self) -> bool {
        self.header & JB_FOBJECT != 0
    }

    pub fn is_array(&self) -> bool {
        self.header & JB_FARRAY != 0
    }

    /// A top-level scalar, stored as a one-element array.
    pub fn is_scalar(&self) -> bool {
        self.header & JB_FSCALAR != 0
    }

    /// Number of elements (arrays) or pairs (objects).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The container's own bytes, from its header to the end of its data.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn nentries(&self) -> usize {
        if self.is_object() {
            self.count * 2
        } else {
            self.count
        }
    }

    fn data_start(&self) -> usize {
        4 + 4 * self.nentries()
    }

    fn jentry(&self, i: usize) -> Result<u32> {
        read_u32(self.bytes, 4 + 4 * i).ok_or(Error::Corrupt("jentry"))
    }

    /// Offset of child `i`'s data from the start of the data area.
    fn child_offset(&self, i: usize) -> Result<usize> {
        let mut offset: usize = 0;
        let mut j = i;
        while j > 0 {
            j -= 1;
            let e = self.jentry(j)?;
            offset = offset
                .checked_add((e & JENTRY_OFFLENMASK) as usize)
                .ok_or(Error::Corrupt("offset overflow"))?;
            if e & JENTRY_HAS_OFF != 0 {
                break;
            }
        }
        Ok(offset)
    }

    /// End offset of child `i`'s data, from the start of the data area.
    fn child_end(&self, i: usize) -> Result<usize> {
        let e = self.jentry(i)?;
        if e & JENTRY_HAS_OFF != 0 {
            let end = (e & JENTRY_OFFLENMASK) as usize;
            if end < self.child_offset(i)? {
                return Err(Error::Corrupt("offsets go backwards"));
            }
            Ok(end)
        } else {
            Ok(self.child_offset(i)? + (e & JENTRY_OFFLENMASK) as usize)
        }
    }

    /// Child `i` (0..nentries): for objects, keys are 0..n and values n..2n.
    fn child(&self, i: usize) -> Result<Value<'a>> {
        let e = self.jentry(i)?;
        let start = self.data_start() + self.child_offset(i)?;
        let end = self.data_start() + self.child_end(i)?;
        let data = self
            .bytes
            .get(start..end)
            .ok_or(Error::Corrupt("child out of bounds"))?;
        Ok(match e & JENTRY_TYPEMASK {
            JENTRY_ISSTRING => Value::String(data),
            JENTRY_ISNULL => Value::Null,
            JENTRY_ISBOOL_FALSE => Value::Bool(false),
            JENTRY_ISBOOL_TRUE => Value::Bool(true),
            JENTRY_ISNUMERIC => {
                let pad = int_align(start) - start;
                let num = data.get(pad..).ok_or(Error::Corrupt("numeric padding"))?;
                let (size, _) = varlena_size(num).ok_or(Error::Corrupt("numeric header"))?;
                let num = num.get(..size).ok_or(Error::Corrupt("numeric length"))?;
                NumericRef::decode(num)?;
                Value::Numeric(num)
            }
            JENTRY_ISCONTAINER => {
                let pad = int_align(start) - start;
                let inner = data.get(pad..).ok_or(Error::Corrupt("container padding"))?;
                let c = Container::parse(inner)?;
                if c.is_scalar() {
                    return Err(Error::Corrupt("nested raw scalar"));
                }
                Value::Container(c)
            }
            _ => return Err(Error::Corrupt("unknown jentry type")),
        })
    }

    /// Element `i` of an array.
    pub fn elem(&self, i: usize) -> Result<Value<'a>> {
        debug_assert!(self.is_array());
        if i >= self.count {
            return Err(Error::Corrupt("array index"));
        }
        self.child(i)
    }

    /// Key `i` of an object, as raw bytes.
    pub fn key(&self, i: usize) -> Result<&'a [u8]> {
        debug_assert!(self.is_object());
        match self.child(i)? {
            Value::String(k) => Ok(k),
            _ => Err(Error::Corrupt("object key is not a string")),
        }
    }

    /// Value `i` of an object (the value of key `i`).
    pub fn value_at(&self, i: usize) -> Result<Value<'a>> {
        debug_assert!(self.is_object());
        self.child(self.count + i)
    }

    /// Index of `key` in an object, by binary search over the sorted keys.
    pub fn find_key(&self, key: &[u8]) -> Result<Option<usize>> {
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match key_cmp(self.key(mid)?, key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    /// The value of `key` in an object.
    pub fn get(&self, key: &[u8]) -> Result<Option<Value<'a>>> {
        match self.find_key(key)? {
            Some(i) => self.value_at(i).map(Some),
            None => Ok(None),
        }
    }

    /// Iterate an array's elements.
    pub fn elems(&self) -> impl Iterator<Item = Result<Value<'a>>> + '_ {
        (0..self.count).map(move |i| self.elem(i))
    }

    /// Iterate an object's pairs in stored (sorted) order.
    pub fn pairs(&self) -> impl Iterator<Item = Result<(&'a [u8], Value<'a>)>> + '_ {
        (0..self.count).map(move |i| Ok((self.key(i)?, self.value_at(i)?)))
    }

    /// Check every byte of the container, recursively: keys sorted and unique, all children
    /// readable. Values coming from PostgreSQL always pass; the fuzzer relies on this.
    pub fn validate(&self) -> Result<()> {
        self.validate_depth(0)
    }

    fn validate_depth(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::Corrupt("nesting too deep"));
        }
        if self.is_object() {
            let mut prev: Option<&[u8]> = None;
            for i in 0..self.count {
                let k = self.key(i)?;
                if std::str::from_utf8(k).is_err() {
                    return Err(Error::Corrupt("key is not UTF-8"));
                }
                if let Some(p) = prev {
                    if key_cmp(p, k) != std::cmp::Ordering::Less {
                        return Err(Error::Corrupt("keys not sorted"));
                    }
                }
                prev = Some(k);
                self.value_at(i)?.validate_depth(depth)?;
            }
        } else {
            for i in 0..self.count {
                self.elem(i)?.validate_depth(depth)?;
            }
        }
        Ok(())
    }
}

/// Deepest nesting accepted when validating untrusted bytes; PostgreSQL's own limit is set by
/// its stack depth check, far below this for real documents.
pub const MAX_DEPTH: usize = 10_000;

/// jsonb's key order: shorter keys first, then bytewise.
#[inline]
pub fn key_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl<'a> Value<'a> {
    /// The value a jsonb datum holds: its root container, or the scalar inside a raw-scalar root.
    pub fn from_root(payload: &'a [u8]) -> Result<Self> {
        let c = Container::root(payload)?;
        if c.is_scalar() {
            c.elem(0)
        } else {
            Ok(Value::Container(c))
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::String(_) => Kind::String,
            Value::Numeric(_) => Kind::Number,
            Value::Container(c) if c.is_object() => Kind::Object,
            Value::Container(_) => Kind::Array,
        }
    }

    pub fn as_object(&self) -> Option<Container<'a>> {
        match self {
            Value::Container(c) if c.is_object() => Some(*c),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<Container<'a>> {
        match self {
            Value::Container(c) if c.is_array() => Some(*c),
            _ => None,
        }
    }

    fn validate_depth(&self, depth: usize) -> Result<()> {
        match self {
            Value::String(s) => std::str::from_utf8(s)
                .map(|_| ())
                .map_err(|_| Error::Corrupt("string is not UTF-8")),
            Value::Container(c) => c.validate_depth(depth + 1),
            Value::Numeric(n) => {
                if super::numeric::NumericRef::decode(n)?.is_canonical() {
                    Ok(())
                } else {
                    Err(Error::Corrupt("numeric not in canonical form"))
                }
            }
            _ => Ok(()),
        }
    }
}
