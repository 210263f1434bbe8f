//! Array datums: their elements and their length.

use pgrx::pg_sys;

/// The elements of array datum `array` of element type `elem_type` (None for a NULL
/// element), valid as long as the array's memory is.
///
/// # Safety
/// `array` must be a valid array datum whose elements are of `elem_type`.
pub unsafe fn elements(array: pg_sys::Datum, elem_type: pg_sys::Oid) -> Vec<Option<pg_sys::Datum>> {
    // SAFETY: per the contract; deconstruct_array returns `n` elements and `n` null flags.
    unsafe {
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(elem_type, &mut len, &mut byval, &mut align);
        let arr = pg_sys::pg_detoast_datum(array.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        let mut elems: *mut pg_sys::Datum = std::ptr::null_mut();
        let mut nulls: *mut bool = std::ptr::null_mut();
        let mut n: i32 = 0;
        pg_sys::deconstruct_array(
            arr, elem_type, len as i32, byval, align, &mut elems, &mut nulls, &mut n,
        );
        (0..n.max(0) as usize)
            .map(|i| (!*nulls.add(i)).then(|| *elems.add(i)))
            .collect()
    }
}

/// Array datum `array` as an array of `elem_type` when its elements are of a type with the
/// same base type (a domain's values and its base type's, either way round): the same
/// values, told apart only by the type the array records. Any other array as it is. A
/// relabeled array is a copy in the current memory context.
///
/// # Safety
/// `array` must be a valid array datum.
pub unsafe fn relabeled(array: pg_sys::Datum, elem_type: pg_sys::Oid) -> pg_sys::Datum {
    // SAFETY: per the contract; the header of a private copy is changed.
    unsafe {
        let a = pg_sys::pg_detoast_datum(array.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        let found = (*a).elemtype;
        if found == elem_type || pg_sys::getBaseType(found) != pg_sys::getBaseType(elem_type) {
            return array;
        }
        let copy = pg_sys::pg_detoast_datum_copy(array.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        (*copy).elemtype = elem_type;
        pg_sys::Datum::from(copy)
    }
}

/// The number of elements of array datum `array`.
///
/// # Safety
/// `array` must be a valid array datum.
pub unsafe fn len(array: pg_sys::Datum) -> u64 {
    // SAFETY: per the contract, a detoasted array (pgrx reads its dimensions).
    unsafe {
        let a = pg_sys::pg_detoast_datum(array.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        match std::ptr::NonNull::new(a) {
            Some(a) => pgrx::array::RawArray::from_ptr(a).len() as u64,
            None => 0,
        }
    }
}

/// For an array of composite values of type `composite`: one array per field of it, holding
/// that field's values over the elements, each once (NULL kept once), of the field's type.
/// Values identical byte for byte are kept once: the arrays are tested with `= ANY` row by
/// row, and a field with few values (a GROUP BY column) would otherwise repeat them.
///
/// # Safety
/// `array` must be a valid array datum of `composite` values, none of them NULL.
pub unsafe fn fields(array: pg_sys::Datum, composite: pg_sys::Oid) -> Vec<pg_sys::Datum> {
    // SAFETY: per the contract; the tuple descriptor is pinned until released below, and
    // each element is a composite datum of that type.
    unsafe {
        let desc = pg_sys::lookup_rowtype_tupdesc(composite, -1);
        let natts = (*desc).natts.max(0) as usize;
        let attrs = crate::pg::tupdesc::attributes(desc);
        let rows: Vec<pg_sys::HeapTupleHeader> = elements(array, composite)
            .into_iter()
            .flatten()
            .map(|d| pg_sys::pg_detoast_datum(d.cast_mut_ptr()) as pg_sys::HeapTupleHeader)
            .collect();
        let mut out = Vec::with_capacity(natts);
        for (i, attr) in attrs.iter().enumerate() {
            let mut values = Vec::with_capacity(rows.len());
            let mut nulls = Vec::with_capacity(rows.len());
            let mut seen: std::collections::HashSet<Option<Vec<u8>>> =
                std::collections::HashSet::new();
            let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
            pg_sys::get_typlenbyvalalign(attr.atttypid, &mut len, &mut byval, &mut align);
            for row in &rows {
                let mut isnull = false;
                let value = pg_sys::GetAttributeByNum(*row, (i + 1) as i16, &mut isnull);
                let identity = (!isnull).then(|| value_bytes(value, len, byval));
                if seen.insert(identity) {
                    values.push(value);
                    nulls.push(isnull);
                }
            }
            let a = build(&mut values, &mut nulls, attr.atttypid);
            out.push(a);
        }
        pg_sys::DecrTupleDescRefCount(desc);
        out
    }
}

/// A one-dimensional array datum of `elem_type` holding `values` (NULL where `nulls` says),
/// in the current memory context.
///
/// # Safety
/// `values` must hold valid datums of `elem_type` where not NULL, as many as `nulls`.
pub unsafe fn build(
    values: &mut [pg_sys::Datum],
    nulls: &mut [bool],
    elem_type: pg_sys::Oid,
) -> pg_sys::Datum {
    // SAFETY: per the contract; construct_md_array copies the elements.
    unsafe {
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(elem_type, &mut len, &mut byval, &mut align);
        let mut dims = [values.len() as i32];
        let mut lbs = [1i32];
        pg_sys::Datum::from(pg_sys::construct_md_array(
            values.as_mut_ptr(),
            nulls.as_mut_ptr(),
            1,
            dims.as_mut_ptr(),
            lbs.as_mut_ptr(),
            elem_type,
            len as i32,
            byval,
            align,
        ))
    }
}

/// The bytes of a datum of a type of length `len` (by value: its word; a varlena: detoasted;
/// a cstring: up to its NUL), which are equal for identical values.
///
/// # Safety
/// `value` must be a valid, non-NULL datum of such a type.
pub unsafe fn value_bytes(value: pg_sys::Datum, len: i16, byval: bool) -> Vec<u8> {
    // SAFETY: per the contract, the datum points at a complete value of its length.
    unsafe {
        if byval {
            return (value.value() as u64).to_ne_bytes().to_vec();
        }
        let (ptr, size) = match len {
            -1 => {
                let v = pg_sys::pg_detoast_datum(value.cast_mut_ptr());
                (v as *const u8, pgrx::varlena::varsize_any(v))
            }
            -2 => {
                let c = std::ffi::CStr::from_ptr(value.cast_mut_ptr::<std::ffi::c_char>());
                (c.as_ptr() as *const u8, c.to_bytes_with_nul().len())
            }
            n => (value.cast_mut_ptr::<u8>() as *const u8, n as usize),
        };
        std::slice::from_raw_parts(ptr, size).to_vec()
    }
}

/// The row ids (see [`tviews_core::queue::row_id`]) in a `tid[]` datum.
///
/// # Safety
/// `array` must be a valid `tid[]` datum.
pub unsafe fn row_ids(array: pg_sys::Datum) -> Vec<u64> {
    // SAFETY: per the contract, each non-null element points at an ItemPointerData.
    unsafe {
        elements(array, pg_sys::TIDOID)
            .into_iter()
            .flatten()
            .map(|d| {
                let tid = &*(d.cast_mut_ptr::<pg_sys::ItemPointerData>());
                let block = (u32::from(tid.ip_blkid.bi_hi) << 16) | u32::from(tid.ip_blkid.bi_lo);
                tviews_core::queue::row_id(block, tid.ip_posid)
            })
            .collect()
    }
}

/// A `tid[]` datum holding the row ids `ids`, in the current memory context.
pub fn row_id_array(ids: &[u64]) -> pg_sys::Datum {
    // SAFETY: each element is a palloc'd ItemPointerData (6 bytes, short-aligned), which
    // construct_md_array copies.
    unsafe {
        let mut values: Vec<pg_sys::Datum> = ids
            .iter()
            .map(|id| {
                let (block, line) = tviews_core::queue::row_id_parts(*id);
                let p = pg_sys::palloc(std::mem::size_of::<pg_sys::ItemPointerData>())
                    as *mut pg_sys::ItemPointerData;
                (*p).ip_blkid.bi_hi = (block >> 16) as u16;
                (*p).ip_blkid.bi_lo = (block & 0xffff) as u16;
                (*p).ip_posid = line;
                pg_sys::Datum::from(p)
            })
            .collect();
        let mut nulls = vec![false; ids.len()];
        build(&mut values, &mut nulls, pg_sys::TIDOID)
    }
}
