-- What a failed verdict (verdict.sql) found, for the report: each differing TVIEW with its
-- count and first keys, then the health check's failing rows.
SELECT format('differs: %s on %s keys, first: %s', m.tview_name, d.keys, d.first)
  FROM pg_tview_meta m
  JOIN pg_class c ON c.oid = m.table_name
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL (SELECT count(*) AS keys, (array_agg(k ORDER BY k))[1:5] AS first
                       FROM pg_tviews_check(format('%I.%I', n.nspname, m.tview_name)) AS k) AS d
 WHERE d.keys > 0;
SELECT format('unhealthy: %s', h) FROM pg_tviews_health_check() AS h WHERE NOT h.ok;
