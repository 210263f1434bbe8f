//! Identifiers out of documents.

use pgrx::prelude::*;

use crate::datum::Jsonb;
use crate::error::raise;

/// The value of `key` in `data` as text (a string's content, a number's text), or NULL.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_extract_id(data: Jsonb, key: default!(&str, "'id'")) -> Option<String> {
    jsonb_ivm_core::ops::extract_id(&data.root(), key).unwrap_or_else(|e| raise(e))
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_extract_id(jsonb, text) IS
'The value of key (default ''id'') in the object data, as text: a string''s content or a number''s text. NULL when data is not an object, the key is absent, or its value is neither a string nor a number.';
"#,
    name = "comment_extract",
    requires = [jsonb_extract_id]
);
