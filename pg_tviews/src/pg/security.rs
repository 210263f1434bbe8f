//! Running code as another role, the way SECURITY DEFINER functions do.

use pgrx::pg_sys;

struct Restore {
    user: pg_sys::Oid,
    context: i32,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: restores what GetUserIdAndSecContext returned. On an ERROR, transaction
        // abort would restore it too; doing it here keeps nested code paths simple.
        unsafe { pg_sys::SetUserIdAndSecContext(self.user, self.context) }
    }
}

/// Run `f` as `user`. With `restricted`, `f` also runs as a security-restricted operation
/// (no SET ROLE, no temporary objects), as maintenance code should.
pub fn as_user<R>(user: pg_sys::Oid, restricted: bool, f: impl FnOnce() -> R) -> R {
    let (mut saved_user, mut saved_context) = (pg_sys::InvalidOid, 0);
    // SAFETY: plain reads and writes of the backend's current user id and security context.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        let mut context = saved_context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32;
        if restricted {
            context |= pg_sys::SECURITY_RESTRICTED_OPERATION as i32;
        }
        pg_sys::SetUserIdAndSecContext(user, context);
    }
    let _restore = Restore {
        user: saved_user,
        context: saved_context,
    };
    f()
}
