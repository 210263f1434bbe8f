//! `pg_tviews`: transactional views for PostgreSQL.
//!
//! A TVIEW is a table `tv_<name>` whose rows equal a SELECT at all times. This crate is the
//! pgrx shell around `tviews_core`: catalog access, SPI, triggers and transaction callbacks.
//! The pipeline: [`catalog`] (bookkeeping) → analyze the definition → plan → install
//! triggers → maintain.

use pgrx::prelude::*;

pub mod catalog;

::pgrx::pg_module_magic!(name, version);

/// The extension's version, as built.
#[pg_extern(immutable, parallel_safe)]
fn pg_tviews_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

extension_sql!(
    r#"
COMMENT ON FUNCTION pg_tviews_version() IS 'The version of the pg_tviews library loaded in this session.';
"#,
    name = "comment_version",
    requires = [pg_tviews_version]
);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn library_and_catalog_versions_agree() {
        let v = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'pg_tviews'",
        );
        assert_eq!(v, Ok(Some(crate::pg_tviews_version().to_string())));
    }
}
