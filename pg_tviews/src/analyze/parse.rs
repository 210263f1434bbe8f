//! The user's SELECT, through PostgreSQL's own parser and analyzer.
//!
//! The text is parsed once; it must be exactly one SELECT. The analyzed query is checked for
//! constructs a TVIEW cannot hold and printed back by PostgreSQL's deparser with every name
//! schema-qualified: that text, not the user's, defines the TVIEW, so a later search_path
//! cannot change what it means.

use std::ffi::CString;

use pgrx::pg_sys;

use crate::errors::TviewError;
use crate::pg::nodes::{cstring, is_a, list_iter, list_len};
use tviews_core::sqlgen::RESERVED_PREFIX;

/// Parse, analyze, check and deparse a definition; returns the normalized SELECT text.
pub fn normalize_definition(sql: &str) -> Result<String, TviewError> {
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
        let query = pg_sys::parse_analyze_fixedparams(
            raw,
            c.as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
        );
        normalize_query(query)
    }
}

/// Check an analyzed SELECT and print it back with qualified names.
///
/// # Safety
/// `query` must be a valid analyzed Query.
pub unsafe fn normalize_query(query: *mut pg_sys::Query) -> Result<String, TviewError> {
    // SAFETY: per contract. The deparser scribbles on the tree it prints (it takes rewrite
    // locks and rebuilds join alias lists in the current memory context), so it prints a copy:
    // the caller's tree may belong to a statement that is still to run.
    unsafe {
        check_query(query)?;
        let copy = pg_sys::copyObjectImpl(query as *const std::ffi::c_void) as *mut pg_sys::Query;
        Ok(deparse_qualified(copy))
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
        if query.hasDistinctOn {
            return Err(refused(
                "DISTINCT ON at its top level",
                "Select one row per key with GROUP BY on the key column instead.",
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
        for te in list_iter::<pg_sys::TargetEntry>(query.targetList) {
            if (*te).resjunk {
                continue;
            }
            let name = cstring((*te).resname).unwrap_or_default();
            if name.starts_with(RESERVED_PREFIX) {
                return Err(TviewError::ReservedColumn(name));
            }
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
        let mut found: Option<TviewError> = None;
        nondeterministic(q, &mut found);
        match found {
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
];

/// The object identifier types, whose values print as the catalog names of the objects.
const NAME_PRINTING_TYPES: &[pg_sys::Oid] = &[
    pg_sys::REGPROCOID,
    pg_sys::REGPROCEDUREOID,
    pg_sys::REGOPEROID,
    pg_sys::REGOPERATOROID,
    pg_sys::REGCLASSOID,
    pg_sys::REGTYPEOID,
    pg_sys::REGCOLLATIONOID,
    pg_sys::REGCONFIGOID,
    pg_sys::REGDICTIONARYOID,
    pg_sys::REGNAMESPACEOID,
    pg_sys::REGROLEOID,
];

/// Is `node` a value of an object identifier type, or an array of them?
unsafe fn is_catalog_reference(node: *mut pg_sys::Node) -> bool {
    // SAFETY: a valid expression node (caller's contract).
    unsafe {
        let ty = pg_sys::exprType(node);
        NAME_PRINTING_TYPES.contains(&ty)
            || NAME_PRINTING_TYPES.contains(&pg_sys::get_element_type(ty))
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
            return is_catalog_reference((*(node as *mut pg_sys::CoerceViaIO)).arg as _);
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
            is_catalog_reference(*a) && param != Some(pg_sys::exprType(*a)) && !carried
        })
    }
}

/// The first construct in `q` whose result is not determined by the rows alone.
unsafe fn nondeterministic(q: *mut pg_sys::Query, found: &mut Option<TviewError>) {
    struct Walk<'a> {
        found: &'a mut Option<TviewError>,
        /// The queries enclosing the node, innermost last.
        levels: Vec<*mut pg_sys::Query>,
    }
    fn builtin_name(func: pg_sys::Oid) -> Option<String> {
        // SAFETY: syscache lookups of an existing function.
        unsafe {
            if pg_sys::get_func_namespace(func) != pg_sys::PG_CATALOG_NAMESPACE.into() {
                return None;
            }
            cstring(pg_sys::get_func_name(func))
        }
    }
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn walker(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: ctx is the Walk below; tags are checked before casts.
        unsafe {
            let w = &mut *(ctx as *mut Walk);
            if w.found.is_some() {
                return true;
            }
            if prints_catalog_name(node) {
                *w.found = Some(refused(
                    "catalog names (a regclass, regtype, regproc, regrole, ... value turned into text)",
                    "The text of an object identifier is the object's current name, which a rename changes without any write to a source: keep the value itself (its column stores the OID), compare it, or read names from a table of your own.",
                ));
                return true;
            }
            if is_a(node, pg_sys::NodeTag::T_Aggref) {
                let a = &*(node as *mut pg_sys::Aggref);
                if a.aggorder.is_null() && a.aggdistinct.is_null() {
                    if let Some(name) = builtin_name(a.aggfnoid) {
                        if ORDER_SENSITIVE_AGGREGATES.contains(&name.as_str()) {
                            *w.found = Some(refused(
                                &format!("{name} without ORDER BY"),
                                &format!("{name} keeps rows in the order they happen to arrive, which another plan or write changes: add ORDER BY inside it, on columns that order the rows completely ({name}(x ORDER BY t.pk))."),
                            ));
                            return true;
                        }
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_FuncExpr) {
                let f = &*(node as *mut pg_sys::FuncExpr);
                if let Some(name) = builtin_name(f.funcid) {
                    if SESSION_FUNCTIONS.contains(&name.as_str()) {
                        *w.found = Some(refused(
                            &format!("{name}()"),
                            "Its result depends on the session that runs it, and maintenance runs in whichever session writes a source.",
                        ));
                        return true;
                    }
                    if CATALOG_FUNCTIONS.contains(&name.as_str()) {
                        *w.found = Some(refused(
                            &format!("{name}()"),
                            "It reads the catalogs (names, comments, privileges, definitions), which renames, COMMENT, GRANT and DDL change without any write to a source, so stored rows would not follow.",
                        ));
                        return true;
                    }
                }
            } else if is_a(node, pg_sys::NodeTag::T_SQLValueFunction) {
                let f = &*(node as *mut pg_sys::SQLValueFunction);
                if f.op == pg_sys::SQLValueFunctionOp::SVFOP_SESSION_USER {
                    *w.found = Some(refused(
                        "SESSION_USER",
                        "It names whoever writes a source, a different role in every session; CURRENT_USER is the TVIEW's owner during maintenance.",
                    ));
                    return true;
                }
            } else if is_a(node, pg_sys::NodeTag::T_Var) {
                let v = &*(node as *mut pg_sys::Var);
                if v.varattno < 0
                    && v.varattno != pg_sys::TableOidAttributeNumber as pg_sys::AttrNumber
                {
                    *w.found = Some(refused(
                        "system columns (ctid, xmin, xmax, cmin, cmax)",
                        "They change without any write to the row (VACUUM FULL, CLUSTER, any update), so no stored row could follow them.",
                    ));
                    return true;
                }
            } else if is_a(node, pg_sys::NodeTag::T_SubLink) {
                let l = &*(node as *mut pg_sys::SubLink);
                if l.subLinkType == pg_sys::SubLinkType::ARRAY_SUBLINK
                    && is_a(l.subselect, pg_sys::NodeTag::T_Query)
                    && (*(l.subselect as *mut pg_sys::Query)).sortClause.is_null()
                {
                    *w.found = Some(refused(
                        "ARRAY(SELECT ...) without ORDER BY",
                        "The array keeps rows in the order they happen to arrive, which another plan or write changes: add ORDER BY, on columns that order the rows completely.",
                    ));
                    return true;
                }
            } else if is_a(node, pg_sys::NodeTag::T_WindowFunc) {
                let f = &*(node as *mut pg_sys::WindowFunc);
                let level = w.levels.last().copied();
                let ordered = level.is_some_and(|q| {
                    list_iter::<pg_sys::WindowClause>((*q).windowClause)
                        .find(|c| (**c).winref == f.winref)
                        .is_some_and(|c| !(*c).orderClause.is_null())
                });
                if !f.winagg && !ordered {
                    *w.found = Some(refused(
                        "a window function without ORDER BY in its window",
                        "Without ORDER BY the rows of a window come in the order they happen to arrive: order them completely (OVER (ORDER BY ..., t.pk)).",
                    ));
                    return true;
                }
            } else if is_a(node, pg_sys::NodeTag::T_Query) {
                let sub = &*(node as *mut pg_sys::Query);
                if sub.hasDistinctOn && list_len(sub.sortClause) <= list_len(sub.distinctClause) {
                    *w.found = Some(refused(
                        "DISTINCT ON without an ORDER BY that picks the row",
                        "DISTINCT ON keeps the first row of each group in ORDER BY order: add ORDER BY columns after the DISTINCT ON ones that order each group completely.",
                    ));
                    return true;
                }
                if (!sub.limitCount.is_null() || !sub.limitOffset.is_null())
                    && sub.sortClause.is_null()
                {
                    *w.found = Some(refused(
                        "LIMIT or OFFSET without ORDER BY in a subquery",
                        "Which rows a LIMIT keeps without ORDER BY depends on the plan: order them completely (ORDER BY ..., t.pk).",
                    ));
                    return true;
                }
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
        found,
        levels: Vec::new(),
    };
    // SAFETY: a valid Query (caller's contract).
    unsafe {
        walker(
            q as *mut pg_sys::Node,
            &mut w as *mut Walk as *mut std::ffi::c_void,
        )
    };
}

/// Does any level of the query (subqueries and CTEs included) read a table with TABLESAMPLE?
unsafe fn uses_tablesample(q: *mut pg_sys::Query) -> bool {
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn walker(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: tags are checked before casts; the walkers only read the tree.
        unsafe {
            if is_a(node, pg_sys::NodeTag::T_RangeTblEntry) {
                return !(*(node as *mut pg_sys::RangeTblEntry))
                    .tablesample
                    .is_null();
            }
            if is_a(node, pg_sys::NodeTag::T_Query) {
                return pg_sys::query_tree_walker_impl(
                    node as *mut pg_sys::Query,
                    Some(walker),
                    ctx,
                    pg_sys::QTW_EXAMINE_RTES_BEFORE as i32,
                );
            }
            pg_sys::expression_tree_walker_impl(node, Some(walker), ctx)
        }
    }
    // SAFETY: a valid Query (caller's contract).
    unsafe { walker(q as *mut pg_sys::Node, std::ptr::null_mut()) }
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
        list_iter::<pg_sys::Query>(queries)
            .next()
            .ok_or(TviewError::Internal(
                "the rewriter returned no query".into(),
            ))
    }
}
