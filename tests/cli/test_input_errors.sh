#!/bin/sh
# Bad input that once misled or cost without bound: the input size limit
# (OFFSIM_MAX_INPUT) on a scenario, a trace and /dev/zero; a directory given
# as a file; the node limit of a file without aliases; a foreign database;
# and figures without a value printed "n/a" with the reason, never nan.
set -u

test_name=input
. "$(dirname "$0")/shell_lib.sh"
fail() { echo "FAIL: $*" >&2; sed 's/^/  /' out >&2; failed=1; }
# run STATUS CMD...: stdout and stderr to out, the status checked
run() {
    want=$1
    shift
    "$@" >out 2>&1
    got=$?
    [ "$got" = "$want" ] || fail "exit $got, expected $want: $*"
}
has() { grep -qF -- "$1" out || fail "no '$1' in the output of the last command"; }
hasnt() { ! grep -qiE -- "$1" out || fail "'$1' in the output of the last command"; }

cp "$root/tests/experiments/data/tiny.yaml" tiny.yaml

# ---- the input size limit -------------------------------------------------------
# /dev/zero never ends: refused at the limit, in bounded time and memory.
timeout 60 "$bin" validate /dev/zero >out 2>&1
st=$?
[ "$st" = 2 ] || fail "validate /dev/zero: exit $st, expected 2"
has "/dev/zero: larger than the input size limit of 64 MiB"
has "set OFFSIM_MAX_INPUT to raise it"
# a regular file over the limit is refused before it is read; raised, it loads
size=$(wc -c <tiny.yaml)
run 2 env OFFSIM_MAX_INPUT=$((size - 1)) "$bin" validate tiny.yaml
has "tiny.yaml: larger than the input size limit of $((size - 1)) bytes"
run 0 env OFFSIM_MAX_INPUT=1K "$bin" validate tiny.yaml
run 2 env OFFSIM_MAX_INPUT=0.5K "$bin" validate tiny.yaml
has "OFFSIM_MAX_INPUT='0.5K': expected a size"
# a trace the scenario names: the error is at the scenario's file: value
awk 'BEGIN { print "time_s"; for (i = 0; i < 400; i++) print i / 10 }' >arrivals.txt
cat >trace.yaml <<'YAML'
duration: 10 s
model: {kind: synthetic, input: 1 KB, work: 1 MMAC}
devices: [{name: d, speed: 1 GMAC/s, arrivals: {process: trace, file: arrivals.txt}}]
servers: [{name: s, speed: 1 GMAC/s}]
policy: edge
YAML
run 0 "$bin" validate trace.yaml
run 2 env OFFSIM_MAX_INPUT=1K "$bin" validate trace.yaml
has "trace.yaml:3:"
has "arrivals.txt"
has "larger than the input size limit of 1 KiB"

# ---- a directory where a file is expected -------------------------------------------
mkdir adir
run 2 "$bin" validate adir
has "adir: is a directory, not a file"
hasnt "read error"
sed 's/file: arrivals.txt/file: adir/' trace.yaml >dirtrace.yaml
run 2 "$bin" validate dirtrace.yaml
has "is a directory, not a file"
hasnt "read error"
cat >chan.yaml <<'YAML'
duration: 2 s
model: {kind: synthetic, input: 1 KB, work: 1 MMAC}
devices: [{name: d, speed: 1 GMAC/s, arrivals: {process: periodic, period: 0.1 s},
           uplink: {channel: {model: trace, file: adir}}}]
servers: [{name: s, speed: 1 GMAC/s}]
policy: edge
YAML
run 2 "$bin" validate chan.yaml # a channel trace is read when the run starts
has "chan.yaml:4:"
has "cannot read channel trace file 'adir': is a directory, not a file"
run 2 "$bin" report adir
has "adir: is a directory, not a database"
hasnt "disk I/O error"

# ---- the node limit: aliases are named only where there are some -----------------
awk 'BEGIN { print "devices:"; for (i = 0; i < 200001; i++) print "  - " i }' >big.yaml
run 2 "$bin" validate big.yaml
has "document too large (more than 200000 nodes)"
hasnt "alias"
cat >laughs.yaml <<'YAML'
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
YAML
run 2 "$bin" validate laughs.yaml
has "counting the copies that its aliases and merge keys make"

# ---- a foreign database: SQLite's reason, not its stale "not an error" -------------
echo "plain text, long enough to be read as a database header......" >foreign.db
run 2 "$bin" report foreign.db
has "foreign.db: not an offsim results database (file is not a database)"
hasnt "not an error"

# ---- n/a, never nan -------------------------------------------------------------------
run 0 "$bin" run tiny.yaml --db r.db --set duration=2s --set warmup=1.999s
run 0 "$bin" run tiny.yaml --db r.db --set duration=1s
run 0 "$bin" report r.db
has "n/a (no task finished after the warm-up)"
has "95% CI n/a: batch means need 40 finished tasks"
hasnt "(^|[^a-z])-?nan([^a-z]|$)"
run 0 "$bin" report r.db --by policy --metric latency_mean --metric energy_mean_j --metric accuracy
hasnt "(^|[^a-z])-?nan([^a-z]|$)"
run 0 "$bin" report r.db --by policy --csv
hasnt "(^|[^a-z])-?nan([^a-z]|$)"
run 0 "$bin" run tiny.yaml --db r.db --set duration=2s --set warmup=1.999s
hasnt "(^|[^a-z])-?nan([^a-z]|$)"

[ "$failed" = 0 ] && echo "input errors: all as expected"
exit "$failed"
