//! The core's errors as PostgreSQL errors: SQLSTATE, message, hint.
//!
//! Message texts live here, in one place, so the golden tests can rely on them.

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

fn classify(e: &Error) -> (PgSqlErrorCode, Option<String>) {
    match e {
        Error::Corrupt(_) => (PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, None),
        Error::TooLarge(_) => (PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, None),
        Error::WrongType {
            argument, expected, ..
        } => (
            wrong_type_code(expected),
            Some(format!(
                "Pass {expected} as {argument}; jsonb_typeof() shows what a value is."
            )),
        ),
        Error::InvalidArgument { .. } => (PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, None),
        Error::InvalidNumber(_) => (PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION, None),
    }
}

/// The SQL/JSON error family has a code for each expected kind (2203x).
fn wrong_type_code(expected: &str) -> PgSqlErrorCode {
    match expected {
        "an object" => PgSqlErrorCode::ERRCODE_SQL_JSON_OBJECT_NOT_FOUND,
        "an array" => PgSqlErrorCode::ERRCODE_SQL_JSON_ARRAY_NOT_FOUND,
        _ => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
    }
}
