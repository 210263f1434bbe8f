#!/usr/bin/env python3
"""The definition fuzzer: random TVIEW definitions over a family of tables, random writes
under random session settings, and the oracle (pg_tviews_check) after every batch.

Every case is a fresh database made from a template that holds pg_tviews and the harness
(harness.sql). A case creates 1 to 3 TVIEWs (some deferred, some over another TVIEW, some
through a helper view), then runs batches of 1 to 4 statements, each batch one transaction
whose statements each run in a subtransaction of their own. A failure is any TVIEW that
differs from its definition after a batch, any internal error (SQLSTATE XX...), and a lost
server connection. A refusal at creation or an error raised by a write is not a failure:
the fuzzer counts them.

A failing case is shrunk (whole batches, then single statements, then whole TVIEWs are
dropped while the same kind of failure remains) and written as a plain SQL script that
reproduces it: the raw material of a golden test.

    fuzz.py --psql PATH --host H --port P --cases N [--seconds S] [--seed X] [--out DIR]

Exit status: 0 no failure, 1 failures (scripts written to DIR), 2 usage or setup error.
"""

import argparse
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SCHEMA = """
CREATE SCHEMA fzs;
CREATE TABLE fzs.lk4 (pk int PRIMARY KEY, tag text);
CREATE TABLE fzs.lk3 (pk int PRIMARY KEY, title text, fk4 int);
CREATE TABLE fzs.lk1 (pk int PRIMARY KEY, grp int, x int, name text, fk3 int);
CREATE TABLE fzs.lk2 (pk int PRIMARY KEY, lang text, label text);
CREATE TABLE fzs.band (pk int PRIMARY KEY, lo int NOT NULL, hi int NOT NULL, label text);
CREATE TABLE fzs.root (pk int PRIMARY KEY, a int, b int, n numeric(8,2), f float8, d date,
                       t text, fk1 int, fk2 int, ts timestamptz);
CREATE TABLE fzs.child (pk int PRIMARY KEY, fk int NOT NULL, v int, w text, lang text, f float8, ok bool,
                        m numeric(8,2));
CREATE TABLE fzs.tr (fk int NOT NULL, lang text NOT NULL, title text, PRIMARY KEY (fk, lang));
CREATE TABLE fzs.parted (pk int, region int, v int, PRIMARY KEY (pk, region)) PARTITION BY LIST (region);
CREATE TABLE fzs.parted_1 PARTITION OF fzs.parted FOR VALUES IN (1);
CREATE TABLE fzs.kin (pk int PRIMARY KEY, v int);
CREATE TABLE fzs.kin_child (extra int) INHERITS (fzs.kin);
"""

FLOATS = ["0.5", "0.49999999999999994", "0.5000000000000001", "-0.0", "0.1", "1e-300", "2.5",
          "'NaN'", "'Infinity'", "NULL", "0.25", "1.0000000000000002"]
NUMERICS = ["1", "1.0", "1.00", "2.50", "-0.00", "NULL", "10.5", "99.99", "0"]
DATES = ["DATE '2026-01-02'", "DATE '2026-02-01'", "DATE '2026-01-10'", "DATE '2025-12-31'",
         "'infinity'::date", "NULL", "DATE '2026-03-04'"]
TEXTS = ["'a'", "'b'", "'ab'", "'A'", "'a\\b'", "'it''s'", "''", "NULL", "'é'", "'bb'"]
LANGS = ["'en'", "'fr'", "NULL"]
BOOLS = ["true", "false", "NULL"]
AMOUNTS = ["1", "1.5", "-0.01", "'NaN'", "NULL", "999999.99", "0"]
TIMESTAMPS = ["TIMESTAMPTZ '2026-01-02 23:30:00+00'", "TIMESTAMPTZ '2026-03-29 01:59:59.999999+00'",
              "TIMESTAMPTZ '2026-01-02 00:00:00+05:30'", "'infinity'::timestamptz", "NULL",
              "TIMESTAMPTZ '1999-12-31 23:59:59.5+00'"]
SETTINGS = [
    "SET LOCAL extra_float_digits = -3",
    "SET LOCAL DateStyle = 'SQL, DMY'",
    "SET LOCAL DateStyle = 'German'",
    "SET LOCAL TimeZone = 'Asia/Kolkata'",
    "SET LOCAL IntervalStyle = 'sql_standard'",
    "SET LOCAL standard_conforming_strings = off",
    "SET LOCAL bytea_output = 'escape'",
    "SET LOCAL quote_all_identifiers = on",
    "SET LOCAL search_path = fzs, pg_catalog, public",
    "SET LOCAL enable_hashjoin = off",
]


def initial_data(rng):
    """INSERTs of a small random data set (keys collide on purpose)."""
    out = []
    for pk in range(1, 4):
        out.append(f"INSERT INTO fzs.lk4 VALUES ({pk}, {rng.choice(TEXTS)})")
    for pk in range(1, 5):
        out.append(f"INSERT INTO fzs.lk3 VALUES ({pk}, {rng.choice(TEXTS)}, {rng.choice(['1', '2', '5', 'NULL'])})")
    out.append("INSERT INTO fzs.parted VALUES (1, 1, 1), (2, 1, 2)")
    out.append("INSERT INTO fzs.kin VALUES (1, 1), (2, 2)")
    for pk in range(1, 7):
        out.append(f"INSERT INTO fzs.lk1 VALUES ({pk}, {rng.choice(['1', '2', 'NULL'])}, "
                   f"{rng.randint(0, 9)}, {rng.choice(TEXTS)}, {rng.choice(['1', '2', '3', '9', 'NULL'])})")
    for pk in range(1, 5):
        out.append(f"INSERT INTO fzs.lk2 VALUES ({pk}, {rng.choice(LANGS)}, {rng.choice(TEXTS)})")
    out.append("INSERT INTO fzs.band VALUES (1, 0, 4, 'low'), (2, 4, 8, 'mid'), (3, 8, 100, 'high')")
    for pk in range(1, 13):
        out.append(root_insert(rng, pk))
    for pk in range(1, 26):
        out.append(child_insert(rng, pk))
    for fk in range(1, 13):
        for lang in ["'en'", "'fr'"]:
            if rng.random() < 0.6:
                out.append(f"INSERT INTO fzs.tr VALUES ({fk}, {lang}, {rng.choice(TEXTS)})")
    return out


def root_insert(rng, pk):
    return (f"INSERT INTO fzs.root VALUES ({pk}, {rng.randint(0, 12)}, {rng.choice(['1', '2', 'NULL'])}, "
            f"{rng.choice(NUMERICS)}, {rng.choice(FLOATS)}, {rng.choice(DATES)}, {rng.choice(TEXTS)}, "
            f"{rng.choice(['1', '2', '3', '6', '7', 'NULL'])}, {rng.choice(['1', '2', '4', 'NULL'])}, "
            f"{rng.choice(TIMESTAMPS)})")


def child_insert(rng, pk):
    return (f"INSERT INTO fzs.child VALUES ({pk}, {rng.randint(1, 14)}, {rng.choice(['1', '5', '7', 'NULL'])}, "
            f"{rng.choice(TEXTS)}, {rng.choice(LANGS)}, {rng.choice(FLOATS)}, {rng.choice(BOOLS)}, "
            f"{rng.choice(AMOUNTS)})")


class Definition:
    """One generated TVIEW."""

    def __init__(self, name, sql, mode, exposes_fk1=False, key=None):
        self.name, self.sql, self.mode = name, sql, mode
        self.exposes_fk1 = exposes_fk1
        # A key passed by name: the definition may repeat it (writes that do fail with
        # 23505); without one, pg_tviews must prove the key it picks unique.
        self.key = key


def root_definition(rng, name, helper_view):
    """A document per root row: lookups (some with extra conditions), child arrays and
    aggregates, filters, casts, whole rows."""
    joins, values = [], []
    l1 = "fzs.v_lk1" if helper_view else "fzs.lk1"
    has_l1 = rng.random() < 0.7
    if has_l1:
        kind = rng.choice(["JOIN", "LEFT JOIN"])
        extra = rng.choice(["", "", " AND l1.grp = 1", " AND l1.x > r.a", " AND l1.grp = r.b"])
        joins.append(f"{kind} {l1} l1 ON l1.pk = r.fk1{extra}")
        values += ["l1.name", "l1.x", "to_jsonb(l1)", "coalesce(l1.name, '-')"]
        if rng.random() < 0.5:
            joins.append("LEFT JOIN fzs.lk3 l3 ON l3.pk = l1.fk3")
            values += ["l3.title"]
            if rng.random() < 0.5:
                # A third hop.
                joins.append("LEFT JOIN fzs.lk4 l4 ON l4.pk = l3.fk4")
                values += ["l4.tag", "coalesce(l4.tag, l3.title)"]
    if rng.random() < 0.5:
        joins.append("LEFT JOIN fzs.lk2 l2 ON l2.pk = r.fk2")
        values += ["l2.label", "l2.lang"]
    key = None
    if rng.random() < 0.3:
        # Bands may overlap: nothing proves one band per root row, so the key is named.
        joins.append("LEFT JOIN fzs.band b ON r.a >= b.lo AND r.a < b.hi")
        values += ["b.label"]
        key = "pk"
    if rng.random() < 0.3:
        joins.append("LEFT JOIN fzs.tr tr ON tr.fk = r.pk AND tr.lang = 'en'")
        values += ["tr.title"]
    values += ["r.a", "r.n", "r.f", "r.d", "r.t", "r.b", "coalesce(r.b, -1)", "r.f::text", "r.n::text",
               "r.d::text", "CASE WHEN r.a > 5 THEN 'big' ELSE 'small' END", "to_jsonb(r)",
               "(r.f * 3)::numeric(20,4)", "upper(r.t)", "r.ts", "r.ts::date", "date_trunc('hour', r.ts)",
               "to_char(r.ts, 'YYYY-MM-DD HH24:MI:SS.US TZ')", "extract(epoch FROM r.ts)", "r.ts::text",
               "(r.ts AT TIME ZONE 'UTC')::timestamp(0)"]
    cfilter = rng.choice(["", "", " AND c.lang = 'en'", " AND c.v > 3"])
    values += [
        f"(SELECT coalesce(jsonb_agg(c.v ORDER BY c.pk), '[]') FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        f"(SELECT count(*) FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        f"(SELECT sum(c.v) FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        f"(SELECT round(avg(c.v), 3) FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        # min/max of a float tie at 0 and -0: ordered. The rest are kept by delta (tallies)
        # or, for min/max, read by a probe beside them.
        f"(SELECT max(c.f ORDER BY c.pk) FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        f"(SELECT jsonb_build_object('n', count(*), 'all', bool_and(c.ok), 'any', bool_or(c.ok), "
        f"'every', every(c.ok), 'top', max(c.v), 'first', min(c.w), 'total', sum(c.m), 'mean', avg(c.m)) "
        f"FROM fzs.child c WHERE c.fk = r.pk{cfilter})",
        "coalesce((SELECT jsonb_agg(x.w ORDER BY x.pk) FROM (SELECT c.pk, c.w FROM fzs.child c "
        "WHERE c.fk = r.pk ORDER BY c.pk DESC LIMIT 2) x), '[]')",
        # Tables read in the other places a subquery may sit: a VALUES list, a function's
        # argument in FROM, a LIMIT.
        f"(SELECT v.x FROM (VALUES ((SELECT count(*) FROM fzs.child c WHERE c.fk = r.pk{cfilter}))) v(x))",
        "(SELECT max(g.n) FROM generate_series(0, (SELECT count(*) FROM fzs.child c WHERE c.fk = r.pk)::int) g(n))",
        "ARRAY(SELECT c.v FROM fzs.child c WHERE c.fk = r.pk ORDER BY c.pk LIMIT (SELECT count(*) FROM fzs.lk4))",
    ]
    chosen = rng.sample(values, k=min(len(values), rng.randint(1, 7)))
    pairs = ", ".join(f"'k{i}', {v}" for i, v in enumerate(chosen))
    wheres = rng.sample(["r.f < 0.5", "r.d > DATE '2026-01-10'", "r.b IS NOT NULL", "r.t LIKE 'a%'",
                         "r.n >= 1"] + (["l1.grp IS DISTINCT FROM 2"] if has_l1 else []),
                        k=rng.choice([0, 0, 1, 2]))
    exposes_fk1 = rng.random() < 0.4
    extra_cols = ", r.fk1" if exposes_fk1 else ""
    sql = (f"SELECT r.pk, jsonb_build_object({pairs}) AS data{extra_cols} FROM fzs.root r "
           + " ".join(joins) + (" WHERE " + " AND ".join(wheres) if wheres else ""))
    if rng.random() < 0.25:
        # The same rows through WITH queries: a chain for the root, one for the children,
        # read from the subqueries below (key proofs and change paths through them).
        children = ", cw AS (SELECT * FROM fzs.child)" if "FROM fzs.child c" in sql else ""
        sql = (f"WITH rw AS (SELECT * FROM fzs.root), rr AS (SELECT * FROM rw){children} "
               + sql.replace("FROM fzs.root r", "FROM rr r").replace("FROM fzs.child c", "FROM cw c"))
    return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]), exposes_fk1, key)


def group_definition(rng, name):
    """One row per child group (GROUP BY the key), per language, or per lookup group: columns
    that can be NULL, whose NULL group is a row like any other. The key is named pk_* or
    left for pg_tviews to find (the GROUP BY column); or a key of several columns."""
    having = rng.choice(["", " HAVING count(*) > 1"])
    if rng.random() < 0.25:
        return summary_definition(rng, name, having)
    roll = rng.random()
    if roll < 0.3:
        filt = rng.choice([" WHERE c.lang IS NOT NULL", " WHERE c.lang IS NOT NULL AND c.v > 1", ""])
        col = rng.choice([f"c.lang AS pk_{name}", "c.lang"])
        sql = (f"SELECT {col}, count(*) AS n, sum(c.v) AS s, jsonb_agg(c.w ORDER BY c.pk) AS ws "
               f"FROM fzs.child c{filt} GROUP BY c.lang{having}")
        return Definition(name, sql, rng.choice(["immediate", "deferred"]))
    if roll < 0.5:
        # A nullable column of a lookup: changes to lk1 reach groups through root rows.
        sql = (f"SELECT l.grp, count(*) AS n, sum(r.a) AS s, jsonb_agg(r.pk ORDER BY r.pk) AS pks "
               f"FROM fzs.root r JOIN fzs.lk1 l ON l.pk = r.fk1 GROUP BY l.grp{having}")
        return Definition(name, sql, rng.choice(["immediate", "deferred"]))
    if roll < 0.65:
        # Keys of several columns: a GROUP BY pair (the language may be NULL), the
        # translations' composite primary key with its root joined, or a root's key with a
        # translation's language (named, read through the translation's foreign key).
        shape = rng.random()
        if shape < 0.4:
            sql = (f"SELECT c.fk, c.lang, count(*) AS n, sum(c.v) AS s, jsonb_agg(c.w ORDER BY c.pk) AS ws "
                   f"FROM fzs.child c GROUP BY c.fk, c.lang{having}")
            return Definition(name, sql, rng.choice(["immediate", "deferred"]))
        if shape < 0.7:
            sql = ("SELECT t.fk, t.lang, t.title, r.a, r.t FROM fzs.tr t JOIN fzs.root r ON r.pk = t.fk"
                   + rng.choice(["", " WHERE r.a IS NOT NULL"]))
            return Definition(name, sql, rng.choice(["immediate", "deferred"]))
        sql = ("SELECT r.pk AS rpk, t.lang, t.title, l.name FROM fzs.root r JOIN fzs.tr t ON t.fk = r.pk "
               "LEFT JOIN fzs.lk1 l ON l.pk = r.fk1")
        return Definition(name, sql, rng.choice(["immediate", "deferred"]), key="rpk,lang")
    if roll < 0.8:
        # Keys drawn from two tables: roots and children matched on values (many to many),
        # children paired within a document and language (a self-join), groups of a root
        # column and a child column (both may be NULL). A lookup joined to one side.
        # Or a FULL JOIN of roots and children (unmatched rows of either side are rows
        # with the other side's key NULL), on values that compare equal in several
        # spellings, filtered, grouped, or with a helper view of one table as a side.
        shape = rng.random()
        if shape < 0.3:
            sql = ("SELECT r.pk AS rpk, c.pk AS cpk, r.t, c.w, l.name FROM fzs.root r "
                   "JOIN fzs.child c ON c.v = r.a LEFT JOIN fzs.lk1 l ON l.pk = r.fk1"
                   + rng.choice(["", " WHERE c.lang IS NOT NULL"]))
        elif shape < 0.45:
            on = rng.choice(["c.v = r.a", "c.f = r.f", "c.m = r.n", "c.v = r.a AND c.lang = 'en'",
                             "c.v = r.a AND c.w = r.t"])
            side = rng.choice(["fzs.child", "(SELECT * FROM fzs.child WHERE ok IS NOT false)"])
            sql = (f"SELECT r.pk AS rpk, c.pk AS cpk, r.t, c.w, r.n, c.m FROM fzs.root r "
                   f"FULL JOIN {side} c ON {on}"
                   + rng.choice(["", " WHERE coalesce(c.lang, '') <> 'fr'"]))
            roll = rng.random()
            if roll < 0.25:
                sql = (f"SELECT r.pk AS rpk, c.pk AS cpk, count(*) AS n, max(c.w) AS w FROM fzs.root r "
                       f"FULL JOIN {side} c ON {on} GROUP BY r.pk, c.pk")
            elif roll < 0.6:
                # A third table beside or inside the FULL JOIN: no table is in every row.
                sql = rng.choice([
                    f"SELECT r.pk AS rpk, c.pk AS cpk, t.fk AS tfk, t.lang AS tlang, r.t, c.w, t.title "
                    f"FROM fzs.root r FULL JOIN {side} c ON {on} LEFT JOIN fzs.tr t ON t.fk = c.pk",
                    f"SELECT r.pk AS rpk, c.pk AS cpk, l.pk AS lpk, r.t, c.w, l.name "
                    f"FROM fzs.root r FULL JOIN {side} c ON {on} FULL JOIN fzs.lk1 l ON l.pk = r.fk1",
                    f"SELECT r.pk AS rpk, c.pk AS cpk, t.fk AS tfk, t.lang AS tlang, c.v, t.title "
                    f"FROM fzs.root r FULL JOIN ({side} c JOIN fzs.tr t ON t.fk = c.pk) ON {on}",
                    f"SELECT c.pk AS cpk, t.fk AS tfk, t.lang AS tlang, r.pk AS rpk, r.n, t.title "
                    f"FROM ({side} c LEFT JOIN fzs.tr t ON t.fk = c.pk AND t.lang = c.lang) "
                    f"FULL JOIN fzs.root r ON {on}",
                    f"SELECT r.pk AS rpk, c.pk AS cpk, x.pk AS xpk, c.v, x.w "
                    f"FROM (fzs.root r FULL JOIN {side} c ON {on}) FULL JOIN fzs.child x "
                    f"ON x.fk = c.pk AND x.v IS NOT NULL",
                    f"SELECT r.pk AS rpk, c.pk AS cpk, l.pk AS lpk, l.name FROM fzs.root r "
                    f"FULL JOIN {side} c ON {on} RIGHT JOIN fzs.lk1 l ON l.grp = c.v",
                ])
        elif shape < 0.7:
            sql = ("SELECT a.pk AS p1, b.pk AS p2, a.w AS w1, b.v AS v2 FROM fzs.child a "
                   "JOIN fzs.child b ON b.fk = a.fk AND b.lang = a.lang AND b.pk <> a.pk")
        else:
            sql = (f"SELECT r.t, c.lang, count(*) AS n, sum(c.v) AS s, jsonb_agg(c.w ORDER BY c.pk) AS ws "
                   f"FROM fzs.root r JOIN fzs.child c ON c.fk = r.pk GROUP BY r.t, c.lang{having}")
        return Definition(name, sql, rng.choice(["immediate", "deferred"]))
    filt = rng.choice(["", " WHERE c.v IS NOT NULL", " WHERE c.lang = 'en'"])
    sql = (f"SELECT c.fk AS pk_{name}, count(*) AS n, sum(c.v) AS s, jsonb_agg(c.w ORDER BY c.pk) AS ws, "
           f"min(c.f ORDER BY c.pk) AS lo FROM fzs.child c{filt} GROUP BY c.fk{having}")
    return Definition(name, sql, rng.choice(["immediate", "deferred"]))


SUMMARY_FILTERS = ["", " WHERE c.v IS NOT NULL", " WHERE c.lang = 'en'", " WHERE c.ok IS NOT false",
                   " WHERE c.v > 1 OR c.m IS NULL"]


def summary_aggregates(rng):
    """Aggregates a summary's state keeps (counts, sums and averages of integers and
    numeric(8,2) with NaN among the values, booleans), expressions around them; sometimes a
    min/max beside them (then not a summary: computed from the table)."""
    picks = rng.sample([
        "count(*) AS n", "count(c.v) AS nv", "sum(c.v) AS s", "avg(c.v) AS av", "sum(c.m) AS sm",
        "round(avg(c.m), 1) AS am", "bool_and(c.ok) AS ba", "bool_or(c.ok) AS bo",
        "coalesce(sum(c.v), 0) * 2 + count(c.m) AS mix",
    ] + (["max(c.v) AS mx", "min(c.m) AS lm"] if rng.random() < 0.2 else []), rng.randint(2, 5))
    return ", ".join(picks + ["count(*) AS rows"])


def summary_definition(rng, name, having):
    """One table grouped by one column or several (which may be NULL) or not grouped, or joined to the
    roots by their key and grouped by it (either side of the join) with a root column and
    perhaps columns of the child: its rows come from a state kept by delta."""
    if rng.random() < 0.15:
        # Every root a group, one without children too: a LEFT JOIN from the roots (or the
        # RIGHT JOIN spelling), conditions on the child in the ON, on the root in the WHERE.
        on = rng.choice(["", " AND c.v IS NOT NULL", " AND c.lang = 'en'"])
        frm = rng.choice([f"fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk{on}",
                          f"fzs.child c RIGHT JOIN fzs.root r ON r.pk = c.fk{on}"])
        sql = (f"SELECT r.pk AS pk_{name}, r.t, {summary_aggregates(rng)} FROM {frm}"
               f"{rng.choice(['', ' WHERE r.a > 3'])} GROUP BY r.pk, r.t{rng.choice([having, ''])}")
        return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]))
    if rng.random() < 0.4:
        col = rng.choice(["r.pk", "c.fk"])
        # Sometimes columns of the child beside the link (which may be NULL): further key
        # columns, the state kept per combination.
        extra = rng.choice([[], [], ["c.lang"], ["c.ok", "c.lang"]])
        shown = "".join(f", {e}" for e in extra)
        by = ", ".join(rng.sample([col, "r.t"] + extra, 2 + len(extra)))
        sql = (f"SELECT {col} AS pk_{name}, r.t{shown}, {summary_aggregates(rng)} "
               f"FROM fzs.child c JOIN fzs.root r ON r.pk = c.fk"
               f"{rng.choice(['', ' WHERE r.a > 3', ' WHERE c.v IS NOT NULL AND r.b IS NULL'])}"
               f" GROUP BY {by}{rng.choice([having, ''])}")
        return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]))
    if rng.random() < 0.35:
        # Several GROUP BY columns (any may be NULL), listed in another order than shown.
        cols = rng.sample(["c.lang", "c.fk", "c.ok", "c.v"], rng.randint(2, 3))
        by = ", ".join(rng.sample(cols, len(cols)))
        sql = (f"SELECT {', '.join(cols)}, {summary_aggregates(rng)} "
               f"FROM fzs.child c{rng.choice(SUMMARY_FILTERS)} GROUP BY {by}"
               f"{rng.choice([having, ' HAVING sum(c.v) > 3 OR bool_or(c.ok)'])}")
        return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]))
    col = rng.choice(["c.lang", "c.fk"])
    sql = (f"SELECT {col}, {summary_aggregates(rng)}, {col} || '.' AS shown "
           f"FROM fzs.child c{rng.choice(SUMMARY_FILTERS)} GROUP BY {col}"
           f"{rng.choice([having, ' HAVING sum(c.v) > 3 OR bool_or(c.ok)'])}")
    return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]))


def one_row_definition(rng, name):
    """An aggregate without GROUP BY: one row, recomputed by every change, whose key is a
    computed column (count or a sum that is NULL without rows); or a summary of one row."""
    if rng.random() < 0.5:
        sql = f"SELECT {summary_aggregates(rng)} FROM fzs.child c{rng.choice(SUMMARY_FILTERS)}"
        return Definition(name, sql, rng.choice(["immediate", "immediate", "deferred"]))
    filt = rng.choice(["", " WHERE c.v IS NOT NULL", " WHERE c.lang = 'en'"])
    first = rng.choice(["sum(c.v) AS s, count(*) AS n", "count(*) AS n, sum(c.v) AS s"])
    sql = (f"SELECT {first}, jsonb_build_object('ws', jsonb_agg(c.w ORDER BY c.pk), 'lo', min(c.f ORDER BY c.pk)) AS data "
           f"FROM fzs.child c{filt}")
    return Definition(name, sql, rng.choice(["immediate", "deferred"]))


def refused_definition(rng, name):
    """A shape that must be refused at creation (a partitioned or inherited source, a
    cross join under an automatic key): the case goes on with the other TVIEWs."""
    sql = rng.choice([
        "SELECT p.pk, p.v FROM fzs.parted p",
        "SELECT p.pk, p.v FROM fzs.parted_1 p",
        "SELECT k.pk, k.v FROM fzs.kin k",
        "SELECT r.pk, l.name FROM fzs.root r, fzs.lk1 l",
        "SELECT r.pk, c.v FROM fzs.root r JOIN fzs.child c ON c.fk = r.pk",
    ])
    return Definition(name, sql, "immediate")


def bag_definition(rng, name):
    """Rows that no shown column identifies (a bag): pg_tviews keys them by the primary keys
    of the tables they come from, added as hidden columns (one table's, a pair's, a FULL
    JOIN's two sides', the tables of LEFT and RIGHT JOINs, NULL without a match)."""
    sql = rng.choice([
        "SELECT r.a, c.v FROM fzs.root r JOIN fzs.child c ON c.fk = r.pk",
        "SELECT r.pk, c.w, c.lang FROM fzs.root r JOIN fzs.child c ON c.fk = r.pk",
        "SELECT r.t, l1.name FROM fzs.root r JOIN fzs.lk1 l1 ON l1.pk = r.fk1",
        "SELECT c.v, c.lang FROM fzs.child c WHERE c.v > 2",
        "SELECT r.a, l1.x FROM fzs.root r JOIN fzs.lk1 l1 ON l1.grp = r.b",
        "SELECT r.a, c.v FROM fzs.root r FULL JOIN fzs.child c ON c.fk = r.pk",
        # A FULL JOIN with a third table: every table's key, NULL where it has no row.
        "SELECT r.a, c.v, l1.name FROM fzs.root r FULL JOIN fzs.child c ON c.fk = r.pk "
        "LEFT JOIN fzs.lk1 l1 ON l1.pk = r.fk1",
        "SELECT r.t, c.w, x.v FROM fzs.root r FULL JOIN fzs.child c ON c.v = r.a "
        "FULL JOIN fzs.child x ON x.fk = c.pk",
        "SELECT c.w, r.b, t.title FROM fzs.child c FULL JOIN (fzs.root r JOIN fzs.tr t "
        "ON t.fk = r.pk) ON r.pk = c.fk WHERE t.title IS DISTINCT FROM 'x'",
        "SELECT r.a, c.v FROM fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk AND c.v > 1",
        "SELECT c.w, r.t FROM fzs.child c RIGHT JOIN fzs.root r ON r.pk = c.fk WHERE c.v IS NULL OR c.v < 5",
        "SELECT x.v, y.w FROM fzs.child x JOIN fzs.child y ON y.fk = x.fk AND y.pk <> x.pk",
        "SELECT r.f, c.m FROM fzs.root r JOIN fzs.child c ON c.fk = r.pk ORDER BY c.m",
        # Outer joins beside other tables and nested: keys NULL where a join finds no match.
        "SELECT r.a, l1.name, c.v FROM fzs.root r JOIN fzs.lk1 l1 ON l1.pk = r.fk1 "
        "LEFT JOIN fzs.child c ON c.fk = r.pk",
        "SELECT r.t, c.w, t.title FROM fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk "
        "LEFT JOIN fzs.tr t ON t.fk = c.pk",
        "SELECT r.a, x.v, y.w FROM fzs.root r LEFT JOIN fzs.child x ON x.fk = r.pk AND x.ok "
        "LEFT JOIN fzs.child y ON y.fk = r.pk AND y.v > 2",
        "SELECT l1.name, r.b, c.lang FROM fzs.lk1 l1 LEFT JOIN (fzs.root r JOIN fzs.child c "
        "ON c.fk = r.pk) ON r.fk1 = l1.pk WHERE c.v IS DISTINCT FROM 3",
        "SELECT c.v, r.d, l2.label FROM fzs.child c RIGHT JOIN fzs.root r ON r.pk = c.fk "
        "LEFT JOIN fzs.lk2 l2 ON l2.lang = c.lang",
        # NULL meeting NULL: a join on IS NOT DISTINCT FROM.
        "SELECT r.a, c.w FROM fzs.root r JOIN fzs.child c ON c.v IS NOT DISTINCT FROM r.b",
        "SELECT r.pk, r.t, l2.label FROM fzs.root r LEFT JOIN fzs.lk2 l2 "
        "ON l2.lang IS NOT DISTINCT FROM r.t",
        # ... outside an outer join's own ON: over the NULLs it fills in.
        "SELECT r.a, c.v FROM fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk "
        "WHERE r.t IS NOT DISTINCT FROM c.lang",
        "SELECT r.pk, c.v, (SELECT min(l2.label) FROM fzs.lk2 l2 WHERE l2.lang IS NOT DISTINCT "
        "FROM c.lang) AS label FROM fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk",
        # Outer joins a condition above makes inner (read as inner joins).
        "SELECT r.a, c.v FROM fzs.root r LEFT JOIN fzs.child c ON c.fk = r.pk WHERE c.v > 1",
        "SELECT c.w, r.t, t.title FROM fzs.child c LEFT JOIN (fzs.root r LEFT JOIN fzs.tr t "
        "ON t.fk = r.pk) ON r.pk = c.fk WHERE t.lang IS NOT NULL",
        "SELECT c.v, r.b, l1.name FROM fzs.child c LEFT JOIN (fzs.root r LEFT JOIN fzs.lk1 l1 "
        "ON l1.pk = r.fk1) ON r.pk = c.fk AND l1.x > 0",
    ])
    return Definition(name, sql, rng.choice(["immediate", "deferred"]))


JOIN_TABLES = [("fzs.root", ["pk", "a", "b", "fk1"]), ("fzs.child", ["pk", "fk", "v"]),
               ("fzs.lk1", ["pk", "grp", "x"]), ("fzs.child", ["pk", "fk", "v"])]


def join_tree_definition(rng, name):
    """A random join tree of two to four tables: inner, LEFT, RIGHT and FULL JOINs nested
    any way, ON conditions between any two tables of its sides (sometimes a second one, one
    within a side, a filter, IS NOT DISTINCT FROM). Often no table is in every row (FULL
    JOINs): keyed by every table's primary key, shown or added as hidden columns; or
    grouped by columns of any of them, the NULL-extended rows in the groups of NULLs."""
    tables = rng.sample(JOIN_TABLES, rng.choice([2, 3, 3, 4]))
    leaves = [(t, cols, f"j{i}") for i, (t, cols) in enumerate(tables)]

    def tree(items):
        if len(items) == 1:
            t, cols, alias = items[0]
            return f"{t} {alias}", [items[0]]
        cut = rng.randint(1, len(items) - 1)
        left, ls = tree(items[:cut])
        right, rs = tree(items[cut:])
        kind = rng.choice(["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "FULL JOIN"])
        col = lambda leaf: f"{leaf[2]}.{rng.choice(leaf[1])}"
        conds = [f"{col(rng.choice(ls))} = {col(rng.choice(rs))}"]
        extra = rng.random()
        if extra < 0.2:
            conds.append(f"{col(rng.choice(ls))} = {col(rng.choice(rs))}")
        elif extra < 0.3 and len(ls) > 1:
            a, b = rng.sample(ls, 2)
            conds.append(f"{col(a)} = {col(b)}")
        elif extra < 0.4:
            conds.append(f"{col(rng.choice(rs))} <> 2")
        elif extra < 0.45:
            conds.append(f"{col(rng.choice(ls))} IS NOT DISTINCT FROM {col(rng.choice(rs))}")
        return f"({left} {kind} {right} ON {' AND '.join(conds)})", ls + rs

    frm, _ = tree(leaves)
    if rng.random() < 0.4:
        # Groups over the joins: the GROUP BY columns of any tables (their NULL-extended
        # rows fall into the groups with NULL there, with the rows whose own value is NULL).
        by = [f"{alias}.{c}" for _, cols, alias in rng.sample(leaves, rng.choice([1, 1, 2]))
              for c in [rng.choice(cols)]]
        counted = rng.choice(leaves)[2]
        summed = rng.choice(leaves)
        aggs = [f"count(*) AS n", f"count({counted}.pk) AS n_{counted}",
                f"sum({summed[2]}.{rng.choice(summed[1])}) AS s"]
        if rng.random() < 0.3:
            aggs.append(f"jsonb_agg({counted}.pk ORDER BY {counted}.pk) AS pks")
        shown = [f"{b} AS g{i}" for i, b in enumerate(by)]
        having = rng.choice(["", "", " HAVING count(*) > 1"])
        sql = (f"SELECT {', '.join(shown + aggs)} FROM {frm[1:-1]} "
               f"GROUP BY {', '.join(by)}{having}")
        return Definition(name, sql, rng.choice(["immediate", "deferred"]))
    shown = []
    for t, cols, alias in leaves:
        if rng.random() < 0.75:
            shown.append(f"{alias}.pk AS {alias}_pk")
        if rng.random() < 0.5:
            shown.append(f"{alias}.{rng.choice(cols[1:])} AS {alias}_c")
    if not shown:
        shown.append(f"{leaves[0][2]}.{leaves[0][1][1]} AS c0")
    where = rng.choice(["", "", " WHERE coalesce(j0.pk, 0) <> 3"])
    sql = f"SELECT {', '.join(shown)} FROM {frm[1:-1]}{where}"
    return Definition(name, sql, rng.choice(["immediate", "deferred"]))


def cascade_definition(rng, name, over):
    """A TVIEW over another TVIEW's table (which exposes fk1)."""
    sql = (f"SELECT l1.pk, l1.name, (SELECT coalesce(jsonb_agg(m.data ORDER BY m.pk), '[]') "
           f"FROM fzs.tv_{over} m WHERE m.fk1 = l1.pk) AS docs FROM fzs.lk1 l1")
    return Definition(name, sql, rng.choice(["immediate", "deferred"]))


def definitions(rng):
    helper = rng.random() < 0.2
    out = [root_definition(rng, "m0", helper)]
    if rng.random() < 0.4:
        out.append(group_definition(rng, "g1"))
    if out[0].exposes_fk1 and rng.random() < 0.6:
        out.append(cascade_definition(rng, "c2", "m0"))
    if rng.random() < 0.1:
        out.append(refused_definition(rng, "x3"))
    if rng.random() < 0.2:
        out.append(one_row_definition(rng, "o4"))
    if rng.random() < 0.25:
        out.append(bag_definition(rng, "b5"))
    if rng.random() < 0.25:
        out.append(join_tree_definition(rng, "j6"))
    return out, helper


def statement(rng):
    """One random write."""
    k = rng.randint(1, 14)
    r = rng.random()
    if r < 0.30:
        col, vals = rng.choice([("a", [str(rng.randint(0, 12)), "NULL"]), ("b", ["1", "2", "NULL"]),
                                ("n", NUMERICS), ("f", FLOATS), ("d", DATES), ("t", TEXTS),
                                ("fk1", ["1", "2", "3", "6", "NULL"]), ("fk2", ["1", "2", "NULL"]),
                                ("ts", TIMESTAMPS)])
        where = rng.choice([f"pk = {k}", f"pk = {k}", f"a > {rng.randint(0, 12)}", "pk IN (1, 2, 3)"])
        return f"UPDATE fzs.root SET {col} = {rng.choice(vals)} WHERE {where}"
    if r < 0.36:
        return root_insert(rng, k) + rng.choice([" ON CONFLICT DO NOTHING",
                                                 " ON CONFLICT (pk) DO UPDATE SET a = excluded.a, f = excluded.f"])
    if r < 0.40:
        return rng.choice([f"DELETE FROM fzs.root WHERE pk = {k}",
                           f"UPDATE fzs.root SET pk = pk + 100 WHERE pk = {k}",
                           f"UPDATE fzs.root SET pk = pk - 100 WHERE pk = {k + 100}"])
    if r < 0.58:
        col, vals = rng.choice([("v", ["1", "5", "7", "NULL"]), ("w", TEXTS), ("lang", LANGS),
                                ("f", FLOATS), ("ok", BOOLS), ("m", AMOUNTS),
                                ("fk", [str(rng.randint(1, 14))])])
        return f"UPDATE fzs.child SET {col} = {rng.choice(vals)} WHERE pk = {rng.randint(1, 30)}"
    if r < 0.64:
        return child_insert(rng, rng.randint(1, 30)) + " ON CONFLICT DO NOTHING"
    if r < 0.68:
        if rng.random() < 0.25:
            # COPY reaches the statement triggers like any INSERT.
            rows = " ".join(f"{pk},{rng.randint(1, 14)},{rng.choice(['1', '5', ''])},{rng.choice(['en', 'fr', ''])}"
                            for pk in rng.sample(range(26, 41), rng.randint(1, 3)))
            return (f"COPY fzs.child (pk, fk, v, lang) FROM PROGRAM 'printf \"%s\\n\" {rows}' "
                    f"WITH (FORMAT csv)")
        return f"DELETE FROM fzs.child WHERE pk = {rng.randint(1, 30)}"
    if r < 0.70:
        pk = rng.randint(1, 30)
        return (f"MERGE INTO fzs.child c USING (VALUES ({pk}, {rng.randint(1, 14)}, {rng.choice(['1', '5', 'NULL'])}::int)) "
                f"AS s(pk, fk, v) ON c.pk = s.pk WHEN MATCHED AND s.v IS NULL THEN DELETE "
                f"WHEN MATCHED THEN UPDATE SET v = s.v, fk = s.fk "
                f"WHEN NOT MATCHED THEN INSERT (pk, fk, v) VALUES (s.pk, s.fk, s.v)")
    if r < 0.82:
        col, vals = rng.choice([("name", TEXTS), ("x", [str(rng.randint(0, 9))]), ("grp", ["1", "2", "NULL"]),
                                ("fk3", ["1", "2", "9", "NULL"]), ("pk", [str(rng.randint(1, 9))])])
        return f"UPDATE fzs.lk1 SET {col} = {rng.choice(vals)} WHERE pk = {rng.randint(1, 8)}"
    if r < 0.85:
        return rng.choice([f"INSERT INTO fzs.lk1 VALUES ({rng.randint(1, 8)}, 1, 3, 'new', 1) ON CONFLICT DO NOTHING",
                           f"DELETE FROM fzs.lk1 WHERE pk = {rng.randint(1, 8)}"])
    if r < 0.89:
        return rng.choice([f"UPDATE fzs.lk3 SET title = {rng.choice(TEXTS)} WHERE pk = {rng.randint(1, 4)}",
                           f"UPDATE fzs.lk3 SET fk4 = {rng.choice(['1', '2', '5', 'NULL'])} WHERE pk = {rng.randint(1, 4)}",
                           f"UPDATE fzs.lk4 SET tag = {rng.choice(TEXTS)} WHERE pk = {rng.randint(1, 3)}",
                           f"DELETE FROM fzs.lk4 WHERE pk = {rng.randint(1, 3)}"])
    if r < 0.92:
        return rng.choice([f"UPDATE fzs.lk2 SET label = {rng.choice(TEXTS)} WHERE pk = {rng.randint(1, 4)}",
                           f"UPDATE fzs.lk2 SET lang = {rng.choice(LANGS)} WHERE pk = {rng.randint(1, 4)}"])
    if r < 0.95:
        return rng.choice([f"UPDATE fzs.band SET label = {rng.choice(TEXTS)} WHERE pk = {rng.randint(1, 3)}",
                           f"UPDATE fzs.band SET lo = {rng.randint(0, 6)} WHERE pk = 2",
                           "TRUNCATE fzs.band",
                           "INSERT INTO fzs.band VALUES (1, 0, 4, 'low'), (2, 4, 8, 'mid') ON CONFLICT DO NOTHING"])
    if r < 0.99:
        lang = rng.choice(["'en'", "'fr'"])
        return rng.choice([f"UPDATE fzs.tr SET title = {rng.choice(TEXTS)} WHERE fk = {k} AND lang = {lang}",
                           f"INSERT INTO fzs.tr VALUES ({k}, {lang}, {rng.choice(TEXTS)}) ON CONFLICT DO NOTHING",
                           f"DELETE FROM fzs.tr WHERE fk = {k} AND lang = {lang}"])
    return rng.choice(["TRUNCATE fzs.child", "DELETE FROM fzs.root WHERE a > 10"])


def batches(rng, n):
    out = []
    for _ in range(n):
        stmts = []
        if rng.random() < 0.3:
            stmts.append(rng.choice(SETTINGS))
        stmts += [statement(rng) for _ in range(rng.randint(1, 4))]
        out.append((stmts, rng.random() < 0.5))
    return out


def dollar(s):
    tag = "$q$"
    while tag in s:
        tag = "$q" + tag[2:-1] + "x$"
    return f"{tag}{s}{tag}"


def case_script(data, defs, helper, batch_list):
    """The SQL the harness runs for one case."""
    lines = ["\\set VERBOSITY sqlstate", "SET client_min_messages = error;", SCHEMA]
    lines += [s + ";" for s in data]
    if helper:
        lines.append("CREATE VIEW fzs.v_lk1 AS SELECT pk, grp, x, name, fk3 FROM fzs.lk1;")
    for d in defs:
        key = f", '{d.key}'" if d.key else ""
        lines.append(f"SELECT fz.create({dollar('fzs.' + d.name)}, {dollar(d.sql)}, '{d.mode}'{key});")
    lines.append("SELECT fz.check(0);")
    for i, (stmts, flush) in enumerate(batch_list, start=1):
        arr = ", ".join(dollar(s) for s in stmts)
        lines.append(f"SELECT fz.run({i}, ARRAY[{arr}]::text[], {'true' if flush else 'false'});")
        lines.append(f"SELECT fz.check({i});")
    lines.append("\\echo @@RESULT")
    lines.append("SELECT kind || '|' || batch || '|' || coalesce(sqlstate, '') || '|' || detail "
                 "FROM fz.log ORDER BY batch, kind;")
    return "\n".join(lines) + "\n"


def repro_script(data, defs, helper, batch_list):
    """The same case as plain SQL, for a golden test: each batch a transaction."""
    lines = ["-- Found by the definition fuzzer (tests/fuzz_definitions/fuzz.py).",
             "CREATE EXTENSION IF NOT EXISTS pg_tviews;", SCHEMA]
    lines += [s + ";" for s in data]
    if helper:
        lines.append("CREATE VIEW fzs.v_lk1 AS SELECT pk, grp, x, name, fk3 FROM fzs.lk1;")
    for d in defs:
        if d.key and "," in d.key:
            key = "key => ARRAY[" + ", ".join(f"'{k}'" for k in d.key.split(",")) + "], "
        else:
            key = f"key => '{d.key}', " if d.key else ""
        lines.append(f"SELECT pg_tviews_create({dollar('fzs.' + d.name)}, {dollar(d.sql)}, {key}mode => '{d.mode}');")
    for stmts, flush in batch_list:
        lines.append("BEGIN;")
        lines += [s + ";" for s in stmts]
        if flush:
            lines.append("SELECT pg_tviews_flush();")
        lines.append("COMMIT;")
    for d in defs:
        lines.append(f"SELECT * FROM pg_tviews_check('fzs.{d.name}');")
    return "\n".join(lines) + "\n"


class Runner:
    def __init__(self, args):
        self.args = args
        self.env = dict(os.environ, PGHOST=args.host, PGPORT=str(args.port), PGUSER=args.user)

    def psql(self, db, script, timeout=300):
        try:
            p = subprocess.run([self.args.psql, "-X", "-q", "-A", "-t", "-d", db],
                               input=script, capture_output=True, text=True, env=self.env,
                               timeout=timeout)
            return p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            return "", "TIMEOUT"

    def setup_template(self):
        harness = open(os.path.join(HERE, "harness.sql")).read()
        self.psql("postgres", "DROP DATABASE IF EXISTS fz_template;\nCREATE DATABASE fz_template;\n")
        out, err = self.psql("fz_template", "CREATE EXTENSION pg_tviews;\n" + harness)
        if "ERROR" in err:
            sys.stderr.write(err)
            sys.exit(2)

    def run_case(self, script):
        """(failure kind or None, detail, counts) for one case script."""
        self.psql("postgres", "DROP DATABASE IF EXISTS fz_case;\nCREATE DATABASE fz_case TEMPLATE fz_template;\n")
        out, err = self.psql("fz_case", script)
        if "TIMEOUT" in err:
            return "timeout", "the case ran longer than 300 s", {}
        if "server closed the connection" in err or "connection to server" in err:
            return "crash", err.strip()[-400:], {}
        counts = {"refused": 0, "error": 0, "mismatch": 0, "internal": 0}
        failure, detail = None, ""
        for line in err.splitlines():
            # Errors that escaped the harness: a COMMIT that failed (deferred work).
            if line.startswith("ERROR:") and "XX" in line:
                failure, detail = "internal", line
        if "@@RESULT" not in out:
            return failure or "harness", (err.strip()[-400:] or "no result"), counts
        for line in out.split("@@RESULT", 1)[1].splitlines():
            if not line.strip():
                continue
            kind, batch, state, text = (line.split("|", 3) + ["", "", ""])[:4]
            counts[kind] = counts.get(kind, 0) + 1
            if kind in ("mismatch", "internal") and failure is None:
                failure, detail = kind, f"batch {batch}: {state} {text}"
        return failure, detail, counts


def shrink(runner, kind, data, defs, helper, batch_list, deadline):
    """Drop batches, statements and TVIEWs while the same kind of failure remains."""
    def fails(d, b):
        if time.time() > deadline:
            return False
        k, _, _ = runner.run_case(case_script(data, d, helper, b))
        return k == kind

    changed = True
    while changed and time.time() < deadline:
        changed = False
        # Whole batches, from the end (later batches rarely matter).
        i = len(batch_list) - 1
        while i >= 0 and time.time() < deadline:
            cand = batch_list[:i] + batch_list[i + 1:]
            if cand and fails(defs, cand):
                batch_list, changed = cand, True
            i -= 1
        # Single statements.
        for bi in range(len(batch_list)):
            stmts, flush = batch_list[bi]
            si = len(stmts) - 1
            while si >= 0 and len(stmts) > 1 and time.time() < deadline:
                cand_stmts = stmts[:si] + stmts[si + 1:]
                cand = batch_list[:bi] + [(cand_stmts, flush)] + batch_list[bi + 1:]
                if fails(defs, cand):
                    batch_list, stmts, changed = cand, cand_stmts, True
                si -= 1
        # Whole TVIEWs (those no other one reads).
        for d in list(defs):
            if len(defs) > 1 and not any(f"tv_{d.name}" in o.sql for o in defs if o is not d):
                cand = [o for o in defs if o is not d]
                if fails(cand, batch_list):
                    defs, changed = cand, True
    return defs, batch_list


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--psql", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seconds", type=int, default=0, help="stop after this long (0: run all cases)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--out", default="target/fuzz-definitions")
    ap.add_argument("--shrink-seconds", type=int, default=180)
    args = ap.parse_args()

    runner = Runner(args)
    runner.setup_template()
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    totals = {"cases": 0, "tviews": 0, "refused": 0, "error": 0, "batches": 0}
    failures = []
    case = 0
    while case < args.cases or args.seconds:
        if args.seconds and time.time() - start > args.seconds:
            break
        if not args.seconds and case >= args.cases:
            break
        rng = random.Random(args.seed * 1_000_003 + case)
        data = initial_data(rng)
        defs, helper = definitions(rng)
        batch_list = batches(rng, args.batches)
        kind, detail, counts = runner.run_case(case_script(data, defs, helper, batch_list))
        totals["cases"] += 1
        totals["tviews"] += len(defs) - counts.get("refused", 0)
        totals["refused"] += counts.get("refused", 0)
        totals["error"] += counts.get("error", 0)
        totals["batches"] += len(batch_list)
        if kind:
            print(f"case {case} (seed {args.seed}): {kind}: {detail}", flush=True)
            sdefs, sbatches = shrink(runner, kind, data, defs, helper, batch_list,
                                     time.time() + args.shrink_seconds)
            path = os.path.join(args.out, f"failure-seed{args.seed}-case{case}.sql")
            with open(path, "w") as f:
                f.write(f"-- {kind}: {detail}\n")
                f.write(repro_script(data, sdefs, helper, sbatches))
            print(f"  shrunk to {len(sdefs)} TVIEW(s), {len(sbatches)} batch(es): {path}", flush=True)
            failures.append(path)
        case += 1
        if case % 10 == 0:
            print(f"  {case} cases, {len(failures)} failures ({int(time.time() - start)} s)", flush=True)
    runner.psql("postgres", "DROP DATABASE IF EXISTS fz_case;\nDROP DATABASE IF EXISTS fz_template;\n")
    print(f"definition fuzzer: {totals['cases']} cases, {totals['tviews']} TVIEWs created, "
          f"{totals['refused']} refused at creation, {totals['batches']} batches, "
          f"{totals['error']} writes refused with an error, {len(failures)} failures "
          f"({int(time.time() - start)} s, seed {args.seed})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
