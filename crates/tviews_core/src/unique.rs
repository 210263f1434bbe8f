//! Row uniqueness: does a column of a definition hold each value at most once, for every
//! possible content of the sources?
//!
//! A key that pg_tviews picks by itself (a `pk_*` column, the root table's primary key) must
//! be, or creation is refused: otherwise the first write that repeats it fails, long after the
//! definition was accepted. The proof works on one query level at a time. The shell describes
//! the level's FROM items (tables and subqueries), what each holds uniquely (a table's unique
//! indexes, a subquery's proven unique columns, "at most one row" for an aggregate without
//! GROUP BY), and the equalities of its WHERE and join conditions that pin a column of an item
//! to values the other items already decide. An item is then *reached* from a starting item
//! when all columns of one of its unique sets are pinned by reached items (or by constants):
//! it contributes at most one row per row of the start. When every item is reached from the
//! item a column comes from, and the column is that item's unique set, the column is unique.

use std::collections::BTreeSet;

/// Index of an item in the level's FROM list.
pub type ItemId = usize;

/// One FROM item of a query level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// How the item is named in messages (`public.tb_review`).
    pub name: String,
    /// Sets of its columns (attribute numbers) whose values identify at most one of its rows.
    /// An empty set: the item has at most one row.
    pub unique_sets: Vec<BTreeSet<u32>>,
    /// More sets that identify at most one row among the rows where their columns are not
    /// NULL (a plain UNIQUE constraint on nullable columns): they count for reaching the item
    /// through equalities, which NULL never satisfies, not for showing its column as unique.
    pub reach_sets: Vec<BTreeSet<u32>>,
    /// Items a LATERAL item reads: its unique sets hold per row of those only, so it counts
    /// as reached only once they are.
    pub needs: BTreeSet<ItemId>,
}

/// An equality `item.column = <expression>` that every row of the level satisfies (a WHERE
/// conjunct, an inner join's condition, or a LEFT JOIN's condition for an item on its
/// nullable side), with the items the expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub item: ItemId,
    pub column: u32,
    /// Items of this level the other side reads; empty for constants, parameters and outer
    /// references.
    pub needs: BTreeSet<ItemId>,
    /// Written `IS NOT DISTINCT FROM`: a NULL pins NULL, so only the item's unique sets that
    /// count NULL as one value are pinned by it (not its `reach_sets`).
    pub null_safe: bool,
}

/// Columns of `item` pinned by constants (by equalities that read no item of the level).
pub fn pinned_by_constants(pins: &[Pin], item: ItemId) -> BTreeSet<u32> {
    pins.iter()
        .filter(|p| p.item == item && p.needs.is_empty())
        .map(|p| p.column)
        .collect()
}

/// The items reached from `start`: each has at most one row per row of `start`.
pub fn reached_from(items: &[Item], pins: &[Pin], start: ItemId) -> BTreeSet<ItemId> {
    reached_from_all(items, pins, &[start].into())
}

/// The items reached from the items `starts` together: each has at most one row per
/// combination of rows of them (a link table joined on its composite key to the two tables it
/// links is reached from both).
pub fn reached_from_all(
    items: &[Item],
    pins: &[Pin],
    starts: &BTreeSet<ItemId>,
) -> BTreeSet<ItemId> {
    let mut reached: BTreeSet<ItemId> = starts.clone();
    loop {
        let before = reached.len();
        for (id, item) in items.iter().enumerate() {
            if reached.contains(&id) {
                continue;
            }
            let usable = || {
                pins.iter()
                    .filter(|p| p.item == id && p.needs.iter().all(|n| reached.contains(n)))
            };
            let pinned: BTreeSet<u32> = usable().map(|p| p.column).collect();
            let strict: BTreeSet<u32> = usable()
                .filter(|p| !p.null_safe)
                .map(|p| p.column)
                .collect();
            if item.needs.iter().all(|n| reached.contains(n))
                && (item.unique_sets.iter().any(|s| s.is_subset(&pinned))
                    || item.reach_sets.iter().any(|s| s.is_subset(&strict)))
            {
                reached.insert(id);
            }
        }
        if reached.len() == before {
            return reached;
        }
    }
}

/// Is a row of the level identified by the columns `columns` of item `start`? Every other
/// item must be reached from `start`, and `columns` (with the columns constants pin) must hold
/// a unique set of `start`. Returns the items that can repeat a value otherwise, or none when
/// `start` itself can (no unique set covered).
pub fn identifies_rows(
    items: &[Item],
    pins: &[Pin],
    start: ItemId,
    columns: &BTreeSet<u32>,
) -> Result<(), Vec<ItemId>> {
    let mut known = pinned_by_constants(pins, start);
    known.extend(columns.iter().copied());
    if !items[start].unique_sets.iter().any(|s| s.is_subset(&known)) {
        return Err(vec![start]);
    }
    let reached = reached_from(items, pins, start);
    let missing: Vec<ItemId> = (0..items.len()).filter(|i| !reached.contains(i)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, sets: &[&[u32]]) -> Item {
        Item {
            name: name.into(),
            unique_sets: sets.iter().map(|s| s.iter().copied().collect()).collect(),
            reach_sets: Vec::new(),
            needs: BTreeSet::new(),
        }
    }

    fn pin(item: ItemId, column: u32, needs: &[ItemId]) -> Pin {
        Pin {
            item,
            column,
            needs: needs.iter().copied().collect(),
            null_safe: false,
        }
    }

    #[test]
    fn a_lookup_joined_on_its_primary_key_keeps_the_root_unique() {
        // product p (pk 1) JOIN category c ON c.pk (1) = p.fk
        let items = [item("p", &[&[1]]), item("c", &[&[1]])];
        let pins = [pin(1, 1, &[0])];
        assert_eq!(identifies_rows(&items, &pins, 0, &[1].into()), Ok(()));
    }

    #[test]
    fn a_cross_join_repeats_the_root() {
        let items = [item("a", &[&[1]]), item("b", &[&[1]])];
        assert_eq!(identifies_rows(&items, &[], 0, &[1].into()), Err(vec![1]));
    }

    #[test]
    fn a_child_joined_on_its_foreign_key_repeats_the_root() {
        // p JOIN review r ON r.fk (2) = p.pk: r's unique set is its own pk (1)
        let items = [item("p", &[&[1]]), item("r", &[&[1]])];
        let pins = [pin(1, 2, &[0])];
        assert_eq!(identifies_rows(&items, &pins, 0, &[1].into()), Err(vec![1]));
    }

    #[test]
    fn a_function_in_from_has_no_unique_set() {
        let items = [item("a", &[&[1]]), item("generate_series", &[])];
        assert_eq!(identifies_rows(&items, &[], 0, &[1].into()), Err(vec![1]));
    }

    #[test]
    fn an_aggregate_without_group_by_is_one_row() {
        let items = [item("p", &[&[1]]), item("totals", &[&[]])];
        assert_eq!(identifies_rows(&items, &[], 0, &[1].into()), Ok(()));
    }

    #[test]
    fn pins_chain_through_reached_items_and_need_all_key_columns() {
        // a; b pinned by a; c has a two-column key pinned by a and b
        let items = [
            item("a", &[&[1]]),
            item("b", &[&[1]]),
            item("c", &[&[1, 2]]),
        ];
        let both = [pin(1, 1, &[0]), pin(2, 1, &[0]), pin(2, 2, &[1])];
        assert_eq!(identifies_rows(&items, &both, 0, &[1].into()), Ok(()));
        let one = [pin(1, 1, &[0]), pin(2, 1, &[0])];
        assert_eq!(identifies_rows(&items, &one, 0, &[1].into()), Err(vec![2]));
    }

    #[test]
    fn a_pin_needing_an_unreached_item_does_not_count() {
        // b is pinned only by c, and c only by b: neither is reached from a
        let items = [item("a", &[&[1]]), item("b", &[&[1]]), item("c", &[&[1]])];
        let pins = [pin(1, 1, &[2]), pin(2, 1, &[1])];
        assert_eq!(
            identifies_rows(&items, &pins, 0, &[1].into()),
            Err(vec![1, 2])
        );
    }

    #[test]
    fn a_lateral_item_counts_only_once_what_it_reads_is_reached() {
        // a, c (pk 1), s = LATERAL (one row per c row); WHERE c.pk = s.m: circular, so
        // neither c nor s is reached from a.
        let mut s = item("s", &[&[]]);
        s.needs = [1].into();
        let items = [item("a", &[&[1]]), item("c", &[&[1]]), s];
        let pins = [pin(1, 1, &[2])];
        assert_eq!(
            identifies_rows(&items, &pins, 0, &[1].into()),
            Err(vec![1, 2])
        );
        // Once c is pinned by a, s follows.
        let pins = [pin(1, 1, &[0])];
        assert_eq!(identifies_rows(&items, &pins, 0, &[1].into()), Ok(()));
    }

    #[test]
    fn constants_complete_a_composite_key() {
        // a's key is (tenant 1, id 2); WHERE a.tenant = 7: id alone identifies a row
        let items = [item("a", &[&[1, 2]])];
        let pins = [pin(0, 1, &[])];
        assert_eq!(identifies_rows(&items, &pins, 0, &[2].into()), Ok(()));
        assert_eq!(identifies_rows(&items, &[], 0, &[2].into()), Err(vec![0]));
    }

    #[test]
    fn a_unique_column_that_may_be_null_reaches_but_does_not_identify() {
        // user u (pk 1, email 2 UNIQUE but nullable) JOIN team t ON t.email (2) = u.email (2)
        let mut team = item("team", &[&[1]]);
        team.reach_sets = vec![[2].into()];
        let mut user = item("user", &[&[1]]);
        user.reach_sets = vec![[2].into()];
        let items = vec![user, team];
        // Team rows are reached through the equality on their email...
        assert_eq!(reached_from(&items, &[pin(1, 2, &[0])], 0), [0, 1].into());
        // ...but the user's email, shown as it is, may repeat NULL.
        assert_eq!(
            identifies_rows(&items, &[pin(1, 2, &[0])], 0, &[2].into()),
            Err(vec![0])
        );
    }

    #[test]
    fn a_link_table_is_reached_from_the_two_tables_it_links() {
        // a JOIN l ON l.a = a.id JOIN b ON b.id = l.b: l's key (a, b) is pinned by a and b.
        let items = vec![
            item("a", &[&[1]]),
            item("l", &[&[1, 2]]),
            item("b", &[&[1]]),
        ];
        let pins = vec![pin(1, 1, &[0]), pin(1, 2, &[2])];
        assert_eq!(reached_from(&items, &pins, 0).len(), 1);
        assert_eq!(reached_from_all(&items, &pins, &[0, 2].into()).len(), 3);
    }
}
