#!/bin/sh
# End-to-end check of tools/slurm-local.sh on a real one-node Slurm: start
# (twice: idempotent), a job array whose tasks each write a file naming their
# task id, a job depending on the array (afterok) that concatenates them, the
# output checked; stop, start again, one more job, stop.
#
# Exit status: 0 passed; 77 skipped, where this machine cannot run slurmd (the
# reason is printed); anything else a real failure.  The cluster is stopped on
# every exit.  About 30 s once the packages are installed (a first run adds
# the install); each wait has a timeout, so a hung step fails in well under
# 2 min.
set -u

here=$(cd "$(dirname "$0")" && pwd)
slurm_local=${OFFSIM_SLURM_LOCAL:-$here/../../tools/slurm-local.sh}
# A node that is not idle 30 s after its daemons start will not be.
OFFSIM_SLURM_TIMEOUT=${OFFSIM_SLURM_TIMEOUT:-30}
export OFFSIM_SLURM_TIMEOUT
work=$(mktemp -d "${TMPDIR:-/tmp}/offsim-slurm-test.XXXXXX")
started=0

cleanup() {
    rc=$?
    if [ $started = 1 ]; then
        "$slurm_local" stop >/dev/null 2>&1 || echo "slurm-local stop failed" >&2
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [ $started = 1 ]; then
        "$slurm_local" status >&2
        dir=${OFFSIM_SLURM_DIR:-/tmp/offsim-slurm}
        tail -n 15 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null
    fi
    exit 1
}

# start_cluster: start; skip (77) where the machine cannot, fail otherwise.
start_cluster() {
    started=1
    out=$("$slurm_local" start) && rc=0 || rc=$?
    if [ "$rc" = 77 ]; then
        echo "SKIP: this machine cannot run a local Slurm (see above)" >&2
        exit 77
    fi
    [ "$rc" = 0 ] || fail "slurm-local.sh start exited $rc"
    eval "$out"
    if [ -z "${SLURM_CONF:-}" ] || [ ! -f "$SLURM_CONF" ]; then
        fail "start printed no usable SLURM_CONF line: '$out'"
    fi
}

# elapsed SINCE: seconds since SINCE (date +%s.%N), one decimal.
elapsed() {
    awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

t=$(date +%s.%N)
start_cluster
echo "start: $(elapsed "$t") s"
t=$(date +%s.%N)
start_cluster
echo "start again while running: $(elapsed "$t") s"
"$slurm_local" status >/dev/null || fail "status exited $? on a running cluster"

cat >"$work/task.sh" <<'EOF'
#!/bin/sh
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT" >"out-$SLURM_ARRAY_TASK_ID.txt"
EOF
# cat fails, and so does the job, if a task's file is not there yet: the
# dependency is checked by the output itself.
cat >"$work/merge.sh" <<'EOF'
#!/bin/sh
cat out-0.txt out-1.txt out-2.txt out-3.txt >all.txt
EOF

t=$(date +%s.%N)
array=$(sbatch --parsable --array=0-3 --job-name=offsim-array -D "$work" \
    -o "$work/array-%A_%a.log" "$work/task.sh") || fail "sbatch of the array failed"
array=${array%%;*}
timeout 45 sbatch --wait --parsable --dependency=afterok:"$array" --job-name=offsim-merge \
    -D "$work" -o "$work/merge.log" "$work/merge.sh" >"$work/merge.id" ||
    fail "the dependent job did not complete in time or failed (sbatch --wait exited $?)"
echo "array of 4 + dependent job: $(elapsed "$t") s"

printf 'task %d of 4\n' 0 1 2 3 >"$work/expected.txt"
cmp -s "$work/expected.txt" "$work/all.txt" ||
    fail "merged output differs: $(cat "$work/all.txt" 2>/dev/null)"
# Every task of the array ended COMPLETED, as a job of that array.
states=$(scontrol -o show job "$array" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ')
[ "$states" = " 4 JobState=COMPLETED" ] || fail "array $array task states: $states"

t=$(date +%s.%N)
"$slurm_local" stop >/dev/null || fail "stop exited $?"
echo "stop: $(elapsed "$t") s"
started=0
"$slurm_local" status >/dev/null && fail "status says running after stop"

t=$(date +%s.%N)
start_cluster
echo "restart: $(elapsed "$t") s"
timeout 30 sbatch --wait -D "$work" -o "$work/again.log" --wrap 'echo again' >/dev/null ||
    fail "a job after the restart failed (sbatch --wait exited $?)"
[ "$(cat "$work/again.log")" = again ] || fail "the job after the restart wrote '$(cat "$work/again.log")'"
"$slurm_local" stop >/dev/null || fail "final stop exited $?"
started=0
echo "PASS: one-node Slurm: array, afterok dependency, stop, restart"
