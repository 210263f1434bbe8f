-- jsonb_ivm 0.1.0 -> 0.1.1 (ALTER EXTENSION jsonb_ivm UPDATE).
--
-- Every upgrade script brings the objects of the previous released version to exactly what a
-- fresh CREATE EXTENSION of the new version makes; scripts/ops_test.sh (upgrade) proves it by
-- comparing the two databases' fingerprints (sql/ops/fingerprint.sql).
\echo Use "ALTER EXTENSION jsonb_ivm UPDATE" to load this file. \quit
