//! How pg_tviews runs SQL on someone's behalf: as a chosen role, inside a GUC nest level of its
//! own with `search_path` restricted to `pg_catalog, pg_temp` and every setting that can change
//! a result pinned, the way PostgreSQL 17 runs REFRESH MATERIALIZED VIEW
//! (`SetUserIdAndSecContext`, `NewGUCNestLevel`, `RestrictSearchPath`, `AtEOXact_GUC`).
//!
//! Nothing the calling session set reaches the code inside: not its search_path (a function
//! named like one of pg_catalog's in a schema the caller put first is never found), not its
//! DateStyle or extra_float_digits. Settings the code inside changes are undone when it ends.

use std::ffi::CString;

use pgrx::pg_sys;

use crate::errors::TviewError;

/// Who runs the code and with which rights.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The current user, unchanged (pg_tviews_check, explain, creation's own queries).
    Caller,
    /// Another role, as SECURITY DEFINER functions do; `restricted` adds
    /// SECURITY_RESTRICTED_OPERATION (no SET ROLE, no temporary objects), as maintenance must.
    As { user: pg_sys::Oid, restricted: bool },
}

struct Restore {
    user: pg_sys::Oid,
    context: i32,
    nest: i32,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: pops the GUC nest level opened in `run` and restores what
        // GetUserIdAndSecContext returned. While an ERROR unwinds, transaction (or
        // subtransaction) abort pops the nest level itself: only the user is restored here.
        unsafe {
            if !std::thread::panicking() {
                pg_sys::AtEOXact_GUC(false, self.nest);
            }
            pg_sys::SetUserIdAndSecContext(self.user, self.context);
        }
    }
}

/// Set `name` to `value` at the current GUC nest level (undone when the level is popped).
/// PostgreSQL raises its own error for an unknown setting or a bad value.
pub fn set_local(name: &str, value: &str) -> Result<(), TviewError> {
    let (n, v) = (
        CString::new(name).map_err(|_| TviewError::Internal("NUL in a setting name".into()))?,
        CString::new(value).map_err(|_| TviewError::Internal("NUL in a setting value".into()))?,
    );
    // SAFETY: set_config_option copies both strings; GUC_ACTION_SAVE ties the change to the
    // current nest level.
    unsafe {
        pg_sys::set_config_option(
            n.as_ptr(),
            v.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
    }
    Ok(())
}

/// `search_path` set to `pg_catalog, pg_temp` at the current nest level: PostgreSQL 17's
/// RestrictSearchPath(), which 16 lacks (there, the same setting made the same way).
fn restrict_search_path() {
    #[cfg(not(feature = "pg16"))]
    // SAFETY: sets a GUC at the nest level the caller opened.
    unsafe {
        pg_sys::RestrictSearchPath()
    };
    #[cfg(feature = "pg16")]
    set_local("search_path", "pg_catalog, pg_temp").expect("no NUL in a constant");
}

/// The current value of a setting, as SHOW prints it.
pub fn current(name: &str) -> Result<String, TviewError> {
    let n = CString::new(name).map_err(|_| TviewError::Internal("NUL in a setting name".into()))?;
    // SAFETY: GetConfigOptionByName raises for an unknown name and returns a palloc'd copy.
    unsafe {
        let v = pg_sys::GetConfigOptionByName(n.as_ptr(), std::ptr::null_mut(), false);
        Ok(crate::pg::nodes::cstring(v).unwrap_or_default())
    }
}

/// Run `f` with values printed and read as text exactly
/// ([`tviews_core::settings::EXACT_TEXT`]), as the current user.
pub fn with_exact_text<R>(f: impl FnOnce() -> Result<R, TviewError>) -> Result<R, TviewError> {
    let settings: Vec<(String, String)> = tviews_core::settings::EXACT_TEXT
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    run(Role::Caller, &settings, f)
}

/// Run `f` as `role` with the search_path restricted and `settings` (name, value) in force,
/// then restore the caller's user, security context and settings.
pub fn run<R>(
    role: Role,
    settings: &[(String, String)],
    f: impl FnOnce() -> Result<R, TviewError>,
) -> Result<R, TviewError> {
    let (mut user, mut context) = (pg_sys::InvalidOid, 0);
    // SAFETY: plain reads and writes of the backend's user id, security context and GUC nest
    // level; `Restore` undoes them.
    let restore = unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        if let Role::As {
            user: as_user,
            restricted,
        } = role
        {
            let mut c = context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32;
            if restricted {
                c |= pg_sys::SECURITY_RESTRICTED_OPERATION as i32;
            }
            pg_sys::SetUserIdAndSecContext(as_user, c);
        }
        let nest = pg_sys::NewGUCNestLevel();
        restrict_search_path();
        Restore {
            user,
            context,
            nest,
        }
    };
    let _elevated = matches!(
        role,
        Role::As {
            restricted: true,
            ..
        }
    )
    .then(crate::pg::hooks::Elevated::enter);
    // Only what differs is set: most sessions already run with the creator's values, and
    // assigning some settings costs (TimeZone and lc_* are parsed and checked anew).
    for (name, value) in tviews_core::settings::FIXED
        .iter()
        .map(|(n, v)| (*n, *v))
        .chain(settings.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    {
        if current(name)? != value {
            set_local(name, value)?;
        }
    }
    let r = f();
    drop(restore);
    r
}

/// Run `f` with `search_path` set to pg_catalog only (not even pg_temp), as the deparser needs
/// to qualify every name outside pg_catalog, and every setting that changes how a constant
/// prints set to a value whose output reads back the same under any setting (ISO dates,
/// ISO 8601 intervals, shortest-exact floats, hex bytea): deparsed text is parsed again later,
/// possibly under other settings, and must mean the same.
pub fn with_catalog_search_path<R>(f: impl FnOnce() -> R) -> R {
    with_settings(
        &[
            ("search_path", "pg_catalog"),
            ("DateStyle", "ISO, MDY"),
            ("IntervalStyle", "iso_8601"),
            ("extra_float_digits", "3"),
            ("bytea_output", "hex"),
            ("standard_conforming_strings", "on"),
        ],
        f,
    )
}

/// Run `f` with `settings` (name, value; constants) in force at a GUC nest level of its own,
/// undone right after (or by the transaction's abort if `f` raises).
pub fn with_settings<R>(settings: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
    // SAFETY: a GUC nest level scopes the changes; it is popped right after `f`.
    let nest = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
        set_local(name, value).expect("no NUL in a constant");
    }
    let r = f();
    // SAFETY: pops the level opened above.
    unsafe { pg_sys::AtEOXact_GUC(false, nest) };
    r
}
