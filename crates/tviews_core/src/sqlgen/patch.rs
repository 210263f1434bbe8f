//! The fast path: an UPDATE of a source whose changed columns feed only some keys of the
//! documents patches those keys in the stored documents instead of recomputing them, and an
//! UPDATE that changes no column the definition reads does nothing at all.
//!
//! It applies to a source table that occurs once in the definition, at its top level, as the
//! key's table (the root) or as a lookup joined to it by one condition, and to document
//! columns built by a top-level `jsonb_build_object` with constant keys. The shell decides
//! which values qualify (those reading only that table's columns, without subqueries) and
//! which of the table's columns are read anywhere else (`guarded`: joins, filters, other
//! columns). Per statement, [`change_query`] pairs old and new rows by the table's primary key
//! and says which kind of column changed:
//!
//! * a guarded column changed, or rows could not be paired: recompute, as without this path;
//! * only patchable columns changed: [`patch_statement`] sets, for the documents of the
//!   changed rows, each key those rows feed to its value from the row as it is now (another
//!   trigger may have written it again since): `doc || jsonb_build_object(k, v)`. A jsonb
//!   object is stored canonically (keys sorted, no duplicates), so the result has exactly
//!   the bytes `jsonb_build_object` gives when it recomputes the whole document from the
//!   same rows; the oracle compares text forms to prove it;
//! * nothing the definition reads changed: nothing to do.

use super::quote::{compare, literal, quote_ident, table};
use super::refresh::RefreshTarget;
use super::{TRANSITION_NEW, TRANSITION_OLD};
use crate::model::{EqColumn, OperatorRef, TableRef};

/// How documents find the changed rows of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The source is the key's table: a row's `key_column` is its document's key.
    Root { key_column: String },
    /// The source is a lookup joined to the root by `root.root_column OP source.source_column`
    /// (operands in that order when `root_is_left`); the documents are those of the root rows
    /// it joins, keyed by `root.key_column`.
    Lookup {
        root: TableRef,
        key_column: String,
        root_column: String,
        source_column: String,
        operator: Box<OperatorRef>,
        root_is_left: bool,
    },
}

impl Via {
    /// The rows of the source, `rows` (SQL of a FROM item naming them `n`), with what reaches
    /// their documents: the FROM list, and the key of each row's document as SQL over it.
    fn documents_of(&self, rows: &str) -> (String, String) {
        match self {
            Via::Root { key_column } => {
                (rows.to_string(), format!("n.{}", quote_ident(key_column)))
            }
            Via::Lookup {
                root,
                key_column,
                root_column,
                source_column,
                operator: op,
                root_is_left,
            } => {
                let (r, s) = (
                    format!("r.{}", quote_ident(root_column)),
                    format!("n.{}", quote_ident(source_column)),
                );
                let (l, rr) = if *root_is_left { (r, s) } else { (s, r) };
                // ONLY: a root read with ONLY may have children (whose rows are no
                // documents); one read without has none (pg_tviews refuses them).
                (
                    format!(
                        "{rows} JOIN ONLY {} AS r ON {}",
                        table(root),
                        compare(&l, op, &rr)
                    ),
                    format!("r.{}", quote_ident(key_column)),
                )
            }
        }
    }
}

/// One document key fed by the source: its name and its value as SQL over the new row `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value_sql: String,
}

/// Keys of one document column that the source feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPatch {
    pub column: String,
    pub keys: Vec<KeyValue>,
}

impl DocumentPatch {
    /// `jsonb_build_object(key, (value), ...)` of the keys: what `||` sets into the column.
    fn object(&self) -> String {
        let pairs: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{}, ({})", literal(&k.key), k.value_sql))
            .collect();
        format!("pg_catalog.jsonb_build_object({})", pairs.join(", "))
    }
}

/// Everything the fast path needs for one source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchSource {
    pub table: TableRef,
    /// The table's primary key columns: old and new rows are paired on them.
    pub identity: Vec<EqColumn>,
    /// Columns read only inside patchable values.
    pub patchable: Vec<String>,
    /// Columns read anywhere else in the definition: a change recomputes.
    pub guarded: Vec<String>,
    pub via: Via,
    pub documents: Vec<DocumentPatch>,
}

/// A source read only inside some document keys' values: correlated subqueries over it (a
/// child's count, average or latest rows), in values that read nothing else of the
/// definition's own level but the root row. Its changes recompute those keys of the
/// documents they reach, from the root row, instead of the whole definition (the joins to
/// other tables, the other keys): a *partial recompute*. The documents are found by the key
/// query as for a recompute, under the same locks; which documents exist does not depend on
/// the source, so the keys are set in the documents that exist and no row is added or
/// removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialSource {
    pub table: TableRef,
    /// The key's table, read as `r`, without its inheritance children when the definition
    /// reads it with `ONLY` (`root_only`).
    pub root: TableRef,
    pub root_only: bool,
    /// The root's column that is the TVIEW's key (unique in the root table on its own).
    pub key_column: String,
    /// The keys whose values read the source, each as SQL over the root row `r`.
    pub documents: Vec<DocumentPatch>,
    /// The state tables the values read their kept aggregates from (empty when
    /// they scan the source; see `sqlgen::tally`): each statement on the source adds its
    /// rows to them before the keys are recomputed.
    pub tallies: Vec<super::tally::TallyGroup>,
}

/// What a statement changed, as [`change_query`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Recompute the affected documents (guarded columns changed, or rows not paired).
    Recompute,
    /// Patch the documents of the rows whose patchable columns changed.
    Patch,
    /// Nothing the definition reads changed.
    Nothing,
}

impl Change {
    /// From the three booleans of [`change_query`]: (paired, guarded changed, patchable changed).
    pub fn from_flags(paired: bool, guarded: bool, patchable: bool) -> Change {
        if !paired || guarded {
            Change::Recompute
        } else if patchable {
            Change::Patch
        } else {
            Change::Nothing
        }
    }
}

fn row(alias: &str, columns: &[String]) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("{alias}.{}", quote_ident(c)))
        .collect();
    format!("ROW({})::pg_catalog.record", cols.join(", "))
}

/// `ROW(o.c, ...) *<> ROW(n.c, ...)`, or `false` without columns: old and new values compared
/// by their binary images, NULLs included. No setting can hide a change this way (a text
/// form depends on extra_float_digits, DateStyle, ...), a value whose type has no equality
/// still compares, and a change that keeps the value equal but not identical (`1.0` to
/// `1.00`, `0` to `-0`) counts as a change.
fn changed(columns: &[String]) -> String {
    if columns.is_empty() {
        "false".into()
    } else {
        format!(
            "{} OPERATOR(pg_catalog.*<>) {}",
            row("o", columns),
            row("n", columns)
        )
    }
}

fn paired_rows(p: &PatchSource) -> String {
    let on: Vec<String> = p
        .identity
        .iter()
        .map(|c| {
            let name = quote_ident(&c.name);
            compare(&format!("o.{name}"), &c.eq, &format!("n.{name}"))
        })
        .collect();
    format!(
        "{} AS n JOIN {} AS o ON {}",
        quote_ident(TRANSITION_NEW),
        quote_ident(TRANSITION_OLD),
        on.join(" AND ")
    )
}

/// Over an UPDATE's transition tables: `(paired, guarded_changed, patchable_changed)`.
pub fn change_query(p: &PatchSource) -> String {
    format!(
        "SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) (SELECT pg_catalog.count(*) FROM {new}), \
                coalesce(pg_catalog.bool_or({guarded}), false), \
                coalesce(pg_catalog.bool_or({patchable}), false) \
           FROM {pairs}",
        new = quote_ident(TRANSITION_NEW),
        guarded = changed(&p.guarded),
        patchable = changed(&p.patchable),
        pairs = paired_rows(p),
    )
}

/// The changed rows as they are now (`n`, the source's own rows), with their old images
/// (`o`), paired by the table's primary key through the statement's new images (`s`). Not
/// the new images themselves: a trigger that fired before this maintenance (an AFTER
/// trigger on another TVIEW's table, in the same trigger queue) may have written the same
/// rows again, and its own maintenance has already set their documents from those later
/// values; a row it deleted has no document of this statement's to patch.
fn current_rows(p: &PatchSource) -> String {
    let same = |a: &str, b: &str| -> String {
        p.identity
            .iter()
            .map(|c| {
                let name = quote_ident(&c.name);
                compare(&format!("{a}.{name}"), &c.eq, &format!("{b}.{name}"))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    format!(
        "{} AS s JOIN {} AS o ON {} JOIN ONLY {} AS n ON {}",
        quote_ident(TRANSITION_NEW),
        quote_ident(TRANSITION_OLD),
        same("o", "s"),
        table(&p.table),
        same("n", "s"),
    )
}

/// The UPDATE patching the documents of the changed rows, from those rows as they are now
/// (see [`current_rows`]). `t` names the TVIEW's table.
pub fn patch_statement(p: &PatchSource, t: &RefreshTarget<'_>) -> String {
    let sets: Vec<String> = p
        .documents
        .iter()
        .map(|d| {
            let col = quote_ident(&d.column);
            format!("{col} = t.{col} OPERATOR(pg_catalog.||) {}", d.object())
        })
        .collect();
    let key = t.key_of("t");
    let (from, key_of_row) = p.via.documents_of(&current_rows(p));
    format!(
        "UPDATE {table} AS t SET {sets} FROM {from} WHERE {matches} AND {changed}",
        table = super::qualified(t.table.0, t.table.1),
        sets = sets.join(", "),
        matches = t.same_key(&key, &key_of_row),
        changed = changed(&p.patchable),
    )
}

/// The UPDATE recomputing, for the documents whose keys are in `$1` (an array of the key
/// type), the keys `p` names: from the root rows of those keys, set into the stored
/// documents (`doc || jsonb_build_object(k, v, ...)`, the bytes a whole recompute gives, as
/// for [`patch_statement`]). A document whose keys come out identical is not written.
pub fn partial_statement(p: &PartialSource, t: &RefreshTarget<'_>) -> String {
    let from = format!(
        "{}{} AS r",
        if p.root_only { "ONLY " } else { "" },
        table(&p.root)
    );
    keyed_patch(
        t,
        &format!("r.{}", quote_ident(&p.key_column)),
        &from,
        &p.documents,
    )
}

/// Deferred mode's fast path, at commit: the UPDATE setting, for the documents whose keys are
/// in `$1`, the keys `p` patches to their values over the source's rows as they are now (an
/// UPDATE changing only patchable columns queued those keys). The rows are the source
/// table's own (`ONLY`): the keys were taken from them; a lookup's rows are reached through
/// the root rows of the keys, as [`patch_statement`] reaches them.
pub fn patch_keys_statement(p: &PatchSource, t: &RefreshTarget<'_>) -> String {
    let (from, key) = p
        .via
        .documents_of(&format!("ONLY {} AS n", table(&p.table)));
    keyed_patch(t, &key, &from, &p.documents)
}

/// `UPDATE tv SET doc = doc || jsonb_build_object(...)` for the rows of `from` whose `key` is
/// in `$1`, writing only documents that change. The values are computed only for rows that
/// have a document (`EXISTS`, before the values): a row the definition filters out never has
/// its values computed there, and computing them could fail (`val::numeric` of a row whose
/// `kind` is not numeric, a division by a zero the filter excludes). `OFFSET 0` keeps the
/// values' subquery from being merged into the UPDATE, which would compute each value twice
/// (once for the SET, once for the comparison).
fn keyed_patch(
    t: &RefreshTarget<'_>,
    key: &str,
    from: &str,
    documents: &[DocumentPatch],
) -> String {
    let eq = t.key_eq;
    let mut among = format!(
        "{key}::{} {} ANY ($1::{}[]{})",
        eq.left,
        super::quote::operator(eq),
        eq.right,
        t.key_collation
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default()
    );
    if t.key_nullable {
        among = format!(
            "({among} OR ({key} IS NULL AND EXISTS (SELECT FROM pg_catalog.unnest($1) AS n(k) WHERE n.k IS NULL)))"
        );
    }
    let mut values = Vec::new();
    let mut sets = Vec::new();
    let mut stored = Vec::new();
    let mut patched = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let col = quote_ident(&d.column);
        let v = quote_ident(&format!("{}v{i}", super::RESERVED_PREFIX));
        values.push(format!("{} AS {v}", d.object()));
        let new = format!("t.{col} OPERATOR(pg_catalog.||) p.{v}");
        sets.push(format!("{col} = {new}"));
        stored.push(format!("t.{col}"));
        patched.push(new);
    }
    let k = quote_ident(&format!("{}key", super::RESERVED_PREFIX));
    let doc = format!("{}doc", super::RESERVED_PREFIX);
    let has_document = format!(
        "EXISTS (SELECT FROM {tv} AS {alias} WHERE {same})",
        tv = super::qualified(t.table.0, t.table.1),
        alias = quote_ident(&doc),
        same = t.same_key(&t.key_of(&quote_ident(&doc)), key),
    );
    format!(
        "UPDATE {tv} AS t SET {sets} \
           FROM (SELECT {key} AS {k}, {values} FROM {from} WHERE {among} AND {has_document} OFFSET 0) AS p \
          WHERE {same} \
            AND ROW({stored})::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW({patched})::pg_catalog.record",
        tv = super::qualified(t.table.0, t.table.1),
        sets = sets.join(", "),
        values = values.join(", "),
        same = t.same_key(&t.key_of("t"), &format!("p.{k}")),
        stored = stored.join(", "),
        patched = patched.join(", "),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn pk(name: &str) -> Vec<EqColumn> {
        vec![EqColumn {
            name: name.into(),
            eq: OperatorRef::equals(),
        }]
    }

    fn product() -> TableRef {
        TableRef {
            oid: 1,
            schema: "public".into(),
            name: "tb_product".into(),
        }
    }

    pub(crate) fn price_patch() -> PatchSource {
        PatchSource {
            table: product(),
            identity: pk("pk_product"),
            patchable: vec!["price".into(), "name".into()],
            guarded: vec!["pk_product".into(), "fk_category".into()],
            via: Via::Root {
                key_column: "pk_product".into(),
            },
            documents: vec![DocumentPatch {
                column: "data".into(),
                keys: vec![
                    KeyValue {
                        key: "price".into(),
                        value_sql: "n.price".into(),
                    },
                    KeyValue {
                        key: "it's".into(),
                        value_sql: "upper(n.name)".into(),
                    },
                ],
            }],
        }
    }

    pub(crate) fn target(cols: &[String]) -> RefreshTarget<'_> {
        RefreshTarget {
            table: ("public", "tv_product"),
            definition: ("tviews_def", "tv_product"),
            rows: None,
            columns: cols,
            stored_types: &[],
            key: Box::leak(Box::new(["pk_product".to_string()])),
            key_eq: Box::leak(Box::new(OperatorRef::equals())),
            extension: Some("public"),
            table_oid: 16384,
            key_type: "integer",
            key_collation: None,
            key_nullable: false,
            key_fields: &[],
            all_null_group: false,
            merge_by_source: true,
        }
    }

    /// The price patch moved to the category table, reached through the products.
    pub(crate) fn category_patch() -> PatchSource {
        let mut p = price_patch();
        p.table = TableRef {
            oid: 2,
            schema: "public".into(),
            name: "tb_category".into(),
        };
        p.identity = pk("pk_category");
        p.via = Via::Lookup {
            root: product(),
            key_column: "pk_product".into(),
            root_column: "fk_category".into(),
            source_column: "pk_category".into(),
            operator: Box::new(OperatorRef::equals()),
            root_is_left: false,
        };
        p
    }

    #[test]
    fn decisions() {
        assert_eq!(Change::from_flags(false, false, true), Change::Recompute);
        assert_eq!(Change::from_flags(true, true, true), Change::Recompute);
        assert_eq!(Change::from_flags(true, false, true), Change::Patch);
        assert_eq!(Change::from_flags(true, false, false), Change::Nothing);
    }

    #[test]
    fn the_change_query_pairs_rows_by_primary_key_and_compares_binary_images() {
        let sql = change_query(&price_patch());
        assert!(sql.contains(
            "FROM \"pgtv_new\" AS n JOIN \"pgtv_old\" AS o ON o.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) n.\"pk_product\"::integer"
        ));
        assert!(sql.contains("pg_catalog.bool_or(ROW(o.\"pk_product\", o.\"fk_category\")::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW(n.\"pk_product\", n.\"fk_category\")::pg_catalog.record)"), "{sql}");
        let mut none = price_patch();
        none.guarded.clear();
        assert!(change_query(&none).contains("coalesce(pg_catalog.bool_or(false), false)"));
    }

    #[test]
    fn document_keys_are_escape_string_literals() {
        assert_eq!(literal("it's"), "E'it''s'::pg_catalog.text");
        assert_eq!(literal("a\\nb"), "E'a\\\\nb'::pg_catalog.text");
    }

    #[test]
    fn a_root_patch_sets_the_keys_of_the_changed_rows_documents() {
        let cols = vec!["pk_product".to_string(), "data".to_string()];
        let sql = patch_statement(&price_patch(), &target(&cols));
        assert_eq!(
            sql,
            "UPDATE \"public\".\"tv_product\" AS t SET \"data\" = t.\"data\" OPERATOR(pg_catalog.||) \
             pg_catalog.jsonb_build_object(E'price'::pg_catalog.text, (n.price), E'it''s'::pg_catalog.text, (upper(n.name))) \
             FROM \"pgtv_new\" AS s JOIN \"pgtv_old\" AS o ON o.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) s.\"pk_product\"::integer \
             JOIN ONLY \"public\".\"tb_product\" AS n ON n.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) s.\"pk_product\"::integer \
             WHERE t.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) n.\"pk_product\"::integer AND ROW(o.\"price\", o.\"name\")::pg_catalog.record \
             OPERATOR(pg_catalog.*<>) ROW(n.\"price\", n.\"name\")::pg_catalog.record"
        );
    }

    #[test]
    fn a_partial_recompute_computes_each_value_once_from_the_root_rows() {
        let cols = vec!["pk_product".to_string(), "data".to_string()];
        let p = PartialSource {
            table: TableRef {
                oid: 3,
                schema: "public".into(),
                name: "tb_review".into(),
            },
            root: product(),
            root_only: true,
            key_column: "pk_product".into(),
            documents: vec![DocumentPatch {
                column: "data".into(),
                keys: vec![KeyValue {
                    key: "n".into(),
                    value_sql: "(SELECT count(*) FROM tb_review x WHERE x.fk = r.pk_product)"
                        .into(),
                }],
            }],
            tallies: vec![],
        };
        let sql = partial_statement(&p, &target(&cols));
        assert_eq!(
            sql,
            "UPDATE \"public\".\"tv_product\" AS t SET \"data\" = t.\"data\" OPERATOR(pg_catalog.||) p.\"__pgtv_v0\" \
             FROM (SELECT r.\"pk_product\" AS \"__pgtv_key\", pg_catalog.jsonb_build_object(E'n'::pg_catalog.text, \
             ((SELECT count(*) FROM tb_review x WHERE x.fk = r.pk_product))) AS \"__pgtv_v0\" \
             FROM ONLY \"public\".\"tb_product\" AS r \
             WHERE r.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) ANY ($1::integer[]) \
             AND EXISTS (SELECT FROM \"public\".\"tv_product\" AS \"__pgtv_doc\" \
             WHERE \"__pgtv_doc\".\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) r.\"pk_product\"::integer) OFFSET 0) AS p \
             WHERE t.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) p.\"__pgtv_key\"::integer \
             AND ROW(t.\"data\")::pg_catalog.record OPERATOR(pg_catalog.*<>) \
             ROW(t.\"data\" OPERATOR(pg_catalog.||) p.\"__pgtv_v0\")::pg_catalog.record"
        );
    }

    #[test]
    fn at_commit_a_patch_reads_the_source_rows_of_the_queued_keys() {
        let cols = vec!["pk_product".to_string(), "data".to_string()];
        let sql = patch_keys_statement(&price_patch(), &target(&cols));
        assert_eq!(
            sql,
            "UPDATE \"public\".\"tv_product\" AS t SET \"data\" = t.\"data\" OPERATOR(pg_catalog.||) p.\"__pgtv_v0\" \
             FROM (SELECT n.\"pk_product\" AS \"__pgtv_key\", pg_catalog.jsonb_build_object(E'price'::pg_catalog.text, (n.price), \
             E'it''s'::pg_catalog.text, (upper(n.name))) AS \"__pgtv_v0\" \
             FROM ONLY \"public\".\"tb_product\" AS n \
             WHERE n.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) ANY ($1::integer[]) \
             AND EXISTS (SELECT FROM \"public\".\"tv_product\" AS \"__pgtv_doc\" \
             WHERE \"__pgtv_doc\".\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) n.\"pk_product\"::integer) OFFSET 0) AS p \
             WHERE t.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) p.\"__pgtv_key\"::integer \
             AND ROW(t.\"data\")::pg_catalog.record OPERATOR(pg_catalog.*<>) \
             ROW(t.\"data\" OPERATOR(pg_catalog.||) p.\"__pgtv_v0\")::pg_catalog.record"
        );
        let sql = patch_keys_statement(&category_patch(), &target(&cols));
        assert!(sql.contains(
            "FROM ONLY \"public\".\"tb_category\" AS n JOIN ONLY \"public\".\"tb_product\" AS r \
             ON n.\"pk_category\"::integer OPERATOR(\"pg_catalog\".=) r.\"fk_category\"::integer \
             WHERE r.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) ANY ($1::integer[]) AND EXISTS"
        ), "{sql}");
    }

    #[test]
    fn a_lookup_patch_reaches_the_documents_through_the_root_rows() {
        let cols = vec!["pk_product".to_string(), "data".to_string()];
        let sql = patch_statement(&category_patch(), &target(&cols));
        assert!(sql.contains(
            "JOIN ONLY \"public\".\"tb_product\" AS r ON n.\"pk_category\"::integer OPERATOR(\"pg_catalog\".=) r.\"fk_category\"::integer \
             WHERE t.\"pk_product\"::integer OPERATOR(\"pg_catalog\".=) r.\"pk_product\"::integer AND"
        ), "{sql}");
    }
}
