#!/bin/sh
# An experiment's `figures:` drawn by `offsim sweep`: each format written
# beside the database, non-empty, with its format's signature, also when
# every point was already done; a bad figure key an error with its position
# (exit 2) before anything runs, the database not created; --no-figures.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${OFFSIM_BIN:-$root/build/offsim}
data=$root/tests/experiments/data
command -v gnuplot >/dev/null 2>&1 || { echo "gnuplot not on PATH: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/offsim-figures.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/out" ] && cat "$work/out" >&2; exit 1; }

# The first bytes of $1 must be $2.
signature() {
    [ -s "$1" ] || fail "$1 missing or empty"
    n=$(printf %s "$2" | wc -c)
    [ "$(head -c "$n" "$1")" = "$2" ] || fail "$1 does not start with '$2'"
}

"$bin" sweep "$data/figures.yaml" --db "$work/s.db" --jobs 2 >"$work/out" 2>&1 ||
    fail "sweep exited $?"
figs=$work/s-figures
for f in latency.png energy-diff.png edge-only.png energy-latency.png; do
    signature "$figs/$f" "$(printf '\211PNG')"
done
signature "$figs/latency.pdf" "%PDF"
signature "$figs/energy-diff.pdf" "%PDF"
[ ! -e "$figs/edge-only.pdf" ] || fail "edge-only.pdf drawn, format: png only"
grep -q "<svg" "$figs/latency.svg" || fail "latency.svg has no <svg"
[ "$(grep -c "^wrote $figs/" "$work/out")" = 7 ] || fail "expected 7 'wrote' lines"

# All points done: nothing runs, the figures are drawn again.
rm -rf "$figs"
"$bin" sweep "$data/figures.yaml" --db "$work/s.db" >"$work/out" 2>&1 || fail "re-run exited $?"
grep -q "8 already done, 0 run" "$work/out" || fail "the re-run ran points"
signature "$figs/latency.png" "$(printf '\211PNG')"

# --no-figures draws none.
rm -rf "$figs"
"$bin" sweep "$data/figures.yaml" --db "$work/s.db" --no-figures >"$work/out" 2>&1 ||
    fail "--no-figures exited $?"
[ ! -e "$figs" ] || fail "--no-figures drew figures"

# Bad figures: exit 2 with the position, before anything runs.
bad() { # $1: sed expression applied to figures.yaml, $2: expected message
    sed "$1" "$data/figures.yaml" >"$work/bad.yaml"
    cp "$data/tiny.yaml" "$work/tiny.yaml"
    "$bin" sweep "$work/bad.yaml" --db "$work/bad.db" >"$work/out" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "'$1': exit $rc, expected 2"
    grep -qF "$2" "$work/out" || fail "'$1': no '$2' in the message"
    [ ! -e "$work/bad.db" ] || fail "'$1': the database was created"
}
bad 's/    logx: true/    logz: true/' \
    "bad.yaml:14:5: unknown key 'logz' in figures[0] (did you mean 'logx'?)"
bad 's/    by: policy/    by: polcy/' "bad.yaml:13:9: unknown figures[0].by axis 'polcy' (did you mean 'policy'?)"
bad 's/y: energy,/y: enrgy,/' "bad.yaml:16:58: figures[1].y: unknown metric 'enrgy'"
bad 's/baseline: policy=local/baseline: seed=1/' "the baseline's axis must be the figure's 'by'"
bad 's/format: \[png, pdf, svg\]/format: [png, jpg]/' "unknown figures[0].format 'jpg'"
bad "s/policy == 'edge'/policy == 'cloud'/" "figures[2].where: 'policy == 'cloud'' keeps no point"
bad "s/policy == 'edge'/polcy == 'edge'/" "bad.yaml:18:61: filter: unknown axis 'polcy'"
bad 's/x: latency, along/x: latncy, along/' "figures[3].x metric: unknown metric 'latncy'"
bad 's/along: devices.phone.uplink.rate, y: energy, by: policy,/&  baseline: policy=local,/' \
    "a figure with a metric on x (along:) has no baseline"
echo "ok"
