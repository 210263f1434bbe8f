//! Settings, all under the reserved `pg_tviews.` prefix.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};

/// `pg_tviews.create_table_as`: whether `CREATE TABLE tv_<name> AS SELECT` creates a TVIEW.
pub static CREATE_TABLE_AS: GucSetting<bool> = GucSetting::<bool>::new(true);

/// Register the settings (once per backend, from `_PG_init`).
pub fn init() {
    GucRegistry::define_bool_guc(
        c"pg_tviews.create_table_as",
        c"Whether CREATE TABLE tv_<name> AS SELECT creates a TVIEW.",
        c"When on (the default), a table named tv_<name> made by CREATE TABLE AS or SELECT INTO \
          becomes a TVIEW of that SELECT. Turn off to create plain tv_ tables.",
        &CREATE_TABLE_AS,
        GucContext::Userset,
        GucFlags::default(),
    );
    // Nothing else may claim the prefix.
    // SAFETY: MarkGUCPrefixReserved only records the prefix.
    unsafe { pgrx::pg_sys::MarkGUCPrefixReserved(c"pg_tviews".as_ptr()) };
}
