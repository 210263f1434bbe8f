//! Installing and removing the triggers maintenance needs.
//!
//! Every source table gets one set of statement triggers (named `pgtv_*`), shared by all
//! TVIEWs that read it; every TVIEW table gets a guard. Triggers are created as the user
//! creating the TVIEW, so PostgreSQL checks their TRIGGER privilege on each source; they are
//! removed as the extension owner when the last TVIEW reading a table goes.

use pgrx::prelude::*;
use tviews_core::sqlgen::{quote_ident, TRANSITION_NEW, TRANSITION_OLD};

use crate::errors::TviewError;
use crate::pg::names::describe;
use crate::pg::names::relation_name;

/// When a trigger fires (`pg_trigger.tgenabled`): in ordinary sessions, or only where
/// `session_replication_role` is `replica` (a logical replication apply worker).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fires {
    Origin,
    Replica,
    /// In every session (the guard: a replica session, the apply worker included, must not
    /// write a TVIEW table either).
    Always,
}

impl Fires {
    /// The `tgenabled` letters under which the trigger does its job.
    fn enabled(self) -> &'static str {
        match self {
            // ALWAYS would fire in replica sessions too, where the replica triggers already
            // collect every change: each would be maintained twice (tallies counted twice).
            Fires::Origin => "O",
            // ALWAYS would fire in ordinary sessions too, maintaining every change twice.
            Fires::Replica => "R",
            Fires::Always => "A",
        }
    }

    fn code(self) -> std::ffi::c_char {
        (match self {
            Fires::Origin => b'O',
            Fires::Replica => b'R',
            Fires::Always => b'A',
        }) as std::ffi::c_char
    }
}

/// One trigger pg_tviews installs: its name, the SQL of its timing and event, and what
/// `pg_trigger` then holds (`tgtype`, transition table names, `tgenabled`), so that a trigger
/// of that name made by someone else can be told apart from it. Creation, the health check
/// and the refusal of a foreign trigger all read this list.
pub struct TriggerSpec {
    pub name: &'static str,
    event: &'static str,
    referencing: String,
    per_row: bool,
    tgtype: i16,
    old_table: Option<&'static str>,
    new_table: Option<&'static str>,
    pub function: &'static str,
    fires: Fires,
}

impl TriggerSpec {
    /// The `pg_trigger.tgenabled` letters under which this trigger does its job.
    pub fn works_when(&self) -> &'static str {
        self.fires.enabled()
    }
}

// pg_trigger.tgtype bits (trigger.h): ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16,
// TRUNCATE 32; no INSTEAD.
const TYPE_ROW: i16 = 1;
const TYPE_BEFORE: i16 = 2;
const TYPE_INSERT: i16 = 4;
const TYPE_DELETE: i16 = 8;
const TYPE_UPDATE: i16 = 16;
const TYPE_TRUNCATE: i16 = 32;

const SOURCE_FUNCTION: &str = "pg_tviews_source_trigger";
const REPLICA_FUNCTION: &str = "pg_tviews_replica_trigger";
const GUARD_FUNCTION: &str = "pg_tviews_guard_trigger";

/// The source triggers: four statement triggers with transition tables for ordinary
/// sessions, and for a logical replication apply worker (which fires row triggers only, and
/// only those enabled for replica) a row trigger and a TRUNCATE trigger that collect the
/// changes for commit (see `maintain::replica`).
pub fn source_trigger_specs() -> [TriggerSpec; 6] {
    let (old, new) = (quote_ident(TRANSITION_OLD), quote_ident(TRANSITION_NEW));
    let statement = |name, event, referencing: String, tgtype, old_table, new_table| TriggerSpec {
        name,
        event,
        referencing,
        per_row: false,
        tgtype,
        old_table,
        new_table,
        function: SOURCE_FUNCTION,
        fires: Fires::Origin,
    };
    [
        statement(
            "pgtv_insert",
            "AFTER INSERT",
            format!("REFERENCING NEW TABLE AS {new}"),
            TYPE_INSERT,
            None,
            Some(TRANSITION_NEW),
        ),
        statement(
            "pgtv_update",
            "AFTER UPDATE",
            format!("REFERENCING OLD TABLE AS {old} NEW TABLE AS {new}"),
            TYPE_UPDATE,
            Some(TRANSITION_OLD),
            Some(TRANSITION_NEW),
        ),
        statement(
            "pgtv_delete",
            "AFTER DELETE",
            format!("REFERENCING OLD TABLE AS {old}"),
            TYPE_DELETE,
            Some(TRANSITION_OLD),
            None,
        ),
        statement(
            "pgtv_truncate",
            "AFTER TRUNCATE",
            String::new(),
            TYPE_TRUNCATE,
            None,
            None,
        ),
        TriggerSpec {
            name: "pgtv_replica_row",
            event: "AFTER INSERT OR UPDATE OR DELETE",
            referencing: String::new(),
            per_row: true,
            tgtype: TYPE_ROW | TYPE_INSERT | TYPE_UPDATE | TYPE_DELETE,
            old_table: None,
            new_table: None,
            function: REPLICA_FUNCTION,
            fires: Fires::Replica,
        },
        TriggerSpec {
            name: "pgtv_replica_truncate",
            event: "AFTER TRUNCATE",
            referencing: String::new(),
            per_row: false,
            tgtype: TYPE_TRUNCATE,
            old_table: None,
            new_table: None,
            function: REPLICA_FUNCTION,
            fires: Fires::Replica,
        },
    ]
}

/// The guard on TVIEW tables.
pub fn guard_spec() -> TriggerSpec {
    TriggerSpec {
        name: GUARD_TRIGGER,
        event: "BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE",
        referencing: String::new(),
        per_row: false,
        tgtype: TYPE_BEFORE | TYPE_INSERT | TYPE_UPDATE | TYPE_DELETE | TYPE_TRUNCATE,
        old_table: None,
        new_table: None,
        function: GUARD_FUNCTION,
        fires: Fires::Always,
    }
}

/// Every trigger name pg_tviews reserves, source triggers first.
pub fn reserved_names() -> Vec<&'static str> {
    source_trigger_specs()
        .iter()
        .map(|s| s.name)
        .chain(std::iter::once(GUARD_TRIGGER))
        .collect()
}

/// Is the trigger named `name` on `table`, if it bears the name of one of pg_tviews'
/// triggers, something else (another function, events or timing: `CREATE OR REPLACE
/// TRIGGER` of one of them)? Whether it is enabled is not asked (a restore enables it after
/// creating it).
pub fn is_impostor(table: pg_sys::Oid, name: &str) -> Result<bool, TviewError> {
    let Some(spec) = source_trigger_specs()
        .into_iter()
        .chain(std::iter::once(guard_spec()))
        .find(|s| s.name == name)
    else {
        return Ok(false);
    };
    let ext = crate::catalog::extension_schema_quoted()?;
    match has_trigger(table, &spec, &ext) {
        Ok(_) => Ok(false),
        Err(TviewError::ForeignTrigger { .. }) => Ok(true),
        Err(e) => Err(e),
    }
}

/// The source triggers as SQL rows `(tgname, function, tgtype, oldtable, newtable, enabled)`
/// for the health check: `enabled` holds the `tgenabled` letters that count as working.
pub fn source_triggers_values() -> String {
    let lit = |v: Option<&str>| v.map_or("NULL".to_string(), tviews_core::sqlgen::quote::literal);
    let rows: Vec<String> = source_trigger_specs()
        .iter()
        .map(|s| {
            format!(
                "({}, {}, {}, {}, {}, {})",
                lit(Some(s.name)),
                lit(Some(s.function)),
                s.tgtype,
                lit(s.old_table),
                lit(s.new_table),
                lit(Some(s.fires.enabled()))
            )
        })
        .collect();
    format!("VALUES {}", rows.join(", "))
}

/// The names of pg_tviews' triggers on `table` that exist but are not enabled where they
/// work (disabled, or switched to fire in the wrong sessions). Missing triggers are not
/// among them: a restore creates them one at a time.
pub fn enabled_out_of_place(table: pg_sys::Oid) -> Result<Vec<String>, TviewError> {
    let specs: Vec<TriggerSpec> = source_trigger_specs()
        .into_iter()
        .chain(std::iter::once(guard_spec()))
        .collect();
    let names: Vec<String> = specs.iter().map(|s| s.name.to_string()).collect();
    let enabled: Vec<String> = specs
        .iter()
        .map(|s| s.fires.enabled().to_string())
        .collect();
    let found = crate::pg::spi::select_latest(
        "SELECT t.tgname::pg_catalog.text FROM pg_catalog.pg_trigger t \
           JOIN ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[])) AS e(name, enabled) \
             ON e.name OPERATOR(pg_catalog.=) t.tgname::pg_catalog.text \
          WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
            AND pg_catalog.strpos(e.enabled, t.tgenabled::pg_catalog.text) OPERATOR(pg_catalog.=) 0 \
          ORDER BY 1",
        &[
            (pg_sys::OIDOID, pg_sys::Datum::from(table)),
            (
                pg_sys::TEXTARRAYOID,
                pgrx::IntoDatum::into_datum(names).expect("an array is never NULL"),
            ),
            (
                pg_sys::TEXTARRAYOID,
                pgrx::IntoDatum::into_datum(enabled).expect("an array is never NULL"),
            ),
        ],
        // SAFETY: a text column.
        |r| Ok(unsafe { crate::pg::spi::value::<String>(r[0]) }),
    )?;
    Ok(found.into_iter().flatten().collect())
}

const GUARD_TRIGGER: &str = "pgtv_guard";

fn qualified_table(oid: pg_sys::Oid) -> Result<String, TviewError> {
    let (s, n) = relation_name(oid).ok_or(TviewError::Internal(format!(
        "table {} vanished",
        describe(oid)
    )))?;
    Ok(tviews_core::sqlgen::qualified(&s, &n))
}

/// Does `table` have pg_tviews' trigger `spec`, as the latest committed catalog has it? (A
/// TVIEW created concurrently on the same source may have just added it.) A trigger of that
/// name that differs in anything (its function, events, timing, columns, WHEN condition or
/// transition tables) is refused: it would pass for ours and maintain nothing. Whether it is
/// enabled is the health check's business (a user may have disabled it on purpose).
fn has_trigger(
    table: pg_sys::Oid,
    spec: &TriggerSpec,
    ext_schema: &str,
) -> Result<bool, TviewError> {
    use pgrx::IntoDatum;
    let text = |v: &str| v.into_datum().expect("a text is never NULL");
    let optional = |v: Option<&str>| v.map(text);
    let function = format!("{ext_schema}.{}()", spec.function);
    let args = [
        (pg_sys::OIDOID, Some(pg_sys::Datum::from(table))),
        (pg_sys::TEXTOID, Some(text(spec.name))),
        (pg_sys::TEXTOID, Some(text(&function))),
        (pg_sys::INT2OID, spec.tgtype.into_datum()),
        (pg_sys::TEXTOID, optional(spec.old_table)),
        (pg_sys::TEXTOID, optional(spec.new_table)),
    ];
    let found = crate::pg::spi::select_latest_nullable(
        "SELECT t.tgfoid OPERATOR(pg_catalog.=) $3::pg_catalog.regprocedure \
            AND t.tgtype OPERATOR(pg_catalog.=) $4 \
            AND pg_catalog.cardinality(t.tgattr::pg_catalog.int2[]) OPERATOR(pg_catalog.=) 0 \
            AND t.tgqual IS NULL \
            AND t.tgoldtable::pg_catalog.text IS NOT DISTINCT FROM $5 \
            AND t.tgnewtable::pg_catalog.text IS NOT DISTINCT FROM $6 \
           FROM pg_catalog.pg_trigger t \
          WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
            AND t.tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
        &args,
        // SAFETY: a boolean column.
        |r| Ok(unsafe { crate::pg::spi::value::<bool>(r[0]) }.unwrap_or(false)),
    )?;
    match found.first() {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(TviewError::ForeignTrigger {
            table: describe(table),
            trigger: spec.name.to_string(),
        }),
    }
}

/// Create trigger `spec` on `table`, as the current user (CREATE TRIGGER checks the TRIGGER
/// privilege). A trigger for replica sessions is created enabled for replica the way
/// partitions' clones are created (CreateTriggerFiringOn), in one step, when the current user
/// has the table owner's privileges (what `ALTER TABLE ... ENABLE REPLICA TRIGGER` needs);
/// otherwise it is created disabled, for the owner to enable.
fn create_trigger(
    table: pg_sys::Oid,
    spec: &TriggerSpec,
    ext_schema: &str,
) -> Result<(), TviewError> {
    let sql = format!(
        "CREATE TRIGGER {} {} ON {} {} FOR EACH {} EXECUTE FUNCTION {ext_schema}.{}()",
        quote_ident(spec.name),
        spec.event,
        qualified_table(table)?,
        spec.referencing,
        if spec.per_row { "ROW" } else { "STATEMENT" },
        spec.function,
    );
    if spec.fires == Fires::Origin {
        Spi::run(&sql)?;
        return Ok(());
    }
    // Making a trigger fire in replica sessions is the table owner's decision (ALTER TABLE
    // ... ENABLE REPLICA TRIGGER needs ownership): someone with the TRIGGER privilege only
    // gets the triggers disabled, and a notice saying who enables them.
    // SAFETY: a catalog lookup of an existing relation.
    let owner = unsafe {
        pg_sys::object_ownercheck(pg_sys::RelationRelationId, table, pg_sys::GetUserId())
    };
    let fires = if owner {
        spec.fires.code()
    } else {
        b'D' as std::ffi::c_char
    };
    let c_sql = std::ffi::CString::new(sql)
        .map_err(|_| TviewError::Internal("a NUL in trigger SQL".into()))?;
    // SAFETY: the statement is pg_tviews' own CREATE TRIGGER, parsed by PostgreSQL's parser
    // into one CreateTrigStmt and handed to the function CREATE TRIGGER itself calls (which
    // locks the table and checks privileges); the command counter makes it visible next.
    unsafe {
        let parsed = pg_sys::raw_parser(c_sql.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let raw: *mut pg_sys::RawStmt = crate::pg::nodes::list_nth(parsed, 0)
            .ok_or_else(|| TviewError::Internal("trigger SQL is empty".into()))?;
        let stmt = (*raw).stmt;
        if !crate::pg::nodes::is_a(stmt, pg_sys::NodeTag::T_CreateTrigStmt) {
            return Err(TviewError::Internal(
                "trigger SQL is not CREATE TRIGGER".into(),
            ));
        }
        pg_sys::CreateTriggerFiringOn(
            stmt as *mut pg_sys::CreateTrigStmt,
            c_sql.as_ptr(),
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            std::ptr::null_mut(),
            false,
            false,
            fires,
        );
        pg_sys::CommandCounterIncrement();
    }
    Ok(())
}

/// Does the installed version of the extension have trigger function `function`? (The
/// library can be newer than the extension's SQL objects until ALTER EXTENSION ... UPDATE,
/// whose script then adds what older versions lacked.)
fn function_installed(function: &str, ext_schema: &str) -> Result<bool, TviewError> {
    Ok(crate::pg::spi::read_one::<bool>(
        "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL",
        &[format!("{ext_schema}.{function}()").into()],
    )?
    .unwrap_or(false))
}

/// Create whichever source triggers `table` lacks.
fn missing_source_triggers(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    for spec in source_trigger_specs() {
        if !function_installed(spec.function, ext_schema)? {
            continue;
        }
        if !has_trigger(table, &spec, ext_schema)? {
            create_trigger(table, &spec, ext_schema)?;
        }
    }
    Ok(())
}

/// Make sure `table` has the source triggers. When its replica triggers are not enabled for
/// replica (made by someone without the owner's privileges, now or before, or disabled by
/// hand), a notice says that replicated changes do not maintain the TVIEW and who can fix it.
pub fn source_triggers(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    missing_source_triggers(table, ext_schema)?;
    let replica: Vec<&str> = source_trigger_specs()
        .iter()
        .filter(|s| s.fires == Fires::Replica)
        .map(|s| s.name)
        .collect();
    let off: Vec<String> = crate::pg::spi::read_one::<Vec<String>>(
        "SELECT pg_catalog.array_agg(t.tgname::pg_catalog.text ORDER BY t.tgname) \
           FROM pg_catalog.pg_trigger t \
          WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
            AND t.tgname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($2) \
            AND t.tgenabled OPERATOR(pg_catalog.<>) 'R'",
        &[table.into(), replica.into()],
    )?
    .unwrap_or_default();
    if !off.is_empty() {
        let enable: Vec<String> = off
            .iter()
            .map(|n| format!("ENABLE REPLICA TRIGGER {n}"))
            .collect();
        pgrx::notice!(
            "changes of {} applied by logical replication (or in a session with \
             session_replication_role = replica) do not maintain TVIEWs until the table's owner \
             runs: ALTER TABLE {} {}",
            describe(table),
            qualified_table(table)?,
            enable.join(", ")
        );
    }
    Ok(())
}

/// Make sure the TVIEW table `table` refuses direct writes.
pub fn guard_trigger(table: pg_sys::Oid, ext_schema: &str) -> Result<(), TviewError> {
    let spec = guard_spec();
    if !has_trigger(table, &spec, ext_schema)? {
        create_trigger(table, &spec, ext_schema)?;
    }
    Ok(())
}

/// Create again whichever of a TVIEW's triggers are missing (dropped by hand), as the
/// current user, as creation made them; triggers that exist stay as they are (enabling a
/// disabled one is its table owner's decision).
pub fn restore_missing(meta: &crate::catalog::TviewMeta) -> Result<(), TviewError> {
    let ext = crate::catalog::extension_schema_quoted()?;
    // In the order maintenance and DROP take them.
    crate::create::lock_in_order(&meta.sources, pg_sys::ShareRowExclusiveLock);
    for s in &meta.sources {
        missing_source_triggers(*s, &ext)?;
    }
    guard_trigger(meta.table, &ext)?;
    invalidate(&meta.sources, meta.table)
}

/// Does `table` carry pg_tviews' replica row trigger (in whatever state)?
pub fn has_replica_trigger(table: pg_sys::Oid) -> Result<bool, TviewError> {
    let name = source_trigger_specs()
        .iter()
        .find(|s| s.fires == Fires::Replica && s.per_row)
        .map(|s| s.name)
        .expect("a replica row trigger is specified");
    Ok(crate::pg::spi::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t \
                         WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
                           AND t.tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name)",
        &[table.into(), name.into()],
    )?
    .unwrap_or(false))
}

/// Put pg_tviews' triggers on `table` back to firing where they work when an ALTER TABLE made
/// them fire for ordinary sessions only (`ENABLE TRIGGER ALL`, which a data-only restore with
/// --disable-triggers runs; `ENABLE TRIGGER` by name): replica triggers would miss every
/// replicated change, the guard would let replica sessions write. One disabled stays
/// disabled (the health check reports it). Runs as the current user, who has just altered
/// the table.
pub fn keep_trigger_states(table: pg_sys::Oid) -> Result<(), TviewError> {
    let ext = crate::catalog::extension_schema_quoted()?;
    let mut actions = Vec::new();
    for spec in source_trigger_specs()
        .into_iter()
        .chain(std::iter::once(guard_spec()))
    {
        let (wrong, fix) = match spec.fires {
            Fires::Origin => continue,
            Fires::Replica => ("OA", "REPLICA"),
            Fires::Always => ("O", "ALWAYS"),
        };
        let state: Option<String> = crate::pg::spi::read_one::<String>(
            "SELECT t.tgenabled::pg_catalog.text FROM pg_catalog.pg_trigger t \
              WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 \
                AND t.tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name \
                AND t.tgfoid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure($3)",
            &[
                table.into(),
                spec.name.into(),
                format!("{ext}.{}()", spec.function).into(),
            ],
        )?;
        if state.is_some_and(|st| wrong.contains(st.as_str())) {
            actions.push(format!("ENABLE {fix} TRIGGER {}", quote_ident(spec.name)));
        }
    }
    if actions.is_empty() {
        return Ok(());
    }
    Spi::run(&format!(
        "ALTER TABLE {} {}",
        qualified_table(table)?,
        actions.join(", ")
    ))?;
    Ok(())
}

/// Remove the source triggers from `table` (it is no longer read by any TVIEW).
pub fn remove_source_triggers(table: pg_sys::Oid) -> Result<(), TviewError> {
    let Ok(t) = qualified_table(table) else {
        return Ok(()); // dropped along
    };
    for spec in source_trigger_specs() {
        Spi::run(&format!(
            "DROP TRIGGER IF EXISTS {} ON {t}",
            quote_ident(spec.name)
        ))?;
    }
    Ok(())
}

/// Remove the guard from `table` (a TVIEW table or state table that is one no more), if it
/// has one.
pub fn remove_guard_trigger(table: pg_sys::Oid) -> Result<(), TviewError> {
    let Ok(t) = qualified_table(table) else {
        return Ok(()); // dropped along
    };
    let present: Option<bool> = crate::pg::spi::read_one(
        "SELECT true FROM pg_catalog.pg_trigger \
          WHERE tgrelid OPERATOR(pg_catalog.=) $1 AND tgname OPERATOR(pg_catalog.=) $2",
        &[table.into(), GUARD_TRIGGER.into()],
    )?;
    if present == Some(true) {
        Spi::run(&format!(
            "DROP TRIGGER {} ON {t}",
            quote_ident(GUARD_TRIGGER)
        ))?;
    }
    Ok(())
}

/// Make every backend rebuild its compiled TVIEWs that involve these relations. The
/// catalog's own entry is always invalidated: every backend watches it, including those that
/// knew no TVIEW reading these sources yet.
pub fn invalidate(sources: &[pg_sys::Oid], table: pg_sys::Oid) -> Result<(), TviewError> {
    let catalog = crate::catalog::catalog_oid()?;
    // SAFETY: queues relcache invalidations, delivered to other backends at commit and to
    // this one at the next command boundary.
    unsafe {
        if catalog != pg_sys::InvalidOid {
            pg_sys::CacheInvalidateRelcacheByRelid(catalog);
        }
        // Relations dropped in this transaction have no relcache entry left to invalidate.
        for rel in sources.iter().chain(std::iter::once(&table)) {
            if *rel != pg_sys::InvalidOid && relation_name(*rel).is_some() {
                pg_sys::CacheInvalidateRelcacheByRelid(*rel);
            }
        }
    }
    Ok(())
}
