-- Writes where only row triggers fire: logical replication's apply worker runs with
-- session_replication_role = replica (so does any session that sets it) and fires no
-- ordinary trigger. Each source has a row and a TRUNCATE trigger enabled for replica only;
-- they collect the rows, and commit maintains them as deferred mode would, whatever the
-- TVIEW's mode. Here a superuser session plays the apply worker (scripts/ops_test.sh
-- subscriber runs a real one); every section ends with the oracle.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE SCHEMA rs;
SET search_path = rs, public;

CREATE TABLE tb_cat (pk_cat int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_prod (pk_prod int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL,
                      fk_cat int);
CREATE TABLE tb_rev (pk_rev int PRIMARY KEY, fk_prod int NOT NULL, rating int NOT NULL);
CREATE TABLE tb_tag (pk_tag int PRIMARY KEY, label text NOT NULL);
CREATE TABLE tb_prod_tag (fk_prod int NOT NULL, fk_tag int NOT NULL, PRIMARY KEY (fk_prod, fk_tag));
INSERT INTO tb_cat SELECT g, 'cat' || g FROM generate_series(1, 4) g;
INSERT INTO tb_prod SELECT g, 'prod' || g, g, 1 + g % 4 FROM generate_series(1, 12) g;
INSERT INTO tb_rev SELECT g, 1 + g % 12, 1 + g % 5 FROM generate_series(1, 30) g;
INSERT INTO tb_tag SELECT g, 'tag' || g FROM generate_series(1, 5) g;
INSERT INTO tb_prod_tag SELECT DISTINCT 1 + g % 12, 1 + g % 5 FROM generate_series(1, 20) g;

-- Every kind of source: the root, a lookup, child rows, a link table keyed by two columns,
-- a GROUP BY with a NULL group, and a TVIEW on a TVIEW; immediate and deferred.
SELECT pg_tviews_create('prod', $$
    SELECT p.pk_prod, p.fk_cat,
           jsonb_build_object('name', p.name, 'price', p.price, 'category', c.name,
                              'reviews', (SELECT count(*) FROM tb_rev r WHERE r.fk_prod = p.pk_prod),
                              'average', (SELECT round(avg(r.rating), 2) FROM tb_rev r WHERE r.fk_prod = p.pk_prod)) AS data
      FROM tb_prod p LEFT JOIN tb_cat c ON c.pk_cat = p.fk_cat $$);
SELECT pg_tviews_create('prod_d', $$
    SELECT p.pk_prod, jsonb_build_object('name', p.name, 'category', c.name) AS data
      FROM tb_prod p JOIN tb_cat c ON c.pk_cat = p.fk_cat $$, mode => 'deferred');
SELECT pg_tviews_create('tagged', $$
    SELECT p.pk_prod, t.pk_tag, p.name || '/' || t.label AS label
      FROM tb_prod p JOIN tb_prod_tag pt ON pt.fk_prod = p.pk_prod JOIN tb_tag t ON t.pk_tag = pt.fk_tag $$);
SELECT pg_tviews_create('by_cat', $$
    SELECT fk_cat, count(*) AS n, sum(price) AS total FROM tb_prod GROUP BY fk_cat $$);
SELECT pg_tviews_create('cat_doc', $$
    SELECT c.pk_cat, jsonb_build_object('name', c.name, 'products',
           (SELECT coalesce(jsonb_agg(t.data ORDER BY t.pk_prod), '[]') FROM tv_prod t WHERE t.fk_cat = c.pk_cat)) AS data
      FROM tb_cat c $$);
-- (Every TVIEW of schema rs, and only those that differ: no rows means exact.)
CREATE FUNCTION rs.oracle() RETURNS TABLE (tview text, differing bigint) LANGUAGE sql AS $$
    SELECT m.tview_name, d.n
      FROM pg_tview_meta m
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM pg_tviews_check(m.table_name::text)) AS d
     WHERE m.table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rs'::regnamespace)
       AND d.n > 0 ORDER BY 1 $$;
CREATE FUNCTION rs.checked() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_tview_meta m
     WHERE m.table_name::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'rs'::regnamespace) $$;

-- 1. The triggers: four for ordinary sessions (O), two for replica sessions (R).
SELECT tgname, tgenabled, tgtype FROM pg_trigger WHERE tgrelid = 'rs.tb_prod'::regclass ORDER BY 1;

-- 2. A replicated transaction: nothing is maintained until commit, then everything is.
SET session_replication_role = replica;
BEGIN;
INSERT INTO tb_prod VALUES (13, 'prod13', 13, 2), (14, 'prod14', 14, NULL);
INSERT INTO tb_rev VALUES (31, 13, 5), (32, 13, 4), (33, 1, 1);
UPDATE tb_cat SET name = 'renamed' WHERE pk_cat = 2;
UPDATE tb_prod SET fk_cat = 3 WHERE pk_prod = 5;
DELETE FROM tb_rev WHERE fk_prod = 4;
INSERT INTO tb_prod_tag VALUES (13, 1), (14, 2);
DELETE FROM tb_prod_tag WHERE fk_prod = 2;
UPDATE tb_tag SET label = 'TAG3' WHERE pk_tag = 3;
-- Not yet: the rows wait for commit.
SELECT count(*) FROM tv_prod WHERE pk_prod IN (13, 14);
COMMIT;
SELECT pk_prod, data FROM tv_prod WHERE pk_prod IN (1, 4, 5, 13, 14) ORDER BY 1;
SELECT * FROM tv_by_cat ORDER BY fk_cat NULLS FIRST;
SELECT * FROM oracle();
SELECT checked() AS tviews_checked;

-- 3. One row at a time, as the apply worker applies them (each statement its own
-- transaction), including key changes and moves into and out of the NULL group.
UPDATE tb_prod SET pk_prod = 20 WHERE pk_prod = 14;
UPDATE tb_prod SET fk_cat = NULL WHERE pk_prod = 1;
UPDATE tb_prod SET price = price * 2 WHERE pk_prod = 2;
DELETE FROM tb_cat WHERE pk_cat = 4;
DELETE FROM tb_prod WHERE pk_prod = 3;
SELECT * FROM tv_by_cat ORDER BY fk_cat NULLS FIRST;
SELECT * FROM oracle();

-- 4. pg_tviews_flush() reads the transaction's own writes; savepoints rolled back leave
-- nothing behind; rows collected after a flush are applied at commit.
BEGIN;
UPDATE tb_prod SET name = 'flushed' WHERE pk_prod = 6;
SELECT pg_tviews_flush();
SELECT data->>'name' FROM tv_prod WHERE pk_prod = 6;
SAVEPOINT s;
UPDATE tb_prod SET name = 'rolled back' WHERE pk_prod = 7;
ROLLBACK TO SAVEPOINT s;
UPDATE tb_prod SET name = 'after flush' WHERE pk_prod = 8;
COMMIT;
SELECT pk_prod, data->>'name' AS name FROM tv_prod WHERE pk_prod IN (6, 7, 8) ORDER BY 1;
SELECT * FROM oracle();

-- 4b. The rows are queued for the whole transaction once a flush has read them: a flush in
-- a savepoint rolled back, or one that failed inside an exception block, leaves them to
-- commit (outside attack: both lost the rows).
SELECT pg_tviews_create('ratio', $$ SELECT pk_prod, 100 / price AS per_unit FROM tb_prod $$);
BEGIN;
UPDATE tb_prod SET name = 'savepoint flush' WHERE pk_prod = 6;
SAVEPOINT s;
SELECT pg_tviews_flush();
ROLLBACK TO SAVEPOINT s;
COMMIT;
BEGIN;
UPDATE tb_prod SET name = 'failed flush' WHERE pk_prod = 7;
UPDATE tb_prod SET price = 0 WHERE pk_prod = 8;
DO $$ BEGIN PERFORM pg_tviews_flush(); EXCEPTION WHEN division_by_zero THEN RAISE NOTICE 'caught: %', SQLERRM; END $$;
UPDATE tb_prod SET price = 8 WHERE pk_prod = 8;
COMMIT;
SELECT pk_prod, data->>'name' AS name FROM tv_prod WHERE pk_prod IN (6, 7) ORDER BY 1;
SELECT * FROM oracle();
SELECT pg_tviews_drop('ratio');
-- Rows past work_mem spill to temporary files, closed before commit (no warning).
BEGIN;
SET LOCAL work_mem = '64kB';
INSERT INTO tb_rev SELECT g, 1 + g % 12, 1 + g % 5 FROM generate_series(1000, 4000) g;
COMMIT;
DELETE FROM tb_rev WHERE pk_rev >= 1000;
SELECT * FROM oracle();

-- 5. TRUNCATE (the apply worker fires statement triggers for it: the replica one).
TRUNCATE tb_prod_tag;
SELECT count(*) FROM tv_tagged;
INSERT INTO tb_prod_tag VALUES (1, 1), (2, 2);
SELECT * FROM oracle();

-- 6. Maintenance that fails at commit fails the transaction, its rows with it (an apply
-- worker would retry it, as after any error).
SELECT pg_tviews_create('ratio', $$ SELECT pk_prod, 100 / price AS per_unit FROM tb_prod $$);
UPDATE tb_prod SET price = 0 WHERE pk_prod = 11;
SELECT price FROM tb_prod WHERE pk_prod = 11;
SELECT * FROM oracle();
SELECT pg_tviews_drop('ratio');

-- 7. Mixed: ordinary statements and replica ones in one transaction.
BEGIN;
SET LOCAL session_replication_role = origin;
UPDATE tb_prod SET price = 1 WHERE pk_prod = 9;
SET LOCAL session_replication_role = replica;
UPDATE tb_prod SET price = 2 WHERE pk_prod = 10;
UPDATE tb_cat SET name = 'mixed' WHERE pk_cat = 1;
COMMIT;
SELECT pk_prod, data->>'price' AS price, data->>'category' AS category FROM tv_prod WHERE pk_prod IN (9, 10) ORDER BY 1;
SELECT * FROM oracle();

-- 8. The row type changes after rows were collected (a column added, one retyped): the
-- collected rows no longer read as the table's rows, so its TVIEWs are recomputed whole.
BEGIN;
UPDATE tb_rev SET rating = 5 WHERE pk_rev = 1;
ALTER TABLE tb_rev ADD COLUMN note text;
UPDATE tb_rev SET rating = 1, note = 'x' WHERE pk_rev = 2;
ALTER TABLE tb_rev ALTER COLUMN note TYPE varchar(10);
INSERT INTO tb_rev VALUES (40, 6, 3, 'n');
COMMIT;
SELECT full_recomputes > 0 AS recomputed FROM pg_tviews_stats WHERE tview = 'rs.tv_prod'::regclass;
SELECT * FROM oracle();
RESET session_replication_role;

-- 9. ALTER TABLE ... ENABLE TRIGGER ALL (a data-only restore with --disable-triggers ends
-- with it) would make the replica triggers fire for ordinary sessions only, and a subscriber
-- would miss every change: they are put back. One disabled on purpose stays disabled, and
-- the health check reports it.
ALTER TABLE tb_rev DISABLE TRIGGER ALL;
ALTER TABLE tb_rev ENABLE TRIGGER ALL;
ALTER TABLE tb_prod ENABLE ALWAYS TRIGGER pgtv_replica_row;
SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('rs.tb_rev'::regclass, 'rs.tb_prod'::regclass) AND tgname LIKE 'pgtv_replica%' ORDER BY 1, 2;
ALTER TABLE tb_cat DISABLE TRIGGER pgtv_replica_truncate;
SELECT tview, check_name, regexp_replace(detail, '\(\d{4}-[^)]* UTC, transaction \d+\)', '(time)') AS detail
  FROM pg_tviews_health_check() WHERE NOT ok AND tview LIKE 'rs.%' ORDER BY 1, 2;
ALTER TABLE tb_cat ENABLE REPLICA TRIGGER pgtv_replica_truncate;
-- The TVIEWs stay marked maybe stale until the oracle finds them exact.
SELECT tview, check_name FROM pg_tviews_health_check() WHERE NOT ok ORDER BY 1;
SELECT * FROM oracle();
SELECT count(*) FROM pg_tviews_health_check() WHERE NOT ok;

-- 10. Creating a TVIEW needs the TRIGGER privilege on its sources, not their ownership. But
-- making triggers fire in replica sessions (the apply worker) is the owner's decision, as
-- ALTER TABLE ... ENABLE REPLICA TRIGGER is: for a creator who does not own the table the
-- replica triggers are made disabled, a notice says who enables them, the health check
-- reports them.
CREATE ROLE rs_creator;
GRANT USAGE, CREATE ON SCHEMA rs TO rs_creator;
CREATE TABLE tb_owned_elsewhere (pk int PRIMARY KEY, v text);
GRANT SELECT, TRIGGER ON tb_owned_elsewhere TO rs_creator;
SET ROLE rs_creator;
SELECT pg_tviews_create('by_creator', $$ SELECT pk, v FROM rs.tb_owned_elsewhere $$);
RESET ROLE;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'rs.tb_owned_elsewhere'::regclass ORDER BY 1;
SELECT tview, check_name FROM pg_tviews_health_check() WHERE NOT ok;
-- A TVIEW the owner makes on the table later leaves them as they are, and says so again.
SELECT pg_tviews_create('by_owner', $$ SELECT pk, v || '!' AS v FROM rs.tb_owned_elsewhere $$);
-- The owner enables them; replicated changes are maintained from then on.
ALTER TABLE tb_owned_elsewhere ENABLE REPLICA TRIGGER pgtv_replica_row, ENABLE REPLICA TRIGGER pgtv_replica_truncate;
SELECT count(*) FROM pg_tviews_health_check() WHERE NOT ok;
SET session_replication_role = replica;
INSERT INTO tb_owned_elsewhere VALUES (1, 'a'), (2, 'b');
RESET session_replication_role;
SELECT * FROM tv_by_creator ORDER BY pk;
SELECT * FROM pg_tviews_check('by_creator');
SELECT pg_tviews_drop('by_owner');

-- 11. The last TVIEW on a table goes: all six triggers go with it.
SELECT pg_tviews_drop('by_creator');
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'rs.tb_owned_elsewhere'::regclass;

-- 12. Rows collected, then the last TVIEW reading their table dropped in the same
-- transaction: the commit lets them go (outside attack: it failed, calling the table an
-- orphan).
CREATE TABLE tb_gone (pk int PRIMARY KEY, v text);
SELECT pg_tviews_create('gone', $$ SELECT pk, v FROM rs.tb_gone $$);
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_gone VALUES (1, 'a');
SET LOCAL session_replication_role = origin;
SELECT pg_tviews_drop('gone');
COMMIT;
SELECT count(*) AS rows_kept FROM tb_gone;

-- 13. The guard fires in every session: a replica session (logical replication's apply
-- included) does not write a TVIEW table either, and ENABLE TRIGGER ALL puts it back to
-- ALWAYS.
SET session_replication_role = replica;
DELETE FROM tv_prod;
INSERT INTO tv_by_cat VALUES (99, 1, 1);
RESET session_replication_role;
ALTER TABLE tv_prod DISABLE TRIGGER ALL;
ALTER TABLE tv_prod ENABLE TRIGGER ALL;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'rs.tv_prod'::regclass ORDER BY 1;
SELECT * FROM oracle();

-- 14. Rows a replica session collected, added to tallies by a pg_tviews_flush() inside a
-- savepoint that then rolls back (outside review): the states lost them with it, so they
-- are built again from the table at commit (both modes; savepoints nested, one released).
CREATE TABLE tb_tn (pk numeric PRIMARY KEY);
CREATE TABLE tb_tc (id int PRIMARY KEY, fk numeric, q int, g int GENERATED ALWAYS AS (id % 3) STORED);
INSERT INTO tb_tn VALUES (1), (2);
INSERT INTO tb_tc VALUES (1, 1, 1);
SELECT pg_tviews_create('tn', $$ SELECT t.pk, jsonb_build_object(
    'n', (SELECT count(*) FROM tb_tc c WHERE c.fk = t.pk),
    's', (SELECT sum(c.q) FROM tb_tc c WHERE c.fk = t.pk)) AS data FROM tb_tn t $$);
SELECT pg_tviews_create('tk', $$ SELECT g, count(*) AS n, sum(q) AS s FROM tb_tc GROUP BY g $$,
    mode => 'deferred');
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_tc VALUES (102, 1, 5);
SAVEPOINT a;
SELECT pg_tviews_flush();
ROLLBACK TO a;
COMMIT;
SELECT * FROM pg_tviews_check('tn');
SELECT * FROM pg_tviews_check('tk');
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_tc VALUES (103, 2, 7);
SAVEPOINT a;
SAVEPOINT b;
SELECT pg_tviews_flush();
RELEASE b;
INSERT INTO tb_tc VALUES (104, 2, 1);
ROLLBACK TO a;
SELECT pg_tviews_flush();
COMMIT;
INSERT INTO tb_tc VALUES (105, 1, 1), (106, 2, 2);
SELECT * FROM pg_tviews_check('tn');
SELECT * FROM pg_tviews_check('tk');
SELECT t.pk, t.data FROM tv_tn t ORDER BY 1;
SELECT pg_tviews_drop('tn');
SELECT pg_tviews_drop('tk');

-- 15. A TRUNCATE of one source builds the states again from the tables, which hold every
-- row the transaction wrote so far: rows of another source collected earlier (but drained
-- after it, the truncated source having changed first) were counted twice (found looping
-- the ops test's subscriber step). Both modes; the tallied source drained last.
CREATE TABLE tb_tv (id int PRIMARY KEY, fk numeric);
INSERT INTO tb_tv VALUES (1, 1), (2, 2);
SELECT pg_tviews_create('tn_i', $$ SELECT t.pk, jsonb_build_object(
    'n', (SELECT count(*) FROM tb_tc c WHERE c.fk = t.pk),
    's', (SELECT sum(c.q) FROM tb_tc c WHERE c.fk = t.pk),
    'v', (SELECT count(*) FROM tb_tv v WHERE v.fk = t.pk)) AS data FROM tb_tn t $$);
SELECT pg_tviews_create('tn_d', $$ SELECT t.pk, jsonb_build_object(
    'n', (SELECT count(*) FROM tb_tc c WHERE c.fk = t.pk),
    's', (SELECT sum(c.q) FROM tb_tc c WHERE c.fk = t.pk),
    'v', (SELECT count(*) FROM tb_tv v WHERE v.fk = t.pk)) AS data FROM tb_tn t $$,
    mode => 'deferred');
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_tv VALUES (3, 1);
INSERT INTO tb_tc VALUES (201, 1, 4), (202, 2, 6);
UPDATE tb_tc SET fk = 2 WHERE id = 1;
TRUNCATE tb_tv;
INSERT INTO tb_tv VALUES (4, 2);
COMMIT;
SELECT * FROM pg_tviews_check('tn_i');
SELECT * FROM pg_tviews_check('tn_d');
-- The same with a flush between: what was drained before the TRUNCATE is recounted once.
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_tc VALUES (203, 1, 1);
SELECT pg_tviews_flush();
INSERT INTO tb_tv VALUES (5, 1);
DELETE FROM tb_tc WHERE id = 202;
TRUNCATE tb_tv;
INSERT INTO tb_tc VALUES (204, 2, 9);
COMMIT;
SELECT * FROM pg_tviews_check('tn_i');
SELECT * FROM pg_tviews_check('tn_d');
SELECT t.pk, t.data FROM tv_tn_i t ORDER BY 1;
-- A TRUNCATE of the documents' root (whose rows no state counts) leaves the states as they
-- are: rebuilding them would lock the tallied tables against the writers (on a subscriber
-- streaming in parallel, an apply worker holding one waits for the leader: a deadlock).
SELECT string_agg(c.oid::text, ',' ORDER BY c.oid) AS states_before
  FROM pg_class c WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relname LIKE 'tv_tn_%' \gset
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO tb_tc VALUES (205, 1, 3);
TRUNCATE tb_tn;
INSERT INTO tb_tn VALUES (1), (2);
INSERT INTO tb_tc VALUES (206, 2, 1);
SELECT pg_tviews_flush();
SELECT count(*) AS tallied_table_locked FROM pg_locks
 WHERE relation = 'tb_tc'::regclass AND pid = pg_backend_pid() AND mode = 'ShareLock';
COMMIT;
SELECT string_agg(c.oid::text, ',' ORDER BY c.oid) = :'states_before' AS same_states
  FROM pg_class c WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relname LIKE 'tv_tn_%';
SELECT * FROM pg_tviews_check('tn_i');
SELECT * FROM pg_tviews_check('tn_d');
SELECT t.pk, t.data FROM tv_tn_i t ORDER BY 1;
-- A savepoint rolled back that took back none of the tallied table's collected rows (empty,
-- or writing the root only) leaves the states as they are too; one that took some back
-- builds them again.
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE tb_tc SET q = q + 1 WHERE id = 205;
SAVEPOINT a;
SELECT 1 AS nothing;
ROLLBACK TO a;
SAVEPOINT b;
INSERT INTO tb_tn VALUES (3);
ROLLBACK TO b;
INSERT INTO tb_tc VALUES (207, 1, 2);
COMMIT;
SELECT string_agg(c.oid::text, ',' ORDER BY c.oid) = :'states_before' AS same_states
  FROM pg_class c WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relname LIKE 'tv_tn_%';
SELECT * FROM pg_tviews_check('tn_i');
SELECT * FROM pg_tviews_check('tn_d');
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE tb_tc SET q = q + 1 WHERE id = 205;
SAVEPOINT a;
INSERT INTO tb_tc VALUES (208, 2, 5);
ROLLBACK TO a;
COMMIT;
SELECT string_agg(c.oid::text, ',' ORDER BY c.oid) = :'states_before' AS same_states
  FROM pg_class c WHERE c.relnamespace = 'tviews_def'::regnamespace AND c.relname LIKE 'tv_tn_%';
SELECT * FROM pg_tviews_check('tn_i');
SELECT * FROM pg_tviews_check('tn_d');
SELECT t.pk, t.data FROM tv_tn_i t ORDER BY 1;
SELECT pg_tviews_drop('tn_i');
SELECT pg_tviews_drop('tn_d');

-- 16. DDL in a replica session is followed up like anywhere else (pg_tviews' event
-- triggers fire in every session): pg_tviews_drop and DROP TABLE remove the catalog row
-- and the triggers no other TVIEW needs, and changes that would break maintenance are
-- refused.
CREATE TABLE tb_rp (pk int PRIMARY KEY, name text);
CREATE TABLE tb_rc (id int PRIMARY KEY, fk int, q int);
INSERT INTO tb_rp VALUES (1, 'a'), (2, 'b');
INSERT INTO tb_rc VALUES (1, 1, 5);
SELECT pg_tviews_create('rx', $$ SELECT p.pk, jsonb_build_object('name', p.name,
    'n', (SELECT count(*) FROM tb_rc c WHERE c.fk = p.pk)) AS data FROM tb_rp p $$);
SELECT pg_tviews_create('ry', $$ SELECT p.pk, p.name FROM tb_rp p $$);
-- (pg_tviews_reindex exists from PostgreSQL 17 on: counted, not listed.)
SELECT evtname, evtenabled FROM pg_event_trigger WHERE evtname LIKE 'pg_tviews%' AND evtname <> 'pg_tviews_reindex' ORDER BY 1;
SELECT count(*) AS not_always FROM pg_event_trigger WHERE evtname LIKE 'pg_tviews%' AND evtenabled <> 'A';
SET session_replication_role = replica;
SELECT pg_tviews_drop('rx');
DROP TABLE tv_ry;
CREATE TABLE tv_rz AS SELECT p.pk, p.name FROM tb_rp p;
CREATE FUNCTION rs.pass() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER pass BEFORE INSERT ON tv_rz FOR EACH ROW EXECUTE FUNCTION rs.pass();
RESET session_replication_role;
SELECT tview_name FROM pg_tview_meta WHERE tview_name IN ('rx', 'ry', 'rz') ORDER BY 1;
SELECT count(*) AS triggers_left FROM pg_trigger
 WHERE tgrelid IN ('tb_rc'::regclass) AND tgname LIKE 'pgtv%';
INSERT INTO tb_rc VALUES (2, 2, 7);
UPDATE tb_rp SET name = 'c' WHERE pk = 1;
SELECT * FROM pg_tviews_check('rz');
SELECT check_name, ok FROM pg_tviews_health_check() WHERE NOT ok;
SELECT pg_tviews_drop('rz');
-- Should the event triggers be disabled all the same, the health check names what a drop
-- left behind (writes to its sources fail), and says how to remove it.
SELECT pg_tviews_create('rx', $$ SELECT p.pk, jsonb_build_object('name', p.name,
    'n', (SELECT count(*) FROM tb_rc c WHERE c.fk = p.pk)) AS data FROM tb_rp p $$);
SELECT 'tv_rx'::regclass::oid AS rx_oid \gset
ALTER EVENT TRIGGER pg_tviews_sql_drop DISABLE;
DROP TABLE tv_rx;
ALTER EVENT TRIGGER pg_tviews_sql_drop ENABLE ALWAYS;
INSERT INTO tb_rc VALUES (3, 2, 7);
SELECT replace(tview, :'rx_oid', '<oid>') AS tview, check_name, ok,
       replace(detail, :'rx_oid', '<oid>') AS detail
  FROM pg_tviews_health_check() WHERE NOT ok;
SELECT pg_tviews_forget_dropped(ARRAY[:rx_oid]::oid[]);
SELECT count(*) AS health_problems FROM pg_tviews_health_check() WHERE NOT ok;
INSERT INTO tb_rc VALUES (3, 2, 7);
SELECT count(*) AS triggers_left FROM pg_trigger
 WHERE tgrelid IN ('tb_rp'::regclass, 'tb_rc'::regclass) AND tgname LIKE 'pgtv%';

DROP SCHEMA rs CASCADE;
DROP OWNED BY rs_creator;
DROP ROLE rs_creator;
