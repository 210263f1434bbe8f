//! Row identity: which columns of the definition are the TVIEW's key.
//!
//! In order: the `key` argument (one column or several); else `pk_<entity>`; else the only
//! `pk_*` column (of several, the only one proven unique); else the root table's primary key
//! column when the definition selects it as is; else the first column proven unique (the
//! GROUP BY column of a grouped definition, a DISTINCT column); else, for a definition of at
//! most one row (an aggregate without GROUP BY), its first column that has an equality;
//! else the first set of columns proven to identify the rows together (the columns of
//! `GROUP BY a, b`, a composite primary key): a key of several columns.

use crate::error::{Error, Result};

/// What the shell knows about the definition when choosing the key.
#[derive(Debug, Clone, Default)]
pub struct KeyInputs<'a> {
    pub tview: &'a str,
    /// Output column names, in order.
    pub columns: &'a [String],
    /// The `key` argument (its columns, in order), if given.
    pub requested: Option<&'a [String]>,
    /// The output column that is the root table's single-column primary key, if any.
    pub root_primary_key: Option<&'a str>,
    /// The output columns, in order, that are a table's column as it is and proven unique
    /// for every content of the sources.
    pub proven_unique: &'a [String],
    /// For a definition of at most one row whatever the sources hold: its first column whose
    /// type has an equality.
    pub one_row: Option<&'a str>,
    /// Output columns proven to identify the rows together when no single one does (the
    /// columns of a GROUP BY list, a composite primary key shown as it is).
    pub identified_together: &'a [String],
}

/// How the key was chosen, for messages and `pg_tviews_explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Argument,
    PkColumn,
    RootPrimaryKey,
    /// The first column proven unique.
    ProvenUnique,
    /// A column of a definition of at most one row: every change recomputes that row.
    OneRow,
    /// Columns proven to identify the rows together: a key of several columns.
    ProvenTogether,
}

/// The chosen key columns (one, or several for a key of several columns) and why.
pub fn choose_key(inputs: &KeyInputs<'_>) -> Result<(Vec<String>, KeySource)> {
    if let Some(requested) = inputs.requested {
        if requested.is_empty() {
            return Err(Error::NoKey {
                tview: inputs.tview.to_string(),
                hint: "Name at least one column: key => 'id' or key => ARRAY['a', 'b'].".into(),
            });
        }
        for (i, k) in requested.iter().enumerate() {
            if !inputs.columns.iter().any(|c| c == k) {
                return Err(Error::UnknownKey {
                    tview: inputs.tview.to_string(),
                    key: k.to_string(),
                    columns: inputs.columns.to_vec(),
                });
            }
            if requested[..i].contains(k) {
                return Err(Error::RepeatedKeyColumn {
                    tview: inputs.tview.to_string(),
                    key: k.to_string(),
                });
            }
        }
        return Ok((requested.to_vec(), KeySource::Argument));
    }
    let one = |column: &str| vec![column.to_string()];
    let own = format!("pk_{}", inputs.tview);
    if inputs.columns.contains(&own) {
        return Ok((vec![own], KeySource::PkColumn));
    }
    let pks: Vec<&String> = inputs
        .columns
        .iter()
        .filter(|c| c.starts_with("pk_"))
        .collect();
    match pks.as_slice() {
        // Unless it is not proven unique and several columns are (a GROUP BY list that
        // shows one column as pk_*).
        [only] if inputs.identified_together.is_empty() || inputs.proven_unique.contains(*only) => {
            return Ok((vec![(*only).clone()], KeySource::PkColumn))
        }
        [_] => {}
        [] => {}
        many => {
            // A join of products and their lines selects both pk_product and pk_line; only
            // pk_line identifies the rows.
            let unique: Vec<&&String> = many
                .iter()
                .filter(|c| inputs.proven_unique.contains(c))
                .collect();
            if let [only] = unique.as_slice() {
                return Ok((vec![(**only).clone()], KeySource::PkColumn));
            }
            // A link's two keys, neither unique alone but both together.
            if unique.is_empty() && !inputs.identified_together.is_empty() {
                return Ok((
                    inputs.identified_together.to_vec(),
                    KeySource::ProvenTogether,
                ));
            }
            return Err(Error::AmbiguousKey {
                tview: inputs.tview.to_string(),
                candidates: many.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
    // The root table's primary key, unless another column, or a set of them, is proven unique
    // and it is not (a child joined to the root repeats it; a link table's rows repeat the
    // primary key of either table it links).
    if let Some(pk) = inputs.root_primary_key {
        let nothing_else = inputs.proven_unique.is_empty() && inputs.identified_together.is_empty();
        if nothing_else || inputs.proven_unique.iter().any(|c| c == pk) {
            return Ok((one(pk), KeySource::RootPrimaryKey));
        }
    }
    if let Some(first) = inputs.proven_unique.first() {
        return Ok((one(first), KeySource::ProvenUnique));
    }
    if let Some(column) = inputs.one_row {
        return Ok((one(column), KeySource::OneRow));
    }
    if !inputs.identified_together.is_empty() {
        return Ok((
            inputs.identified_together.to_vec(),
            KeySource::ProvenTogether,
        ));
    }
    Err(Error::NoKey {
        tview: inputs.tview.to_string(),
        hint: format!(
            "Select the root table's primary key, for example as pk_{}, or pass key => '<column>' (or key => ARRAY['<column>', ...]) naming the columns that identify the rows.",
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
            requested: Some(&cols(&["id"])),
            ..Default::default()
        });
        assert_eq!(k, Ok((vec!["id".to_string()], KeySource::Argument)));
    }

    #[test]
    fn an_unknown_argument_lists_the_columns() {
        let c = cols(&["pk_post", "data"]);
        let e = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            requested: Some(&cols(&["nope"])),
            ..Default::default()
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
        assert_eq!(k, Ok((vec!["pk_post".to_string()], KeySource::PkColumn)));
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
            ..Default::default()
        });
        assert_eq!(k, Ok((vec!["id".to_string()], KeySource::RootPrimaryKey)));
        let e = choose_key(&KeyInputs {
            tview: "post",
            columns: &c,
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.hint().unwrap().contains("pk_post"));
    }

    #[test]
    fn of_several_pk_columns_the_one_proven_unique_is_the_key() {
        let c = cols(&["pk_order", "pk_line", "data"]);
        let unique = cols(&["pk_line"]);
        let k = choose_key(&KeyInputs {
            tview: "order_line",
            columns: &c,
            proven_unique: &unique,
            ..Default::default()
        });
        assert_eq!(k, Ok((vec!["pk_line".to_string()], KeySource::PkColumn)));
    }

    #[test]
    fn a_grouped_definition_is_keyed_by_its_group_column() {
        let c = cols(&["category", "n", "total"]);
        let unique = cols(&["category"]);
        let k = choose_key(&KeyInputs {
            tview: "sales",
            columns: &c,
            proven_unique: &unique,
            ..Default::default()
        });
        assert_eq!(
            k,
            Ok((vec!["category".to_string()], KeySource::ProvenUnique))
        );
    }

    #[test]
    fn a_one_row_definition_is_keyed_by_its_column_with_an_equality() {
        let c = cols(&["doc", "n"]);
        let k = choose_key(&KeyInputs {
            tview: "totals",
            columns: &c,
            one_row: Some("n"),
            ..Default::default()
        });
        assert_eq!(k, Ok((vec!["n".to_string()], KeySource::OneRow)));
    }

    #[test]
    fn columns_that_identify_rows_only_together_are_the_key() {
        let c = cols(&["grp", "cat", "n"]);
        let together = cols(&["grp", "cat"]);
        let k = choose_key(&KeyInputs {
            tview: "sales",
            columns: &c,
            identified_together: &together,
            ..Default::default()
        });
        assert_eq!(k, Ok((together.clone(), KeySource::ProvenTogether)));
    }

    #[test]
    fn a_key_argument_of_several_columns_names_each_once() {
        let c = cols(&["a", "b", "n"]);
        let k = choose_key(&KeyInputs {
            tview: "t",
            columns: &c,
            requested: Some(&cols(&["b", "a"])),
            ..Default::default()
        });
        assert_eq!(k, Ok((cols(&["b", "a"]), KeySource::Argument)));
        for bad in [cols(&["a", "a"]), cols(&["a", "zz"]), cols(&[])] {
            assert!(choose_key(&KeyInputs {
                tview: "t",
                columns: &c,
                requested: Some(&bad),
                ..Default::default()
            })
            .is_err());
        }
    }

    #[test]
    fn a_lone_pk_column_that_repeats_gives_way_to_columns_proven_together() {
        let c = cols(&["pk_author", "role", "n"]);
        let together = cols(&["pk_author", "role"]);
        let k = choose_key(&KeyInputs {
            tview: "g",
            columns: &c,
            identified_together: &together,
            ..Default::default()
        });
        assert_eq!(k, Ok((together.clone(), KeySource::ProvenTogether)));
        let proven = cols(&["pk_author"]);
        let k = choose_key(&KeyInputs {
            tview: "g",
            columns: &c,
            proven_unique: &proven,
            identified_together: &together,
            ..Default::default()
        });
        assert_eq!(k, Ok((cols(&["pk_author"]), KeySource::PkColumn)));
    }
}
