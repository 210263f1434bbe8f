-- TVIEWs whose columns are of domains that forbid NULL, shown from the nullable side of
-- outer joins, from subqueries without rows and as arrays with NULL elements: the rows that
-- a restore must load (scripts/ops_test.sh, step backup). dom.writes(n) changes the sources
-- n times, rows of every kind.
CREATE SCHEMA dom;
SET search_path = dom, public;
CREATE DOMAIN code AS text NOT NULL;
CREATE DOMAIN present AS int CHECK (VALUE IS NOT NULL);
CREATE DOMAIN ident AS int NOT NULL CHECK (VALUE > 0);
CREATE TABLE tb_owner (id ident PRIMARY KEY, name code);
CREATE TABLE tb_item (id int PRIMARY KEY, owner ident, label code, qty present);
CREATE INDEX ON tb_item (owner);
INSERT INTO tb_owner SELECT g, 'owner ' || g FROM generate_series(1, 20) g;
INSERT INTO tb_item SELECT g, 1 + g % 30, 'item ' || g, g % 7 FROM generate_series(1, 40) g;

SELECT pg_tviews_create('dom.owner_items', $$
    SELECT o.id, o.name, i.label, i.qty,
           (SELECT array_agg(i2.label ORDER BY i2.id) FROM tb_owner o2
              LEFT JOIN tb_item i2 ON i2.owner = o2.id WHERE o2.id = o.id) AS labels,
           (SELECT i3.label FROM tb_item i3 WHERE i3.owner = o.id AND i3.qty > 5 ORDER BY i3.id LIMIT 1) AS big
      FROM tb_owner o LEFT JOIN tb_item i ON i.owner = o.id $$);
SELECT pg_tviews_create('dom.label_counts', $$
    SELECT o.name, count(i.id) AS items, sum(i.qty) AS qty
      FROM tb_item i FULL JOIN tb_owner o ON o.id = i.owner GROUP BY o.name $$,
    mode => 'deferred');

CREATE FUNCTION writes(n int) RETURNS void LANGUAGE plpgsql SET search_path = dom, public AS $$
BEGIN
    FOR r IN 1..n LOOP
        INSERT INTO tb_item SELECT max(id) + 1, 1 + r % 25, 'new ' || r, r % 9 FROM tb_item;
        UPDATE tb_item SET owner = 1 + (owner + r) % 35 WHERE id % 11 = r % 11;
        UPDATE tb_owner SET name = 'owner ' || id || '.' || r WHERE id % 5 = r % 5;
        DELETE FROM tb_item WHERE id IN (SELECT id FROM tb_item ORDER BY id LIMIT 1);
        IF r % 3 = 0 THEN
            INSERT INTO tb_owner SELECT max(id) + 1, 'late ' || r FROM tb_owner;
        END IF;
    END LOOP;
END $$;
RESET search_path;
