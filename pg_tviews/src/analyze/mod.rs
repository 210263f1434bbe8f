//! Step 1 of the pipeline: understand a definition.
//!
//! [`parse`] checks and normalizes the user's SELECT; [`model`] walks the analyzed, rewritten
//! query into `tviews_core`'s model; [`unique`] proves a key pg_tviews chose by itself
//! unique; [`analyze_view`] ties them to a key column and a maintenance plan.

pub mod model;
pub mod parse;
pub mod patch;
pub mod unique;

use pgrx::prelude::*;
use tviews_core::key::{choose_key, KeyInputs, KeySource};
use tviews_core::model::DefinitionModel;
use tviews_core::plan::{plan, MaintenancePlan};
use tviews_core::sqlgen::patch::PatchSource;

use crate::errors::TviewError;

/// A definition understood: its model, plan, columns and key.
#[derive(Debug)]
pub struct Definition {
    pub model: DefinitionModel,
    pub plan: MaintenancePlan,
    pub columns: Vec<String>,
    pub key: String,
    /// Sources whose UPDATEs may patch documents in place (the fast path).
    pub patches: Vec<PatchSource>,
    /// Tables the definition reads as whole rows (`to_jsonb(t)`, `t.*` in a function call):
    /// adding, dropping or renaming one of their columns changes what it computes.
    pub whole_row_sources: Vec<pg_sys::Oid>,
}

/// How the key column is decided.
pub enum KeyRequest<'a> {
    /// At creation: the `key` argument if given, else the rules of `tviews_core::key`.
    Choose(Option<&'a str>),
    /// Later: the key recorded in the catalog.
    Fixed(&'a str),
}

/// Analyze the definition held by view `schema.name` for TVIEW `tview`.
pub fn analyze_view(
    schema: &str,
    name: &str,
    tview: &str,
    key: KeyRequest<'_>,
) -> Result<Definition, TviewError> {
    let query = parse::rewritten_view_query(schema, name)?;
    // SAFETY: the query was just produced by the analyzer and rewriter.
    unsafe { parse::check_expanded(query)? };
    // SAFETY: the query was just produced by the analyzer and rewriter.
    let extracted = unsafe { model::extract(query)? };
    let columns: Vec<String> = extracted.outputs.iter().map(|(n, _)| n.clone()).collect();
    let mut prove_unique = false;
    let key = match key {
        KeyRequest::Fixed(k) => k.to_string(),
        KeyRequest::Choose(requested) => {
            let pk = root_primary_key_column(&extracted)?;
            let (key, source) = choose_key(&KeyInputs {
                tview,
                columns: &columns,
                requested,
                root_primary_key: pk.as_deref(),
            })?;
            // A key passed by name is the user's promise (writes that break it fail); one
            // chosen here must hold for every content of the sources.
            prove_unique = source != KeySource::Argument;
            key
        }
    };
    let (_, origin) = extracted
        .outputs
        .iter()
        .find(|(n, _)| *n == key)
        .ok_or_else(|| TviewError::Internal(format!("key column {key} vanished")))?;
    let mut model = extracted.model;
    model.root = match origin {
        None => {
            return Err(tviews_core::Error::KeyNotTraceable {
                reason: format!("\"{key}\" is computed, not a column of a table"),
            }
            .into())
        }
        Some(c) if extracted.flags[c.occ].nullable => {
            return Err(tviews_core::Error::KeyNotTraceable {
                reason: format!("\"{key}\" comes from the nullable side of an outer join"),
            }
            .into())
        }
        Some(c) if extracted.flags[c.occ].in_sublink => {
            return Err(tviews_core::Error::KeyNotTraceable {
                reason: format!("\"{key}\" comes from a subquery"),
            }
            .into())
        }
        Some(c) => Some(c.clone()),
    };
    if prove_unique {
        let resno = columns.iter().position(|c| *c == key).map_or(0, |i| i + 1);
        // SAFETY: the same query, still alive.
        if let Err(repeating) = unsafe { unique::output_column_unique(query, resno)? } {
            return Err(tviews_core::Error::KeyNotProvablyUnique {
                tview: tview.to_string(),
                key,
                repeating,
            }
            .into());
        }
    }
    let plan = plan(&model)?;
    // SAFETY: the same query, still alive.
    let patches = unsafe { patch::patch_sources(query, &model, &plan)? };
    // SAFETY: as above.
    let whole_row_sources = unsafe { whole_row_relations(query) };
    Ok(Definition {
        model,
        plan,
        columns,
        key,
        patches,
        whole_row_sources,
    })
}

/// The tables read through whole-row references anywhere in `q`.
unsafe fn whole_row_relations(q: *mut pg_sys::Query) -> Vec<pg_sys::Oid> {
    struct Walk {
        levels: Vec<*mut pg_sys::Query>,
        found: Vec<pg_sys::Oid>,
    }
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn walker(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> bool {
        use crate::pg::nodes::{is_a, list_nth};
        if node.is_null() {
            return false;
        }
        // SAFETY: ctx is the Walk below; tags are checked before casts; levels are the
        // queries enclosing the node, innermost last.
        unsafe {
            let w = &mut *(ctx as *mut Walk);
            if is_a(node, pg_sys::NodeTag::T_Var) {
                let v = &*(node as *mut pg_sys::Var);
                if v.varattno == 0 {
                    let level = w.levels.len().checked_sub(1 + v.varlevelsup as usize);
                    if let Some(level) = level.map(|l| w.levels[l]) {
                        if let Some(rte) = list_nth::<pg_sys::RangeTblEntry>(
                            (*level).rtable,
                            (v.varno as usize).wrapping_sub(1),
                        ) {
                            if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION {
                                w.found.push((*rte).relid);
                            }
                        }
                    }
                }
                return false;
            }
            if is_a(node, pg_sys::NodeTag::T_Query) {
                w.levels.push(node as *mut pg_sys::Query);
                let r = pg_sys::query_tree_walker_impl(
                    node as *mut pg_sys::Query,
                    Some(walker),
                    ctx,
                    0,
                );
                w.levels.pop();
                return r;
            }
            pg_sys::expression_tree_walker_impl(node, Some(walker), ctx)
        }
    }
    let mut w = Walk {
        levels: Vec::new(),
        found: Vec::new(),
    };
    // SAFETY: a valid Query (caller's contract).
    unsafe {
        walker(
            q as *mut pg_sys::Node,
            &mut w as *mut Walk as *mut std::ffi::c_void,
        )
    };
    w.found.sort_by_key(|o| o.to_u32());
    w.found.dedup();
    w.found
}

/// The first output column that is, as it is, the single-column primary key of a table
/// joined at the top level (not nullable, not in a subquery).
fn root_primary_key_column(ex: &model::Extracted) -> Result<Option<String>, TviewError> {
    for (name, origin) in &ex.outputs {
        let Some(c) = origin else { continue };
        let flags = ex.flags[c.occ];
        if flags.nullable || flags.in_sublink {
            continue;
        }
        let oid = pg_sys::Oid::from(ex.model.occurrences[c.occ].table.oid);
        if primary_key(oid)?.as_deref() == Some(std::slice::from_ref(&c.column)) {
            return Ok(Some(name.clone()));
        }
    }
    Ok(None)
}

/// The primary key columns of a table, if it has a primary key.
pub fn primary_key(relid: pg_sys::Oid) -> Result<Option<Vec<String>>, TviewError> {
    primary_key_where(relid, "")
}

/// The primary key columns of `relid` when the key is checked at every statement, not
/// deferred to commit: old and new rows of one statement pair up on such a key only (with a
/// DEFERRABLE key, two new rows may claim one old row's key until commit).
pub fn immediate_primary_key(relid: pg_sys::Oid) -> Result<Option<Vec<String>>, TviewError> {
    primary_key_where(relid, " AND i.indimmediate")
}

fn primary_key_where(relid: pg_sys::Oid, extra: &str) -> Result<Option<Vec<String>>, TviewError> {
    let cols: Option<Vec<String>> = crate::pg::spi::read_one(
        &format!(
            "SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY k.ord) \
               FROM pg_catalog.pg_index i \
               CROSS JOIN LATERAL pg_catalog.unnest(i.indkey[0:i.indnkeyatts OPERATOR(pg_catalog.-) 1]) \
                    WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid \
                AND a.attnum OPERATOR(pg_catalog.=) k.attnum \
              WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary{extra}"
        ),
        &[relid.into()],
    )?;
    Ok(cols.filter(|c| !c.is_empty()))
}
