-- Shape 4: GROUP BY the root key over LEFT JOINs to children, with jsonb_agg ... FILTER.
CREATE SCHEMA shape4;
SET search_path = shape4, public;

CREATE TABLE tb_article (pk_article int PRIMARY KEY, title text NOT NULL);
CREATE TABLE tb_tag     (pk_tag int PRIMARY KEY, label text NOT NULL);
CREATE TABLE tb_article_tag (fk_article int REFERENCES tb_article, fk_tag int REFERENCES tb_tag,
                             PRIMARY KEY (fk_article, fk_tag));

INSERT INTO tb_article VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO tb_tag VALUES (10, 'red'), (11, 'green'), (12, 'blue');
INSERT INTO tb_article_tag VALUES (1, 10), (1, 11), (2, 12);

SELECT pg_tviews_create('article', $$
    SELECT a.pk_article,
           jsonb_build_object(
               'title', a.title,
               'tags', coalesce(jsonb_agg(t.label ORDER BY t.label) FILTER (WHERE t.pk_tag IS NOT NULL), '[]'),
               'tag_count', count(t.pk_tag)) AS data
      FROM tb_article a
      LEFT JOIN tb_article_tag at ON at.fk_article = a.pk_article
      LEFT JOIN tb_tag t ON t.pk_tag = at.fk_tag
     GROUP BY a.pk_article
$$);
SELECT * FROM tv_article ORDER BY 1;

UPDATE tb_tag SET label = 'crimson' WHERE pk_tag = 10;
INSERT INTO tb_article_tag VALUES (3, 10), (3, 12);
DELETE FROM tb_article_tag WHERE fk_article = 1 AND fk_tag = 11;
UPDATE tb_article_tag SET fk_article = 1 WHERE fk_article = 2;
SELECT * FROM tv_article ORDER BY 1;
SELECT * FROM pg_tviews_check('article');

-- INSERT ... ON CONFLICT fires both the insert and the update path.
INSERT INTO tb_tag VALUES (10, 'scarlet'), (13, 'teal')
    ON CONFLICT (pk_tag) DO UPDATE SET label = excluded.label;
INSERT INTO tb_article_tag VALUES (2, 13);
SELECT * FROM tv_article ORDER BY 1;
SELECT * FROM pg_tviews_check('article');

RESET search_path;
