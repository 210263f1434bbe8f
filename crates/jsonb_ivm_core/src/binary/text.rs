//! JSON text in and out, with jsonb's rules: the printer writes what `jsonb_out` writes, the
//! parser builds what `jsonb_in` builds. The extension never uses these on its hot paths;
//! they serve tests, fuzz targets and the few functions that return text.

use std::borrow::Cow;

use super::numeric::{encode_numeric_text, NumericRef};
use super::reader::Value;
use super::writer::Node;
use crate::error::{Error, Result};

/// Print `v` exactly as `jsonb_out` would.
pub fn to_text(v: &Value<'_>) -> Result<String> {
    let mut out = String::new();
    print(v, &mut out)?;
    Ok(out)
}

fn print(v: &Value<'_>, out: &mut String) -> Result<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::String(s) => escape_into(s, out)?,
        Value::Numeric(n) => out.push_str(&NumericRef::decode(n)?.to_text()),
        Value::Container(c) if c.is_object() => {
            out.push('{');
            for i in 0..c.len() {
                if i > 0 {
                    out.push_str(", ");
                }
                escape_into(c.key(i)?, out)?;
                out.push_str(": ");
                print(&c.value_at(i)?, out)?;
            }
            out.push('}');
        }
        Value::Container(c) => {
            if c.is_scalar() {
                return print(&c.elem(0)?, out);
            }
            out.push('[');
            for i in 0..c.len() {
                if i > 0 {
                    out.push_str(", ");
                }
                print(&c.elem(i)?, out)?;
            }
            out.push(']');
        }
    }
    Ok(())
}

/// Quote and escape a string as PostgreSQL's `escape_json` does.
pub fn escape_into(s: &[u8], out: &mut String) -> Result<()> {
    let s = std::str::from_utf8(s).map_err(|_| Error::Corrupt("string is not UTF-8"))?;
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(())
}

/// Parse JSON text into a [`Node`] as `jsonb_in` would read it (duplicate keys: last wins).
pub fn parse(text: &str) -> Result<Node<'static>> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'s> {
    s: &'s [u8],
    i: usize,
    depth: usize,
}

const MAX_PARSE_DEPTH: usize = 1_000;

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::InvalidArgument {
            argument: "json text",
            reason: format!("{what} at byte {}", self.i),
        }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Node<'static>> {
        match self.s.get(self.i) {
            None => Err(self.err("unexpected end")),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Node::String(Cow::Owned(self.string()?.into_bytes()))),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat(b"null") => Ok(Node::Null),
            _ if self.eat(b"true") => Ok(Node::Bool(true)),
            _ if self.eat(b"false") => Ok(Node::Bool(false)),
            _ => Err(self.err("unexpected character")),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.i += 1;
        self.ws();
        Ok(())
    }

    fn object(&mut self) -> Result<Node<'static>> {
        self.enter()?;
        let mut pairs = Vec::new();
        if self.eat(b"}") {
            self.depth -= 1;
            return Ok(Node::object(pairs));
        }
        loop {
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a key"));
            }
            let k = self.string()?;
            self.ws();
            if !self.eat(b":") {
                return Err(self.err("expected ':'"));
            }
            self.ws();
            let v = self.value()?;
            pairs.push((Cow::Owned(k.into_bytes()), v));
            self.ws();
            if self.eat(b",") {
                self.ws();
                continue;
            }
            if self.eat(b"}") {
                break;
            }
            return Err(self.err("expected ',' or '}'"));
        }
        self.depth -= 1;
        Ok(Node::object(pairs))
    }

    fn array(&mut self) -> Result<Node<'static>> {
        self.enter()?;
        let mut items = Vec::new();
        if self.eat(b"]") {
            self.depth -= 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.ws();
            if self.eat(b",") {
                self.ws();
                continue;
            }
            if self.eat(b"]") {
                break;
            }
            return Err(self.err("expected ',' or ']'"));
        }
        self.depth -= 1;
        Ok(Node::Array(items))
    }

    fn number(&mut self) -> Result<Node<'static>> {
        let start = self.i;
        // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        self.eat(b"-");
        let int_start = self.i;
        self.digits();
        let int_len = self.i - int_start;
        if int_len == 0 || (int_len > 1 && self.s[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        if self.eat(b".") && self.digits() == 0 {
            return Err(self.err("invalid number"));
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII");
        Ok(Node::Numeric(Cow::Owned(encode_numeric_text(text)?)))
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len()
                && !matches!(self.s[self.i], b'"' | b'\\')
                && self.s[self.i] >= 0x20
            {
                self.i += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.s[start..self.i])
                    .map_err(|_| self.err("invalid UTF-8"))?,
            );
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self
                        .s
                        .get(self.i)
                        .ok_or_else(|| self.err("unexpected end"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if !self.eat(b"\\u") {
                                    return Err(self.err("lone surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("invalid surrogate pair"));
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            if cp == 0 {
                                // jsonb cannot hold \u0000 (PostgreSQL text has no NUL).
                                return Err(self.err("\\u0000 cannot be stored"));
                            }
                            out.push(char::from_u32(cp).ok_or_else(|| self.err("lone surrogate"))?);
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                _ => return Err(self.err("unterminated string")),
            }
        }
    }
}
