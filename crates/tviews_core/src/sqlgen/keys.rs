//! Key queries: from a statement's transition tables to the TVIEW keys it may affect.
//!
//! One query per (source table, statement kind) returns `array_agg(DISTINCT key)` over one
//! branch per occurrence of the table: the path from the root to the occurrence, joined with
//! the changed rows. Its cost does not depend on how many rows changed beyond reading them.

use std::collections::HashMap;

use super::quote::{compare, quote_ident, table};
use super::{TRANSITION_NEW, TRANSITION_OLD};
use crate::model::{DefinitionModel, OccId};
use crate::plan::{Reach, SourcePlan};

/// Which transition tables a statement provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Insert,
    Update,
    Delete,
}

impl Event {
    /// The changed rows: new images, old images, or both.
    fn delta(self) -> String {
        match self {
            Event::Insert => quote_ident(TRANSITION_NEW),
            Event::Delete => quote_ident(TRANSITION_OLD),
            Event::Update => format!(
                "(SELECT * FROM {} UNION ALL SELECT * FROM {})",
                quote_ident(TRANSITION_OLD),
                quote_ident(TRANSITION_NEW)
            ),
        }
    }
}

/// The key query of `source` for `event`, or `None` when a change to it recomputes every row.
pub fn key_query(model: &DefinitionModel, source: &SourcePlan, event: Event) -> Option<String> {
    let delta = event.delta();
    branches_query(model, source, &|_| delta.clone())
}

/// What [`delta_columns`] names a key of several columns by: changes of the root capture
/// its key as one composite value.
pub const KEY_DELTA: &str = "__pgtv_key";

/// The delta column standing for the key of a changed root row: its key column, or
/// [`KEY_DELTA`] for a key of several columns.
fn root_delta_column(model: &DefinitionModel) -> Option<String> {
    let root = model.root.as_ref()?;
    Some(if model.root_columns.len() > 1 {
        KEY_DELTA.to_string()
    } else {
        root.column.clone()
    })
}

/// The columns of the changed rows that the key query reads, each once, in a fixed order:
/// the key column for changes of the root (for a key of several columns, [`KEY_DELTA`]),
/// the joined column of the last hop otherwise.
pub fn delta_columns(model: &DefinitionModel, source: &SourcePlan) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for (_, reach) in &source.reaches {
        let c = match reach {
            Reach::Root => match root_delta_column(model) {
                Some(c) => c,
                None => continue,
            },
            Reach::Path(hops) => match hops.last() {
                Some(h) => h.to.column.clone(),
                None => continue,
            },
            Reach::Untraceable(_) => continue,
        };
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    cols
}

/// Deferred mode, at statement time: the values (as text, NULLs kept) of each of
/// [`delta_columns`] over the changed rows, one `text[]` column each. Kept until commit,
/// they stand in for the transition tables in [`replay_key_query`].
pub fn capture_query(model: &DefinitionModel, source: &SourcePlan, event: Event) -> Option<String> {
    if source.recompute_all_reason().is_some() || model.root.is_none() {
        return None;
    }
    let delta = event.delta();
    let cols: Vec<String> = delta_columns(model, source)
        .iter()
        .map(|c| {
            let value = if c == KEY_DELTA {
                format!("({})", model.key_of("d")?)
            } else {
                format!("d.{}", quote_ident(c))
            };
            Some(format!(
                "(SELECT pg_catalog.array_agg(DISTINCT {value}::pg_catalog.text) FROM {delta} AS d)"
            ))
        })
        .collect::<Option<Vec<String>>>()?;
    Some(format!("SELECT {}", cols.join(", ")))
}

/// Deferred mode, at commit: the key query of `source` over the values captured by
/// [`capture_query`], passed as `$1`, `$2`, ... (`text[]`, one per delta column, in order)
/// and turned back into `types` (the SQL type of each delta column). Run under the TVIEW
/// lock, it finds the documents the changed rows reach as of commit.
pub fn replay_key_query(
    model: &DefinitionModel,
    source: &SourcePlan,
    types: &[String],
) -> Option<String> {
    let cols = delta_columns(model, source);
    if cols.len() != types.len() {
        return None;
    }
    branches_query(model, source, &|column| {
        let i = cols.iter().position(|c| c == column).unwrap_or(0);
        if column == KEY_DELTA {
            // The composite key's fields, named as the key's columns of the root's rows (the
            // type's fields are named as the definition shows them).
            let names: Vec<String> = model.root_columns.iter().map(|c| quote_ident(c)).collect();
            return format!(
                "(SELECT * FROM (SELECT (u.v::{}).* FROM pg_catalog.unnest(${}::pg_catalog.text[]) AS u(v)) AS f({}))",
                types[i],
                i + 1,
                names.join(", ")
            );
        }
        format!(
            "(SELECT u.v::{} AS {} FROM pg_catalog.unnest(${}::pg_catalog.text[]) AS u(v))",
            types[i],
            quote_ident(column),
            i + 1
        )
    })
}

/// `pg_catalog.array_agg(DISTINCT key)` over one branch per reach of `source`; `delta(column)` is the
/// relation standing for the changed rows in a branch that reads `column` of them.
fn branches_query(
    model: &DefinitionModel,
    source: &SourcePlan,
    delta: &dyn Fn(&str) -> String,
) -> Option<String> {
    if source.recompute_all_reason().is_some() {
        return None;
    }
    let root = model.root.as_ref()?;
    let root_delta = root_delta_column(model)?;
    let mut branches: Vec<String> = Vec::new();
    for branch in source.reaches.iter().map(|(occ, reach)| match reach {
        Reach::Root => Some(format!(
            "SELECT {} FROM {} AS d",
            model.key_of("d")?,
            delta(&root_delta)
        )),
        // A child joined to the key column by the key type's own equality: its joined value
        // is the key, whether or not the key's row exists (yet) for this statement. Reading
        // the key's table here would miss a row another transaction is inserting, whose
        // document that transaction computes before this change commits; locking the key
        // orders the two (see `SourcePlan::is_direct`).
        Reach::Path(hops)
            if source.is_direct(Some(root), model.root_columns.len() > 1) && hops.len() == 1 =>
        {
            let column = format!("d.{}", quote_ident(&hops[0].to.column));
            Some(format!(
                "SELECT {column} FROM {} AS d WHERE {column} IS NOT NULL",
                delta(&hops[0].to.column)
            ))
        }
        Reach::Path(hops) => {
            let last = &hops.last().expect("a path has hops").to.column;
            Some(path_branch(
                model,
                root.occ,
                &model.key_of("t0")?,
                *occ,
                hops,
                &delta(last),
            ))
        }
        Reach::Untraceable(_) => unreachable!("checked by recompute_all_reason"),
    }) {
        let branch = branch?;
        // Two appearances reached the same way (two correlated subqueries over the same
        // children, say) give the same branch: it is read once.
        if !branches.contains(&branch) {
            branches.push(branch);
        }
    }
    Some(format!(
        "SELECT pg_catalog.array_agg(DISTINCT k) FROM ({}) AS s(k)",
        branches.join(" UNION ALL ")
    ))
}

fn path_branch(
    model: &DefinitionModel,
    root: OccId,
    key: &str,
    target: OccId,
    hops: &[crate::plan::Hop],
    delta: &str,
) -> String {
    let mut alias: HashMap<OccId, String> = HashMap::new();
    alias.insert(root, "t0".into());
    let mut sql = format!(
        "SELECT {key} FROM {} AS t0",
        table(&model.occurrences[root].table)
    );
    for (i, hop) in hops.iter().enumerate() {
        let to = hop.to.occ;
        let (name, source) = if to == target && i == hops.len() - 1 {
            ("d".to_string(), delta.to_string())
        } else {
            (format!("t{}", i + 1), table(&model.occurrences[to].table))
        };
        let from_col = format!("{}.{}", alias[&hop.from.occ], quote_ident(&hop.from.column));
        let to_col = format!("{}.{}", name, quote_ident(&hop.to.column));
        let (l, r) = if hop.from_is_left {
            (from_col, to_col)
        } else {
            (to_col, from_col)
        };
        sql.push_str(&format!(
            " JOIN {source} AS {name} ON {}",
            compare(&l, &hop.operator, &r)
        ));
        alias.insert(to, name);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;

    fn model() -> DefinitionModel {
        DefinitionModel::product_category_review()
    }

    #[test]
    fn root_changes_read_the_key_from_the_changed_rows() {
        let m = model();
        let p = plan(&m).unwrap();
        assert_eq!(
            key_query(&m, p.source(1).unwrap(), Event::Delete).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT d.\"pk_product\" FROM \"pgtv_old\" AS d) AS s(k)"
        );
    }

    #[test]
    fn lookup_changes_join_back_to_the_root_keeping_operand_order() {
        let m = model();
        let p = plan(&m).unwrap();
        assert_eq!(
            key_query(&m, p.source(2).unwrap(), Event::Update).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT t0.\"pk_product\" FROM \"public\".\"tb_product\" AS t0 \
             JOIN (SELECT * FROM \"pgtv_old\" UNION ALL SELECT * FROM \"pgtv_new\") AS d \
             ON d.\"pk_category\"::integer OPERATOR(\"pg_catalog\".=) t0.\"fk_category\"::integer) AS s(k)"
        );
    }

    #[test]
    fn deferred_lookup_changes_capture_the_joined_column_and_replay_it() {
        let m = model();
        let p = plan(&m).unwrap();
        let src = p.source(2).unwrap();
        assert_eq!(delta_columns(&m, src), vec!["pk_category".to_string()]);
        assert_eq!(
            capture_query(&m, src, Event::Delete).unwrap(),
            "SELECT (SELECT pg_catalog.array_agg(DISTINCT d.\"pk_category\"::pg_catalog.text) FROM \"pgtv_old\" AS d)"
        );
        let replay = replay_key_query(&m, src, &["integer".to_string()]).unwrap();
        assert!(replay.contains(
            "JOIN (SELECT u.v::integer AS \"pk_category\" FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(v)) AS d"
        ));
        assert_eq!(replay_key_query(&m, src, &[]), None);
    }

    #[test]
    fn a_table_reached_twice_the_same_way_is_read_once() {
        // Two correlated subqueries over tb_review (count and average, say).
        let mut m = model();
        m.occurrences
            .push(crate::model::Occurrence::public(3, "tb_review"));
        let mut e = m.edges[1].clone();
        e.left.occ = 3;
        e.guards = [3].into();
        m.edges.push(e);
        let p = plan(&m).unwrap();
        assert_eq!(p.source(3).unwrap().reaches.len(), 2);
        assert_eq!(
            key_query(&m, p.source(3).unwrap(), Event::Insert).unwrap(),
            key_query(
                &model(),
                plan(&model()).unwrap().source(3).unwrap(),
                Event::Insert
            )
            .unwrap()
        );
    }

    #[test]
    fn children_name_their_keys_without_reading_the_keys_table() {
        // A review names its product whether or not the product's row is visible yet.
        let m = model();
        let p = plan(&m).unwrap();
        assert!(p.source(3).unwrap().is_direct(m.root.as_ref(), false));
        assert_eq!(
            key_query(&m, p.source(3).unwrap(), Event::Insert).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT d.\"fk_product\" FROM \"pgtv_new\" AS d \
             WHERE d.\"fk_product\" IS NOT NULL) AS s(k)"
        );
        // Joined by another operator, the keys come through the key's table, as for a lookup.
        let mut m = model();
        m.edges[1].exact = false;
        let p = plan(&m).unwrap();
        assert!(!p.source(3).unwrap().is_direct(m.root.as_ref(), false));
        assert!(key_query(&m, p.source(3).unwrap(), Event::Insert)
            .unwrap()
            .contains("FROM \"public\".\"tb_product\" AS t0 JOIN \"pgtv_new\" AS d"));
    }

    #[test]
    fn untraceable_sources_have_no_key_query() {
        let mut m = model();
        m.occurrences[2].untraceable = Some("why".into());
        let p = plan(&m).unwrap();
        assert_eq!(key_query(&m, p.source(3).unwrap(), Event::Insert), None);
        assert_eq!(capture_query(&m, p.source(3).unwrap(), Event::Insert), None);
    }
}
