//! PostgreSQL's binary jsonb format, read and written directly.
//!
//! Working on the binary form is what makes jsonb_ivm faster than the native SQL it replaces:
//! a patch reads only the containers on its path and copies the rest of the document as
//! bytes, where a text round trip (or PostgreSQL's own JsonbValue tree) touches every value.

pub mod compare;
pub mod format;
pub mod numeric;
pub mod order;
pub mod reader;
pub mod text;
pub mod writer;

pub use compare::{containers_equal, identical, values_equal};
pub use numeric::NumericRef;
pub use order::cmp_values;
pub use reader::{key_cmp, Container, Kind, Value};
pub use writer::{encode, Node};

/// Decode a complete jsonb varlena (4-byte header first) into its root value.
pub fn root_of_datum(datum: &[u8]) -> crate::Result<Value<'_>> {
    let (total, hdr) =
        format::varlena_size(datum).ok_or(crate::Error::Corrupt("varlena header"))?;
    let payload = datum
        .get(hdr..total)
        .ok_or(crate::Error::Corrupt("varlena length"))?;
    Value::from_root(payload)
}
