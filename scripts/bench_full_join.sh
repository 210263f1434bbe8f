#!/usr/bin/env bash
# What a change costs a TVIEW over a FULL JOIN of two tables, against the same change bare:
#
#   scripts/bench_full_join.sh [--transactions N] [--third | --grouped]
#
# 20,000 posts over 1,200 labels and 5,000 tags over 1,100 labels (200 labels of each side
# that the other lacks), `SELECT p.pk_post, t.pk_tag, jsonb_build_object(...) AS data FROM
# tb_post p FULL JOIN tb_tag t ON t.label = p.label`: about 80,000 rows, a few thousand of
# them unmatched. One pgbench client runs N one-statement transactions (default 2000) of each
# change (a tag renamed, a post moved to another label, a tag moved to another label, each
# sometimes to or from a label the other side lacks), on the TVIEW's tables and on copies
# no TVIEW reads, in immediate then deferred mode; prints the average latency in ms and
# checks the TVIEW against its definition. Release build, throwaway cluster.
#
# --third: a third table beside the FULL JOIN, 10,000 notes on tags (`... LEFT JOIN tb_note n
# ON n.fk_tag = t.pk_tag`, the note's key in the TVIEW's key: no table is in every row), and
# one more change, a note moved to another tag.
#
# --grouped: the posts grouped by tag over the same FULL JOIN (`GROUP BY t.pk_tag`: a tag's
# posts, and one group of NULL for the posts whose label no tag has), the same changes. A
# post's change finds its own group through the join; a tag's change also recomputes the
# NULL group (the tag's posts may be left without one), which reads the join whole.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

N=2000
THIRD=0
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) N=${2:?}; shift 2 ;;
        --third) THIRD=1; shift ;;
        --grouped) THIRD=2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] || die "--transactions takes a number"

prepare_flavor release
WORK=$(mktemp -d /tmp/pg_tviews-fullj.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -q <<'SQL'
CREATE EXTENSION pg_tviews CASCADE;
CREATE TABLE tb_post (pk_post int PRIMARY KEY, label text, title text);
CREATE TABLE tb_tag (pk_tag int PRIMARY KEY, label text, name text);
CREATE INDEX ON tb_post (label);
CREATE INDEX ON tb_tag (label);
INSERT INTO tb_post SELECT g, 'l' || g % 1200, 'post ' || g FROM generate_series(1, 20000) g;
INSERT INTO tb_tag SELECT g, 'l' || (200 + g % 1100), 'tag ' || g FROM generate_series(1, 5000) g;
CREATE TABLE bare_post (LIKE tb_post INCLUDING ALL);
CREATE TABLE bare_tag (LIKE tb_tag INCLUDING ALL);
INSERT INTO bare_post SELECT * FROM tb_post;
INSERT INTO bare_tag SELECT * FROM tb_tag;
ANALYZE;
CREATE TABLE tb_note (pk_note int PRIMARY KEY, fk_tag int, body text);
CREATE INDEX ON tb_note (fk_tag);
INSERT INTO tb_note SELECT g, 1 + g % 5000, 'note ' || g FROM generate_series(1, 10000) g;
CREATE TABLE bare_note (LIKE tb_note INCLUDING ALL);
INSERT INTO bare_note SELECT * FROM tb_note;
ANALYZE;
SQL
if [ "$THIRD" = 1 ]; then
    pg -d postgres -q <<'SQL'
SELECT pg_tviews_create('either', $$SELECT p.pk_post, t.pk_tag, n.pk_note,
    jsonb_build_object('post', p.title, 'tag', t.name, 'note', n.body) AS data
  FROM tb_post p FULL JOIN tb_tag t ON t.label = p.label LEFT JOIN tb_note n ON n.fk_tag = t.pk_tag$$);
SQL
    CHANGES="rename move_post move_tag move_note"
elif [ "$THIRD" = 2 ]; then
    pg -d postgres -q <<'SQL'
SELECT pg_tviews_create('grouped', $$SELECT t.pk_tag, max(t.name) AS name, count(p.pk_post) AS posts,
    jsonb_agg(p.title ORDER BY p.pk_post) AS titles
  FROM tb_tag t FULL JOIN tb_post p ON p.label = t.label GROUP BY t.pk_tag$$);
SQL
    say "$(pg -d postgres -Atc "SELECT format('%s groups, %s posts in the NULL group', count(*), sum(posts) FILTER (WHERE pk_tag IS NULL)) FROM tv_grouped")"
    CHANGES="rename move_post move_tag"
else
    pg -d postgres -q <<'SQL'
SELECT pg_tviews_create('either', $$SELECT p.pk_post, t.pk_tag,
    jsonb_build_object('post', p.title, 'tag', t.name) AS data
  FROM tb_post p FULL JOIN tb_tag t ON t.label = p.label$$);
SQL
    CHANGES="rename move_post move_tag"
fi
TV=either
[ "$THIRD" = 2 ] && TV=grouped
[ "$TV" = either ] && say "$(pg -d postgres -Atc "SELECT format('%s rows, %s posts and %s tags unmatched', count(*), count(*) FILTER (WHERE pk_tag IS NULL), count(*) FILTER (WHERE pk_post IS NULL)) FROM tv_either")"
for side in tb bare; do
    printf '\\set r random(1, 5000)\nUPDATE %s_tag SET name = %s WHERE pk_tag = :r;\n' \
        "$side" "'tag ' || :r || 'x'" >"$WORK/rename_$side.sql"
    printf '\\set r random(1, 20000)\n\\set l random(0, 1199)\nUPDATE %s_post SET label = %s WHERE pk_post = :r;\n' \
        "$side" "'l' || :l" >"$WORK/move_post_$side.sql"
    printf '\\set r random(1, 5000)\n\\set l random(200, 1399)\nUPDATE %s_tag SET label = %s WHERE pk_tag = :r;\n' \
        "$side" "'l' || :l" >"$WORK/move_tag_$side.sql"
    printf '\\set r random(1, 10000)\n\\set t random(1, 5000)\nUPDATE %s_note SET fk_tag = :t WHERE pk_note = :r;\n' \
        "$side" >"$WORK/move_note_$side.sql"
done
for mode in immediate deferred; do
    pg -d postgres -q -c "SELECT pg_tviews_set_mode('$TV', '$mode')" >/dev/null
    say "$mode mode: average latency in ms, 1 client, $N transactions each (bare / TVIEW)"
    for change in $CHANGES; do
        line="$change:"
        for side in bare tb; do
            line="$line $("$PG_BIN/pgbench" -n -t "$N" -f "$WORK/${change}_$side.sql" postgres 2>&1 |
                sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')"
        done
        echo "$line"
    done
done
[ "$(pg -d postgres -Atc "SELECT count(*) FROM pg_tviews_check('$TV')")" = 0 ] || die "tv_$TV differs from its definition"
say "tv_$TV equals its definition"
