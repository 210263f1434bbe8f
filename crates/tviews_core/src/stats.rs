//! Maintenance statistics: a fixed table of per-TVIEW counters that the shell lays over a
//! shared memory segment (so every backend adds to, and reads, the same numbers).
//!
//! The table is open addressing over `(database, table)` with linear probing. A slot whose
//! TVIEW was dropped becomes a tombstone that a later insert may reuse. When every slot is
//! taken, new TVIEWs go uncounted (`record` says so) rather than evicting others.
//! All types are `repr(C)` and plain old data: the memory is zeroed, never constructed.

/// Counters of one TVIEW, since the server started or the last reset.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Times maintenance ran for the TVIEW: once per source statement (immediate mode, and
    /// the queueing step of deferred mode), once per commit or flush that applied its queue,
    /// once per `pg_tviews_refresh`.
    pub runs: u64,
    /// Documents recomputed through the definition, by key.
    pub keys_recomputed: u64,
    /// Runs that recomputed every row (TRUNCATE, untraceable sources, big deferred queues).
    pub full_recomputes: u64,
    /// Rows inserted, updated or deleted in the TVIEW table (documents that changed).
    pub rows_written: u64,
    /// Documents patched in place without a recompute (the JSONB fast path), or whose
    /// child-fed keys alone were recomputed (partial recompute).
    pub rows_patched: u64,
    /// Wall-clock time spent in maintenance, lock waits and cascaded TVIEWs included.
    pub time_us: u64,
    /// When maintenance last ran, as a PostgreSQL timestamp (0: never).
    pub last_run: i64,
}

/// What one step of an action (`crate::action`) did, as the counters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// `Query::RefreshKeys` recomputed `keys` documents and wrote `written` rows.
    RecomputedKeys { keys: u64, written: u64 },
    /// `Query::RefreshAll` wrote `written` rows.
    RecomputedAll { written: u64 },
    /// `Query::Patch` patched `written` documents.
    Patched { written: u64 },
}

impl Counters {
    /// Count a step of a maintenance run.
    pub fn count(&mut self, done: Done) {
        match done {
            Done::RecomputedKeys { keys, written } => {
                self.keys_recomputed += keys;
                self.rows_written += written;
            }
            Done::RecomputedAll { written } => {
                self.full_recomputes += 1;
                self.rows_written += written;
            }
            Done::Patched { written } => self.rows_patched += written,
        }
    }

    /// Add `other` to these counters (the later `last_run` wins).
    pub fn add(&mut self, other: &Counters) {
        self.runs += other.runs;
        self.keys_recomputed += other.keys_recomputed;
        self.full_recomputes += other.full_recomputes;
        self.rows_written += other.rows_written;
        self.rows_patched += other.rows_patched;
        self.time_us += other.time_us;
        self.last_run = self.last_run.max(other.last_run);
    }
}

/// One slot of the table.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slot {
    /// Database OID; [`FREE`] for a slot never used, [`TOMBSTONE`] for a forgotten one.
    pub database: u32,
    /// The TVIEW's table OID.
    pub table: u32,
    pub counters: Counters,
}

/// `database` of a slot never used (zeroed memory).
pub const FREE: u32 = 0;
/// `database` of a slot whose TVIEW was forgotten; probing continues past it.
pub const TOMBSTONE: u32 = u32::MAX;

fn start(len: usize, database: u32, table: u32) -> usize {
    // A multiplicative mix of both OIDs; OIDs are dense, so plain modulo would cluster.
    let h = (u64::from(database) << 32 | u64::from(table)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 17) as usize % len
}

/// The slot of `(database, table)`, claimed if absent; None when the table is full.
pub fn slot_mut(slots: &mut [Slot], database: u32, table: u32) -> Option<&mut Slot> {
    assert!(
        database != FREE && database != TOMBSTONE,
        "invalid database OID"
    );
    let len = slots.len();
    if len == 0 {
        return None;
    }
    let first = start(len, database, table);
    let mut reusable = None;
    for i in 0..len {
        let at = (first + i) % len;
        let s = &slots[at];
        if s.database == database && s.table == table {
            return Some(&mut slots[at]);
        }
        if s.database == TOMBSTONE && reusable.is_none() {
            reusable = Some(at);
        }
        if s.database == FREE {
            let at = reusable.unwrap_or(at);
            slots[at] = Slot {
                database,
                table,
                counters: Counters::default(),
            };
            return Some(&mut slots[at]);
        }
    }
    let at = reusable?;
    slots[at] = Slot {
        database,
        table,
        counters: Counters::default(),
    };
    Some(&mut slots[at])
}

/// Add to the counters of `(database, table)`; false when the table is full.
pub fn record(
    slots: &mut [Slot],
    database: u32,
    table: u32,
    f: impl FnOnce(&mut Counters),
) -> bool {
    match slot_mut(slots, database, table) {
        Some(s) => {
            f(&mut s.counters);
            true
        }
        None => false,
    }
}

/// Forget one TVIEW (dropped).
pub fn forget(slots: &mut [Slot], database: u32, table: u32) {
    for s in slots.iter_mut() {
        if s.database == database && s.table == table {
            s.database = TOMBSTONE;
            s.table = 0;
            s.counters = Counters::default();
        }
    }
}

/// Forget every TVIEW of a database (`pg_tviews_stats_reset()`).
pub fn reset(slots: &mut [Slot], database: u32) {
    for s in slots.iter_mut() {
        if s.database == database {
            s.database = TOMBSTONE;
            s.table = 0;
            s.counters = Counters::default();
        }
    }
}

/// The counters of every TVIEW of a database.
pub fn of_database(slots: &[Slot], database: u32) -> Vec<(u32, Counters)> {
    slots
        .iter()
        .filter(|s| s.database == database)
        .map(|s| (s.table, s.counters))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn each_step_lands_in_its_counters() {
        let mut c = Counters::default();
        c.count(Done::RecomputedKeys {
            keys: 3,
            written: 2,
        });
        c.count(Done::RecomputedAll { written: 10 });
        c.count(Done::Patched { written: 4 });
        assert_eq!(
            (
                c.keys_recomputed,
                c.rows_written,
                c.full_recomputes,
                c.rows_patched
            ),
            (3, 12, 1, 4)
        );
        assert_eq!(c.runs, 0, "runs are counted by the run, not its steps");
    }

    #[test]
    fn counters_add_up_per_tview() {
        let mut t = vec![Slot::default(); 8];
        assert!(record(&mut t, 5, 100, |c| c.runs += 1));
        assert!(record(&mut t, 5, 100, |c| c.runs += 2));
        assert!(record(&mut t, 6, 100, |c| c.rows_written += 7));
        let mut five = of_database(&t, 5);
        five.sort_by_key(|(table, _)| *table);
        assert_eq!(five.len(), 1);
        assert_eq!(five[0].1.runs, 3);
        assert_eq!(of_database(&t, 6)[0].1.rows_written, 7);
    }

    #[test]
    fn adding_counters_sums_them_and_keeps_the_latest_run() {
        let mut a = Counters {
            runs: 1,
            rows_written: 2,
            last_run: 50,
            ..Default::default()
        };
        a.add(&Counters {
            runs: 1,
            keys_recomputed: 3,
            last_run: 40,
            ..Default::default()
        });
        assert_eq!(
            (a.runs, a.keys_recomputed, a.rows_written, a.last_run),
            (2, 3, 2, 50)
        );
    }

    #[test]
    fn a_full_table_refuses_new_tviews_but_keeps_counting_known_ones() {
        let mut t = vec![Slot::default(); 3];
        for table in 1..=3 {
            assert!(record(&mut t, 1, table, |c| c.runs += 1));
        }
        assert!(!record(&mut t, 1, 4, |c| c.runs += 1));
        assert!(record(&mut t, 1, 2, |c| c.runs += 1));
        forget(&mut t, 1, 2);
        assert!(record(&mut t, 1, 4, |c| c.runs += 1));
        assert_eq!(of_database(&t, 1).len(), 3);
    }

    #[test]
    fn reset_forgets_one_database_only() {
        let mut t = vec![Slot::default(); 8];
        record(&mut t, 1, 10, |c| c.runs += 1);
        record(&mut t, 2, 10, |c| c.runs += 1);
        reset(&mut t, 1);
        assert!(of_database(&t, 1).is_empty());
        assert_eq!(of_database(&t, 2).len(), 1);
        // A slot found again after a tombstone in its probe chain is the same slot.
        record(&mut t, 2, 10, |c| c.runs += 1);
        assert_eq!(
            of_database(&t, 2),
            vec![(
                10,
                Counters {
                    runs: 2,
                    ..Default::default()
                }
            )]
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u32, u32, u64),
        Forget(u32, u32),
        Reset(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (1u32..3, 1u32..12, 1u64..5).prop_map(|(d, t, n)| Op::Add(d, t, n)),
            2 => (1u32..3, 1u32..12).prop_map(|(d, t)| Op::Forget(d, t)),
            1 => (1u32..3).prop_map(Op::Reset),
        ]
    }

    proptest! {
        /// Against a map: with room for every key, the table holds exactly the map's content;
        /// a key is never counted twice in two slots.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec(op(), 1..200), size in 22usize..40) {
            let mut t = vec![Slot::default(); size];
            let mut model: HashMap<(u32, u32), u64> = HashMap::new();
            for o in ops {
                match o {
                    Op::Add(d, tb, n) => {
                        prop_assert!(record(&mut t, d, tb, |c| c.runs += n));
                        *model.entry((d, tb)).or_default() += n;
                    }
                    Op::Forget(d, tb) => { forget(&mut t, d, tb); model.remove(&(d, tb)); }
                    Op::Reset(d) => { reset(&mut t, d); model.retain(|k, _| k.0 != d); }
                }
            }
            for d in 1..3 {
                let mut got: Vec<(u32, u64)> = of_database(&t, d).into_iter().map(|(tb, c)| (tb, c.runs)).collect();
                got.sort_unstable();
                let mut want: Vec<(u32, u64)> = model.iter().filter(|(k, _)| k.0 == d).map(|(k, v)| (k.1, *v)).collect();
                want.sort_unstable();
                prop_assert_eq!(got, want);
            }
        }
    }
}
