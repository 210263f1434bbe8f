//! Catalog reads through the catalogs' own indexes and caches, not SQL.
//!
//! Analysis runs in every backend that maintains a TVIEW, on its first write and after an
//! invalidation of something the TVIEW reads. Each catalog question asked in SQL was parsed
//! and planned anew there (about 0.3 ms each in a new backend, some thirty per TVIEW), which
//! was most of a new connection's first write. These answer the same questions from the
//! catalog snapshot, as PostgreSQL's own lookups do.

use pgrx::pg_sys;

/// `pg_inherits` and its indexes (catalog/pg_inherits.h; catalog OIDs never change).
const INHERITS_RELATION: u32 = 2611;
const INHERITS_RELID_SEQNO_INDEX: u32 = 2680;
const INHERITS_PARENT_INDEX: u32 = 2187;

/// Call `each` with every row of `catalog` whose (first) index column `attno` of `index`
/// equals `value`, until it returns false.
///
/// # Safety
/// `catalog` must be a system catalog and `index` an index on it whose first column is the
/// catalog's `oid`-typed column `attno`; `each` reads the tuple only while it runs.
unsafe fn scan_by_oid(
    catalog: u32,
    index: u32,
    attno: i16,
    value: pg_sys::Oid,
    each: impl FnMut(pg_sys::HeapTuple, pg_sys::TupleDesc) -> bool,
) {
    // SAFETY: per contract.
    unsafe { scan_by_oids(catalog, index, &[(attno, value)], each) }
}

/// [`scan_by_oid`] with several keys: `(attno, value)` of the index's leading columns, in
/// order (attribute numbers of the catalog, as `systable_beginscan` takes them).
///
/// # Safety
/// As for [`scan_by_oid`], for every key.
unsafe fn scan_by_oids(
    catalog: u32,
    index: u32,
    keys: &[(i16, pg_sys::Oid)],
    mut each: impl FnMut(pg_sys::HeapTuple, pg_sys::TupleDesc) -> bool,
) {
    // SAFETY: per contract; the catalog is opened and closed here, the scan uses a new
    // catalog snapshot (snapshot NULL after invalidating the current one: what is committed
    // now, as the SQL these scans replace saw it), and the keys compare oids with oideq.
    unsafe {
        pg_sys::InvalidateCatalogSnapshot();
        let rel = pg_sys::table_open(
            pg_sys::Oid::from(catalog),
            pg_sys::AccessShareLock as pg_sys::LOCKMODE,
        );
        let mut scankeys: Vec<pg_sys::ScanKeyData> = Vec::with_capacity(keys.len());
        for &(attno, value) in keys {
            let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
            pg_sys::ScanKeyInit(
                &mut key,
                attno,
                pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
                pg_sys::Oid::from(pg_sys::F_OIDEQ),
                pg_sys::Datum::from(value),
            );
            scankeys.push(key);
        }
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::Oid::from(index),
            true,
            std::ptr::null_mut(),
            scankeys.len() as i32,
            scankeys.as_mut_ptr(),
        );
        loop {
            let tuple = pg_sys::systable_getnext(scan);
            if tuple.is_null() || !each(tuple, (*rel).rd_att) {
                break;
            }
        }
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
    }
}

/// Call `each` with columns `columns` of every row of table `relid` (any table, read whole)
/// that a new snapshot sees: what is committed now and this transaction's own writes, as a
/// query run with the latest snapshot would. A column the table lacks (a catalog of an older
/// version) reads as NULL (`None`). `each` reads the values only while it runs: they point
/// into the row.
pub fn table_rows(
    relid: pg_sys::Oid,
    columns: &[&std::ffi::CStr],
    mut each: impl FnMut(&[Option<pg_sys::Datum>]),
) {
    // SAFETY: the table is opened and closed here, under AccessShareLock; the snapshot is
    // registered for the scan's life; attribute numbers come from the table's own catalog
    // rows (0 for a missing column, never read).
    unsafe {
        let attnums: Vec<i16> = columns
            .iter()
            .map(|c| pg_sys::get_attnum(relid, c.as_ptr()))
            .collect();
        let rel = pg_sys::table_open(relid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot());
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::InvalidOid,
            false,
            snapshot,
            0,
            std::ptr::null_mut(),
        );
        let desc = (*rel).rd_att;
        let mut values: Vec<Option<pg_sys::Datum>> = Vec::with_capacity(attnums.len());
        loop {
            let tuple = pg_sys::systable_getnext(scan);
            if tuple.is_null() {
                break;
            }
            values.clear();
            for &attno in &attnums {
                let mut isnull = true;
                let d = if attno > 0 {
                    pg_sys::heap_getattr(tuple, attno as i32, desc, &mut isnull)
                } else {
                    pg_sys::Datum::from(0)
                };
                values.push((!isnull).then_some(d));
            }
            each(&values);
        }
        pg_sys::systable_endscan(scan);
        pg_sys::UnregisterSnapshot(snapshot);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
    }
}

/// Read the catalog row syscache `cache` holds for `keys` (one to four): `read` gets its
/// fixed part as `T` (the catalog's FormData struct) and the tuple (for columns past the
/// fixed part, with `SysCacheGetAttr`); `None` when there is no such row.
///
/// # Safety
/// `T` must be the FormData struct of the catalog behind `cache`; `read` must not keep
/// pointers into the tuple, which is released when it returns.
pub unsafe fn syscache_row<T, R>(
    cache: pg_sys::SysCacheIdentifier::Type,
    keys: &[pg_sys::Datum],
    read: impl FnOnce(&T, pg_sys::HeapTuple) -> R,
) -> Option<R> {
    let key = |i: usize| keys.get(i).copied().unwrap_or(pg_sys::Datum::from(0));
    // SAFETY: per contract; the tuple is released after `read` returns.
    unsafe {
        let tup = pg_sys::SearchSysCache(cache as std::ffi::c_int, key(0), key(1), key(2), key(3));
        if tup.is_null() {
            return None;
        }
        let out = read(&*pg_sys::heap_tuple_get_struct::<T>(tup), tup);
        pg_sys::ReleaseSysCache(tup);
        Some(out)
    }
}

/// The text column `column` of catalog `catalog` in the row syscache `cache` holds for
/// `keys` (a `pg_node_tree` is text too), copied out; `None` without a row or when NULL.
///
/// # Safety
/// `cache` must be a syscache of `catalog`, and `column` a text-like column of it.
unsafe fn syscache_text(
    cache: pg_sys::SysCacheIdentifier::Type,
    keys: &[pg_sys::Datum],
    catalog: u32,
    column: &std::ffi::CStr,
) -> Option<String> {
    // SAFETY: per contract; the text is copied before the row is released.
    unsafe {
        syscache_row(cache, keys, |_: &(), tup| {
            let mut isnull = false;
            let d = pg_sys::SysCacheGetAttr(
                cache as std::ffi::c_int,
                tup,
                catalog_attnum(catalog, column),
                &mut isnull,
            );
            if isnull {
                None
            } else {
                crate::pg::nodes::cstring(pg_sys::text_to_cstring(d.cast_mut_ptr()))
            }
        })
        .flatten()
    }
}

/// The oid column `attno` of a tuple syscache `cache` returned (InvalidOid when NULL).
///
/// # Safety
/// `tuple` is a live tuple from `cache`, and `attno` an oid column of its catalog.
unsafe fn syscache_oid(
    cache: pg_sys::SysCacheIdentifier::Type,
    tuple: pg_sys::HeapTuple,
    attno: i16,
) -> pg_sys::Oid {
    let mut isnull = false;
    // SAFETY: per contract.
    let d = unsafe { pg_sys::SysCacheGetAttr(cache as std::ffi::c_int, tuple, attno, &mut isnull) };
    if isnull {
        pg_sys::InvalidOid
    } else {
        pg_sys::Oid::from(d.value() as u32)
    }
}

/// Whether `relid` has inheritance children (or partitions), as `pg_inherits` says now.
pub fn has_inheritance_children(relid: pg_sys::Oid) -> bool {
    !column_where(
        INHERITS_RELATION,
        INHERITS_PARENT_INDEX,
        c"inhparent",
        relid,
        c"inhrelid",
    )
    .is_empty()
}

/// Whether `relid` inherits from a table (or is a partition), as `pg_inherits` says now.
pub fn has_inheritance_parent(relid: pg_sys::Oid) -> bool {
    !inheritance_parents(relid).is_empty()
}

/// The tables `relid` inherits from (or is a partition of), as `pg_inherits` says now.
pub fn inheritance_parents(relid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        INHERITS_RELATION,
        INHERITS_RELID_SEQNO_INDEX,
        c"inhrelid",
        relid,
        c"inhparent",
    )
}

/// What analysis asks of one index of a table (a row of `pg_index`, key columns only).
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub index: pg_sys::Oid,
    pub unique: bool,
    pub primary: bool,
    /// Checked at every statement (not DEFERRABLE).
    pub immediate: bool,
    pub valid: bool,
    /// Maintained by writes (an index CREATE INDEX CONCURRENTLY left invalid still is).
    pub ready: bool,
    pub nulls_not_distinct: bool,
    /// A partial index (`WHERE ...`).
    pub partial: bool,
    /// The key columns' numbers (0 for an expression), operator classes and collations.
    pub keys: Vec<(i16, pg_sys::Oid, pg_sys::Oid)>,
}

impl IndexRow {
    /// Does the index compare its key columns of `relid` as the columns' own equality does:
    /// each a plain column, under its type's default btree class (see
    /// [`opclass_is_default_for`]) and the column's collation? Only then do two rows it
    /// tells apart differ for every query comparing those columns with `=` (a primary key
    /// `USING INDEX` of a `text_ops` index on a `citext` column holds `'a'` and `'A'`,
    /// which `=` finds equal).
    pub fn compares_as_columns(&self, relid: pg_sys::Oid) -> bool {
        !self.keys.is_empty()
            && self.keys.iter().all(|&(attnum, class, collation)| {
                let Some((_, column_collation, _)) = attribute(relid, attnum) else {
                    return false; // an expression (attnum 0) or no such column
                };
                // SAFETY: a column of `relid`, found above.
                let typ = unsafe { pg_sys::get_atttype(relid, attnum) };
                opclass_is_default_for(class, typ) == Some((true, pg_sys::BTREE_AM_OID))
                    && collation == column_collation
            })
    }
}

/// The indexes of `relid`, in OID order.
pub fn indexes(relid: pg_sys::Oid) -> Vec<IndexRow> {
    let mut rows = Vec::new();
    // SAFETY: pg_index_indrelid_index is on indrelid, an oid. The fixed part of the tuple is a
    // FormData_pg_index (indkey included: direct access to it is allowed); indclass and
    // indcollation are read with heap_getattr, never NULL, oidvectors of indnatts entries.
    unsafe {
        scan_by_oid(
            pg_sys::IndexRelationId.to_u32(),
            pg_sys::IndexIndrelidIndexId,
            pg_sys::Anum_pg_index_indrelid as i16,
            relid,
            |tuple, desc| {
                let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_index>(tuple);
                let n = (*form).indnkeyatts.max(0) as usize;
                let attnums = (*form).indkey.values.as_slice(n);
                let vector = |attno: u32| -> Vec<pg_sys::Oid> {
                    let mut isnull = false;
                    let d = pg_sys::heap_getattr(tuple, attno as i32, desc, &mut isnull);
                    if isnull {
                        return vec![pg_sys::InvalidOid; n];
                    }
                    let v = d.cast_mut_ptr::<pg_sys::oidvector>();
                    let len = ((*v).dim1.max(0) as usize).min(n);
                    let mut out = (*v).values.as_slice(len).to_vec();
                    out.resize(n, pg_sys::InvalidOid);
                    out
                };
                let classes = vector(pg_sys::Anum_pg_index_indclass);
                let collations = vector(pg_sys::Anum_pg_index_indcollation);
                rows.push(IndexRow {
                    index: (*form).indexrelid,
                    unique: (*form).indisunique,
                    primary: (*form).indisprimary,
                    immediate: (*form).indimmediate,
                    valid: (*form).indisvalid,
                    ready: (*form).indisready,
                    nulls_not_distinct: (*form).indnullsnotdistinct,
                    partial: !pg_sys::heap_attisnull(
                        tuple,
                        pg_sys::Anum_pg_index_indpred as i32,
                        desc,
                    ),
                    keys: (0..n)
                        .map(|i| (attnums[i], classes[i], collations[i]))
                        .collect(),
                });
                true
            },
        )
    };
    rows.sort_by_key(|r| r.index.to_u32());
    rows
}

/// Column `attnum` of `relid`: NOT NULL, its collation, its name (`None`: no such column, or
/// a dropped one).
pub fn attribute(relid: pg_sys::Oid, attnum: i16) -> Option<(bool, pg_sys::Oid, String)> {
    if attnum <= 0 {
        return None;
    }
    use pg_sys::SysCacheIdentifier::ATTNUM;
    let keys = [pg_sys::Datum::from(relid), pg_sys::Datum::from(attnum)];
    // SAFETY: ATTNUM rows are pg_attribute rows; the name is copied out.
    unsafe {
        syscache_row(ATTNUM, &keys, |a: &pg_sys::FormData_pg_attribute, _| {
            (!a.attisdropped).then(|| {
                let name = std::ffi::CStr::from_ptr(a.attname.data.as_ptr());
                (
                    a.attnotnull,
                    a.attcollation,
                    name.to_string_lossy().into_owned(),
                )
            })
        })
    }
    .flatten()
}

/// Operator class `opclass`: its access method, and whether it compares values of `typ` as
/// `typ`'s default class of that method does (the class of an index on a column of type
/// `typ`: `text_ops` on a `citext` column is the default class of `text`, not of `citext`,
/// and tells `'a'` from `'A'`). The same family means the same operators.
pub fn opclass_is_default_for(
    opclass: pg_sys::Oid,
    typ: pg_sys::Oid,
) -> Option<(bool, pg_sys::Oid)> {
    use pg_sys::SysCacheIdentifier::CLAOID;
    // SAFETY: CLAOID rows are pg_opclass rows; type and class lookups by OID.
    unsafe {
        let (default, method, intype, family) = syscache_row(
            CLAOID,
            &[pg_sys::Datum::from(opclass)],
            |c: &pg_sys::FormData_pg_opclass, _| {
                (c.opcdefault, c.opcmethod, c.opcintype, c.opcfamily)
            },
        )?;
        // The common case without a search of the method's classes: the default class of
        // the column's own type (a domain's: its base type's).
        let same = (default && (intype == typ || intype == pg_sys::getBaseType(typ))) || {
            let theirs = pg_sys::GetDefaultOpClass(typ, method);
            theirs != pg_sys::InvalidOid && pg_sys::get_opclass_family(theirs) == family
        };
        Some((same, method))
    }
}

/// The OID of extension `name` and the name of its schema, if it is installed.
pub fn extension(name: &std::ffi::CStr) -> Option<(pg_sys::Oid, pg_sys::Oid, String)> {
    // SAFETY: catalog lookups by name and OID; missing objects give InvalidOid or NULL.
    unsafe {
        let ext = pg_sys::get_extension_oid(name.as_ptr(), true);
        if ext == pg_sys::InvalidOid {
            return None;
        }
        let nsp = pg_sys::get_extension_schema(ext);
        let nspname = pg_sys::get_namespace_name(nsp);
        if nspname.is_null() {
            return None;
        }
        Some((
            ext,
            nsp,
            std::ffi::CStr::from_ptr(nspname)
                .to_string_lossy()
                .into_owned(),
        ))
    }
}

/// Catalogs and indexes the dependency walk reads (catalog/pg_*.h; catalog OIDs never
/// change). Column numbers are looked up by name: they move between major versions.
const DEPEND_RELATION: u32 = 2608;
const DEPEND_DEPENDER_INDEX: u32 = 2673;
const DEPEND_REFERENCE_INDEX: u32 = 2674;
const REWRITE_RELATION: u32 = 2618;
const REWRITE_REL_RULENAME_INDEX: u32 = 2693;
const CONSTRAINT_RELATION: u32 = 2606;
const CONSTRAINT_TYPID_INDEX: u32 = 2666;
const CONSTRAINT_RELID_TYPID_NAME_INDEX: u32 = 2665;
const STATISTIC_EXT_RELATION: u32 = 3381;
const STATISTIC_EXT_RELID_INDEX: u32 = 3379;
const AGGREGATE_RELATION: u32 = 2600;
const AMOP_RELATION: u32 = 2602;
const AMOP_OPR_FAM_INDEX: u32 = 2654;
const AMOP_FAM_STRAT_INDEX: u32 = 2653;
const CAST_RELATION: u32 = 2605;
const RANGE_RELATION: u32 = 3541;
const AMPROC_RELATION: u32 = 2603;
const AMPROC_FAM_PROC_INDEX: u32 = 2655;

/// Column `name` of catalog `catalog`: its number.
fn catalog_attnum(catalog: u32, name: &std::ffi::CStr) -> i16 {
    // SAFETY: an attribute lookup of a system catalog's column, which exists.
    unsafe { pg_sys::get_attnum(pg_sys::Oid::from(catalog), name.as_ptr()) }
}

/// The oid-typed column `attno` of a catalog tuple.
///
/// # Safety
/// `tuple` is a live tuple of the catalog described by `desc`.
unsafe fn oid_column(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc, attno: i16) -> pg_sys::Oid {
    let mut isnull = false;
    // SAFETY: per contract.
    let d = unsafe { pg_sys::heap_getattr(tuple, attno as i32, desc, &mut isnull) };
    if isnull {
        pg_sys::InvalidOid
    } else {
        pg_sys::Oid::from(d.value() as u32)
    }
}

/// Column `wanted` (an oid column) of the rows of `catalog` whose column `key` equals
/// `value`, found through `index`, which starts with `key`.
fn column_where(
    catalog: u32,
    index: u32,
    key: &std::ffi::CStr,
    value: pg_sys::Oid,
    wanted: &std::ffi::CStr,
) -> Vec<pg_sys::Oid> {
    let (key, wanted) = (
        catalog_attnum(catalog, key),
        catalog_attnum(catalog, wanted),
    );
    let mut out = Vec::new();
    // SAFETY: callers pass an index of `catalog` whose first column is the oid column `key`;
    // `wanted` is an oid column of it.
    unsafe {
        scan_by_oid(catalog, index, key, value, |t, d| {
            out.push(oid_column(t, d, wanted));
            true
        })
    };
    out
}

/// What pg_depend recorded that object `objid` of class `classid` depends on:
/// `(refclassid, refobjid, refobjsubid)` (a column's number for a column of a relation).
fn depends_on(classid: pg_sys::Oid, objid: pg_sys::Oid) -> Vec<(pg_sys::Oid, pg_sys::Oid, i32)> {
    let att = |name: &std::ffi::CStr| catalog_attnum(DEPEND_RELATION, name);
    let (classid_att, objid_att) = (att(c"classid"), att(c"objid"));
    let (refclassid_att, refobjid_att, refobjsubid_att) =
        (att(c"refclassid"), att(c"refobjid"), att(c"refobjsubid"));
    let mut out = Vec::new();
    // SAFETY: pg_depend_depender_index starts with (classid, objid), both oids; refobjsubid
    // is an int4.
    unsafe {
        scan_by_oids(
            DEPEND_RELATION,
            DEPEND_DEPENDER_INDEX,
            &[(classid_att, classid), (objid_att, objid)],
            |tuple, desc| {
                let mut isnull = false;
                let subid = pg_sys::heap_getattr(tuple, refobjsubid_att as i32, desc, &mut isnull);
                out.push((
                    oid_column(tuple, desc, refclassid_att),
                    oid_column(tuple, desc, refobjid_att),
                    if isnull { 0 } else { subid.value() as i32 },
                ));
                true
            },
        )
    };
    out
}

/// The rules (a view's `_RETURN`) of relation `relid`.
fn rules_of(relid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        REWRITE_RELATION,
        REWRITE_REL_RULENAME_INDEX,
        c"ev_class",
        relid,
        c"oid",
    )
}

/// The constraints of domain `typid`.
fn domain_constraints(typid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        CONSTRAINT_RELATION,
        CONSTRAINT_TYPID_INDEX,
        c"contypid",
        typid,
        c"oid",
    )
}

/// The functions the expression of CHECK constraint `constraint` calls, operators' and type
/// conversions' included. PostgreSQL records no dependency on built-in (pinned) functions,
/// so what it recorded says nothing of them: the expression itself is read.
fn constraint_expression_functions(constraint: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    constraint_expression(constraint)
        .map(|t| expression_functions(&t, false))
        .unwrap_or_default()
}

/// The expression of constraint `constraint` (`conbin`, as `pg_node_tree` text).
fn constraint_expression(constraint: pg_sys::Oid) -> Option<String> {
    // SAFETY: CONSTROID rows are pg_constraint rows, and conbin one of its text columns.
    unsafe {
        syscache_text(
            pg_sys::SysCacheIdentifier::CONSTROID,
            &[pg_sys::Datum::from(constraint)],
            CONSTRAINT_RELATION,
            c"conbin",
        )
    }
}

/// The functions a stored condition (a trigger's WHEN, as `pg_node_tree` text) calls,
/// including what the CHECK constraints of the domains it converts to call (and those of
/// the domains they are over).
pub fn condition_functions(tree: &str) -> Vec<pg_sys::Oid> {
    expression_functions(tree, true)
}

/// The functions expression `tree` (`pg_node_tree` text) calls, operators' and type
/// conversions' included, and the SQL keywords that stand for functions (CURRENT_USER, ...)
/// as those functions; with `domains`, also what the CHECKs of the domains it converts to
/// call.
fn expression_functions(tree: &str, domains: bool) -> Vec<pg_sys::Oid> {
    let (mut funcs, converted) = expression_walk(tree);
    if domains {
        funcs.extend(conversion_functions(converted).into_iter().map(|(f, _)| f));
    }
    funcs.sort_by_key(|f| f.to_u32());
    funcs.dedup();
    funcs
}

/// The functions expression `tree` (`pg_node_tree` text) calls, operators' and type
/// conversions' included, and the SQL keywords that stand for functions (CURRENT_USER, ...)
/// as those functions; and the types it converts values to that may check them (domains
/// coerced to, types read from text: their fields' and elements' domains check them).
fn expression_walk(tree: &str) -> (Vec<pg_sys::Oid>, Vec<pg_sys::Oid>) {
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn collect(func: pg_sys::Oid, ctx: *mut std::ffi::c_void) -> bool {
        // SAFETY: ctx is the Vec below, alive for the walk.
        unsafe { (*(ctx as *mut Vec<pg_sys::Oid>)).push(func) };
        false
    }
    let mut funcs: Vec<pg_sys::Oid> = Vec::new();
    let mut converted: Vec<pg_sys::Oid> = Vec::new();
    let Ok(c) = std::ffi::CString::new(tree) else {
        return (funcs, converted);
    };
    // SAFETY: a node tree PostgreSQL stored, read into the current memory context; the walk
    // only reads it (fix_opfuncids fills in operators' functions).
    unsafe {
        let node = pg_sys::stringToNode(c.as_ptr()) as *mut pg_sys::Node;
        if node.is_null() {
            return (funcs, converted);
        }
        pg_sys::fix_opfuncids(node);
        let ctx = &mut funcs as *mut Vec<pg_sys::Oid> as *mut std::ffi::c_void;
        crate::pg::nodes::walk(node, &mut |node, _| {
            if crate::pg::nodes::is_a(node, pg_sys::NodeTag::T_SQLValueFunction) {
                // CURRENT_USER, SESSION_USER, CURRENT_CATALOG ... are no function calls: the
                // functions they stand for, which the rules know by name.
                let op = (*(node as *mut pg_sys::SQLValueFunction)).op;
                if let Some((_, f)) = crate::pg::nodes::keyword_function(op) {
                    (*(ctx as *mut Vec<pg_sys::Oid>)).push(f);
                }
            } else if crate::pg::nodes::is_a(node, pg_sys::NodeTag::T_CoerceToDomain) {
                converted.push((*(node as *mut pg_sys::CoerceToDomain)).resulttype);
            } else if !crate::pg::nodes::is_a(node, pg_sys::NodeTag::T_Query) {
                if crate::pg::nodes::is_a(node, pg_sys::NodeTag::T_CoerceViaIO) {
                    // Read from text: the domains inside the type check what is read.
                    converted.push((*(node as *mut pg_sys::CoerceViaIO)).resulttype);
                }
                pg_sys::check_functions_in_node(node, Some(collect), ctx);
            }
            crate::pg::nodes::Visit::Descend
        });
    }
    (funcs, converted)
}

/// What converting values to the types `types` may run, each function with the domain whose
/// CHECK runs it: the CHECKs of those that are domains (and of the domains they are over),
/// of the domains inside the others (a composite's fields, an array's elements, a range's
/// bounds: a value read from text is built of them), and of the domains those CHECKs
/// themselves convert to, at any depth.
fn conversion_functions(types: Vec<pg_sys::Oid>) -> Vec<(pg_sys::Oid, pg_sys::Oid)> {
    let constraint = pg_sys::Oid::from(CONSTRAINT_RELATION);
    let mut out = Vec::new();
    let mut work = types;
    let mut seen = std::collections::HashSet::new();
    while let Some(t) = work.pop() {
        if t == pg_sys::InvalidOid || !seen.insert(t) || seen.len() > 10_000 {
            continue;
        }
        if let Some(parent) = domain_parent(t) {
            for k in domain_constraints(t) {
                if let Some(text) = constraint_expression(k) {
                    let (funcs, converts) = expression_walk(&text);
                    out.extend(funcs.into_iter().map(|f| (f, t)));
                    work.extend(converts);
                }
                out.extend(
                    depends_on(constraint, k)
                        .into_iter()
                        .filter(|(c, _, _)| *c == pg_sys::ProcedureRelationId)
                        .map(|(_, o, _)| (o, t)),
                );
            }
            work.push(parent);
            continue;
        }
        work.extend(crate::pg::names::inner_types(t));
    }
    out
}

/// The support functions of aggregate `aggfnoid`, if it is one: transition, final, combine,
/// serialization, and the moving-aggregate ones a window frame uses.
fn aggregate_functions(aggfnoid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    use pg_sys::SysCacheIdentifier::AGGFNOID;
    let columns = [
        c"aggtransfn",
        c"aggfinalfn",
        c"aggcombinefn",
        c"aggserialfn",
        c"aggdeserialfn",
        c"aggmtransfn",
        c"aggminvtransfn",
        c"aggmfinalfn",
    ];
    // SAFETY: AGGFNOID rows are pg_aggregate rows (no FormData struct is read: `()`); the
    // columns read are regproc (oid) columns.
    unsafe {
        syscache_row(AGGFNOID, &[pg_sys::Datum::from(aggfnoid)], |_: &(), t| {
            columns
                .iter()
                .map(|c| syscache_oid(AGGFNOID, t, catalog_attnum(AGGREGATE_RELATION, c)))
                .filter(|f| *f != pg_sys::InvalidOid)
                .collect()
        })
    }
    .unwrap_or_default()
}

/// What a definition depends on, as PostgreSQL recorded it for its view and the helper
/// views (and materialized views) it reads, transitively: `(class, object, column)`.
pub fn definition_dependencies(view: pg_sys::Oid) -> Vec<(pg_sys::Oid, pg_sys::Oid, i32)> {
    let rewrite = pg_sys::Oid::from(REWRITE_RELATION);
    let mut rels = vec![view];
    let mut seen: std::collections::HashSet<pg_sys::Oid> = rels.iter().copied().collect();
    let mut deps = Vec::new();
    let mut i = 0;
    while i < rels.len() {
        for rule in rules_of(rels[i]) {
            for (class, object, column) in depends_on(rewrite, rule) {
                if class == pg_sys::RelationRelationId && !seen.contains(&object) {
                    // SAFETY: a catalog lookup; an unknown relation gives '\0'.
                    let kind = unsafe { pg_sys::get_rel_relkind(object) } as u8;
                    if kind == pg_sys::RELKIND_VIEW || kind == pg_sys::RELKIND_MATVIEW {
                        seen.insert(object);
                        rels.push(object);
                    }
                }
                deps.push((class, object, column));
            }
        }
        i += 1;
    }
    deps
}

/// What reading a view needs of the reader, as the executor checks it: the relations the
/// view's query (subqueries, `WITH` and sublinks included) reads, each with the columns it
/// reads of them (0 for a whole row, which needs every column; none when it reads a
/// relation for no column, as `count(*)` does, which needs one), and the functions its rule
/// records a dependency on (built-ins record none). A `security_invoker` view among them is
/// read with the reader's rights too: its own needs count, transitively.
pub struct ViewNeeds {
    pub reads: Vec<(pg_sys::Oid, Vec<i16>)>,
    pub functions: Vec<pg_sys::Oid>,
}

/// [`ViewNeeds`] of view `view` (empty for a relation that is not a view).
pub fn view_needs(view: pg_sys::Oid) -> ViewNeeds {
    let rewrite = pg_sys::Oid::from(REWRITE_RELATION);
    let mut needs = ViewNeeds {
        reads: Vec::new(),
        functions: Vec::new(),
    };
    let mut views = vec![view];
    let mut seen: std::collections::HashSet<pg_sys::Oid> = views.iter().copied().collect();
    while let Some(v) = views.pop() {
        for rule in rules_of(v) {
            needs.functions.extend(
                depends_on(rewrite, rule)
                    .into_iter()
                    .filter(|(c, _, _)| *c == pg_sys::ProcedureRelationId)
                    .map(|(_, o, _)| o),
            );
        }
        for (relid, columns) in view_reads(v) {
            if is_invoker_view(relid) && seen.insert(relid) {
                views.push(relid);
            }
            match needs.reads.iter_mut().find(|(r, _)| *r == relid) {
                Some((_, cols)) => cols.extend(columns),
                None => needs.reads.push((relid, columns)),
            }
        }
    }
    for (_, cols) in needs.reads.iter_mut() {
        cols.sort_unstable();
        cols.dedup();
    }
    needs.functions.sort_by_key(|f| f.to_u32());
    needs.functions.dedup();
    needs
}

/// The relations the `_RETURN` rule of view `view` reads with the reader's rights, from the
/// permission entries of every query level: `(relation, columns read)` (see [`ViewNeeds`]).
fn view_reads(view: pg_sys::Oid) -> Vec<(pg_sys::Oid, Vec<i16>)> {
    // SAFETY: RULERELNAME rows are pg_rewrite rows keyed by (ev_class, rulename), and
    // ev_action one of its text columns.
    let text = unsafe {
        syscache_text(
            pg_sys::SysCacheIdentifier::RULERELNAME,
            &[
                pg_sys::Datum::from(view),
                pg_sys::Datum::from(c"_RETURN".as_ptr()),
            ],
            REWRITE_RELATION,
            c"ev_action",
        )
    };
    let mut out: Vec<(pg_sys::Oid, Vec<i16>)> = Vec::new();
    let Some(text) = text.and_then(|t| std::ffi::CString::new(t).ok()) else {
        return out;
    };
    // SAFETY: a node tree PostgreSQL stored (a list of one Query), read into the current
    // memory context; the walk only reads it.
    unsafe {
        let node = pg_sys::stringToNode(text.as_ptr()) as *mut pg_sys::Node;
        crate::pg::nodes::walk(node, &mut |node, _| {
            if crate::pg::nodes::is_a(node, pg_sys::NodeTag::T_Query) {
                let q = node as *mut pg_sys::Query;
                for p in crate::pg::nodes::list_iter::<pg_sys::RTEPermissionInfo>((*q).rteperminfos)
                {
                    // Entries checked as a role of their own are not the reader's to have.
                    if (*p).requiredPerms & pg_sys::ACL_SELECT as pg_sys::AclMode == 0
                        || (*p).checkAsUser != pg_sys::InvalidOid
                    {
                        continue;
                    }
                    let mut columns = Vec::new();
                    let mut bit = -1;
                    loop {
                        bit = pg_sys::bms_next_member((*p).selectedCols, bit);
                        if bit < 0 {
                            break;
                        }
                        columns.push((bit + pg_sys::FirstLowInvalidHeapAttributeNumber) as i16);
                    }
                    out.push(((*p).relid, columns));
                }
            }
            crate::pg::nodes::Visit::Descend
        });
    }
    out
}

/// Is `relid` a view whose contents are read with its reader's rights (`security_invoker`)?
pub fn is_invoker_view(relid: pg_sys::Oid) -> bool {
    use pg_sys::SysCacheIdentifier::RELOID;
    // SAFETY: a catalog lookup; an unknown relation gives '\0'.
    if unsafe { pg_sys::get_rel_relkind(relid) } as u8 != pg_sys::RELKIND_VIEW {
        return false;
    }
    // SAFETY: RELOID rows are pg_class rows; reloptions is a text[] parsed into a fresh
    // ViewOptions before the row is released.
    unsafe {
        syscache_row(RELOID, &[pg_sys::Datum::from(relid)], |_: &(), tup| {
            let mut isnull = false;
            let d = pg_sys::SysCacheGetAttr(
                RELOID as std::ffi::c_int,
                tup,
                catalog_attnum(pg_sys::RelationRelationId.to_u32(), c"reloptions"),
                &mut isnull,
            );
            if isnull {
                return false;
            }
            let opts = pg_sys::view_reloptions(d, false) as *mut pg_sys::ViewOptions;
            !opts.is_null() && (*opts).security_invoker
        })
    }
    .unwrap_or(false)
}

/// The tables a definition reads and, for each, the role that reads it there: the TVIEW's
/// owner for the tables its definition view (and `security_invoker` views under it) names,
/// the owner of a view that reads with its own rights for the tables that view names (and
/// the `security_invoker` views under it). Row security is applied, and policies run, for
/// that role; their code runs as the TVIEW's owner all the same. `(table, reader, view)`.
pub fn definition_readers(
    view: pg_sys::Oid,
    owner: pg_sys::Oid,
) -> Vec<(pg_sys::Oid, pg_sys::Oid, pg_sys::Oid)> {
    let rewrite = pg_sys::Oid::from(REWRITE_RELATION);
    let mut out = Vec::new();
    let mut work = vec![(view, owner)];
    let mut seen: std::collections::HashSet<(pg_sys::Oid, pg_sys::Oid)> =
        std::collections::HashSet::new();
    while let Some((v, reader)) = work.pop() {
        if !seen.insert((v, reader)) {
            continue;
        }
        for rule in rules_of(v) {
            for (class, object, _) in depends_on(rewrite, rule) {
                if class != pg_sys::RelationRelationId || object == v {
                    continue;
                }
                // SAFETY: a catalog lookup; '\0' for a missing relation.
                let kind = unsafe { pg_sys::get_rel_relkind(object) } as u8;
                if kind == pg_sys::RELKIND_VIEW {
                    let next = if is_invoker_view(object) {
                        reader
                    } else {
                        crate::pg::names::relation_owner(object).unwrap_or(reader)
                    };
                    work.push((object, next));
                } else if !out.contains(&(object, reader, v)) {
                    out.push((object, reader, v));
                }
            }
        }
    }
    out
}

/// The functions the planner may run, as whoever plans a query over table `relid`, without
/// the query naming them: those of its indexes' expressions and partial indexes'
/// predicates, of its CHECK constraints (`constraint_exclusion`) and of its extended
/// statistics' expressions, all of which it folds as constants, operators' functions (and
/// their negators' and commutators', which it may put in their place) included; and the
/// support functions and operators of its indexes' operator classes, which an index scan
/// (or, for a table maintenance `written`, an insert into the index) runs. The indexes
/// counted are those the planner may use (valid ones), or for a `written` table those
/// writes maintain (ready ones: an index CREATE INDEX CONCURRENTLY left invalid is
/// maintained, never planned). As PostgreSQL recorded them: built-ins are not (nor are the
/// functions of built-in operator families, which are built-in).
pub fn table_code_functions(relid: pg_sys::Oid, written: bool) -> Vec<pg_sys::Oid> {
    let mut deps: Vec<(pg_sys::Oid, pg_sys::Oid, i32)> = Vec::new();
    let mut out = Vec::new();
    let mut families = Vec::new();
    for index in indexes(relid) {
        if !(if written { index.ready } else { index.valid }) {
            continue;
        }
        deps.extend(depends_on(pg_sys::RelationRelationId, index.index));
        for &(_, class, _) in &index.keys {
            // SAFETY: an operator class syscache lookup; InvalidOid when missing.
            let family = unsafe { pg_sys::get_opclass_family(class) };
            // A built-in family holds built-in functions only (only a superuser changes
            // one), as for the types' default families in `type_functions`.
            if family.to_u32() >= pg_sys::FirstNormalObjectId && !families.contains(&family) {
                families.push(family);
            }
        }
    }
    for family in families {
        out.extend(family_functions(family));
        out.extend(family_operator_functions(family));
    }
    // The table's constraints and extended statistics objects, each found through its
    // catalog's index on the table's OID.
    for (catalog, index, column) in [
        (
            CONSTRAINT_RELATION,
            CONSTRAINT_RELID_TYPID_NAME_INDEX,
            c"conrelid",
        ),
        (
            STATISTIC_EXT_RELATION,
            STATISTIC_EXT_RELID_INDEX,
            c"stxrelid",
        ),
    ] {
        for object in column_where(catalog, index, column, relid, c"oid") {
            deps.extend(depends_on(pg_sys::Oid::from(catalog), object));
        }
    }
    for (class, object, _) in deps {
        if class == pg_sys::ProcedureRelationId {
            out.push(object);
        } else if class == pg_sys::OperatorRelationId {
            out.extend(operator_code(object));
        }
    }
    out.sort_by_key(|f| f.to_u32());
    out.dedup();
    out
}

/// The table extended statistics object `stats` is on (InvalidOid when it is gone).
pub fn statistics_table(stats: pg_sys::Oid) -> pg_sys::Oid {
    use pg_sys::SysCacheIdentifier::STATEXTOID;
    // Read by column number: not every major's bindings carry pg_statistic_ext's struct.
    let stxrelid = catalog_attnum(STATISTIC_EXT_RELATION, c"stxrelid");
    // SAFETY: STATEXTOID rows are pg_statistic_ext rows (no FormData struct is read: `()`);
    // stxrelid is an oid column.
    unsafe {
        syscache_row(STATEXTOID, &[pg_sys::Datum::from(stats)], |_: &(), t| {
            syscache_oid(STATEXTOID, t, stxrelid)
        })
    }
    .unwrap_or(pg_sys::InvalidOid)
}

/// The functions a value of type `typ` may run through when maintenance carries it as text
/// and reads it back, as the TVIEW's owner (a deferred TVIEW's captured lookup values, rows a
/// replica session collected: `value::text`, later `text::type` of the type or, for a
/// domain, its base type): the casts between those types and text, and the CHECK
/// constraints of every domain inside it (a composite's fields, an array's elements, a
/// range's bounds, at any depth: reading the value back converts to each). Each with what
/// brings it in.
pub fn text_round_trip_functions(typ: pg_sys::Oid) -> Vec<(pg_sys::Oid, pg_sys::Oid)> {
    let mut out = Vec::new();
    // SAFETY: type catalog lookups; InvalidOid / false for what a type is not.
    unsafe {
        let base = pg_sys::getBaseType(typ);
        for t in [typ, base] {
            for (source, target) in [(t, pg_sys::TEXTOID), (pg_sys::TEXTOID, t)] {
                if let Some(f) = cast_function(source, target) {
                    out.push((f, t));
                }
            }
        }
        out.extend(conversion_functions(vec![base]));
    }
    out
}

/// The functions operator `opno` may run as: its own, and those of its negator and its
/// commutator, which the planner may put in its place (`NOT (a = b)` becomes `a <> b`).
pub fn operator_code(opno: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    // SAFETY: operator syscache lookups; InvalidOid when missing.
    unsafe {
        [
            opno,
            pg_sys::get_negator(opno),
            pg_sys::get_commutator(opno),
        ]
        .into_iter()
        .filter(|o| *o != pg_sys::InvalidOid)
        .map(|o| pg_sys::get_opcode(o))
        .filter(|f| *f != pg_sys::InvalidOid)
        .collect()
    }
}

/// Is `typ` a domain?
pub fn is_domain(typ: pg_sys::Oid) -> bool {
    domain_parent(typ).is_some()
}

/// For a domain, the type it is over (a base type or another domain); `None` for any other
/// type.
fn domain_parent(typ: pg_sys::Oid) -> Option<pg_sys::Oid> {
    use pg_sys::SysCacheIdentifier::TYPEOID;
    // SAFETY: TYPEOID rows are pg_type rows.
    unsafe {
        syscache_row(
            TYPEOID,
            &[pg_sys::Datum::from(typ)],
            |t: &pg_sys::FormData_pg_type, _| {
                (t.typtype as u8 == pg_sys::TYPTYPE_DOMAIN).then_some(t.typbasetype)
            },
        )
    }
    .flatten()
}

/// The operator families operator `opno` belongs to.
fn operator_families(opno: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        AMOP_RELATION,
        AMOP_OPR_FAM_INDEX,
        c"amopopr",
        opno,
        c"amopfamily",
    )
}

/// The support functions of operator family `family` (comparison, hashing, sort support,
/// in_range, ...).
fn family_functions(family: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        AMPROC_RELATION,
        AMPROC_FAM_PROC_INDEX,
        c"amprocfamily",
        family,
        c"amproc",
    )
}

/// The functions of the operators of operator family `family`.
fn family_operator_functions(family: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    column_where(
        AMOP_RELATION,
        AMOP_FAM_STRAT_INDEX,
        c"amopfamily",
        family,
        c"amopopr",
    )
    .into_iter()
    // SAFETY: an operator syscache lookup; InvalidOid when missing.
    .map(|o| unsafe { pg_sys::get_opcode(o) })
    .collect()
}

/// The function of the cast from `source` to `target`, if there is one with a function.
pub fn cast_function(source: pg_sys::Oid, target: pg_sys::Oid) -> Option<pg_sys::Oid> {
    use pg_sys::SysCacheIdentifier::CASTSOURCETARGET;
    let keys = [pg_sys::Datum::from(source), pg_sys::Datum::from(target)];
    let castfunc = catalog_attnum(CAST_RELATION, c"castfunc");
    // SAFETY: CASTSOURCETARGET rows are pg_cast rows (no FormData struct is read: `()`);
    // castfunc is an oid column.
    unsafe {
        syscache_row(CASTSOURCETARGET, &keys, |_: &(), t| {
            syscache_oid(CASTSOURCETARGET, t, castfunc)
        })
    }
    .filter(|f| *f != pg_sys::InvalidOid)
}

/// The types of the columns of relation `relid` (dropped ones left out).
pub fn column_types(relid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    use pg_sys::SysCacheIdentifier::ATTNUM;
    // Column numbers run from 1 without gaps (a dropped column keeps its row).
    (1..=i16::MAX)
        .map_while(|attnum| {
            let keys = [pg_sys::Datum::from(relid), pg_sys::Datum::from(attnum)];
            // SAFETY: ATTNUM rows are pg_attribute rows.
            unsafe {
                syscache_row(ATTNUM, &keys, |a: &pg_sys::FormData_pg_attribute, _| {
                    (!a.attisdropped).then_some(a.atttypid)
                })
            }
        })
        .flatten()
        .collect()
}

/// What values of type `typ` can run without the definition naming it, and the types inside
/// it. PostgreSQL finds these at run time, in its type cache: comparing, sorting or hashing
/// an array, a row or a range compares its elements with their type's default operator
/// classes; `to_json`, `to_jsonb`, `json_agg`, `jsonb_build_object` and the like convert a
/// value of a type of one's own with its cast to `json` or `jsonb`. Returns the functions;
/// pushes the types inside `typ` (a domain's base type, an array's elements, a row's fields,
/// a range's subtype) onto `types`.
fn type_functions(
    typ: pg_sys::Oid,
    types: &mut Vec<pg_sys::Oid>,
    defaults: &DefaultFamilies,
) -> Vec<pg_sys::Oid> {
    let mut funcs = Vec::new();
    if let Some(parent) = domain_parent(typ) {
        types.push(parent);
    }
    // SAFETY: type and relation syscache lookups; InvalidOid when there is no such part.
    unsafe {
        let element = pg_sys::get_element_type(typ);
        if element != pg_sys::InvalidOid {
            types.push(element);
        }
        let relid = pg_sys::get_typ_typrelid(typ);
        if relid != pg_sys::InvalidOid {
            types.extend(column_types(relid));
        }
        let range = pg_sys::get_multirange_range(typ);
        for range in [typ, range] {
            use pg_sys::SysCacheIdentifier::RANGETYPE;
            let column = |name: &std::ffi::CStr| catalog_attnum(RANGE_RELATION, name);
            let found = syscache_row(RANGETYPE, &[pg_sys::Datum::from(range)], |_: &(), t| {
                [c"rngsubtype", c"rngcanonical", c"rngsubdiff", c"rngsubopc"]
                    .map(|c| syscache_oid(RANGETYPE, t, column(c)))
            });
            let Some([subtype, canonical, subdiff, opclass]) = found else {
                continue;
            };
            types.push(subtype);
            funcs.extend([canonical, subdiff]);
            if opclass != pg_sys::InvalidOid {
                let family = pg_sys::get_opclass_family(opclass);
                funcs.extend(family_functions(family));
                funcs.extend(family_operator_functions(family));
            }
        }
    }
    if typ.to_u32() >= pg_sys::FirstNormalObjectId {
        for target in [pg_sys::JSONOID, pg_sys::JSONBOID] {
            funcs.extend(cast_function(typ, target));
        }
    }
    // Built-in types too: json, point, xml and others have no default class of their own,
    // and one a superuser makes for them (over another role's functions) compares their
    // arrays and rows.
    for family in defaults.families_for(typ) {
        funcs.extend(family_functions(family));
        funcs.extend(family_operator_functions(family));
    }
    funcs
}

/// The types of the columns a function returns through OUT (or INOUT, or `RETURNS TABLE`)
/// parameters: its declared result is `record`, and PostgreSQL records no dependency on
/// them, yet their values are what the definition handles.
fn result_column_types(func: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    // SAFETY: a function lookup; the descriptor (when there is one) is read, not kept.
    unsafe {
        let mut result: pg_sys::Oid = pg_sys::InvalidOid;
        let mut desc: pg_sys::TupleDesc = std::ptr::null_mut();
        let class = pg_sys::get_func_result_type(func, &mut result, &mut desc);
        if class != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || desc.is_null() {
            return Vec::new();
        }
        crate::pg::tupdesc::attributes(desc)
            .iter()
            .filter(|a| !a.attisdropped)
            .map(|a| a.atttypid)
            .collect()
    }
}

/// The default B-tree and hash operator classes that are not built in (an extension's, a
/// user's), as `(input type, family)`: what PostgreSQL may pick to compare, sort or hash a
/// type of one's own. Read once per walk: `GetDefaultOpClass` reads every class of the
/// access method and asks of each whether the type converts to its input type, for each
/// type; a new backend's first write paid that for every table's row type. The built-in
/// classes' families hold built-in functions only, which no rule here needs to see.
struct DefaultFamilies(Vec<(pg_sys::Oid, pg_sys::Oid)>);

impl DefaultFamilies {
    fn read() -> Self {
        let catalog = pg_sys::OperatorClassRelationId.to_u32();
        let att = |name: &std::ffi::CStr| catalog_attnum(catalog, name);
        let (method, default, intype, family, oid) = (
            att(c"opcmethod"),
            att(c"opcdefault"),
            att(c"opcintype"),
            att(c"opcfamily"),
            att(c"oid"),
        );
        let mut out = Vec::new();
        for am in [pg_sys::BTREE_AM_OID, pg_sys::HASH_AM_OID] {
            // SAFETY: pg_opclass_am_name_nsp_index starts with opcmethod (an oid); opcdefault
            // is a bool, the others oids, read as such.
            unsafe {
                scan_by_oid(
                    catalog,
                    pg_sys::OpclassAmNameNspIndexId,
                    method,
                    am,
                    |t, d| {
                        let mut isnull = false;
                        let is_default = pg_sys::heap_getattr(t, default as i32, d, &mut isnull);
                        let class = oid_column(t, d, oid);
                        let class_family = oid_column(t, d, family);
                        if !isnull
                            && is_default.value() != 0
                            && (class.to_u32() >= pg_sys::FirstNormalObjectId
                                || class_family.to_u32() >= pg_sys::FirstNormalObjectId)
                        {
                            out.push((oid_column(t, d, intype), class_family));
                        }
                        true
                    },
                )
            };
        }
        DefaultFamilies(out)
    }

    /// The families of those classes PostgreSQL may take as the default for `typ`: of its
    /// own type, or of one it converts to without a function (as `GetDefaultOpClass`
    /// considers; where several would tie PostgreSQL takes none, and all are counted).
    fn families_for(&self, typ: pg_sys::Oid) -> Vec<pg_sys::Oid> {
        self.0
            .iter()
            // SAFETY: a cast catalog lookup of existing types.
            .filter(|(intype, _)| {
                *intype == typ || unsafe { pg_sys::IsBinaryCoercible(typ, *intype) }
            })
            .map(|(_, family)| *family)
            .collect()
    }
}

/// The functions a definition can run, found from what PostgreSQL recorded it depends on:
///
/// * functions it calls;
/// * the function of each operator it uses, and the support functions of the operator
///   families the operator belongs to: a sort, a merge or hash join, a grouping or
///   `DISTINCT` by it calls those (`btint4cmp`, a hash function), not the operator's own;
/// * for a domain it uses, what the domain's CHECK constraints use (functions, operators,
///   other domains), and the same for the domain it is over;
/// * the support functions of every aggregate among those functions (transition, final,
///   combine, serialization, moving-aggregate);
/// * what the values it handles run without being named ([`type_functions`]): the types of
///   the columns it reads (and of its tables' rows), of the types it names, and of what the
///   functions above return, element by element and field by field.
pub fn definition_functions(view: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    definition_reach(view).functions
}

/// The types whose values a definition handles, as [`definition_functions`] walks them:
/// those of the columns it reads and of its tables' rows, the types it names, what its
/// functions return, and the types inside each (a domain's base type, an array's elements, a
/// row's fields, a range's subtype). A cast from one of them to `json` or `jsonb`, made or
/// dropped, changes what the definition computes.
pub fn definition_types(view: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    definition_reach(view).types
}

/// The casts to `json` or `jsonb` with a function that values of `types` (a definition's,
/// [`definition_types`]) go through without the definition naming them (`to_json`, `jsonb_build_object`, `json_agg` and the
/// like look them up at run time): (type, target, function).
pub fn json_casts(types: &[pg_sys::Oid]) -> Vec<(pg_sys::Oid, pg_sys::Oid, pg_sys::Oid)> {
    types
        .iter()
        .copied()
        .filter(|t| t.to_u32() >= pg_sys::FirstNormalObjectId)
        .flat_map(|t| {
            [pg_sys::JSONOID, pg_sys::JSONBOID]
                .into_iter()
                .filter_map(move |target| cast_function(t, target).map(|f| (t, target, f)))
        })
        .collect()
}

/// What a definition reaches ([`definition_reach`]).
pub struct Reach {
    /// [`definition_functions`], sorted.
    pub functions: Vec<pg_sys::Oid>,
    /// [`definition_types`], sorted.
    pub types: Vec<pg_sys::Oid>,
    /// The functions the CHECK constraints of a domain run where the definition's values are
    /// converted to that domain (a cast to it, an argument or a field of its type, a function
    /// returning it), with that domain: the domain's owner adds such a check at any time
    /// (ALTER DOMAIN ... ADD CHECK), without the definition naming it. Sorted by function.
    /// The domains of the columns of tables the definition reads are not converted to when
    /// read, so their checks never run there and are not among these.
    pub domain_checks: Vec<(pg_sys::Oid, pg_sys::Oid)>,
    /// The functions among [`Reach::functions`] that maintenance may run: all but those
    /// reached only through the CHECK of a domain the definition's values are not converted
    /// to (a domain's CHECK never runs on a value read). The support functions of the types
    /// of columns it only reads count: the planner runs a range type's `subtype_diff` to
    /// estimate a condition, output functions run when values are turned into text. Sorted.
    pub run: Vec<pg_sys::Oid>,
}

/// [`definition_functions`], [`definition_types`] and the functions of domain checks
/// ([`Reach::domain_checks`]) of a definition, in one walk.
pub fn definition_reach(view: pg_sys::Oid) -> Reach {
    let constraint = pg_sys::Oid::from(CONSTRAINT_RELATION);
    let mut funcs: Vec<pg_sys::Oid> = Vec::new();
    let mut types: Vec<pg_sys::Oid> = Vec::new();
    let mut domain_checks: Vec<(pg_sys::Oid, pg_sys::Oid)> = Vec::new();
    let mut run: Vec<pg_sys::Oid> = Vec::new();
    // An item: (class, object, whether the definition's values are converted to it (for a
    // type), the domain whose CHECK reaches it (if any), whether it is reached only through
    // the CHECK of a domain the values are not converted to, which never runs).
    type Item = (pg_sys::Oid, pg_sys::Oid, bool, Option<pg_sys::Oid>, bool);
    let mut seen: std::collections::HashSet<Item> = std::collections::HashSet::new();
    let mut work: Vec<Item> = Vec::new();
    let defaults = DefaultFamilies::read();
    for (class, object, column) in definition_dependencies(view) {
        if class == pg_sys::RelationRelationId {
            // SAFETY: relation and attribute syscache lookups; InvalidOid when missing.
            unsafe {
                if column != 0 {
                    work.push((
                        pg_sys::TypeRelationId,
                        pg_sys::get_atttype(object, column as i16),
                        false,
                        None,
                        false,
                    ));
                }
                // Every column of a table the definition reads counts, used or not: a
                // whole-row reference (to_jsonb(t)) reaches them all, and PostgreSQL records
                // no dependency for it (only the columns named elsewhere).
                work.push((
                    pg_sys::TypeRelationId,
                    pg_sys::get_rel_type_id(object),
                    false,
                    None,
                    false,
                ));
            }
        } else {
            // A type the query itself names or converts to (PostgreSQL records a dependency
            // on the target of every conversion to a domain).
            work.push((class, object, true, None, false));
        }
    }
    while let Some(item) = work.pop() {
        let (class, object, converted, check, inert) = item;
        if object == pg_sys::InvalidOid || !seen.insert(item) {
            continue;
        }
        if class == pg_sys::ProcedureRelationId {
            funcs.push(object);
            if !inert {
                run.push(object);
            }
            if let Some(domain) = check {
                domain_checks.push((object, domain));
            }
            // SAFETY: a function syscache lookup of an existing function.
            let returns = unsafe { pg_sys::get_func_rettype(object) };
            // What a function returns is converted to its declared type (a domain's checks
            // run on it), and through OUT parameters to theirs.
            work.push((pg_sys::TypeRelationId, returns, true, check, inert));
            work.extend(
                result_column_types(object)
                    .into_iter()
                    .map(|t| (pg_sys::TypeRelationId, t, true, check, inert)),
            );
            work.extend(
                aggregate_functions(object)
                    .into_iter()
                    .map(|f| (pg_sys::ProcedureRelationId, f, converted, check, inert)),
            );
        } else if class == pg_sys::OperatorRelationId {
            // Its function, and its negator's and commutator's, which the planner may use
            // in its place.
            for code in operator_code(object) {
                work.push((pg_sys::ProcedureRelationId, code, converted, check, inert));
            }
            for family in operator_families(object) {
                work.extend(
                    family_functions(family)
                        .into_iter()
                        .map(|f| (pg_sys::ProcedureRelationId, f, converted, check, inert)),
                );
            }
        } else if class == pg_sys::TypeRelationId {
            types.push(object);
            if domain_parent(object).is_some() {
                for k in domain_constraints(object) {
                    // A check of a domain nested in one the values are converted to (its
                    // base domain, an element or field domain) runs too.
                    let via = if converted { Some(object) } else { check };
                    let quiet = inert || !converted;
                    work.extend(
                        depends_on(constraint, k)
                            .into_iter()
                            .map(|(c, o, _)| (c, o, converted, via, quiet)),
                    );
                    work.extend(
                        constraint_expression_functions(k)
                            .into_iter()
                            .map(|f| (pg_sys::ProcedureRelationId, f, converted, via, quiet)),
                    );
                }
            }
            let mut inner = Vec::new();
            let found = type_functions(object, &mut inner, &defaults);
            work.extend(
                found
                    .into_iter()
                    .map(|f| (pg_sys::ProcedureRelationId, f, converted, check, inert)),
            );
            work.extend(
                inner
                    .into_iter()
                    .map(|t| (pg_sys::TypeRelationId, t, converted, check, inert)),
            );
        }
    }
    funcs.sort_by_key(|f| f.to_u32());
    funcs.dedup();
    types.sort_by_key(|t| t.to_u32());
    types.dedup();
    domain_checks.sort_by_key(|(f, d)| (f.to_u32(), d.to_u32()));
    domain_checks.dedup_by_key(|(f, _)| *f);
    run.sort_by_key(|f| f.to_u32());
    run.dedup();
    Reach {
        functions: funcs,
        types,
        domain_checks,
        run,
    }
}

/// The relation that object `objid` of catalog `class` is an internal part of (a pg_depend
/// row with deptype `i` from it to a relation as a whole), if any.
pub fn internal_owner(class: pg_sys::Oid, objid: pg_sys::Oid) -> Option<pg_sys::Oid> {
    let att = |name: &std::ffi::CStr| catalog_attnum(DEPEND_RELATION, name);
    let (classid, objid_att, refclassid, refobjid, refobjsubid, deptype) = (
        att(c"classid"),
        att(c"objid"),
        att(c"refclassid"),
        att(c"refobjid"),
        att(c"refobjsubid"),
        att(c"deptype"),
    );
    let mut found = None;
    // SAFETY: pg_depend_depender_index starts with (classid, objid), both oids; refobjsubid
    // is an int4 and deptype a "char", read as such.
    unsafe {
        scan_by_oids(
            DEPEND_RELATION,
            DEPEND_DEPENDER_INDEX,
            &[(classid, class), (objid_att, objid)],
            |tuple, desc| {
                let mut isnull = false;
                let subid = pg_sys::heap_getattr(tuple, refobjsubid as i32, desc, &mut isnull);
                let kind = pg_sys::heap_getattr(tuple, deptype as i32, desc, &mut isnull);
                if oid_column(tuple, desc, refclassid) == pg_sys::RelationRelationId
                    && subid.value() as i32 == 0
                    && kind.value() as u8 == pg_sys::DependencyType::DEPENDENCY_INTERNAL as u8
                {
                    found = Some(oid_column(tuple, desc, refobjid));
                    return false;
                }
                true
            },
        )
    };
    found
}

/// The relations that are internal parts of relation `relid` (pg_depend rows with deptype
/// `i` from a relation to `relid` as a whole), in OID order.
pub fn internal_parts(relid: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    let att = |name: &std::ffi::CStr| catalog_attnum(DEPEND_RELATION, name);
    let (refclassid, refobjid, refobjsubid) =
        (att(c"refclassid"), att(c"refobjid"), att(c"refobjsubid"));
    let (classid, objid, deptype) = (att(c"classid"), att(c"objid"), att(c"deptype"));
    let mut out = Vec::new();
    // SAFETY: pg_depend_reference_index starts with (refclassid, refobjid), both oids;
    // refobjsubid is an int4 and deptype a "char", read as such.
    unsafe {
        scan_by_oids(
            DEPEND_RELATION,
            DEPEND_REFERENCE_INDEX,
            &[(refclassid, pg_sys::RelationRelationId), (refobjid, relid)],
            |tuple, desc| {
                let mut isnull = false;
                let subid = pg_sys::heap_getattr(tuple, refobjsubid as i32, desc, &mut isnull);
                let kind = pg_sys::heap_getattr(tuple, deptype as i32, desc, &mut isnull);
                if oid_column(tuple, desc, classid) == pg_sys::RelationRelationId
                    && subid.value() as i32 == 0
                    && kind.value() as u8 == pg_sys::DependencyType::DEPENDENCY_INTERNAL as u8
                {
                    out.push(oid_column(tuple, desc, objid));
                }
                true
            },
        )
    };
    out.sort_by_key(|o| o.to_u32());
    out.dedup();
    out
}
