//! The one error type of the core; the shell maps each variant to a SQLSTATE.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A name that cannot be a TVIEW name.
    #[error("invalid TVIEW name \"{name}\": {reason}")]
    InvalidName { name: String, reason: &'static str },

    /// No column can serve as the row identity.
    #[error("cannot choose a key column for TVIEW \"{tview}\"")]
    NoKey { tview: String, hint: String },

    /// The `key` argument names a column the definition does not have.
    #[error("key column \"{key}\" is not a column of the definition of TVIEW \"{tview}\"")]
    UnknownKey {
        tview: String,
        key: String,
        columns: Vec<String>,
    },

    /// The `key` argument names a column twice.
    #[error("key column \"{key}\" is named twice in the key of TVIEW \"{tview}\"")]
    RepeatedKeyColumn { tview: String, key: String },

    /// The key column does not come from a table whose changes can be traced.
    #[error("the key column of a TVIEW must be a column of one of its tables: {reason}")]
    KeyNotTraceable { reason: String },

    /// The key pg_tviews chose by itself can repeat for some content of the sources.
    #[error("key column \"{key}\" of TVIEW \"{tview}\" is not unique for every content of its sources: {} can repeat its values", repeating.join(", "))]
    KeyNotProvablyUnique {
        tview: String,
        key: String,
        repeating: Vec<String>,
        /// The primary keys of the tables the rows come from (`schema.table (columns)`),
        /// when there are several: selected as they are, they identify the rows together.
        identifying: Vec<String>,
    },

    /// A maintenance mode other than `immediate` or `deferred`.
    #[error("invalid TVIEW mode \"{given}\"")]
    InvalidMode { given: String },

    /// More than one `pk_*` column and nothing to choose between them.
    #[error("TVIEW \"{tview}\" has several pk_* columns: {}", candidates.join(", "))]
    AmbiguousKey {
        tview: String,
        candidates: Vec<String>,
    },

    /// A setting a TVIEW cannot pin, or a stored entry that is not `name=value`.
    #[error("\"{0}\" is not a setting a TVIEW pins")]
    BadSetting(String),
}

impl Error {
    /// The HINT a user sees with the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::InvalidName { .. } => Some(
                "A TVIEW name is an identifier of at most 60 bytes; the table is named tv_<name>."
                    .into(),
            ),
            Error::NoKey { hint, .. } => Some(hint.clone()),
            Error::RepeatedKeyColumn { .. } => {
                Some("Name each of the key's columns once.".into())
            }
            Error::UnknownKey { columns, .. } => Some(format!(
                "The definition's columns are: {}.",
                columns.join(", ")
            )),
            Error::KeyNotTraceable { .. } => Some(
                "Select the key's columns as they are in their table (for example p.pk_post), not expressions or aggregates, from tables of the top-level FROM list that join conditions link; from an outer join's nullable side only NOT NULL columns (a primary key), after a key column of a table the joins keep, or, where no table is in every row (a FULL JOIN), with a key column of every table whose rows can stand alone."
                    .into(),
            ),
            Error::KeyNotProvablyUnique {
                key, identifying, ..
            } => {
                let together = if identifying.len() > 1 {
                    format!(
                        " If each row is one combination of those rows, select the primary key of every table the rows come from as it is ({}): pg_tviews then takes them together as the key.",
                        identifying.join("; ")
                    )
                } else {
                    String::new()
                };
                Some(format!(
                    "Join each of them on its primary key or on the columns of another unique index (each then adds at most one row per key), or group by the key; or pass key => '{key}' to rely on the data instead (a write that repeats a key then fails with 23505).{together}"
                ))
            }
            Error::InvalidMode { .. } => Some(
                "immediate: maintained at the end of each statement; deferred: at commit or pg_tviews_flush()."
                    .into(),
            ),
            Error::AmbiguousKey { .. } => Some(
                "None of them, and no set of them, is proven to identify the rows for every content of the sources. Pass key => '<column>', or key => ARRAY['<column>', ...] naming the columns that identify the rows together (of one table, or of several tables that join conditions link, such as the primary keys of both sides of a join), to rely on the data instead (a write that repeats a key then fails with 23505)."
                    .into(),
            ),
            Error::BadSetting(_) => Some(format!(
                "The settings a TVIEW pins are: {}.",
                crate::settings::CAPTURED
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
