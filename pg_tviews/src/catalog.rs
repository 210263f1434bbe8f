//! The extension's own catalog: one row per TVIEW in `pg_tview_meta`, and the schema that
//! holds the definition views.
//!
//! `pg_tview_meta` is an extension configuration table, so pg_dump dumps its rows and a
//! restore brings the TVIEWs back with their bookkeeping. Its rows are written only by
//! pg_tviews' functions, as the extension's owner.

use pgrx::prelude::*;

use tviews_core::action::Mode;

use crate::errors::TviewError;
use crate::pg::names::relation_name;

/// Schema of the views that hold TVIEW definitions.
pub const DEFINITION_SCHEMA: &str = "tviews_def";

extension_sql!(
    r#"
CREATE SCHEMA tviews_def;
COMMENT ON SCHEMA tviews_def IS 'pg_tviews: one view per TVIEW holding its definition (dropped with the TVIEW''s table). Not for direct use.';
GRANT USAGE, CREATE ON SCHEMA tviews_def TO PUBLIC;

CREATE TABLE pg_tview_meta (
    table_name      regclass    NOT NULL PRIMARY KEY,
    tview_name      text        NOT NULL,
    definition_view regclass    NOT NULL UNIQUE,
    definition      text        NOT NULL,
    key_column      name        NOT NULL,
    sources         regclass[]  NOT NULL,
    mode            text        NOT NULL DEFAULT 'immediate'
                    CHECK (mode IN ('immediate', 'deferred')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    settings        text[]      NOT NULL DEFAULT '{}',
    key_proven      boolean     NOT NULL DEFAULT false,
    key_columns     name[]      NOT NULL DEFAULT '{}',
    key_type        regtype,
    maybe_stale     text
);
SELECT pg_catalog.pg_extension_config_dump('pg_tview_meta', '');
GRANT SELECT ON pg_tview_meta TO PUBLIC;

COMMENT ON TABLE pg_tview_meta IS 'pg_tviews catalog: one row per TVIEW (transactional view). Written by pg_tviews_create and DROP TABLE; do not edit by hand.';
COMMENT ON COLUMN pg_tview_meta.table_name IS 'The table that holds the TVIEW''s rows (tv_<name>).';
COMMENT ON COLUMN pg_tview_meta.tview_name IS 'The TVIEW''s name without the tv_ prefix.';
COMMENT ON COLUMN pg_tview_meta.definition_view IS 'The view in schema tviews_def that holds the definition; PostgreSQL tracks its dependencies on the sources.';
COMMENT ON COLUMN pg_tview_meta.definition IS 'The SELECT the table is kept equal to, as PostgreSQL printed it back with qualified names.';
COMMENT ON COLUMN pg_tview_meta.key_column IS 'The column that identifies a row (for a key of several columns, its first column): unique; the table''s primary key, or where the key may be NULL its UNIQUE NULLS NOT DISTINCT constraint.';
COMMENT ON COLUMN pg_tview_meta.sources IS 'Tables the definition reads, with helper views expanded (other TVIEWs'' tables included).';
COMMENT ON COLUMN pg_tview_meta.mode IS 'immediate: maintained at the end of every statement that changes a source; deferred: the affected keys are collected and refreshed once, at commit (or pg_tviews_flush()). Change with pg_tviews_set_mode.';
COMMENT ON COLUMN pg_tview_meta.created_at IS 'When the TVIEW was created.';
COMMENT ON COLUMN pg_tview_meta.settings IS 'The settings maintenance, refresh and pg_tviews_check run with, as name=value (DateStyle, TimeZone, extra_float_digits, ...), captured from the creating session; the writer''s own settings never apply. Change with pg_tviews_set_setting.';
COMMENT ON COLUMN pg_tview_meta.key_columns IS 'The columns of a key of several columns, in order (GROUP BY a, b; a composite primary key; key => ARRAY[...]); empty for a key of one column (key_column).';
COMMENT ON COLUMN pg_tview_meta.key_type IS 'For a key of several columns: the composite type of its columns (in schema tviews_def, dropped with the table) that holds one key; the table''s unique index is on that value. NULL for a key of one column.';
COMMENT ON COLUMN pg_tview_meta.key_proven IS 'true when pg_tviews chose the key itself (no key argument) and proved it unique for every content of the sources; DDL that changes what the definition reads must keep that proof. false for a key passed by name, which writes that repeat it refuse (23505).';
COMMENT ON COLUMN pg_tview_meta.maybe_stale IS 'NULL while every write has reached the TVIEW. Otherwise why its rows may differ from the definition: a command left pg_tviews'' triggers disabled on a source or the table (writes made meanwhile reached no TVIEW, or wrote the table directly). pg_tviews_refresh, or a pg_tviews_check that finds no difference, clears it once the triggers are in place again; pg_tviews_health_check reports it.';
"#,
    name = "catalog",
    bootstrap
);

/// One TVIEW's catalog row, with names resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct TviewMeta {
    pub table: pg_sys::Oid,
    pub table_name: (String, String),
    pub tview_name: String,
    pub view: pg_sys::Oid,
    pub view_name: (String, String),
    /// The key's columns (one, or several for a key of several columns).
    pub key: Vec<String>,
    /// For a key of several columns, the composite type of them.
    pub key_type: Option<pg_sys::Oid>,
    pub sources: Vec<pg_sys::Oid>,
    pub owner: pg_sys::Oid,
    pub mode: Mode,
    /// The pinned settings (name, value) maintenance runs with.
    pub settings: Vec<(String, String)>,
    /// pg_tviews chose the key and proved it unique: DDL must keep the proof.
    pub key_proven: bool,
    /// Why the rows may differ from the definition (`pg_tview_meta.maybe_stale`), if they may.
    pub maybe_stale: Option<String>,
}

/// Every TVIEW, as the latest committed catalog has it (read with a new snapshot, see
/// [`crate::pg::scan::table_rows`]): a REPEATABLE READ writer whose snapshot predates a
/// TVIEW's creation still maintains it, since the TVIEW's triggers, being catalog entries,
/// already fire for it.
pub fn load_all() -> Result<Vec<TviewMeta>, TviewError> {
    use pgrx::FromDatum;
    let catalog = catalog_oid()?;
    if catalog == pg_sys::InvalidOid {
        return Err(TviewError::Internal("pg_tviews is not installed".into()));
    }
    // Read from the table itself, not with SQL: a new backend's first write pays this, and
    // a query would be parsed and planned there first. Columns by name: `settings`,
    // `key_proven`, `key_columns` and `key_type` arrive with 0.2.0, `maybe_stale` later
    // (missing, they read as NULL).
    const COLUMNS: [&std::ffi::CStr; 11] = [
        c"table_name",
        c"tview_name",
        c"definition_view",
        c"key_column",
        c"sources",
        c"mode",
        c"settings",
        c"key_proven",
        c"key_columns",
        c"key_type",
        c"maybe_stale",
    ];
    // SAFETY (for the closures below): each datum is of its column's type, read while the
    // row is current; everything is copied out.
    let oid = |d: Option<pg_sys::Datum>| {
        d.map(|d| pg_sys::Oid::from(d.value() as u32))
            .unwrap_or(pg_sys::InvalidOid)
    };
    let text = |d: Option<pg_sys::Datum>| d.and_then(|d| unsafe { String::from_datum(d, false) });
    let name = |d: pg_sys::Datum| unsafe {
        crate::pg::nodes::cstring((*d.cast_mut_ptr::<pg_sys::NameData>()).data.as_ptr() as _)
    };
    let array = |d: Option<pg_sys::Datum>, elem: pg_sys::Oid| {
        d.map(|d| unsafe { crate::pg::arrays::elements(d, elem) })
            .unwrap_or_default()
    };
    let mut rows: Vec<Result<Option<TviewMeta>, TviewError>> = Vec::new();
    crate::pg::scan::table_rows(catalog, &COLUMNS, |r| {
        let table = oid(r[0]);
        let view = oid(r[2]);
        let (Some(table_name), Some(view_name), Some(owner)) = (
            relation_name(table),
            relation_name(view),
            crate::pg::names::relation_owner(table),
        ) else {
            // Dropped in this transaction; the sql_drop trigger removes the row.
            rows.push(Ok(None));
            return;
        };
        let key_columns: Vec<String> = array(r[8], pg_sys::NAMEOID)
            .into_iter()
            .flatten()
            .filter_map(name)
            .collect();
        let settings: Vec<String> = array(r[6], pg_sys::TEXTOID)
            .into_iter()
            .flatten()
            .filter_map(|d| text(Some(d)))
            .collect();
        rows.push((|| {
            Ok(Some(TviewMeta {
                table,
                table_name,
                tview_name: text(r[1]).unwrap_or_default(),
                view,
                view_name,
                key: match key_columns {
                    several if several.len() > 1 => several,
                    _ => vec![r[3].and_then(name).unwrap_or_default()],
                },
                key_type: Some(oid(r[9])).filter(|o| *o != pg_sys::InvalidOid),
                sources: array(r[4], pg_sys::REGCLASSOID)
                    .into_iter()
                    .map(oid)
                    .collect(),
                owner,
                mode: Mode::parse(&text(r[5]).unwrap_or_default())?,
                settings: tviews_core::settings::parse_settings(&settings)?,
                // SAFETY: a boolean datum.
                key_proven: r[7]
                    .is_some_and(|d| unsafe { bool::from_datum(d, false) } == Some(true)),
                maybe_stale: text(r[10]),
            }))
        })());
    });
    let mut rows = rows.into_iter().collect::<Result<Vec<_>, TviewError>>()?;
    rows.sort_by_key(|m: &Option<TviewMeta>| m.as_ref().map(|m| m.table.to_u32()));
    let mut metas: Vec<TviewMeta> = rows.into_iter().flatten().collect();
    // A row restored from a dump of a version before 0.2.0 pins nothing: maintenance would
    // otherwise run with each writer's own settings (a SET TimeZone would reach the rows).
    // Such a TVIEW runs with PostgreSQL's built-in values until pg_tviews_set_setting pins
    // others; the health check says so. (Before ALTER EXTENSION ... UPDATE there is no
    // settings column: as before the update, nothing is pinned.)
    if metas.iter().any(|m| m.settings.is_empty()) && has_settings_column()? {
        let built_in = built_in_settings()?;
        for m in metas.iter_mut().filter(|m| m.settings.is_empty()) {
            m.settings = built_in.clone();
        }
    }
    Ok(metas)
}

/// PostgreSQL's built-in value (`boot_val`) of every setting a TVIEW pins.
fn built_in_settings() -> Result<Vec<(String, String)>, TviewError> {
    let names: Vec<String> = tviews_core::settings::CAPTURED
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let mut out = Vec::new();
    Spi::connect(|client| {
        let rows = client.select(
            // timezone_abbreviations has no boot value: PostgreSQL loads its Default set.
            "SELECT s.name, coalesce(s.boot_val, CASE s.name WHEN 'timezone_abbreviations' THEN 'Default' END) \
               FROM pg_catalog.pg_settings s \
              JOIN pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS n(name, i) \
                ON pg_catalog.lower(n.name) OPERATOR(pg_catalog.=) pg_catalog.lower(s.name) \
             ORDER BY n.i",
            None,
            &[names.into()],
        )?;
        for r in rows {
            if let (Some(name), Some(value)) = (r.get::<String>(1)?, r.get::<String>(2)?) {
                if let Some(captured) = tviews_core::settings::captured_name(&name) {
                    out.push((captured.to_string(), value));
                }
            }
        }
        Ok::<_, pgrx::spi::SpiError>(())
    })?;
    Ok(out)
}

/// Does the catalog have the `settings` column (version 0.2.0)? Between installing a new
/// library and `ALTER EXTENSION pg_tviews UPDATE`, the library runs against the previous
/// version's catalog: TVIEWs keep being maintained, without pinned settings until the update
/// (as before it).
pub fn has_settings_column() -> Result<bool, TviewError> {
    has_column(c"settings")
}

/// Does the catalog have this column? (Columns arrive with versions: see
/// [`has_settings_column`].)
pub fn has_column(column: &std::ffi::CStr) -> Result<bool, TviewError> {
    let catalog = catalog_oid()?;
    if catalog == pg_sys::InvalidOid {
        return Ok(false);
    }
    // SAFETY: an attribute lookup of an existing relation.
    Ok(unsafe { pg_sys::get_attnum(catalog, column.as_ptr()) } > 0)
}

/// Record that a TVIEW's rows may differ from its definition, and why (the latest cause
/// replaces an earlier one: either way the TVIEW needs the same refresh). Transactional:
/// a command rolled back leaves no mark.
pub fn mark_maybe_stale(table: pg_sys::Oid, reason: &str) -> Result<(), TviewError> {
    if !has_column(c"maybe_stale")? {
        return Ok(());
    }
    let ext = extension_schema_quoted()?;
    as_extension_owner(|| {
        Ok(Spi::run_with_args(
            &format!(
                "UPDATE {ext}.pg_tview_meta SET maybe_stale = $2 \
                  WHERE table_name OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
            ),
            &[table.into(), reason.into()],
        )?)
    })?;
    // Every backend's compiled TVIEWs watch the table: they reload the catalog row.
    // SAFETY: queues a relcache invalidation of an existing relation, sent at commit.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(table) };
    Ok(())
}

/// Clear the mark [`mark_maybe_stale`] left, if it is still the one `seen` (a mark made
/// since by another transaction stays).
pub fn clear_maybe_stale(table: pg_sys::Oid, seen: &str) -> Result<(), TviewError> {
    let ext = extension_schema_quoted()?;
    as_extension_owner(|| {
        Ok(Spi::run_with_args(
            &format!(
                "UPDATE {ext}.pg_tview_meta SET maybe_stale = NULL \
                  WHERE table_name OPERATOR(pg_catalog.=) $1::pg_catalog.regclass \
                    AND maybe_stale OPERATOR(pg_catalog.=) $2"
            ),
            &[table.into(), seen.into()],
        )?)
    })?;
    // SAFETY: as in mark_maybe_stale.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(table) };
    Ok(())
}

/// The schema pg_tviews is installed in.
pub fn extension_schema() -> Result<String, TviewError> {
    crate::pg::scan::extension(c"pg_tviews")
        .map(|(_, _, schema)| schema)
        .ok_or(TviewError::Internal("pg_tviews is not installed".into()))
}

/// The schema pg_tviews is installed in, quoted.
pub fn extension_schema_quoted() -> Result<String, TviewError> {
    Ok(tviews_core::sqlgen::quote_ident(&extension_schema()?))
}

/// OID of `pg_tview_meta` (InvalidOid if the extension is not installed).
pub fn catalog_oid() -> Result<pg_sys::Oid, TviewError> {
    Ok(match crate::pg::scan::extension(c"pg_tviews") {
        // SAFETY: a catalog lookup by name in an existing schema; InvalidOid when missing.
        Some((_, schema, _)) => unsafe {
            pg_sys::get_relname_relid(c"pg_tview_meta".as_ptr(), schema)
        },
        None => pg_sys::InvalidOid,
    })
}

/// Run `f` as the extension's owner (a superuser), with the search_path restricted: the
/// catalog rows are written this way, whoever calls.
pub fn as_extension_owner<R>(f: impl FnOnce() -> Result<R, TviewError>) -> Result<R, TviewError> {
    let owner = extension_owner()?;
    crate::pg::context::run(
        crate::pg::context::Role::As {
            user: owner,
            restricted: false,
        },
        &[],
        f,
    )
}

/// The role that owns the extension (a superuser): catalog rows are written as it.
pub fn extension_owner() -> Result<pg_sys::Oid, TviewError> {
    let owner: Option<pg_sys::Oid> = crate::pg::spi::read_one(
        "SELECT (SELECT extowner FROM pg_catalog.pg_extension \
          WHERE extname OPERATOR(pg_catalog.=) 'pg_tviews')",
        &[],
    )?;
    owner.ok_or(TviewError::Internal("pg_tviews is not installed".into()))
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn the_catalog_is_marked_for_pg_dump() {
        let marked = Spi::get_one::<bool>(
            "SELECT 'pg_tview_meta'::regclass::oid = ANY (extconfig)
               FROM pg_extension WHERE extname = 'pg_tviews'",
        );
        assert_eq!(marked, Ok(Some(true)));
    }

    #[pg_test]
    fn every_catalog_column_has_a_comment() {
        let missing = Spi::get_one::<i64>(
            "SELECT count(*) FROM pg_attribute
              WHERE attrelid = 'pg_tview_meta'::regclass AND attnum > 0 AND NOT attisdropped
                AND col_description(attrelid, attnum) IS NULL",
        );
        assert_eq!(missing, Ok(Some(0)));
    }
}
