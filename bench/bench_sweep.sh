#!/usr/bin/env bash
# bench/bench_sweep.sh [BIN [BASE_BIN]]: what `offsim sweep` costs beyond its runs.
#
#   (a) overhead: N tiny points (tests/experiments/data/tiny.yaml, 400 simulated
#       seconds, about 1 ms of simulation each, as the issue's target says;
#       BENCH_SWEEP_DURATION sets it) with --jobs 1, task rows off and on:
#       total wall and CPU time against the sum of runs.wall_s, and the
#       overhead per point; with BASE_BIN, the same for that binary beside it;
#   (b) scaling: a CPU-bound sweep (16 points of about 1 s each, the tiny
#       world at a stable load, 1 task/s a device: 2,000,000 simulated
#       seconds without task rows, 160,000 with them) with --jobs 1
#       and --jobs 2, and the speed-up (`BENCH_SWEEP_PARTS=b bench/bench_sweep.sh`
#       measures the scaling alone; the target is >= 1.8x on 2 idle cores);
#   (c) side by side: a bandwidth x policy x seeds sweep of the quickstart
#       written as a user would with a shell loop over `offsim run --set`, and
#       as one `offsim sweep` command: time and lines of user code.
#
# CPU time (user + sys of the sweep and its workers, from wait4) is the figure
# to trust on a shared machine; wall time is printed beside it.  The machine's
# load average is printed first.  BENCH_SWEEP_POINTS sets N (default 1000);
# BENCH_SWEEP_PARTS the parts to run (default "a b c").
set -eu
BIN=$(readlink -f "${1:-build/offsim}")
BASE=${2:+$(readlink -f "$2")}
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/bench_sweep.XXXXXX)
N=${BENCH_SWEEP_POINTS:-1000}
DURATION=${BENCH_SWEEP_DURATION:-400 s}
TINY=tests/experiments/data/tiny.yaml
ROWS_OFF='output={tasks: false}'
PARTS=${BENCH_SWEEP_PARTS:-a b c}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(date -u '+%F %T') UTC"

# measure LABEL CMD...: run CMD, set $wall and $cpu (seconds, children included).
measure() {
  local label=$1; shift
  if ! /usr/bin/time -o "$OUT/time" -f "%e %U %S" "$@" >"$OUT/out" 2>"$OUT/err"; then
    echo "$label failed:"; cat "$OUT/err"; exit 1
  fi
  read -r wall u s <"$OUT/time"
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

runs_sum() { sqlite3 "$1" "SELECT printf('%.3f', sum(wall_s)) FROM runs"; }

if part a; then
echo
echo "(a) $N tiny points ($DURATION simulated each), --jobs 1"
printf '%-8s %-5s %8s %8s %10s %9s %9s %12s %12s\n' binary rows wall_s cpu_s runs_sum_s wall/sum \
  cpu/sum "ovh_wall_ms" "ovh_cpu_ms"
for b in new ${BASE:+base}; do
  bin=$BIN; [ "$b" = base ] && bin=$BASE
  for rows in off on; do
    db=$OUT/tiny-$b-$rows.db
    set -- --set "duration=$DURATION"
    [ "$rows" = off ] && set -- "$@" --set "$ROWS_OFF"
    measure "tiny $b $rows" "$bin" sweep $TINY --seeds "$N" "$@" --jobs 1 --db "$db" --quiet
    sum=$(runs_sum "$db")
    awk -v b=$b -v r=$rows -v w="$wall" -v c="$cpu" -v s="$sum" -v n="$N" 'BEGIN {
      printf "%-8s %-5s %8.2f %8.2f %10.3f %9.2f %9.2f %12.3f %12.3f\n", b, r, w, c, s, w / s,
             c / s, (w - s) / n * 1000, (c - s) / n * 1000 }'
  done
done
echo "(target: wall/sum <= 1.5 with --jobs 1; cpu/sum counts the parent's work on the other core too)"
fi

if part b; then
echo
echo "(b) CPU-bound sweep: 16 points of about 1 s"
printf '%-5s %-6s %8s %8s %8s\n' rows jobs wall_s cpu_s speedup
for rows in off on; do
  w1=
  for j in 1 2; do
    db=$OUT/cpu-$rows-$j.db
    # ρ = 0.4 on each device: at the file's 5 tasks/s the queues grow
    # without bound and the run measures page faults, not simulation
    set -- --set 'devices.phone.arrivals.rate=1 /s' --set 'duration=160000 s'
    [ "$rows" = off ] && set -- --set 'devices.phone.arrivals.rate=1 /s' \
        --set 'duration=2000000 s' --set "$ROWS_OFF"
    measure "cpu $rows $j" "$BIN" sweep $TINY --seeds 16 "$@" --jobs $j --db "$db" --quiet
    [ -z "$w1" ] && w1=$wall
    awk -v r=$rows -v j=$j -v w="$wall" -v c="$cpu" -v w1="$w1" 'BEGIN {
      printf "%-5s %-6s %8.2f %8.2f %8.2f\n", r, j, w, c, w1 / w }'
  done
  echo "scaling, task rows $rows: --jobs 2 is $(awk -v a="$w1" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')x --jobs 1 (wall; target >= 1.8x on 2 idle cores)"
done
fi

if part c; then
echo
echo "(c) quickstart, uplink 500 kbps/2 Mbps/8 Mbps x policy local/edge x 4 seeds, 20 s each"
cat >"$OUT/loop.sh" <<'EOF'
#!/usr/bin/env bash
# The sweep by hand: one `offsim run` per point, into one database.
for rate in "500 kbps" "2 Mbps" "8 Mbps"; do
  for policy in local edge; do
    for seed in 1 2 3 4; do
      offsim run scenarios/examples/quickstart.yaml --db "$DB" --quiet \
        --set "devices.0.uplink.rate=$rate" --set policy=$policy \
        --set "duration=20 s" --seed $seed
    done
  done
done
EOF
cat >"$OUT/sweep.sh" <<'EOF'
offsim sweep scenarios/examples/quickstart.yaml --db "$DB" --quiet --jobs 1 --axis "devices.0.uplink.rate=500 kbps,2 Mbps,8 Mbps" --axis policy=local,edge --seeds 4 --set "duration=20 s"
EOF
mkdir -p "$OUT/bin"
ln -s "$BIN" "$OUT/bin/offsim"
export PATH="$OUT/bin:$PATH"
code_lines() { grep -cv '^[[:space:]]*\(#.*\)\?$' "$1"; }
printf '%-22s %8s %8s %6s %11s\n' how wall_s cpu_s runs user_lines
for how in loop sweep; do
  export DB=$OUT/qs-$how.db
  measure "$how" bash "$OUT/$how.sh"
  printf '%-22s %8.2f %8.2f %6s %11s\n' "$how" "$wall" "$cpu" \
    "$(sqlite3 "$DB" 'SELECT count(*) FROM runs')" "$(code_lines "$OUT/$how.sh")"
done
echo "(the loop's database has no point parameters; the sweep's has them, and resumes)"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work dir: $OUT"
