//! Tuple descriptors across PostgreSQL versions: 18 moved the attributes behind an array of
//! compact attributes, where 16 and 17 keep them as the descriptor's own array.

use pgrx::pg_sys;

/// The attributes of a tuple descriptor, dropped ones included, in attribute order.
///
/// # Safety
/// `desc` must be a valid tuple descriptor that outlives the returned slice.
pub unsafe fn attributes<'a>(desc: pg_sys::TupleDesc) -> &'a [pg_sys::FormData_pg_attribute] {
    // SAFETY: per the contract; `natts` attributes follow where the version's
    // TupleDescAttr() finds them.
    unsafe {
        let natts = (*desc).natts.max(0) as usize;
        #[cfg(feature = "pg18")]
        let first: *const pg_sys::FormData_pg_attribute =
            (*desc).compact_attrs.as_ptr().add(natts).cast();
        #[cfg(not(feature = "pg18"))]
        let first: *const pg_sys::FormData_pg_attribute = (*desc).attrs.as_ptr();
        std::slice::from_raw_parts(first, natts)
    }
}
