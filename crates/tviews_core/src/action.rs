//! What maintenance does for one TVIEW after one statement on one of its sources, decided in
//! one place, as data.
//!
//! [`decide`] is the whole decision. The shell's trigger executes the [`Action`] it returns
//! step by step, `pg_tviews_explain` prints [`describe`] of it, the statistics count what the
//! executed steps did, and the table "How maintenance decides" in docs/pg_tviews.md is
//! compared with [`docs_table`] by a unit test. Every step names the statement it runs as a
//! [`Query`]; [`Inputs::statement`] is the only place a query becomes SQL, and the shell
//! prepares one plan per query.

use crate::model::DefinitionModel;
use crate::plan::{MaintenancePlan, SourcePlan};
use crate::sqlgen::keys::{
    capture_query, captured_arrays, key_query, lookup_values_query, replay_key_query,
    replay_values_query, typed_columns, ColumnType, Event,
};
use crate::sqlgen::patch::{
    change_query, partial_statement, patch_keys_statement, patch_statement, PartialSource,
    PatchSource,
};
use crate::sqlgen::refresh::{
    refresh_all, refresh_keys, refresh_many_keys, refresh_one_key, refresh_summary, RefreshTarget,
};
use crate::sqlgen::tally::{
    delta_statement, describe_groups, fold_statement, pending_statement, reset_statement, Summary,
    TallyGroup,
};
use crate::Error;

/// When a TVIEW is maintained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// At the end of every statement that changes a source.
    Immediate,
    /// Once per transaction, at commit (or `pg_tviews_flush()`), through the queue.
    Deferred,
}

impl Mode {
    pub const BOTH: [Mode; 2] = [Mode::Immediate, Mode::Deferred];

    /// The mode named `text` (case-insensitive, surrounding blanks ignored).
    pub fn parse(text: &str) -> Result<Mode, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "immediate" => Ok(Mode::Immediate),
            "deferred" => Ok(Mode::Deferred),
            _ => Err(Error::InvalidMode {
                given: text.to_string(),
            }),
        }
    }

    /// The name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::Deferred => "deferred",
        }
    }
}

/// The kind of statement that changed a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Write {
    Insert,
    Update,
    Delete,
    Truncate,
}

impl Write {
    pub const ALL: [Write; 4] = [Write::Insert, Write::Update, Write::Delete, Write::Truncate];

    /// The transition tables the statement provides; none for TRUNCATE.
    pub fn rows(self) -> Option<Event> {
        match self {
            Write::Insert => Some(Event::Insert),
            Write::Update => Some(Event::Update),
            Write::Delete => Some(Event::Delete),
            Write::Truncate => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Write::Insert => "INSERT",
            Write::Update => "UPDATE",
            Write::Delete => "DELETE",
            Write::Truncate => "TRUNCATE",
        }
    }
}

/// A statement maintenance runs; the shell keeps one prepared plan per query and TVIEW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Query {
    /// The keys the changed rows of `source` reach, over the statement's transition tables.
    Keys { source: u32, rows: Event },
    /// Deferred mode, at the statement: the values the key query of `source` joins on, kept
    /// until commit (the transition tables are gone by then).
    Capture { source: u32, rows: Event },
    /// Deferred mode, at commit: the key query of `source` over the captured values.
    Replay { source: u32 },
    /// Deferred mode, at commit: the lookup values the captured rows of `source` held, one
    /// array per lookup column ([`Inputs::lookup_targets`]), for the lookup locks.
    ReplayValues { source: u32 },
    /// The fast path: what an UPDATE of `source` changed (nothing read, only patchable
    /// columns, or more).
    Classify { source: u32 },
    /// The fast path: patch the documents an UPDATE of `source` changed, in place.
    Patch { source: u32 },
    /// A partial recompute: for the documents of the keys in `$1`, recompute the document
    /// keys whose values read `source` (see `sqlgen::patch::PartialSource`).
    Partial { source: u32 },
    /// Add the changed rows of `source` to the state tables its tallied aggregates read
    /// (see `sqlgen::tally`).
    Tally { source: u32, rows: Event },
    /// Deferred mode, at the statement: leave the changed rows' deltas of those state tables
    /// in their pending tables, for the commit to add ([`Query::TallyFold`]); returns the
    /// inserted rows' ids (one `tid[]` per group). Takes no lock: the statements of
    /// concurrent transactions only append.
    TallyPending { source: u32, rows: Event },
    /// Deferred mode, at commit, under the keys' locks: add the deltas this transaction left
    /// in the pending tables of `source`'s tallies to their states, taken out by the ids
    /// its statements returned ([`Params::RowIds`]).
    TallyFold { source: u32 },
    /// Empty those state tables, and the pending deltas of this transaction (TRUNCATE of
    /// `source`).
    TallyReset { source: u32 },
    /// The lookup values the changed rows of `source` hold, one array per lookup column
    /// ([`Inputs::lookup_targets`]), for the lookup locks (see `plan::LookupLink`).
    LookupValues { source: u32, rows: Event },
    /// The MERGE recomputing the one key in `$1` (see [`refresh_for`]).
    RefreshOneKey,
    /// The MERGE recomputing the keys in `$1`.
    RefreshKeys,
    /// The same MERGE for a large set of keys, planned for the keys at hand (see
    /// [`refresh_for`]).
    RefreshManyKeys,
    /// The MERGE recomputing every row.
    RefreshAll,
    /// The same MERGE from a summary's state (an aggregate without GROUP BY: one row, see
    /// `sqlgen::tally::Summary`).
    RefreshSummary,
}

/// From this many keys on, a recompute joins the definition with its keys and is planned for
/// them ([`Query::RefreshManyKeys`], see `sqlgen::refresh::refresh_many_keys`). The plan kept
/// for a few keys pushes `key = ANY ($1)` into the definition, down to index scans that sort
/// the array again on every rescan: harmless for a few keys, quadratic for 100,000 (over 6
/// minutes for the benchmark's 100,000-product UPDATE). Planning for the keys costs about a
/// millisecond: nothing next to recomputing a thousand documents.
pub const MANY_KEYS: u64 = 1_000;

/// The recompute to run for `keys` keys. One key (a single change, the usual case) has a
/// plan of its own: the plan kept for several keys is made without knowing how many, and
/// PostgreSQL then assumes ten; where a key stands for many rows (a GROUP BY category of a
/// thousand products) that plan reads the whole table instead of one key's rows through an
/// index (18 ms against 2 ms for the benchmark's category sales).
pub fn refresh_for(keys: u64) -> Query {
    if keys >= MANY_KEYS {
        Query::RefreshManyKeys
    } else if keys <= 1 {
        Query::RefreshOneKey
    } else {
        Query::RefreshKeys
    }
}

impl Query {
    /// The source table the query is about, if any.
    pub fn source(self) -> Option<u32> {
        match self {
            Query::Keys { source, .. }
            | Query::Capture { source, .. }
            | Query::Replay { source }
            | Query::ReplayValues { source }
            | Query::Classify { source }
            | Query::Patch { source }
            | Query::Partial { source }
            | Query::Tally { source, .. }
            | Query::TallyPending { source, .. }
            | Query::TallyFold { source }
            | Query::TallyReset { source }
            | Query::LookupValues { source, .. } => Some(source),
            Query::RefreshOneKey
            | Query::RefreshKeys
            | Query::RefreshManyKeys
            | Query::RefreshAll
            | Query::RefreshSummary => None,
        }
    }
}

/// How maintenance orders itself with concurrent writers of the same TVIEW (docs/pg_tviews.md,
/// "Concurrent writers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// One transaction lock per key, taken after the key query found the keys: the changed
    /// rows themselves name every key they affect.
    EachKey,
    /// The whole TVIEW, taken before anything is read: the keys are found through rows a
    /// concurrent transaction may be moving.
    Whole,
    /// First the lookup values `values` returns (exclusively for a lookup's own changes,
    /// shared for the root table's new rows; see `plan::LookupLink`), then, like
    /// [`Lock::EachKey`], one lock per key the key query found.
    Lookups { values: Query, exclusive: bool },
}

/// One lookup column whose values are locked (see `plan::LookupLink`): the values of the
/// changed rows' columns `read` (the column itself for the lookup's own rows, the root's
/// columns equal to it for the root's rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupTarget {
    /// The lookup table's OID.
    pub lookup: u32,
    pub column: String,
    pub read: Vec<String>,
}

/// A source's part in the lookup locks (see `plan::LookupLink`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupRole {
    None,
    /// A lookup one equality away from the root table: its changes lock the lookup values
    /// they hold, then the documents they reach, instead of the whole TVIEW.
    Locked,
    /// The root table of a TVIEW with such lookups: its inserted and updated rows lock the
    /// lookup values they point at (shared) before their documents.
    Links,
}

/// The fast path of a lookup in deferred mode (see [`Action::Capture`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedPatch {
    pub classify: Query,
    /// `Query::Partial` of the source: the patched document keys of the given keys.
    pub patch: Query,
}

/// When the documents are recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// At the end of the statement.
    Now,
    /// At commit (or `pg_tviews_flush()`), once per key for the whole transaction.
    AtCommit,
}

/// Why every row is recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Everything {
    /// A TRUNCATE has no transition tables.
    Truncate,
    /// No join path leads from the source's rows to the keys (or the source is not in the
    /// plan any more).
    Untraceable,
}

/// What maintenance does for one TVIEW after one statement on one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Recompute every row (`Query::RefreshAll`) under the whole-TVIEW lock; first, now,
    /// `reset` the source's tallies.
    All {
        why: Everything,
        when: When,
        reset: Option<Query>,
    },
    /// Run `keys`; now: lock them (`lock`) and recompute them ([`refresh_for`] their number,
    /// or only the document keys the source feeds with `partial`); at commit: queue them,
    /// then lock each and recompute them once for the transaction. `tally`, run now, adds
    /// the changed rows to the source's tallies: a [`Query::Tally`] after the locks, before
    /// the recompute; in deferred mode a [`Query::TallyPending`], without locks, whose
    /// deltas the commit adds ([`Query::TallyFold`]) under the keys' locks, before the
    /// recompute.
    Keys {
        keys: Query,
        lock: Lock,
        when: When,
        partial: Option<Query>,
        tally: Option<Query>,
    },
    /// Deferred mode, keys found through other rows: run `capture` now; at commit, `replay`
    /// finds the keys as of commit, then [`refresh_for`] them. Locks at commit: with
    /// `values` (a lookup one equality away, see `plan::LookupLink`), the lookup values it
    /// returns, exclusively, then the keys, none waited for while the values are held (see
    /// `maintain/deferred.rs` in the shell); without, or when another transaction holds
    /// one of those values, the whole TVIEW.
    ///
    /// With `patch` (an UPDATE of a lookup the fast path patches): `patch.classify` says what
    /// the statement changed. No column the definition reads: nothing. Only patchable
    /// columns: the captured rows' keys are set, at commit, by `patch.patch` (the patched
    /// document keys alone, from the rows as they are then). Anything else: captured for the
    /// whole documents, as without `patch`.
    Capture {
        capture: Query,
        replay: Query,
        values: Option<Query>,
        patch: Option<CapturedPatch>,
    },
    /// The fast path (UPDATE): `classify` says what the statement changed. No column the
    /// definition reads: nothing to do. Only patchable columns: now, lock (`lock`, the keys
    /// found by `keys` or the whole TVIEW) and run `patch` over the transition tables; at
    /// commit (deferred mode, a source whose rows name their keys), queue the keys found by
    /// `keys` for `patch`, which sets the patched document keys from the source's rows as
    /// they are then, once per key for the transaction. Anything else: `otherwise`.
    Patch {
        classify: Query,
        keys: Query,
        lock: Lock,
        patch: Query,
        when: When,
        otherwise: Box<Action>,
    },
    /// An aggregate without GROUP BY whose state keeps the source's rows (see
    /// `sqlgen::tally::Summary`): now, under the whole-TVIEW lock, run `tally` (add the
    /// changed rows to the state), then recompute the one row from the state
    /// ([`Query::RefreshSummary`]); at commit, rows a replica session collected: the same
    /// under the lock, and every row recomputed; in deferred mode, `tally` is a
    /// [`Query::TallyPending`] run without a lock, and the commit takes the lock, adds the
    /// pending rows to the state and recomputes the one row from it.
    Summary { tally: Query, when: When },
}

/// The facts about one source that the decision reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Every appearance of the source in the definition has a join path to the key.
    pub traceable: bool,
    /// The changed rows name every key they affect (the key's table, tables joined straight
    /// to the key column); see [`SourcePlan::is_direct`].
    pub direct: bool,
    /// UPDATEs of the source may patch documents in place (the fast path).
    pub patchable: bool,
    /// The source is read only inside some document keys' values: its changes recompute
    /// those keys only (see `sqlgen::patch::PartialSource`).
    pub partial: bool,
    /// Some of those values read aggregates of the source kept by delta in state tables
    /// (see `sqlgen::tally`); only for a partial, direct source, or a summarized one.
    pub tallied: bool,
    /// The definition aggregates this table alone at the top level, and a state keeps its
    /// aggregates (see `sqlgen::tally::Summary`): the rows are read from the state, grouped
    /// (a traceable source: keys from the changed rows) or one row (untraceable: the row is
    /// recomputed from the state).
    pub summarized: bool,
    /// Its part in the lookup locks.
    pub lookup: LookupRole,
}

/// The decision: what maintenance does for changes of `source` (of shape `shape`) by `write`
/// in `mode`.
pub fn decide(source: u32, shape: Shape, write: Write, mode: Mode) -> Action {
    let when = match mode {
        Mode::Immediate => When::Now,
        Mode::Deferred => When::AtCommit,
    };
    let tallied =
        shape.tallied && ((shape.partial && shape.direct && shape.traceable) || shape.summarized);
    let Some(rows) = write.rows() else {
        return Action::All {
            why: Everything::Truncate,
            when,
            reset: tallied.then_some(Query::TallyReset { source }),
        };
    };
    if !shape.traceable {
        if tallied {
            return Action::Summary {
                tally: match mode {
                    Mode::Immediate => Query::Tally { source, rows },
                    Mode::Deferred => Query::TallyPending { source, rows },
                },
                when,
            };
        }
        return Action::All {
            why: Everything::Untraceable,
            when,
            reset: None,
        };
    }
    let keys = Query::Keys { source, rows };
    let tally = tallied.then_some(Query::Tally { source, rows });
    let values = Query::LookupValues { source, rows };
    // How a source whose rows name their keys locks: its keys, after the lookup values its
    // new rows point at (in deferred mode too, at the statement: a lookup writer in
    // immediate mode must see the row or wait for it).
    let each_key = match (shape.lookup, write) {
        (LookupRole::Links, Write::Insert | Write::Update) => Lock::Lookups {
            values,
            exclusive: false,
        },
        _ => Lock::EachKey,
    };
    let through_others = match shape.lookup {
        LookupRole::Locked => Lock::Lookups {
            values,
            exclusive: true,
        },
        _ => Lock::Whole,
    };
    let recompute = match (mode, shape.direct) {
        (Mode::Immediate, direct) => Action::Keys {
            keys,
            lock: if direct { each_key } else { through_others },
            when,
            partial: shape.partial.then_some(Query::Partial { source }),
            tally,
        },
        // At commit, a key queued by such a source and by no other change is recomputed
        // partially, once for the transaction. Its deltas wait in the pending tables: adding
        // them to the state now would lock state rows statement by statement, in no
        // order shared with other transactions.
        (Mode::Deferred, true) => Action::Keys {
            keys,
            lock: each_key,
            when,
            partial: shape.partial.then_some(Query::Partial { source }),
            tally: tallied.then_some(Query::TallyPending { source, rows }),
        },
        // A lookup's UPDATE of patchable columns alone is captured like any change of it,
        // and its documents found at commit have only what it feeds set again.
        (Mode::Deferred, false) => Action::Capture {
            capture: Query::Capture { source, rows },
            replay: Query::Replay { source },
            values: (shape.lookup == LookupRole::Locked).then_some(Query::ReplayValues { source }),
            patch: (write == Write::Update && shape.patchable && !shape.partial).then_some(
                CapturedPatch {
                    classify: Query::Classify { source },
                    patch: Query::Partial { source },
                },
            ),
        },
    };
    // The fast path: now, it patches from the transition tables; at commit, from the rows as
    // they are then, for keys the changed rows name (keys found through other rows are found
    // at commit, by the replay, and recomputed). At commit the patch is queued as the
    // source's partial recompute, which a source read inside document keys' subqueries
    // (never patchable in practice) already names.
    if write == Write::Update
        && shape.patchable
        && (mode == Mode::Immediate || (shape.direct && !shape.partial))
    {
        return Action::Patch {
            classify: Query::Classify { source },
            keys,
            // A patch changes no column a join reads: the root's rows point at the lookup
            // values they pointed at.
            lock: if shape.direct {
                Lock::EachKey
            } else {
                through_others
            },
            patch: match when {
                When::Now => Query::Patch { source },
                When::AtCommit => Query::Partial { source },
            },
            when,
            otherwise: Box::new(recompute),
        };
    }
    recompute
}

/// What the shell has compiled of a TVIEW: everything the decision and the SQL read.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub model: &'a DefinitionModel,
    pub plan: &'a MaintenancePlan,
    pub patches: &'a [PatchSource],
    pub partials: &'a [PartialSource],
    /// The definition's rows computed from a state (see `sqlgen::tally::Summary`).
    pub summary: Option<&'a Summary>,
    pub mode: Mode,
}

/// What a statement's parameters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    None,
    /// `$1`: an array of the key's type.
    KeyArray,
    /// `$1`: an array of a key of several columns (its composite type); `$2` ... `$n+1`: the
    /// keys' values of each of its `n` columns, an array of that column's type each (see
    /// `sqlgen::refresh::RefreshTarget::key_fields`).
    KeyAndFieldArrays(usize),
    /// `$1` ... `$n`: `text[]` each.
    TextArrays(usize),
    /// `$1` ... `$n`: `tid[]` each, the ids of the rows a transaction left in the pending
    /// table of each of a source's `n` tally groups (see `sqlgen::tally::fold_statement`).
    RowIds(usize),
}

/// A query's SQL and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub params: Params,
    /// Plan it for the parameters of each execution, not once for all (see [`MANY_KEYS`]).
    pub plan_per_execution: bool,
}

impl<'a> Inputs<'a> {
    fn source_plan(&self, source: u32) -> Option<&'a SourcePlan> {
        self.plan.source(source)
    }

    fn patch_source(&self, source: u32) -> Option<&'a PatchSource> {
        self.patches.iter().find(|p| p.table.oid == source)
    }

    fn partial_source(&self, source: u32) -> Option<&'a PartialSource> {
        self.partials.iter().find(|p| p.table.oid == source)
    }

    /// The oracle's queries of every state this TVIEW keeps, one per state table (see
    /// [`crate::sqlgen::tally::TallyGroup::state_check`]).
    pub fn state_checks(&self) -> Vec<String> {
        self.partials
            .iter()
            .flat_map(|p| p.tallies.iter())
            .chain(self.summary.map(|s| &s.group))
            .filter_map(TallyGroup::state_check)
            .collect()
    }

    /// The summary whose state keeps `source`'s rows, once that state exists.
    fn summary_source(&self, source: u32) -> Option<&'a Summary> {
        self.summary
            .filter(|s| s.group.source.oid == source && s.group.state.is_some())
    }

    /// `source`'s part in the lookup locks (see `plan::LookupLink`).
    fn lookup_role(&self, source: u32) -> LookupRole {
        let links = self.plan.lookup_links(self.model);
        let root_table = self
            .plan
            .root
            .as_ref()
            .map(|r| self.model.occurrences[r.occ].table.oid);
        if links.iter().any(|l| l.lookup == source) {
            LookupRole::Locked
        } else if !links.is_empty() && root_table == Some(source) {
            LookupRole::Links
        } else {
            LookupRole::None
        }
    }

    /// The lookup columns whose values [`Query::LookupValues`] of `source` returns, in its
    /// order: a lookup's own columns that the root's columns equal, or, for the root table,
    /// every such column, each read from the root's columns pointing at it.
    pub fn lookup_targets(&self, source: u32) -> Vec<LookupTarget> {
        let mut targets: Vec<LookupTarget> = Vec::new();
        let role = self.lookup_role(source);
        for link in self.plan.lookup_links(self.model) {
            let read = match role {
                LookupRole::Locked if link.lookup == source => link.lookup_column.clone(),
                LookupRole::Links => link.root_column.clone(),
                _ => continue,
            };
            match targets
                .iter_mut()
                .find(|t| t.lookup == link.lookup && t.column == link.lookup_column)
            {
                Some(t) if !t.read.contains(&read) => t.read.push(read),
                Some(_) => {}
                None => targets.push(LookupTarget {
                    lookup: link.lookup,
                    column: link.lookup_column.clone(),
                    read: vec![read],
                }),
            }
        }
        targets
    }

    /// The tallies `source` feeds: its summary's group, or the groups of the document keys
    /// it is read in.
    fn tally_groups(&self, source: u32) -> Option<&'a [TallyGroup]> {
        match self.summary_source(source) {
            Some(s) => Some(std::slice::from_ref(&s.group)),
            None => self.partial_source(source).map(|p| p.tallies.as_slice()),
        }
    }

    /// The shape of `source`; a table the plan does not know is untraceable.
    pub fn shape(&self, source: u32) -> Shape {
        match self.source_plan(source) {
            None => Shape {
                traceable: false,
                direct: false,
                patchable: false,
                partial: false,
                tallied: false,
                summarized: false,
                lookup: LookupRole::None,
            },
            Some(sp) => Shape {
                traceable: sp.recompute_all_reason().is_none(),
                direct: !self.model.spans_tables()
                    && sp.is_direct(self.plan.root.as_ref(), self.model.root_columns.len() > 1),
                patchable: self.patch_source(source).is_some(),
                partial: self.partial_source(source).is_some(),
                tallied: self
                    .partial_source(source)
                    .is_some_and(|p| p.tallies.iter().any(|g| g.state.is_some()))
                    || self.summary_source(source).is_some(),
                summarized: self.summary_source(source).is_some(),
                lookup: self.lookup_role(source),
            },
        }
    }

    /// What maintenance does for `write` on `source`.
    pub fn decide(&self, source: u32, write: Write) -> Action {
        decide(source, self.shape(source), write, self.mode)
    }

    /// What maintenance does for rows collected one at a time where only row triggers fire
    /// (logical replication's apply worker; any session with `session_replication_role =
    /// replica`): whatever the TVIEW's mode, what deferred mode does with a statement, at
    /// the commit of the transaction that applied them. The rows come as the transition
    /// tables of that statement would have held them.
    /// Such rows are never patched: a transaction's rows collected together may hold one row
    /// several times, which the fast path's pairing of old and new rows does not expect.
    pub fn decide_collected(&self, source: u32, write: Write) -> Action {
        let shape = Shape {
            patchable: false,
            ..self.shape(source)
        };
        match decide(source, shape, write, Mode::Deferred) {
            // Applied at commit already, under the keys' locks: the rows go to the state
            // straight away.
            Action::Keys {
                keys,
                lock,
                when,
                partial,
                tally: Some(Query::TallyPending { source, rows }),
            } => Action::Keys {
                keys,
                lock,
                when,
                partial,
                tally: Some(Query::Tally { source, rows }),
            },
            Action::Summary {
                tally: Query::TallyPending { source, rows },
                when,
            } => Action::Summary {
                tally: Query::Tally { source, rows },
                when,
            },
            action => action,
        }
    }

    /// The SQL of `query`, or `None` when the TVIEW has no such statement (a source no longer
    /// in the plan, captured values that no longer fit it). `column_type(source, column)` is
    /// the SQL type of a source column, for turning captured text back into values.
    pub fn statement<E>(
        &self,
        query: Query,
        target: &RefreshTarget<'_>,
        column_type: &mut dyn FnMut(u32, &str) -> Result<ColumnType, E>,
    ) -> Result<Option<Statement>, E> {
        let plain = |sql: Option<String>| {
            sql.map(|sql| Statement {
                sql,
                params: Params::None,
                plan_per_execution: false,
            })
        };
        Ok(match query {
            Query::Keys { source, rows } => plain(
                self.source_plan(source)
                    .and_then(|sp| key_query(self.model, self.plan, sp, rows, target)),
            ),
            Query::Capture { source, rows } => {
                let Some(sp) = self.source_plan(source) else {
                    return Ok(None);
                };
                let types = typed_columns(self.model, self.plan, sp)
                    .iter()
                    .map(|c| column_type(source, c))
                    .collect::<Result<Vec<_>, E>>()?;
                plain(capture_query(self.model, self.plan, sp, rows, &types))
            }
            Query::Replay { source } => {
                let Some(sp) = self.source_plan(source) else {
                    return Ok(None);
                };
                let types = typed_columns(self.model, self.plan, sp)
                    .iter()
                    .map(|c| column_type(source, c))
                    .collect::<Result<Vec<_>, E>>()?;
                replay_key_query(self.model, self.plan, sp, &types, target).map(|sql| Statement {
                    sql,
                    params: Params::TextArrays(captured_arrays(self.model, self.plan, sp)),
                    plan_per_execution: false,
                })
            }
            Query::ReplayValues { source } => {
                let Some(sp) = self.source_plan(source) else {
                    return Ok(None);
                };
                if self.lookup_role(source) != LookupRole::Locked {
                    return Ok(None);
                }
                let types = typed_columns(self.model, self.plan, sp)
                    .iter()
                    .map(|c| column_type(source, c))
                    .collect::<Result<Vec<_>, E>>()?;
                let columns: Vec<String> = self
                    .lookup_targets(source)
                    .into_iter()
                    .map(|t| t.column)
                    .collect();
                replay_values_query(self.model, self.plan, sp, &types, &columns).map(|sql| {
                    Statement {
                        sql,
                        params: Params::TextArrays(captured_arrays(self.model, self.plan, sp)),
                        plan_per_execution: false,
                    }
                })
            }
            Query::Classify { source } => plain(self.patch_source(source).map(change_query)),
            Query::Patch { source } => plain(
                self.patch_source(source)
                    .map(|p| patch_statement(p, target)),
            ),
            // A source read inside document keys' subqueries; or, in deferred mode, the fast
            // path's source at commit (the keys its rows name, or the keys a lookup's
            // captured rows reach).
            Query::Partial { source } => {
                let sql = match (self.partial_source(source), self.patch_source(source)) {
                    (Some(p), _) => Some(partial_statement(p, target)),
                    (None, Some(p)) => Some(patch_keys_statement(p, target)),
                    _ => None,
                };
                sql.map(|sql| Statement {
                    sql,
                    params: Params::KeyArray,
                    plan_per_execution: false,
                })
            }
            Query::Tally { source, rows } => plain(
                self.tally_groups(source)
                    .and_then(|g| delta_statement(g, rows)),
            ),
            Query::LookupValues { source, rows } => plain(lookup_values_query(
                &self
                    .lookup_targets(source)
                    .iter()
                    .map(|t| t.read.clone())
                    .collect::<Vec<_>>(),
                match self.lookup_role(source) {
                    LookupRole::Links => rows.new_rows(),
                    _ => Some(rows),
                },
            )),
            Query::TallyPending { source, rows } => plain(
                self.tally_groups(source)
                    .and_then(|g| pending_statement(g, rows)),
            ),
            Query::TallyFold { source } => self.tally_groups(source).and_then(|g| {
                fold_statement(g).map(|sql| Statement {
                    sql,
                    params: Params::RowIds(g.len()),
                    plan_per_execution: false,
                })
            }),
            Query::TallyReset { source } => {
                plain(self.tally_groups(source).and_then(reset_statement))
            }
            Query::RefreshOneKey => Some(Statement {
                sql: refresh_one_key(target),
                params: target.key_params(),
                plan_per_execution: false,
            }),
            Query::RefreshKeys => Some(Statement {
                sql: refresh_keys(target),
                params: target.key_params(),
                plan_per_execution: false,
            }),
            Query::RefreshManyKeys => Some(Statement {
                sql: refresh_many_keys(target),
                params: Params::KeyArray,
                plan_per_execution: true,
            }),
            Query::RefreshAll => plain(Some(refresh_all(target))),
            Query::RefreshSummary => plain(refresh_summary(target)),
        })
    }

    /// What maintenance does for changes of `source`, in words (`pg_tviews_explain`): the
    /// action of an INSERT or DELETE, then what an UPDATE does besides.
    pub fn describe_source(&self, source: u32) -> String {
        let mut text = describe(&self.decide(source, Write::Insert));
        match self.decide(source, Write::Update) {
            Action::Patch { when, .. } => {
                text.push_str(&describe_patch(self.patch_source(source), when.into()));
            }
            Action::Capture { patch: Some(_), .. } => {
                text.push_str(&describe_patch(
                    self.patch_source(source),
                    PatchTime::Captured,
                ));
            }
            _ if self.shape(source).patchable => {
                text.push_str(" (the fast path applies in immediate mode, and in deferred mode to a table not read inside document keys' subqueries)");
            }
            _ => {}
        }
        if let Some(p) = self.partial_source(source) {
            let keys: Vec<String> = p
                .documents
                .iter()
                .flat_map(|d| {
                    d.keys
                        .iter()
                        .map(move |k| format!("{}.{}", d.column, k.key))
                })
                .collect();
            match self.decide(source, Write::Insert) {
                Action::Keys {
                    partial: Some(_), ..
                } => text.push_str(&format!(" (recomputed: {})", keys.join(", "))),
                _ => text.push_str(&format!(
                    " (the partial recompute of {} applies in immediate mode, and in deferred mode to a child)",
                    keys.join(", ")
                )),
            }
            if !p.tallies.is_empty() && self.shape(source).tallied {
                text.push_str(&format!(" (state tables: {})", describe_groups(&p.tallies)));
            }
        }
        if let Some(s) = self.summary_source(source) {
            text.push_str(&format!(
                " (the rows are computed from the state table {}, {}, not from the table)",
                describe_groups(std::slice::from_ref(&s.group)),
                match (s.group.columns.len(), &s.lookup) {
                    (0, _) => "one row".to_string(),
                    (1, None) => "one row per GROUP BY value".to_string(),
                    (_, None) => "one row per combination of the GROUP BY values".to_string(),
                    (1, Some(l)) => format!(
                        "one row per GROUP BY value, joined with {}",
                        crate::sqlgen::quote::table(&l.table)
                    ),
                    (_, Some(l)) => format!(
                        "one row per combination of the GROUP BY values, joined with {}",
                        crate::sqlgen::quote::table(&l.table)
                    ),
                }
            ));
        }
        text
    }
}

/// An action in words. For the fast path, the patched columns are named generically; see
/// [`Inputs::describe_source`] for the TVIEW's own.
pub fn describe(action: &Action) -> String {
    let text = describe_steps(action);
    let kept = "their counts, sums and averages of the table's integer and numeric(p, s) columns and bool_and/bool_or of its boolean ones are read from state tables";
    let probed = "(no child rows scanned; a min/max beside them probes the document's rows)";
    match action {
        Action::Keys {
            tally: Some(Query::TallyPending { .. }),
            ..
        } => format!(
            "{text}; {kept}, to which each statement's changed rows are added at commit, under the keys' locks (each statement leaves their counts and sums in a pending table, taking no lock) {probed}"
        ),
        Action::Keys { tally: Some(_), .. } => format!(
            "{text}; {kept}, to which each statement first adds the changed rows {probed}"
        ),
        _ => text,
    }
}

fn describe_steps(action: &Action) -> String {
    match action {
        Action::All { when: When::Now, .. } => {
            "each statement: TVIEW lock, then every row recomputed".into()
        }
        Action::All {
            when: When::AtCommit,
            ..
        } => "at commit: TVIEW lock, then every row recomputed".into(),
        Action::Keys {
            lock,
            when: When::Now,
            partial,
            ..
        } => format!(
            "each statement: {}, {}",
            match lock {
                Lock::EachKey => "keys from the changed rows, one lock per key",
                Lock::Whole => "TVIEW lock, keys found through the join path",
                Lock::Lookups { exclusive: true, .. } => "one lock per lookup value the changed rows hold, keys found through the join path, one lock per key",
                Lock::Lookups { exclusive: false, .. } => "a shared lock per lookup value the new rows point at, keys from the changed rows, one lock per key",
            },
            match partial {
                None => "MERGE of those keys",
                Some(_) => "only the document keys reading the table recomputed for those keys",
            }
        ),
        Action::Keys {
            lock,
            when: When::AtCommit,
            partial,
            ..
        } => format!(
            "each statement: {}keys from the changed rows queued; at commit: one lock per key, {}",
            match lock {
                Lock::Lookups { exclusive: false, .. } => "a shared lock per lookup value the new rows point at, ",
                _ => "",
            },
            match partial {
                None => "MERGE of those keys",
                Some(_) => "only the document keys reading the table recomputed for those keys (the whole document when another change queued it too)",
            }
        ),
        Action::Capture { values, patch, .. } => format!(
            "each statement: joined values of the changed rows captured; at commit: {}{}",
            match values {
                None => "TVIEW lock, keys found through the join path, MERGE of those keys",
                Some(_) => "one lock per lookup value they held (the TVIEW lock when another transaction holds one), keys found through the join path, one lock per key, MERGE of those keys",
            },
            match patch {
                None => String::new(),
                Some(_) => describe_patch(None, PatchTime::Captured),
            }
        ),
        Action::Summary { when: When::Now, .. } => "each statement: TVIEW lock, the changed rows added to the state table (counts, sums, trues), then the one row computed from it (no rows of the table scanned)".into(),
        Action::Summary {
            tally: Query::TallyPending { .. },
            ..
        } => "each statement: the changed rows' counts and sums left in a pending table (no lock); at commit: TVIEW lock, those added to the state table, then the one row computed from it (no rows of the table scanned)".into(),
        Action::Summary { when: When::AtCommit, .. } => "each statement: TVIEW lock, the changed rows added to the state table; at commit: every row recomputed".into(),
        Action::Patch {
            otherwise, when, ..
        } => {
            format!("{}{}", describe(otherwise), describe_patch(None, (*when).into()))
        }
    }
}

/// When the fast path sets the document keys, for its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchTime {
    /// From the transition tables.
    Now,
    /// At commit, for the keys the changed rows name.
    Queued,
    /// At commit, for the keys a lookup's captured rows reach then.
    Captured,
}

impl From<When> for PatchTime {
    fn from(when: When) -> Self {
        match when {
            When::Now => PatchTime::Now,
            When::AtCommit => PatchTime::Queued,
        }
    }
}

/// What the fast path adds, naming the columns and document keys of `patch` when given.
fn describe_patch(patch: Option<&PatchSource>, when: PatchTime) -> String {
    let mut out = String::new();
    let what = match patch {
        None => Some((
            "patchable columns".to_string(),
            "their document keys".to_string(),
        )),
        Some(p) => {
            let keys: Vec<String> = p
                .documents
                .iter()
                .flat_map(|d| {
                    d.keys
                        .iter()
                        .map(move |k| format!("{}.{}", d.column, k.key))
                })
                .collect();
            // A primary key column changed never pairs old and new rows: recomputed.
            let columns: Vec<&str> = p
                .patchable
                .iter()
                .filter(|c| !p.identity.iter().any(|i| &i.name == *c))
                .map(String::as_str)
                .collect();
            (!columns.is_empty() && !keys.is_empty()).then(|| (columns.join(", "), keys.join(", ")))
        }
    };
    if let Some((columns, keys)) = what {
        out.push_str(&match when {
            PatchTime::Now => format!(
                "; an UPDATE changing only {columns} patches {keys} in place{}",
                if patch.is_none() { ", under the same locks" } else { "" }
            ),
            PatchTime::Queued => format!(
                "; an UPDATE changing only {columns} queues its keys; at commit: {keys} alone set from the rows as they are then (the whole document when another change queued it too)"
            ),
            PatchTime::Captured => format!(
                "; an UPDATE changing only {columns} is captured the same way; at commit: {keys} alone set, from the rows as they are then, in the documents it reaches (the whole document when another change queued it too)"
            ),
        });
    }
    out.push_str("; an UPDATE changing no column the definition reads does nothing");
    out
}

/// The kinds of source the docs table lists, with the shape each has.
const DOC_SHAPES: [(&str, Shape); 12] = [
    (
        "the key's table, or a table joined straight to the key column by its type's equality (a child; for a key of several columns, the key's table only)",
        Shape {
            traceable: true,
            direct: true,
            patchable: false,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "the key's table, with patchable columns (the fast path)",
        Shape {
            traceable: true,
            direct: true,
            patchable: true,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "the key's table of a TVIEW with lookups joined by one equality (next rows)",
        Shape {
            traceable: true,
            direct: true,
            patchable: false,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::Links,
        },
    ),
    (
        "a lookup joined to the key's table by one equality of a column of each, of the same type, at every appearance (`c.pk_category = p.fk_category`; for a key of several columns, also a child)",
        Shape {
            traceable: true,
            direct: false,
            patchable: false,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::Locked,
        },
    ),
    (
        "such a lookup, with patchable columns",
        Shape {
            traceable: true,
            direct: false,
            patchable: true,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::Locked,
        },
    ),
    (
        "a table reached through other rows any other way (a lookup of a lookup; joined by another operator, across types or by several conditions; for a key drawn from several tables, every table)",
        Shape {
            traceable: true,
            direct: false,
            patchable: false,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "a table read only inside some document keys' subqueries (a child's count, average or latest rows), joined straight to the key column by its type's equality",
        Shape {
            traceable: true,
            direct: true,
            patchable: false,
            partial: true,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "such a table whose subqueries count rows, sum or average integer or numeric(p, s) columns or combine boolean ones",
        Shape {
            traceable: true,
            direct: true,
            patchable: false,
            partial: true,
            tallied: true,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "a table read only inside some document keys' subqueries, reached through other rows",
        Shape {
            traceable: true,
            direct: false,
            patchable: false,
            partial: true,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
    (
        "the one table a definition aggregates at the top level (`GROUP BY` one column of it, the key), when its aggregates can be kept",
        Shape {
            traceable: true,
            direct: true,
            patchable: false,
            partial: false,
            tallied: true,
            summarized: true,
            lookup: LookupRole::None,
        },
    ),
    (
        "the one table an aggregate without `GROUP BY` reads, when its aggregates can be kept",
        Shape {
            traceable: false,
            direct: false,
            patchable: false,
            partial: false,
            tallied: true,
            summarized: true,
            lookup: LookupRole::None,
        },
    ),
    (
        "a table with no join path to the key",
        Shape {
            traceable: false,
            direct: false,
            patchable: false,
            partial: false,
            tallied: false,
            summarized: false,
            lookup: LookupRole::None,
        },
    ),
];

/// The table of docs/pg_tviews.md "How maintenance decides", in Markdown: one row per kind
/// of source and the statements it treats alike (a fast-path shape lists only what the fast
/// path changes), immediate and deferred mode side by side, TRUNCATE last.
pub fn docs_table() -> String {
    let texts =
        |shape: Shape, write: Write| Mode::BOTH.map(|m| describe(&decide(0, shape, write, m)));
    let mut out = String::from(
        "| source | statement | immediate mode | deferred mode |\n|---|---|---|---|\n",
    );
    let mut row = |what: &str, writes: &[&str], [now, later]: [String; 2]| {
        out.push_str(&format!(
            "| {what} | {} | {now} | {later} |\n",
            writes.join(", ")
        ));
    };
    for (what, shape) in DOC_SHAPES {
        let plain = Shape {
            patchable: false,
            ..shape
        };
        let mut groups: Vec<(Vec<&str>, [String; 2])> = Vec::new();
        for write in [Write::Insert, Write::Update, Write::Delete] {
            let t = texts(shape, write);
            if shape.patchable && t == texts(plain, write) {
                continue; // the row of the same source without the fast path says it
            }
            match groups.iter_mut().find(|(_, g)| *g == t) {
                Some((writes, _)) => writes.push(write.as_str()),
                None => groups.push((vec![write.as_str()], t)),
            }
        }
        for (writes, t) in groups {
            row(what, &writes, t);
        }
    }
    let truncate = DOC_SHAPES.map(|(_, shape)| texts(shape, Write::Truncate));
    assert!(
        truncate.iter().all(|t| *t == truncate[0]),
        "TRUNCATE depends on the source"
    );
    row("any source", &["TRUNCATE"], truncate[0].clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;

    fn shapes() -> impl Iterator<Item = Shape> {
        (0..192).map(|bits| Shape {
            traceable: bits & 1 != 0,
            direct: bits & 2 != 0,
            patchable: bits & 4 != 0,
            partial: bits & 8 != 0,
            tallied: bits & 16 != 0,
            summarized: bits & 32 != 0,
            lookup: match bits >> 6 {
                0 => LookupRole::None,
                1 => LookupRole::Locked,
                _ => LookupRole::Links,
            },
        })
    }

    /// Every decision, over every shape, statement and mode, keeps the rules the locking and
    /// the queue rely on.
    #[test]
    fn modes_parse_by_name() {
        assert_eq!(Mode::parse(" Deferred "), Ok(Mode::Deferred));
        assert_eq!(Mode::parse("immediate").map(Mode::as_str), Ok("immediate"));
        assert!(matches!(
            Mode::parse("lazy"),
            Err(Error::InvalidMode { .. })
        ));
    }

    #[test]
    fn every_decision_keeps_the_invariants() {
        for shape in shapes() {
            for write in Write::ALL {
                for mode in Mode::BOTH {
                    let a = decide(7, shape, write, mode);
                    // The source's rows are added to a state by every statement.
                    let kept = shape.tallied
                        && ((shape.partial && shape.direct && shape.traceable) || shape.summarized);
                    let when = if mode == Mode::Immediate {
                        When::Now
                    } else {
                        When::AtCommit
                    };
                    match &a {
                        Action::All {
                            why,
                            when: w,
                            reset,
                        } => {
                            assert_eq!(reset.is_some(), write == Write::Truncate && kept, "{a:?}");
                            // A one-row summary is computed from its state.
                            assert!(write == Write::Truncate || !kept, "{a:?}");
                            assert_eq!(*w, when);
                            assert!(
                                write == Write::Truncate || !shape.traceable,
                                "{shape:?} {write:?}: recomputes every row without reason"
                            );
                            assert_eq!(*why == Everything::Truncate, write == Write::Truncate);
                        }
                        Action::Keys {
                            keys,
                            lock,
                            when: w,
                            partial,
                            tally,
                        } => {
                            // Tallies are kept by every statement on a tallied child: now,
                            // or in deferred mode left pending without a lock until commit.
                            let rows = write.rows().unwrap();
                            assert_eq!(
                                *tally,
                                kept.then_some(match mode {
                                    Mode::Immediate => Query::Tally { source: 7, rows },
                                    Mode::Deferred => Query::TallyPending { source: 7, rows },
                                }),
                                "{a:?}"
                            );
                            // Only for a source read only inside document keys: now, or at
                            // commit for a child (its keys are queued as they are).
                            if let Some(p) = partial {
                                assert_eq!(*p, Query::Partial { source: 7 });
                                assert!(shape.partial, "{a:?}");
                                assert!(*w == When::Now || shape.direct, "{a:?}");
                            } else {
                                assert!(!shape.partial, "{a:?}");
                            }
                            assert!(shape.traceable);
                            assert_eq!(*w, when);
                            assert_eq!(
                                *keys,
                                Query::Keys {
                                    source: 7,
                                    rows: write.rows().unwrap()
                                }
                            );
                            // Keys found through other rows are only exact under the whole
                            // lock, or under the locks of the lookup values the changed rows
                            // hold, which every writer of the root table moving a row to
                            // them takes too (shared).
                            match lock {
                                Lock::EachKey => assert!(shape.direct, "{a:?}"),
                                Lock::Whole => assert!(!shape.direct, "{a:?}"),
                                Lock::Lookups { values, exclusive } => {
                                    assert_eq!(
                                        *values,
                                        Query::LookupValues {
                                            source: 7,
                                            rows: write.rows().unwrap()
                                        }
                                    );
                                    if *exclusive {
                                        assert!(!shape.direct, "{a:?}");
                                        assert_eq!(shape.lookup, LookupRole::Locked);
                                        assert_eq!(*w, When::Now, "{a:?}");
                                    } else {
                                        assert!(shape.direct, "{a:?}");
                                        assert_eq!(shape.lookup, LookupRole::Links);
                                    }
                                }
                            }
                            // The root table's new rows lock the lookup values they point at.
                            if shape.direct && shape.lookup == LookupRole::Links {
                                assert_eq!(
                                    matches!(lock, Lock::Lookups { .. }),
                                    write != Write::Delete,
                                    "{a:?}"
                                );
                            }
                            // At commit the keys are locked one by one: only for direct sources.
                            assert!(*w == When::Now || shape.direct, "{a:?}");
                        }
                        Action::Capture { .. } => {
                            assert!(shape.traceable && !shape.direct);
                            assert_eq!(mode, Mode::Deferred);
                        }
                        Action::Summary { tally, when: w } => {
                            assert!(kept && !shape.traceable, "{a:?}");
                            assert_ne!(write, Write::Truncate);
                            assert_eq!(*w, when);
                            let rows = write.rows().unwrap();
                            assert_eq!(
                                *tally,
                                match mode {
                                    Mode::Immediate => Query::Tally { source: 7, rows },
                                    Mode::Deferred => Query::TallyPending { source: 7, rows },
                                }
                            );
                        }
                        Action::Patch {
                            lock,
                            otherwise,
                            when: w,
                            patch,
                            ..
                        } => {
                            assert!(shape.patchable && shape.traceable);
                            assert_eq!(write, Write::Update);
                            assert_eq!(*w, when);
                            assert_eq!(*lock == Lock::EachKey, shape.direct);
                            assert_eq!(
                                matches!(lock, Lock::Lookups { .. }),
                                !shape.direct && shape.lookup == LookupRole::Locked
                            );
                            assert!(matches!(**otherwise, Action::Keys { .. }));
                            // At commit: only keys the changed rows name, queued as the
                            // source's partial recompute, which no subquery key claims.
                            if mode == Mode::Deferred {
                                assert!(shape.direct && !shape.partial, "{a:?}");
                                assert_eq!(*patch, Query::Partial { source: 7 });
                            } else {
                                assert_eq!(*patch, Query::Patch { source: 7 });
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_docs_table_is_the_decision() {
        let docs = include_str!("../../../docs/pg_tviews.md");
        let begin = "<!-- action table: generated by tviews_core::action::docs_table -->\n";
        let start = docs
            .find(begin)
            .expect("docs/pg_tviews.md has the action table marker")
            + begin.len();
        let end = start + docs[start..].find("\n\n").unwrap_or(docs.len() - start) + 1;
        let table = docs_table();
        assert_eq!(
            &docs[start..end],
            table,
            "docs/pg_tviews.md \"How maintenance decides\" differs from the decision; put this there:\n{table}"
        );
    }

    #[test]
    fn a_lookup_one_equality_away_locks_its_values_not_the_tview() {
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        let i = plain_inputs(&m, &p, Mode::Immediate);
        assert_eq!(i.shape(1).lookup, LookupRole::Links);
        assert_eq!(i.shape(2).lookup, LookupRole::Locked);
        assert_eq!(i.shape(3).lookup, LookupRole::None);
        assert!(matches!(
            i.decide(2, Write::Update),
            Action::Keys {
                lock: Lock::Lookups {
                    exclusive: true,
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            i.decide(1, Write::Insert),
            Action::Keys {
                lock: Lock::Lookups {
                    exclusive: false,
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            i.decide(1, Write::Delete),
            Action::Keys {
                lock: Lock::EachKey,
                ..
            }
        ));
        let target = |read: &str| LookupTarget {
            lookup: 2,
            column: "pk_category".into(),
            read: vec![read.into()],
        };
        assert_eq!(i.lookup_targets(1), vec![target("fk_category")]);
        assert_eq!(i.lookup_targets(2), vec![target("pk_category")]);
        assert!(i.lookup_targets(3).is_empty());
        // Deferred: the lookup's changes are captured for commit (TVIEW lock there); the
        // root's new rows still lock their values, at the statement.
        let d = plain_inputs(&m, &p, Mode::Deferred);
        assert!(matches!(d.decide(2, Write::Update), Action::Capture { .. }));
        assert!(matches!(
            d.decide(1, Write::Update),
            Action::Keys {
                lock: Lock::Lookups {
                    exclusive: false,
                    ..
                },
                when: When::AtCommit,
                ..
            }
        ));
        // Joined by anything but its type's own equality: the whole TVIEW, as before.
        let mut m = DefinitionModel::product_category_review();
        for e in m.edges.iter_mut() {
            e.exact = false;
        }
        let p = plan(&m).unwrap();
        let i = plain_inputs(&m, &p, Mode::Immediate);
        assert_eq!(i.shape(2).lookup, LookupRole::None);
        assert!(matches!(
            i.decide(2, Write::Update),
            Action::Keys {
                lock: Lock::Whole,
                ..
            }
        ));
        assert!(matches!(
            i.decide(1, Write::Insert),
            Action::Keys {
                lock: Lock::EachKey,
                ..
            }
        ));
    }

    /// The inputs of a TVIEW without patchable sources.
    fn plain_inputs<'a>(m: &'a DefinitionModel, p: &'a MaintenancePlan, mode: Mode) -> Inputs<'a> {
        Inputs {
            model: m,
            plan: p,
            patches: &[],
            partials: &[],
            summary: None,
            mode,
        }
    }

    #[test]
    fn collected_rows_are_maintained_at_commit_in_every_mode() {
        // Rows a replica session collected are applied at commit, as deferred mode applies
        // a statement: never now, never patched, whatever the TVIEW's mode.
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        for mode in Mode::BOTH {
            let inputs = plain_inputs(&m, &p, mode);
            let deferred = Inputs {
                mode: Mode::Deferred,
                ..inputs
            };
            for s in &p.sources {
                for write in Write::ALL {
                    let a = inputs.decide_collected(s.table.oid, write);
                    assert_eq!(a, deferred.decide(s.table.oid, write));
                    assert!(
                        !matches!(a, Action::Patch { .. })
                            && !matches!(
                                a,
                                Action::All {
                                    when: When::Now,
                                    ..
                                }
                            )
                            && !matches!(
                                a,
                                Action::Keys {
                                    when: When::Now,
                                    ..
                                }
                            ),
                        "{mode:?} {write:?}: {a:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_query_has_sql_exactly_when_an_action_runs_it() {
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        for mode in Mode::BOTH {
            let inputs = plain_inputs(&m, &p, mode);
            let columns = vec!["pk_post".to_string(), "data".to_string()];
            let target = crate::sqlgen::refresh::tests::target(&columns);
            for s in &p.sources {
                for write in Write::ALL {
                    let a = inputs.decide(s.table.oid, write);
                    let mut queries = Vec::new();
                    collect(&a, &mut queries);
                    for q in queries {
                        let sql = inputs
                            .statement(q, &target, &mut |_, _| {
                                Ok::<_, ()>("pg_catalog.int8".into())
                            })
                            .unwrap();
                        assert!(sql.is_some(), "{a:?}: {q:?} has no SQL");
                    }
                }
            }
        }
    }

    fn collect(a: &Action, out: &mut Vec<Query>) {
        match a {
            Action::All { .. } => out.push(Query::RefreshAll),
            Action::Keys { keys, .. } => {
                out.extend([*keys, Query::RefreshOneKey, Query::RefreshKeys])
            }
            Action::Capture {
                capture,
                replay,
                values,
                patch,
            } => {
                out.extend([*capture, *replay, Query::RefreshOneKey, Query::RefreshKeys]);
                out.extend(values.iter().copied());
                out.extend(patch.iter().flat_map(|p| [p.classify, p.patch]));
            }
            Action::Patch {
                classify,
                keys,
                patch,
                otherwise,
                ..
            } => {
                out.extend([*classify, *keys, *patch]);
                collect(otherwise, out);
            }
            Action::Summary { tally, .. } => out.extend([*tally, Query::RefreshSummary]),
        }
    }

    #[test]
    fn large_key_sets_are_planned_for_their_keys() {
        assert_eq!(refresh_for(1), Query::RefreshOneKey);
        assert_eq!(refresh_for(2), Query::RefreshKeys);
        assert_eq!(refresh_for(MANY_KEYS - 1), Query::RefreshKeys);
        assert_eq!(refresh_for(MANY_KEYS), Query::RefreshManyKeys);
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        let inputs = Inputs {
            model: &m,
            plan: &p,
            patches: &[],
            partials: &[],
            summary: None,
            mode: Mode::Immediate,
        };
        let columns = vec!["pk_post".to_string(), "data".to_string()];
        let target = crate::sqlgen::refresh::tests::target(&columns);
        let mut types = |_: u32, _: &str| Ok::<_, ()>(ColumnType::default());
        let few = inputs
            .statement(Query::RefreshKeys, &target, &mut types)
            .unwrap()
            .unwrap();
        let many = inputs
            .statement(Query::RefreshManyKeys, &target, &mut types)
            .unwrap()
            .unwrap();
        let one = inputs
            .statement(Query::RefreshOneKey, &target, &mut types)
            .unwrap()
            .unwrap();
        assert!(
            one.sql
                .contains("OPERATOR(\"pg_catalog\".=) ($1)[1]::integer"),
            "{}",
            one.sql
        );
        assert!(!one.plan_per_execution);
        assert!(few.sql.contains("ANY ($1::"), "{}", few.sql);
        assert!(many.sql.contains("ANY (SELECT u.k::"), "{}", many.sql);
        assert!(!few.plan_per_execution && many.plan_per_execution);
    }

    #[test]
    fn explain_names_the_patch_in_both_modes_without_primary_key_columns() {
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        let root = m.occurrences[p.root.as_ref().unwrap().occ].table.clone();
        let mut patch = crate::sqlgen::patch::tests::price_patch();
        patch.table = root.clone();
        // The primary key read only in a patchable value: a change of it pairs no rows.
        patch.patchable.push("pk_product".into());
        let patches = [patch];
        let text = |mode| {
            Inputs {
                model: &m,
                plan: &p,
                patches: &patches,
                partials: &[],
                summary: None,
                mode,
            }
            .describe_source(root.oid)
        };
        let now = text(Mode::Immediate);
        assert!(
            now.contains(
                "an UPDATE changing only price, name patches data.price, data.it's in place"
            ),
            "{now}"
        );
        let later = text(Mode::Deferred);
        assert!(
            later.contains("an UPDATE changing only price, name queues its keys; at commit: data.price, data.it's alone set from the rows as they are then"),
            "{later}"
        );
        assert!(!now.contains("pk_product") && !later.contains("pk_product"));
    }

    #[test]
    fn explain_texts_per_source() {
        let m = DefinitionModel::product_category_review();
        let p = plan(&m).unwrap();
        let review = p
            .sources
            .iter()
            .find(|s| s.table.name == "tb_review")
            .unwrap()
            .table
            .clone();
        let partials = [PartialSource {
            table: review.clone(),
            root: review.clone(),
            root_only: false,
            key_column: "pk_post".into(),
            documents: vec![crate::sqlgen::patch::DocumentPatch {
                column: "data".into(),
                keys: vec![crate::sqlgen::patch::KeyValue {
                    key: "reviews".into(),
                    value_sql: "1".into(),
                }],
            }],
            tallies: vec![],
        }];
        let by_partial = |mode, oid| {
            Inputs {
                model: &m,
                plan: &p,
                patches: &[],
                partials: &partials,
                summary: None,
                mode,
            }
            .describe_source(oid)
        };
        let by = |mode, oid| {
            Inputs {
                model: &m,
                plan: &p,
                patches: &[],
                partials: &[],
                summary: None,
                mode,
            }
            .describe_source(oid)
        };
        assert!(
            by_partial(Mode::Immediate, review.oid).contains(
                "only the document keys reading the table recomputed for those keys (recomputed: data.reviews)"
            ),
            "{}",
            by_partial(Mode::Immediate, review.oid)
        );
        assert!(by_partial(Mode::Deferred, review.oid).ends_with(
            "only the document keys reading the table recomputed for those keys (the whole document when another change queued it too) (recomputed: data.reviews)"
        ));
        let oid = |name: &str| {
            p.sources
                .iter()
                .find(|s| s.table.name == name)
                .unwrap()
                .table
                .oid
        };
        assert!(by(Mode::Deferred, oid("tb_review")).contains("queued"));
        assert!(by(Mode::Deferred, oid("tb_category")).contains("captured"));
        assert!(by(Mode::Immediate, oid("tb_product")).starts_with("each statement"));
    }
}
