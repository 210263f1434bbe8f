-- jsonb_merge_shallow(target, source): the top-level keys of source replace or add keys of
-- target, exactly like target || source for two objects.

SELECT jsonb_merge_shallow('{"id": 1, "name": "old", "tags": ["a"]}',
                           '{"name": "new", "stock": 3}');

-- Nested values are replaced whole, not merged; null is a value, not a deletion.
SELECT jsonb_merge_shallow('{"price": {"amount": 10.50, "currency": "EUR"}}',
                           '{"price": {"amount": 12}, "note": null}');

-- Numbers keep their exact text (10.50 stays 10.50) and 1 equals 1.0, as in jsonb.
SELECT jsonb_merge_shallow('{"a": 10.50}', '{"b": 1e3}'),
       jsonb_merge_shallow('{"a": 1}', '{}') = '{"a": 1.0}';

-- Same result as the operator on a document that crosses the binary format's
-- 32-entry offset stride.
SELECT jsonb_merge_shallow(t, s) = t || s AS same_as_operator,
       pg_column_size(jsonb_merge_shallow(t, s)) = pg_column_size(t || s) AS same_size
  FROM (SELECT jsonb_object_agg('key' || g, g) AS t FROM generate_series(1, 70) g) x,
       (VALUES ('{"key5": "five", "key69": [1, 2], "zzz": true}'::jsonb)) v(s);

-- STRICT: NULL in, NULL out.
SELECT jsonb_merge_shallow(NULL, '{}') IS NULL AS null_target;

-- Both arguments must be objects: SQLSTATE 2203C (sql_json_object_not_found) and a hint.
SELECT jsonb_merge_shallow('[1, 2]', '{"a": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_merge_shallow('{"a": 1}', '"text"');
\echo :LAST_ERROR_SQLSTATE
