//! From PostgreSQL's analyzed and rewritten query tree to the [`DefinitionModel`].
//!
//! The walk visits every query level (the definition, the views it reads, which the rewriter
//! has expanded into subqueries, FROM-subqueries, CTEs and sublinks) and records:
//! occurrences of base tables, the conjuncts `a.x OP b.y` that link two of them with the
//! occurrences each guards, and where every output column comes from. See `tviews_core::model`
//! for what the guards mean and `tviews_core::plan` for how they are used.

use std::collections::BTreeSet;

use pgrx::pg_sys;
use tviews_core::model::{
    ColumnRef, DefinitionModel, Edge, OccId, Occurrence, OuterJoin, TableRef,
};

use crate::errors::TviewError;
use crate::pg::names::{attribute_name, relation_name};
use crate::pg::nodes::{conjuncts, is_a, list_iter, list_nth, strip_relabel};

/// What the walk learned besides the model.
#[derive(Debug, Default)]
pub struct Extracted {
    pub model: DefinitionModel,
    /// Output columns of the outermost query, in order, with their origin when it is a
    /// plain column of a table.
    pub outputs: Vec<(String, Option<ColumnRef>)>,
    /// Per occurrence: on the nullable side of an outer join, or inside a sublink.
    pub flags: Vec<OccFlags>,
    /// The outermost query's join tree.
    pub shape: JoinShape,
}

/// A level's join tree, as far as which tables a row has a row of.
#[derive(Debug, Clone, Default)]
pub enum JoinShape {
    /// A table.
    Table(OccId),
    /// A subquery (a view), by its own join tree.
    Sub(Box<JoinShape>),
    /// Something that is no table (a function, VALUES).
    #[default]
    Nothing,
    /// Items joined by inner joins or listed in FROM.
    Inner(Vec<JoinShape>),
    /// An outer join: its two sides, and which it NULL-extends.
    Outer {
        sides: Box<[JoinShape; 2]>,
        nulls: [bool; 2],
    },
}

impl JoinShape {
    /// Does every row of this join tree have a row of one of the occurrences `of`?
    pub fn always_has_row_of(&self, of: &BTreeSet<OccId>) -> bool {
        match self {
            JoinShape::Table(occ) => of.contains(occ),
            JoinShape::Sub(inner) => inner.always_has_row_of(of),
            JoinShape::Nothing => false,
            JoinShape::Inner(items) => items.iter().any(|i| i.always_has_row_of(of)),
            JoinShape::Outer { sides, nulls } => {
                let (l, r) = (
                    sides[0].always_has_row_of(of),
                    sides[1].always_has_row_of(of),
                );
                // Matched rows have both sides; unmatched rows of one side (where the join
                // NULL-extends the other), that side only.
                match nulls {
                    [false, true] => l,
                    [true, false] => r,
                    [true, true] => l && r,
                    [false, false] => l || r,
                }
            }
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct OccFlags {
    pub nullable: bool,
    pub in_sublink: bool,
}

enum Rte {
    Relation(OccId),
    Subquery {
        outputs: Vec<Option<ColumnRef>>,
        occs: Vec<OccId>,
        shape: JoinShape,
    },
    Join,
    Other,
}

struct Level {
    query: *mut pg_sys::Query,
    rtes: Vec<Rte>,
    untraceable: Option<String>,
    in_sublink: bool,
    /// Every occurrence created while this level was being walked (its own and nested ones).
    occs: Vec<OccId>,
}

enum Guards {
    /// A WHERE conjunct: every occurrence under the level.
    Level,
    /// A join's ON conjunct: the occurrences it guards (see `tviews_core::model`), and those
    /// an outer join under it NULL-extends.
    Join {
        guarded: BTreeSet<OccId>,
        below: BTreeSet<OccId>,
        /// The outer join whose ON it is in (see `tviews_core::model::Edge::join`).
        join: Option<usize>,
    },
}

struct Walker {
    out: Extracted,
    levels: Vec<Level>,
    /// The join tree of the level walked last (see [`JoinShape`]).
    last_shape: JoinShape,
    /// The NULL-safe edges of a subquery's conjuncts that compare a column of its own with one
    /// of an enclosing level: (edge, the enclosing level's occurrence, the subquery's).
    outer_null_safe: Vec<(usize, OccId, OccId)>,
}

/// Walk `query` (analyzed and rewritten) into the model.
///
/// # Safety
/// `query` must be a valid analyzed `Query`, alive for the call.
pub unsafe fn extract(query: *mut pg_sys::Query) -> Result<Extracted, TviewError> {
    let mut w = Walker {
        out: Extracted::default(),
        levels: Vec::new(),
        last_shape: JoinShape::Nothing,
        outer_null_safe: Vec::new(),
    };
    // SAFETY: per contract.
    let outputs = unsafe { w.level(query, None, false)? };
    w.out.shape = std::mem::take(&mut w.last_shape);
    // A subquery's NULL-safe condition on a column of an enclosing level that an outer join
    // there NULL-extends without the subquery (a correlated or LATERAL subquery reading
    // `c.code` of a LEFT JOIN's `c`): it holds against the NULL of a row without `c`, where no
    // link from `c` leads. Such a condition links nothing. (An outer join that NULL-extends the
    // subquery's own rows, as a LEFT JOIN LATERAL does, decides after the condition held.)
    // Every outer join is known now.
    for &(i, outer, inner) in &w.outer_null_safe {
        let split = w
            .out
            .model
            .outer_groups()
            .any(|g| g.contains(&outer) && !g.contains(&inner));
        if split {
            w.out.model.edges[i].unlink();
        }
    }
    // Every table the definition reads must be among the occurrences walked above, or its
    // changes would reach no TVIEW row (and its row security and privileges go unchecked):
    // one read where the walk does not look (an unreferenced WITH query's, or a place
    // PostgreSQL adds later) is refused.
    // SAFETY: per contract.
    let read = unsafe { crate::pg::nodes::relations_read(query) };
    let walked: BTreeSet<u32> = w
        .out
        .model
        .occurrences
        .iter()
        .map(|o| o.table.oid)
        .collect();
    if let Some(missed) = read.into_iter().find(|r| !walked.contains(&r.to_u32())) {
        let (schema, name) = relation_name(missed).unwrap_or_default();
        return Err(TviewError::Refused {
            construct: format!("{schema}.{name} where it is read"),
            hint: "pg_tviews follows the tables a definition reads in its FROM lists, subqueries, WITH queries it reads, LIMIT and OFFSET, window frames, VALUES lists and function calls in FROM; this one is read elsewhere (a WITH query nothing reads?), so its changes would reach no row: read it from one of those places, or drop what reads it.".into(),
        });
    }
    // SAFETY: the target list belongs to `query`.
    let names = unsafe { output_names(query) };
    w.out.outputs = names.into_iter().zip(outputs).collect();
    Ok(w.out)
}

/// Names of the non-junk target entries.
pub(super) unsafe fn output_names(query: *mut pg_sys::Query) -> Vec<String> {
    // SAFETY: a valid Query's target list holds TargetEntry nodes.
    unsafe {
        list_iter::<pg_sys::TargetEntry>((*query).targetList)
            .filter(|te| !(**te).resjunk)
            .map(|te| crate::pg::nodes::cstring((*te).resname).unwrap_or_default())
            .collect()
    }
}

/// Why the rows of a subquery can influence TVIEW rows they are not linked to, if they can.
/// LIMIT and friends stay local when a condition ties the subquery's rows to each outer row
/// (see `Walker::linked_to_outer`): only rows satisfying it compete for its slots.
unsafe fn nonlocal_reason(q: *mut pg_sys::Query) -> Option<String> {
    // SAFETY: q is a valid Query.
    unsafe {
        let q = &*q;
        if !q.limitCount.is_null() || !q.limitOffset.is_null() {
            Some("it is inside a subquery with LIMIT or OFFSET".into())
        } else if q.hasWindowFuncs {
            Some("it is inside a subquery with window functions".into())
        } else if q.hasDistinctOn {
            Some("it is inside a subquery with DISTINCT ON".into())
        } else if !q.groupingSets.is_null() {
            Some("it is inside a subquery with GROUPING SETS, ROLLUP or CUBE".into())
        } else if !q.setOperations.is_null() {
            Some("it is inside UNION, INTERSECT or EXCEPT".into())
        } else {
            None
        }
    }
}

impl Walker {
    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// Walk one query level; returns where each output column comes from.
    unsafe fn level(
        &mut self,
        query: *mut pg_sys::Query,
        untraceable: Option<String>,
        in_sublink: bool,
    ) -> Result<Vec<Option<ColumnRef>>, TviewError> {
        self.levels.push(Level {
            query,
            rtes: Vec::new(),
            untraceable,
            in_sublink,
            occs: Vec::new(),
        });
        // SAFETY: query is valid; every node is cast only after its tag is checked.
        unsafe {
            for rte in list_iter::<pg_sys::RangeTblEntry>((*query).rtable) {
                let r = self.rte(rte)?;
                self.levels.last_mut().expect("pushed above").rtes.push(r);
            }
            let mut pending = Vec::new();
            self.jointree((*query).jointree as *mut pg_sys::Node, false, &mut pending);
            let shape = self.shape((*query).jointree as *mut pg_sys::Node);
            self.sublinks_in((*query).targetList as *mut pg_sys::Node)?;
            self.sublinks_in((*query).jointree as *mut pg_sys::Node)?;
            self.sublinks_in((*query).havingQual)?;
            // The other places of a level where a subquery may read a table: LIMIT and
            // OFFSET, a window frame's offsets, and FROM items computed from expressions
            // (VALUES lists, function calls, JSON_TABLE and XMLTABLE). `extract` refuses a
            // table read anywhere else.
            self.sublinks_in((*query).limitCount)?;
            self.sublinks_in((*query).limitOffset)?;
            for w in list_iter::<pg_sys::WindowClause>((*query).windowClause) {
                self.sublinks_in((*w).startOffset)?;
                self.sublinks_in((*w).endOffset)?;
            }
            for rte in list_iter::<pg_sys::RangeTblEntry>((*query).rtable) {
                match (*rte).rtekind {
                    pg_sys::RTEKind::RTE_VALUES => {
                        self.sublinks_in((*rte).values_lists as *mut pg_sys::Node)?
                    }
                    pg_sys::RTEKind::RTE_FUNCTION => {
                        self.sublinks_in((*rte).functions as *mut pg_sys::Node)?
                    }
                    pg_sys::RTEKind::RTE_TABLEFUNC => {
                        self.sublinks_in((*rte).tablefunc as *mut pg_sys::Node)?
                    }
                    _ => {}
                }
            }
            let depth = self.depth();
            // A set operation's columns come from every branch (its target list names the
            // first one's), and GROUPING SETS, ROLLUP and CUBE show a grouped column NULL in
            // the rows that roll it up: neither is one table's column, nothing links through
            // them.
            let mixed = !(*query).setOperations.is_null() || !(*query).groupingSets.is_null();
            let outputs = list_iter::<pg_sys::TargetEntry>((*query).targetList)
                .filter(|te| !(**te).resjunk)
                .map(|te| {
                    if mixed {
                        None
                    } else {
                        self.resolve((*te).expr as *mut pg_sys::Node, depth)
                    }
                })
                .collect();
            for (conjunct, guards) in pending {
                let edge = self.edge(conjunct);
                if let (None, Guards::Join { join: Some(j), .. }) = (&edge, &guards) {
                    self.out.model.outer_joins[*j].other_conditions = true;
                }
                if let Some(mut edge) = edge {
                    let (guarded, below) = match guards {
                        Guards::Level => {
                            let occs: BTreeSet<OccId> =
                                self.levels[depth].occs.iter().copied().collect();
                            let below = self.null_extended_among(&occs);
                            (occs, below)
                        }
                        Guards::Join {
                            guarded,
                            below,
                            join,
                        } => {
                            edge.join = join;
                            (guarded, below)
                        }
                    };
                    edge.guards = guarded;
                    if edge.null_safe {
                        self.restrict_null_safe(&mut edge, &below, depth);
                    }
                    self.out.model.edges.push(edge);
                }
            }
            self.levels.pop();
            self.last_shape = shape;
            Ok(outputs)
        }
    }

    /// The shape of the current level's join tree `node` (see [`JoinShape`]).
    unsafe fn shape(&self, node: *mut pg_sys::Node) -> JoinShape {
        use pg_sys::JoinType::*;
        // SAFETY: tags checked before each cast; all nodes belong to the current query.
        unsafe {
            if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
                let idx = (*(node as *mut pg_sys::RangeTblRef)).rtindex as usize - 1;
                match self.levels[self.depth()].rtes.get(idx) {
                    Some(Rte::Relation(o)) => JoinShape::Table(*o),
                    Some(Rte::Subquery { shape, .. }) => JoinShape::Sub(Box::new(shape.clone())),
                    _ => JoinShape::Nothing,
                }
            } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
                let j = &*(node as *mut pg_sys::JoinExpr);
                let sides = Box::new([self.shape(j.larg), self.shape(j.rarg)]);
                match j.jointype {
                    JOIN_LEFT => JoinShape::Outer {
                        sides,
                        nulls: [false, true],
                    },
                    JOIN_RIGHT => JoinShape::Outer {
                        sides,
                        nulls: [true, false],
                    },
                    JOIN_FULL => JoinShape::Outer {
                        sides,
                        nulls: [true, true],
                    },
                    _ => {
                        let [l, r] = *sides;
                        JoinShape::Inner(vec![l, r])
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
                let f = &*(node as *mut pg_sys::FromExpr);
                JoinShape::Inner(
                    list_iter::<pg_sys::Node>(f.fromlist)
                        .map(|n| self.shape(n))
                        .collect(),
                )
            } else {
                JoinShape::Nothing
            }
        }
    }

    fn new_occurrence(&mut self, relid: pg_sys::Oid) -> Result<OccId, TviewError> {
        let (schema, name) = relation_name(relid).ok_or(TviewError::Internal(
            "a relation of the definition disappeared".into(),
        ))?;
        let level = self.levels.last().expect("inside a level");
        let id = self.out.model.occurrences.len();
        self.out.model.occurrences.push(Occurrence {
            table: TableRef {
                oid: relid.to_u32(),
                schema,
                name,
            },
            untraceable: level.untraceable.clone(),
        });
        self.out.flags.push(OccFlags {
            nullable: false,
            in_sublink: level.in_sublink,
        });
        for l in &mut self.levels {
            l.occs.push(id);
        }
        Ok(id)
    }

    unsafe fn rte(&mut self, rte: *mut pg_sys::RangeTblEntry) -> Result<Rte, TviewError> {
        // SAFETY: rte comes from a valid range table.
        unsafe {
            let r = &*rte;
            Ok(match r.rtekind {
                pg_sys::RTEKind::RTE_RELATION => {
                    check_source(r)?;
                    Rte::Relation(self.new_occurrence(r.relid)?)
                }
                pg_sys::RTEKind::RTE_SUBQUERY => {
                    let inherited = self.levels.last().and_then(|l| l.untraceable.clone());
                    let linked = self.linked_to_outer(r.subquery, self.levels.len());
                    let reason = inherited
                        .or_else(|| (!linked).then(|| nonlocal_reason(r.subquery)).flatten());
                    let in_sublink = self.levels.last().is_some_and(|l| l.in_sublink);
                    let before = self.out.model.occurrences.len();
                    let outputs = self.level(r.subquery, reason, in_sublink)?;
                    let occs = (before..self.out.model.occurrences.len()).collect();
                    let shape = std::mem::take(&mut self.last_shape);
                    Rte::Subquery {
                        outputs,
                        occs,
                        shape,
                    }
                }
                // A recursive WITH query's reference to itself: its rows are the query's own,
                // whose tables the enclosing reference already counts.
                pg_sys::RTEKind::RTE_CTE if r.self_reference => Rte::Other,
                pg_sys::RTEKind::RTE_CTE => {
                    let cte = self.find_cte(r)?;
                    let inherited = self.levels.last().and_then(|l| l.untraceable.clone());
                    let body = (*cte).ctequery as *mut pg_sys::Query;
                    let definer = self.cte_definer(r)?;
                    let reason = if (*cte).cterecursive {
                        Some("it is inside a recursive WITH query".into())
                    } else {
                        // Walked one level below the query that defines it (see below).
                        let linked = self.linked_to_outer(body, definer + 1);
                        inherited.or_else(|| (!linked).then(|| nonlocal_reason(body)).flatten())
                    };
                    let in_sublink = self.levels.last().is_some_and(|l| l.in_sublink);
                    let before = self.out.model.occurrences.len();
                    // The WITH query is written one level below the query defining it, not
                    // below this reference: its outer columns and the WITH queries it reads
                    // are found from there (`WITH b AS (...), c AS (SELECT ... FROM b)` read
                    // from a subquery that defines another `b`). The levels in between wait
                    // aside, and count its occurrences as theirs after.
                    let aside = self.levels.split_off(definer + 1);
                    let walked = self.level(body, reason, in_sublink);
                    self.levels.extend(aside);
                    let outputs = walked?;
                    let created = before..self.out.model.occurrences.len();
                    for l in &mut self.levels[definer + 1..] {
                        l.occs.extend(created.clone());
                    }
                    let occs = created.collect();
                    let shape = std::mem::take(&mut self.last_shape);
                    Rte::Subquery {
                        outputs,
                        occs,
                        shape,
                    }
                }
                pg_sys::RTEKind::RTE_JOIN => Rte::Join,
                _ => Rte::Other,
            })
        }
    }

    /// Does subquery `q` (about to be walked one level below the current one) keep only rows
    /// tied to each outer row: a condition of its `WHERE`, or of an inner join's `ON` no outer
    /// join is above, comparing a column of a table of its own with a column of an enclosing
    /// level by a strict (or `IS NOT DISTINCT FROM`) non-volatile operator (`c.fk = p.pk`,
    /// `c.v > p.target`)? Every row ranked for an outer row then satisfies it, so a changed
    /// row can change only the outer rows it holds for, which the change path finds through
    /// that same condition: its LIMIT, OFFSET, window functions or DISTINCT ON stay local. An
    /// outer column read anywhere else (its ORDER BY, its select list, a filter on the outer
    /// row alone as `WHERE p.active`) leaves every row competing for every outer row. A set
    /// operation is tied when each of its branches is (`WHERE p.fk = o.pk UNION ALL ...`).
    /// `below` is the level `q` is walked at (the branches of a set operation one further).
    unsafe fn linked_to_outer(&self, q: *mut pg_sys::Query, below: usize) -> bool {
        // SAFETY: q is a valid Query below the current level; tags are checked before casts.
        unsafe {
            if !(*q).setOperations.is_null() {
                let mut leaves = Vec::new();
                set_operation_leaves((*q).setOperations, &mut leaves);
                return !leaves.is_empty()
                    && leaves.into_iter().all(|rtindex| {
                        list_nth::<pg_sys::RangeTblEntry>((*q).rtable, rtindex - 1).is_some_and(
                            |rte| {
                                (*rte).rtekind == pg_sys::RTEKind::RTE_SUBQUERY
                                    && self.linked_to_outer((*rte).subquery, below + 1)
                            },
                        )
                    });
            }
            let mut quals: Vec<*mut pg_sys::Node> = Vec::new();
            let mut inner: Vec<*mut pg_sys::Node> = Vec::new();
            let from = (*q).jointree;
            if from.is_null() {
                return false;
            }
            quals.push((*from).quals);
            inner.extend(list_iter::<pg_sys::Node>((*from).fromlist));
            while let Some(node) = inner.pop() {
                if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
                    let j = &*(node as *mut pg_sys::JoinExpr);
                    if j.jointype == pg_sys::JoinType::JOIN_INNER {
                        quals.push(j.quals);
                        inner.extend([j.larg, j.rarg]);
                    }
                } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
                    let f = &*(node as *mut pg_sys::FromExpr);
                    quals.push(f.quals);
                    inner.extend(list_iter::<pg_sys::Node>(f.fromlist));
                }
            }
            let mut all = Vec::new();
            for qual in quals {
                conjuncts(qual, &mut all);
            }
            all.into_iter().any(|conjunct| {
                let Some((op, _)) = linking_operator(conjunct) else {
                    return false;
                };
                let op = &*op;
                let var = |i: usize| {
                    list_nth::<pg_sys::Node>(op.args, i)
                        .map(|a| strip_relabel(a))
                        .filter(|a| is_a(*a, pg_sys::NodeTag::T_Var))
                        .map(|a| a as *mut pg_sys::Var)
                };
                let (Some(l), Some(r)) = (var(0), var(1)) else {
                    return false;
                };
                // A column of a table of q's own, and one of an enclosing level that is a
                // table's column there (resolved against the levels walked so far).
                let own = |v: *mut pg_sys::Var| {
                    (*v).varlevelsup == 0
                        && (*v).varattno > 0
                        && list_nth::<pg_sys::RangeTblEntry>((*q).rtable, (*v).varno as usize - 1)
                            .is_some_and(|rte| (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION)
                };
                let outer = |v: *mut pg_sys::Var| {
                    (*v).varlevelsup >= 1 && self.resolve(v as *mut pg_sys::Node, below).is_some()
                };
                (own(l) && outer(r)) || (own(r) && outer(l))
            })
        }
    }

    /// The level (index into `levels`) of the query that defines the WITH query `r` reads.
    fn cte_definer(&self, r: &pg_sys::RangeTblEntry) -> Result<usize, TviewError> {
        self.depth()
            .checked_sub(r.ctelevelsup as usize)
            .ok_or(TviewError::Internal("WITH reference out of range".into()))
    }

    unsafe fn find_cte(
        &self,
        r: &pg_sys::RangeTblEntry,
    ) -> Result<*mut pg_sys::CommonTableExpr, TviewError> {
        let at = self.cte_definer(r)?;
        // SAFETY: the CTE list of a valid query holds CommonTableExpr nodes.
        unsafe {
            let want = std::ffi::CStr::from_ptr(r.ctename);
            list_iter::<pg_sys::CommonTableExpr>((*self.levels[at].query).cteList)
                .find(|c| std::ffi::CStr::from_ptr((**c).ctename) == want)
                .ok_or(TviewError::Internal("WITH query not found".into()))
        }
    }

    /// A NULL-safe condition holds in a row an outer join under it NULL-extends too (NULL
    /// against NULL): such a row is one where that join found no match, which only its own ON
    /// decides. Linking through the condition would miss the rows whose match a change makes
    /// or unmakes (a WHERE a.z IS NOT DISTINCT FROM b.z over a LEFT JOIN b), and, from the
    /// other side, the rows that pair with no row of the NULL-extended table at all (a LEFT
    /// JOIN d ON d.code IS NOT DISTINCT FROM c.code, where c is NULL-extended by an earlier
    /// LEFT JOIN): such an edge links nothing. `below` holds the occurrences outer joins under
    /// the conjunct NULL-extend; a column of an enclosing level, whose outer joins may not be
    /// recorded yet (a LATERAL subquery), is judged in `extract`.
    fn restrict_null_safe(&mut self, edge: &mut Edge, below: &BTreeSet<OccId>, depth: usize) {
        let (l, r) = (edge.left.occ, edge.right.occ);
        if below.contains(&l) || below.contains(&r) {
            edge.unlink();
        }
        let here = &self.levels[depth].occs;
        let at = self.out.model.edges.len();
        match (here.contains(&l), here.contains(&r)) {
            (true, false) => self.outer_null_safe.push((at, r, l)),
            (false, true) => self.outer_null_safe.push((at, l, r)),
            _ => {}
        }
    }

    /// The occurrences of `occs` that an outer join recorded so far NULL-extends. Outer joins
    /// are recorded as they are walked (those of a subquery in FROM before the level's join
    /// tree), and their occurrences are disjoint from other branches': called for a join's
    /// two sides before recording the join's own groups, these are the outer joins under it.
    fn null_extended_among(&self, occs: &BTreeSet<OccId>) -> BTreeSet<OccId> {
        self.out
            .model
            .outer_groups()
            .filter(|g| !g.is_disjoint(occs))
            .flatten()
            .copied()
            .collect()
    }

    /// Walk a join tree, collecting conjuncts with their guards; returns the occurrences
    /// under `node`.
    unsafe fn jointree(
        &mut self,
        node: *mut pg_sys::Node,
        nullable: bool,
        pending: &mut Vec<(*mut pg_sys::Node, Guards)>,
    ) -> BTreeSet<OccId> {
        let depth = self.depth();
        // SAFETY: tags checked before each cast; all nodes belong to the current query.
        unsafe {
            if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
                let idx = (*(node as *mut pg_sys::RangeTblRef)).rtindex as usize - 1;
                let occs: BTreeSet<OccId> = match &self.levels[depth].rtes[idx] {
                    Rte::Relation(o) => [*o].into(),
                    Rte::Subquery { occs, .. } => occs.iter().copied().collect(),
                    _ => BTreeSet::new(),
                };
                if nullable {
                    for o in &occs {
                        self.out.flags[*o].nullable = true;
                    }
                }
                occs
            } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
                let j = &*(node as *mut pg_sys::JoinExpr);
                use pg_sys::JoinType::*;
                let left_nullable = nullable || matches!(j.jointype, JOIN_RIGHT | JOIN_FULL);
                let right_nullable = nullable || matches!(j.jointype, JOIN_LEFT | JOIN_FULL);
                let l = self.jointree(j.larg, left_nullable, pending);
                let r = self.jointree(j.rarg, right_nullable, pending);
                let mut guarded = constrained_by_join(j.jointype, &l, &r);
                // The occurrences outer joins under this one NULL-extend (its own are not
                // recorded yet).
                let below = self.null_extended_among(&l.union(&r).copied().collect());
                // The occurrences each outer join NULL-extends together, and the join itself
                // (its conditions link its sides only where it found a match).
                let nulls = match j.jointype {
                    JOIN_LEFT => Some([false, true]),
                    JOIN_RIGHT => Some([true, false]),
                    JOIN_FULL => Some([true, true]),
                    _ => None,
                };
                let mut join = None;
                if let Some(nulls) = nulls {
                    join = Some(self.out.model.outer_joins.len());
                    // A side that is not one table as it is (a join, a subquery or view
                    // with conditions of its own) decides matches beyond the ON's links;
                    // so does a conjunct of its ON that is not a link (below).
                    let table = |arg: *mut pg_sys::Node| {
                        is_a(arg, pg_sys::NodeTag::T_RangeTblRef)
                            && matches!(
                                self.levels[depth]
                                    .rtes
                                    .get((*(arg as *mut pg_sys::RangeTblRef)).rtindex as usize - 1),
                                Some(Rte::Relation(_))
                            )
                    };
                    let other_conditions = !(table(j.larg) && table(j.rarg));
                    self.out.model.outer_joins.push(OuterJoin {
                        sides: [l.clone(), r.clone()],
                        nulls,
                        other_conditions,
                    });
                    if nulls == [true, true] {
                        // A matched pair holds the ON's conditions: they guard both sides
                        // (see `tviews_core::plan::origin_paths` for how they are crossed).
                        guarded = l.union(&r).copied().collect();
                    }
                }
                let mut cs = Vec::new();
                conjuncts(j.quals, &mut cs);
                for c in cs {
                    pending.push((
                        c,
                        Guards::Join {
                            guarded: guarded.clone(),
                            below: below.clone(),
                            join,
                        },
                    ));
                }
                l.union(&r).copied().collect()
            } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
                let f = &*(node as *mut pg_sys::FromExpr);
                let mut all = BTreeSet::new();
                for child in list_iter::<pg_sys::Node>(f.fromlist) {
                    all.extend(self.jointree(child, nullable, pending));
                }
                let mut cs = Vec::new();
                conjuncts(f.quals, &mut cs);
                for c in cs {
                    pending.push((c, Guards::Level));
                }
                all
            } else {
                BTreeSet::new()
            }
        }
    }

    /// Walk every SubLink in `node` (not descending into their queries, which become levels).
    unsafe fn sublinks_in(&mut self, node: *mut pg_sys::Node) -> Result<(), TviewError> {
        let mut found = Vec::new();
        // SAFETY: the walker only reads the tree.
        unsafe { collect_sublinks(node, &mut found) };
        for sublink in found {
            // SAFETY: collect_sublinks returns SubLink nodes whose subselect is a Query.
            unsafe {
                let sub = (*sublink).subselect as *mut pg_sys::Query;
                let inherited = self.levels.last().and_then(|l| l.untraceable.clone());
                let reason = inherited.or_else(|| {
                    if self.linked_to_outer(sub, self.levels.len()) {
                        None // LIMIT and friends rank each outer row's rows: still local
                    } else {
                        nonlocal_reason(sub)
                    }
                });
                self.level(sub, reason, true)?;
            }
        }
        Ok(())
    }

    /// Where an expression comes from, when it is a plain column of a table.
    unsafe fn resolve(&self, node: *mut pg_sys::Node, depth: usize) -> Option<ColumnRef> {
        // SAFETY: tags checked; Vars index the range table of the level they belong to.
        unsafe {
            let node = strip_relabel(node);
            if !is_a(node, pg_sys::NodeTag::T_Var) {
                return None;
            }
            let var = &*(node as *mut pg_sys::Var);
            let at = depth.checked_sub(var.varlevelsup as usize)?;
            let level = self.levels.get(at)?;
            let idx = (var.varno as usize).checked_sub(1)?;
            if var.varattno <= 0 {
                return None; // system column or whole-row reference
            }
            let attno = var.varattno as usize;
            match level.rtes.get(idx)? {
                Rte::Relation(occ) => {
                    let relid = pg_sys::Oid::from(self.out.model.occurrences[*occ].table.oid);
                    Some(ColumnRef {
                        occ: *occ,
                        column: attribute_name(relid, var.varattno)?,
                    })
                }
                Rte::Subquery { outputs, .. } => outputs.get(attno - 1)?.clone(),
                Rte::Join => {
                    let rte = list_nth::<pg_sys::RangeTblEntry>((*level.query).rtable, idx)?;
                    let alias = list_nth::<pg_sys::Node>((*rte).joinaliasvars, attno - 1)?;
                    self.resolve(alias, at)
                }
                Rte::Other => None,
            }
        }
    }

    /// An edge from a conjunct of the current level, if it is `col OP col` across two
    /// occurrences with an operator that can link rows (see [`linking_operator`]); another
    /// conjunct is a filter only.
    unsafe fn edge(&self, conjunct: *mut pg_sys::Node) -> Option<Edge> {
        // SAFETY: tags checked before the casts.
        unsafe {
            let (op, null_safe) = linking_operator(conjunct)?;
            let op = &*op;
            let depth = self.depth();
            let left = self.resolve(list_nth(op.args, 0)?, depth)?;
            let right = self.resolve(list_nth(op.args, 1)?, depth)?;
            if left.occ == right.occ {
                return None;
            }
            let (lt, rt) = (
                pg_sys::exprType(list_nth(op.args, 0)?),
                pg_sys::exprType(list_nth(op.args, 1)?),
            );
            // The operands' own equality, under a collation that tells values apart by their
            // bytes: a value is then a key exactly as the unique index of either side sees it.
            let deterministic = op.inputcollid == pg_sys::InvalidOid
                || crate::pg::names::collation_is_deterministic(op.inputcollid);
            // Both operands columns of one type (a varchar or a domain is compared as its
            // base type, through a relabeling): a changed row's value is then a key as it is.
            let column_type = |i: usize| {
                list_nth::<pg_sys::Node>(op.args, i)
                    .map(|a| crate::pg::nodes::strip_relabel(a))
                    .filter(|a| is_a(*a, pg_sys::NodeTag::T_Var))
                    .map(|a| (*(a as *mut pg_sys::Var)).vartype)
            };
            // (A domain's column against its base type's: the same values, as a cascade
            // reads a TVIEW table storing a domain's column as its base type.)
            let exact = matches!((column_type(0), column_type(1)),
                                 (Some(a), Some(b)) if pg_sys::getBaseType(a) == pg_sys::getBaseType(b))
                && lt == rt
                && deterministic
                && crate::pg::names::equality_operator_oid(lt) == Some(op.opno);
            Some(Edge {
                left,
                right,
                // NULL matching NULL: a value does not stand for the rows equal to it alone.
                exact: exact && !null_safe,
                null_safe,
                operator: crate::pg::names::operator_ref(
                    op.opno,
                    pg_sys::exprType(list_nth(op.args, 0)?),
                    pg_sys::exprType(list_nth(op.args, 1)?),
                )?,
                guards: BTreeSet::new(),
                join: None,
            })
        }
    }
}

/// Does `q` give each row of its FROM list at most one row of its own, whatever the other
/// rows are (no grouping, aggregates, window functions, set-returning functions in the
/// select list, DISTINCT, LIMIT or set operations)?
pub(super) fn row_by_row(q: &pg_sys::Query) -> bool {
    q.groupClause.is_null()
        && q.groupingSets.is_null()
        && q.havingQual.is_null()
        && !q.hasAggs
        && !q.hasWindowFuncs
        && !q.hasTargetSRFs
        && q.distinctClause.is_null()
        && q.limitCount.is_null()
        && q.limitOffset.is_null()
        && q.setOperations.is_null()
}

/// Refuse tables whose changes statement triggers with transition tables cannot see.
fn check_source(r: &pg_sys::RangeTblEntry) -> Result<(), TviewError> {
    // SAFETY: a catalog lookup of a relation the analyzer just resolved.
    let system = unsafe { pg_sys::IsCatalogRelationOid(r.relid) };
    let what = match r.relkind as u8 {
        _ if system => Some("a system catalog"),
        b'r' => {
            let (has_children, is_child) = (
                crate::pg::scan::has_inheritance_children(r.relid),
                crate::pg::scan::has_inheritance_parent(r.relid),
            );
            if r.inh && has_children {
                Some("a table with inheritance children")
            } else if is_child {
                // Writes made through the parent (or the partitioned table) fire the parent's
                // statement triggers, not the child's.
                Some("a partition or an inheritance child")
            } else {
                None
            }
        }
        b'p' => Some("a partitioned table"),
        b'm' => Some("a materialized view"),
        b'f' => Some("a foreign table"),
        _ => Some("a relation of this kind"),
    };
    match what {
        None => Ok(()),
        Some(kind) => {
            let (schema, name) = relation_name(r.relid).unwrap_or_default();
            Err(TviewError::UnsupportedSource {
                relation: format!("{schema}.{name}"),
                kind: kind.into(),
            })
        }
    }
}

/// The items (of the left side `l` and the right side `r`) whose rows a join's condition
/// constrains: both sides of an inner join, the nullable side of an outer join, none of a
/// FULL JOIN.
pub fn constrained_by_join(
    jointype: pg_sys::JoinType::Type,
    l: &BTreeSet<usize>,
    r: &BTreeSet<usize>,
) -> BTreeSet<usize> {
    use pg_sys::JoinType::*;
    match jointype {
        JOIN_INNER => l.union(r).copied().collect(),
        JOIN_LEFT => r.clone(),
        JOIN_RIGHT => l.clone(),
        _ => BTreeSet::new(),
    }
}

/// The operator of conjunct `conjunct` when it can link rows: `a OP b` with a non-volatile
/// strict boolean operator of two arguments (one that is not strict may hold with a NULL
/// operand, in a row an outer join NULL-extends, where no link leads), or `a IS NOT
/// DISTINCT FROM b` (then true, the second value).
unsafe fn linking_operator(conjunct: *mut pg_sys::Node) -> Option<(*mut pg_sys::OpExpr, bool)> {
    // SAFETY: tags checked before the casts.
    unsafe {
        let null_safe = crate::pg::nodes::not_distinct(conjunct);
        if null_safe.is_none() && !is_a(conjunct, pg_sys::NodeTag::T_OpExpr) {
            return None;
        }
        let op = null_safe.unwrap_or(conjunct as *mut pg_sys::OpExpr);
        let o = &*op;
        (crate::pg::nodes::list_len(o.args) == 2
            && o.opresulttype == pg_sys::BOOLOID
            && !o.opretset
            && pg_sys::op_volatile(o.opno) != pg_sys::PROVOLATILE_VOLATILE as std::ffi::c_char
            && (null_safe.is_some() || pg_sys::op_strict(o.opno)))
        .then_some((op, null_safe.is_some()))
    }
}

/// The range-table indexes of the branches of set operation tree `node`.
unsafe fn set_operation_leaves(node: *mut pg_sys::Node, out: &mut Vec<usize>) {
    // SAFETY: tags are checked before casts.
    unsafe {
        if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
            out.push((*(node as *mut pg_sys::RangeTblRef)).rtindex as usize);
        } else if is_a(node, pg_sys::NodeTag::T_SetOperationStmt) {
            let op = &*(node as *mut pg_sys::SetOperationStmt);
            set_operation_leaves(op.larg, out);
            set_operation_leaves(op.rarg, out);
        }
    }
}

/// Collect SubLink nodes in an expression tree without entering their subqueries.
unsafe fn collect_sublinks(node: *mut pg_sys::Node, out: &mut Vec<*mut pg_sys::SubLink>) {
    use crate::pg::nodes::{walk, Visit};
    // SAFETY: the walk only reads the tree; tags are checked before casts. A sublink's test
    // expression belongs to this level; its subquery is walked as its own level by the
    // caller.
    unsafe {
        walk(node, &mut |n, _| {
            if is_a(n, pg_sys::NodeTag::T_SubLink) {
                out.push(n as *mut pg_sys::SubLink);
            } else if is_a(n, pg_sys::NodeTag::T_Query) {
                return Visit::Skip;
            }
            Visit::Descend
        });
    }
}
