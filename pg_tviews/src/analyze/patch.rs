//! Which sources may take the fast path (see `tviews_core::sqlgen::patch`), read from the
//! analyzed definition.
//!
//! The definition's own level (the view query under `SELECT * FROM view`) must be a plain
//! join: no grouping, aggregates, DISTINCT, window functions, set operations, LIMIT or WITH.
//! A source qualifies when it occurs once in the whole definition, as a table of that level,
//! and is the root or a lookup one join away from it. Its patchable values are arguments of a
//! top-level `jsonb_build_object` with constant, distinct keys that read only that table's
//! columns (no subquery, no aggregate). Every other place reading one of its columns (joins,
//! filters, other output columns, correlated subqueries, also through join aliases) makes
//! that column guarded.

use std::collections::BTreeSet;
use std::ffi::c_void;

use pgrx::pg_sys;
use tviews_core::model::DefinitionModel;
use tviews_core::plan::{MaintenancePlan, Reach};
use tviews_core::sqlgen::patch::{DocumentPatch, KeyValue, PartialSource, PatchSource, Via};
use tviews_core::sqlgen::tally::{SourceTally, TalliedValue};

use crate::errors::TviewError;
use crate::pg::names::attribute_name;
use crate::pg::nodes::{cstring, is_a, list_iter, list_len, list_nth};

/// What [`setting_sources`] finds.
#[derive(Default)]
pub struct SettingSources {
    pub patches: Vec<PatchSource>,
    pub partials: Vec<PartialSource>,
    /// The partial sources' subqueries that can read tallies.
    pub tallies: Vec<SourceTally>,
}

/// The sources whose changes set some keys of stored documents, from the definition under
/// `outer` (the analyzed, rewritten `SELECT * FROM <definition view>`): the fast path's and
/// partial recompute's, both reading the level [`setting_level`] checks once.
///
/// # Safety
/// `outer` must be a valid analyzed query, alive for the call.
pub unsafe fn setting_sources(
    outer: *mut pg_sys::Query,
    model: &DefinitionModel,
    plan: &MaintenancePlan,
) -> Result<SettingSources, TviewError> {
    // SAFETY: per contract.
    unsafe {
        let Some((d, root, root_table)) = setting_level(outer, model, plan)? else {
            return Ok(SettingSources::default());
        };
        let (partials, tallies) = partial_sources(d, root, root_table, plan)?;
        Ok(SettingSources {
            patches: patch_sources(d, root, model, plan)?,
            partials,
            tallies,
        })
    }
}

/// The fast-path description of every qualifying source of definition level `d`, keyed by
/// `root` (see [`setting_level`]).
///
/// # Safety
/// `d` must be a valid analyzed query, alive for the call.
unsafe fn patch_sources(
    d: *mut pg_sys::Query,
    root: &tviews_core::model::ColumnRef,
    model: &DefinitionModel,
    plan: &MaintenancePlan,
) -> Result<Vec<PatchSource>, TviewError> {
    // SAFETY: per contract; nodes are cast only after their tags are checked.
    unsafe {
        let docs = document_columns(d);
        let mut out = Vec::new();
        for (i, rte) in list_iter::<pg_sys::RangeTblEntry>((*d).rtable).enumerate() {
            if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION {
                continue;
            }
            let relid = (*rte).relid;
            let oid = relid.to_u32();
            if model.occurrences_of(oid).count() != 1 {
                continue;
            }
            let Some(sp) = plan.source(oid) else { continue };
            let via = match sp.reaches.as_slice() {
                [(_, Reach::Root)] => Via::Root {
                    key_column: root.column.clone(),
                },
                [(_, Reach::Path(hops))]
                    if hops.len() == 1
                        && hops[0].from.occ == root.occ
                        && !hops[0].null_safe
                        && joined_by_one_condition(d, (i + 1) as i32)
                        && alone_on_its_nullable_side(
                            (*d).jointree as *mut pg_sys::Node,
                            (i + 1) as i32,
                        ) =>
                {
                    Via::Lookup {
                        root: model.occurrences[root.occ].table.clone(),
                        key_column: root.column.clone(),
                        root_column: hops[0].from.column.clone(),
                        source_column: hops[0].to.column.clone(),
                        operator: Box::new(hops[0].operator.clone()),
                        root_is_left: hops[0].from_is_left,
                    }
                }
                _ => continue,
            };
            let Some(identity) = super::immediate_primary_key(relid)? else {
                continue;
            };
            let identity = identity
                .iter()
                .map(|c| crate::pg::names::eq_column(relid, c))
                .collect::<Result<Vec<_>, _>>()?;
            let x = (i + 1) as i32;
            if let Some(p) = source_patch(d, x, relid, &docs, via, identity)? {
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// What both ways of setting some keys of stored documents (the fast path, partial
/// recompute) need of the definition under `outer`: its own level, a plain join that does
/// not read the clock, keyed by one column of the root table (a key of several columns is
/// recomputed, never set key by key) that is unique in that table on its own: a document is
/// found by its root row's key, which no other row of the table (one the definition filters
/// out, another tenant's) may share, NULL included. Returns that level, the key's column and
/// the root table.
///
/// # Safety
/// `outer` must be a valid analyzed query, alive for the call.
unsafe fn setting_level<'p>(
    outer: *mut pg_sys::Query,
    model: &DefinitionModel,
    plan: &'p MaintenancePlan,
) -> Result<
    Option<(
        *mut pg_sys::Query,
        &'p tviews_core::model::ColumnRef,
        pg_sys::Oid,
    )>,
    TviewError,
> {
    // SAFETY: per contract.
    unsafe {
        let Some(d) = definition_level(outer) else {
            return Ok(None);
        };
        let Some(root) = &plan.root else {
            return Ok(None);
        };
        if !plain_level(d) || reads_the_clock(d) || model.root_columns.len() > 1 {
            return Ok(None);
        }
        let root_table = pg_sys::Oid::from(model.occurrences[root.occ].table.oid);
        if !key_unique_in_root(root_table, &root.column)? {
            return Ok(None);
        }
        Ok(Some((d, root, root_table)))
    }
}

/// Is range table entry `x` of level `d` mentioned by exactly one condition of the level (its
/// join to the root), which stands alone in its ON clause or WHERE? Any other condition on
/// the lookup (`AND t.lang = 'en'`, a second join column, a range, a filter in WHERE) or next
/// to its join condition in an outer join's ON decides which lookup row, if any, a document
/// shows: a changed lookup row could then be patched into documents that do not show it.
unsafe fn joined_by_one_condition(d: *mut pg_sys::Query, x: i32) -> bool {
    // SAFETY: a valid Query; nodes are checked before casts.
    unsafe {
        let mut groups: Vec<Vec<*mut pg_sys::Node>> = Vec::new();
        collect_qual_groups((*d).jointree as *mut pg_sys::Node, &mut groups);
        let mut mentions = 0;
        let mut alone = false;
        for group in &groups {
            for conjunct in group {
                let mut s = Scan {
                    d,
                    x,
                    depth: 0,
                    skip: Vec::new(),
                    attnos: BTreeSet::new(),
                };
                scan_walker(*conjunct, &mut s as *mut Scan as *mut c_void);
                if !s.attnos.is_empty() {
                    mentions += 1;
                    alone = group.len() == 1;
                }
            }
        }
        mentions == 1 && alone
    }
}

/// Is range table entry `x`, wherever an outer join makes it nullable, that nullable side
/// on its own? In `p LEFT JOIN (c JOIN s ON s.id = 1) ON c.pk = p.fk` (or `(s CROSS JOIN c)`)
/// whether a document shows `c` depends on `s` too, which no condition on `c` says: its
/// changed rows would be patched into documents that show NULL for it. `false` also when
/// `x` is not in the tree.
///
/// # Safety
/// `node` must be a valid join tree node (or null).
unsafe fn alone_on_its_nullable_side(node: *mut pg_sys::Node, x: i32) -> bool {
    /// `None`: `x` is not under `node`; else whether it is alone on every nullable side.
    ///
    /// # Safety
    /// As for the outer function.
    unsafe fn walk(node: *mut pg_sys::Node, x: i32) -> Option<bool> {
        // SAFETY: tags checked before casts.
        unsafe {
            if node.is_null() {
                None
            } else if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
                ((*(node as *mut pg_sys::RangeTblRef)).rtindex == x).then_some(true)
            } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
                list_iter::<pg_sys::Node>((*(node as *mut pg_sys::FromExpr)).fromlist)
                    .find_map(|c| walk(c, x))
            } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
                let j = &*(node as *mut pg_sys::JoinExpr);
                use pg_sys::JoinType::*;
                [
                    (j.larg, matches!(j.jointype, JOIN_RIGHT | JOIN_FULL)),
                    (j.rarg, matches!(j.jointype, JOIN_LEFT | JOIN_FULL)),
                ]
                .into_iter()
                .find_map(|(side, nullable)| {
                    walk(side, x).map(|alone| {
                        alone && (!nullable || is_a(side, pg_sys::NodeTag::T_RangeTblRef))
                    })
                })
            } else {
                None
            }
        }
    }
    // SAFETY: per contract.
    unsafe { walk(node, x) }.unwrap_or(false)
}

/// The conjuncts of every WHERE and ON clause of a join tree, one group per clause.
unsafe fn collect_qual_groups(node: *mut pg_sys::Node, out: &mut Vec<Vec<*mut pg_sys::Node>>) {
    if node.is_null() {
        return;
    }
    // SAFETY: tags checked before casts.
    unsafe {
        let quals = if is_a(node, pg_sys::NodeTag::T_FromExpr) {
            let f = &*(node as *mut pg_sys::FromExpr);
            for child in list_iter::<pg_sys::Node>(f.fromlist) {
                collect_qual_groups(child, out);
            }
            f.quals
        } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
            let j = &*(node as *mut pg_sys::JoinExpr);
            collect_qual_groups(j.larg, out);
            collect_qual_groups(j.rarg, out);
            j.quals
        } else {
            return;
        };
        let mut group = Vec::new();
        crate::pg::nodes::conjuncts(quals, &mut group);
        if !group.is_empty() {
            out.push(group);
        }
    }
}

/// The definition's own query: the one subquery under `SELECT * FROM view`.
///
/// # Safety
/// `outer` must be a valid analyzed query.
pub unsafe fn definition_level(outer: *mut pg_sys::Query) -> Option<*mut pg_sys::Query> {
    // SAFETY: a valid analyzed query (caller's contract).
    unsafe {
        if list_len((*outer).rtable) != 1 {
            return None;
        }
        let rte = list_nth::<pg_sys::RangeTblEntry>((*outer).rtable, 0)?;
        ((*rte).rtekind == pg_sys::RTEKind::RTE_SUBQUERY && !(*rte).subquery.is_null())
            .then_some((*rte).subquery)
    }
}

unsafe fn plain_level(d: *mut pg_sys::Query) -> bool {
    // SAFETY: a valid Query.
    unsafe {
        let q = &*d;
        super::model::row_by_row(q)
            && !q.hasRecursive
            && !q.hasDistinctOn
            && q.cteList.is_null()
            && q.rowMarks.is_null()
    }
}

/// A top-level `jsonb_build_object(<const key>, <value>, ...)` output column: its name and
/// its (key, value node) pairs.
struct Document {
    column: String,
    pairs: Vec<(String, *mut pg_sys::Node)>,
}

unsafe fn document_columns(d: *mut pg_sys::Query) -> Vec<Document> {
    let mut out = Vec::new();
    // SAFETY: a valid Query; nodes are checked before casts.
    unsafe {
        for te in list_iter::<pg_sys::TargetEntry>((*d).targetList) {
            if (*te).resjunk {
                continue;
            }
            let expr = (*te).expr as *mut pg_sys::Node;
            if !is_a(expr, pg_sys::NodeTag::T_FuncExpr) {
                continue;
            }
            let f = &*(expr as *mut pg_sys::FuncExpr);
            if f.funcid.to_u32() != pg_sys::F_JSONB_BUILD_OBJECT_ANY || f.funcvariadic {
                continue;
            }
            let args: Vec<*mut pg_sys::Node> = list_iter::<pg_sys::Node>(f.args).collect();
            if args.is_empty() || !args.len().is_multiple_of(2) {
                continue;
            }
            let mut pairs = Vec::new();
            let mut keys = BTreeSet::new();
            let mut ok = true;
            for pair in args.chunks(2) {
                match const_text(pair[0]) {
                    Some(k) if keys.insert(k.clone()) => pairs.push((k, pair[1])),
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                out.push(Document {
                    column: cstring((*te).resname).unwrap_or_default(),
                    pairs,
                });
            }
        }
    }
    out
}

/// The value of a non-null text (or unknown-typed literal) constant.
unsafe fn const_text(node: *mut pg_sys::Node) -> Option<String> {
    // SAFETY: the tag is checked before the cast; a text Const holds a text datum.
    unsafe {
        if !is_a(node, pg_sys::NodeTag::T_Const) {
            return None;
        }
        let c = &*(node as *mut pg_sys::Const);
        if c.constisnull {
            return None;
        }
        match c.consttype {
            pg_sys::TEXTOID => cstring(pg_sys::text_to_cstring(c.constvalue.cast_mut_ptr())),
            // A literal passed to a VARIADIC "any" parameter keeps type unknown (a C string),
            // which jsonb_build_object reads as text.
            pg_sys::UNKNOWNOID => cstring(c.constvalue.cast_mut_ptr()),
            _ => None,
        }
    }
}

/// What a value reads, if it reads only columns of range table entry `x` of its level.
struct Pure {
    x: i32,
    ok: bool,
    attnos: BTreeSet<i16>,
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn pure_walker(node: *mut pg_sys::Node, ctx: *mut c_void) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: ctx is the Pure of `pure_reads`; nodes are checked before casts.
    unsafe {
        let p = &mut *(ctx as *mut Pure);
        if is_a(node, pg_sys::NodeTag::T_Var) {
            let v = &*(node as *mut pg_sys::Var);
            if v.varlevelsup != 0 || v.varno != p.x || v.varattno <= 0 {
                p.ok = false;
                return true;
            }
            p.attnos.insert(v.varattno);
            return false;
        }
        if is_a(node, pg_sys::NodeTag::T_SubLink)
            || is_a(node, pg_sys::NodeTag::T_Aggref)
            || is_a(node, pg_sys::NodeTag::T_WindowFunc)
            || is_a(node, pg_sys::NodeTag::T_GroupingFunc)
            || is_a(node, pg_sys::NodeTag::T_Param)
            || is_a(node, pg_sys::NodeTag::T_Query)
        {
            p.ok = false;
            return true;
        }
        pg_sys::expression_tree_walker_impl(node, Some(pure_walker), ctx)
    }
}

/// The columns (attribute numbers) `value` reads, if it reads only entry `x`'s columns.
unsafe fn pure_reads(value: *mut pg_sys::Node, x: i32) -> Option<BTreeSet<i16>> {
    let mut p = Pure {
        x,
        ok: true,
        attnos: BTreeSet::new(),
    };
    // SAFETY: a valid expression; the walker only reads it.
    unsafe { pure_walker(value, &mut p as *mut Pure as *mut c_void) };
    (p.ok && !p.attnos.is_empty() && !unsafe { pg_sys::contain_volatile_functions(value) })
        .then_some(p.attnos)
}

/// Columns of entry `x` of the definition level read anywhere but in `skip`.
struct Scan {
    d: *mut pg_sys::Query,
    x: i32,
    depth: u32,
    skip: Vec<*mut pg_sys::Node>,
    attnos: BTreeSet<i16>,
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn scan_walker(node: *mut pg_sys::Node, ctx: *mut c_void) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: ctx is the Scan of `guarded_reads`; nodes are checked before casts.
    unsafe {
        let s = &mut *(ctx as *mut Scan);
        if s.skip.contains(&node) {
            return false;
        }
        if is_a(node, pg_sys::NodeTag::T_Var) {
            let v = &*(node as *mut pg_sys::Var);
            if v.varlevelsup != s.depth {
                return false;
            }
            if v.varno == s.x {
                s.attnos.insert(v.varattno);
            } else if let Some(rte) =
                list_nth::<pg_sys::RangeTblEntry>((*s.d).rtable, (v.varno as usize).wrapping_sub(1))
            {
                if (*rte).rtekind == pg_sys::RTEKind::RTE_JOIN {
                    // A join alias column (USING, or a whole-row join reference) stands for
                    // columns of the joined tables: read what it stands for.
                    if v.varattno <= 0 {
                        s.attnos.insert(0);
                    } else if let Some(alias) =
                        list_nth::<pg_sys::Node>((*rte).joinaliasvars, v.varattno as usize - 1)
                    {
                        let depth = s.depth;
                        s.depth = 0;
                        scan_walker(alias, ctx);
                        s.depth = depth;
                    }
                }
            }
            return false;
        }
        if is_a(node, pg_sys::NodeTag::T_Query) {
            s.depth += 1;
            let r = pg_sys::query_tree_walker_impl(
                node as *mut pg_sys::Query,
                Some(scan_walker),
                ctx,
                pg_sys::QTW_IGNORE_JOINALIASES as i32,
            );
            s.depth -= 1;
            return r;
        }
        pg_sys::expression_tree_walker_impl(node, Some(scan_walker), ctx)
    }
}

unsafe fn guarded_reads(
    d: *mut pg_sys::Query,
    x: i32,
    skip: Vec<*mut pg_sys::Node>,
) -> BTreeSet<i16> {
    let mut s = Scan {
        d,
        x,
        depth: 0,
        skip,
        attnos: BTreeSet::new(),
    };
    // SAFETY: a valid Query; the walker only reads it.
    unsafe {
        pg_sys::query_tree_walker_impl(
            d,
            Some(scan_walker),
            &mut s as *mut Scan as *mut c_void,
            pg_sys::QTW_IGNORE_JOINALIASES as i32,
        );
    }
    s.attnos
}

unsafe fn source_patch(
    d: *mut pg_sys::Query,
    x: i32,
    relid: pg_sys::Oid,
    docs: &[Document],
    via: Via,
    identity: Vec<tviews_core::model::EqColumn>,
) -> Result<Option<PatchSource>, TviewError> {
    // SAFETY: d is valid; value nodes belong to its target list.
    unsafe {
        let mut skip = Vec::new();
        let mut reads_in_values: BTreeSet<i16> = BTreeSet::new();
        let mut documents = Vec::new();
        for doc in docs {
            let mut keys = Vec::new();
            for (key, value) in &doc.pairs {
                let Some(attnos) = pure_reads(*value, x) else {
                    continue;
                };
                skip.push(*value);
                reads_in_values.extend(attnos);
                let copy = pg_sys::copyObjectImpl(*value as *const c_void) as *mut pg_sys::Node;
                pg_sys::ChangeVarNodes(copy, x, 1, 0);
                keys.push(KeyValue {
                    key: key.clone(),
                    value_sql: crate::analyze::parse::deparse_expression_over(copy, relid, "n"),
                });
            }
            if !keys.is_empty() {
                documents.push(DocumentPatch {
                    column: doc.column.clone(),
                    keys,
                });
            }
        }
        let guarded = guarded_reads(d, x, skip);
        if guarded.iter().any(|a| *a <= 0) {
            return Ok(None); // whole-row or system column references: every change counts
        }
        let name = |a: &i16| {
            attribute_name(relid, *a).ok_or(TviewError::Internal("a column vanished".into()))
        };
        let patchable = reads_in_values
            .iter()
            .filter(|a| !guarded.contains(a))
            .map(name)
            .collect::<Result<Vec<_>, _>>()?;
        let guarded = guarded.iter().map(name).collect::<Result<Vec<_>, _>>()?;
        let (schema, table) = crate::pg::names::relation_name(relid)
            .ok_or(TviewError::Internal("a table vanished".into()))?;
        Ok(Some(PatchSource {
            table: tviews_core::model::TableRef {
                oid: relid.to_u32(),
                schema,
                name: table,
            },
            identity,
            patchable,
            guarded,
            via,
            documents,
        }))
    }
}

/// The sources whose changes recompute only some document keys (see
/// `tviews_core::sqlgen::patch::PartialSource`), read from the definition under `outer` (the
/// analyzed, rewritten `SELECT * FROM <definition view>`).
///
/// The definition's own level must be a plain join (as for the fast path), keyed by one
/// column of the root table that is unique in that table on its own. A value of a top-level
/// `jsonb_build_object` with constant keys qualifies when it has subqueries and reads
/// nothing of the definition's level but columns of the root row (in its subqueries too), and
/// calls nothing volatile. A source qualifies when every one of its occurrences in the
/// definition is inside qualifying values (a source read anywhere else, in a join, a filter,
/// another column, may change which documents exist or what else they hold).
///
/// # Safety
/// `d` must be a valid analyzed query (the level [`setting_level`] returned with `root` and
/// `root_table`), alive for the call.
unsafe fn partial_sources(
    d: *mut pg_sys::Query,
    root: &tviews_core::model::ColumnRef,
    root_table: pg_sys::Oid,
    plan: &MaintenancePlan,
) -> Result<(Vec<PartialSource>, Vec<SourceTally>), TviewError> {
    // SAFETY: per contract; nodes are cast only after their tags are checked.
    unsafe {
        // The root's entry at the definition's level: exactly one, without row security
        // quals (the statement reads the table as the TVIEW's owner, not through the
        // definition's views).
        let entries: Vec<(i32, *mut pg_sys::RangeTblEntry)> =
            list_iter::<pg_sys::RangeTblEntry>((*d).rtable)
                .enumerate()
                .filter(|(_, rte)| {
                    (**rte).rtekind == pg_sys::RTEKind::RTE_RELATION && (**rte).relid == root_table
                })
                .map(|(i, rte)| ((i + 1) as i32, rte))
                .collect();
        let [(x, rte)] = entries.as_slice() else {
            return Ok((Vec::new(), Vec::new()));
        };
        if !(**rte).securityQuals.is_null() {
            return Ok((Vec::new(), Vec::new()));
        }
        let root_key = crate::pg::names::attnum(root_table, &root.column)?;
        let root_only = !(**rte).inh;
        // Qualifying values: (document, key, value, relations read inside).
        let mut values = Vec::new();
        for doc in document_columns(d) {
            for (key, value) in &doc.pairs {
                if let Some(rels) = child_value(*value, *x) {
                    values.push((doc.column.clone(), key.clone(), *value, rels));
                }
            }
        }
        let mut candidates: Vec<pg_sys::Oid> =
            values.iter().flat_map(|v| v.3.iter().copied()).collect();
        candidates.sort_by_key(|o| o.to_u32());
        candidates.dedup();
        let (root_schema, root_name) = crate::pg::names::relation_name(root_table)
            .ok_or(TviewError::Internal("a table vanished".into()))?;
        let mut out = Vec::new();
        let mut tallies = Vec::new();
        for source in candidates {
            if source == root_table || plan.source(source.to_u32()).is_none() {
                continue;
            }
            let inside: usize = values
                .iter()
                .map(|v| v.3.iter().filter(|r| **r == source).count())
                .sum();
            if inside != relation_count(d as *mut pg_sys::Node, source) {
                continue;
            }
            let (schema, name) = crate::pg::names::relation_name(source)
                .ok_or(TviewError::Internal("a table vanished".into()))?;
            let table = tviews_core::model::TableRef {
                oid: source.to_u32(),
                schema,
                name,
            };
            let mut documents: Vec<DocumentPatch> = Vec::new();
            let mut tally = SourceTally {
                source: source.to_u32(),
                groups: Vec::new(),
                values: Vec::new(),
            };
            for (column, key, value, rels) in &values {
                if !rels.contains(&source) {
                    continue;
                }
                let copy = pg_sys::copyObjectImpl(*value as *const c_void) as *mut pg_sys::Node;
                pg_sys::ChangeVarNodes(copy, *x, 1, 0);
                let kv = KeyValue {
                    key: key.clone(),
                    value_sql: crate::analyze::parse::deparse_expression_over(
                        copy, root_table, "r",
                    ),
                };
                if let Some((sql, uses)) = super::tally::tally_value(
                    copy,
                    &table,
                    root_table,
                    root_key,
                    &mut tally.groups,
                )? {
                    tally.values.push(TalliedValue {
                        column: column.clone(),
                        key: key.clone(),
                        sql,
                        uses,
                    });
                }
                match documents.iter_mut().find(|d| d.column == *column) {
                    Some(d) => d.keys.push(kv),
                    None => documents.push(DocumentPatch {
                        column: column.clone(),
                        keys: vec![kv],
                    }),
                }
            }
            if !tally.values.is_empty() {
                super::tally::finish_identities(&mut tally.groups)?;
                tallies.push(tally);
            }
            out.push(PartialSource {
                table,
                root: tviews_core::model::TableRef {
                    oid: root_table.to_u32(),
                    schema: root_schema.clone(),
                    name: root_name.clone(),
                },
                root_only,
                key_column: root.column.clone(),
                documents,
                tallies: Vec::new(),
            });
        }
        Ok((out, tallies))
    }
}

/// Is `column` of `table` unique in the table on its own, NULL counted once (its primary
/// key, a one-column unique constraint that is NOT NULL or NULLS NOT DISTINCT)? Documents
/// are then found by the root row's key alone: no other row of the table (one the
/// definition filters out) shares it.
pub(super) fn key_unique_in_root(table: pg_sys::Oid, column: &str) -> Result<bool, TviewError> {
    let attnum = crate::pg::names::attnum(table, column)? as u32;
    Ok(super::unique::unique_indexes(table)?
        .iter()
        .any(|(set, nulls)| nulls.null_safe() && set.len() == 1 && set.contains(&attnum)))
}

/// If `value` (an expression of the definition's level) has subqueries and reads nothing of
/// that level but columns of its entry `x`, calls nothing volatile, uses no aggregate of
/// that level, and expands no view and no table under row security: the relations of every
/// range table inside it, once per occurrence.
unsafe fn child_value(value: *mut pg_sys::Node, x: i32) -> Option<Vec<pg_sys::Oid>> {
    use crate::pg::nodes::{walk, Visit};
    let mut ok = true;
    let mut sublinks = 0;
    let mut rels = Vec::new();
    // SAFETY: a valid expression; tags are checked before casts; `levels` are the queries
    // inside the value enclosing the node (the definition's level is below them all).
    unsafe {
        walk(value, &mut |node, levels| {
            let depth = levels.len();
            if is_a(node, pg_sys::NodeTag::T_Query) {
                let q = node as *mut pg_sys::Query;
                // A view expanded inside the value, or a table under row security: its
                // tables are read with the view owner's rights, or with policies, that a
                // statement naming them directly would not reproduce.
                if list_iter::<pg_sys::RangeTblEntry>((*q).rtable).any(|rte| {
                    !(*rte).securityQuals.is_null()
                        || ((*rte).rtekind == pg_sys::RTEKind::RTE_SUBQUERY
                            && (*rte).relid != pg_sys::InvalidOid)
                }) {
                    ok = false;
                    return Visit::Stop;
                }
                rels.extend(relations_of(q));
            } else if is_a(node, pg_sys::NodeTag::T_SubLink) {
                sublinks += 1;
            } else if is_a(node, pg_sys::NodeTag::T_Var) {
                let v = &*(node as *mut pg_sys::Var);
                let up = v.varlevelsup as usize;
                if up > depth || (up == depth && (v.varno != x || v.varattno <= 0)) {
                    ok = false;
                    return Visit::Stop;
                }
                return Visit::Skip;
            } else if is_a(node, pg_sys::NodeTag::T_Aggref) {
                if (*(node as *mut pg_sys::Aggref)).agglevelsup as usize >= depth {
                    ok = false;
                    return Visit::Stop;
                }
            } else if is_a(node, pg_sys::NodeTag::T_GroupingFunc) {
                if (*(node as *mut pg_sys::GroupingFunc)).agglevelsup as usize >= depth {
                    ok = false;
                    return Visit::Stop;
                }
            } else if is_a(node, pg_sys::NodeTag::T_Param)
                || is_a(node, pg_sys::NodeTag::T_PlaceHolderVar)
                || (depth == 0 && is_a(node, pg_sys::NodeTag::T_WindowFunc))
            {
                ok = false;
                return Visit::Stop;
            }
            Visit::Descend
        });
        (ok && sublinks > 0 && !pg_sys::contain_volatile_functions(value)).then_some(rels)
    }
}

/// The relations of `q`'s own range table, once per entry.
unsafe fn relations_of(q: *mut pg_sys::Query) -> Vec<pg_sys::Oid> {
    // SAFETY: a valid Query (caller's contract).
    unsafe {
        list_iter::<pg_sys::RangeTblEntry>((*q).rtable)
            .filter(|rte| (**rte).rtekind == pg_sys::RTEKind::RTE_RELATION)
            .map(|rte| (*rte).relid)
            .collect()
    }
}

/// How many range table entries anywhere under `node` (itself a Query, or an expression)
/// read `relation`.
unsafe fn relation_count(node: *mut pg_sys::Node, relation: pg_sys::Oid) -> usize {
    use crate::pg::nodes::{walk, Visit};
    let mut n = 0;
    // SAFETY: a valid tree (caller's contract); tags are checked before casts.
    unsafe {
        walk(node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Query) {
                n += relations_of(node as *mut pg_sys::Query)
                    .iter()
                    .filter(|r| **r == relation)
                    .count();
            }
            Visit::Descend
        });
    }
    n
}

/// Does the definition's level compute something from the time of the statement (`now()`,
/// `CURRENT_DATE`, `age(t)`, `'now'::text::timestamptz`) or call a function of its own that
/// is not immutable (which may read anything)? A whole recompute then gives every key of the document a new value, so
/// setting only some keys (the fast path, a partial recompute) would leave the others
/// older than a recompute leaves them.
unsafe fn reads_the_clock(d: *mut pg_sys::Query) -> bool {
    use crate::pg::nodes::{walk, Visit};
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn clock_or_own(func: pg_sys::Oid, _ctx: *mut c_void) -> bool {
        // The clock itself, and the input functions that read it for 'now', 'today',
        // 'tomorrow' (a cast from text, directly or inside an array, range, record or JSON
        // document turned into a row).
        const CLOCK: [u32; 24] = [
            pg_sys::F_NOW,
            pg_sys::F_TRANSACTION_TIMESTAMP,
            pg_sys::F_STATEMENT_TIMESTAMP,
            pg_sys::F_CLOCK_TIMESTAMP,
            pg_sys::F_TIMEOFDAY,
            pg_sys::F_AGE_TIMESTAMP,
            pg_sys::F_AGE_TIMESTAMPTZ,
            pg_sys::F_DATE_IN,
            pg_sys::F_TIME_IN,
            pg_sys::F_TIMETZ_IN,
            pg_sys::F_TIMESTAMP_IN,
            pg_sys::F_TIMESTAMPTZ_IN,
            pg_sys::F_ARRAY_IN,
            pg_sys::F_RANGE_IN,
            pg_sys::F_MULTIRANGE_IN,
            pg_sys::F_RECORD_IN,
            pg_sys::F_JSONB_POPULATE_RECORD,
            pg_sys::F_JSONB_POPULATE_RECORDSET,
            pg_sys::F_JSONB_TO_RECORD,
            pg_sys::F_JSONB_TO_RECORDSET,
            pg_sys::F_JSON_POPULATE_RECORD,
            pg_sys::F_JSON_POPULATE_RECORDSET,
            pg_sys::F_JSON_TO_RECORD,
            pg_sys::F_JSON_TO_RECORDSET,
        ];
        // SAFETY: a syscache lookup of an existing function.
        CLOCK.contains(&func.to_u32())
            || (func.to_u32() >= pg_sys::FirstNormalObjectId
                && unsafe { pg_sys::func_volatile(func) }
                    != pg_sys::PROVOLATILE_IMMUTABLE as std::ffi::c_char)
    }
    let mut found = false;
    // SAFETY: a valid Query; the walk only reads it.
    unsafe {
        walk(d as *mut pg_sys::Node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_SQLValueFunction)
                || is_a(node, pg_sys::NodeTag::T_TableFunc)
                || converts_json(node)
                || (!is_a(node, pg_sys::NodeTag::T_Query)
                    && pg_sys::check_functions_in_node(
                        node,
                        Some(clock_or_own),
                        std::ptr::null_mut(),
                    ))
            {
                found = true;
                return Visit::Stop;
            }
            Visit::Descend
        });
    }
    found
}

/// An SQL/JSON query function (`JSON_VALUE(... RETURNING date)`, PostgreSQL 17 on), which
/// converts text with the returned type's input function.
unsafe fn converts_json(node: *mut pg_sys::Node) -> bool {
    #[cfg(feature = "pg16")]
    {
        let _ = node;
        false
    }
    #[cfg(not(feature = "pg16"))]
    // SAFETY: a tag read of a valid node.
    unsafe {
        is_a(node, pg_sys::NodeTag::T_JsonExpr)
    }
}
