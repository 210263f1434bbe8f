-- A TVIEW's parts dropped alone: its definition view, a state table, the type of a key of
-- several columns. pg_restore --clean drops each object of a dump on its own, the parts
-- before the table and the sources after the definition view: each such drop detaches the
-- TVIEW (its table stays, maintained no more) and goes through. Before, the drops were
-- refused and a restore carried on, appending a second copy of a source's rows.
CREATE SCHEMA pd;
SET search_path = pd, public;
CREATE ROLE pd_owner;
CREATE ROLE pd_other;
GRANT USAGE, CREATE ON SCHEMA pd TO pd_owner, pd_other;
CREATE TABLE pd.tb_product (pk_product int PRIMARY KEY, region text NOT NULL, kind text NOT NULL, price numeric NOT NULL);
CREATE TABLE pd.tb_review (pk_review int PRIMARY KEY, fk_product int NOT NULL REFERENCES pd.tb_product, rating int NOT NULL);
INSERT INTO pd.tb_product VALUES (1, 'n', 'a', 10), (2, 's', 'b', 20);
INSERT INTO pd.tb_review VALUES (1, 1, 5), (2, 1, 3), (3, 2, 4);
ALTER TABLE pd.tb_product OWNER TO pd_owner;
ALTER TABLE pd.tb_review OWNER TO pd_owner;
SET ROLE pd_owner;
-- Counts and averages of reviews kept in a state table; a key of two columns (its type).
SELECT pg_tviews_create('pd.pdproduct', $$
    SELECT p.pk_product, jsonb_build_object('price', p.price,
           'reviews', (SELECT count(*) FROM pd.tb_review r WHERE r.fk_product = p.pk_product),
           'rating', (SELECT avg(r.rating) FROM pd.tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM pd.tb_product p $$);
SELECT pg_tviews_create('pd.pdmix', $$ SELECT p.region, p.kind, count(*) AS n FROM pd.tb_product p GROUP BY p.region, p.kind $$);
SELECT pg_tviews_create('pd.pdtop', $$ SELECT t.pk_product, t.data FROM pd.tv_pdproduct t $$);
RESET ROLE;
SELECT c.relname, c.relkind FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.refobjid = 'pd.tv_pdproduct'::regclass AND d.deptype = 'i' AND c.relkind IN ('r', 'v') ORDER BY 1;

-- 1. Another role may not detach a TVIEW by dropping its parts: PostgreSQL refuses the
-- drop, and nothing changes.
SET ROLE pd_other;
DROP VIEW tviews_def.tv_pdproduct;
DROP TYPE tviews_def.tv_pdmix_key;
RESET ROLE;
SELECT count(*) AS tviews FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE c.relnamespace = 'pd'::regnamespace;

-- 2. In a transaction rolled back: the TVIEW is back as it was.
BEGIN;
DROP TABLE tviews_def.tv_pdproduct_tally;
SELECT count(*) AS tviews FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE c.relnamespace = 'pd'::regnamespace;
ROLLBACK;
SELECT count(*) AS tviews FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE c.relnamespace = 'pd'::regnamespace;
INSERT INTO pd.tb_review VALUES (4, 2, 2);
SELECT pk_product, data FROM pd.tv_pdtop ORDER BY 1;

-- 3. The owner drops the state table: the TVIEW is detached, its table stays with its rows,
-- no longer maintained; the TVIEW reading it (top) still is, from its table.
SET ROLE pd_owner;
DROP TABLE tviews_def.tv_pdproduct_tally;
RESET ROLE;
SELECT m.table_name FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE c.relnamespace = 'pd'::regnamespace ORDER BY 1;
SELECT tgrelid::regclass AS "table", tgname FROM pg_trigger
 WHERE tgrelid IN ('pd.tv_pdproduct'::regclass, 'pd.tb_review'::regclass) AND NOT tgisinternal ORDER BY 1, 2;
INSERT INTO pd.tb_review VALUES (5, 2, 1);
SELECT pk_product, data FROM pd.tv_pdproduct ORDER BY 1;
-- Its table is a plain table now: writable, and its writes reach the TVIEW reading it.
UPDATE pd.tv_pdproduct SET data = data || '{"note": "by hand"}' WHERE pk_product = 1;
SELECT pk_product, data FROM pd.tv_pdtop ORDER BY 1;
SELECT * FROM pg_tviews_check('pd.pdtop');
-- Its other parts drop one by one; then the table, once the TVIEW reading it is gone.
DROP VIEW tviews_def.tv_pdproduct;
DROP TABLE pd.tv_pdtop;
DROP TABLE pd.tv_pdproduct;

-- 4. The type of a key of several columns: the unique index on it still needs it, so the
-- drop fails and the TVIEW stays as it was (no warning: the drop did not happen).
SET ROLE pd_owner;
DROP TYPE tviews_def.tv_pdmix_key;
SELECT count(*) AS tviews FROM pg_tview_meta WHERE table_name = 'pd.tv_pdmix'::regclass;
-- With CASCADE the index goes too: the TVIEW is detached.
DROP TYPE tviews_def.tv_pdmix_key CASCADE;
RESET ROLE;
SELECT count(*) AS tviews FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name WHERE c.relnamespace = 'pd'::regnamespace;
SELECT * FROM pg_tviews_health_check() WHERE tview LIKE 'pd.%' AND NOT ok;

-- 5. Dropping a TVIEW's table with its parts named too changes nothing of the above: the
-- table drops them.
SET ROLE pd_owner;
SELECT pg_tviews_create('pd.pdagain', $$
    SELECT p.pk_product, jsonb_build_object('price', p.price,
           'reviews', (SELECT count(*) FROM pd.tb_review r WHERE r.fk_product = p.pk_product),
           'rating', (SELECT avg(r.rating) FROM pd.tb_review r WHERE r.fk_product = p.pk_product)) AS data
      FROM pd.tb_product p $$);
DROP TABLE pd.tv_pdagain, tviews_def.tv_pdagain_tally;
RESET ROLE;
SELECT count(*) AS leftovers FROM pg_class WHERE relname LIKE 'tv\_again%';
DROP SCHEMA pd CASCADE;
DROP ROLE pd_owner;
DROP ROLE pd_other;
RESET search_path;
