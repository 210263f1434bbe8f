-- More shapes for the randomized oracle (tests/oracle/random_workload.sql, loaded first):
-- TVIEWs whose key is several columns, which need the 0.2.0 catalog (the ops upgrade test
-- loads the workload into released versions, and this file after the update).
SET search_path = rnd, public;

-- Shape 6: keys of several columns: the product-tag link's composite key (the products' and
-- tags' keys, read through the link's foreign keys) and a GROUP BY pair.
SELECT pg_tviews_create('tagging', $$
    SELECT p.pk_prod, t.pk_tag,
           jsonb_build_object('product', p.name, 'tag', t.label, 'price', p.price) AS data
      FROM tb_prod p JOIN tb_prod_tag pt ON pt.fk_prod = p.pk_prod
      JOIN tb_tag t ON t.pk_tag = pt.fk_tag $$);
SELECT pg_tviews_create('rev_grid', $$
    SELECT r.fk_prod, r.rating, count(*) AS n, max(r.created) AS latest
      FROM tb_rev r GROUP BY r.fk_prod, r.rating $$);

-- Shape 7: a key drawn from two tables: products and the suppliers of their category, keyed
-- by the pair of their keys (no table holds both), the category's name looked up.
SELECT pg_tviews_create('prod_sup', $$
    SELECT p.pk_prod, s.pk_sup, p.name || ' / ' || s.name || ' / ' || c.name AS pair
      FROM tb_prod p JOIN tb_sup s ON s.fk_cat = p.fk_cat
      JOIN tb_cat c ON c.pk_cat = p.fk_cat $$);

-- Shape 9: rows no shown column identifies (bags): keyed by the primary keys of the tables
-- they come from, added as hidden columns. Reviews shown with their product's price (the
-- review's key alone), products paired with their category's suppliers (both keys), and
-- products with their reviews over a LEFT JOIN (both keys, the review's NULL for a product
-- without reviews).
SELECT pg_tviews_create('rev_bag', $$
    SELECT r.rating, p.price, p.fk_cat FROM tb_rev r JOIN tb_prod p ON p.pk_prod = r.fk_prod $$);
SELECT pg_tviews_create('prod_sup_bag', $$
    SELECT p.price, s.name FROM tb_prod p JOIN tb_sup s ON s.fk_cat = p.fk_cat $$);
SELECT pg_tviews_create('prod_rev_bag', $$
    SELECT p.name, r.rating FROM tb_prod p LEFT JOIN tb_rev r ON r.fk_prod = p.pk_prod $$);

-- Shape 10: outer joins beside other tables and nested, keyed by the keys of the tables that
-- multiply the rows, NULL where an outer join finds no match: categories with their products,
-- the well-rated reviews of those (a filter in the ON) and their votes (three outer joins);
-- products of their category with the voted reviews (a LEFT JOIN of an inner join).
SELECT pg_tviews_create('cat_rev_vote_bag', $$
    SELECT c.name, p.price, r.rating, v.up FROM tb_cat c
      LEFT JOIN tb_prod p ON p.fk_cat = c.pk_cat
      LEFT JOIN tb_rev r ON r.fk_prod = p.pk_prod AND r.rating > 2
      LEFT JOIN tb_vote v ON v.fk_rev = r.pk_rev $$);
SELECT pg_tviews_create('prod_voted_bag', $$
    SELECT p.name, c.active, v.up FROM tb_prod p JOIN tb_cat c ON c.pk_cat = p.fk_cat
      LEFT JOIN (tb_rev r JOIN tb_vote v ON v.fk_rev = r.pk_rev) ON r.fk_prod = p.pk_prod $$);

-- Shape 11: a join on IS NOT DISTINCT FROM (NULL meets NULL): products paired with the other
-- products of their supplier, those without a supplier paired with each other.
SELECT pg_tviews_create('same_sup_bag', $$
    SELECT p.name, q.price FROM tb_prod p
      JOIN tb_prod q ON q.fk_sup IS NOT DISTINCT FROM p.fk_sup AND q.pk_prod <> p.pk_prod $$);
