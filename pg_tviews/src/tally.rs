//! The state tables of tallied aggregates (see `tviews_core::sqlgen::tally`): found when a
//! TVIEW is compiled, built and dropped when what they hold may have changed.
//!
//! A state table lives in the definition schema, is owned by the TVIEW's owner, is part of the
//! TVIEW's table (an internal dependency: dropping the table drops it, dropping it alone
//! detaches the TVIEW, see `ddl::detach_before_drop`), and its comment is the spec of the group it holds ([`TallyGroup::spec`]). A TVIEW
//! uses a state table only while its definition still asks for exactly that spec, the TVIEW
//! is in immediate mode, and the table was built by pg_tviews for that TVIEW (the dependency,
//! which a restore does not bring back: a restored TVIEW scans until `pg_tviews_refresh`).
//!
//! [`rebuild`] runs whenever what a state holds may no longer follow its rows: at creation,
//! `pg_tviews_refresh`, a mode switch, any ALTER of a tallied table and an owner change.

use pgrx::pg_sys;
use pgrx::spi::Spi;
use tviews_core::action::Inputs;
use tviews_core::action::Mode;
use tviews_core::sqlgen::quote::literal;
use tviews_core::sqlgen::tally::{SourceTally, TallyGroup};

use crate::analyze::Definition;
use crate::catalog::{TviewMeta, DEFINITION_SCHEMA};
use crate::errors::TviewError;
use crate::pg::spi::{select_latest, value};

/// A state table of a TVIEW: its OID, name and comment.
struct StateTable {
    oid: pg_sys::Oid,
    name: String,
    spec: Option<String>,
}

/// The state tables pg_tviews built for TVIEW `meta`, as committed now (a backend whose
/// snapshot predates a rebuild must still find what the rebuild made): those its owner owns,
/// or all of them (`any_owner`: the ones to drop after an owner change).
fn state_tables(meta: &TviewMeta, any_owner: bool) -> Result<Vec<StateTable>, TviewError> {
    let mut out = Vec::new();
    for oid in crate::pg::scan::internal_parts(meta.table) {
        // SAFETY: catalog lookups of a relation that may have gone since the scan (NULL and
        // '\0' then); the fixed part of its pg_class row is read before it is released.
        unsafe {
            if pg_sys::get_rel_relkind(oid) as u8 != pg_sys::RELKIND_RELATION {
                continue;
            }
            let schema = crate::pg::nodes::cstring(pg_sys::get_namespace_name(
                pg_sys::get_rel_namespace(oid),
            ));
            if schema.as_deref() != Some(DEFINITION_SCHEMA) {
                continue;
            }
            use pg_sys::SysCacheIdentifier::RELOID;
            let Some((owner, name)) = crate::pg::scan::syscache_row(
                RELOID,
                &[pg_sys::Datum::from(oid)],
                |c: &pg_sys::FormData_pg_class, _| {
                    let name = std::ffi::CStr::from_ptr(c.relname.data.as_ptr());
                    (c.relowner, name.to_string_lossy().into_owned())
                },
            ) else {
                continue;
            };
            if !any_owner && owner != meta.owner {
                continue;
            }
            out.push(StateTable {
                oid,
                name,
                spec: crate::pg::nodes::cstring(pg_sys::GetComment(
                    oid,
                    pg_sys::RelationRelationId,
                    0,
                )),
            });
        }
    }
    Ok(out)
}

fn text_datum(s: &str) -> (pg_sys::Oid, pg_sys::Datum) {
    (
        pg_sys::TEXTOID,
        pgrx::IntoDatum::into_datum(s).expect("a text datum"),
    )
}

/// Is `relation` one of the state tables pg_tviews built for TVIEW `meta`?
pub fn is_state_table(meta: &TviewMeta, relation: pg_sys::Oid) -> Result<bool, TviewError> {
    Ok(state_tables(meta, true)?.iter().any(|t| t.oid == relation))
}

/// What keeps the state tables of TVIEW `meta` from serving maintenance, one line each
/// (empty when nothing): a state table owned by another role (maintenance no longer uses
/// it), or one without its unique key on the group columns (every write to its source fails:
/// maintenance adds to a state row by that key). ALTER TABLE of a state table builds it again
/// (see `ddl`); these come from DDL the event triggers did not see.
pub fn state_problems(meta: &TviewMeta) -> Result<Vec<String>, TviewError> {
    let mut out = Vec::new();
    for t in state_tables(meta, true)? {
        let name = crate::pg::names::describe(t.oid);
        let owner = crate::pg::names::relation_owner(t.oid).unwrap_or(pg_sys::InvalidOid);
        if owner != meta.owner {
            out.push(format!(
                "{name} is owned by {}, not by the TVIEW's owner: maintenance no longer uses it",
                crate::pg::names::role_name(owner)
            ));
            continue;
        }
        if t.spec
            .as_deref()
            .is_some_and(tviews_core::sqlgen::tally::is_pending_spec)
        {
            continue;
        }
        let keyed: Option<bool> = crate::pg::spi::read_one(
            // A unique index maintenance's ON CONFLICT can use: on exactly the key columns
            // (k, k1, ...), valid, checked at once, whole-table.
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index AS i \
                             WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisunique \
                               AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL \
                               AND i.indexprs IS NULL \
                               AND (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attname) \
                                      FROM pg_catalog.pg_attribute AS a \
                                     WHERE a.attrelid OPERATOR(pg_catalog.=) $1 \
                                       AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[])) \
                                   OPERATOR(pg_catalog.=) \
                                   (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attname) \
                                      FROM pg_catalog.pg_attribute AS a \
                                     WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 \
                                       AND NOT a.attisdropped \
                                       AND a.attname::pg_catalog.text OPERATOR(pg_catalog.~) '^k[0-9]*$'))",
            &[t.oid.into()],
        )?;
        if keyed != Some(true) {
            out.push(format!(
                "{name} has lost its unique key on the group columns: every write to the source it counts fails"
            ));
        }
    }
    Ok(out)
}

/// Make `def`'s partial recomputes read their aggregates from the state tables of `meta`,
/// where every group of a source has its state (see the module's rules).
pub fn attach(def: &mut Definition, meta: &TviewMeta) -> Result<(), TviewError> {
    if def.tallies.is_empty() {
        return Ok(());
    }
    let tables = state_tables(meta, false)?;
    if tables.is_empty() {
        return Ok(());
    }
    for t in usable(def, meta.mode) {
        let groups: Option<Vec<TallyGroup>> = t
            .groups
            .iter()
            .map(|g| {
                let find = |matches: &dyn Fn(&str) -> bool| {
                    tables
                        .iter()
                        .find(|s| s.spec.as_deref().is_some_and(matches))
                        .map(|s| (DEFINITION_SCHEMA.to_string(), s.name.clone()))
                };
                let state = find(&|c| g.matches(c))?;
                // Deferred mode: statements leave their deltas in a pending table.
                let pending = match meta.mode {
                    Mode::Immediate => None,
                    Mode::Deferred => Some(find(&|c| g.matches_pending(c))?),
                };
                Some(TallyGroup {
                    state: Some(state),
                    pending,
                    ..g.clone()
                })
            })
            .collect();
        let Some(groups) = groups else {
            continue;
        };
        if let Some(s) = def
            .summary
            .as_mut()
            .filter(|s| s.group.source.oid == t.source)
        {
            if let [g] = groups.as_slice() {
                s.group = g.clone();
            }
            continue;
        }
        let Some(i) = def.partials.iter().position(|p| p.table.oid == t.source) else {
            continue;
        };
        if let Some(p) = t.apply(&def.partials[i], &groups) {
            def.partials[i] = p;
        }
    }
    Ok(())
}

/// The tallies of `def` that maintenance keeps in `mode`: only for a source whose every
/// statement adds its rows to the state (a partial source joined straight to the key, or
/// the table a summary aggregates: see `tviews_core::action::decide`).
fn usable(def: &Definition, mode: Mode) -> Vec<SourceTally> {
    def.tallies
        .iter()
        .filter(|t| {
            let shape = inputs(def, mode).shape(t.source);
            (shape.traceable && shape.direct && shape.partial)
                || def
                    .summary
                    .as_ref()
                    .is_some_and(|s| s.group.source.oid == t.source)
        })
        .cloned()
        .collect()
}

fn inputs(def: &Definition, mode: Mode) -> Inputs<'_> {
    Inputs {
        model: &def.model,
        plan: &def.plan,
        patches: &def.patches,
        partials: &def.partials,
        summary: def.summary.as_ref(),
        mode,
    }
}

/// Drop the state tables of TVIEW `meta` and, in immediate mode, build them again from the
/// tables as they are now, as the TVIEW's owner. Writers of the tallied tables wait until
/// this transaction ends (their next statement uses the new state). Every backend recompiles
/// the TVIEW.
pub fn rebuild(meta: &TviewMeta) -> Result<(), TviewError> {
    // Rows a replica session collected earlier in this transaction count on the old state,
    // not twice on the new one.
    if !crate::maintain::replica::is_empty() {
        crate::maintain::replica::drain()?;
    }
    rebuild_state(meta, false)
}

/// [`rebuild`], also dropping the copies of state tables a restore brought back without
/// their link to the table (`pg_tviews_refresh`). Other rebuilds leave them: one may run in
/// the middle of that restore (an event trigger on a source's ALTER TABLE), which still
/// has their constraints to add.
pub fn rebuild_and_clean(meta: &TviewMeta) -> Result<(), TviewError> {
    if !crate::maintain::replica::is_empty() {
        crate::maintain::replica::drain()?;
    }
    rebuild_state(meta, true)
}

/// [`rebuild`] without applying what replica sessions collected first: for that
/// application itself (a collection holding a TRUNCATE, or rows of another row type), whose
/// rows the new state counts.
pub fn rebuild_collected(meta: &TviewMeta) -> Result<(), TviewError> {
    rebuild_state(meta, false)
}

fn rebuild_state(meta: &TviewMeta, clean: bool) -> Result<(), TviewError> {
    // One rebuild of a TVIEW's states at a time (a second one would find the tables the
    // first dropped): a lock on its table that conflicts with itself, not with its readers
    // and writers. Taken, it brings the catalog as the first left it.
    // SAFETY: locks an existing relation until the transaction ends.
    unsafe {
        pg_sys::LockRelationOid(
            meta.table,
            pg_sys::ShareUpdateExclusiveLock as pg_sys::LOCKMODE,
        )
    };
    let compiled = crate::maintain::cache::compiled(meta)?;
    let old = state_tables(meta, true)?;
    let tallies = usable(&compiled.def, meta.mode);
    let orphans = if clean { orphans(meta)? } else { Vec::new() };
    if old.is_empty() && orphans.is_empty() && tallies.is_empty() {
        return Ok(());
    }
    // No writer of a tallied table between the fill and this transaction's end: a writer
    // whose statement started before the lock has committed (the fill, reading the latest
    // committed rows, counts them), one that starts after it sees the new state tables.
    let mut sources: Vec<pg_sys::Oid> = tallies
        .iter()
        .map(|t| pg_sys::Oid::from(t.source))
        .collect();
    sources.sort_by_key(|o| o.to_u32());
    sources.dedup();
    for s in &sources {
        // SAFETY: locks an existing relation until the transaction ends.
        unsafe { pg_sys::LockRelationOid(*s, pg_sys::ShareLock as pg_sys::LOCKMODE) };
    }
    for oid in old.iter().map(|t| t.oid).chain(orphans) {
        drop_state_table(oid);
    }
    // SAFETY: a schema-privilege check of the TVIEW's owner.
    let may_create = unsafe {
        let ns = pg_sys::get_namespace_oid(c"tviews_def".as_ptr(), true);
        ns != pg_sys::InvalidOid
            && pg_sys::object_aclcheck(
                pg_sys::NamespaceRelationId,
                ns,
                meta.owner,
                pg_sys::ACL_CREATE as pg_sys::AclMode,
            ) == pg_sys::AclResult::ACLCHECK_OK
    };
    if may_create {
        let base = format!("{}_tally", meta.view_name.1);
        let ext = crate::catalog::extension_schema()?;
        for t in tallies {
            // The definition schema is open to every role: names taken by others leave a
            // source to scan its children rather than fail the command.
            let mut taken = Vec::new();
            let mut take = |suffix: &str| {
                let name = free_name(&base, suffix, &taken)?;
                taken.push(name.clone());
                Some(name)
            };
            let names: Option<Vec<(String, Option<String>)>> = t
                .groups
                .iter()
                .map(|_| {
                    let state = take("")?;
                    let pending = match meta.mode {
                        Mode::Immediate => None,
                        Mode::Deferred => Some(take("_pending")?),
                    };
                    Some((state, pending))
                })
                .collect();
            let Some(names) = names else {
                continue;
            };
            for (g, (name, pending)) in t.groups.into_iter().zip(names) {
                let with_state = TallyGroup {
                    state: Some((DEFINITION_SCHEMA.to_string(), name.clone())),
                    pending: pending.clone().map(|p| (DEFINITION_SCHEMA.to_string(), p)),
                    ..g
                };
                make_state_table(
                    meta,
                    &ext,
                    &name,
                    &with_state.create_statement(DEFINITION_SCHEMA, &name),
                    &with_state.spec(),
                    with_state.fill_statement(),
                )?;
                if let Some(p) = pending {
                    make_state_table(
                        meta,
                        &ext,
                        &p,
                        &with_state.create_pending_statement(DEFINITION_SCHEMA, &p),
                        &with_state.pending_spec(),
                        None,
                    )?;
                }
            }
        }
    }
    // Every backend compiles the TVIEW again, with the new state tables (or none).
    // SAFETY: queues a relcache invalidation of an existing relation, sent at commit.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(meta.table) };
    crate::maintain::cache::invalidate();
    Ok(())
}

/// Make table `name` of TVIEW `meta` in the definition schema, as its owner: `create` it,
/// comment it `spec`, `fill` it (read the latest committed rows), then guard it against
/// direct writes and make it part of the TVIEW's table.
fn make_state_table(
    meta: &TviewMeta,
    ext: &str,
    name: &str,
    create: &str,
    spec: &str,
    fill: Option<String>,
) -> Result<(), TviewError> {
    let owner = crate::pg::context::Role::As {
        user: meta.owner,
        restricted: true,
    };
    crate::pg::context::run(owner, &meta.settings, || {
        Spi::run(create)?;
        // Its key may be NULL (a unique constraint, no primary key), or it has none (a
        // pending table): with a publication FOR ALL TABLES (or for its schema), whose
        // tables need a replica identity to be updated or deleted from, maintenance could
        // not write it. Its rows are small counts.
        Spi::run(&format!(
            "ALTER TABLE {} REPLICA IDENTITY FULL",
            tviews_core::sqlgen::qualified(DEFINITION_SCHEMA, name)
        ))?;
        Spi::run(&format!(
            "COMMENT ON TABLE {} IS {}",
            tviews_core::sqlgen::qualified(DEFINITION_SCHEMA, name),
            // COMMENT takes a bare string constant, not an expression.
            literal(spec).trim_end_matches("::pg_catalog.text")
        ))?;
        if let Some(fill) = &fill {
            // The latest committed rows (and this transaction's), whatever this
            // transaction's snapshot: a REPEATABLE READ snapshot taken before the lock
            // would miss rows committed since.
            let conn = crate::pg::spi::Connection::open()?;
            crate::pg::spi::KeptPlan::prepare(fill, &[], false)?.execute_latest(&[])?;
            drop(conn);
        }
        Ok(())
    })?;
    let oid = crate::pg::names::relation_oid(DEFINITION_SCHEMA, name)
        .ok_or_else(|| TviewError::Internal(format!("state table {name} made here is missing")))?;
    // Filled: from now on only maintenance writes it, as the TVIEW table.
    crate::pg::context::run(owner, &meta.settings, || {
        crate::install::guard_trigger(oid, ext)
    })?;
    // Made while an extension script runs (ALTER EXTENSION UPDATE recomputing TVIEWs),
    // PostgreSQL would make it a member of that extension: it is the TVIEW's, like the
    // table it belongs to.
    // SAFETY: reads a backend global; removes pg_depend rows of a table made here.
    unsafe {
        if pg_sys::creating_extension {
            let row_type = pg_sys::get_rel_type_id(oid);
            for (class, object) in [
                (pg_sys::RelationRelationId, oid),
                (pg_sys::TypeRelationId, row_type),
                (pg_sys::TypeRelationId, pg_sys::get_array_type(row_type)),
            ] {
                pg_sys::deleteDependencyRecordsForClass(
                    class,
                    object,
                    pg_sys::ExtensionRelationId,
                    pg_sys::DependencyType::DEPENDENCY_EXTENSION as std::ffi::c_char,
                );
            }
            pg_sys::CommandCounterIncrement();
        }
    }
    crate::create::record_internal_dependency(pg_sys::RelationRelationId, oid, meta.table);
    Ok(())
}

/// State tables of TVIEW `meta` that a restore brought back without their link to the
/// table (see the module comment): owned by its owner, named and commented as its state
/// tables are, linked to no table.
fn orphans(meta: &TviewMeta) -> Result<Vec<pg_sys::Oid>, TviewError> {
    let found = select_latest(
        "SELECT c.oid FROM pg_catalog.pg_class AS c \
           JOIN pg_catalog.pg_namespace AS s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace \
          WHERE s.nspname OPERATOR(pg_catalog.=) $1 AND c.relkind OPERATOR(pg_catalog.=) 'r' \
            AND c.relowner OPERATOR(pg_catalog.=) $4 \
            AND pg_catalog.left(c.relname::pg_catalog.text, pg_catalog.length($2)) OPERATOR(pg_catalog.=) $2 \
            AND pg_catalog.starts_with(pg_catalog.obj_description(c.oid, 'pg_class'), $3) \
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d \
                             WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass \
                               AND d.objid OPERATOR(pg_catalog.=) c.oid \
                               AND d.deptype OPERATOR(pg_catalog.=) 'i')",
        &[
            text_datum(DEFINITION_SCHEMA),
            text_datum(&state_name_prefix(&meta.view_name.1)),
            text_datum(tviews_core::sqlgen::tally::SPEC_PREFIX),
            (pg_sys::OIDOID, pg_sys::Datum::from(meta.owner)),
        ],
        // SAFETY: an oid column.
        |r| Ok(unsafe { value::<pg_sys::Oid>(r[0]) }),
    )?;
    Ok(found.into_iter().flatten().collect())
}

/// What every name [`free_name`] may give a state or pending table of the definition view
/// `view` begins with: `<view>_tally`, cut to leave room for the longest suffix
/// (`_pending_999`) within an identifier, as the names themselves are cut.
fn state_name_prefix(view: &str) -> String {
    let mut prefix = format!("{view}_tally");
    while prefix.len() > tviews_core::naming::MAX_IDENTIFIER_BYTES - "_pending_999".len() {
        prefix.pop();
    }
    prefix
}

/// [`rebuild`] for the TVIEW whose table is `table`, as the catalog says now (after a change
/// this transaction made to it).
pub fn rebuild_for(table: pg_sys::Oid) -> Result<(), TviewError> {
    crate::maintain::cache::invalidate();
    match crate::maintain::cache::all()?
        .into_iter()
        .find(|m| m.table == table)
    {
        Some(meta) => rebuild(&meta),
        None => Ok(()),
    }
}

/// Drop state table `oid`: its internal dependency first (which would refuse the drop).
fn drop_state_table(oid: pg_sys::Oid) {
    let address = crate::pg::names::object_address(pg_sys::RelationRelationId, oid);
    // SAFETY: the table exists; its dependency rows are removed, then the table.
    unsafe {
        pg_sys::deleteDependencyRecordsForClass(
            pg_sys::RelationRelationId,
            oid,
            pg_sys::RelationRelationId,
            pg_sys::DependencyType::DEPENDENCY_INTERNAL as std::ffi::c_char,
        );
        pg_sys::CommandCounterIncrement();
        pg_sys::performDeletion(&address, pg_sys::DropBehavior::DROP_RESTRICT, 0);
        pg_sys::CommandCounterIncrement();
    }
}

/// A name no relation of the definition schema has, nor `taken`: `base` and `suffix`, then
/// `base` and `suffix_2`, ...; `None` when all are taken.
fn free_name(base: &str, suffix: &str, taken: &[String]) -> Option<String> {
    crate::pg::names::first_free_name(base, suffix, |c| {
        !taken.iter().any(|t| t == c) && crate::pg::names::relation_name_free(DEFINITION_SCHEMA, c)
    })
}
