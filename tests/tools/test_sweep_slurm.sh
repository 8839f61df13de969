#!/bin/sh
# offsim sweep through a real one-node Slurm (tools/slurm-local.sh): the
# experiment submitted with `offsim sweep --slurm --submit` as a job array of
# shards and a merge job depending on it (afterok); once both ended, the
# merged database must equal the one `offsim sweep --jobs 1` writes (every
# table dumped without the wall-clock, host and build columns).
#
# Exit status: 0 passed; 77 skipped where this machine cannot run slurmd
# (the reason is printed); anything else a real failure.  The cluster is
# stopped on every exit.  Its own directory and ports, so that it does not
# meet the cluster of tests/tools/test_slurm_local.sh.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
slurm_local=${OFFSIM_SLURM_LOCAL:-$root/tools/slurm-local.sh}
bin=${OFFSIM_BIN:-$root/build/offsim}
OFFSIM_SLURM_DIR=${OFFSIM_SLURM_DIR:-/tmp/offsim-slurm-sweep}
OFFSIM_SLURMCTLD_PORT=${OFFSIM_SLURMCTLD_PORT:-6827}
OFFSIM_SLURMD_PORT=${OFFSIM_SLURMD_PORT:-6828}
OFFSIM_SLURM_TIMEOUT=${OFFSIM_SLURM_TIMEOUT:-30}
export OFFSIM_SLURM_DIR OFFSIM_SLURMCTLD_PORT OFFSIM_SLURMD_PORT OFFSIM_SLURM_TIMEOUT
work=$(mktemp -d "${TMPDIR:-/tmp}/offsim-sweep-slurm.XXXXXX")
started=0

# On every exit: the cluster stopped (if this test started it), the work
# folder removed, the exit status kept.
on_exit() {
    rc=$?
    [ $started = 0 ] || "$slurm_local" stop >/dev/null 2>&1 || echo "slurm-local stop failed" >&2
    rm -rf "$work"
    exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# fail MESSAGE: print it with the tail of each job's output, exit 1.
fail() {
    echo "FAIL: $*" >&2
    for log in "$work"/out.db.slurm/*.out; do
        if [ -f "$log" ]; then echo "--- $log" >&2; tail -n 20 "$log" >&2; fi
    done
    exit 1
}

command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 command to dump the databases" >&2; exit 77; }
[ -x "$bin" ] || fail "no offsim binary at $bin"

started=1
rc=0
out=$("$slurm_local" start) || rc=$?
case $rc in
    0) eval "$out" ;;
    77) echo "SKIP: this machine cannot run a local Slurm (see above)" >&2; exit 77 ;;
    *) fail "slurm-local.sh start exited $rc" ;;
esac

# dump DB: every table, rows in key order, without the unstable columns
dump() {
    for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%' ORDER BY name"); do
        cols=$(sqlite3 "$1" "SELECT group_concat('\"' || name || '\"', ',') FROM pragma_table_info('$t')
                             WHERE name NOT IN ('wall_s','started_at','host','git_commit','compiler','version')")
        n=$(sqlite3 "$1" "SELECT count(*) FROM pragma_table_info('$t')
                          WHERE name NOT IN ('wall_s','started_at','host','git_commit','compiler','version')")
        order=$(seq -s, 1 "$n")
        echo "== $t"
        sqlite3 "$1" "SELECT $cols FROM \"$t\" ORDER BY $order"
    done
}

exp=$root/tests/experiments/data/sweep.yaml
"$bin" sweep "$exp" --jobs 1 --db "$work/ref.db" --quiet >/dev/null || fail "offsim sweep --jobs 1 failed"

t0=$(date +%s)
(cd "$work" && "$bin" sweep "$exp" --slurm --array 3 --db out.db --submit) >"$work/submit.txt" ||
    fail "offsim sweep --slurm --submit failed: $(cat "$work/submit.txt")"
cat "$work/submit.txt"
array=$(sed -n 's/^submitted array job \([0-9]*\) .*/\1/p' "$work/submit.txt")
merge=$(sed -n 's/.* merge job \([0-9]*\) .*/\1/p' "$work/submit.txt")
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in: $(cat "$work/submit.txt")"

# wait until neither job is queued or running (2 min at most)
i=0
while [ -n "$(squeue -h -j "$array,$merge" 2>/dev/null)" ]; do
    i=$((i + 1))
    [ $i -gt 240 ] && fail "the jobs did not end within 2 min: $(squeue -j "$array,$merge")"
    sleep 0.5
done
echo "array of 3 shards + merge: $(($(date +%s) - t0)) s"
state=$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')
[ "$state" = JobState=COMPLETED ] || fail "merge job $merge: $state"
[ -f "$work/out.db" ] || fail "the merge job wrote no $work/out.db"

dump "$work/ref.db" >"$work/ref.dump"
dump "$work/out.db" >"$work/out.dump"
[ "$(grep -c . "$work/ref.dump")" -gt 20 ] || fail "the reference dump is nearly empty"
diff "$work/ref.dump" "$work/out.dump" >"$work/diff" || fail "merged database differs: $(head -20 "$work/diff")"
echo "PASS: offsim sweep --slurm: 3 shards merged by a dependent job = offsim sweep --jobs 1"
