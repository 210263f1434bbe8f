//! Step 1 of the pipeline: understand a definition.
//!
//! [`parse`] checks and normalizes the user's SELECT; [`model`] walks the analyzed, rewritten
//! query into `tviews_core`'s model; [`analyze_view`] ties them to a key column and a
//! maintenance plan.

pub mod model;
pub mod parse;
pub mod patch;

use pgrx::prelude::*;
use tviews_core::key::{choose_key, KeyInputs};
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
    let extracted = unsafe { model::extract(query)? };
    let columns: Vec<String> = extracted.outputs.iter().map(|(n, _)| n.clone()).collect();
    let key = match key {
        KeyRequest::Fixed(k) => k.to_string(),
        KeyRequest::Choose(requested) => {
            let pk = root_primary_key_column(&extracted)?;
            choose_key(&KeyInputs {
                tview,
                columns: &columns,
                requested,
                root_primary_key: pk.as_deref(),
            })?
            .0
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
    let plan = plan(&model)?;
    // SAFETY: the same query, still alive.
    let patches = unsafe { patch::patch_sources(query, &model, &plan)? };
    Ok(Definition {
        model,
        plan,
        columns,
        key,
        patches,
    })
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
    let cols: Option<Vec<String>> = crate::pg::spi::read_one(
        "SELECT array_agg(a.attname::text ORDER BY k.ord) \
           FROM pg_catalog.pg_index i \
           CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
          WHERE i.indrelid = $1 AND i.indisprimary",
        &[relid.into()],
    )?;
    Ok(cols.filter(|c| !c.is_empty()))
}
