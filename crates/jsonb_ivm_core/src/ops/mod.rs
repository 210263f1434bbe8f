//! The algorithms behind jsonb_ivm's SQL functions, one module per family.

pub mod extract;
pub mod merge;

pub use extract::extract_id;
pub use merge::merge_shallow;

use crate::binary::{Container, Value};
use crate::error::{Error, Result};

/// `v` as an object, or a [`Error::WrongType`] naming `argument`.
pub(crate) fn expect_object<'a>(argument: &'static str, v: &Value<'a>) -> Result<Container<'a>> {
    v.as_object().ok_or(Error::WrongType {
        argument,
        expected: "an object",
        found: v.kind().name(),
    })
}
