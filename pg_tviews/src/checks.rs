//! What must hold for a TVIEW to be maintained exactly and safely, whoever writes: checked at
//! creation ([`crate::create`]), after DDL ([`crate::ddl`]) and before maintenance runs
//! ([`crate::maintain`]), so it lives below all three.

use pgrx::pg_sys;

use crate::errors::TviewError;
use crate::pg::names::describe;
use crate::pg::nodes::cstring;

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

/// The types of text search: a function taking or returning one may use any configuration
/// (named, from a column, or the default). The analysis (`analyze::uses_text_search`) and the
/// DDL check ([`definition_depends_on`]) both read this list.
pub const TEXT_SEARCH_TYPES: [pg_sys::Oid; 4] = [
    pg_sys::TSVECTOROID,
    pg_sys::TSQUERYOID,
    pg_sys::REGCONFIGOID,
    pg_sys::REGDICTIONARYOID,
];

/// Does the definition of view `$1` depend on function or type `$2` (directly, through an
/// operator or aggregate, through a helper view, or as the type of a column of one of the
/// sources `$3`)? `$4` is [`TEXT_SEARCH_TYPES`].
pub fn definition_depends_on(
    view: pg_sys::Oid,
    object: pg_sys::Oid,
    sources: &[pg_sys::Oid],
) -> Result<bool, TviewError> {
    use pgrx::IntoDatum;
    // Every function the definition can run, however reached (an operator class's support
    // function, a cast to json run by to_jsonb): replacing one changes what it computes.
    // A type it handles, however deep (a domain nested in a domain, an element's or a
    // field's domain): ALTER DOMAIN ... ADD CHECK changes what converting to it runs.
    let reach = crate::pg::scan::definition_reach(view);
    if reach.functions.contains(&object)
        || (reach.types.contains(&object) && crate::pg::scan::is_domain(object))
    {
        return Ok(true);
    }
    let sources = sources
        .to_vec()
        .into_datum()
        .expect("an array is never NULL");
    let text_search_types = TEXT_SEARCH_TYPES
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
                                     OR p.prorettype OPERATOR(pg_catalog.=) ANY ($4)
                                     OR p.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&) $4))
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
            (pg_sys::OIDARRAYOID, text_search_types),
        ],
        |_| Ok(()),
    )?;
    Ok(!found.is_empty())
}

/// What the rules below need to know of function `f`: how it prints (as `regprocedure`),
/// its volatility, language, whether it is built in (in `pg_catalog`), the search_path it
/// sets for itself, and whether a superuser owns it. `None`: no such function any more.
fn function_facts(f: pg_sys::Oid) -> Option<(String, u8, String, bool, Option<String>, bool)> {
    use pg_sys::SysCacheIdentifier::PROCOID;
    // SAFETY: PROCOID rows are pg_proc rows; proconfig is a text[] (NULL when unset), copied
    // out before the row is released.
    let (volatility, lang, namespace, owner, settings) = unsafe {
        crate::pg::scan::syscache_row(
            PROCOID,
            &[pg_sys::Datum::from(f)],
            |p: &pg_sys::FormData_pg_proc, tup| {
                let mut isnull = false;
                let config = pg_sys::SysCacheGetAttr(
                    PROCOID as std::ffi::c_int,
                    tup,
                    pg_sys::Anum_pg_proc_proconfig as pg_sys::AttrNumber,
                    &mut isnull,
                );
                let settings: Vec<String> = if isnull {
                    Vec::new()
                } else {
                    <Vec<Option<String>> as pgrx::FromDatum>::from_datum(config, false)
                        .unwrap_or_default()
                        .into_iter()
                        .flatten()
                        .collect()
                };
                (
                    p.provolatile as u8,
                    p.prolang,
                    p.pronamespace,
                    p.proowner,
                    settings,
                )
            },
        )
    }?;
    let search_path = settings
        .iter()
        .find_map(|s| s.strip_prefix("search_path=").map(str::to_string));
    // SAFETY: catalog lookups of an existing function, language and role.
    unsafe {
        Some((
            cstring(pg_sys::format_procedure(f)).unwrap_or_default(),
            volatility,
            cstring(pg_sys::get_language_name(lang, true)).unwrap_or_default(),
            namespace == pg_sys::Oid::from(pg_sys::PG_CATALOG_NAMESPACE),
            search_path,
            pg_sys::superuser_arg(owner),
        ))
    }
}

/// Is function `function` owned by `owner` or by a superuser (code maintenance may run as
/// `owner` without the definition naming it)? False for a function that is gone.
fn owned_by_or_superuser(function: pg_sys::Oid, owner: pg_sys::Oid) -> bool {
    // SAFETY: a role lookup.
    function_owner(function).is_some_and(|o| o == owner || unsafe { pg_sys::superuser_arg(o) })
}

/// May the current role read everything maintenance of a TVIEW reads and writes: SELECT on
/// its table and on every source, with no row security filtering any of them? Errors raised
/// inside maintenance run as the owner, so their text may carry values of rows the writer
/// could not read (a constraint's "Failing row contains ...", a cast's input); a role that
/// may read them all sees the errors whole.
pub fn may_read_everything(table: pg_sys::Oid, sources: &[pg_sys::Oid]) -> bool {
    // SAFETY: privilege and row security checks of existing relations by the current user
    // (noError).
    unsafe {
        let user = pg_sys::GetUserId();
        std::iter::once(&table).chain(sources).all(|rel| {
            pg_sys::pg_class_aclcheck(*rel, user, pg_sys::ACL_SELECT as pg_sys::AclMode)
                == pg_sys::AclResult::ACLCHECK_OK
                && pg_sys::check_enable_rls(*rel, pg_sys::InvalidOid, true)
                    != pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        })
    }
}

/// Refuse functions that would make maintenance inexact or steerable:
///
/// * a function that sets its own search_path without `pg_temp` in it searches the session's
///   temporary schema first: run by maintenance in a writer's session, as the TVIEW's owner, it
///   would find what the writer put there (the rule PostgreSQL gives SECURITY DEFINER
///   functions);
/// * a function that is not built in (SQL, a procedural language, or C from an extension)
///   and is not IMMUTABLE
///   (STABLE, or VOLATILE where the definition reaches it other than by calling it, as an
///   aggregate's or an operator class's support function or a cast run by `to_json`) may
///   read tables: those would be sources pg_tviews cannot see, and a change to them would
///   leave the TVIEW stale.
///
/// `table` is the TVIEW's table once it exists: the code of its indexes and constraints, and
/// of its state tables', runs when maintenance writes them.
pub fn check_functions(
    view: pg_sys::Oid,
    owner: pg_sys::Oid,
    table: Option<pg_sys::Oid>,
) -> Result<(), TviewError> {
    // Read from the catalogs directly: this runs on every backend's first maintained write.
    let reach = crate::pg::scan::definition_reach(view);
    let mut rows: Vec<_> = reach
        .functions
        .iter()
        .copied()
        .filter_map(|f| function_facts(f).map(|facts| (f, facts)))
        .collect();
    rows.sort_by(|a, b| a.1 .0.cmp(&b.1 .0));
    // SAFETY: a catalog lookup of an existing role.
    let owner_is_superuser = unsafe { pg_sys::superuser_arg(owner) };
    for (oid, (function, volatility, _language, builtin, search_path, owned_by_superuser)) in rows {
        if let Some(path) = search_path {
            if !tviews_core::settings::search_path_keeps_pg_temp_last(&path) {
                return Err(TviewError::UnsafeFunction {
                    function,
                    reason: format!("it sets search_path = {path}, which does not end with pg_temp"),
                    hint: "Maintenance runs it as the TVIEW's owner in whichever session writes a source, whose temporary objects it would find first: list pg_temp last (SET search_path = app, pg_temp), as for SECURITY DEFINER functions.".into(),
                });
            }
        }
        if builtin {
            // A built-in that may run anything (a query given as text: ts_rewrite, ts_stat,
            // query_to_xml; files; sequences; settings) is VOLATILE; none of those that
            // aggregates, operator classes or casts of built-in types run is. A definition
            // naming one is refused earlier; a domain's CHECK added later reaches here.
            if volatility == b'v' {
                return Err(TviewError::UnsafeFunction {
                    function,
                    reason: "it is VOLATILE: it may run queries given as text, read files or change state, with the TVIEW owner's rights, in every writer's session".into(),
                    hint: "Maintenance runs everything a definition reaches (a domain's CHECK too) as the TVIEW's owner: use IMMUTABLE expressions there.".into(),
                });
            }
            let name = crate::pg::names::function_name(oid).unwrap_or_default();
            if let Some(why) = crate::analyze::parse::builtin_refusal(&name, oid) {
                return Err(TviewError::UnsafeFunction {
                    function,
                    reason: format!("a definition may not reach it: {why}"),
                    hint: "Maintenance runs everything a definition reaches (a domain's CHECK too): keep such functions out of it.".into(),
                });
            }
        }
        // Whatever its language: a C function of an extension may read tables (tablefunc's
        // connectby runs SQL given as text) or its own settings (pg_trgm's % reads
        // pg_trgm.similarity_threshold), neither of which maintenance can follow.
        if !builtin && volatility != b'i' {
            let declared = if volatility == b's' {
                "STABLE"
            } else {
                "VOLATILE"
            };
            return Err(TviewError::UnsafeFunction {
                function,
                reason: format!("it is {declared}, so it may read tables that are not sources of the TVIEW"),
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
    // A cast to json runs where the definition never names it, and the owner of its type can
    // make one at any time (CREATE CAST): its function must be the TVIEW owner's own, or a
    // superuser's, or it would run someone else's code with the owner's rights on every write.
    // The same holds for what a domain's CHECK calls: its owner adds one at any time (ALTER
    // DOMAIN ... ADD CHECK).
    let trusted = |function| owned_by_or_superuser(function, owner);
    for &(function, domain) in &reach.domain_checks {
        if !trusted(function) {
            return Err(TviewError::UnsafeFunction {
                function: crate::pg::names::describe_function(function),
                reason: format!(
                    "a CHECK constraint of domain {} calls it where the definition converts values to that domain, and its owner is neither the TVIEW's owner nor a superuser: every write to a source would run that role's code with the TVIEW owner's rights",
                    crate::pg::names::qualified_type(domain)
                ),
                hint: "Have the TVIEW's owner own the function (ALTER FUNCTION ... OWNER TO), or drop the constraint; a domain's owner can add checks at any time, so what they call must be trusted like the definition itself.".into(),
            });
        }
    }
    for (typ, target, function) in crate::pg::scan::json_casts(&reach.types) {
        if !trusted(function) {
            return Err(TviewError::UnsafeFunction {
                function: crate::pg::names::describe_function(function),
                reason: format!(
                    "it is the cast from {} to {}, which the definition's json functions run without naming it, and its owner is neither the TVIEW's owner nor a superuser: every write to a source would run that role's code with the TVIEW owner's rights",
                    crate::pg::names::qualified_type(typ),
                    if target == pg_sys::JSONBOID { "jsonb" } else { "json" }
                ),
                hint: "Have the TVIEW's owner own the cast's function (ALTER FUNCTION ... OWNER TO), or drop the cast.".into(),
            });
        }
    }
    // Values of the tables it reads are carried as text and read back by maintenance (a
    // deferred TVIEW's captured lookup values, a replica session's rows): the type's owner
    // may add casts to and from text at any time (CREATE CAST), and the domains inside a
    // composite, array or range check their values when it is read back.
    let tables = maintained_tables(view, owner, table);
    for &(table, written) in &tables {
        if written {
            continue;
        }
        for typ in crate::pg::scan::column_types(table) {
            for (function, through) in crate::pg::scan::text_round_trip_functions(typ) {
                if !trusted(function) {
                    return Err(TviewError::UnsafeFunction {
                        function: crate::pg::names::describe_function(function),
                        reason: format!(
                            "a column of {} has type {}, whose values maintenance carries as text and reads back (deferred mode, replica sessions), which runs it (a cast between {} and text, or a CHECK of that domain), and its owner ({}) is neither the TVIEW's owner nor a superuser: a write to a source would run it with the TVIEW owner's rights",
                            describe(table),
                            crate::pg::names::qualified_type(typ),
                            crate::pg::names::qualified_type(through),
                            function_owner(function).map_or_else(|| "unknown".into(), crate::pg::names::role_name)
                        ),
                        hint: "Have the TVIEW's owner (or a superuser) own the function, or drop the cast or the domain's constraint.".into(),
                    });
                }
            }
        }
    }
    // A helper view that reads with its reader's rights (security_invoker) reads with the
    // TVIEW owner's during maintenance, so its owner could make it read, and the TVIEW
    // show, what only the TVIEW's owner may read (CREATE OR REPLACE VIEW, at any time).
    for (class, relation, _) in crate::pg::scan::definition_dependencies(view) {
        if class != pg_sys::RelationRelationId
            || relation == view
            || !crate::pg::scan::is_invoker_view(relation)
        {
            continue;
        }
        let view_owner = crate::pg::names::relation_owner(relation).unwrap_or(pg_sys::InvalidOid);
        // SAFETY: a role lookup.
        if view_owner != owner && !unsafe { pg_sys::superuser_arg(view_owner) } {
            return Err(TviewError::Refused {
                construct: format!(
                    "view {}, which reads with its reader's rights (security_invoker) and is owned by {}, neither the TVIEW's owner nor a superuser",
                    crate::pg::names::describe(relation),
                    crate::pg::names::role_name(view_owner)
                ),
                hint: "Maintenance reads the definition as the TVIEW's owner: that view's owner could replace it to read, and show in the TVIEW, what only the TVIEW's owner may read. Have the TVIEW's owner own the view (ALTER VIEW ... OWNER TO), or make it a view that reads with its own owner's rights (ALTER VIEW ... RESET (security_invoker)).".into(),
            });
        }
    }
    // The tables the definition reads, each with the role that reads it there (the owner, or
    // a helper view's owner, see scan::definition_readers).
    let readers = crate::pg::scan::definition_readers(view, owner);
    // Row security applies to whoever reads a table (a helper view's owner, reading it for
    // the view), but its policies' expressions run as the current user: the TVIEW's owner.
    // A policy of a table read through another role's view would run that role's code with
    // the owner's rights, and make the rows depend on who reads them.
    for &(table, reader, through) in &readers {
        // The owner's own reads: check_row_security says so, for every source.
        if reader == owner {
            continue;
        }
        // SAFETY: check_enable_rls reads the catalogs of an existing relation; noError.
        let rls = unsafe { pg_sys::check_enable_rls(table, reader, true) };
        if rls == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32 {
            return Err(TviewError::Refused {
                construct: format!(
                    "table {}, whose row level security applies to {}, who reads it for the definition through view {}",
                    describe(table),
                    crate::pg::names::role_name(reader),
                    describe(through)
                ),
                hint: "A policy's expressions run as the TVIEW's owner during maintenance, whoever the policy applies to, and its rows depend on who reads them: let the view's owner bypass row security on that table (own it without FORCE ROW LEVEL SECURITY, or BYPASSRLS), or read the table by name in the definition.".into(),
            });
        }
    }
    // The planner evaluates the predicates of partial indexes (and may fold index
    // expressions) of the tables it plans over, as whoever plans: maintenance plans as the
    // owner, and a table's owner may add an index at any time.
    // Writing the TVIEW's table and its state tables runs their indexes' code too.
    for &(table, written) in &tables {
        for function in crate::pg::scan::table_code_functions(table, written) {
            if !trusted(function) {
                return Err(TviewError::UnsafeFunction {
                    function: crate::pg::names::describe_function(function),
                    reason: format!(
                        "an index, its operator class, a CHECK constraint or extended statistics of {} call it ({}), and its owner ({}) is neither the TVIEW's owner nor a superuser: every write to a source would run it with the TVIEW owner's rights",
                        describe(table),
                        if written {
                            "maintenance writes the table"
                        } else {
                            "planning a query over the table evaluates their expressions"
                        },
                        function_owner(function).map_or_else(|| "unknown".into(), crate::pg::names::role_name)
                    ),
                    hint: "Have the TVIEW's owner (or a superuser) own the function, or drop the index, constraint or statistics object.".into(),
                });
            }
        }
    }
    // Any other function maintenance runs as the owner: its own role can replace it at any
    // time (CREATE OR REPLACE FUNCTION), and so can the owner of a helper view the definition
    // reads (CREATE OR REPLACE VIEW calling a function of its own); both would then run with
    // the TVIEW owner's rights on every write, and at once in the recompute that follows.
    for &function in &reach.run {
        if !trusted(function) {
            return Err(TviewError::UnsafeFunction {
                function: crate::pg::names::describe_function(function),
                reason: format!(
                    "its owner ({}) is neither the TVIEW's owner nor a superuser: that role can replace it at any time, and every write to a source would run it with the TVIEW owner's rights",
                    function_owner(function).map_or_else(|| "unknown".into(), crate::pg::names::role_name)
                ),
                hint: "Have the TVIEW's owner own the function (ALTER FUNCTION ... OWNER TO), or create the TVIEW as the function's owner. To hand a TVIEW and its functions to another role: REASSIGN OWNED BY, or give the functions to a superuser first, then the TVIEW, then the functions.".into(),
            });
        }
    }
    Ok(())
}

/// The tables maintenance of the TVIEW whose definition view is `view` (owned by `owner`)
/// reads, and those it writes once `table` exists (its table and its state tables), each
/// with whether maintenance writes it.
pub fn maintained_tables(
    view: pg_sys::Oid,
    owner: pg_sys::Oid,
    table: Option<pg_sys::Oid>,
) -> Vec<(pg_sys::Oid, bool)> {
    let mut read: Vec<pg_sys::Oid> = crate::pg::scan::definition_readers(view, owner)
        .iter()
        .map(|(t, _, _)| *t)
        .collect();
    read.sort_by_key(|t| t.to_u32());
    read.dedup();
    let mut out: Vec<(pg_sys::Oid, bool)> = read.into_iter().map(|t| (t, false)).collect();
    if let Some(table) = table {
        out.extend(written_tables(table).into_iter().map(|t| (t, true)));
    }
    out
}

/// The tables maintenance writes for the TVIEW whose table is `table`: it and its state
/// tables (the tables made part of it).
pub fn written_tables(table: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    let mut out = vec![table];
    for part in crate::pg::scan::internal_parts(table) {
        // SAFETY: a catalog lookup; '\0' for a relation that is gone.
        if unsafe { pg_sys::get_rel_relkind(part) } as u8 == pg_sys::RELKIND_RELATION {
            out.push(part);
        }
    }
    out
}

/// The owner of function `function`, if it exists.
fn function_owner(function: pg_sys::Oid) -> Option<pg_sys::Oid> {
    // SAFETY: a PROCOID syscache lookup (pg_proc rows).
    unsafe {
        crate::pg::scan::syscache_row(
            pg_sys::SysCacheIdentifier::PROCOID,
            &[pg_sys::Datum::from(function)],
            |p: &pg_sys::FormData_pg_proc, _| p.proowner,
        )
    }
}

/// What keeps a table pg_tviews writes (a TVIEW's table, and the state tables that are part
/// of it) the plain table maintenance writes with MERGE and reads back, and what each way of
/// breaking that does. `$1`: TVIEW tables; one row per table (theirs or one of their state
/// tables) that broke it: its OID and what it became. Read by the DDL check
/// ([`check_plain_tables`]) and the health check.
const PLAIN_TABLE_PROBLEMS: &str = "
WITH t(rel) AS (
    SELECT pg_catalog.unnest($1::pg_catalog.oid[])
    UNION
    SELECT d.objid FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) d.objid
     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.refobjid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
       AND d.deptype OPERATOR(pg_catalog.=) 'i' AND k.relkind OPERATOR(pg_catalog.=) 'r'
), p AS (
    SELECT t.rel, CASE
        -- Rows written through the parent bypass the guard and maintenance.
        WHEN c.relispartition THEN 'be a partition'
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                      WHERE i.inhrelid OPERATOR(pg_catalog.=) t.rel)
            THEN 'inherit from another table'
        -- A child's rows are read as the table's.
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                      WHERE i.inhparent OPERATOR(pg_catalog.=) t.rel)
            THEN 'have inheritance children'
        -- MERGE refuses a table with rules.
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r
                      WHERE r.ev_class OPERATOR(pg_catalog.=) t.rel)
            THEN 'have rules'
        -- A BEFORE (or INSTEAD OF) row trigger changes or drops the rows maintenance
        -- writes; pg_tviews has none of its own there.
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                      WHERE g.tgrelid OPERATOR(pg_catalog.=) t.rel
                        AND (g.tgtype::pg_catalog.int4 OPERATOR(pg_catalog.&) 1) OPERATOR(pg_catalog.<>) 0
                        AND (g.tgtype::pg_catalog.int4 OPERATOR(pg_catalog.&) 66) OPERATOR(pg_catalog.<>) 0)
            THEN 'have BEFORE or INSTEAD OF row triggers'
        -- Any other trigger fires inside maintenance, as the TVIEW's owner, for every writer
        -- of every source: what it runs must be the owner's or a superuser's, its function
        -- and what its WHEN condition calls (directly or through an operator; PostgreSQL
        -- records those, built-ins aside, which superusers own).
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                       JOIN pg_catalog.pg_depend d
                         ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
                        AND d.objid OPERATOR(pg_catalog.=) g.oid
                       LEFT JOIN pg_catalog.pg_operator op
                         ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
                        AND op.oid OPERATOR(pg_catalog.=) d.refobjid
                       JOIN pg_catalog.pg_proc f
                         ON f.oid OPERATOR(pg_catalog.=) CASE
                                WHEN d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                THEN d.refobjid ELSE op.oprcode::pg_catalog.oid END
                       JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) f.proowner
                      WHERE g.tgrelid OPERATOR(pg_catalog.=) t.rel AND NOT g.tgisinternal
                        AND f.proowner OPERATOR(pg_catalog.<>) c.relowner AND NOT o.rolsuper)
            THEN 'have a trigger whose function, or a function its WHEN condition calls, another role owns (it would run as the TVIEW''s owner)'
        END AS problem
      FROM t JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.rel
)
SELECT rel, problem FROM p WHERE problem IS NOT NULL ORDER BY rel
";

/// The hint of [`TviewError::NotPlainTable`].
pub const PLAIN_TABLE_HINT: &str = "Maintenance writes the table with MERGE and reads it back: rows written through a parent bypass it, a child's rows or a BEFORE row trigger's changes would be taken for the definition's, and MERGE refuses a table with rules. Use AFTER triggers, or views over the TVIEW. A trigger there runs as the TVIEW's owner for every writer of a source: its function must be the owner's or a superuser's (ALTER FUNCTION ... OWNER TO).";

/// The tables of the TVIEWs `tables` (their state tables included) that stopped being plain
/// tables, with what each became (see [`PLAIN_TABLE_PROBLEMS`]).
pub fn plain_table_problems(
    tables: &[pg_sys::Oid],
) -> Result<Vec<(pg_sys::Oid, String)>, TviewError> {
    let tables = tables.to_vec();
    let (mut out, conditions) = pgrx::Spi::connect(|client| {
        let mut out = Vec::new();
        for r in client.select(PLAIN_TABLE_PROBLEMS, None, &[tables.clone().into()])? {
            out.push((
                r.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
                r.get::<String>(2)?.unwrap_or_default(),
            ));
        }
        let mut conditions = Vec::new();
        for r in client.select(TRIGGER_CONDITIONS, None, &[tables.into()])? {
            conditions.push((
                r.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
                r.get::<String>(2)?.unwrap_or_default(),
                r.get::<String>(3)?.unwrap_or_default(),
                r.get::<pg_sys::Oid>(4)?.unwrap_or(pg_sys::InvalidOid),
            ));
        }
        Ok::<_, pgrx::spi::SpiError>((out, conditions))
    })?;
    // A trigger's WHEN condition runs inside maintenance, as the owner, too: it may call
    // only IMMUTABLE functions of the owner's or a superuser's (a VOLATILE built-in runs SQL
    // given as text; a domain's CHECK whatever it calls).
    for (rel, trigger, condition, owner) in conditions {
        let funcs = crate::pg::scan::condition_functions(&condition);
        let bad = funcs.into_iter().find(|f| {
            // SAFETY: a catalog lookup of a function.
            let volatility = unsafe { pg_sys::func_volatile(*f) };
            volatility != pg_sys::PROVOLATILE_IMMUTABLE as std::ffi::c_char
                || !owned_by_or_superuser(*f, owner)
        });
        if let Some(f) = bad {
            out.push((
                rel,
                format!(
                    "have trigger {} whose WHEN condition calls {} (it would run as the TVIEW's owner: only IMMUTABLE functions of the owner or a superuser may)",
                    tviews_core::sqlgen::quote_ident(&trigger),
                    crate::pg::names::describe_function(f)
                ),
            ));
        }
    }
    Ok(out)
}

/// The WHEN conditions of the triggers (not PostgreSQL's internal ones) on the TVIEW tables
/// `$1` and their state tables: (table, trigger, condition as a node tree, table's owner).
const TRIGGER_CONDITIONS: &str = "
SELECT g.tgrelid, g.tgname::pg_catalog.text, g.tgqual::pg_catalog.text, c.relowner
  FROM pg_catalog.pg_trigger g
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) g.tgrelid
 WHERE NOT g.tgisinternal AND g.tgqual IS NOT NULL
   AND (g.tgrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
        OR g.tgrelid IN (SELECT d.objid FROM pg_catalog.pg_depend d
                          WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                            AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                            AND d.refobjid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
                            AND d.deptype OPERATOR(pg_catalog.=) 'i'))
 ORDER BY 1, 2
";

/// Which of the TVIEW tables `tables` the objects `objects` (what a DDL command created or
/// altered) can have changed the shape of: a TVIEW table or one of its state tables among
/// them, among the tables of the triggers and rules among them, or among those tables'
/// inheritance parents and children (`ATTACH PARTITION` names the parent, `INHERITS` and
/// `INHERIT` the child).
const TOUCHED_TVIEWS: &str = "
WITH o(x) AS (SELECT pg_catalog.unnest($1::pg_catalog.oid[])),
rel(r) AS (
    SELECT x FROM o
    UNION SELECT g.tgrelid FROM pg_catalog.pg_trigger g JOIN o ON g.oid OPERATOR(pg_catalog.=) o.x
    UNION SELECT w.ev_class FROM pg_catalog.pg_rewrite w JOIN o ON w.oid OPERATOR(pg_catalog.=) o.x
    -- A function a trigger calls (its own, or in its WHEN condition), given another owner.
    UNION SELECT g.tgrelid FROM pg_catalog.pg_trigger g
      JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
                                 AND d.objid OPERATOR(pg_catalog.=) g.oid
                                 AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
      JOIN o ON d.refobjid OPERATOR(pg_catalog.=) o.x
), near(r) AS (
    SELECT r FROM rel
    UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN rel ON i.inhrelid OPERATOR(pg_catalog.=) rel.r
    UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN rel ON i.inhparent OPERATOR(pg_catalog.=) rel.r
)
SELECT t FROM pg_catalog.unnest($2::pg_catalog.oid[]) AS t
 WHERE t OPERATOR(pg_catalog.=) ANY (SELECT r FROM near)
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN near ON d.objid OPERATOR(pg_catalog.=) near.r
                WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.refobjid OPERATOR(pg_catalog.=) t AND d.deptype OPERATOR(pg_catalog.=) 'i')
";

/// Refuse a DDL command that left a table of the TVIEWs `tables` it touched (its objects
/// `objects`, see [`TOUCHED_TVIEWS`]) other than a plain table (a partition, a parent or
/// child, rules, BEFORE row triggers: [`PLAIN_TABLE_PROBLEMS`]). A problem left by DDL that
/// escaped the check (a replica session's) does not stop DDL elsewhere: the health check
/// reports it.
pub fn check_plain_tables(
    objects: &[pg_sys::Oid],
    tables: &[pg_sys::Oid],
) -> Result<(), TviewError> {
    let (objects, tables) = (objects.to_vec(), tables.to_vec());
    let touched: Vec<pg_sys::Oid> = pgrx::Spi::connect(|client| {
        let mut out = Vec::new();
        for r in client.select(TOUCHED_TVIEWS, None, &[objects.into(), tables.into()])? {
            out.extend(r.get::<pg_sys::Oid>(1)?);
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })?;
    if touched.is_empty() {
        return Ok(());
    }
    match plain_table_problems(&touched)?.into_iter().next() {
        Some((rel, problem)) => Err(TviewError::NotPlainTable {
            table: describe(rel),
            problem,
        }),
        None => Ok(()),
    }
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
