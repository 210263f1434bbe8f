//! Constants of PostgreSQL's on-disk jsonb layout (`src/include/utils/jsonb.h`).
//!
//! A jsonb datum is a varlena whose payload is one *container*:
//!
//! ```text
//! u32 header                      count | JB_FOBJECT / JB_FARRAY [| JB_FSCALAR]
//! JEntry children[n]              arrays: one per element; objects: n keys, then n values
//! data                            the children's bytes, in the same order
//! ```
//!
//! A JEntry holds a 3-bit type and 28 bits that are either the child's length or, on every
//! 32nd child (`JB_OFFSET_STRIDE`), the *end offset* of the child's data (flag `JENTRY_HAS_OFF`).
//! Numerics and nested containers are int-aligned; the padding before them counts as part of
//! their length. Strings are raw UTF-8 bytes, keys too; object keys are sorted by length, then
//! bytewise, and are unique. A scalar at top level is stored as a one-element array with
//! `JB_FSCALAR` set.

pub const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
pub const JENTRY_TYPEMASK: u32 = 0x7000_0000;
pub const JENTRY_HAS_OFF: u32 = 0x8000_0000;

pub const JENTRY_ISSTRING: u32 = 0x0000_0000;
pub const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
pub const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
pub const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
pub const JENTRY_ISNULL: u32 = 0x4000_0000;
pub const JENTRY_ISCONTAINER: u32 = 0x5000_0000;

pub const JB_OFFSET_STRIDE: usize = 32;

pub const JB_CMASK: u32 = 0x0FFF_FFFF;
pub const JB_FSCALAR: u32 = 0x1000_0000;
pub const JB_FOBJECT: u32 = 0x2000_0000;
pub const JB_FARRAY: u32 = 0x4000_0000;

/// Size of a 4-byte varlena header.
pub const VARHDRSZ: usize = 4;

/// Largest varlena PostgreSQL accepts (1 GB - 1).
pub const MAX_VARLENA: usize = 0x3FFF_FFFF;

/// Round `n` up to a multiple of 4, as PostgreSQL's INTALIGN does.
#[inline]
pub const fn int_align(n: usize) -> usize {
    (n + 3) & !3
}

/// Read a native-endian u32 at `pos`, if it is in bounds.
#[inline]
pub fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// The 4-byte varlena header for a datum of `total` bytes (header included).
#[inline]
pub fn varlena_header(total: usize) -> [u8; 4] {
    debug_assert!(total <= MAX_VARLENA);
    #[cfg(target_endian = "little")]
    let word = (total as u32) << 2;
    #[cfg(target_endian = "big")]
    let word = (total as u32) & 0x3FFF_FFFF;
    word.to_ne_bytes()
}

/// Total size and header size of a varlena that starts at `bytes[0]`, for the two
/// uncompressed forms found inside jsonb (4-byte and 1-byte headers).
pub fn varlena_size(bytes: &[u8]) -> Option<(usize, usize)> {
    let first = *bytes.first()?;
    #[cfg(target_endian = "little")]
    {
        if first & 0x01 == 0x01 {
            // 1-byte header; 0x01 exactly would be an external TOAST pointer.
            if first == 0x01 {
                return None;
            }
            return Some(((first >> 1) as usize, 1));
        }
        if first & 0x03 == 0x02 {
            return None; // compressed inline: never inside jsonb
        }
        let word = read_u32(bytes, 0)?;
        Some(((word >> 2) as usize, 4))
    }
    #[cfg(target_endian = "big")]
    {
        if first & 0x80 == 0x80 {
            if first == 0x80 {
                return None;
            }
            return Some(((first & 0x7F) as usize, 1));
        }
        if first & 0xC0 == 0x40 {
            return None;
        }
        let word = read_u32(bytes, 0)?;
        Some(((word & 0x3FFF_FFFF) as usize, 4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_align_rounds_up_to_four() {
        assert_eq!([0, 1, 2, 3, 4, 5, 8].map(int_align), [0, 4, 4, 4, 4, 8, 8]);
    }

    #[test]
    fn varlena_header_round_trips() {
        for total in [4usize, 5, 100, 70_000, MAX_VARLENA] {
            let h = varlena_header(total);
            assert_eq!(varlena_size(&h), Some((total, 4)));
        }
    }
}
