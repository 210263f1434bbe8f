//! The SQL functions users call: create, set_mode, drop, refresh, check.

use pgrx::callconv::{BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::prelude::*;
use pgrx::{impl_sql_translatable, IntoDatum};

use crate::catalog::TviewMeta;
use crate::create::{create_tview, resolve_target, split_qualified};
use crate::errors::{OrRaise, TviewError};
use crate::maintain::cache;
use crate::maintain::run::refresh_all_rows;
use crate::pg::names::relation_oid;
use tviews_core::action::Mode;
use tviews_core::naming::TviewName;
use tviews_core::sqlgen::refresh::differing_keys;

/// A `regclass` result.
pub struct Regclass(pub pg_sys::Oid);

impl IntoDatum for Regclass {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(pg_sys::Datum::from(self.0))
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::REGCLASSOID
    }
}

unsafe impl BoxRet for Regclass {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        // SAFETY: an OID is passed by value.
        unsafe { fcinfo.return_raw_datum(pg_sys::Datum::from(self.0)) }
    }
}

impl_sql_translatable!(Regclass, "regclass");

pub fn required<T>(value: Option<T>, argument: &str) -> T {
    value.unwrap_or_else(|| {
        pgrx::ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{argument} must not be NULL")
        );
    })
}

/// Create a TVIEW: the table `tv_<name>` kept equal to `select_sql`.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_create(
    tview_name: Option<&str>,
    select_sql: Option<&str>,
    key: default!(Option<&str>, "NULL"),
    mode: default!(Option<&str>, "'immediate'"),
) -> Regclass {
    let name = required(tview_name, "tview_name");
    let sql = required(select_sql, "select_sql");
    let mode = Mode::parse(required(mode, "mode")).or_raise();
    let target = resolve_target(name).or_raise();
    let key: Option<Vec<String>> = key.map(|k| vec![k.to_string()]);
    Regclass(create_tview(&target, sql, key.as_deref(), mode, None).or_raise())
}

/// [`pg_tviews_create`] with a key of several columns, named in order:
/// `key => ARRAY['a', 'b']`.
#[pg_extern(volatile, parallel_unsafe, name = "pg_tviews_create")]
fn pg_tviews_create_keyed(
    tview_name: Option<&str>,
    select_sql: Option<&str>,
    key: Option<Vec<Option<String>>>,
    mode: default!(Option<&str>, "'immediate'"),
) -> Regclass {
    let name = required(tview_name, "tview_name");
    let sql = required(select_sql, "select_sql");
    let key: Vec<String> = required(key, "key")
        .into_iter()
        .map(|k| required(k, "an element of key"))
        .collect();
    let mode = Mode::parse(required(mode, "mode")).or_raise();
    let target = resolve_target(name).or_raise();
    Regclass(create_tview(&target, sql, Some(&key), mode, None).or_raise())
}

/// Switch a TVIEW between immediate and deferred maintenance. Takes effect for statements
/// that start after the switch (in other sessions, after it commits); keys already queued
/// by this transaction are still applied at its commit.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_set_mode(tview_name: Option<&str>, mode: Option<&str>) {
    let meta = existing_tview(required(tview_name, "tview_name"));
    let mode = Mode::parse(required(mode, "mode")).or_raise();
    check_owner(&meta);
    let ext = crate::catalog::extension_schema_quoted().or_raise();
    crate::catalog::as_extension_owner(|| {
        Ok(Spi::run_with_args(
            &format!(
                "UPDATE {ext}.pg_tview_meta SET mode = $2 \
                  WHERE table_name OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
            ),
            &[meta.table.into(), mode.as_str().into()],
        )?)
    })
    .or_raise();
    // Every backend's compiled TVIEWs watch the table: they reload the catalog row.
    // SAFETY: queues a relcache invalidation of an existing relation, sent at commit.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(meta.table) };
    cache::invalidate();
    // Tallies are kept in immediate mode only: built, or dropped.
    crate::tally::rebuild_for(meta.table).or_raise();
}

/// Change a setting a TVIEW pins (DateStyle, TimeZone, extra_float_digits, ...: the list is
/// tviews_core::settings::CAPTURED), then recompute every row under the new value.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_set_setting(tview_name: Option<&str>, setting: Option<&str>, value: Option<&str>) {
    let meta = existing_tview(required(tview_name, "tview_name"));
    let given = required(setting, "setting");
    let value = required(value, "value");
    check_owner(&meta);
    if !crate::catalog::has_settings_column().or_raise() {
        TviewError::CatalogNeedsUpdate.raise();
    }
    let name = tviews_core::settings::captured_name(given)
        .ok_or_else(|| tviews_core::Error::BadSetting(given.to_string()))
        .or_raise();
    // PostgreSQL checks the value (and raises its own error for a bad one); the stored value
    // is the one it reads back, as SHOW prints it.
    let normalized = crate::pg::context::run(crate::pg::context::Role::Caller, &[], || {
        crate::pg::context::set_local(name, value)?;
        crate::pg::context::current(name)
    })
    .or_raise();
    let mut settings = meta.settings.clone();
    match settings.iter_mut().find(|(n, _)| n == name) {
        Some(entry) => entry.1 = normalized,
        None => settings.push((name.to_string(), normalized)),
    }
    let stored: Vec<String> = settings
        .iter()
        .map(|(n, v)| tviews_core::settings::format_setting(n, v))
        .collect();
    let ext = crate::catalog::extension_schema_quoted().or_raise();
    crate::catalog::as_extension_owner(|| {
        Ok(Spi::run_with_args(
            &format!(
                "UPDATE {ext}.pg_tview_meta SET settings = $2 \
                  WHERE table_name OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
            ),
            &[meta.table.into(), stored.into()],
        )?)
    })
    .or_raise();
    // SAFETY: queues a relcache invalidation of an existing relation, sent at commit.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(meta.table) };
    cache::invalidate();
    // The stored documents were computed under the old value.
    let updated = cache::all()
        .or_raise()
        .into_iter()
        .find(|m| m.table == meta.table)
        .unwrap_or_else(|| TviewError::NoSuchTview(meta.tview_name.clone()).raise());
    refresh_all_rows(&updated).or_raise();
}

/// The oracle reports keys of rows that differ, read as the owner: the caller must be allowed
/// to read every row of the TVIEW table.
fn check_may_read_every_row(meta: &TviewMeta) {
    // SAFETY: privilege and row security checks of an existing relation by the current user;
    // aclcheck_error raises.
    unsafe {
        let acl = pg_sys::pg_class_aclcheck(
            meta.table,
            pg_sys::GetUserId(),
            pg_sys::ACL_SELECT as pg_sys::AclMode,
        );
        if acl != pg_sys::AclResult::ACLCHECK_OK {
            pg_sys::aclcheck_error(
                acl,
                pg_sys::ObjectType::OBJECT_TABLE,
                pg_sys::get_rel_name(meta.table),
            );
        }
        if pg_sys::check_enable_rls(meta.table, pg_sys::InvalidOid, true)
            == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        {
            TviewError::OracleFiltered(crate::pg::names::describe(meta.table)).raise();
        }
    }
}

fn check_owner(meta: &TviewMeta) {
    // SAFETY: an ownership check of an existing relation by the current user.
    let owner = unsafe {
        pg_sys::object_ownercheck(pg_sys::RelationRelationId, meta.table, pg_sys::GetUserId())
    };
    if !owner {
        TviewError::NotOwner(meta.tview_name.clone()).raise();
    }
}

/// The catalog row of a TVIEW named as users name it (`post`, `tv_post`, `app.tv_post`).
pub fn find_tview(tview_name: &str) -> Result<Option<TviewMeta>, TviewError> {
    let (schema, name) = split_qualified(tview_name)?;
    let name = TviewName::parse(&name)?;
    let oid = match schema {
        Some(s) => relation_oid(&s, &name.table),
        None => {
            let table = std::ffi::CString::new(name.table.as_str()).expect("checked: no NUL");
            // SAFETY: a search_path lookup; InvalidOid when not found.
            let oid = unsafe { pg_sys::RelnameGetRelid(table.as_ptr()) };
            (oid != pg_sys::InvalidOid).then_some(oid)
        }
    };
    let Some(oid) = oid else { return Ok(None) };
    Ok(cache::all()?.into_iter().find(|m| m.table == oid))
}

pub fn existing_tview(tview_name: &str) -> TviewMeta {
    find_tview(tview_name)
        .or_raise()
        .unwrap_or_else(|| TviewError::NoSuchTview(tview_name.into()).raise())
}

/// Drop a TVIEW: its table, definition view, catalog row and, when no other TVIEW needs
/// them, the triggers on its sources. Same as DROP TABLE on its table.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_drop(tview_name: Option<&str>, if_exists: default!(bool, false)) {
    let name = required(tview_name, "tview_name");
    match find_tview(name).or_raise() {
        None if if_exists => {
            pgrx::notice!("TVIEW \"{name}\" does not exist, skipping");
        }
        None => TviewError::NoSuchTview(name.into()).raise(),
        Some(meta) => {
            // Who may DROP TABLE it (its owner, or its schema's) before any lock: queueing
            // for the sources' locks would stall their writers for a caller DROP refuses.
            // SAFETY: ownership checks of an existing relation and its schema by the current
            // user.
            let may_drop = unsafe {
                let user = pg_sys::GetUserId();
                pg_sys::object_ownercheck(pg_sys::RelationRelationId, meta.table, user)
                    || pg_sys::object_ownercheck(
                        pg_sys::NamespaceRelationId,
                        pg_sys::get_rel_namespace(meta.table),
                        user,
                    )
            };
            if !may_drop {
                TviewError::NotOwner(meta.tview_name.clone()).raise();
            }
            // The sources first, then the table, in the order maintenance locks them (a
            // writer holds its TVIEW tables from its first row to its commit): taking the
            // table first and the sources after, when the triggers go, deadlocks with it.
            crate::create::lock_in_order(&meta.sources, pg_sys::ShareRowExclusiveLock);
            let t = tviews_core::sqlgen::qualified(&meta.table_name.0, &meta.table_name.1);
            Spi::run(&format!("DROP TABLE {t}")).or_raise();
        }
    }
}

/// Recompute every row of a TVIEW from its definition (normally never needed), after creating
/// again any of its triggers that were dropped.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_refresh(tview_name: Option<&str>) {
    let meta = existing_tview(required(tview_name, "tview_name"));
    check_owner(&meta);
    if !crate::monitor::triggers_out_of_place(&meta)
        .or_raise()
        .is_empty()
    {
        crate::install::restore_missing(&meta).or_raise();
    }
    crate::tally::rebuild_and_clean(&meta).or_raise();
    refresh_all_rows(&meta).or_raise();
}

/// The keys whose stored row differs from the definition (none when the TVIEW is exact):
/// the table and the definition compared with EXCEPT ALL in both directions; then the keys
/// whose kept state (tallies, summaries) differs from a recount of their table's rows.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_check(tview_name: Option<&str>) -> SetOfIterator<'static, String> {
    let meta = existing_tview(required(tview_name, "tview_name"));
    let compiled = cache::compiled(&meta).or_raise();
    let sql = differing_keys(&compiled.target());
    check_may_read_every_row(&meta);
    // Read before the comparison's snapshot (see mark_to_clear).
    let clear = crate::monitor::mark_to_clear(&meta).or_raise();
    // The definition is evaluated exactly as maintenance evaluates it: as the TVIEW's owner,
    // security-restricted, with its settings and the search_path restricted. Never with the
    // caller's rights: a superuser checking a TVIEW after a restore must not run code its
    // creator put in the definition with superuser rights.
    let owner = crate::pg::context::Role::As {
        user: meta.owner,
        restricted: true,
    };
    let keys: Vec<String> = crate::pg::context::run(owner, &meta.settings, || {
        Spi::connect(|client| {
            let mut out: Vec<String> = Vec::new();
            // The rows, then the states kept for them (a state that drifted shows in the
            // documents only at their next change): each differing key once.
            let queries =
                std::iter::once(format!("SELECT k::pg_catalog.text FROM ({sql}) AS d(k)"))
                    .chain(compiled.inputs().state_checks());
            for query in queries {
                for row in client.select(&query, None, &[])? {
                    let key = row.get::<String>(1)?.unwrap_or_else(|| "NULL".into());
                    if !out.contains(&key) {
                        out.push(key);
                    }
                }
            }
            Ok::<_, TviewError>(out)
        })
    })
    .or_raise();
    // Exact: a TVIEW marked maybe stale (its triggers were out of place, as in a data-only
    // restore) is confirmed.
    if let (Some(seen), true) = (clear, keys.is_empty()) {
        crate::catalog::clear_maybe_stale(meta.table, &seen).or_raise();
    }
    SetOfIterator::new(keys)
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_create(text, text, text, text) IS
'Create a TVIEW: table tv_<name> (tview_name may be post or tv_post, optionally schema-qualified) kept equal to select_sql inside every writing transaction. key names the row identity column (default: pk_<name>; the only pk_* column, or of several the one proven unique; the root table''s primary key; the GROUP BY or DISTINCT column; for a one-row aggregate, a column of it; else the columns that identify the rows together, such as GROUP BY a, b or a composite primary key); a key whose column may be NULL keeps its NULL group as one row. mode: immediate (maintained by each statement, the default) or deferred (once per transaction, at commit). Returns the table.';
COMMENT ON FUNCTION pg_tviews_create(text, text, text[], text) IS
'Create a TVIEW whose key is several columns, named in order (key => ARRAY[''a'', ''b'']): they must identify the rows together and come from one table of the FROM list, or from tables joined to one another (a pair of primary keys); NULL in any of them is a value like any other. Otherwise as pg_tviews_create(text, text, text, text).';
COMMENT ON FUNCTION pg_tviews_set_mode(text, text) IS
'Switch a TVIEW to immediate (maintained by each statement) or deferred (maintained once per transaction, at commit or pg_tviews_flush()) maintenance. Owner only.';
COMMENT ON FUNCTION pg_tviews_drop(text, boolean) IS
'Drop a TVIEW with its table, definition and triggers (same as DROP TABLE tv_<name>). With if_exists, a missing TVIEW is a notice, not an error.';
COMMENT ON FUNCTION pg_tviews_set_setting(text, text, text) IS
'Change one of the settings a TVIEW pins (DateStyle, TimeZone, extra_float_digits and the others pg_tviews_explain lists), captured from the creating session, then recompute every row under the new value. Owner only.';
COMMENT ON FUNCTION pg_tviews_refresh(text) IS
'Recompute every row of a TVIEW from its definition, after creating again any of its triggers that were dropped. Maintenance keeps TVIEWs exact, so this is for repairs and tests; it clears the TVIEW''s maybe-stale mark (pg_tview_meta.maybe_stale) when its triggers are in place. Owner only.';
COMMENT ON FUNCTION pg_tviews_check(text) IS
'The oracle: keys (as text) of rows where the TVIEW''s table and its definition differ, compared with EXCEPT ALL both ways; then keys whose kept state (tallies, summaries) differs from a recount of its table. No rows means exact, and clears the TVIEW''s maybe-stale mark (pg_tview_meta.maybe_stale) when its triggers are in place.';
"#,
    name = "comment_api",
    requires = [
        pg_tviews_create,
        pg_tviews_create_keyed,
        pg_tviews_set_mode,
        pg_tviews_set_setting,
        pg_tviews_drop,
        pg_tviews_refresh,
        pg_tviews_check
    ]
);
