//! The deferred-mode queue: which rows of which TVIEWs a transaction still has to refresh.
//!
//! A TVIEW in deferred mode is not maintained when its sources change; the keys each
//! statement affects are collected here instead and applied once, at commit (or earlier, at
//! `pg_tviews_flush()`). A key changed by 100 statements is one entry. The queue follows the
//! transaction's subtransactions, so that `ROLLBACK TO SAVEPOINT` takes back exactly what the
//! rolled-back work queued:
//!
//! * every entry is tagged with the subtransaction that queued it; when a subtransaction
//!   commits, its entries pass to its parent; when it aborts, they are dropped (the source
//!   changes they stood for are gone);
//! * work taken out to be applied ([`DeferredQueue::next_batch`]) is remembered as *done in*
//!   the subtransaction that applied it. If that subtransaction aborts, the refresh it wrote
//!   is rolled back with it, so the work returns to the queue (under the parent). This may
//!   refresh a few keys that no longer need it, which is harmless: a refresh is always exact.
//!
//! Batches come out in dependency order (level, then TVIEW), so TVIEWs read by others are
//! refreshed before them, and every transaction takes its commit-time locks in the same
//! global order.
//!
//! The queue is generic over the key representation `K`; the shell stores keys in a form it
//! can turn back into a key array.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::Hash;

/// A subtransaction, as PostgreSQL numbers them (the top level is 1).
pub type SubXact = u32;

/// Where a TVIEW sits in the one order every lock of pg_tviews is taken in: the order a
/// commit applies queued work in and the order a statement maintains the TVIEWs reading a
/// table it changed. Compared field by field: `(level, read, table OID)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    /// Dependency level: 0 for a TVIEW that reads no other TVIEW, else one more than the
    /// deepest TVIEW it reads.
    pub level: usize,
    /// Other TVIEWs read this one. Within a level these come last: their maintenance
    /// cascades into the TVIEWs reading them (higher levels) in the middle of their turn,
    /// so the level's other TVIEWs must have taken their locks by then, or a statement
    /// reaching a level-0 TVIEW and, through a cascade, a level-1 one would lock the two in
    /// the opposite order of a statement reaching the level-1 TVIEW's own table.
    pub read: bool,
    /// The TVIEW's table.
    pub tview: u32,
}

/// The slot of every TVIEW, given each TVIEW's table and the tables it reads (other
/// tables than TVIEWs' are ignored). Dependencies are acyclic (a definition cannot read a
/// table created after it); should a corrupted catalog make a cycle, the levels stop
/// growing after as many rounds as there are TVIEWs.
pub fn slots<'a>(tviews: impl IntoIterator<Item = (u32, &'a [u32])> + Clone) -> HashMap<u32, Slot> {
    let tables: HashSet<u32> = tviews.clone().into_iter().map(|(t, _)| t).collect();
    let read: HashSet<u32> = tviews
        .clone()
        .into_iter()
        .flat_map(|(_, sources)| sources.iter().copied())
        .filter(|s| tables.contains(s))
        .collect();
    let mut level: HashMap<u32, usize> = HashMap::new();
    for _ in 0..=tables.len() {
        let mut changed = false;
        for (t, sources) in tviews.clone() {
            let l = sources
                .iter()
                .filter(|s| tables.contains(s))
                .map(|s| level.get(s).copied().unwrap_or(0) + 1)
                .max()
                .unwrap_or(0);
            if level.get(&t) != Some(&l) {
                level.insert(t, l);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    tables
        .into_iter()
        .map(|t| {
            let slot = Slot {
                level: level.get(&t).copied().unwrap_or(0),
                read: read.contains(&t),
                tview: t,
            };
            (t, slot)
        })
        .collect()
}

/// Changed rows of a source whose keys are found through other rows (a renamed category
/// finds its products through their foreign keys): the values, as text, of each column the
/// key query joins on (see `sqlgen::keys::capture_query`). The keys themselves are found at
/// commit, under the TVIEW lock, so that rows other transactions moved meanwhile count.
pub type Captured = Vec<HashSet<Option<String>>>;

/// Whose captured changes: a source, and whether they changed only what the fast path
/// patches (their documents then have only those keys set at commit, see
/// `action::CapturedPatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LookupOf {
    pub source: u32,
    pub patch: bool,
}

/// What one TVIEW needs.
#[derive(Debug, Clone)]
pub struct Work<K> {
    /// Recompute every row (a TRUNCATE, an untraceable change); the rest is then irrelevant.
    pub all: bool,
    /// Keys to refresh.
    pub keys: HashSet<K>,
    /// Captured changes by source table OID (and whether they are patched), whose keys are
    /// to be found at commit.
    pub lookups: BTreeMap<LookupOf, Captured>,
    /// Keys whose documents need only the keys a source feeds recomputed (a partial
    /// recompute), by source table OID; a key also in `keys` is recomputed whole instead.
    pub partial: BTreeMap<u32, HashSet<K>>,
    /// Sources whose statements left deltas of their tallies in pending tables, with the
    /// ids of those rows, to be added to the states before anything is recomputed (see
    /// `sqlgen::tally::fold_statement`); kept whatever else the work turns into.
    pub tallies: BTreeMap<u32, PendingRows>,
}

/// The ids of the rows statements left in the pending tables of one source's tally groups:
/// one list per group, in the groups' order (see [`row_id`]).
pub type PendingRows = Vec<Vec<u64>>;

/// A row id (`tid`: block number and line) as one number, the block in the high bits.
pub fn row_id(block: u32, line: u16) -> u64 {
    (u64::from(block) << 16) | u64::from(line)
}

/// The block number and line of a [`row_id`].
pub fn row_id_parts(id: u64) -> (u32, u16) {
    ((id >> 16) as u32, (id & 0xffff) as u16)
}

fn merge_rows(into: &mut PendingRows, from: PendingRows) {
    if into.len() < from.len() {
        into.resize_with(from.len(), Vec::new);
    }
    for (ids, more) in into.iter_mut().zip(from) {
        ids.extend(more);
    }
}

impl<K> Default for Work<K> {
    fn default() -> Self {
        Work {
            all: false,
            keys: HashSet::new(),
            lookups: BTreeMap::new(),
            partial: BTreeMap::new(),
            tallies: BTreeMap::new(),
        }
    }
}

impl<K: Hash + Eq> Work<K> {
    fn absorb(&mut self, other: Work<K>) {
        for (source, rows) in other.tallies {
            merge_rows(self.tallies.entry(source).or_default(), rows);
        }
        self.all |= other.all;
        if self.all {
            self.keys.clear();
            self.lookups.clear();
            self.partial.clear();
            return;
        }
        self.keys.extend(other.keys);
        for (source, keys) in other.partial {
            self.partial.entry(source).or_default().extend(keys);
        }
        for (source, captured) in other.lookups {
            merge_captured(self.lookups.entry(source).or_default(), captured);
        }
    }

    fn size(&self) -> usize {
        self.keys.len()
            + self
                .lookups
                .values()
                .flat_map(|c| c.iter().map(HashSet::len))
                .sum::<usize>()
            + self.partial.values().map(HashSet::len).sum::<usize>()
    }

    /// Beyond `max` keys and values a full recompute is cheaper than tracking and locking
    /// every key.
    fn cap(&mut self, max: usize) {
        if !self.all && self.size() > max {
            self.all = true;
            self.keys.clear();
            self.lookups.clear();
            self.partial.clear();
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all
            && self.keys.is_empty()
            && self.lookups.is_empty()
            && self.partial.is_empty()
            && self.tallies.is_empty()
    }
}

fn merge_captured(into: &mut Captured, from: Captured) {
    if into.len() < from.len() {
        into.resize_with(from.len(), HashSet::new);
    }
    for (set, values) in into.iter_mut().zip(from) {
        set.extend(values);
    }
}

/// One TVIEW's work taken out of the queue to be applied now.
#[derive(Debug, Clone)]
pub struct Batch<K> {
    pub slot: Slot,
    pub work: Work<K>,
}

/// The queue of one transaction.
#[derive(Debug)]
pub struct DeferredQueue<K> {
    /// Waiting work by (slot, subtransaction that queued it).
    pending: BTreeMap<(Slot, SubXact), Work<K>>,
    /// Applied work by (subtransaction that applied it, slot, subtransaction that queued
    /// it): queued again if the first aborts while the second survives.
    done: BTreeMap<(SubXact, Slot, SubXact), Work<K>>,
    /// Above this many keys for one TVIEW, recompute it whole.
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> DeferredQueue<K> {
    pub fn new(max_keys: usize) -> Self {
        DeferredQueue {
            pending: BTreeMap::new(),
            done: BTreeMap::new(),
            max_keys,
        }
    }

    /// Nothing waits to be applied.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Forget everything (the transaction ended).
    pub fn clear(&mut self) {
        self.pending.clear();
        self.done.clear();
    }

    /// Queue `keys` of the TVIEW in `slot`, changed in subtransaction `sub`.
    pub fn add_keys(&mut self, slot: Slot, sub: SubXact, keys: impl IntoIterator<Item = K>) {
        let max = self.max_keys;
        let w = self.pending.entry((slot, sub)).or_default();
        if !w.all {
            w.keys.extend(keys);
            w.cap(max);
        }
        if w.is_empty() {
            self.pending.remove(&(slot, sub));
        }
    }

    /// Queue `keys` of the TVIEW in `slot` for a partial recompute of what `source` feeds
    /// (see `sqlgen::patch::PartialSource`), changed in subtransaction `sub`.
    pub fn add_partial_keys(
        &mut self,
        slot: Slot,
        sub: SubXact,
        source: u32,
        keys: impl IntoIterator<Item = K>,
    ) {
        let max = self.max_keys;
        let w = self.pending.entry((slot, sub)).or_default();
        if !w.all {
            w.partial.entry(source).or_default().extend(keys);
            w.cap(max);
        }
        if w.is_empty() {
            self.pending.remove(&(slot, sub));
        }
    }

    /// Note that a statement of subtransaction `sub` left deltas of `source`'s tallies for
    /// the TVIEW in `slot` pending, in the rows `rows` (per group).
    pub fn add_tally(&mut self, slot: Slot, sub: SubXact, source: u32, rows: PendingRows) {
        merge_rows(
            self.pending
                .entry((slot, sub))
                .or_default()
                .tallies
                .entry(source)
                .or_default(),
            rows,
        );
    }

    /// Queue changes of `of.source`, captured by `sqlgen::keys::capture_query`, whose keys
    /// are found at commit.
    pub fn add_lookup(&mut self, slot: Slot, sub: SubXact, of: LookupOf, captured: Captured) {
        let max = self.max_keys;
        let w = self.pending.entry((slot, sub)).or_default();
        if !w.all {
            merge_captured(w.lookups.entry(of).or_default(), captured);
            w.cap(max);
        }
    }

    /// Queue a recompute of every row of the TVIEW in `slot`.
    pub fn add_all(&mut self, slot: Slot, sub: SubXact) {
        let w = self.pending.entry((slot, sub)).or_default();
        w.all = true;
        w.keys.clear();
        w.lookups.clear();
        w.partial.clear();
    }

    /// DDL ran in subtransaction `sub`: captured text may no longer read back as the values
    /// it was printed from (an enum value, a table or a function renamed or overloaded since),
    /// so every TVIEW with captured changes waiting is recomputed whole instead. Should `sub`
    /// roll back, the DDL goes with it and the captured text reads back again.
    pub fn recompute_captured(&mut self, sub: SubXact) {
        let slots: BTreeSet<Slot> = self
            .pending
            .iter()
            .filter(|(_, w)| !w.lookups.is_empty())
            .map(|((slot, _), _)| *slot)
            .collect();
        for slot in slots {
            self.add_all(slot, sub);
        }
    }

    /// Subtransaction `sub` committed into `parent`: what it queued and applied is now the
    /// parent's.
    pub fn commit_sub(&mut self, sub: SubXact, parent: SubXact) {
        let up = |s: SubXact| if s == sub { parent } else { s };
        for ((slot, s), w) in std::mem::take(&mut self.pending) {
            self.pending.entry((slot, up(s))).or_default().absorb(w);
        }
        for ((a, slot, s), w) in std::mem::take(&mut self.done) {
            self.done.entry((up(a), slot, up(s))).or_default().absorb(w);
        }
    }

    /// Subtransaction `sub` rolled back: drop what it queued; what it applied of work queued
    /// before it waits again, since the refresh is rolled back too.
    pub fn abort_sub(&mut self, sub: SubXact) {
        self.pending.retain(|(_, s), _| *s != sub);
        for ((a, slot, s), w) in std::mem::take(&mut self.done) {
            if a != sub {
                self.done.insert((a, slot, s), w);
            } else if s != sub {
                self.pending.entry((slot, s)).or_default().absorb(w);
            }
        }
    }

    /// Take out all the work of the first TVIEW in dependency order, recording it as applied
    /// in subtransaction `sub` (the one running now). `None` when nothing waits.
    pub fn next_batch(&mut self, sub: SubXact) -> Option<Batch<K>> {
        let slot = self.pending.keys().next()?.0;
        let taken: Vec<(Slot, SubXact)> = self
            .pending
            .range((slot, SubXact::MIN)..=(slot, SubXact::MAX))
            .map(|(k, _)| *k)
            .collect();
        let mut work = Work::default();
        for k in taken {
            if let Some(w) = self.pending.remove(&k) {
                work.absorb(w.clone());
                self.done.entry((sub, slot, k.1)).or_default().absorb(w);
            }
        }
        Some(Batch { slot, work })
    }

    /// Number of keys and captured values waiting, over all TVIEWs (a recompute-all counts
    /// as one).
    pub fn pending_len(&self) -> usize {
        self.pending
            .values()
            .map(|w| if w.all { 1 } else { w.size() })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slot(level: usize, tview: u32) -> Slot {
        Slot {
            level,
            read: false,
            tview,
        }
    }

    fn whole(source: u32) -> LookupOf {
        LookupOf {
            source,
            patch: false,
        }
    }

    #[test]
    fn slots_put_levels_first_and_read_tviews_last_within_a_level() {
        // 10 and 11 read tables only; 12 reads 10; 13 reads 12 and a plain table.
        let defs: Vec<(u32, Vec<u32>)> = vec![
            (13, vec![12, 1]),
            (10, vec![1, 2]),
            (12, vec![10, 3]),
            (11, vec![1]),
        ];
        let s = slots(defs.iter().map(|(t, v)| (*t, v.as_slice())));
        assert_eq!(
            s[&10],
            Slot {
                level: 0,
                read: true,
                tview: 10
            }
        );
        assert_eq!(
            s[&11],
            Slot {
                level: 0,
                read: false,
                tview: 11
            }
        );
        assert_eq!(
            s[&12],
            Slot {
                level: 1,
                read: true,
                tview: 12
            }
        );
        assert_eq!(
            s[&13],
            Slot {
                level: 2,
                read: false,
                tview: 13
            }
        );
        let mut order: Vec<Slot> = s.values().copied().collect();
        order.sort();
        let tables: Vec<u32> = order.iter().map(|s| s.tview).collect();
        // 11 before 10 although its OID is higher: 10 cascades into 12.
        assert_eq!(tables, vec![11, 10, 12, 13]);
    }

    #[test]
    fn slots_survive_a_cycle() {
        let defs: Vec<(u32, Vec<u32>)> = vec![(1, vec![2]), (2, vec![1])];
        let s = slots(defs.iter().map(|(t, v)| (*t, v.as_slice())));
        assert_eq!(s.len(), 2);
        assert!(s[&1].read && s[&2].read);
    }

    #[test]
    fn partial_keys_follow_subtransactions_and_the_cap() {
        let mut q: DeferredQueue<u32> = DeferredQueue::new(5);
        q.add_partial_keys(slot(0, 1), 1, 77, [1, 2]);
        q.add_keys(slot(0, 1), 1, [2]);
        // A rolled-back subtransaction takes its partial keys back.
        q.add_partial_keys(slot(0, 1), 2, 77, [3]);
        q.abort_sub(2);
        let b = q.next_batch(1).unwrap();
        assert_eq!(b.work.keys, [2].into());
        assert_eq!(b.work.partial[&77], [1, 2].into());
        assert!(q.next_batch(1).is_none());
        // Past the cap, the TVIEW is recomputed whole and the partial keys are dropped.
        q.add_partial_keys(slot(0, 1), 1, 77, 0..10);
        let b = q.next_batch(1).unwrap();
        assert!(b.work.all && b.work.partial.is_empty() && b.work.keys.is_empty());
    }

    #[test]
    fn ddl_turns_captured_changes_into_a_whole_recompute_until_it_rolls_back() {
        let mut q: DeferredQueue<i32> = DeferredQueue::new(100);
        let captured: Captured = vec![[Some("happy".to_string())].into_iter().collect()];
        q.add_lookup(slot(0, 1), 1, whole(7), captured);
        q.add_keys(slot(0, 2), 1, [1, 2]);
        q.recompute_captured(2);
        q.abort_sub(2);
        let b = q.next_batch(1).unwrap();
        assert!(!b.work.all && b.work.lookups.len() == 1);
        let mut q: DeferredQueue<i32> = DeferredQueue::new(100);
        q.add_lookup(slot(0, 1), 1, whole(7), vec![[None].into_iter().collect()]);
        q.add_keys(slot(0, 2), 1, [1, 2]);
        q.recompute_captured(1);
        let b = q.next_batch(1).unwrap();
        assert!(b.work.all && b.work.lookups.is_empty());
        let b = q.next_batch(1).unwrap();
        assert!(!b.work.all && keys(&b) == vec![1, 2]);
    }

    fn keys(b: &Batch<i32>) -> Vec<i32> {
        let mut v: Vec<i32> = b.work.keys.iter().copied().collect();
        v.sort();
        v
    }

    #[test]
    fn a_key_changed_many_times_is_refreshed_once() {
        let mut q = DeferredQueue::new(100);
        for _ in 0..100 {
            q.add_keys(slot(0, 10), 1, [7]);
        }
        let b = q.next_batch(1).unwrap();
        assert_eq!(keys(&b), vec![7]);
        assert!(q.next_batch(1).is_none());
    }

    #[test]
    fn batches_come_in_dependency_order() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(1, 5), 1, [1]);
        q.add_keys(slot(0, 20), 1, [2]);
        q.add_keys(slot(0, 10), 1, [3]);
        let order: Vec<Slot> = std::iter::from_fn(|| q.next_batch(1).map(|b| b.slot)).collect();
        assert_eq!(order, vec![slot(0, 10), slot(0, 20), slot(1, 5)]);
    }

    #[test]
    fn a_rolled_back_savepoint_takes_back_its_keys() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(0, 10), 1, [1]);
        q.add_keys(slot(0, 10), 2, [2]);
        q.abort_sub(2);
        assert_eq!(keys(&q.next_batch(1).unwrap()), vec![1]);
    }

    #[test]
    fn a_released_savepoint_hands_its_keys_to_the_parent() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(0, 10), 3, [3]);
        q.commit_sub(3, 2);
        q.abort_sub(4); // a later sibling rolled back: nothing of 3 touched
        assert_eq!(keys(&q.next_batch(2).unwrap()), vec![3]);
    }

    #[test]
    fn work_applied_in_a_rolled_back_savepoint_is_queued_again() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(0, 10), 1, [1]);
        // SAVEPOINT (sub 2); flush applies key 1 there; ROLLBACK TO SAVEPOINT.
        assert_eq!(keys(&q.next_batch(2).unwrap()), vec![1]);
        assert!(q.is_empty());
        q.abort_sub(2);
        assert_eq!(keys(&q.next_batch(1).unwrap()), vec![1]);
    }

    #[test]
    fn work_applied_in_a_released_savepoint_stays_applied() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(0, 10), 1, [1]);
        q.next_batch(2).unwrap();
        q.commit_sub(2, 1);
        q.abort_sub(3);
        assert!(q.is_empty());
    }

    #[test]
    fn pending_row_ids_gather_per_group_and_come_back_when_their_fold_rolls_back() {
        let mut q: DeferredQueue<i32> = DeferredQueue::new(3);
        // Two statements of source 7 (two groups), one in a savepoint released.
        q.add_tally(slot(0, 10), 1, 7, vec![vec![row_id(0, 1)], vec![]]);
        q.add_tally(
            slot(0, 10),
            2,
            7,
            vec![vec![row_id(0, 2)], vec![row_id(3, 1)]],
        );
        q.commit_sub(2, 1);
        // A statement in a savepoint rolled back: its rows are gone, and so are their ids.
        q.add_tally(slot(0, 10), 3, 7, vec![vec![row_id(9, 9)]]);
        q.abort_sub(3);
        // Keys beyond the cap turn the work into a full recompute; the rows stay.
        q.add_keys(slot(0, 10), 1, [1, 2, 3, 4]);
        // A flush in savepoint 4 takes them out; the savepoint rolls back: they wait again.
        let b = q.next_batch(4).unwrap();
        assert!(b.work.all);
        let expected = vec![vec![row_id(0, 1), row_id(0, 2)], vec![row_id(3, 1)]];
        assert_eq!(b.work.tallies[&7], expected);
        q.abort_sub(4);
        assert_eq!(q.next_batch(1).unwrap().work.tallies[&7], expected);
        assert!(q.is_empty());
        assert_eq!(
            row_id_parts(row_id(u32::MAX, u16::MAX)),
            (u32::MAX, u16::MAX)
        );
    }

    #[test]
    fn too_many_keys_become_a_full_recompute() {
        let mut q = DeferredQueue::new(3);
        q.add_keys(slot(0, 10), 1, [1, 2, 3, 4]);
        q.add_keys(slot(0, 10), 1, [5]);
        let b = q.next_batch(1).unwrap();
        assert!(b.work.all);
        assert!(b.work.keys.is_empty());
        assert_eq!(q.pending_len(), 0);
    }

    #[test]
    fn captured_lookups_merge_per_column_and_count_toward_the_cap() {
        let mut q: DeferredQueue<i32> = DeferredQueue::new(3);
        let cap = |v: &[&str]| {
            vec![v
                .iter()
                .map(|s| Some(s.to_string()))
                .collect::<HashSet<_>>()]
        };
        q.add_lookup(slot(0, 10), 1, whole(77), cap(&["1", "2"]));
        q.add_lookup(slot(0, 10), 2, whole(77), cap(&["2"]));
        q.commit_sub(2, 1);
        let b = q.next_batch(1).unwrap();
        assert_eq!(b.work.lookups[&whole(77)][0].len(), 2);
        // A patched capture of the same source stays apart (its documents get only the
        // patched keys), and merges with the next patched one.
        let patched = LookupOf {
            source: 77,
            patch: true,
        };
        q.add_lookup(slot(0, 10), 1, whole(77), cap(&["1"]));
        q.add_lookup(slot(0, 10), 1, patched, cap(&["2"]));
        q.add_lookup(slot(0, 10), 1, patched, cap(&["3"]));
        let b = q.next_batch(1).unwrap();
        assert_eq!(b.work.lookups.len(), 2);
        assert_eq!(b.work.lookups[&patched][0].len(), 2);
        q.add_lookup(slot(0, 10), 1, whole(77), cap(&["1", "2", "3", "4"]));
        assert!(q.next_batch(1).unwrap().work.all);
    }

    #[test]
    fn a_recompute_all_absorbs_keys_from_other_subtransactions() {
        let mut q = DeferredQueue::new(100);
        q.add_keys(slot(0, 10), 1, [1]);
        q.add_all(slot(0, 10), 2);
        q.add_keys(slot(0, 10), 2, [2]);
        let b = q.next_batch(2).unwrap();
        assert!(b.work.all && b.work.keys.is_empty());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u32, i32),
        Savepoint,
        Release,
        Rollback,
        Flush,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u32..3, 0i32..6).prop_map(|(t, k)| Op::Add(t, k)),
            1 => Just(Op::Savepoint),
            1 => Just(Op::Release),
            1 => Just(Op::Rollback),
            1 => Just(Op::Flush),
        ]
    }

    // What must hold at commit: every key whose last surviving change came after its last
    // surviving refresh is refreshed. The model keeps the set of such "stale" keys, with a
    // copy saved at each savepoint to return to on rollback.
    proptest! {
        #[test]
        fn commit_refreshes_every_surviving_change(ops in proptest::collection::vec(op(), 0..60)) {
            let mut q: DeferredQueue<i32> = DeferredQueue::new(1000);
            // Stack of (subxact id, stale set at its start); stale = changed and not
            // refreshed, as the surviving history sees it.
            let mut stack: Vec<(SubXact, HashSet<(u32, i32)>)> = vec![(1, HashSet::new())];
            let mut stale: HashSet<(u32, i32)> = HashSet::new();
            let mut next_id: SubXact = 2;
            for o in ops {
                let cur = stack.last().unwrap().0;
                match o {
                    Op::Add(t, k) => { q.add_keys(slot(0, t), cur, [k]); stale.insert((t, k)); }
                    Op::Savepoint => { stack.push((next_id, stale.clone())); next_id += 1; }
                    Op::Release => if stack.len() > 1 {
                        let (id, _) = stack.pop().unwrap();
                        q.commit_sub(id, stack.last().unwrap().0);
                    },
                    Op::Rollback => if stack.len() > 1 {
                        let (id, saved) = stack.pop().unwrap();
                        q.abort_sub(id);
                        stale = saved;
                    },
                    Op::Flush => {
                        while let Some(b) = q.next_batch(cur) {
                            for k in b.work.keys { stale.remove(&(b.slot.tview, k)); }
                        }
                    }
                }
            }
            while stack.len() > 1 {
                let (id, _) = stack.pop().unwrap();
                q.commit_sub(id, stack.last().unwrap().0);
            }
            let mut refreshed: HashSet<(u32, i32)> = HashSet::new();
            while let Some(b) = q.next_batch(1) {
                for k in b.work.keys { refreshed.insert((b.slot.tview, k)); }
            }
            prop_assert!(stale.is_subset(&refreshed), "stale {:?} not refreshed {:?}", stale, refreshed);
        }
    }
}
