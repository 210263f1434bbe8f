-- jsonb_ivm_set_path(target, path, value): path syntax a.b[2].c.
SELECT jsonb_ivm_set_path('{"a": {"b": [1, 2, 3]}}', 'a.b[1]', '"two"');
SELECT jsonb_ivm_set_path('{"a": {"b": [1, 2, 3]}}', 'a.b[-1]', '"last"');
-- Missing parts are created; an index past the end pads with nulls.
SELECT jsonb_ivm_set_path('{}', 'x.y[2].z', '1');
-- Quoted keys hold dots and brackets.
SELECT jsonb_ivm_set_path('{}', '"a.b"."[c]"', 'true');
-- Numbers and unicode are kept exactly.
SELECT jsonb_ivm_set_path('{"p": 10.50, "name": "Zoë"}', 'q', '1.000');
-- Errors: bad syntax, wrong kind of value on the way, index before the start.
SELECT jsonb_ivm_set_path('{}', 'a..b', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_ivm_set_path('{}', 'a[x]', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_ivm_set_path('{"a": [1]}', 'a.b', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_ivm_set_path('{"a": {"b": 1}}', 'a[0]', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_ivm_set_path('{"a": [1]}', 'a[-3]', '1');
\echo :LAST_ERROR_SQLSTATE

-- jsonb_ivm_array_update_where_path: set a nested path inside matching elements.
SELECT jsonb_ivm_array_update_where_path(
    '{"lines": [{"id": 1, "price": {"amount": 10.50, "currency": "EUR"}}, {"id": 2}]}',
    'lines', 'id', '1', 'price.amount', '12.00');
SELECT jsonb_ivm_array_update_where_path('{"lines": [{"id": 1}]}', 'lines', 'id', '1', 'tags[0]', '"x"');
SELECT jsonb_ivm_array_update_where_path('{"lines": [{"id": 1}]}', 'lines', 'id', '1', '', '1');
\echo :LAST_ERROR_SQLSTATE
