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
    use jsonb_ivm_core::binary::{self, text};
    use pgrx::prelude::*;

    // The writer against PostgreSQL itself: for generated documents, the bytes our core
    // builds from the JSON text must be exactly the bytes of PostgreSQL's own `jsonb_in`.

    /// A small deterministic generator (no randomness crate in the extension).
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn value(&mut self, depth: u32) -> String {
            match self.next(if depth > 3 { 5 } else { 8 }) {
                0 => "null".into(),
                1 => ["true", "false"][self.next(2) as usize].into(),
                2 => [
                    "0",
                    "-1",
                    "10.50",
                    "1e3",
                    "123456789012345678901234567890",
                    "0.0001",
                    "-2.5e-3",
                ][self.next(7) as usize]
                    .into(),
                3 => format!("{}", self.next(100_000)),
                4 => [
                    "\"\"",
                    "\"a\"",
                    "\"Zoë\"",
                    "\"line\\nbreak\"",
                    "\"\\u00e9t\\u00e9\"",
                ][self.next(5) as usize]
                    .into(),
                5 | 6 => {
                    // Objects up to 70 keys cross the 32-entry offset stride.
                    let n = self.next(70);
                    let pairs: Vec<String> = (0..n)
                        .map(|i| {
                            format!("\"k{}{}\": {}", self.next(50), i % 3, self.value(depth + 1))
                        })
                        .collect();
                    format!("{{{}}}", pairs.join(", "))
                }
                _ => {
                    let n = self.next(40);
                    let items: Vec<String> = (0..n).map(|_| self.value(depth + 1)).collect();
                    format!("[{}]", items.join(", "))
                }
            }
        }
    }

    #[pg_test]
    fn our_bytes_are_postgres_bytes() {
        let mut g = Gen(42);
        for _ in 0..300 {
            let doc = g.value(0);
            let c = std::ffi::CString::new(doc.clone()).unwrap();
            // SAFETY: jsonb_in takes a C string and returns a jsonb datum; detoasting a fresh
            // datum returns it as is (4-byte header).
            let theirs = unsafe {
                let d = pgrx::direct_function_call_as_datum(
                    pg_sys::jsonb_in,
                    &[Some(pg_sys::Datum::from(c.as_ptr()))],
                )
                .unwrap();
                let v = pg_sys::pg_detoast_datum(d.cast_mut_ptr());
                std::slice::from_raw_parts(v as *const u8, pgrx::varsize(v)).to_vec()
            };
            let ours = binary::encode(&text::parse(&doc).unwrap()).unwrap();
            assert_eq!(ours, theirs, "document {doc}");
        }
    }

    #[pg_test]
    fn extension_is_installed_at_the_crate_version() {
        let v = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'jsonb_ivm'",
        );
        assert_eq!(v, Ok(Some(env!("CARGO_PKG_VERSION").to_string())));
    }
}
