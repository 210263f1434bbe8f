//! Identifiers out of documents.
//!
//! `jsonb_extract_id` is the one function written in SQL: it is a single key lookup, and an
//! inlined SQL function *is* the native expression, while any C call costs more than the
//! lookup itself (measured: about 0.3 µs of call overhead against 0.1 µs for `d->>'id'` on a
//! 1 KB document). The planner inlines it, so it runs at native speed with our semantics
//! (strings and numbers only, numbers exactly as jsonb prints them). The Rust core keeps the
//! same operation (`jsonb_ivm_core::ops::extract_id`) for callers inside the extensions.
//! It is not declared STRICT (the planner does not inline a STRICT function whose body it
//! cannot prove strict), but NULL in still gives NULL out.

use pgrx::prelude::*;

extension_sql!(
    r#"
CREATE FUNCTION jsonb_extract_id(data jsonb, key text DEFAULT 'id') RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(data -> key) IN ('string', 'number') THEN data ->> key END;

COMMENT ON FUNCTION jsonb_extract_id(jsonb, text) IS
'The value of key (default ''id'') in the object data, as text: a string''s content or a number''s text exactly as jsonb prints it. NULL when data is not an object, the key is absent, or its value is neither a string nor a number.';
"#,
    name = "extract_id"
);
