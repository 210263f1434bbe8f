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
SELECT pg_get_viewdef('ol.v_item'::regclass) NOT LIKE '%spy%' AS unchanged, reloptions FROM pg_class WHERE oid = 'ol.v_item'::regclass;
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

-- 6. Row security of a table read through another role's view applies to that role, but
-- its policies run as the TVIEW's owner: refused, at creation and when enabled later.
SET ROLE or_lib;
CREATE TABLE ol.tb_note (pk_note int PRIMARY KEY, body text NOT NULL);
INSERT INTO ol.tb_note VALUES (1, 'x');
CREATE VIEW ol.v_note AS SELECT n.pk_note, n.body FROM ol.tb_note n;
GRANT SELECT, TRIGGER ON ol.tb_note TO or_owner;
GRANT SELECT ON ol.v_note TO or_owner;
RESET ROLE;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.note', $$ SELECT v.pk_note, v.body FROM ol.v_note v $$);
RESET ROLE;
SET ROLE or_lib;
ALTER TABLE ol.tb_note ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY everything ON ol.tb_note USING (true);
ALTER TABLE ol.tb_note FORCE ROW LEVEL SECURITY;
ALTER TABLE ol.tb_note ENABLE ROW LEVEL SECURITY;
RESET ROLE;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'ol.tb_note'::regclass;
SET ROLE or_lib;
ALTER TABLE ol.tb_note DISABLE ROW LEVEL SECURITY;
DROP TABLE ol.tb_note CASCADE;
RESET ROLE;
SELECT count(*) AS note_tviews FROM pg_tview_meta WHERE tview_name = 'note';

-- 7. A partial index's predicate (evaluated when a query over the table is planned, as
-- whoever plans it) calling another role's function: CREATE INDEX is refused. Made while
-- pg_tviews' event triggers were disabled, the next write is refused instead, before
-- anything is planned.
SET ROLE or_lib;
CREATE FUNCTION ol.always(i int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT i > 0 $$;
CREATE INDEX tb_item_partial ON ol.tb_item (label) WHERE ol.always(1);
RESET ROLE;
ALTER EVENT TRIGGER pg_tviews_alter DISABLE;
SET ROLE or_lib;
CREATE INDEX tb_item_partial ON ol.tb_item (label) WHERE ol.always(1);
RESET ROLE;
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
UPDATE ol.tb_item SET label = 'd' WHERE pk_item = 1;
SET ROLE or_lib;
DROP INDEX ol.tb_item_partial;
RESET ROLE;
UPDATE ol.tb_item SET label = 'd' WHERE pk_item = 1;
SELECT * FROM pg_tviews_check('oa.item');

-- 8. A range type's subtype_diff, which the planner calls to estimate a condition on a
-- column of that type even when the definition never names it, of another role: refused.
SET ROLE or_lib;
CREATE FUNCTION ol.diff(a int, b int) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$ SELECT (a - b)::float8 $$;
CREATE TYPE ol.span AS RANGE (subtype = int, subtype_diff = ol.diff);
CREATE TABLE ol.tb_span (pk_span int PRIMARY KEY, r ol.span NOT NULL);
GRANT SELECT, TRIGGER ON ol.tb_span TO or_owner;
GRANT USAGE ON TYPE ol.span TO or_owner;
RESET ROLE;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.span', $$ SELECT s.pk_span, s.r FROM ol.tb_span s WHERE s.r @> 500 $$);
RESET ROLE;

-- 9. A source made a partition (ALTER TABLE ... ATTACH PARTITION names the parent): refused,
-- as INHERIT is.
CREATE TABLE ol.parted (pk_item int NOT NULL, label varchar(20) NOT NULL) PARTITION BY RANGE (pk_item);
ALTER TABLE ol.parted ATTACH PARTITION ol.tb_item FOR VALUES FROM (1) TO (100);
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'ol.parted'::regclass;

-- 10. CHECK constraints (folded by the planner under constraint_exclusion, which a writer
-- sets) and extended statistics' expressions (folded whenever a query over the table is
-- planned) of a table the definition reads, and operators in an index: their functions are
-- held to the same rule, at the DDL. So is a function already there given to another role
-- (ALTER FUNCTION ... OWNER TO).
SET ROLE or_lib;
CREATE FUNCTION ol.zero() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 0 $$;
ALTER TABLE ol.tb_item ADD CONSTRAINT positive CHECK (pk_item > ol.zero());
CREATE STATISTICS ol.item_stats ON (pk_item + ol.zero()) FROM ol.tb_item;
CREATE OPERATOR ol.## (LEFTARG = int, RIGHTARG = int, FUNCTION = ol.diff);
CREATE INDEX tb_item_op ON ol.tb_item (label) WHERE (1 OPERATOR(ol.##) 2) > 0;
RESET ROLE;
CREATE FUNCTION ol.one() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
GRANT EXECUTE ON FUNCTION ol.one() TO or_lib;
SET ROLE or_lib;
CREATE INDEX tb_item_one ON ol.tb_item (label) WHERE pk_item > ol.one();
RESET ROLE;
ALTER FUNCTION ol.one() OWNER TO or_lib;
ALTER ROUTINE ol.one() OWNER TO or_lib;
-- A function of that role's used by no TVIEW changes hands freely.
ALTER FUNCTION ol.zero() OWNER TO postgres;
ALTER FUNCTION ol.zero() OWNER TO or_lib;
UPDATE ol.tb_item SET label = 'e' WHERE pk_item = 1;
SELECT * FROM pg_tviews_check('oa.item');
SET ROLE or_lib;
DROP INDEX ol.tb_item_one;
RESET ROLE;
DROP FUNCTION ol.one();

-- 11. An operator's negator (the planner turns NOT (a === b) into a !== b) that is another
-- role's function: refused.
SET ROLE or_lib;
CREATE FUNCTION ol.differ(a int, b int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT a <> b $$;
CREATE OPERATOR ol.!== (LEFTARG = int, RIGHTARG = int, FUNCTION = ol.differ);
RESET ROLE;
CREATE FUNCTION oa_same(a int, b int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT a = b $$;
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = oa_same, NEGATOR = OPERATOR(ol.!==));
GRANT EXECUTE ON FUNCTION oa_same(int, int) TO or_owner;
SET ROLE or_owner;
CREATE TABLE oa.tb_num (pk_num int PRIMARY KEY, v int NOT NULL);
INSERT INTO oa.tb_num VALUES (1, 10), (2, 20);
SELECT pg_tviews_create('oa.num', $$ SELECT n.pk_num FROM oa.tb_num n WHERE NOT (n.v OPERATOR(public.===) 10) $$);
RESET ROLE;

-- 12. The support functions of an index's operator class (index scans run them), and the
-- code of indexes and constraints on the TVIEW's own table and its state tables (writing
-- them runs it): held to the same rule.
SET ROLE or_lib;
CREATE FUNCTION ol.cmp(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT btint4cmp(a, b) $$;
RESET ROLE;
CREATE OPERATOR CLASS ol.int4_lib_ops FOR TYPE int USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 ol.cmp(int, int);
SET ROLE or_lib;
CREATE INDEX tb_item_lib_ops ON ol.tb_item (pk_item ol.int4_lib_ops);
RESET ROLE;
SET ROLE or_owner;
CREATE INDEX tv_item_shout ON oa.tv_item (ol.shout(label));
ALTER TABLE oa.tv_item ADD CONSTRAINT shouted CHECK (ol.shout(label) IS NOT NULL);
CREATE INDEX tv_item_own ON oa.tv_item (upper(label));
DROP INDEX oa.tv_item_own;
-- Its definition view stays in the definition schema (writers compile the TVIEW through it).
RESET ROLE;
SELECT definition_view AS item_view FROM pg_tview_meta WHERE table_name = 'oa.tv_item'::regclass \gset
\set VERBOSITY sqlstate
ALTER VIEW :item_view SET SCHEMA ol;
\set VERBOSITY terse
SET ROLE or_owner;
-- The owner revoking its own right to write the TVIEW's table: the health check says so.
REVOKE UPDATE ON oa.tv_item FROM or_owner;
SELECT check_name, ok, detail FROM pg_tviews_health_check() WHERE tview = 'oa.tv_item' AND NOT ok;
GRANT UPDATE ON oa.tv_item TO or_owner;
RESET ROLE;

-- Functions added later to an operator family an index of a source uses: refused.
CREATE OPERATOR CLASS ol.int4_hash_ops FOR TYPE int USING hash AS
    OPERATOR 1 =, FUNCTION 1 hashint4(int);
SET ROLE or_lib;
CREATE INDEX tb_item_hash ON ol.tb_item USING hash (pk_item ol.int4_hash_ops);
CREATE FUNCTION ol.hext(i int, seed bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT hashint4extended(i, seed) $$;
RESET ROLE;
ALTER OPERATOR FAMILY ol.int4_hash_ops USING hash ADD FUNCTION 2 ol.hext(int, bigint);
SET ROLE or_lib;
DROP INDEX ol.tb_item_hash;
RESET ROLE;
-- Values maintenance carries as text and reads back (a deferred TVIEW's captured lookup
-- values, a replica session's rows) run the casts between their type and text, and the
-- CHECKs of the domains inside them (a composite's fields, an array's elements).
SET ROLE or_lib;
CREATE DOMAIN ol.pos AS int CHECK (VALUE > ol.zero());
CREATE TYPE ol.code AS (a int, b ol.pos);
CREATE TYPE ol.mood AS ENUM ('up', 'down');
CREATE TABLE ol.tb_coded (pk_coded int PRIMARY KEY, c ol.code, m ol.mood);
INSERT INTO ol.tb_coded VALUES (1, ROW(1, 1), 'up');
GRANT SELECT, TRIGGER ON ol.tb_coded TO or_owner;
CREATE FUNCTION ol.mood_text(m ol.mood) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'x' $$;
RESET ROLE;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.coded', $$ SELECT c.pk_coded, (c.c).a AS a FROM ol.tb_coded c $$);
RESET ROLE;
SET ROLE or_lib;
ALTER TABLE ol.tb_coded DROP COLUMN c;
RESET ROLE;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.coded', $$ SELECT c.pk_coded, c.m FROM ol.tb_coded c $$);
RESET ROLE;
SET ROLE or_lib;
CREATE CAST (ol.mood AS text) WITH FUNCTION ol.mood_text(ol.mood);
-- A domain whose CHECK converts to another domain, inside an array: followed.
CREATE DOMAIN ol.pos2 AS int CHECK ((VALUE)::ol.pos IS NOT NULL);
ALTER TABLE ol.tb_coded ADD COLUMN p ol.pos2[];
RESET ROLE;
SELECT * FROM pg_tviews_check('oa.coded');

-- 13. A helper view replaced while pg_tviews' event triggers were disabled: a backend that
-- compiled the TVIEW before compiles it again, and refuses, as a new backend would.
UPDATE ol.tb_item SET label = 'f' WHERE pk_item = 1;
ALTER EVENT TRIGGER pg_tviews_alter DISABLE;
SET ROLE or_lib;
CREATE OR REPLACE VIEW ol.v_item AS SELECT i.pk_item, ol.shout(i.label)::varchar(20) AS label FROM ol.tb_item i;
RESET ROLE;
ALTER EVENT TRIGGER pg_tviews_alter ENABLE ALWAYS;
UPDATE ol.tb_item SET label = 'g' WHERE pk_item = 1;
SET ROLE or_lib;
CREATE OR REPLACE VIEW ol.v_item AS SELECT i.pk_item, i.label FROM ol.tb_item i;
RESET ROLE;
UPDATE ol.tb_item SET label = 'g' WHERE pk_item = 1;
SELECT * FROM pg_tviews_check('oa.item');

-- 14. A TVIEW and its functions handed to another role: REASSIGN OWNED, or the functions to
-- a superuser first, then the TVIEW, then the functions.
SET ROLE or_owner;
CREATE FUNCTION oa.twice(i int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT i * 2 $$;
SELECT pg_tviews_create('oa.twice', $$ SELECT n.pk_num, oa.twice(n.v) AS w FROM oa.tb_num n $$);
RESET ROLE;
CREATE ROLE or_heir;
GRANT USAGE, CREATE ON SCHEMA oa TO or_heir;
GRANT SELECT, TRIGGER ON oa.tb_num TO or_heir;
ALTER FUNCTION oa.twice(int) OWNER TO postgres;
ALTER TABLE oa.tv_twice OWNER TO or_heir;
ALTER FUNCTION oa.twice(int) OWNER TO or_heir;
UPDATE oa.tb_num SET v = 11 WHERE pk_num = 1;
SELECT * FROM oa.tv_twice ORDER BY 1;
SELECT * FROM pg_tviews_check('oa.twice');
DROP TABLE oa.tv_twice;
DROP FUNCTION oa.twice(int);
REVOKE ALL ON oa.tb_num FROM or_heir;
REVOKE ALL ON SCHEMA oa FROM or_heir;
DROP ROLE or_heir;

-- 15. Types PostgreSQL compares with a default operator class found at run time: a class a
-- superuser makes for a built-in type that has none (point) over another role's functions
-- compares point arrays; a function returning a tenant's type through OUT parameters
-- (declared as record) hands its values to to_jsonb, which runs the type's cast to json
-- made later. Refused at creation, and the cast refused at the DDL. (A class made after
-- creation for a type the definition compares is refused at the DDL, as the families of
-- every TVIEW are checked then.)
SET ROLE or_tenant;
CREATE FUNCTION ot.pcmp(a point, b point) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 0 $$;
CREATE FUNCTION ot.peq(a point, b point) RETURNS bool LANGUAGE sql IMMUTABLE AS $$ SELECT a ~= b $$;
CREATE FUNCTION ot.plt(a point, b point) RETURNS bool LANGUAGE sql IMMUTABLE AS $$ SELECT false $$;
CREATE OPERATOR ot.= (leftarg = point, rightarg = point, function = ot.peq);
CREATE OPERATOR ot.< (leftarg = point, rightarg = point, function = ot.plt);
CREATE OPERATOR ot.<= (leftarg = point, rightarg = point, function = ot.peq);
CREATE OPERATOR ot.> (leftarg = point, rightarg = point, function = ot.plt);
CREATE OPERATOR ot.>= (leftarg = point, rightarg = point, function = ot.peq);
CREATE TYPE ot.color AS ENUM ('red', 'green');
CREATE FUNCTION ot.c2j(x ot.color) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT to_json('x' || x::text) $$;
RESET ROLE;
GRANT USAGE ON SCHEMA ot TO or_owner;
SET ROLE or_owner;
CREATE TABLE oa.tb_pt (pk_pt int PRIMARY KEY, pts point[] NOT NULL, a text NOT NULL);
INSERT INTO oa.tb_pt VALUES (1, ARRAY[point(1, 1)], 'red,green');
CREATE FUNCTION oa.colors(x text) RETURNS TABLE(c ot.color, n int) LANGUAGE sql IMMUTABLE
    AS $$ SELECT u::ot.color, 1 FROM pg_catalog.unnest(pg_catalog.string_to_array(x, ',')) u $$;
RESET ROLE;
CREATE OPERATOR CLASS ot.point_ops DEFAULT FOR TYPE point USING btree AS
    OPERATOR 1 ot.<, OPERATOR 2 ot.<=, OPERATOR 3 ot.=, OPERATOR 4 ot.>=, OPERATOR 5 ot.>,
    FUNCTION 1 ot.pcmp(point, point);
SET ROLE or_owner;
SELECT pg_tviews_create('oa.pt', $$ SELECT p.pk_pt, p.pts <> ARRAY[point(0, 0)] AS moved FROM oa.tb_pt p $$);
RESET ROLE;
DROP OPERATOR CLASS ot.point_ops USING btree;
SET ROLE or_owner;
SELECT pg_tviews_create('oa.cj', $$ SELECT p.pk_pt,
    (SELECT max(to_jsonb(c.c)::text) FROM oa.colors(p.a) c) AS m FROM oa.tb_pt p $$);
RESET ROLE;
SET ROLE or_tenant;
CREATE CAST (ot.color AS json) WITH FUNCTION ot.c2j(ot.color);
RESET ROLE;
UPDATE oa.tb_pt SET a = 'green' WHERE pk_pt = 1;
SELECT * FROM oa.tv_cj;
SELECT * FROM pg_tviews_check('oa.cj');
DROP TABLE oa.tv_cj;

-- 16. A refused CREATE INDEX CONCURRENTLY leaves its index invalid: never planned, no code
-- runs, writes go on. REINDEX makes it valid: refused too (PostgreSQL 17 and later fire
-- event triggers for REINDEX; on 16 the next write is refused instead, before anything is
-- planned). The block prints the same on both.
SET ROLE or_lib;
CREATE INDEX CONCURRENTLY tb_item_cic ON ol.tb_item (label) WHERE ol.always(1);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'ol.tb_item_cic'::regclass;
RESET ROLE;
UPDATE ol.tb_item SET label = 'e' WHERE pk_item = 1;
SET ROLE or_lib;
DO $$
BEGIN
    REINDEX INDEX ol.tb_item_cic;
    IF pg_catalog.current_setting('server_version_num')::int >= 170000 THEN
        RAISE EXCEPTION 'REINDEX was not refused';
    END IF;
    UPDATE ol.tb_item SET label = 'f' WHERE pk_item = 1;
    RAISE EXCEPTION 'the write was not refused';
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'refused: %', regexp_replace(SQLERRM, '^.* impossible to maintain: ', '');
END
$$;
SELECT indisvalid FROM pg_index WHERE indexrelid = 'ol.tb_item_cic'::regclass;
DROP INDEX ol.tb_item_cic;
RESET ROLE;
UPDATE ol.tb_item SET label = 'g' WHERE pk_item = 1;
SELECT * FROM pg_tviews_check('oa.item');

DROP SCHEMA oa CASCADE;
DROP SCHEMA ol CASCADE;
DROP SCHEMA ot CASCADE;
REVOKE CREATE, USAGE ON SCHEMA public FROM or_tenant;
DROP OPERATOR public.=== (int, int);
DROP FUNCTION oa_same(int, int);
DROP ROLE or_owner;
DROP ROLE or_lib;
DROP ROLE or_tenant;
