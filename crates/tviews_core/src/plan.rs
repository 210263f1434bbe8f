//! Where a changed row becomes a set of keys to refresh.
//!
//! For every occurrence of a source table, find a path of edges from the root occurrence to
//! it (breadth-first, so the shortest). A changed row of that table affects exactly the TVIEW
//! rows whose root row reaches it along such a path, in the state before or after the change;
//! joining the path's tables (current state) with the changed rows (old and new images)
//! therefore yields every affected key, possibly a few more, never fewer:
//!
//! *If a TVIEW row changes, some changed row contributes to it before or after the change.
//! Follow the path from the root row to that row and stop at the first changed row on the
//! way: every row before it is unchanged, so the path query over the current state finds
//! the root key through that changed row's old or new image.*
//!
//! Conditions other than the path's edges (filters, LIMIT, aggregates) are left out: they can
//! only remove keys, and extra keys cost a recompute that finds nothing to change.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::model::{ColumnRef, DefinitionModel, OccId, OperatorRef, TableRef};

/// One step of a path: from a column of an occurrence already reached to a column of the
/// next one, through `operator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub from: ColumnRef,
    pub to: ColumnRef,
    pub operator: OperatorRef,
    /// The conjunct was written `from OP to` (else `to OP from`); operand order matters for
    /// operators that do not commute.
    pub from_is_left: bool,
    /// The edge's operator is its operands' own equality (see `model::Edge::exact`).
    pub exact: bool,
    /// The edge's conjunct is `IS NOT DISTINCT FROM` (see `model::Edge::null_safe`).
    pub null_safe: bool,
    /// The other conditions between the same two occurrences that the step may also require
    /// (`a.tenant = b.tenant AND a.ref = b.ref`: the step is one of them, these the rest),
    /// each a hop between the same two occurrences with `also` empty. A key query joins on
    /// all of them: every row the step reaches meets them all, and joining on one alone
    /// would reach every row sharing that one value.
    pub also: Vec<Hop>,
}

/// How changes to one occurrence reach the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The root itself: a changed row's key column is the key.
    Root,
    /// Through these hops, the last one landing on the occurrence.
    Path(Vec<Hop>),
    /// No traceable path: any change recomputes every row.
    Untraceable(String),
}

/// How changes to one source table are maintained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePlan {
    pub table: TableRef,
    pub reaches: Vec<(OccId, Reach)>,
}

impl SourcePlan {
    /// Why this table's changes recompute every row, if they do.
    pub fn recompute_all_reason(&self) -> Option<&str> {
        self.reaches.iter().find_map(|(_, r)| match r {
            Reach::Untraceable(why) => Some(why.as_str()),
            _ => None,
        })
    }

    /// Do a change's own rows name every key it affects? True for the key's table itself and
    /// for tables joined straight to the key column by the key type's own equality
    /// (children): the key query then reads the keys from the changed rows alone (see
    /// `sqlgen::keys`), nothing another transaction could be changing, not even whether the
    /// key's row exists yet, so locking the keys it returns is enough to serialize with
    /// concurrent maintenance of the same documents. A join by another operator (`<=`, an
    /// equality across types or under a nondeterministic collation) finds its keys through
    /// the key's table like a lookup. Changes
    /// of other sources (lookups reached through other rows, untraceable occurrences) are
    /// found through rows a concurrent transaction may be moving, and need the whole TVIEW.
    ///
    /// For a key of several columns (`several_columns`) a child joined to one of them names
    /// only that column: the others are read from the key's table, which a concurrent
    /// transaction may be changing, so only the key's table itself is direct.
    pub fn is_direct(&self, root: Option<&ColumnRef>, several_columns: bool) -> bool {
        self.reaches.iter().all(|(_, reach)| match reach {
            Reach::Root => true,
            Reach::Path(hops) => {
                !several_columns && hops.len() == 1 && Some(&hops[0].from) == root && hops[0].exact
            }
            Reach::Untraceable(_) => false,
        })
    }
}

/// A lookup whose changes lock its own values instead of the whole TVIEW: the root table's
/// `root_column` equals the lookup table's `lookup_column`, by their type's own equality (see
/// docs/pg_tviews.md, "Concurrent writers"). A writer of the lookup locks the values of
/// `lookup_column` its changed rows hold (exclusively) before finding the documents that
/// read them; a writer of the root table locks the values of `root_column` its new rows hold
/// (shared) before recomputing them. A row moved to a lookup value, or inserted with it,
/// therefore either is seen by the lookup writer's key query or is recomputed after the
/// lookup writer commits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupLink {
    /// The lookup table's OID.
    pub lookup: u32,
    pub lookup_column: String,
    pub root_column: String,
}

impl SourcePlan {
    /// The links of a lookup whose every appearance is one hop from the root occurrence `root`
    /// by one condition that is its operands' own equality (`c.pk_category =
    /// p.fk_category`); `None` for any other table (the root's own, a lookup of a lookup, a
    /// join by another operator or by several conditions, an untraceable appearance).
    pub fn lookup_links(&self, root: OccId) -> Option<Vec<LookupLink>> {
        let mut links: Vec<LookupLink> = Vec::new();
        for (_, reach) in &self.reaches {
            let Reach::Path(hops) = reach else {
                return None;
            };
            let [hop] = hops.as_slice() else {
                return None;
            };
            // (Nor a join of arrays: the values are collected into one array per column,
            // which cannot hold arrays of other lengths, or empty ones, as elements.)
            let array = |t: &str| t.ends_with("[]");
            if hop.from.occ != root
                || !hop.exact
                || !hop.also.is_empty()
                || array(&hop.operator.left)
                || array(&hop.operator.right)
            {
                return None;
            }
            let link = LookupLink {
                lookup: self.table.oid,
                lookup_column: hop.to.column.clone(),
                root_column: hop.from.column.clone(),
            };
            if !links.contains(&link) {
                links.push(link);
            }
        }
        (!links.is_empty()).then_some(links)
    }
}

/// The maintenance plan of a TVIEW: one entry per source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenancePlan {
    /// The key column's origin; `None` for a definition of at most one row keyed by a
    /// computed column, whose every source is untraceable (each change recomputes that row).
    pub root: Option<ColumnRef>,
    pub sources: Vec<SourcePlan>,
    /// For a key drawn from several occurrences (`DefinitionModel::key_origins`): the path
    /// from the root to each key column's occurrence, in key order (empty for the root's
    /// own columns); empty for any other key.
    pub key_paths: Vec<Vec<Hop>>,
    /// For a key with no table in every row (`DefinitionModel::rootless`): per table the key
    /// is drawn from (its occurrence), the paths from it to each of the others, in key
    /// order (see [`origin_paths`]); empty for any other key.
    pub origin_trees: Vec<(OccId, Vec<Vec<Hop>>)>,
}

impl MaintenancePlan {
    pub fn source(&self, oid: u32) -> Option<&SourcePlan> {
        self.sources.iter().find(|s| s.table.oid == oid)
    }

    /// The links of the sources whose changes lock lookup values (see [`LookupLink`]): every
    /// source that is not the root's table, whose rows do not name their keys themselves
    /// (see [`SourcePlan::is_direct`]) and whose appearances are all one hop from the root.
    /// None when the key is drawn from several tables (every change there locks the TVIEW).
    pub fn lookup_links(&self, model: &DefinitionModel) -> Vec<LookupLink> {
        let Some(root) = self.root.as_ref().filter(|_| !model.spans_tables()) else {
            return Vec::new();
        };
        let root_table = model.occurrences[root.occ].table.oid;
        let several = model.root_columns.len() > 1;
        self.sources
            .iter()
            .filter(|s| s.table.oid != root_table && !s.is_direct(Some(root), several))
            .filter_map(|s| s.lookup_links(root.occ))
            .flatten()
            .collect()
    }
}

/// Build the plan: a reach for every occurrence of every source table.
pub fn plan(model: &DefinitionModel) -> Result<MaintenancePlan> {
    let Some(root) = model.root.clone() else {
        // Every source untraceable (a one-row definition): each change recomputes.
        let mut sources = Vec::new();
        for table in model.tables() {
            let mut reaches = Vec::new();
            for occ in model.occurrences_of(table.oid) {
                let Some(why) = &model.occurrences[occ].untraceable else {
                    return Err(Error::KeyNotTraceable {
                        reason: "the key column is not a column of a table".into(),
                    });
                };
                reaches.push((occ, Reach::Untraceable(why.clone())));
            }
            sources.push(SourcePlan { table, reaches });
        }
        return Ok(MaintenancePlan {
            root: None,
            sources,
            key_paths: Vec::new(),
            origin_trees: Vec::new(),
        });
    };
    if let Some(why) = &model.occurrences[root.occ].untraceable {
        return Err(Error::KeyNotTraceable {
            reason: why.clone(),
        });
    }
    if model.key_outer_groups().len() > crate::model::MAX_KEY_OUTER_JOINS {
        return Err(Error::KeyNotTraceable {
            reason: format!(
                "more than {} outer joins (a FULL JOIN counts as two) make its columns NULL in rows without a match",
                crate::model::MAX_KEY_OUTER_JOINS
            ),
        });
    }
    if model.rootless() {
        return rootless_plan(model, root);
    }
    let paths = shortest_paths(model, root.occ);
    let mut key_paths = Vec::new();
    if model.null_extended(root.occ) {
        let t = &model.occurrences[root.occ].table;
        return Err(Error::KeyNotTraceable {
            reason: if model.spans_tables() {
                format!(
                    "its first column comes from {}.{}, on the nullable side of an outer join: list first a key column of a table the outer joins keep (a key's rows are found from its first column's table)",
                    t.schema, t.name
                )
            } else {
                format!(
                    "it comes from {}.{}, on the nullable side of an outer join, NULL in every row without a match: add a key column of a table the outer joins keep",
                    t.schema, t.name
                )
            },
        });
    }
    if model.spans_tables() {
        for origin in &model.key_origins {
            let occurrence = &model.occurrences[origin.occ];
            if let Some(why) = &occurrence.untraceable {
                return Err(Error::KeyNotTraceable {
                    reason: why.clone(),
                });
            }
            match &paths[origin.occ] {
                Some(path) => key_paths.push(path.clone()),
                None => {
                    let name = |t: &TableRef| format!("{}.{}", t.schema, t.name);
                    let (this, root) = (
                        name(&occurrence.table),
                        name(&model.occurrences[root.occ].table),
                    );
                    return Err(Error::KeyNotTraceable {
                        reason: not_linked(&this, &root),
                    });
                }
            }
        }
    }
    let sources = source_plans(model, &|occ, table| {
        if occ == root.occ {
            Reach::Root
        } else if let Some(path) = &paths[occ] {
            Reach::Path(path.clone())
        } else {
            // A NULL-safe condition on it that links nothing (see the analyzer): say why, as
            // the user sees a condition there.
            let filter_only = model
                .edges
                .iter()
                .any(|e| e.null_safe && (e.left.occ == occ || e.right.occ == occ) && !e.links());
            Reach::Untraceable(format!(
                "no join condition links {}.{} to the key's table{}",
                table.schema,
                table.name,
                if filter_only {
                    " (its IS NOT DISTINCT FROM also holds in rows an outer join fills with NULLs, where no row leads to it: it only filters)"
                } else {
                    ""
                }
            ))
        }
    });
    Ok(MaintenancePlan {
        root: Some(root),
        sources,
        key_paths,
        origin_trees: Vec::new(),
    })
}

/// Per source table, how each of its occurrences reaches the keys: untraceable for the
/// reason the analyzer gave, else as `reach` says.
fn source_plans(
    model: &DefinitionModel,
    reach: &dyn Fn(OccId, &TableRef) -> Reach,
) -> Vec<SourcePlan> {
    model
        .tables()
        .into_iter()
        .map(|table| {
            let reaches = model
                .occurrences_of(table.oid)
                .map(|occ| match &model.occurrences[occ].untraceable {
                    Some(why) => (occ, Reach::Untraceable(why.clone())),
                    None => (occ, reach(occ, &table)),
                })
                .collect();
            SourcePlan { table, reaches }
        })
        .collect()
}

/// The refusal of a key drawn from tables `this` and `root` that no join conditions link.
fn not_linked(this: &str, root: &str) -> String {
    format!("the key's columns come from several tables, and no chain of join conditions links {this} to {root} (each comparing a column of one table with a column of another as they are: col = col or col OP col, OP strict (never true on a NULL), not inside an OR, not through an expression or a type conversion; across an outer join, in its ON)")
}

/// The plan of a key with no table in every row (see `DefinitionModel::rootless`): each
/// table the key is drawn from finds its keys from its own changed rows, joined outward to
/// the others along [`origin_paths`]; every other occurrence is untraceable (its rows are
/// in no key, so the stored rows it was in cannot be found from its own).
fn rootless_plan(model: &DefinitionModel, root: ColumnRef) -> Result<MaintenancePlan> {
    let origins = model.origin_occurrences();
    let name = |occ: OccId| {
        let t = &model.occurrences[occ].table;
        format!("{}.{}", t.schema, t.name)
    };
    let mut origin_trees = Vec::new();
    for &from in &origins {
        if let Some(why) = &model.occurrences[from].untraceable {
            return Err(Error::KeyNotTraceable {
                reason: why.clone(),
            });
        }
        let paths = origin_paths(model, from);
        let mut tree = Vec::new();
        for &to in &origins {
            match &paths[to] {
                Some(path) => tree.push(path.clone()),
                None => {
                    return Err(Error::KeyNotTraceable {
                        reason: not_linked(&name(to), &name(from)),
                    })
                }
            }
        }
        origin_trees.push((from, tree));
    }
    // A key of groups (see `DefinitionModel::null_groups`): a row of another table counts
    // in the groups its joins lead to (NULL where they find no match), found the same way
    // from its own changed rows. (For other keys its rows cannot be told apart in the
    // stored rows: several of them may share one key.)
    let mut unlinked: Vec<(OccId, String)> = Vec::new();
    if model.null_groups {
        for from in 0..model.occurrences.len() {
            if origins.contains(&from) || model.occurrences[from].untraceable.is_some() {
                continue;
            }
            let paths = origin_paths(model, from);
            let tree: Option<Vec<Vec<Hop>>> = origins.iter().map(|to| paths[*to].clone()).collect();
            match tree {
                Some(tree) => origin_trees.push((from, tree)),
                None => unlinked.push((from, format!(
                    "no join condition links {} to every table of the key (each comparing a column of one table with a column of another as they are, OP strict, not inside an OR; across an outer join, in its ON)",
                    name(from)
                ))),
            }
        }
    }
    let sources = source_plans(model, &|occ, table| {
        if let Some((_, why)) = unlinked.iter().find(|(o, _)| *o == occ) {
            Reach::Untraceable(why.clone())
        } else if origins.contains(&occ) || model.null_groups {
            Reach::Root
        } else {
            Reach::Untraceable(format!(
                "no table is in every row (outer joins NULL-extend each table of the key), and the key has no column of {}.{}: its rows cannot be told apart in the stored rows",
                table.schema, table.name
            ))
        }
    });
    Ok(MaintenancePlan {
        root: Some(root),
        sources,
        key_paths: Vec::new(),
        origin_trees,
    })
}

/// A crossing of an outer join's `ON` into one of its sides: (join, side).
type Entered = (usize, usize);

/// How a path may cross `edge` from occurrence `at`, having entered the joins and sides
/// `entered` on its way: `None` when it may not, else the column stepped from, the one
/// stepped to, and the side of an outer join the step enters (where `at` has a row, the
/// join may have found no match, and the row stepped to be NULL).
///
/// A conjunct of an outer join's `ON` that compares its two sides holds in every row where
/// both sides have a row (the join matched them). A row where the join found no match has
/// one side NULL; a path that entered that side across the join's `ON` reaches only NULLs
/// beyond it (every link is strict, and joins above see that side NULL), unless it crosses
/// the same join back: the rows there were never joined with the ones it started from, so
/// that crossing is not taken. A conjunct comparing two columns of one side holds wherever
/// that side has a row only on the nullable side of a LEFT or RIGHT JOIN (a row there is a
/// match); elsewhere it only decides matches. Other conjuncts (`WHERE`, inner joins) step
/// as their guards allow.
fn step<'a>(
    model: &'a DefinitionModel,
    edge: &'a crate::model::Edge,
    at: OccId,
    entered: &std::collections::BTreeSet<Entered>,
) -> Option<(&'a ColumnRef, &'a ColumnRef, Option<Entered>)> {
    if !edge.links() {
        return None;
    }
    let Some(j) = edge.join else {
        return edge.step_from(at).map(|(f, t)| (f, t, None));
    };
    let (from, to) = if edge.left.occ == at {
        (&edge.left, &edge.right)
    } else if edge.right.occ == at {
        (&edge.right, &edge.left)
    } else {
        return None;
    };
    let join = model.outer_joins.get(j)?;
    let (a, b) = (join.side_of(from.occ)?, join.side_of(to.occ)?);
    if a == b {
        let certain = join.nulls[a] && !join.nulls[1 - a];
        return certain.then_some((from, to, None));
    }
    if entered.contains(&(j, a)) {
        return None;
    }
    Some((from, to, join.nulls[b].then_some((j, b))))
}

/// The paths from occurrence `start` to every occurrence it can reach, for a key with no
/// table in every row (see [`rootless_plan`]). Breadth-first as [`shortest_paths`], in two
/// rounds: first the occurrences in every row `start` is in (through `WHERE` and inner-join
/// conditions, and from the nullable side of a LEFT or RIGHT JOIN to its other side, a
/// match being certain there), then the rest, through the steps [`step`] allows.
pub fn origin_paths(model: &DefinitionModel, start: OccId) -> Vec<Option<Vec<Hop>>> {
    let n = model.occurrences.len();
    let mut paths: Vec<Option<Vec<Hop>>> = vec![None; n];
    let mut entered: Vec<std::collections::BTreeSet<Entered>> = vec![Default::default(); n];
    paths[start] = Some(Vec::new());
    for entering in [false, true] {
        let mut queue: VecDeque<OccId> = (0..n).filter(|o| paths[*o].is_some()).collect();
        while let Some(at) = queue.pop_front() {
            if model.occurrences[at].untraceable.is_some() {
                continue;
            }
            for edge in &model.edges {
                let Some((from, to, enters)) = step(model, edge, at, &entered[at]) else {
                    continue;
                };
                if paths[to.occ].is_some() || (enters.is_some() && !entering) {
                    continue;
                }
                let also = model
                    .edges
                    .iter()
                    .filter(|other| !std::ptr::eq(*other, edge))
                    .filter_map(|other| {
                        let (f, t, _) = step(model, other, at, &entered[at])?;
                        (t.occ == to.occ).then(|| hop(other, f, t, Vec::new()))
                    })
                    .collect();
                let mut path = paths[at].clone().unwrap_or_default();
                path.push(hop(edge, from, to, also));
                paths[to.occ] = Some(path);
                let mut now = entered[at].clone();
                now.extend(enters);
                entered[to.occ] = now;
                queue.push_back(to.occ);
            }
        }
    }
    paths
}

/// The step across `edge` from `from` to `to`.
fn hop(edge: &crate::model::Edge, from: &ColumnRef, to: &ColumnRef, also: Vec<Hop>) -> Hop {
    Hop {
        from: from.clone(),
        to: to.clone(),
        operator: edge.operator.clone(),
        from_is_left: edge.left == *from,
        exact: edge.exact,
        null_safe: edge.null_safe,
        also,
    }
}

/// Breadth-first search over usable edge directions; edges are tried in model order so the
/// result is deterministic.
fn shortest_paths(model: &DefinitionModel, root: OccId) -> Vec<Option<Vec<Hop>>> {
    let n = model.occurrences.len();
    let mut paths: Vec<Option<Vec<Hop>>> = vec![None; n];
    paths[root] = Some(Vec::new());
    let mut queue = VecDeque::from([root]);
    while let Some(at) = queue.pop_front() {
        if model.occurrences[at].untraceable.is_some() {
            continue; // nothing is reached through an untraceable occurrence
        }
        for edge in &model.edges {
            // A FULL JOIN's conditions link its sides only where neither is NULL: a key
            // with a table in every row reaches neither side through them.
            if edge
                .join
                .is_some_and(|j| model.outer_joins[j].nulls == [true, true])
            {
                continue;
            }
            let Some((from, to)) = edge.step_from(at) else {
                continue;
            };
            if paths[to.occ].is_some() {
                continue;
            }
            let mut path = paths[at].clone().unwrap_or_default();
            let also = model
                .edges
                .iter()
                .filter(|other| !std::ptr::eq(*other, edge))
                .filter_map(|other| {
                    let (f, t) = other.step_from(at)?;
                    (t.occ == to.occ).then(|| hop(other, f, t, Vec::new()))
                })
                .collect();
            path.push(hop(edge, from, to, also));
            paths[to.occ] = Some(path);
            queue.push_back(to.occ);
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, Occurrence};
    use std::collections::BTreeSet;

    fn table(oid: u32, name: &str) -> Occurrence {
        Occurrence::public(oid, name)
    }

    fn col(occ: OccId, column: &str) -> ColumnRef {
        ColumnRef {
            occ,
            column: column.into(),
        }
    }

    fn edge(l: ColumnRef, r: ColumnRef, guards: &[OccId]) -> Edge {
        Edge {
            left: l,
            right: r,
            operator: OperatorRef::equals(),
            exact: true,
            null_safe: false,
            guards: guards.iter().copied().collect::<BTreeSet<_>>(),
            join: None,
        }
    }

    /// tb_post p LEFT JOIN tb_user u ON u.pk_user = p.fk_user, plus a correlated subquery over
    /// tb_comment c (c.fk_post = p.pk_post) joined to its author a (inner join in the subquery).
    fn blog() -> DefinitionModel {
        DefinitionModel {
            occurrences: vec![
                table(10, "tb_post"),
                table(11, "tb_user"),
                table(12, "tb_comment"),
                table(11, "tb_user"),
            ],
            edges: vec![
                edge(col(1, "pk_user"), col(0, "fk_user"), &[1]),
                edge(col(2, "fk_post"), col(0, "pk_post"), &[2, 3]),
                edge(col(3, "pk_user"), col(2, "fk_user"), &[2, 3]),
            ],
            root: Some(col(0, "pk_post")),
            ..Default::default()
        }
    }

    #[test]
    fn every_occurrence_gets_its_shortest_path() {
        let p = plan(&blog()).unwrap();
        assert_eq!(p.source(10).unwrap().reaches, vec![(0, Reach::Root)]);
        let users = &p.source(11).unwrap().reaches;
        assert_eq!(users.len(), 2);
        match &users[0].1 {
            Reach::Path(h) => {
                assert_eq!(h.len(), 1);
                assert_eq!(h[0].from, col(0, "fk_user"));
                assert_eq!(h[0].to, col(1, "pk_user"));
            }
            other => panic!("{other:?}"),
        }
        match &users[1].1 {
            Reach::Path(h) => assert_eq!(h.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn children_are_direct_and_lookups_are_not() {
        let p = plan(&blog()).unwrap();
        let root = col(0, "pk_post");
        assert!(p.source(10).unwrap().is_direct(Some(&root), false));
        assert!(p.source(10).unwrap().is_direct(Some(&root), true));
        assert!(!p.source(12).unwrap().is_direct(Some(&root), true));
        assert!(
            p.source(12).unwrap().is_direct(Some(&root), false),
            "comments join the key column"
        );
        assert!(
            !p.source(11).unwrap().is_direct(Some(&root), false),
            "users are found through posts' and comments' foreign keys"
        );
    }

    #[test]
    fn a_left_join_is_not_walked_back_towards_its_preserved_side() {
        // Root is the nullable side's table: the ON condition does not guard tb_post, so
        // tb_post is not reachable from tb_user through it.
        let mut m = blog();
        m.root = Some(col(1, "pk_user"));
        let p = plan(&m).unwrap();
        assert!(p.source(10).unwrap().recompute_all_reason().is_some());
    }

    #[test]
    fn untraceable_occurrences_recompute_everything_and_block_paths() {
        let mut m = blog();
        m.occurrences[2].untraceable = Some("inside a subquery with LIMIT".into());
        let p = plan(&m).unwrap();
        assert_eq!(
            p.source(12).unwrap().recompute_all_reason(),
            Some("inside a subquery with LIMIT")
        );
        // The comment's author was only reachable through the comment.
        assert!(matches!(
            p.source(11).unwrap().reaches[1].1,
            Reach::Untraceable(_)
        ));
    }

    #[test]
    fn a_null_safe_condition_that_links_nothing_is_named_as_a_filter() {
        // The comment's author joined IS NOT DISTINCT FROM where the analyzer found the
        // comment NULL-extended: the edge guards neither side.
        let why_users = |m: &DefinitionModel| {
            let p = plan(m).unwrap();
            let why = p
                .source(11)
                .unwrap()
                .recompute_all_reason()
                .map(str::to_string);
            why.unwrap()
        };
        let mut m = blog();
        m.edges[2].null_safe = true;
        m.edges[2].unlink();
        let why = why_users(&m);
        assert!(why.contains("it only filters"), "{why}");
        // A plain condition that leads nowhere is not called one.
        m.edges[2].null_safe = false;
        let why = why_users(&m);
        assert!(!why.contains("filters"), "{why}");
    }

    #[test]
    fn a_key_from_an_untraceable_occurrence_is_refused() {
        let mut m = blog();
        m.occurrences[0].untraceable = Some("x".into());
        assert!(matches!(plan(&m), Err(Error::KeyNotTraceable { .. })));
    }

    /// `(a JOIN b ON b.aid = a.id) FULL JOIN c ON c.x = a.x AND c.y = b.y`, keyed by the three
    /// ids: outer join 0 is the FULL JOIN.
    fn full_beside_inner() -> DefinitionModel {
        let on = |l, r| {
            let mut e = edge(l, r, &[0, 1, 2]);
            e.join = Some(0);
            e
        };
        let (ca, cb) = (on(col(2, "x"), col(0, "x")), on(col(2, "y"), col(1, "y")));
        DefinitionModel {
            occurrences: vec![table(1, "a"), table(2, "b"), table(3, "c")],
            edges: vec![edge(col(1, "aid"), col(0, "id"), &[0, 1]), ca, cb],
            root: Some(col(0, "id")),
            key_origins: vec![col(0, "id"), col(1, "id"), col(2, "id")],
            outer_joins: vec![crate::model::OuterJoin {
                sides: [[0, 1].into(), [2].into()],
                nulls: [true, true],
                other_conditions: false,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn with_no_table_in_every_row_each_key_table_finds_its_own_paths() {
        let m = full_beside_inner();
        assert!(m.rootless());
        let p = plan(&m).unwrap();
        assert_eq!(p.origin_trees.len(), 3);
        for s in &p.sources {
            assert!(matches!(s.reaches.as_slice(), [(_, Reach::Root)]));
        }
        // From a: b through the inner join (in every row a is in), c across the FULL JOIN.
        let from_a = origin_paths(&m, 0);
        assert_eq!(from_a[1].as_ref().unwrap().len(), 1);
        assert_eq!(from_a[2].as_ref().unwrap()[0].to.occ, 2);
    }

    /// `GROUP BY a.id` over `a FULL JOIN b ON b.aid = a.id`: a key of groups from one
    /// table (see `DefinitionModel::null_groups`).
    fn groups_of_a() -> DefinitionModel {
        let mut e = edge(col(1, "aid"), col(0, "id"), &[0, 1]);
        e.join = Some(0);
        DefinitionModel {
            occurrences: vec![table(1, "a"), table(2, "b")],
            edges: vec![e],
            root: Some(col(0, "id")),
            key_origins: vec![col(0, "id")],
            outer_joins: vec![crate::model::OuterJoin {
                sides: [[0].into(), [1].into()],
                nulls: [true, true],
                other_conditions: false,
            }],
            null_groups: true,
            all_null_group: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_key_of_groups_traces_every_table_to_its_groups() {
        let m = groups_of_a();
        assert!(m.spans_tables() && m.rootless());
        let p = plan(&m).unwrap();
        // b, outside the key, finds its groups from its own rows, across the ON to a.
        let trees: Vec<usize> = p.origin_trees.iter().map(|(from, _)| *from).collect();
        assert_eq!(trees, vec![0, 1]);
        assert_eq!(p.origin_trees[1].1[0][0].to.occ, 0);
        for s in &p.sources {
            assert!(matches!(s.reaches.as_slice(), [(_, Reach::Root)]), "{s:?}");
        }
        // The group of all NULLs is a group: a's changes look for it (its rows leaving
        // leave b's rows unmatched), b's do not (the join finds their own group).
        assert_eq!(m.null_patterns().len(), 2);
        assert_eq!(m.null_patterns_for(0).len(), 2);
        assert_eq!(m.null_patterns_for(1), vec![Default::default()]);
        // Each side is one table: an UPDATE keeping its ON values moves no row (by its
        // type's own equality only).
        assert_eq!(m.match_columns(0), Some(vec!["id".to_string()]));
        assert_eq!(m.match_columns(1), Some(vec!["aid".to_string()]));
        let mut other_op = m.clone();
        other_op.edges[0].exact = false;
        assert_eq!(other_op.match_columns(0), None);
        // A filter in the ON: b's rows may be unmatched though the join of its links finds
        // an a, so every change looks for every combination.
        let mut loose = m.clone();
        loose.outer_joins[0].other_conditions = true;
        assert_eq!(loose.null_patterns_for(1).len(), 2);
        // Without a key of groups, b's rows cannot be told apart in the stored rows.
        let mut rows = m.clone();
        rows.null_groups = false;
        rows.key_origins = vec![col(0, "id"), col(1, "id")];
        rows.all_null_group = false;
        assert_eq!(rows.null_patterns().len(), 3);
        // A table no join condition links to the key's tables recomputes every row.
        let mut apart = m;
        apart.edges.clear();
        let p = plan(&apart).unwrap();
        assert!(p.source(2).unwrap().recompute_all_reason().is_some());
    }

    #[test]
    fn a_path_never_crosses_a_full_join_back() {
        // From a, c is entered across the FULL JOIN; b must be reached through the inner
        // join, never from c back across the FULL JOIN (a row of a and b without c has no c
        // to go through).
        let mut m = full_beside_inner();
        let from_a = origin_paths(&m, 0);
        assert!(from_a[1].as_ref().unwrap().iter().all(|h| h.to.occ != 2));
        // Without the inner join's condition, b is out of reach from a.
        m.edges.remove(0);
        assert!(origin_paths(&m, 0)[1].is_none());
        assert!(matches!(plan(&m), Err(Error::KeyNotTraceable { .. })));
        // From c, both a and b are one step across the FULL JOIN's ON.
        let from_c = origin_paths(&m, 2);
        assert_eq!(from_c[0].as_ref().unwrap().len(), 1);
        assert_eq!(from_c[1].as_ref().unwrap().len(), 1);
    }

    #[test]
    fn a_condition_on_one_side_of_a_full_join_links_nothing() {
        // `a FULL JOIN (b JOIN c ON ...) ON a.x = b.x AND b.y = c.y`: b.y = c.y in the FULL
        // JOIN's ON only decides matches (an unmatched b and c need not meet it).
        let mut m = full_beside_inner();
        m.outer_joins[0].sides = [[0].into(), [1, 2].into()];
        m.edges = vec![
            {
                let mut e = edge(col(0, "x"), col(1, "x"), &[0, 1, 2]);
                e.join = Some(0);
                e
            },
            {
                let mut e = edge(col(1, "y"), col(2, "y"), &[0, 1, 2]);
                e.join = Some(0);
                e
            },
        ];
        assert!(origin_paths(&m, 1)[2].is_none());
        // On the nullable side of a LEFT JOIN the same condition holds wherever that side
        // has rows: it links.
        m.outer_joins[0].nulls = [false, true];
        assert!(origin_paths(&m, 1)[2].is_some());
    }
}
