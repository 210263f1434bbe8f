//! Parse-tree access: lists, node tags, strings.

use pgrx::pg_sys;
use std::ffi::CStr;

/// The pointer elements of a `List` (NIL is empty).
///
/// # Safety
/// `list` must be NIL or a valid pointer list whose elements are `*mut T`, alive while the
/// iterator is used.
pub unsafe fn list_iter<T>(list: *mut pg_sys::List) -> impl Iterator<Item = *mut T> {
    // SAFETY: per the contract, list is NIL or valid; we read `length` cells of `elements`.
    let len = if list.is_null() {
        0
    } else {
        unsafe { (*list).length as usize }
    };
    (0..len).map(move |i| unsafe { (*(*list).elements.add(i)).ptr_value as *mut T })
}

/// Number of elements of a `List` (NIL is 0).
///
/// # Safety
/// `list` must be NIL or valid.
pub unsafe fn list_len(list: *mut pg_sys::List) -> usize {
    if list.is_null() {
        0
    } else {
        // SAFETY: valid per contract.
        unsafe { (*list).length as usize }
    }
}

/// Element `i` of a pointer list, if in range.
///
/// # Safety
/// As for [`list_iter`].
pub unsafe fn list_nth<T>(list: *mut pg_sys::List, i: usize) -> Option<*mut T> {
    // SAFETY: bounds-checked against the list's length.
    unsafe {
        if i < list_len(list) {
            Some((*(*list).elements.add(i)).ptr_value as *mut T)
        } else {
            None
        }
    }
}

/// Is `node` (non-null) of node type `tag`?
///
/// # Safety
/// `node` must be null or point to a Node.
pub unsafe fn is_a(node: *const pg_sys::Node, tag: pg_sys::NodeTag) -> bool {
    // SAFETY: every Node starts with its tag.
    !node.is_null() && unsafe { (*node).type_ } == tag
}

/// A C string as an owned Rust string (lossy on invalid UTF-8, which PostgreSQL's server
/// encoding UTF8 never produces).
///
/// # Safety
/// `ptr` must be null or a valid NUL-terminated string.
pub unsafe fn cstring(ptr: *const std::ffi::c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: valid per contract.
        Some(
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Split an expression into its top-level AND conjuncts.
///
/// # Safety
/// `node` must be null or a valid expression tree.
pub unsafe fn conjuncts(node: *mut pg_sys::Node, out: &mut Vec<*mut pg_sys::Node>) {
    if node.is_null() {
        return;
    }
    // SAFETY: tags are checked before each cast; lists come from the same tree.
    unsafe {
        if is_a(node, pg_sys::NodeTag::T_BoolExpr) {
            let b = node as *mut pg_sys::BoolExpr;
            if (*b).boolop == pg_sys::BoolExprType::AND_EXPR {
                for arg in list_iter::<pg_sys::Node>((*b).args) {
                    conjuncts(arg, out);
                }
                return;
            }
        }
        if is_a(node, pg_sys::NodeTag::T_List) {
            // Implicitly-ANDed lists appear in some quals.
            for arg in list_iter::<pg_sys::Node>(node as *mut pg_sys::List) {
                conjuncts(arg, out);
            }
            return;
        }
    }
    out.push(node);
}

/// Strip binary-compatible relabelings (varchar → text and the like) off an expression.
///
/// The comparison of `a IS NOT DISTINCT FROM b` (PostgreSQL's `NOT (a IS DISTINCT FROM b)`,
/// whose `DistinctExpr` is laid out as an `OpExpr` of the equality it uses), when `node` is
/// one.
///
/// # Safety
/// `node` must be null or a valid expression tree.
pub unsafe fn not_distinct(node: *mut pg_sys::Node) -> Option<*mut pg_sys::OpExpr> {
    // SAFETY: tags are checked before each cast.
    unsafe {
        if node.is_null() || !is_a(node, pg_sys::NodeTag::T_BoolExpr) {
            return None;
        }
        let b = &*(node as *mut pg_sys::BoolExpr);
        if b.boolop != pg_sys::BoolExprType::NOT_EXPR || list_len(b.args) != 1 {
            return None;
        }
        let arg = list_nth::<pg_sys::Node>(b.args, 0)?;
        is_a(arg, pg_sys::NodeTag::T_DistinctExpr).then_some(arg as *mut pg_sys::OpExpr)
    }
}

/// # Safety
/// `node` must be null or a valid expression tree.
pub unsafe fn strip_relabel(mut node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    // SAFETY: tag checked before the cast.
    unsafe {
        while is_a(node, pg_sys::NodeTag::T_RelabelType) {
            node = (*(node as *mut pg_sys::RelabelType)).arg as *mut pg_sys::Node;
        }
    }
    node
}

/// `node` without the relabelings that turn a domain's value into its base type's (a
/// domain-typed column compared with a column of the base type); other relabelings (a
/// `varchar` read as `text`) stay.
///
/// # Safety
/// `node` must be a valid expression node.
pub unsafe fn strip_domain_relabel(mut node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    // SAFETY: tag checked before the cast; type lookups of the expressions' types.
    unsafe {
        while is_a(node, pg_sys::NodeTag::T_RelabelType) {
            let relabel = &*(node as *mut pg_sys::RelabelType);
            let arg = relabel.arg as *mut pg_sys::Node;
            if pg_sys::getBaseType(pg_sys::exprType(arg)) != relabel.resulttype {
                break;
            }
            node = arg;
        }
    }
    node
}

/// The built-in function a keyword parsed as an SQLValueFunction stands for, with the
/// keyword: `CURRENT_USER`, `CURRENT_ROLE` and `USER` are `current_user()`, `SESSION_USER`
/// `session_user()`, `CURRENT_CATALOG` `current_database()`, `CURRENT_SCHEMA`
/// `current_schema()`. The rules for functions (`analyze::parse::builtin_refusal`) decide
/// for the keyword too, wherever a definition reaches it. `None` for the date and time
/// keywords (`CURRENT_DATE`, `LOCALTIMESTAMP`, ...), stable values like `now()`.
pub fn keyword_function(
    op: pg_sys::SQLValueFunctionOp::Type,
) -> Option<(&'static str, pg_sys::Oid)> {
    use pg_sys::SQLValueFunctionOp::*;
    let (keyword, function) = match op {
        SVFOP_CURRENT_ROLE => ("CURRENT_ROLE", pg_sys::F_CURRENT_USER),
        SVFOP_CURRENT_USER => ("CURRENT_USER", pg_sys::F_CURRENT_USER),
        SVFOP_USER => ("USER", pg_sys::F_CURRENT_USER),
        SVFOP_SESSION_USER => ("SESSION_USER", pg_sys::F_SESSION_USER),
        SVFOP_CURRENT_CATALOG => ("CURRENT_CATALOG", pg_sys::F_CURRENT_DATABASE),
        SVFOP_CURRENT_SCHEMA => ("CURRENT_SCHEMA", pg_sys::F_CURRENT_SCHEMA),
        _ => return None,
    };
    Some((keyword, pg_sys::Oid::from(function)))
}

/// What a [`walk`] callback wants next.
pub enum Visit {
    /// Look inside this node (sub-expressions, and for a Query its range table, quals and
    /// target list).
    Descend,
    /// Do not look inside this node; go on with its siblings.
    Skip,
    /// Stop the whole walk.
    Stop,
}

/// Visit every node of an expression or query tree, sublinks and subqueries in FROM
/// included, calling `f` with the node and the queries enclosing it (innermost last; a
/// Query node itself is not among them). Returns true when `f` stopped the walk.
///
/// # Safety
/// `node` must be null or a valid analyzed expression or query tree, alive for the call.
pub unsafe fn walk(
    node: *mut pg_sys::Node,
    f: &mut dyn FnMut(*mut pg_sys::Node, &[*mut pg_sys::Query]) -> Visit,
) -> bool {
    struct Ctx<'a> {
        f: &'a mut dyn FnMut(*mut pg_sys::Node, &[*mut pg_sys::Query]) -> Visit,
        levels: Vec<*mut pg_sys::Query>,
    }
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn trampoline(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: ctx is the Ctx below, alive for the walk; tags are checked before casts.
        unsafe {
            let c = &mut *(ctx as *mut Ctx);
            match (c.f)(node, &c.levels) {
                Visit::Stop => return true,
                Visit::Skip => return false,
                Visit::Descend => {}
            }
            if is_a(node, pg_sys::NodeTag::T_Query) {
                let q = node as *mut pg_sys::Query;
                c.levels.push(q);
                let stopped = pg_sys::query_tree_walker_impl(q, Some(trampoline), ctx, 0);
                c.levels.pop();
                return stopped;
            }
            pg_sys::expression_tree_walker_impl(node, Some(trampoline), ctx)
        }
    }
    let mut ctx = Ctx {
        f,
        levels: Vec::new(),
    };
    // SAFETY: per the contract; the trampoline only reads the tree.
    unsafe { trampoline(node, &mut ctx as *mut Ctx as *mut std::ffi::c_void) }
}

/// Every table (relation range-table entry) query tree `query` reads, at any level and in
/// any place: FROM items, subqueries and sublinks wherever they are (VALUES lists, function
/// arguments, LIMIT, window frames), `WITH` queries (unreferenced ones too), in a depth-first
/// walk, repeats included. Not the tables only row security policies read (the rewriter adds
/// them to an entry's `securityQuals`): policies that apply are refused on their own.
///
/// # Safety
/// `query` must be a valid analyzed Query, alive for the call.
pub unsafe fn relations_read(query: *mut pg_sys::Query) -> Vec<pg_sys::Oid> {
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn visit(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: ctx is the Vec below, alive for the walk; tags are checked before casts.
        unsafe {
            if !is_a(node, pg_sys::NodeTag::T_Query) {
                return pg_sys::expression_tree_walker_impl(node, Some(visit), ctx);
            }
            let q = node as *mut pg_sys::Query;
            // The range table by hand (the walker would also enter securityQuals), the rest
            // of the query (its expressions, WITH queries, window frames) by the walker.
            for rte in list_iter::<pg_sys::RangeTblEntry>((*q).rtable) {
                let r = &*rte;
                let part: *mut pg_sys::Node = match r.rtekind {
                    pg_sys::RTEKind::RTE_RELATION => {
                        (*(ctx as *mut Vec<pg_sys::Oid>)).push(r.relid);
                        r.tablesample as *mut pg_sys::Node
                    }
                    pg_sys::RTEKind::RTE_SUBQUERY => r.subquery as *mut pg_sys::Node,
                    pg_sys::RTEKind::RTE_FUNCTION => r.functions as *mut pg_sys::Node,
                    pg_sys::RTEKind::RTE_TABLEFUNC => r.tablefunc as *mut pg_sys::Node,
                    pg_sys::RTEKind::RTE_VALUES => r.values_lists as *mut pg_sys::Node,
                    _ => std::ptr::null_mut(),
                };
                if visit(part, ctx) {
                    return true;
                }
            }
            pg_sys::query_tree_walker_impl(
                q,
                Some(visit),
                ctx,
                pg_sys::QTW_IGNORE_RANGE_TABLE as i32,
            )
        }
    }
    let mut out: Vec<pg_sys::Oid> = Vec::new();
    // SAFETY: per the contract; the walk only reads the tree.
    unsafe {
        visit(
            query as *mut pg_sys::Node,
            &mut out as *mut Vec<pg_sys::Oid> as *mut std::ffi::c_void,
        );
    }
    out
}

/// A copy of an expression tree with some nodes replaced: `f` returns the replacement of a
/// node, or `None` to copy it and look inside. Queries inside sublinks are kept as they are
/// (shared with the original, not looked into).
///
/// # Safety
/// `node` must be null or a valid analyzed expression tree, alive for the call.
pub unsafe fn mutate(
    node: *mut pg_sys::Node,
    f: &mut dyn FnMut(*mut pg_sys::Node) -> Option<*mut pg_sys::Node>,
) -> *mut pg_sys::Node {
    struct Ctx<'a> {
        f: &'a mut dyn FnMut(*mut pg_sys::Node) -> Option<*mut pg_sys::Node>,
    }
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn trampoline(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        if node.is_null() {
            return node;
        }
        // SAFETY: ctx is the Ctx below, alive for the mutation; tags are checked.
        unsafe {
            let c = &mut *(ctx as *mut Ctx);
            if let Some(replacement) = (c.f)(node) {
                return replacement;
            }
            if is_a(node, pg_sys::NodeTag::T_Query) {
                return node;
            }
            pg_sys::expression_tree_mutator_impl(node, Some(trampoline), ctx)
        }
    }
    let mut ctx = Ctx { f };
    // SAFETY: per the contract; the mutator copies what it changes.
    unsafe { trampoline(node, &mut ctx as *mut Ctx as *mut std::ffi::c_void) }
}

/// An external parameter `$id` standing for `expr`: of its type, typmod and collation.
///
/// # Safety
/// `expr` must be a valid expression node; allocates in the current memory context.
pub unsafe fn param_for(expr: *mut pg_sys::Node, id: i32) -> *mut pg_sys::Node {
    // SAFETY: a zeroed Param is filled field by field; exprType and friends read `expr`.
    unsafe {
        let p = pg_sys::palloc0(std::mem::size_of::<pg_sys::Param>()) as *mut pg_sys::Param;
        (*p).xpr.type_ = pg_sys::NodeTag::T_Param;
        (*p).paramkind = pg_sys::ParamKind::PARAM_EXTERN;
        (*p).paramid = id;
        (*p).paramtype = pg_sys::exprType(expr);
        (*p).paramtypmod = pg_sys::exprTypmod(expr);
        (*p).paramcollid = pg_sys::exprCollation(expr);
        (*p).location = -1;
        p as *mut pg_sys::Node
    }
}
