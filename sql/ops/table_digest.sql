-- One line per TVIEW table: its name, row count and a digest of its rows in a stable order.
-- Equal output on two servers means equal tables (used to compare a standby with its primary).
\set ON_ERROR_STOP 1
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM %s AS t',
              m.table_name::text, m.table_name)
  FROM pg_tview_meta m
 ORDER BY m.table_name::text \gexec
