-- PL/pgSQL stubs of the main jsonb_ivm functions, in schema jsonb_ivm_stub: what people run
-- without the extension, and the baseline the benchmarks compare the native functions with.
-- Same names, arguments and (for these inputs) results as the extension; written with
-- PostgreSQL's own jsonb functions and operators.
CREATE SCHEMA IF NOT EXISTS jsonb_ivm_stub;
COMMENT ON SCHEMA jsonb_ivm_stub IS 'PL/pgSQL stand-ins for jsonb_ivm functions (benchmark baseline).';

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_merge_shallow(target jsonb, source jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF jsonb_typeof(target) <> 'object' OR jsonb_typeof(source) <> 'object' THEN
        RAISE EXCEPTION 'target and source must be objects' USING ERRCODE = '2203C';
    END IF;
    RETURN target || source;
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_smart_patch_nested(target jsonb, source jsonb, path text[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    cur jsonb;
    i int;
BEGIN
    IF cardinality(path) = 0 THEN
        RETURN target || source;
    END IF;
    -- Create missing objects on the way, then merge at the end.
    FOR i IN 1 .. cardinality(path) - 1 LOOP
        IF target #> path[1:i] IS NULL THEN
            target := jsonb_set(target, path[1:i], '{}');
        END IF;
    END LOOP;
    cur := coalesce(target #> path, '{}');
    RETURN jsonb_set(target, path, cur || source);
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_array_update_where(
    target jsonb, array_path text, match_key text, match_value jsonb, updates jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF target->array_path IS NULL THEN
        RETURN target;
    END IF;
    RETURN jsonb_set(target, ARRAY[array_path],
        (SELECT coalesce(jsonb_agg(CASE WHEN e->match_key = match_value THEN e || updates ELSE e END ORDER BY n), '[]')
           FROM jsonb_array_elements(target->array_path) WITH ORDINALITY AS x(e, n)));
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_array_delete_where(
    target jsonb, array_path text, match_key text, match_value jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF target->array_path IS NULL THEN
        RETURN target;
    END IF;
    RETURN jsonb_set(target, ARRAY[array_path],
        (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]')
           FROM jsonb_array_elements(target->array_path) WITH ORDINALITY AS x(e, n)
          WHERE e->match_key IS DISTINCT FROM match_value));
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_array_insert_where(
    target jsonb, array_path text, new_element jsonb, sort_key text DEFAULT NULL, sort_order text DEFAULT 'ASC')
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    arr jsonb := coalesce(target->array_path, '[]');
    pos int;
BEGIN
    IF sort_key IS NULL OR new_element->sort_key IS NULL THEN
        RETURN jsonb_set(target, ARRAY[array_path], arr || jsonb_build_array(new_element));
    END IF;
    SELECT min(n) - 1 INTO pos
      FROM jsonb_array_elements(arr) WITH ORDINALITY AS x(e, n)
     WHERE CASE WHEN upper(coalesce(sort_order, 'ASC')) = 'ASC'
                THEN e->sort_key > new_element->sort_key
                ELSE e->sort_key < new_element->sort_key END;
    IF pos IS NULL THEN
        RETURN jsonb_set(target, ARRAY[array_path], arr || jsonb_build_array(new_element));
    END IF;
    RETURN jsonb_set(target, ARRAY[array_path], jsonb_insert(arr, ARRAY[pos::text], new_element));
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_array_contains_id(
    data jsonb, array_path text, id_key text, id_value jsonb)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN coalesce(EXISTS (SELECT 1 FROM jsonb_array_elements(data->array_path) e WHERE e->id_key = id_value), false);
END $$;

CREATE OR REPLACE FUNCTION jsonb_ivm_stub.jsonb_extract_id(data jsonb, key text DEFAULT 'id')
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN CASE WHEN jsonb_typeof(data->key) IN ('string', 'number') THEN data->>key END;
END $$;
