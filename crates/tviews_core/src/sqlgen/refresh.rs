//! Making a TVIEW's table equal its definition: for a set of keys, for all rows, and the
//! oracle that checks it.
//!
//! Rows are compared by their binary image (`*<>`), so a recomputed document that is equal
//! but not identical (`1` vs `1.0`) is still written and the table holds exactly what the
//! definition returns; rows that are identical are not touched at all.

use super::quote::{compare, literal, operator, qualified, quote_ident};
use super::RESERVED_PREFIX;
use crate::model::OperatorRef;

/// One column of a key of several columns, for finding the definition's rows by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyField {
    /// The equality of the column's type (as [`RefreshTarget::key_eq`] for a key of one).
    pub eq: OperatorRef,
    /// The column's collation, qualified, when its type has one.
    pub collation: Option<String>,
    /// The column may be NULL in a key (its table's column has no NOT NULL, or an outer
    /// join NULL-extends its table).
    pub nullable: bool,
    /// For a key with no table in every row (`a FULL JOIN b`, see
    /// `model::DefinitionModel::rootless`): which of the key's tables (in key order) the
    /// column comes from (see [`RefreshTarget::with_field_tests`]).
    pub table: Option<usize>,
}

/// What the refresh statements need to know about a TVIEW.
#[derive(Debug, Clone)]
pub struct RefreshTarget<'a> {
    /// The TVIEW's table.
    pub table: (&'a str, &'a str),
    /// The view holding its definition.
    pub definition: (&'a str, &'a str),
    /// The definition's rows computed another way (a [`super::tally::Summary`]'s, from its
    /// state), read by the keyed refreshes and [`refresh_summary`] instead of the view; the
    /// whole refresh and the oracle always read the view.
    pub rows: Option<&'a str>,
    /// The columns, in order.
    pub columns: &'a [String],
    /// Per column (or empty: none), the type the table stores it as when that is not the
    /// definition's (a domain's base type), as qualified SQL: comparing a stored row with a
    /// computed one by their images needs the same types.
    pub stored_types: &'a [Option<String>],
    /// The key's columns, in order: one, or for a key of several columns (`GROUP BY a, b`,
    /// a composite primary key) each of them. A key of several columns is handled as one
    /// value of `key_type`, a composite type of those columns: it compares, collects, hashes
    /// and travels as one value, and a NULL among its fields is a value like any other
    /// (composite values compare NULL fields as equal).
    pub key: &'a [String],
    /// The equality of the key's type (its default btree operator class's, as the primary
    /// key uses), qualified wherever it lives: a key of a type from an extension compares
    /// with that extension's operator, never with one search_path happens to find.
    pub key_eq: &'a OperatorRef,
    /// The schema pg_tviews is installed in, and the TVIEW table's OID: a write that makes a
    /// key appear twice in the definition raises through `pg_tviews_key_repeats` there.
    /// `None` while the catalog is still a version before that function (the library was
    /// upgraded, `ALTER EXTENSION UPDATE` not yet run): no such check then.
    pub extension: Option<&'a str>,
    pub table_oid: u32,
    /// The key column's type (for a key of several columns, the composite type of them), as
    /// SQL that names it from any search_path.
    pub key_type: &'a str,
    /// The key column's collation, qualified, when its type has one: keys to refresh are told
    /// apart with it (under a case-insensitive collation `K1` and `k1` are one key, which two
    /// deferred statements may have queued in both spellings).
    pub key_collation: Option<&'a str>,
    /// The key may be NULL (a GROUP BY column without NOT NULL): the NULL group is one row
    /// like any other, keys match NULL-safely, and the table's key index treats NULLs as
    /// equal. `false`: the key is never NULL, and a change that would give a row a NULL key
    /// raises.
    pub key_nullable: bool,
    /// For a key of several columns, each column's equality and collation, in key order
    /// (empty for a key of one column). A composite value's equality reaches no index of the
    /// definition's tables, so keyed refreshes also compare each column with the keys' values
    /// of it (parameters `$2`, `$3`, ...): an index of each column (or of several) then
    /// finds the rows, and the composite equality keeps only the exact keys.
    pub key_fields: &'a [KeyField],
    /// A key of several columns whose every column may be NULL in one row (a key of groups
    /// over outer joins, see `model::DefinitionModel::all_null_group`): the keyed refresh
    /// has an arm for that group.
    pub all_null_group: bool,
    /// The server runs `MERGE ... WHEN NOT MATCHED BY SOURCE` (PostgreSQL 17 and later).
    /// Without it (16), a whole refresh deletes the rows its definition no longer has in a
    /// CTE of the MERGE instead.
    pub merge_by_source: bool,
}

/// The name (quoted) that the keys' field `i` (1-based) of a key of several columns goes by
/// where the keys of `$1` are unnested: a reserved name, so that a key column named like the
/// unnested item's alias is never read instead of its field.
fn field_name(i: usize) -> String {
    quote_ident(&format!("{RESERVED_PREFIX}f{i}"))
}

/// The column of the MERGE source counting the definition's rows per key.
fn rows_column() -> String {
    quote_ident(&format!("{RESERVED_PREFIX}rows"))
}

/// The column the definition's side of a keyed refresh carries (`true`), so that a key with
/// no row in the definition is told from a row whose key is NULL.
fn found_column() -> String {
    quote_ident(&format!("{RESERVED_PREFIX}found"))
}

/// The column of the MERGE source saying, for the NULL among the keys to refresh, whether
/// the definition now has a row with a NULL key.
fn null_key_column() -> String {
    quote_ident(&format!("{RESERVED_PREFIX}null_key"))
}

impl RefreshTarget<'_> {
    /// The call that raises "key repeats" for key expression `key`. Its arguments have the
    /// function's exact declared types (oid, text), so no overload anyone adds to that schema
    /// can be chosen instead; its text result, never produced, is cast to the key's type.
    fn repeats(&self, extension: &str, key: &str) -> String {
        // The function is strict: a NULL key (the NULL group repeating) is named NULL.
        format!(
            "{}.pg_tviews_key_repeats({}::pg_catalog.oid, COALESCE({key}::pg_catalog.text, 'NULL'::pg_catalog.text))::{}",
            quote_ident(extension),
            self.table_oid,
            self.key_type
        )
    }

    /// The call that raises "key is NULL".
    fn null_key(&self, extension: &str) -> String {
        format!(
            "{}.pg_tviews_key_null({}::pg_catalog.oid, {}::pg_catalog.text)::{}",
            quote_ident(extension),
            self.table_oid,
            literal(&self.key.join(", ")),
            self.key_type
        )
    }

    /// A key of several columns: one composite value, never NULL itself, whose NULL fields
    /// compare equal.
    fn composite(&self) -> bool {
        self.key.len() > 1
    }

    /// A key of one column that may be NULL: its NULL group is matched by an extra `IS NULL`
    /// arm (a composite key's equality matches NULL fields by itself).
    fn null_group(&self) -> bool {
        self.key_nullable && !self.composite()
    }

    /// A key of one column that must never be NULL: a refresh raises for a NULL key (a
    /// composite key is never NULL, and `IS NULL` on it would test its fields).
    fn guards_null_key(&self) -> bool {
        !self.key_nullable && !self.composite()
    }

    /// The key of the row `alias` (`""`: of the row in scope): its key column, or for a key
    /// of several columns their composite value.
    pub(crate) fn key_of(&self, alias: &str) -> String {
        let prefix = if alias.is_empty() {
            String::new()
        } else {
            format!("{alias}.")
        };
        match self.key {
            [one] => format!("{prefix}{}", quote_ident(one)),
            many => format!(
                "ROW({})::{}",
                many.iter()
                    .map(|c| format!("{prefix}{}", quote_ident(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.key_type
            ),
        }
    }

    /// The parameters of a keyed refresh (see [`Self::key_fields`]).
    pub fn key_params(&self) -> crate::action::Params {
        if self.composite() && self.key_fields.len() == self.key.len() {
            crate::action::Params::KeyAndFieldArrays(self.key.len())
        } else {
            crate::action::Params::KeyArray
        }
    }

    /// For a key of several columns, instead of `among` (the exact test on the composite
    /// key): the test of each column against the keys' values of it (`$2`, ... ; with `one`,
    /// the first value only), which an index can answer; a column that may be NULL in a key
    /// also lets its NULLs through. The rows it lets through are a superset; the join with
    /// the keys keeps the exact ones.
    fn with_field_tests(&self, among: String, one: bool) -> Vec<String> {
        if !matches!(
            self.key_params(),
            crate::action::Params::KeyAndFieldArrays(_)
        ) {
            return vec![among];
        }
        self.field_arms(&|i, field| {
            let collate = field
                .collation
                .as_ref()
                .map(|c| format!(" COLLATE {c}"))
                .unwrap_or_default();
            if one {
                format!("(${})[1]::{}{collate}", i + 2, field.eq.right)
            } else {
                format!("ANY (${}::{}[]{collate})", i + 2, field.eq.right)
            }
        })
        // The exact test is the join with the keys (`on_d`): repeated here, a composite
        // equality against every key for every row the column tests let through made a few
        // hundred keys cost a third of a second.
    }

    /// The key has no table in every row (its fields say which table they come from).
    fn rootless(&self) -> bool {
        self.key_fields.iter().any(|f| f.table.is_some())
    }

    /// The tests of each key column against its keys' values (`values(i, field)`, the right
    /// side of the field's equality), as conditions on the definition's rows (the arms of a
    /// UNION ALL). One arm, or for a key with no table in every row one per table of the
    /// key: the rows with that table's key among the keys and the tables before it NULL
    /// (`a FULL JOIN b`: the rows with a row of `a`, matched or not, then the rows without
    /// one whose `b` is among them). Each arm tests its table's columns strictly, so
    /// PostgreSQL turns the outer joins that NULL-extend it into joins from its side and an
    /// index of its key finds the rows; one condition for all would read every table whole.
    fn field_arms(&self, values: &dyn Fn(usize, &KeyField) -> String) -> Vec<String> {
        let test = |i: usize, column: &str, field: &KeyField, strict: bool| {
            let column = quote_ident(column);
            let test = format!(
                "{column}::{} {} {}",
                field.eq.left,
                operator(&field.eq),
                values(i, field)
            );
            if field.nullable && !strict {
                format!("({test} OR {column} IS NULL)")
            } else {
                test
            }
        };
        // The arm of the rows whose first table present is `first`, or of all rows.
        let arm = |first: Option<usize>| {
            let tests: Vec<String> = self
                .key
                .iter()
                .zip(self.key_fields)
                .enumerate()
                .map(|(i, (c, f))| match (f.table, first) {
                    (Some(t), Some(first)) if t < first => format!("{} IS NULL", quote_ident(c)),
                    (Some(t), Some(first)) => test(i, c, f, t == first),
                    _ => test(i, c, f, false),
                })
                .collect();
            tests.join(" AND ")
        };
        let tables = self.key_fields.iter().filter_map(|f| f.table).max();
        match tables {
            Some(last) => (0..=last).map(|t| arm(Some(t))).collect(),
            None => vec![arm(None)],
        }
    }

    /// The keys of array `$1` as a FROM item named `alias`, and the expression of one key in
    /// it. A composite type's array unnests into its fields, so for a key of several columns
    /// the item keeps no column alias and the key is its whole row.
    fn unnest_keys(&self, alias: &str) -> (String, String) {
        if self.composite() {
            // The fields get reserved names: a key column named like the alias would
            // otherwise be read instead of the whole row.
            let fields: Vec<String> = (1..=self.key.len()).map(field_name).collect();
            (
                format!("pg_catalog.unnest($1) AS {alias}({})", fields.join(", ")),
                format!("{alias}::{}", self.key_type),
            )
        } else {
            (
                format!("pg_catalog.unnest($1) AS {alias}(k)"),
                format!("{alias}.k"),
            )
        }
    }

    /// An assignment of the never produced value of `raise` (a call that raises, of the key
    /// type) to the key, as `INSERT (<columns>) VALUES (<values>)` or `UPDATE SET` take it:
    /// for a key of several columns, to its first column from the composite value.
    fn key_assignment(&self, raise: &str) -> (String, String) {
        match self.key {
            [one] => (quote_ident(one), raise.to_string()),
            many => (
                quote_ident(&many[0]),
                format!("({raise}).{}", quote_ident(&many[0])),
            ),
        }
    }

    /// The first WHEN clauses of a refresh: a key the definition returns more than once
    /// raises instead of keeping one of its rows (a MERGE would otherwise update the stored
    /// row from one of them, or insert both and fail on the primary key).
    fn repeats_clauses(&self) -> String {
        let Some(extension) = self.extension else {
            return String::new();
        };
        let more_than_one = format!(
            "s.{} OPERATOR(pg_catalog.>) 1::pg_catalog.int8",
            rows_column()
        );
        let (column, raise) = self.key_assignment(&self.repeats(extension, &self.key_of("s")));
        let null_clause = if !self.guards_null_key() {
            String::new()
        } else {
            let (column, null) = self.key_assignment(&self.null_key(extension));
            format!(
                " WHEN NOT MATCHED AND s.{} THEN INSERT ({column}) VALUES ({null})",
                null_key_column(),
            )
        };
        format!(
            "{null_clause} \
             WHEN MATCHED AND {more_than_one} THEN UPDATE SET {column} = {raise} \
             WHEN NOT MATCHED AND {more_than_one} THEN INSERT ({column}) VALUES ({raise})",
        )
    }

    /// `lhs` and `rhs` are the same key: equal by the key's equality, or, for a key that may
    /// be NULL, both NULL.
    pub(crate) fn same_key(&self, lhs: &str, rhs: &str) -> String {
        let eq = compare(lhs, self.key_eq, rhs);
        if self.null_group() {
            format!("({eq} OR ({lhs} IS NULL AND {rhs} IS NULL))")
        } else {
            eq
        }
    }

    /// [`Self::same_key`] as a condition a full join can use (MERGE with `NOT MATCHED BY
    /// SOURCE` is one, and accepts only conditions it can merge or hash), and a join of two
    /// sets of computed rows should (with `OR ... IS NULL` it compares each row with each):
    /// for a key that may be NULL, the two keys as one-column records, which compare NULL
    /// equal to NULL. (Not for a join with the TVIEW table: its key index takes `=`.)
    fn same_key_joinable(&self, lhs: &str, rhs: &str) -> String {
        if self.null_group() {
            // Both as the key's type: a record compares its columns' types as they are (a
            // domain's value against its base type's is refused).
            let (c, kt) = (self.collate(), self.key_type);
            format!(
                "ROW({lhs}::{kt}{c})::pg_catalog.record OPERATOR(pg_catalog.=) ROW({rhs}::{kt}{c})::pg_catalog.record"
            )
        } else {
            compare(lhs, self.key_eq, rhs)
        }
    }

    /// The arm of a keyed refresh that finds the group whose key is NULL (every column NULL,
    /// for a key of several columns) when `$1` holds it: the other arms test the key with
    /// operators no NULL satisfies. A key of one column that may be NULL has it; so does a
    /// key with no table in every row whose columns may all be NULL (a GROUP BY over outer
    /// joins, see `model::DefinitionModel::null_groups`). A separate arm rather than `OR`:
    /// the other arms' strict tests let PostgreSQL turn outer joins into joins and reach
    /// the key's index; when `$1` holds no such key its condition is false once, before any
    /// row is read.
    fn null_arm(&self) -> Option<String> {
        if self.null_group() {
            return Some(format!(
                "{} IS NULL AND EXISTS (SELECT FROM pg_catalog.unnest($1) AS n(k) WHERE n.k IS NULL)",
                self.key_of("")
            ));
        }
        if !(self.all_null_group && self.composite()) {
            return None;
        }
        let nulls: Vec<String> = self
            .key
            .iter()
            .map(|c| format!("{} IS NULL", quote_ident(c)))
            .collect();
        // Every field of the unnested key by its name: a bare `n` would be an output column
        // of that name of the definition, not the key.
        let fields: Vec<String> = (1..=self.key.len()).map(field_name).collect();
        let all_null: Vec<String> = fields.iter().map(|f| format!("n.{f} IS NULL")).collect();
        Some(format!(
            "{} AND EXISTS (SELECT FROM pg_catalog.unnest($1) AS n({}) WHERE {})",
            nulls.join(" AND "),
            fields.join(", "),
            all_null.join(" AND ")
        ))
    }
    /// ` COLLATE <key collation>`, or nothing for a type without one.
    fn collate(&self) -> String {
        self.key_collation
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default()
    }

    fn table_sql(&self) -> String {
        qualified(self.table.0, self.table.1)
    }

    fn definition_sql(&self) -> String {
        qualified(self.definition.0, self.definition.1)
    }

    /// What the keyed refreshes read the definition's rows from (see [`Self::rows`]).
    fn keyed_rows_sql(&self) -> String {
        match self.rows {
            Some(rows) => format!("({rows}) AS q"),
            None => self.definition_sql(),
        }
    }

    fn list(&self, prefix: &str) -> String {
        self.columns
            .iter()
            .map(|c| format!("{prefix}{}", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The casts to record keep PostgreSQL from comparing the two row constructors column
    /// by column: `*<>` must see two whole records.
    fn differs(&self) -> String {
        let computed: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| match self.stored_types.get(i) {
                Some(Some(typ)) => format!("s.{}::{typ}", quote_ident(c)),
                _ => format!("s.{}", quote_ident(c)),
            })
            .collect();
        format!(
            "ROW({})::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW({})::pg_catalog.record",
            self.list("t."),
            computed.join(", ")
        )
    }

    /// Every column, the key included: a key equal to the stored one but spelled otherwise
    /// (`1.0` and `1.00`, `0` and `-0`) matches the stored row, and the row must then take
    /// the definition's spelling.
    fn set_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("{} = s.{}", quote_ident(c), quote_ident(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn update_clause(&self) -> String {
        format!(
            " WHEN MATCHED AND {} THEN UPDATE SET {}",
            self.differs(),
            self.set_list()
        )
    }
}

/// The keys refreshed by [`refresh_keys`] are its parameter `$1`, an array of the key type.
/// The array may hold a key twice (deferred maintenance collects keys as text, and `1.0` and
/// `1.00` are one numeric key): DISTINCT keeps MERGE from meeting a target row twice.
///
/// The definition's rows are those whose key is `= ANY ($1)`: PostgreSQL pushes that into the
/// definition (down to an index scan of the key's table, even under GROUP BY). For a large
/// set of keys ([`refresh_many_keys`]) the same test becomes a join with the keys, which the
/// planner can hash: an index scan on `= ANY` of a large array sorts the array again on
/// every rescan, and as the inner side of a nested loop (products of each supplier) that was
/// quadratic (100,000 keys: over 6 minutes).
///
/// The keys of `$1` take the key column's collation explicitly, here and in the other keyed
/// refreshes: `$1` is an array of the key's type, and a domain's own collation would
/// otherwise conflict with a column's other one (no collation could be chosen for `=`).
pub fn refresh_keys(t: &RefreshTarget<'_>) -> String {
    let eq = t.key_eq;
    let among = format!(
        "{}::{} {} ANY ($1::{}[]{})",
        t.key_of(""),
        eq.left,
        operator(eq),
        eq.right,
        t.collate()
    );
    refresh_keys_where(t, t.with_field_tests(among, false))
}

/// [`refresh_keys`] for one key (`$1` holds one element): the definition's rows are those
/// whose key equals it, which PostgreSQL estimates as one key's rows in a plan made once for
/// every key (for `= ANY ($1)` it assumes ten keys, see `action::refresh_for`).
pub fn refresh_one_key(t: &RefreshTarget<'_>) -> String {
    let among = format!(
        "{}{}",
        compare(&t.key_of(""), t.key_eq, "($1)[1]"),
        t.collate()
    );
    refresh_keys_where(t, t.with_field_tests(among, true))
}

/// [`refresh_keys`] for many keys: the definition's rows are those whose key is among the
/// keys of `$1` as a join (semi-join), not an array test.
pub fn refresh_many_keys(t: &RefreshTarget<'_>) -> String {
    let (keys, key) = t.unnest_keys("u");
    if t.rootless() {
        // Each table's arm semi-joins its key columns with the keys' values of them (a
        // whole-key test would read every table whole).
        let arms = t.field_arms(&|i, field| {
            let collate = field
                .collation
                .as_ref()
                .map(|c| format!(" COLLATE {c}"))
                .unwrap_or_default();
            format!(
                "ANY (SELECT u.{}::{}{collate} FROM {keys})",
                field_name(i + 1),
                field.eq.right
            )
        });
        return refresh_keys_where(t, arms);
    }
    let eq = t.key_eq;
    // A composite key would be compared field by field with the subquery's columns: as the
    // one field of a row, it is compared whole.
    let lhs = format!("{}::{}", t.key_of(""), eq.left);
    let lhs = if t.composite() {
        format!("ROW({lhs})")
    } else {
        lhs
    };
    let among = format!(
        "{lhs} {} ANY (SELECT {key}::{}{} FROM {keys})",
        operator(eq),
        eq.right,
        t.collate()
    );
    refresh_keys_where(t, vec![among])
}

fn refresh_keys_where(t: &RefreshTarget<'_>, mut among: Vec<String>) -> String {
    among.extend(t.null_arm());
    let k = quote_ident(&format!("{RESERVED_PREFIX}key"));
    let found = found_column();
    let null = if !t.guards_null_key() {
        String::new()
    } else {
        format!(
            ", CASE WHEN k.k IS NULL THEN EXISTS (SELECT FROM {} AS z WHERE {} IS NULL) END AS {}",
            t.definition_sql(),
            t.key_of("z"),
            null_key_column()
        )
    };
    format!(
        "MERGE INTO {table} AS t \
         USING (SELECT k.k AS {k}, d.*, pg_catalog.count(d.{found}) OVER (PARTITION BY k.k) AS {rows}{null} \
                  FROM (SELECT DISTINCT {key}{collate} AS k FROM {keys}) AS k \
                LEFT JOIN ({arms}) AS d ON {on_d}) AS s \
         ON {on_t}{repeats} \
         WHEN MATCHED AND s.{found} IS NULL THEN DELETE{update} \
         WHEN NOT MATCHED AND s.{found} IS NOT NULL THEN INSERT ({cols}) VALUES ({vals})",
        table = t.table_sql(),
        arms = among
            .into_iter()
            .map(|a| format!(
                "SELECT true AS {found}, * FROM {} WHERE {}",
                t.keyed_rows_sql(),
                a
            ))
            .collect::<Vec<_>>()
            .join(" UNION ALL "),
        // Both sides are computed rows (no index): a NULL-safe test as records lets the
        // planner merge them; `OR ... IS NULL` would compare every key with every row.
        on_d = t.same_key_joinable(&t.key_of("d"), "k.k"),
        on_t = t.same_key(&t.key_of("t"), &format!("s.{k}")),
        collate = t.collate(),
        keys = t.unnest_keys("u").0,
        key = t.unnest_keys("u").1,
        rows = rows_column(),
        repeats = t.repeats_clauses(),
        update = t.update_clause(),
        cols = t.list(""),
        vals = t.list("s."),
    )
}

/// Recompute every row (TRUNCATE of a source, untraceable changes, pg_tviews_refresh).
pub fn refresh_all(t: &RefreshTarget<'_>) -> String {
    refresh_all_from(t, &t.definition_sql())
}

/// [`refresh_all`] from the rows [`RefreshTarget::rows`] computes (an aggregate without
/// GROUP BY from its state: one row); `None` without them.
pub fn refresh_summary(t: &RefreshTarget<'_>) -> Option<String> {
    t.rows.map(|rows| refresh_all_from(t, &format!("({rows})")))
}

fn refresh_all_from(t: &RefreshTarget<'_>, def: &str) -> String {
    let on = t.same_key_joinable(&t.key_of("t"), &t.key_of("s"));
    let null = if !t.guards_null_key() {
        String::new()
    } else {
        format!(", {} IS NULL AS {}", t.key_of("d"), null_key_column())
    };
    let (gone, by_source) = if t.merge_by_source {
        (String::new(), " WHEN NOT MATCHED BY SOURCE THEN DELETE")
    } else {
        (
            format!(
                "WITH gone AS (DELETE FROM {table} AS t WHERE NOT EXISTS \
                 (SELECT FROM {def} AS d WHERE {same})) ",
                table = t.table_sql(),
                def = def,
                // Every row against every row: as records, which the planner can merge.
                same = t.same_key_joinable(&t.key_of("d"), &t.key_of("t")),
            ),
            "",
        )
    };
    format!(
        "{gone}MERGE INTO {table} AS t \
         USING (SELECT d.*, pg_catalog.count(*) OVER (PARTITION BY {key}) AS {rows}{null} \
                  FROM {def} AS d) AS s \
         ON {on}{repeats}{update} \
         WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({vals}){by_source}",
        table = t.table_sql(),
        def = def,
        key = t.key_of("d"),
        rows = rows_column(),
        repeats = t.repeats_clauses(),
        update = t.update_clause(),
        cols = t.list(""),
        vals = t.list("s."),
    )
}

/// The initial fill of an empty table.
pub fn fill(t: &RefreshTarget<'_>) -> String {
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        t.table_sql(),
        t.list(""),
        t.list(""),
        t.definition_sql()
    )
}

/// The oracle: keys of rows that are in the table but not the definition or the other way
/// round (multiset difference, both directions). Rows are compared by their text form, which
/// is stricter than equality (`1.0` and `1.00` differ, as do two jsonb documents that are
/// equal but not identical) and works for types without an equality operator.
pub fn differing_keys(t: &RefreshTarget<'_>) -> String {
    let k = quote_ident(&format!("{RESERVED_PREFIX}key"));
    let computed = quote_ident(&format!("{RESERVED_PREFIX}computed"));
    let row = format!(
        "{} AS {k}, ROW({})::pg_catalog.text",
        t.key_of(""),
        t.list("")
    );
    let (table, def) = (t.table_sql(), t.definition_sql());
    // Rows missing, extra or repeated on either side, by their text; then rows of the same
    // key whose text is the same but whose values are not, compared as maintenance writes
    // them (`*<>`, byte for byte): text can hide a difference (floats printed with fewer
    // digits under extra_float_digits <= 0, a TVIEW's pinned setting).
    format!(
        "WITH {computed} AS MATERIALIZED (SELECT * FROM {def}) \
         SELECT DISTINCT diff.{k} FROM (\
         (SELECT {row} FROM {table} EXCEPT ALL SELECT {row} FROM {computed}) UNION ALL \
         (SELECT {row} FROM {computed} EXCEPT ALL SELECT {row} FROM {table}) UNION ALL \
         (SELECT {}, NULL FROM {table} AS t JOIN {computed} AS s ON {} WHERE {})) AS diff ORDER BY 1",
        t.key_of("t"),
        t.same_key_joinable(&t.key_of("t"), &t.key_of("s")),
        t.differs(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn cols() -> Vec<String> {
        vec!["pk_post".into(), "data".into()]
    }

    pub(crate) fn target(c: &[String]) -> RefreshTarget<'_> {
        RefreshTarget {
            table: ("public", "tv_post"),
            definition: ("tviews_def", "post"),
            rows: None,
            columns: c,
            stored_types: &[],
            key: Box::leak(Box::new(["pk_post".to_string()])),
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

    /// `public.tv_post_tag`, keyed by `pk_post, pk_tag` (see
    /// `DefinitionModel::posts_and_tags`).
    pub(crate) fn spanning_target(key: &[String]) -> RefreshTarget<'_> {
        let field = || KeyField {
            eq: OperatorRef::equals(),
            collation: None,
            nullable: false,
            table: None,
        };
        RefreshTarget {
            table: ("public", "tv_post_tag"),
            definition: ("tviews_def", "post_tag"),
            key,
            key_type: "public.tv_post_tag_key",
            key_fields: Box::leak(Box::new([field(), field()])),
            ..target(key)
        }
    }

    #[test]
    fn keyed_refresh_is_one_merge_over_the_keys() {
        let c = cols();
        let sql = refresh_keys(&target(&c));
        assert!(sql.starts_with(
            "MERGE INTO \"public\".\"tv_post\" AS t USING (SELECT k.k AS \"__pgtv_key\""
        ));
        assert!(sql
            .contains("WHERE \"pk_post\"::integer OPERATOR(\"pg_catalog\".=) ANY ($1::integer[])"));
        assert!(sql.contains(
            "ON t.\"pk_post\"::integer OPERATOR(\"pg_catalog\".=) s.\"__pgtv_key\"::integer"
        ));
        assert!(sql.contains("WHEN MATCHED AND s.\"__pgtv_found\" IS NULL THEN DELETE"));
        assert!(sql.contains("UPDATE SET \"pk_post\" = s.\"pk_post\", \"data\" = s.\"data\""));
    }

    #[test]
    fn a_stored_row_is_compared_with_the_computed_one_as_the_types_it_is_stored_as() {
        // `data` computed as a domain over jsonb, stored as jsonb: images of records compare
        // only records of the same column types.
        let c = cols();
        let mut t = target(&c);
        let stored = [None, Some("pg_catalog.jsonb".to_string())];
        t.stored_types = &stored;
        for sql in [refresh_keys(&t), refresh_all(&t)] {
            assert!(sql.contains(
                "ROW(t.\"pk_post\", t.\"data\")::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW(s.\"pk_post\", s.\"data\"::pg_catalog.jsonb)::pg_catalog.record"
            ), "{sql}");
            // Written as computed: the assignment converts.
            assert!(sql.contains("UPDATE SET \"pk_post\" = s.\"pk_post\", \"data\" = s.\"data\""));
        }
    }

    #[test]
    fn a_key_the_definition_returns_twice_raises_before_anything_is_written() {
        let c = cols();
        for sql in [refresh_keys(&target(&c)), refresh_all(&target(&c))] {
            let repeats = sql.find("pg_tviews_key_repeats").expect("the guard");
            assert!(repeats < sql.find("THEN DELETE").unwrap(), "{sql}");
            assert!(sql.contains(
                "\"public\".pg_tviews_key_repeats(16384::pg_catalog.oid, COALESCE(s.\"pk_post\"::pg_catalog.text, 'NULL'::pg_catalog.text))::integer"
            ));
        }
    }

    #[test]
    fn a_key_that_may_be_null_matches_its_null_group() {
        let c = cols();
        let mut t = target(&c);
        t.key_nullable = true;
        let keyed = refresh_keys(&t);
        assert!(!keyed.contains("pg_tviews_key_null"), "{keyed}");
        assert!(keyed.contains("\"pk_post\" IS NULL AND EXISTS (SELECT FROM pg_catalog.unnest($1) AS n(k) WHERE n.k IS NULL)"));
        assert!(keyed.contains("OR (t.\"pk_post\" IS NULL AND s.\"__pgtv_key\" IS NULL))"));
        // The keys and their new rows, both computed, are joined as records (mergeable).
        assert!(keyed.contains(") AS d ON ROW(d.\"pk_post\"::integer)::pg_catalog.record OPERATOR(pg_catalog.=) ROW(k.k::integer)::pg_catalog.record)"), "{keyed}");
        let all = refresh_all(&t);
        assert!(!all.contains("pg_tviews_key_null"), "{all}");
        assert!(all.contains("ON ROW(t.\"pk_post\"::integer)::pg_catalog.record OPERATOR(pg_catalog.=) ROW(s.\"pk_post\"::integer)::pg_catalog.record"));
        t.key_nullable = false;
        assert!(refresh_all(&t).contains("pg_tviews_key_null"));
    }

    #[test]
    fn without_merge_by_source_a_whole_refresh_deletes_in_a_cte() {
        // PostgreSQL 16: the rows the definition no longer has go in the same statement.
        let c = cols();
        let mut t = target(&c);
        assert!(refresh_all(&t).ends_with("WHEN NOT MATCHED BY SOURCE THEN DELETE"));
        t.merge_by_source = false;
        for nullable in [false, true] {
            t.key_nullable = nullable;
            let all = refresh_all(&t);
            assert!(!all.contains("BY SOURCE"), "{all}");
            assert!(all.starts_with(
                "WITH gone AS (DELETE FROM \"public\".\"tv_post\" AS t WHERE NOT EXISTS (SELECT FROM \"tviews_def\".\"post\" AS d WHERE "
            ), "{all}");
            // The NULL group is kept NULL-safely, as records (mergeable, not each row
            // against each).
            assert_eq!(
                all.contains("WHERE ROW(d.\"pk_post\"::integer)::pg_catalog.record OPERATOR(pg_catalog.=) ROW(t.\"pk_post\"::integer)::pg_catalog.record)"),
                nullable,
                "{all}"
            );
        }
    }

    #[test]
    fn the_oracle_compares_both_ways() {
        let c = cols();
        let sql = differing_keys(&target(&c));
        assert_eq!(sql.matches("EXCEPT ALL").count(), 2);
        // The definition computed once; same text, other bytes found by key.
        assert_eq!(sql.matches("\"tviews_def\".\"post\"").count(), 1, "{sql}");
        assert!(sql.contains("OPERATOR(pg_catalog.*<>)"), "{sql}");
    }

    #[test]
    fn a_key_of_several_columns_is_one_composite_value_found_through_each_column() {
        let c: Vec<String> = vec!["region".into(), "kind".into(), "n".into()];
        let key = ["region".to_string(), "kind".to_string()];
        let text_eq = OperatorRef {
            schema: "pg_catalog".into(),
            name: "=".into(),
            left: "text".into(),
            right: "text".into(),
        };
        let fields = [
            KeyField {
                eq: text_eq.clone(),
                collation: Some("\"C\"".into()),
                nullable: true,
                table: None,
            },
            KeyField {
                eq: text_eq,
                collation: None,
                nullable: false,
                table: None,
            },
        ];
        let kt_eq = OperatorRef {
            schema: "pg_catalog".into(),
            name: "=".into(),
            left: "kt".into(),
            right: "kt".into(),
        };
        let mut t = target(&c);
        t.key = &key;
        t.key_type = "kt";
        t.key_eq = &kt_eq;
        t.key_fields = &fields;
        assert_eq!(t.key_params(), crate::action::Params::KeyAndFieldArrays(2));
        let keyed = refresh_keys(&t);
        assert!(keyed.contains(
            "WHERE (\"region\"::text OPERATOR(\"pg_catalog\".=) ANY ($2::text[] COLLATE \"C\") OR \"region\" IS NULL) \
             AND \"kind\"::text OPERATOR(\"pg_catalog\".=) ANY ($3::text[])) AS d"
        ), "{keyed}");
        // The composite array unnests into its fields: the key is the whole row.
        assert!(
            keyed.contains("SELECT DISTINCT u::kt AS k FROM pg_catalog.unnest($1) AS u"),
            "{keyed}"
        );
        assert!(keyed.contains("ON ROW(t.\"region\", t.\"kind\")::kt::kt OPERATOR(\"pg_catalog\".=) s.\"__pgtv_key\"::kt"), "{keyed}");
        // Never NULL as a whole: no NULL-key guard (a key of all-NULL fields IS NULL).
        assert!(!keyed.contains("pg_tviews_key_null"), "{keyed}");
        assert!(
            keyed.contains("UPDATE SET \"region\" = (\"public\".pg_tviews_key_repeats("),
            "{keyed}"
        );
        let one = refresh_one_key(&t);
        assert!(
            one.contains("($2)[1]::text COLLATE \"C\" OR \"region\" IS NULL"),
            "{one}"
        );
        let all = refresh_all(&t);
        assert!(
            all.contains("PARTITION BY ROW(d.\"region\", d.\"kind\")::kt"),
            "{all}"
        );
        assert!(!all.contains("pg_tviews_key_null"), "{all}");
        assert!(differing_keys(&t).contains(
            "SELECT DISTINCT diff.\"__pgtv_key\" FROM ((SELECT ROW(\"region\", \"kind\")::kt AS"
        ));
    }

    /// A key of groups over outer joins (`GROUP BY a.x, b.y` over `a FULL JOIN b`, see
    /// `model::DefinitionModel::null_groups`): one arm per column, by the first column that
    /// is not NULL, and one for the group whose columns are all NULL.
    #[test]
    fn a_key_of_groups_reads_the_rows_by_their_first_column_not_null() {
        let c = vec!["x".to_string(), "y".to_string(), "n".to_string()];
        let key = vec!["x".to_string(), "y".to_string()];
        let field = |t| KeyField {
            eq: OperatorRef::equals(),
            collation: None,
            nullable: true,
            table: Some(t),
        };
        let fields = [field(0), field(1)];
        let mut t = spanning_target(&key);
        t.columns = &c;
        t.key_fields = &fields;
        t.all_null_group = true;
        for sql in [refresh_keys(&t), refresh_one_key(&t), refresh_many_keys(&t)] {
            let arms: Vec<&str> = sql.split(" UNION ALL ").collect();
            assert_eq!(arms.len(), 3, "{sql}");
            assert!(
                arms[1].contains("WHERE \"x\" IS NULL AND \"y\"::integer"),
                "{sql}"
            );
            assert!(
                arms[2].contains(
                    "WHERE \"x\" IS NULL AND \"y\" IS NULL AND EXISTS (SELECT FROM pg_catalog.unnest($1) AS n(\"__pgtv_f1\", \"__pgtv_f2\") WHERE n.\"__pgtv_f1\" IS NULL AND n.\"__pgtv_f2\" IS NULL)"
                ),
                "{sql}"
            );
        }
    }
}
