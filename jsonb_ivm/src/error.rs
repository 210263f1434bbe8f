//! The core's errors as PostgreSQL errors: SQLSTATE, message, hint.
//!
//! Message texts come from `jsonb_ivm_core::Error`; the SQLSTATE and the hint are decided
//! here, in one place, so the golden tests can rely on them.

use jsonb_ivm_core::error::Expected;
use jsonb_ivm_core::Error;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

/// Raise `e` as an ERROR. Never returns.
pub fn raise(e: Error) -> ! {
    let (code, hint) = classify(&e);
    let mut report = ErrorReport::new(code, e.to_string(), "jsonb_ivm");
    if let Some(h) = hint {
        report = report.set_hint(h);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// `.or_raise()` on a core result: the value, or the error raised as an ERROR.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| raise(e))
    }
}

/// Raise the SQL-level "argument must not be NULL" error.
pub fn null_argument(argument: &str) -> ! {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
        format!("{argument} must not be NULL"),
        "jsonb_ivm",
    )
    .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

fn classify(e: &Error) -> (PgSqlErrorCode, Option<String>) {
    use PgSqlErrorCode::*;
    match e {
        Error::Corrupt(_) => (ERRCODE_DATA_CORRUPTED, None),
        Error::TooLarge(_) => (ERRCODE_PROGRAM_LIMIT_EXCEEDED, None),
        Error::WrongType { expected, .. } => (
            match expected {
                Expected::Object => ERRCODE_SQL_JSON_OBJECT_NOT_FOUND,
                Expected::Array => ERRCODE_SQL_JSON_ARRAY_NOT_FOUND,
            },
            Some("jsonb_typeof() shows the type of a value.".into()),
        ),
        Error::InvalidArgument { argument, .. } => (
            ERRCODE_INVALID_PARAMETER_VALUE,
            match *argument {
                "path" | "update_path" => Some(
                    "Paths look like a.b[2].c: keys separated by dots, integer indexes in brackets, \"quoted\" keys for names with dots or brackets."
                        .into(),
                ),
                "sort_order" => Some("Use ASC or DESC (any case), or NULL for ASC.".into()),
                "operations" => Some(
                    "A JSON Patch (RFC 6902) is an array of objects such as {\"op\": \"replace\", \"path\": \"/a/0\", \"value\": 1}."
                        .into(),
                ),
                "updates_array" => Some(
                    "Each element looks like {\"match_value\": 42, \"updates\": {\"field\": \"new value\"}}.".into(),
                ),
                _ => None,
            },
        ),
        Error::PathNotFound { .. } => (
            ERRCODE_SQL_JSON_MEMBER_NOT_FOUND,
            Some("JSON Pointers look like /a/b/0; ~1 stands for / and ~0 for ~ inside a key.".into()),
        ),
        Error::TestFailed { .. } => (ERRCODE_INVALID_PARAMETER_VALUE, None),
        Error::InvalidNumber(_) => (ERRCODE_INVALID_TEXT_REPRESENTATION, None),
    }
}
