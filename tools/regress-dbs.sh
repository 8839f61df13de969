#!/usr/bin/env bash
# tools/regress-dbs.sh NEW_BIN BASE_BIN: run the shipped scenarios (and a short PPO and SAC
# training, and a run from the PPO checkpoint) with both binaries, from this source tree, and
# compare every table of the two databases, leaving out wall-clock and provenance columns.
# Exit 0 when identical.  For a change that must not alter results: build the old commit in
# another folder and pass its offsim as BASE_BIN.
set -u
BIN=$(readlink -f "$1"); BASE=${2:?usage: tools/regress-dbs.sh NEW_BIN BASE_BIN}
TREE=$(cd "$(dirname "$BIN")/.." && pwd)
OUT=$(mktemp -d /tmp/cmp.XXXXXX)
cd "$TREE"
runs() { # $1 = binary, $2 = db
  local b=$1 db=$2
  $b run scenarios/examples/quickstart.yaml --db $db --quiet
  $b run scenarios/examples/quickstart.yaml --db $db --quiet --set policy=local
  $b run scenarios/examples/quickstart.yaml --db $db --quiet --set policy=edge
  $b run scenarios/examples/quickstart.yaml --db $db --quiet --seed 7
  $b run scenarios/papers/edgent/b-alexnet.yaml --db $db --quiet
  $b run scenarios/papers/edgent/b-alexnet.yaml --db $db --quiet --set policy=edge
  $b run scenarios/papers/neurosurgeon/scenario.yaml --db $db --quiet
  $b run scenarios/papers/neurosurgeon/scenario.yaml --db $db --quiet --set policy=local
  for p in branchynet local edge oracle random; do
    $b run scenarios/papers/sac-coinference/scenario.yaml --db $db --quiet --set policy=$p --set duration=30s
  done
  $b train scenarios/papers/sac-coinference/scenario.yaml --steps 1500 --seed 3 --db $db --out build/cmp-ppo.ckpt --set policy.type=ppo --set policy.ent_coef=0.03 >/dev/null
  $b train scenarios/papers/sac-coinference/scenario.yaml --steps 400 --seed 3 --db $db --out build/cmp-sac.ckpt >/dev/null
  $b run scenarios/papers/sac-coinference/scenario.yaml --db $db --quiet --set policy.checkpoint=build/cmp-ppo.ckpt --set policy.type=ppo --set policy.ent_coef=0.03 --set duration=30s
}
runs "$BASE" $OUT/base.db > $OUT/base.log 2>&1; echo "baseline rc=$?"
runs "$BIN"  $OUT/new.db  > $OUT/new.log 2>&1;  echo "new rc=$?"
# Compare every table, leaving out wall-clock and provenance columns.
python3 - "$OUT/base.db" "$OUT/new.db" <<'PY'
import sqlite3, sys
def rows(path):
    c = sqlite3.connect(path); out = {}
    for (t,) in c.execute("select name from sqlite_master where type='table' order by name"):
        cols = [r[1] for r in c.execute(f"pragma table_info({t})")]
        keep = [x for x in cols if x not in ('wall_s','started_at','version','host','compiler','git_commit','finished_at')]
        q = "select " + ",".join(f'"{k}"' for k in keep) + f" from {t}"
        out[t] = (keep, [tuple(r) for r in c.execute(q)])
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
bad = 0
for t in sorted(set(a) | set(b)):
    if t not in a or t not in b: print("table only in one:", t); bad += 1; continue
    if a[t][0] != b[t][0]: print("columns differ in", t, a[t][0], b[t][0]); bad += 1; continue
    ra, rb = a[t][1], b[t][1]
    if ra != rb:
        n = sum(1 for x, y in zip(ra, rb) if x != y) + abs(len(ra) - len(rb))
        print(f"{t}: {len(ra)} vs {len(rb)} rows, {n} differ"); bad += 1
        for x, y in zip(ra, rb):
            if x != y: print("  base:", x); print("  new: ", y); break
    else:
        print(f"{t}: {len(ra)} rows identical")
sys.exit(1 if bad else 0)
PY
rc=$?; echo "work dir: $OUT"; [ $rc = 0 ] && echo "IDENTICAL" || echo "DIFFERENT"; exit $rc
