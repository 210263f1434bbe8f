-- Triggers that write sources while maintenance runs, and triggers switched off.
CREATE SCHEMA tw;
SET search_path = tw, public;
CREATE TABLE tb_customer (pk_customer int PRIMARY KEY, name text NOT NULL, tier int NOT NULL);
CREATE TABLE tb_order (pk_order int PRIMARY KEY, fk_customer int NOT NULL REFERENCES tb_customer,
                       total numeric NOT NULL);
INSERT INTO tb_customer VALUES (1, 'acme', 1), (2, 'zeta', 2);
INSERT INTO tb_order VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
\i tests/pg_regress/include/both_modes.sql

-- Orders with their customer's name (patched in place when a name changes), customers with
-- their orders' documents read from the orders' TVIEW (a cascade).
SELECT make_both('order', $$
    SELECT o.pk_order, o.fk_customer,
           jsonb_build_object('total', o.total, 'customer', c.name, 'tier', c.tier) AS data
      FROM tb_order o JOIN tb_customer c ON c.pk_customer = o.fk_customer $$);
SELECT pg_tviews_create('customer', $$
    SELECT c.pk_customer, jsonb_build_object('name', c.name,
           'orders', coalesce((SELECT jsonb_agg(o.data ORDER BY o.pk_order) FROM tv_order o
                                WHERE o.fk_customer = c.pk_customer), '[]')) AS data
      FROM tb_customer c $$);

-- An AFTER trigger on the orders' TVIEW table renames the customer, which maintains the
-- orders again, which fires the trigger again (three levels deep). Each level's maintenance
-- of the customers ran before the level that started it patched the customer's name: a
-- patch from the statement's new rows then wrote back a name two renames old. Patches read
-- the rows as they are now.
CREATE FUNCTION touch_customer() RETURNS trigger LANGUAGE plpgsql
SET search_path = tw, pg_temp AS $$
BEGIN
    UPDATE tb_customer c SET name = name || '~' FROM changed n
     WHERE c.pk_customer = n.fk_customer AND length(c.name) < 7;
    RETURN NULL;
END $$;
CREATE TRIGGER touch_customer AFTER UPDATE ON tv_order REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION touch_customer();
UPDATE tb_order SET total = 30 WHERE pk_order = 1;
SELECT pk_customer, data->>'name' AS name, data->'orders'->0->>'customer' AS first_order FROM tv_customer ORDER BY 1;
SELECT * FROM differing();
-- A trigger that moves a row back: the patch finds the row as it is.
CREATE FUNCTION undo_tier() RETURNS trigger LANGUAGE plpgsql
SET search_path = tw, pg_temp AS $$
BEGIN
    UPDATE tb_customer SET tier = 1 WHERE pk_customer = 2 AND tier = 9;
    RETURN NULL;
END $$;
CREATE TRIGGER undo_tier AFTER UPDATE ON tv_order
    FOR EACH STATEMENT EXECUTE FUNCTION undo_tier();
UPDATE tb_customer SET tier = 9 WHERE pk_customer = 2;
SELECT pk_order, data FROM tv_order ORDER BY 1;
SELECT * FROM differing();
DROP TRIGGER touch_customer ON tv_order;
DROP TRIGGER undo_tier ON tv_order;

-- ALTER TABLE ... DISABLE TRIGGER USER on a source disables pg_tviews' triggers too: said
-- at once (a data-only restore does it on purpose). Writes meanwhile reach no TVIEW;
-- pg_tviews_refresh() repairs them. The TVIEWs stay marked maybe stale
-- (pg_tview_meta.maybe_stale, the health check) after the triggers are back, until a refresh
-- recomputes them; a refresh while the triggers are still out of place leaves the mark.
CREATE VIEW marks AS
    SELECT m.tview_name, m.maybe_stale IS NOT NULL AS marked,
           (SELECT h.ok FROM pg_tviews_health_check() h
             WHERE h.tview = 'tw.' || m.table_name::regclass::text AND h.check_name = 'maybe stale') AS healthy
      FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
     WHERE c.relnamespace = 'tw'::regnamespace ORDER BY 1;
ALTER TABLE tb_order DISABLE TRIGGER USER;
UPDATE tb_order SET total = 99 WHERE pk_order = 3;
SELECT * FROM marks;
SELECT pg_tviews_refresh('order');
ALTER TABLE tb_order ENABLE TRIGGER USER;
SELECT * FROM differing();
SELECT regexp_replace(detail, '\(\d{4}-[^)]* UTC, transaction \d+\)', '(time)') AS detail
  FROM pg_tviews_health_check() WHERE tview = 'tw.tv_order_d' AND check_name = 'maybe stale';
SELECT pg_tviews_refresh('order'), pg_tviews_refresh('order_d'), pg_tviews_refresh('customer');
SELECT * FROM differing();
SELECT * FROM marks;
-- A mark goes with the transaction that made it.
BEGIN;
ALTER TABLE tb_order DISABLE TRIGGER ALL;
ROLLBACK;
SELECT * FROM marks;

-- Enabled for replica sessions only, an ordinary session's writes fire nothing: said too.
-- Nothing was written meanwhile: pg_tviews_check finds the TVIEWs exact, and clears the
-- mark (in a READ COMMITTED transaction: an older snapshot proves nothing).
ALTER TABLE tb_order ENABLE REPLICA TRIGGER pgtv_update;
ALTER TABLE tb_order ENABLE TRIGGER pgtv_update;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pg_tviews_check('order');
COMMIT;
SELECT * FROM differing();
SELECT * FROM marks;

-- The guard on a TVIEW table disabled: direct writes are not refused, and the TVIEW is
-- marked. pg_tviews_check lists what differs and leaves the mark; a refresh clears it.
ALTER TABLE tv_order DISABLE TRIGGER pgtv_guard;
UPDATE tv_order SET data = '{}' WHERE pk_order = 2;
ALTER TABLE tv_order ENABLE ALWAYS TRIGGER pgtv_guard;
SELECT * FROM pg_tviews_check('order');
SELECT * FROM marks;
SELECT pg_tviews_refresh('order');
SELECT * FROM marks;

-- DROP TRIGGER of pg_tviews' own triggers (a source's, a TVIEW table's guard): warned about
-- and marked the same way; pg_tviews_refresh creates them again.
DROP TRIGGER pgtv_insert ON tb_order;
DROP TRIGGER pgtv_guard ON tv_order_d;
INSERT INTO tb_order VALUES (4, 2, 1);
-- (Its NOTICEs that the marks stay come in catalog order: not shown.)
SET client_min_messages = warning;
SELECT * FROM differing();
RESET client_min_messages;
SELECT * FROM marks;
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'tw.tv_order_d' AND NOT ok ORDER BY 1;
SELECT pg_tviews_refresh('order');
SELECT check_name, ok FROM pg_tviews_health_check() WHERE tview = 'tw.tv_order_d' AND NOT ok ORDER BY 1;
SELECT pg_tviews_refresh('order_d');
SELECT * FROM differing();
SELECT * FROM marks;
SELECT count(*) AS problems FROM pg_tviews_health_check() WHERE tview LIKE 'tw.%' AND NOT ok;
INSERT INTO tb_order VALUES (5, 2, 2);
SELECT * FROM differing();
DROP VIEW marks;

-- A lookup patch reaches documents through the root's rows: only the root's own when the
-- definition reads it with ONLY (its children's rows, with the same keys, are no documents).
CREATE TABLE tb_item (pk_item int PRIMARY KEY, fk_customer int NOT NULL, label text);
CREATE TABLE tb_item_extra (PRIMARY KEY (pk_item)) INHERITS (tb_item);
INSERT INTO tb_item VALUES (1, 1, 'parent');
INSERT INTO tb_item_extra VALUES (1, 2, 'child');
SELECT make_both('item', $$
    SELECT i.pk_item, jsonb_build_object('label', i.label, 'customer', c.name) AS data
      FROM ONLY tb_item i JOIN tb_customer c ON c.pk_customer = i.fk_customer $$);
UPDATE tb_customer SET name = 'zeta, renamed' WHERE pk_customer = 2;
SELECT pk_item, data FROM tv_item;
SELECT * FROM differing();

DROP SCHEMA tw CASCADE;
RESET search_path;
