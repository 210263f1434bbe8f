//! Which subqueries of a partial recompute's values can read tallies instead of scanning the
//! children (see `tviews_core::sqlgen::tally`), read from the analyzed definition.
//!
//! A scalar subquery of a value qualifies when it aggregates one plain table (no view, no row
//! security; sources with inheritance children are refused anyway), has no GROUP BY, HAVING, DISTINCT, ORDER BY, LIMIT,
//! window, set operation or nested subquery, compares one child column with the root's key
//! column by the key type's own equality (under a deterministic collation), and otherwise
//! filters on the child row alone with immutable expressions. Its aggregates must be
//! `count(*)`, `count(column)`, `sum`/`avg` of `smallint`, `integer`, `bigint` or
//! `numeric(p, s)` (a declared scale) columns,
//! `bool_and`/`every`/`bool_or` of `boolean` columns, or the built-in `min`/`max` of a column
//! (read from the document's rows by a subquery of their own), none with DISTINCT, ORDER BY
//! or FILTER. Everything else stays a subquery.

use pgrx::pg_sys;
use tviews_core::model::TableRef;
use tviews_core::sqlgen::tally::{
    placeholder, substitute, GroupColumn, Lookup, Part, Placed, Slot, Summary, Tallied, TallyGroup,
    Use, Values,
};

use crate::errors::TviewError;
use crate::pg::nodes::{conjuncts, is_a, list_iter, list_len, mutate, param_for, strip_relabel};

// The aggregates kept by delta (pg_proc OIDs, fixed since PostgreSQL 8.x).
const COUNT_ROWS: u32 = 2803; // count()
const COUNT_VALUES: u32 = 2147; // count("any")
const SUM_INT8: u32 = 2107;
const SUM_INT4: u32 = 2108;
const SUM_INT2: u32 = 2109;
const AVG_INT8: u32 = 2100;
const AVG_INT4: u32 = 2101;
const AVG_INT2: u32 = 2102;
const SUM_NUMERIC: u32 = 2114;
const AVG_NUMERIC: u32 = 2103;
const BOOL_AND: u32 = 2517;
const BOOL_OR: u32 = 2518;
const EVERY: u32 = 2519;

/// What an aggregate computes from its argument's slot, and whether the slot needs its sum.
type Kind = (fn(usize) -> Tallied, bool);

/// The aggregate `fnoid` computes, once its argument's slot is known; `None` when it is not
/// kept by delta. The bool is whether the slot needs its sum.
fn aggregate_kind(fnoid: u32) -> Option<Kind> {
    Some(match fnoid {
        COUNT_VALUES => (Tallied::Values, false),
        SUM_INT2 | SUM_INT4 => (
            |slot| Tallied::Sum {
                slot,
                numeric: false,
            },
            true,
        ),
        SUM_INT8 | SUM_NUMERIC => (
            |slot| Tallied::Sum {
                slot,
                numeric: true,
            },
            true,
        ),
        AVG_INT2 | AVG_INT4 | AVG_INT8 | AVG_NUMERIC => (Tallied::Avg, true),
        BOOL_AND | EVERY => (Tallied::BoolAnd, true),
        BOOL_OR => (Tallied::BoolOr, true),
        _ => return None,
    })
}

/// For value `value` of a partial recompute of `source` (an expression whose root Vars have
/// varno 1, already a private copy), the value with its qualifying subqueries over `source`
/// written as placeholders, and those placeholders' aggregates, with their groups added to
/// `groups`. `None` when no subquery qualifies.
///
/// # Safety
/// `value` must be a valid analyzed expression, alive for the call.
pub unsafe fn tally_value(
    value: *mut pg_sys::Node,
    source: &TableRef,
    root_table: pg_sys::Oid,
    root_key: i16,
    groups: &mut Vec<TallyGroup>,
) -> Result<Option<(String, Vec<Use>)>, TviewError> {
    let mut next = 0usize;
    let mut subqueries: Vec<(String, String)> = Vec::new();
    let mut uses: Vec<Use> = Vec::new();
    let mut failed: Option<TviewError> = None;
    // SAFETY: per contract; nodes are cast after their tags are checked.
    let rewritten = unsafe {
        mutate(value, &mut |node| {
            if failed.is_some() || !is_a(node, pg_sys::NodeTag::T_SubLink) {
                return None;
            }
            let link = node as *mut pg_sys::SubLink;
            if (*link).subLinkType != pg_sys::SubLinkType::EXPR_SUBLINK {
                return None;
            }
            let q = (*link).subselect as *mut pg_sys::Query;
            let before = (groups.len(), uses.len(), next);
            match tally_subquery(
                q, source, root_table, root_key, groups, &mut uses, &mut next,
            ) {
                Ok(Some(sql)) => {
                    let (id, ph) = placeholder(next);
                    next += 1;
                    subqueries.push((ph, sql));
                    Some(param_for(node, id))
                }
                Ok(None) => {
                    // Nothing of a refused subquery is kept.
                    groups.truncate(before.0);
                    uses.truncate(before.1);
                    None
                }
                Err(e) => {
                    failed = Some(e);
                    None
                }
            }
        })
    };
    if let Some(e) = failed {
        return Err(e);
    }
    if subqueries.is_empty() {
        return Ok(None);
    }
    // SAFETY: the rewritten copy's Vars reference the root as varno 1.
    let text =
        unsafe { crate::analyze::parse::deparse_expression_over(rewritten, root_table, "r") };
    Ok(substitute(&text, &subqueries).map(|sql| (sql, uses)))
}

/// The aggregate expression of subquery `q` as SQL over the root row `r` with a placeholder
/// per aggregate (recorded in `uses`), when `q` qualifies.
///
/// # Safety
/// `q` must be a valid analyzed Query.
unsafe fn tally_subquery(
    q: *mut pg_sys::Query,
    source: &TableRef,
    root_table: pg_sys::Oid,
    root_key: i16,
    groups: &mut Vec<TallyGroup>,
    uses: &mut Vec<Use>,
    next: &mut usize,
) -> Result<Option<String>, TviewError> {
    // SAFETY: per contract; nodes are cast after their tags are checked.
    unsafe {
        let plain = plain_aggregate(&*q)
            && (*q).groupClause.is_null()
            && (*q).havingQual.is_null()
            && list_len((*q).rtable) == 1
            && list_len((*(*q).jointree).fromlist) == 1;
        if !plain {
            return Ok(None);
        }
        let Some(rte) = list_iter::<pg_sys::RangeTblEntry>((*q).rtable).next() else {
            return Ok(None);
        };
        let from = list_iter::<pg_sys::Node>((*(*q).jointree).fromlist).next();
        let from_one = from.is_some_and(|f| {
            is_a(f, pg_sys::NodeTag::T_RangeTblRef)
                && (*(f as *mut pg_sys::RangeTblRef)).rtindex == 1
        });
        if !from_one
            || (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION
            || (*rte).relid.to_u32() != source.oid
            || (*rte).relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char
            || !(*rte).securityQuals.is_null()
            || !(*rte).tablesample.is_null()
        {
            return Ok(None);
        }
        // The delta names its sign column with the reserved prefix; a table with a column
        // of that name would make it ambiguous.
        let sign = std::ffi::CString::new(format!("{}sign", tviews_core::sqlgen::RESERVED_PREFIX))
            .expect("no NUL");
        if pg_sys::get_attnum((*rte).relid, sign.as_ptr()) != pg_sys::InvalidAttrNumber as i16 {
            return Ok(None);
        }
        let targets: Vec<*mut pg_sys::TargetEntry> =
            list_iter::<pg_sys::TargetEntry>((*q).targetList).collect();
        let [target] = targets.as_slice() else {
            return Ok(None);
        };
        if (**target).resjunk {
            return Ok(None);
        }
        // min and max alone gain nothing: each would still read the rows, and the state
        // would cost every statement on the table.
        let mut kept = false;
        crate::pg::nodes::walk((**target).expr as *mut pg_sys::Node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Aggref) {
                let a = node as *mut pg_sys::Aggref;
                if builtin_extreme((*a).aggfnoid).is_none() {
                    kept = true;
                    return crate::pg::nodes::Visit::Stop;
                }
                return crate::pg::nodes::Visit::Skip;
            }
            crate::pg::nodes::Visit::Descend
        });
        if !kept {
            return Ok(None);
        }
        // The conditions: one comparison of a child column with the root's key, the rest
        // on the child row alone.
        let mut conds = Vec::new();
        conjuncts((*(*q).jointree).quals, &mut conds);
        let relid = (*rte).relid;
        let mut key: Option<(String, i16, pg_sys::Oid, pg_sys::Oid)> = None;
        let mut filters: Vec<String> = Vec::new();
        let mut filter_nodes: Vec<String> = Vec::new();
        for c in conds {
            if let Some(k) = key_comparison(c, relid, root_key) {
                if key.is_some() {
                    return Ok(None);
                }
                key = Some(k);
                continue;
            }
            let Some((sql, node)) = state_filter(c, relid) else {
                return Ok(None);
            };
            filters.push(sql);
            filter_nodes.push(node);
        }
        let Some((column, attno, typ, collation)) = key else {
            return Ok(None);
        };
        let key_collation = crate::pg::names::collation_sql(collation)?;
        let (Some(eq), Some(eq_oid)) = (
            crate::pg::names::equality_operator(typ),
            crate::pg::names::equality_operator_oid(typ),
        ) else {
            return Ok(None);
        };
        let group = TallyGroup {
            source: source.clone(),
            columns: vec![GroupColumn {
                name: column,
                key_type: crate::pg::names::qualified_type(typ),
                key_collation,
                eq,
            }],
            null_group: false,
            filter: (!filters.is_empty()).then(|| filters.join(" AND ")),
            slots: Vec::new(),
            // The slots' columns are added by [`finish_identities`].
            identity: format!(
                "{}/{attno}/{}/{}/{}/{}",
                relid.to_u32(),
                typ.to_u32(),
                collation.to_u32(),
                eq_oid.to_u32(),
                filter_nodes.join("|")
            ),
            state: None,
            pending: None,
        };
        let g = match groups.iter().position(|x| {
            TallyGroup {
                slots: Vec::new(),
                ..x.clone()
            } == group
        }) {
            Some(g) => g,
            None => {
                groups.push(group);
                groups.len() - 1
            }
        };
        // The aggregates: each replaced by a placeholder; nothing else may read the child.
        let mut ok = true;
        let expr = mutate((**target).expr as *mut pg_sys::Node, &mut |node| {
            if !ok {
                return None;
            }
            if is_a(node, pg_sys::NodeTag::T_Var) && (*(node as *mut pg_sys::Var)).varlevelsup == 0
            {
                ok = false;
                return None;
            }
            if !is_a(node, pg_sys::NodeTag::T_Aggref) {
                return None;
            }
            match aggregate(node as *mut pg_sys::Aggref, relid, &mut groups[g]) {
                Some(aggregate) => {
                    let (id, ph) = placeholder(*next);
                    *next += 1;
                    uses.push(Use {
                        placeholder: ph,
                        group: g,
                        aggregate,
                    });
                    Some(param_for(node, id))
                }
                None => {
                    ok = false;
                    None
                }
            }
        });
        if !ok {
            return Ok(None);
        }
        // The root's columns, one level up inside the subquery, are the expression's own.
        pg_sys::IncrementVarSublevelsUp(expr, -1, 1);
        Ok(Some(crate::analyze::parse::deparse_expression_over(
            expr, root_table, "r",
        )))
    }
}

/// The definition level `d` (under `SELECT * FROM view`) as a [`Summary`], when it
/// aggregates one plain table at the top level with aggregates a state keeps: no subquery,
/// window, DISTINCT, ORDER BY, LIMIT or set operation; `GROUP BY` nothing (one row:
/// `one_row`) or columns of the table that are together the key (`key`, in its order), each
/// of a type with a default btree equality that `GROUP BY` uses, not a domain, under a
/// deterministic collation; or
/// the table inner-joined to a *lookup* by one equality of a column of the table with a
/// column unique in the lookup, grouped by that column (the key, either side's) and other
/// columns of the lookup; `WHERE` conditions on the table's row alone as for a document's
/// tallies, or on the lookup's row alone; every output column and `HAVING` made of the
/// grouped columns, the aggregates `tally_subquery` accepts but `min`/`max` (at least one)
/// over the table, and constants. `None` for anything else: the definition is then computed
/// from the tables, as before.
///
/// # Safety
/// `d` must be a valid analyzed query, alive for the call.
pub unsafe fn summary(
    d: *mut pg_sys::Query,
    key: &[String],
    one_row: bool,
) -> Result<Option<(Summary, tviews_core::sqlgen::tally::SourceTally)>, TviewError> {
    // SAFETY: per contract; nodes are cast after their tags are checked.
    unsafe {
        let q = &*d;
        let plain = plain_aggregate(q) && (list_len(q.groupClause) == 0) == one_row;
        if !plain {
            return Ok(None);
        }
        // The tables (one, or two joined), and every condition (an inner join's ON is a
        // WHERE condition like any other).
        let mut conds = Vec::new();
        let Some((rels, outer)) = from_tables(q, &mut conds) else {
            return Ok(None);
        };
        if outer.is_some() && one_row {
            return Ok(None);
        }
        for (_, relid) in &rels {
            let sign =
                std::ffi::CString::new(format!("{}sign", tviews_core::sqlgen::RESERVED_PREFIX))
                    .expect("no NUL");
            if pg_sys::get_attnum(*relid, sign.as_ptr()) != pg_sys::InvalidAttrNumber as i16 {
                return Ok(None);
            }
        }
        // With two tables: the one equality linking them; the aggregated table is the one
        // the aggregates read (or, reading none, the side whose column is not unique), the
        // other is the lookup, unique on its column.
        let (t_index, t_relid, link) = match rels.as_slice() {
            [(i, relid)] => (*i, *relid, None),
            [a, b] if !one_row => {
                let link = match &outer {
                    // A LEFT JOIN from the lookup: the link and conditions on the table's
                    // row alone in its ON (rows failing them join no group), conditions on
                    // the lookup's row alone in the WHERE.
                    Some(o) => {
                        let Some((link, rest)) = linking_condition(&o.on, a.0, b.0) else {
                            return Ok(None);
                        };
                        if !rest.iter().all(|c| reads_only(*c, o.nullable))
                            || !conds.iter().all(|c| reads_only(*c, o.preserved))
                        {
                            return Ok(None);
                        }
                        conds.extend(rest);
                        link
                    }
                    None => {
                        let Some((link, rest)) = linking_condition(&conds, a.0, b.0) else {
                            return Ok(None);
                        };
                        conds = rest;
                        link
                    }
                };
                let read = aggregated_tables(d);
                let unique = |relid: pg_sys::Oid, attno: i16| -> Result<bool, TviewError> {
                    match crate::pg::names::attribute_name(relid, attno) {
                        Some(c) => super::patch::key_unique_in_root(relid, &c),
                        None => Ok(false),
                    }
                };
                let (ua, ub) = (unique(a.1, link.a_attno)?, unique(b.1, link.b_attno)?);
                let lookup_is_b = match (read.as_slice(), &outer) {
                    // The preserved side is the lookup, the aggregates read the other.
                    ([], Some(o)) => o.preserved == b.0,
                    ([x], Some(o)) if *x == o.nullable => o.preserved == b.0,
                    (_, Some(_)) => return Ok(None),
                    ([x], None) if *x == a.0 => true,
                    ([x], None) if *x == b.0 => false,
                    ([], None) => ub || !ua,
                    _ => return Ok(None),
                };
                let (t, l, t_attno, l_attno, lu) = match lookup_is_b {
                    true => (*a, *b, link.a_attno, link.b_attno, ub),
                    false => (*b, *a, link.b_attno, link.a_attno, ua),
                };
                if !lu {
                    return Ok(None);
                }
                (t.0, t.1, Some((l, t_attno, l_attno, link.opno)))
            }
            _ => return Ok(None),
        };
        // A private copy whose Vars name the table 1 and the lookup 2, as the rest expects.
        let d = pg_sys::copyObjectImpl(d as *const std::ffi::c_void) as *mut pg_sys::Query;
        let mut conds: Vec<*mut pg_sys::Node> = conds
            .iter()
            .map(|c| pg_sys::copyObjectImpl(*c as *const std::ffi::c_void) as *mut pg_sys::Node)
            .collect();
        let renumber = |n: *mut pg_sys::Node| {
            pg_sys::ChangeVarNodes(n, t_index, 1001, 0);
            if let Some(((l_index, _), ..)) = link {
                pg_sys::ChangeVarNodes(n, l_index, 1002, 0);
            }
            pg_sys::ChangeVarNodes(n, 1001, 1, 0);
            pg_sys::ChangeVarNodes(n, 1002, 2, 0);
        };
        renumber(d as *mut pg_sys::Node);
        for c in &mut conds {
            renumber(*c);
        }
        let q = &*d;
        let relid = t_relid;
        let Some((schema, name)) = crate::pg::names::relation_name(relid) else {
            return Ok(None);
        };
        let source = TableRef {
            oid: relid.to_u32(),
            schema,
            name,
        };
        let lookup_relid = link.map(|((_, r), ..)| r);
        // The state's key: the GROUP BY columns of the table, or the table's side of the
        // link. Each is a key column of the TVIEW, in the key's order (`by_key`: the Vars
        // standing for each, the link's two sides for one). With a link the GROUP BY may
        // list the key (either side) and the lookup's columns.
        let mut by_key: Vec<Vec<(i32, i16)>> = Vec::new();
        if let Some((_, t_attno, l_attno, _)) = link {
            by_key = vec![vec![(1, t_attno), (2, l_attno)]];
        }
        let mut group_attnos: Vec<i16> = Vec::new();
        for sgc in list_iter::<pg_sys::SortGroupClause>(q.groupClause) {
            let tle = pg_sys::get_sortgroupclause_tle(sgc, q.targetList);
            let e = (*tle).expr as *mut pg_sys::Node;
            if !is_a(e, pg_sys::NodeTag::T_Var) {
                return Ok(None);
            }
            let v = &*(e as *mut pg_sys::Var);
            if v.varattno <= 0 || v.varlevelsup != 0 || !(v.varno == 1 || v.varno == 2) {
                return Ok(None);
            }
            match link {
                // Beside a LEFT JOIN the table's columns are NULL in a group without rows.
                _ if v.varno == 1 && outer.is_some() => return Ok(None),
                // A column of the table beside the link is a key column of its own.
                _ if v.varno == 1 && !by_key.iter().any(|k| k.contains(&(1, v.varattno))) => {
                    group_attnos.push(v.varattno)
                }
                Some(_) => {}
                None => return Ok(None),
            }
        }
        let shown_as = |name: &str| -> Option<(i32, i16)> {
            list_iter::<pg_sys::TargetEntry>(q.targetList).find_map(|te| {
                let e = (*te).expr as *mut pg_sys::Node;
                (!(*te).resjunk
                    && is_a(e, pg_sys::NodeTag::T_Var)
                    && crate::pg::nodes::cstring((*te).resname).as_deref() == Some(name))
                .then(|| {
                    let v = &*(e as *mut pg_sys::Var);
                    (v.varno, v.varattno)
                })
            })
        };
        // The table's GROUP BY columns, each once (one listed twice: not a summary).
        let mut distinct = group_attnos.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != group_attnos.len() {
            return Ok(None);
        }
        if link.is_none() && !one_row {
            // The key names the GROUP BY columns, each once, as the definition shows them.
            for name in key {
                match shown_as(name) {
                    Some((1, attno)) if group_attnos.contains(&attno) => {
                        by_key.push(vec![(1, attno)])
                    }
                    _ => return Ok(None),
                }
            }
            if by_key.len() != distinct.len() {
                return Ok(None);
            }
        }
        let mut grouped: Vec<(String, i16, pg_sys::Oid, pg_sys::Oid, pg_sys::Oid)> = Vec::new();
        // With a link, where the link's column is among the key's (see `Lookup::position`).
        let mut link_position = 0usize;
        if !one_row {
            // With a link: the key is the link (either side, shown, listed by the GROUP BY)
            // and the table's other GROUP BY columns, each shown once, in the key's order.
            if let Some(((_, l), _, l_attno, opno)) = link {
                let vars = by_key[0].clone();
                let listed = list_iter::<pg_sys::SortGroupClause>(q.groupClause).any(|g| {
                    let tle = pg_sys::get_sortgroupclause_tle(g, q.targetList);
                    let e = (*tle).expr as *mut pg_sys::Node;
                    is_a(e, pg_sys::NodeTag::T_Var) && {
                        let v = &*(e as *mut pg_sys::Var);
                        vars.contains(&(v.varno, v.varattno))
                    }
                });
                let mut ordered: Vec<Vec<(i32, i16)>> = Vec::new();
                let mut at = None;
                for name in key {
                    match shown_as(name) {
                        // Beside a LEFT JOIN, the lookup's side of the link only.
                        Some((1, _)) if outer.is_some() => return Ok(None),
                        Some(v) if vars.contains(&v) && at.is_none() => {
                            at = Some(ordered.len());
                            ordered.push(vars.clone());
                        }
                        Some((1, attno))
                            if group_attnos.contains(&attno)
                                && !ordered.iter().any(|o| o.contains(&(1, attno))) =>
                        {
                            ordered.push(vec![(1, attno)])
                        }
                        _ => return Ok(None),
                    }
                }
                let (typ, coll) = type_and_collation(relid, vars[0].1);
                let same_type = type_and_collation(l, l_attno) == (typ, coll)
                    && crate::pg::names::equality_operator_oid(typ) == Some(opno);
                let Some(at) = at else {
                    return Ok(None);
                };
                if !(listed && same_type && ordered.len() == distinct.len() + 1) {
                    return Ok(None);
                }
                by_key = ordered;
                link_position = at;
            }
            for vars in &by_key {
                let t_attno = vars[0].1;
                let (typ, coll) = type_and_collation(relid, t_attno);
                let (Some(column), Some(eq)) = (
                    crate::pg::names::attribute_name(relid, t_attno),
                    crate::pg::names::equality_operator_oid(typ),
                ) else {
                    return Ok(None);
                };
                // A domain's rows would come back from the state as its base type.
                if pg_sys::getBaseType(typ) != typ
                    || (coll != pg_sys::InvalidOid
                        && !crate::pg::names::collation_is_deterministic(coll))
                {
                    return Ok(None);
                }
                grouped.push((column, t_attno, typ, coll, eq));
            }
            // Each GROUP BY tells its values apart with its type's default equality.
            if by_key.is_empty()
                || list_iter::<pg_sys::SortGroupClause>(q.groupClause).any(|g| {
                    (*g).eqop != {
                        let tle = pg_sys::get_sortgroupclause_tle(g, q.targetList);
                        crate::pg::names::equality_operator_oid(pg_sys::exprType(
                            (*tle).expr as *mut pg_sys::Node,
                        ))
                        .unwrap_or(pg_sys::InvalidOid)
                    }
                })
            {
                return Ok(None);
            }
        }
        // The conditions: on the table's row alone (see tally_subquery), or on the lookup's.
        let mut filters: Vec<String> = Vec::new();
        let mut filter_nodes: Vec<String> = Vec::new();
        let mut lookup_filters: Vec<String> = Vec::new();
        for c in conds {
            match (reads_only(c, 1), lookup_relid) {
                (true, _) => {}
                (false, Some(l)) if reads_only(c, 2) && !has_other_than_row(c) => {
                    pg_sys::ChangeVarNodes(c, 2, 1, 0);
                    lookup_filters.push(format!(
                        "({})",
                        crate::analyze::parse::deparse_expression_over(c, l, "l")
                    ));
                    continue;
                }
                _ => return Ok(None),
            }
            let Some((sql, node)) = state_filter(c, relid) else {
                return Ok(None);
            };
            filters.push(sql);
            filter_nodes.push(node);
        }
        // NULL groups of their own, unless an inner join keeps NULL keys out (the link's
        // column; beside it, a NULL in another column of the table is a group).
        let mut null_group = false;
        for (i, (column, ..)) in grouped.iter().enumerate() {
            if link.is_none() || i != link_position {
                null_group |= !crate::pg::names::column_not_null(relid, column)?;
            }
        }
        let mut columns = Vec::new();
        for (column, _, typ, coll, _) in &grouped {
            let Some(eq) = crate::pg::names::equality_operator(*typ) else {
                return Ok(None);
            };
            columns.push(GroupColumn {
                name: column.clone(),
                key_type: crate::pg::names::qualified_type(*typ),
                key_collation: crate::pg::names::collation_sql(*coll)?,
                eq,
            });
        }
        let identity = match grouped.is_empty() {
            true => format!("summary/{}/{}", relid.to_u32(), filter_nodes.join("|")),
            false => format!(
                "summary/{}/{}/{null_group}/{}",
                relid.to_u32(),
                grouped
                    .iter()
                    .map(|(_, attno, typ, coll, eq)| format!(
                        "{attno}/{}/{}/{}",
                        typ.to_u32(),
                        coll.to_u32(),
                        eq.to_u32()
                    ))
                    .collect::<Vec<_>>()
                    .join("/"),
                filter_nodes.join("|")
            ),
        };
        let lookup = match (link, lookup_relid) {
            (Some((_, _, l_attno, _)), Some(l)) => {
                let (Some((schema, name)), Some(column)) = (
                    crate::pg::names::relation_name(l),
                    crate::pg::names::attribute_name(l, l_attno),
                ) else {
                    return Ok(None);
                };
                Some(Lookup {
                    table: TableRef {
                        oid: l.to_u32(),
                        schema,
                        name,
                    },
                    column,
                    position: link_position,
                    outer: outer.is_some(),
                    filter: (!lookup_filters.is_empty()).then(|| lookup_filters.join(" AND ")),
                })
            }
            _ => None,
        };
        let mut group = TallyGroup {
            source: source.clone(),
            columns,
            null_group,
            filter: (!filters.is_empty()).then(|| filters.join(" AND ")),
            slots: Vec::new(),
            identity,
            state: None,
            pending: None,
        };
        // Each output column and the HAVING: aggregates, the key and the lookup's columns
        // become placeholders; nothing else may read the tables.
        let mut next = 0usize;
        let mut kept = false;
        let mut place = |expr: *mut pg_sys::Node, group: &mut TallyGroup| -> Option<Placed> {
            let mut parts: Vec<(String, Part)> = Vec::new();
            let mut ok = true;
            let out = mutate(expr, &mut |node| {
                if !ok {
                    return None;
                }
                if is_a(node, pg_sys::NodeTag::T_Var) {
                    let v = &*(node as *mut pg_sys::Var);
                    let part = match (v.varlevelsup, v.varno) {
                        // Beside a LEFT JOIN the table's side of the link is NULL in a
                        // group without rows.
                        (0, 1) if outer.is_some() => None,
                        (0, _) if by_key.iter().any(|k| k.contains(&(v.varno, v.varattno))) => {
                            by_key
                                .iter()
                                .position(|k| k.contains(&(v.varno, v.varattno)))
                                .map(Part::Group)
                        }
                        (0, 2) if v.varattno > 0 => lookup_relid
                            .and_then(|l| crate::pg::names::attribute_name(l, v.varattno))
                            .map(Part::Lookup),
                        _ => None,
                    };
                    let Some(part) = part else {
                        ok = false;
                        return None;
                    };
                    let (id, ph) = placeholder(next);
                    next += 1;
                    parts.push((ph, part));
                    return Some(param_for(node, id));
                }
                if !is_a(node, pg_sys::NodeTag::T_Aggref) {
                    return None;
                }
                match aggregate(node as *mut pg_sys::Aggref, relid, group) {
                    // A min or max would read the group's rows for every change (one
                    // probe only with an index on the key and its column): recomputing
                    // the group reads them once for every aggregate.
                    Some(Tallied::Extreme { .. }) => {
                        ok = false;
                        None
                    }
                    Some(a) => {
                        kept = true;
                        let (id, ph) = placeholder(next);
                        next += 1;
                        parts.push((ph, Part::Aggregate(a)));
                        Some(param_for(node, id))
                    }
                    None => {
                        ok = false;
                        None
                    }
                }
            });
            if !ok {
                return None;
            }
            Some(Placed {
                sql: crate::analyze::parse::deparse_expression_over(out, relid, "n"),
                parts,
            })
        };
        let mut columns = Vec::new();
        for te in list_iter::<pg_sys::TargetEntry>(q.targetList) {
            if (*te).resjunk {
                continue;
            }
            let Some(name) = crate::pg::nodes::cstring((*te).resname) else {
                return Ok(None);
            };
            let Some(v) = place((*te).expr as *mut pg_sys::Node, &mut group) else {
                return Ok(None);
            };
            columns.push((name, v));
        }
        let having = match q.havingQual.is_null() {
            true => None,
            false => match place(q.havingQual, &mut group) {
                Some(h) => Some(h),
                None => return Ok(None),
            },
        };
        if !kept {
            return Ok(None);
        }
        // Every placeholder must come back exactly once from the printed SQL.
        let all: Vec<&Placed> = columns
            .iter()
            .map(|(_, v)| v)
            .chain(having.iter())
            .collect();
        if all.iter().any(|p| {
            let dummy: Vec<(String, String)> = p
                .parts
                .iter()
                .map(|(ph, _)| (ph.clone(), "x".to_string()))
                .collect();
            substitute(&p.sql, &dummy).is_none()
        }) {
            return Ok(None);
        }
        let mut groups = vec![group];
        finish_identities(&mut groups)?;
        let tally = tviews_core::sqlgen::tally::SourceTally {
            source: relid.to_u32(),
            groups: groups.clone(),
            values: Vec::new(),
        };
        let group = groups.pop().expect("one group");
        Ok(Some((
            Summary {
                group,
                lookup,
                columns,
                having,
            },
            tally,
        )))
    }
}

/// Is `q` a SELECT that aggregates and does nothing a state could not follow: no window
/// function, set-returning function in the select list, sublink, DISTINCT, WITH, grouping
/// sets, ORDER BY, LIMIT, set operation, row lock or row security? (`GROUP BY` and `HAVING`
/// are each caller's own question.)
fn plain_aggregate(q: &pg_sys::Query) -> bool {
    q.commandType == pg_sys::CmdType::CMD_SELECT
        && q.hasAggs
        && !q.hasWindowFuncs
        && !q.hasTargetSRFs
        && !q.hasSubLinks
        && !q.hasDistinctOn
        && !q.hasRecursive
        && !q.hasModifyingCTE
        && !q.hasForUpdate
        && !q.hasRowSecurity
        && q.cteList.is_null()
        && q.groupingSets.is_null()
        && q.distinctClause.is_null()
        && q.sortClause.is_null()
        && q.limitCount.is_null()
        && q.limitOffset.is_null()
        && q.setOperations.is_null()
        && q.rowMarks.is_null()
}

/// Tables of a level: range-table index and OID.
type Tables = Vec<(i32, pg_sys::Oid)>;

/// A `LEFT JOIN` (or `RIGHT JOIN`) of two tables as the whole `FROM`: the range-table
/// indexes of its preserved and nullable sides, and its `ON` conditions.
struct OuterJoin {
    preserved: i32,
    nullable: i32,
    on: Vec<*mut pg_sys::Node>,
}

/// The plain tables of level `q` (range table index and OID): one, or two joined by an
/// inner join (`JOIN ... ON` or a comma) or by a `LEFT` or `RIGHT JOIN` that is the whole
/// `FROM` (returned apart, with its `ON` conditions), each read by name (no view, no row
/// security, no TABLESAMPLE, no inheritance child read through its parent); every other
/// condition of the level (inner ON and WHERE) is added to `conds`. `None` for anything
/// else.
///
/// # Safety
/// `q` must be a valid analyzed query.
unsafe fn from_tables(
    q: &pg_sys::Query,
    conds: &mut Vec<*mut pg_sys::Node>,
) -> Option<(Tables, Option<OuterJoin>)> {
    // SAFETY: per contract; nodes are cast after their tags are checked.
    unsafe {
        let mut rels = Vec::new();
        let mut outer_joins = 0;
        for (i, rte) in list_iter::<pg_sys::RangeTblEntry>(q.rtable).enumerate() {
            match (*rte).rtekind {
                pg_sys::RTEKind::RTE_RELATION => {
                    if (*rte).relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char
                        || !(*rte).securityQuals.is_null()
                        || !(*rte).tablesample.is_null()
                    {
                        return None;
                    }
                    rels.push((i as i32 + 1, (*rte).relid));
                }
                pg_sys::RTEKind::RTE_JOIN if (*rte).jointype == pg_sys::JoinType::JOIN_INNER => {}
                pg_sys::RTEKind::RTE_JOIN
                    if matches!(
                        (*rte).jointype,
                        pg_sys::JoinType::JOIN_LEFT | pg_sys::JoinType::JOIN_RIGHT
                    ) =>
                {
                    outer_joins += 1
                }
                // PostgreSQL 18's grouping step: its Vars are flattened away (see
                // parse::flatten_grouping).
                #[cfg(feature = "pg18")]
                pg_sys::RTEKind::RTE_GROUP => {}
                _ => return None,
            }
        }
        conjuncts((*q.jointree).quals, conds);
        let mut leaves = 0;
        let mut outer = None;
        let items: Vec<*mut pg_sys::Node> =
            list_iter::<pg_sys::Node>((*q.jointree).fromlist).collect();
        match items.as_slice() {
            [j] if outer_joins == 1 && is_a(*j, pg_sys::NodeTag::T_JoinExpr) => {
                let j = &*(*j as *mut pg_sys::JoinExpr);
                let index = |n: *mut pg_sys::Node| {
                    is_a(n, pg_sys::NodeTag::T_RangeTblRef)
                        .then(|| (*(n as *mut pg_sys::RangeTblRef)).rtindex)
                };
                let (Some(left), Some(right)) = (index(j.larg), index(j.rarg)) else {
                    return None;
                };
                if !j.usingClause.is_null() || j.isNatural {
                    return None;
                }
                let mut on = Vec::new();
                conjuncts(j.quals, &mut on);
                let (preserved, nullable) = match j.jointype {
                    pg_sys::JoinType::JOIN_LEFT => (left, right),
                    pg_sys::JoinType::JOIN_RIGHT => (right, left),
                    _ => return None,
                };
                outer = Some(OuterJoin {
                    preserved,
                    nullable,
                    on,
                });
                leaves = 2;
            }
            _ if outer_joins == 0 => {
                for item in items {
                    leaves += from_item(item, conds)?;
                }
            }
            _ => return None,
        }
        // Two distinct tables; a Var of a join (a USING column) names neither.
        (leaves == rels.len() && rels.len() <= 2 && !(rels.len() == 2 && rels[0].1 == rels[1].1))
            .then_some((rels, outer))
    }
}

/// The number of tables under FROM item `item` (a table, or an inner join of tables whose
/// ON conditions go to `conds`); `None` for anything else.
///
/// # Safety
/// `item` must be a valid FROM item.
unsafe fn from_item(item: *mut pg_sys::Node, conds: &mut Vec<*mut pg_sys::Node>) -> Option<usize> {
    // SAFETY: per contract; nodes are cast after their tags are checked.
    unsafe {
        if is_a(item, pg_sys::NodeTag::T_RangeTblRef) {
            return Some(1);
        }
        if !is_a(item, pg_sys::NodeTag::T_JoinExpr) {
            return None;
        }
        let j = item as *mut pg_sys::JoinExpr;
        if (*j).jointype != pg_sys::JoinType::JOIN_INNER
            || !(*j).usingClause.is_null()
            || (*j).isNatural
        {
            return None;
        }
        conjuncts((*j).quals, conds);
        Some(from_item((*j).larg, conds)? + from_item((*j).rarg, conds)?)
    }
}

/// The equality linking tables `a` and `b`.
struct Link {
    a_attno: i16,
    b_attno: i16,
    opno: pg_sys::Oid,
}

/// The one condition of `conds` comparing a column of `a` with a column of `b` by an
/// equality (the same operator as the type's default btree equality), and the other
/// conditions, none of which may read both.
///
/// # Safety
/// `conds` must be valid expressions.
unsafe fn linking_condition(
    conds: &[*mut pg_sys::Node],
    a: i32,
    b: i32,
) -> Option<(Link, Vec<*mut pg_sys::Node>)> {
    // SAFETY: per contract; nodes are cast after their tags are checked.
    unsafe {
        let mut link = None;
        let mut rest = Vec::new();
        for c in conds {
            if reads_only(*c, a) || reads_only(*c, b) {
                rest.push(*c);
                continue;
            }
            if link.is_some() || !is_a(*c, pg_sys::NodeTag::T_OpExpr) {
                return None;
            }
            let op = *c as *mut pg_sys::OpExpr;
            let args: Vec<*mut pg_sys::Node> = list_iter::<pg_sys::Node>((*op).args).collect();
            let [x, y] = args.as_slice() else {
                return None;
            };
            let var = |n: *mut pg_sys::Node| {
                let n = crate::pg::nodes::strip_domain_relabel(n);
                is_a(n, pg_sys::NodeTag::T_Var).then(|| &*(n as *mut pg_sys::Var))
            };
            let (vx, vy) = (var(*x)?, var(*y)?);
            if vx.varlevelsup != 0 || vy.varlevelsup != 0 || vx.varattno <= 0 || vy.varattno <= 0 {
                return None;
            }
            if crate::pg::names::equality_operator_oid(vx.vartype) != Some((*op).opno) {
                return None;
            }
            link = Some(match (vx.varno, vy.varno) {
                (p, r) if p == a && r == b => Link {
                    a_attno: vx.varattno,
                    b_attno: vy.varattno,
                    opno: (*op).opno,
                },
                (p, r) if p == b && r == a => Link {
                    a_attno: vy.varattno,
                    b_attno: vx.varattno,
                    opno: (*op).opno,
                },
                _ => return None,
            });
        }
        link.map(|l| (l, rest))
    }
}

/// The range table indexes whose columns the level's aggregates read.
///
/// # Safety
/// `d` must be a valid analyzed query.
unsafe fn aggregated_tables(d: *mut pg_sys::Query) -> Vec<i32> {
    use crate::pg::nodes::{walk, Visit};
    let mut out: Vec<i32> = Vec::new();
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        let mut in_aggregate = |node: *mut pg_sys::Node| {
            walk(node, &mut |n, _| {
                if is_a(n, pg_sys::NodeTag::T_Var) {
                    let v = &*(n as *mut pg_sys::Var);
                    if v.varlevelsup == 0 && !out.contains(&v.varno) {
                        out.push(v.varno);
                    }
                }
                Visit::Descend
            });
        };
        let mut aggs: Vec<*mut pg_sys::Node> = Vec::new();
        for root in [(*d).targetList as *mut pg_sys::Node, (*d).havingQual] {
            walk(root, &mut |n, _| {
                if is_a(n, pg_sys::NodeTag::T_Aggref) {
                    aggs.push(n);
                    return Visit::Skip;
                }
                Visit::Descend
            });
        }
        for a in aggs {
            in_aggregate(a);
        }
    }
    out
}

/// The type and collation of column `attno` of `relid`.
///
/// # Safety
/// The column must exist.
unsafe fn type_and_collation(relid: pg_sys::Oid, attno: i16) -> (pg_sys::Oid, pg_sys::Oid) {
    let (mut typ, mut typmod, mut coll) = (pg_sys::InvalidOid, -1, pg_sys::InvalidOid);
    // SAFETY: per contract.
    unsafe { pg_sys::get_atttypetypmodcoll(relid, attno, &mut typ, &mut typmod, &mut coll) };
    (typ, coll)
}

/// Does `c` read columns of range table entry `index` only (and at least one)?
///
/// # Safety
/// `c` must be a valid expression.
unsafe fn reads_only(c: *mut pg_sys::Node, index: i32) -> bool {
    use crate::pg::nodes::{walk, Visit};
    let (mut own, mut other) = (false, false);
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        walk(c, &mut |n, _| {
            if is_a(n, pg_sys::NodeTag::T_Var) {
                let v = &*(n as *mut pg_sys::Var);
                if v.varlevelsup == 0 && v.varno == index {
                    own = true;
                } else {
                    other = true;
                }
            }
            Visit::Descend
        });
    }
    own && !other
}

/// Condition `c` (on the row of `relid` alone, as varno 1) as a state's filter: its SQL over
/// the row `n` and its parse tree as text (for the state's identity); `None` when a state
/// may not count with it. The state counts every row of the table, also rows no document or
/// group reads (a key no root row has, a root row the definition filters out): a condition
/// that could fail on such a row (a division, a cast) would fail a write the definition
/// never looks at. Leakproof functions raise no error from their arguments.
///
/// # Safety
/// `c` must be a valid expression.
unsafe fn state_filter(c: *mut pg_sys::Node, relid: pg_sys::Oid) -> Option<(String, String)> {
    // SAFETY: per contract.
    unsafe {
        if pg_sys::contain_vars_of_level(c, 1)
            || pg_sys::contain_mutable_functions(c)
            || pg_sys::contain_leaked_vars(c)
            || has_other_than_row(c)
        {
            return None;
        }
        Some((
            format!(
                "({})",
                crate::analyze::parse::deparse_expression_over(c, relid, "n")
            ),
            crate::pg::nodes::cstring(pg_sys::nodeToString(c as *const std::ffi::c_void))
                .unwrap_or_default(),
        ))
    }
}

/// `child.column = root.key` (either way round; the child is `relid`) by the column type's
/// own equality, under a deterministic collation: the column's name and number, its base
/// type and the collation compared under.
///
/// # Safety
/// `c` must be a valid expression.
unsafe fn key_comparison(
    c: *mut pg_sys::Node,
    relid: pg_sys::Oid,
    root_key: i16,
) -> Option<(String, i16, pg_sys::Oid, pg_sys::Oid)> {
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        if !is_a(c, pg_sys::NodeTag::T_OpExpr) {
            return None;
        }
        let op = c as *mut pg_sys::OpExpr;
        let args: Vec<*mut pg_sys::Node> = list_iter::<pg_sys::Node>((*op).args)
            .map(|a| strip_relabel(a))
            .collect();
        let [a, b] = args.as_slice() else {
            return None;
        };
        let var = |n: *mut pg_sys::Node| {
            let n = crate::pg::nodes::strip_domain_relabel(n);
            is_a(n, pg_sys::NodeTag::T_Var).then(|| &*(n as *mut pg_sys::Var))
        };
        let (va, vb) = (var(*a)?, var(*b)?);
        let (child, root) = match (va.varlevelsup, vb.varlevelsup) {
            (0, 1) => (va, vb),
            (1, 0) => (vb, va),
            _ => return None,
        };
        if child.varno != 1 || child.varattno <= 0 || root.varno != 1 || root.varattno != root_key {
            return None;
        }
        let typ = pg_sys::getBaseType(child.vartype);
        if typ != pg_sys::getBaseType(root.vartype)
            || crate::pg::names::equality_operator_oid(typ) != Some((*op).opno)
        {
            return None;
        }
        let coll = (*op).inputcollid;
        if coll != pg_sys::InvalidOid && !crate::pg::names::collation_is_deterministic(coll) {
            return None;
        }
        let name = crate::pg::names::attribute_name(relid, child.varattno)?;
        Some((name, child.varattno, typ, coll))
    }
}

/// Does `c` read anything but the child row's own columns (a Param, a whole-row Var, a
/// system column)?
///
/// # Safety
/// `c` must be a valid expression.
unsafe fn has_other_than_row(c: *mut pg_sys::Node) -> bool {
    use crate::pg::nodes::{walk, Visit};
    let mut other = false;
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        walk(c, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Param)
                || is_a(node, pg_sys::NodeTag::T_SubLink)
                || is_a(node, pg_sys::NodeTag::T_Aggref)
                || (is_a(node, pg_sys::NodeTag::T_Var)
                    && (*(node as *mut pg_sys::Var)).varattno <= 0)
            {
                other = true;
                return Visit::Stop;
            }
            Visit::Descend
        });
    }
    other
}

/// What aggregate `a` (of the subquery over `relid`) computes from `group`'s state, adding
/// the slot it needs.
///
/// # Safety
/// `a` must be a valid Aggref.
unsafe fn aggregate(
    a: *mut pg_sys::Aggref,
    relid: pg_sys::Oid,
    group: &mut TallyGroup,
) -> Option<Tallied> {
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        if (*a).agglevelsup != 0
            || (*a).aggkind != b'n' as std::ffi::c_char
            || !(*a).aggdistinct.is_null()
            || !(*a).aggorder.is_null()
            || !(*a).aggfilter.is_null()
            || !(*a).aggdirectargs.is_null()
        {
            return None;
        }
        let fnoid = (*a).aggfnoid.to_u32();
        if fnoid == COUNT_ROWS {
            return Some(Tallied::Rows);
        }
        let (kind, summed) = match aggregate_kind(fnoid) {
            Some(k) => k,
            None => {
                let max: fn(usize) -> Tallied = |slot| Tallied::Extreme { slot, max: true };
                let min: fn(usize) -> Tallied = |slot| Tallied::Extreme { slot, max: false };
                (
                    if builtin_extreme((*a).aggfnoid)? {
                        max
                    } else {
                        min
                    },
                    false,
                )
            }
        };
        let args: Vec<*mut pg_sys::TargetEntry> =
            list_iter::<pg_sys::TargetEntry>((*a).args).collect();
        let [arg] = args.as_slice() else {
            return None;
        };
        let e = (**arg).expr as *mut pg_sys::Node;
        if !is_a(e, pg_sys::NodeTag::T_Var) {
            return None;
        }
        let v = &*(e as *mut pg_sys::Var);
        if v.varlevelsup != 0 || v.varno != 1 || v.varattno <= 0 {
            return None;
        }
        // A sum of numerics has the largest scale among them: kept by delta only when every
        // value has the column's declared scale (numeric(p, s)), so subtracting one leaves
        // the scale the others give.
        if matches!(fnoid, SUM_NUMERIC | AVG_NUMERIC)
            && (v.vartype != pg_sys::NUMERICOID || v.vartypmod < 0)
        {
            return None;
        }
        // count(x) counts the values that are not NULL; a row value with NULL fields is
        // such a value, but `IS NOT NULL`, which the state's delta tests, says otherwise.
        if pg_sys::type_is_rowtype(pg_sys::getBaseType(v.vartype)) {
            return None;
        }
        let column = crate::pg::names::attribute_name(relid, v.varattno)?;
        let slot = match group.slots.iter().position(|s| s.column == column) {
            Some(i) => {
                group.slots[i].summed |= summed;
                i
            }
            None => {
                group.slots.push(Slot {
                    column,
                    summed,
                    values: match v.vartype {
                        pg_sys::BOOLOID => Values::Boolean,
                        pg_sys::NUMERICOID => Values::Numeric,
                        _ => Values::Plain,
                    },
                });
                group.slots.len() - 1
            }
        };
        Some(kind(slot))
    }
}

/// Is `fnoid` the built-in `max` (true) or `min` (false) of some type? `None` for any other
/// function, a `min` of one's own included: the subquery reading it names
/// `pg_catalog.min`, which the column's type resolves to the same aggregate.
fn builtin_extreme(fnoid: pg_sys::Oid) -> Option<bool> {
    match crate::analyze::parse::builtin_name(fnoid)?.as_str() {
        "max" => Some(true),
        "min" => Some(false),
        _ => None,
    }
}

/// Complete each group's identity with its slots' columns, by number (see
/// `TallyGroup::identity`), once every value has added its slots.
pub fn finish_identities(groups: &mut [TallyGroup]) -> Result<(), TviewError> {
    for g in groups {
        let source = pg_sys::Oid::from(g.source.oid);
        let mut slots = Vec::new();
        for s in &g.slots {
            slots.push(format!(
                "{}:{}",
                crate::pg::names::attnum(source, &s.column)?,
                s.identity_mark()
            ));
        }
        g.identity = format!("{}/{}", g.identity, slots.join(","));
    }
    Ok(())
}
