-- The in-database benchmark: an e-commerce catalogue kept as one JSONB document per product,
-- maintained by several approaches on the same data, every timing including its COMMIT,
-- every result checked against the definition before its time is reported.
--
--   CALL tviews_bench.setup('small');                     -- or 'medium', 'large', 'tiny'
--   CALL tviews_bench.run('{price,review_insert}', '{bare,pg_tviews}', 20);
--   SELECT * FROM tviews_bench.report;                    -- median, p95, exactness
--
-- Driven end to end by scripts/bench.sh, which also runs the concurrent scenarios (pgbench)
-- and writes the CSV, markdown report and SVG chart.
CREATE SCHEMA tviews_bench;
COMMENT ON SCHEMA tviews_bench IS 'pg_tviews benchmark: catalogue workload, approaches, scenarios, results.';
SET search_path = tviews_bench, public;

-- The workload -------------------------------------------------------------------------

CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_supplier (pk_supplier int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE tb_product (
    pk_product  int PRIMARY KEY,
    name        text NOT NULL,
    price       numeric(10, 2) NOT NULL,
    currency    text NOT NULL DEFAULT 'EUR',
    status      text NOT NULL,
    fk_category int NOT NULL REFERENCES tb_category,
    fk_supplier int REFERENCES tb_supplier
);
CREATE INDEX ON tb_product (fk_category);
CREATE INDEX ON tb_product (fk_supplier);
CREATE TABLE tb_inventory (
    fk_product int PRIMARY KEY REFERENCES tb_product ON DELETE CASCADE,
    quantity   int NOT NULL,
    warehouse  text NOT NULL
);
CREATE TABLE tb_review (
    pk_review  bigint PRIMARY KEY,
    fk_product int NOT NULL REFERENCES tb_product ON DELETE CASCADE,
    rating     int NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ON tb_review (fk_product, created_at DESC, pk_review DESC);
CREATE SEQUENCE review_seq;

CREATE TABLE tb_order (pk_order int PRIMARY KEY, customer text NOT NULL);
CREATE TABLE tb_order_line (
    pk_line    bigint PRIMARY KEY,
    fk_order   int NOT NULL REFERENCES tb_order ON DELETE CASCADE,
    fk_product int NOT NULL REFERENCES tb_product ON DELETE CASCADE,
    quantity   int NOT NULL
);
CREATE INDEX ON tb_order_line (fk_order);
CREATE INDEX ON tb_order_line (fk_product);

COMMENT ON TABLE tb_product IS 'Benchmark catalogue: products.';
COMMENT ON TABLE tb_order_line IS 'Benchmark catalogue: order lines (5 per order, one order per 10 products).';
COMMENT ON TABLE tb_review IS 'Benchmark catalogue: reviews (5 per product on average).';

-- Sizes: products and reviews per scale; 100 categories (so a category holds about 1% of the
-- products), one supplier per 20 products, one product in 10 without a supplier.
-- crowded: the reviews of one product (pk_product 4) on top of the others, so that the cost
-- of a change to a document with many children is visible next to one with a few.
CREATE TABLE scales (scale text PRIMARY KEY, products int NOT NULL, reviews int NOT NULL,
                     crowded int NOT NULL);
INSERT INTO scales VALUES ('tiny', 200, 1000, 500), ('small', 1000, 5000, 5000),
                          ('medium', 100000, 500000, 50000), ('large', 1000000, 5000000, 50000);

-- The definition every approach must reproduce.
CREATE VIEW v_product AS
SELECT p.pk_product,
       jsonb_build_object(
           'id', p.pk_product,
           'name', p.name,
           'price', jsonb_build_object('amount', p.price, 'currency', p.currency),
           'status', p.status,
           'category', jsonb_build_object('id', c.pk_category, 'name', c.name),
           'supplier', CASE WHEN s.pk_supplier IS NULL THEN NULL
                            ELSE jsonb_build_object('id', s.pk_supplier, 'name', s.name, 'email', s.email) END,
           'inventory', jsonb_build_object('quantity', coalesce(i.quantity, 0), 'warehouse', i.warehouse),
           'reviews', jsonb_build_object(
               'count', (SELECT count(*) FROM tb_review r WHERE r.fk_product = p.pk_product),
               'average', (SELECT round(avg(r.rating), 2) FROM tb_review r WHERE r.fk_product = p.pk_product),
               'latest', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.pk_review, 'rating', l.rating, 'body', l.body)
                                                    ORDER BY l.created_at DESC, l.pk_review DESC)
                                     FROM (SELECT r.pk_review, r.rating, r.body, r.created_at FROM tb_review r
                                            WHERE r.fk_product = p.pk_product
                                            ORDER BY r.created_at DESC, r.pk_review DESC LIMIT 5) l), '[]'))) AS data
  FROM tb_product p
  JOIN tb_category c ON c.pk_category = p.fk_category
  LEFT JOIN tb_supplier s ON s.pk_supplier = p.fk_supplier
  LEFT JOIN tb_inventory i ON i.fk_product = p.pk_product;
COMMENT ON VIEW v_product IS 'The product document: the definition every approach reproduces.';

-- The second read model, the kind pg_ivm is built for: a flat join and a GROUP BY aggregate
-- (each category's products, price total and range). Its scenarios are marked in scenarios.
CREATE VIEW v_category_sales AS
SELECT c.pk_category, c.name, count(*) AS products, sum(p.price) AS price_total,
       min(p.price) AS price_min, max(p.price) AS price_max
  FROM tb_product p
  JOIN tb_category c ON c.pk_category = p.fk_category
 GROUP BY c.pk_category, c.name;
-- The third read model, documents built on documents: each order embeds the product document
-- of each of its lines, so a category renamed reaches orders through products (three levels:
-- category, product, order). Its scenarios are marked in scenarios.
CREATE VIEW v_order AS
SELECT o.pk_order,
       jsonb_build_object(
           'id', o.pk_order,
           'customer', o.customer,
           'lines', coalesce((SELECT jsonb_agg(jsonb_build_object('line', l.pk_line, 'quantity', l.quantity,
                                                                  'product', pr.data) ORDER BY l.pk_line)
                                FROM tb_order_line l JOIN v_product pr ON pr.pk_product = l.fk_product
                               WHERE l.fk_order = o.pk_order), '[]')) AS data
  FROM tb_order o;
COMMENT ON VIEW v_order IS 'Order documents embedding product documents: the third definition approaches reproduce.';
COMMENT ON VIEW v_category_sales IS 'Category sales: a flat join and GROUP BY aggregate, the second definition approaches reproduce.';

-- Generate the data set-based, with progress messages.
CREATE PROCEDURE setup(scale text) LANGUAGE plpgsql AS $$
DECLARE
    n int;
    nr int;
    crowded int;
BEGIN
    SELECT s.products, s.reviews, s.crowded INTO n, nr, crowded FROM tviews_bench.scales s WHERE s.scale = setup.scale;
    IF n IS NULL THEN
        RAISE EXCEPTION 'unknown scale "%"', scale USING HINT = 'Use tiny, small, medium or large.';
    END IF;
    TRUNCATE tviews_bench.tb_order_line, tviews_bench.tb_order, tviews_bench.tb_review,
             tviews_bench.tb_inventory, tviews_bench.tb_product, tviews_bench.tb_supplier,
             tviews_bench.tb_category;
    RAISE NOTICE 'setup %: 100 categories, % suppliers', scale, n / 20;
    INSERT INTO tviews_bench.tb_category SELECT g, 'category ' || g FROM generate_series(1, 100) g;
    INSERT INTO tviews_bench.tb_supplier
        SELECT g, 'supplier ' || g, 'contact' || g || '@supplier.example' FROM generate_series(1, greatest(n / 20, 1)) g;
    RAISE NOTICE 'setup %: % products', scale, n;
    INSERT INTO tviews_bench.tb_product
        SELECT g, 'product ' || g, (1 + (g::bigint * 7919) % 100000) / 100.0, 'EUR',
               (ARRAY['active', 'active', 'active', 'draft', 'archived'])[1 + g % 5],
               1 + (g * 31) % 100,
               CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (g * 17) % greatest(n / 20, 1) END
          FROM generate_series(1, n) g;
    INSERT INTO tviews_bench.tb_inventory
        SELECT g, (g * 13) % 500, 'wh-' || (1 + g % 8) FROM generate_series(1, n) g;
    RAISE NOTICE 'setup %: % reviews', scale, nr;
    INSERT INTO tviews_bench.tb_review
        SELECT g, 1 + (g * 7) % n, 1 + (g * 3) % 5, 'review ' || g,
               timestamptz '2026-01-01' + g * interval '1 minute'
          FROM generate_series(1, nr) g;
    RAISE NOTICE 'setup %: % more reviews of product 4', scale, crowded;
    INSERT INTO tviews_bench.tb_review
        SELECT nr + g, 4, 1 + (g * 3) % 5, 'crowded review ' || g,
               timestamptz '2025-01-01' + g * interval '1 second'
          FROM generate_series(1, crowded) g;
    PERFORM setval('tviews_bench.review_seq', nr + crowded);
    RAISE NOTICE 'setup %: % orders of 5 lines', scale, greatest(n / 10, 1);
    INSERT INTO tviews_bench.tb_order SELECT g, 'customer ' || g FROM generate_series(1, greatest(n / 10, 1)) g;
    INSERT INTO tviews_bench.tb_order_line
        SELECT g, 1 + g % greatest(n / 10, 1), 1 + (g::bigint * 7907) % n, 1 + g % 3
          FROM generate_series(1, 5 * greatest(n / 10, 1)) g;
    RAISE NOTICE 'setup %: analyze', scale;
    ANALYZE tviews_bench.tb_category, tviews_bench.tb_supplier, tviews_bench.tb_product,
            tviews_bench.tb_inventory, tviews_bench.tb_review, tviews_bench.tb_order,
            tviews_bench.tb_order_line;
    TRUNCATE tviews_bench.results;
    DELETE FROM tviews_bench.settings;
    INSERT INTO tviews_bench.settings VALUES ('scale', scale), ('products', n::text), ('reviews', nr::text),
                                              ('crowded', crowded::text),
                                              ('order_lines', (5 * greatest(n / 10, 1))::text);
END $$;

-- Approaches -----------------------------------------------------------------------------
-- Each approach installs a read model, can tell whether it equals the definition, and
-- uninstalls itself. Only one is installed at a time.

CREATE TABLE approaches (approach text PRIMARY KEY, description text NOT NULL, position int NOT NULL);
INSERT INTO approaches VALUES
 ('bare',          'no read model: the DML alone (the floor)', 1),
 ('pg_tviews',     'pg_tviews TVIEW tv_product, immediate mode', 2),
 ('pg_tviews_deferred', 'pg_tviews TVIEW tv_product, deferred mode (maintained once per transaction, at commit)', 3),
 ('pg_ivm',        'pg_ivm IMMVs over the flat joins and the review aggregates, JSON built at read time', 4),
 ('manual',        'hand-written statement triggers recomputing the affected documents', 5),
 ('matview',       'REFRESH MATERIALIZED VIEW after each change', 6),
 ('matview_concurrently', 'REFRESH MATERIALIZED VIEW CONCURRENTLY after each change', 7);

CREATE FUNCTION approach_available(approach text) RETURNS boolean LANGUAGE sql AS $$
    SELECT CASE approach
        WHEN 'pg_tviews' THEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_tviews')
        WHEN 'pg_tviews_deferred' THEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_tviews')
        WHEN 'pg_ivm' THEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_ivm')
        ELSE true END
$$;

-- The hand-written approach: what a careful user writes without pg_tviews. Statement
-- triggers with transition tables find the affected products and upsert their documents.
CREATE TABLE manual_product (pk_product int PRIMARY KEY, data jsonb NOT NULL);
CREATE FUNCTION manual_refresh(keys int[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tviews_bench.manual_product m WHERE m.pk_product = ANY (keys)
       AND NOT EXISTS (SELECT 1 FROM tviews_bench.tb_product p WHERE p.pk_product = m.pk_product);
    INSERT INTO tviews_bench.manual_product
         SELECT v.pk_product, v.data FROM tviews_bench.v_product v WHERE v.pk_product = ANY (keys)
    ON CONFLICT (pk_product) DO UPDATE SET data = excluded.data;
END $$;
-- One trigger function per way of finding the affected products; each is attached as three
-- statement triggers (insert, update, delete), each with the transition tables it has.
CREATE FUNCTION manual_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys int[] := '{}';
    k int[];
    how text := TG_ARGV[0];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        CASE how
        WHEN 'product' THEN SELECT array_agg(pk_product) INTO k FROM new_rows;
        WHEN 'fk_product' THEN SELECT array_agg(fk_product) INTO k FROM new_rows;
        WHEN 'category' THEN SELECT array_agg(p.pk_product) INTO k FROM tviews_bench.tb_product p
                              WHERE p.fk_category IN (SELECT pk_category FROM new_rows);
        WHEN 'supplier' THEN SELECT array_agg(p.pk_product) INTO k FROM tviews_bench.tb_product p
                              WHERE p.fk_supplier IN (SELECT pk_supplier FROM new_rows);
        END CASE;
        keys := keys || coalesce(k, '{}');
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        CASE how
        WHEN 'product' THEN SELECT array_agg(pk_product) INTO k FROM old_rows;
        WHEN 'fk_product' THEN SELECT array_agg(fk_product) INTO k FROM old_rows;
        WHEN 'category' THEN SELECT array_agg(p.pk_product) INTO k FROM tviews_bench.tb_product p
                              WHERE p.fk_category IN (SELECT pk_category FROM old_rows);
        WHEN 'supplier' THEN SELECT array_agg(p.pk_product) INTO k FROM tviews_bench.tb_product p
                              WHERE p.fk_supplier IN (SELECT pk_supplier FROM old_rows);
        END CASE;
        keys := keys || coalesce(k, '{}');
    END IF;
    IF cardinality(keys) > 0 THEN
        PERFORM tviews_bench.manual_refresh(keys);
    END IF;
    RETURN NULL;
END $$;

-- The hand-written approach for category sales: the categories of the changed products
-- (or the changed categories) are recomputed.
CREATE TABLE manual_category_sales (pk_category int PRIMARY KEY, name text NOT NULL, products bigint NOT NULL,
                                    price_total numeric NOT NULL, price_min numeric NOT NULL, price_max numeric NOT NULL);
CREATE FUNCTION manual_sales_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys int[] := '{}';
    k int[];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_TABLE_NAME = 'tb_product' THEN SELECT array_agg(fk_category) INTO k FROM new_rows;
        ELSE SELECT array_agg(pk_category) INTO k FROM new_rows; END IF;
        keys := keys || coalesce(k, '{}');
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        IF TG_TABLE_NAME = 'tb_product' THEN SELECT array_agg(fk_category) INTO k FROM old_rows;
        ELSE SELECT array_agg(pk_category) INTO k FROM old_rows; END IF;
        keys := keys || coalesce(k, '{}');
    END IF;
    DELETE FROM tviews_bench.manual_category_sales m WHERE m.pk_category = ANY (keys);
    INSERT INTO tviews_bench.manual_category_sales
         SELECT * FROM tviews_bench.v_category_sales v WHERE v.pk_category = ANY (keys);
    RETURN NULL;
END $$;

-- The hand-written approach for orders, built on its product documents as a TVIEW is built on
-- a TVIEW: triggers on the orders, their lines and manual_product recompute the orders
-- whose documents embed what changed.
CREATE TABLE manual_order (pk_order int PRIMARY KEY, data jsonb NOT NULL);
CREATE FUNCTION manual_order_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys int[] := '{}';
    k int[];
    how text := TG_ARGV[0];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        CASE how
        WHEN 'order' THEN SELECT array_agg(pk_order) INTO k FROM new_rows;
        WHEN 'fk_order' THEN SELECT array_agg(fk_order) INTO k FROM new_rows;
        WHEN 'product' THEN SELECT array_agg(l.fk_order) INTO k FROM tviews_bench.tb_order_line l
                             WHERE l.fk_product IN (SELECT pk_product FROM new_rows);
        END CASE;
        keys := keys || coalesce(k, '{}');
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        CASE how
        WHEN 'order' THEN SELECT array_agg(pk_order) INTO k FROM old_rows;
        WHEN 'fk_order' THEN SELECT array_agg(fk_order) INTO k FROM old_rows;
        WHEN 'product' THEN SELECT array_agg(l.fk_order) INTO k FROM tviews_bench.tb_order_line l
                             WHERE l.fk_product IN (SELECT pk_product FROM old_rows);
        END CASE;
        keys := keys || coalesce(k, '{}');
    END IF;
    IF cardinality(keys) > 0 THEN
        DELETE FROM tviews_bench.manual_order m WHERE m.pk_order = ANY (keys)
           AND NOT EXISTS (SELECT 1 FROM tviews_bench.tb_order o WHERE o.pk_order = m.pk_order);
        INSERT INTO tviews_bench.manual_order
             SELECT o.pk_order, v.data FROM tviews_bench.tb_order o, LATERAL (SELECT jsonb_build_object(
                        'id', o.pk_order, 'customer', o.customer,
                        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object('line', l.pk_line, 'quantity', l.quantity,
                                                                               'product', pr.data) ORDER BY l.pk_line)
                                             FROM tviews_bench.tb_order_line l
                                             JOIN tviews_bench.manual_product pr ON pr.pk_product = l.fk_product
                                            WHERE l.fk_order = o.pk_order), '[]')) AS data) v
              WHERE o.pk_order = ANY (keys)
        ON CONFLICT (pk_order) DO UPDATE SET data = excluded.data;
    END IF;
    RETURN NULL;
END $$;

-- Install an approach's read model: model 'product' (the documents), 'category_sales', or
-- 'order' (order documents embedding the product documents, on top of the product model).
CREATE PROCEDURE install(approach text, model text DEFAULT 'product') LANGUAGE plpgsql AS $$
DECLARE
    t text;
    f text;
BEGIN
    IF approach = 'pg_tviews_deferred' THEN
        CALL tviews_bench.install('pg_tviews', model);
        PERFORM pg_tviews_set_mode(m, 'deferred')
           FROM unnest(CASE model WHEN 'order' THEN ARRAY['tviews_bench.product', 'tviews_bench.order']
                                  ELSE ARRAY['tviews_bench.' || model] END) m;
        RETURN;
    END IF;
    IF model = 'category_sales' THEN
        CASE approach
        WHEN 'bare' THEN NULL;
        WHEN 'pg_tviews' THEN
            -- The key (pk_category) is found by pg_tviews: the only pk_* column, proven unique.
            PERFORM pg_tviews_create('tviews_bench.category_sales', pg_get_viewdef('tviews_bench.v_category_sales'::regclass));
        WHEN 'pg_ivm' THEN
            PERFORM pgivm.create_immv('tviews_bench.ivm_category_sales', pg_get_viewdef('tviews_bench.v_category_sales'::regclass));
            CREATE INDEX ON tviews_bench.ivm_category_sales (pk_category);
        WHEN 'manual' THEN
            TRUNCATE tviews_bench.manual_category_sales;
            INSERT INTO tviews_bench.manual_category_sales SELECT * FROM tviews_bench.v_category_sales;
            FOREACH t IN ARRAY ARRAY['tb_product', 'tb_category'] LOOP
                EXECUTE format('CREATE TRIGGER manual_sales_ins AFTER INSERT ON tviews_bench.%I REFERENCING NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_sales_trg()', t);
                EXECUTE format('CREATE TRIGGER manual_sales_upd AFTER UPDATE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_sales_trg()', t);
                EXECUTE format('CREATE TRIGGER manual_sales_del AFTER DELETE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_sales_trg()', t);
            END LOOP;
        WHEN 'matview', 'matview_concurrently' THEN
            CREATE MATERIALIZED VIEW tviews_bench.mv_category_sales AS SELECT * FROM tviews_bench.v_category_sales;
            CREATE UNIQUE INDEX ON tviews_bench.mv_category_sales (pk_category);
        END CASE;
        RETURN;
    END IF;
    IF model = 'order' THEN
        IF approach IN ('pg_tviews', 'pg_ivm', 'manual') THEN
            CALL tviews_bench.install(approach, 'product');  -- the documents orders embed
        END IF;
        CASE approach
        WHEN 'bare' THEN NULL;
        WHEN 'pg_tviews' THEN
            -- A TVIEW over the product TVIEW: its definition reads tv_product where v_order
            -- reads v_product.
            PERFORM pg_tviews_create('tviews_bench.order',
                                     replace(pg_get_viewdef('tviews_bench.v_order'::regclass), 'v_product', 'tv_product'));
        WHEN 'pg_ivm' THEN
            -- pg_ivm cannot build an IMMV on an IMMV (nor on a view): the order documents are
            -- built at read time over its product documents, which its IMMVs keep.
            CREATE VIEW tviews_bench.ivm_order AS
            SELECT o.pk_order,
                   jsonb_build_object('id', o.pk_order, 'customer', o.customer,
                       'lines', coalesce((SELECT jsonb_agg(jsonb_build_object('line', l.pk_line, 'quantity', l.quantity,
                                                                              'product', pr.data) ORDER BY l.pk_line)
                                            FROM tviews_bench.tb_order_line l
                                            JOIN tviews_bench.ivm_product pr ON pr.pk_product = l.fk_product
                                           WHERE l.fk_order = o.pk_order), '[]')) AS data
              FROM tviews_bench.tb_order o;
        WHEN 'manual' THEN
            TRUNCATE tviews_bench.manual_order;
            INSERT INTO tviews_bench.manual_order SELECT * FROM tviews_bench.v_order;
            FOR t, f IN SELECT * FROM (VALUES ('tb_order', 'order'), ('tb_order_line', 'fk_order'),
                                              ('manual_product', 'product')) v LOOP
                EXECUTE format('CREATE TRIGGER manual_order_ins AFTER INSERT ON tviews_bench.%I REFERENCING NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_order_trg(%L)', t, f);
                EXECUTE format('CREATE TRIGGER manual_order_upd AFTER UPDATE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_order_trg(%L)', t, f);
                EXECUTE format('CREATE TRIGGER manual_order_del AFTER DELETE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_order_trg(%L)', t, f);
            END LOOP;
        WHEN 'matview', 'matview_concurrently' THEN
            CREATE MATERIALIZED VIEW tviews_bench.mv_order AS SELECT * FROM tviews_bench.v_order;
            CREATE UNIQUE INDEX ON tviews_bench.mv_order (pk_order);
        END CASE;
        RETURN;
    END IF;
    CASE approach
    WHEN 'bare' THEN NULL;
    WHEN 'pg_tviews' THEN
        PERFORM pg_tviews_create('tviews_bench.product', pg_get_viewdef('tviews_bench.v_product'::regclass));
    WHEN 'pg_ivm' THEN
        -- pg_ivm cannot maintain jsonb_build_object (STABLE) nor jsonb_agg: it maintains the
        -- relational parts, and a view builds the JSON at read time.
        PERFORM pgivm.create_immv('tviews_bench.ivm_product_flat', $q$
            SELECT p.pk_product, p.name, p.price, p.currency, p.status, p.fk_category, p.fk_supplier,
                   c.pk_category, c.name AS category_name,
                   s.pk_supplier, s.name AS supplier_name, s.email AS supplier_email,
                   i.fk_product AS inventory_product, i.quantity, i.warehouse
              FROM tviews_bench.tb_product p
              JOIN tviews_bench.tb_category c ON c.pk_category = p.fk_category
              LEFT JOIN tviews_bench.tb_supplier s ON s.pk_supplier = p.fk_supplier
              LEFT JOIN tviews_bench.tb_inventory i ON i.fk_product = p.pk_product $q$);
        PERFORM pgivm.create_immv('tviews_bench.ivm_review_stats', $q$
            SELECT r.fk_product, count(*) AS n, sum(r.rating) AS rating_sum
              FROM tviews_bench.tb_review r GROUP BY r.fk_product $q$);
        CREATE INDEX ON tviews_bench.ivm_product_flat (pk_product);
        CREATE INDEX ON tviews_bench.ivm_review_stats (fk_product);
        CREATE VIEW tviews_bench.ivm_product AS
        SELECT f.pk_product,
               jsonb_build_object(
                   'id', f.pk_product, 'name', f.name,
                   'price', jsonb_build_object('amount', f.price, 'currency', f.currency),
                   'status', f.status,
                   'category', jsonb_build_object('id', f.pk_category, 'name', f.category_name),
                   'supplier', CASE WHEN f.pk_supplier IS NULL THEN NULL
                                    ELSE jsonb_build_object('id', f.pk_supplier, 'name', f.supplier_name, 'email', f.supplier_email) END,
                   'inventory', jsonb_build_object('quantity', coalesce(f.quantity, 0), 'warehouse', f.warehouse),
                   'reviews', jsonb_build_object(
                       'count', coalesce(rs.n, 0),
                       'average', round(rs.rating_sum::numeric / nullif(rs.n, 0), 2),
                       'latest', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.pk_review, 'rating', l.rating, 'body', l.body)
                                                            ORDER BY l.created_at DESC, l.pk_review DESC)
                                             FROM (SELECT r.pk_review, r.rating, r.body, r.created_at FROM tviews_bench.tb_review r
                                                    WHERE r.fk_product = f.pk_product
                                                    ORDER BY r.created_at DESC, r.pk_review DESC LIMIT 5) l), '[]'))) AS data
          FROM tviews_bench.ivm_product_flat f
          LEFT JOIN tviews_bench.ivm_review_stats rs ON rs.fk_product = f.pk_product;
    WHEN 'manual' THEN
        TRUNCATE tviews_bench.manual_product;
        INSERT INTO tviews_bench.manual_product SELECT * FROM tviews_bench.v_product;
        FOREACH t IN ARRAY ARRAY['product', 'inventory', 'review', 'category', 'supplier'] LOOP
            f := CASE t WHEN 'inventory' THEN 'fk_product' WHEN 'review' THEN 'fk_product' ELSE t END;
            EXECUTE format('CREATE TRIGGER manual_ins AFTER INSERT ON tviews_bench.%I REFERENCING NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_trg(%L)', 'tb_' || t, f);
            EXECUTE format('CREATE TRIGGER manual_upd AFTER UPDATE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_trg(%L)', 'tb_' || t, f);
            EXECUTE format('CREATE TRIGGER manual_del AFTER DELETE ON tviews_bench.%I REFERENCING OLD TABLE AS old_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION tviews_bench.manual_trg(%L)', 'tb_' || t, f);
        END LOOP;
    WHEN 'matview', 'matview_concurrently' THEN
        CREATE MATERIALIZED VIEW tviews_bench.mv_product AS SELECT * FROM tviews_bench.v_product;
        CREATE UNIQUE INDEX ON tviews_bench.mv_product (pk_product);
    END CASE;
END $$;

CREATE PROCEDURE uninstall(approach text, model text DEFAULT 'product') LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF approach = 'pg_tviews_deferred' THEN
        CALL tviews_bench.uninstall('pg_tviews', model);
        RETURN;
    END IF;
    IF model = 'category_sales' THEN
        CASE approach
        WHEN 'bare' THEN NULL;
        WHEN 'pg_tviews' THEN PERFORM pg_tviews_drop('tviews_bench.category_sales', if_exists => true);
        WHEN 'pg_ivm' THEN DROP TABLE IF EXISTS tviews_bench.ivm_category_sales;
        WHEN 'manual' THEN
            FOREACH t IN ARRAY ARRAY['tb_product', 'tb_category'] LOOP
                EXECUTE format('DROP TRIGGER IF EXISTS manual_sales_ins ON tviews_bench.%I', t);
                EXECUTE format('DROP TRIGGER IF EXISTS manual_sales_upd ON tviews_bench.%I', t);
                EXECUTE format('DROP TRIGGER IF EXISTS manual_sales_del ON tviews_bench.%I', t);
            END LOOP;
            TRUNCATE tviews_bench.manual_category_sales;
        WHEN 'matview', 'matview_concurrently' THEN
            DROP MATERIALIZED VIEW IF EXISTS tviews_bench.mv_category_sales;
        END CASE;
        RETURN;
    END IF;
    IF model = 'order' THEN
        CASE approach
        WHEN 'bare' THEN NULL;
        WHEN 'pg_tviews' THEN PERFORM pg_tviews_drop('tviews_bench.order', if_exists => true);
        WHEN 'pg_ivm' THEN DROP VIEW IF EXISTS tviews_bench.ivm_order;
        WHEN 'manual' THEN
            FOREACH t IN ARRAY ARRAY['tb_order', 'tb_order_line', 'manual_product'] LOOP
                EXECUTE format('DROP TRIGGER IF EXISTS manual_order_ins ON tviews_bench.%I', t);
                EXECUTE format('DROP TRIGGER IF EXISTS manual_order_upd ON tviews_bench.%I', t);
                EXECUTE format('DROP TRIGGER IF EXISTS manual_order_del ON tviews_bench.%I', t);
            END LOOP;
            TRUNCATE tviews_bench.manual_order;
        WHEN 'matview', 'matview_concurrently' THEN
            DROP MATERIALIZED VIEW IF EXISTS tviews_bench.mv_order;
        END CASE;
        IF approach IN ('pg_tviews', 'pg_ivm', 'manual') THEN
            CALL tviews_bench.uninstall(approach, 'product');
        END IF;
        RETURN;
    END IF;
    CASE approach
    WHEN 'bare' THEN NULL;
    WHEN 'pg_tviews' THEN PERFORM pg_tviews_drop('tviews_bench.product', if_exists => true);
    WHEN 'pg_ivm' THEN
        DROP VIEW IF EXISTS tviews_bench.ivm_product;
        DROP TABLE IF EXISTS tviews_bench.ivm_product_flat, tviews_bench.ivm_review_stats;
    WHEN 'manual' THEN
        FOREACH t IN ARRAY ARRAY['product', 'inventory', 'review', 'category', 'supplier'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS manual_ins ON tviews_bench.%I', 'tb_' || t);
            EXECUTE format('DROP TRIGGER IF EXISTS manual_upd ON tviews_bench.%I', 'tb_' || t);
            EXECUTE format('DROP TRIGGER IF EXISTS manual_del ON tviews_bench.%I', 'tb_' || t);
        END LOOP;
        TRUNCATE tviews_bench.manual_product;
    WHEN 'matview', 'matview_concurrently' THEN
        DROP MATERIALIZED VIEW IF EXISTS tviews_bench.mv_product;
    END CASE;
END $$;

-- Rows where the approach's read model and the definition differ (both directions); NULL
-- for the approach without a read model.
CREATE FUNCTION differing_rows(approach text, model text DEFAULT 'product') RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    sales boolean := model = 'category_sales';
    -- Each approach names its read models <prefix><model>.
    prefix text := CASE approach
        WHEN 'pg_tviews' THEN 'tv_' WHEN 'pg_tviews_deferred' THEN 'tv_' WHEN 'pg_ivm' THEN 'ivm_' WHEN 'manual' THEN 'manual_'
        WHEN 'matview' THEN 'mv_' WHEN 'matview_concurrently' THEN 'mv_' END;
    stored text := 'tviews_bench.' || prefix || model;
    definition text := 'tviews_bench.v_' || model;
    -- The definition's columns (an IMMV adds hidden counting columns of its own).
    cols text := CASE model WHEN 'category_sales' THEN 'pk_category, name, products, price_total, price_min, price_max'
                            WHEN 'order' THEN 'pk_order, data'
                            ELSE 'pk_product, data' END;
    n bigint;
BEGIN
    IF prefix IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$s EXCEPT ALL SELECT %1$s FROM %3$s)
                                          UNION ALL
                                          (SELECT %1$s FROM %3$s EXCEPT ALL SELECT %1$s FROM %2$s)) d',
                   cols, stored, definition) INTO n;
    RETURN n;
END $$;

-- Scenarios ------------------------------------------------------------------------------

-- heavy: one iteration changes up to 100,000 documents; at medium scale and above such
-- scenarios, like refreshing a materialized view, get 3 timed iterations (see iterations()).
-- model: the read model the scenario measures (each approach installs it for that scenario).
CREATE TABLE scenarios (scenario text PRIMARY KEY, description text NOT NULL, position int NOT NULL,
                        heavy boolean NOT NULL DEFAULT false, model text NOT NULL DEFAULT 'product');
INSERT INTO scenarios VALUES
 ('price',           'one product''s price', 1, false),
 ('review_insert',   'one review inserted', 2, false),
 ('review_delete',   'one review deleted (a product''s latest)', 3, false),
 ('review_crowded',  'one review inserted on a product with many reviews (50,000 at medium scale)', 4, false),
 ('category_rename', 'a category renamed (about 1% of products)', 5, false),
 ('supplier_email',  'a supplier''s email changed', 6, false),
 ('bulk_100',        '100 products'' prices in one UPDATE', 7, false),
 ('bulk_1000',       '1,000 products'' prices in one UPDATE', 8, false),
 ('bulk_recompute',  '100,000 products moved to another supplier in one UPDATE (every document recomputed)', 9, true),
 ('product_delete',  'one product deleted (with its reviews and inventory)', 10, false),
 ('ten_changes',     'ten changes to one product in one transaction (5 prices, 5 reviews)', 11, false),
 ('million_keys',    'every product''s price changed ten times in one transaction (1,000,000 changed rows at medium scale)', 12, true);
INSERT INTO scenarios VALUES
 ('sales_price',     'category sales (flat join + GROUP BY): one product''s price', 13, false, 'category_sales'),
 ('sales_insert',    'category sales (flat join + GROUP BY): one product added', 14, false, 'category_sales');
INSERT INTO scenarios VALUES
 ('order_price',     'orders embedding products: one product''s price, seen by the orders that embed it', 15, false, 'order'),
 ('order_category',  'orders embedding products: a category renamed, seen through products by orders (three levels)', 16, false, 'order');

CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);

-- Iteration i's statement; targets are spread over the data deterministically, so every
-- approach changes the same rows.
CREATE FUNCTION do_scenario(scenario text, i int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int := (SELECT value::int FROM tviews_bench.settings WHERE name = 'products');
    p int := 1 + ((i * 7919) % n);
    q int;
BEGIN
    CASE scenario
    WHEN 'price' THEN
        UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = p;
    WHEN 'review_insert' THEN
        INSERT INTO tviews_bench.tb_review
        VALUES (nextval('tviews_bench.review_seq'), (SELECT max(pk_product) FROM tviews_bench.tb_product WHERE pk_product <= p),
                1 + i % 5, 'bench review ' || i, clock_timestamp());
    WHEN 'ten_changes' THEN
        q := (SELECT max(pk_product) FROM tviews_bench.tb_product WHERE pk_product <= p);
        FOR j IN 1 .. 5 LOOP
            UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = q;
            INSERT INTO tviews_bench.tb_review
            VALUES (nextval('tviews_bench.review_seq'), q, 1 + j % 5, 'bench review ' || i, clock_timestamp());
        END LOOP;
    WHEN 'million_keys' THEN
        -- Ten statements over every document in one transaction: deferred mode queues each
        -- key ten times and maintains it once, at commit.
        FOR j IN 1 .. 10 LOOP
            UPDATE tviews_bench.tb_product SET price = price + 0.01;
        END LOOP;
    WHEN 'review_crowded' THEN
        INSERT INTO tviews_bench.tb_review
        VALUES (nextval('tviews_bench.review_seq'), 4, 1 + i % 5, 'bench review ' || i, clock_timestamp());
    WHEN 'review_delete' THEN
        DELETE FROM tviews_bench.tb_review
         WHERE pk_review = (SELECT r.pk_review FROM tviews_bench.tb_review r WHERE r.fk_product = p
                             ORDER BY r.created_at DESC, r.pk_review DESC LIMIT 1);
    WHEN 'category_rename' THEN
        -- The transaction id makes the value new for every approach: an UPDATE writing the
        -- value a previous approach's run left would change nothing a read model reads.
        UPDATE tviews_bench.tb_category SET name = 'category ' || (1 + i % 100) || ' v' || pg_current_xact_id()::text
         WHERE pk_category = 1 + i % 100;
    WHEN 'supplier_email' THEN
        UPDATE tviews_bench.tb_supplier SET email = 'v' || pg_current_xact_id()::text || '@supplier.example'
         WHERE pk_supplier = 1 + (i * 31) % greatest(n / 20, 1);
    WHEN 'bulk_100' THEN
        UPDATE tviews_bench.tb_product SET price = price + 0.01
         WHERE pk_product BETWEEN 1 + (i * 977) % greatest(n - 100, 1) AND 100 + (i * 977) % greatest(n - 100, 1);
    WHEN 'bulk_1000' THEN
        UPDATE tviews_bench.tb_product SET price = price + 0.01
         WHERE pk_product BETWEEN 1 + (i * 977) % greatest(n - 1000, 1) AND 1000 + (i * 977) % greatest(n - 1000, 1);
    WHEN 'bulk_recompute' THEN
        -- A column joined on, not patched: each document is recomputed through the definition,
        -- 100,000 keys in one statement.
        UPDATE tviews_bench.tb_product SET fk_supplier = 1 + fk_supplier % greatest(n / 20, 1)
         WHERE pk_product <= 100000 AND fk_supplier IS NOT NULL;
    WHEN 'product_delete' THEN
        DELETE FROM tviews_bench.tb_product WHERE pk_product = (SELECT max(pk_product) FROM tviews_bench.tb_product);
    WHEN 'order_price' THEN
        UPDATE tviews_bench.tb_product SET price = price + 0.01
         WHERE pk_product = (SELECT l.fk_product FROM tviews_bench.tb_order_line l
                              WHERE l.pk_line = 1 + (i * 7919) % (SELECT value::int FROM tviews_bench.settings WHERE name = 'order_lines'));
    WHEN 'order_category' THEN
        UPDATE tviews_bench.tb_category SET name = 'category ' || (1 + (i * 37) % 100) || ' v' || pg_current_xact_id()::text
         WHERE pk_category = 1 + (i * 37) % 100;
    WHEN 'sales_price' THEN
        UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = p;
    WHEN 'sales_insert' THEN
        INSERT INTO tviews_bench.tb_product
        VALUES ((SELECT max(pk_product) + 1 FROM tviews_bench.tb_product), 'new product ' || i,
                (1 + (i * 7919) % 100000) / 100.0, 'EUR', 'active', 1 + (i * 31) % 100, NULL);
    END CASE;
END $$;

-- Results --------------------------------------------------------------------------------

CREATE TABLE results (
    approach  text NOT NULL,
    scenario  text NOT NULL,
    iteration int NOT NULL,
    ms        float8 NOT NULL
);
CREATE TABLE checks (
    approach  text NOT NULL,
    scenario  text NOT NULL,
    differing bigint,
    error     text,
    PRIMARY KEY (approach, scenario)
);
CREATE TABLE concurrent_results (
    approach text NOT NULL,
    scenario text NOT NULL,
    clients  int NOT NULL,
    tps      float8 NOT NULL,
    latency_ms float8 NOT NULL,
    differing bigint
);
COMMENT ON TABLE results IS 'One row per timed iteration: the statement and its COMMIT, in milliseconds.';
COMMENT ON TABLE checks IS 'After each approach ran a scenario: rows where its read model differs from the definition.';

-- Time one scenario for one approach: warm-up iterations, then timed ones, each committed.
CREATE PROCEDURE run_one(approach text, scenario text, iterations int, warmup int DEFAULT 2)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    ms float8;
    model text := (SELECT x.model FROM tviews_bench.scenarios x WHERE x.scenario = run_one.scenario);
BEGIN
    FOR i IN 1 .. warmup + iterations LOOP
        t0 := clock_timestamp();
        PERFORM tviews_bench.do_scenario(scenario, i);
        IF approach LIKE 'matview%' THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW %s tviews_bench.%I',
                           CASE approach WHEN 'matview_concurrently' THEN 'CONCURRENTLY' ELSE '' END,
                           'mv_' || model);
        END IF;
        COMMIT;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        IF i > warmup THEN
            INSERT INTO tviews_bench.results VALUES (approach, scenario, i - warmup, ms);
            COMMIT;
        END IF;
    END LOOP;
    INSERT INTO tviews_bench.checks VALUES (approach, scenario, tviews_bench.differing_rows(approach, model))
        ON CONFLICT ON CONSTRAINT checks_pkey DO UPDATE SET differing = excluded.differing, error = NULL;
    COMMIT;
END $$;

-- Timed and warm-up iterations of one approach and scenario: as requested, except that
-- refreshing a materialized view after each change, and heavy scenarios, get 3 timed
-- iterations and 1 warm-up above 10,000 products (each one recomputes up to every document).
CREATE FUNCTION iterations(approach text, scenario text, requested int, OUT timed int, OUT warmup int)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN capped THEN least(requested, 3) ELSE requested END, CASE WHEN capped THEN 1 ELSE 2 END
      FROM (SELECT (approach LIKE 'matview%' OR coalesce((SELECT heavy FROM tviews_bench.scenarios x WHERE x.scenario = iterations.scenario), false))
                   AND (SELECT value::int FROM tviews_bench.settings WHERE name = 'products') > 10000 AS capped) c
$$;

-- Run scenarios x approaches (NULL: all). Approaches that are not installed are skipped with
-- a NOTICE.
CREATE PROCEDURE run(scenario_list text[] DEFAULT NULL, approach_list text[] DEFAULT NULL, iterations int DEFAULT 20)
LANGUAGE plpgsql AS $$
DECLARE
    a text;
    m text;
    s text;
    n int;
    w int;
    products int := (SELECT value::int FROM tviews_bench.settings WHERE name = 'products');
BEGIN
    IF products IS NULL THEN
        RAISE EXCEPTION 'no data' USING HINT = 'CALL tviews_bench.setup(''small'') first.';
    END IF;
    FOR a IN SELECT x.approach FROM tviews_bench.approaches x
              WHERE approach_list IS NULL OR x.approach = ANY (approach_list) ORDER BY x.position LOOP
        IF NOT tviews_bench.approach_available(a) THEN
            RAISE NOTICE 'approach %: skipped, extension not installed', a;
            INSERT INTO tviews_bench.checks VALUES (a, '(skipped: not installed)', NULL, NULL) ON CONFLICT DO NOTHING;
            COMMIT;
            CONTINUE;
        END IF;
        -- Each read model the chosen scenarios measure, installed for its scenarios only.
        FOR m IN SELECT x.model FROM tviews_bench.scenarios x
                  WHERE scenario_list IS NULL OR x.scenario = ANY (scenario_list)
                  GROUP BY x.model ORDER BY min(x.position) LOOP
            RAISE NOTICE 'approach %: installing (%)', a, m;
            CALL tviews_bench.install(a, m);
            COMMIT;
            FOR s IN SELECT x.scenario FROM tviews_bench.scenarios x
                      WHERE (scenario_list IS NULL OR x.scenario = ANY (scenario_list)) AND x.model = m
                      ORDER BY x.position LOOP
                SELECT i.timed, i.warmup INTO n, w FROM tviews_bench.iterations(a, s, iterations) i;
                RAISE NOTICE 'approach %: scenario % (% iterations)', a, s, n;
                CALL tviews_bench.run_one(a, s, n, w);
            END LOOP;
            CALL tviews_bench.uninstall(a, m);
            COMMIT;
        END LOOP;
    END LOOP;
END $$;

-- Median and p95 per scenario and approach, with the exactness verdict beside the number.
CREATE VIEW report AS
SELECT s.position AS scenario_position, c.scenario, a.position AS approach_position, c.approach,
       count(r.ms) AS iterations,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms)::numeric, 3) AS median_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY r.ms)::numeric, 3) AS p95_ms,
       CASE WHEN c.error IS NOT NULL THEN 'ERROR: ' || c.error
            WHEN c.differing IS NULL THEN 'n/a (no read model)'
            WHEN c.differing = 0 THEN 'exact'
            ELSE 'WRONG: ' || c.differing || ' rows differ' END AS verdict
  FROM checks c
  JOIN scenarios s USING (scenario)
  JOIN approaches a USING (approach)
  LEFT JOIN results r USING (approach, scenario)
 GROUP BY s.position, c.scenario, a.position, c.approach, c.differing, c.error;
COMMENT ON VIEW report IS 'Benchmark report: median and p95 latency (statement + COMMIT) per scenario and approach, with the exactness verdict.';


-- Report rendering -------------------------------------------------------------------------
-- The report and the chart are rendered here, in SQL, so that any client with psql (the
-- host driver, or the Docker image) produces the same files without other tools.

CREATE TABLE concurrent_meta (clients int, seconds int);

-- The markdown report; `header` holds the lines describing the run (command, build, machine).
CREATE FUNCTION report_markdown(header text) RETURNS text LANGUAGE sql STABLE AS $$
WITH present AS (
    SELECT a.approach, a.position FROM tviews_bench.approaches a
     WHERE a.approach IN (SELECT approach FROM tviews_bench.report)
), cells AS (
    SELECT s.position AS spos, s.description, p.position AS apos,
           CASE WHEN r.verdict LIKE 'ERROR%' THEN '**' || r.verdict || '**'
                ELSE coalesce(r.median_ms || ' / ' || r.p95_ms ||
                     CASE WHEN r.verdict LIKE 'WRONG%' THEN ' **' || r.verdict || '**'
                          WHEN r.verdict = 'exact' THEN ' ✓' ELSE '' END, '-') END AS cell
      FROM tviews_bench.scenarios s
     CROSS JOIN present p
      LEFT JOIN tviews_bench.report r ON r.scenario = s.scenario AND r.approach = p.approach
     WHERE s.scenario IN (SELECT scenario FROM tviews_bench.report)
)
SELECT concat_ws(E'\n',
    header,
    '- data: ' || (SELECT string_agg(name || ' ' || value, ', ' ORDER BY name) FROM tviews_bench.settings),
    '',
    '## One change at a time: median / p95 latency in ms, and whether the read model was exact afterwards',
    '',
    (SELECT '| scenario | ' || string_agg(approach, ' | ' ORDER BY position) || ' |' FROM present),
    (SELECT '|---|' || string_agg('---:', '|') || '|' FROM present),
    (SELECT string_agg(line, E'\n' ORDER BY spos)
       FROM (SELECT spos, '| ' || description || ' | ' || string_agg(cell, ' | ' ORDER BY apos) || ' |' AS line
               FROM cells GROUP BY spos, description) l),
    '',
    '✓: the read model equalled its definition (EXCEPT ALL both ways) after the scenario.',
    '',
    CASE WHEN EXISTS (SELECT 1 FROM tviews_bench.concurrent_results) THEN concat_ws(E'\n',
        '## Concurrent writers (pgbench, ' || (SELECT clients FROM tviews_bench.concurrent_meta LIMIT 1) || ' clients, '
            || (SELECT seconds FROM tviews_bench.concurrent_meta LIMIT 1) || ' s)',
        '',
        '| writers | approach | tps | latency ms | result |',
        '|---|---|---:|---:|---|',
        (SELECT string_agg('| ' || CASE scenario WHEN 'random' THEN 'random products (price)' WHEN 'lookups' THEN 'random products (price), 1 in 10 a supplier''s email' ELSE '3 hot products (review insert)' END
                           || ' | ' || approach || ' | ' || round(tps::numeric, 1) || ' | ' || round(latency_ms::numeric, 3) || ' | '
                           || CASE WHEN differing IS NULL THEN 'n/a' WHEN differing = 0 THEN 'exact'
                                   ELSE '**WRONG: ' || differing || ' rows differ**' END || ' |',
                           E'\n' ORDER BY scenario DESC, approach)
           FROM tviews_bench.concurrent_results),
        '') END,
    'Approaches: ' || (SELECT string_agg(approach || ' = ' || description, '; ' ORDER BY position) FROM tviews_bench.approaches) || '.',
    CASE WHEN NOT tviews_bench.approach_available('pg_ivm')
         THEN 'pg_ivm was skipped: it is not installed in this PostgreSQL (see docs/benchmarks.md).' END,
    '',
    'Chart: chart.svg (median latency per scenario and approach, log scale).',
    '')
$$;

-- The chart: median latency per scenario and approach, horizontal bars on a log scale.
CREATE FUNCTION chart_svg() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    colors jsonb := '{"bare": "#9e9e9e", "pg_tviews": "#1f77b4", "pg_tviews_deferred": "#17becf",
                      "pg_ivm": "#2ca02c", "manual": "#ff7f0e", "matview": "#d62728",
                      "matview_concurrently": "#9467bd"}';
    lo float8; hi float8;
    lft int := 170; plot_w int := 690; top int := 60; bar int := 11; gap int := 14;
    n_app int; n_scen int; height int; y int; bottom int;
    c_app int; c_scen int; c_top int := 0; c_h int := 0;
    out text[] := '{}';
    s record; a record; r record;
    d float8; lx int; x numeric;
BEGIN
    SELECT power(10, floor(log(min(median_ms)::float8))), power(10, ceil(log(max(median_ms)::float8)))
      INTO lo, hi FROM tviews_bench.report WHERE median_ms > 0;
    lo := coalesce(lo, 0.01); hi := greatest(coalesce(hi, 1000), lo * 10);
    SELECT count(DISTINCT approach) INTO n_app FROM tviews_bench.report;
    SELECT count(DISTINCT scenario) INTO n_scen FROM tviews_bench.report;
    bottom := top + n_scen * (n_app * bar + gap);
    -- The concurrent writers, below: throughput per writer mix and approach.
    SELECT count(DISTINCT approach), count(DISTINCT scenario) INTO c_app, c_scen FROM tviews_bench.concurrent_results;
    IF c_scen > 0 THEN
        c_top := bottom + 80;
        c_h := 80 + c_scen * (c_app * bar + gap);
    END IF;
    height := bottom + 40 + c_h + 40;
    out := out || format('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="%s" font-family="sans-serif" font-size="11">', height)
               || format('<rect width="900" height="%s" fill="white"/>', height)
               || format('<text x="%s" y="20" font-size="14" font-weight="bold">Median latency per change, statement + COMMIT (ms, log scale)</text>', lft)
               || format('<text x="%s" y="38" fill="#555">Bars marked ✗ are results that did not equal the definition, or failed.</text>', lft);
    d := lo;
    WHILE d <= hi * 1.0001 LOOP
        x := round((lft + plot_w * (log(d) - log(lo)) / (log(hi) - log(lo)))::numeric, 1);
        out := out || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>', x, top - 8, x, bottom)
                   || format('<text x="%s" y="%s" text-anchor="middle" fill="#555">%s</text>', x, bottom + 14, d::text);
        d := d * 10;
    END LOOP;
    y := top;
    FOR s IN SELECT DISTINCT scenario, scenario_position FROM tviews_bench.report ORDER BY scenario_position LOOP
        out := out || format('<text x="%s" y="%s" text-anchor="end" font-weight="bold">%s</text>', lft - 8, y + n_app * bar / 2 + 4, s.scenario);
        FOR a IN SELECT DISTINCT approach, approach_position FROM tviews_bench.report ORDER BY approach_position LOOP
            SELECT * INTO r FROM tviews_bench.report x WHERE x.scenario = s.scenario AND x.approach = a.approach;
            IF r.median_ms IS NULL AND r.verdict LIKE 'ERROR%' THEN
                out := out || format('<text x="%s" y="%s" fill="#b00">✗ %s failed (see the report)</text>', lft + 4, y + bar - 3, a.approach);
            ELSIF r.median_ms IS NOT NULL THEN
                out := out || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>', lft, y,
                                     round(greatest(plot_w * (log(greatest(r.median_ms::float8, lo)) - log(lo)) / (log(hi) - log(lo)), 1)::numeric, 1),
                                     bar - 2, coalesce(colors ->> a.approach, '#444'))
                           || format('<text x="%s" y="%s" fill="#333">%s%s</text>',
                                     round((lft + plot_w * (log(greatest(r.median_ms::float8, lo)) - log(lo)) / (log(hi) - log(lo)) + 4)::numeric, 1),
                                     y + bar - 3, r.median_ms::float8::text,
                                     CASE WHEN r.verdict LIKE 'WRONG%' THEN ' ✗' ELSE '' END);
            END IF;
            y := y + bar;
        END LOOP;
        y := y + gap;
    END LOOP;
    IF c_scen > 0 THEN
        SELECT power(10, floor(log(min(tps)::float8))), power(10, ceil(log(max(tps)::float8)))
          INTO lo, hi FROM tviews_bench.concurrent_results WHERE tps > 0;
        lo := coalesce(lo, 1); hi := greatest(coalesce(hi, 10000), lo * 10);
        out := out || format('<text x="%s" y="%s" font-size="14" font-weight="bold">Concurrent writers: throughput (transactions/s, log scale; more is better)</text>', lft, c_top - 40)
                   || format('<text x="%s" y="%s" fill="#555">Bars marked ✗ left a read model that did not equal the definition.</text>', lft, c_top - 22);
        d := lo;
        WHILE d <= hi * 1.0001 LOOP
            x := round((lft + plot_w * (log(d) - log(lo)) / (log(hi) - log(lo)))::numeric, 1);
            out := out || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>', x, c_top - 8, x, c_top + c_h - 80)
                       || format('<text x="%s" y="%s" text-anchor="middle" fill="#555">%s</text>', x, c_top + c_h - 66, d::text);
            d := d * 10;
        END LOOP;
        y := c_top;
        FOR s IN SELECT DISTINCT scenario FROM tviews_bench.concurrent_results ORDER BY scenario LOOP
            out := out || format('<text x="%s" y="%s" text-anchor="end" font-weight="bold">%s writers</text>', lft - 8, y + c_app * bar / 2 + 4, s.scenario);
            FOR a IN SELECT DISTINCT c.approach, coalesce(p.position, 99) AS position FROM tviews_bench.concurrent_results c
                       LEFT JOIN tviews_bench.approaches p USING (approach) ORDER BY 2, 1 LOOP
                SELECT * INTO r FROM tviews_bench.concurrent_results x WHERE x.scenario = s.scenario AND x.approach = a.approach;
                IF r.tps IS NOT NULL AND r.tps > 0 THEN
                    out := out || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>', lft, y,
                                         round(greatest(plot_w * (log(greatest(r.tps::float8, lo)) - log(lo)) / (log(hi) - log(lo)), 1)::numeric, 1),
                                         bar - 2, coalesce(colors ->> a.approach, '#444'))
                               || format('<text x="%s" y="%s" fill="#333">%s%s</text>',
                                         round((lft + plot_w * (log(greatest(r.tps::float8, lo)) - log(lo)) / (log(hi) - log(lo)) + 4)::numeric, 1),
                                         y + bar - 3, round(r.tps::numeric, 1)::text,
                                         CASE WHEN coalesce(r.differing, 0) > 0 THEN ' ✗' ELSE '' END);
                END IF;
                y := y + bar;
            END LOOP;
            y := y + gap;
        END LOOP;
    END IF;
    lx := lft;
    FOR a IN SELECT approach, position FROM tviews_bench.approaches
              WHERE approach IN (SELECT approach FROM tviews_bench.report UNION SELECT approach FROM tviews_bench.concurrent_results)
              ORDER BY position LOOP
        out := out || format('<rect x="%s" y="%s" width="10" height="10" fill="%s"/>', lx, height - 22, coalesce(colors ->> a.approach, '#444'))
                   || format('<text x="%s" y="%s">%s</text>', lx + 14, height - 13, a.approach);
        lx := lx + 24 + 7 * length(a.approach);
    END LOOP;
    RETURN array_to_string(out || '</svg>'::text, E'\n') || E'\n';
END $$;

RESET search_path;
