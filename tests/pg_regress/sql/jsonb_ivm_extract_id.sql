-- jsonb_extract_id(data, key DEFAULT 'id'): an identifier as text.

SELECT jsonb_extract_id('{"id": "7f1c"}')          AS string_id,
       jsonb_extract_id('{"id": 42}')              AS number_id,
       jsonb_extract_id('{"pk": 10.50}', 'pk')     AS exact_number,
       jsonb_extract_id('{"other": 1}')            AS missing,
       jsonb_extract_id('{"id": {"nested": 1}}')   AS not_an_id,
       jsonb_extract_id('[{"id": 1}]')             AS not_an_object;

-- NULL in, NULL out (the function is inlined, so it is not declared STRICT).
SELECT jsonb_extract_id(NULL) IS NULL AS null_doc, jsonb_extract_id('{"id": 1}', NULL) IS NULL AS null_key;
-- It is inlined: the plan shows the expression, not a function call.
EXPLAIN (COSTS OFF, VERBOSE) SELECT jsonb_extract_id(d) FROM (VALUES ('{"id": 1}'::jsonb)) v(d);
