-- The pg_tviews catalog starts empty and is dumped by pg_dump with the extension.

SELECT count(*) AS tviews FROM pg_tview_meta;

SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
  FROM pg_attribute
 WHERE attrelid = 'pg_tview_meta'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;

SELECT 'pg_tview_meta'::regclass::oid = ANY (extconfig) AS dumped_by_pg_dump
  FROM pg_extension WHERE extname = 'pg_tviews';

SELECT pg_tviews_version() = extversion AS library_matches_catalog
  FROM pg_extension WHERE extname = 'pg_tviews';

-- Every column of the catalog is documented in the database itself.
SELECT count(*) AS columns_without_comment
  FROM pg_attribute
 WHERE attrelid = 'pg_tview_meta'::regclass AND attnum > 0 AND NOT attisdropped
   AND col_description(attrelid, attnum) IS NULL;
