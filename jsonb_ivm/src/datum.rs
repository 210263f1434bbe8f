//! jsonb datums as byte slices, in and out, without going through text.
//!
//! pgrx's own `JsonB` converts every argument to text and parses it with serde_json; that
//! round trip is the cost this extension exists to remove, so the functions take [`Jsonb`]:
//! the detoasted varlena, borrowed for the duration of the call.

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::nullable::Nullable;
use pgrx::{impl_sql_translatable, pg_sys, FromDatum, IntoDatum};

use jsonb_ivm_core::binary::{self, Value};

use crate::error::OrRaise;

/// A jsonb argument: a pointer to its detoasted varlena (4-byte header first).
///
/// The varlena lives in the function's memory context (or in the caller's tuple), which
/// outlives the call, so borrowing it for the call is sound.
pub struct Jsonb {
    ptr: *const u8,
    len: usize,
}

impl Jsonb {
    /// The whole varlena, header included.
    pub fn datum_bytes(&self) -> &[u8] {
        // SAFETY: ptr/len describe the detoasted varlena, valid for the call (see above).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The root value; raises a data-corrupted error on bytes that are not jsonb.
    pub fn root(&self) -> Value<'_> {
        binary::root_of_datum(self.datum_bytes()).or_raise()
    }
}

impl FromDatum for Jsonb {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null {
            return None;
        }
        // SAFETY: a non-null jsonb datum points to a varlena; pg_detoast_datum returns it
        // as is when plain, or a palloc'd plain copy (4-byte header) otherwise.
        unsafe {
            let v = pg_sys::pg_detoast_datum(datum.cast_mut_ptr());
            let len = pgrx::varsize(v);
            Some(Jsonb {
                ptr: v as *const u8,
                len,
            })
        }
    }
}

unsafe impl<'fcx> ArgAbi<'fcx> for Jsonb {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the caller guarantees the argument is a jsonb.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        // SAFETY: as above.
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

impl_sql_translatable!(Jsonb, "jsonb");

// SAFETY: array elements of type jsonb are varlena datums; from_datum detoasts them.
unsafe impl pgrx::datum::UnboxDatum for Jsonb {
    type As<'src>
        = Jsonb
    where
        Self: 'src;

    unsafe fn unbox<'src>(d: Datum<'src>) -> Jsonb
    where
        Self: 'src,
    {
        // SAFETY: a non-null jsonb element datum (the caller checks nullness).
        unsafe { Jsonb::from_datum(d.sans_lifetime(), false) }.expect("non-null element")
    }
}

/// A jsonb result: a complete varlena image built by the core's writer.
pub struct JsonbOut(pub Vec<u8>);

impl JsonbOut {
    /// Encode `node`, raising the mapped PostgreSQL error on failure.
    pub fn encode(node: &binary::Node<'_>) -> JsonbOut {
        JsonbOut(binary::encode(node).or_raise())
    }
}

impl IntoDatum for JsonbOut {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        // SAFETY: palloc returns at least len bytes in CurrentMemoryContext; the bytes are a
        // complete varlena whose header already holds its length.
        unsafe {
            let p = pg_sys::palloc(self.0.len()) as *mut u8;
            std::ptr::copy_nonoverlapping(self.0.as_ptr(), p, self.0.len());
            Some(pg_sys::Datum::from(p))
        }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

unsafe impl BoxRet for JsonbOut {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            // SAFETY: the datum is a valid jsonb varlena in the current memory context.
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}

impl_sql_translatable!(JsonbOut, "jsonb");
