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
