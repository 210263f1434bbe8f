//! The backend's compiled TVIEWs: catalog rows, analyzed definitions and prepared plans.
//!
//! Built lazily on first use and thrown away when a relation it depends on changes (a
//! relcache invalidation for a source, a TVIEW table, a definition view or the catalog).
//! Entries are reference-counted, so a trigger that is using one keeps it alive even if an
//! invalidation arrives while it runs; nothing is freed under a running plan.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use pgrx::pg_sys;
use tviews_core::sqlgen::keys::{capture_query, delta_columns, key_query, replay_key_query, Event};
use tviews_core::sqlgen::patch::{change_query, patch_statement, Change, PatchSource};
use tviews_core::sqlgen::refresh::{refresh_all, refresh_keys, RefreshTarget};

use crate::analyze::{analyze_view, Definition, KeyRequest};
use crate::catalog::{load_all, TviewMeta};
use crate::errors::TviewError;
use crate::pg::spi::KeptPlan;

/// Key query plans by (source table, kind of change); `None` means "recompute all".
type KeyQueryPlans = HashMap<(u32, Event), Option<Rc<KeptPlan>>>;
/// Deferred mode's replayed key queries by source table; `None` means "recompute all".
type ReplayPlans = HashMap<u32, Option<Rc<KeptPlan>>>;

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
    /// Position in dependency order: TVIEWs read by others come first.
    pub level: usize,
    refresh_keys: RefCell<Option<Rc<KeptPlan>>>,
    refresh_all: RefCell<Option<Rc<KeptPlan>>>,
    key_queries: RefCell<KeyQueryPlans>,
    captures: RefCell<KeyQueryPlans>,
    replays: RefCell<ReplayPlans>,
    /// Fast path, by source table: what an UPDATE changed, and the patch statement.
    changes: RefCell<ReplayPlans>,
    patches: RefCell<ReplayPlans>,
}

impl Compiled {
    fn target(&self) -> RefreshTarget<'_> {
        RefreshTarget {
            table: (&self.meta.table_name.0, &self.meta.table_name.1),
            definition: (&self.meta.view_name.0, &self.meta.view_name.1),
            columns: &self.def.columns,
            key: &self.def.key,
            key_eq: &self.key_eq,
            extension: self.extension.as_deref(),
            table_oid: self.meta.table.to_u32(),
            key_type: &self.key_type_sql,
        }
    }

    /// The MERGE refreshing the keys in `$1`. Must run inside an SPI connection.
    pub fn refresh_keys_plan(&self) -> Result<Rc<KeptPlan>, TviewError> {
        cached(&self.refresh_keys, || {
            KeptPlan::prepare(&refresh_keys(&self.target()), &[self.key_array_type])
        })
    }

    /// The MERGE recomputing every row. Must run inside an SPI connection.
    pub fn refresh_all_plan(&self) -> Result<Rc<KeptPlan>, TviewError> {
        cached(&self.refresh_all, || {
            KeptPlan::prepare(&refresh_all(&self.target()), &[])
        })
    }

    /// Recompute the documents of `keys` (an array of the key type), counted in
    /// pg_tviews_stats. Must run inside an SPI connection.
    ///
    /// # Safety
    /// `keys` must be a valid array datum of the key type.
    pub unsafe fn refresh_keys(&self, keys: pg_sys::Datum) -> Result<u64, TviewError> {
        let written = self.refresh_keys_plan()?.execute(&[keys])?;
        // SAFETY: caller's contract.
        let n = unsafe { crate::pg::arrays::len(keys) };
        crate::stats::add(|c| {
            c.keys_recomputed += n;
            c.rows_written += written;
        });
        Ok(written)
    }

    /// The fast path for UPDATEs of `source`, if it has one.
    pub fn patch_source(&self, source: pg_sys::Oid) -> Option<&PatchSource> {
        self.def
            .patches
            .iter()
            .find(|p| p.table.oid == source.to_u32())
    }

    /// What an UPDATE of `source` changed (see [`tviews_core::sqlgen::patch::change_query`]).
    /// Needs the trigger's transition tables.
    pub fn change(&self, source: pg_sys::Oid) -> Result<Change, TviewError> {
        let plan = memo(&self.changes, source.to_u32(), || {
            Ok(self.patch_source(source).map(|p| (change_query(p), vec![])))
        })?;
        let Some(plan) = plan else {
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

    /// Patch the documents of an UPDATE of `source` in place, counted in pg_tviews_stats.
    /// Needs the trigger's transition tables.
    pub fn patch(&self, source: pg_sys::Oid) -> Result<u64, TviewError> {
        let plan = memo(&self.patches, source.to_u32(), || {
            Ok(self
                .patch_source(source)
                .map(|p| (patch_statement(p, &self.target()), vec![])))
        })?;
        let plan = plan.ok_or(TviewError::Internal("no patch for this source".into()))?;
        let written = plan.execute(&[])?;
        crate::stats::add(|c| c.rows_patched += written);
        Ok(written)
    }

    /// Recompute every row, counted in pg_tviews_stats. Must run inside an SPI connection.
    pub fn refresh_everything(&self) -> Result<u64, TviewError> {
        let written = self.refresh_all_plan()?.execute(&[])?;
        crate::stats::add(|c| {
            c.full_recomputes += 1;
            c.rows_written += written;
        });
        Ok(written)
    }

    /// Do the changed rows of `source` name every key they affect (see
    /// [`tviews_core::plan::SourcePlan::is_direct`])? Tables the plan does not know count as
    /// indirect.
    pub fn source_is_direct(&self, source: pg_sys::Oid) -> bool {
        self.def
            .plan
            .source(source.to_u32())
            .is_some_and(|sp| sp.is_direct(&self.def.plan.root))
    }

    /// The key query for changes of `source` by `event`, or `None` when such changes
    /// recompute every row. Must run inside an SPI connection with the trigger's transition
    /// tables registered.
    pub fn key_query_plan(
        &self,
        source: pg_sys::Oid,
        event: Event,
    ) -> Result<Option<Rc<KeptPlan>>, TviewError> {
        memo(&self.key_queries, (source.to_u32(), event), || {
            let sql = self
                .def
                .plan
                .source(source.to_u32())
                .and_then(|sp| key_query(&self.def.model, sp, event));
            Ok(sql.map(|sql| (sql, vec![])))
        })
    }

    /// Deferred mode: the query capturing what the key query of `source` reads of the changed
    /// rows (see [`tviews_core::sqlgen::keys::capture_query`]); `None` when such changes
    /// recompute every row. Needs the trigger's transition tables, like the key query.
    pub fn capture_plan(
        &self,
        source: pg_sys::Oid,
        event: Event,
    ) -> Result<Option<Rc<KeptPlan>>, TviewError> {
        memo(&self.captures, (source.to_u32(), event), || {
            let sql = self
                .def
                .plan
                .source(source.to_u32())
                .and_then(|sp| capture_query(&self.def.model, sp, event));
            Ok(sql.map(|sql| (sql, vec![])))
        })
    }

    /// Deferred mode, at commit: the key query of `source` over captured values (one
    /// `text[]` parameter per delta column); `None` when they cannot be replayed (the
    /// definition changed since they were captured): recompute every row then.
    pub fn replay_plan(&self, source: u32) -> Result<Option<Rc<KeptPlan>>, TviewError> {
        memo(&self.replays, source, || {
            let Some(sp) = self.def.plan.source(source) else {
                return Ok(None);
            };
            let cols = delta_columns(&self.def.model, sp);
            let types = cols
                .iter()
                .map(|c| column_type_sql(pg_sys::Oid::from(source), c))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(replay_key_query(&self.def.model, sp, &types)
                .map(|sql| (sql, vec![pg_sys::TEXTARRAYOID; cols.len()])))
        })
    }
}

/// The plan memoized in `map` under `key`, made from `make`'s SQL and parameter types the
/// first time; `None` (recompute every row) is memoized too.
fn memo<K: std::hash::Hash + Eq>(
    map: &RefCell<HashMap<K, Option<Rc<KeptPlan>>>>,
    key: K,
    make: impl FnOnce() -> Result<Option<(String, Vec<pg_sys::Oid>)>, TviewError>,
) -> Result<Option<Rc<KeptPlan>>, TviewError> {
    if let Some(p) = map.borrow().get(&key) {
        return Ok(p.clone());
    }
    let plan = match make()? {
        None => None,
        Some((sql, args)) => Some(Rc::new(KeptPlan::prepare(&sql, &args)?)),
    };
    map.borrow_mut().insert(key, plan.clone());
    Ok(plan)
}

/// The type of `column` of `table`, as SQL that names it from any search_path.
fn column_type_sql(table: pg_sys::Oid, column: &str) -> Result<String, TviewError> {
    Ok(crate::pg::names::qualified_type(
        crate::pg::names::column_type(table, column)?,
    ))
}

fn cached(
    slot: &RefCell<Option<Rc<KeptPlan>>>,
    make: impl FnOnce() -> Result<KeptPlan, TviewError>,
) -> Result<Rc<KeptPlan>, TviewError> {
    if let Some(p) = slot.borrow().as_ref() {
        return Ok(p.clone());
    }
    let p = Rc::new(make()?);
    *slot.borrow_mut() = Some(p.clone());
    Ok(p)
}

#[derive(Default)]
struct Cache {
    loaded: bool,
    metas: Vec<TviewMeta>,
    compiled: HashMap<u32, Rc<Compiled>>,
    /// Relations whose invalidation makes the cache stale.
    watched: HashSet<pg_sys::Oid>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
    static STALE: Cell<bool> = const { Cell::new(true) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid {
        STALE.set(true);
        return;
    }
    // try_borrow: an invalidation can arrive while the cache is being rebuilt; the rebuild
    // then reads the new state anyway.
    CACHE.with(|c| match c.try_borrow() {
        Ok(c) if !c.watched.contains(&relid) => {}
        _ => STALE.set(true),
    });
}

fn ensure_callback() {
    if !CALLBACK_REGISTERED.get() {
        // SAFETY: registers a plain function for the backend's lifetime (it cannot be removed,
        // hence the once-only flag).
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(
                Some(on_relcache_invalidation),
                pg_sys::Datum::from(0),
            );
        }
        CALLBACK_REGISTERED.set(true);
    }
}

/// Forget everything compiled (after this backend changes the catalog).
pub fn invalidate() {
    STALE.set(true);
}

fn refresh_if_stale() -> Result<(), TviewError> {
    ensure_callback();
    if !STALE.get() && CACHE.with(|c| c.borrow().loaded) {
        return Ok(());
    }
    STALE.set(false);
    // Catalog reads never resolve a name through the caller's search_path.
    let caller = crate::pg::context::Role::Caller;
    let (metas, catalog) = crate::pg::context::run(caller, &[], || {
        Ok((load_all()?, crate::catalog::catalog_oid()?))
    })?;
    let mut watched: HashSet<pg_sys::Oid> = HashSet::new();
    for m in &metas {
        watched.insert(m.table);
        watched.insert(m.view);
        watched.extend(m.sources.iter().copied());
    }
    watched.insert(catalog);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.loaded = true;
        c.metas = metas;
        c.compiled.clear();
        c.watched = watched;
    });
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
    let levels = levels();
    list.sort_by_key(|m| (levels.get(&m.table).copied().unwrap_or(0), m.table.to_u32()));
    Ok(list)
}

/// All TVIEWs' catalog rows.
pub fn all() -> Result<Vec<TviewMeta>, TviewError> {
    refresh_if_stale()?;
    Ok(CACHE.with(|c| c.borrow().metas.clone()))
}

/// Dependency level of every TVIEW: 0 when it reads no other TVIEW, else one more than the
/// deepest TVIEW it reads.
fn levels() -> HashMap<pg_sys::Oid, usize> {
    CACHE.with(|c| {
        let c = c.borrow();
        let tables: HashSet<pg_sys::Oid> = c.metas.iter().map(|m| m.table).collect();
        let mut level: HashMap<pg_sys::Oid, usize> = HashMap::new();
        // Relaxation terminates because dependencies are acyclic (a view cannot read a table
        // created after it); the bound guards against a corrupted catalog.
        for _ in 0..=c.metas.len() {
            let mut changed = false;
            for m in &c.metas {
                let l = m
                    .sources
                    .iter()
                    .filter(|s| tables.contains(s))
                    .map(|s| level.get(s).copied().unwrap_or(0) + 1)
                    .max()
                    .unwrap_or(0);
                if level.get(&m.table) != Some(&l) {
                    level.insert(m.table, l);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        level
    })
}

/// The compiled form of a TVIEW, building it if needed.
pub fn compiled(meta: &TviewMeta) -> Result<Rc<Compiled>, TviewError> {
    if let Some(c) = CACHE.with(|c| c.borrow().compiled.get(&meta.table.to_u32()).cloned()) {
        return Ok(c);
    }
    // The analysis reads catalogs with SQL: with the search_path restricted.
    let def = crate::pg::context::run(crate::pg::context::Role::Caller, &[], || {
        // What creation refused may have come about since (functions altered, ownership
        // reassigned): maintenance refuses to run it.
        crate::create::check_functions(meta.view, meta.owner)?;
        analyze_view(
            &meta.view_name.0,
            &meta.view_name.1,
            &meta.tview_name,
            KeyRequest::Fixed(&meta.key),
        )
    })?;
    let key_type = crate::pg::names::column_type(meta.table, &meta.key)?;
    let key_eq = crate::pg::names::equality_operator(key_type).ok_or_else(|| {
        TviewError::Internal(format!("key column {} has no equality operator", meta.key))
    })?;
    // SAFETY: a catalog lookup of the array type of an existing type.
    let key_array_type = unsafe { pg_sys::get_array_type(key_type) };
    let level = levels().get(&meta.table).copied().unwrap_or(0);
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
        level,
        refresh_keys: RefCell::new(None),
        refresh_all: RefCell::new(None),
        key_queries: RefCell::new(HashMap::new()),
        captures: RefCell::new(HashMap::new()),
        replays: RefCell::new(HashMap::new()),
        changes: RefCell::new(HashMap::new()),
        patches: RefCell::new(HashMap::new()),
    });
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .compiled
            .insert(meta.table.to_u32(), c.clone())
    });
    Ok(c)
}
