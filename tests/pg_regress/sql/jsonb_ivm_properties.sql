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
