//! Raw SPI for the maintenance path: prepared plans kept for the backend's life, executed
//! with datums as they are (the key array from one query is the parameter of the next,
//! never converted to Rust and back).

use std::ffi::CString;

use pgrx::pg_sys;

use crate::errors::TviewError;

/// A plan prepared with `SPI_prepare` and kept with `SPI_keepplan`; freed on drop.
pub struct KeptPlan(pg_sys::SPIPlanPtr);

impl KeptPlan {
    /// Prepare `sql` with parameter types `args`, planned once for all executions (`generic`)
    /// or for the parameters of each. Must run inside an SPI connection.
    pub fn prepare(sql: &str, args: &[pg_sys::Oid], generic: bool) -> Result<KeptPlan, TviewError> {
        let c = CString::new(sql).map_err(|_| TviewError::Internal("NUL in SQL".into()))?;
        let mut types = args.to_vec();
        // SAFETY: inside an SPI connection (caller's contract); SPI copies the text and types.
        unsafe {
            // Generic plans as a rule: maintenance runs the same statements with different keys
            // on every write, and re-planning the definition each time (custom plans) costs
            // more than executing it (1.5 ms against 0.3 ms for the benchmark's document).
            // Large key sets are the exception (`tviews_core::action::MANY_KEYS`).
            let options = if generic {
                pg_sys::CURSOR_OPT_GENERIC_PLAN
            } else {
                pg_sys::CURSOR_OPT_CUSTOM_PLAN
            };
            let plan = pg_sys::SPI_prepare_cursor(
                c.as_ptr(),
                types.len() as i32,
                types.as_mut_ptr(),
                options as i32,
            );
            if plan.is_null() {
                let code = pg_sys::SPI_result;
                return Err(TviewError::Internal(format!(
                    "SPI_prepare failed ({code}) for: {sql}"
                )));
            }
            if pg_sys::SPI_keepplan(plan) != 0 {
                return Err(TviewError::Internal("SPI_keepplan failed".into()));
            }
            Ok(KeptPlan(plan))
        }
    }

    /// The number of parameters the plan takes.
    pub fn arg_count(&self) -> usize {
        // SAFETY: the plan is alive (kept).
        unsafe { pg_sys::SPI_getargcount(self.0) }.max(0) as usize
    }

    /// [`KeptPlan::execute`] reading the latest committed state (and this transaction's own
    /// changes) at any isolation level.
    pub fn execute_latest(&self, args: &[pg_sys::Datum]) -> Result<u64, TviewError> {
        let mut values = args.to_vec();
        let nulls = vec![b' ' as std::ffi::c_char; args.len()];
        // SAFETY: the plan is alive (kept); values and nulls have the plan's arity.
        unsafe {
            let rc = pg_sys::SPI_execute_snapshot(
                self.0,
                values.as_mut_ptr(),
                nulls.as_ptr(),
                pg_sys::GetLatestSnapshot(),
                std::ptr::null_mut(),
                false,
                true,
                0,
            );
            if rc < 0 {
                return Err(TviewError::Internal(format!(
                    "SPI_execute_snapshot failed ({rc})"
                )));
            }
            Ok(pg_sys::SPI_processed)
        }
    }

    /// Execute with `args` (all non-null); returns the number of rows processed.
    pub fn execute(&self, args: &[pg_sys::Datum]) -> Result<u64, TviewError> {
        // SAFETY: reads the session's isolation level.
        if unsafe { pg_sys::XactIsoLevel } >= pg_sys::XACT_REPEATABLE_READ as i32 {
            // Maintenance must see what was committed before it took its locks, which the
            // transaction's own snapshot would hide: read the latest state (own changes
            // included), the way foreign-key checks do.
            return self.execute_latest(args);
        }
        let mut values = args.to_vec();
        let nulls = vec![b' ' as std::ffi::c_char; args.len()];
        // SAFETY: the plan is alive (kept); values and nulls have the plan's arity. Read
        // committed: every statement takes a new snapshot already.
        unsafe {
            let rc =
                pg_sys::SPI_execute_plan(self.0, values.as_mut_ptr(), nulls.as_ptr(), false, 0);
            if rc < 0 {
                return Err(TviewError::Internal(format!(
                    "SPI_execute_plan failed ({rc})"
                )));
            }
            Ok(pg_sys::SPI_processed)
        }
    }
}

impl Drop for KeptPlan {
    fn drop(&mut self) {
        // SAFETY: the plan was kept by us and is freed once.
        unsafe {
            pg_sys::SPI_freeplan(self.0);
        }
    }
}

/// The first column of the first row of the last result, if there is one and it is not
/// NULL. The datum lives in the SPI procedure context until `SPI_finish`.
pub fn first_datum() -> Option<pg_sys::Datum> {
    // SAFETY: SPI_tuptable is the last result of this connection (or null).
    unsafe {
        let tt = pg_sys::SPI_tuptable;
        if tt.is_null() || pg_sys::SPI_processed == 0 {
            return None;
        }
        let mut isnull = false;
        let d = pg_sys::SPI_getbinval(*(*tt).vals, (*tt).tupdesc, 1, &mut isnull);
        if isnull {
            None
        } else {
            Some(d)
        }
    }
}

/// [`first_datum`] of a key query: an array of keys, recorded as an array of `key_type`.
/// Keys are read from whichever column reaches them (a child's column of a domain over the
/// key's type, a key stored as its domain's base type): the same values under another type.
pub fn first_keys(key_type: pg_sys::Oid) -> Option<pg_sys::Datum> {
    // SAFETY: the first datum of a key query is an array.
    first_datum().map(|d| unsafe { super::arrays::relabeled(d, key_type) })
}

/// Every column of the first row of the last result (`None` for NULL); empty without a row.
/// The datums live in the SPI procedure context until `SPI_finish`.
pub fn first_row() -> Vec<Option<pg_sys::Datum>> {
    // SAFETY: SPI_tuptable is the last result of this connection (or null).
    unsafe {
        let tt = pg_sys::SPI_tuptable;
        if tt.is_null() || pg_sys::SPI_processed == 0 {
            return Vec::new();
        }
        let n = (*(*tt).tupdesc).natts;
        (1..=n)
            .map(|i| {
                let mut isnull = false;
                let d = pg_sys::SPI_getbinval(*(*tt).vals, (*tt).tupdesc, i, &mut isnull);
                (!isnull).then_some(d)
            })
            .collect()
    }
}

/// Every column of the first row of the last result with the column's type (`None` for
/// NULL); empty without a row. The datums live in the SPI procedure context until
/// `SPI_finish`.
pub fn first_row_typed() -> Vec<(Option<pg_sys::Datum>, pg_sys::Oid)> {
    let row = first_row();
    // SAFETY: SPI_tuptable is the last result of this connection; first_row found a row.
    unsafe {
        let tt = pg_sys::SPI_tuptable;
        if row.is_empty() || tt.is_null() {
            return Vec::new();
        }
        row.into_iter()
            .enumerate()
            .map(|(i, d)| (d, pg_sys::SPI_gettypeid((*tt).tupdesc, i as i32 + 1)))
            .collect()
    }
}

/// An open SPI connection, finished on drop (also when unwinding from an error).
pub struct Connection(());

impl Connection {
    pub fn open() -> Result<Connection, TviewError> {
        // SAFETY: plain SPI_connect; the matching SPI_finish is in Drop.
        let rc = unsafe { pg_sys::SPI_connect() };
        if rc < 0 {
            return Err(TviewError::Internal(format!("SPI_connect failed ({rc})")));
        }
        Ok(Connection(()))
    }

    /// Make `old` and `new` (tuplestores of rows of `relid`, null for none) visible to the
    /// queries of this connection under the transition tables' names, as a statement's
    /// trigger would see them.
    ///
    /// # Safety
    /// Each non-null store must hold rows of `relid`'s row type and outlive the connection.
    pub unsafe fn register_transitions(
        &self,
        relid: pg_sys::Oid,
        old: *mut pg_sys::Tuplestorestate,
        new: *mut pg_sys::Tuplestorestate,
    ) -> Result<(), TviewError> {
        use tviews_core::sqlgen::{TRANSITION_NEW, TRANSITION_OLD};
        for (name, store) in [(TRANSITION_OLD, old), (TRANSITION_NEW, new)] {
            if store.is_null() {
                continue;
            }
            // SAFETY: what SPI_register_trigger_data does for a trigger's transition tables;
            // the name and the struct are palloc'd in the connection's context.
            unsafe {
                let enr = pg_sys::palloc0(std::mem::size_of::<pg_sys::EphemeralNamedRelationData>())
                    as pg_sys::EphemeralNamedRelation;
                let cname = std::ffi::CString::new(name).expect("no NUL in a constant");
                (*enr).md.name = pg_sys::pstrdup(cname.as_ptr());
                (*enr).md.reliddesc = relid;
                (*enr).md.tupdesc = std::ptr::null_mut();
                (*enr).md.enrtype = pg_sys::EphemeralNameRelationType::ENR_NAMED_TUPLESTORE;
                (*enr).md.enrtuples = pg_sys::tuplestore_tuple_count(store) as f64;
                (*enr).reldata = store as *mut std::ffi::c_void;
                let rc = pg_sys::SPI_register_relation(enr);
                if rc < 0 {
                    return Err(TviewError::Internal(format!(
                        "SPI_register_relation failed ({rc})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Make a trigger's transition tables visible to the queries of this connection.
    ///
    /// # Safety
    /// `td` must be the TriggerData of the trigger call in progress.
    pub unsafe fn register_trigger_data(&self, td: *mut pg_sys::TriggerData) {
        // SAFETY: per contract.
        unsafe {
            pg_sys::SPI_register_trigger_data(td);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // An ERROR is propagating: transaction abort cleans the SPI stack up.
            return;
        }
        // SAFETY: we opened this connection.
        unsafe {
            pg_sys::SPI_finish();
        }
    }
}

/// The first column of the first row of a read-only query (None when it returns no row or
/// NULL). Unlike pgrx's `Spi::get_one`, it does not mark the transaction as writing, which
/// would assign a transaction id: impossible on a standby, and wasteful anywhere else.
pub fn read_one<A: pgrx::FromDatum + pgrx::IntoDatum>(
    sql: &str,
    args: &[pgrx::datum::DatumWithOid],
) -> Result<Option<A>, pgrx::spi::SpiError> {
    pgrx::Spi::connect(|client| {
        let table = client.select(sql, Some(1), args)?;
        if table.is_empty() {
            return Ok(None);
        }
        table.first().get_one::<A>()
    })
}

/// The rows of a read-only query run against the latest committed state, whatever this
/// transaction's snapshot (REPEATABLE READ included) and whether or not it has written: what
/// transactions committed while it waited for a lock, or since its snapshot was taken, is
/// seen, the way foreign-key checks look. `row` turns each row (its columns as datums, `None`
/// for NULL, valid until the call returns) into a value.
pub fn select_latest<T>(
    sql: &str,
    args: &[(pg_sys::Oid, pg_sys::Datum)],
    row: impl FnMut(&[Option<pg_sys::Datum>]) -> Result<T, TviewError>,
) -> Result<Vec<T>, TviewError> {
    let args: Vec<(pg_sys::Oid, Option<pg_sys::Datum>)> =
        args.iter().map(|(t, v)| (*t, Some(*v))).collect();
    select_latest_nullable(sql, &args, row)
}

/// [`select_latest`] with parameters that may be NULL (`None`).
pub fn select_latest_nullable<T>(
    sql: &str,
    args: &[(pg_sys::Oid, Option<pg_sys::Datum>)],
    mut row: impl FnMut(&[Option<pg_sys::Datum>]) -> Result<T, TviewError>,
) -> Result<Vec<T>, TviewError> {
    let c = CString::new(sql).map_err(|_| TviewError::Internal("NUL in SQL".into()))?;
    let conn = Connection::open()?;
    let mut types: Vec<pg_sys::Oid> = args.iter().map(|(t, _)| *t).collect();
    let mut values: Vec<pg_sys::Datum> = args
        .iter()
        .map(|(_, v)| v.unwrap_or(pg_sys::Datum::from(0)))
        .collect();
    let nulls: Vec<std::ffi::c_char> = args
        .iter()
        .map(|(_, v)| if v.is_some() { b' ' } else { b'n' } as std::ffi::c_char)
        .collect();
    let mut out = Vec::new();
    // SAFETY: inside the SPI connection opened above; the plan lives until SPI_finish; the
    // result's datums are read before the connection closes.
    unsafe {
        let plan = pg_sys::SPI_prepare(c.as_ptr(), types.len() as i32, types.as_mut_ptr());
        if plan.is_null() {
            let code = pg_sys::SPI_result;
            return Err(TviewError::Internal(format!(
                "SPI_prepare failed ({code}) for: {sql}"
            )));
        }
        let rc = pg_sys::SPI_execute_snapshot(
            plan,
            values.as_mut_ptr(),
            nulls.as_ptr(),
            pg_sys::GetLatestSnapshot(),
            std::ptr::null_mut(),
            true,
            false,
            0,
        );
        if rc < 0 {
            return Err(TviewError::Internal(format!(
                "SPI_execute_snapshot failed ({rc})"
            )));
        }
        let tt = pg_sys::SPI_tuptable;
        if !tt.is_null() {
            let natts = (*(*tt).tupdesc).natts;
            for i in 0..pg_sys::SPI_processed as usize {
                let tuple = *(*tt).vals.add(i);
                let cols: Vec<Option<pg_sys::Datum>> = (1..=natts)
                    .map(|n| {
                        let mut isnull = false;
                        let d = pg_sys::SPI_getbinval(tuple, (*tt).tupdesc, n, &mut isnull);
                        (!isnull).then_some(d)
                    })
                    .collect();
                out.push(row(&cols)?);
            }
        }
    }
    drop(conn);
    Ok(out)
}

/// A column of a [`select_latest`] row as a Rust value (`None` for NULL).
///
/// # Safety
/// `datum` must be a datum of the SQL type `T` maps from, alive for the call.
pub unsafe fn value<T: pgrx::FromDatum>(datum: Option<pg_sys::Datum>) -> Option<T> {
    // SAFETY: per contract.
    datum.and_then(|d| unsafe { T::from_datum(d, false) })
}
