//! Step 1 of the pipeline: understand a definition.
//!
//! [`parse`] checks and normalizes the user's SELECT; [`model`] walks the analyzed, rewritten
//! query into `tviews_core`'s model; [`unique`] proves a key pg_tviews chose by itself
//! unique; [`analyze_view`] ties them to a key column and a maintenance plan.

pub mod hidden;
pub mod model;
pub mod parse;
pub mod patch;
pub mod tally;
pub mod unique;

use pgrx::prelude::*;
use tviews_core::key::{choose_key, KeyInputs, KeySource};
use tviews_core::model::DefinitionModel;
use tviews_core::plan::{plan, MaintenancePlan};
use tviews_core::sqlgen::patch::{PartialSource, PatchSource};

use crate::errors::TviewError;

/// A definition understood: its model, plan, columns and key.
#[derive(Debug)]
pub struct Definition {
    pub model: DefinitionModel,
    pub plan: MaintenancePlan,
    pub columns: Vec<String>,
    /// The key's columns: one, or several for a key of several columns.
    pub key: Vec<String>,
    /// pg_tviews chose the key itself and proved it unique (`unique`).
    pub key_proven: bool,
    /// Sources whose UPDATEs may patch documents in place (the fast path).
    pub patches: Vec<PatchSource>,
    /// Sources whose changes recompute only the document keys reading them.
    pub partials: Vec<PartialSource>,
    /// Partial sources whose values' subqueries can read tallies (see `tally`); used once
    /// their state tables exist (see `crate::tally`).
    pub tallies: Vec<tviews_core::sqlgen::tally::SourceTally>,
    /// The definition aggregates one table at the top level with aggregates a state keeps
    /// (see `tally::summary`): its rows are read from the state once it exists (its group
    /// is among `tallies` too).
    pub summary: Option<tviews_core::sqlgen::tally::Summary>,
    /// Tables the definition reads as whole rows (`to_jsonb(t)`, `t.*` in a function call):
    /// adding, dropping or renaming one of their columns changes what it computes.
    pub whole_row_sources: Vec<pg_sys::Oid>,
    /// The definition calls a text search function (or passes text search values): any
    /// text search configuration or dictionary may change what it computes.
    pub text_search: bool,
}

/// How the key's columns are decided.
pub enum KeyRequest<'a> {
    /// At creation: the `key` argument if given, else the rules of `tviews_core::key`.
    Choose(Option<&'a [String]>),
    /// Later: the key recorded in the catalog.
    Fixed(&'a [String]),
    /// At creation, when the definition's own columns identify no row: these columns, some
    /// of them added by pg_tviews (see `hidden`), proven unique like a key it chose.
    Hidden(&'a [String]),
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
    let creating = !matches!(key, KeyRequest::Fixed(_));
    let one_row_keyed: bool;
    let key = match key {
        KeyRequest::Choose(requested) => {
            let pk = root_primary_key_column(&extracted)?;
            // Only needed when no key is named, and a proof per column costs a walk each.
            let proven_unique = match requested {
                Some(_) => Vec::new(),
                // SAFETY: the same query, still alive.
                None => unsafe { proven_unique_columns(query, &extracted)? },
            };
            // SAFETY: the same query, still alive.
            let one_row = unsafe { one_row_key(query, &columns)? };
            // Columns that identify the rows together: a key of several columns.
            let together = match requested {
                Some(_) => Vec::new(),
                // SAFETY: the same query, still alive.
                None => unsafe { unique::identified_together(query, &columns)? },
            };
            let inputs = KeyInputs {
                tview,
                columns: &columns,
                requested,
                root_primary_key: pk.as_deref(),
                proven_unique: &proven_unique,
                one_row: one_row.as_deref(),
                identified_together: &together,
            };
            let (mut key, mut source) = match choose_key(&inputs) {
                Err(tviews_core::Error::NoKey { tview, .. }) if requested.is_none() => {
                    return Err(tviews_core::Error::NoKey {
                        hint: no_key_hint(&extracted)?,
                        tview,
                    }
                    .into())
                }
                other => other?,
            };
            if source == KeySource::ProvenTogether {
                outer_last(&extracted, &mut key);
            }
            // SAFETY: the same query, still alive.
            let grouped_outer = unsafe { grouped_outer_key(query, &extracted, &columns, &key)? };
            if source == KeySource::ProvenTogether && grouped_outer {
                // The GROUP BY list: the key whatever its NULLs (see below).
            } else if source == KeySource::ProvenTogether && top_level_rootless(&extracted) {
                // The keys of every table of a join where none is in every row (a FULL JOIN):
                // nothing else could be the key, so say why this one cannot be traced rather
                // than fall back.
                // SAFETY: the same query, still alive.
                let origins = unsafe { trace_key(query, &extracted, &columns, &key, true, false)? };
                linked_plan(&extracted.model, origins)?;
            } else if source == KeySource::ProvenTogether
                // SAFETY: the same query, still alive.
                && !unsafe { trace_key(query, &extracted, &columns, &key, true, false) }
                    .is_ok_and(|origins| key_is_linked(&extracted.model, origins))
            {
                // Columns that identify the rows together but cannot be the key (computed,
                // of two tables nothing links): the rules for one column say what repeats.
                (key, source) = choose_key(&KeyInputs {
                    identified_together: &[],
                    ..inputs
                })?;
            }
            // A key passed by name is the user's promise (writes that break it fail); one
            // chosen here must hold for every content of the sources.
            prove_unique = source != KeySource::Argument;
            // At most one row: whichever column keys it (named or chosen), every change
            // recomputes that row.
            one_row_keyed = one_row.is_some();
            key
        }
        KeyRequest::Fixed(k) => {
            // SAFETY: the same query, still alive.
            one_row_keyed = unsafe { unique::at_most_one_row(query)? };
            k.to_vec()
        }
        KeyRequest::Hidden(k) => {
            prove_unique = true;
            one_row_keyed = false;
            // Tables the outer joins keep first, as for a key pg_tviews chose from shown
            // columns (a FULL JOIN that a strict WHERE makes one-sided, written with the
            // kept table second).
            let mut key = k.to_vec();
            outer_last(&extracted, &mut key);
            key
        }
    };
    // A GROUP BY whose key is NULL where an outer join finds no match (and where a row's own
    // value is NULL: one group) is the key, whatever the rules for a row's key say; changes
    // are traced to its groups where they can be, else every change recomputes them all.
    // SAFETY: the same query, still alive.
    let grouped_outer =
        !one_row_keyed && unsafe { grouped_outer_key(query, &extracted, &columns, &key)? };
    // SAFETY: the same query, still alive.
    // (A key of groups whose columns all come from tables outer joins NULL-extend is found
    // as such even where the rules for a row's key would accept it: every other table then
    // reaches the groups too. The group of all NULLs exists only where those rules fail.)
    let (origins, null_groups, all_null_group) = match one_row_keyed {
        true => (Vec::new(), false, false),
        false => {
            match unsafe { trace_key(query, &extracted, &columns, &key, creating, grouped_outer) } {
                Ok(o)
                    if grouped_outer
                        && !o.is_empty()
                        && o.iter().all(|c| extracted.model.null_extended(c.occ)) =>
                {
                    // Every row has a row of a key table (the rules checked it): the group of
                    // all NULLs is there only if a key column may be NULL in its table.
                    let mut nullable = false;
                    for c in &o {
                        let table = pg_sys::Oid::from(extracted.model.occurrences[c.occ].table.oid);
                        nullable |= !crate::pg::names::column_not_null(table, &c.column)?;
                    }
                    (o, true, nullable)
                }
                Err(_) if grouped_outer => {
                    // SAFETY: the same query, still alive.
                    let groups = unsafe { null_group_origins(query, &extracted, &columns, &key)? };
                    let found = !groups.is_empty();
                    (groups, found, found)
                }
                other => (other?, false, false),
            }
        }
    };
    if prove_unique {
        // SAFETY: the same query, still alive.
        let proof = unsafe { prove_key(query, tview, &key, &columns) };
        if let Err(TviewError::Core(tviews_core::Error::KeyNotProvablyUnique {
            tview,
            key,
            repeating,
            ..
        })) = proof
        {
            // Say which primary keys would identify the rows together.
            let (identifying, _) = top_level_primary_keys(&extracted)?;
            return Err(tviews_core::Error::KeyNotProvablyUnique {
                tview,
                key,
                repeating,
                identifying,
            }
            .into());
        }
        proof?;
    }
    let mut model = extracted.model;
    let untraced = if one_row_keyed {
        // At most one row: every change recomputes it, whatever the key column is.
        Some(tviews_core::model::ONE_ROW_REASON)
    } else if origins.is_empty() {
        Some(GROUPED_OUTER)
    } else {
        model.root = origins.first().cloned();
        if origins.len() > 1 {
            model.root_columns = origins.iter().map(|c| c.column.clone()).collect();
        }
        if origins.iter().any(|o| o.occ != origins[0].occ) || null_groups {
            model.key_origins = origins;
        }
        model.null_groups = null_groups;
        model.all_null_group = all_null_group;
        None
    };
    let plan = match (untraced, plan(&model)) {
        (None, Err(_)) if grouped_outer => untraced_plan(&mut model, GROUPED_OUTER)?,
        (None, planned) => planned?,
        (Some(why), _) => untraced_plan(&mut model, why)?,
    };
    // SAFETY: the same query, still alive.
    let patch::SettingSources {
        patches,
        partials,
        mut tallies,
    } = unsafe { patch::setting_sources(query, &model, &plan)? };
    // SAFETY: as above.
    let summary = match unsafe { patch::definition_level(query) } {
        // SAFETY: the definition's own level of the same query.
        Some(d) => unsafe { tally::summary(d, &key, one_row_keyed)? },
        None => None,
    }
    .map(|(summary, tally)| {
        tallies.push(tally);
        summary
    });
    // SAFETY: as above.
    let whole_row_sources = unsafe { whole_row_relations(query) };
    // SAFETY: as above.
    let text_search = unsafe { uses_text_search(query) };
    Ok(Definition {
        model,
        plan,
        columns,
        key,
        key_proven: prove_unique,
        patches,
        partials,
        tallies,
        summary,
        whole_row_sources,
        text_search,
    })
}

/// Can the key whose columns come from `origins` be traced: one table's columns, or tables
/// that join conditions link (see `tviews_core::plan`)?
fn key_is_linked(model: &DefinitionModel, origins: Vec<tviews_core::model::ColumnRef>) -> bool {
    origins.iter().all(|o| o.occ == origins[0].occ) || linked_plan(model, origins).is_ok()
}

/// The plan of `model` with its key drawn from `origins` (several tables): refused, saying
/// why, when no chain of conditions links them.
fn linked_plan(
    model: &DefinitionModel,
    origins: Vec<tviews_core::model::ColumnRef>,
) -> Result<MaintenancePlan, tviews_core::Error> {
    let mut model = model.clone();
    model.root = origins.first().cloned();
    model.key_origins = origins;
    plan(&model)
}

/// The primary keys of the tables the rows come from (joined at the top level, not on a
/// nullable side), as `schema.table (columns)`: immediate ones, then DEFERRABLE ones (which
/// prove nothing: a statement may repeat a key until commit), each table once.
fn top_level_primary_keys(ex: &model::Extracted) -> Result<(Vec<String>, Vec<String>), TviewError> {
    primary_keys_of(ex, false)
}

/// [`top_level_primary_keys`] of the tables on a nullable side of an outer join instead
/// (`nullable`); tables read only inside subqueries are left out either way.
fn primary_keys_of(
    ex: &model::Extracted,
    nullable: bool,
) -> Result<(Vec<String>, Vec<String>), TviewError> {
    let mut keys = Vec::new();
    let mut deferrable = Vec::new();
    for (occ, o) in ex.model.occurrences.iter().enumerate() {
        let flags = ex.flags[occ];
        if flags.nullable != nullable || flags.in_sublink {
            continue;
        }
        let table = pg_sys::Oid::from(o.table.oid);
        if let Some(pk) = primary_key(table)? {
            let named = format!("{}.{} ({})", o.table.schema, o.table.name, pk.join(", "));
            // A DEFERRABLE primary key lets a statement repeat a key until commit: it proves
            // nothing.
            let list = if immediate_primary_key(table)?.is_some() {
                &mut keys
            } else {
                &mut deferrable
            };
            if !list.contains(&named) {
                list.push(named);
            }
        }
    }
    Ok((keys, deferrable))
}

/// Is every table of the definition's top level NULL-extended by an outer join (`a FULL
/// JOIN b`, `(a FULL JOIN b) LEFT JOIN c`)?
fn top_level_rootless(ex: &model::Extracted) -> bool {
    let top: Vec<usize> = (0..ex.model.occurrences.len())
        .filter(|o| !ex.flags[*o].in_sublink)
        .collect();
    !top.is_empty() && top.iter().all(|o| ex.model.null_extended(*o))
}

/// What would give a definition without a key one: the primary keys of the tables its rows
/// come from (joined at the top level), to select as they are.
fn no_key_hint(ex: &model::Extracted) -> Result<String, TviewError> {
    let (keys, deferrable) = top_level_primary_keys(ex)?;
    if keys.is_empty() && deferrable.is_empty() {
        // Tables with a primary key that are all on a nullable side of an outer join: saying
        // "no primary key" would be false.
        let (mut outer, outer_deferrable) = primary_keys_of(ex, true)?;
        outer.extend(outer_deferrable);
        if !outer.is_empty() {
            return Ok(format!(
                "The tables with a primary key ({}) are all on the nullable side of an outer join, where a row may have none of their values. Where no table is in every row (a FULL JOIN), the primary keys of every table joined key the rows together (select them all, each NOT NULL in its table); otherwise select the primary key of a table joined at the top level (the left side of a LEFT JOIN).",
                outer.join("; ")
            ));
        }
    }
    if !deferrable.is_empty() && keys.is_empty() {
        return Ok(format!(
            "The primary key of {} is DEFERRABLE: a statement may repeat its values until commit, so it proves no key. Make it NOT DEFERRABLE, or pass key => '<column>' or key => ARRAY['<column>', ...] to rely on the data (a write that repeats a key then fails with 23505).",
            deferrable.join("; ")
        ));
    }
    Ok(if keys.is_empty() {
        "No table the rows come from has a primary key: select a column (or columns) that identifies the rows and pass key => '<column>' or key => ARRAY['<column>', ...]; rows that can repeat whole cannot be a TVIEW.".into()
    } else {
        format!(
            "Select the primary key of the tables the rows come from as it is: {}; or pass key => '<column>' or key => ARRAY['<column>', ...] naming the columns that identify the rows.",
            keys.join("; ")
        )
    })
}

/// Where each of the key's columns `key` comes from: columns of one occurrence of the top
/// level (the root), read as they are, or refused (42P16) saying why not. `creating`: also
/// refuse a key column that converts its table's column to another type. `grouped`: the key
/// is a GROUP BY list over outer joins ([`grouped_outer_key`]), where a NULL of a nullable
/// side's column and a row without a match fall into one group: such a column need not be
/// NOT NULL.
///
/// # Safety
/// `query` must be the valid analyzed and rewritten query `extracted` came from.
unsafe fn trace_key(
    query: *mut pg_sys::Query,
    extracted: &model::Extracted,
    columns: &[String],
    key: &[String],
    creating: bool,
    grouped: bool,
) -> Result<Vec<tviews_core::model::ColumnRef>, TviewError> {
    let mut origins: Vec<tviews_core::model::ColumnRef> = Vec::new();
    for k in key {
        let (_, origin) = extracted
            .outputs
            .iter()
            .find(|(n, _)| n == k)
            .ok_or_else(|| TviewError::Internal(format!("key column {k} vanished")))?;
        let c = match origin {
            None => {
                return Err(not_traceable(format!(
                    "\"{k}\" is computed, not a column of a table"
                )))
            }
            Some(c) => c,
        };
        // A binary coercion to another type (text shown as character, varchar): the key
        // would compare and collect as a type its table does not have.
        if creating
            && crate::pg::names::column_type(
                pg_sys::Oid::from(extracted.model.occurrences[c.occ].table.oid),
                &c.column,
            )? != unsafe { output_type(query, columns, k) }
        {
            return Err(not_traceable(format!(
                "\"{k}\" converts its table's column to another type"
            )));
        }
        let outer = extracted.model.null_extended(c.occ);
        if extracted.flags[c.occ].nullable && !outer {
            return Err(not_traceable(format!(
                "\"{k}\" comes from the nullable side of an outer join"
            )));
        }
        if outer
            && !grouped
            && !crate::pg::names::column_not_null(
                pg_sys::Oid::from(extracted.model.occurrences[c.occ].table.oid),
                &c.column,
            )?
        {
            // Its NULL must mean "no row of that side": a NULL value of a row would be the
            // same key.
            return Err(not_traceable(format!(
                "\"{k}\" comes from the nullable side of an outer join and its column is not NOT NULL (a NULL must mean a row without a match)"
            )));
        }
        if extracted.flags[c.occ].in_sublink {
            return Err(not_traceable(format!("\"{k}\" comes from a subquery")));
        }
        origins.push(c.clone());
    }
    let all_null_extended =
        !origins.is_empty() && origins.iter().all(|o| extracted.model.null_extended(o.occ));
    if all_null_extended && !top_level_rootless(extracted) {
        // A table the joins keep is in every row, and the key has none of its columns.
        let t = &extracted.model.occurrences[origins[0].occ].table;
        return Err(not_traceable(format!(
            "it comes from {}.{}, on the nullable side of an outer join, NULL in every row without a match: add a key column of a table the outer joins keep",
            t.schema, t.name
        )));
    }
    if all_null_extended {
        // No table of the key is in every row (a FULL JOIN): a row is told apart by which
        // tables it has a row of, so every row must have a row of one of them (a row of the
        // others alone would have a key of NULLs).
        let of: std::collections::BTreeSet<usize> = origins.iter().map(|o| o.occ).collect();
        if !extracted.shape.always_has_row_of(&of) {
            let missing: Vec<String> = (0..extracted.model.occurrences.len())
                .filter(|occ| !extracted.flags[*occ].in_sublink && !of.contains(occ))
                .map(|occ| {
                    let t = &extracted.model.occurrences[occ].table;
                    format!("{}.{}", t.schema, t.name)
                })
                .collect();
            let alone = if missing.is_empty() {
                "something other than a table (a VALUES list, a function)".to_string()
            } else {
                missing.join(", ")
            };
            return Err(not_traceable(format!(
                "no table is in every row (outer joins NULL-extend each table of the key), and rows of {alone} alone would have a key of NULLs: a key over such joins needs a key column of a table on each side of every FULL JOIN"
            )));
        }
    }
    if origins.iter().any(|o| o.occ != origins[0].occ) {
        // Columns of different tables: read them all from one table that inner-join
        // equalities tie each of them to (a link table's foreign keys), or else keep them
        // where they are, a key drawn from several tables (see `DefinitionModel::key_origins`;
        // the plan refuses it when no chain of join conditions links those tables).
        if let Some(columns) = common_root(&extracted.model, &extracted.flags, &origins)? {
            origins = columns;
        }
    }
    Ok(origins)
}

/// Order the columns of a key pg_tviews chose so that those an outer join NULL-extends come
/// last: the first column's table is the one a key drawn from several tables is found from,
/// and it must be in every row (see `tviews_core::plan::plan`).
fn outer_last(extracted: &model::Extracted, key: &mut [String]) {
    let extended = |k: &String| {
        extracted
            .outputs
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, origin)| origin.as_ref())
            .is_some_and(|o| extracted.model.null_extended(o.occ))
    };
    key.sort_by_key(|k| extended(k));
}

/// For key columns coming from several tables: the same columns read from one occurrence (of
/// the top level, not nullable), each either its own column or one an inner-join equality
/// ties to it (`l.fk_author = a.pk_author`, both sides of one type, compared with its
/// default equality, the conjunct required for the rows of both): every row of the
/// definition has equal values in both, so the key can be read from that occurrence's
/// changed rows and found through it. The origins' own occurrence is tried first.
fn common_root(
    model: &DefinitionModel,
    flags: &[model::OccFlags],
    origins: &[tviews_core::model::ColumnRef],
) -> Result<Option<Vec<tviews_core::model::ColumnRef>>, TviewError> {
    use tviews_core::model::ColumnRef;
    let table_of = |occ: usize| pg_sys::Oid::from(model.occurrences[occ].table.oid);
    let mut candidates: Vec<usize> = origins.iter().map(|o| o.occ).collect();
    candidates.extend(0..model.occurrences.len());
    let mut tried = std::collections::BTreeSet::new();
    'candidates: for root in candidates {
        if !tried.insert(root) || flags[root].nullable || flags[root].in_sublink {
            continue;
        }
        let mut mapped = Vec::new();
        for o in origins {
            if o.occ == root {
                mapped.push(o.clone());
                continue;
            }
            let typ = crate::pg::names::column_type(table_of(o.occ), &o.column)?;
            let eq = crate::pg::names::equality_operator(typ);
            let mut found = None;
            for e in &model.edges {
                let other = if e.left == *o {
                    &e.right
                } else if e.right == *o {
                    &e.left
                } else {
                    continue;
                };
                if other.occ != root
                    || e.null_safe
                    || !e.guards.contains(&root)
                    || !e.guards.contains(&o.occ)
                    || eq.as_ref() != Some(&e.operator)
                    || crate::pg::names::column_type(table_of(root), &other.column)? != typ
                {
                    continue;
                }
                found = Some(ColumnRef {
                    occ: root,
                    column: other.column.clone(),
                });
                break;
            }
            match found {
                Some(c) => mapped.push(c),
                None => continue 'candidates,
            }
        }
        return Ok(Some(mapped));
    }
    Ok(None)
}

fn not_traceable(reason: String) -> TviewError {
    tviews_core::Error::KeyNotTraceable { reason }.into()
}

/// The type of output column `name` of `query`.
unsafe fn output_type(query: *mut pg_sys::Query, columns: &[String], name: &str) -> pg_sys::Oid {
    let Some(i) = columns.iter().position(|c| c == name) else {
        return pg_sys::InvalidOid;
    };
    // SAFETY: a valid Query's target list holds TargetEntry nodes.
    unsafe {
        crate::pg::nodes::list_iter::<pg_sys::TargetEntry>((*query).targetList)
            .filter(|te| !(**te).resjunk)
            .nth(i)
            .map_or(pg_sys::InvalidOid, |te| {
                pg_sys::exprType((*te).expr as *mut pg_sys::Node)
            })
    }
}

/// Refuse unless output columns `key` of `query` are unique (together) for every content of
/// the sources.
unsafe fn prove_key(
    query: *mut pg_sys::Query,
    tview: &str,
    key: &[String],
    columns: &[String],
) -> Result<(), TviewError> {
    let resnos: Vec<usize> = key
        .iter()
        .map(|k| columns.iter().position(|c| c == k).map_or(0, |i| i + 1))
        .collect();
    // SAFETY: per the caller, a valid analyzed and rewritten query.
    match unsafe { unique::output_columns_unique(query, &resnos)? } {
        Ok(()) => Ok(()),
        Err(repeating) => Err(tviews_core::Error::KeyNotProvablyUnique {
            tview: tview.to_string(),
            key: key.join(", "),
            repeating,
            identifying: Vec::new(),
        }
        .into()),
    }
}

/// After DDL changed what the definition held by view `schema.name` reads: is the key
/// pg_tviews chose and proved at creation still unique for every content of the sources?
pub fn prove_key_again(
    schema: &str,
    name: &str,
    tview: &str,
    key: &[String],
) -> Result<(), TviewError> {
    let query = parse::rewritten_view_query(schema, name)?;
    // SAFETY: the query was just produced by the analyzer and rewriter.
    let columns = unsafe { model::output_names(query) };
    // SAFETY: as above.
    unsafe { prove_key(query, tview, key, &columns) }
}

/// Does `q` call a function taking or returning a text search type (to_tsvector, ts_rank,
/// plainto_tsquery, @@, ...) anywhere, views and sublinks included? Those read text search
/// configurations (named, from a column, or the default) that ALTER TEXT SEARCH changes.
unsafe fn uses_text_search(q: *mut pg_sys::Query) -> bool {
    use crate::pg::nodes::{is_a, walk, Visit};
    use pg_sys::NodeTag::*;
    const TYPES: [pg_sys::Oid; 4] = crate::checks::TEXT_SEARCH_TYPES;
    let function_uses = |func: pg_sys::Oid| -> bool {
        if func == pg_sys::InvalidOid {
            return false;
        }
        // SAFETY: syscache lookups of a function the analyzer resolved.
        unsafe {
            let mut args: *mut pg_sys::Oid = std::ptr::null_mut();
            let mut n: std::ffi::c_int = 0;
            let returns = pg_sys::get_func_signature(func, &mut args, &mut n);
            // text @@ text (ts_match_tt) reads the default configuration with no text search
            // type in its signature.
            let name = crate::pg::nodes::cstring(pg_sys::get_func_name(func)).unwrap_or_default();
            TYPES.contains(&returns)
                || (0..n.max(0) as usize).any(|i| TYPES.contains(&*args.add(i)))
                || name.starts_with("ts_")
                || name.contains("tsvector")
                || name.contains("tsquery")
        }
    };
    // SAFETY: a valid Query (caller's contract); tags are checked before casts.
    unsafe {
        walk(q as *mut pg_sys::Node, &mut |node, _| {
            let func = if is_a(node, T_FuncExpr) {
                (*(node as *mut pg_sys::FuncExpr)).funcid
            } else if is_a(node, T_OpExpr) || is_a(node, T_DistinctExpr) || is_a(node, T_NullIfExpr)
            {
                pg_sys::get_opcode((*(node as *mut pg_sys::OpExpr)).opno)
            } else if is_a(node, T_ScalarArrayOpExpr) {
                pg_sys::get_opcode((*(node as *mut pg_sys::ScalarArrayOpExpr)).opno)
            } else if is_a(node, T_Aggref) {
                (*(node as *mut pg_sys::Aggref)).aggfnoid
            } else if is_a(node, T_WindowFunc) {
                (*(node as *mut pg_sys::WindowFunc)).winfnoid
            } else if is_a(node, T_CoerceViaIO) {
                if TYPES.contains(&(*(node as *mut pg_sys::CoerceViaIO)).resulttype) {
                    return Visit::Stop;
                }
                pg_sys::InvalidOid
            } else {
                pg_sys::InvalidOid
            };
            if function_uses(func) {
                Visit::Stop
            } else {
                Visit::Descend
            }
        })
    }
}

/// The tables read through whole-row references anywhere in `q`.
unsafe fn whole_row_relations(q: *mut pg_sys::Query) -> Vec<pg_sys::Oid> {
    use crate::pg::nodes::{is_a, list_nth, walk, Visit};
    let mut found = Vec::new();
    // SAFETY: a valid Query (caller's contract); tags are checked before casts; `levels` are
    // the queries enclosing the node, innermost last.
    unsafe {
        walk(q as *mut pg_sys::Node, &mut |node, levels| {
            if !is_a(node, pg_sys::NodeTag::T_Var) {
                return Visit::Descend;
            }
            let v = &*(node as *mut pg_sys::Var);
            let level = levels
                .len()
                .checked_sub(1 + v.varlevelsup as usize)
                .map(|l| levels[l]);
            if let (0, Some(level)) = (v.varattno, level) {
                if let Some(rte) = list_nth::<pg_sys::RangeTblEntry>(
                    (*level).rtable,
                    (v.varno as usize).wrapping_sub(1),
                ) {
                    if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION {
                        found.push((*rte).relid);
                    }
                }
            }
            Visit::Skip
        });
    }
    found.sort_by_key(|o| o.to_u32());
    found.dedup();
    found
}

/// Every occurrence of `model` untraceable for reason `why` (those with a reason of their own
/// keep it), without a root: every change recomputes every row. The plan of that.
fn untraced_plan(model: &mut DefinitionModel, why: &str) -> Result<MaintenancePlan, TviewError> {
    for occ in &mut model.occurrences {
        occ.untraceable.get_or_insert_with(|| why.to_string());
    }
    model.root = None;
    model.root_columns.clear();
    model.key_origins.clear();
    model.null_groups = false;
    model.all_null_group = false;
    Ok(plan(model)?)
}

/// Is `key` the definition's `GROUP BY` list (see `unique::grouping_key`) with a column
/// that an outer join makes NULL where it finds no match, every key column a table's
/// column as it is? Such a key is unique, its NULL group holding the rows without a match
/// and those whose own value is NULL alike (see `DefinitionModel::null_groups`).
///
/// # Safety
/// `query` must be the valid analyzed and rewritten query `ex` came from.
unsafe fn grouped_outer_key(
    query: *mut pg_sys::Query,
    ex: &model::Extracted,
    columns: &[String],
    key: &[String],
) -> Result<bool, TviewError> {
    let mut resnos = Vec::new();
    let mut outer = false;
    for k in key {
        let Some(i) = columns.iter().position(|c| c == k) else {
            return Ok(false);
        };
        let Some((_, Some(c))) = ex.outputs.get(i) else {
            return Ok(false);
        };
        if ex.flags[c.occ].in_sublink {
            return Ok(false);
        }
        outer |= ex.flags[c.occ].nullable || ex.model.null_extended(c.occ);
        resnos.push(i + 1);
    }
    // SAFETY: per contract.
    Ok(outer && unsafe { unique::grouping_key(query, &resnos)? })
}

/// For a [`grouped_outer_key`]: where its columns come from, when every one is a column of
/// a table an outer join NULL-extends, as it is (of the same type), at the top level: the
/// key of groups `DefinitionModel::null_groups` describes. Empty otherwise (a column cast,
/// or of a table in every row that the rules for a row's key did not accept, a key listing
/// a nullable side's column first: every change recomputes every row, [`GROUPED_OUTER`]).
///
/// # Safety
/// `query` must be the valid analyzed and rewritten query `ex` came from.
unsafe fn null_group_origins(
    query: *mut pg_sys::Query,
    ex: &model::Extracted,
    columns: &[String],
    key: &[String],
) -> Result<Vec<tviews_core::model::ColumnRef>, TviewError> {
    let mut origins = Vec::new();
    for k in key {
        let Some((_, Some(c))) = ex.outputs.iter().find(|(n, _)| n == k) else {
            return Ok(Vec::new());
        };
        let table = pg_sys::Oid::from(ex.model.occurrences[c.occ].table.oid);
        if ex.flags[c.occ].in_sublink
            || !ex.model.null_extended(c.occ)
            // SAFETY: per contract.
            || crate::pg::names::column_type(table, &c.column)? != unsafe { output_type(query, columns, k) }
        {
            return Ok(Vec::new());
        }
        origins.push(c.clone());
    }
    Ok(origins)
}

/// Why every change to a [`grouped_outer_key`] definition recomputes every row.
const GROUPED_OUTER: &str = "the key is a GROUP BY with columns that an outer join makes NULL where it finds no match (those rows and the rows whose own value is NULL form one group); changes are traced to such groups only when every key column is a column of its table as it is (not cast), a key named with columns of a table in every row lists one of those first, and join conditions link the tables to them (at most four outer joins making key columns NULL)";

/// For a definition of at most one row whatever the sources hold: the column that keys
/// that row. Its first output column of a type that can be a key and has a fixed length (a
/// count, an integer sum), else the first that can be a key at all: a document or a long
/// text as the key would have to fit in the key's index entry.
///
/// # Safety
/// `query` must be a valid analyzed and rewritten query.
unsafe fn one_row_key(
    query: *mut pg_sys::Query,
    columns: &[String],
) -> Result<Option<String>, TviewError> {
    // SAFETY: per contract.
    if !unsafe { unique::at_most_one_row(query)? } {
        return Ok(None);
    }
    let usable: Vec<(&String, pg_sys::Oid)> = columns
        .iter()
        // SAFETY: per contract.
        .map(|name| (name, unsafe { output_type(query, columns, name) }))
        .filter(|(_, typ)| crate::pg::names::usable_key_type(*typ))
        .collect();
    // SAFETY: a type catalog lookup of an existing type.
    let fixed = usable
        .iter()
        .find(|(_, typ)| unsafe { pg_sys::get_typlen(*typ) } > 0);
    Ok(fixed.or(usable.first()).map(|(name, _)| (*name).clone()))
}

/// The output columns, in order, that are a column of a table joined at the top level (not
/// nullable, not in a subquery), as it is, and proven unique for every content of the sources.
///
/// # Safety
/// `query` must be the valid analyzed and rewritten query `ex` was extracted from.
unsafe fn proven_unique_columns(
    query: *mut pg_sys::Query,
    ex: &model::Extracted,
) -> Result<Vec<String>, TviewError> {
    let mut out = Vec::new();
    for (i, (name, origin)) in ex.outputs.iter().enumerate() {
        let Some(c) = origin else { continue };
        let flags = ex.flags[c.occ];
        if flags.in_sublink {
            continue;
        }
        if flags.nullable {
            // Only as the whole GROUP BY list (its NULL group is one row).
            // SAFETY: per contract.
            if unsafe { unique::grouping_key(query, &[i + 1])? } {
                out.push(name.clone());
            }
            continue;
        }
        // SAFETY: per contract.
        if let Ok(()) = unsafe { unique::output_column_unique(query, i + 1)? } {
            out.push(name.clone());
        }
    }
    Ok(out)
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
    Ok(primary_key_where(relid, false))
}

/// The primary key columns of `relid` when the key is checked at every statement, not
/// deferred to commit: old and new rows of one statement pair up on such a key only (with a
/// DEFERRABLE key, two new rows may claim one old row's key until commit). Either counts
/// only when the key compares its columns as their own `=` does (see
/// [`crate::pg::scan::IndexRow::compares_as_columns`]): rows are paired and found with `=`.
pub fn immediate_primary_key(relid: pg_sys::Oid) -> Result<Option<Vec<String>>, TviewError> {
    Ok(primary_key_where(relid, true))
}

fn primary_key_where(relid: pg_sys::Oid, immediate: bool) -> Option<Vec<String>> {
    let index = crate::pg::scan::indexes(relid)
        .into_iter()
        .find(|i| i.primary && (i.immediate || !immediate))
        .filter(|i| i.compares_as_columns(relid))?;
    let cols: Vec<String> = index
        .keys
        .iter()
        .filter_map(|&(attnum, _, _)| crate::pg::scan::attribute(relid, attnum).map(|a| a.2))
        .collect();
    (!cols.is_empty()).then_some(cols)
}
