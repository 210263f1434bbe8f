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
