//! The backend's compiled TVIEWs: catalog rows, analyzed definitions and prepared plans.
//!
//! Built lazily on first use. A relcache invalidation of a relation a TVIEW was built from (a
//! source, its table, its definition view) throws that TVIEW's entry away and no other; one
//! of the catalog, or of every relation, throws everything away.
//! Entries are reference-counted, so a trigger that is using one keeps it alive even if an
//! invalidation arrives while it runs; nothing is freed under a running plan.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use pgrx::pg_sys;
use tviews_core::action::{refresh_for, Action, Inputs, Params, Query, Write};
use tviews_core::queue::Slot;
use tviews_core::sqlgen::patch::Change;
use tviews_core::sqlgen::refresh::RefreshTarget;
use tviews_core::stats::Done;

use crate::analyze::{analyze_view, Definition, KeyRequest};
use crate::catalog::{load_all, TviewMeta};
use crate::errors::TviewError;
use crate::pg::spi::KeptPlan;

/// A TVIEW ready to maintain.
pub struct Compiled {
    pub meta: TviewMeta,
    pub def: Definition,
    pub key_type: pg_sys::Oid,
    pub key_array_type: pg_sys::Oid,
    /// The key type's equality, for the statements that find rows by key.
    pub key_eq: tviews_core::model::OperatorRef,
    /// The schema pg_tviews is installed in (its functions are called by generated SQL), or
    /// `None` while the catalog predates them (see `RefreshTarget::extension`).
    pub extension: Option<String>,
    /// The key's type as qualified SQL.
    pub key_type_sql: String,
    /// The key column's collation as qualified SQL, for a type that has one.
    pub key_collation: Option<String>,
    /// The key may be NULL: its NULL group is a row like any other.
    pub key_nullable: bool,
    /// The key column's collation (InvalidOid for a type without one): key locks hash with
    /// it, so keys equal under it (`a` and `A` under a case-insensitive one) lock alike.
    pub key_collation_oid: pg_sys::Oid,
    /// For a key of several columns: each column's equality and collation, and its type (the
    /// keyed refreshes take the keys' values of each column as an array of it).
    pub key_fields: Vec<tviews_core::sqlgen::refresh::KeyField>,
    pub key_field_types: Vec<pg_sys::Oid>,
    /// Position in the one order pg_tviews takes locks in (`tviews_core::queue::Slot`).
    pub slot: Slot,
    /// Per column, the type the table stores it as where that is not the definition's (see
    /// `RefreshTarget::stored_types`).
    pub stored_types: Vec<Option<String>>,
    /// The definition's rows from a summary's state (see `RefreshTarget::rows`).
    pub summary_rows: Option<String>,
    /// The state tables maintenance writes (their guard lets maintenance's writes through).
    pub state_tables: Vec<pg_sys::Oid>,
    /// Those of them that are pending tables (deferred mode), whose rows the commit takes
    /// out by id.
    pub pending_tables: Vec<pg_sys::Oid>,
    /// Relations besides the catalog row's (table, definition view, sources) whose
    /// invalidation rebuilds this entry: the helper views the definition reads (a view
    /// replaced while pg_tviews' event triggers were disabled must not keep its old query,
    /// or its old checks, in a backend that compiled it before) and the state tables.
    relations: Vec<pg_sys::Oid>,
    /// One prepared plan per query the actions name (`None`: the TVIEW has no such
    /// statement, see [`Inputs::statement`]), made on first use.
    plans: RefCell<HashMap<Query, Option<Rc<KeptPlan>>>>,
}

impl Compiled {
    /// What the refresh statements (and the oracle) need to know about this TVIEW.
    pub fn target(&self) -> RefreshTarget<'_> {
        RefreshTarget {
            table: (&self.meta.table_name.0, &self.meta.table_name.1),
            definition: (&self.meta.view_name.0, &self.meta.view_name.1),
            rows: self.summary_rows.as_deref(),
            columns: &self.def.columns,
            stored_types: &self.stored_types,
            key: &self.def.key,
            key_eq: &self.key_eq,
            extension: self.extension.as_deref(),
            table_oid: self.meta.table.to_u32(),
            key_type: &self.key_type_sql,
            key_collation: self.key_collation.as_deref(),
            key_nullable: self.key_nullable,
            key_fields: &self.key_fields,
            all_null_group: self.def.model.all_null_group,
            // MERGE ... WHEN NOT MATCHED BY SOURCE arrived with PostgreSQL 17.
            merge_by_source: cfg!(not(feature = "pg16")),
        }
    }

    /// What the decision and the SQL generation read of this TVIEW.
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            model: &self.def.model,
            plan: &self.def.plan,
            patches: &self.def.patches,
            partials: &self.def.partials,
            summary: self.def.summary.as_ref(),
            mode: self.meta.mode,
        }
    }

    /// What maintenance does for `write` on `source` (see [`tviews_core::action`]).
    pub fn decide(&self, source: pg_sys::Oid, write: Write) -> Action {
        self.inputs().decide(source.to_u32(), write)
    }

    /// What maintenance does for rows collected from a replica session (see
    /// [`super::replica`]).
    pub fn decide_collected(&self, source: pg_sys::Oid, write: Write) -> Action {
        self.inputs().decide_collected(source.to_u32(), write)
    }

    /// The prepared plan of `query`, or `None` when the TVIEW has no such statement. Must run
    /// inside an SPI connection (with the trigger's transition tables registered for the
    /// queries that read them).
    pub fn plan(&self, query: Query) -> Result<Option<Rc<KeptPlan>>, TviewError> {
        if let Some(p) = self.plans.borrow().get(&query) {
            return Ok(p.clone());
        }
        let statement = self
            .inputs()
            .statement(query, &self.target(), &mut |source, column| {
                captured_type(pg_sys::Oid::from(source), column)
            })?;
        let plan = match statement {
            None => None,
            Some(s) => {
                let args = match s.params {
                    Params::None => vec![],
                    Params::KeyArray => vec![self.key_array_type],
                    Params::KeyAndFieldArrays(_) => std::iter::once(self.key_array_type)
                        // SAFETY: catalog lookups of the array types of existing types.
                        .chain(
                            self.key_field_types
                                .iter()
                                .map(|t| unsafe { pg_sys::get_array_type(*t) }),
                        )
                        .collect(),
                    Params::TextArrays(n) => vec![pg_sys::TEXTARRAYOID; n],
                    Params::RowIds(n) => vec![pg_sys::TIDARRAYOID; n],
                };
                Some(Rc::new(KeptPlan::prepare(
                    &s.sql,
                    &args,
                    !s.plan_per_execution,
                )?))
            }
        };
        self.plans.borrow_mut().insert(query, plan.clone());
        Ok(plan)
    }

    fn required(&self, query: Query) -> Result<Rc<KeptPlan>, TviewError> {
        self.plan(query)?
            .ok_or_else(|| TviewError::Internal(format!("no statement for {query:?}")))
    }

    /// Take the key locks of `keys` (an array of the key type) on this TVIEW, hashed under
    /// the key column's collation (see maintain/lock.rs).
    ///
    /// # Safety
    /// `keys` must be a valid array datum of the key type.
    pub unsafe fn lock_keys(&self, keys: pg_sys::Datum) {
        // SAFETY: per contract.
        unsafe {
            super::lock::lock_keys(self.meta.table, keys, self.key_type, self.key_collation_oid)
        };
    }

    /// Run `values` (a [`Query::LookupValues`]) and lock the lookup values it returns (see
    /// maintain/lock.rs): exclusively for a lookup's own changes, shared for the key's
    /// table's. A lookup without the statement (it left the plan) locks the whole TVIEW.
    pub fn lock_lookups(
        &self,
        values: Query,
        exclusive: bool,
    ) -> Result<super::lock::Taken, TviewError> {
        let Some(source) = values.source() else {
            return Ok(Default::default());
        };
        let Some(plan) = self.plan(values)? else {
            if exclusive {
                super::lock::lock_whole(self.meta.table);
            }
            return Ok(Default::default());
        };
        plan.execute(&[])?;
        let lookups = self.lookup_values(source);
        // SAFETY: each datum is an array of its element type, read from the SPI result,
        // which lives until the connection finishes.
        Ok(unsafe { super::lock::lock_lookups(self.meta.table, &lookups, exclusive) })
    }

    /// At commit: run `values` (a [`Query::ReplayValues`]) over the captured arrays `args`
    /// and lock the lookup values it returns exclusively if no other transaction holds one
    /// of them (see [`super::lock::try_lock_lookups`]); `None` (nothing kept) otherwise, or
    /// when the TVIEW has no such statement.
    pub fn try_lock_replayed_values(
        &self,
        values: Query,
        args: &[pg_sys::Datum],
    ) -> Result<Option<super::lock::Taken>, TviewError> {
        let (Some(source), Some(plan)) = (values.source(), self.plan(values)?) else {
            return Ok(None);
        };
        // The captured text is read back as it was printed (see with_exact_text).
        crate::pg::context::with_exact_text(|| plan.execute(args))?;
        let lookups = self.lookup_values(source);
        // SAFETY: as in lock_lookups.
        Ok(unsafe { super::lock::try_lock_lookups(self.meta.table, &lookups) })
    }

    /// The arrays of lookup values in the first row of the last SPI result, one per lookup
    /// column of `source` ([`Inputs::lookup_targets`]), NULL ones left out.
    fn lookup_values(&self, source: u32) -> Vec<super::lock::LookupValues> {
        let row = crate::pg::spi::first_row_typed();
        let targets = self.inputs().lookup_targets(source);
        targets
            .iter()
            .zip(row)
            .filter_map(|(t, (datum, array_type))| {
                Some(super::lock::LookupValues {
                    lookup: pg_sys::Oid::from(t.lookup),
                    column: column_id(&t.column),
                    values: datum?,
                    // SAFETY: a catalog lookup of the result column's (array) type.
                    element_type: unsafe { pg_sys::get_element_type(array_type) },
                })
            })
            .collect()
    }

    /// Lock the keys in `keys` without waiting for any (see [`super::lock::try_lock_keys`]).
    ///
    /// # Safety
    /// `keys` must be a valid array datum of the key type.
    pub unsafe fn try_lock_keys(&self, keys: pg_sys::Datum) -> super::lock::KeyLocks {
        // SAFETY: per contract.
        unsafe {
            super::lock::try_lock_keys(self.meta.table, keys, self.key_type, self.key_collation_oid)
        }
    }

    /// Recompute the documents of `keys` (an array of the key type), counted in
    /// pg_tviews_stats. Must run inside an SPI connection.
    ///
    /// # Safety
    /// `keys` must be a valid array datum of the key type.
    pub unsafe fn refresh_keys(&self, keys: pg_sys::Datum) -> Result<u64, TviewError> {
        // SAFETY: caller's contract.
        let n = unsafe { crate::pg::arrays::len(keys) };
        let query = refresh_for(n);
        let statement_takes_fields = matches!(query, Query::RefreshOneKey | Query::RefreshKeys)
            && matches!(self.target().key_params(), Params::KeyAndFieldArrays(_));
        let mut args = vec![keys];
        if statement_takes_fields {
            // SAFETY: keys is an array of the composite key type, no element NULL.
            args.extend(unsafe { crate::pg::arrays::fields(keys, self.key_type) });
        }
        let written = self.required(query)?.execute(&args)?;
        crate::stats::add(|c| c.count(Done::RecomputedKeys { keys: n, written }));
        Ok(written)
    }

    /// Recompute, for the documents of `keys` (an array of the key type), only the document
    /// keys `partial` (a [`Query::Partial`]) names; counted in pg_tviews_stats as patched
    /// documents. Must run inside an SPI connection.
    ///
    /// # Safety
    /// `keys` must be a valid array datum of the key type.
    pub unsafe fn refresh_partially(
        &self,
        partial: Query,
        keys: pg_sys::Datum,
    ) -> Result<u64, TviewError> {
        let written = self.required(partial)?.execute(&[keys])?;
        crate::stats::add(|c| c.count(Done::Patched { written }));
        Ok(written)
    }

    /// Add a statement's rows to the tallies, or empty them (`tally`: a [`Query::Tally`] or
    /// [`Query::TallyReset`]). Needs the trigger's transition tables.
    pub fn tally(&self, tally: Query) -> Result<u64, TviewError> {
        self.required(tally)?.execute(&[])
    }

    /// Recompute the one row of a summary from its state, counted in pg_tviews_stats as one
    /// key recomputed. Must run inside an SPI connection.
    pub fn refresh_summary(&self) -> Result<u64, TviewError> {
        let written = self.required(Query::RefreshSummary)?.execute(&[])?;
        crate::stats::add(|c| c.count(Done::RecomputedKeys { keys: 1, written }));
        Ok(written)
    }

    /// Recompute every row, counted in pg_tviews_stats. Must run inside an SPI connection.
    pub fn refresh_everything(&self) -> Result<u64, TviewError> {
        let written = self.required(Query::RefreshAll)?.execute(&[])?;
        crate::stats::add(|c| c.count(Done::RecomputedAll { written }));
        Ok(written)
    }

    /// What an UPDATE changed, by `classify` (a [`Query::Classify`]); a TVIEW without that
    /// statement recomputes. Needs the trigger's transition tables.
    pub fn classify(&self, classify: Query) -> Result<Change, TviewError> {
        let Some(plan) = self.plan(classify)? else {
            return Ok(Change::Recompute);
        };
        plan.execute(&[])?;
        let flags: Vec<bool> = crate::pg::spi::first_row()
            .into_iter()
            .map(|d| d.is_some_and(|d| d.value() != 0))
            .collect();
        Ok(match flags.as_slice() {
            [paired, guarded, patchable] => Change::from_flags(*paired, *guarded, *patchable),
            _ => Change::Recompute,
        })
    }

    /// Patch documents in place by `patch` (a [`Query::Patch`]), counted in pg_tviews_stats.
    /// Needs the trigger's transition tables.
    pub fn patch(&self, patch: Query) -> Result<u64, TviewError> {
        let written = self.required(patch)?.execute(&[])?;
        crate::stats::add(|c| c.count(Done::Patched { written }));
        Ok(written)
    }
}

/// The type of `column` of `table`, as SQL that names it from any search_path.
/// The type a replayed value is read back as: the column's type, or for a domain its base
/// type (the value was one when captured; a constraint added since with NOT VALID does not
/// apply to it), under the column's collation (a domain's own collation would conflict with
/// a column's other one in the join).
fn column_type_sql(table: pg_sys::Oid, column: &str) -> Result<String, TviewError> {
    let typ = crate::pg::names::column_type(table, column)?;
    // SAFETY: a type catalog lookup of an existing type.
    let base = unsafe { pg_sys::getBaseType(typ) };
    let collate = crate::pg::names::column_collation_sql(table, column)?
        .map(|c| format!(" COLLATE {c}"))
        .unwrap_or_default();
    Ok(format!(
        "{}{collate}",
        crate::pg::names::qualified_type(base)
    ))
}

/// What a deferred capture needs of the type of `column` of `table`: how its values travel
/// to the commit (see [`tviews_core::sqlgen::keys::Capture`]). A value must read back as
/// itself whatever other sessions commit meanwhile. One whose text names catalog rows (an
/// enum's label, an object identifier's name) is kept as the OID of the row where the value
/// stands alone (or in an array of object identifiers). Anywhere else (inside a composite,
/// a range, an array of enums; an ACL entry's roles), or when a domain lies inside the
/// type (reading back would check its constraints again, ones added since too: a domain
/// column itself is read back as its base type), it is not captured.
fn captured_type(
    table: pg_sys::Oid,
    column: &str,
) -> Result<tviews_core::sqlgen::keys::ColumnType, TviewError> {
    use crate::pg::names::{contained_types, prints_catalog_names, OBJECT_IDENTIFIER_TYPES};
    use tviews_core::sqlgen::keys::Capture;
    let typ = crate::pg::names::column_type(table, column)?;
    // SAFETY: type catalog lookups of existing types.
    let (base, element) = unsafe {
        let base = pg_sys::getBaseType(typ);
        (base, pg_sys::get_element_type(base))
    };
    // The types strictly inside the base type's values.
    let inside = contained_types(base).split_off(1);
    // SAFETY: type catalog lookups.
    let is_enum = |t: pg_sys::Oid| unsafe { pg_sys::type_is_enum(t) };
    // SAFETY: as above.
    let is_domain = |t: pg_sys::Oid| unsafe { pg_sys::getBaseType(t) != t };
    let capture = if inside.iter().any(|t| is_domain(*t)) {
        Capture::Never
    } else if is_enum(base) {
        Capture::EnumOid
    } else if OBJECT_IDENTIFIER_TYPES.contains(&base) {
        Capture::Oid
    } else if OBJECT_IDENTIFIER_TYPES.contains(&element) {
        Capture::OidArray
    } else if std::iter::once(base)
        .chain(inside)
        .any(|t| is_enum(t) || prints_catalog_names(t))
    {
        Capture::Never
    } else {
        Capture::Text
    };
    Ok(tviews_core::sqlgen::keys::ColumnType {
        sql: column_type_sql(table, column)?,
        capture,
    })
}

#[derive(Default)]
struct Cache {
    loaded: bool,
    metas: Vec<TviewMeta>,
    compiled: HashMap<u32, Rc<Compiled>>,
    /// pg_tview_meta: its invalidation means TVIEWs were created, dropped or changed.
    catalog: pg_sys::Oid,
    /// Relations whose invalidation makes some entry stale: every TVIEW's table, definition
    /// view and sources (the catalog is `catalog`).
    watched: HashSet<pg_sys::Oid>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
    /// Everything must be reloaded (an invalidation of every relation, or of the catalog).
    static STALE: Cell<bool> = const { Cell::new(true) };
    /// Watched relations invalidated since the last use: the compiled TVIEWs that depend on
    /// one of them are rebuilt, the others kept.
    static DIRTY: RefCell<Vec<pg_sys::Oid>> = const { RefCell::new(Vec::new()) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
    /// The latest subtransaction of the current transaction that compiled a TVIEW (see
    /// [`transaction_ended`]).
    static COMPILED_IN: Cell<Option<pg_sys::SubTransactionId>> = const { Cell::new(None) };
}

/// How a transaction (or a subtransaction) ended, for [`transaction_ended`].
pub enum Ended {
    Committed,
    RolledBack,
    /// Subtransaction `id` rolled back.
    SubRolledBack(pg_sys::SubTransactionId),
}

/// The current transaction or one of its subtransactions ended. What was compiled in a
/// transaction or subtransaction that rolls back may have read its catalog changes (a view
/// replaced, then refused by pg_tviews' own check): then forget everything compiled, so the
/// next use reads the catalog as it is. A subtransaction that compiled nothing (ids are
/// handed out in order: what it and the subtransactions under it compiled has an id no
/// lower than its own) leaves the cache as it is: a PL/pgSQL block catching errors costs
/// nothing.
pub fn transaction_ended(how: Ended) {
    let compiled = COMPILED_IN.get();
    let forget = match how {
        Ended::Committed => false,
        Ended::RolledBack => compiled.is_some(),
        Ended::SubRolledBack(sub) => compiled.is_some_and(|c| c >= sub),
    };
    if forget {
        invalidate();
    }
    if forget || !matches!(how, Ended::SubRolledBack(_)) {
        COMPILED_IN.set(None);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid {
        STALE.set(true);
        return;
    }
    // try_borrow: an invalidation can arrive while the cache is being rebuilt; everything is
    // reloaded then, to be safe.
    CACHE.with(|c| match c.try_borrow() {
        Ok(c) if c.catalog == relid => STALE.set(true),
        Ok(c) if !c.watched.contains(&relid) => {}
        Ok(_) => DIRTY.with(|d| match d.try_borrow_mut() {
            Ok(mut d) => d.push(relid),
            Err(_) => STALE.set(true),
        }),
        Err(_) => STALE.set(true),
    });
}

/// A catalog row that analysis reads but no relation's invalidation covers changed:
///
/// * a schema was created, renamed, moved or dropped. Generated SQL names every relation,
///   type and function through its schema, and a schema rename sends no relcache
///   invalidation for what it holds: PostgreSQL would re-parse the kept plans with the old
///   names (and find nothing, or tables made since under those names);
/// * a cast changed: `to_json` and the like find a type's cast to `json` at run time;
/// * a function, a role, or an operator family's members changed: what the checks of
///   [`crate::checks::check_functions`] decided (a function's volatility or owner, whether
///   the TVIEW's owner is a superuser, the support functions a sort or a join calls) may no
///   longer hold, even in a backend that compiled the TVIEW before (`ALTER ROLE ...
///   NOSUPERUSER` fires no event trigger).
///
/// Everything is rebuilt from OIDs and checked again. These change with deployments, not
/// with writes.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_catalog_invalidation(
    _arg: pg_sys::Datum,
    _cacheid: std::ffi::c_int,
    _hashvalue: u32,
) {
    STALE.set(true);
}

fn ensure_callback() {
    if !CALLBACK_REGISTERED.get() {
        // SAFETY: registers plain functions for the backend's lifetime (they cannot be
        // removed, hence the once-only flag).
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(
                Some(on_relcache_invalidation),
                pg_sys::Datum::from(0),
            );
            for cache in [
                pg_sys::SysCacheIdentifier::NAMESPACEOID,
                pg_sys::SysCacheIdentifier::PROCOID,
                pg_sys::SysCacheIdentifier::AUTHOID,
                pg_sys::SysCacheIdentifier::AMOPOPID,
                pg_sys::SysCacheIdentifier::AMPROCNUM,
                // A cast to json made or dropped: to_json and the like look it up at run
                // time, so the functions a definition reaches change with it.
                pg_sys::SysCacheIdentifier::CASTSOURCETARGET,
            ] {
                pg_sys::CacheRegisterSyscacheCallback(
                    cache as std::ffi::c_int,
                    Some(on_catalog_invalidation),
                    pg_sys::Datum::from(0),
                );
            }
        }
        CALLBACK_REGISTERED.set(true);
    }
}

/// Forget everything compiled (after this backend changes the catalog).
pub fn invalidate() {
    STALE.set(true);
}

/// The relations a TVIEW's catalog row names: an invalidation of any of them rebuilds it.
fn depends_on_meta(meta: &TviewMeta, relid: pg_sys::Oid) -> bool {
    meta.table == relid || meta.view == relid || meta.sources.contains(&relid)
}

/// [`depends_on_meta`], and the other relations compiling it read.
fn depends_on(compiled: &Compiled, relid: pg_sys::Oid) -> bool {
    depends_on_meta(&compiled.meta, relid) || compiled.relations.contains(&relid)
}

fn refresh_if_stale() -> Result<(), TviewError> {
    ensure_callback();
    // Take in what other sessions committed since this backend last looked: PostgreSQL
    // delivers invalidations only when a lock is acquired or a transaction starts, and
    // maintenance runs at the end of a statement or at commit, long after both. Without
    // this, a rename of a TVIEW table or of its schema, or pg_tviews_set_setting, committed
    // while the writer's statement ran (or its deferred transaction was open) reached this
    // cache only once the generated statements had been parsed again under the new names:
    // they wrote whatever table now bore the old name, with the old settings.
    // SAFETY: processes pending invalidation messages; outside any critical section.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let dirty: Vec<pg_sys::Oid> = DIRTY.with(|d| std::mem::take(&mut *d.borrow_mut()));
    let everything = STALE.get() || !CACHE.with(|c| c.borrow().loaded);
    if !everything && dirty.is_empty() {
        return Ok(());
    }
    STALE.set(false);
    if !everything {
        // Whatever changed, the TVIEWs built from it are rebuilt and the others keep their
        // prepared plans. Only sources changed (ALTER TABLE, an index, a GRANT, ANALYZE or
        // autovacuum writing statistics): that is all.
        let rows_may_differ = CACHE.with(|c| {
            let mut c = c.borrow_mut();
            c.compiled
                .retain(|_, t| !dirty.iter().any(|r| depends_on(t, *r)));
            dirty
                .iter()
                .any(|r| c.metas.iter().any(|m| m.table == *r || m.view == *r))
        });
        if !rows_may_differ {
            return Ok(());
        }
    }
    // A TVIEW table or definition view changed: its catalog row carries their names, which
    // generated SQL uses (a rename invalidates only the renamed relation), and its mode,
    // owner and settings. The rows are re-read; an entry is kept when its row is unchanged.
    // Catalog reads never resolve a name through the caller's search_path.
    let caller = crate::pg::context::Role::Caller;
    let (metas, catalog) = crate::pg::context::run(caller, &[], || {
        Ok((load_all()?, crate::catalog::catalog_oid()?))
    })
    .inspect_err(|_| STALE.set(true))?; // not read: the next use tries again
    let mut watched: HashSet<pg_sys::Oid> = HashSet::new();
    for m in &metas {
        watched.insert(m.table);
        watched.insert(m.view);
        watched.extend(m.sources.iter().copied());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.loaded = true;
        if everything {
            c.compiled.clear();
        } else {
            // Kept: TVIEWs whose catalog row is unchanged.
            c.compiled.retain(|_, t| metas.iter().any(|m| *m == t.meta));
        }
        c.metas = metas;
        c.catalog = catalog;
        // Kept entries' other relations stay watched.
        watched.extend(
            c.compiled
                .values()
                .flat_map(|t| t.relations.iter().copied()),
        );
        c.watched = watched;
    });
    if !everything {
        // Positions follow the catalog rows; an entry whose position moved is rebuilt.
        let slots = slots();
        CACHE.with(|c| {
            c.borrow_mut()
                .compiled
                .retain(|_, t| slots.get(&t.meta.table) == Some(&t.slot))
        });
    }
    Ok(())
}

/// The catalog rows of TVIEWs that read `source`, in dependency order.
pub fn tviews_reading(source: pg_sys::Oid) -> Result<Vec<TviewMeta>, TviewError> {
    refresh_if_stale()?;
    let mut list: Vec<TviewMeta> = CACHE.with(|c| {
        c.borrow()
            .metas
            .iter()
            .filter(|m| m.sources.contains(&source))
            .cloned()
            .collect()
    });
    // The order of the deferred queue at commit: a statement and a commit elsewhere (a
    // replica session's, say) must take their locks in one order.
    let slots = slots();
    list.sort_by_key(|m| slot_in(&slots, m.table));
    Ok(list)
}

/// [`tviews_reading`] for a table that carries pg_tviews' triggers, so some TVIEW should
/// read it: when none this backend knows does, catalog rows may have arrived without an
/// invalidation (a data-only restore COPYs pg_tview_meta with its triggers disabled), so the
/// catalog is read again before the answer is taken.
pub fn tviews_reading_triggered(source: pg_sys::Oid) -> Result<Vec<TviewMeta>, TviewError> {
    let list = tviews_reading(source)?;
    if !list.is_empty() {
        return Ok(list);
    }
    invalidate();
    tviews_reading(source)
}

/// All TVIEWs' catalog rows.
pub fn all() -> Result<Vec<TviewMeta>, TviewError> {
    refresh_if_stale()?;
    Ok(CACHE.with(|c| c.borrow().metas.clone()))
}

/// The position of every TVIEW in the one lock order (`tviews_core::queue::slots`).
fn slots() -> HashMap<pg_sys::Oid, Slot> {
    CACHE.with(|c| {
        let c = c.borrow();
        let defs: Vec<(u32, Vec<u32>)> = c
            .metas
            .iter()
            .map(|m| {
                (
                    m.table.to_u32(),
                    m.sources.iter().map(|s| s.to_u32()).collect(),
                )
            })
            .collect();
        tviews_core::queue::slots(defs.iter().map(|(t, v)| (*t, v.as_slice())))
            .into_iter()
            .map(|(t, slot)| (pg_sys::Oid::from(t), slot))
            .collect()
    })
}

/// `table`'s slot in `slots`, or level 0 for a table no longer in the catalog.
fn slot_in(slots: &HashMap<pg_sys::Oid, Slot>, table: pg_sys::Oid) -> Slot {
    slots.get(&table).copied().unwrap_or(Slot {
        level: 0,
        read: false,
        tview: table.to_u32(),
    })
}

/// The compiled form of a TVIEW, building it if needed.
pub fn compiled(meta: &TviewMeta) -> Result<Rc<Compiled>, TviewError> {
    if let Some(c) = CACHE.with(|c| c.borrow().compiled.get(&meta.table.to_u32()).cloned()) {
        return Ok(c);
    }
    // The analysis reads catalogs with SQL: with the search_path restricted. It also prints
    // parts of the definition as SQL (the fast path's and partial recompute's values),
    // constants included, which maintenance reads back under the pinned settings: printed
    // under them too, never under the writer's DateStyle or lc_monetary.
    let def = crate::pg::context::run(crate::pg::context::Role::Caller, &meta.settings, || {
        // What creation refused may have come about since (functions altered, ownership
        // reassigned): maintenance refuses to run it.
        crate::checks::check_functions(meta.view, meta.owner, Some(meta.table))?;
        let mut def = analyze_view(
            &meta.view_name.0,
            &meta.view_name.1,
            &meta.tview_name,
            KeyRequest::Fixed(&meta.key),
        )?;
        // Its tables are the ones its triggers are on: a helper view replaced (CREATE OR
        // REPLACE VIEW, refused here; or while pg_tviews' event triggers were disabled) may
        // read others, whose changes would never reach it.
        let mut now: Vec<u32> = def.model.tables().iter().map(|t| t.oid).collect();
        let mut then: Vec<u32> = meta.sources.iter().map(|o| o.to_u32()).collect();
        now.sort_unstable();
        now.dedup();
        then.sort_unstable();
        then.dedup();
        if now != then {
            return Err(TviewError::AlterRefused {
                table: crate::pg::names::describe(meta.table),
                change: "read other tables through a replaced view".into(),
                hint: "The TVIEW keeps triggers on the tables it was created over: drop it, replace the view, and create the TVIEW again.".into(),
            });
        }
        crate::tally::attach(&mut def, meta)?;
        Ok(def)
    })?;
    let mut def = def;
    let first = &meta.key[0];
    // A key of several columns is one value of its composite type: no collation of its own
    // (each field has its column's), never NULL itself.
    let (key_type, key_collation, key_nullable, key_collation_oid) = match meta.key_type {
        Some(composite) => {
            def.model.key_type = Some(crate::pg::names::qualified_type(composite));
            (composite, None, false, pg_sys::InvalidOid)
        }
        None => (
            match crate::pg::names::column_type(meta.table, first)? {
                // A key of groups over outer joins is found as values of its base type, as
                // a composite key's fields are (see `tviews_core::sqlgen::keys::key_row`):
                // a deferred capture reads them back so, and NULL is one of them even where
                // a domain says NOT NULL.
                // SAFETY: a type catalog lookup of an existing type.
                typ if def.model.null_groups => unsafe { pg_sys::getBaseType(typ) },
                typ => typ,
            },
            crate::pg::names::column_collation_sql(meta.table, first)?,
            // Creation decides (see create.rs) and the table's key column records it.
            !crate::pg::names::column_not_null(meta.table, first)?,
            crate::pg::names::column_collation(meta.table, first)?,
        ),
    };
    if meta.key.len() > 1 && meta.key_type.is_none() {
        return Err(TviewError::Internal(format!(
            "TVIEW {} has a key of several columns but no key type",
            meta.tview_name
        )));
    }
    let (mut key_fields, mut key_field_types) = (Vec::new(), Vec::new());
    if meta.key_type.is_some() {
        // The key's columns in their tables, for whether each may be NULL.
        for (i, column) in meta.key.iter().enumerate() {
            // An outer join's nullable side gives its columns NULL in rows without a match.
            let null_extended = def
                .model
                .key_origins
                .get(i)
                .is_some_and(|o| def.model.null_extended(o.occ));
            let nullable = match def.model.key_column_origin(i) {
                _ if null_extended => true,
                Some((t, c)) => !crate::pg::names::column_not_null(pg_sys::Oid::from(t), c)?,
                None => true,
            };
            // The key type's field is of the column's base type (see create.rs).
            // SAFETY: a type catalog lookup of an existing type.
            let typ =
                unsafe { pg_sys::getBaseType(crate::pg::names::column_type(meta.table, column)?) };
            let eq = crate::pg::names::equality_operator(typ).ok_or_else(|| {
                TviewError::Internal(format!("key column {column} has no equality operator"))
            })?;
            key_fields.push(tviews_core::sqlgen::refresh::KeyField {
                eq,
                collation: crate::pg::names::column_collation_sql(meta.table, column)?,
                nullable,
                table: def.model.rootless_table(i),
            });
            key_field_types.push(typ);
        }
    }
    let key_eq = crate::pg::names::equality_operator(key_type).ok_or_else(|| {
        TviewError::Internal(format!(
            "key {} has no equality operator",
            meta.key.join(", ")
        ))
    })?;
    // SAFETY: a catalog lookup of the array type of an existing type.
    let key_array_type = unsafe { pg_sys::get_array_type(key_type) };
    let slot = slot_in(&slots(), meta.table);
    let summary_rows = def.summary.as_ref().and_then(|s| s.rows());
    let groups = || {
        def.partials
            .iter()
            .flat_map(|p| p.tallies.iter())
            .chain(def.summary.iter().map(|s| &s.group))
    };
    let oid = |(schema, name): &(String, String)| crate::pg::names::relation_oid(schema, name);
    let state_tables: Vec<pg_sys::Oid> = groups()
        .flat_map(|g| [g.state.as_ref(), g.pending.as_ref()])
        .flatten()
        .filter_map(oid)
        .collect();
    let pending_tables: Vec<pg_sys::Oid> = groups()
        .filter_map(|g| g.pending.as_ref())
        .filter_map(oid)
        .collect();
    let mut relations: Vec<pg_sys::Oid> = crate::pg::scan::definition_dependencies(meta.view)
        .into_iter()
        .filter(|(class, object, _)| {
            *class == pg_sys::RelationRelationId && !depends_on_meta(meta, *object)
        })
        .map(|(_, object, _)| object)
        .chain(state_tables.iter().copied())
        .collect();
    relations.sort_by_key(|r| r.to_u32());
    relations.dedup();
    let c = Rc::new(Compiled {
        meta: meta.clone(),
        def,
        key_type,
        key_array_type,
        key_eq,
        extension: if crate::catalog::has_settings_column()? {
            Some(crate::catalog::extension_schema()?)
        } else {
            None
        },
        key_type_sql: crate::pg::names::qualified_type(key_type),
        key_collation,
        key_nullable,
        key_collation_oid,
        key_fields,
        key_field_types,
        slot,
        stored_types: stored_types(meta.table, meta.view),
        summary_rows,
        state_tables,
        pending_tables,
        relations,
        plans: RefCell::new(HashMap::new()),
    });
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache.watched.extend(c.relations.iter().copied());
        cache.compiled.insert(meta.table.to_u32(), c.clone())
    });
    // SAFETY: reads the current subtransaction's id.
    let sub = unsafe { pg_sys::GetCurrentSubTransactionId() };
    COMPILED_IN.set(Some(COMPILED_IN.get().map_or(sub, |c| c.max(sub))));
    Ok(c)
}

/// Per column of TVIEW table `table`, its type as SQL where the definition view `view`
/// computes it as another (see `names::stored_type`); empty if they are not the same columns.
fn stored_types(table: pg_sys::Oid, view: pg_sys::Oid) -> Vec<Option<String>> {
    let (stored, computed) = (
        crate::pg::names::relation_columns(table),
        crate::pg::names::relation_columns(view),
    );
    if stored.len() != computed.len() {
        return Vec::new();
    }
    stored
        .iter()
        .zip(&computed)
        .map(|(s, c)| {
            ((s.typ, s.typmod) != (c.typ, c.typmod))
                .then(|| crate::pg::names::qualified_type_with_typmod(s.typ, s.typmod))
        })
        .collect()
}

/// A number for a lookup column's name, the same in every backend (FNV-1a): value locks of
/// different columns of one lookup do not meet.
fn column_id(column: &str) -> u32 {
    column.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
