-- Helpers of the golden files that keep every TVIEW in both modes, created in the current
-- schema (the file's own, dropped with it):
--   make_both(name, sql [, key])  the TVIEW `name` in immediate mode and `name_d` in
--                                 deferred mode, from the same definition (and key)
--   differing()                   the oracle over every TVIEW of the current schema: the
--                                 keys where a table differs from its definition
CREATE FUNCTION differing() RETURNS TABLE (tview text, key text) LANGUAGE plpgsql AS $$
BEGIN
    -- An oracle that checks nothing passes everything: say so instead.
    IF NOT EXISTS (SELECT FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
                    WHERE c.relnamespace = current_schema()::regnamespace) THEN
        RAISE EXCEPTION 'differing(): no TVIEW in schema %', current_schema();
    END IF;
    RETURN QUERY
    SELECT m.tview_name::text, c
      FROM pg_tview_meta m CROSS JOIN LATERAL pg_tviews_check(m.table_name::text) AS c
     WHERE m.table_name::regclass::oid IN
           (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
     ORDER BY 1, 2;
END $$;

CREATE FUNCTION make_both(name text, sql text, key text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF key IS NULL THEN
        PERFORM pg_tviews_create(name, sql);
        PERFORM pg_tviews_create(name || '_d', sql, mode => 'deferred');
    ELSE
        PERFORM pg_tviews_create(name, sql, key => key);
        PERFORM pg_tviews_create(name || '_d', sql, key => key, mode => 'deferred');
    END IF;
END $$;
