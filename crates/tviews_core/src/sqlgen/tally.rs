//! Aggregates kept by delta: a child's `count`, `sum`, `avg`, `bool_and` and `bool_or` per
//! document without reading the children again.
//!
//! A value of a document key that a partial recompute sets (see `patch::PartialSource`) may
//! hold scalar subqueries such as `(SELECT count(*) FROM tb_review r WHERE r.fk_product =
//! p.pk_product)` or `(SELECT round(avg(r.rating), 2) FROM ...)`. Recomputing them reads every
//! child of the document: 50,000 reviews for one new review. For such subqueries (one table,
//! joined to the key column by the key type's own equality, filtered by conditions on the
//! child row alone, aggregating integer, `numeric(p, s)` or boolean columns or counting
//! rows) pg_tviews keeps, per key value, the number of rows and each column's number of
//! non-NULL values and their sum (see [`Values`]) in a
//! *state table*, one per [`TallyGroup`]. Each statement on the child table adds its
//! transition rows to that state ([`delta_statement`]: +1 per new row, -1 per old one), and
//! the partial recompute reads the aggregates from the state ([`Tallied::value`]) instead of
//! scanning the children.
//!
//! Exactness: the sums of integers are kept as `numeric` of scale 0, so adding and
//! subtracting them is exact, and the value of each aggregate is computed from the state the
//! way PostgreSQL computes it from its own transition state: `count` is the count; `sum` of
//! `smallint` or `integer` is the sum as `bigint`, of `bigint` as `numeric`; `avg` divides the
//! `numeric` sum by the `numeric` count (the `numeric_div` PostgreSQL's `avg` of integers
//! ends with, so the result has the same scale); `sum` and `avg` of no values are NULL and
//! `count` of no rows is 0. Sums of `numeric` are kept only for a column with a declared
//! scale, `numeric(p, s)`, whose values all have it (otherwise subtracting the row that had
//! the largest scale would leave a scale the aggregate would not give; PostgreSQL's `sum` and
//! `avg` of numerics end with the same sum and the same `numeric_div`), with their `NaN`
//! values counted apart (a `NaN` makes the sum `NaN`, and no subtraction takes it out); sums
//! of floats are not kept (the sum depends on the order of additions). `bool_and` is true
//! when every non-NULL value is true (the trues equal the count), `bool_or` when one is,
//! both NULL for no values.
//!
//! `min` and `max` (the built-in ones) are not kept: deleting the extreme would need the
//! next one. In a subquery whose other aggregates are kept, each is read by its own subquery
//! over the document's child rows ([`Tallied::Extreme`]), which PostgreSQL answers with one
//! probe of an index on the key column and the aggregated column, when there is one.

use super::quote::{compare, qualified, quote_ident, table};
use super::{RESERVED_PREFIX, TRANSITION_NEW, TRANSITION_OLD};
use crate::model::{OperatorRef, TableRef};

use super::keys::Event;
use super::patch::PartialSource;

/// What a slot's column holds, as far as its sum is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Integers (or, for a slot only counted, anything else).
    Plain,
    /// `boolean`: the sum is the number of true values.
    Boolean,
    /// `numeric(p, s)`: the sum of the numbers and, apart, the number of `NaN` values, which
    /// no subtraction would take out of a sum again.
    Numeric,
}

/// A column of the child table that aggregates read: its count of non-NULL values, and when
/// `summed` its sum (see [`Values`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub column: String,
    pub summed: bool,
    pub values: Values,
}

impl Slot {
    /// What the sum adds for the value `v`: the value, 1 for true and 0 for false, NULL for
    /// `NaN`.
    fn summed_value(&self, v: &str) -> String {
        match self.values {
            Values::Plain => v.to_string(),
            Values::Boolean => format!("({v})::pg_catalog.int4"),
            Values::Numeric => format!(
                "(CASE WHEN {v} OPERATOR(pg_catalog.<>) 'NaN'::pg_catalog.numeric THEN {v} END)"
            ),
        }
    }

    /// Does the state keep this slot's count of `NaN` values?
    fn counts_nan(&self) -> bool {
        self.summed && self.values == Values::Numeric
    }

    /// What the state keeps of the slot, in words (the state table's comment).
    fn describe(&self) -> &'static str {
        match (self.summed, self.values) {
            (false, _) => "count",
            (true, Values::Plain) => "count+sum",
            (true, Values::Boolean) => "count+trues",
            (true, Values::Numeric) => "count+sum+nan",
        }
    }

    /// What the state keeps of the slot, for its identity (see [`TallyGroup::identity`]).
    pub fn identity_mark(&self) -> &'static str {
        match (self.summed, self.values) {
            (false, _) => "false",
            (true, Values::Plain) => "true",
            (true, Values::Boolean) => "trues",
            (true, Values::Numeric) => "nan",
        }
    }
}

fn nan_column(slot: usize) -> String {
    quote_ident(&format!("z{slot}"))
}

/// One column of a state's key: a column of the table and how its values are told apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupColumn {
    pub name: String,
    /// The column's type (its base type) as qualified SQL, and its collation if it has one.
    pub key_type: String,
    pub key_collation: Option<String>,
    /// The key type's equality, as the definition compares the column.
    pub eq: OperatorRef,
}

/// One state table: the rows of `source` whose `columns` equal a document's key and that
/// pass `filter`, tallied per key value; or, for a [`Summary`], the rows of the table per
/// group (`columns`: the GROUP BY columns) or all of them (no columns: one state row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyGroup {
    pub source: TableRef,
    /// The child's column equal to the document key (one), or a summary's GROUP BY columns;
    /// none: the whole table is one group (an aggregate without GROUP BY).
    pub columns: Vec<GroupColumn>,
    /// Rows with NULL in a key column form groups of their own (a summary's NULL groups):
    /// the state's key is unique with NULLs not distinct instead of a primary key.
    /// Otherwise such rows are not counted (no document has a NULL key).
    pub null_group: bool,
    /// The subquery's other conditions, as SQL over the child row `n` (immutable, reading
    /// only that row).
    pub filter: Option<String>,
    pub slots: Vec<Slot>,
    /// What the state depends on, by the objects' OIDs (table, columns, type, collation,
    /// operator, the filter's parse tree), which renames leave alone: a state table is used
    /// only while its comment carries this identity's digest (see [`TallyGroup::spec`]).
    pub identity: String,
    /// The state table, once it exists (schema, name).
    pub state: Option<(String, String)>,
    /// Deferred mode: the table where statements leave their deltas until commit adds them
    /// to the state (see [`fold_statement`]), once it exists (schema, name).
    pub pending: Option<(String, String)>,
}

/// What one aggregate computes from its group's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tallied {
    /// `count(*)`.
    Rows,
    /// `count(x)`: the non-NULL values of slot `.0`.
    Values(usize),
    /// `sum(x)` of `smallint` or `integer` (`bigint` result) or of `bigint` (`numeric`).
    Sum { slot: usize, numeric: bool },
    /// `avg(x)` of an integer type (`numeric` result).
    Avg(usize),
    /// `bool_and(x)` (`every(x)`): every non-NULL value is true.
    BoolAnd(usize),
    /// `bool_or(x)`: some non-NULL value is true.
    BoolOr(usize),
    /// The built-in `min(x)` or `max(x)`: not kept, read from the child rows of the document
    /// alone (one probe of an index on the key column and `x`).
    Extreme { slot: usize, max: bool },
}

fn count_column(slot: usize) -> String {
    quote_ident(&format!("c{slot}"))
}

fn sum_column(slot: usize) -> String {
    quote_ident(&format!("s{slot}"))
}

const ROWS: &str = "\"n\"";
/// The type of the state's counts.
const INT8: &str = "pg_catalog.int8";
/// The state's key column for the group's column `i` (`k`, `k1`, `k2`, ...); `k` is also
/// the one row's `true` key of a group of the whole table.
fn key_column(i: usize) -> String {
    match i {
        0 => quote_ident("k"),
        _ => quote_ident(&format!("k{i}")),
    }
}

/// How every state table's comment begins.
pub const SPEC_PREFIX: &str = "pg_tviews tally state:";
/// What follows [`SPEC_PREFIX`] in a pending table's comment.
const PENDING_MARK: &str = "pending";

/// Is `comment` a pending table's (deferred mode's deltas, no key), rather than a state's?
pub fn is_pending_spec(comment: &str) -> bool {
    comment.starts_with(&format!("{SPEC_PREFIX} {PENDING_MARK} "))
}

impl GroupColumn {
    fn collate(&self) -> String {
        self.key_collation
            .as_ref()
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default()
    }

    /// `<column> = <key>` by the column type's equality, under the definition's collation.
    fn matching(&self, column: &str, key: &str) -> String {
        format!("{}{}", compare(column, &self.eq, key), self.collate())
    }
}

impl TallyGroup {
    /// The digest of [`TallyGroup::identity`] (FNV-1a, 64 bits: stable across builds).
    fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.identity.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// What the state holds, stored as its table's comment: the identity's digest, then a
    /// description in words.
    pub fn spec(&self) -> String {
        let slots: Vec<String> = self
            .slots
            .iter()
            .map(|s| format!("{} {}", quote_ident(&s.column), s.describe()))
            .collect();
        let per = match self.columns.is_empty() {
            true => "in all".to_string(),
            false => format!(
                "per {}{}",
                self.columns
                    .iter()
                    .map(|c| format!("{} ({}{})", quote_ident(&c.name), c.key_type, c.collate()))
                    .collect::<Vec<_>>()
                    .join(", "),
                if self.null_group {
                    ", NULL a group"
                } else {
                    ""
                }
            ),
        };
        format!(
            "{SPEC_PREFIX} {}; rows of {} {per} where {}; values: {}",
            self.digest(),
            table(&self.source),
            self.filter.as_deref().unwrap_or("true"),
            if slots.is_empty() {
                "none".to_string()
            } else {
                slots.join(", ")
            }
        )
    }

    /// Does a state table whose comment is `comment` hold this group's state?
    pub fn matches(&self, comment: &str) -> bool {
        comment.starts_with(&format!("{SPEC_PREFIX} {};", self.digest()))
    }

    /// The comment of the group's pending table (deferred mode): what [`TallyGroup::spec`]
    /// says, marked as deltas waiting for their transaction's commit.
    pub fn pending_spec(&self) -> String {
        let spec = self.spec();
        format!(
            "{SPEC_PREFIX} {PENDING_MARK} {}; deltas of statements waiting for their commit",
            spec[SPEC_PREFIX.len()..].trim_start()
        )
    }

    /// Does a table whose comment is `comment` hold this group's pending deltas?
    pub fn matches_pending(&self, comment: &str) -> bool {
        comment.starts_with(&format!("{SPEC_PREFIX} {PENDING_MARK} {};", self.digest()))
    }

    fn pending_sql(&self) -> Option<String> {
        self.pending.as_ref().map(|(s, n)| qualified(s, n))
    }

    fn state_sql(&self) -> Option<String> {
        self.state.as_ref().map(|(s, n)| qualified(s, n))
    }

    /// The state's key columns, in order (one, `k`, for a group of the whole table).
    fn key_columns(&self) -> Vec<String> {
        (0..self.columns.len().max(1)).map(key_column).collect()
    }

    /// The state's column definitions (key columns, counts, sums).
    fn column_definitions(&self) -> Vec<String> {
        let mut columns: Vec<String> = match self.columns.is_empty() {
            // One row, keyed by `true`.
            true => vec![format!("{} pg_catalog.bool", key_column(0))],
            false => self
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{} {}{}", key_column(i), c.key_type, c.collate()))
                .collect(),
        };
        columns.extend(
            self.value_columns()
                .into_iter()
                .map(|(c, t)| format!("{c} {t} NOT NULL")),
        );
        columns
    }

    /// The state's columns after the key, each with its type: the row count, then per slot
    /// its count of values, its sum, its count of `NaN`s.
    fn value_columns(&self) -> Vec<(String, &'static str)> {
        let (int8, numeric) = (INT8, "pg_catalog.numeric");
        let mut out = vec![(ROWS.to_string(), int8)];
        for (i, s) in self.slots.iter().enumerate() {
            out.push((count_column(i), int8));
            if s.summed {
                out.push((sum_column(i), numeric));
            }
            if s.counts_nan() {
                out.push((nan_column(i), int8));
            }
        }
        out
    }

    /// `CREATE TABLE` of the state table `name` (in `schema`).
    pub fn create_statement(&self, schema: &str, name: &str) -> String {
        let mut columns = self.column_definitions();
        columns.push(format!(
            "{} ({})",
            if self.null_group {
                "UNIQUE NULLS NOT DISTINCT"
            } else {
                "PRIMARY KEY"
            },
            self.key_columns().join(", ")
        ));
        format!(
            "CREATE TABLE {} ({})",
            qualified(schema, name),
            columns.join(", ")
        )
    }

    /// `CREATE TABLE` of the pending table `name` (in `schema`): the state's columns, no key
    /// (statements only append to it, never waiting for one another).
    pub fn create_pending_statement(&self, schema: &str, name: &str) -> String {
        format!(
            "CREATE TABLE {} ({})",
            qualified(schema, name),
            self.column_definitions().join(", ")
        )
    }

    fn columns(&self) -> Vec<String> {
        let mut out = self.key_columns();
        out.extend(self.value_columns().into_iter().map(|(c, _)| c));
        out
    }

    /// The child row `n`'s key values, under the collations the definition compares with
    /// (`true` for a group of the whole table).
    fn key_of_row(&self) -> Vec<String> {
        match self.columns.is_empty() {
            true => vec!["true".to_string()],
            false => self
                .columns
                .iter()
                .map(|c| format!("n.{}{}", quote_ident(&c.name), c.collate()))
                .collect(),
        }
    }

    /// `GROUP BY` (and `ORDER BY`) of the key's positions in a statement listing it first.
    fn by_key(&self) -> String {
        (1..=self.key_columns().len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The test keeping out rows no group holds (a NULL key), if any.
    fn counted_rows(&self) -> Option<String> {
        if self.null_group || self.columns.is_empty() {
            return None;
        }
        Some(
            self.columns
                .iter()
                .map(|c| format!("n.{} IS NOT NULL", quote_ident(&c.name)))
                .collect::<Vec<_>>()
                .join(" AND "),
        )
    }

    fn where_clause(&self) -> String {
        let all: Vec<String> = self
            .counted_rows()
            .into_iter()
            .chain(self.filter.iter().map(|f| format!("({f})")))
            .collect();
        match all.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", all.join(" AND ")),
        }
    }

    /// The `INSERT` filling the (empty) state table from the child table as it is.
    pub fn fill_statement(&self) -> Option<String> {
        let state = self.state_sql()?;
        let mut values = self.key_of_row();
        values.push("pg_catalog.count(*)".to_string());
        for s in &self.slots {
            let v = format!("n.{}", quote_ident(&s.column));
            values.push(format!("pg_catalog.count({v})"));
            if s.summed {
                values.push(format!(
                    "coalesce(pg_catalog.sum({}::pg_catalog.numeric), '0'::pg_catalog.numeric)",
                    s.summed_value(&v)
                ));
            }
            if s.counts_nan() {
                values.push(format!(
                    "pg_catalog.count(CASE WHEN {v} OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric THEN 1 END)"
                ));
            }
        }
        Some(format!(
            "INSERT INTO {state} ({}) SELECT {} FROM ONLY {} AS n{}{}",
            self.columns().join(", "),
            values.join(", "),
            table(&self.source),
            self.where_clause(),
            // The whole table's one row exists even when no row passes.
            match self.columns.is_empty() {
                true => String::new(),
                false => format!(" GROUP BY {}", self.by_key()),
            }
        ))
    }

    /// The `INSERT ... ON CONFLICT` adding a statement's transition rows (`rows`) to the
    /// state: +1 for each new row, -1 for each old one, per key value, in key order (the
    /// documents' locks are taken in the same order). The filter is applied inside the sums,
    /// so every key value of the rows is written, also where its counts do not change: one
    /// row lock per document the statement recomputes, whatever its rows.
    fn delta(&self, rows: Event) -> Option<String> {
        let state = self.state_sql()?;
        Some(format!(
            "INSERT INTO {state} AS s ({}) {} ON CONFLICT ({}) DO UPDATE SET {}",
            self.columns().join(", "),
            self.delta_rows(rows),
            self.key_columns().join(", "),
            self.added_to_state(),
        ))
    }

    /// `SET` of an `INSERT INTO state AS s ... ON CONFLICT` adding the new row's counts and
    /// sums to the state row's.
    fn added_to_state(&self) -> String {
        let columns = self.columns();
        columns[self.key_columns().len()..]
            .iter()
            .map(|c| format!("{c} = s.{c} OPERATOR(pg_catalog.+) EXCLUDED.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Deferred mode: the `INSERT` leaving a statement's deltas (as [`Self::delta`] computes
    /// them) in the pending table, for the commit to add to the state.
    fn pending_delta(&self, rows: Event) -> Option<String> {
        self.state_sql()?;
        Some(format!(
            "INSERT INTO {} ({}) {} RETURNING ctid",
            self.pending_sql()?,
            self.columns().join(", "),
            self.delta_rows(rows),
        ))
    }

    /// Deferred mode, at commit: the data-modifying CTEs (name, body) that take the
    /// transaction's deltas out of the pending table and add them to the state, per key
    /// value in key order (under the documents' locks); `i` is the group's place among its
    /// source's groups: the CTEs' names and the parameter `$i+1`, the row ids (`tid[]`) the
    /// statements' inserts returned ([`pending_statement`]).
    ///
    /// The rows are taken out by their ids, never by a scan: a scan would read every other
    /// transaction's rows as well (under `SERIALIZABLE`, a read of what they write: two
    /// writers of different documents could not both commit) and the rows of transactions
    /// that ended but are not yet cleaned up (a long-open snapshot keeps them, and each
    /// commit would read them all again). Ids of rows a rolled-back savepoint inserted name
    /// dead rows, which the delete skips.
    ///
    /// The state rows are changed by an `UPDATE`, and only the keys it did not find are
    /// inserted (`ON CONFLICT` for a key another transaction inserted meanwhile): an
    /// `INSERT ... ON CONFLICT DO UPDATE` of a row whose last change was rolled back with a
    /// savepoint (a `pg_tviews_flush()` inside it) trips an assertion of PostgreSQL 17
    /// builds with assertions on (`HEAP_XMAX_IS_LOCKED_ONLY` in `heap_update`), where a plain
    /// `UPDATE` does not.
    fn fold(&self, i: usize) -> Option<Vec<(String, String)>> {
        let state = self.state_sql()?;
        let pending = self.pending_sql()?;
        let name = |what: &str| quote_ident(&format!("{RESERVED_PREFIX}{what}{i}"));
        let (taken, sums, updated) = (name("d"), name("a"), name("u"));
        let keys = self.key_columns();
        let columns = self.columns();
        // A sum of int8 is numeric: back to its column's type.
        let counted: Vec<String> = self
            .value_columns()
            .into_iter()
            .map(|(c, t)| match t {
                INT8 => format!("pg_catalog.sum({c})::{t} AS {c}"),
                _ => format!("pg_catalog.sum({c}) AS {c}"),
            })
            .collect();
        let same_key = |left: &str, right: &str| self.same_key(left, right);
        let sets: Vec<String> = columns[keys.len()..]
            .iter()
            .map(|c| format!("{c} = s.{c} OPERATOR(pg_catalog.+) a.{c}"))
            .collect();
        Some(vec![
            (
                taken.clone(),
                format!(
                    "DELETE FROM {pending} WHERE ctid OPERATOR(pg_catalog.=) ANY (${}) RETURNING *",
                    i + 1
                ),
            ),
            (
                sums.clone(),
                format!(
                    "SELECT {}, {} FROM {taken} GROUP BY {by}",
                    keys.join(", "),
                    counted.join(", "),
                    by = self.by_key()
                ),
            ),
            (
                updated.clone(),
                format!(
                    "UPDATE {state} AS s SET {} FROM {sums} AS a WHERE {} RETURNING {}",
                    sets.join(", "),
                    same_key("s", "a"),
                    keys.iter()
                        .map(|k| format!("a.{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (
                name("t"),
                format!(
                    "INSERT INTO {state} AS s ({}) SELECT a.* FROM {sums} AS a \
                     WHERE NOT EXISTS (SELECT FROM {updated} AS u WHERE {}) ORDER BY {by} \
                     ON CONFLICT ({}) DO UPDATE SET {}",
                    columns.join(", "),
                    self.same_key_joinable("u", "a"),
                    keys.join(", "),
                    self.added_to_state(),
                    by = self.by_key(),
                ),
            ),
        ])
    }

    /// The test that the state rows (or rows of the state's columns) `left` and `right` are
    /// of the same key value (a NULL matching a NULL in a summary's NULL groups).
    fn same_key(&self, left: &str, right: &str) -> String {
        self.key_columns()
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let (l, r) = (format!("{left}.{k}"), format!("{right}.{k}"));
                let equal = match self.columns.get(i) {
                    Some(c) => c.matching(&l, &r),
                    None => format!("{l} OPERATOR(pg_catalog.=) {r}"),
                };
                match self.null_group {
                    true => format!("({equal} OR ({l} IS NULL AND {r} IS NULL))"),
                    false => equal,
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// [`Self::same_key`] between two sets of computed rows, which have no index: with NULL
    /// groups, the keys as records (which compare NULL equal to NULL), so that the planner
    /// can merge the two sets instead of testing each row against each.
    fn same_key_joinable(&self, left: &str, right: &str) -> String {
        if !self.null_group {
            return self.same_key(left, right);
        }
        let row = |side: &str| {
            self.key_columns()
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let collate = self.columns.get(i).map(|c| c.collate()).unwrap_or_default();
                    format!("{side}.{k}{collate}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "ROW({})::pg_catalog.record OPERATOR(pg_catalog.=) ROW({})::pg_catalog.record",
            row(left),
            row(right)
        )
    }

    /// The oracle of the state (`pg_tviews_check`): the key values, as text (a row of them
    /// for a key of several columns), whose state row differs from a recount of the table's
    /// rows as the statements count them (a row of zeros is the same as no row); `None`
    /// without a state. A pending delta not yet added (deferred mode, before the commit or
    /// `pg_tviews_flush()`) shows as a difference, as its document does.
    ///
    /// The recount's rows and the state's are grouped together by every column: a key whose
    /// two rows agree forms one group of two, any other row a group of its own. Grouping
    /// puts NULL keys (a summary's NULL groups) together, as a join's equality would not,
    /// and hashes or sorts whatever the key's type, under the key's collation.
    pub fn state_check(&self) -> Option<String> {
        let state = self.state_sql()?;
        let sign = quote_ident(&format!("{RESERVED_PREFIX}sign"));
        let recount = self.counted(&format!(
            "SELECT 1 AS {sign}, t.* FROM ONLY {} AS t",
            table(&self.source)
        ));
        let keys = self.key_columns();
        let values: Vec<String> = self.value_columns().into_iter().map(|(c, _)| c).collect();
        let side = |alias: &str, from: String| -> String {
            let mut out: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let collate = self.columns.get(i).map(GroupColumn::collate);
                    format!("{alias}.{k}{}", collate.unwrap_or_default())
                })
                .collect();
            out.extend(values.iter().map(|c| format!("{alias}.{c}")));
            let some = values
                .iter()
                .map(|c| format!("{alias}.{c} OPERATOR(pg_catalog.<>) 0"))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!("SELECT {} FROM {from} WHERE {some}", out.join(", "))
        };
        let key_text = match keys.as_slice() {
            [k] => format!("u.{k}::pg_catalog.text"),
            _ => format!(
                "ROW({})::pg_catalog.text",
                keys.iter()
                    .map(|k| format!("u.{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let columns = self.columns().join(", ");
        let recounted = side("r", format!("({recount}) AS r({columns})"));
        let kept = side("s", format!("{state} AS s"));
        Some(format!(
            "SELECT DISTINCT {key_text} FROM ({recounted} UNION ALL {kept}) AS u({columns}) \
             GROUP BY {} HAVING pg_catalog.count(*) OPERATOR(pg_catalog.<>) 2",
            keys.iter()
                .chain(&values)
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
        ))
    }

    /// The `SELECT` of a statement's deltas per key value: its transition rows (`rows`)
    /// counted +1 for each new row, -1 for each old one, in key order.
    fn delta_rows(&self, rows: Event) -> String {
        let new = format!(
            "SELECT 1 AS {}, t.* FROM {} AS t",
            quote_ident(&format!("{RESERVED_PREFIX}sign")),
            quote_ident(TRANSITION_NEW)
        );
        let old = format!(
            "SELECT -1 AS {}, t.* FROM {} AS t",
            quote_ident(&format!("{RESERVED_PREFIX}sign")),
            quote_ident(TRANSITION_OLD)
        );
        self.counted(&match rows {
            Event::Insert => new,
            Event::Delete => old,
            Event::Update => format!("{new} UNION ALL {old}"),
        })
    }

    /// The `SELECT` of the state's columns per key value over `union`: rows of the table
    /// with a leading sign column (+1 counted in, -1 counted out), in key order.
    fn counted(&self, union: &str) -> String {
        let sign = format!("n.{}", quote_ident(&format!("{RESERVED_PREFIX}sign")));
        let counted = |cond: Option<String>| {
            let all: Vec<String> = self.filter.iter().cloned().chain(cond).collect();
            match all.is_empty() {
                true => sign.clone(),
                false => format!("CASE WHEN {} THEN {sign} ELSE 0 END", all.join(" AND ")),
            }
        };
        let mut values = self.key_of_row();
        values.push(format!("pg_catalog.sum({})", counted(None)));
        for s in &self.slots {
            let v = format!("n.{}", quote_ident(&s.column));
            values.push(format!(
                "pg_catalog.sum({})",
                counted(Some(format!("{v} IS NOT NULL")))
            ));
            if s.summed {
                let filtered = match &self.filter {
                    Some(f) => format!("CASE WHEN {f} THEN {} END", s.summed_value(&v)),
                    None => s.summed_value(&v),
                };
                values.push(format!(
                    "coalesce(pg_catalog.sum({sign}::pg_catalog.numeric OPERATOR(pg_catalog.*) ({filtered})::pg_catalog.numeric), '0'::pg_catalog.numeric)"
                ));
            }
            if s.counts_nan() {
                values.push(format!(
                    "pg_catalog.sum({})",
                    counted(Some(format!(
                        "{v} OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric"
                    )))
                ));
            }
        }
        format!(
            "SELECT {} FROM ({union}) AS n{} GROUP BY {by} ORDER BY {by}",
            values.join(", "),
            self.counted_rows()
                .map(|c| format!(" WHERE {c}"))
                .unwrap_or_default(),
            by = self.by_key(),
        )
    }

    /// `expr`, or `NaN` when slot `slot` counts a `NaN` among its values (a sum or average
    /// of numerics with one `NaN` is `NaN`).
    fn unless_nan(&self, prefix: &str, slot: usize, expr: String) -> String {
        match self.slots.get(slot).is_some_and(Slot::counts_nan) {
            true => format!(
                "CASE WHEN {prefix}{} OPERATOR(pg_catalog.>) '0'::pg_catalog.int8 THEN 'NaN'::pg_catalog.numeric ELSE {expr} END",
                nan_column(slot)
            ),
            false => expr,
        }
    }

    /// The document's key column: a document tally's one column.
    fn document_column(&self) -> Option<&GroupColumn> {
        match self.columns.as_slice() {
            [c] => Some(c),
            _ => None,
        }
    }

    /// `(SELECT <expr over s> FROM state AS s WHERE s.k = <key>)`, for a document's key.
    fn lookup(&self, expr: &str, key: &str) -> Option<String> {
        Some(format!(
            "(SELECT {expr} FROM {} AS s WHERE {})",
            self.state_sql()?,
            self.document_column()?
                .matching(&format!("s.{}", key_column(0)), key)
        ))
    }

    /// `(SELECT <expr over n> FROM ONLY child AS n WHERE <conds> AND filter)`: an aggregate
    /// over some rows of the table themselves, as the definition computes it.
    fn scan_where(&self, expr: &str, mut conds: Vec<String>) -> String {
        conds.extend(self.filter.iter().map(|f| format!("({f})")));
        format!(
            "(SELECT {expr} FROM ONLY {} AS n{})",
            table(&self.source),
            match conds.is_empty() {
                true => String::new(),
                false => format!(" WHERE {}", conds.join(" AND ")),
            }
        )
    }

    /// [`Self::scan_where`] over the document's child rows (`key`: the document's key).
    fn scan(&self, expr: &str, key: &str) -> Option<String> {
        let c = self.document_column()?;
        Some(self.scan_where(
            expr,
            vec![c.matching(&format!("n.{}", quote_ident(&c.name)), key)],
        ))
    }

    /// [`Self::scan_where`] over the group of the state row `s` in scope (see [`Summary`]);
    /// a NULL key column matches the rows where that column is NULL.
    fn scan_state_row(&self, expr: &str) -> String {
        let conds = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (column, key) = (
                    format!("n.{}", quote_ident(&c.name)),
                    format!("s.{}", key_column(i)),
                );
                let equal = c.matching(&column, &key);
                match self.null_group {
                    true => format!("({equal} OR ({column} IS NULL AND {key} IS NULL))"),
                    false => equal,
                }
            })
            .collect();
        self.scan_where(expr, conds)
    }
}

impl Tallied {
    /// The aggregate's value for the document whose key is `key` (SQL), read from `group`'s
    /// state; `None` while the state table does not exist.
    pub fn value(self, group: &TallyGroup, key: &str) -> Option<String> {
        self.value_by(group, "", &|expr| group.lookup(expr, key), &|expr| {
            group.scan(expr, key)
        })
    }

    /// The aggregate's value in a query over the state row `s` of `group` (see
    /// [`Summary`]); `None` while the state table does not exist.
    pub fn value_in_state_row(self, group: &TallyGroup) -> Option<String> {
        group.state.as_ref()?;
        // The state's columns are named with the state's alias: a lookup joined beside it
        // may have columns of the same names.
        self.value_by(group, "s.", &|expr| Some(expr.to_string()), &|expr| {
            Some(group.scan_state_row(expr))
        })
    }

    /// The value, with `read(expr)` the state's `expr` for the key and `scan(expr)` the
    /// aggregate `expr` over the key's rows of the table.
    fn value_by(
        self,
        group: &TallyGroup,
        prefix: &str,
        read: &dyn Fn(&str) -> Option<String>,
        scan: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        let zero = "'0'::pg_catalog.int8";
        let count_column = |slot: usize| format!("{prefix}{}", count_column(slot));
        let sum_column = |slot: usize| format!("{prefix}{}", sum_column(slot));
        let rows = format!("{prefix}{ROWS}");
        let some = |slot: usize| format!("{} OPERATOR(pg_catalog.>) {zero}", count_column(slot));
        // A sum or average: NULL without values, NaN once a NaN is among them.
        let of_values = |slot: usize, expr: String| {
            format!(
                "CASE WHEN {} THEN {} END",
                some(slot),
                group.unless_nan(prefix, slot, expr)
            )
        };
        Some(match self {
            Tallied::Rows => format!("coalesce({}, {zero})", read(&rows)?),
            Tallied::Values(slot) => {
                format!("coalesce({}, {zero})", read(&count_column(slot))?)
            }
            Tallied::Sum { slot, numeric } => read(&of_values(
                slot,
                format!(
                    "{}{}",
                    sum_column(slot),
                    if numeric { "" } else { "::pg_catalog.int8" }
                ),
            ))?,
            Tallied::Avg(slot) => read(&of_values(
                slot,
                format!(
                    "{} OPERATOR(pg_catalog./) {}::pg_catalog.numeric",
                    sum_column(slot),
                    count_column(slot)
                ),
            ))?,
            Tallied::BoolAnd(slot) => read(&format!(
                "CASE WHEN {} THEN {} OPERATOR(pg_catalog.=) {}::pg_catalog.numeric END",
                some(slot),
                sum_column(slot),
                count_column(slot)
            ))?,
            Tallied::BoolOr(slot) => read(&format!(
                "CASE WHEN {} THEN {} OPERATOR(pg_catalog.>) '0'::pg_catalog.numeric END",
                some(slot),
                sum_column(slot)
            ))?,
            Tallied::Extreme { slot, max } => {
                // Written only once the state exists, like the others: the value then
                // changes form in one step.
                group.state.as_ref()?;
                scan(&format!(
                    "pg_catalog.{}(n.{})",
                    if max { "max" } else { "min" },
                    quote_ident(&group.slots.get(slot)?.column)
                ))?
            }
        })
    }
}

/// The statement adding a statement's transition rows to every state of `groups` (one
/// `INSERT`, or several as the data-modifying parts of one statement); `None` without state.
pub fn delta_statement(groups: &[TallyGroup], rows: Event) -> Option<String> {
    combine(groups.iter().filter_map(|g| g.delta(rows)).collect())
}

/// Deferred mode: the statement leaving a statement's deltas in the pending table of every
/// state of `groups`, for its commit to add ([`fold_statement`]); `None` without them. Its
/// one row holds, per group in order, the ids (`tid[]`) of the rows it inserted (empty for
/// a group without a pending table), which the commit takes out by id.
pub fn pending_statement(groups: &[TallyGroup], rows: Event) -> Option<String> {
    let mut ctes = Vec::new();
    let mut ids = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        match g.pending_delta(rows) {
            Some(insert) => {
                let name = quote_ident(&format!("{RESERVED_PREFIX}p{i}"));
                ids.push(format!("ARRAY(SELECT {name}.ctid FROM {name})"));
                ctes.push(format!("{name} AS ({insert})"));
            }
            None => ids.push("'{}'::pg_catalog.tid[]".to_string()),
        }
    }
    match ctes.is_empty() {
        true => None,
        false => Some(format!(
            "WITH {} SELECT {}",
            ctes.join(", "),
            ids.join(", ")
        )),
    }
}

/// Deferred mode, at commit (or `pg_tviews_flush()`): the statement adding the deltas the
/// transaction's statements left in the pending tables of `groups` to their states, and
/// taking them out; `None` without pending tables. `$1` ... `$n` (`n`: the number of
/// groups, [`crate::action::Params::RowIds`]) are the ids of the rows [`pending_statement`]
/// inserted, per group.
pub fn fold_statement(groups: &[TallyGroup]) -> Option<String> {
    let ctes: Vec<String> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| g.fold(i))
        .flatten()
        .map(|(name, body)| format!("{name} AS ({body})"))
        .collect();
    match ctes.is_empty() {
        true => None,
        false => Some(format!("WITH {} SELECT", ctes.join(", "))),
    }
}

/// The statement emptying every state of `groups`, and the pending deltas of this
/// transaction (TRUNCATE of their child table).
pub fn reset_statement(groups: &[TallyGroup]) -> Option<String> {
    combine(
        groups
            .iter()
            .flat_map(|g| [g.state_sql(), g.pending_sql()])
            .flatten()
            .map(|s| format!("DELETE FROM {s}"))
            .collect(),
    )
}

fn combine(parts: Vec<String>) -> Option<String> {
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => {
            let ctes: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    format!(
                        "{} AS ({p})",
                        quote_ident(&format!("{RESERVED_PREFIX}t{i}"))
                    )
                })
                .collect();
            Some(format!("WITH {} SELECT", ctes.join(", ")))
        }
    }
}

/// One aggregate of a tallied value: where it stands in the value's SQL and what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The placeholder (see [`placeholder`]) standing for the aggregate.
    pub placeholder: String,
    /// The group (index into [`SourceTally::groups`]) whose state it reads.
    pub group: usize,
    pub aggregate: Tallied,
}

/// A document key's value whose subqueries over the source read tallies: its SQL over the
/// root row `r` with a placeholder per aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalliedValue {
    pub column: String,
    pub key: String,
    pub sql: String,
    pub uses: Vec<Use>,
}

/// What the analysis found tallyable for one partial source: its groups (without state: the
/// state tables are found when the TVIEW is compiled) and the values reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTally {
    pub source: u32,
    pub groups: Vec<TallyGroup>,
    pub values: Vec<TalliedValue>,
}

impl SourceTally {
    /// `partial` reading its aggregates from the state tables of `groups` (this tally's groups,
    /// each with its state table): the tallied values replace the keys' values. `None` when a
    /// group has no state or a value cannot be written (the partial recompute then scans).
    pub fn apply(&self, partial: &PartialSource, groups: &[TallyGroup]) -> Option<PartialSource> {
        if groups.len() != self.groups.len() || groups.iter().any(|g| g.state.is_none()) {
            return None;
        }
        let key = format!("r.{}", quote_ident(&partial.key_column));
        let mut out = partial.clone();
        for v in &self.values {
            let replacements: Vec<(String, String)> = v
                .uses
                .iter()
                .map(|u| {
                    Some((
                        u.placeholder.clone(),
                        u.aggregate.value(groups.get(u.group)?, &key)?,
                    ))
                })
                .collect::<Option<_>>()?;
            let sql = substitute(&v.sql, &replacements)?;
            let slot = out
                .documents
                .iter_mut()
                .find(|d| d.column == v.column)?
                .keys
                .iter_mut()
                .find(|k| k.key == v.key)?;
            slot.value_sql = sql;
        }
        out.tallies = groups.to_vec();
        Some(out)
    }
}

/// A placeholder for an aggregate or subquery in deparsed SQL, replaced by its state-reading
/// SQL: `$N` with a parameter number no statement uses.
pub fn placeholder(i: usize) -> (i32, String) {
    let id = PLACEHOLDER_BASE + i as i32;
    (id, format!("${id}"))
}

/// The first placeholder's parameter number.
pub const PLACEHOLDER_BASE: i32 = 1_900_000_000;

/// Replace each placeholder `$id` of `sql` by its text; `None` unless each occurs exactly
/// once (a constant that happened to spell one would otherwise be rewritten).
pub fn substitute(sql: &str, replacements: &[(String, String)]) -> Option<String> {
    let mut out = sql.to_string();
    for (ph, text) in replacements {
        let hits = out.match_indices(ph.as_str()).count();
        if hits != 1 {
            return None;
        }
        // `$1900000001` must not match the start of `$19000000012`.
        let at = out.find(ph.as_str())?;
        if out[at + ph.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
        {
            return None;
        }
        out.replace_range(at..at + ph.len(), &format!("({text})"));
    }
    Some(out)
}

/// A table a [`Summary`]'s aggregated table is inner-joined to (`JOIN tb_category c ON
/// c.pk_category = p.fk_category ... GROUP BY c.pk_category, c.name[, p.region]`): by
/// `column`, unique in it and equal to the state's key column at `position` (same type and
/// collation; the other key columns are the aggregated table's own), with conditions on its
/// row alone (`filter`, SQL over the row `l`). Its columns are read from the row of each
/// group's key.
///
/// `outer`: the lookup is the preserved side of a `LEFT JOIN` to the aggregated table
/// (`FROM tb_category c LEFT JOIN tb_product p ON p.fk_category = c.pk_category`): every
/// lookup row passing `filter` is a group, one without rows of the table too (its
/// `count(*)` counts the NULL-extended row: 1; its other counts 0, its sums NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub table: TableRef,
    pub column: String,
    pub position: usize,
    pub filter: Option<String>,
    pub outer: bool,
}

/// What a placeholder of a [`Summary`]'s SQL stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// An aggregate, read from the state row.
    Aggregate(Tallied),
    /// A GROUP BY column (by position in [`TallyGroup::columns`]): the state row's key.
    Group(usize),
    /// A column of the summary's lookup (see [`Lookup`]), by name.
    Lookup(String),
}

/// SQL with placeholders (see [`placeholder`]) and what each stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub sql: String,
    pub parts: Vec<(String, Part)>,
}

impl Placed {
    /// The SQL over the state row `s` of `group`; `None` without state, or when a
    /// placeholder does not occur exactly once. With an `outer` lookup (see
    /// [`Lookup::outer`]) `s` may be missing or count no row for a group that exists: the
    /// key is the lookup row's.
    fn over_state_row(&self, group: &TallyGroup, lookup: Option<&Lookup>) -> Option<String> {
        let outer = lookup.filter(|l| l.outer);
        let replacements: Vec<(String, String)> = self
            .parts
            .iter()
            .map(|(ph, part)| {
                Some((
                    ph.clone(),
                    match part {
                        // The NULL-extended row of a group without rows counts.
                        Part::Aggregate(Tallied::Rows) if outer.is_some() => format!(
                            "pg_catalog.int8larger({}, '1'::pg_catalog.int8)",
                            Tallied::Rows.value_in_state_row(group)?
                        ),
                        Part::Aggregate(a) => a.value_in_state_row(group)?,
                        Part::Group(i) => match outer {
                            Some(l) if l.position == *i => format!("l.{}", quote_ident(&l.column)),
                            _ => format!("s.{}", key_column(*i)),
                        },
                        Part::Lookup(c) => format!("l.{}", quote_ident(c)),
                    },
                ))
            })
            .collect::<Option<_>>()?;
        substitute(&self.sql, &replacements)
    }
}

/// A definition that aggregates one table at the top level (`SELECT g, h, count(*), avg(x)
/// FROM t WHERE ... GROUP BY g, h HAVING ...`, or without GROUP BY: one row), with
/// aggregates a state can keep: its rows are computed from the state of `group` (per
/// combination of the GROUP BY values, or one row for the whole table) instead of from the
/// table, so a change costs its own rows, not its group's.
///
/// A group exists while the state counts a row of it (`n > 0`), exactly when the table has
/// a row of that value passing the `WHERE`; without GROUP BY the one row always exists (the
/// state may have no row yet: its counts are then 0, its sums NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub group: TallyGroup,
    /// The table the aggregated one is inner-joined to, if any: a group then exists while
    /// its lookup row does too (and passes the lookup's conditions).
    pub lookup: Option<Lookup>,
    /// The definition's columns, in order: name and value.
    pub columns: Vec<(String, Placed)>,
    pub having: Option<Placed>,
}

impl Summary {
    /// The definition's rows, from the state; `None` while the state table does not exist.
    /// A keyed refresh's test of the key column reaches the state's key index through it.
    pub fn rows(&self) -> Option<String> {
        let state = self.group.state_sql()?;
        let outer = self.lookup.as_ref().is_some_and(|l| l.outer);
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(name, v)| {
                Some(format!(
                    "{} AS {}",
                    v.over_state_row(&self.group, self.lookup.as_ref())?,
                    quote_ident(name)
                ))
            })
            .collect::<Option<_>>()?;
        let having = match &self.having {
            Some(h) => Some(h.over_state_row(&self.group, self.lookup.as_ref())?),
            None => None,
        };
        let (from, mut conds) = match self.group.columns.first() {
            Some(_) => (
                match &self.lookup {
                    None => format!("{state} AS s"),
                    // Every lookup row is a group, with or without a state row.
                    Some(l) if l.outer => format!(
                        "ONLY {} AS l LEFT JOIN {state} AS s ON {}",
                        table(&l.table),
                        self.group.columns.get(l.position)?.matching(
                            &format!("l.{}", quote_ident(&l.column)),
                            &format!("s.{}", key_column(l.position))
                        )
                    ),
                    Some(l) => format!(
                        "{state} AS s JOIN ONLY {} AS l ON {}",
                        table(&l.table),
                        self.group.columns.get(l.position)?.matching(
                            &format!("l.{}", quote_ident(&l.column)),
                            &format!("s.{}", key_column(l.position))
                        )
                    ),
                },
                (!outer)
                    .then(|| format!("s.{ROWS} OPERATOR(pg_catalog.>) '0'::pg_catalog.int8"))
                    .into_iter()
                    .chain(
                        self.lookup
                            .iter()
                            .filter_map(|l| l.filter.as_ref().map(|f| format!("({f})"))),
                    )
                    .collect(),
            ),
            None => (
                format!("(SELECT) AS o LEFT JOIN {state} AS s ON true"),
                vec![],
            ),
        };
        conds.extend(having.map(|h| format!("({h})")));
        Some(format!(
            "SELECT {} FROM {from}{}",
            columns.join(", "),
            match conds.is_empty() {
                true => String::new(),
                false => format!(" WHERE {}", conds.join(" AND ")),
            }
        ))
    }
}

/// The state tables of `groups`, for explain.
pub fn describe_groups(groups: &[TallyGroup]) -> String {
    let names: Vec<String> = groups.iter().filter_map(|g| g.state_sql()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> TallyGroup {
        TallyGroup {
            source: TableRef {
                oid: 3,
                schema: "public".into(),
                name: "tb_review".into(),
            },
            columns: vec![GroupColumn {
                name: "fk_product".into(),
                key_type: "pg_catalog.int4".into(),
                key_collation: None,
                eq: OperatorRef::equals(),
            }],
            null_group: false,
            filter: Some("n.approved".into()),
            slots: vec![Slot {
                column: "rating".into(),
                summed: true,
                values: Values::Plain,
            }],
            identity: "3/2/23/0/96/{OPEXPR}/rating:true".into(),
            state: Some(("tviews_def".into(), "tv_product_tally".into())),
            pending: None,
        }
    }

    #[test]
    fn the_state_table_has_a_key_a_row_count_and_a_count_and_sum_per_column() {
        assert_eq!(
            group().create_statement("tviews_def", "x"),
            "CREATE TABLE \"tviews_def\".\"x\" (\"k\" pg_catalog.int4, \"n\" pg_catalog.int8 NOT NULL, \"c0\" pg_catalog.int8 NOT NULL, \"s0\" pg_catalog.numeric NOT NULL, PRIMARY KEY (\"k\"))"
        );
        assert_eq!(
            group().fill_statement().unwrap(),
            "INSERT INTO \"tviews_def\".\"tv_product_tally\" (\"k\", \"n\", \"c0\", \"s0\") SELECT n.\"fk_product\", pg_catalog.count(*), pg_catalog.count(n.\"rating\"), coalesce(pg_catalog.sum(n.\"rating\"::pg_catalog.numeric), '0'::pg_catalog.numeric) FROM ONLY \"public\".\"tb_review\" AS n WHERE n.\"fk_product\" IS NOT NULL AND (n.approved) GROUP BY 1"
        );
    }

    #[test]
    fn a_delta_adds_new_rows_and_subtracts_old_ones_in_key_order() {
        let g = group();
        let insert = delta_statement(std::slice::from_ref(&g), Event::Insert).unwrap();
        assert!(
            insert.contains("FROM (SELECT 1 AS \"__pgtv_sign\", t.* FROM \"pgtv_new\" AS t) AS n")
        );
        assert!(!insert.contains("pgtv_old"));
        assert!(insert.contains("ORDER BY 1 ON CONFLICT (\"k\") DO UPDATE SET \"n\" = s.\"n\" OPERATOR(pg_catalog.+) EXCLUDED.\"n\""));
        let update = delta_statement(std::slice::from_ref(&g), Event::Update).unwrap();
        assert!(
            update.contains("UNION ALL SELECT -1 AS \"__pgtv_sign\", t.* FROM \"pgtv_old\" AS t")
        );
        let two = delta_statement(&[g.clone(), g], Event::Delete).unwrap();
        assert!(two.starts_with("WITH \"__pgtv_t0\" AS (INSERT INTO"));
        assert!(two.ends_with(") SELECT"));
        assert_eq!(delta_statement(&[], Event::Delete), None);
    }

    #[test]
    fn deferred_deltas_wait_in_a_pending_table_and_are_added_once_at_commit() {
        let g = TallyGroup {
            pending: Some(("tviews_def".into(), "tv_product_tally_pending".into())),
            ..group()
        };
        // The pending table: the state's columns, no key (statements only append).
        assert_eq!(
            g.create_pending_statement("tviews_def", "p"),
            "CREATE TABLE \"tviews_def\".\"p\" (\"k\" pg_catalog.int4, \"n\" pg_catalog.int8 NOT NULL, \"c0\" pg_catalog.int8 NOT NULL, \"s0\" pg_catalog.numeric NOT NULL)"
        );
        let pending = pending_statement(std::slice::from_ref(&g), Event::Insert).unwrap();
        assert!(pending.starts_with(
            "WITH \"__pgtv_p0\" AS (INSERT INTO \"tviews_def\".\"tv_product_tally_pending\" (\"k\", \"n\", \"c0\", \"s0\") SELECT"
        ));
        assert!(pending.ends_with(
            " RETURNING ctid) SELECT ARRAY(SELECT \"__pgtv_p0\".ctid FROM \"__pgtv_p0\")"
        ));
        assert!(!pending.contains("ON CONFLICT"));
        // One array of row ids per group, in order; empty for a group without a table.
        let two = pending_statement(&[group(), g.clone()], Event::Insert).unwrap();
        assert!(two.contains("\"__pgtv_p1\" AS (INSERT INTO"));
        assert!(two.ends_with(
            "SELECT '{}'::pg_catalog.tid[], ARRAY(SELECT \"__pgtv_p1\".ctid FROM \"__pgtv_p1\")"
        ));
        // The fold: take the transaction's rows out by id, sum them per key, update the state
        // rows found and insert the others.
        let fold = fold_statement(std::slice::from_ref(&g)).unwrap();
        assert!(fold.starts_with(
            "WITH \"__pgtv_d0\" AS (DELETE FROM \"tviews_def\".\"tv_product_tally_pending\" WHERE ctid OPERATOR(pg_catalog.=) ANY ($1) RETURNING *), \"__pgtv_a0\" AS (SELECT \"k\", pg_catalog.sum(\"n\")::pg_catalog.int8 AS \"n\", pg_catalog.sum(\"c0\")::pg_catalog.int8 AS \"c0\", pg_catalog.sum(\"s0\") AS \"s0\" FROM \"__pgtv_d0\" GROUP BY 1)"
        ));
        assert!(fold.contains("\"__pgtv_u0\" AS (UPDATE \"tviews_def\".\"tv_product_tally\" AS s SET \"n\" = s.\"n\" OPERATOR(pg_catalog.+) a.\"n\""));
        assert!(fold.contains("WHERE NOT EXISTS (SELECT FROM \"__pgtv_u0\" AS u WHERE"));
        assert!(fold.ends_with(") SELECT"));
        // The reset empties the pending deltas too; without a pending table there is no fold.
        let reset = reset_statement(std::slice::from_ref(&g)).unwrap();
        assert!(reset.contains("DELETE FROM \"tviews_def\".\"tv_product_tally_pending\""));
        assert_eq!(fold_statement(&[group()]), None);
        assert_eq!(pending_statement(&[group()], Event::Insert), None);
        // The pending table's comment is not the state's.
        assert!(g.matches_pending(&g.pending_spec()));
        assert!(!g.matches(&g.pending_spec()));
        assert!(!g.matches_pending(&g.spec()));
        assert!(is_pending_spec(&g.pending_spec()));
        assert!(!is_pending_spec(&g.spec()));
    }

    #[test]
    fn the_oracle_recounts_the_table_and_compares_every_state_column() {
        let without = TallyGroup {
            state: None,
            ..group()
        };
        assert_eq!(without.state_check(), None);
        let check = group().state_check().unwrap();
        // The recount is the statements' own count, over the whole table; rows of zeros
        // are left out on both sides.
        assert!(check.starts_with("SELECT DISTINCT u.\"k\"::pg_catalog.text FROM (SELECT r.\"k\", r.\"n\", r.\"c0\", r.\"s0\" FROM (SELECT"));
        assert!(check.contains("FROM (SELECT 1 AS \"__pgtv_sign\", t.* FROM ONLY"));
        assert!(check.contains(") AS r(\"k\", \"n\", \"c0\", \"s0\") WHERE r.\"n\" OPERATOR(pg_catalog.<>) 0 OR r.\"c0\" OPERATOR(pg_catalog.<>) 0 OR r.\"s0\" OPERATOR(pg_catalog.<>) 0 UNION ALL SELECT s.\"k\", s.\"n\", s.\"c0\", s.\"s0\" FROM \"tviews_def\".\"tv_product_tally\" AS s WHERE"));
        // A key whose two rows agree is one group of two.
        assert!(check.ends_with(
            ") AS u(\"k\", \"n\", \"c0\", \"s0\") GROUP BY u.\"k\", u.\"n\", u.\"c0\", u.\"s0\" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.<>) 2"
        ));
    }

    #[test]
    fn values_follow_what_the_aggregates_give_for_no_rows() {
        let g = group();
        let key = "r.\"pk_product\"";
        let lookup = "FROM \"tviews_def\".\"tv_product_tally\" AS s WHERE s.\"k\"::integer OPERATOR(\"pg_catalog\".=) r.\"pk_product\"::integer)";
        assert_eq!(
            Tallied::Rows.value(&g, key).unwrap(),
            format!("coalesce((SELECT \"n\" {lookup}, '0'::pg_catalog.int8)")
        );
        assert_eq!(
            Tallied::Avg(0).value(&g, key).unwrap(),
            format!("(SELECT CASE WHEN \"c0\" OPERATOR(pg_catalog.>) '0'::pg_catalog.int8 THEN \"s0\" OPERATOR(pg_catalog./) \"c0\"::pg_catalog.numeric END {lookup}")
        );
        assert!(Tallied::Sum {
            slot: 0,
            numeric: false
        }
        .value(&g, key)
        .unwrap()
        .contains("THEN \"s0\"::pg_catalog.int8 END"));
        let mut none = g;
        none.state = None;
        assert_eq!(Tallied::Rows.value(&none, key), None);
    }

    #[test]
    fn booleans_count_their_trues_and_extremes_read_the_documents_rows() {
        let mut g = group();
        g.slots.push(Slot {
            column: "flag".into(),
            summed: true,
            values: Values::Boolean,
        });
        let key = "r.\"pk_product\"";
        assert!(g
            .fill_statement()
            .unwrap()
            .contains("coalesce(pg_catalog.sum((n.\"flag\")::pg_catalog.int4::pg_catalog.numeric), '0'::pg_catalog.numeric)"));
        assert!(delta_statement(std::slice::from_ref(&g), Event::Insert)
            .unwrap()
            .contains(
                "(CASE WHEN n.approved THEN (n.\"flag\")::pg_catalog.int4 END)::pg_catalog.numeric"
            ));
        assert!(Tallied::BoolAnd(1).value(&g, key).unwrap().contains(
            "CASE WHEN \"c1\" OPERATOR(pg_catalog.>) '0'::pg_catalog.int8 THEN \"s1\" OPERATOR(pg_catalog.=) \"c1\"::pg_catalog.numeric END"
        ));
        assert!(Tallied::BoolOr(1)
            .value(&g, key)
            .unwrap()
            .contains("THEN \"s1\" OPERATOR(pg_catalog.>) '0'::pg_catalog.numeric END"));
        assert!(g
            .spec()
            .ends_with("\"rating\" count+sum, \"flag\" count+trues"));
        assert_eq!(
            Tallied::Extreme { slot: 0, max: true }.value(&g, key).unwrap(),
            "(SELECT pg_catalog.max(n.\"rating\") FROM ONLY \"public\".\"tb_review\" AS n WHERE n.\"fk_product\"::integer OPERATOR(\"pg_catalog\".=) r.\"pk_product\"::integer AND (n.approved))"
        );
        g.state = None;
        assert_eq!(
            Tallied::Extreme {
                slot: 0,
                max: false
            }
            .value(&g, key),
            None
        );
    }

    #[test]
    fn numeric_sums_keep_nan_apart() {
        let mut g = group();
        g.slots = vec![Slot {
            column: "amount".into(),
            summed: true,
            values: Values::Numeric,
        }];
        let key = "r.\"pk_product\"";
        assert!(g
            .create_statement("s", "x")
            .ends_with("\"s0\" pg_catalog.numeric NOT NULL, \"z0\" pg_catalog.int8 NOT NULL, PRIMARY KEY (\"k\"))"));
        let fill = g.fill_statement().unwrap();
        assert!(fill.contains("pg_catalog.sum((CASE WHEN n.\"amount\" OPERATOR(pg_catalog.<>) 'NaN'::pg_catalog.numeric THEN n.\"amount\" END)::pg_catalog.numeric)"));
        assert!(fill.contains("pg_catalog.count(CASE WHEN n.\"amount\" OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric THEN 1 END)"));
        let delta = delta_statement(std::slice::from_ref(&g), Event::Update).unwrap();
        assert!(delta.contains("pg_catalog.sum(CASE WHEN n.approved AND n.\"amount\" OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric THEN n.\"__pgtv_sign\" ELSE 0 END)"));
        assert!(delta.contains("\"z0\" = s.\"z0\" OPERATOR(pg_catalog.+) EXCLUDED.\"z0\""));
        let avg = Tallied::Avg(0).value(&g, key).unwrap();
        assert!(avg.contains("THEN CASE WHEN \"z0\" OPERATOR(pg_catalog.>) '0'::pg_catalog.int8 THEN 'NaN'::pg_catalog.numeric ELSE \"s0\" OPERATOR(pg_catalog./) \"c0\"::pg_catalog.numeric END END"));
        assert!(g.spec().ends_with("\"amount\" count+sum+nan"));
    }

    #[test]
    fn placeholders_are_replaced_once_each_or_not_at_all() {
        let (_, a) = placeholder(0);
        let (_, b) = placeholder(1);
        assert_eq!(
            substitute(
                &format!("round({a}, 2) + {b}"),
                &[(a.clone(), "x".into()), (b.clone(), "y".into())]
            ),
            Some("round((x), 2) + (y)".into())
        );
        assert_eq!(
            substitute(&format!("{a} + {a}"), &[(a.clone(), "x".into())]),
            None
        );
        assert_eq!(substitute(&format!("{a}2"), &[(a, "x".into())]), None);
    }

    #[test]
    fn a_filtered_group_writes_every_key_of_the_rows_and_counts_only_those_that_pass() {
        let d = delta_statement(&[group()], Event::Insert).unwrap();
        assert!(
            d.contains("pg_catalog.sum(CASE WHEN n.approved THEN n.\"__pgtv_sign\" ELSE 0 END)")
        );
        assert!(d.contains("CASE WHEN n.approved THEN n.\"rating\" END"));
        assert!(d.contains("WHERE n.\"fk_product\" IS NOT NULL GROUP BY 1 ORDER BY 1"));
        assert!(!d.contains("HAVING"));
    }

    #[test]
    fn apply_replaces_the_tallied_values_only_once_every_group_has_state() {
        use crate::sqlgen::patch::{DocumentPatch, KeyValue};
        let (_, ph) = placeholder(0);
        let partial = PartialSource {
            table: group().source,
            root: TableRef {
                oid: 2,
                schema: "public".into(),
                name: "tb_product".into(),
            },
            root_only: false,
            key_column: "pk_product".into(),
            documents: vec![DocumentPatch {
                column: "data".into(),
                keys: vec![
                    KeyValue {
                        key: "count".into(),
                        value_sql: "(SELECT count(*) FROM ...)".into(),
                    },
                    KeyValue {
                        key: "latest".into(),
                        value_sql: "(SELECT jsonb_agg(...))".into(),
                    },
                ],
            }],
            tallies: vec![],
        };
        let mut stateless = group();
        stateless.state = None;
        let tally = SourceTally {
            source: 3,
            groups: vec![stateless.clone()],
            values: vec![TalliedValue {
                column: "data".into(),
                key: "count".into(),
                sql: format!("{ph} + 1"),
                uses: vec![Use {
                    placeholder: ph,
                    group: 0,
                    aggregate: Tallied::Rows,
                }],
            }],
        };
        assert_eq!(tally.apply(&partial, &[stateless]), None);
        let applied = tally.apply(&partial, &[group()]).unwrap();
        let keys = &applied.documents[0].keys;
        assert!(keys[0].value_sql.starts_with("(coalesce((SELECT \"n\" FROM \"tviews_def\".\"tv_product_tally\" AS s WHERE s.\"k\"::integer OPERATOR(\"pg_catalog\".=) r.\"pk_product\"::integer)"));
        assert!(keys[0].value_sql.ends_with(" + 1"));
        assert_eq!(keys[1], partial.documents[0].keys[1]);
        assert_eq!(applied.tallies, vec![group()]);
    }

    #[test]
    fn the_spec_names_everything_the_state_depends_on() {
        let g = group();
        let spec = g.spec();
        assert!(spec.starts_with("pg_tviews tally state: "));
        assert!(spec.ends_with("; rows of \"public\".\"tb_review\" per \"fk_product\" (pg_catalog.int4) where n.approved; values: \"rating\" count+sum"));
        assert!(g.matches(&spec));
        // Renames change the words, not the identity.
        let mut renamed = g.clone();
        renamed.columns[0].name = "product".into();
        assert!(renamed.matches(&spec));
        let mut other = g;
        other.identity.push_str("/weight:false");
        assert!(!other.matches(&spec));
    }

    fn summary(columns: &[&str], null_group: bool) -> Summary {
        let (_, g) = placeholder(0);
        let (_, c) = placeholder(1);
        let (_, a) = placeholder(2);
        let (_, h) = placeholder(3);
        let mut parts = vec![(
            "kind".to_string(),
            Placed {
                sql: g.clone(),
                parts: vec![(g, Part::Group(0))],
            },
        )];
        if columns.is_empty() {
            parts.clear();
        }
        parts.push((
            "n".to_string(),
            Placed {
                sql: format!("{c} * 2"),
                parts: vec![(c, Part::Aggregate(Tallied::Rows))],
            },
        ));
        parts.push((
            "best".to_string(),
            Placed {
                sql: a.clone(),
                parts: vec![(a, Part::Aggregate(Tallied::Extreme { slot: 0, max: true }))],
            },
        ));
        Summary {
            group: TallyGroup {
                columns: columns
                    .iter()
                    .map(|c| GroupColumn {
                        name: c.to_string(),
                        ..group().columns[0].clone()
                    })
                    .collect(),
                null_group,
                ..group()
            },
            lookup: None,
            columns: parts,
            having: Some(Placed {
                sql: format!("{h} > 1"),
                parts: vec![(h, Part::Aggregate(Tallied::Rows))],
            }),
        }
    }

    #[test]
    fn a_summary_reads_its_rows_from_the_state_rows_that_count_a_row() {
        let s = summary(&["kind"], false);
        assert_eq!(
            s.rows().unwrap(),
            "SELECT (s.\"k\") AS \"kind\", (coalesce(s.\"n\", '0'::pg_catalog.int8)) * 2 AS \"n\", \
             ((SELECT pg_catalog.max(n.\"rating\") FROM ONLY \"public\".\"tb_review\" AS n WHERE n.\"kind\"::integer OPERATOR(\"pg_catalog\".=) s.\"k\"::integer AND (n.approved))) AS \"best\" \
             FROM \"tviews_def\".\"tv_product_tally\" AS s WHERE s.\"n\" OPERATOR(pg_catalog.>) '0'::pg_catalog.int8 AND ((coalesce(s.\"n\", '0'::pg_catalog.int8)) > 1)"
        );
        let mut stateless = s;
        stateless.group.state = None;
        assert_eq!(stateless.rows(), None);
    }

    /// A lookup `public.tb_kind` by its `pk_kind`, matching the state's key column at
    /// `position`.
    fn kind_lookup(position: usize, filter: Option<&str>, outer: bool) -> Lookup {
        Lookup {
            table: TableRef {
                oid: 9,
                schema: "public".into(),
                name: "tb_kind".into(),
            },
            column: "pk_kind".into(),
            position,
            filter: filter.map(str::to_string),
            outer,
        }
    }

    #[test]
    fn a_lookup_beside_other_group_columns_joins_the_state_by_the_links_key_column() {
        let mut s = summary(&["region", "kind"], false);
        s.lookup = Some(kind_lookup(1, None, false));
        let rows = s.rows().unwrap();
        assert!(
            rows.contains(" AS s JOIN ONLY \"public\".\"tb_kind\" AS l ON l.\"pk_kind\"::integer OPERATOR(\"pg_catalog\".=) s.\"k1\"::integer WHERE "),
            "{rows}"
        );
        s.lookup.as_mut().unwrap().position = 2;
        assert_eq!(s.rows(), None);
    }

    #[test]
    fn a_left_join_from_the_lookup_makes_every_lookup_row_a_group() {
        let mut s = summary(&["kind"], false);
        s.lookup = Some(kind_lookup(0, Some("l.active"), true));
        let rows = s.rows().unwrap();
        // From the lookup, the state joined when it has a row; the key is the lookup's.
        assert!(rows.contains(" FROM ONLY \"public\".\"tb_kind\" AS l LEFT JOIN \"tviews_def\".\"tv_product_tally\" AS s ON l.\"pk_kind\"::integer OPERATOR(\"pg_catalog\".=) s.\"k\"::integer WHERE (l.active)"), "{rows}");
        assert!(
            rows.starts_with("SELECT (l.\"pk_kind\") AS \"kind\", "),
            "{rows}"
        );
        // count(*) counts the NULL-extended row of a group without rows.
        assert!(rows.contains("pg_catalog.int8larger(coalesce(s.\"n\", '0'::pg_catalog.int8), '1'::pg_catalog.int8)"), "{rows}");
        assert!(!rows.contains("s.\"n\" OPERATOR(pg_catalog.>)"), "{rows}");
    }

    #[test]
    fn a_null_group_is_kept_and_probed_apart() {
        let s = summary(&["kind"], true);
        assert!(s
            .group
            .create_statement("s", "x")
            .ends_with("UNIQUE NULLS NOT DISTINCT (\"k\"))"));
        let delta = delta_statement(std::slice::from_ref(&s.group), Event::Insert).unwrap();
        assert!(delta.contains("AS n GROUP BY 1 ORDER BY 1"));
        assert!(!s.group.fill_statement().unwrap().contains("IS NOT NULL"));
        // The commit's test of which keys it updated compares two computed sets: as records,
        // which the planner can merge (NULL equal to NULL), not with `OR ... IS NULL`.
        let mut pending = s.group.clone();
        pending.pending = Some(("tviews_def".into(), "tv_product_tally_pending".into()));
        let fold = fold_statement(std::slice::from_ref(&pending)).unwrap();
        assert!(
            fold.contains("WHERE NOT EXISTS (SELECT FROM \"__pgtv_u0\" AS u WHERE ROW(u.\"k\")::pg_catalog.record OPERATOR(pg_catalog.=) ROW(a.\"k\")::pg_catalog.record)"),
            "{fold}"
        );
        assert!(s.rows().unwrap().contains("(SELECT pg_catalog.max(n.\"rating\") FROM ONLY \"public\".\"tb_review\" AS n WHERE (n.\"kind\"::integer OPERATOR(\"pg_catalog\".=) s.\"k\"::integer OR (n.\"kind\" IS NULL AND s.\"k\" IS NULL)) AND (n.approved))"));
        assert!(s
            .group
            .spec()
            .contains(" per \"kind\" (pg_catalog.int4), NULL a group where "));
    }

    #[test]
    fn a_summary_without_group_by_has_one_row_from_a_state_row_that_may_be_missing() {
        let s = summary(&[], false);
        let create = s.group.create_statement("s", "x");
        assert!(create.starts_with("CREATE TABLE \"s\".\"x\" (\"k\" pg_catalog.bool, "));
        assert!(create.ends_with(", PRIMARY KEY (\"k\"))"));
        let fill = s.group.fill_statement().unwrap();
        assert!(fill.contains("SELECT true, pg_catalog.count(*)"));
        assert!(fill.ends_with("AS n WHERE (n.approved)"));
        let rows = s.rows().unwrap();
        assert!(rows
            .contains("FROM ONLY \"public\".\"tb_review\" AS n WHERE (n.approved))) AS \"best\""));
        assert!(rows.ends_with(" FROM (SELECT) AS o LEFT JOIN \"tviews_def\".\"tv_product_tally\" AS s ON true WHERE ((coalesce(s.\"n\", '0'::pg_catalog.int8)) > 1)"));
        assert!(s.group.spec().contains("\"tb_review\" in all where"));
    }

    #[test]
    fn a_summary_of_several_group_by_columns_keys_its_state_by_all_of_them() {
        let mut s = summary(&["kind", "region"], true);
        let (_, r) = placeholder(9);
        s.columns.insert(
            1,
            (
                "region".to_string(),
                Placed {
                    sql: r.clone(),
                    parts: vec![(r, Part::Group(1))],
                },
            ),
        );
        let create = s.group.create_statement("s", "x");
        assert!(create.starts_with(
            "CREATE TABLE \"s\".\"x\" (\"k\" pg_catalog.int4, \"k1\" pg_catalog.int4, \"n\" "
        ));
        assert!(create.ends_with("UNIQUE NULLS NOT DISTINCT (\"k\", \"k1\"))"));
        let delta = delta_statement(std::slice::from_ref(&s.group), Event::Update).unwrap();
        assert!(delta.contains("SELECT n.\"kind\", n.\"region\", pg_catalog.sum("));
        assert!(delta.contains(
            " GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (\"k\", \"k1\") DO UPDATE SET \"n\" = "
        ));
        assert!(!delta.contains("SET \"k1\""));
        assert!(s
            .group
            .fill_statement()
            .unwrap()
            .ends_with(" GROUP BY 1, 2"));
        let rows = s.rows().unwrap();
        assert!(rows.starts_with("SELECT (s.\"k\") AS \"kind\", (s.\"k1\") AS \"region\", "));
        assert!(rows.contains("OR (n.\"region\" IS NULL AND s.\"k1\" IS NULL))"));
        assert!(s.group.spec().contains(
            " per \"kind\" (pg_catalog.int4), \"region\" (pg_catalog.int4), NULL a group where "
        ));
        // Without NULL groups, a row with a NULL in either column is not counted.
        s.group.null_group = false;
        assert!(s.group.fill_statement().unwrap().contains(
            "WHERE n.\"kind\" IS NOT NULL AND n.\"region\" IS NOT NULL AND (n.approved)"
        ));
    }
}
