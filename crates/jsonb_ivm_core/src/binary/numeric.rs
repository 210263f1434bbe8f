//! PostgreSQL `numeric` values as jsonb stores them (`src/backend/utils/adt/numeric.c`).
//!
//! A numeric is a varlena holding base-10000 digits (`i16` each), a weight (the power of
//! 10000 of the first digit), a sign and a display scale (digits shown after the point).
//! Two headers exist: *short* (one `u16`: sign, dscale ≤ 63, weight in -64..=63) and *long*
//! (`u16` sign|dscale, then `i16` weight). Values are stored stripped of leading and
//! trailing zero digits, so two equal values have the same sign, weight and digits whatever
//! their display scale: that is what makes `1` equal `1.0` in jsonb.
//!
//! Nothing here ever round-trips through floating point: numbers are copied as their bytes,
//! compared on their digits and printed exactly as `numeric_out` prints them.

use std::cmp::Ordering;

use super::format::{varlena_header, varlena_size};
use crate::error::{Error, Result};

const NUMERIC_SIGN_MASK: u16 = 0xC000;
const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SPECIAL: u16 = 0xC000;
const NUMERIC_DSCALE_MASK: u16 = 0x3FFF;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NUMERIC_SHORT_DSCALE_MASK: u16 = 0x1F80;
const NUMERIC_SHORT_DSCALE_SHIFT: u16 = 7;
const NUMERIC_SHORT_DSCALE_MAX: i32 = 63;
const NUMERIC_SHORT_WEIGHT_SIGN_MASK: u16 = 0x0040;
const NUMERIC_SHORT_WEIGHT_MASK: u16 = 0x003F;
const NUMERIC_SHORT_WEIGHT_MAX: i32 = 63;
const NUMERIC_SHORT_WEIGHT_MIN: i32 = -64;
const NBASE: u32 = 10_000;
const DEC_DIGITS: i32 = 4;
/// numeric.c refuses display scales and weights past these.
const NUMERIC_DSCALE_MAX: i32 = 0x3FFF;
const NUMERIC_WEIGHT_MAX: i32 = i16::MAX as i32;
const NUMERIC_WEIGHT_MIN: i32 = i16::MIN as i32;

/// A borrowed view of a finite numeric varlena.
#[derive(Clone, Copy, Debug)]
pub struct NumericRef<'a> {
    negative: bool,
    weight: i32,
    dscale: u16,
    /// Base-10000 digits, two native-endian bytes each.
    digits: &'a [u8],
}

impl<'a> NumericRef<'a> {
    /// Decode the numeric varlena at the start of `bytes`. `bytes` may extend past it.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        let (total, hdr) = varlena_size(bytes).ok_or(Error::Corrupt("numeric header"))?;
        let body = bytes
            .get(hdr..total)
            .ok_or(Error::Corrupt("numeric length"))?;
        let word = body
            .get(0..2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .ok_or(Error::Corrupt("numeric too short"))?;
        let (negative, weight, dscale, digits) = match word & NUMERIC_SIGN_MASK {
            NUMERIC_SHORT => {
                let weight = if word & NUMERIC_SHORT_WEIGHT_SIGN_MASK != 0 {
                    (!NUMERIC_SHORT_WEIGHT_MASK | (word & NUMERIC_SHORT_WEIGHT_MASK)) as i16 as i32
                } else {
                    (word & NUMERIC_SHORT_WEIGHT_MASK) as i32
                };
                let dscale = (word & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT;
                (
                    word & NUMERIC_SHORT_SIGN_MASK != 0,
                    weight,
                    dscale,
                    &body[2..],
                )
            }
            NUMERIC_SPECIAL => return Err(Error::Corrupt("NaN or infinity in jsonb")),
            sign => {
                let w = body.get(2..4).ok_or(Error::Corrupt("numeric too short"))?;
                let weight = i16::from_ne_bytes([w[0], w[1]]) as i32;
                (
                    sign == NUMERIC_NEG,
                    weight,
                    word & NUMERIC_DSCALE_MASK,
                    &body[4..],
                )
            }
        };
        if !digits.len().is_multiple_of(2) {
            return Err(Error::Corrupt("numeric digits"));
        }
        let n = NumericRef {
            negative,
            weight,
            dscale,
            digits,
        };
        if n.digit_iter().any(|d| d >= NBASE as u16) {
            return Err(Error::Corrupt("numeric digit out of range"));
        }
        Ok(n)
    }

    fn ndigits(&self) -> usize {
        self.digits.len() / 2
    }

    fn digit(&self, i: usize) -> u16 {
        u16::from_ne_bytes([self.digits[2 * i], self.digits[2 * i + 1]])
    }

    fn digit_iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.digits
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
    }

    /// The digits with stored leading and trailing zeros ignored, and the matching weight.
    /// PostgreSQL always strips them, but comparing through this makes the result independent
    /// of that.
    fn stripped(&self) -> (i32, usize, usize) {
        let n = self.ndigits();
        let mut first = 0;
        while first < n && self.digit(first) == 0 {
            first += 1;
        }
        let mut last = n;
        while last > first && self.digit(last - 1) == 0 {
            last -= 1;
        }
        (self.weight - first as i32, first, last)
    }

    /// Is this numeric in the form PostgreSQL always stores: no leading or trailing zero
    /// digits, no digits beyond the display scale, zero stored as positive with weight 0?
    pub fn is_canonical(&self) -> bool {
        let n = self.ndigits();
        if n == 0 {
            return !self.negative && self.weight == 0;
        }
        if self.digit(0) == 0 || self.digit(n - 1) == 0 {
            return false;
        }
        // Decimal places held by the digits: (n - weight - 1) groups of 4 after the point.
        let groups_after_point = n as i32 - self.weight - 1;
        if groups_after_point <= 0 {
            return true;
        }
        let places = groups_after_point * DEC_DIGITS;
        let dscale = self.dscale as i32;
        if places <= dscale {
            return true;
        }
        // The last digit may hold at most `dscale mod 4` significant places.
        let unused = places - dscale;
        if unused >= DEC_DIGITS {
            return false;
        }
        self.digit(n - 1).is_multiple_of(10u16.pow(unused as u32))
    }

    pub fn is_zero(&self) -> bool {
        let (_, first, last) = self.stripped();
        first == last
    }

    /// The display scale: digits printed after the decimal point.
    pub fn dscale(&self) -> u16 {
        self.dscale
    }

    /// Compare two numerics by value, as `numeric_cmp` does (display scale ignored).
    pub fn cmp_value(&self, other: &NumericRef<'_>) -> Ordering {
        let sign = |n: &NumericRef<'_>| -> i8 {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let abs = cmp_abs(self, other);
        if sa < 0 {
            abs.reverse()
        } else {
            abs
        }
    }

    /// The exact text `numeric_out` produces.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.negative && !self.is_zero() {
            out.push('-');
        }
        let n = self.ndigits() as i32;
        let get = |d: i32| -> u16 {
            if d >= 0 && d < n {
                self.digit(d as usize)
            } else {
                0
            }
        };
        if self.weight < 0 {
            out.push('0');
        } else {
            out.push_str(&get(0).to_string());
            for d in 1..=self.weight {
                out.push_str(&format!("{:04}", get(d)));
            }
        }
        let dscale = self.dscale as i32;
        if dscale > 0 {
            out.push('.');
            let mut frac = String::new();
            let mut d = self.weight + 1;
            while (frac.len() as i32) < dscale {
                frac.push_str(&format!("{:04}", get(d)));
                d += 1;
            }
            frac.truncate(dscale as usize);
            out.push_str(&frac);
        }
        out
    }

    /// The value as an `i64` when it is integral and fits.
    pub fn to_i64(&self) -> Option<i64> {
        let (weight, first, last) = self.stripped();
        if first == last {
            return Some(0);
        }
        let digits = last - first;
        if weight < 0 || (digits as i32) > weight + 1 || weight > 4 {
            return None;
        }
        let mut acc: i128 = 0;
        for i in 0..=weight {
            let k = first as i32 + i;
            let d = if (k as usize) < last {
                self.digit(k as usize)
            } else {
                0
            };
            acc = acc * NBASE as i128 + d as i128;
        }
        if self.negative {
            acc = -acc;
        }
        i64::try_from(acc).ok()
    }
}

fn cmp_abs(a: &NumericRef<'_>, b: &NumericRef<'_>) -> Ordering {
    let (wa, fa, la) = a.stripped();
    let (wb, fb, lb) = b.stripped();
    // Both are non-zero here, so the first digit is non-zero and the weight decides first.
    match wa.cmp(&wb) {
        Ordering::Equal => {}
        o => return o,
    }
    let (na, nb) = (la - fa, lb - fb);
    for i in 0..na.max(nb) {
        let da = if i < na { a.digit(fa + i) } else { 0 };
        let db = if i < nb { b.digit(fb + i) } else { 0 };
        match da.cmp(&db) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// Build the numeric varlena `numeric_in` builds for a JSON number's text
/// (`-?digits[.digits][e[+-]digits]`), byte for byte.
pub fn encode_numeric_text(text: &str) -> Result<Vec<u8>> {
    let bad = || Error::InvalidNumber(text.to_string());
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let mut mantissa = Vec::new();
    let mut frac_len: i64 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    while i < bytes.len() {
        match bytes[i] {
            c @ b'0'..=b'9' => {
                mantissa.push(c - b'0');
                any_digit = true;
                if seen_point {
                    frac_len += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !any_digit {
        return Err(bad());
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() {
        if bytes[i] != b'e' && bytes[i] != b'E' {
            return Err(bad());
        }
        i += 1;
        let exp_text = text.get(i..).ok_or_else(bad)?;
        if exp_text.is_empty() || exp_text == "+" || exp_text == "-" {
            return Err(bad());
        }
        let body = exp_text.strip_prefix('+').unwrap_or(exp_text);
        if !body
            .trim_start_matches('-')
            .bytes()
            .all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        exponent = body.parse::<i64>().map_err(|_| bad())?;
        if exponent.abs() > 1_000_000 {
            return Err(bad());
        }
    }
    let dscale = (frac_len - exponent).max(0);
    if dscale > NUMERIC_DSCALE_MAX as i64 {
        return Err(bad());
    }
    // Position of the decimal point within `mantissa` after applying the exponent.
    let point = mantissa.len() as i64 - frac_len + exponent;
    encode_parts(negative, &mantissa, point, dscale as i32).ok_or_else(bad)
}

/// Encode decimal digits `mantissa` with the decimal point after `point` digits.
fn encode_parts(negative: bool, mantissa: &[u8], point: i64, dscale: i32) -> Option<Vec<u8>> {
    // Align the digits on base-10000 groups around the decimal point: the first group starts
    // at a multiple of 4 decimal positions before the point.
    let lead = (DEC_DIGITS as i64 - point.rem_euclid(DEC_DIGITS as i64)) % DEC_DIGITS as i64;
    let int_groups = (point + lead) / DEC_DIGITS as i64; // groups before the point
    let mut groups: Vec<u16> = Vec::new();
    let mut acc = 0u32;
    let mut count = 0;
    for d in std::iter::repeat_n(0u8, lead as usize).chain(mantissa.iter().copied()) {
        acc = acc * 10 + d as u32;
        count += 1;
        if count == DEC_DIGITS {
            groups.push(acc as u16);
            acc = 0;
            count = 0;
        }
    }
    if count > 0 {
        while count < DEC_DIGITS {
            acc *= 10;
            count += 1;
        }
        groups.push(acc as u16);
    }
    let mut weight = int_groups - 1;
    let first = groups.iter().position(|&g| g != 0);
    let digits: &[u16] = match first {
        None => &[],
        Some(f) => {
            weight -= f as i64;
            let last = groups.iter().rposition(|&g| g != 0).unwrap_or(f);
            &groups[f..=last]
        }
    };
    let (negative, weight) = if digits.is_empty() {
        (false, 0)
    } else {
        (negative, weight)
    };
    if !(NUMERIC_WEIGHT_MIN as i64..=NUMERIC_WEIGHT_MAX as i64).contains(&weight) {
        return None;
    }
    Some(build(negative, weight as i32, dscale, digits))
}

fn build(negative: bool, weight: i32, dscale: i32, digits: &[u16]) -> Vec<u8> {
    let short = dscale <= NUMERIC_SHORT_DSCALE_MAX
        && (NUMERIC_SHORT_WEIGHT_MIN..=NUMERIC_SHORT_WEIGHT_MAX).contains(&weight);
    let hdr = if short { 2 } else { 4 };
    let total = 4 + hdr + 2 * digits.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&varlena_header(total));
    if short {
        let mut word = NUMERIC_SHORT | ((dscale as u16) << NUMERIC_SHORT_DSCALE_SHIFT);
        if negative {
            word |= NUMERIC_SHORT_SIGN_MASK;
        }
        if weight < 0 {
            word |= NUMERIC_SHORT_WEIGHT_SIGN_MASK;
        }
        word |= (weight as u16) & NUMERIC_SHORT_WEIGHT_MASK;
        out.extend_from_slice(&word.to_ne_bytes());
    } else {
        let sign = if negative { NUMERIC_NEG } else { NUMERIC_POS };
        out.extend_from_slice(&(sign | (dscale as u16 & NUMERIC_DSCALE_MASK)).to_ne_bytes());
        out.extend_from_slice(&(weight as i16).to_ne_bytes());
    }
    for d in digits {
        out.extend_from_slice(&d.to_ne_bytes());
    }
    out
}

/// Encode an integer as `numeric_in` would encode its decimal text.
pub fn encode_i64(v: i64) -> Vec<u8> {
    encode_numeric_text(&v.to_string()).expect("an integer's text is a valid number")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Vec<u8> {
        encode_numeric_text(text).unwrap()
    }

    fn text_of(text: &str) -> String {
        NumericRef::decode(&num(text)).unwrap().to_text()
    }

    #[test]
    fn prints_like_numeric_out() {
        for (input, shown) in [
            ("0", "0"),
            ("-0", "0"),
            ("0.0", "0.0"),
            ("10.50", "10.50"),
            ("1e2", "100"),
            ("1.5e1", "15"),
            ("1.50e1", "15.0"),
            ("1.5e-1", "0.15"),
            ("-123456789.000100", "-123456789.000100"),
            ("0.00001", "0.00001"),
            ("99999999999999999999", "99999999999999999999"),
            ("1E+3", "1000"),
            ("12345.6789e-10", "0.00000123456789"),
        ] {
            assert_eq!(text_of(input), shown, "input {input}");
        }
    }

    #[test]
    fn equal_values_compare_equal_across_scales() {
        let a = num("1");
        let b = num("1.000");
        let c = num("1.0001");
        let (a, b, c) = (
            NumericRef::decode(&a).unwrap(),
            NumericRef::decode(&b).unwrap(),
            NumericRef::decode(&c).unwrap(),
        );
        assert_eq!(a.cmp_value(&b), Ordering::Equal);
        assert_eq!(a.cmp_value(&c), Ordering::Less);
        assert_eq!(c.cmp_value(&a), Ordering::Greater);
    }

    #[test]
    fn orders_signs_and_magnitudes() {
        let values = [
            "-1000", "-2.5", "-0.001", "0", "0.001", "2.5", "10", "10000.5", "1e20",
        ];
        for (i, x) in values.iter().enumerate() {
            for (j, y) in values.iter().enumerate() {
                let (bx, by) = (num(x), num(y));
                let got = NumericRef::decode(&bx)
                    .unwrap()
                    .cmp_value(&NumericRef::decode(&by).unwrap());
                assert_eq!(got, i.cmp(&j), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in ["", "-", ".", "e5", "1e", "1e+", "abc", "1.2.3", "1x", "NaN"] {
            assert!(encode_numeric_text(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uses_the_long_header_when_the_short_one_cannot_hold_the_value() {
        // weight 64 does not fit the short header's 7-bit weight.
        let big = num(&format!("1{}", "0".repeat(4 * 64)));
        assert_eq!(big.len(), 4 + 4 + 2);
        let n = NumericRef::decode(&big).unwrap();
        assert_eq!(n.to_text(), format!("1{}", "0".repeat(256)));
        let scaled = num(&format!("0.{}1", "0".repeat(70)));
        assert_eq!(NumericRef::decode(&scaled).unwrap().dscale(), 71);
    }

    #[test]
    fn integers_convert_back() {
        for v in [
            0i64,
            1,
            -1,
            9999,
            10000,
            -123456789012345678,
            i64::MAX,
            i64::MIN,
        ] {
            let b = encode_i64(v);
            assert_eq!(NumericRef::decode(&b).unwrap().to_i64(), Some(v));
        }
        assert_eq!(NumericRef::decode(&num("1.5")).unwrap().to_i64(), None);
        assert_eq!(NumericRef::decode(&num("2.000")).unwrap().to_i64(), Some(2));
    }
}

#[cfg(test)]
mod canonical_tests {
    use super::*;

    #[test]
    fn everything_numeric_in_builds_is_canonical() {
        for t in [
            "0",
            "1",
            "-1",
            "10.50",
            "0.0001",
            "123456789.123456789",
            "1e100",
            "1.5e-7",
            "99990000",
        ] {
            let b = encode_numeric_text(t).unwrap();
            assert!(NumericRef::decode(&b).unwrap().is_canonical(), "{t}");
        }
    }
}
