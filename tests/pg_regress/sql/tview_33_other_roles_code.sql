-- Code and objects of other roles that maintenance would run with a TVIEW owner's rights,
-- and DDL of roles that have nothing to do with a TVIEW.
\set VERBOSITY terse
CREATE ROLE or_owner;
CREATE ROLE or_lib;
CREATE ROLE or_tenant;
CREATE SCHEMA oa AUTHORIZATION or_owner;
CREATE SCHEMA ol AUTHORIZATION or_lib;
CREATE SCHEMA ot AUTHORIZATION or_tenant;
GRANT USAGE ON SCHEMA ol TO or_owner;
GRANT CREATE, USAGE ON SCHEMA public TO or_tenant;
SET ROLE or_owner;
CREATE TABLE oa.payroll (pk_emp int PRIMARY KEY, salary int NOT NULL);
INSERT INTO oa.payroll VALUES (1, 100), (2, 250);
RESET ROLE;
SET ROLE or_lib;
CREATE TABLE ol.tb_item (pk_item int PRIMARY KEY, label varchar(20) NOT NULL);
INSERT INTO ol.tb_item VALUES (1, 'a'), (2, 'b');
CREATE VIEW ol.v_item AS SELECT i.pk_item, i.label FROM ol.tb_item i;
CREATE FUNCTION ol.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) $$;
GRANT SELECT, TRIGGER ON ol.tb_item TO or_owner;
GRANT SELECT ON ol.v_item TO or_owner;
RESET ROLE;

-- 1. A function of another role, named by the definition or called by a helper view: that
-- role could replace it at any time, and every write (and the recompute after the
-- replacement, at once) would run it as the TVIEW's owner. Refused.
SET ROLE or_owner;
SELECT pg_tviews_create('oa.loud', $$ SELECT v.pk_item, ol.shout(v.label) AS l FROM ol.v_item v $$);
SELECT pg_tviews_create('oa.item', $$ SELECT v.pk_item, v.label FROM ol.v_item v $$);
RESET ROLE;
SET ROLE or_lib;
CREATE FUNCTION ol.spy(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'ran as %', current_user;
  RETURN t;
END $$;
-- The view's owner replaces it to call its own function: refused, nothing ran.
CREATE OR REPLACE VIEW ol.v_item AS SELECT i.pk_item, ol.spy(i.label::text)::varchar(20) AS label FROM ol.tb_item i;
-- 2. A view reading with its reader's rights (security_invoker) reads with the TVIEW owner's
-- during maintenance: its owner could make it read (and the TVIEW show) what only the TVIEW's
-- owner may. Refused, whether replaced or switched.
CREATE OR REPLACE VIEW ol.v_item WITH (security_invoker) AS SELECT i.pk_item, i.label FROM ol.tb_item i;
ALTER VIEW ol.v_item SET (security_invoker = true);
RESET ROLE;
SELECT pg_get_viewdef('ol.v_item'::regclass) AS unchanged, reloptions FROM pg_class WHERE oid = 'ol.v_item'::regclass;
-- A security_invoker view of the TVIEW's owner is fine.
SET ROLE or_owner;
CREATE VIEW oa.v_own WITH (security_invoker) AS SELECT i.pk_item, i.label FROM ol.tb_item i;
SELECT pg_tviews_create('oa.own', $$ SELECT v.pk_item, v.label FROM oa.v_own v $$);
RESET ROLE;
SET ROLE or_lib;
CREATE VIEW ol.v_inv WITH (security_invoker) AS SELECT i.pk_item, i.label FROM ol.tb_item i;
GRANT SELECT ON ol.v_inv TO or_owner;
RESET ROLE;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.inv', $$ SELECT v.pk_item, v.label FROM ol.v_inv v $$);
RESET ROLE;

-- 3. A function another role planted in a schema of the creator's search_path, matching the
-- definition's call better than the built-in (upper(varchar) over upper(text)): refused,
-- instead of running that role's code as the owner on every write.
SET ROLE or_tenant;
CREATE FUNCTION public.upper(v varchar) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT pg_catalog.upper(v::text) $$;
RESET ROLE;
SET ROLE or_owner;
SHOW search_path;
SELECT pg_tviews_create('oa.caps', $$ SELECT i.pk_item, upper(i.label) AS l FROM ol.tb_item i $$);
RESET ROLE;
DROP FUNCTION public.upper(varchar);

-- 4. DDL of a role on its own objects analyzes no TVIEW it has nothing to do with (analysis
-- locks every table a definition reads until the transaction ends).
BEGIN;
SET LOCAL ROLE or_tenant;
CREATE FUNCTION ot.f() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
CREATE VIEW ot.v AS SELECT 1 AS one;
SELECT count(*) AS locked FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relnamespace IN ('oa'::regnamespace, 'ol'::regnamespace, 'tviews_def'::regnamespace);
COMMIT;

-- 5. A source of another role: its replica triggers stay disabled until its owner enables
-- them (the health check says so from the start); its owner's ALTER TABLE that enables or
-- disables no trigger marks nothing.
SET ROLE or_lib;
ALTER TABLE ol.tb_item ALTER COLUMN label SET STATISTICS 200;
ALTER TABLE ol.tb_item ADD CONSTRAINT label_short CHECK (length(label) < 20);
RESET ROLE;
SELECT tview, check_name, ok FROM pg_tviews_health_check() WHERE tview LIKE 'oa.%' AND NOT ok ORDER BY 1, 2;
SET ROLE or_lib;
ALTER TABLE ol.tb_item ENABLE REPLICA TRIGGER pgtv_replica_row, ENABLE REPLICA TRIGGER pgtv_replica_truncate;
RESET ROLE;
SELECT tview, check_name, ok FROM pg_tviews_health_check() WHERE tview LIKE 'oa.%' AND NOT ok ORDER BY 1, 2;
UPDATE ol.tb_item SET label = 'c' WHERE pk_item = 1;
SELECT * FROM pg_tviews_check('oa.item');
SELECT * FROM pg_tviews_check('oa.own');
SELECT * FROM oa.tv_item ORDER BY 1;

DROP SCHEMA oa CASCADE;
DROP SCHEMA ol CASCADE;
DROP SCHEMA ot CASCADE;
REVOKE CREATE, USAGE ON SCHEMA public FROM or_tenant;
DROP ROLE or_owner;
DROP ROLE or_lib;
DROP ROLE or_tenant;
