#!/bin/sh
# `offsim check` and the claims at the end of `offsim sweep`, on a tiny real
# sweep (2 policies x 3 uplink rates x 3 seeds): exit 0 when every claim
# holds, 1 when one fails (the table, the database's claims table and
# DB-figures/claims.md written either way), 2 for a bad claim (positioned,
# before anything runs) or a missing database; --quick runs the quick:
# points and skips the claims marked quick: false; --no-claims.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${OFFSIM_BIN:-$root/build/offsim}
work=$(mktemp -d "${TMPDIR:-/tmp}/offsim-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/out" ] && cat "$work/out" >&2; exit 1; }

cp "$root/tests/experiments/data/tiny.yaml" "$work/tiny.yaml"
cat >"$work/ok.yaml" <<'YAML'
name: check-test
scenario: tiny.yaml
set: {duration: 2 s}
axes:
  policy: [local, edge]
  devices.phone.uplink.rate: [200 kbps, 1 Mbps, 5 Mbps]
seeds: 3
quick: {seeds: 2, axes: {devices.phone.uplink.rate: [100 kbps, 5 Mbps]}}
claims:
  - name: edge-falls
    says: Edge-only latency falls as the uplink rate grows.
    source: test
    kind: trend
    where: policy == 'edge'
    along: devices.phone.uplink.rate
    direction: decreasing
  - name: local-flat-energy
    says: The uplink rate does not change local energy.
    kind: value
    metric: energy
    where: policy == 'local'
    paper: 800 mJ
    tolerance: 1 %
    quick: false
YAML

# Every claim holds: exit 0, the table printed, recorded twice over.
"$bin" sweep "$work/ok.yaml" --db "$work/s.db" --jobs 2 >"$work/out" 2>&1 ||
    fail "sweep with holding claims exited $?"
grep -q "| edge-falls (trend) *| Edge-only latency falls" "$work/out" || fail "no table row"
grep -q "claims check-test: 2 hold, 0 fail" "$work/out" || fail "no summary line"
[ -s "$work/s-figures/claims.md" ] || fail "no claims.md"
grep -q "| edge-falls (trend)" "$work/s-figures/claims.md" || fail "claims.md has no row"
n=$(sqlite3 "$work/s.db" "SELECT count(*) FROM claims WHERE experiment = 'check-test' AND verdict = 'holds'")
[ "$n" = 2 ] || fail "claims table: $n holding rows, expected 2"
"$bin" check "$work/ok.yaml" --db "$work/s.db" >"$work/out" 2>&1 || fail "check exited $?"

# A claim that fails: exit 1 from check and from sweep (after its runs),
# the failing verdict recorded.
{ cat "$work/ok.yaml"; cat <<'YAML'
  - {name: edge-rises, says: s, kind: trend, where: "policy == 'edge'",
     along: devices.phone.uplink.rate, direction: increasing}
YAML
} >"$work/bad.yaml"
"$bin" check "$work/bad.yaml" --db "$work/s.db" >"$work/out" 2>&1
[ $? = 1 ] || fail "check with a failing claim: expected exit 1"
grep -q "| edge-rises (trend) .*| fails: " "$work/out" || fail "no failing row"
[ "$(sqlite3 "$work/s.db" "SELECT verdict FROM claims WHERE name = 'edge-rises'")" = fails ] ||
    fail "the failing verdict is not recorded"
"$bin" sweep "$work/bad.yaml" --db "$work/s.db" >"$work/out" 2>&1
[ $? = 1 ] || fail "sweep with a failing claim: expected exit 1"
"$bin" sweep "$work/bad.yaml" --db "$work/s.db" --no-claims >"$work/out" 2>&1 ||
    fail "--no-claims: exited $?"
grep -q "claims" "$work/out" && fail "--no-claims checked the claims"

# The quick points at 100 kbps have no runs yet: n/a is a failure with its reason.
"$bin" check "$work/ok.yaml" --db "$work/s.db" --quick >"$work/out" 2>&1
[ $? = 1 ] || fail "check --quick before the quick sweep: expected exit 1"
grep -q "n/a: 2 of the 4 points selected have no ok run" "$work/out" || fail "no n/a reason"
grep -q "skipped (quick)" "$work/out" || fail "quick: false not skipped"

# --quick: 2 seeds x 2 rates x 2 policies, the quick: false claim skipped.
"$bin" sweep "$work/ok.yaml" --db "$work/q.db" --quick >"$work/out" 2>&1 ||
    fail "sweep --quick exited $?"
grep -q "8 points, 0 already done, 8 run" "$work/out" || fail "--quick did not run 8 points (into a new database)"
grep -q "1 hold, 0 fail, 1 skipped" "$work/out" || fail "--quick summary"

# Bad input: a claim naming an unknown axis, positioned, exit 2, nothing
# created; a missing database, exit 2.
{ cat "$work/ok.yaml"; cat <<'YAML'
  - {name: x, says: s, kind: trend, along: devices.phone.uplink.rat,
     direction: increasing}
YAML
} >"$work/typo.yaml"
"$bin" sweep "$work/typo.yaml" --db "$work/t.db" >"$work/out" 2>&1
[ $? = 2 ] || fail "a bad claim: expected exit 2"
grep -q "typo.yaml:25:44: unknown claims\[2\].along axis 'devices.phone.uplink.rat' (did you mean 'devices.phone.uplink.rate'?)" "$work/out" ||
    fail "no positioned error"
[ -e "$work/t.db" ] && fail "a bad claim created the database"
"$bin" check "$work/typo.yaml" --db "$work/s.db" >"$work/out" 2>&1
[ $? = 2 ] || fail "check with a bad claim: expected exit 2"
"$bin" check "$work/ok.yaml" --db "$work/none.db" >"$work/out" 2>&1
[ $? = 2 ] || fail "check on a missing database: expected exit 2"
grep -q "no such database" "$work/out" || fail "missing database not told"
[ -e "$work/none.db" ] && fail "check created the database"
echo "ok"
