//! What runs when a transaction commits (or prepares, or calls `pg_tviews_flush()`): rows
//! collected from a replica session ([`super::replica`]) become deferred work, then the
//! deferred queue ([`super::deferred`]) is applied TVIEW by TVIEW in dependency order.
//! Refreshing one TVIEW may queue work (or, in a replica session, collect rows) for TVIEWs
//! that read it; they come later in the order and are applied in the same call.

use pgrx::prelude::*;

use crate::errors::TviewError;
use crate::maintain::{deferred, replica};

/// Apply everything waiting, in dependency order.
pub fn flush() -> Result<(), TviewError> {
    // Catalog reads with the search_path restricted; each TVIEW's refresh then runs in its
    // own maintenance context (run::with_maintenance).
    crate::pg::context::run(crate::pg::context::Role::Caller, &[], || loop {
        replica::drain()?;
        replica::rebuild_lost()?;
        match deferred::next_batch() {
            Some(batch) => deferred::apply(batch)?,
            None => return Ok(()),
        }
    })
}

/// Apply what waits at PRE_COMMIT / PRE_PREPARE (`preparing`). Errors abort the transaction
/// like any error raised by COMMIT.
pub fn at_pre_commit(preparing: bool) {
    if deferred::is_empty() && replica::is_empty() {
        return;
    }
    // SAFETY: a plain read of the backend's kind.
    if preparing && unsafe { pg_sys::IsLogicalWorker() } {
        // A prepared replicated transaction would keep its TVIEW rows locked while the
        // apply worker goes on with the transactions published after it.
        TviewError::PreparedApply.raise();
    }
    // COMMIT runs outside any portal, without the snapshot SPI needs to start from. In read
    // committed, each refresh statement still takes a snapshot of its own after its locks.
    // SAFETY: pushed and popped around the flush; an error unwinds to transaction abort,
    // which clears the active snapshot stack.
    unsafe { pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot()) };
    let result = flush();
    // SAFETY: pops what was pushed above.
    unsafe { pg_sys::PopActiveSnapshot() };
    if let Err(e) = result {
        e.raise();
    }
}

/// Apply this transaction's queued changes to deferred TVIEWs now, so that it can read its
/// own writes through them. Locks taken stay held until the transaction ends.
#[pg_extern(volatile, parallel_unsafe)]
fn pg_tviews_flush() {
    if let Err(e) = flush() {
        e.raise();
    }
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_flush() IS
'Apply now the changes this transaction made to the sources of deferred TVIEWs (normally applied at commit), so that it reads its own writes through them.';
"#,
    name = "comment_flush",
    requires = [pg_tviews_flush]
);
