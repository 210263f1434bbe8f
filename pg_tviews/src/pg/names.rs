//! Catalog lookups from OIDs to the names SQL uses.

use pgrx::pg_sys;

use super::nodes::cstring;

/// `(schema, name)` of a relation, if it exists.
pub fn relation_name(relid: pg_sys::Oid) -> Option<(String, String)> {
    // SAFETY: lsyscache lookups return palloc'd strings or NULL for a missing object.
    unsafe {
        let name = cstring(pg_sys::get_rel_name(relid))?;
        let schema = cstring(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relid)))?;
        Some((schema, name))
    }
}

/// A column's name, if the column exists and is not dropped.
pub fn attribute_name(relid: pg_sys::Oid, attnum: i16) -> Option<String> {
    // SAFETY: missing_ok = true returns NULL instead of raising.
    unsafe { cstring(pg_sys::get_attname(relid, attnum, true)) }
}

/// `(schema, name)` of an operator.
pub fn operator_name(opno: pg_sys::Oid) -> Option<(String, String)> {
    // SAFETY: syscache lookup of pg_operator by OID; the tuple's fixed part is a
    // FormData_pg_operator (GETSTRUCT), read before the tuple is released.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::OPEROID as _,
            pg_sys::Datum::from(opno),
        );
        if tup.is_null() {
            return None;
        }
        let header = (*tup).t_data;
        let op = (header as *mut u8).add((*header).t_hoff as usize)
            as *const pg_sys::FormData_pg_operator;
        let name = cstring((*op).oprname.data.as_ptr());
        let namespace = (*op).oprnamespace;
        pg_sys::ReleaseSysCache(tup);
        Some((cstring(pg_sys::get_namespace_name(namespace))?, name?))
    }
}
