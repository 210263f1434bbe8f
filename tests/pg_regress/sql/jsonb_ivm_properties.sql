-- Every function against the native SQL expression with the same result, over 500
-- generated documents (deterministic: built from generate_series, no randomness).
CREATE TEMP TABLE docs AS
SELECT g,
       jsonb_build_object(
           'id', g, 'price', (g * 1.25)::numeric(10, 2), 'name', 'n' || g,
           'nested', jsonb_build_object('a', g % 3, 'b', jsonb_build_object('c', g % 5)),
           'items', (SELECT jsonb_agg(jsonb_build_object('id', i, 'qty', (g + i) % 7) ORDER BY i)
                       FROM generate_series(1, 1 + g % 12) i)) AS d,
       jsonb_build_object('x', g % 4, 'name', 'm' || g) AS patch,
       (1 + g % 13)::text::jsonb AS id
  FROM generate_series(1, 500) g;

SELECT count(*) FILTER (WHERE jsonb_merge_shallow(d, patch) <> d || patch) AS merge_shallow,
       count(*) FILTER (WHERE jsonb_smart_patch_nested(d, patch, '{nested,b}')
                              <> jsonb_set(d, '{nested,b}', coalesce(d #> '{nested,b}', '{}') || patch)) AS nested,
       count(*) FILTER (WHERE jsonb_array_update_where(d, 'items', 'id', id, patch)
                              <> jsonb_set(d, '{items}', (SELECT jsonb_agg(CASE WHEN e->'id' = id THEN e || patch ELSE e END ORDER BY n)
                                                            FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n)))) AS update_where,
       count(*) FILTER (WHERE jsonb_array_delete_where(d, 'items', 'id', id)
                              <> jsonb_set(d, '{items}', coalesce((SELECT jsonb_agg(e ORDER BY n)
                                                            FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n)
                                                           WHERE e->'id' IS DISTINCT FROM id), '[]'))) AS delete_where,
       count(*) FILTER (WHERE jsonb_array_contains_id(d, 'items', 'id', id)
                              <> EXISTS (SELECT 1 FROM jsonb_array_elements(d->'items') e WHERE e->'id' = id)) AS contains_id,
       count(*) FILTER (WHERE jsonb_ivm_set_path(d, 'nested.b.c', patch) <> jsonb_set(d, '{nested,b,c}', patch)) AS set_path,
       count(*) FILTER (WHERE jsonb_patch(d, jsonb_diff(d, d || patch)) <> d || patch) AS diff_patch,
       count(*) FILTER (WHERE jsonb_merge_patch(d, patch) <> d || patch) AS merge_patch,
       count(*) FILTER (WHERE jsonb_extract_id(d) <> d->>'id') AS extract_id
  FROM docs;

-- The results are byte-identical to what PostgreSQL builds, not only equal.
SELECT count(*) FILTER (WHERE pg_column_size(jsonb_merge_shallow(d, patch)) <> pg_column_size(d || patch)) AS size_differs,
       count(*) FILTER (WHERE jsonb_merge_shallow(d, patch)::text <> (d || patch)::text) AS text_differs
  FROM docs;

-- Byte for byte: ROW(a) *= ROW(b) compares the two values' binary images (record_image_eq),
-- which differ where = does not (1.0 and 1.00 are equal jsonb, not the same bytes). Over
-- documents that cross the 32-entry offset stride of jsonb objects and arrays (up to 70
-- keys, arrays of up to 40 elements), nest, and hold non-ASCII and long strings, numbers of
-- several scales, booleans and nulls, every function that builds a document gives exactly
-- the bytes of PostgreSQL's own expression for the same value. This runs on every
-- PostgreSQL major the regress files run on.
CREATE FUNCTION pg_temp.same_bytes(a jsonb, b jsonb) RETURNS boolean LANGUAGE sql
    RETURN ROW(a)::record OPERATOR(pg_catalog.*=) ROW(b)::record;
SELECT pg_temp.same_bytes('1.0', '1.00') AS same_bytes, '1.0'::jsonb = '1.00'::jsonb AS equal,
       pg_temp.same_bytes('{"a": [1, "x"]}', '{ "a" : [1,"x"] }') AS same_document;
CREATE TEMP TABLE wide AS
SELECT g,
       (SELECT jsonb_object_agg('k' || lpad(i::text, 2, '0') || (g % 3),
                                CASE i % 6 WHEN 0 THEN to_jsonb(i * g)
                                           WHEN 1 THEN to_jsonb('Zoë été ' || repeat('ß', i))
                                           WHEN 2 THEN to_jsonb((i * 1.5 + g / 7.0)::numeric(12, 4))
                                           WHEN 3 THEN 'null'::jsonb
                                           WHEN 4 THEN to_jsonb(i % 4 = 0)
                                           ELSE jsonb_build_array(i, 'a', jsonb_build_object('n', i, 'e', '[]'::jsonb)) END)
          FROM generate_series(1, 1 + (g * 7) % 70) i)
       || jsonb_build_object('items', (SELECT jsonb_agg(jsonb_build_object('id', i, 'q', repeat('€', i % 5), 'v', i * 0.25) ORDER BY i)
                                         FROM generate_series(1, 1 + (g * 3) % 40) i),
                             'meta', (SELECT jsonb_object_agg('m' || i, i * g) FROM generate_series(1, 1 + g % 45) i)) AS d,
       jsonb_build_object('k05' || (g % 3), g, 'new' || g, repeat('é', g % 40), 'z', jsonb_build_array(g, 1.50)) AS patch,
       to_jsonb(1 + g % 41) AS id
  FROM generate_series(1, 300) g;
SELECT count(*) AS documents,
       max((SELECT count(*) FROM jsonb_object_keys(d))) AS most_keys,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_merge_shallow(d, patch), d || patch)) AS merge_shallow,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_merge_patch(d, patch), d || patch)) AS merge_patch,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_patch(d, jsonb_diff(d, d || patch)), d || patch)) AS diff_patch,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_smart_patch_nested(d, patch, '{meta}'), jsonb_set(d, '{meta}', (d->'meta') || patch))) AS nested,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_ivm_set_path(d, 'items', patch), jsonb_set(d, '{items}', patch))) AS set_path,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_array_update_where(d, 'items', 'id', id, patch), jsonb_set(d, '{items}', (SELECT jsonb_agg(CASE WHEN e->'id' = id THEN e || patch ELSE e END ORDER BY n)
                                                               FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n))))) AS update_where,
       count(*) FILTER (WHERE NOT pg_temp.same_bytes(jsonb_array_delete_where(d, 'items', 'id', id), jsonb_set(d, '{items}', coalesce((SELECT jsonb_agg(e ORDER BY n)
                                                               FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n)
                                                              WHERE e->'id' IS DISTINCT FROM id), '[]')))) AS delete_where
  FROM wide;
