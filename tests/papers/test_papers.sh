#!/bin/sh
# Every paper experiment of scenarios/papers/NAME/ at its --quick size (what
# CI runs): the sweep, its figures and its claims; a claim that fails fails
# the test (`offsim check` exits 1).  The SAC/PPO experiment first trains its
# agents with train.sh --quick.  One experiment is run again with --jobs 1:
# its claims table must be the same, whatever the number of workers.
# Skipped (77) when this offsim has no `check` (the claims engine).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${OFFSIM_BIN:-$root/build/offsim}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
if ! "$bin" check --help >/dev/null 2>&1; then
    echo "offsim has no 'check' command (the claims engine): skipped"
    exit 77
fi
command -v gnuplot >/dev/null 2>&1 || { echo "gnuplot not on PATH: skipped"; exit 77; }
mkdir -p "${OFFSIM_TMP:-/tmp}"
work=$(mktemp -d "${OFFSIM_TMP:-/tmp}/offsim-papers.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/out" ] && cat "$work/out" >&2; exit 1; }

# The checkpoints of train.sh are relative to the directory the sweep runs
# in: the work folder, not the source tree.
cd "$work" || fail "cd $work"
papers="neurosurgeon edgent branchynet dyno sac-coinference"
for p in $papers; do
    exp=$root/scenarios/papers/$p/experiment.yaml
    [ -f "$exp" ] || fail "$exp missing"
    t0=$(date +%s)
    if [ -f "$root/scenarios/papers/$p/train.sh" ]; then
        sh "$root/scenarios/papers/$p/train.sh" --quick "$bin" >"$work/out" 2>&1 ||
            fail "$p: train.sh --quick exited $?"
    fi
    "$bin" sweep "$exp" --quick --jobs 2 --db "$work/$p.db" >"$work/out" 2>&1
    rc=$?
    [ $rc = 0 ] || fail "$p: offsim sweep --quick exited $rc"
    "$bin" check "$exp" --quick --db "$work/$p.db" >"$work/out" 2>&1
    rc=$?
    [ $rc = 0 ] || fail "$p: a claim does not hold (offsim check exited $rc)"
    [ -s "$work/$p-figures/claims.md" ] || fail "$p: no $p-figures/claims.md"
    echo "== $p ($(($(date +%s) - t0)) s)"
    cat "$work/out"
done

# The neurosurgeon sweeps the model file: its claims show it by its base
# name, as its figures do ("model=alexnet", "vgg16: 21 -> ..."), never as
# the path written in the experiment.
ns=$work/neurosurgeon-figures/claims.md
grep -q 'models/zoo\|\.yaml' "$ns" && fail "neurosurgeon: a model path in $ns"
grep -q 'model=alexnet' "$ns" && grep -q 'vgg16: ' "$ns" ||
    fail "neurosurgeon: no model base name in $ns"

# Deterministic across --jobs: the same claims, the same figures' data.
"$bin" sweep "$root/scenarios/papers/edgent/experiment.yaml" --quick --jobs 1 \
    --db "$work/edgent-1.db" --no-figures >"$work/out" 2>&1 || fail "edgent --jobs 1: exit $?"
"$bin" check "$root/scenarios/papers/edgent/experiment.yaml" --quick --db "$work/edgent-1.db" \
    >"$work/check-1" 2>&1 || fail "edgent --jobs 1: a claim does not hold"
"$bin" check "$root/scenarios/papers/edgent/experiment.yaml" --quick --db "$work/edgent.db" \
    >"$work/check-2" 2>&1 || fail "edgent: a claim does not hold"
sed "s|$work/edgent-1|DB|g" "$work/check-1" >"$work/c1"
sed "s|$work/edgent|DB|g" "$work/check-2" >"$work/c2"
cmp -s "$work/c1" "$work/c2" || { diff "$work/c1" "$work/c2" >&2; fail "edgent: claims differ between --jobs 1 and 2"; }
echo "ok"
