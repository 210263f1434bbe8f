//! DDL integration through event triggers, which fire in every session without
//! shared_preload_libraries:
//!
//! * `CREATE TABLE tv_x AS SELECT ...` (and `SELECT ... INTO tv_x`) turns the new table into a
//!   TVIEW of that SELECT;
//! * `DROP TABLE tv_x` (or a CASCADE reaching it) removes its catalog row and the triggers no
//!   TVIEW needs any more.

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::nullable::Nullable;
use pgrx::prelude::*;
use pgrx::{impl_sql_translatable, FromDatum};

use crate::analyze::parse::normalize_query;
use crate::catalog::{extension_owner, extension_schema_quoted};
use crate::create::{create_tview, Target};
use crate::errors::{OrRaise, TviewError};
use crate::install;
use crate::maintain::cache;
use crate::pg::names::relation_name;
use crate::pg::nodes::is_a;
use crate::pg::security::as_user;
use tviews_core::naming::{TviewName, TABLE_PREFIX};

/// A `pg_ddl_command` argument: PostgreSQL's CollectedCommand for one DDL command.
pub struct DdlCommand(pg_sys::Datum);

impl FromDatum for DdlCommand {
    unsafe fn from_polymorphic_datum(
        d: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(DdlCommand(d))
    }
}

unsafe impl<'fcx> ArgAbi<'fcx> for DdlCommand {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        // SAFETY: the argument is declared pg_ddl_command.
        unsafe { arg.unbox_arg_using_from_datum() }.expect("command must not be null")
    }
    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        // SAFETY: as above.
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

impl_sql_translatable!(DdlCommand, arg_only = "pg_ddl_command");

/// The leading fields of `CollectedCommand` (tcop/deparse_utility.h).
#[repr(C)]
struct CollectedCommandHead {
    kind: std::ffi::c_int,
    in_extension: bool,
    parsetree: *mut pg_sys::Node,
}

/// Turn a table just made by CREATE TABLE AS into a TVIEW when it is named tv_*.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_adopt_table(table: pg_sys::Oid, command: DdlCommand) {
    let Some((schema, name)) = relation_name(table) else {
        return;
    };
    if !name.starts_with(TABLE_PREFIX) || !crate::guc::CREATE_TABLE_AS.get() {
        return;
    }
    // SAFETY: the datum is a CollectedCommand for a CREATE TABLE AS, whose parse tree is a
    // CreateTableAsStmt holding the analyzed Query (tags are checked before each cast).
    let (sql, skip_data) = unsafe {
        let head = command.0.cast_mut_ptr::<CollectedCommandHead>();
        let stmt = (*head).parsetree;
        if !is_a(stmt, pg_sys::NodeTag::T_CreateTableAsStmt) {
            return;
        }
        let ctas = &*(stmt as *mut pg_sys::CreateTableAsStmt);
        if ctas.objtype != pg_sys::ObjectType::OBJECT_TABLE
            || !is_a(ctas.query, pg_sys::NodeTag::T_Query)
        {
            return;
        }
        let sql = normalize_query(ctas.query as *mut pg_sys::Query).or_raise();
        (sql, !ctas.into.is_null() && (*ctas.into).skipData)
    };
    let target = Target {
        schema,
        name: TviewName::parse(&name).or_raise(),
    };
    create_tview(&target, &sql, None, Some(table)).or_raise();
    if skip_data {
        // WITH NO DATA made an empty table; a TVIEW always holds its rows.
        let meta = crate::api::find_tview(&format!(
            "{}.{}",
            tviews_core::sqlgen::quote_ident(&target.schema),
            tviews_core::sqlgen::quote_ident(&target.name.table)
        ))
        .or_raise()
        .unwrap_or_else(|| TviewError::Internal("adopted TVIEW not found".into()).raise());
        crate::maintain::trigger::refresh_all_rows(&meta).or_raise();
    }
}

/// Forget TVIEWs whose tables were dropped; remove triggers no TVIEW needs any more. Only
/// rows of tables that no longer exist are touched, so calling it by hand changes nothing.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_forget_dropped(dropped: Option<Vec<pg_sys::Oid>>) {
    let dropped: Vec<pg_sys::Oid> = dropped
        .unwrap_or_default()
        .into_iter()
        .filter(|o| relation_name(*o).is_none())
        .collect();
    if dropped.is_empty() {
        return;
    }
    let run = || -> Result<(), TviewError> {
        let ext = extension_schema_quoted()?;
        let owner = extension_owner()?;
        as_user(owner, false, || -> Result<(), TviewError> {
            let gone: Option<Vec<pg_sys::Oid>> = Spi::get_one_with_args(
                &format!(
                    "WITH d AS (DELETE FROM {ext}.pg_tview_meta WHERE table_name::oid = ANY ($1) \
                     RETURNING sources) \
                     SELECT array_agg(DISTINCT s::oid) FROM d, unnest(d.sources) AS s"
                ),
                &[dropped.clone().into()],
            )?;
            let gone = gone.unwrap_or_default();
            if gone.is_empty() {
                return Ok(());
            }
            let still: Option<Vec<pg_sys::Oid>> = Spi::get_one(&format!(
                "SELECT array_agg(DISTINCT s::oid) FROM {ext}.pg_tview_meta, unnest(sources) AS s"
            ))?;
            let still = still.unwrap_or_default();
            for s in gone.iter().filter(|s| !still.contains(s)) {
                install::remove_source_triggers(*s)?;
            }
            install::invalidate(&gone, pg_sys::InvalidOid)?;
            Ok(())
        })
    };
    run().or_raise();
    cache::invalidate();
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_adopt_table(oid, pg_ddl_command) IS
'pg_tviews internal: called by the ddl_command_end event trigger to turn a table made by CREATE TABLE tv_<name> AS SELECT into a TVIEW.';
COMMENT ON FUNCTION pg_tviews_forget_dropped(oid[]) IS
'pg_tviews internal: called by the sql_drop event trigger to remove catalog rows and triggers of dropped TVIEWs.';

CREATE FUNCTION pg_tviews_on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM @extschema@.pg_tviews_adopt_table(c.objid, c.command)
       FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
      WHERE c.command_tag IN ('CREATE TABLE AS', 'SELECT INTO') AND c.object_type = 'table';
END
$$;
COMMENT ON FUNCTION pg_tviews_on_ddl_command_end() IS
'pg_tviews: event trigger function making CREATE TABLE tv_<name> AS SELECT create a TVIEW.';

CREATE FUNCTION pg_tviews_on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM @extschema@.pg_tviews_forget_dropped(array_agg(d.objid))
       FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0;
END
$$;
COMMENT ON FUNCTION pg_tviews_on_sql_drop() IS
'pg_tviews: event trigger function cleaning up after dropped TVIEWs.';

CREATE EVENT TRIGGER pg_tviews_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO')
    EXECUTE FUNCTION pg_tviews_on_ddl_command_end();
COMMENT ON EVENT TRIGGER pg_tviews_ddl_command_end IS
'pg_tviews: CREATE TABLE tv_<name> AS SELECT ... creates a TVIEW.';

CREATE EVENT TRIGGER pg_tviews_sql_drop ON sql_drop
    EXECUTE FUNCTION pg_tviews_on_sql_drop();
COMMENT ON EVENT TRIGGER pg_tviews_sql_drop IS
'pg_tviews: DROP TABLE tv_<name> removes the TVIEW''s catalog row and unneeded triggers.';
"#,
    name = "event_triggers",
    requires = [pg_tviews_adopt_table, pg_tviews_forget_dropped]
);
