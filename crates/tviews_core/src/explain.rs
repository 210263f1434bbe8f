//! `pg_tviews_explain`: how each source's changes become refreshed keys, in words.

use crate::action::Inputs;
use crate::model::{ColumnRef, DefinitionModel};
use crate::plan::Reach;

/// What maintenance does for changes of one source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceExplain {
    /// `schema.table`.
    pub source: String,
    /// How a changed row reaches the keys, one line per appearance of the table in the
    /// definition, joined by "; ".
    pub reaches: String,
    /// What happens and when, given the TVIEW's mode ([`crate::action`]).
    pub maintenance: String,
}

fn column(model: &DefinitionModel, c: &ColumnRef) -> String {
    format!("{}.{}", model.occurrences[c.occ].table.name, c.column)
}

fn describe_reach(model: &DefinitionModel, occ: usize, reach: &Reach) -> String {
    match reach {
        Reach::Root => match &model.root {
            Some(_) if model.rootless() => {
                let own: Vec<String> = model
                    .key_origins
                    .iter()
                    .filter(|o| o.occ == occ)
                    .map(|o| column(model, o))
                    .collect();
                if own.is_empty() {
                    // A table outside a key of groups.
                    return "its rows joined outward to the key's tables: the groups they count in (NULL where a join finds no match)".into();
                }
                if model.origin_occurrences().len() == 1 {
                    return format!(
                        "key column{} {}: the groups of its old and new rows, and those of the rows its joins reach (NULL where they find no match)",
                        if own.len() > 1 { "s" } else { "" },
                        own.join(", ")
                    );
                }
                format!(
                    "key column{} {}, joined outward to the key's other tables",
                    if own.len() > 1 { "s" } else { "" },
                    own.join(", ")
                )
            }
            Some(r) if model.spans_tables() => format!(
                "key column {}, joined to the key's other tables",
                column(model, r)
            ),
            Some(r) => format!("key column {}", column(model, r)),
            None => "key column".into(),
        },
        Reach::Path(hops) => {
            let step = |h: &crate::plan::Hop| {
                format!(
                    "{} {} {}",
                    column(model, &h.from),
                    if h.null_safe {
                        "IS NOT DISTINCT FROM"
                    } else {
                        &h.operator.name
                    },
                    column(model, &h.to)
                )
            };
            let steps: Vec<String> = hops
                .iter()
                .map(|h| {
                    std::iter::once(step(h))
                        .chain(h.also.iter().map(step))
                        .collect::<Vec<_>>()
                        .join(" and ")
                })
                .collect();
            format!("join {}", steps.join(", "))
        }
        Reach::Untraceable(why) => format!("untraceable: {why}"),
    }
}

/// One entry per source table, in the plan's order.
pub fn explain(inputs: &Inputs<'_>) -> Vec<SourceExplain> {
    let model = inputs.model;
    inputs
        .plan
        .sources
        .iter()
        .map(|s| SourceExplain {
            source: format!("{}.{}", s.table.schema, s.table.name),
            reaches: {
                // Each way once: several subqueries reading the table the same way (a
                // count and a sum of the same children) reach the keys alike.
                let mut ways: Vec<String> = Vec::new();
                for (occ, r) in &s.reaches {
                    let way = describe_reach(model, *occ, r);
                    if !ways.contains(&way) {
                        ways.push(way);
                    }
                }
                ways.join("; ")
            },
            maintenance: inputs.describe_source(s.table.oid),
        })
        .collect()
}

/// What is known of a TVIEW's key, for the `(key)` row of `pg_tviews_explain`.
#[derive(Debug, Clone, Copy)]
pub struct KeyFacts<'a> {
    /// The key's columns: one, or several for a key of several columns.
    pub columns: &'a [String],
    /// pg_tviews chose it and proved it unique (no key argument).
    pub proven: bool,
    /// Its column may be NULL.
    pub nullable: bool,
}

/// The `(key)` row: which column is the key, where it comes from, why it was chosen and
/// what a NULL key is.
pub fn describe_key(model: &DefinitionModel, key: &KeyFacts<'_>) -> SourceExplain {
    let several = key.columns.len() > 1;
    let named = key.columns.join(", ");
    let together = if key.proven {
        "chosen by pg_tviews (no key named): the columns proven to identify the rows together"
    } else {
        "named by the key argument: not proven, a write that repeats it fails (23505)"
    };
    let (reaches, chosen) = match &model.root {
        Some(_) if model.spans_tables() => {
            let origins: Vec<String> = model
                .key_origins
                .iter()
                .map(|o| column(model, o))
                .collect();
            let how = if model.null_groups {
                "the GROUP BY list, of tables outer joins NULL-extend: a row where a join found no match falls into the group with NULL there, with the rows whose own value is NULL; a change of any table finds its groups through the join of its rows with the key's tables (outer), each with its outer joins' columns NULL too, and the stored groups holding its own rows' values"
            } else if model.rootless() {
                "drawn from several tables, no one of them in every row (outer joins NULL-extend each, a FULL JOIN both sides), those without a match NULL; a change of one finds its keys through the join of its rows with the others (outer), each with its outer joins' columns NULL too, and the stored rows holding its own key"
            } else if !model.key_outer_groups().is_empty() {
                "drawn from several tables, those an outer join NULL-extends NULL in a row without a match; a change finds its keys through their join (outer where the definition's is), each with its outer joins' columns NULL too, and the stored rows"
            } else {
                "drawn from several tables; a change finds its keys through their join and the stored rows"
            };
            let columns = if several { "key columns" } else { "key column" };
            (
                format!("{columns} {named} ({}: {how})", origins.join(", ")),
                if model.null_groups && key.proven {
                    "chosen by pg_tviews (no key named): the GROUP BY list, one row per group"
                } else {
                    together
                },
            )
        }
        Some(r) if several => {
            let table = &model.occurrences[r.occ].table;
            (
                format!(
                    "key columns {named} ({}.{}: {})",
                    table.schema,
                    table.name,
                    model.root_columns.join(", ")
                ),
                together,
            )
        }
        Some(r) => (
            format!("key column {named} ({})", column(model, r)),
            if key.proven {
                "chosen by pg_tviews (no key named) and proven unique for every content of the sources"
            } else {
                "named by the key argument: not proven, a write that repeats it fails (23505)"
            },
        ),
        None if model
            .occurrences
            .iter()
            .all(|o| o.untraceable.as_deref() == Some(crate::model::ONE_ROW_REASON)) =>
        {
            (
                format!("key column {named} (computed)"),
                "the definition is at most one row: its first column with an equality keys that row, which every change recomputes",
            )
        }
        None => (
            format!(
                "key column{} {named} (no change is traced to {})",
                if several { "s" } else { "" },
                if several { "them" } else { "it" }
            ),
            "every change recomputes every row (why: the sources above)",
        ),
    };
    let nulls = if several {
        "one key is the combination of the columns, as one value of a composite type (the table's unique index is on it); a NULL in any of them is a value like any other; documents are recomputed, never patched in place"
    } else if key.nullable {
        "may be NULL: NULL is one key value like any other (a unique index NULLS NOT DISTINCT)"
    } else {
        "never NULL: the table's primary key"
    };
    let hidden: Vec<&str> = key
        .columns
        .iter()
        .filter(|c| c.starts_with(crate::naming::HIDDEN_KEY_PREFIX))
        .map(|c| c.as_str())
        .collect();
    let added = match hidden.as_slice() {
        [] => String::new(),
        some => format!(
            "; {} added by pg_tviews: no column of the definition identifies its rows, so the primary key of the tables they come from is part of the output",
            some.join(", ")
        ),
    };
    SourceExplain {
        source: "(key)".into(),
        reaches,
        maintenance: format!("{chosen}; {nulls}{added}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Mode;
    use crate::plan::plan;

    fn model() -> DefinitionModel {
        DefinitionModel::product_category_review()
    }

    #[test]
    fn every_source_is_explained_in_its_mode() {
        let m = model();
        let p = plan(&m).unwrap();
        let inputs = |mode| Inputs {
            model: &m,
            plan: &p,
            patches: &[],
            partials: &[],
            summary: None,
            mode,
        };
        let e = explain(&inputs(Mode::Deferred));
        let by = |t: &str| e.iter().find(|x| x.source == t).unwrap();
        assert_eq!(
            by("public.tb_product").reaches,
            "key column tb_product.pk_product"
        );
        assert_eq!(
            by("public.tb_category").reaches,
            "join tb_product.fk_category = tb_category.pk_category"
        );
        assert!(by("public.tb_review").maintenance.contains("queued"));
        assert!(by("public.tb_category").maintenance.contains("captured"));
        let i = explain(&inputs(Mode::Immediate));
        assert!(i[0].maintenance.starts_with("each statement"));
    }

    #[test]
    fn the_key_row_says_where_the_key_comes_from_and_what_null_is() {
        let m = model();
        let k = describe_key(
            &m,
            &KeyFacts {
                columns: &["pk_product".to_string()],
                proven: true,
                nullable: false,
            },
        );
        assert_eq!(k.source, "(key)");
        assert_eq!(k.reaches, "key column pk_product (tb_product.pk_product)");
        assert!(k.maintenance.contains("proven unique"));
        assert!(k
            .maintenance
            .ends_with("never NULL: the table's primary key"));
        let mut one = m.clone();
        one.root = None;
        for o in &mut one.occurrences {
            o.untraceable = Some(crate::model::ONE_ROW_REASON.into());
        }
        let k = describe_key(
            &one,
            &KeyFacts {
                columns: &["n".to_string()],
                proven: true,
                nullable: true,
            },
        );
        assert_eq!(k.reaches, "key column n (computed)");
        assert!(k.maintenance.contains("at most one row"));
        // No root for another reason (a GROUP BY no change is traced to).
        one.occurrences[0].untraceable = Some("other".into());
        let k = describe_key(
            &one,
            &KeyFacts {
                columns: &["x".to_string(), "y".to_string()],
                proven: true,
                nullable: false,
            },
        );
        assert_eq!(k.reaches, "key columns x, y (no change is traced to them)");
        assert!(k
            .maintenance
            .starts_with("every change recomputes every row"));
        let k = describe_key(
            &m,
            &KeyFacts {
                columns: &["__pgtv_key_p_pk_product".to_string()],
                proven: true,
                nullable: false,
            },
        );
        assert!(k
            .maintenance
            .ends_with("__pgtv_key_p_pk_product added by pg_tviews: no column of the definition identifies its rows, so the primary key of the tables they come from is part of the output"));
    }
}
