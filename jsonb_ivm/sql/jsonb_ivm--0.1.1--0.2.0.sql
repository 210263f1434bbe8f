-- jsonb_ivm 0.1.1 -> 0.2.0 (ALTER EXTENSION jsonb_ivm UPDATE): no change to the SQL objects;
-- the version follows the workspace's.
\echo Use "ALTER EXTENSION jsonb_ivm UPDATE" to load this file. \quit
