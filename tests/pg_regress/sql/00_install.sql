-- Both extensions install into a fresh PostgreSQL 17 database.
CREATE EXTENSION jsonb_ivm;
CREATE EXTENSION pg_tviews;

SELECT extname, extversion
  FROM pg_extension
 WHERE extname IN ('jsonb_ivm', 'pg_tviews')
 ORDER BY extname;

-- Every object an extension creates carries a COMMENT: this lists the ones that do not
-- (a table's row type and array types share the table's comment).
SELECT e.extname, pg_describe_object(d.classid, d.objid, d.objsubid) AS object
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.deptype = 'e'
   AND e.extname IN ('jsonb_ivm', 'pg_tviews')
   AND NOT EXISTS (SELECT 1 FROM pg_description c
                    WHERE c.objoid = d.objid AND c.classoid = d.classid AND c.objsubid = 0)
   AND NOT (d.classid = 'pg_type'::regclass
            AND EXISTS (SELECT 1 FROM pg_type t
                         WHERE t.oid = d.objid AND (t.typrelid <> 0 OR t.typcategory = 'A')))
 ORDER BY 1, 2;
