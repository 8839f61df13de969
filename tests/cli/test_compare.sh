#!/bin/sh
# `offsim compare` on a tiny training (PPO, 300 decisions, training seeds 1
# and 2 of tests/data/sim/rl.yaml) and 3 evaluation seeds of 10 s: the
# table has a row for each checkpoint, every fixed policy of the registry,
# the oracle, the best constant action and the bound, the paired rows with
# verdicts and the agent pooled over its training seeds; every point is one
# run of one experiment in the database; the oracle's runs record the bound
# the table shows; run again, nothing runs (the oracle neither) and the
# table is the same; without recorded bounds, only the oracle runs again
# for those seeds, to the same table; report shows the bounds; bad usage (no checkpoint, a missing one, a file that is
# not one, an unknown flag, too few seeds, a bad --set) exits 2 and writes
# no database.
test_name=compare
. "$(dirname "$0")/shell_lib.sh"
scn=$root/tests/data/sim/rl.yaml
check() { # $1 what, then the command (stdout+stderr into $work/out)
    what=$1
    shift
    "$@" >"$work/out" 2>&1
}
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; failed=1; }

nice "$bin" train "$scn" --steps 300 --seeds 1..2 --jobs 2 --out "$work/a.ckpt" \
    --db "$work/t.db" --quiet >"$work/out" 2>&1 || fail "training exited $?"
[ -f "$work/a.seed1.ckpt" ] && [ -f "$work/a.seed2.ckpt" ] || fail "no checkpoints"

run_compare() {
    nice "$bin" compare "$scn" -c "$work/a.seed1.ckpt" --checkpoint "$work/a.seed2.ckpt" \
        --seeds 3 --jobs 2 --db "$work/c.db" --set duration=10s "$@"
}
check "compare" run_compare >/dev/null
rc=$?
[ $rc = 0 ] || fail "compare exited $rc"
for row in "a.seed1.ckpt (ppo)" "a.seed2.ckpt (ppo)" local edge random neurosurgeon edgent \
    branchynet dyno "oracle (objective: reward)" "best constant: exit" \
    "reward bound (oracle, per task)" "pooled $work/a.ckpt (2 training seeds)"; do
    grep -q "^  $row\|^  $work/$row" "$work/out" || fail "no row '$row'"
done
grep -q "best fixed policy: [a-z]*; best constant action (highest mean of 29): exit" "$work/out" ||
    fail "no best fixed policy / constant line"
# the pooled agent: a mean-reward row and a paired row
n=$(grep -c "^  pooled $work/a.ckpt (2 training seeds) " "$work/out")
[ "$n" = 2 ] || fail "$n pooled rows, expected 2"
# each checkpoint's two paired differences carry a verdict
n=$(grep -c "ckpt (ppo) .*\] \(better\|not shown\|worse\) .*\] \(better\|not shown\|worse\)$" "$work/out")
[ "$n" = 2 ] || fail "$n paired rows with verdicts, expected 2"
# random scores 0 and the reward bound is the reference of the scores
grep -q "^  random  .* 0.000$" "$work/out" || fail "random's normalised score is not 0"
# the reward bound is the reference: no row's mean above it, no normalised
# score above 1 (the figures are deterministic; with Poisson tasks and a
# loaded server the bound is the approximation of docs/rl.md, "The reward
# bound", so a row above it means a broken bound or a policy that keeps
# shorter queues than the oracle: either needs a look)
awk '/^  reward bound/ { b = $NF }
     /^  / && $0 ~ /\[/ { for (i = 2; i <= NF; i++) if ($i ~ /^\[/) m[++n] = $(i - 1) + 0
                          if ($NF + 0 > 1.0005) over = over " " $NF }
     END { if (b == "" || n < 10) { print "no bound or rows"; exit 1 }
           for (i = 1; i <= n; i++) if (m[i] > b + 0) { print "mean " m[i] " > bound " b; exit 1 }
           if (over != "") { print "normalised above 1:" over; exit 1 } }' "$work/out" >"$work/bound" ||
    fail "the bound: $(cat "$work/bound")"
cp "$work/out" "$work/first"
# the bound is recorded by the oracle's runs (one per seed, no other run
# has one) and the table's bound is their mean
n=$(sqlite3 "$work/c.db" "SELECT count(*) FROM summary s JOIN runs r USING (run_id)
    WHERE s.reward_bound IS NOT NULL AND r.policy = 'oracle' AND s.bound_tasks > 0")
[ "$n" = 3 ] || fail "$n oracle runs with a bound, expected 3"
n=$(sqlite3 "$work/c.db" "SELECT count(*) FROM summary WHERE reward_bound IS NOT NULL")
[ "$n" = 3 ] || fail "$n runs with a bound, expected 3 (the oracle's)"
b=$(sqlite3 "$work/c.db" "SELECT printf('%.4f', avg(reward_bound)) FROM summary")
grep -q "^  reward bound (oracle, per task) *$b$" "$work/out" || fail "the table's bound is not $b"
grep -q "reward bound: as the oracle's runs recorded it" "$work/out" ||
    fail "the bound was not read from the database"
# 2 checkpoints + 7 fixed + oracle + 29 constants = 39 policies x 3 seeds
n=$(sqlite3 "$work/c.db" "SELECT count(*) FROM runs WHERE status = 'ok'")
[ "$n" = 117 ] || fail "$n ok runs, expected 117"
n=$(sqlite3 "$work/c.db" "SELECT count(DISTINCT experiment_id) FROM runs")
[ "$n" = 1 ] || fail "$n experiments, expected 1"
n=$(sqlite3 "$work/c.db" "SELECT count(DISTINCT seed) FROM runs WHERE seed NOT IN (1, 2, 3)")
[ "$n" = 0 ] || fail "runs on seeds other than 1..3"

# again: nothing runs, the same table
check "again" run_compare >/dev/null || fail "second compare exited $?"
grep -q "117 of 117 points already done, running 0" "$work/out" || fail "the second compare ran points"
sed -n '/^rl-compare:/,$p' "$work/first" >"$work/t1"
sed -n '/^rl-compare:/,$p' "$work/out" >"$work/t2"
cmp -s "$work/t1" "$work/t2" || fail "the table changed on a second compare"
n=$(sqlite3 "$work/c.db" "SELECT count(*) FROM runs")
[ "$n" = 117 ] || fail "$n runs after the second compare, expected 117"
grep -q "running the oracle again" "$work/out" && fail "the second compare ran the oracle again"

# runs recorded without the bound (an older offsim's): only the oracle is
# run again, in the process, for those seeds; the same table, no new run
sqlite3 "$work/c.db" "UPDATE summary SET reward_bound = NULL, bound_tasks = NULL
    WHERE run_id IN (SELECT run_id FROM runs WHERE seed != 1)"
check "no bound" run_compare >/dev/null || fail "compare without the bound exited $?"
grep -q "running the oracle again on the 2 seeds whose run did not record it" "$work/out" ||
    fail "the oracle was not run again for the 2 seeds without a bound"
sed -n '/^rl-compare:/,$p' "$work/out" >"$work/t3"
cmp -s "$work/t1" "$work/t3" || fail "the table changed when the bound was computed again"
n=$(sqlite3 "$work/c.db" "SELECT count(*) FROM runs")
[ "$n" = 117 ] || fail "$n runs after computing the bound again, expected 117"

# report shows the oracle's bound, and an n/a (never nan) for its runs
# without one
"$bin" report "$work/c.db" >"$work/out" 2>&1 || fail "report exited $?"
n=$(grep -c "^    bound      0\.[0-9]* per task (the oracle's reward bound" "$work/out")
[ "$n" = 1 ] || fail "$n runs with a bound in the report, expected 1"
n=$(grep -c "^    bound      n/a" "$work/out")
[ "$n" = 2 ] || fail "$n oracle runs with an n/a bound in the report, expected 2"
grep -qi "nan" "$work/out" && fail "report prints nan"

# --constants lists every constant action
check "constants" run_compare --constants --quiet
[ "$(grep -c '^  exit [0-9], split' "$work/out")" = 29 ] || fail "--constants: not 29 rows"

# bad usage: exit 2, no database
for args in "" "-c $work/none.ckpt" "-c $work/t.db" "-c $work/a.seed1.ckpt --bogus" \
    "-c $work/a.seed1.ckpt --seeds 1" "-c $work/a.seed1.ckpt --set devices.0.cont=2"; do
    # shellcheck disable=SC2086
    "$bin" compare "$scn" $args --db "$work/bad.db" >"$work/out" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "compare $args exited $rc, expected 2"
    [ -e "$work/bad.db" ] && fail "compare $args wrote a database"
done
"$bin" compare "$scn" -c "$work/none.ckpt" >"$work/out" 2>&1
grep -q "none.ckpt" "$work/out" || fail "a missing checkpoint is not named"
"$bin" compare --help | grep -q "held-out evaluation seeds 1..N" || fail "no --help"

exit $failed
