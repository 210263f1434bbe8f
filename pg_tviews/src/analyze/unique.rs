//! Is the key column unique for every content of the sources? The query tree side of
//! `tviews_core::unique`.
//!
//! Each query level is described as FROM items with their unique sets (a table's unique
//! indexes under its default btree operator class and the column's own collation; a
//! subquery's proven unique output columns) and the equalities that pin an item's column to
//! values other items decide. A level's output columns are unique when they are a GROUP BY
//! list (less the columns a grouped table's unique set determines), a DISTINCT list, any
//! column of an aggregate without GROUP BY (one row), or a unique set of one item from which
//! every other item is reached through pinned unique sets.

use std::collections::{BTreeMap, BTreeSet};

use pgrx::pg_sys;
use tviews_core::unique::{
    identifies_rows, pinned_by_constants, reached_from, reached_from_all, Item, Pin,
};

use crate::errors::TviewError;
use crate::pg::nodes::{conjuncts, is_a, list_iter, list_nth, walk, Visit};

/// Why output column `resno` (1-based, counting the non-junk columns) of `query` can repeat a
/// value: the names of the FROM items that can, or a description. `Ok` when it cannot.
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query.
pub unsafe fn output_column_unique(
    query: *mut pg_sys::Query,
    resno: usize,
) -> Result<Result<(), Vec<String>>, TviewError> {
    // SAFETY: per contract.
    unsafe {
        let te = output_entry(query, resno)
            .ok_or_else(|| TviewError::Internal(format!("output column {resno} vanished")))?;
        let resno = (*te).resno as u32;
        let (sets, described) = unique_sets(query)?;
        if sets.iter().any(|s| s.iter().all(|c| *c == resno)) {
            return Ok(Ok(()));
        }
        // Say what repeats it.
        let q = &*query;
        if let Some(why) = shape_repeats(q) {
            return Ok(Err(vec![why]));
        }
        if !q.groupClause.is_null() {
            return Ok(Err(vec!["the other GROUP BY columns".into()]));
        }
        let level = match described {
            Some(level) => level,
            None => Level::describe(query)?,
        };
        let Some((item, column)) = level.origin((*te).expr as *mut pg_sys::Node) else {
            return Ok(Err(vec!["the expression that computes it".into()]));
        };
        let items = level.items();
        Ok(
            match identifies_rows(&items, &level.pins, item, &[column].into()) {
                Ok(()) => Ok(()),
                // The column repeats inside the subquery it comes from (the definition view,
                // a helper view): say what repeats it there.
                // (For the message only: what repeats it inside may be all there is to say.)
                Err(ids) if ids == [item] => match level.subquery(item) {
                    Some((sub, chain)) => {
                        match within(chain, || output_column_unique(sub, column as usize))? {
                            Err(inner) => Err(inner),
                            Ok(()) => Err(vec![format!("rows of {}", items[item].name)]),
                        }
                    }
                    None => Err(vec![format!("rows of {}", items[item].name)]),
                },
                Err(ids) => Err(ids
                    .into_iter()
                    .map(|i| format!("rows of {}", items[i].name))
                    .collect()),
            },
        )
    }
}

/// [`output_column_unique`] for a set of output columns (1-based `resnos`, several): `Ok`
/// when some set of columns proven to hold each combination at most once is among them.
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query.
pub unsafe fn output_columns_unique(
    query: *mut pg_sys::Query,
    resnos: &[usize],
) -> Result<Result<(), Vec<String>>, TviewError> {
    if let [one] = resnos {
        // SAFETY: per contract.
        return unsafe { output_column_unique(query, *one) };
    }
    // SAFETY: per contract.
    unsafe {
        let mut wanted = BTreeSet::new();
        for r in resnos {
            let te = output_entry(query, *r)
                .ok_or_else(|| TviewError::Internal(format!("output column {r} vanished")))?;
            wanted.insert((*te).resno as u32);
        }
        let (sets, _) = unique_sets(query)?;
        if sets.iter().any(|s| s.is_subset(&wanted)) {
            return Ok(Ok(()));
        }
        Ok(Err(vec![match shape_repeats(&*query) {
            Some(why) => why,
            None => "rows that agree on all of them".to_string(),
        }]))
    }
}

/// Are the output columns `resnos` (1-based, several or one) unique because they hold the
/// query's whole `GROUP BY` list (less the columns other grouping columns determine), or
/// its `DISTINCT` list? Each
/// group is then one row, a group whose grouping values are NULL included: a NULL in them is
/// a value like any other, whether the row's own or an outer join's that found no match.
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query.
pub unsafe fn grouping_key(
    query: *mut pg_sys::Query,
    resnos: &[usize],
) -> Result<bool, TviewError> {
    // SAFETY: per contract.
    unsafe {
        // The definition is read as `SELECT * FROM <its view>`: its own level, column for
        // column.
        let query = match super::patch::definition_level(query) {
            Some(level) if (*query).groupClause.is_null() && (*query).distinctClause.is_null() => {
                level
            }
            _ => query,
        };
        let q = &*query;
        if shape_repeats(q).is_some() {
            return Ok(false);
        }
        // A DISTINCT list without GROUP BY groups the same way (NULLs as one value).
        let set = if !q.groupClause.is_null() {
            grouped_set(query)?
        } else if !q.distinctClause.is_null() && !q.hasDistinctOn && !q.hasAggs {
            clause_outputs(query, q.distinctClause)
        } else {
            None
        };
        let Some(set) = set else {
            return Ok(false);
        };
        let mut wanted = BTreeSet::new();
        for r in resnos {
            let te = output_entry(query, *r)
                .ok_or_else(|| TviewError::Internal(format!("output column {r} vanished")))?;
            wanted.insert((*te).resno as u32);
        }
        Ok(!set.is_empty() && set.is_subset(&wanted))
    }
}

/// Does `query` return at most one row whatever the sources hold (an aggregate without GROUP
/// BY, `LIMIT 1`)?
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query.
pub unsafe fn at_most_one_row(query: *mut pg_sys::Query) -> Result<bool, TviewError> {
    // SAFETY: per contract.
    Ok(unsafe { unique_sets(query)? }
        .0
        .iter()
        .any(|s| s.is_empty()))
}

/// The first set of several output columns (names, from `columns`) proven to identify the
/// rows together, if any: what a key of several columns would be.
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query whose output columns are `columns`.
pub unsafe fn identified_together(
    query: *mut pg_sys::Query,
    columns: &[String],
) -> Result<Vec<String>, TviewError> {
    // SAFETY: per contract.
    let (sets, _) = unsafe { unique_sets(query)? };
    Ok(sets
        .into_iter()
        .find(|s| s.len() > 1)
        .map(|s| {
            s.into_iter()
                .filter_map(|resno| columns.get(resno as usize - 1).cloned())
                .collect()
        })
        .unwrap_or_default())
}

/// Strip binary coercions that keep the equality (varchar to text), not those that change it
/// (text to character, where trailing spaces stop counting).
unsafe fn strip_same_equality(mut node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    // SAFETY: tag checked before the cast.
    unsafe {
        while is_a(node, pg_sys::NodeTag::T_RelabelType) {
            let r = &*(node as *mut pg_sys::RelabelType);
            let arg = r.arg as *mut pg_sys::Node;
            if default_btree_family(r.resulttype) != default_btree_family(pg_sys::exprType(arg)) {
                return node;
            }
            node = arg;
        }
    }
    node
}

/// The operator family of `typ`'s default btree operator class, if it has one.
fn default_btree_family(typ: pg_sys::Oid) -> pg_sys::Oid {
    // SAFETY: catalog lookups by OID.
    unsafe {
        let opclass = pg_sys::GetDefaultOpClass(typ, pg_sys::BTREE_AM_OID);
        if opclass == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_opclass_family(opclass)
        }
    }
}

/// The non-junk target entry number `resno` (1-based).
unsafe fn output_entry(
    query: *mut pg_sys::Query,
    resno: usize,
) -> Option<*mut pg_sys::TargetEntry> {
    // SAFETY: a valid Query's target list holds TargetEntry nodes.
    unsafe {
        list_iter::<pg_sys::TargetEntry>((*query).targetList)
            .filter(|te| !(**te).resjunk)
            .nth(resno.checked_sub(1)?)
    }
}

/// A shape of the level that repeats rows whatever the FROM items hold.
fn shape_repeats(q: &pg_sys::Query) -> Option<String> {
    if q.hasTargetSRFs {
        Some("the set-returning function in its select list".into())
    } else if !q.setOperations.is_null() {
        Some("UNION, INTERSECT or EXCEPT".into())
    } else if !q.groupingSets.is_null() {
        Some("GROUPING SETS, ROLLUP or CUBE".into())
    } else {
        None
    }
}

/// Sets of output columns (target entry numbers) of `query` that hold each combination of
/// values at most once. An empty set: the query returns at most one row. With the level's
/// description when it was needed (for messages, without reading the catalogs again).
unsafe fn unique_sets(
    query: *mut pg_sys::Query,
) -> Result<(Vec<BTreeSet<u32>>, Option<Level>), TviewError> {
    // SAFETY: query is valid; nodes are cast after their tags are checked.
    unsafe {
        let q = &*query;
        if shape_repeats(q).is_some() {
            return Ok((Vec::new(), None));
        }
        if !q.groupClause.is_null() {
            return Ok((grouped_set(query)?.into_iter().collect(), None));
        }
        // An aggregate without GROUP BY, LIMIT 1, or no FROM item at all (`SELECT (SELECT
        // ...) AS n`): at most one row.
        let no_from =
            q.jointree.is_null() || crate::pg::nodes::list_len((*q.jointree).fromlist) == 0;
        if q.hasAggs || !q.havingQual.is_null() || at_most_one_row_limit(q) || no_from {
            return Ok((vec![BTreeSet::new()], None));
        }
        let mut sets = Vec::new();
        if !q.distinctClause.is_null() {
            if let Some(s) = clause_outputs(query, q.distinctClause) {
                sets.push(s);
            }
        }
        let level = Level::describe(query)?;
        let items = level.items();
        // Output columns that are plain columns of an item (a column may be shown twice).
        let mut shown: BTreeMap<(usize, u32), Vec<u32>> = BTreeMap::new();
        for te in list_iter::<pg_sys::TargetEntry>(q.targetList) {
            if (*te).resjunk {
                continue;
            }
            if let Some(origin) = level.origin((*te).expr as *mut pg_sys::Node) {
                shown.entry(origin).or_default().push((*te).resno as u32);
            }
        }
        for (id, item) in items.iter().enumerate() {
            if reached_from(&items, &level.pins, id).len() != items.len() {
                continue;
            }
            let constants = pinned_by_constants(&level.pins, id);
            for set in &item.unique_sets {
                let needed: Vec<u32> = set
                    .iter()
                    .filter(|c| !constants.contains(c))
                    .copied()
                    .collect();
                let Some(copies) = needed
                    .iter()
                    .map(|c| shown.get(&(id, *c)))
                    .collect::<Option<Vec<&Vec<u32>>>>()
                else {
                    continue;
                };
                // Every copy of a one-column set is unique; for wider sets, the first copies.
                if let [only] = copies.as_slice() {
                    sets.extend(only.iter().map(|r| BTreeSet::from([*r])));
                } else {
                    sets.push(copies.iter().map(|c| c[0]).collect());
                }
            }
        }
        if sets.is_empty() {
            if let Some(all) = every_item_set(query, &level, &shown)? {
                sets.push(all);
            }
        }
        if sets.is_empty() {
            // No item identifies the rows alone: items whose unique sets the output shows may
            // together (the two tables a link table joins on its composite key: a row per
            // pair of their rows). Pairs first, then all such items.
            let shown_set = |id: usize| -> Option<Vec<u32>> {
                let constants = pinned_by_constants(&level.pins, id);
                items[id].unique_sets.iter().find_map(|set| {
                    set.iter()
                        .filter(|c| !constants.contains(c))
                        .map(|c| shown.get(&(id, *c)).map(|copies| copies[0]))
                        .collect::<Option<Vec<u32>>>()
                        .filter(|v| !v.is_empty())
                })
            };
            let showing: Vec<(usize, Vec<u32>)> = (0..items.len())
                .filter(|id| items[*id].needs.is_empty())
                .filter_map(|id| shown_set(id).map(|s| (id, s)))
                .collect();
            let mut groups: Vec<Vec<usize>> = Vec::new();
            for i in 0..showing.len() {
                for j in i + 1..showing.len() {
                    groups.push(vec![i, j]);
                }
            }
            if showing.len() > 2 {
                groups.push((0..showing.len()).collect());
            }
            for group in groups {
                let starts: BTreeSet<usize> = group.iter().map(|g| showing[*g].0).collect();
                if reached_from_all(&items, &level.pins, &starts).len() == items.len() {
                    sets.push(
                        group
                            .iter()
                            .flat_map(|g| showing[*g].1.iter().copied())
                            .collect(),
                    );
                    break;
                }
            }
        }
        Ok((sets, Some(level)))
    }
}

/// For a level with a FULL JOIN (whose sides' items get no unique set of their own): a
/// unique set of NOT NULL columns of every item, all shown, identify the rows together. A
/// join returns each combination of its sides' rows at most once, each unmatched row of a
/// side once with the other side's columns NULL, and NOT NULL columns tell an unmatched row
/// from a matched one; so does every join above it, and a FROM list of several items. An
/// item reading another (LATERAL) proves nothing here.
unsafe fn every_item_set(
    query: *mut pg_sys::Query,
    level: &Level,
    shown: &BTreeMap<(usize, u32), Vec<u32>>,
) -> Result<Option<BTreeSet<u32>>, TviewError> {
    if !level.under_full.iter().any(|f| *f) || level.lateral.iter().any(|l| !l.is_empty()) {
        return Ok(None);
    }
    // SAFETY: per the caller's contract, `query` is valid; range table entries by index.
    unsafe {
        let mut all = BTreeSet::new();
        for (item, rtindex) in level.rtindexes.iter().enumerate() {
            let Some(rte) = list_nth::<pg_sys::RangeTblEntry>((*query).rtable, rtindex - 1) else {
                return Ok(None);
            };
            // A table's unique sets of NOT NULL columns; a helper view's proven unique sets
            // (the key's columns are checked NOT NULL in their table when it is traced).
            let info = describe_item(query, rte)?;
            let sets = if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION {
                info.determining
            } else {
                info.sets
            };
            let own = sets.into_iter().find_map(|set| {
                set.iter()
                    .map(|c| shown.get(&(item, *c)).map(|copies| copies[0]))
                    .collect::<Option<Vec<u32>>>()
            });
            match own {
                Some(columns) if !columns.is_empty() => all.extend(columns),
                _ => return Ok(None),
            }
        }
        Ok(Some(all))
    }
}

/// `LIMIT 1` or `LIMIT 0` (a constant).
unsafe fn at_most_one_row_limit(q: &pg_sys::Query) -> bool {
    // SAFETY: tag checked before the cast.
    unsafe {
        if q.limitCount.is_null() {
            return false;
        }
        // The analyzer leaves the cast of `LIMIT 1` to bigint unevaluated.
        let node = pg_sys::eval_const_expressions(std::ptr::null_mut(), q.limitCount);
        if !is_a(node, pg_sys::NodeTag::T_Const) {
            return false;
        }
        let c = &*(node as *mut pg_sys::Const);
        c.consttype == pg_sys::INT8OID
            && !c.constisnull
            && (c.constvalue.value() as i64) <= 1
            && q.limitOption != pg_sys::LimitOption::LIMIT_OPTION_WITH_TIES
    }
}

/// The output columns of a GROUP BY level that identify its groups: every grouping
/// expression, less the columns of an item whose unique set is among the grouping columns (the
/// rest of that item's row is then the same in the group). None when a grouping expression
/// that matters is not an output column, or groups with another equality than its type's.
unsafe fn grouped_set(query: *mut pg_sys::Query) -> Result<Option<BTreeSet<u32>>, TviewError> {
    // SAFETY: as for unique_sets.
    let Some(grouping) = (unsafe { grouping_entries(query)? }) else {
        return Ok(None);
    };
    let mut set = BTreeSet::new();
    for g in grouping {
        if g.dependent {
            continue;
        }
        // SAFETY: target entries of the query.
        unsafe {
            if (*g.entry).resjunk {
                return Ok(None);
            }
            set.insert((*g.entry).resno as u32);
        }
    }
    Ok(Some(set))
}

/// The output columns (resnos) of `query`'s GROUP BY list whose value a group takes from one
/// row: every column of a table whose NOT NULL unique set is grouped by, that set's own
/// columns included (`GROUP BY p.pk, p.title`: pk and title; a group holds one row of `p`,
/// the set compared with the equality its uniqueness holds in, so `p.pk` shows that row's
/// spelling even under a case-insensitive collation).
///
/// # Safety
/// `query` must be a valid analyzed and rewritten Query.
pub unsafe fn grouping_from_one_row(
    query: *mut pg_sys::Query,
) -> Result<BTreeSet<u32>, TviewError> {
    // SAFETY: per contract.
    Ok(unsafe { grouping_entries(query)? }
        .unwrap_or_default()
        .into_iter()
        .filter(|g| g.one_row)
        // SAFETY: target entries of the query.
        .map(|g| unsafe { (*g.entry).resno as u32 })
        .collect())
}

/// One GROUP BY expression, as [`grouping_entries`] sees it.
struct Grouping {
    entry: *mut pg_sys::TargetEntry,
    /// Other grouping columns determine it (a column of a table whose unique set is grouped
    /// by, outside that set).
    dependent: bool,
    /// The group takes it from one row of its table (a column of a table whose unique set is
    /// grouped by, that set's columns included).
    one_row: bool,
}

/// The GROUP BY list's target entries, each with whether other grouping columns determine
/// it; `None` when a grouping uses an equality other than its type's default, or the level
/// has GROUPING SETS, ROLLUP or CUBE (its groupings are each a part of the list: the group
/// of `(title)` in `GROUPING SETS ((pk, title), (title))` holds several rows of the table).
unsafe fn grouping_entries(query: *mut pg_sys::Query) -> Result<Option<Vec<Grouping>>, TviewError> {
    // SAFETY: as for unique_sets.
    unsafe {
        let q = &*query;
        if !q.groupingSets.is_null() {
            return Ok(None);
        }
        let level = Level::describe(query)?;
        let items = level.items();
        let mut grouping: Vec<(*mut pg_sys::TargetEntry, Option<(usize, u32)>)> = Vec::new();
        for sgc in list_iter::<pg_sys::SortGroupClause>(q.groupClause) {
            let Some(te) = entry_by_ref(q.targetList, (*sgc).tleSortGroupRef) else {
                return Ok(None);
            };
            let expr = (*te).expr as *mut pg_sys::Node;
            if !is_default_equality((*sgc).eqop, pg_sys::exprType(expr)) {
                return Ok(None);
            }
            grouping.push((te, level.origin(expr)));
        }
        let columns: BTreeSet<(usize, u32)> = grouping.iter().filter_map(|(_, o)| *o).collect();
        // For each table with a unique set of NOT NULL columns among the grouping columns:
        // that set. Its other grouping columns are the same throughout a group (a row with
        // the set NULL is a null-extended row, all NULL). A subquery's or a one-row item's
        // unique sets do not count: a NULL-extended and a real row, or LATERAL rows of
        // different outer rows, can meet in one group. The set's columns are grouped as
        // plain columns (origin), so with their column's collation, the one the unique
        // index holds in (unique_indexes): one group, one row of the table.
        let determining: BTreeMap<usize, &BTreeSet<u32>> = (0..items.len())
            .filter_map(|id| {
                level.determining[id]
                    .iter()
                    .find(|s| s.iter().all(|c| columns.contains(&(id, *c))))
                    .map(|s| (id, s))
            })
            .collect();
        Ok(Some(
            grouping
                .into_iter()
                .map(|(entry, origin)| {
                    let set = origin.and_then(|(id, c)| determining.get(&id).map(|s| (s, c)));
                    Grouping {
                        entry,
                        dependent: set.is_some_and(|(s, c)| !s.contains(&c)),
                        one_row: set.is_some(),
                    }
                })
                .collect(),
        ))
    }
}

/// The target entry a SortGroupClause points at.
unsafe fn entry_by_ref(
    tlist: *mut pg_sys::List,
    sortgroupref: u32,
) -> Option<*mut pg_sys::TargetEntry> {
    // SAFETY: a target list holds TargetEntry nodes.
    unsafe {
        list_iter::<pg_sys::TargetEntry>(tlist).find(|te| (**te).ressortgroupref == sortgroupref)
    }
}

/// The output columns a DISTINCT or DISTINCT ON list names, if all are output columns and
/// compared with their type's own equality.
unsafe fn clause_outputs(
    query: *mut pg_sys::Query,
    clause: *mut pg_sys::List,
) -> Option<BTreeSet<u32>> {
    // SAFETY: the clause holds SortGroupClause nodes of this query.
    unsafe {
        let mut set = BTreeSet::new();
        for sgc in list_iter::<pg_sys::SortGroupClause>(clause) {
            let te = entry_by_ref((*query).targetList, (*sgc).tleSortGroupRef)?;
            if (*te).resjunk
                || !is_default_equality(
                    (*sgc).eqop,
                    pg_sys::exprType((*te).expr as *mut pg_sys::Node),
                )
            {
                return None;
            }
            set.insert((*te).resno as u32);
        }
        Some(set)
    }
}

/// Is `opno` the equality of the default btree operator class of `typ` (or a cross-type
/// equality of the same family)? Unique indexes and GROUP BY under that class agree with it.
fn is_default_equality(opno: pg_sys::Oid, typ: pg_sys::Oid) -> bool {
    // SAFETY: catalog lookups by OID; unknown OIDs give InvalidOid / false.
    unsafe {
        let opclass = pg_sys::GetDefaultOpClass(typ, pg_sys::BTREE_AM_OID);
        if opclass == pg_sys::InvalidOid {
            return false;
        }
        let family = pg_sys::get_opclass_family(opclass);
        pg_sys::op_in_opfamily(opno, family)
            && pg_sys::get_op_opfamily_strategy(opno, family)
                == pg_sys::BTEqualStrategyNumber as i32
    }
}

/// Does an equality whose operand types are `own` (the unique column's side) and `theirs`
/// match at most one value of the column? Same-type equalities do; so do the cross-type ones
/// of the core families whose conversion of the column's values is one-to-one (integers,
/// floats, text and name, dates and timestamps), except a `date` or `timestamp` column
/// compared with `timestamptz`. Other families' cross-type operators are not trusted.
fn keeps_values_apart(own: pg_sys::Oid, theirs: pg_sys::Oid) -> bool {
    use pg_sys::{
        DATEOID, FLOAT4OID, FLOAT8OID, INT2OID, INT4OID, INT8OID, NAMEOID, TEXTOID, TIMESTAMPOID,
        TIMESTAMPTZOID,
    };
    if own == theirs {
        return true;
    }
    let groups: [&[pg_sys::Oid]; 4] = [
        &[INT2OID, INT4OID, INT8OID],
        &[FLOAT4OID, FLOAT8OID],
        &[TEXTOID, NAMEOID],
        &[DATEOID, TIMESTAMPOID, TIMESTAMPTZOID],
    ];
    groups
        .iter()
        .any(|g| g.contains(&own) && g.contains(&theirs))
        // A local date or time becomes an instant through the time zone, which can map two
        // of them to one (a daylight saving change, a zone that skipped a day).
        && !((own == TIMESTAMPOID || own == DATEOID) && theirs == TIMESTAMPTZOID)
}

/// Does comparing under collation `compared` find at most the values that are equal under
/// `unique` (the collation uniqueness holds in)? A deterministic collation only finds
/// identical strings.
fn collation_within(compared: pg_sys::Oid, unique: pg_sys::Oid) -> bool {
    // SAFETY: a syscache lookup of a collation OID from the parse tree.
    compared == unique
        || compared == pg_sys::InvalidOid
        || unsafe { pg_sys::get_collation_isdeterministic(compared) }
}

/// One query level: its FROM items (leaves of the join tree) and the pins of its conditions.
struct Level {
    query: *mut pg_sys::Query,
    /// Range-table index (1-based) of each item.
    rtindexes: Vec<usize>,
    names: Vec<String>,
    /// Per item, the sets identifying at most one row, NULL counting as one value.
    sets: Vec<Vec<BTreeSet<u32>>>,
    /// Per item, the sets identifying at most one row among those where they are not NULL
    /// (a plain UNIQUE constraint on nullable columns, besides `sets`): enough for rows an
    /// equality pins, not for a column shown as it is.
    reach: Vec<Vec<BTreeSet<u32>>>,
    /// Per item, the unique sets that determine the rest of its row in a GROUP BY.
    determining: Vec<Vec<BTreeSet<u32>>>,
    /// Per item, the range-table indexes of this level a LATERAL item reads.
    lateral: Vec<BTreeSet<usize>>,
    /// Per item, whether it is under a FULL JOIN (see [`Level::walk`]).
    under_full: Vec<bool>,
    pins: Vec<Pin>,
}

impl Level {
    unsafe fn describe(query: *mut pg_sys::Query) -> Result<Level, TviewError> {
        let mut level = Level {
            query,
            rtindexes: Vec::new(),
            names: Vec::new(),
            sets: Vec::new(),
            reach: Vec::new(),
            determining: Vec::new(),
            lateral: Vec::new(),
            under_full: Vec::new(),
            pins: Vec::new(),
        };
        // SAFETY: query is valid.
        unsafe {
            let mut conditions = Vec::new();
            level.walk(
                (*query).jointree as *mut pg_sys::Node,
                false,
                &mut conditions,
            )?;
            for (cond, usable) in conditions {
                level.pin(cond, &usable);
            }
        }
        Ok(level)
    }

    fn items(&self) -> Vec<Item> {
        (0..self.names.len())
            .map(|id| Item {
                name: self.names[id].clone(),
                unique_sets: self.sets[id].clone(),
                reach_sets: self.reach[id].clone(),
                // What a LATERAL item reads, as items; a join's columns count as every
                // other item.
                needs: self.lateral[id]
                    .iter()
                    .flat_map(|rt| match self.item_of(*rt) {
                        Some(i) => vec![i],
                        None => (0..self.names.len()).filter(|i| *i != id).collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The query of item `item`, when it is a subquery or a `WITH` query, with the queries
    /// enclosing it.
    unsafe fn subquery(
        &self,
        item: usize,
    ) -> Option<(*mut pg_sys::Query, Vec<*mut pg_sys::Query>)> {
        // SAFETY: rtindexes index this query's range table.
        unsafe {
            let rte =
                list_nth::<pg_sys::RangeTblEntry>((*self.query).rtable, self.rtindexes[item] - 1)?;
            match (*rte).rtekind {
                pg_sys::RTEKind::RTE_SUBQUERY => Some(((*rte).subquery, chain_to(self.query))),
                _ => cte_query(self.query, rte),
            }
        }
    }

    fn item_of(&self, rtindex: usize) -> Option<usize> {
        self.rtindexes.iter().position(|r| *r == rtindex)
    }

    /// Walk the join tree: add its leaves as items, collect its conditions with the items
    /// each may pin. Returns the items under `node`.
    /// Under a FULL JOIN, rows of either side also come NULL-extended, unmatched: such items
    /// get no unique set.
    unsafe fn walk(
        &mut self,
        node: *mut pg_sys::Node,
        under_full: bool,
        conditions: &mut Vec<(*mut pg_sys::Node, BTreeSet<usize>)>,
    ) -> Result<BTreeSet<usize>, TviewError> {
        // SAFETY: tags checked before casts; nodes belong to self.query.
        unsafe {
            if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
                let rtindex = (*(node as *mut pg_sys::RangeTblRef)).rtindex as usize;
                let rte = list_nth::<pg_sys::RangeTblEntry>((*self.query).rtable, rtindex - 1)
                    .ok_or_else(|| TviewError::Internal("range table index out of range".into()))?;
                let d = describe_item(self.query, rte)?;
                self.rtindexes.push(rtindex);
                self.names.push(d.name);
                self.sets.push(if under_full { Vec::new() } else { d.sets });
                self.reach
                    .push(if under_full { Vec::new() } else { d.reach });
                // (Under a FULL JOIN too: a row of the item there is either there, its
                // NOT NULL set not NULL, or NULL-extended, every column NULL.)
                self.determining.push(d.determining);
                self.lateral.push(d.lateral);
                self.under_full.push(under_full);
                Ok([self.rtindexes.len() - 1].into())
            } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
                let j = &*(node as *mut pg_sys::JoinExpr);
                use pg_sys::JoinType::*;
                let full = under_full || j.jointype == JOIN_FULL;
                let l = self.walk(j.larg, full, conditions)?;
                let r = self.walk(j.rarg, full, conditions)?;
                let usable = super::model::constrained_by_join(j.jointype, &l, &r);
                let mut cs = Vec::new();
                conjuncts(j.quals, &mut cs);
                conditions.extend(cs.into_iter().map(|c| (c, usable.clone())));
                Ok(l.union(&r).copied().collect())
            } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
                let f = &*(node as *mut pg_sys::FromExpr);
                let mut all = BTreeSet::new();
                for child in list_iter::<pg_sys::Node>(f.fromlist) {
                    all.extend(self.walk(child, under_full, conditions)?);
                }
                let mut cs = Vec::new();
                conjuncts(f.quals, &mut cs);
                conditions.extend(cs.into_iter().map(|c| (c, all.clone())));
                Ok(all)
            } else {
                Ok(BTreeSet::new())
            }
        }
    }

    /// Record `cond` as a pin when it is `item.column = expr` (either way round) with the
    /// column's own equality, `expr` stable, and the item among `usable`.
    unsafe fn pin(&mut self, cond: *mut pg_sys::Node, usable: &BTreeSet<usize>) {
        // SAFETY: tags checked before casts.
        unsafe {
            let null_safe = crate::pg::nodes::not_distinct(cond);
            if null_safe.is_none() && !is_a(cond, pg_sys::NodeTag::T_OpExpr) {
                return;
            }
            let op = &*null_safe.unwrap_or(cond as *mut pg_sys::OpExpr);
            if crate::pg::nodes::list_len(op.args) != 2 || op.opretset {
                return;
            }
            let (Some(a), Some(b)) = (
                list_nth::<pg_sys::Node>(op.args, 0),
                list_nth::<pg_sys::Node>(op.args, 1),
            ) else {
                return;
            };
            let (mut left, mut right) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
            pg_sys::op_input_types(op.opno, &mut left, &mut right);
            for (side, other, own, theirs) in [(a, b, left, right), (b, a, right, left)] {
                let Some((item, column)) = self.origin(side) else {
                    continue;
                };
                if !usable.contains(&item)
                    || !keeps_values_apart(own, theirs)
                    || !is_default_equality(op.opno, pg_sys::exprType(side))
                    || !collation_within(op.inputcollid, pg_sys::exprCollation(side))
                    || pg_sys::contain_volatile_functions(other)
                    || pg_sys::contain_subplans(other)
                {
                    continue;
                }
                let Some(needs) = self.items_read(other) else {
                    continue;
                };
                if needs.contains(&item) {
                    continue;
                }
                self.pins.push(Pin {
                    item,
                    column,
                    needs,
                    null_safe: null_safe.is_some(),
                });
            }
        }
    }

    /// The item and column a level-0 expression is, when it is a plain column of an item
    /// (through binary relabelings and join aliases).
    unsafe fn origin(&self, node: *mut pg_sys::Node) -> Option<(usize, u32)> {
        // SAFETY: tags checked; Vars of level 0 index this query's range table.
        unsafe {
            let node = strip_same_equality(node);
            if !is_a(node, pg_sys::NodeTag::T_Var) {
                return None;
            }
            let v = &*(node as *mut pg_sys::Var);
            if v.varlevelsup != 0 || v.varattno <= 0 {
                return None;
            }
            let rtindex = v.varno as usize;
            if let Some(item) = self.item_of(rtindex) {
                return Some((item, v.varattno as u32));
            }
            let rte =
                list_nth::<pg_sys::RangeTblEntry>((*self.query).rtable, rtindex.checked_sub(1)?)?;
            if (*rte).rtekind != pg_sys::RTEKind::RTE_JOIN {
                return None;
            }
            let alias = list_nth::<pg_sys::Node>((*rte).joinaliasvars, v.varattno as usize - 1)?;
            self.origin(alias)
        }
    }

    /// The items whose columns a level-0 expression reads; None when it reads one this level
    /// cannot attribute (a join alias that is not a plain column, say).
    unsafe fn items_read(&self, node: *mut pg_sys::Node) -> Option<BTreeSet<usize>> {
        let mut found = BTreeSet::new();
        let mut unknown = false;
        // SAFETY: a valid expression of this level; tags checked before casts.
        unsafe {
            walk(node, &mut |n, _| {
                if is_a(n, pg_sys::NodeTag::T_Var) {
                    let v = &*(n as *mut pg_sys::Var);
                    if v.varlevelsup == 0 {
                        match self
                            .item_of(v.varno as usize)
                            .or_else(|| self.origin(n).map(|o| o.0))
                        {
                            Some(i) => {
                                found.insert(i);
                            }
                            None => unknown = true,
                        }
                    }
                    return Visit::Skip;
                }
                if is_a(n, pg_sys::NodeTag::T_PlaceHolderVar) || is_a(n, pg_sys::NodeTag::T_Query) {
                    unknown = true;
                    return Visit::Skip;
                }
                Visit::Descend
            });
        }
        (!unknown).then_some(found)
    }
}

/// What the proof knows of one FROM item.
struct ItemInfo {
    name: String,
    sets: Vec<BTreeSet<u32>>,
    reach: Vec<BTreeSet<u32>>,
    determining: Vec<BTreeSet<u32>>,
    lateral: BTreeSet<usize>,
}

thread_local! {
    /// The queries enclosing the level being described, outermost first: where a `WITH`
    /// query that an inner level reads (`ctelevelsup` levels up) is found.
    static ENCLOSING: std::cell::RefCell<Vec<*mut pg_sys::Query>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` with `chain` as the enclosing queries, the previous ones restored after (on an
/// error or an unwinding PostgreSQL error too).
fn within<T>(chain: Vec<*mut pg_sys::Query>, f: impl FnOnce() -> T) -> T {
    struct Restore(Vec<*mut pg_sys::Query>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = std::mem::take(&mut self.0);
            ENCLOSING.with(|e| *e.borrow_mut() = previous);
        }
    }
    let _restore = Restore(ENCLOSING.with(|e| std::mem::replace(&mut *e.borrow_mut(), chain)));
    f()
}

/// `query` below the queries enclosing it: the enclosing queries of its subqueries.
fn chain_to(query: *mut pg_sys::Query) -> Vec<*mut pg_sys::Query> {
    let mut chain = ENCLOSING.with(|e| e.borrow().clone());
    chain.push(query);
    chain
}

/// The query of a `WITH` query that range-table entry `rte` of `query` reads, when it is not
/// recursive and is `query`'s own or an enclosing query's (`WITH a AS (...), b AS (SELECT ...
/// FROM a ...)`: `b` reads `a` one level up), with the queries enclosing it (the one that
/// defines it last): its rows are those of that query, as for a subquery in FROM
/// (PostgreSQL inlines it as one unless it is MATERIALIZED, which changes no row). None for
/// a level further up than the enclosing queries known (a level described on its own).
///
/// # Safety
/// `query` must be a valid Query and `rte` an entry of its range table.
unsafe fn cte_query(
    query: *mut pg_sys::Query,
    rte: *mut pg_sys::RangeTblEntry,
) -> Option<(*mut pg_sys::Query, Vec<*mut pg_sys::Query>)> {
    // SAFETY: per the contract; list elements are CommonTableExpr nodes; the enclosing
    // queries are valid while `query` is (they hold it).
    unsafe {
        let r = &*rte;
        if r.rtekind != pg_sys::RTEKind::RTE_CTE || r.self_reference {
            return None;
        }
        let mut chain = chain_to(query);
        let definer = chain.len().checked_sub(1 + r.ctelevelsup as usize)?;
        chain.truncate(definer + 1);
        let name = crate::pg::nodes::cstring(r.ctename)?;
        list_iter::<pg_sys::CommonTableExpr>((*chain[definer]).cteList)
            .find(|c| crate::pg::nodes::cstring((**c).ctename).as_deref() == Some(name.as_str()))
            .filter(|c| !(**c).cterecursive && is_a((**c).ctequery, pg_sys::NodeTag::T_Query))
            .map(|c| ((*c).ctequery as *mut pg_sys::Query, chain))
    }
}

/// A FROM item's name, unique sets and, for a LATERAL one, what it reads of its level.
unsafe fn describe_item(
    query: *mut pg_sys::Query,
    rte: *mut pg_sys::RangeTblEntry,
) -> Result<ItemInfo, TviewError> {
    // SAFETY: rte is a valid range-table entry.
    unsafe {
        let r = &*rte;
        let alias = || {
            let a = if r.eref.is_null() {
                std::ptr::null()
            } else {
                (*r.eref).aliasname
            };
            crate::pg::nodes::cstring(a).unwrap_or_else(|| "?".into())
        };
        let item = |name, sets: Vec<BTreeSet<u32>>, determining, lateral| ItemInfo {
            name,
            reach: sets.clone(),
            sets,
            determining,
            lateral,
        };
        Ok(match r.rtekind {
            pg_sys::RTEKind::RTE_RELATION => {
                let mut name = crate::pg::names::relation_name(r.relid)
                    .map(|(s, n)| format!("{s}.{n}"))
                    .unwrap_or_else(alias);
                let indexes = unique_indexes(r.relid)?;
                let reach: Vec<BTreeSet<u32>> = indexes.iter().map(|(s, _)| s.clone()).collect();
                // Unique with NULL counting as one value: all columns NOT NULL, or NULLS NOT
                // DISTINCT. A plain UNIQUE on a nullable column holds NULL any number of times.
                let sets: Vec<BTreeSet<u32>> = indexes
                    .iter()
                    .filter(|(_, nulls)| nulls.null_safe())
                    .map(|(s, _)| s.clone())
                    .collect();
                // Determining the rest of a row in a GROUP BY needs NOT NULL columns: a
                // NULL-extended row (all NULL) and a real row whose set is NULL would meet in
                // one group.
                let determining: Vec<BTreeSet<u32>> = indexes
                    .into_iter()
                    .filter(|(_, nulls)| *nulls == Nulls::NotNull)
                    .map(|(s, _)| s)
                    .collect();
                if reach.is_empty()
                    && super::primary_key(r.relid)?.is_some()
                    && super::immediate_primary_key(r.relid)?.is_none()
                {
                    name =
                        format!("{name} (its primary key is DEFERRABLE: checked only at commit)");
                }
                ItemInfo {
                    name,
                    determining,
                    sets,
                    reach,
                    lateral: BTreeSet::new(),
                }
            }
            pg_sys::RTEKind::RTE_SUBQUERY => item(
                format!("subquery {}", alias()),
                within(chain_to(query), || unique_sets(r.subquery))?.0,
                Vec::new(),
                if r.lateral {
                    outer_references(r.subquery as *mut pg_sys::Node)
                } else {
                    BTreeSet::new()
                },
            ),
            pg_sys::RTEKind::RTE_CTE => match cte_query(query, rte) {
                Some((q, chain)) => item(
                    format!("WITH query {}", alias()),
                    within(chain, || unique_sets(q))?.0,
                    Vec::new(),
                    BTreeSet::new(),
                ),
                None => item(alias(), Vec::new(), Vec::new(), BTreeSet::new()),
            },
            // A VALUES list of one row (`CROSS JOIN LATERAL (VALUES ((SELECT ...))) v(n)`).
            pg_sys::RTEKind::RTE_VALUES if crate::pg::nodes::list_len(r.values_lists) == 1 => item(
                format!("VALUES {}", alias()),
                vec![BTreeSet::new()],
                Vec::new(),
                if r.lateral {
                    outer_references(r.values_lists as *mut pg_sys::Node)
                } else {
                    BTreeSet::new()
                },
            ),
            pg_sys::RTEKind::RTE_FUNCTION => item(
                format!("function {}", alias()),
                Vec::new(),
                Vec::new(),
                BTreeSet::new(),
            ),
            _ => item(alias(), Vec::new(), Vec::new(), BTreeSet::new()),
        })
    }
}

/// The range-table indexes of the level that a LATERAL item reads, from
/// `node`: a subquery of the level (a Var as many levels up as there are queries around it,
/// the subquery's own included, is of the level), or an expression of it (a VALUES list:
/// its own Vars are the level's).
unsafe fn outer_references(node: *mut pg_sys::Node) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    // SAFETY: a valid Query or expression; tags checked before casts.
    unsafe {
        walk(node, &mut |node, levels| {
            if !is_a(node, pg_sys::NodeTag::T_Var) {
                return Visit::Descend;
            }
            let v = &*(node as *mut pg_sys::Var);
            if v.varlevelsup as usize == levels.len() {
                found.insert(v.varno as usize);
            }
            Visit::Skip
        });
    }
    found
}

/// How a unique index treats NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nulls {
    /// All its columns are NOT NULL.
    NotNull,
    /// NULLS NOT DISTINCT: NULL is one value, held at most once.
    NotDistinct,
    /// A plain UNIQUE on nullable columns: NULL any number of times.
    Distinct,
}

impl Nulls {
    /// Does the index hold each combination, NULL counting as one value, at most once?
    pub(crate) fn null_safe(self) -> bool {
        self != Nulls::Distinct
    }
}

/// The column sets of `relid`'s unique indexes that hold at every statement, without a
/// predicate or expressions, under the default btree operator class and each column's own
/// collation; with how they treat NULL.
pub(crate) fn unique_indexes(
    relid: pg_sys::Oid,
) -> Result<Vec<(BTreeSet<u32>, Nulls)>, TviewError> {
    use crate::pg::scan;
    let mut sets = Vec::new();
    for index in scan::indexes(relid) {
        if !(index.unique && index.immediate && index.valid && !index.partial) {
            continue;
        }
        if let [(0, class, _)] = index.keys[..] {
            // SAFETY: an index of `relid`, which the analysis has open.
            if let Some(set) = unsafe { composite_index_columns(relid, index.index, class) } {
                sets.push(set);
            }
            continue;
        }
        if !index.compares_as_columns(relid) {
            continue;
        }
        let cols: BTreeSet<u32> = index.keys.iter().map(|k| k.0 as u32).collect();
        let all_not_null = index
            .keys
            .iter()
            .all(|k| scan::attribute(relid, k.0).is_some_and(|a| a.0));
        let nulls = if all_not_null {
            Nulls::NotNull
        } else if index.nulls_not_distinct {
            Nulls::NotDistinct
        } else {
            Nulls::Distinct
        };
        sets.push((cols, nulls));
    }
    Ok(sets)
}

/// The columns of a unique index on one composite value of them, `((ROW(a, b)::t))` (the
/// index pg_tviews gives a key of several columns), when it holds each combination of them
/// at most once: a composite value is never NULL and compares NULL fields as equal, so
/// NULL counts as one value; each field must compare as its column does (the column's
/// type, so its default btree class, and its collation), and the index use the default
/// btree class of the composite type.
///
/// # Safety
/// `index` must be an index of `relid`, whose lock the caller holds.
unsafe fn composite_index_columns(
    relid: pg_sys::Oid,
    index: pg_sys::Oid,
    class: pg_sys::Oid,
) -> Option<(BTreeSet<u32>, Nulls)> {
    use crate::pg::nodes::{is_a, list_iter, list_len, list_nth};
    use crate::pg::scan;
    // SAFETY: the index's one expression gives its type (checked again below).
    let typ = unsafe { pg_sys::get_atttype(index, 1) };
    if scan::opclass_is_default_for(class, typ) != Some((true, pg_sys::BTREE_AM_OID)) {
        return None;
    }
    // SAFETY: per contract; the index expressions are a copy in the current memory context,
    // the row type's descriptor is pinned until released below.
    unsafe {
        let rel = pg_sys::index_open(index, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let exprs = pg_sys::RelationGetIndexExpressions(rel);
        pg_sys::index_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        if list_len(exprs) != 1 {
            return None;
        }
        let e = list_nth::<pg_sys::Node>(exprs, 0)?;
        if !is_a(e, pg_sys::NodeTag::T_RowExpr) {
            return None;
        }
        let row = &*(e as *mut pg_sys::RowExpr);
        if row.row_typeid == pg_sys::RECORDOID {
            return None;
        }
        let desc = pg_sys::lookup_rowtype_tupdesc(row.row_typeid, -1);
        let attrs = crate::pg::tupdesc::attributes(desc);
        let mut cols = BTreeSet::new();
        let mut all_not_null = true;
        let mut ok = attrs.len() == list_len(row.args);
        for (attr, arg) in attrs.iter().zip(list_iter::<pg_sys::Node>(row.args)) {
            if !ok {
                break;
            }
            if attr.attisdropped || !is_a(arg, pg_sys::NodeTag::T_Var) {
                ok = false;
                break;
            }
            let v = &*(arg as *mut pg_sys::Var);
            match scan::attribute(relid, v.varattno) {
                Some((not_null, collation, _))
                    if v.varlevelsup == 0
                        && v.vartype == attr.atttypid
                        && collation == attr.attcollation
                        && cols.insert(v.varattno as u32) =>
                {
                    all_not_null &= not_null;
                }
                _ => ok = false,
            }
        }
        pg_sys::DecrTupleDescRefCount(desc);
        (ok && !cols.is_empty()).then(|| {
            let nulls = match all_not_null {
                true => Nulls::NotNull,
                false => Nulls::NotDistinct,
            };
            (cols, nulls)
        })
    }
}
