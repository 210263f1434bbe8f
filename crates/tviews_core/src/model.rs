//! The definition model: what the analyzer found in a TVIEW's SELECT, reduced to what
//! maintenance needs.
//!
//! The shell walks PostgreSQL's analyzed and rewritten query tree (views expanded) and
//! describes it here:
//!
//! * every **occurrence** of a base table (one per appearance: a table joined twice is two
//!   occurrences), with the scope it sits in;
//! * every **edge**: a conjunct `a.x OP b.y` between columns of two different occurrences, with
//!   the set of occurrences it *guards*: those whose rows can only contribute to a TVIEW row
//!   while the conjunct holds. A WHERE conjunct guards every occurrence under its query level;
//!   an inner join's ON guards both sides; a LEFT JOIN's ON guards only the nullable side; a
//!   correlated subquery's conjuncts guard that subquery's occurrences;
//! * the **root**: the occurrence whose column is the TVIEW's key.
//!
//! Occurrences whose influence cannot be traced through edges (inside an uncorrelated
//! subquery with LIMIT, behind an OR, ...) are marked with the reason; changes to them
//! recompute every row.

use std::collections::BTreeSet;

/// Index into [`DefinitionModel::occurrences`].
pub type OccId = usize;

/// At most this many outer joins may NULL-extend a key's columns: each change's key query
/// tries every combination of them (see [`DefinitionModel::null_patterns`]).
pub const MAX_KEY_OUTER_JOINS: usize = 4;

/// Why every change of a definition of at most one row (an aggregate without GROUP BY)
/// recomputes that row: the reason each of its occurrences is untraceable for.
pub const ONE_ROW_REASON: &str =
    "the definition is at most one row (an aggregate without GROUP BY): a change recomputes it";

/// A table as SQL sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableRef {
    pub oid: u32,
    pub schema: String,
    pub name: String,
}

/// One operator exactly: its schema and name, as `OPERATOR(schema.name)` spells it, and its
/// declared operand types (qualified SQL type names). Generated SQL casts both operands to
/// those types, so PostgreSQL's operator resolution, which looks at every operator of that
/// name and schema, finds this one as the exact match: an operator someone adds later for
/// other operand types (a domain over the key's type, say) is never chosen instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRef {
    pub schema: String,
    pub name: String,
    pub left: String,
    pub right: String,
}

impl OperatorRef {
    /// `pg_catalog.=(int4, int4)`, for tests.
    pub fn equals() -> OperatorRef {
        OperatorRef {
            schema: "pg_catalog".into(),
            name: "=".into(),
            left: "integer".into(),
            right: "integer".into(),
        }
    }
}

/// A column together with the equality operator that identifies its values (the default
/// btree operator class's of its type, as a primary key uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EqColumn {
    pub name: String,
    pub eq: OperatorRef,
}

/// One appearance of a base table in the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub table: TableRef,
    /// Why changes to this occurrence cannot be traced to keys, if they cannot.
    pub untraceable: Option<String>,
}

#[cfg(test)]
impl Occurrence {
    /// A traceable occurrence of `public.<name>`, for tests.
    pub fn public(oid: u32, name: &str) -> Occurrence {
        Occurrence {
            table: TableRef {
                oid,
                schema: "public".into(),
                name: name.into(),
            },
            untraceable: None,
        }
    }
}

#[cfg(test)]
impl DefinitionModel {
    /// Products (the root, key `pk_product`) with their category (a lookup joined on
    /// `fk_category`) and reviews (children joined on `fk_product`), for tests.
    pub fn product_category_review() -> DefinitionModel {
        let c = |occ, column: &str| ColumnRef {
            occ,
            column: column.into(),
        };
        DefinitionModel {
            occurrences: vec![
                Occurrence::public(1, "tb_product"),
                Occurrence::public(2, "tb_category"),
                Occurrence::public(3, "tb_review"),
            ],
            edges: vec![
                Edge {
                    left: c(1, "pk_category"),
                    right: c(0, "fk_category"),
                    operator: OperatorRef::equals(),
                    exact: true,
                    null_safe: false,
                    guards: [1].into(),
                    join: None,
                },
                Edge {
                    left: c(2, "fk_product"),
                    right: c(0, "pk_product"),
                    operator: OperatorRef::equals(),
                    exact: true,
                    null_safe: false,
                    guards: [2].into(),
                    join: None,
                },
            ],
            root: Some(c(0, "pk_product")),
            ..Default::default()
        }
    }
}

#[cfg(test)]
impl DefinitionModel {
    /// Posts and tags sharing a label (`tb_post p JOIN tb_tag t ON t.label = p.label`), keyed
    /// by the pair `pk_post, pk_tag`; with the TVIEW's key column names, for tests.
    pub fn posts_and_tags() -> (DefinitionModel, Vec<String>) {
        let c = |occ, column: &str| ColumnRef {
            occ,
            column: column.into(),
        };
        let model = DefinitionModel {
            occurrences: vec![
                Occurrence::public(1, "tb_post"),
                Occurrence::public(2, "tb_tag"),
            ],
            edges: vec![Edge {
                left: c(1, "label"),
                right: c(0, "label"),
                operator: OperatorRef::equals(),
                exact: true,
                null_safe: false,
                guards: [0, 1].into(),
                join: None,
            }],
            root: Some(c(0, "pk_post")),
            root_columns: vec!["pk_post".into(), "pk_tag".into()],
            key_type: Some("public.tv_post_tag_key".into()),
            key_origins: vec![c(0, "pk_post"), c(1, "pk_tag")],
            outer_joins: Vec::new(),
            null_groups: false,
            all_null_group: false,
        };
        (model, vec!["pk_post".into(), "pk_tag".into()])
    }
}

/// A column of an occurrence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnRef {
    pub occ: OccId,
    pub column: String,
}

/// A conjunct `left OP right` linking two occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub left: ColumnRef,
    pub right: ColumnRef,
    pub operator: OperatorRef,
    /// The operator is the equality of its operands' one type (the one its default btree
    /// operator class uses, as a unique index does), under no collation or a deterministic
    /// one: a value on one side stands for exactly the rows with that value on the other.
    pub exact: bool,
    /// Written `left IS NOT DISTINCT FROM right`: NULL matches NULL (the operator is the
    /// equality it tests with otherwise); never `exact`.
    pub null_safe: bool,
    /// Occurrences whose contribution requires this conjunct to hold.
    pub guards: BTreeSet<OccId>,
    /// The outer join whose `ON` the conjunct is in (an index into
    /// [`DefinitionModel::outer_joins`]); `None` for a `WHERE` or inner join conjunct.
    pub join: Option<usize>,
}

/// An outer join: the occurrences on each side, and which sides it NULL-extends (the right
/// of a LEFT JOIN, the left of a RIGHT JOIN, both of a FULL JOIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuterJoin {
    pub sides: [BTreeSet<OccId>; 2],
    pub nulls: [bool; 2],
    /// Whether it matches two rows is decided by more than its `ON`'s links between two
    /// occurrences (see [`DefinitionModel::matched_by_links`]): its `ON` has other conjuncts
    /// (a filter such as `b.y > 2`, an `OR`, a function call), or a side is not one table
    /// as it is (a join, or a subquery or view with conditions of its own, whose rows the
    /// links do not see).
    pub other_conditions: bool,
}

impl OuterJoin {
    /// A LEFT JOIN whose nullable side is `nullable` (its other side left empty), for tests.
    #[cfg(test)]
    pub fn nulling(nullable: BTreeSet<OccId>) -> OuterJoin {
        OuterJoin {
            sides: [BTreeSet::new(), nullable],
            nulls: [false, true],
            other_conditions: false,
        }
    }

    /// The side (0 left, 1 right) occurrence `occ` is on.
    pub fn side_of(&self, occ: OccId) -> Option<usize> {
        self.sides.iter().position(|s| s.contains(&occ))
    }
}

impl Edge {
    /// May a path step from `from` across this edge? Only towards a guarded occurrence.
    pub fn step_from(&self, from: OccId) -> Option<(&ColumnRef, &ColumnRef)> {
        if self.left.occ == from && self.guards.contains(&self.right.occ) {
            Some((&self.left, &self.right))
        } else if self.right.occ == from && self.guards.contains(&self.left.occ) {
            Some((&self.right, &self.left))
        } else {
            None
        }
    }

    /// Does a path step across this edge in either direction?
    pub fn links(&self) -> bool {
        self.guards.contains(&self.left.occ) || self.guards.contains(&self.right.occ)
    }

    /// Make the conjunct a filter only: no path steps across it.
    pub fn unlink(&mut self) {
        self.guards.remove(&self.left.occ);
        self.guards.remove(&self.right.occ);
    }
}

/// Everything maintenance needs to know about a definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefinitionModel {
    pub occurrences: Vec<Occurrence>,
    pub edges: Vec<Edge>,
    /// The key column's origin: a column of the root occurrence (for a key of several
    /// columns, its first column's).
    pub root: Option<ColumnRef>,
    /// For a key of several columns: each one's column of the root occurrence, in key order
    /// (empty for a key of one column, which is `root.column`).
    pub root_columns: Vec<String>,
    /// For a key of several columns: the composite type of them, as qualified SQL, that
    /// holds one key (set when the TVIEW's type is known, after creation).
    pub key_type: Option<String>,
    /// For a key whose columns come from several occurrences (the two tables of a
    /// many-to-many join, `GROUP BY a.x, b.y`): each column's origin, in key order, the
    /// first one's occurrence being the root; empty otherwise. No one table's changed rows
    /// hold such a key: its keys are found by joining the occurrences (see
    /// `sqlgen::keys`). `root_columns` then names the origins' columns, for messages.
    pub key_origins: Vec<ColumnRef>,
    /// The outer joins of the definition's levels, which [`Edge::join`] points into. Each
    /// NULL-extends its nullable sides' occurrences together (see [`Self::outer_groups`]).
    pub outer_joins: Vec<OuterJoin>,
    /// The key is the definition's `GROUP BY` list, every column of it from a table an outer
    /// join NULL-extends (`GROUP BY a.id` over `a FULL JOIN b`, `GROUP BY c.zone` over `t
    /// LEFT JOIN c`): a row where that join found no match falls into the group whose key
    /// has NULL there, with the rows whose own value is NULL. Such keys are found like
    /// those of [`Self::rootless`] (`key_origins` is set even for one table), every table
    /// of the definition reaching them along its joins, and a key with every column NULL is
    /// a group like any other. `false` for every other key.
    pub null_groups: bool,
    /// For a key of groups: some row may have every key column NULL (a column that may be
    /// NULL in its table, or a table outside the key whose rows can stand alone), so the
    /// group of all NULLs is a group like any other. `false` when every row has a row of a
    /// key table, with the key's columns `NOT NULL` in their tables (`GROUP BY a.id, b.id`
    /// over `a FULL JOIN b`): no change then looks for that group.
    pub all_null_group: bool,
}

impl DefinitionModel {
    /// The key of row `alias` of the root occurrence's table (or of changed rows of it): its
    /// key column, or for a key of several columns their composite value. `None` without a
    /// root, or for a key of several columns before its type is known.
    pub fn key_of(&self, alias: &str) -> Option<String> {
        let root = self.root.as_ref()?;
        if self.spans_tables() {
            return None; // no one row holds it
        }
        if self.root_columns.len() < 2 {
            return Some(format!(
                "{alias}.{}",
                crate::sqlgen::quote::quote_ident(&root.column)
            ));
        }
        let fields: Vec<String> = self
            .root_columns
            .iter()
            .map(|c| format!("{alias}.{}", crate::sqlgen::quote::quote_ident(c)))
            .collect();
        Some(format!(
            "ROW({})::{}",
            fields.join(", "),
            self.key_type.as_ref()?
        ))
    }

    /// Does the key come from several occurrences (see [`Self::key_origins`])?
    /// Or is it a key of [`Self::null_groups`], found the same way even from one table?
    pub fn spans_tables(&self) -> bool {
        self.key_origins
            .iter()
            .any(|o| o.occ != self.key_origins[0].occ)
            || (self.null_groups && !self.key_origins.is_empty())
    }

    /// Per outer join, the occurrences it NULL-extends together: the nullable side of a LEFT
    /// or RIGHT JOIN, each side of a FULL JOIN. A key column of such an occurrence (its
    /// table's NOT NULL column) is NULL exactly in the rows where that join found no match:
    /// the key of a LEFT JOIN that repeats rows is `(a, c)` for a matched pair and `(a, NULL)`
    /// for a row of `a` without one (see [`Self::null_patterns`]).
    pub fn outer_groups(&self) -> impl Iterator<Item = &BTreeSet<OccId>> {
        self.outer_joins.iter().flat_map(|j| {
            j.sides
                .iter()
                .zip(j.nulls)
                .filter(|(side, nulls)| *nulls && !side.is_empty())
                .map(|(side, _)| side)
        })
    }

    /// Is occurrence `occ` NULL-extended by an outer join (see [`Self::outer_groups`])?
    pub fn null_extended(&self, occ: OccId) -> bool {
        self.outer_groups().any(|g| g.contains(&occ))
    }

    /// The outer joins that NULL-extend some of the key's columns, as the sets of
    /// occurrences each one NULLs.
    pub fn key_outer_groups(&self) -> Vec<&BTreeSet<OccId>> {
        let mut groups: Vec<&BTreeSet<OccId>> = Vec::new();
        for g in self.outer_groups() {
            if self.key_origins.iter().any(|o| g.contains(&o.occ)) && !groups.contains(&g) {
                groups.push(g);
            }
        }
        groups
    }

    /// The ways a row's key can have its outer joins' columns NULL: for every combination of
    /// the outer joins that NULL-extend key columns (see [`Self::key_outer_groups`]), the
    /// occurrences whose key columns are then NULL; the first, empty, is the key with no
    /// column NULL-extended. A changed row reaching a row of the definition may also decide
    /// whether each such join finds a match for it: the key with each combination NULLed is
    /// then a key whose row may appear or go (combinations no row can have cost a recompute
    /// that finds nothing).
    pub fn null_patterns(&self) -> Vec<BTreeSet<OccId>> {
        let groups = self.key_outer_groups();
        let mut patterns: Vec<BTreeSet<OccId>> = Vec::new();
        for mask in 0u32..(1u32 << groups.len().min(MAX_KEY_OUTER_JOINS)) {
            let nulled: BTreeSet<OccId> = groups
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .flat_map(|(_, g)| g.iter().copied())
                .collect();
            // A key with every column NULL is no row's (every row has a row of some
            // table, see [`Self::rootless`]), unless it is a group's (NULL a value).
            let none_left = self.key_origins.iter().all(|o| nulled.contains(&o.occ));
            if !patterns.contains(&nulled) && (!none_left || self.all_null_group) {
                patterns.push(nulled);
            }
        }
        patterns
    }

    /// Does outer join `j` match two rows by its links alone: is every conjunct of its `ON`
    /// a link (a strict comparison, not `IS NOT DISTINCT FROM`) between the same two
    /// occurrences? A path across it (which joins by every link between the two) then
    /// finds exactly the rows the join matches.
    pub fn matched_by_links(&self, j: usize) -> bool {
        let Some(join) = self.outer_joins.get(j) else {
            return false;
        };
        let links: Vec<&Edge> = self.edges.iter().filter(|e| e.join == Some(j)).collect();
        let pair = |e: &Edge| {
            let (l, r) = (e.left.occ, e.right.occ);
            (l.min(r), l.max(r))
        };
        !join.other_conditions
            && !links.is_empty()
            && links
                .iter()
                .all(|e| e.links() && !e.null_safe && pair(e) == pair(links[0]))
    }

    /// [`Self::null_patterns`] a change of occurrence `target` needs. For a key of groups
    /// ([`Self::null_groups`]) over a single outer join that matches rows by its links
    /// alone ([`Self::matched_by_links`]), only the combinations of the sides `target` is
    /// on: the rows of the other side that its rows matched (or now match) are those whose
    /// match it decides, and its own rows' groups are what the join of its rows finds,
    /// which is the definition's match. The group whose every column is NULL then costs a
    /// recompute only when the change can move rows into or out of it (a row of `c` in
    /// `GROUP BY c.zone` over `t LEFT JOIN c`, not a row of `t`, whose own group the join
    /// finds). Every combination otherwise.
    pub fn null_patterns_for(&self, target: OccId) -> Vec<BTreeSet<OccId>> {
        let all = self.null_patterns();
        if !self.narrow_patterns() {
            return all;
        }
        let groups = self.key_outer_groups();
        all.into_iter()
            .filter(|p| {
                groups
                    .iter()
                    .filter(|g| g.is_subset(p))
                    .all(|g| g.contains(&target))
            })
            .collect()
    }

    /// Does [`Self::null_patterns_for`] narrow the combinations to the changed table's side?
    fn narrow_patterns(&self) -> bool {
        self.null_groups && self.outer_joins.len() == 1 && self.matched_by_links(0)
    }

    /// For a change of occurrence `target` whose combinations are narrowed to its own side
    /// ([`Self::null_patterns_for`]) where that side is `target` alone: its columns in the
    /// join's links, which alone decide which rows of the other side its rows match. An
    /// UPDATE that leaves the set of their values as it was (a renamed customer) leaves
    /// every match as it was, and needs none of those combinations. Only where every link
    /// is its type's own equality (`Edge::exact`): "as it was" is that equality's (a
    /// link by another operator, `*=` or a case-insensitive one, may tell apart values it
    /// calls equal). `None` otherwise.
    pub fn match_columns(&self, target: OccId) -> Option<Vec<String>> {
        if !self.narrow_patterns() || self.edges.iter().any(|e| e.join == Some(0) && !e.exact) {
            return None;
        }
        let join = &self.outer_joins[0];
        let side = join.side_of(target)?;
        if join.sides[side].len() != 1 || !join.nulls[side] {
            return None;
        }
        let mut columns: Vec<String> = Vec::new();
        for e in self.edges.iter().filter(|e| e.join == Some(0)) {
            for c in [&e.left, &e.right] {
                if c.occ == target && !columns.contains(&c.column) {
                    columns.push(c.column.clone());
                }
            }
        }
        (!columns.is_empty()).then_some(columns)
    }

    /// Is every table the key is drawn from NULL-extended by an outer join (`a FULL JOIN b`,
    /// `(a FULL JOIN b) LEFT JOIN c`)? No table's rows are then in every row: a change finds
    /// its keys from the changed table's own rows, joined outward to the key's other tables
    /// (see `plan::origin_paths`), and a row's key has a column of at least one of them.
    pub fn rootless(&self) -> bool {
        self.spans_tables() && self.key_origins.iter().all(|o| self.null_extended(o.occ))
    }

    /// The occurrences the key is drawn from, each once, in key order.
    pub fn origin_occurrences(&self) -> Vec<OccId> {
        let mut occs: Vec<OccId> = Vec::new();
        for o in &self.key_origins {
            if !occs.contains(&o.occ) {
                occs.push(o.occ);
            }
        }
        occs
    }

    /// For a key with no table in every row ([`Self::rootless`]): which of its tables (an
    /// index into [`Self::origin_occurrences`]) the key's column `i` comes from. For a key
    /// of groups ([`Self::null_groups`]) each column counts as a table of its own: its NULL
    /// may be a row's own value, so that a table's row is there says nothing of whether
    /// its columns are NULL (the keyed refresh reads the rows by the first column of the
    /// key that is not NULL).
    pub fn rootless_table(&self, i: usize) -> Option<usize> {
        if !self.rootless() {
            return None;
        }
        if self.null_groups {
            return (i < self.key_origins.len()).then_some(i);
        }
        let occ = self.key_origins.get(i)?.occ;
        self.origin_occurrences().iter().position(|o| *o == occ)
    }

    /// Where the key's column `i` comes from: the table (OID) and its column, when it is a
    /// table's column as it is.
    pub fn key_column_origin(&self, i: usize) -> Option<(u32, &str)> {
        if self.spans_tables() {
            let o = self.key_origins.get(i)?;
            return Some((self.occurrences[o.occ].table.oid, o.column.as_str()));
        }
        let root = self.root.as_ref()?;
        let column = match self.root_columns.as_slice() {
            [] if i == 0 => root.column.as_str(),
            [] => return None,
            many => many.get(i)?.as_str(),
        };
        Some((self.occurrences[root.occ].table.oid, column))
    }

    /// The distinct tables the definition reads, ordered by OID.
    pub fn tables(&self) -> Vec<TableRef> {
        let set: BTreeSet<&TableRef> = self.occurrences.iter().map(|o| &o.table).collect();
        set.into_iter().cloned().collect()
    }

    /// Occurrences of table `oid`.
    pub fn occurrences_of(&self, oid: u32) -> impl Iterator<Item = OccId> + '_ {
        self.occurrences
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.table.oid == oid)
            .map(|(i, _)| i)
    }
}
