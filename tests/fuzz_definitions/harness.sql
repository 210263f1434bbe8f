-- The definition fuzzer's in-database harness (schema fz): runs generated statements and
-- records, instead of stopping at, what happens. Loaded once per case by
-- tests/fuzz_definitions/fuzz.py.
--
--   fz.create(name, sql, mode, key)  pg_tviews_create (key 'a,b': of several columns); a
--                                    refusal is recorded, not raised
--   fz.run(batch, statements[], flush) the statements in one transaction, each in a
--                                      subtransaction of its own (an error rolls back that
--                                      statement only, as a savepoint would), then
--                                      pg_tviews_flush() when asked
--   fz.check(batch)                  pg_tviews_check on every TVIEW of the case
--
-- fz.log holds one row per event: kind 'refused', 'error', 'mismatch' or 'internal'.
CREATE SCHEMA fz;
CREATE TABLE fz.log (batch int, kind text, sqlstate text, detail text);

CREATE FUNCTION fz.create(name text, sql text, mode text, key text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF key LIKE '%,%' THEN
        -- A key of several columns, listed a,b.
        PERFORM pg_tviews_create(name, sql, key => string_to_array(key, ','), mode => mode);
    ELSE
        PERFORM pg_tviews_create(name, sql, key => key, mode => mode);
    END IF;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO fz.log VALUES (0, CASE WHEN SQLSTATE LIKE 'XX%' THEN 'internal' ELSE 'refused' END,
                               SQLSTATE, name || ': ' || SQLERRM);
    RETURN false;
END $$;

CREATE FUNCTION fz.run(batch int, statements text[], flush boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY statements LOOP
        BEGIN
            EXECUTE s;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO fz.log VALUES (batch, CASE WHEN SQLSTATE LIKE 'XX%' THEN 'internal' ELSE 'error' END,
                                       SQLSTATE, left(s, 200) || ' -> ' || SQLERRM);
        END;
    END LOOP;
    IF flush THEN
        BEGIN
            PERFORM pg_tviews_flush();
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO fz.log VALUES (batch, CASE WHEN SQLSTATE LIKE 'XX%' THEN 'internal' ELSE 'error' END,
                                       SQLSTATE, 'flush -> ' || SQLERRM);
        END;
    END IF;
END $$;

CREATE FUNCTION fz.check(batch int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
BEGIN
    FOR t IN SELECT m.table_name::text AS name FROM pg_tview_meta m ORDER BY 1 LOOP
        BEGIN
            SELECT count(*) INTO n FROM pg_tviews_check(t.name);
            IF n > 0 THEN
                INSERT INTO fz.log VALUES (batch, 'mismatch', NULL, t.name || ': ' || n || ' keys differ');
            END IF;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO fz.log VALUES (batch, 'internal', SQLSTATE, 'check ' || t.name || ' -> ' || SQLERRM);
        END;
    END LOOP;
END $$;
