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

-- jsonb_smart_patch_scalar is the same function under the public API's other name.
SELECT jsonb_smart_patch_scalar('{"a": 1, "b": 2}', '{"b": 3}');

-- jsonb_merge_at_path(target, source, path): shallow merge at a nested object.
SELECT jsonb_merge_at_path('{"id": 1, "author": {"name": "ann", "email": "a@x"}}',
                           '{"name": "Ann"}', '{author}');
-- Missing objects on the way are created.
SELECT jsonb_merge_at_path('{"id": 1}', '{"city": "Lyon"}', '{address,home}');
-- The empty path merges at the root.
SELECT jsonb_merge_at_path('{"a": 1}', '{"b": 2}', '{}');
-- jsonb_smart_patch_nested is the same operation; it equals the native expression.
SELECT jsonb_smart_patch_nested(t, s, p) = jsonb_set(t, p, coalesce(t #> p, '{}') || s) AS same
  FROM (VALUES ('{"x": {"y": {"z": 1, "w": [1, 2]}}, "k": 10.50}'::jsonb,
                '{"z": 2, "new": null}'::jsonb, '{x,y}'::text[])) v(t, s, p);
-- Errors: a non-object on the way, a non-object source, a NULL path element.
SELECT jsonb_merge_at_path('{"a": {"b": [1]}}', '{"c": 1}', '{a,b}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_merge_at_path('{"a": 5}', '{"c": 1}', '{a,b}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_merge_at_path('{"a": {}}', '[1]', '{a}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_merge_at_path('{"a": {}}', '{}', ARRAY['a', NULL]);
\echo :LAST_ERROR_SQLSTATE

-- jsonb_deep_merge(target, source): objects merge recursively; arrays and scalars replace.
SELECT jsonb_deep_merge('{"a": {"b": 1, "c": {"d": 1}}, "list": [1, 2], "keep": true}',
                        '{"a": {"c": {"e": 2}}, "list": [3], "new": null}');
-- When either side is not an object, the result is the source.
SELECT jsonb_deep_merge('{"a": 1}', '[1]'), jsonb_deep_merge('5', '{"a": 1}');

-- jsonb_merge_patch(target, patch): RFC 7386. null removes a key.
SELECT jsonb_merge_patch('{"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"], "content": "This will be unchanged"}',
                         '{"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": null}, "tags": ["example"]}');
SELECT jsonb_merge_patch('{"a": "b"}', '"c"'), jsonb_merge_patch('[1]', '{"a": 1}');
