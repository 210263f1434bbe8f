//! The one error type of the core. The extension shell maps each variant to a SQLSTATE and a
//! hint; the messages name the argument at fault.

use thiserror::Error;

/// The JSON type an argument (or a value inside it) must have. Part of the error's kind: the
/// shell chooses the SQLSTATE from it, never from the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Object,
    Array,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Expected::Object => "an object",
            Expected::Array => "an array",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The bytes are not a well-formed jsonb value. Inputs coming from PostgreSQL never hit
    /// this; it guards the reader against arbitrary bytes (fuzzing, corrupted data).
    #[error("corrupt jsonb value: {0}")]
    Corrupt(&'static str),

    /// A result would exceed what the jsonb format can hold.
    #[error("jsonb value too large: {0}")]
    TooLarge(&'static str),

    /// An argument (or the value found at a path inside it) has the wrong JSON type.
    #[error("{argument}{} must be {expected}, not {found}", at.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())]
    WrongType {
        argument: &'static str,
        expected: Expected,
        found: &'static str,
        /// Where inside the argument, in the argument's own path syntax.
        at: Option<String>,
    },

    /// An argument's value is outside what the operation accepts.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        argument: &'static str,
        reason: String,
    },

    /// A path does not lead anywhere the operation can act on.
    #[error("{path} does not exist in the document")]
    PathNotFound {
        argument: &'static str,
        path: String,
    },

    /// An RFC 6902 `test` operation failed.
    #[error("patch operation {index} (test at {path}) failed: the values differ")]
    TestFailed { index: usize, path: String },

    /// Text that should be a JSON number is not one.
    #[error("invalid number: {0}")]
    InvalidNumber(String),
}

impl Error {
    pub(crate) fn wrong_type(
        argument: &'static str,
        expected: Expected,
        found: &'static str,
    ) -> Error {
        Error::WrongType {
            argument,
            expected,
            found,
            at: None,
        }
    }

    pub(crate) fn invalid(argument: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
