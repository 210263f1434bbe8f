-- jsonb_ivm micro-benchmark: per-call time of each native function against the native SQL
-- expression with the same result and against the PL/pgSQL stub, on documents of about
-- 1 KB, 10 KB and 100 KB (the largest stored TOASTed, so every call detoasts it, as in a
-- real table). Run by scripts/bench_jsonb.sh; needs sql/jsonb_ivm_stubs.sql loaded.
CREATE SCHEMA jsonb_ivm_bench;
COMMENT ON SCHEMA jsonb_ivm_bench IS 'jsonb_ivm micro-benchmark (scripts/bench_jsonb.sh).';

CREATE TABLE jsonb_ivm_bench.docs (size text PRIMARY KEY, items int, d jsonb);
INSERT INTO jsonb_ivm_bench.docs
SELECT size, n,
       jsonb_build_object(
           'id', 1, 'name', 'order 1', 'status', 'open', 'total', 1234.50,
           'meta', jsonb_build_object('owner', jsonb_build_object('name', 'ann', 'email', 'ann@example.com'),
                                      'tags', jsonb_build_array('a', 'b', 'c')),
           'items', (SELECT jsonb_agg(jsonb_build_object('id', i, 'sku', 'SKU-' || i, 'qty', i % 7,
                                                         'price', (i * 1.25)::numeric(10, 2),
                                                         'rank', i * 10) ORDER BY i)
                       FROM generate_series(1, n) i))
  FROM (VALUES ('1KB', 14), ('10KB', 150), ('100KB', 1550)) v(size, n);

-- Microseconds per evaluation of expr (over column d) at this size: best of three runs, the
-- time to fetch d (count(d)) subtracted.
CREATE FUNCTION jsonb_ivm_bench.per_call_us(expr text, doc_size text, n int) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    best float8 := 'Infinity';
    base float8 := 'Infinity';
    q text := format('SELECT count(%s) FROM generate_series(1, %s) g, jsonb_ivm_bench.docs WHERE size = %L', expr, n, doc_size);
    b text := format('SELECT count(d) FROM generate_series(1, %s) g, jsonb_ivm_bench.docs WHERE size = %L', n, doc_size);
BEGIN
    FOR r IN 1 .. 3 LOOP
        t0 := clock_timestamp();
        EXECUTE b;
        base := least(base, extract(epoch FROM clock_timestamp() - t0));
        t0 := clock_timestamp();
        EXECUTE q;
        best := least(best, extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
    RETURN greatest(best - base, 0) * 1e6 / n;
END $$;

-- The cases: operation, approach, expression over d.
CREATE TABLE jsonb_ivm_bench.cases (operation text, approach text, expr text, PRIMARY KEY (operation, approach));
INSERT INTO jsonb_ivm_bench.cases VALUES
 ('merge_shallow', 'jsonb_ivm', $$jsonb_merge_shallow(d, '{"name": "x", "flag": true}')$$),
 ('merge_shallow', 'native SQL', $$d || '{"name": "x", "flag": true}'$$),
 ('merge_shallow', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_merge_shallow(d, '{"name": "x", "flag": true}')$$),
 ('smart_patch_nested', 'jsonb_ivm', $$jsonb_smart_patch_nested(d, '{"name": "y"}', '{meta,owner}')$$),
 ('smart_patch_nested', 'native SQL', $$jsonb_set(d, '{meta,owner}', coalesce(d #> '{meta,owner}', '{}') || '{"name": "y"}')$$),
 ('smart_patch_nested', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_smart_patch_nested(d, '{"name": "y"}', '{meta,owner}')$$),
 ('array_update_where', 'jsonb_ivm', $$jsonb_array_update_where(d, 'items', 'id', '5', '{"qty": 0}')$$),
 ('array_update_where', 'native SQL', $$jsonb_set(d, '{items}', (SELECT jsonb_agg(CASE WHEN e->'id' = '5' THEN e || '{"qty": 0}' ELSE e END ORDER BY n) FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n)))$$),
 ('array_update_where', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_array_update_where(d, 'items', 'id', '5', '{"qty": 0}')$$),
 ('array_delete_where', 'jsonb_ivm', $$jsonb_array_delete_where(d, 'items', 'id', '5')$$),
 ('array_delete_where', 'native SQL', $$jsonb_set(d, '{items}', (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(d->'items') WITH ORDINALITY x(e, n) WHERE e->'id' IS DISTINCT FROM '5'))$$),
 ('array_delete_where', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_array_delete_where(d, 'items', 'id', '5')$$),
 ('array_insert_where', 'jsonb_ivm', $$jsonb_array_insert_where(d, 'items', '{"id": 0, "rank": 35}', 'rank', 'ASC')$$),
 ('array_insert_where', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_array_insert_where(d, 'items', '{"id": 0, "rank": 35}', 'rank', 'ASC')$$),
 ('ivm_set_path', 'jsonb_ivm', $$jsonb_ivm_set_path(d, 'meta.owner.name', '"z"')$$),
 ('ivm_set_path', 'native SQL', $$jsonb_set(d, '{meta,owner,name}', '"z"')$$),
 ('array_contains_id', 'jsonb_ivm', $$jsonb_array_contains_id(d, 'items', 'id', '5')$$),
 ('array_contains_id', 'native SQL', $$EXISTS (SELECT 1 FROM jsonb_array_elements(d->'items') e WHERE e->'id' = '5')$$),
 ('array_contains_id', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_array_contains_id(d, 'items', 'id', '5')$$),
 ('extract_id', 'jsonb_ivm', $$jsonb_extract_id(d)$$),
 ('extract_id', 'native SQL', $$CASE WHEN jsonb_typeof(d->'id') IN ('string', 'number') THEN d->>'id' END$$),
 ('extract_id', 'PL/pgSQL stub', $$jsonb_ivm_stub.jsonb_extract_id(d)$$);

-- Run every case at every size; iterations scale down with the document size.
-- same_result: the approach's result equals jsonb_ivm's on this document.
CREATE FUNCTION jsonb_ivm_bench.run(scale float8 DEFAULT 1)
RETURNS TABLE (operation text, size text, doc_bytes int, approach text, us_per_call numeric, same_result boolean)
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    s record;
    ours text;
BEGIN
    FOR s IN SELECT x.size, octet_length(x.d::text) AS bytes,
                    greatest(10, (CASE x.size WHEN '1KB' THEN 20000 WHEN '10KB' THEN 4000 ELSE 400 END * scale)::int) AS n
               FROM jsonb_ivm_bench.docs x ORDER BY x.items LOOP
        FOR c IN SELECT * FROM jsonb_ivm_bench.cases ORDER BY 1, 2 LOOP
            SELECT k.expr INTO ours FROM jsonb_ivm_bench.cases k WHERE k.operation = c.operation AND k.approach = 'jsonb_ivm';
            operation := c.operation; size := s.size; doc_bytes := s.bytes; approach := c.approach;
            us_per_call := round(jsonb_ivm_bench.per_call_us(c.expr, s.size, s.n)::numeric, 2);
            EXECUTE format('SELECT (%s) IS NOT DISTINCT FROM (%s) FROM jsonb_ivm_bench.docs WHERE size = %L', c.expr, ours, s.size)
               INTO same_result;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END $$;
