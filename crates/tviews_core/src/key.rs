//! Row identity: which column of the definition is the TVIEW's key.
//!
//! In order: the `key` argument; else `pk_<entity>`; else the only `pk_*` column; else the
//! root table's primary key column when the definition selects it as is.

use crate::error::{Error, Result};

/// What the shell knows about the definition when choosing the key.
#[derive(Debug, Clone, Default)]
pub struct KeyInputs<'a> {
    pub tview: &'a str,
    /// Output column names, in order.
    pub columns: &'a [String],
    /// The `key` argument, if given.
    pub requested: Option<&'a str>,
    /// The output column that is the root table's single-column primary key, if any.
    pub root_primary_key: Option<&'a str>,
}

/// How the key was chosen, for messages and `pg_tviews_explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Argument,
    PkColumn,
    RootPrimaryKey,
}

/// The chosen key column and why.
pub fn choose_key(inputs: &KeyInputs<'_>) -> Result<(String, KeySource)> {
    if let Some(k) = inputs.requested {
        return if inputs.columns.iter().any(|c| c == k) {
            Ok((k.to_string(), KeySource::Argument))
        } else {
            Err(Error::UnknownKey {
                tview: inputs.tview.to_string(),
                key: k.to_string(),
                columns: inputs.columns.to_vec(),
            })
        };
    }
    let own = format!("pk_{}", inputs.tview);
    if inputs.columns.contains(&own) {
        return Ok((own, KeySource::PkColumn));
    }
    let pks: Vec<&String> = inputs
        .columns
        .iter()
        .filter(|c| c.starts_with("pk_"))
        .collect();
    match pks.as_slice() {
        [one] => return Ok(((*one).clone(), KeySource::PkColumn)),
        [] => {}
        many => {
            return Err(Error::AmbiguousKey {
                tview: inputs.tview.to_string(),
                candidates: many.iter().map(|s| s.to_string()).collect(),
            })
        }
    }
    if let Some(pk) = inputs.root_primary_key {
        return Ok((pk.to_string(), KeySource::RootPrimaryKey));
    }
    Err(Error::NoKey {
        tview: inputs.tview.to_string(),
        hint: format!(
            "Select the root table's primary key, for example as pk_{}, or pass key => '<column>' naming a unique, non-null column.",
            inputs.tview
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_argument_wins_when_it_names_a_column() {
        let c = cols(&["pk_post", "id", "data"]);
        let k = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            requested: Some("id"),
            root_primary_key: None,
        });
        assert_eq!(k, Ok(("id".into(), KeySource::Argument)));
    }

    #[test]
    fn an_unknown_argument_lists_the_columns() {
        let c = cols(&["pk_post", "data"]);
        let e = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            requested: Some("nope"),
            root_primary_key: None,
        })
        .unwrap_err();
        assert_eq!(
            e.hint().unwrap(),
            "The definition's columns are: pk_post, data."
        );
    }

    #[test]
    fn pk_entity_beats_other_pk_columns() {
        let c = cols(&["pk_user", "pk_post", "data"]);
        let k = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            ..Default::default()
        });
        assert_eq!(k, Ok(("pk_post".into(), KeySource::PkColumn)));
    }

    #[test]
    fn several_foreign_pk_columns_are_ambiguous() {
        let c = cols(&["pk_user", "pk_tag", "data"]);
        let e = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            ..Default::default()
        });
        assert!(matches!(e, Err(Error::AmbiguousKey { .. })));
    }

    #[test]
    fn falls_back_to_the_root_primary_key_then_fails_with_a_hint() {
        let c = cols(&["id", "data"]);
        let k = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            requested: None,
            root_primary_key: Some("id"),
        });
        assert_eq!(k, Ok(("id".into(), KeySource::RootPrimaryKey)));
        let e = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.hint().unwrap().contains("pk_post"));
    }
}
