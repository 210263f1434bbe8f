//! Step 2 of the pipeline: turning an analyzed definition into a maintained table.
//!
//! `pg_tviews_create` (and `CREATE TABLE tv_x AS SELECT`, through the DDL event trigger)
//! end here: definition view, key checks, table with its primary key, initial fill, catalog
//! row, triggers. Everything runs in the caller's transaction, so a failure at any step leaves
//! nothing behind.

use std::ffi::CString;

use pgrx::prelude::*;
use tviews_core::action::Mode;
use tviews_core::naming::TviewName;
use tviews_core::plan::Reach;
use tviews_core::sqlgen::{qualified, quote_ident};

use crate::analyze::{analyze_view, hidden, parse, Definition, KeyRequest};
use crate::catalog::{as_extension_owner, extension_schema_quoted, DEFINITION_SCHEMA};
use crate::checks::{check_functions, check_persistence, check_row_security};
use crate::errors::TviewError;
use crate::install;
use crate::maintain::cache;
use crate::maintain::run::MaintenanceScope;
use crate::pg::context::{self, Role};
use crate::pg::names::relation_oid;
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
    key: Option<&[String]>,
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
    key: Option<&[String]>,
    mode: Mode,
    existing: Option<pg_sys::Oid>,
    settings: &[(String, String)],
) -> Result<pg_sys::Oid, TviewError> {
    let view_name = free_view_name(&target.name.table)?;
    let (definition, def, hidden_notice) =
        define(target, definition, key, existing.is_none(), &view_name)?;
    let definition = definition.as_str();
    warn_recompute_all(&def);
    check_functions(
        created(DEFINITION_SCHEMA, &view_name)?,
        // SAFETY: reads the current user id (who will own the TVIEW).
        unsafe { pg_sys::GetUserId() },
        existing,
    )?;
    for k in &def.key {
        check_key_type(
            &target.name.entity,
            k,
            created(DEFINITION_SCHEMA, &view_name)?,
        )?;
    }
    let view_sql = qualified(DEFINITION_SCHEMA, &view_name);
    let sources: Vec<pg_sys::Oid> = def
        .model
        .tables()
        .iter()
        .map(|t| pg_sys::Oid::from(t.oid))
        .collect();
    // From here on no writer changes a source until this transaction ends: the rows the
    // first fill reads are all there is, and later writes find the triggers and catalog row.
    lock_sources(&sources)?;
    // SAFETY: reads the current user id.
    check_row_security(&target.name.entity, &sources, unsafe {
        pg_sys::GetUserId()
    })?;
    // A key whose column may be NULL (a GROUP BY column without NOT NULL) has a NULL group
    // like any other value; the table records the decision in its key column's NOT NULL,
    // which maintenance reads (cache.rs).
    // A key of several columns is one composite value, never NULL itself: its NULL fields
    // are values like any other.
    let key_nullable = match &def.model.root {
        _ if def.key.len() > 1 => false,
        // A group's key NULL where an outer join found no match.
        _ if def.model.null_groups => true,
        Some(c) => !crate::pg::names::column_not_null(
            pg_sys::Oid::from(def.model.occurrences[c.occ].table.oid),
            &c.column,
        )?,
        None => true,
    };
    check_key(&target.name.entity, &def.key, &view_sql, key_nullable)?;

    let table_sql = qualified(&target.schema, &target.name.table);
    let table = match existing {
        None => {
            // LIKE copies the view's column names, types, typmods and collations; CREATE TABLE
            // AS would also do, but would fire our own CREATE TABLE AS adoption.
            Spi::run(&format!("CREATE TABLE {table_sql} (LIKE {view_sql})"))?;
            let oid = created(&target.schema, &target.name.table)?;
            store_base_types(oid, &table_sql)?;
            warn_domain_fields(oid);
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
                    true,
                )?;
                fill.execute(&[])?;
                drop(fill);
                drop(conn);
                Ok(())
            })?;
            oid
        }
        Some(oid) => {
            store_base_types(oid, &table_sql)?;
            warn_domain_fields(oid);
            check_same_columns(oid, created(DEFINITION_SCHEMA, &view_name)?)?;
            oid
        }
    };
    // SAFETY: a catalog lookup of an existing relation.
    check_persistence(table)?;
    let view = created(DEFINITION_SCHEMA, &view_name)?;
    let key_type = match def.key.as_slice() {
        [one] => {
            Spi::run(&format!(
                "ALTER TABLE {table_sql} ADD {} ({})",
                if key_nullable {
                    "UNIQUE NULLS NOT DISTINCT"
                } else {
                    "PRIMARY KEY"
                },
                quote_ident(one)
            ))?;
            None
        }
        several => Some(composite_key(&view_name, table, &table_sql, several)?),
    };
    if key_nullable || key_type.is_some() {
        // No primary key (a unique index that counts NULL as a value, or one on the key's
        // composite value): without a replica identity, a publication FOR ALL TABLES (or for
        // the table's schema) would refuse maintenance's UPDATE and DELETE of its rows.
        Spi::run(&format!("ALTER TABLE {table_sql} REPLICA IDENTITY FULL"))?;
    }
    // (A key of groups from one table has its one column's unique index already.)
    if def.model.spans_tables() && def.key.len() > 1 {
        spanning_key_indexes(&target.schema, &target.name.table, &table_sql, &def)?;
    }
    // Statistics now, not when autovacuum gets to it: the first maintenance plans (kept per
    // backend) would otherwise guess every key's share of the rows (a stored-rows lookup of a
    // key drawn from several tables then read the whole table instead of using its index).
    Spi::run(&format!("ANALYZE {table_sql}"))?;
    record_internal_dependency(pg_sys::RelationRelationId, view, table);

    let ext = extension_schema_quoted()?;
    let entity = target.name.entity.clone();
    let key_column = def.key[0].clone();
    let key_columns: Vec<String> = if def.key.len() > 1 {
        def.key.clone()
    } else {
        Vec::new()
    };
    let stored: Vec<String> = settings
        .iter()
        .map(|(n, v)| tviews_core::settings::format_setting(n, v))
        .collect();
    // Before ALTER EXTENSION UPDATE to 0.2.0 the catalog has no settings column yet.
    let (settings_column, settings_value) = if crate::catalog::has_settings_column()? {
        (
            ", settings, key_proven, key_columns, key_type",
            ", $8, $9, $10::pg_catalog.name[], $11::pg_catalog.oid::pg_catalog.regtype",
        )
    } else if key_type.is_some() {
        return Err(TviewError::CatalogNeedsUpdate);
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
            args.push(key_columns.clone().into());
            args.push(key_type.into());
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
    // The sources are still locked: the tallies start from the rows the fill read.
    crate::tally::rebuild_for(table)?;
    // Said once the TVIEW exists (a refusal after it would have announced a key for nothing).
    if let Some(notice) = hidden_notice {
        pgrx::notice!("{notice}");
    }
    Ok(table)
}

/// Create the definition view `view_name` and analyze it, choosing the key. When no key is
/// named and the definition's own columns identify no row, and a new table is to be made
/// (`hidden_allowed`), key it by the primary keys of the tables its rows come from, added
/// as hidden columns (see `analyze::hidden`): the definition the view then holds is
/// returned with its analysis and the NOTICE that announces the key. Otherwise the first
/// refusal stands.
fn define(
    target: &Target,
    definition: &str,
    key: Option<&[String]>,
    hidden_allowed: bool,
    view_name: &str,
) -> Result<(String, Definition, Option<String>), TviewError> {
    let view_sql = qualified(DEFINITION_SCHEMA, view_name);
    Spi::run(&format!("CREATE VIEW {view_sql} AS {definition}"))?;
    let refusal = match analyze_view(
        DEFINITION_SCHEMA,
        view_name,
        &target.name.entity,
        KeyRequest::Choose(key),
    ) {
        Ok(def) => return Ok((definition.to_string(), def, None)),
        Err(e) => e,
    };
    // Several pk_* columns (AmbiguousKey) are the user's own keys: which one is theirs to say.
    let keyless = matches!(
        refusal,
        TviewError::Core(
            tviews_core::Error::NoKey { .. } | tviews_core::Error::KeyNotProvablyUnique { .. }
        )
    );
    if key.is_some() || !hidden_allowed || !keyless {
        return Err(refusal);
    }
    let (candidates, left_out) = hidden::candidates(definition)?;
    match keyed_by_hidden_columns(target, definition, view_name, &candidates)? {
        Ok((sql, def, notice)) => Ok((sql, def, Some(notice))),
        Err(None) => Err(refusal),
        Err(Some(last)) => Err(hidden_keys_refusal(
            target,
            refusal,
            last,
            &candidates,
            &left_out,
        )),
    }
}

/// A definition keyed by hidden columns: its SQL, its analysis and the NOTICE announcing it.
type HiddenKeyed = (String, Definition, String);

/// The definition keyed by the primary keys of some of `candidates`, added as hidden
/// columns (see `analyze::hidden`): the first set of tables whose keys identify the rows,
/// less the tables it does not need, with the NOTICE that announces it. The view
/// `view_name` then holds it. `Err(Some(e))`: no set did, `e` saying why the last one tried did not;
/// `Err(None)`: there was none to try.
fn keyed_by_hidden_columns(
    target: &Target,
    definition: &str,
    view_name: &str,
    candidates: &[hidden::Candidate],
) -> Result<Result<HiddenKeyed, Option<TviewError>>, TviewError> {
    let view_sql = qualified(DEFINITION_SCHEMA, view_name);
    // Each attempt replaces the view's definition and analyzes it with the key it gives.
    type Found = (String, Vec<String>, Definition);
    let attempt = |set: &[usize]| -> Result<Found, TviewError> {
        let chosen: Vec<&hidden::Candidate> = set.iter().map(|&i| &candidates[i]).collect();
        let (sql, columns) = hidden::with_hidden_keys(definition, &chosen)?;
        Spi::run(&format!("DROP VIEW {view_sql}"))?;
        Spi::run(&format!("CREATE VIEW {view_sql} AS {sql}"))?;
        let def = analyze_view(
            DEFINITION_SCHEMA,
            view_name,
            &target.name.entity,
            KeyRequest::Hidden(&columns),
        )?;
        Ok((sql, columns, def))
    };
    let mut last = None;
    for set in hidden::attempts(candidates) {
        let mut found = match attempt(&set) {
            Ok(found) => found,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        // Leave out the tables the key does not need (a lookup beside a many-to-many
        // join): fewer columns, and a key of fewer tables.
        let mut set = set;
        let mut view_holds_found = true;
        for i in set.clone().into_iter().rev() {
            let fewer: Vec<usize> = set.iter().copied().filter(|&j| j != i).collect();
            if !hidden::worth_trying(candidates, &fewer) {
                continue;
            }
            match attempt(&fewer) {
                Ok(better) => {
                    (set, found, view_holds_found) = (fewer, better, true);
                }
                Err(_) => view_holds_found = false,
            }
        }
        if !view_holds_found {
            found = attempt(&set)?;
        }
        let (sql, columns, def) = found;
        let added: Vec<&str> = columns
            .iter()
            .filter(|c| hidden::is_hidden(c))
            .map(|c| c.as_str())
            .collect();
        let tables: Vec<&str> = set
            .iter()
            .map(|&i| candidates[i].described.as_str())
            .collect();
        let added = match added.as_slice() {
            [] => String::new(),
            some => format!(", with {} added to its columns", some.join(", ")),
        };
        let notice = format!(
            "no column of TVIEW \"{}\" identifies its rows: it is keyed by the primary key of {}{added}",
            target.name.entity,
            tables.join(" and "),
        );
        return Ok(Ok((sql, def, notice)));
    }
    Ok(Err(last))
}

/// The refusal of a definition no hidden key identified either: `refusal` (the first, without
/// hidden keys), `last` (the last set of primary keys tried), the tables tried and those
/// `left_out` of the key with why.
fn hidden_keys_refusal(
    target: &Target,
    refusal: TviewError,
    last: TviewError,
    candidates: &[hidden::Candidate],
    left_out: &[String],
) -> TviewError {
    // The primary keys were tried: saying to select them would send the user in a circle.
    if let TviewError::Core(tviews_core::Error::KeyNotProvablyUnique {
        tview,
        key,
        repeating,
        ..
    }) = refusal
    {
        // What repeats the rows, which is what the user needs to know.
        return tviews_core::Error::KeyNotProvablyUnique {
            tview,
            key,
            repeating,
            identifying: Vec::new(),
        }
        .into();
    }
    let tables: Vec<&str> = candidates.iter().map(|c| c.described.as_str()).collect();
    let left_out = match left_out {
        [] => String::new(),
        some => format!(" ({})", some.join("; ")),
    };
    let hint = format!(
        "No column identifies the rows, and neither do the primary keys of the tables they come from ({}), added as hidden columns{left_out}: {last}. Select columns that identify the rows (an inner join or an aggregate per row instead of a join that repeats them), or pass key => '<column>' or key => ARRAY['<column>', ...] to rely on the data (a write that repeats a key then fails with 23505).",
        tables.join("; ")
    );
    tviews_core::Error::NoKey {
        tview: target.name.entity.clone(),
        hint,
    }
    .into()
}

/// Take the lock CREATE TRIGGER takes (SHARE ROW EXCLUSIVE: writers wait, readers do not) on
/// every source, in OID order, after checking the TRIGGER privilege on each: a TVIEW makes
/// every writer of its sources run its maintenance, which is what that privilege guards, also
/// when another TVIEW installed the triggers already.
fn lock_sources(sources: &[pg_sys::Oid]) -> Result<(), TviewError> {
    for &source in sources {
        // SAFETY: privilege check of an existing relation.
        let acl = unsafe {
            pg_sys::pg_class_aclcheck(
                source,
                pg_sys::GetUserId(),
                pg_sys::ACL_TRIGGER as pg_sys::AclMode,
            )
        };
        if acl != pg_sys::AclResult::ACLCHECK_OK {
            let (schema, name) = crate::pg::names::relation_name(source).unwrap_or_default();
            return Err(TviewError::NoTriggerPrivilege(format!("{schema}.{name}")));
        }
    }
    lock_in_order(sources, pg_sys::ShareRowExclusiveLock);
    Ok(())
}

/// A key is a scalar with an equality operator: maintenance collects keys into arrays of the
/// key type and compares them with that operator (an array or composite key would be taken
/// apart by both).
fn check_key_type(tview: &str, key: &str, view: pg_sys::Oid) -> Result<(), TviewError> {
    let typ = crate::pg::names::column_type(view, key)?;
    if crate::pg::names::usable_key_type(typ) {
        return Ok(());
    }
    Err(TviewError::KeyType {
        tview: tview.to_string(),
        key: key.to_string(),
        // SAFETY: the name of an existing type (palloc'd).
        type_name: unsafe { cstring(pg_sys::format_type_be(typ)) }.unwrap_or_default(),
    })
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
    if def.plan.root.is_none() {
        // Every source: one warning, unless by design (a definition of at most one row).
        let why = def
            .model
            .occurrences
            .iter()
            .find_map(|o| o.untraceable.as_ref());
        if let Some(why) = why.filter(|w| w.as_str() != tviews_core::model::ONE_ROW_REASON) {
            pgrx::warning!(
                "every change of a source will recompute every row of this TVIEW: {why}"
            );
        }
        return;
    }
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

/// The key must be unique in the definition (NULL counting as one value) and, unless it may
/// be NULL, never NULL, as the latest committed state has it (the sources are locked by now,
/// so it stays so until the triggers are in place).
fn check_key(
    tview: &str,
    key: &[String],
    view_sql: &str,
    nullable: bool,
) -> Result<(), TviewError> {
    use crate::pg::spi::{select_latest, value};
    let cols: Vec<String> = key.iter().map(|k| quote_ident(k)).collect();
    let list = cols.join(", ");
    // One key of several columns shows as its composite (text) form, NULL fields empty.
    let shown = match cols.as_slice() {
        [one] => format!("{one}::pg_catalog.text"),
        _ => format!("ROW({list})::pg_catalog.text"),
    };
    let not_null = if nullable || cols.len() > 1 {
        String::new()
    } else {
        format!(" WHERE {list} IS NOT NULL")
    };
    // Both checks read the whole definition, so they are written to be planned for that: a
    // bare `LIMIT 1` (or EXISTS) lets the planner bet on an early match and pick a nested
    // loop without an index, which is quadratic when there is none (an outer join on a column
    // no index covers). The duplicate shown is the first in text order.
    let dup: Option<String> = select_latest(
        &format!(
            "SELECT d.shown FROM (SELECT COALESCE({shown}, 'NULL'::pg_catalog.text) AS shown \
               FROM {view_sql}{not_null} GROUP BY {list} \
              HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) AS d \
              ORDER BY d.shown COLLATE \"C\" LIMIT 1"
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
            key: key.join(", "),
            example,
        });
    }
    if nullable || cols.len() > 1 {
        return Ok(());
    }
    let nulls = select_latest(
        &format!("SELECT pg_catalog.count(*) FROM {view_sql} WHERE {list} IS NULL"),
        &[],
        // SAFETY: a bigint column.
        |r| Ok(unsafe { value::<i64>(r[0]) }),
    )?;
    if nulls.into_iter().flatten().any(|n| n > 0) {
        return Err(TviewError::KeyNull {
            tview: tview.into(),
            key: key.join(", "),
        });
    }
    Ok(())
}

/// A key of several columns: the composite type of them (named after the definition view, in
/// the definition schema, part of the table like the view) and the table's unique index on
/// that value. Every keyed statement finds rows by that value; its fields compare with their
/// columns' types and collations, NULL fields equal (a NULL group is a group).
fn composite_key(
    view_name: &str,
    table: pg_sys::Oid,
    table_sql: &str,
    columns: &[String],
) -> Result<pg_sys::Oid, TviewError> {
    let type_name = free_type_name(view_name)?;
    let type_sql = qualified(DEFINITION_SCHEMA, &type_name);
    let mut fields = Vec::new();
    for c in columns {
        // A domain's base type (with the domain's modifier): a key is a value the column
        // held, and read back (captured at a statement as text, replayed at commit) it must
        // not meet a constraint added to the domain since (NOT VALID).
        let mut typmod = crate::pg::names::column_typmod(table, c)?;
        let column_type = crate::pg::names::column_type(table, c)?;
        // SAFETY: type catalog lookups of an existing type (palloc'd name).
        let type_text = unsafe {
            let typ = pg_sys::getBaseTypeAndTypmod(column_type, &mut typmod);
            cstring(pg_sys::format_type_with_typemod(typ, typmod))
        }
        .unwrap_or_default();
        let collate = crate::pg::names::column_collation_sql(table, c)?
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default();
        fields.push(format!("{} {type_text}{collate}", quote_ident(c)));
    }
    Spi::run(&format!(
        "CREATE TYPE {type_sql} AS ({})",
        fields.join(", ")
    ))?;
    let typ = crate::pg::names::type_oid(DEFINITION_SCHEMA, &type_name).ok_or_else(|| {
        TviewError::Internal(format!("type {type_name} made by this creation is missing"))
    })?;
    Spi::run(&format!(
        "COMMENT ON TYPE {type_sql} IS E'{}'",
        format!(
            "pg_tviews: one key of the TVIEW table {table_sql} ({}). Not for direct use.",
            columns.join(", ")
        )
        .replace('\\', "\\\\")
        .replace('\'', "''")
    ))?;
    // PostgreSQL names the index, choosing a name no relation has.
    Spi::run(&format!(
        "CREATE UNIQUE INDEX ON {table_sql} ((ROW({})::{type_sql}))",
        columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    record_internal_dependency(pg_sys::TypeRelationId, typ, table);
    Ok(typ)
}

/// A key drawn from several tables: one index per table it is drawn from, on that table's
/// key columns. A change finds the stored rows it was in by those columns alone (see
/// `tviews_core::sqlgen::keys`), which the unique index on the whole key's value cannot
/// answer.
fn spanning_key_indexes(
    schema: &str,
    table: &str,
    table_sql: &str,
    def: &crate::analyze::Definition,
) -> Result<(), TviewError> {
    let mut occurrences: Vec<usize> = Vec::new();
    for o in &def.model.key_origins {
        if !occurrences.contains(&o.occ) {
            occurrences.push(o.occ);
        }
    }
    for occ in occurrences {
        let columns: Vec<&String> = def
            .key
            .iter()
            .zip(&def.model.key_origins)
            .filter(|(_, o)| o.occ == occ)
            .map(|(k, _)| k)
            .collect();
        let base = format!(
            "{table}_{}",
            columns
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("_")
        );
        let name = crate::pg::names::first_free_name(&base, "_idx", |n| {
            crate::pg::names::relation_oid(schema, n).is_none()
        })
        .ok_or_else(|| TviewError::Internal("no free index name".into()))?;
        let index_sql = qualified(schema, &name);
        Spi::run(&format!(
            "CREATE INDEX {} ON {table_sql} ({})",
            quote_ident(&name),
            columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        Spi::run(&format!(
            "COMMENT ON INDEX {index_sql} IS E'{}'",
            format!(
                "pg_tviews: the key columns of TVIEW table {table_sql} that come from one of the tables its key is drawn from; maintenance finds stored rows by them."
            )
            .replace('\\', "\\\\")
            .replace('\'', "''")
        ))?;
    }
    Ok(())
}

/// A name for the key type that no type (a relation's row type included) has in the
/// definition schema.
fn free_type_name(view_name: &str) -> Result<String, TviewError> {
    crate::pg::names::first_free_name(view_name, "_key", |c| {
        crate::pg::names::type_oid(DEFINITION_SCHEMA, c).is_none()
    })
    .ok_or_else(|| TviewError::Internal("no free key type name".into()))
}

/// Columns of `table` whose type is a domain (or an array of one) take the domain's base
/// type, keeping their collation (see `names::stored_type`). The table is new: empty, or
/// just filled by CREATE TABLE AS.
fn store_base_types(table: pg_sys::Oid, table_sql: &str) -> Result<(), TviewError> {
    let mut changes = Vec::new();
    for c in crate::pg::names::relation_columns(table) {
        let (typ, typmod) = crate::pg::names::stored_type(c.typ, c.typmod);
        if (typ, typmod) == (c.typ, c.typmod) {
            continue;
        }
        let collate = crate::pg::names::collation_sql(c.collation)?
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default();
        changes.push(format!(
            "ALTER COLUMN {} TYPE {}{collate}",
            quote_ident(&c.name),
            crate::pg::names::qualified_type_with_typmod(typ, typmod)
        ));
    }
    if !changes.is_empty() {
        Spi::run(&format!("ALTER TABLE {table_sql} {}", changes.join(", ")))?;
    }
    Ok(())
}

/// A column of a composite type with a field of a domain with constraints: a query can leave
/// that field NULL (a row built from an outer join's unmatched side), which the table then
/// holds and a restore refuses. Said, not refused: the values may never be NULL there.
fn warn_domain_fields(table: pg_sys::Oid) {
    for c in crate::pg::names::relation_columns(table) {
        if let Some(field) = crate::pg::names::constrained_domain_field(c.typ) {
            pgrx::warning!(
                "column \"{}\" holds field {field} of a domain with constraints, which a query may leave NULL (an outer join's unmatched side) and a restore then refuses: show the fields as columns of their own, or build jsonb",
                c.name
            );
        }
    }
}

/// A TVIEW's table has exactly its definition's columns: the same names in the same order,
/// of the same types (or of the type a table stores them as, see `names::stored_type`: a
/// TVIEW made before that rule keeps its domains) and collations (`ALTER COLUMN ... TYPE`
/// without `COLLATE` takes the type's default).
pub fn check_same_columns(table: pg_sys::Oid, view: pg_sys::Oid) -> Result<(), TviewError> {
    let (table, view) = (
        crate::pg::names::relation_columns(table),
        crate::pg::names::relation_columns(view),
    );
    let same = table.len() == view.len()
        && table.iter().zip(&view).all(|(t, v)| {
            t.name == v.name
                && t.collation == v.collation
                && ((t.typ, t.typmod) == (v.typ, v.typmod)
                    || (t.typ, t.typmod) == crate::pg::names::stored_type(v.typ, v.typmod))
        });
    if same {
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
    crate::pg::names::first_free_name(table, "", |c| {
        crate::pg::names::relation_name_free(DEFINITION_SCHEMA, c)
    })
    .ok_or_else(|| TviewError::Internal("no free definition view name".into()))
}

/// The definition view (and the key type of a key of several columns) is part of the table:
/// DROP TABLE drops it, dropping it alone detaches the TVIEW (`ddl::detach_before_drop`), and
/// a CASCADE that reaches it drops the table too. `class` is the catalog of `object`.
pub(crate) fn record_internal_dependency(
    class: pg_sys::Oid,
    object: pg_sys::Oid,
    table: pg_sys::Oid,
) {
    let dependent = crate::pg::names::object_address(class, object);
    let owner = crate::pg::names::object_address(pg_sys::RelationRelationId, table);
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

/// OID of relation `schema.name`, which this creation has just made.
fn created(schema: &str, name: &str) -> Result<pg_sys::Oid, TviewError> {
    relation_oid(schema, name).ok_or_else(|| {
        TviewError::Internal(format!(
            "relation {schema}.{name} made by this creation is missing"
        ))
    })
}
