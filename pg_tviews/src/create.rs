//! Step 2 of the pipeline: turning an analyzed definition into a maintained table.
//!
//! `pg_tviews_create` (and `CREATE TABLE tv_x AS SELECT`, through the DDL event trigger)
//! end here: definition view, key checks, table with its primary key, initial fill, catalog
//! row, triggers. Everything runs in the caller's transaction, so a failure at any step leaves
//! nothing behind.

use std::ffi::CString;

use pgrx::prelude::*;
use tviews_core::naming::{TviewName, MAX_IDENTIFIER_BYTES};
use tviews_core::plan::Reach;
use tviews_core::queue::Mode;
use tviews_core::sqlgen::{qualified, quote_ident};

use crate::analyze::{analyze_view, parse, Definition, KeyRequest};
use crate::catalog::{as_extension_owner, extension_schema_quoted, DEFINITION_SCHEMA};
use crate::errors::TviewError;
use crate::install;
use crate::maintain::cache;
use crate::maintain::trigger::MaintenanceScope;
use crate::pg::context::{self, Role};
use crate::pg::names::relation_name;
use crate::pg::nodes::{cstring, list_iter, list_len};

/// Where a TVIEW's table goes.
pub struct Target {
    pub schema: String,
    pub name: TviewName,
}

/// Split a user-given name (`post`, `tv_post`, `app.post`, `"My Schema".post`) with
/// PostgreSQL's identifier rules and pick the schema (the creation schema of the search_path
/// when none is given).
pub fn resolve_target(tview_name: &str) -> Result<Target, TviewError> {
    let (schema, name) = split_qualified(tview_name)?;
    let name = TviewName::parse(&name)?;
    let schema = match schema {
        Some(s) if s == "pg_temp" || s.starts_with("pg_temp_") => {
            return Err(TviewError::TemporaryTable);
        }
        Some(s) => s,
        None => {
            let table = CString::new(name.table.as_str()).expect("checked: no NUL");
            // SAFETY: makeRangeVar copies nothing and RangeVarGetCreationNamespace reads the
            // search_path; it raises if no schema is available.
            unsafe {
                let rv = pg_sys::makeRangeVar(std::ptr::null_mut(), table.as_ptr() as *mut _, -1);
                let nsp = pg_sys::RangeVarGetCreationNamespace(rv);
                cstring(pg_sys::get_namespace_name(nsp))
                    .ok_or(TviewError::Internal("creation schema vanished".into()))?
            }
        }
    };
    Ok(Target { schema, name })
}

/// `(schema, name)` from a possibly qualified, possibly quoted name.
pub fn split_qualified(text: &str) -> Result<(Option<String>, String), TviewError> {
    let invalid = |reason| {
        TviewError::Core(tviews_core::Error::InvalidName {
            name: text.to_string(),
            reason,
        })
    };
    if text.trim().is_empty() {
        return Err(invalid("the name is empty"));
    }
    let c = CString::new(text).map_err(|_| invalid("it contains a NUL byte"))?;
    // SAFETY: stringToQualifiedNameList returns a list of String nodes, or NIL with the soft
    // error context set on bad syntax (unterminated quotes and the like).
    unsafe {
        // A soft-error context: bad syntax comes back as our error, with its hint.
        let mut soft: pg_sys::ErrorSaveContext = std::mem::zeroed();
        soft.type_ = pg_sys::NodeTag::T_ErrorSaveContext;
        let list = pg_sys::stringToQualifiedNameList(
            c.as_ptr(),
            &mut soft as *mut pg_sys::ErrorSaveContext as *mut pg_sys::Node,
        );
        if soft.error_occurred {
            return Err(invalid(
                "it is not a valid identifier (write names with spaces, capitals or quotes in double quotes, as SQL does: '\"My Name\"')",
            ));
        }
        let parts: Vec<String> = list_iter::<pg_sys::String>(list)
            .map(|s| cstring((*s).sval).unwrap_or_default())
            .collect();
        match parts.as_slice() {
            [name] => Ok((None, name.clone())),
            [schema, name] => Ok((Some(schema.clone()), name.clone())),
            _ if list_len(list) == 0 => Err(invalid("the name is empty")),
            _ => Err(invalid("it has more than two dotted parts")),
        }
    }
}

/// The current values of the settings a TVIEW pins (tviews_core::settings::CAPTURED).
pub fn current_settings() -> Result<Vec<(String, String)>, TviewError> {
    tviews_core::settings::CAPTURED
        .iter()
        .map(|(name, _)| Ok((name.to_string(), context::current(name)?)))
        .collect()
}

/// Create a TVIEW. With `existing`, convert that table (made by CREATE TABLE AS from the
/// same query) instead of creating one.
///
/// The user's SELECT is parsed in the user's session (its search_path names the tables);
/// everything after runs with the search_path restricted and the settings this session has
/// now pinned for the TVIEW, as maintenance will run.
pub fn create_tview(
    target: &Target,
    select_sql: &str,
    key: Option<&str>,
    mode: Mode,
    existing: Option<pg_sys::Oid>,
) -> Result<pg_sys::Oid, TviewError> {
    // SAFETY: reads the database's encoding.
    let encoding = unsafe { pg_sys::GetDatabaseEncoding() };
    if encoding != pg_sys::pg_enc::PG_UTF8 as i32 {
        // SAFETY: the name of a valid encoding id (a static string).
        let name = unsafe { cstring(pg_sys::GetDatabaseEncodingName()) }.unwrap_or_default();
        return Err(TviewError::Encoding(name));
    }
    let definition = parse::normalize_definition(select_sql)?;
    let settings = current_settings()?;
    context::run(Role::Caller, &settings, || {
        create_from_definition(target, &definition, key, mode, existing, &settings)
    })
}

fn create_from_definition(
    target: &Target,
    definition: &str,
    key: Option<&str>,
    mode: Mode,
    existing: Option<pg_sys::Oid>,
    settings: &[(String, String)],
) -> Result<pg_sys::Oid, TviewError> {
    let view_name = free_view_name(&target.name.table)?;
    Spi::run(&format!(
        "CREATE VIEW {} AS {}",
        qualified(DEFINITION_SCHEMA, &view_name),
        definition
    ))?;
    let def = analyze_view(
        DEFINITION_SCHEMA,
        &view_name,
        &target.name.entity,
        KeyRequest::Choose(key),
    )?;
    warn_recompute_all(&def);
    // SAFETY: reads the current user id (who will own the TVIEW).
    check_functions(relation_oid(DEFINITION_SCHEMA, &view_name)?, unsafe {
        pg_sys::GetUserId()
    })?;
    check_key_type(
        &target.name.entity,
        &def.key,
        relation_oid(DEFINITION_SCHEMA, &view_name)?,
    )?;
    let view_sql = qualified(DEFINITION_SCHEMA, &view_name);
    let sources: Vec<pg_sys::Oid> = def
        .model
        .tables()
        .iter()
        .map(|t| pg_sys::Oid::from(t.oid))
        .collect();
    // From here on no writer changes a source until this transaction ends: the rows the
    // first fill reads are all there is, and later writes find the triggers and catalog row.
    lock_sources(&sources);
    // SAFETY: reads the current user id.
    check_row_security(&target.name.entity, &sources, unsafe {
        pg_sys::GetUserId()
    })?;
    check_key(&target.name.entity, &def.key, &view_sql)?;

    let table_sql = qualified(&target.schema, &target.name.table);
    let table = match existing {
        None => {
            // LIKE copies the view's column names, types, typmods and collations; CREATE TABLE
            // AS would also do, but would fire our own CREATE TABLE AS adoption.
            Spi::run(&format!("CREATE TABLE {table_sql} (LIKE {view_sql})"))?;
            let oid = relation_oid(&target.schema, &target.name.table)?;
            // The first fill runs the way maintenance will: security-restricted.
            // SAFETY: reads the current user id.
            let me = unsafe { pg_sys::GetUserId() };
            let restricted = Role::As {
                user: me,
                restricted: true,
            };
            context::run(restricted, &[], || {
                let _scope = MaintenanceScope::enter(oid);
                // A kept plan reads the latest committed state even in REPEATABLE READ, like
                // maintenance (see KeptPlan::execute).
                let conn = crate::pg::spi::Connection::open()?;
                let fill = crate::pg::spi::KeptPlan::prepare(
                    &format!("INSERT INTO {table_sql} SELECT * FROM {view_sql}"),
                    &[],
                )?;
                fill.execute(&[])?;
                drop(fill);
                drop(conn);
                Ok(())
            })?;
            oid
        }
        Some(oid) => {
            check_same_columns(oid, relation_oid(DEFINITION_SCHEMA, &view_name)?)?;
            oid
        }
    };
    // SAFETY: a catalog lookup of an existing relation.
    check_persistence(table)?;
    Spi::run(&format!(
        "ALTER TABLE {table_sql} ADD PRIMARY KEY ({})",
        quote_ident(&def.key)
    ))?;
    let view = relation_oid(DEFINITION_SCHEMA, &view_name)?;
    record_internal_dependency(view, table);

    let ext = extension_schema_quoted()?;
    let entity = target.name.entity.clone();
    let key_column = def.key.clone();
    let stored: Vec<String> = settings
        .iter()
        .map(|(n, v)| tviews_core::settings::format_setting(n, v))
        .collect();
    // Before ALTER EXTENSION UPDATE to 0.2.0 the catalog has no settings column yet.
    let (settings_column, settings_value) = if crate::catalog::has_settings_column()? {
        (", settings, key_proven", ", $8, $9")
    } else {
        ("", "")
    };
    as_extension_owner(|| {
        let mut args: Vec<pgrx::datum::DatumWithOid> = vec![
            table.into(),
            entity.as_str().into(),
            view.into(),
            definition.into(),
            key_column.as_str().into(),
            sources.clone().into(),
            mode.as_str().into(),
        ];
        if !settings_column.is_empty() {
            args.push(stored.clone().into());
            args.push(def.key_proven.into());
        }
        Ok(Spi::run_with_args(
            &format!(
                "INSERT INTO {ext}.pg_tview_meta \
                 (table_name, tview_name, definition_view, definition, key_column, sources, mode\
                  {settings_column}) \
                 VALUES ($1::pg_catalog.regclass, $2, $3::pg_catalog.regclass, $4, $5, \
                         $6::pg_catalog.regclass[], $7{settings_value})"
            ),
            &args,
        )?)
    })?;
    for s in &sources {
        install::source_triggers(*s, &ext)?;
    }
    install::guard_trigger(table, &ext)?;
    install::invalidate(&sources, table)?;
    cache::invalidate();
    Ok(table)
}

/// Take the lock CREATE TRIGGER takes (SHARE ROW EXCLUSIVE: writers wait, readers do not) on
/// every source, in OID order, after checking the TRIGGER privilege on each: a TVIEW makes
/// every writer of its sources run its maintenance, which is what that privilege guards, also
/// when another TVIEW installed the triggers already.
fn lock_sources(sources: &[pg_sys::Oid]) {
    for &source in sources {
        // SAFETY: privilege check of an existing relation; aclcheck_error raises.
        unsafe {
            let acl = pg_sys::pg_class_aclcheck(
                source,
                pg_sys::GetUserId(),
                pg_sys::ACL_TRIGGER as pg_sys::AclMode,
            );
            if acl != pg_sys::AclResult::ACLCHECK_OK {
                pg_sys::aclcheck_error(
                    acl,
                    pg_sys::get_relkind_objtype(pg_sys::get_rel_relkind(source)),
                    pg_sys::get_rel_name(source),
                );
            }
        }
    }
    lock_in_order(sources, pg_sys::ShareRowExclusiveLock);
}

/// The functions a definition calls (directly, through operators and aggregates, and through
/// the helper views it reads), as PostgreSQL recorded its dependencies.
/// The objects a definition depends on, as PostgreSQL recorded them for its view and the
/// helper views it reads (`deps`: class and OID), and the functions it calls directly,
/// through operators and through aggregates (`all_funcs`). `$1` is the definition view.
const DEFINITION_DEPENDENCIES: &str = "
WITH RECURSIVE rels(rel) AS (
    SELECT $1::pg_catalog.oid
    UNION
    SELECT d.refobjid
      FROM rels r
      JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) r.rel
      JOIN pg_catalog.pg_depend d ON d.objid OPERATOR(pg_catalog.=) w.oid
       AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.refobjid
       AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::pg_catalog.\"char\"[])
), deps AS (
    SELECT d.refclassid, d.refobjid
      FROM rels r
      JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) r.rel
      JOIN pg_catalog.pg_depend d ON d.objid OPERATOR(pg_catalog.=) w.oid
       AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
), funcs(f) AS (
    SELECT refobjid FROM deps
     WHERE refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
    UNION
    SELECT o.oprcode FROM deps JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) deps.refobjid
     WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
    UNION
    -- The CHECK constraints of domains the definition casts to run as part of it.
    SELECT d2.refobjid FROM deps
      JOIN pg_catalog.pg_constraint k ON k.contypid OPERATOR(pg_catalog.=) deps.refobjid
      JOIN pg_catalog.pg_depend d2 ON d2.objid OPERATOR(pg_catalog.=) k.oid
       AND d2.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass
       AND d2.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
     WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
), all_funcs(f) AS (
    SELECT f FROM funcs
    UNION
    SELECT x FROM funcs JOIN pg_catalog.pg_aggregate a ON a.aggfnoid OPERATOR(pg_catalog.=) funcs.f,
           LATERAL (VALUES (a.aggtransfn), (a.aggfinalfn), (a.aggcombinefn)) AS v(x)
     WHERE x OPERATOR(pg_catalog.<>) 0
)
";

/// The types of text search: a function taking or returning one may use any configuration.
const TEXT_SEARCH_TYPES: &str = "ARRAY['pg_catalog.tsvector'::pg_catalog.regtype, 'pg_catalog.tsquery'::pg_catalog.regtype,
       'pg_catalog.regconfig'::pg_catalog.regtype, 'pg_catalog.regdictionary'::pg_catalog.regtype]::pg_catalog.oid[]";

/// Does the definition of view `$1` depend on function or type `$2` (directly, through an
/// operator or aggregate, through a helper view, or as the type of a column of one of the
/// sources `$3`)?
pub fn definition_depends_on(
    view: pg_sys::Oid,
    object: pg_sys::Oid,
    sources: &[pg_sys::Oid],
) -> Result<bool, TviewError> {
    use pgrx::IntoDatum;
    let sources = sources
        .to_vec()
        .into_datum()
        .expect("an array is never NULL");
    let found = crate::pg::spi::select_latest(
        &format!(
            "{DEFINITION_DEPENDENCIES}
             SELECT 1 WHERE EXISTS (SELECT 1 FROM deps WHERE refobjid OPERATOR(pg_catalog.=) $2)
                 OR EXISTS (SELECT 1 FROM all_funcs WHERE f OPERATOR(pg_catalog.=) $2)
                 OR EXISTS (SELECT 1 FROM deps
                              JOIN pg_catalog.pg_ts_config_map m
                                ON m.mapcfg OPERATOR(pg_catalog.=) deps.refobjid
                             WHERE deps.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_ts_config'::pg_catalog.regclass
                               AND m.mapdict OPERATOR(pg_catalog.=) $2)
                 -- A text search configuration or dictionary may also be reached through
                 -- data (a regconfig column, a cast) or a function body: any text search
                 -- function, or any function of a user's, counts.
                 OR ((EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config c WHERE c.oid OPERATOR(pg_catalog.=) $2)
                      OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict t WHERE t.oid OPERATOR(pg_catalog.=) $2))
                     AND EXISTS (SELECT 1 FROM all_funcs JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) all_funcs.f
                                  WHERE p.pronamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.regnamespace
                                     OR p.prorettype OPERATOR(pg_catalog.=) ANY ({TEXT_SEARCH_TYPES})
                                     OR p.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&) {TEXT_SEARCH_TYPES}))
                 OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                             WHERE a.attrelid OPERATOR(pg_catalog.=) ANY ($3)
                               AND NOT a.attisdropped
                               AND (a.atttypid OPERATOR(pg_catalog.=) $2
                                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                                                WHERE t.oid OPERATOR(pg_catalog.=) a.atttypid
                                                  AND (t.typbasetype OPERATOR(pg_catalog.=) $2
                                                       OR t.typelem OPERATOR(pg_catalog.=) $2))))"
        ),
        &[
            (pg_sys::OIDOID, pg_sys::Datum::from(view)),
            (pg_sys::OIDOID, pg_sys::Datum::from(object)),
            (pg_sys::OIDARRAYOID, sources),
        ],
        |_| Ok(()),
    )?;
    Ok(!found.is_empty())
}

/// The functions a definition calls, with what the rules below need to know of each.
const DEFINITION_FUNCTIONS: &str = "
SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text,
       p.provolatile::pg_catalog.text,
       l.lanname::pg_catalog.text,
       p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace,
       (SELECT pg_catalog.substr(c.setting, 13) FROM pg_catalog.unnest(p.proconfig) AS c(setting)
         WHERE c.setting OPERATOR(pg_catalog.~~) 'search_path=%' LIMIT 1),
       (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) p.proowner)
  FROM all_funcs JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) all_funcs.f
  JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
 ORDER BY 1";

/// Refuse functions that would make maintenance inexact or steerable:
///
/// * a function that sets its own search_path without `pg_temp` in it searches the session's
///   temporary schema first: run by maintenance in a writer's session, as the TVIEW's owner, it
///   would find what the writer put there (the rule PostgreSQL gives SECURITY DEFINER
///   functions);
/// * a function of the user's own (SQL or a procedural language) that is not IMMUTABLE may
///   read tables: those would be sources pg_tviews cannot see, and a change to them would
///   leave the TVIEW stale.
pub fn check_functions(view: pg_sys::Oid, owner: pg_sys::Oid) -> Result<(), TviewError> {
    use crate::pg::spi::{select_latest, value};
    let rows = select_latest(
        &format!("{DEFINITION_DEPENDENCIES}{DEFINITION_FUNCTIONS}"),
        &[(pg_sys::OIDOID, pg_sys::Datum::from(view))],
        // SAFETY: the columns have the types the query selects.
        |r| unsafe {
            Ok((
                value::<String>(r[0]).unwrap_or_default(),
                value::<String>(r[1]).unwrap_or_default(),
                value::<String>(r[2]).unwrap_or_default(),
                value::<bool>(r[3]).unwrap_or(false),
                value::<String>(r[4]),
                value::<bool>(r[5]).unwrap_or(false),
            ))
        },
    )?;
    // SAFETY: a catalog lookup of an existing role.
    let owner_is_superuser = unsafe { pg_sys::superuser_arg(owner) };
    for (function, volatility, language, builtin, search_path, owned_by_superuser) in rows {
        if let Some(path) = search_path {
            if !tviews_core::settings::search_path_keeps_pg_temp_last(&path) {
                return Err(TviewError::UnsafeFunction {
                    function,
                    reason: format!("it sets search_path = {path}, which does not end with pg_temp"),
                    hint: "Maintenance runs it as the TVIEW's owner in whichever session writes a source, whose temporary objects it would find first: list pg_temp last (SET search_path = app, pg_temp), as for SECURITY DEFINER functions.".into(),
                });
            }
        }
        if !builtin && volatility == "s" && language != "c" && language != "internal" {
            return Err(TviewError::UnsafeFunction {
                function,
                reason: "it is STABLE, so it may read tables that are not sources of the TVIEW".into(),
                hint: "Changes to a table read inside a function would not reach the TVIEW. If the function reads no table, declare it IMMUTABLE; if it does, join that table in the definition instead.".into(),
            });
        }
        if owner_is_superuser && !owned_by_superuser {
            return Err(TviewError::UnsafeFunction {
                function,
                reason: "its owner is not a superuser, and the TVIEW's owner is: every write to a source would run code that role can change with superuser rights".into(),
                hint: "Let a role that is not a superuser own the TVIEW (ALTER TABLE ... OWNER TO, or create it as that role), or have a superuser own the function.".into(),
            });
        }
    }
    Ok(())
}

/// A key is a scalar with an equality operator: maintenance collects keys into arrays of the
/// key type and compares them with that operator (an array or composite key would be taken
/// apart by both).
fn check_key_type(tview: &str, key: &str, view: pg_sys::Oid) -> Result<(), TviewError> {
    let typ = crate::pg::names::column_type(view, key)?;
    // SAFETY: type catalog lookups of an existing type.
    let (scalar, name) = unsafe {
        let base = pg_sys::getBaseType(typ);
        let scalar = pg_sys::get_element_type(base) == pg_sys::InvalidOid
            && !pg_sys::type_is_rowtype(base)
            && pg_sys::get_array_type(typ) != pg_sys::InvalidOid;
        (
            scalar,
            cstring(pg_sys::format_type_be(typ)).unwrap_or_default(),
        )
    };
    if scalar && crate::pg::names::equality_operator(typ).is_some() {
        return Ok(());
    }
    Err(TviewError::KeyType {
        tview: tview.to_string(),
        key: key.to_string(),
        type_name: name,
    })
}

/// A TVIEW's table is logged and permanent: a temporary one is invisible to the sessions whose
/// writes maintain it, an unlogged one is emptied by crash recovery while its sources are not.
pub fn check_persistence(table: pg_sys::Oid) -> Result<(), TviewError> {
    // SAFETY: a catalog lookup of an existing relation.
    let persistence = unsafe { pg_sys::get_rel_persistence(table) } as u8;
    match persistence {
        p if p == pg_sys::RELPERSISTENCE_TEMP => Err(TviewError::TemporaryTable),
        p if p == pg_sys::RELPERSISTENCE_UNLOGGED => Err(TviewError::UnloggedTable),
        _ => Ok(()),
    }
}

/// Refuse sources whose row level security applies to `owner`, who maintenance runs as: a
/// policy can read tables that are not sources, or depend on who asks.
pub fn check_row_security(
    tview: &str,
    sources: &[pg_sys::Oid],
    owner: pg_sys::Oid,
) -> Result<(), TviewError> {
    for &source in sources {
        // SAFETY: check_enable_rls reads the catalogs of an existing relation; noError.
        let rls = unsafe { pg_sys::check_enable_rls(source, owner, true) };
        if rls == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32 {
            // SAFETY: a catalog lookup of an existing role's name (palloc'd).
            let owner =
                unsafe { cstring(pg_sys::GetUserNameFromId(owner, true)) }.unwrap_or_default();
            return Err(TviewError::RowSecurityOnSource {
                tview: tview.to_string(),
                relation: describe(source),
                owner,
            });
        }
    }
    Ok(())
}

/// Lock `relations` in `mode`, in OID order (one global order: no deadlock between two
/// sessions doing the same).
pub fn lock_in_order(relations: &[pg_sys::Oid], mode: u32) {
    let mut sorted = relations.to_vec();
    sorted.sort_by_key(|o| o.to_u32());
    sorted.dedup();
    for relation in sorted {
        // SAFETY: a heavyweight lock by OID; released at transaction end.
        unsafe { pg_sys::LockRelationOid(relation, mode as pg_sys::LOCKMODE) };
    }
}

/// Tell the user which sources make every change a full recompute.
fn warn_recompute_all(def: &Definition) {
    for sp in &def.plan.sources {
        for (_, reach) in &sp.reaches {
            if let Reach::Untraceable(why) = reach {
                pgrx::warning!(
                    "changes to {}.{} will recompute every row of this TVIEW: {}",
                    sp.table.schema,
                    sp.table.name,
                    why
                );
                break;
            }
        }
    }
}

/// The key must be unique and never NULL in the definition, as the latest committed state
/// has it (the sources are locked by now, so it stays so until the triggers are in place).
fn check_key(tview: &str, key: &str, view_sql: &str) -> Result<(), TviewError> {
    use crate::pg::spi::{select_latest, value};
    let k = quote_ident(key);
    let dup: Option<String> = select_latest(
        &format!(
            "SELECT {k}::pg_catalog.text FROM {view_sql} WHERE {k} IS NOT NULL GROUP BY {k} \
              HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1 LIMIT 1"
        ),
        &[],
        // SAFETY: a text column.
        |r| Ok(unsafe { value::<String>(r[0]) }),
    )?
    .into_iter()
    .flatten()
    .next();
    if let Some(example) = dup {
        return Err(TviewError::KeyNotUnique {
            tview: tview.into(),
            key: key.into(),
            example,
        });
    }
    let null = select_latest(
        &format!("SELECT 1 FROM {view_sql} WHERE {k} IS NULL LIMIT 1"),
        &[],
        |_| Ok(()),
    )?;
    if !null.is_empty() {
        return Err(TviewError::KeyNull {
            tview: tview.into(),
            key: key.into(),
        });
    }
    Ok(())
}

/// A table made by CREATE TABLE AS must have exactly the definition's columns.
pub fn check_same_columns(table: pg_sys::Oid, view: pg_sys::Oid) -> Result<(), TviewError> {
    let same: Option<bool> = crate::pg::spi::read_one(
        "SELECT (SELECT array_agg((attname, atttypid, atttypmod) ORDER BY attnum) \
                   FROM pg_catalog.pg_attribute \
                  WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped) \
              = (SELECT array_agg((attname, atttypid, atttypmod) ORDER BY attnum) \
                   FROM pg_catalog.pg_attribute \
                  WHERE attrelid = $2 AND attnum > 0 AND NOT attisdropped)",
        &[table.into(), view.into()],
    )?;
    if same == Some(true) {
        Ok(())
    } else {
        Err(TviewError::Refused {
            construct: "a column list in CREATE TABLE ... AS".into(),
            hint: "Name the columns in the SELECT instead: SELECT p.pk_post AS pk_post, ...".into(),
        })
    }
}

/// A name for the definition view that is free in the definition schema.
fn free_view_name(table: &str) -> Result<String, TviewError> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            table.to_string()
        } else {
            let suffix = format!("_{n}");
            let mut base = table.to_string();
            while base.len() + suffix.len() > MAX_IDENTIFIER_BYTES {
                base.pop();
            }
            base + &suffix
        };
        if relation_oid(DEFINITION_SCHEMA, &candidate).is_err() {
            return Ok(candidate);
        }
    }
    Err(TviewError::Internal("no free definition view name".into()))
}

/// OID of `schema.name`, or an error if there is no such relation.
pub fn relation_oid(schema: &str, name: &str) -> Result<pg_sys::Oid, TviewError> {
    let (s, n) = (
        CString::new(schema).map_err(|_| TviewError::Internal("NUL".into()))?,
        CString::new(name).map_err(|_| TviewError::Internal("NUL".into()))?,
    );
    // SAFETY: catalog lookups by name; missing objects give InvalidOid.
    let oid = unsafe {
        let nsp = pg_sys::get_namespace_oid(s.as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_relname_relid(n.as_ptr(), nsp)
        }
    };
    if oid == pg_sys::InvalidOid {
        Err(TviewError::NoSuchTview(format!("{schema}.{name}")))
    } else {
        Ok(oid)
    }
}

/// The definition view is part of the table: DROP TABLE drops it, DROP VIEW is refused, and
/// a CASCADE that reaches the view drops the table too.
fn record_internal_dependency(view: pg_sys::Oid, table: pg_sys::Oid) {
    let dependent = pg_sys::ObjectAddress {
        classId: pg_sys::RelationRelationId,
        objectId: view,
        objectSubId: 0,
    };
    let owner = pg_sys::ObjectAddress {
        classId: pg_sys::RelationRelationId,
        objectId: table,
        objectSubId: 0,
    };
    // SAFETY: both objects exist in this transaction.
    unsafe {
        pg_sys::recordDependencyOn(
            &dependent,
            &owner,
            pg_sys::DependencyType::DEPENDENCY_INTERNAL,
        );
        pg_sys::CommandCounterIncrement();
    }
}

/// Describe a function for messages (`schema.name(argument types)`).
pub fn describe_function(oid: pg_sys::Oid) -> String {
    // SAFETY: formats an existing function's signature (palloc'd), or its OID.
    unsafe { cstring(pg_sys::format_procedure_qualified(oid)) }
        .unwrap_or_else(|| format!("function {}", oid.to_u32()))
}

/// Describe a relation for messages.
pub fn describe(oid: pg_sys::Oid) -> String {
    relation_name(oid)
        .map(|(s, n)| format!("{s}.{n}"))
        .unwrap_or_else(|| format!("relation {}", oid.to_u32()))
}
