//! The one error type of the core. The extension shell maps each variant to a SQLSTATE.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The bytes are not a well-formed jsonb value. Inputs coming from PostgreSQL never hit
    /// this; it guards the reader against arbitrary bytes (fuzzing, corrupted data).
    #[error("corrupt jsonb value: {0}")]
    Corrupt(&'static str),

    /// A result would exceed what the jsonb format can hold.
    #[error("jsonb value too large: {0}")]
    TooLarge(&'static str),

    /// An argument has the wrong JSON type for the operation.
    #[error("{argument} must be {expected}, not {found}")]
    WrongType {
        argument: &'static str,
        expected: &'static str,
        found: &'static str,
    },

    /// An argument's value is outside what the operation accepts.
    #[error("invalid value for {argument}: {reason}")]
    InvalidArgument {
        argument: &'static str,
        reason: String,
    },

    /// Text that should be a JSON number is not one.
    #[error("invalid number: {0}")]
    InvalidNumber(String),
}

pub type Result<T> = std::result::Result<T, Error>;
