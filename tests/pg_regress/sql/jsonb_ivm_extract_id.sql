-- jsonb_extract_id(data, key DEFAULT 'id'): an identifier as text.

SELECT jsonb_extract_id('{"id": "7f1c"}')          AS string_id,
       jsonb_extract_id('{"id": 42}')              AS number_id,
       jsonb_extract_id('{"pk": 10.50}', 'pk')     AS exact_number,
       jsonb_extract_id('{"other": 1}')            AS missing,
       jsonb_extract_id('{"id": {"nested": 1}}')   AS not_an_id,
       jsonb_extract_id('[{"id": 1}]')             AS not_an_object;
