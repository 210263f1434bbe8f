//! The extension's own catalog: one row per TVIEW in `pg_tview_meta`.
//!
//! It is an extension configuration table, so pg_dump dumps its rows and a restore brings the
//! TVIEWs back with their bookkeeping.

use pgrx::prelude::*;

extension_sql!(
    r#"
CREATE TABLE pg_tview_meta (
    tview_name  text        NOT NULL PRIMARY KEY,
    table_name  regclass    NOT NULL UNIQUE,
    definition  text        NOT NULL,
    key_column  name        NOT NULL,
    sources     regclass[]  NOT NULL DEFAULT '{}',
    mode        text        NOT NULL DEFAULT 'immediate'
                CHECK (mode IN ('immediate', 'deferred')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('pg_tview_meta', '');

COMMENT ON TABLE pg_tview_meta IS 'pg_tviews catalog: one row per TVIEW (transactional view). Maintained by pg_tviews_create and DROP; do not edit by hand.';
COMMENT ON COLUMN pg_tview_meta.tview_name IS 'The TVIEW''s name without the tv_ prefix.';
COMMENT ON COLUMN pg_tview_meta.table_name IS 'The table that holds the TVIEW''s rows (tv_<name>).';
COMMENT ON COLUMN pg_tview_meta.definition IS 'The SELECT the table is kept equal to.';
COMMENT ON COLUMN pg_tview_meta.key_column IS 'The column that identifies a row: unique and not null.';
COMMENT ON COLUMN pg_tview_meta.sources IS 'Base tables the definition reads, helper views and other TVIEWs followed to their tables.';
COMMENT ON COLUMN pg_tview_meta.mode IS 'immediate: maintained after every statement; deferred: at commit.';
COMMENT ON COLUMN pg_tview_meta.created_at IS 'When the TVIEW was created.';
"#,
    name = "catalog",
    bootstrap
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn the_catalog_is_marked_for_pg_dump() {
        let marked = Spi::get_one::<bool>(
            "SELECT 'pg_tview_meta'::regclass::oid = ANY (extconfig)
               FROM pg_extension WHERE extname = 'pg_tviews'",
        );
        assert_eq!(marked, Ok(Some(true)));
    }

    #[pg_test]
    fn every_catalog_column_has_a_comment() {
        let missing = Spi::get_one::<i64>(
            "SELECT count(*) FROM pg_attribute
              WHERE attrelid = 'pg_tview_meta'::regclass AND attnum > 0 AND NOT attisdropped
                AND col_description(attrelid, attnum) IS NULL",
        );
        assert_eq!(missing, Ok(Some(0)));
    }
}
