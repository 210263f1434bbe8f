//! Catalog lookups from OIDs to the names SQL uses.

use pgrx::pg_sys;

use std::ffi::CString;

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
        let op = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_operator>(tup);
        let name = cstring((*op).oprname.data.as_ptr());
        let namespace = (*op).oprnamespace;
        pg_sys::ReleaseSysCache(tup);
        Some((cstring(pg_sys::get_namespace_name(namespace))?, name?))
    }
}

/// The equality operator of `typ`'s default btree operator class (the one a primary key
/// compares with), schema-qualified.
pub fn equality_operator(typ: pg_sys::Oid) -> Option<tviews_core::model::OperatorRef> {
    // SAFETY: a type cache lookup of an existing type; eq_opr is InvalidOid when it has none.
    let opno = unsafe {
        let entry = pg_sys::lookup_type_cache(typ, pg_sys::TYPECACHE_EQ_OPR as i32);
        (*entry).eq_opr
    };
    if opno == pg_sys::InvalidOid {
        return None;
    }
    operator_ref(opno, typ, typ)
}

/// The OID of the equality operator of `typ`'s default btree operator class, if any.
pub fn equality_operator_oid(typ: pg_sys::Oid) -> Option<pg_sys::Oid> {
    // SAFETY: a type cache lookup of an existing type.
    let opno = unsafe {
        let entry = pg_sys::lookup_type_cache(typ, pg_sys::TYPECACHE_EQ_OPR as i32);
        (*entry).eq_opr
    };
    (opno != pg_sys::InvalidOid).then_some(opno)
}

/// Does collation `collation` tell strings apart by their bytes (every collation but the
/// nondeterministic ICU ones)?
pub fn collation_is_deterministic(collation: pg_sys::Oid) -> bool {
    // SAFETY: a syscache lookup of an existing collation.
    unsafe { pg_sys::get_collation_isdeterministic(collation) }
}

/// Can a column of type `typ` be a TVIEW's key? A scalar (not an array, not a composite,
/// with an array type of its own: maintenance collects keys into arrays) with a default
/// btree operator class, which its unique index and its equality come from.
pub fn usable_key_type(typ: pg_sys::Oid) -> bool {
    // SAFETY: type catalog and type cache lookups of an existing type.
    unsafe {
        let base = pg_sys::getBaseType(typ);
        let scalar = pg_sys::get_element_type(base) == pg_sys::InvalidOid
            && !pg_sys::type_is_rowtype(base)
            && pg_sys::get_array_type(typ) != pg_sys::InvalidOid;
        let entry = pg_sys::lookup_type_cache(typ, pg_sys::TYPECACHE_BTREE_OPFAMILY as i32);
        scalar && (*entry).btree_opf != pg_sys::InvalidOid && equality_operator(typ).is_some()
    }
}

/// An operator with its declared operand types, for generated SQL (see
/// [`tviews_core::model::OperatorRef`]). Where it declares a pseudo-type (`anyenum`,
/// `anyrange`, ...), which no value can be cast to, the operand's own type stands in:
/// `actual_left` and `actual_right`, a domain by its base type (PostgreSQL resolves no
/// `anyenum` operator for two values of a domain over an enum).
pub fn operator_ref(
    opno: pg_sys::Oid,
    actual_left: pg_sys::Oid,
    actual_right: pg_sys::Oid,
) -> Option<tviews_core::model::OperatorRef> {
    let (schema, name) = operator_name(opno)?;
    let (mut left, mut right) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
    // SAFETY: syscache lookups of an existing operator's input types and of types.
    unsafe {
        pg_sys::op_input_types(opno, &mut left, &mut right);
        if left == pg_sys::InvalidOid || right == pg_sys::InvalidOid {
            return None; // a prefix operator: never a join or key comparison
        }
        if pg_sys::get_typtype(left) == pg_sys::TYPTYPE_PSEUDO as std::ffi::c_char {
            left = pg_sys::getBaseType(actual_left);
        }
        if pg_sys::get_typtype(right) == pg_sys::TYPTYPE_PSEUDO as std::ffi::c_char {
            right = pg_sys::getBaseType(actual_right);
        }
    }
    Some(tviews_core::model::OperatorRef {
        schema,
        name,
        left: qualified_type(left),
        right: qualified_type(right),
    })
}

/// A type's name as SQL that means it from any search_path, and means the type itself: with
/// no length. The SQL-standard spellings `character` and `bit` mean `character(1)` and
/// `bit(1)` in a cast, which compared `char(4)` keys by their first character (one key's
/// change rewrote its neighbours' documents); given "no typmod", PostgreSQL spells them
/// `pg_catalog.bpchar` and `"bit"`.
pub fn qualified_type(typ: pg_sys::Oid) -> String {
    qualified_type_with_typmod(typ, -1)
}

/// Column `column` of `relid` with its type's equality operator.
pub fn eq_column(
    relid: pg_sys::Oid,
    column: &str,
) -> Result<tviews_core::model::EqColumn, crate::errors::TviewError> {
    let typ = column_type(relid, column)?;
    let eq = equality_operator(typ).ok_or_else(|| {
        crate::errors::TviewError::Internal(format!("column {column} has no equality operator"))
    })?;
    Ok(tviews_core::model::EqColumn {
        name: column.to_string(),
        eq,
    })
}

/// The collation of column `column` of `relid` (InvalidOid for a type without one).
pub fn column_collation(
    relid: pg_sys::Oid,
    column: &str,
) -> Result<pg_sys::Oid, crate::errors::TviewError> {
    let attnum = attnum(relid, column)?;
    // SAFETY: an attribute syscache lookup on an existing relation.
    unsafe {
        let (mut typ, mut typmod, mut coll) = (pg_sys::InvalidOid, 0, pg_sys::InvalidOid);
        pg_sys::get_atttypetypmodcoll(relid, attnum, &mut typ, &mut typmod, &mut coll);
        Ok(coll)
    }
}

/// The collation of column `column` of `relid` as qualified SQL (`"pg_catalog"."default"`),
/// or `None` for a type without collation.
pub fn column_collation_sql(
    relid: pg_sys::Oid,
    column: &str,
) -> Result<Option<String>, crate::errors::TviewError> {
    let coll = column_collation(relid, column)?;
    collation_sql(coll)
}

/// Collation `coll` as qualified SQL; `None` for InvalidOid.
pub fn collation_sql(coll: pg_sys::Oid) -> Result<Option<String>, crate::errors::TviewError> {
    if coll == pg_sys::InvalidOid {
        return Ok(None);
    }
    let column = coll.to_u32();
    // SAFETY: a collation syscache lookup; the fixed part is a FormData_pg_collation, read
    // before the tuple is released.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::COLLOID as _,
            pg_sys::Datum::from(coll),
        );
        if tup.is_null() {
            return Err(crate::errors::TviewError::Internal(format!(
                "collation {} ({column}) not found",
                coll.to_u32()
            )));
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_collation>(tup);
        let name = cstring((*form).collname.data.as_ptr()).unwrap_or_default();
        let namespace = (*form).collnamespace;
        pg_sys::ReleaseSysCache(tup);
        let schema = cstring(pg_sys::get_namespace_name(namespace)).unwrap_or_default();
        Ok(Some(format!(
            "{}.{}",
            tviews_core::sqlgen::quote::quote_ident(&schema),
            tviews_core::sqlgen::quote::quote_ident(&name)
        )))
    }
}

/// The type of column `column` of `relid`.
pub fn column_type(
    relid: pg_sys::Oid,
    column: &str,
) -> Result<pg_sys::Oid, crate::errors::TviewError> {
    let attnum = attnum(relid, column)?;
    // SAFETY: an attribute lookup on an existing relation.
    Ok(unsafe { pg_sys::get_atttype(relid, attnum) })
}

/// The type modifier of column `column` of `relid` (-1 for none).
pub fn column_typmod(relid: pg_sys::Oid, column: &str) -> Result<i32, crate::errors::TviewError> {
    let attnum = attnum(relid, column)?;
    let (mut typ, mut typmod, mut collation) = (pg_sys::InvalidOid, -1, pg_sys::InvalidOid);
    // SAFETY: an attribute lookup on an existing relation.
    unsafe { pg_sys::get_atttypetypmodcoll(relid, attnum, &mut typ, &mut typmod, &mut collation) };
    Ok(typmod)
}

/// Does type `oid` exist?
pub fn type_exists(oid: pg_sys::Oid) -> bool {
    crate::pg::spi::read_one::<bool>(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) $1)",
        &[oid.into()],
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// OID of type `schema.name` (a relation's row type included), if there is one.
pub fn type_oid(schema: &str, name: &str) -> Option<pg_sys::Oid> {
    crate::pg::spi::read_one::<pg_sys::Oid>(
        "SELECT t.oid FROM pg_catalog.pg_type t \
           JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace \
          WHERE n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.name \
            AND t.typname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
        &[schema.into(), name.into()],
    )
    .ok()
    .flatten()
}

/// Whether column `column` of `relid` is NOT NULL.
pub fn column_not_null(
    relid: pg_sys::Oid,
    column: &str,
) -> Result<bool, crate::errors::TviewError> {
    let c = std::ffi::CString::new(column)
        .map_err(|_| crate::errors::TviewError::Internal("NUL in a column name".into()))?;
    // SAFETY: an attribute syscache lookup; the fixed part is a FormData_pg_attribute, read
    // before the tuple is released.
    unsafe {
        let tup = pg_sys::SearchSysCacheAttName(relid, c.as_ptr());
        if tup.is_null() {
            return Err(crate::errors::TviewError::Internal(format!(
                "column {column} not found"
            )));
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_attribute>(tup);
        let not_null = (*form).attnotnull;
        pg_sys::ReleaseSysCache(tup);
        Ok(not_null)
    }
}

/// The number of user column `column` of `relid`.
pub fn attnum(relid: pg_sys::Oid, column: &str) -> Result<i16, crate::errors::TviewError> {
    let c = std::ffi::CString::new(column)
        .map_err(|_| crate::errors::TviewError::Internal("NUL in a column name".into()))?;
    // SAFETY: an attribute lookup on an existing relation; InvalidAttrNumber when missing.
    let attnum = unsafe { pg_sys::get_attnum(relid, c.as_ptr()) };
    if attnum <= 0 {
        return Err(crate::errors::TviewError::Internal(format!(
            "column {column} not found"
        )));
    }
    Ok(attnum)
}

/// OID of relation `schema.name`, if there is one.
pub fn relation_oid(schema: &str, name: &str) -> Option<pg_sys::Oid> {
    let (s, n) = (CString::new(schema).ok()?, CString::new(name).ok()?);
    // SAFETY: catalog lookups by name; missing objects give InvalidOid.
    let oid = unsafe {
        let nsp = pg_sys::get_namespace_oid(s.as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_relname_relid(n.as_ptr(), nsp)
        }
    };
    (oid != pg_sys::InvalidOid).then_some(oid)
}

/// May a table or view be created as `schema.name`: no relation has that name, nor any type
/// (the new relation's row type would take it; in a schema other roles may create in, a
/// type squatting the name must not make pg_tviews' command fail).
pub fn relation_name_free(schema: &str, name: &str) -> bool {
    relation_oid(schema, name).is_none() && type_oid(schema, name).is_none()
}

/// Describe a function for messages (`schema.name(argument types)`).
pub fn describe_function(oid: pg_sys::Oid) -> String {
    // SAFETY: formats an existing function's signature (palloc'd), or its OID.
    unsafe { cstring(pg_sys::format_procedure_qualified(oid)) }
        .unwrap_or_else(|| format!("function {}", oid.to_u32()))
}

/// The owner of relation `relid`, if it exists.
pub fn relation_owner(relid: pg_sys::Oid) -> Option<pg_sys::Oid> {
    // SAFETY: RELOID rows are pg_class rows.
    unsafe {
        crate::pg::scan::syscache_row(
            pg_sys::SysCacheIdentifier::RELOID,
            &[pg_sys::Datum::from(relid)],
            |c: &pg_sys::FormData_pg_class, _| c.relowner,
        )
    }
}

/// A role's name for messages (its OID when it no longer exists).
pub fn role_name(role: pg_sys::Oid) -> String {
    // SAFETY: a catalog lookup that returns NULL for an unknown role (noerr).
    unsafe { cstring(pg_sys::GetUserNameFromId(role, true)) }
        .unwrap_or_else(|| format!("role {}", role.to_u32()))
}

/// Describe a relation for messages.
pub fn describe(oid: pg_sys::Oid) -> String {
    relation_name(oid)
        .map(|(s, n)| format!("{s}.{n}"))
        .unwrap_or_else(|| format!("relation {}", oid.to_u32()))
}

/// The first of `base + suffix`, `base + suffix + "_2"`, `... "_3"`, up to 999, that `free`
/// accepts, `base` cut (by whole characters) so that each fits an identifier.
pub fn first_free_name(base: &str, suffix: &str, free: impl Fn(&str) -> bool) -> Option<String> {
    use tviews_core::naming::MAX_IDENTIFIER_BYTES;
    (1..1000).find_map(|n| {
        let suffix = if n == 1 {
            suffix.to_string()
        } else {
            format!("{suffix}_{n}")
        };
        let mut stem = base.to_string();
        while stem.len() + suffix.len() > MAX_IDENTIFIER_BYTES {
            stem.pop();
        }
        let candidate = stem + &suffix;
        free(&candidate).then_some(candidate)
    })
}

/// The address of object `oid` of catalog `class` (the whole object, no sub-object).
pub fn object_address(class: pg_sys::Oid, oid: pg_sys::Oid) -> pg_sys::ObjectAddress {
    pg_sys::ObjectAddress {
        classId: class,
        objectId: oid,
        objectSubId: 0,
    }
}

/// A column of a relation: name, type, modifier and collation.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    pub name: String,
    pub typ: pg_sys::Oid,
    pub typmod: i32,
    pub collation: pg_sys::Oid,
}

/// The columns of relation `relid` (a table or a view), in order, dropped ones left out.
pub fn relation_columns(relid: pg_sys::Oid) -> Vec<ColumnType> {
    // SAFETY: opens an existing relation (the caller's transaction knows it) with a lock
    // its creator or DDL already holds, copies its descriptor's attributes, and closes it.
    unsafe {
        let rel = pg_sys::relation_open(relid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let columns = super::tupdesc::attributes((*rel).rd_att)
            .iter()
            .filter(|a| !a.attisdropped)
            .map(|a| ColumnType {
                name: std::ffi::CStr::from_ptr(a.attname.data.as_ptr())
                    .to_string_lossy()
                    .into_owned(),
                typ: a.atttypid,
                typmod: a.atttypmod,
                collation: a.attcollation,
            })
            .collect();
        pg_sys::relation_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        columns
    }
}

/// The type (and modifier) a TVIEW's table stores a definition's column of type `typ` as:
/// a domain's base type, an array of a domain's an array of the base type; any other type
/// as it is.
///
/// A query passes values of a domain on without checking its constraints: an outer join's
/// NULL, a subquery without rows or an array element is NULL even where the domain says
/// NOT NULL (or a CHECK fails on NULL). A table column of the domain would hold those NULLs
/// (an INSERT of a value already of the column's type checks nothing), and a restore's COPY,
/// which converts every value, would refuse them; `ALTER DOMAIN` would check the TVIEW's rows
/// too. The domain's constraints hold where values are written: in the sources.
pub fn stored_type(typ: pg_sys::Oid, typmod: i32) -> (pg_sys::Oid, i32) {
    // SAFETY: type syscache lookups of existing types.
    unsafe {
        let mut base_mod = typmod;
        let base = pg_sys::getBaseTypeAndTypmod(typ, &mut base_mod);
        if base != typ {
            // A domain over an array of a domain's values: the array's elements too.
            return stored_type(base, base_mod);
        }
        let element = pg_sys::get_element_type(typ);
        if element == pg_sys::InvalidOid {
            return (typ, typmod);
        }
        let (element_base, element_mod) = stored_type(element, typmod);
        let array = pg_sys::get_array_type(element_base);
        if element_base == element || array == pg_sys::InvalidOid {
            return (typ, typmod);
        }
        (array, if typmod == -1 { element_mod } else { typmod })
    }
}

/// Type `typ` with modifier `typmod`, schema-qualified, as SQL.
pub fn qualified_type_with_typmod(typ: pg_sys::Oid, typmod: i32) -> String {
    // SAFETY: a type lookup; the returned string is palloc'd and copied.
    unsafe {
        cstring(pg_sys::format_type_extended(
            typ,
            typmod,
            (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY) as _,
        ))
        .unwrap_or_default()
    }
}

/// The object identifier types: a value prints as the current name of a catalog row (and
/// reads back from a name), whose OID is the value.
pub const OBJECT_IDENTIFIER_TYPES: &[pg_sys::Oid] = &[
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

/// Does a value of type `typ` (itself, not a type holding it) print names of catalog rows:
/// an object identifier, or an ACL entry (the role names it grants to and from)?
pub fn prints_catalog_names(typ: pg_sys::Oid) -> bool {
    OBJECT_IDENTIFIER_TYPES.contains(&typ) || typ == pg_sys::ACLITEMOID
}

/// The types directly inside a value of type `typ`: a domain's base type, an array's
/// elements, a range's subtype, a multirange's range, a composite type's fields.
pub fn inner_types(typ: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    // SAFETY: type and relation syscache lookups; InvalidOid / false for what a type is not.
    unsafe {
        let base = pg_sys::getBaseType(typ);
        if base != typ {
            return vec![base];
        }
        let element = pg_sys::get_element_type(typ);
        if element != pg_sys::InvalidOid {
            return vec![element];
        }
        if pg_sys::type_is_range(typ) {
            return vec![pg_sys::get_range_subtype(typ)];
        }
        if pg_sys::type_is_multirange(typ) {
            return vec![pg_sys::get_multirange_range(typ)];
        }
        let relid = pg_sys::get_typ_typrelid(typ);
        if relid == pg_sys::InvalidOid {
            return Vec::new();
        }
        relation_columns(relid).into_iter().map(|c| c.typ).collect()
    }
}

/// `typ` and every type inside its values, at any depth (see [`inner_types`]), each once.
pub fn contained_types(typ: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    let mut out: Vec<pg_sys::Oid> = Vec::new();
    let mut work = vec![typ];
    while let Some(t) = work.pop() {
        if t == pg_sys::InvalidOid || out.contains(&t) {
            continue;
        }
        out.push(t);
        work.extend(inner_types(t));
    }
    out
}

/// The first field (as `type.field`) of a domain with constraints that a value of type `typ`
/// holds inside a row: a field of a composite type, at any depth (through arrays, domains
/// and ranges too). `stored_type` cannot reach such a field: the composite type is the
/// column's type.
pub fn constrained_domain_field(typ: pg_sys::Oid) -> Option<String> {
    fn walk(typ: pg_sys::Oid, in_row: bool, seen: &mut Vec<pg_sys::Oid>) -> Option<String> {
        if seen.contains(&typ) {
            return None;
        }
        seen.push(typ);
        // SAFETY: type and relation syscache lookups of existing objects.
        unsafe {
            let base = pg_sys::getBaseType(typ);
            if base != typ {
                if in_row && pg_sys::DomainHasConstraints(typ) {
                    return Some(String::new());
                }
                return walk(base, in_row, seen);
            }
            let element = pg_sys::get_element_type(typ);
            if element != pg_sys::InvalidOid {
                return walk(element, in_row, seen);
            }
            let range = pg_sys::get_range_subtype(typ);
            if range != pg_sys::InvalidOid {
                return walk(range, in_row, seen);
            }
            let relid = pg_sys::get_typ_typrelid(typ);
            if relid == pg_sys::InvalidOid {
                return None;
            }
            for c in relation_columns(relid) {
                if let Some(inner) = walk(c.typ, true, seen) {
                    let here = format!("{}.{}", qualified_type(typ), c.name);
                    return Some(if inner.is_empty() { here } else { inner });
                }
            }
            None
        }
    }
    walk(typ, false, &mut Vec::new()).filter(|f| !f.is_empty())
}

/// The relkind of relation `relid`; `None` when there is no such relation.
pub fn relation_kind(relid: pg_sys::Oid) -> Option<u8> {
    // SAFETY: a syscache lookup; '\0' for a missing relation.
    let kind = unsafe { pg_sys::get_rel_relkind(relid) } as u8;
    (kind != 0).then_some(kind)
}

/// The name of function `func` (without schema or arguments); `None` when there is none.
pub fn function_name(func: pg_sys::Oid) -> Option<String> {
    // SAFETY: a syscache lookup; NULL for a missing function (palloc'd otherwise).
    unsafe { crate::pg::nodes::cstring(pg_sys::get_func_name(func)) }
}
