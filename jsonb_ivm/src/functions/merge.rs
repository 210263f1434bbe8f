//! Object merges.

use pgrx::prelude::*;

use crate::datum::{Jsonb, JsonbOut};
use crate::error::raise;

/// `target || source` for two objects, without rebuilding the unchanged values.
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonb_merge_shallow(target: Jsonb, source: Jsonb) -> JsonbOut {
    let node = jsonb_ivm_core::ops::merge_shallow(&target.root(), &source.root())
        .unwrap_or_else(|e| raise(e));
    JsonbOut::encode(&node)
}

extension_sql!(
    r#"
COMMENT ON FUNCTION jsonb_merge_shallow(jsonb, jsonb) IS
'Shallow merge of two objects: every top-level key of source replaces or adds that key in target (like target || source). Both must be objects.';
"#,
    name = "comment_merge",
    requires = [jsonb_merge_shallow]
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn merge_shallow_equals_the_concatenation_operator() {
        let same = Spi::get_one::<bool>(
            r#"SELECT jsonb_merge_shallow(t, s) = t || s
                 FROM (VALUES ('{"a":1,"b":{"x":1},"price":10.50}'::jsonb, '{"b":2,"c":[1,2]}'::jsonb)) v(t, s)"#,
        );
        assert_eq!(same, Ok(Some(true)));
    }

    #[pg_test]
    fn merge_shallow_produces_the_same_bytes_as_postgres() {
        // jsonb_send emits a version byte then the text form; comparing the datums' raw bytes
        // needs a binary-coercible cast, which bytea does not offer for jsonb. Instead compare
        // the text of both and their pg_column_size, which would differ on any layout slip.
        let row = Spi::get_two::<bool, bool>(
            r#"SELECT jsonb_merge_shallow(t, s)::text = (t || s)::text,
                      pg_column_size(jsonb_merge_shallow(t, s)) = pg_column_size(t || s)
                 FROM (SELECT jsonb_object_agg('k' || g, g * 1.5) AS t FROM generate_series(1, 100) g) a,
                      (VALUES ('{"k7": "seven", "zz": null}'::jsonb)) v(s)"#,
        );
        assert_eq!(row, Ok((Some(true), Some(true))));
    }

    #[pg_test(error = "source must be an object, not array")]
    fn merge_shallow_refuses_an_array() {
        Spi::run("SELECT jsonb_merge_shallow('{}', '[1]')").unwrap();
    }
}
