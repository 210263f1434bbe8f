-- Every function a definition can run is checked by the rules of creation and maintenance
-- (docs: "Functions"), however it is reached: through a domain over a domain, an operator
-- in a domain's CHECK, a moving aggregate's functions, an operator family's comparison
-- function (ORDER BY ... USING). A change to a function or role applies in a backend that
-- maintained the TVIEW before it. CREATE TABLE ... INHERITS of a source is refused.
CREATE SCHEMA fr;
SET search_path = fr, public;
CREATE TABLE tb_a (pk_a int PRIMARY KEY, v int NOT NULL);
INSERT INTO tb_a VALUES (1, 1), (2, 2);
CREATE TABLE banned (x int);
-- Reads a table: STABLE, as it must be declared.
CREATE FUNCTION ok_val(int) RETURNS boolean LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN NOT EXISTS (SELECT 1 FROM fr.banned WHERE x = $1); END $$;

-- A domain over a domain whose CHECK calls it.
CREATE DOMAIN d_in AS int CHECK (ok_val(VALUE));
CREATE DOMAIN d_out AS d_in;
SELECT pg_tviews_create('dd', $$SELECT pk_a, v::fr.d_out AS dv FROM fr.tb_a$$);

-- An operator in a domain's CHECK whose function is STABLE.
CREATE FUNCTION opf(int, int) RETURNS boolean LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN true; END $$;
CREATE OPERATOR =!= (FUNCTION = opf, LEFTARG = int, RIGHTARG = int);
CREATE DOMAIN d_op AS int CHECK (VALUE =!= 0);
SELECT pg_tviews_create('dop', $$SELECT pk_a, v::fr.d_op AS dv FROM fr.tb_a$$);

-- An aggregate whose moving-aggregate functions (used in a window frame) are STABLE.
CREATE FUNCTION sfn(int, int) RETURNS int LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce($1, 0) + coalesce($2, 0) $$;
CREATE FUNCTION msfn(int, int) RETURNS int LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN coalesce($1, 0) + coalesce($2, 0) + (SELECT count(*) FROM fr.banned); END $$;
CREATE FUNCTION minv(int, int) RETURNS int LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN coalesce($1, 0) - coalesce($2, 0); END $$;
CREATE AGGREGATE msum(int) (SFUNC = sfn, STYPE = int, MSFUNC = msfn, MINVFUNC = minv, MSTYPE = int);
SELECT pg_tviews_create('mov', $$SELECT a.pk_a,
    (SELECT jsonb_agg(s ORDER BY pk) FROM (SELECT b.pk_a AS pk,
        fr.msum(b.v) OVER (ORDER BY b.pk_a ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s
        FROM fr.tb_a b) q) AS j
  FROM fr.tb_a a$$);

-- Operators with IMMUTABLE functions, in an operator class whose comparison function is
-- STABLE: a sort by them calls the comparison function.
CREATE TABLE flip (on_ boolean);
CREATE FUNCTION ilt(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 < $2 $$;
CREATE FUNCTION ile(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 <= $2 $$;
CREATE FUNCTION ieq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = $2 $$;
CREATE FUNCTION ige(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 >= $2 $$;
CREATE FUNCTION igt(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > $2 $$;
CREATE FUNCTION icmp(int, int) RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fr.flip WHERE on_) THEN RETURN btint4cmp($2, $1); END IF;
    RETURN btint4cmp($1, $2);
END $$;
CREATE OPERATOR <<< (FUNCTION = ilt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR <<= (FUNCTION = ile, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR === (FUNCTION = ieq, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR >>= (FUNCTION = ige, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR >>> (FUNCTION = igt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR CLASS myops FOR TYPE int USING btree AS
    OPERATOR 1 <<<, OPERATOR 2 <<=, OPERATOR 3 ===, OPERATOR 4 >>=, OPERATOR 5 >>>,
    FUNCTION 1 icmp(int, int);
SELECT pg_tviews_create('srt', $$SELECT a.pk_a,
    (SELECT jsonb_agg(b.v ORDER BY b.v USING OPERATOR(fr.<<<)) FROM fr.tb_a b WHERE b.pk_a <> a.pk_a) AS j
  FROM fr.tb_a a$$);
-- A cast to json of a type of one's own, which to_jsonb runs without the definition naming
-- it: VOLATILE, and owned by a role that is not a superuser.
CREATE ROLE fr_mallory;
CREATE TYPE e AS ENUM ('a', 'b');
ALTER TYPE e OWNER TO fr_mallory;
CREATE FUNCTION e_json(e) RETURNS json LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN pg_catalog.to_json(1); END $$;
ALTER FUNCTION e_json(e) OWNER TO fr_mallory;
CREATE CAST (e AS json) WITH FUNCTION e_json(e);
CREATE TABLE tb_e (pk int PRIMARY KEY, x e);
SELECT pg_tviews_create('je', $$SELECT pk, to_jsonb(x) AS j FROM fr.tb_e$$);

-- Equality of arrays compares their elements with the element type's default operator
-- class, found at run time: its comparison function is STABLE here.
CREATE TYPE e2 AS ENUM ('a', 'b');
CREATE FUNCTION e2_cmp(e2, e2) RETURNS int LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN pg_catalog.enum_cmp($1, $2); END $$;
CREATE FUNCTION e2_lt(e2, e2) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 < $2 $$;
CREATE FUNCTION e2_le(e2, e2) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 <= $2 $$;
CREATE FUNCTION e2_eq(e2, e2) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = $2 $$;
CREATE FUNCTION e2_ge(e2, e2) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 >= $2 $$;
CREATE FUNCTION e2_gt(e2, e2) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > $2 $$;
CREATE OPERATOR <# (FUNCTION = e2_lt, LEFTARG = e2, RIGHTARG = e2);
CREATE OPERATOR <=# (FUNCTION = e2_le, LEFTARG = e2, RIGHTARG = e2);
CREATE OPERATOR =# (FUNCTION = e2_eq, LEFTARG = e2, RIGHTARG = e2);
CREATE OPERATOR >=# (FUNCTION = e2_ge, LEFTARG = e2, RIGHTARG = e2);
CREATE OPERATOR ># (FUNCTION = e2_gt, LEFTARG = e2, RIGHTARG = e2);
CREATE OPERATOR CLASS e2_ops DEFAULT FOR TYPE e2 USING btree AS
    OPERATOR 1 <#, OPERATOR 2 <=#, OPERATOR 3 =#, OPERATOR 4 >=#, OPERATOR 5 >#,
    FUNCTION 1 e2_cmp(e2, e2);
CREATE TABLE tb_e2 (pk int PRIMARY KEY, x e2);
SELECT pg_tviews_create('ae', $$SELECT pk, ARRAY[x] = ARRAY['a'::fr.e2] AS f FROM fr.tb_e2$$);

-- An aggregate whose transition function is VOLATILE (the aggregate itself is not).
CREATE FUNCTION vsfn(int, int) RETURNS int LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN coalesce($1, 0) + $2 + (SELECT count(*) FROM fr.banned); END $$;
CREATE AGGREGATE vsum(int) (SFUNC = vsfn, STYPE = int);
SELECT pg_tviews_create('va', $$SELECT pk_a, (SELECT fr.vsum(b.v ORDER BY b.pk_a) FROM fr.tb_a b) AS s FROM fr.tb_a$$);

-- Every attempt above was refused: no TVIEW exists.
SELECT count(*) FROM pg_tview_meta m JOIN pg_class c ON c.oid = m.table_name
 WHERE c.relnamespace = 'fr'::regnamespace;

-- A superuser-owned TVIEW calling a function of a role that was a superuser: once the role
-- is no longer one, maintenance refuses, also in this backend, which maintained the TVIEW
-- before (ALTER ROLE fires no event trigger).
CREATE ROLE fr_fown SUPERUSER;
SET ROLE fr_fown;
CREATE FUNCTION gimm(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 * 2 $$;
RESET ROLE;
SELECT pg_tviews_create('g1', $$SELECT pk_a, fr.gimm(v) AS w FROM fr.tb_a$$);
INSERT INTO tb_a VALUES (3, 3);
ALTER ROLE fr_fown NOSUPERUSER;
INSERT INTO tb_a VALUES (4, 4);
ALTER ROLE fr_fown SUPERUSER;
INSERT INTO tb_a VALUES (4, 4);
SELECT * FROM pg_tviews_check('fr.g1');

-- A table inheriting from a source: refused when created, as ALTER TABLE ... INHERIT is.
CREATE TABLE ch1 () INHERITS (tb_a);
CREATE TABLE ch2 (pk_a int NOT NULL, v int NOT NULL);
ALTER TABLE ch2 INHERIT tb_a;
CREATE FOREIGN DATA WRAPPER fr_fdw;
CREATE SERVER fr_server FOREIGN DATA WRAPPER fr_fdw;
CREATE FOREIGN TABLE fch () INHERITS (tb_a) SERVER fr_server;
-- A table inheriting from a table no TVIEW reads is fine.
CREATE TABLE other_parent (x int);
CREATE TABLE ch3 () INHERITS (other_parent);
INSERT INTO tb_a VALUES (5, 5);
SELECT * FROM pg_tviews_check('fr.g1');
SELECT pk_a, w FROM tv_g1 ORDER BY pk_a;

-- A function reached without being named, replaced: the TVIEW is recomputed, as for one it
-- calls. Here the IMMUTABLE cast to json that to_jsonb runs for a type of one's own.
CREATE TYPE e3 AS ENUM ('a', 'b');
CREATE FUNCTION e3_json(e3) RETURNS json LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.to_json('first'::text) $$;
CREATE CAST (e3 AS json) WITH FUNCTION e3_json(e3);
CREATE TABLE tb_e3 (pk int PRIMARY KEY, x e3);
INSERT INTO tb_e3 VALUES (1, 'a');
SELECT pg_tviews_create('j3', $$SELECT pk, to_jsonb(x) AS j FROM fr.tb_e3$$);
SELECT pk, j FROM tv_j3;
CREATE OR REPLACE FUNCTION e3_json(e3) RETURNS json LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.to_json('second'::text) $$;
SELECT pk, j FROM tv_j3;
SELECT * FROM pg_tviews_check('fr.j3');
SELECT pg_tviews_drop('fr.j3');

SELECT pg_tviews_drop('fr.g1');
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fr CASCADE;
DROP ROLE fr_fown;
DROP SERVER fr_server;
DROP FOREIGN DATA WRAPPER fr_fdw;
DROP ROLE fr_mallory;
RESET client_min_messages;
