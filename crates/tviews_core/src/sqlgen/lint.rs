//! Test-only proof that generated SQL can be run on anyone's behalf: every statement the
//! generators produce is parsed by PostgreSQL's own grammar (the `pg_query` crate) and every
//! name that PostgreSQL would look up through `search_path` (functions, aggregates,
//! operators, types, collations) must be schema-qualified. Constructs that look an operator
//! up implicitly and cannot be qualified (`IS DISTINCT FROM`, `NULLIF`, `IN (...)`, `LIKE`,
//! `BETWEEN`, `CASE x WHEN`, `JOIN ... USING`) are refused outright.
//!
//! Maintenance also runs under a restricted search_path (`pg_catalog, pg_temp`), so either
//! defence alone closes the hole; this test keeps the first one from eroding.

use serde_json::Value;

/// The reasons `sql` could resolve a name through search_path; empty when it cannot.
pub fn unqualified_names(sql: &str) -> Vec<String> {
    let parsed = match pg_query::parse(sql, pg_query::ParserOptions::DEFAULT) {
        Ok(p) => p,
        Err(e) => return vec![format!("does not parse: {e}")],
    };
    let tree = serde_json::to_value(&parsed.protobuf).expect("a parse tree serializes");
    let mut problems = Vec::new();
    walk(&tree, &mut problems);
    problems
}

/// The strings of a name list (`[{"String": {"sval": "pg_catalog"}}, ...]`).
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|n| n.pointer("/node/String/sval").or(n.pointer("/String/sval")))
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn require_qualified(what: &str, list: &Value, problems: &mut Vec<String>) {
    let n = names(list);
    if n.len() < 2 {
        problems.push(format!("unqualified {what} {}", n.join(".")));
    }
}

fn walk(v: &Value, problems: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, problems)),
        Value::Object(map) => {
            for (k, inner) in map {
                match k.as_str() {
                    "FuncCall" => require_qualified("function", &inner["funcname"], problems),
                    "AExpr" => {
                        // AEXPR_OP, AEXPR_OP_ANY and AEXPR_OP_ALL name their operator; every
                        // other kind looks `=` or another operator up by itself.
                        match inner["kind"].as_i64().unwrap_or(0) {
                            1..=3 => require_qualified("operator", &inner["name"], problems),
                            kind => problems.push(format!(
                                "construct that looks up an operator implicitly (A_Expr kind {kind}, operator {})",
                                names(&inner["name"]).join(".")
                            )),
                        }
                    }
                    "type_name" | "TypeName" if inner.is_object() => {
                        require_qualified("type", &inner["names"], problems)
                    }
                    "SubLink" if !names(&inner["oper_name"]).is_empty() => {
                        require_qualified("operator", &inner["oper_name"], problems)
                    }
                    "SortBy" if !names(&inner["use_op"]).is_empty() => {
                        require_qualified("operator", &inner["use_op"], problems)
                    }
                    "CollateClause" => require_qualified("collation", &inner["collname"], problems),
                    "CaseExpr" if !inner["arg"].is_null() => {
                        problems.push("CASE x WHEN ... (looks up = implicitly)".into())
                    }
                    "JoinExpr"
                        if inner["using_clause"]
                            .as_array()
                            .is_some_and(|u| !u.is_empty()) =>
                    {
                        problems.push("JOIN ... USING (looks up = implicitly)".into())
                    }
                    "CreateTrigStmt" => {
                        require_qualified("trigger function", &inner["funcname"], problems)
                    }
                    _ => {}
                }
                walk(inner, problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lint_finds_what_search_path_could_steer() {
        assert!(unqualified_names("SELECT pg_catalog.count(*) FROM \"s\".\"t\"").is_empty());
        for (sql, needle) in [
            ("SELECT count(*) FROM t", "function count"),
            ("SELECT 1 WHERE a = b", "operator ="),
            ("SELECT x::text", "type text"),
            ("SELECT 1 WHERE a IS DISTINCT FROM b", "implicitly"),
            ("SELECT 1 WHERE a IN (1, 2)", "implicitly"),
            ("SELECT 1 FROM a JOIN b USING (x)", "USING"),
            ("SELECT 1 WHERE a = ANY (SELECT 1)", "operator ="),
            ("SELECT CASE a WHEN 1 THEN 2 END", "CASE"),
            ("SELECT 'a' COLLATE \"C\"", "collation"),
        ] {
            let found = unqualified_names(sql);
            assert!(found.iter().any(|p| p.contains(needle)), "{sql}: {found:?}");
        }
        // Built-in type syntax is qualified by the grammar itself.
        assert!(unqualified_names("SELECT 1::integer").is_empty());
    }
}

#[cfg(test)]
mod every_statement {
    use super::unqualified_names;
    use crate::model::DefinitionModel;
    use crate::plan::plan;
    use crate::sqlgen::keys::{
        capture_query, delta_columns, key_query, replay_key_query, Capture, ColumnType, Event,
    };
    use crate::sqlgen::patch::tests::{category_patch, price_patch, target};
    use crate::sqlgen::patch::{change_query, patch_keys_statement, patch_statement};
    use crate::sqlgen::refresh::{differing_keys, fill, refresh_all, refresh_keys};

    /// Every statement the generators produce for the test models, each kind at least once.
    fn statements() -> Vec<String> {
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        let mut out = Vec::new();
        let cols = vec!["pk_product".to_string(), "data".to_string()];
        for sp in &p.sources {
            for e in [Event::Insert, Event::Update, Event::Delete] {
                out.extend(key_query(&m, &p, sp, e, &target(&cols)));
                let types =
                    vec![ColumnType::from("pg_catalog.int4"); delta_columns(&m, &p, sp).len()];
                out.extend(capture_query(&m, &p, sp, e, &types));
                // The same columns as enums (captured as their pg_enum rows' OIDs).
                let enums = vec![
                    ColumnType {
                        sql: "public.mood".into(),
                        capture: Capture::EnumOid
                    };
                    delta_columns(&m, &p, sp).len()
                ];
                out.extend(capture_query(&m, &p, sp, e, &enums));
                out.extend(replay_key_query(&m, &p, sp, &enums, &target(&cols)));
            }
            let types = vec![ColumnType::from("pg_catalog.int4"); delta_columns(&m, &p, sp).len()];
            out.extend(replay_key_query(&m, &p, sp, &types, &target(&cols)));
        }
        // A key drawn from two tables.
        let (m, key_cols) = DefinitionModel::posts_and_tags();
        let p = plan(&m).unwrap();
        let spanning = crate::sqlgen::refresh::tests::spanning_target(&key_cols);
        for sp in &p.sources {
            for e in [Event::Insert, Event::Update, Event::Delete] {
                out.extend(key_query(&m, &p, sp, e, &spanning));
                let types =
                    vec![ColumnType::from("pg_catalog.int4"); delta_columns(&m, &p, sp).len()];
                out.extend(capture_query(&m, &p, sp, e, &types));
            }
            let types = vec![ColumnType::from("pg_catalog.int4"); delta_columns(&m, &p, sp).len()];
            out.extend(replay_key_query(&m, &p, sp, &types, &spanning));
        }
        let t = target(&cols);
        out.extend([
            refresh_keys(&t),
            refresh_all(&t),
            fill(&t),
            differing_keys(&t),
        ]);
        for mut patch in [price_patch(), category_patch()] {
            // The values are PostgreSQL's deparsed expressions; here, qualified stand-ins.
            for d in &mut patch.documents {
                for k in &mut d.keys {
                    k.value_sql = format!("pg_catalog.upper({}::pg_catalog.text)", k.key.len());
                }
            }
            out.push(change_query(&patch));
            out.push(patch_statement(&patch, &t));
            out.push(patch_keys_statement(&patch, &t));
        }
        out
    }

    #[test]
    fn every_generated_statement_names_only_qualified_objects() {
        let all = statements();
        assert!(all.len() >= 20, "{} statements", all.len());
        for sql in &all {
            let problems = unqualified_names(sql);
            assert!(problems.is_empty(), "{problems:?} in\n{sql}");
        }
    }
}
