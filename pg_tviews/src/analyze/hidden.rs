//! Hidden key columns: a definition whose own columns identify no row (`SELECT i, j FROM t`
//! where two rows may show the same `i, j`; a join that repeats a product's columns once per
//! review) is keyed by the primary keys of the tables its rows come from, which pg_tviews adds
//! to the output as `__pgtv_key_<alias>_<column>` columns (see
//! `tviews_core::naming::HIDDEN_KEY_PREFIX`).
//!
//! Only a plain join at the top level qualifies: no aggregate, `GROUP BY`, `DISTINCT` or
//! set-returning function, where one more output column cannot change which rows there are.
//! The columns are added to the analyzed query and printed back by PostgreSQL's deparser.

use pgrx::pg_sys;

use crate::errors::TviewError;
use crate::pg::nodes::{cstring, is_a, list_iter};
use tviews_core::naming::{hidden_key_name, HIDDEN_KEY_PREFIX};

/// One table of the definition's top-level join whose primary key could key the rows.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its range table index at the top level.
    rtindex: i32,
    /// It is on the nullable side of an outer join.
    pub nullable: bool,
    /// Its primary key's columns: the output column showing each as it is, or the name the
    /// hidden column gets, with the column's number.
    columns: Vec<(i16, Shown)>,
    /// `schema.table (columns)` for messages.
    pub described: String,
}

#[derive(Debug, Clone)]
enum Shown {
    /// The definition selects the column as it is, under this name.
    Already(String),
    /// pg_tviews adds it under this name.
    Hidden(String),
}

impl Candidate {
    fn adds_columns(&self) -> bool {
        self.columns
            .iter()
            .any(|(_, s)| matches!(s, Shown::Hidden(_)))
    }
}

/// The sets of candidates to try, in order, as indexes into `candidates`: each table joined
/// at the top level alone (the root's key usually identifies the rows on its own), then all
/// of them, then all of them with the nullable sides of outer joins (a row without a match
/// keyed by its tables' keys and NULL). Sets that add no column are left out: the definition's own columns were tried.
pub fn attempts(candidates: &[Candidate]) -> Vec<Vec<usize>> {
    let inner: Vec<usize> = (0..candidates.len())
        .filter(|&i| !candidates[i].nullable)
        .collect();
    let mut sets: Vec<Vec<usize>> = inner.iter().map(|&i| vec![i]).collect();
    sets.push(inner);
    sets.push((0..candidates.len()).collect());
    let mut out: Vec<Vec<usize>> = Vec::new();
    for set in sets {
        if !set.is_empty() && worth_trying(candidates, &set) && !out.contains(&set) {
            out.push(set);
        }
    }
    out
}

/// Does the set `set` of `candidates` change the definition: add at least one column?
/// Otherwise its key is of the definition's own columns, which were tried.
pub fn worth_trying(candidates: &[Candidate], set: &[usize]) -> bool {
    set.iter().any(|&i| candidates[i].adds_columns())
}

/// The analyzed definition (already normalized: every name qualified).
fn analyzed(definition: &str) -> Result<*mut pg_sys::Query, TviewError> {
    super::parse::analyze_select(definition)
}

/// The range table entries of the join tree `node`, each with whether an outer join makes it
/// nullable.
///
/// # Safety
/// `node` must be a valid jointree node (or null).
unsafe fn join_members(node: *mut pg_sys::Node, nullable: bool, out: &mut Vec<(i32, bool)>) {
    use pg_sys::NodeTag::*;
    if node.is_null() {
        return;
    }
    // SAFETY: tags are checked before casts; lists hold jointree nodes.
    unsafe {
        if is_a(node, T_RangeTblRef) {
            out.push(((*(node as *mut pg_sys::RangeTblRef)).rtindex, nullable));
        } else if is_a(node, T_FromExpr) {
            for item in list_iter::<pg_sys::Node>((*(node as *mut pg_sys::FromExpr)).fromlist) {
                join_members(item, nullable, out);
            }
        } else if is_a(node, T_JoinExpr) {
            let j = &*(node as *mut pg_sys::JoinExpr);
            if !j.alias.is_null() {
                // `(a JOIN b) AS j` hides a and b: their columns cannot be named.
                return;
            }
            let (left, right) = match j.jointype {
                pg_sys::JoinType::JOIN_LEFT => (nullable, true),
                pg_sys::JoinType::JOIN_RIGHT => (true, nullable),
                pg_sys::JoinType::JOIN_FULL => (true, true),
                _ => (nullable, nullable),
            };
            join_members(j.larg, left, out);
            join_members(j.rarg, right, out);
        }
    }
}

/// The output names of `q`'s visible columns.
///
/// # Safety
/// `q` must be a valid analyzed Query.
unsafe fn output_names(q: &pg_sys::Query) -> Vec<String> {
    // SAFETY: per contract.
    unsafe {
        list_iter::<pg_sys::TargetEntry>(q.targetList)
            .filter(|te| !(**te).resjunk)
            .map(|te| cstring((*te).resname).unwrap_or_default())
            .collect()
    }
}

/// The tables of `definition`'s top-level join that have a primary key checked at every
/// statement (a DEFERRABLE one proves nothing), in range table order; empty when the
/// definition is not a plain join (see `model::row_by_row`). Also the tables of that join
/// left out, each saying why (for the refusal's hint).
pub fn candidates(definition: &str) -> Result<(Vec<Candidate>, Vec<String>), TviewError> {
    let q = analyzed(definition)?;
    let mut left_out = Vec::new();
    // SAFETY: a Query the analyzer just produced; range table entries are read by index.
    unsafe {
        let query = &*q;
        // A plain join: one more output column adds no row.
        if !super::model::row_by_row(query) {
            return Ok((Vec::new(), left_out));
        }
        let mut members = Vec::new();
        join_members(query.jointree as *mut pg_sys::Node, false, &mut members);
        let mut taken: Vec<String> = output_names(query);
        let mut out = Vec::new();
        // Per candidate: its table, alias and primary key's columns, for `described`.
        let mut described: Vec<(String, String, String)> = Vec::new();
        for (rtindex, nullable) in members {
            let rte = pg_sys::rt_fetch(rtindex as pg_sys::Index, query.rtable);
            if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION
                || (*rte).relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char
            {
                continue;
            }
            let relid = (*rte).relid;
            let name = || {
                let schema = cstring(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relid)))
                    .unwrap_or_default();
                let table = cstring(pg_sys::get_rel_name(relid)).unwrap_or_default();
                format!("{schema}.{table}")
            };
            let Some(pk) = crate::pg::scan::indexes(relid)
                .into_iter()
                .find(|i| i.primary && i.immediate && i.valid && i.compares_as_columns(relid))
            else {
                left_out.push(format!(
                    "{} has no primary key checked at every statement",
                    name()
                ));
                continue;
            };
            // A column the creator may not read cannot be shown, not even to key the rows
            // (column privileges count beside the table's, as for a SELECT).
            let table_readable = pg_sys::pg_class_aclcheck(
                relid,
                pg_sys::GetUserId(),
                pg_sys::ACL_SELECT as pg_sys::AclMode,
            ) == pg_sys::AclResult::ACLCHECK_OK;
            let readable = |attnum: i16| {
                table_readable
                    || pg_sys::pg_attribute_aclcheck(
                        relid,
                        attnum,
                        pg_sys::GetUserId(),
                        pg_sys::ACL_SELECT as pg_sys::AclMode,
                    ) == pg_sys::AclResult::ACLCHECK_OK
            };
            if pk
                .keys
                .iter()
                .any(|&(attnum, _, _)| attnum <= 0 || !readable(attnum))
            {
                left_out.push(format!("you may not read the primary key of {}", name()));
                continue;
            }
            let alias = cstring((*(*rte).eref).aliasname).unwrap_or_default();
            let mut columns = Vec::new();
            let mut names = Vec::new();
            for &(attnum, _, _) in &pk.keys {
                let Some((_, _, column)) = crate::pg::scan::attribute(relid, attnum) else {
                    continue;
                };
                names.push(column.clone());
                let shown = list_iter::<pg_sys::TargetEntry>(query.targetList).find(|te| {
                    let expr = (**te).expr as *mut pg_sys::Node;
                    !(**te).resjunk && is_a(expr, pg_sys::NodeTag::T_Var) && {
                        let v = &*(expr as *mut pg_sys::Var);
                        v.varlevelsup == 0 && v.varno == rtindex && v.varattno == attnum
                    }
                });
                let shown = match shown {
                    Some(te) => Shown::Already(cstring((*te).resname).unwrap_or_default()),
                    None => {
                        let name = hidden_key_name(&alias, &column, &taken);
                        taken.push(name.clone());
                        Shown::Hidden(name)
                    }
                };
                columns.push((attnum, shown));
            }
            out.push(Candidate {
                rtindex,
                nullable,
                columns,
                described: String::new(),
            });
            described.push((name(), alias, names.join(", ")));
        }
        // `schema.table (columns)`; a table joined twice (a self-join) told apart by alias.
        for (c, (table, alias, columns)) in out.iter_mut().zip(&described) {
            let twice = described.iter().filter(|(t, _, _)| t == table).count() > 1;
            c.described = if twice {
                format!("{table} AS {alias} ({columns})")
            } else {
                format!("{table} ({columns})")
            };
        }
        Ok((out, left_out))
    }
}

/// `definition` with the primary key columns of `chosen` that it does not show added to its
/// output (after its own columns), and the key's columns: each chosen table's key column as
/// the definition shows it, or its hidden column, those of tables an outer join keeps first
/// (a key's rows are found from its first column's table, which must be in every row).
pub fn with_hidden_keys(
    definition: &str,
    chosen: &[&Candidate],
) -> Result<(String, Vec<String>), TviewError> {
    let mut chosen: Vec<&Candidate> = chosen.to_vec();
    chosen.sort_by_key(|c| c.nullable);
    let q = analyzed(definition)?;
    let mut key = Vec::new();
    // SAFETY: a Query the analyzer just produced; the Vars name columns of its own range
    // table entries with their catalog types, and the target list is rebuilt with the new
    // entries before the junk ones (ORDER BY references them by sort group ref, not number).
    unsafe {
        let query = &mut *q;
        let mut visible: Vec<*mut pg_sys::TargetEntry> = Vec::new();
        let mut junk: Vec<*mut pg_sys::TargetEntry> = Vec::new();
        for te in list_iter::<pg_sys::TargetEntry>(query.targetList) {
            if (*te).resjunk {
                junk.push(te);
            } else {
                visible.push(te);
            }
        }
        for c in &chosen {
            let rte = pg_sys::rt_fetch(c.rtindex as pg_sys::Index, query.rtable);
            for (attnum, shown) in &c.columns {
                let name = match shown {
                    Shown::Already(name) => {
                        key.push(name.clone());
                        continue;
                    }
                    Shown::Hidden(name) => name,
                };
                let mut typ = pg_sys::InvalidOid;
                let mut typmod = -1;
                let mut coll = pg_sys::InvalidOid;
                pg_sys::get_atttypetypmodcoll(
                    (*rte).relid,
                    *attnum,
                    &mut typ,
                    &mut typmod,
                    &mut coll,
                );
                let var = pg_sys::makeVar(c.rtindex, *attnum, typ, typmod, coll, 0);
                let cname = std::ffi::CString::new(name.as_str())
                    .map_err(|_| TviewError::Internal("NUL in a column name".into()))?;
                let te = pg_sys::makeTargetEntry(
                    var as *mut pg_sys::Expr,
                    (visible.len() + 1) as pg_sys::AttrNumber,
                    pg_sys::pstrdup(cname.as_ptr()),
                    false,
                );
                visible.push(te);
                key.push(name.clone());
            }
        }
        let mut list: *mut pg_sys::List = std::ptr::null_mut();
        for (i, te) in visible.into_iter().chain(junk).enumerate() {
            (*te).resno = (i + 1) as pg_sys::AttrNumber;
            list = pg_sys::lappend(list, te as *mut std::ffi::c_void);
        }
        query.targetList = list;
        Ok((super::parse::deparse_query(q), key))
    }
}

/// Is `column` one pg_tviews added to key the rows?
pub fn is_hidden(column: &str) -> bool {
    column.starts_with(HIDDEN_KEY_PREFIX)
}
