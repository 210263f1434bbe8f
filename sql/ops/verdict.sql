-- Every TVIEW of the database against its definition (pg_tviews_check), and the health
-- check, in one line: tviews=N differing=D unhealthy=U. Exact and healthy means D = U = 0.
\set ON_ERROR_STOP 1
SELECT format('tviews=%s differing=%s unhealthy=%s',
              count(*), coalesce(sum(d.keys), 0),
              (SELECT count(*) FROM pg_tviews_health_check() WHERE NOT ok))
  FROM pg_tview_meta m
  JOIN pg_class c ON c.oid = m.table_name
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL (SELECT count(*) AS keys
                       FROM pg_tviews_check(format('%I.%I', n.nspname, m.tview_name))) AS d;
