//! Key queries: from a statement's transition tables to the TVIEW keys it may affect.
//!
//! One query per (source table, statement kind) returns `array_agg(DISTINCT key)` over one
//! branch per occurrence of the table: the path from the root to the occurrence, joined with
//! the changed rows. Its cost does not depend on how many rows changed beyond reading them.

use std::collections::HashMap;

use super::quote::{compare, qualified, quote_ident, table};
use super::refresh::RefreshTarget;
use super::{TRANSITION_NEW, TRANSITION_OLD};
use crate::model::{DefinitionModel, OccId};
use crate::plan::{Hop, MaintenancePlan, Reach, SourcePlan};

/// Which transition tables a statement provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Insert,
    Update,
    Delete,
}

impl Event {
    /// The changed rows: new images, old images, or both.
    fn delta(self) -> String {
        match self {
            Event::Insert => quote_ident(TRANSITION_NEW),
            Event::Delete => quote_ident(TRANSITION_OLD),
            Event::Update => format!(
                "(SELECT * FROM {} UNION ALL SELECT * FROM {})",
                quote_ident(TRANSITION_OLD),
                quote_ident(TRANSITION_NEW)
            ),
        }
    }
}

impl Event {
    /// The distinct values of `column` in the changed rows (old and new images), as a
    /// relation with that one column. For a column whose type has an equality only.
    fn values_of(self, column: &str) -> String {
        let c = quote_ident(column);
        let of = |t: &str| format!("SELECT d.{c} FROM {} AS d", quote_ident(t));
        match self {
            Event::Insert => format!(
                "(SELECT DISTINCT d.{c} FROM {} AS d)",
                quote_ident(TRANSITION_NEW)
            ),
            Event::Delete => format!(
                "(SELECT DISTINCT d.{c} FROM {} AS d)",
                quote_ident(TRANSITION_OLD)
            ),
            Event::Update => format!("({} UNION {})", of(TRANSITION_OLD), of(TRANSITION_NEW)),
        }
    }

    /// The event whose rows are this one's new images: none for a DELETE.
    pub fn new_rows(self) -> Option<Event> {
        match self {
            Event::Delete => None,
            Event::Insert | Event::Update => Some(Event::Insert),
        }
    }
}

/// The values the lookup locks are taken on (see `plan::LookupLink`): one array column per
/// lookup column, of the values of the changed rows' columns `reads[i]` (several when several
/// columns point at the same lookup column), NULLs left out (they equal nothing). `None`
/// without rows or columns to read.
pub fn lookup_values_query(reads: &[Vec<String>], event: Option<Event>) -> Option<String> {
    let delta = event?.delta();
    if reads.is_empty() || reads.iter().any(Vec::is_empty) {
        return None;
    }
    let columns: Vec<String> = reads
        .iter()
        .map(|read| {
            let values: Vec<String> = read
                .iter()
                .map(|c| {
                    let c = format!("d.{}", quote_ident(c));
                    format!("SELECT {c} AS v FROM {delta} AS d WHERE {c} IS NOT NULL")
                })
                .collect();
            format!("ARRAY({})", values.join(" UNION ALL "))
        })
        .collect();
    Some(format!("SELECT {}", columns.join(", ")))
}

/// The key query of `source` for `event`, or `None` when a change to it recomputes every row.
/// `stored` is the TVIEW's table, which a key drawn from several tables reads (see
/// [`spanning_query`]).
pub fn key_query(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
    event: Event,
    stored: &RefreshTarget<'_>,
) -> Option<String> {
    if model.spans_tables() {
        let old = quote_ident(TRANSITION_OLD);
        let new = quote_ident(TRANSITION_NEW);
        let (old, new) = match event {
            Event::Insert => (None, Some(new)),
            Event::Delete => (Some(old), None),
            Event::Update => (Some(old), Some(new)),
        };
        return spanning_query(
            model,
            plan,
            source,
            old.as_deref(),
            new.as_deref(),
            true,
            stored,
        );
    }
    let delta = event.delta();
    branches_query(
        model,
        source,
        &|_| delta.clone(),
        Some(&|c| event.values_of(c)),
    )
}

/// The key query for a key drawn from several occurrences (`a.pk_a, b.pk_b` of a join of
/// `a` and `b`), where no one table's rows hold the key. For each appearance of the source,
/// with `old` and `new` the relations of the changed rows' old and new images:
///
/// * **the join**: the root and every occurrence holding key columns, joined along their
///   paths from the root, with the changed rows (each image) standing for the source's
///   appearance and every other row read as it is now. This finds the rows the changed rows
///   are in now, and the rows whose presence they decided (a row of a `NOT EXISTS`
///   subquery deleted lets rows appear that never held it);
/// * **the stored rows** (old images only): the TVIEW's rows whose key columns of the root,
///   reached from the old image along the join path, and of the source itself, match. A
///   stored row whose halves both changed (a self-join moving two people together, a
///   cascade that deleted one side before the other side's maintenance ran) is found here,
///   which no join over the rows as they are now could do. If a row on the path changed too,
///   the change of the first such row (counted from the root) finds the stored row the same
///   way.
///
/// Filters are left out, as for every key query: extra keys cost a recompute that changes
/// nothing. `images`: `old` and `new` are the changed rows' old and new images apart (not
/// rows standing for both, as a deferred capture's are).
fn spanning_query(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
    old: Option<&str>,
    new: Option<&str>,
    images: bool,
    stored: &RefreshTarget<'_>,
) -> Option<String> {
    if source.recompute_all_reason().is_some() || stored.key.len() != model.key_origins.len() {
        return None;
    }
    let root = model.key_origins.first()?.occ;
    let mut branches: Vec<String> = Vec::new();
    for (occ, reach) in &source.reaches {
        let path: &[Hop] = match reach {
            Reach::Root => &[],
            Reach::Path(hops) => hops,
            Reach::Untraceable(_) => return None,
        };
        // With no table in every row, the stored rows holding the changed rows' own key
        // columns (whatever the other tables' are).
        let own_only = model.rootless();
        // (A table outside such a key holds none of its columns: its old rows' groups are
        // those its joins lead to, below.)
        let holds_key = model.key_origins.iter().any(|o| o.occ == *occ);
        if let (Some(old), true) = (old, holds_key || !own_only) {
            branches.push(stored_rows_branch(
                model, root, *occ, path, old, stored, own_only,
            ));
        }
        // Each image, with the other one of an UPDATE (see `joined_rows_branch`).
        let pairs = [(old, new), (new, old)];
        for (this, other) in pairs.into_iter().filter_map(|(t, o)| Some((t?, o))) {
            let other = other.filter(|_| images);
            branches.push(joined_rows_branch(
                model, plan, root, *occ, path, this, other, stored,
            ));
        }
    }
    let mut distinct: Vec<String> = Vec::new();
    for b in branches {
        if !distinct.contains(&b) {
            distinct.push(b);
        }
    }
    // A key with every column NULL (a changed row that joins nothing, with its own table's
    // columns NULLed too) is no row's.
    let some_row = if model.rootless() && !model.all_null_group {
        " WHERE NOT (s.k IS NULL)"
    } else {
        ""
    };
    Some(format!(
        "SELECT pg_catalog.array_agg(DISTINCT k) FROM ({}) AS s(k){some_row}",
        distinct.join(" UNION ALL ")
    ))
}

/// The stored rows side of [`spanning_query`] for the appearance `target` of the source,
/// reached from the root along `path`; `old` holds the old images. With `own_only` (a key
/// with no table in every row, whose rows may be stored with any other table's columns
/// NULL): the stored rows holding the target's own key columns, whatever the others.
fn stored_rows_branch(
    model: &DefinitionModel,
    root: OccId,
    target: OccId,
    path: &[Hop],
    old: &str,
    stored: &RefreshTarget<'_>,
    own_only: bool,
) -> String {
    // The key columns the branch reads: the root's, through the path, and the target's own.
    let mut read: Vec<(usize, String)> = Vec::new();
    for (i, origin) in model.key_origins.iter().enumerate() {
        let alias = if origin.occ == target {
            "d"
        } else if origin.occ == root && !own_only {
            "t0"
        } else {
            continue;
        };
        read.push((i, format!("{alias}.{}", quote_ident(&origin.column))));
    }
    let values: Vec<String> = read.iter().map(|(_, v)| v.clone()).collect();
    let rows = if target == root || own_only {
        format!("SELECT {} FROM {old} AS d", values.join(", "))
    } else {
        path_branch(model, root, &values.join(", "), target, path, old, true)
    };
    let tests: Vec<String> = read
        .iter()
        .enumerate()
        .map(|(j, (i, _))| {
            let column = format!("t.{}", quote_ident(&stored.key[*i]));
            let value = format!("b.v{j}");
            match stored.key_fields.get(*i) {
                Some(field) => {
                    let collate = field
                        .collation
                        .as_ref()
                        .map(|c| format!(" COLLATE {c}"))
                        .unwrap_or_default();
                    let test = compare(&column, &field.eq, &format!("{value}{collate}"));
                    // The target's own columns are NOT NULL in its rows (but for a key of
                    // groups, whose NULL is a value).
                    if field.nullable && (!own_only || model.null_groups) {
                        format!("({test} OR ({column} IS NULL AND {value} IS NULL))")
                    } else {
                        test
                    }
                }
                None => format!("{column} IS NOT DISTINCT FROM {value}"),
            }
        })
        .collect();
    let names: Vec<String> = (0..read.len()).map(|j| format!("v{j}")).collect();
    format!(
        "SELECT {} FROM {} AS t WHERE EXISTS (SELECT FROM ({rows}) AS b({}) WHERE {})",
        stored.key_of("t"),
        qualified(stored.table.0, stored.table.1),
        names.join(", "),
        tests.join(" AND ")
    )
}

/// The join side of [`spanning_query`]: the root and every occurrence holding a key column,
/// joined along their paths (and `path`, to the appearance `target` of the source, whose
/// relation is `images`). `other`: an UPDATE's other image, whose rows holding the same
/// values in the target's [`DefinitionModel::match_columns`] tell that a row of `images`
/// changed no match.
#[allow(clippy::too_many_arguments)]
fn joined_rows_branch(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    root: OccId,
    target: OccId,
    path: &[Hop],
    images: &str,
    other: Option<&str>,
    stored: &RefreshTarget<'_>,
) -> String {
    let relation = |occ: OccId| {
        if occ == target {
            images.to_string()
        } else {
            table(&model.occurrences[occ].table)
        }
    };
    let alias = |occ: OccId| format!("o{occ}");
    // The occurrences the changed rows are reached through: joined as they are (a row that
    // does not reach them is no row of this branch).
    let on_path: Vec<OccId> = path.iter().map(|h| h.to.occ).chain([target]).collect();
    // With no table in every row, the changed rows are the start, and every other table may
    // be NULL-extended in their rows.
    let rootless = model.rootless();
    let start = if rootless { target } else { root };
    // The paths share their prefixes (one breadth-first tree from the start): each hop's
    // starting occurrence is joined before it. An occurrence an outer join NULL-extends,
    // off the changed rows' path, is joined as that join does (LEFT): a row without a match
    // there is a row of the definition too.
    let mut joined: Vec<OccId> = vec![start];
    let mut sql = format!("FROM {} AS {}", relation(start), alias(start));
    for hop in branch_hops(plan, target, path) {
        let to = hop.to.occ;
        if joined.contains(&to) {
            continue;
        }
        let join = if rootless || (model.null_extended(to) && !on_path.contains(&to)) {
            "LEFT JOIN"
        } else {
            "JOIN"
        };
        sql.push_str(&format!(
            " {join} {} AS {} ON {}",
            relation(to),
            alias(to),
            hop_condition(hop, &alias(hop.from.occ), &alias(to), true)
        ));
        joined.push(to);
    }
    // The key as the join finds it, and with each combination of its outer joins' columns
    // NULL: the changed rows may decide whether those joins find a match (the join here
    // leaves the definition's other conditions out, so it may find one the definition does
    // not). With no table in every row this includes the changed rows' own row left
    // unmatched, and the rows their arrival or departure leaves unmatched.
    let value =
        |o: &crate::model::ColumnRef| format!("{}.{}", alias(o.occ), quote_ident(&o.column));
    let patterns = model.null_patterns_for(target);
    if let [none] = patterns.as_slice() {
        if none.is_empty() {
            return format!("SELECT {} {sql}", key_row(model, &value, none, stored));
        }
    }
    let keys = patterns
        .iter()
        .map(|nulled| (key_row(model, &value, nulled, stored), nulled.is_empty()));
    let Some((other, columns)) = other.zip(model.match_columns(target)) else {
        let rows: Vec<String> = keys.map(|(k, _)| format!("({k})")).collect();
        return format!(
            "SELECT p.k {sql} CROSS JOIN LATERAL (VALUES {}) AS p(k)",
            rows.join(", ")
        );
    };
    // The combinations with the target's side NULL only for rows whose values in the join's
    // links the other image lacks (the rows of the other side they matched lose or gain a
    // match): an UPDATE of other columns moves no row into or out of those groups.
    let same: Vec<String> = columns
        .iter()
        .map(|c| {
            let c = quote_ident(c);
            format!("x.{c} IS NOT DISTINCT FROM {}.{c}", alias(target))
        })
        .collect();
    let moved = format!(
        "NOT EXISTS (SELECT FROM {other} AS x WHERE {})",
        same.join(" AND ")
    );
    let rows: Vec<String> = keys
        .map(|(k, none_nulled)| match none_nulled {
            true => format!("SELECT {k}"),
            false => format!("SELECT {k} WHERE {moved}"),
        })
        .collect();
    format!(
        "SELECT p.k {sql} CROSS JOIN LATERAL ({}) AS p(k)",
        rows.join(" UNION ALL ")
    )
}

/// The key whose columns are `value(origin)`, those of the occurrences `nulled` NULL (the
/// key of an unmatched row of a FULL JOIN's other side, of a row an outer join NULL-extends).
fn key_row(
    model: &DefinitionModel,
    value: &dyn Fn(&crate::model::ColumnRef) -> String,
    nulled: &std::collections::BTreeSet<OccId>,
    stored: &RefreshTarget<'_>,
) -> String {
    let values: Vec<String> = model
        .key_origins
        .iter()
        .map(|o| {
            if nulled.contains(&o.occ) {
                "NULL".to_string()
            } else {
                value(o)
            }
        })
        .collect();
    match values.as_slice() {
        // A key of one column (of groups, see `DefinitionModel::null_groups`) is that
        // column as its key type: a domain's base type (as a composite key's fields are),
        // which a cast from the domain reaches without checking its constraints.
        [one] if stored.key.len() == 1 => format!("{one}::{}", stored.key_type),
        _ => format!("ROW({})::{}", values.join(", "), stored.key_type),
    }
}

/// The hops [`joined_rows_branch`] joins for the appearance `target` of a source: the paths
/// to the key's occurrences, then `path` (from the root); for a key with no table in every
/// row, the paths from `target` to the key's occurrences.
fn branch_hops<'a>(
    plan: &'a MaintenancePlan,
    target: OccId,
    path: &'a [Hop],
) -> Box<dyn Iterator<Item = &'a Hop> + 'a> {
    if plan.origin_trees.is_empty() {
        return Box::new(plan.key_paths.iter().flatten().chain(path));
    }
    let tree = plan
        .origin_trees
        .iter()
        .filter(move |(from, _)| *from == target)
        .flat_map(|(_, paths)| paths.iter().flatten());
    Box::new(tree)
}

/// For a key drawn from several tables: the columns of `source`'s rows its key query reads,
/// each once: the columns its appearances are joined by (on the paths to the key's
/// occurrences, or at the end of their own path) and its own key columns.
fn spanning_columns(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !cols.iter().any(|x| x == c) {
            cols.push(c.to_string());
        }
    };
    for (occ, reach) in &source.reaches {
        let path: &[Hop] = match reach {
            Reach::Path(hops) => hops,
            _ => &[],
        };
        for hop in branch_hops(plan, *occ, path).flat_map(|h| std::iter::once(h).chain(&h.also)) {
            if hop.from.occ == *occ {
                add(&hop.from.column);
            }
            if hop.to.occ == *occ {
                add(&hop.to.column);
            }
        }
        for o in model.key_origins.iter().filter(|o| o.occ == *occ) {
            add(&o.column);
        }
    }
    cols
}

/// What [`delta_columns`] names a key of several columns by: changes of the root capture
/// its key as one composite value.
pub const KEY_DELTA: &str = "__pgtv_key";

/// The delta column standing for the key of a changed root row: its key column, or
/// [`KEY_DELTA`] for a key of several columns.
fn root_delta_column(model: &DefinitionModel) -> Option<String> {
    let root = model.root.as_ref()?;
    Some(if model.root_columns.len() > 1 {
        KEY_DELTA.to_string()
    } else {
        root.column.clone()
    })
}

/// The columns of the changed rows that the key query reads, each once, in a fixed order:
/// the key column for changes of the root (for a key of several columns, [`KEY_DELTA`]),
/// the joined column of the last hop otherwise.
pub fn delta_columns(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
) -> Vec<String> {
    if model.spans_tables() {
        return spanning_columns(model, plan, source);
    }
    let mut cols: Vec<String> = Vec::new();
    for (_, reach) in &source.reaches {
        let c = match reach {
            Reach::Root => match root_delta_column(model) {
                Some(c) => c,
                None => continue,
            },
            Reach::Path(hops) => match hops.last() {
                Some(h) => h.to.column.clone(),
                None => continue,
            },
            Reach::Untraceable(_) => continue,
        };
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    cols
}

/// The source columns whose SQL types [`capture_query`] and [`replay_key_query`] take, in
/// order: [`delta_columns`], with [`KEY_DELTA`] standing for the key's columns of the root
/// (each field of a key of several columns is captured as its own value, so that a field
/// naming a catalog object keeps its OID, see [`as_captured`]).
pub fn typed_columns(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
) -> Vec<String> {
    delta_columns(model, plan, source)
        .into_iter()
        .flat_map(|c| {
            if c == KEY_DELTA {
                model.root_columns.clone()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// How many `text[]` values [`capture_query`] returns and [`replay_key_query`] takes: one
/// per delta column, or for a key drawn from several tables one for the whole rows.
pub fn captured_arrays(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
) -> usize {
    if model.spans_tables() {
        1
    } else {
        delta_columns(model, plan, source).len()
    }
}

/// Deferred mode, at statement time: the values (as text, NULLs kept) of each of
/// [`delta_columns`] over the changed rows, one `text[]` column each (for [`KEY_DELTA`],
/// one `text[]` per changed row, the text of its fields' texts). Kept until commit, they
/// stand in for the transition tables in [`replay_key_query`].
/// `types` are the SQL types of [`typed_columns`], in order.
pub fn capture_query(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
    event: Event,
    types: &[ColumnType],
) -> Option<String> {
    let columns = delta_columns(model, plan, source);
    if source.recompute_all_reason().is_some()
        || model.root.is_none()
        || typed_columns(model, plan, source).len() != types.len()
        || !capturable(types)
    {
        return None;
    }
    let delta = event.delta();
    if model.spans_tables() {
        // One value per changed row, its columns together (their combinations are not
        // rows): the text of an array of their texts.
        let values: Vec<String> = columns
            .iter()
            .zip(types)
            .map(|(c, t)| as_captured(&format!("d.{}", quote_ident(c)), t))
            .collect();
        return Some(format!(
            "SELECT (SELECT pg_catalog.array_agg(DISTINCT ARRAY[{}]::pg_catalog.text {BYTES}) FROM {delta} AS d)",
            values.join(", ")
        ));
    }
    let mut types = types.iter();
    let cols: Vec<String> = columns
        .iter()
        .map(|c| {
            let value = if c == KEY_DELTA {
                // The key's fields together, each captured as its own type says.
                let fields: Vec<String> = model
                    .root_columns
                    .iter()
                    .map(|f| Some(as_captured(&format!("d.{}", quote_ident(f)), types.next()?)))
                    .collect::<Option<Vec<String>>>()?;
                format!("ARRAY[{}]::pg_catalog.text {BYTES}", fields.join(", "))
            } else {
                as_captured(&format!("d.{}", quote_ident(c)), types.next()?)
            };
            Some(format!(
                "(SELECT pg_catalog.array_agg(DISTINCT {value}) FROM {delta} AS d)"
            ))
        })
        .collect::<Option<Vec<String>>>()?;
    Some(format!("SELECT {}", cols.join(", ")))
}

/// How a captured column's values travel from a statement to its commit, by what their
/// text would name (the shell decides from the catalog, see [`ColumnType`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Capture {
    /// As their own text: it reads back as the same value whatever other sessions do.
    #[default]
    Text,
    /// An object identifier (`regclass`, `regproc`, ...): its text is a name that need not
    /// read back as the same object at commit (an overloaded function's name, two roles
    /// trading names, which no event trigger of this session sees): kept as its OID.
    Oid,
    /// An array of object identifiers: kept as an array of OIDs.
    OidArray,
    /// An enum: its text is a label that another session may rename (or two labels swap)
    /// meanwhile: kept as the OID of its value's `pg_enum` row.
    EnumOid,
    /// Not captured: the value might not read back as itself. Its text names catalog rows
    /// and no OID can stand for it (an `aclitem`'s roles; an enum, or an object identifier,
    /// inside a composite, a range, an array of enums), or a domain inside it would check
    /// its constraints again. Such a source's changes recompute the TVIEW at commit.
    Never,
}

/// The type of a captured column, as the shell reads it from the catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnType {
    /// SQL naming the type from any search_path (a domain's base type), with the column's
    /// collation.
    pub sql: String,
    /// How its values are kept until commit.
    pub capture: Capture,
}

impl From<&str> for ColumnType {
    fn from(sql: &str) -> Self {
        ColumnType {
            sql: sql.to_string(),
            capture: Capture::Text,
        }
    }
}

/// Can every one of `types` travel from a statement to its commit?
fn capturable(types: &[ColumnType]) -> bool {
    types.iter().all(|t| t.capture != Capture::Never)
}

/// The collation captured text is compared in: byte for byte. Captured values are kept
/// once each (`DISTINCT`); compared under a column's own collation, two values that it
/// holds equal but that differ (`'t1'` and `'T1'` under a case-insensitive collation) would
/// be kept once, and a row captured with several columns would lose a row whose other
/// columns differ; columns of two different collations side by side in one row could not be
/// compared at all. Reading back gives each value its column's collation again.
const BYTES: &str = "COLLATE pg_catalog.\"C\"";

/// `value` (of type `typ`) as the text a capture keeps, compared byte for byte.
fn as_captured(value: &str, typ: &ColumnType) -> String {
    format!("{} {BYTES}", captured_text(value, typ))
}

/// `value` (of type `typ`) as text, the way [`from_captured`] reads it back.
fn captured_text(value: &str, typ: &ColumnType) -> String {
    let sql = &typ.sql;
    match typ.capture {
        Capture::EnumOid => format!(
            "(SELECT e.oid::pg_catalog.text FROM pg_catalog.pg_enum AS e \
             WHERE e.enumtypid OPERATOR(pg_catalog.=) pg_catalog.pg_typeof(NULL::{sql})::pg_catalog.oid \
             AND e.enumlabel OPERATOR(pg_catalog.=) {value}::pg_catalog.text::pg_catalog.name)"
        ),
        Capture::Oid => format!("{value}::pg_catalog.oid::pg_catalog.text"),
        Capture::OidArray => format!("{value}::pg_catalog.oid[]::pg_catalog.text"),
        Capture::Text | Capture::Never => format!("{value}::pg_catalog.text"),
    }
}

/// The captured text `text` read back as type `typ`.
fn from_captured(text: &str, typ: &ColumnType) -> String {
    let sql = &typ.sql;
    match typ.capture {
        Capture::EnumOid => format!(
            "(SELECT e.enumlabel::pg_catalog.text FROM pg_catalog.pg_enum AS e \
             WHERE e.oid OPERATOR(pg_catalog.=) ({text})::pg_catalog.oid)::{sql}"
        ),
        Capture::Oid => format!("{text}::pg_catalog.oid::{sql}"),
        Capture::OidArray => format!("{text}::pg_catalog.oid[]::{sql}"),
        Capture::Text | Capture::Never => format!("{text}::{sql}"),
    }
}

/// Deferred mode, at commit: the lookup values a lookup's captured rows held, one array per
/// column of `columns` (the lookup's columns the root's point at, see
/// `action::Inputs::lookup_targets`), read back from the captured arrays (`$1`, `$2`, ...,
/// as [`replay_key_query`] takes them) as their own types, for the value locks a lookup's
/// change takes before it finds its documents. `None` when a column is not captured (a key
/// drawn from several tables captures whole rows) or not capturable.
pub fn replay_values_query(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
    types: &[ColumnType],
    columns: &[String],
) -> Option<String> {
    let cols = delta_columns(model, plan, source);
    let typed = typed_columns(model, plan, source);
    if model.spans_tables()
        || columns.is_empty()
        || typed.len() != types.len()
        || !capturable(types)
    {
        return None;
    }
    let arrays: Vec<String> = columns
        .iter()
        .map(|c| {
            let i = cols.iter().position(|d| d == c && d != KEY_DELTA)?;
            let typ = &types[typed.iter().position(|t| t == c)?];
            Some(format!(
                "ARRAY(SELECT {} FROM pg_catalog.unnest(${}::pg_catalog.text[]) AS u(v) WHERE u.v IS NOT NULL)",
                from_captured("u.v", typ),
                i + 1
            ))
        })
        .collect::<Option<Vec<String>>>()?;
    Some(format!("SELECT {}", arrays.join(", ")))
}

/// Deferred mode, at commit: the key query of `source` over the values captured by
/// [`capture_query`], passed as `$1`, `$2`, ... (`text[]`, one per delta column, in order)
/// and turned back into `types` (the SQL type of each delta column). Run under the TVIEW
/// lock, it finds the documents the changed rows reach as of commit.
///
/// For a key drawn from several tables, the rows captured (one `text[]` of them, see
/// [`capture_query`]) stand for the changed rows' old and new images alike (more keys than
/// the rows had, never fewer), and the stored rows are read as they are at commit.
pub fn replay_key_query(
    model: &DefinitionModel,
    plan: &MaintenancePlan,
    source: &SourcePlan,
    types: &[ColumnType],
    stored: &RefreshTarget<'_>,
) -> Option<String> {
    let cols = delta_columns(model, plan, source);
    let typed = typed_columns(model, plan, source);
    if typed.len() != types.len() || !capturable(types) {
        return None;
    }
    if model.spans_tables() {
        let columns: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{} AS {}",
                    from_captured(&format!("(u.v::pg_catalog.text[])[{}]", i + 1), &types[i]),
                    quote_ident(c)
                )
            })
            .collect();
        let images = format!(
            "(SELECT {} FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(v))",
            columns.join(", ")
        );
        // (The captured rows stand for both images: no old row is told from a new one.)
        return spanning_query(
            model,
            plan,
            source,
            Some(&images),
            Some(&images),
            false,
            stored,
        );
    }
    // The type of each captured field, by the delta column it belongs to.
    let type_of = |column: &str| &types[typed.iter().position(|c| c == column).unwrap_or(0)];
    branches_query(
        model,
        source,
        &|column| {
            let i = cols.iter().position(|c| c == column).unwrap_or(0);
            if column == KEY_DELTA {
                // The key's fields, named as the key's columns of the root's rows.
                let fields: Vec<String> = model
                    .root_columns
                    .iter()
                    .enumerate()
                    .map(|(f, name)| {
                        format!(
                            "{} AS {}",
                            from_captured(
                                &format!("(u.v::pg_catalog.text[])[{}]", f + 1),
                                type_of(name)
                            ),
                            quote_ident(name)
                        )
                    })
                    .collect();
                return format!(
                    "(SELECT {} FROM pg_catalog.unnest(${}::pg_catalog.text[]) AS u(v))",
                    fields.join(", "),
                    i + 1
                );
            }
            format!(
                "(SELECT {} AS {} FROM pg_catalog.unnest(${}::pg_catalog.text[]) AS u(v))",
                from_captured("u.v", type_of(column)),
                quote_ident(column),
                i + 1
            )
        },
        None,
    )
}

/// `pg_catalog.array_agg(DISTINCT key)` over one branch per reach of `source`; `delta(column)` is the
/// relation standing for the changed rows in a branch that reads `column` of them.
/// `delta(column)` is the relation of the changed rows a branch reads `column` of;
/// `distinct(column)`, if given, the relation of that column's distinct values alone, which a
/// branch through other rows joining on it by its type's own equality reads instead (a
/// category renamed: its one value, not its old and new rows, joined to its thousand
/// products).
fn branches_query(
    model: &DefinitionModel,
    source: &SourcePlan,
    delta: &dyn Fn(&str) -> String,
    distinct: Option<&dyn Fn(&str) -> String>,
) -> Option<String> {
    if source.recompute_all_reason().is_some() {
        return None;
    }
    let root = model.root.as_ref()?;
    let root_delta = root_delta_column(model)?;
    let mut branches: Vec<String> = Vec::new();
    for branch in source.reaches.iter().map(|(occ, reach)| match reach {
        Reach::Root => Some(format!(
            "SELECT {} FROM {} AS d",
            model.key_of("d")?,
            delta(&root_delta)
        )),
        // A child joined to the key column by the key type's own equality: its joined value
        // is the key, whether or not the key's row exists (yet) for this statement. Reading
        // the key's table here would miss a row another transaction is inserting, whose
        // document that transaction computes before this change commits; locking the key
        // orders the two (see `SourcePlan::is_direct`).
        Reach::Path(hops)
            if source.is_direct(Some(root), model.root_columns.len() > 1) && hops.len() == 1 =>
        {
            let column = format!("d.{}", quote_ident(&hops[0].to.column));
            Some(format!(
                "SELECT {column} FROM {} AS d WHERE {column} IS NOT NULL",
                delta(&hops[0].to.column)
            ))
        }
        Reach::Path(hops) => {
            let hop = hops.last().expect("a path has hops");
            let last = &hop.to.column;
            let rows = match distinct {
                Some(distinct) if hop.exact => distinct(last),
                _ => delta(last),
            };
            Some(path_branch(
                model,
                root.occ,
                &model.key_of("t0")?,
                *occ,
                hops,
                &rows,
                false,
            ))
        }
        Reach::Untraceable(_) => unreachable!("checked by recompute_all_reason"),
    }) {
        let branch = branch?;
        // Two appearances reached the same way (two correlated subqueries over the same
        // children, say) give the same branch: it is read once.
        if !branches.contains(&branch) {
            branches.push(branch);
        }
    }
    Some(format!(
        "SELECT pg_catalog.array_agg(DISTINCT k) FROM ({}) AS s(k)",
        branches.join(" UNION ALL ")
    ))
}

/// The root's key (`key`, over alias `t0`) joined along `hops` to the changed rows (`delta`)
/// standing for the appearance `target`. With `whole_rows`, `delta` has every column the
/// hops read (the transition tables, or the whole rows a key drawn from several tables
/// captures), and the last hop requires its other conditions too; otherwise it holds only
/// the last hop's column (a deferred capture of it).
fn path_branch(
    model: &DefinitionModel,
    root: OccId,
    key: &str,
    target: OccId,
    hops: &[Hop],
    delta: &str,
    whole_rows: bool,
) -> String {
    let mut alias: HashMap<OccId, String> = HashMap::new();
    alias.insert(root, "t0".into());
    let mut sql = format!(
        "SELECT {key} FROM {} AS t0",
        table(&model.occurrences[root].table)
    );
    for (i, hop) in hops.iter().enumerate() {
        let to = hop.to.occ;
        let last = to == target && i == hops.len() - 1;
        let (name, source) = if last {
            ("d".to_string(), delta.to_string())
        } else {
            (format!("t{}", i + 1), table(&model.occurrences[to].table))
        };
        sql.push_str(&format!(
            " JOIN {source} AS {name} ON {}",
            hop_condition(hop, &alias[&hop.from.occ], &name, !last || whole_rows)
        ));
        alias.insert(to, name);
    }
    sql
}

/// The join condition of `hop` from the row `from_alias` to the row `to_alias`: its own
/// comparison, and with `all` its other conditions between the same two rows (see
/// `Hop::also`).
fn hop_condition(hop: &Hop, from_alias: &str, to_alias: &str, all: bool) -> String {
    let one = |h: &Hop| {
        let from_col = format!("{from_alias}.{}", quote_ident(&h.from.column));
        let to_col = format!("{to_alias}.{}", quote_ident(&h.to.column));
        let (l, r) = if h.from_is_left {
            (from_col, to_col)
        } else {
            (to_col, from_col)
        };
        let test = compare(&l, &h.operator, &r);
        if h.null_safe {
            format!("({test} OR ({l} IS NULL AND {r} IS NULL))")
        } else {
            test
        }
    };
    let mut conditions = vec![one(hop)];
    if all {
        conditions.extend(hop.also.iter().map(one));
    }
    conditions.join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OuterJoin;
    use crate::plan::plan;

    fn model() -> DefinitionModel {
        DefinitionModel::product_category_review()
    }

    fn stored() -> RefreshTarget<'static> {
        let columns: &'static [String] =
            Box::leak(Box::new(["pk_product".to_string(), "data".to_string()]));
        crate::sqlgen::refresh::tests::target(columns)
    }

    #[test]
    fn object_identifiers_and_their_arrays_are_captured_as_oids() {
        let typ = |sql: &str, capture| ColumnType {
            sql: sql.into(),
            capture,
        };
        assert_eq!(
            as_captured("d.f", &typ("pg_catalog.regproc", Capture::Oid)),
            "d.f::pg_catalog.oid::pg_catalog.text COLLATE pg_catalog.\"C\""
        );
        assert_eq!(
            from_captured("u.v", &typ("pg_catalog.regclass[]", Capture::OidArray)),
            "u.v::pg_catalog.oid[]::pg_catalog.regclass[]"
        );
        assert_eq!(
            as_captured("d.f", &"public.regproc".into()),
            "d.f::pg_catalog.text COLLATE pg_catalog.\"C\""
        );
        assert!(!capturable(&[
            "pg_catalog.text".into(),
            typ("pg_catalog.aclitem", Capture::Never)
        ]));
        assert!(capturable(&[
            "pg_catalog.text".into(),
            typ("public.mood", Capture::EnumOid)
        ]));
        assert_eq!(
            from_captured("u.v", &"pg_catalog.text COLLATE \"C\"".into()),
            "u.v::pg_catalog.text COLLATE \"C\""
        );
    }

    #[test]
    fn a_key_of_two_tables_is_found_in_the_stored_rows_and_in_the_join() {
        let (m, cols) = DefinitionModel::posts_and_tags();
        let p = plan(&m).unwrap();
        let t = crate::sqlgen::refresh::tests::spanning_target(&cols);
        // A tag deleted: the stored rows holding it (through the post that the path reaches
        // it from, and its own key), and the rows its old values join now (whose presence
        // it may have decided).
        let sql = key_query(&m, &p, p.source(2).unwrap(), Event::Delete, &t).unwrap();
        assert_eq!(
            sql,
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (\
             SELECT ROW(t.\"pk_post\", t.\"pk_tag\")::public.tv_post_tag_key FROM \"public\".\"tv_post_tag\" AS t \
             WHERE EXISTS (SELECT FROM (SELECT t0.\"pk_post\", d.\"pk_tag\" FROM \"public\".\"tb_post\" AS t0 \
             JOIN \"pgtv_old\" AS d ON d.\"label\"::integer OPERATOR(\"pg_catalog\".=) t0.\"label\"::integer) AS b(v0, v1) \
             WHERE t.\"pk_post\"::integer OPERATOR(\"pg_catalog\".=) b.v0::integer \
             AND t.\"pk_tag\"::integer OPERATOR(\"pg_catalog\".=) b.v1::integer) \
             UNION ALL SELECT ROW(o0.\"pk_post\", o1.\"pk_tag\")::public.tv_post_tag_key \
             FROM \"public\".\"tb_post\" AS o0 JOIN \"pgtv_old\" AS o1 \
             ON o1.\"label\"::integer OPERATOR(\"pg_catalog\".=) o0.\"label\"::integer) AS s(k)"
        );
        // An update: both images joined, the old one also looked up in the stored rows.
        let sql = key_query(&m, &p, p.source(2).unwrap(), Event::Update, &t).unwrap();
        assert_eq!(sql.matches(" UNION ALL ").count(), 2, "{sql}");
        assert!(sql.contains("JOIN \"pgtv_new\" AS o1"), "{sql}");
        // The root's rows: their own key column, and the join from them.
        let sql = key_query(&m, &p, p.source(1).unwrap(), Event::Delete, &t).unwrap();
        assert!(
            sql.contains("FROM (SELECT d.\"pk_post\" FROM \"pgtv_old\" AS d) AS b(v0)"),
            "{sql}"
        );
        let sql = key_query(&m, &p, p.source(1).unwrap(), Event::Insert, &t).unwrap();
        assert!(!sql.contains("tv_post_tag\" AS t"), "{sql}");
        assert!(
            sql.contains("FROM \"pgtv_new\" AS o0 JOIN \"public\".\"tb_tag\" AS o1"),
            "{sql}"
        );
        // Deferred: each changed row's join column and key captured together, replayed as
        // rows.
        let tags = p.source(2).unwrap();
        assert_eq!(
            delta_columns(&m, &p, tags),
            vec!["label".to_string(), "pk_tag".to_string()]
        );
        assert_eq!(
            capture_query(
                &m,
                &p,
                tags,
                Event::Insert,
                &[
                    "integer".into(),
                    ColumnType {
                        sql: "pg_catalog.regproc".into(),
                        capture: Capture::Oid
                    }
                ]
            )
            .unwrap(),
            "SELECT (SELECT pg_catalog.array_agg(DISTINCT ARRAY[d.\"label\"::pg_catalog.text COLLATE pg_catalog.\"C\", \
             d.\"pk_tag\"::pg_catalog.oid::pg_catalog.text COLLATE pg_catalog.\"C\"]::pg_catalog.text COLLATE pg_catalog.\"C\") FROM \"pgtv_new\" AS d)"
        );
        assert_eq!(captured_arrays(&m, &p, tags), 1);
        let types = vec![ColumnType::from("integer"); 2];
        let replay = replay_key_query(&m, &p, tags, &types, &t).unwrap();
        assert!(replay.contains(
            "(SELECT (u.v::pg_catalog.text[])[1]::integer AS \"label\", (u.v::pg_catalog.text[])[2]::integer AS \"pk_tag\" \
             FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(v))"
        ), "{replay}");
        assert!(replay.contains("tv_post_tag\" AS t"), "{replay}");
        assert!(m.key_of("d").is_none());
    }

    #[test]
    fn a_key_over_a_left_join_is_found_with_its_child_null_too() {
        // Posts LEFT JOIN their comments (`c.fk_post = p.pk_post`, guarding the comments),
        // keyed by `pk_post, pk_comment`, the comment's NULL in a post's row without one.
        let (mut m, cols) = DefinitionModel::posts_and_tags();
        m.edges[0].guards = [1].into();
        m.outer_joins = vec![OuterJoin::nulling([1].into())];
        assert_eq!(m.null_patterns(), vec![[].into(), [1].into()]);
        let p = plan(&m).unwrap();
        let t = crate::sqlgen::refresh::tests::spanning_target(&cols);
        // A post inserted: joined to its comments as the definition does (LEFT), each key
        // also with the comment NULL.
        let sql = key_query(&m, &p, p.source(1).unwrap(), Event::Insert, &t).unwrap();
        assert!(
            sql.contains(
                "FROM \"pgtv_new\" AS o0 LEFT JOIN \"public\".\"tb_tag\" AS o1 ON o1.\"label\"::integer OPERATOR(\"pg_catalog\".=) o0.\"label\"::integer \
                 CROSS JOIN LATERAL (VALUES (ROW(o0.\"pk_post\", o1.\"pk_tag\")::public.tv_post_tag_key), \
                 (ROW(o0.\"pk_post\", NULL)::public.tv_post_tag_key)) AS p(k)"
            ),
            "{sql}"
        );
        // A comment deleted: its own rows are joined as they are (inner), the post's key
        // with the comment NULL tried too (the post may be left without comments).
        let sql = key_query(&m, &p, p.source(2).unwrap(), Event::Delete, &t).unwrap();
        assert!(
            sql.contains("FROM \"public\".\"tb_post\" AS o0 JOIN \"pgtv_old\" AS o1"),
            "{sql}"
        );
        assert!(
            sql.contains("(ROW(o0.\"pk_post\", NULL)::public.tv_post_tag_key)"),
            "{sql}"
        );
        // The first key column must come from the kept side.
        m.key_origins.reverse();
        m.root = Some(m.key_origins[0].clone());
        assert!(plan(&m).is_err());
    }

    #[test]
    fn groups_over_a_left_join_look_for_the_null_group_where_a_change_can_move_rows() {
        // `SELECT t.label, count(*) FROM tb_post p LEFT JOIN tb_tag t ON t.label = p.label
        // GROUP BY t.label`: a key of groups from the nullable side alone.
        let (mut m, _) = DefinitionModel::posts_and_tags();
        m.edges[0].guards = [1].into();
        m.edges[0].join = Some(0);
        m.outer_joins = vec![OuterJoin::nulling([1].into())];
        m.outer_joins[0].sides[0] = [0].into();
        let label = m.edges[0].left.clone();
        m.root = Some(label.clone());
        m.root_columns.clear();
        m.key_origins = vec![label];
        m.null_groups = true;
        m.all_null_group = true;
        let p = plan(&m).unwrap();
        let cols = vec!["label".to_string()];
        let mut t = crate::sqlgen::refresh::tests::spanning_target(&cols);
        t.key_type = "integer";
        t.key_fields = &[];
        // A post: its own group through the join, no other (a post moves no other row).
        let post = key_query(&m, &p, p.source(1).unwrap(), Event::Insert, &t).unwrap();
        assert!(
            post.contains(
                "SELECT o1.\"label\"::integer FROM \"pgtv_new\" AS o0 LEFT JOIN \"public\".\"tb_tag\" AS o1"
            ),
            "{post}"
        );
        assert!(
            !post.contains("NULL::integer") && !post.contains("IS NULL)"),
            "{post}"
        );
        // A tag inserted: its group, and the NULL group (its posts had none).
        let tag = key_query(&m, &p, p.source(2).unwrap(), Event::Insert, &t).unwrap();
        assert!(
            tag.contains("(VALUES (o1.\"label\"::integer), (NULL::integer)) AS p(k)"),
            "{tag}"
        );
        // A tag updated: the NULL group only for rows whose label the other image lacks.
        let tag = key_query(&m, &p, p.source(2).unwrap(), Event::Update, &t).unwrap();
        assert!(
            tag.contains(
                "SELECT NULL::integer WHERE NOT EXISTS (SELECT FROM \"pgtv_new\" AS x WHERE x.\"label\" IS NOT DISTINCT FROM o1.\"label\")"
            ),
            "{tag}"
        );
        // No filter for the key with every column NULL: it is a group.
        assert!(!tag.contains("WHERE NOT (s.k IS NULL)"), "{tag}");
    }

    #[test]
    fn nested_outer_joins_null_their_tables_in_every_combination() {
        let (mut m, _) = DefinitionModel::posts_and_tags();
        let c = |occ, column: &str| crate::model::ColumnRef {
            occ,
            column: column.into(),
        };
        m.occurrences
            .push(crate::model::Occurrence::public(3, "tb_vote"));
        m.key_origins.push(c(2, "pk_vote"));
        // `p LEFT JOIN (t JOIN v)` is one group; `p LEFT JOIN t LEFT JOIN v` two.
        m.outer_joins = vec![OuterJoin::nulling([1, 2].into())];
        assert_eq!(m.null_patterns(), vec![[].into(), [1, 2].into()]);
        m.outer_joins = vec![
            OuterJoin::nulling([1].into()),
            OuterJoin::nulling([2].into()),
        ];
        assert_eq!(
            m.null_patterns(),
            vec![[].into(), [1].into(), [2].into(), [1, 2].into()]
        );
        // A group holding no key column adds no pattern.
        m.outer_joins.push(OuterJoin::nulling([7].into()));
        assert_eq!(m.null_patterns().len(), 4);
    }

    #[test]
    fn root_changes_read_the_key_from_the_changed_rows() {
        let m = model();
        let p = plan(&m).unwrap();
        assert_eq!(
            key_query(&m, &p, p.source(1).unwrap(), Event::Delete, &stored()).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT d.\"pk_product\" FROM \"pgtv_old\" AS d) AS s(k)"
        );
    }

    #[test]
    fn lookup_changes_join_back_to_the_root_keeping_operand_order() {
        let m = model();
        let p = plan(&m).unwrap();
        assert_eq!(
            key_query(&m, &p, p.source(2).unwrap(), Event::Update, &stored()).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT t0.\"pk_product\" FROM \"public\".\"tb_product\" AS t0 \
             JOIN (SELECT d.\"pk_category\" FROM \"pgtv_old\" AS d UNION SELECT d.\"pk_category\" FROM \"pgtv_new\" AS d) AS d \
             ON d.\"pk_category\"::integer OPERATOR(\"pg_catalog\".=) t0.\"fk_category\"::integer) AS s(k)"
        );
        // Joined by another operator: the changed rows as they are (their values may have
        // no equality to make them distinct).
        let mut m = model();
        for e in m.edges.iter_mut() {
            e.exact = false;
        }
        let p = plan(&m).unwrap();
        assert!(
            key_query(&m, &p, p.source(2).unwrap(), Event::Insert, &stored())
                .unwrap()
                .contains("JOIN \"pgtv_new\" AS d ON")
        );
    }

    #[test]
    fn a_lookup_one_equality_away_locks_values_read_from_either_side() {
        let m = model();
        let p = plan(&m).unwrap();
        assert_eq!(
            p.lookup_links(&m),
            vec![crate::plan::LookupLink {
                lookup: 2,
                lookup_column: "pk_category".into(),
                root_column: "fk_category".into(),
            }]
        );
        // The lookup's own rows: old and new values.
        assert_eq!(
            lookup_values_query(&[vec!["pk_category".into()]], Some(Event::Update)).unwrap(),
            "SELECT ARRAY(SELECT d.\"pk_category\" AS v FROM (SELECT * FROM \"pgtv_old\" UNION ALL \
             SELECT * FROM \"pgtv_new\") AS d WHERE d.\"pk_category\" IS NOT NULL)"
        );
        // The root's rows: the new values of every column pointing at the lookup column.
        assert_eq!(
            lookup_values_query(
                &[vec!["fk_category".into(), "fk_alt".into()]],
                Event::Update.new_rows()
            )
            .unwrap(),
            "SELECT ARRAY(SELECT d.\"fk_category\" AS v FROM \"pgtv_new\" AS d WHERE d.\"fk_category\" IS NOT NULL \
             UNION ALL SELECT d.\"fk_alt\" AS v FROM \"pgtv_new\" AS d WHERE d.\"fk_alt\" IS NOT NULL)"
        );
        assert_eq!(
            lookup_values_query(&[vec!["fk_category".into()]], Event::Delete.new_rows()),
            None
        );
        assert_eq!(lookup_values_query(&[], Some(Event::Insert)), None);
    }

    #[test]
    fn deferred_lookup_changes_capture_the_joined_column_and_replay_it() {
        let m = model();
        let p = plan(&m).unwrap();
        let src = p.source(2).unwrap();
        assert_eq!(delta_columns(&m, &p, src), vec!["pk_category".to_string()]);
        assert_eq!(
            capture_query(&m, &p, src, Event::Delete, &["integer".into()]).unwrap(),
            "SELECT (SELECT pg_catalog.array_agg(DISTINCT d.\"pk_category\"::pg_catalog.text COLLATE pg_catalog.\"C\") FROM \"pgtv_old\" AS d)"
        );
        let replay = replay_key_query(&m, &p, src, &["integer".into()], &stored()).unwrap();
        assert!(replay.contains(
            "JOIN (SELECT u.v::integer AS \"pk_category\" FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(v)) AS d"
        ));
        assert_eq!(replay_key_query(&m, &p, src, &[], &stored()), None);
        // At commit, the values the captured rows held, as their own type, for value locks.
        let cols = ["pk_category".to_string()];
        assert_eq!(
            replay_values_query(&m, &p, src, &["integer".into()], &cols).unwrap(),
            "SELECT ARRAY(SELECT u.v::integer FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(v) \
             WHERE u.v IS NOT NULL)"
        );
        // A column not captured, no column, or a type that is not captured: no statement.
        let other = ["name".to_string()];
        assert_eq!(
            replay_values_query(&m, &p, src, &["integer".into()], &other),
            None
        );
        assert_eq!(
            replay_values_query(&m, &p, src, &["integer".into()], &[]),
            None
        );
        assert_eq!(
            replay_values_query(
                &m,
                &p,
                src,
                &[ColumnType {
                    sql: "pg_catalog.aclitem".into(),
                    capture: Capture::Never
                }],
                &cols
            ),
            None
        );
    }

    #[test]
    fn a_table_reached_twice_the_same_way_is_read_once() {
        // Two correlated subqueries over tb_review (count and average, say).
        let mut m = model();
        m.occurrences
            .push(crate::model::Occurrence::public(3, "tb_review"));
        let mut e = m.edges[1].clone();
        e.left.occ = 3;
        e.guards = [3].into();
        m.edges.push(e);
        let p = plan(&m).unwrap();
        assert_eq!(p.source(3).unwrap().reaches.len(), 2);
        assert_eq!(
            key_query(&m, &p, p.source(3).unwrap(), Event::Insert, &stored()).unwrap(),
            key_query(
                &model(),
                &plan(&model()).unwrap(),
                plan(&model()).unwrap().source(3).unwrap(),
                Event::Insert,
                &stored()
            )
            .unwrap()
        );
    }

    #[test]
    fn children_name_their_keys_without_reading_the_keys_table() {
        // A review names its product whether or not the product's row is visible yet.
        let m = model();
        let p = plan(&m).unwrap();
        assert!(p.source(3).unwrap().is_direct(m.root.as_ref(), false));
        assert_eq!(
            key_query(&m, &p, p.source(3).unwrap(), Event::Insert, &stored()).unwrap(),
            "SELECT pg_catalog.array_agg(DISTINCT k) FROM (SELECT d.\"fk_product\" FROM \"pgtv_new\" AS d \
             WHERE d.\"fk_product\" IS NOT NULL) AS s(k)"
        );
        // Joined by another operator, the keys come through the key's table, as for a lookup.
        let mut m = model();
        m.edges[1].exact = false;
        let p = plan(&m).unwrap();
        assert!(!p.source(3).unwrap().is_direct(m.root.as_ref(), false));
        assert!(
            key_query(&m, &p, p.source(3).unwrap(), Event::Insert, &stored())
                .unwrap()
                .contains("FROM \"public\".\"tb_product\" AS t0 JOIN \"pgtv_new\" AS d")
        );
    }

    #[test]
    fn untraceable_sources_have_no_key_query() {
        let mut m = model();
        m.occurrences[2].untraceable = Some("why".into());
        let p = plan(&m).unwrap();
        assert_eq!(
            key_query(&m, &p, p.source(3).unwrap(), Event::Insert, &stored()),
            None
        );
        assert_eq!(
            capture_query(&m, &p, p.source(3).unwrap(), Event::Insert, &[]),
            None
        );
    }
}
