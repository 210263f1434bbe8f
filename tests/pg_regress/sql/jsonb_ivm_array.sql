-- Arrays of objects addressed by a key's value. Matching is jsonb equality: 1 matches 1.0,
-- 5 never matches "5". Every matching element is affected.
CREATE TEMP TABLE doc AS SELECT '{
  "id": 7,
  "items": [{"id": 1, "qty": 1, "name": "a"},
            {"id": 2, "qty": 5, "name": "b"},
            {"id": "2", "qty": 9},
            {"id": 1.0, "qty": 3},
            "not an object"]
}'::jsonb AS d;

-- jsonb_array_update_where(target, array_path, match_key, match_value, updates)
SELECT jsonb_array_update_where(d, 'items', 'id', '1', '{"qty": 100, "seen": true}') FROM doc;
SELECT jsonb_array_update_where(d, 'items', 'id', '"2"', '{"qty": 0}') FROM doc;
-- No match, or no such array: unchanged.
SELECT jsonb_array_update_where(d, 'items', 'id', '42', '{"qty": 0}') = d AS unchanged FROM doc;
SELECT jsonb_array_update_where(d, 'nothing', 'id', '1', '{"qty": 0}') = d AS unchanged FROM doc;
-- The native rewrite it replaces gives the same result.
SELECT jsonb_array_update_where(d, 'items', 'id', '2', '{"qty": 6}')
     = jsonb_set(d, '{items}', (SELECT jsonb_agg(CASE WHEN e ? 'id' AND e->'id' = '2' THEN e || '{"qty": 6}' ELSE e END ORDER BY n)
                                  FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n))) AS same_as_native
  FROM doc;
-- Errors: not an array at the path, not an object as target or updates.
SELECT jsonb_array_update_where('{"items": {"id": 1}}', 'items', 'id', '1', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_array_update_where('[1]', 'items', 'id', '1', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_array_update_where(d, 'items', 'id', '1', '[1]') FROM doc;
\echo :LAST_ERROR_SQLSTATE

-- jsonb_smart_patch_array: the same with the patch second.
SELECT jsonb_smart_patch_array(d, '{"qty": 0}', 'items', 'id', '2') FROM doc;

-- jsonb_array_update_where_batch: several updates in one pass.
SELECT jsonb_array_update_where_batch(d, 'items', 'id',
         '[{"match_value": 1, "updates": {"qty": 11}}, {"match_value": "2", "updates": {"qty": 22}},
           {"match_value": 1, "updates": {"tag": "x"}}]') FROM doc;
SELECT jsonb_array_update_where_batch(d, 'items', 'id', '[{"updates": {}}]') FROM doc;
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_array_update_where_batch(d, 'items', 'id', '{"match_value": 1}') FROM doc;
\echo :LAST_ERROR_SQLSTATE

-- jsonb_array_update_multi_row: one row per input document, NULL stays NULL.
SELECT * FROM jsonb_array_update_multi_row(
    ARRAY['{"items": [{"id": 1}]}', NULL, '{"items": [{"id": 2}]}']::jsonb[],
    'items', 'id', '1', '{"hit": true}');

-- jsonb_array_delete_where: every match goes.
SELECT jsonb_array_delete_where(d, 'items', 'id', '1') FROM doc;
SELECT jsonb_array_delete_where(d, 'missing', 'id', '1') = d AS unchanged FROM doc;

-- jsonb_array_insert_where(target, array_path, new_element, sort_key, sort_order)
SELECT jsonb_array_insert_where('{"r": [{"t": 1}, {"t": 3}, {"t": 3}, {"t": 5}]}', 'r', '{"t": 3, "new": true}', 't', 'ASC');
SELECT jsonb_array_insert_where('{"r": [{"t": 5}, {"t": 3}, {"t": 1}]}', 'r', '{"t": 4}', 't', 'desc');
SELECT jsonb_array_insert_where('{"r": [{"t": "b"}, {"t": "d"}]}', 'r', '{"t": "c"}', 't');
SELECT jsonb_array_insert_where('{"r": [1, 2]}', 'r', '3');
SELECT jsonb_array_insert_where('{}', 'r', '{"t": 1}', 't', 'ASC');
SELECT jsonb_array_insert_where(NULL, 'r', '1') IS NULL AS null_target;
SELECT jsonb_array_insert_where('{"r": []}', 'r', '{"t": 1}', 't', 'sideways');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_array_insert_where('{"r": []}', 'r', NULL);
\echo :LAST_ERROR_SQLSTATE

-- jsonb_array_contains_id
SELECT jsonb_array_contains_id(d, 'items', 'id', '2') AS has_2,
       jsonb_array_contains_id(d, 'items', 'id', '3') AS has_3,
       jsonb_array_contains_id(d, 'nothing', 'id', '1') AS no_array,
       jsonb_array_contains_id('[1]', 'items', 'id', '1') AS not_an_object
  FROM doc;
