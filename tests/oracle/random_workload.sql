-- The randomized oracle workload: a schema `rnd` with every TVIEW shape, and
--   rnd.random_workload(seed, n) -> (statements, rolled_back, mismatches)
-- which runs n seeded random statements, each in a subtransaction (5% rolled back), and
-- checks every TVIEW of the schema with pg_tviews_check after each one.
-- Used by the golden test tview_90_random_oracle and by scripts/oracle.sh (long runs).
CREATE SCHEMA rnd;
SET search_path = rnd, public;

-- No foreign keys on purpose: dangling references exercise inner joins dropping rows.
CREATE TABLE tb_cat   (pk_cat int PRIMARY KEY, name text NOT NULL, active boolean NOT NULL);
CREATE TABLE tb_sup   (pk_sup int PRIMARY KEY, name text NOT NULL, fk_cat int);
CREATE TABLE tb_prod  (pk_prod int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL,
                       fk_cat int NOT NULL, fk_sup int);
CREATE TABLE tb_rev   (pk_rev int PRIMARY KEY, fk_prod int NOT NULL, rating int NOT NULL,
                       created int NOT NULL);
CREATE TABLE tb_vote  (pk_vote int PRIMARY KEY, fk_rev int NOT NULL, up boolean NOT NULL);
CREATE TABLE tb_tag   (pk_tag int PRIMARY KEY, label text NOT NULL);
CREATE TABLE tb_prod_tag (fk_prod int NOT NULL, fk_tag int NOT NULL, PRIMARY KEY (fk_prod, fk_tag));

INSERT INTO tb_cat  SELECT g, 'cat' || g, g % 3 <> 0 FROM generate_series(1, 6) g;
INSERT INTO tb_sup  SELECT g, 'sup' || g, 1 + g % 6 FROM generate_series(1, 5) g;
INSERT INTO tb_prod SELECT g, 'prod' || g, g * 1.5, 1 + g % 6, CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + g % 5 END
                      FROM generate_series(1, 30) g;
INSERT INTO tb_rev  SELECT g, 1 + g % 30, 1 + g % 5, g FROM generate_series(1, 60) g;
INSERT INTO tb_vote SELECT g, 1 + g % 60, g % 2 = 0 FROM generate_series(1, 80) g;
INSERT INTO tb_tag  SELECT g, 'tag' || g FROM generate_series(1, 8) g;
INSERT INTO tb_prod_tag SELECT DISTINCT 1 + g % 30, 1 + g % 8 FROM generate_series(1, 50) g;

-- Shape 1: one table with a filter.
SELECT pg_tviews_create('cat', $$
    SELECT c.pk_cat, jsonb_build_object('name', c.name) AS data FROM tb_cat c WHERE c.active $$);
-- Shapes 2, 3 and 6: joins over two hops (inner and left), a filter on a joined table, child
-- arrays with grandchildren, ORDER BY and LIMIT, aggregates.
SELECT pg_tviews_create('prod', $$
    SELECT p.pk_prod, p.fk_cat,
           jsonb_build_object(
               'name', p.name, 'price', p.price,
               'category', c.name,
               'supplier', CASE WHEN s.pk_sup IS NULL THEN NULL
                                ELSE jsonb_build_object('name', s.name, 'category', sc.name) END,
               'reviews', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                          'rating', r.rating,
                                          'up', (SELECT count(*) FROM tb_vote v WHERE v.fk_rev = r.pk_rev AND v.up))
                                        ORDER BY r.created DESC, r.pk_rev)
                                      FROM tb_rev r WHERE r.fk_prod = p.pk_prod), '[]'),
               'latest', coalesce((SELECT jsonb_agg(l.pk_rev ORDER BY l.created DESC, l.pk_rev)
                                     FROM (SELECT r2.pk_rev, r2.created FROM tb_rev r2
                                            WHERE r2.fk_prod = p.pk_prod
                                            ORDER BY r2.created DESC, r2.pk_rev LIMIT 3) l), '[]'),
               'stats', (SELECT jsonb_build_object('n', count(*), 'avg', round(avg(r3.rating), 3),
                                                   'min', min(r3.rating), 'max', max(r3.rating))
                           FROM tb_rev r3 WHERE r3.fk_prod = p.pk_prod)) AS data
      FROM tb_prod p
      JOIN tb_cat c ON c.pk_cat = p.fk_cat
      LEFT JOIN tb_sup s ON s.pk_sup = p.fk_sup
      LEFT JOIN tb_cat sc ON sc.pk_cat = s.fk_cat
     WHERE c.active $$);
-- Shape 4: GROUP BY the root key over left joins with FILTER.
SELECT pg_tviews_create('prod_tags', $$
    SELECT p.pk_prod,
           jsonb_build_object('tags', coalesce(jsonb_agg(t.label ORDER BY t.label) FILTER (WHERE t.pk_tag IS NOT NULL), '[]')) AS data
      FROM tb_prod p
      LEFT JOIN tb_prod_tag pt ON pt.fk_prod = p.pk_prod
      LEFT JOIN tb_tag t ON t.pk_tag = pt.fk_tag
     GROUP BY p.pk_prod $$);
-- Shape 5: TVIEWs over TVIEWs (three levels: prod -> cat_products -> catalogue).
SELECT pg_tviews_create('cat_products', $$
    SELECT c.pk_cat,
           jsonb_build_object('name', c.name,
                              'products', coalesce((SELECT jsonb_agg(p.data ORDER BY p.pk_prod)
                                                      FROM tv_prod p WHERE p.fk_cat = c.pk_cat), '[]'),
                              'tags', coalesce((SELECT jsonb_agg(pt.data ORDER BY pt.pk_prod)
                                                  FROM tv_prod_tags pt JOIN tb_prod p2 ON p2.pk_prod = pt.pk_prod
                                                 WHERE p2.fk_cat = c.pk_cat), '[]')) AS data
      FROM tb_cat c $$);
SELECT pg_tviews_create('catalogue', $$
    SELECT s.pk_sup,
           jsonb_build_object('supplier', s.name, 'home', cp.data) AS data
      FROM tb_sup s LEFT JOIN tv_cat_products cp ON cp.pk_cat = s.fk_cat $$);

-- One random statement. Small key ranges make collisions, moves and dangling references common.
CREATE FUNCTION random_statement() RETURNS text LANGUAGE plpgsql SET search_path = rnd, public AS $fn$
DECLARE
    k int := floor(random() * 22)::int;
    a int := 1 + floor(random() * 36)::int;
    b int := 1 + floor(random() * 36)::int;
    c int := 1 + floor(random() * 7)::int;
BEGIN
    CASE k
    WHEN 0 THEN INSERT INTO tb_prod VALUES (a, 'new' || a, a, c, nullif(b % 6, 0)) ON CONFLICT (pk_prod) DO UPDATE SET name = excluded.name || '!';
    WHEN 1 THEN UPDATE tb_prod SET price = price + 1 WHERE pk_prod = a;
    WHEN 2 THEN UPDATE tb_prod SET fk_cat = c WHERE pk_prod IN (a, b);
    WHEN 3 THEN UPDATE tb_prod SET fk_sup = nullif(b % 7, 0) WHERE pk_prod = a;
    WHEN 4 THEN DELETE FROM tb_prod WHERE pk_prod = a;
    WHEN 5 THEN UPDATE tb_prod SET pk_prod = b WHERE pk_prod = a;
    WHEN 6 THEN INSERT INTO tb_rev VALUES (100 + a * 40 + b, a, c % 5 + 1, a + b) ON CONFLICT DO NOTHING;
    WHEN 7 THEN UPDATE tb_rev SET fk_prod = b WHERE pk_rev IN (SELECT pk_rev FROM tb_rev WHERE fk_prod = a LIMIT 2);
    WHEN 8 THEN DELETE FROM tb_rev WHERE fk_prod = a AND rating = c % 5 + 1;
    WHEN 9 THEN UPDATE tb_rev SET created = created + b WHERE fk_prod = a;
    WHEN 10 THEN INSERT INTO tb_vote VALUES (1000 + a * 40 + b, (SELECT coalesce(max(pk_rev), 1) FROM tb_rev WHERE fk_prod = a), b % 2 = 0) ON CONFLICT (pk_vote) DO UPDATE SET up = NOT tb_vote.up;
    WHEN 11 THEN DELETE FROM tb_vote WHERE fk_rev IN (SELECT pk_rev FROM tb_rev WHERE fk_prod = a);
    WHEN 12 THEN UPDATE tb_cat SET active = NOT active WHERE pk_cat = c;
    WHEN 13 THEN UPDATE tb_cat SET name = 'cat' || c || '-' || a WHERE pk_cat = c;
    WHEN 14 THEN INSERT INTO tb_cat VALUES (c, 'cat' || c, true) ON CONFLICT (pk_cat) DO NOTHING;
    WHEN 15 THEN DELETE FROM tb_cat WHERE pk_cat = c AND a % 3 = 0;
    WHEN 16 THEN UPDATE tb_sup SET name = 'sup' || b, fk_cat = c WHERE pk_sup = 1 + a % 6;
    WHEN 17 THEN INSERT INTO tb_sup VALUES (1 + a % 7, 'sup', c) ON CONFLICT (pk_sup) DO UPDATE SET fk_cat = excluded.fk_cat;
    WHEN 18 THEN INSERT INTO tb_prod_tag VALUES (a, c) ON CONFLICT DO NOTHING;
    WHEN 19 THEN DELETE FROM tb_prod_tag WHERE fk_prod = a OR fk_tag = c;
    WHEN 20 THEN UPDATE tb_tag SET label = label || '+' WHERE pk_tag = c;
    ELSE
        -- Two sources in one statement.
        WITH m AS (UPDATE tb_rev SET fk_prod = a WHERE fk_prod = b RETURNING 1)
        UPDATE tb_prod SET name = name || '~' WHERE pk_prod = a;
    END CASE;
    IF random() < 0.01 THEN
        CASE floor(random() * 2)::int
        WHEN 0 THEN TRUNCATE tb_vote;
        ELSE TRUNCATE tb_prod_tag;
        END CASE;
    END IF;
    RETURN k::text;
END
$fn$;

-- Run n statements, each in its own subtransaction; 5% are rolled back after running.
-- Every check_every statements, pg_tviews_flush() applies what deferred TVIEWs collected
-- and every TVIEW is checked. Half of the rolled-back subtransactions flush before rolling
-- back, so refreshes are undone with the changes they stood for.
-- Returns the number of statements run and of TVIEW checks that found a difference.
CREATE FUNCTION random_workload(seed float8, n int, check_every int DEFAULT 1)
RETURNS TABLE (statements int, rolled_back int, mismatches int)
LANGUAGE plpgsql SET search_path = rnd, public AS $fn$
DECLARE
    tv text;
    what text;
    bad int;
BEGIN
    PERFORM setseed(seed);
    statements := 0; rolled_back := 0; mismatches := 0;
    FOR i IN 1..n LOOP
        BEGIN
            what := random_statement();
            IF random() < 0.05 THEN
                IF i % 2 = 0 THEN
                    PERFORM pg_tviews_flush();
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'roll back';
            END IF;
        EXCEPTION
            WHEN raise_exception THEN rolled_back := rolled_back + 1;
            WHEN unique_violation THEN NULL;
        END;
        statements := statements + 1;
        CONTINUE WHEN i % check_every <> 0 AND i <> n;
        PERFORM pg_tviews_flush();
        FOR tv IN SELECT m.tview_name FROM pg_tview_meta m
                   WHERE m.table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rnd'::regnamespace)
        LOOP
            SELECT count(*) INTO bad FROM pg_tviews_check(tv);
            IF bad > 0 THEN
                mismatches := mismatches + 1;
                RAISE NOTICE 'statement % (kind %): TVIEW % differs on % keys', i, what, tv, bad;
            END IF;
        END LOOP;
    END LOOP;
    RETURN NEXT;
END
$fn$;
