-- hr.plant(), called by an attacking role with its own schema first on the search_path:
-- plants, in that schema, a function, operator or aggregate under every name pg_tviews'
-- statements use, each an exact match for the argument types maintenance passes (so it would
-- beat pg_catalog's polymorphic or variadic original if it were ever looked up). Every
-- planted object first writes a row to hr.loot saying who ran it: the loot table stays empty
-- when nothing of the attacker's ever runs.
CREATE FUNCTION hr.plant() RETURNS void LANGUAGE plpgsql AS $plant$
DECLARE
    s text := pg_catalog.current_schema();
    t text;
BEGIN
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %I.note(what pg_catalog.text) RETURNS void LANGUAGE sql AS %L', s,
        pg_catalog.format('INSERT INTO hr.loot VALUES (CURRENT_USER, %L || ''.'' || what)', s));
    -- unnest of every array type maintenance unnests, and the polymorphic one.
    FOREACH t IN ARRAY ARRAY['int', 'oid', 'regclass', 'text'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION %1$I.unnest(a %2$s[]) RETURNS SETOF %2$s LANGUAGE plpgsql AS '
            '$b$BEGIN PERFORM %1$I.note(''unnest(%2$s[])''); RETURN QUERY SELECT pg_catalog.unnest(a); END$b$', s, t);
    END LOOP;
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''unnest(anyarray)''); RETURN QUERY SELECT pg_catalog.unnest(a); END$b$', s);
    -- = for every type maintenance compares.
    FOREACH t IN ARRAY ARRAY['int', 'oid', 'regclass', 'text', 'name', 'date', 'numeric'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION %1$I.eq(a %2$s, b %2$s) RETURNS boolean LANGUAGE plpgsql AS '
            '$b$BEGIN PERFORM %1$I.note(''=(%2$s)''); RETURN a OPERATOR(pg_catalog.=) b; END$b$', s, t);
        EXECUTE pg_catalog.format(
            'CREATE OPERATOR %1$I.= (FUNCTION = %1$I.eq, LEFTARG = %2$s, RIGHTARG = %2$s)', s, t);
    END LOOP;
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.concat_jsonb(a jsonb, b jsonb) RETURNS jsonb LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''||(jsonb)''); RETURN a OPERATOR(pg_catalog.||) b; END$b$', s);
    EXECUTE pg_catalog.format(
        'CREATE OPERATOR %1$I.|| (FUNCTION = %1$I.concat_jsonb, LEFTARG = jsonb, RIGHTARG = jsonb)', s);
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.image_ne(a record, b record) RETURNS boolean LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''*<>(record)''); RETURN false; END$b$', s);
    EXECUTE pg_catalog.format(
        'CREATE OPERATOR %1$I.*<> (FUNCTION = %1$I.image_ne, LEFTARG = record, RIGHTARG = record)', s);
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.jsonb_build_object(k pg_catalog.text, v pg_catalog.text) RETURNS jsonb LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''jsonb_build_object''); RETURN ''{}''; END$b$', s);
    -- Aggregates: array_agg of every type maintenance collects, count(*), bool_or.
    FOREACH t IN ARRAY ARRAY['int', 'oid', 'text'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION %1$I.agg_step(st %2$s[], v %2$s) RETURNS %2$s[] LANGUAGE plpgsql AS '
            '$b$BEGIN PERFORM %1$I.note(''array_agg(%2$s)''); RETURN pg_catalog.array_append(st, v); END$b$', s, t);
        EXECUTE pg_catalog.format(
            'CREATE AGGREGATE %1$I.array_agg(%2$s) (SFUNC = %1$I.agg_step, STYPE = %2$s[])', s, t);
    END LOOP;
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.count_step(st bigint) RETURNS bigint LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''count(*)''); RETURN st OPERATOR(pg_catalog.+) 1; END$b$', s);
    EXECUTE pg_catalog.format(
        'CREATE AGGREGATE %1$I.count(*) (SFUNC = %1$I.count_step, STYPE = bigint, INITCOND = ''0'')', s);
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.or_step(st boolean, v boolean) RETURNS boolean LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''bool_or''); RETURN st OR v; END$b$', s);
    EXECUTE pg_catalog.format(
        'CREATE AGGREGATE %1$I.bool_or(boolean) (SFUNC = %1$I.or_step, STYPE = boolean)', s);
    -- The settings pg_tviews reads.
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION %1$I.current_setting(n pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql AS '
        '$b$BEGIN PERFORM %1$I.note(''current_setting''); RETURN pg_catalog.current_setting(n); END$b$', s);
END
$plant$;
GRANT EXECUTE ON FUNCTION hr.plant() TO PUBLIC;
