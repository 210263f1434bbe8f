//! Every error pg_tviews raises: SQLSTATE, message, detail and hint, in one place so the
//! golden tests can rely on the texts.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TviewError {
    #[error(transparent)]
    Core(#[from] tviews_core::Error),

    #[error("select_sql must be exactly one SELECT statement")]
    NotASingleSelect { found: String },

    #[error("a TVIEW definition cannot use {construct}")]
    Refused { construct: String, hint: String },

    #[error("cannot maintain a TVIEW over {relation}: it is {kind}")]
    UnsupportedSource { relation: String, kind: String },

    #[error("TVIEW \"{0}\" does not exist")]
    NoSuchTview(String),

    #[error("key column \"{key}\" of TVIEW \"{tview}\" is not unique in its definition")]
    KeyNotUnique {
        tview: String,
        key: String,
        example: String,
    },

    #[error("key column \"{key}\" of TVIEW \"{tview}\" is NULL in some rows of its definition")]
    KeyNull { tview: String, key: String },

    #[error("column name \"{0}\" is reserved for pg_tviews")]
    ReservedColumn(String),

    #[error("cannot write to TVIEW table {0} directly")]
    DirectWrite(String),

    #[error("cannot write to pg_tviews state table {0} directly")]
    StateWrite(String),

    #[error("must be owner of TVIEW \"{0}\"")]
    NotOwner(String),

    #[error("permission denied for table {0}: a TVIEW needs the TRIGGER privilege on each table it reads")]
    NoTriggerPrivilege(String),

    #[error("table {0} has pg_tviews maintenance triggers but no TVIEW reads it")]
    OrphanSource(String),

    #[error("pg_tviews cannot maintain TVIEWs in a transaction that logical replication applies as prepared (subscription option two_phase)")]
    PreparedApply,

    #[error("a TVIEW's table cannot be temporary")]
    TemporaryTable,

    #[error("a TVIEW's table cannot be unlogged")]
    UnloggedTable,

    #[error("pg_tviews needs a database encoded in UTF8, not {0}")]
    Encoding(String),

    #[error(
        "this change makes key {key} appear more than once in the definition of TVIEW {tview}"
    )]
    KeyRepeats { tview: String, key: String },

    #[error("the pg_tviews catalog predates pinned settings")]
    CatalogNeedsUpdate,

    #[error("table {table} already has a trigger named {trigger} that is not pg_tviews'")]
    ForeignTrigger { table: String, trigger: String },

    #[error("trigger name {trigger} is reserved for pg_tviews' own trigger, which this trigger on {table} is not")]
    ReservedTrigger { table: String, trigger: String },

    #[error("row level security filters what you see of TVIEW table {0}")]
    OracleFiltered(String),

    #[error("a TVIEW definition cannot call {function}: {reason}")]
    UnsafeFunction {
        function: String,
        reason: String,
        hint: String,
    },

    #[error(
        "key column \"{key}\" of TVIEW \"{tview}\" has type {type_name}, which cannot be a key"
    )]
    KeyType {
        tview: String,
        key: String,
        type_name: String,
    },

    #[error("row level security on {relation} applies to {owner}, the owner of TVIEW {tview}")]
    RowSecurityOnSource {
        tview: String,
        relation: String,
        owner: String,
    },

    #[error("{table} is written by pg_tviews maintenance and cannot {problem}")]
    NotPlainTable { table: String, problem: String },

    #[error("cannot {change} of TVIEW table {table}")]
    AlterRefused {
        table: String,
        change: String,
        hint: String,
    },

    /// A DDL command that changes what a TVIEW's definition means (a function made
    /// non-strict, a view replaced) so that it could no longer be maintained: the refusal
    /// analyzing it again gave, said as the command's.
    #[error("{command} would leave TVIEW {tview} impossible to maintain: {cause}")]
    DdlBreaks {
        command: String,
        tview: String,
        cause: Box<TviewError>,
    },

    #[error("pg_tviews internal error: {0}")]
    Internal(String),

    #[error("{0}")]
    Spi(String),
}

impl TviewError {
    fn sqlstate(&self) -> PgSqlErrorCode {
        use tviews_core::Error as C;
        use PgSqlErrorCode::*;
        match self {
            TviewError::DdlBreaks { cause, .. } => cause.sqlstate(),
            TviewError::Core(C::InvalidName { .. }) => ERRCODE_INVALID_NAME,
            TviewError::Core(C::UnknownKey { .. }) => ERRCODE_UNDEFINED_COLUMN,
            TviewError::Core(C::RepeatedKeyColumn { .. }) => ERRCODE_DUPLICATE_COLUMN,
            TviewError::Core(C::InvalidMode { .. } | C::BadSetting(_)) => {
                ERRCODE_INVALID_PARAMETER_VALUE
            }
            TviewError::Core(_) => ERRCODE_INVALID_TABLE_DEFINITION,
            TviewError::NotASingleSelect { .. } => ERRCODE_WRONG_OBJECT_TYPE,
            TviewError::Refused { .. } | TviewError::UnsupportedSource { .. } => {
                ERRCODE_FEATURE_NOT_SUPPORTED
            }
            TviewError::NoSuchTview(_) => ERRCODE_UNDEFINED_TABLE,
            TviewError::KeyNotUnique { .. } | TviewError::KeyRepeats { .. } => {
                ERRCODE_UNIQUE_VIOLATION
            }
            TviewError::KeyNull { .. } => ERRCODE_NOT_NULL_VIOLATION,
            TviewError::ReservedColumn(_) | TviewError::ReservedTrigger { .. } => {
                ERRCODE_RESERVED_NAME
            }
            TviewError::DirectWrite(_) | TviewError::StateWrite(_) => {
                ERRCODE_INSUFFICIENT_PRIVILEGE
            }
            TviewError::NotOwner(_) | TviewError::NoTriggerPrivilege(_) => {
                ERRCODE_INSUFFICIENT_PRIVILEGE
            }
            TviewError::OrphanSource(_) | TviewError::CatalogNeedsUpdate => {
                ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            TviewError::ForeignTrigger { .. } => ERRCODE_DUPLICATE_OBJECT,
            TviewError::TemporaryTable
            | TviewError::PreparedApply
            | TviewError::UnloggedTable
            | TviewError::Encoding(_)
            | TviewError::UnsafeFunction { .. }
            | TviewError::KeyType { .. }
            | TviewError::OracleFiltered(_)
            | TviewError::AlterRefused { .. }
            | TviewError::NotPlainTable { .. }
            | TviewError::RowSecurityOnSource { .. } => ERRCODE_FEATURE_NOT_SUPPORTED,
            TviewError::Internal(_) => ERRCODE_INTERNAL_ERROR,
            TviewError::Spi(_) => ERRCODE_INTERNAL_ERROR,
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            TviewError::DdlBreaks { cause, .. } => cause.detail(),
            TviewError::NotASingleSelect { found } => Some(format!("Found {found}.")),
            TviewError::KeyNotUnique { example, .. } => {
                Some(format!("Key value {example} appears more than once."))
            }
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            TviewError::DdlBreaks {
                command,
                tview,
                cause,
            } => Some(format!(
                "{}{command} changes what the definition reads or means, and pg_tviews analyzed it again as at creation: keep what it relies on, or drop the TVIEW first (DROP TABLE {tview}) and create it again after the change.{}",
                cause.hint().map(|h| format!("{h} ")).unwrap_or_default(),
                if command == "REINDEX" {
                    // These commit each index before ddl_command_end runs: the error cannot
                    // undo them.
                    " REINDEX CONCURRENTLY and REINDEX SCHEMA, DATABASE or SYSTEM keep each index they built before this check: if the index is valid now, drop it (DROP INDEX); every write to the TVIEW's sources is refused until then."
                } else {
                    ""
                }
            )),
            TviewError::Core(e) => e.hint(),
            TviewError::NotASingleSelect { .. } => Some(
                "Pass one SELECT, without a trailing statement; WITH ... SELECT is fine.".into(),
            ),
            TviewError::Refused { hint, .. } => Some(hint.clone()),
            TviewError::UnsupportedSource { .. } => Some(
                "TVIEW sources must be plain tables (or other TVIEWs) whose changes fire statement triggers."
                    .into(),
            ),
            TviewError::NoSuchTview(_) => {
                Some("SELECT tview_name FROM pg_tview_meta lists the TVIEWs.".into())
            }
            TviewError::KeyNotUnique { .. } | TviewError::KeyNull { .. } => Some(
                "The key identifies one row per value: select the root table's primary key, or GROUP BY it."
                    .into(),
            ),
            TviewError::ReservedColumn(name) if crate::analyze::hidden::is_hidden(name) => Some(
                "Rename the column: names starting with __pgtv_ are reserved. Columns named __pgtv_key_* are the key columns pg_tviews adds to a TVIEW whose rows repeat what they show: over such a TVIEW, select its columns by name instead of *.".into()
            ),
            TviewError::ReservedColumn(_) => {
                Some("Rename the column: names starting with __pgtv_ are reserved.".into())
            }
            TviewError::DirectWrite(_) => Some(
                "A TVIEW's rows follow its definition: change the source tables instead, or call pg_tviews_refresh(). \
                 A data-only restore must disable triggers (pg_dump or pg_restore --disable-triggers)."
                    .into(),
            ),
            TviewError::StateWrite(_) => Some(
                "It holds counts and sums of a TVIEW source's rows, which maintenance keeps: change the source tables \
                 instead; pg_tviews_refresh() on the TVIEW builds it again. A data-only restore must disable triggers \
                 (pg_dump or pg_restore --disable-triggers)."
                    .into(),
            ),
            TviewError::OrphanSource(_) => Some(
                "pg_tview_meta has no TVIEW for these triggers, so this change cannot reach one: most likely a \
                 schema-only restore whose data has not been restored yet (restore it with --disable-triggers), or a \
                 TVIEW table dropped while pg_tviews' event triggers were disabled. pg_tviews_health_check() lists \
                 what is missing and how to repair it."
                    .into(),
            ),
            TviewError::KeyRepeats { .. } => Some(
                "A key identifies one row of the TVIEW. After this change the definition returns several rows for it: a join now matches more than one row (a range or a non-unique column), or the key column repeats. Undo the change, or make the definition return one row per key."
                    .into(),
            ),
            TviewError::CatalogNeedsUpdate => {
                Some("Run ALTER EXTENSION pg_tviews UPDATE first.".into())
            }
            TviewError::UnloggedTable => Some(
                "After a crash PostgreSQL empties unlogged tables but not the sources they follow: keep the TVIEW's table logged."
                    .into(),
            ),
            TviewError::Encoding(_) => Some(
                "Definitions, keys and names travel through pg_tviews as UTF-8: create the database with ENCODING 'UTF8'."
                    .into(),
            ),
            TviewError::PreparedApply => Some(
                "The prepared transaction would hold its TVIEW rows and locks until COMMIT PREPARED, which reaches the apply worker only after the transactions behind it, and those can need the same rows: the subscription would wait forever. Turn two_phase off for subscriptions into tables TVIEWs read (ALTER SUBSCRIPTION ... SET (two_phase = false) on PostgreSQL 18; recreate the subscription before)."
                    .into(),
            ),
            TviewError::TemporaryTable => Some(
                "Every session's writes to the sources maintain a TVIEW, so its table must be visible to every session: create it in a regular schema."
                    .into(),
            ),
            TviewError::AlterRefused { hint, .. } => Some(hint.clone()),
            TviewError::NotPlainTable { .. } => Some(crate::checks::PLAIN_TABLE_HINT.into()),
            TviewError::UnsafeFunction { hint, .. } => Some(hint.clone()),
            TviewError::ReservedTrigger { .. } => Some(format!(
                "pg_tviews reserves the trigger names {} for its own triggers (a trigger under one of them that does something else would pass for pg_tviews' and stop maintenance): give yours another name.",
                crate::install::reserved_names().join(", ")
            )),
            TviewError::ForeignTrigger { .. } => Some(format!(
                "pg_tviews reserves the trigger names {}: rename or drop the other trigger.",
                crate::install::reserved_names().join(", ")
            )),
            TviewError::OracleFiltered(_) => Some(
                "pg_tviews_check compares every row of the TVIEW with its definition: run it as the owner or as a role the table's policies do not filter."
                    .into(),
            ),
            TviewError::KeyType { .. } => Some(
                "A key is one scalar value with an equality operator: an integer, text, uuid, numeric, date, enum, or a domain over one. Select such a column as the key, for example the root table's primary key."
                    .into(),
            ),
            TviewError::NoTriggerPrivilege(_) => Some(
                "Every write of a source runs the TVIEW's maintenance through triggers, which that privilege guards: have the table's owner GRANT TRIGGER ON it to the TVIEW's creator."
                    .into(),
            ),
            TviewError::RowSecurityOnSource { .. } => Some(
                "Maintenance reads the sources as the TVIEW's owner, and a policy may read other tables or depend on who asks, which maintenance cannot follow. Let the owner bypass the policies (BYPASSRLS, or own the source without FORCE ROW LEVEL SECURITY), and filter what readers see with policies on the TVIEW's table instead."
                    .into(),
            ),
            _ => None,
        }
    }

    /// Raise as a PostgreSQL ERROR. Never returns.
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.sqlstate(), self.to_string(), "pg_tviews");
        if let Some(d) = self.detail() {
            report = report.set_detail(d);
        }
        if let Some(h) = self.hint() {
            report = report.set_hint(h);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ERROR does not return")
    }
}

/// Unwrap a result or raise its error.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T, E: Into<TviewError>> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => e.into().raise(),
        }
    }
}

impl From<pgrx::spi::SpiError> for TviewError {
    fn from(e: pgrx::spi::SpiError) -> Self {
        TviewError::Spi(e.to_string())
    }
}
