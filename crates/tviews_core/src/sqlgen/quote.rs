//! Identifier quoting. Every identifier is double-quoted, so case, spaces, quotes and
//! keywords all survive; an embedded quote is doubled.

use crate::model::{OperatorRef, TableRef};

/// `"name"`, with `"` doubled.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

pub fn table(t: &TableRef) -> String {
    qualified(&t.schema, &t.name)
}

/// `OPERATOR("schema".=)`: the operator's name, whatever the search_path.
pub fn operator(op: &OperatorRef) -> String {
    format!("OPERATOR({}.{})", quote_ident(&op.schema), op.name)
}

/// `lhs::L OPERATOR("schema".op) rhs::R`: the operator applied with its operands cast to its
/// declared types, so that it is the one resolution picks (see [`OperatorRef`]). A cast to
/// the type an operand already has is dropped by the parser and costs nothing.
pub fn compare(lhs: &str, op: &OperatorRef, rhs: &str) -> String {
    format!("{lhs}::{} {} {rhs}::{}", op.left, operator(op), op.right)
}

/// A text literal that reads the same whatever standard_conforming_strings says: an escape
/// string (`E'...'`) always treats a backslash as an escape, so backslashes and quotes are
/// doubled.
pub fn literal(s: &str) -> String {
    format!(
        "E'{}'::pg_catalog.text",
        s.replace('\\', "\\\\").replace('\'', "''")
    )
}

/// A `text[]` literal of `items` (see [`literal`]).
pub fn literal_array(items: &[&str]) -> String {
    let parts: Vec<String> = items.iter().map(|i| literal(i)).collect();
    format!("ARRAY[{}]::pg_catalog.text[]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_everything_and_doubles_quotes() {
        assert_eq!(quote_ident("tb_post"), "\"tb_post\"");
        assert_eq!(quote_ident("My \"Odd\" Name"), "\"My \"\"Odd\"\" Name\"");
        assert_eq!(qualified("app", "select"), "\"app\".\"select\"");
    }
}
