-- jsonb_patch(target, operations): RFC 6902 JSON Patch.
SELECT jsonb_patch('{"a": {"b": [1, 2]}, "c": 1}', '[
  {"op": "add", "path": "/a/b/1", "value": "x"},
  {"op": "add", "path": "/a/b/-", "value": 3},
  {"op": "replace", "path": "/c", "value": 10.50},
  {"op": "copy", "from": "/c", "path": "/d"},
  {"op": "move", "from": "/d", "path": "/e~1f"},
  {"op": "remove", "path": "/a/b/0"},
  {"op": "test", "path": "/c", "value": 10.5}
]');
-- A failing test operation is an error, and so is a path that does not exist.
SELECT jsonb_patch('{"a": 1}', '[{"op": "test", "path": "/a", "value": "1"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_patch('{"a": 1}', '[{"op": "remove", "path": "/b"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_patch('{"a": 1}', '[{"op": "jump", "path": "/a"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_patch('{"a": 1}', '{"op": "remove"}');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_patch('{"a": {"b": 1}}', '[{"op": "move", "from": "/a", "path": "/a/b/c"}]');
\echo :LAST_ERROR_SQLSTATE

-- jsonb_diff(a, b): a patch turning a into b exactly.
SELECT jsonb_diff('{"a": 1, "b": [1, 2, 3], "c": {"d": 1}}', '{"a": 1.0, "b": [1, 5], "c": {"d": 1, "e": 2}, "f": null}');
SELECT jsonb_patch(a, jsonb_diff(a, b)) = b AS round_trip, jsonb_diff(a, a) AS nothing
  FROM (VALUES ('{"x": [1, {"y": 2}], "z": "s"}'::jsonb, '{"x": [{"y": 3}], "w": true}'::jsonb)) v(a, b);
