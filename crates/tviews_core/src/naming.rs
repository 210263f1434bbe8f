//! TVIEW names. A TVIEW named `post` lives in the table `tv_post`; users may pass either.

use crate::error::{Error, Result};

/// PostgreSQL's NAMEDATALEN - 1: the longest identifier in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// The prefix of every TVIEW's table.
pub const TABLE_PREFIX: &str = "tv_";

/// The prefix of the key columns pg_tviews adds to a definition whose own columns identify
/// no row: `__pgtv_key_<alias>_<column>`, a source's primary key column.
pub const HIDDEN_KEY_PREFIX: &str = "__pgtv_key_";

/// The name of the hidden key column holding column `column` of the table the definition
/// calls `alias`: at most 63 bytes (cut at a character boundary), and none of `taken` (a
/// number is appended to tell it apart).
pub fn hidden_key_name(alias: &str, column: &str, taken: &[String]) -> String {
    let base = format!("{HIDDEN_KEY_PREFIX}{alias}_{column}");
    let fit = |s: &str, room: usize| -> String {
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    };
    let mut name = fit(&base, MAX_IDENTIFIER_BYTES);
    let mut n = 1;
    while taken.contains(&name) {
        n += 1;
        let suffix = format!("_{n}");
        name = format!(
            "{}{suffix}",
            fit(&base, MAX_IDENTIFIER_BYTES - suffix.len())
        );
    }
    name
}

/// A TVIEW's name and its table's name (both unqualified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TviewName {
    /// The entity, without the prefix: `post`.
    pub entity: String,
    /// The table: `tv_post`.
    pub table: String,
}

impl TviewName {
    /// Normalize a user-given name (already split from any schema and unquoted):
    /// `post` and `tv_post` both give entity `post`, table `tv_post`.
    pub fn parse(name: &str) -> Result<TviewName> {
        let invalid = |reason| Error::InvalidName {
            name: name.to_string(),
            reason,
        };
        if name.contains('\0') {
            return Err(invalid("it contains a NUL byte"));
        }
        let entity = name.strip_prefix(TABLE_PREFIX).unwrap_or(name);
        if entity.is_empty() {
            return Err(invalid("the name is empty"));
        }
        let table = format!("{TABLE_PREFIX}{entity}");
        if table.len() > MAX_IDENTIFIER_BYTES {
            return Err(invalid("tv_<name> would be longer than 63 bytes"));
        }
        Ok(TviewName {
            entity: entity.to_string(),
            table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hidden_key_names_fit_and_do_not_collide() {
        assert_eq!(
            hidden_key_name("r", "pk_review", &[]),
            "__pgtv_key_r_pk_review"
        );
        let taken = vec!["__pgtv_key_a_id".to_string()];
        assert_eq!(hidden_key_name("a", "id", &taken), "__pgtv_key_a_id_2");
        let long = "é".repeat(40);
        let name = hidden_key_name(&long, "id", &[]);
        assert!(name.len() <= MAX_IDENTIFIER_BYTES && name.starts_with(HIDDEN_KEY_PREFIX));
        let again = hidden_key_name(&long, "id", std::slice::from_ref(&name));
        assert!(again.len() <= MAX_IDENTIFIER_BYTES && again.ends_with("_2") && again != name);
    }

    #[test]
    fn both_spellings_name_the_same_tview() {
        let a = TviewName::parse("post").unwrap();
        let b = TviewName::parse("tv_post").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.table, "tv_post");
        assert_eq!(a.entity, "post");
    }

    #[test]
    fn refuses_empty_and_overlong_names() {
        assert!(TviewName::parse("").is_err());
        assert!(TviewName::parse("tv_").is_err());
        assert!(TviewName::parse(&"x".repeat(60)).is_ok());
        assert!(TviewName::parse(&"x".repeat(61)).is_err());
        // Bytes, not characters: 30 two-byte letters are 60 bytes, 31 are 62.
        assert!(TviewName::parse(&"é".repeat(30)).is_ok());
        assert!(TviewName::parse(&"é".repeat(31)).is_err());
    }

    #[test]
    fn keeps_quotes_spaces_and_case_as_given() {
        let n = TviewName::parse("My \"Post\"").unwrap();
        assert_eq!(n.table, "tv_My \"Post\"");
    }

    proptest! {
        #[test]
        fn the_table_always_carries_the_prefix_once(name in "[a-z_]{1,40}") {
            let n = TviewName::parse(&name).unwrap();
            prop_assert!(n.table.starts_with(TABLE_PREFIX));
            prop_assert_eq!(TviewName::parse(&n.table).unwrap(), n.clone());
            prop_assert!(!n.entity.is_empty());
        }
    }
}
