-- Everything an extension's install script creates, one line per object, in a stable order:
-- what `CREATE EXTENSION x` makes and what `ALTER EXTENSION x UPDATE` leaves must print the
-- same lines. Usage: psql -v ext=pg_tviews -f sql/ops/fingerprint.sql
\set ON_ERROR_STOP 1
\pset format unaligned
\pset pager off
\pset tuples_only on
WITH ext AS (
    SELECT oid FROM pg_extension WHERE extname = :'ext'
), member AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || E'\n    ' ||
       coalesce(CASE m.classid
           WHEN 'pg_proc'::regclass THEN (
               SELECT CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                           ELSE p.prokind::text || ' ' || p.prosrc END
                      || ' acl=' || coalesce(p.proacl::text, '-')
                 FROM pg_proc p WHERE p.oid = m.objid)
           WHEN 'pg_class'::regclass THEN (
               SELECT c.relkind::text || ' acl=' || coalesce(c.relacl::text, '-') || ' cols=' ||
                      coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                                  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                                  || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                                                  || coalesce(' -- ' || col_description(c.oid, a.attnum), ''),
                                                  ', ' ORDER BY a.attnum)
                                  FROM pg_attribute a
                                  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
                      || ' constraints=' ||
                      coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY pg_get_constraintdef(k.oid))
                                  FROM pg_constraint k WHERE k.conrelid = c.oid), '')
                      || ' indexes=' ||
                      coalesce((SELECT string_agg(regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \S+ ', 'INDEX '), '; '
                                                  ORDER BY pg_get_indexdef(i.indexrelid))
                                  FROM pg_index i WHERE i.indrelid = c.oid), '')
                      || CASE WHEN c.relkind = 'v' THEN ' view=' || pg_get_viewdef(c.oid) ELSE '' END
                      || ' triggers=' ||
                      coalesce((SELECT string_agg(pg_get_triggerdef(t.oid), '; ' ORDER BY t.tgname)
                                  FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
                 FROM pg_class c WHERE c.oid = m.objid)
           WHEN 'pg_type'::regclass THEN (
               SELECT t.typtype::text || ' ' || t.typcategory::text || ' ' ||
                      coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                  FROM pg_enum e WHERE e.enumtypid = t.oid), '')
                 FROM pg_type t WHERE t.oid = m.objid)
           WHEN 'pg_event_trigger'::regclass THEN (
               SELECT e.evtevent || ' ' || e.evtfoid::regprocedure || ' ' || e.evtenabled::text || ' ' ||
                      coalesce(e.evttags::text, '')
                 FROM pg_event_trigger e WHERE e.oid = m.objid)
           WHEN 'pg_namespace'::regclass THEN (
               SELECT 'acl=' || coalesce(n.nspacl::text, '-') FROM pg_namespace n WHERE n.oid = m.objid)
           ELSE ''
       END, '') ||
       coalesce(E'\n    comment: ' || obj_description(m.objid, m.classid::regclass::text), '')
  FROM member m
 ORDER BY 1;
