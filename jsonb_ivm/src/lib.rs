//! `jsonb_ivm`: native surgical JSONB patch functions for PostgreSQL.
//!
//! This crate is the pgrx shell: it turns jsonb datums into byte slices without copying
//! ([`datum`]), calls the algorithms of `jsonb_ivm_core`, and maps the core's errors to
//! PostgreSQL errors with real SQLSTATEs ([`error`]). The SQL functions live under
//! [`functions`], one file per family.

pub mod datum;
pub mod error;
pub mod functions;

::pgrx::pg_module_magic!(name, version);

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
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn extension_is_installed_at_the_crate_version() {
        let v = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'jsonb_ivm'",
        );
        assert_eq!(v, Ok(Some(env!("CARGO_PKG_VERSION").to_string())));
    }
}
