//! The user's SELECT, through PostgreSQL's own parser and analyzer.
//!
//! The text is parsed once; it must be exactly one SELECT. The analyzed query is checked for
//! constructs a TVIEW cannot hold and printed back by PostgreSQL's deparser with every name
//! schema-qualified: that text, not the user's, defines the TVIEW, so a later search_path
//! cannot change what it means.

use std::ffi::CString;

use pgrx::pg_sys;

use crate::errors::TviewError;
use crate::pg::nodes::{cstring, is_a, list_iter, list_len, walk, Visit};
use tviews_core::sqlgen::RESERVED_PREFIX;

/// Parse, analyze, check and deparse a definition; returns the normalized SELECT text.
pub fn normalize_definition(sql: &str) -> Result<String, TviewError> {
    let query = analyze_select(sql)?;
    // SAFETY: the query was just produced by the analyzer.
    unsafe { normalize_query(query) }
}

/// Parse and analyze one SELECT (not rewritten: views stay views), refusing anything else.
pub fn analyze_select(sql: &str) -> Result<*mut pg_sys::Query, TviewError> {
    let c = CString::new(sql).map_err(|_| TviewError::NotASingleSelect {
        found: "a NUL byte".into(),
    })?;
    // SAFETY: raw_parser and parse analysis work on the C string and return palloc'd trees
    // valid for the current memory context; node casts follow tag checks.
    unsafe {
        let stmts = pg_sys::raw_parser(c.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let n = list_len(stmts);
        if n != 1 {
            return Err(TviewError::NotASingleSelect {
                found: format!("{n} statements"),
            });
        }
        let raw = list_iter::<pg_sys::RawStmt>(stmts)
            .next()
            .expect("one statement");
        check_raw((*raw).stmt)?;
        Ok(pg_sys::parse_analyze_fixedparams(
            raw,
            c.as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
        ))
    }
}

/// Check an analyzed SELECT and print it back with qualified names.
///
/// # Safety
/// `query` must be a valid analyzed Query.
pub unsafe fn normalize_query(query: *mut pg_sys::Query) -> Result<String, TviewError> {
    // SAFETY: per contract. The deparser scribbles on the tree it prints (it takes rewrite
    // locks and rebuilds join alias lists in the current memory context), so it prints a copy:
    // the caller's tree may belong to a statement that is still to run. The checks read a
    // copy with grouped columns as their expressions (see `flatten_grouping`).
    unsafe {
        let checked =
            pg_sys::copyObjectImpl(query as *const std::ffi::c_void) as *mut pg_sys::Query;
        flatten_grouping(checked);
        check_query(checked)?;
        check_names(checked, false)?;
        Ok(deparse_query(query))
    }
}

/// Print an analyzed query back with every name outside pg_catalog qualified (a copy: the
/// deparser scribbles on the tree it prints).
///
/// # Safety
/// `query` must be a valid analyzed Query.
pub unsafe fn deparse_query(query: *mut pg_sys::Query) -> String {
    // SAFETY: per contract.
    unsafe {
        let copy = pg_sys::copyObjectImpl(query as *const std::ffi::c_void) as *mut pg_sys::Query;
        deparse_qualified(copy)
    }
}

/// Refuse output columns named with pg_tviews' reserved prefix; `hidden_keys`: except the
/// key columns pg_tviews adds itself (see `super::hidden`), in a definition it stored.
///
/// # Safety
/// `q` must be a valid analyzed Query.
unsafe fn check_names(q: *mut pg_sys::Query, hidden_keys: bool) -> Result<(), TviewError> {
    // SAFETY: per contract.
    unsafe {
        for te in list_iter::<pg_sys::TargetEntry>((*q).targetList) {
            if (*te).resjunk {
                continue;
            }
            let name = cstring((*te).resname).unwrap_or_default();
            if name.starts_with(RESERVED_PREFIX)
                && !(hidden_keys && super::hidden::is_hidden(&name))
            {
                return Err(TviewError::ReservedColumn(name));
            }
        }
        Ok(())
    }
}

/// PostgreSQL 18 adds a range table entry for the grouping step (RTE_GROUP) to every query
/// level with GROUP BY, and the analyzer points the target list's and HAVING's grouped
/// columns at it instead of at the tables. The analysis reads columns back to the tables
/// they come from, as on 16 and 17: replace those references by the grouped expressions
/// again (the planner's own first step, `flatten_group_exprs`), at every level. No-op
/// before 18.
///
/// # Safety
/// `query` must be a valid analyzed Query the caller may modify.
pub unsafe fn flatten_grouping(query: *mut pg_sys::Query) {
    #[cfg(feature = "pg18")]
    // SAFETY: per contract; each Query of the tree is visited before its contents, and its
    // target list and HAVING are replaced by trees flatten_group_exprs builds (it accepts
    // no planner state, as the deparser calls it).
    unsafe {
        walk(query as *mut pg_sys::Node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Query) {
                let q = node as *mut pg_sys::Query;
                if (*q).hasGroupRTE {
                    (*q).targetList = pg_sys::flatten_group_exprs(
                        std::ptr::null_mut(),
                        q,
                        (*q).targetList as *mut pg_sys::Node,
                    ) as *mut pg_sys::List;
                    (*q).havingQual =
                        pg_sys::flatten_group_exprs(std::ptr::null_mut(), q, (*q).havingQual);
                }
            }
            Visit::Descend
        });
    }
    #[cfg(not(feature = "pg18"))]
    let _ = query;
}

/// PostgreSQL's own outer-join reduction (the planner's first pass over joins,
/// `reduce_outer_joins`), for the analysis: a LEFT or RIGHT JOIN whose NULL-extended rows a
/// condition above it always rejects is an inner join (`a LEFT JOIN b ON ... WHERE b.x = 1`;
/// `c LEFT JOIN (a LEFT JOIN b ON b.aid = a.id) ON c.bid = b.id`, where a row without `b`
/// never meets a `c`); a FULL JOIN whose NULL-extended rows of one side (or both) are
/// rejected so is a LEFT or RIGHT JOIN (an inner join). The definition means the same rows
/// either way, so keys, links and
/// uniqueness proofs read it as the inner join it is. The conditions that count are those
/// PostgreSQL proves reject a NULL (`find_nonnullable_rels`: strict operators and functions,
/// `IS NOT NULL`, ...), in `WHERE` or in the `ON` of an inner join above, or in an outer
/// join's `ON` for its own nullable side; a FULL JOIN left one passes nothing down, as the
/// planner does. Columns read through a join's alias count for no table.
///
/// # Safety
/// `query` must be a valid analyzed Query the caller may modify; the result is for analysis
/// (not deparsed as a definition).
pub unsafe fn reduce_outer_joins(query: *mut pg_sys::Query) {
    // SAFETY: per contract; every Query of the tree (subqueries, CTEs, sublinks) is one
    // level, reduced with its own conditions only.
    unsafe {
        walk(query as *mut pg_sys::Node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Query) {
                let q = node as *mut pg_sys::Query;
                if !(*q).jointree.is_null() {
                    let jointree = (*q).jointree as *mut pg_sys::Node;
                    let level = Level {
                        q,
                        relids: base_relids(jointree),
                    };
                    reduce_joins(&level, jointree, std::ptr::null_mut());
                }
            }
            Visit::Descend
        });
    }
}

/// The range table indexes of the tables and subqueries under a join tree node.
unsafe fn base_relids(node: *mut pg_sys::Node) -> *mut pg_sys::Bitmapset {
    // SAFETY: tags checked before each cast.
    unsafe {
        if is_a(node, pg_sys::NodeTag::T_RangeTblRef) {
            pg_sys::bms_make_singleton((*(node as *mut pg_sys::RangeTblRef)).rtindex)
        } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
            let j = node as *mut pg_sys::JoinExpr;
            pg_sys::bms_union(base_relids((*j).larg), base_relids((*j).rarg))
        } else if is_a(node, pg_sys::NodeTag::T_FromExpr) {
            let mut out = std::ptr::null_mut();
            for n in list_iter::<pg_sys::Node>((*(node as *mut pg_sys::FromExpr)).fromlist) {
                out = pg_sys::bms_union(out, base_relids(n));
            }
            out
        } else {
            std::ptr::null_mut()
        }
    }
}

/// One query level being reduced: the query and the tables and subqueries of its join tree.
struct Level {
    q: *mut pg_sys::Query,
    relids: *mut pg_sys::Bitmapset,
}

/// The tables whose rows a condition of `level` rejects when NULL-extended (join aliases
/// left out).
unsafe fn rejects_null_of(level: &Level, quals: *mut pg_sys::Node) -> *mut pg_sys::Bitmapset {
    // SAFETY: quals belongs to the level; the result is intersected with its base relations.
    unsafe { pg_sys::bms_intersect(pg_sys::find_nonnullable_rels(quals), level.relids) }
}

/// One step of [`reduce_outer_joins`]: `above` holds the tables conditions above `node`
/// require to be present (not NULL-extended).
unsafe fn reduce_joins(level: &Level, node: *mut pg_sys::Node, above: *mut pg_sys::Bitmapset) {
    use pg_sys::JoinType::*;
    // SAFETY: tags checked before each cast; all nodes belong to the level.
    unsafe {
        if is_a(node, pg_sys::NodeTag::T_FromExpr) {
            let f = node as *mut pg_sys::FromExpr;
            let pass = pg_sys::bms_union(rejects_null_of(level, (*f).quals), above);
            for n in list_iter::<pg_sys::Node>((*f).fromlist) {
                reduce_joins(level, n, pass);
            }
        } else if is_a(node, pg_sys::NodeTag::T_JoinExpr) {
            let j = node as *mut pg_sys::JoinExpr;
            let (left, right) = (
                pg_sys::bms_overlap(above, base_relids((*j).larg)),
                pg_sys::bms_overlap(above, base_relids((*j).rarg)),
            );
            let reduced = match ((*j).jointype, left, right) {
                (JOIN_LEFT, _, true) | (JOIN_RIGHT, true, _) | (JOIN_FULL, true, true) => {
                    JOIN_INNER
                }
                (JOIN_FULL, true, false) => JOIN_LEFT,
                (JOIN_FULL, false, true) => JOIN_RIGHT,
                (t, _, _) => t,
            };
            if reduced != (*j).jointype {
                (*j).jointype = reduced;
                if (*j).rtindex > 0 {
                    if let Some(rte) = crate::pg::nodes::list_nth::<pg_sys::RangeTblEntry>(
                        (*level.q).rtable,
                        (*j).rtindex as usize - 1,
                    ) {
                        (*rte).jointype = reduced;
                    }
                }
            }
            // An outer join removes no row of its preserved side: its own condition speaks
            // only for the nullable side, and conditions from above (which could not reduce
            // it) only for the preserved one. Nothing passes a FULL JOIN.
            let local = match reduced {
                JOIN_FULL => std::ptr::null_mut(),
                _ => rejects_null_of(level, (*j).quals),
            };
            let (left, right) = match reduced {
                JOIN_INNER => {
                    let both = pg_sys::bms_union(local, above);
                    (both, both)
                }
                JOIN_LEFT => (above, local),
                JOIN_RIGHT => (local, above),
                _ => (std::ptr::null_mut(), std::ptr::null_mut()),
            };
            reduce_joins(level, (*j).larg, left);
            reduce_joins(level, (*j).rarg, right);
        }
    }
}

/// Refuse anything but a plain SELECT at the statement level.
unsafe fn check_raw(stmt: *mut pg_sys::Node) -> Result<(), TviewError> {
    use pg_sys::NodeTag::*;
    // SAFETY: tag checked before the cast.
    unsafe {
        let found = if is_a(stmt, T_SelectStmt) {
            let s = &*(stmt as *mut pg_sys::SelectStmt);
            if !s.intoClause.is_null() {
                "SELECT INTO"
            } else if !s.lockingClause.is_null() {
                "SELECT with FOR UPDATE or FOR SHARE"
            } else {
                return Ok(());
            }
        } else {
            match (*stmt).type_ {
                T_InsertStmt => "an INSERT statement",
                T_UpdateStmt => "an UPDATE statement",
                T_DeleteStmt => "a DELETE statement",
                T_MergeStmt => "a MERGE statement",
                _ => "a statement that is not a SELECT",
            }
        };
        Err(TviewError::NotASingleSelect {
            found: found.into(),
        })
    }
}

fn refused(construct: &str, hint: &str) -> TviewError {
    TviewError::Refused {
        construct: construct.into(),
        hint: hint.into(),
    }
}

/// Refuse constructs whose result no incremental maintenance can follow.
unsafe fn check_query(q: *mut pg_sys::Query) -> Result<(), TviewError> {
    // SAFETY: q is a freshly analyzed Query.
    unsafe {
        let query = &*q;
        if query.hasModifyingCTE {
            return Err(refused(
                "data-modifying statements in WITH",
                "A definition only reads; write to the source tables in separate statements.",
            ));
        }
        if !query.limitCount.is_null() || !query.limitOffset.is_null() {
            return Err(refused(
                "LIMIT or OFFSET at its top level",
                "A TVIEW holds every row of its definition; filter rows with WHERE instead.",
            ));
        }
        if query.hasWindowFuncs {
            return Err(refused(
                "window functions at its top level",
                "A window function makes every row depend on all others; compute it in a correlated subquery per row instead.",
            ));
        }
        if !query.setOperations.is_null() {
            return Err(refused(
                "UNION, INTERSECT or EXCEPT at its top level",
                "Create one TVIEW per branch, or move the set operation into a subquery of a single-root SELECT.",
            ));
        }
        if !query.groupingSets.is_null() {
            return Err(refused(
                "GROUPING SETS, ROLLUP or CUBE at its top level",
                "Their subtotal rows (NULL in the columns rolled up) sum rows of many groups, which no change's keys name. Create one TVIEW per grouping (a plain GROUP BY each).",
            ));
        }
        if query.hasDistinctOn {
            return Err(refused(
                "DISTINCT ON at its top level",
                "Select one row per key with GROUP BY on the key column instead.",
            ));
        }
        if any_level(q, &|level| level.hasForUpdate || !level.rowMarks.is_null()) {
            return Err(refused(
                "FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE or FOR KEY SHARE",
                "Locking rows is what a statement does to the tables it reads, not part of its rows, and a definition only reads: drop the locking clause.",
            ));
        }
        if uses_tablesample(q) {
            return Err(refused(
                "TABLESAMPLE",
                "A sample is a different set of rows each time it is drawn (and REPEATABLE depends on where rows are stored), so no stored row could equal the definition.",
            ));
        }
        if pg_sys::contain_volatile_functions(q as *mut pg_sys::Node) {
            return Err(refused(
                "volatile functions",
                "Functions such as random(), nextval() or clock_timestamp() return something new on every call, so no stored row could equal the definition.",
            ));
        }
        Ok(())
    }
}

/// Check the definition with every helper view expanded (the rewritten `SELECT * FROM
/// <definition view>`): what the user's own SELECT showed is checked again where views hid
/// it, and what only a whole tree shows: aggregates and LIMITs whose result depends on an
/// order nothing fixes, system columns, functions that answer differently per session.
///
/// # Safety
/// `q` must be a valid analyzed and rewritten Query.
pub unsafe fn check_expanded(q: *mut pg_sys::Query) -> Result<(), TviewError> {
    // SAFETY: per contract.
    unsafe {
        check_query(q)?;
        check_names(q, true)?;
        let mut found: Option<TviewError> = None;
        nondeterministic(q, &mut found);
        match found {
            // A row security policy's quals are part of the expanded tree: the construct
            // may be in a policy, not in anything the user wrote.
            Some(TviewError::Refused { construct, hint })
                if any_level(q, &|level| level.hasRowSecurity) =>
            {
                Err(TviewError::Refused {
                    construct,
                    hint: format!(
                        "{hint} A source's row security policies apply to the TVIEW's owner and are part of the definition: it may come from one of them."
                    ),
                })
            }
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Aggregates that collect rows in the order they arrive.
const ORDER_SENSITIVE_AGGREGATES: &[&str] = &[
    "array_agg",
    "jsonb_agg",
    "json_agg",
    "string_agg",
    "xmlagg",
    "jsonb_object_agg",
    "json_object_agg",
    "jsonb_agg_strict",
    "json_agg_strict",
    "jsonb_object_agg_strict",
    "jsonb_object_agg_unique",
    "jsonb_object_agg_unique_strict",
    "json_object_agg_strict",
    "json_object_agg_unique",
    "json_object_agg_unique_strict",
    "any_value",
];

/// Built-in aggregates whose result is one of their input values (or a range whose bounds are
/// taken from them): of values that compare equal but differ, the one they keep depends on
/// the order the rows come in.
const VALUE_PICKING_AGGREGATES: &[&str] = &[
    "min",
    "max",
    "mode",
    "percentile_disc",
    "percentile_cont",
    "range_agg",
    "range_intersect_agg",
];

/// Built-in functions whose result depends on the session that calls them.
const SESSION_FUNCTIONS: &[&str] = &[
    "current_setting",
    "pg_client_encoding",
    "inet_client_addr",
    "inet_client_port",
    "inet_server_addr",
    "inet_server_port",
    "pg_backend_pid",
    "pg_my_temp_schema",
    "pg_trigger_depth",
    "current_schemas",
    "pg_listening_channels",
    "pg_show_all_settings",
    "pg_notification_queue_usage",
    "pg_current_logfile",
    "pg_stat_get_activity",
    // Who logged in (the keywords SESSION_USER and SYSTEM_USER are refused as such too).
    "session_user",
    "system_user",
    "getpgusername",
    "current_user",
    // The session's search_path (maintenance runs with its own).
    "current_schema",
    // The session's prepared statements and cursors, the DDL command it is running.
    "pg_prepared_statement",
    "pg_cursor",
    "pg_event_trigger_ddl_commands",
    "pg_event_trigger_dropped_objects",
    "pg_event_trigger_table_rewrite_oid",
    "pg_event_trigger_table_rewrite_reason",
];

/// Built-in functions that read server state outside any table (the databases of a
/// tablespace, the time zone files, the extensions installed on disk, the server's build,
/// planner statistics), which no write to a source changes.
const SERVER_STATE_FUNCTIONS: &[&str] = &[
    "pg_tablespace_databases",
    "pg_timezone_names",
    "pg_timezone_abbrevs",
    "pg_available_extensions",
    "pg_available_extension_versions",
    "pg_extension_update_paths",
    "pg_config",
    "pg_mcv_list_items",
    "version",
];

/// Built-in aggregates whose result over floating-point input depends on the order of the
/// rows (addition rounds); a trailing `_` matches a family (`regr_`, `covar_`, `stddev_`).
const FLOAT_ORDER_SENSITIVE_AGGREGATES: &[&str] = &[
    "sum", "avg", "stddev", "stddev_", "variance", "var_", "regr_", "covar_", "corr",
];

/// Built-in functions that print or test catalog state (names, comments, privileges,
/// definitions), which renames, COMMENT, GRANT and DDL change without any write to a source.
const CATALOG_FUNCTIONS: &[&str] = &[
    "pg_get_userbyid",
    "obj_description",
    "col_description",
    "shobj_description",
    "format_type",
    "pg_get_viewdef",
    "pg_get_functiondef",
    "pg_get_function_arguments",
    "pg_get_function_identity_arguments",
    "pg_get_function_result",
    "pg_get_constraintdef",
    "pg_get_indexdef",
    "pg_get_triggerdef",
    "pg_get_ruledef",
    "pg_get_statisticsobjdef",
    "pg_get_partkeydef",
    "pg_get_expr",
    "pg_get_serial_sequence",
    "pg_describe_object",
    "pg_identify_object",
    "pg_identify_object_as_address",
    "pg_get_object_address",
    "to_regclass",
    "to_regtype",
    "to_regtypemod",
    "to_regproc",
    "to_regprocedure",
    "to_regoper",
    "to_regoperator",
    "to_regrole",
    "to_regnamespace",
    "to_regcollation",
    "has_table_privilege",
    "has_column_privilege",
    "has_any_column_privilege",
    "has_schema_privilege",
    "has_function_privilege",
    "has_sequence_privilege",
    "has_database_privilege",
    "has_type_privilege",
    "has_language_privilege",
    "has_foreign_data_wrapper_privilege",
    "has_server_privilege",
    "has_tablespace_privilege",
    "has_parameter_privilege",
    "pg_has_role",
    "pg_table_is_visible",
    "pg_type_is_visible",
    "pg_function_is_visible",
    "pg_operator_is_visible",
    "pg_collation_is_visible",
    "pg_relation_filenode",
    "pg_relation_filepath",
    "pg_filenode_relation",
    "pg_tablespace_location",
    "pg_get_function_sqlbody",
    "pg_get_function_arg_default",
    "current_database",
    "ts_debug",
    "ts_token_type",
    "ts_parse",
    "pg_column_is_updatable",
    "pg_collation_for",
    "pg_input_is_valid",
    "pg_input_error_info",
    "pg_partition_root",
    "pg_partition_ancestors",
    "pg_partition_tree",
    "regclass",
    "pg_sequence_parameters",
    "pg_sequence_last_value",
    "pg_column_compression",
    "pg_column_size",
    "pg_column_toast_chunk_id",
    "pg_is_other_temp_schema",
    "row_security_active",
    "pg_conf_load_time",
    "pg_postmaster_start_time",
    "pg_current_snapshot",
    "pg_current_xact_id",
    "pg_current_xact_id_if_assigned",
    "txid_current",
    "txid_current_if_assigned",
    "txid_current_snapshot",
    "acldefault",
    "makeaclitem",
];

/// The families of built-ins that read catalog state, by name: `pg_get_*` (definitions),
/// `*_is_visible`, `has_*_privilege`, `to_reg*`, `pg_relation_*` (storage, updatability),
/// `*_has_property`.
/// Built-in functions that read server state no write to a source changes: the statistics
/// system (`pg_stat_get_*`), transaction ids' age, a table or query's rows given as text
/// (`table_to_xml`, `query_to_xml` and the rest of that family read tables the TVIEW cannot
/// see).
fn reads_server_state(name: &str, func: pg_sys::Oid) -> bool {
    SERVER_STATE_FUNCTIONS.contains(&name)
        || name.starts_with("pg_stat_get_")
        || name.starts_with("pg_stat_have_")
        || name.contains("_to_xml")
        || func == pg_sys::Oid::from(pg_sys::F_AGE_XID)
        || func == pg_sys::Oid::from(pg_sys::F_MXID_AGE)
}

/// Why built-in function `func` (named `name`) may not run in maintenance, if it may not:
/// its result depends on the session, on server state or on the catalogs, none of which a
/// write to a source changes. Read for the functions a definition calls
/// ([`check_query`](self)) and for every function maintenance may run without the
/// definition naming it (`checks::check_functions`: a domain's CHECK, a cast, an operator
/// class).
pub fn builtin_refusal(name: &str, func: pg_sys::Oid) -> Option<&'static str> {
    if SESSION_FUNCTIONS.contains(&name) {
        Some("Its result depends on the session that runs it, and maintenance runs in whichever session writes a source.")
    } else if reads_server_state(name, func) {
        Some("It reads server state (statistics, transaction ids, or tables named in its arguments) that changes without any write to a source, so stored rows would not follow.")
    } else if CATALOG_FUNCTIONS.contains(&name) || reads_catalog_by_name(name) {
        Some("It reads the catalogs (names, comments, privileges, definitions), which renames, COMMENT, GRANT and DDL change without any write to a source, so stored rows would not follow.")
    } else {
        None
    }
}

fn reads_catalog_by_name(name: &str) -> bool {
    name.starts_with("pg_get_")
        || name.ends_with("_is_visible")
        || (name.starts_with("has_") && name.ends_with("_privilege"))
        || name.starts_with("to_reg")
        || name.starts_with("pg_relation_")
        || name.ends_with("_has_property")
}

/// Does a value of type `ty` hold an object identifier (or an ACL entry): one of those
/// types, or a domain, array, range or composite type built on one, at any depth?
fn type_holds_catalog_reference(ty: pg_sys::Oid) -> bool {
    crate::pg::names::contained_types(ty)
        .into_iter()
        .any(crate::pg::names::prints_catalog_names)
}

/// Is `node` a value holding an object identifier (see [`type_holds_catalog_reference`]), or
/// a ROW(...) with one among its fields?
unsafe fn is_catalog_reference(node: *mut pg_sys::Node) -> bool {
    // SAFETY: a valid expression node (caller's contract); tag checked before the cast.
    unsafe {
        type_holds_catalog_reference(pg_sys::exprType(node))
            || (is_a(node, pg_sys::NodeTag::T_RowExpr)
                && list_iter::<pg_sys::Node>((*(node as *mut pg_sys::RowExpr)).args)
                    .any(|a| is_catalog_reference(a)))
    }
}

/// Does `node` turn an object identifier into text, which is the object's current name (a
/// rename changes it without any write to a source)? Passing one to a parameter of its own
/// type (to_tsvector's regconfig, a comparison of two regclass values) uses the OID and is
/// fine, as is a polymorphic function that returns the values (array_agg); a cast to text,
/// an output function, or a parameter of another type (format, ||, jsonb_build_object,
/// to_jsonb, jsonb_agg) prints the name.
unsafe fn prints_catalog_name(node: *mut pg_sys::Node) -> bool {
    use pg_sys::NodeTag::*;
    // SAFETY: tags are checked before casts; nodes come from a valid Query.
    unsafe {
        if is_a(node, T_CoerceViaIO) {
            // Out as a name, or in from one (text::regclass looks the name up).
            let c = &*(node as *mut pg_sys::CoerceViaIO);
            return is_catalog_reference(c.arg as _) || type_holds_catalog_reference(c.resulttype);
        }
        // JSON_OBJECT(...), JSON_ARRAY(...), JSON_SCALAR(...) and the XML constructors print
        // their arguments.
        if is_a(node, T_JsonConstructorExpr) {
            return list_iter::<pg_sys::Node>((*(node as *mut pg_sys::JsonConstructorExpr)).args)
                .any(|a| is_catalog_reference(a));
        }
        if is_a(node, T_XmlExpr) {
            let x = &*(node as *mut pg_sys::XmlExpr);
            return list_iter::<pg_sys::Node>(x.args)
                .chain(list_iter::<pg_sys::Node>(x.named_args))
                .any(|a| is_catalog_reference(a));
        }
        let (func, args): (pg_sys::Oid, Vec<*mut pg_sys::Node>) = if is_a(node, T_FuncExpr) {
            let f = &*(node as *mut pg_sys::FuncExpr);
            (f.funcid, list_iter(f.args).collect())
        } else if is_a(node, T_OpExpr) || is_a(node, T_DistinctExpr) || is_a(node, T_NullIfExpr) {
            let f = &*(node as *mut pg_sys::OpExpr);
            (f.opfuncid, list_iter(f.args).collect())
        } else if is_a(node, T_ScalarArrayOpExpr) {
            let f = &*(node as *mut pg_sys::ScalarArrayOpExpr);
            (f.opfuncid, list_iter(f.args).collect())
        } else if is_a(node, T_WindowFunc) {
            let f = &*(node as *mut pg_sys::WindowFunc);
            (f.winfnoid, list_iter(f.args).collect())
        } else if is_a(node, T_Aggref) {
            let a = &*(node as *mut pg_sys::Aggref);
            let direct = list_iter::<pg_sys::Node>(a.aggdirectargs);
            let aggregated =
                list_iter::<pg_sys::TargetEntry>(a.args).map(|t| (*t).expr as *mut pg_sys::Node);
            (a.aggfnoid, direct.chain(aggregated).collect())
        } else {
            return false;
        };
        if func == pg_sys::InvalidOid || !args.iter().any(|a| is_catalog_reference(*a)) {
            return false;
        }
        let returns = pg_sys::get_func_rettype(func);
        if returns == pg_sys::CSTRINGOID {
            return true;
        }
        const POLYMORPHIC: &[pg_sys::Oid] = &[
            pg_sys::ANYELEMENTOID,
            pg_sys::ANYARRAYOID,
            pg_sys::ANYNONARRAYOID,
            pg_sys::ANYENUMOID,
            pg_sys::ANYRANGEOID,
            pg_sys::ANYMULTIRANGEOID,
            pg_sys::ANYCOMPATIBLEOID,
            pg_sys::ANYCOMPATIBLEARRAYOID,
            pg_sys::ANYCOMPATIBLENONARRAYOID,
            pg_sys::ANYCOMPATIBLERANGEOID,
            pg_sys::ANYCOMPATIBLEMULTIRANGEOID,
        ];
        let mut declared: *mut pg_sys::Oid = std::ptr::null_mut();
        let mut n: std::ffi::c_int = 0;
        pg_sys::get_func_signature(func, &mut declared, &mut n);
        let declared: Vec<pg_sys::Oid> = (0..n.max(0) as usize).map(|i| *declared.add(i)).collect();
        args.iter().enumerate().any(|(i, a)| {
            // Arguments past the declared ones fill the VARIADIC parameter.
            let param = declared.get(i).or(declared.last()).copied();
            // A polymorphic function returning a polymorphic type (array_agg, array_append)
            // carries the OIDs along without printing them.
            let carried =
                param.is_some_and(|p| POLYMORPHIC.contains(&p)) && POLYMORPHIC.contains(&returns);
            // A row, array or domain holding one, taken apart by a function whose result
            // holds none (row_to_json, record_out) and is no comparison: printed.
            let ty = pg_sys::exprType(*a);
            let taken_apart = !crate::pg::names::prints_catalog_names(ty)
                && returns != pg_sys::BOOLOID
                && !type_holds_catalog_reference(returns);
            is_catalog_reference(*a) && ((param != Some(ty) && !carried) || taken_apart)
        })
    }
}

/// The name of `func` when it is a built-in (in `pg_catalog`); `None` for a function of
/// one's own, whatever its name.
pub fn builtin_name(func: pg_sys::Oid) -> Option<String> {
    // SAFETY: syscache lookups; NULL for an unknown OID.
    unsafe {
        if pg_sys::get_func_namespace(func) != pg_sys::PG_CATALOG_NAMESPACE.into() {
            return None;
        }
        cstring(pg_sys::get_func_name(func))
    }
}

/// Why aggregate `fnoid` over `args` gives a result that depends on the order its rows come
/// in, if it does: `ordered` when an ORDER BY (inside the aggregate, or in a window
/// aggregate's window) fixes that order, `distinct` for `agg(DISTINCT ...)`; `window` for an
/// aggregate over a window, whose order is the window's.
///
/// # Safety
/// `args` must be valid expressions.
unsafe fn order_dependent_aggregate(
    fnoid: pg_sys::Oid,
    args: &[*mut pg_sys::Node],
    ordered: bool,
    ordered_set: bool,
    distinct: bool,
    window: bool,
) -> Option<TviewError> {
    // SAFETY: per contract; syscache lookups of an existing function.
    unsafe {
        let builtin_name = builtin_name(fnoid);
        let builtin = builtin_name.is_some();
        let name = builtin_name
            .or_else(|| cstring(pg_sys::get_func_name(fnoid)))
            .unwrap_or_default();
        let (inside, ordering) = match window {
            true => (
                "in its window",
                format!("{name}(x) OVER (PARTITION BY ... ORDER BY t.pk)"),
            ),
            false => ("inside it", format!("{name}(x ORDER BY t.pk)")),
        };
        if let Some(what) = keeps_one_spelling(&name, builtin, args, ordered, ordered_set, distinct)
        {
            let ordering = match name.as_str() {
                "min" | "max" => ordering.clone(),
                _ => "max(x ORDER BY t.pk)".to_string(),
            };
            return Some(refused(
                &format!("{what} over values that can be equal but spelled differently"),
                &format!("{what} keeps one of several values that compare equal but differ (1.5 and 1.50 in a numeric without a scale, 0 and -0, 1 day and 24 hours, text under a nondeterministic collation: DISTINCT keeps the first of each, min and max one of a tie), and which one depends on the order rows arrive in: aggregate a type whose equal values are identical (numeric(p, s), a deterministic collation), give min or max an ORDER BY that orders the rows completely ({ordering}), or count them (count(DISTINCT x) shows no value)."),
            ));
        }
        if ordered || distinct {
            return None;
        }
        // An aggregate of a user's may depend on the order of its rows (its transition
        // function is opaque); floating-point sums round differently in another order.
        let float_input = args.iter().any(|e| {
            let ty = pg_sys::exprType(*e);
            ty == pg_sys::FLOAT4OID || ty == pg_sys::FLOAT8OID
        });
        let float_sensitive = float_input
            && FLOAT_ORDER_SENSITIVE_AGGREGATES
                .iter()
                .any(|p| name == *p || (p.ends_with('_') && name.starts_with(p)));
        if !builtin || float_sensitive {
            return Some(refused(
                &format!("{name} without ORDER BY"),
                &format!("{}, and that order changes with the plan or a write: add ORDER BY {inside}, on columns that order the rows completely ({ordering}).",
                    if builtin { format!("{name} over floating-point values rounds differently when its rows come in another order") } else { "An aggregate of your own may depend on the order its rows come in".to_string() }),
            ));
        }
        if ORDER_SENSITIVE_AGGREGATES.contains(&name.as_str()) {
            return Some(refused(
                &format!("{name} without ORDER BY"),
                &format!("{name} keeps rows in the order they happen to arrive, which another plan or write changes: add ORDER BY {inside}, on columns that order the rows completely ({ordering})."),
            ));
        }
        None
    }
}

/// The first construct in `q` whose result is not determined by the rows alone.
unsafe fn nondeterministic(q: *mut pg_sys::Query, found: &mut Option<TviewError>) {
    // SAFETY: a valid Query (caller's contract); tags are checked before casts; `levels` are
    // the queries enclosing the node, innermost last.
    unsafe {
        walk(q as *mut pg_sys::Node, &mut |node, levels| {
            if prints_catalog_name(node) {
                *found = Some(refused(
                    "catalog names (a regclass, regtype, regproc, regrole, ... value turned into text, or text looked up as one)",
                    "The text of an object identifier is the object's current name, which a rename changes without any write to a source: keep the value itself (its column stores the OID), compare it, or read names from a table of your own.",
                ));
                return Visit::Stop;
            }
            if is_a(node, pg_sys::NodeTag::T_Aggref) {
                let a = &*(node as *mut pg_sys::Aggref);
                let args: Vec<*mut pg_sys::Node> = list_iter::<pg_sys::TargetEntry>(a.args)
                    .map(|t| (*t).expr as *mut pg_sys::Node)
                    .collect();
                let ordered = !a.aggorder.is_null();
                // Ordered by the aggregated values alone, values that are equal but spelled
                // differently tie, and keep the order they came in.
                let sort_keys: Vec<*mut pg_sys::TargetEntry> =
                    list_iter::<pg_sys::SortGroupClause>(a.aggorder)
                        .filter_map(|c| {
                            list_iter::<pg_sys::TargetEntry>(a.args)
                                .find(|te| (**te).ressortgroupref == (*c).tleSortGroupRef)
                        })
                        .collect();
                // Ordered by what the aggregated values show: every sort key is one of the
                // aggregated values, or reads only columns they read (`x COLLATE ci`,
                // `jsonb_build_object('n', x) ORDER BY x`).
                let shown: Vec<(i32, i16, u32)> = list_iter::<pg_sys::TargetEntry>(a.args)
                    .filter(|te| !(**te).resjunk)
                    .flat_map(|te| columns_read((*te).expr as *mut pg_sys::Node))
                    .collect();
                let by_values = ordered
                    && sort_keys.iter().all(|te| {
                        let read = columns_read((**te).expr as *mut pg_sys::Node);
                        !(**te).resjunk
                            || (!read.is_empty() && read.iter().all(|c| shown.contains(c)))
                    });
                let spelled = |te: &*mut pg_sys::TargetEntry| {
                    let e = (**te).expr as *mut pg_sys::Node;
                    !equal_means_identical(
                        pg_sys::exprType(e),
                        pg_sys::exprTypmod(e),
                        pg_sys::exprCollation(e),
                    )
                };
                if by_values
                    && a.aggkind == b'n' as std::ffi::c_char
                    && sort_keys.iter().any(spelled)
                {
                    let name = cstring(pg_sys::get_func_name(a.aggfnoid)).unwrap_or_default();
                    *found = Some(refused(
                        &format!("{name}(x ORDER BY x) over values that can be equal but spelled differently"),
                        &format!("Ordering by the aggregated values alone leaves values that compare equal but differ (1.5 and 1.50 in a numeric without a scale, 0 and -0, 1 day and 24 hours) in the order they happen to arrive: end the ORDER BY with the table's key ({name}(x ORDER BY x, t.pk))."),
                    ));
                    return Visit::Stop;
                }
                if let Some(e) = order_dependent_aggregate(
                    a.aggfnoid,
                    &args,
                    ordered,
                    a.aggkind == b'o' as std::ffi::c_char,
                    !a.aggdistinct.is_null(),
                    false,
                ) {
                    *found = Some(e);
                    return Visit::Stop;
                }
            } else if is_a(node, pg_sys::NodeTag::T_FuncExpr) {
                let f = &*(node as *mut pg_sys::FuncExpr);
                if let Some(name) = builtin_name(f.funcid) {
                    if let Some(why) = builtin_refusal(&name, f.funcid) {
                        *found = Some(refused(&format!("{name}()"), why));
                        return Visit::Stop;
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_SQLValueFunction) {
                // A keyword standing for a function: that function's rule.
                let f = &*(node as *mut pg_sys::SQLValueFunction);
                if let Some((keyword, func)) = crate::pg::nodes::keyword_function(f.op) {
                    let name = builtin_name(func).unwrap_or_default();
                    if let Some(why) = builtin_refusal(&name, func) {
                        *found = Some(refused(keyword, why));
                        return Visit::Stop;
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_Var) {
                let v = &*(node as *mut pg_sys::Var);
                if v.varattno < 0
                    && v.varattno != pg_sys::TableOidAttributeNumber as pg_sys::AttrNumber
                {
                    *found = Some(refused(
                        "system columns (ctid, xmin, xmax, cmin, cmax)",
                        "They change without any write to the row (VACUUM FULL, CLUSTER, any update), so no stored row could follow them.",
                    ));
                    return Visit::Stop;
                }
            } else if is_a(node, pg_sys::NodeTag::T_SubLink) {
                let l = &*(node as *mut pg_sys::SubLink);
                if l.subLinkType == pg_sys::SubLinkType::ARRAY_SUBLINK
                    && is_a(l.subselect, pg_sys::NodeTag::T_Query)
                    && (*(l.subselect as *mut pg_sys::Query)).sortClause.is_null()
                {
                    *found = Some(refused(
                        "ARRAY(SELECT ...) without ORDER BY",
                        "The array keeps rows in the order they happen to arrive, which another plan or write changes: add ORDER BY, on columns that order the rows completely.",
                    ));
                    return Visit::Stop;
                }
            } else if is_a(node, pg_sys::NodeTag::T_WindowFunc) {
                let f = &*(node as *mut pg_sys::WindowFunc);
                let level = levels.last().copied();
                let ordered = level.is_some_and(|q| {
                    list_iter::<pg_sys::WindowClause>((*q).windowClause)
                        .find(|c| (**c).winref == f.winref)
                        .is_some_and(|c| !(*c).orderClause.is_null())
                });
                if !f.winagg && !ordered {
                    *found = Some(refused(
                        "a window function without ORDER BY in its window",
                        "Without ORDER BY the rows of a window come in the order they happen to arrive: order them completely (OVER (ORDER BY ..., t.pk)).",
                    ));
                    return Visit::Stop;
                }
                // An aggregate over a window meets its rows in the window's order, or in
                // whatever order they arrive: the same rules as inside a query.
                let args: Vec<*mut pg_sys::Node> = list_iter::<pg_sys::Node>(f.args).collect();
                if f.winagg {
                    if let Some(e) =
                        order_dependent_aggregate(f.winfnoid, &args, ordered, false, false, true)
                    {
                        *found = Some(e);
                        return Visit::Stop;
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_Query) {
                let sub = &*(node as *mut pg_sys::Query);
                match shows_grouped_spelling(node as *mut pg_sys::Query) {
                    Ok(None) => {}
                    Ok(Some(column)) => {
                        *found = Some(refused(
                            &format!("GROUP BY, DISTINCT, INTERSECT, EXCEPT or UNION without ALL on \"{column}\", whose equal values can be spelled differently, shown"),
                            "Values that compare equal but differ (text under a nondeterministic collation, 1.0 and 1.00 in a numeric without a scale, 0 and -0, 1 day and 24 hours, jsonb) are one group, and the group shows the spelling of whichever row comes first, which another plan or write changes: group by a type whose equal values are identical (a deterministic collation, numeric(p, s)), group by the table's primary key too (a group is then one row of that table, whose spelling it shows), or show the column only inside aggregates.",
                        ));
                        return Visit::Stop;
                    }
                    Err(e) => {
                        *found = Some(e);
                        return Visit::Stop;
                    }
                }
                if sub.hasDistinctOn && list_len(sub.sortClause) <= list_len(sub.distinctClause) {
                    *found = Some(refused(
                        "DISTINCT ON without an ORDER BY that picks the row",
                        "DISTINCT ON keeps the first row of each group in ORDER BY order: add ORDER BY columns after the DISTINCT ON ones that order each group completely.",
                    ));
                    return Visit::Stop;
                }
                if (!sub.limitCount.is_null() || !sub.limitOffset.is_null())
                    && sub.sortClause.is_null()
                {
                    *found = Some(refused(
                        "LIMIT or OFFSET without ORDER BY in a subquery",
                        "Which rows a LIMIT keeps without ORDER BY depends on the plan: order them completely (ORDER BY ..., t.pk).",
                    ));
                    return Visit::Stop;
                }
            }
            Visit::Descend
        });
    }
}

/// The name of a GROUP BY or DISTINCT column of `q` whose equal values need not be identical
/// (see [`equal_means_identical`]) and that the level shows: a DISTINCT column, or a
/// grouping column read by an output column outside aggregates (as it is, or in an
/// expression: `to_jsonb(x)`, `x::text`). The columns of a table whose primary key (or
/// another NOT NULL unique set) is among the grouping columns, that key's own included, come
/// from one row (see [`super::unique::grouping_from_one_row`]).
///
/// # Safety
/// `q` must be a valid analyzed Query.
unsafe fn shows_grouped_spelling(q: *mut pg_sys::Query) -> Result<Option<String>, TviewError> {
    let image = |expr: *mut pg_sys::Node| {
        // SAFETY: expressions of a valid query.
        unsafe {
            equal_means_identical(
                pg_sys::exprType(expr),
                pg_sys::exprTypmod(expr),
                pg_sys::exprCollation(expr),
            )
        }
    };
    let name = |te: *mut pg_sys::TargetEntry| {
        // SAFETY: a target entry of a valid query.
        unsafe { cstring((*te).resname) }.unwrap_or_else(|| "?column?".into())
    };
    // SAFETY: per contract; lists of SortGroupClause and TargetEntry nodes.
    unsafe {
        let entry = |c: *mut pg_sys::SortGroupClause| {
            list_iter::<pg_sys::TargetEntry>((*q).targetList)
                .find(|te| (**te).ressortgroupref == (*c).tleSortGroupRef)
        };
        // A set operation other than UNION ALL matches rows up as DISTINCT does, and shows
        // one spelling of equal rows (INTERSECT ALL and EXCEPT ALL too: the copies they keep
        // are some of a group's rows).
        if !(*q).setOperations.is_null() && set_operation_matches_rows((*q).setOperations) {
            for te in list_iter::<pg_sys::TargetEntry>((*q).targetList) {
                if !(*te).resjunk && !image((*te).expr as *mut pg_sys::Node) {
                    return Ok(Some(name(te)));
                }
            }
        }
        // DISTINCT ON keeps a row chosen by its ORDER BY (checked elsewhere), not any row.
        if !(*q).hasDistinctOn {
            for c in list_iter::<pg_sys::SortGroupClause>((*q).distinctClause) {
                if let Some(te) = entry(c) {
                    if !(*te).resjunk && !image((*te).expr as *mut pg_sys::Node) {
                        return Ok(Some(name(te)));
                    }
                }
            }
        }
        if (*q).groupClause.is_null() {
            return Ok(None);
        }
        let mut exposed: Vec<(u32, *mut pg_sys::Node)> = Vec::new();
        let mut exposed_entry: Option<*mut pg_sys::TargetEntry> = None;
        for c in list_iter::<pg_sys::SortGroupClause>((*q).groupClause) {
            let Some(te) = entry(c) else { continue };
            let expr = (*te).expr as *mut pg_sys::Node;
            if !image(expr) {
                exposed.push(((*te).resno as u32, expr));
                exposed_entry.get_or_insert(te);
            }
        }
        if exposed.is_empty() {
            return Ok(None);
        }
        // Only now the catalog reads of the grouped tables' unique sets.
        let one_row = super::unique::grouping_from_one_row(q)?;
        let exposed: Vec<*mut pg_sys::Node> = exposed
            .into_iter()
            .filter(|(resno, _)| !one_row.contains(resno))
            .map(|(_, expr)| expr)
            .collect();
        if exposed.is_empty() {
            return Ok(None);
        }
        let shows = |expr: *mut pg_sys::Node| {
            let mut shown = false;
            walk(expr, &mut |node, _| {
                // Inside an aggregate the group's rows are read, not its one value.
                if is_a(node, pg_sys::NodeTag::T_Aggref) {
                    return Visit::Skip;
                }
                // A subquery reading this level's columns may show a grouped one (its Vars
                // point a level up, so they are not equal to the grouped expression).
                if is_a(node, pg_sys::NodeTag::T_SubLink)
                    && pg_sys::contain_vars_of_level((*(node as *mut pg_sys::SubLink)).subselect, 1)
                {
                    shown = true;
                    return Visit::Stop;
                }
                if exposed
                    .iter()
                    .any(|expr| pg_sys::equal(node as *const _, *expr as *const _))
                {
                    shown = true;
                    return Visit::Stop;
                }
                Visit::Descend
            });
            shown
        };
        for te in list_iter::<pg_sys::TargetEntry>((*q).targetList) {
            if !(*te).resjunk && shows((*te).expr as *mut pg_sys::Node) {
                return Ok(Some(name(te)));
            }
        }
        // HAVING decides which groups are kept from the group's one value too
        // (`HAVING scale(x) + 0 * count(*) = 1`).
        if !(*q).havingQual.is_null() && shows((*q).havingQual) {
            // A grouped column not in the select list has no name there: its table's.
            let column = exposed_entry.and_then(|te| {
                let expr = (*te).expr as *mut pg_sys::Node;
                if !(*te).resjunk || !is_a(expr, pg_sys::NodeTag::T_Var) {
                    return Some(name(te));
                }
                let var = &*(expr as *mut pg_sys::Var);
                let rte = list_iter::<pg_sys::RangeTblEntry>((*q).rtable)
                    .nth((var.varno as usize).checked_sub(1)?)?;
                if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION {
                    return None;
                }
                crate::pg::names::attribute_name((*rte).relid, var.varattno)
            });
            return Ok(Some(column.unwrap_or_else(|| "?column?".into())));
        }
    }
    Ok(None)
}

/// Does the set operation tree `node` (of a query's `setOperations`) match rows up: a
/// UNION without ALL, or any INTERSECT or EXCEPT?
///
/// # Safety
/// `node` must be a valid set operation tree.
unsafe fn set_operation_matches_rows(node: *mut pg_sys::Node) -> bool {
    // SAFETY: per contract; tags are checked before casts.
    unsafe {
        if !is_a(node, pg_sys::NodeTag::T_SetOperationStmt) {
            return false;
        }
        let op = &*(node as *mut pg_sys::SetOperationStmt);
        (op.op != pg_sys::SetOperation::SETOP_UNION || !op.all)
            || set_operation_matches_rows(op.larg)
            || set_operation_matches_rows(op.rarg)
    }
}

/// The columns expression `node` reads at its own level, as (range table index, column
/// number, levels up): the columns of enclosing queries it reads count, a subquery's own do
/// not.
///
/// # Safety
/// `node` must be a valid analyzed expression.
unsafe fn columns_read(node: *mut pg_sys::Node) -> Vec<(i32, i16, u32)> {
    let mut out = Vec::new();
    // SAFETY: per contract; the tag is checked before the cast.
    unsafe {
        walk(node, &mut |n, levels| {
            if is_a(n, pg_sys::NodeTag::T_Var) {
                let v = &*(n as *mut pg_sys::Var);
                let depth = levels.len() as u32;
                if v.varlevelsup >= depth {
                    out.push((v.varno, v.varattno, v.varlevelsup - depth));
                }
            }
            Visit::Descend
        });
    }
    out
}

/// For an aggregate `name` over `args` that keeps one of several equal values: what to call
/// it in the error. DISTINCT inside an aggregate (other than count) keeps the first of each
/// set of equal values; min, max and the others of [`VALUE_PICKING_AGGREGATES`] keep one of
/// a tie (`a` and `A` under a nondeterministic collation, `1.0` and `1.00` in a numeric
/// without a scale, `0` and `-0`), unless `ordered` (and not an `ordered_set` aggregate,
/// whose ORDER BY is the value itself).
///
/// # Safety
/// `args` must be valid expressions.
unsafe fn keeps_one_spelling(
    name: &str,
    builtin: bool,
    args: &[*mut pg_sys::Node],
    ordered: bool,
    ordered_set: bool,
    distinct: bool,
) -> Option<String> {
    // SAFETY: per contract; catalog lookups of existing types and collations.
    unsafe {
        let not_image = |e: &*mut pg_sys::Node| {
            !equal_means_identical(
                pg_sys::exprType(*e),
                pg_sys::exprTypmod(*e),
                pg_sys::exprCollation(*e),
            )
        };
        let shows_values = !(builtin && name == "count");
        if distinct && shows_values && args.iter().any(not_image) {
            return Some(format!("{name}(DISTINCT ...)"));
        }
        // These return one of their input values, or bounds taken from them: of values that
        // tie (max(1.5, 1.50)), whichever came first or last, unless ORDER BY inside fixes
        // the order they come in. An ordered-set aggregate's ORDER BY (mode() WITHIN GROUP
        // (ORDER BY x)) sorts by the value itself and leaves ties as they came.
        if builtin
            && VALUE_PICKING_AGGREGATES.contains(&name)
            && (!ordered || ordered_set)
            && args.iter().any(not_image)
        {
            return Some(name.to_string());
        }
        None
    }
}

/// The B-tree "equal image" support function's number (`BTEQUALIMAGE_PROC`, nbtree.h).
const BTEQUALIMAGE_PROC: i16 = 4;

/// Are two values of `typ` (with `typmod`, under `collation`) that its default btree equality
/// finds equal always identical? What B-tree deduplication asks of a type: its operator
/// class's "equal image" support function (true for integers, dates, timestamps, uuid, enums,
/// text under a deterministic collation, ...; none for float, interval, jsonb). A numeric with
/// a declared scale qualifies: every value carries that scale; a `bpchar` without a length
/// does not (`'a'` equals `'a  '`), although its operator class says so for `char(n)`, whose
/// values are all padded to `n`. An array, a range or a named composite type qualifies when
/// its elements, bounds or fields do (their own operator classes say nothing).
pub fn equal_means_identical(typ: pg_sys::Oid, typmod: i32, collation: pg_sys::Oid) -> bool {
    // SAFETY: type cache and catalog lookups of an existing type; the support function is
    // called with its documented argument (the operator class's input type).
    unsafe {
        // A domain over numeric(p, s) carries the scale in the domain.
        let mut domain_typmod = -1;
        let base = pg_sys::getBaseTypeAndTypmod(typ, &mut domain_typmod);
        let typmod = if typmod >= 0 { typmod } else { domain_typmod };
        if base == pg_sys::NUMERICOID && typmod >= 0 {
            return true;
        }
        if base == pg_sys::BPCHAROID && typmod < 0 {
            return false;
        }
        // An array column's type modifier is its elements'.
        let element = pg_sys::get_element_type(base);
        if element != pg_sys::InvalidOid {
            return equal_means_identical(element, typmod, collation);
        }
        let multirange = pg_sys::get_multirange_range(base);
        let range = if multirange != pg_sys::InvalidOid {
            multirange
        } else {
            base
        };
        let subtype = pg_sys::get_range_subtype(range);
        if subtype != pg_sys::InvalidOid {
            return equal_means_identical(subtype, -1, pg_sys::get_range_collation(range));
        }
        // A row of a named composite type: equal when each field is (an anonymous record's
        // fields are not known from its type).
        if base != pg_sys::RECORDOID && pg_sys::type_is_rowtype(base) {
            let desc = pg_sys::lookup_rowtype_tupdesc(base, -1);
            let attrs = crate::pg::tupdesc::attributes(desc);
            let identical = attrs
                .iter()
                .filter(|a| !a.attisdropped)
                .all(|a| equal_means_identical(a.atttypid, a.atttypmod, a.attcollation));
            pg_sys::DecrTupleDescRefCount(desc);
            return identical;
        }
        let tce = pg_sys::lookup_type_cache(typ, pg_sys::TYPECACHE_BTREE_OPFAMILY as i32);
        if tce.is_null() || (*tce).btree_opf == pg_sys::InvalidOid {
            return false;
        }
        let input = (*tce).btree_opintype;
        let proc = pg_sys::get_opfamily_proc((*tce).btree_opf, input, input, BTEQUALIMAGE_PROC);
        if proc == pg_sys::InvalidOid {
            return false;
        }
        pg_sys::OidFunctionCall1Coll(proc, collation, pg_sys::Datum::from(input)).value() != 0
    }
}

/// Does any level of the query (subqueries and CTEs included) pass `test`?
unsafe fn any_level(q: *mut pg_sys::Query, test: &dyn Fn(&pg_sys::Query) -> bool) -> bool {
    // SAFETY: a valid Query (caller's contract); the walk visits every query level.
    unsafe {
        walk(q as *mut pg_sys::Node, &mut |node, _| {
            if is_a(node, pg_sys::NodeTag::T_Query) && test(&*(node as *mut pg_sys::Query)) {
                Visit::Stop
            } else {
                Visit::Descend
            }
        })
    }
}

/// Does any level of the query read a table with TABLESAMPLE?
unsafe fn uses_tablesample(q: *mut pg_sys::Query) -> bool {
    // SAFETY: a valid Query (caller's contract); each level's range table is read.
    unsafe {
        any_level(q, &|level| {
            list_iter::<pg_sys::RangeTblEntry>(level.rtable)
                .any(|rte| !(*rte).tablesample.is_null())
        })
    }
}

/// Deparse with `search_path` reduced to pg_catalog, so every other name is qualified.
unsafe fn deparse_qualified(q: *mut pg_sys::Query) -> String {
    // SAFETY: q is a valid Query (caller's contract).
    crate::pg::context::with_catalog_search_path(|| unsafe {
        cstring(pg_sys::pg_get_querydef(q, true)).unwrap_or_default()
    })
}

/// Deparse an expression whose Vars all have varno 1, naming that relation (`relid`) `alias`,
/// with every name outside pg_catalog qualified.
///
/// # Safety
/// `node` must be a valid expression tree whose Vars reference `relid` as varno 1.
pub unsafe fn deparse_expression_over(
    node: *mut pg_sys::Node,
    relid: pg_sys::Oid,
    alias: &str,
) -> String {
    let alias = CString::new(alias).expect("no NUL in an alias");
    crate::pg::context::with_catalog_search_path(|| {
        // SAFETY: per contract; the context describes the one relation the Vars reference.
        unsafe {
            let ctx = pg_sys::deparse_context_for(alias.as_ptr(), relid);
            cstring(pg_sys::deparse_expression(node, ctx, true, false)).unwrap_or_default()
        }
    })
}

/// The analyzed and rewritten query of `SELECT * FROM <view>`: the definition with every
/// view it reads expanded, ready for [`super::model::extract`].
pub fn rewritten_view_query(
    view_schema: &str,
    view_name: &str,
) -> Result<*mut pg_sys::Query, TviewError> {
    let sql = format!(
        "SELECT * FROM {}",
        tviews_core::sqlgen::qualified(view_schema, view_name)
    );
    let c = CString::new(sql).map_err(|_| TviewError::Internal("NUL in a name".into()))?;
    // SAFETY: as in normalize_definition; the rewriter returns one Query for a SELECT.
    unsafe {
        let stmts = pg_sys::raw_parser(c.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let raw = list_iter::<pg_sys::RawStmt>(stmts)
            .next()
            .ok_or(TviewError::Internal("empty parse".into()))?;
        let queries = pg_sys::pg_analyze_and_rewrite_fixedparams(
            raw,
            c.as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
        );
        let query = list_iter::<pg_sys::Query>(queries)
            .next()
            .ok_or(TviewError::Internal(
                "the rewriter returned no query".into(),
            ))?;
        flatten_grouping(query);
        reduce_outer_joins(query);
        Ok(query)
    }
}
