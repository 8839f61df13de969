#!/bin/sh
# The exit-status contract of every command (`offsim --help`, README.md):
# 0 success, 1 run-time failure, 2 bad usage or bad input, each error class
# exercised on each command that can meet it; the contract's text the same
# in the help and the three documents that state it.
set -u

test_name=exit
. "$(dirname "$0")/shell_lib.sh"
# expect STATUS CMD...: run CMD (stdout and stderr to files), check its status
expect() {
    want=$1
    shift
    "$@" >out 2>err
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: exit $got, expected $want: $*" >&2
        sed 's/^/  stderr: /' err | head -5 >&2
        failed=1
    fi
}
# expect_full STATUS CMD...: the same with stdout on a full disk
expect_full() {
    want=$1
    shift
    "$@" >/dev/full 2>err
    got=$?
    [ "$got" = "$want" ] || { echo "FAIL: exit $got, expected $want: $* >/dev/full" >&2; failed=1; }
    grep -q "cannot write the output" err ||
        { echo "FAIL: no 'cannot write the output' from $* >/dev/full" >&2; failed=1; }
}

tiny=$root/tests/experiments/data/tiny.yaml
rl=$root/tests/data/sim/rl.yaml
cp "$tiny" tiny.yaml
printf 'a: [1\n' >bad.yaml
echo "not a database, just text" >foreign.db
mkdir dir
nope=/proc/offsim-no-such-dir # cannot be created, even by root
expect 0 "$bin" run tiny.yaml --db ok.db --quiet

# ---- the contract's text: the help and the documents agree -----------------
"$bin" --help | sed -n '/^exit status (every command):/,/^  130 /p' >help.txt
[ -s help.txt ] || { echo "FAIL: offsim --help states no exit status" >&2; failed=1; }
for doc in README.md docs/design.md docs/scenario-reference.md; do
    sed -n '/^<!-- exit-status:/,/^```$/p' "$root/$doc" | sed '1,2d;$d' >doc.txt
    cmp -s help.txt doc.txt ||
        { echo "FAIL: $doc's exit status differs from offsim --help:" >&2; diff help.txt doc.txt >&2; failed=1; }
done

# ---- 2: bad usage, every command -------------------------------------------
for c in run validate train report plot policies merge sweep "models list" \
         "models info" "models export" "models train" "models eval" "models profile"; do
    # shellcheck disable=SC2086 # "models list" is two words on purpose
    expect 2 "$bin" $c --no-such-option
done
for c in run validate train report plot merge sweep "models info" "models export" \
         "models train" "models eval" "models profile"; do
    # shellcheck disable=SC2086
    expect 2 "$bin" $c # a missing argument
done
expect 2 "$bin" no-such-command
expect 2 "$bin" models no-such-subcommand
expect 2 "$bin" policies extra-argument
expect 2 "$bin" run tiny.yaml --seed minus-one
expect 2 "$bin" run tiny.yaml --set 'no equals sign'
expect 2 "$bin" sweep tiny.yaml --jobs 0
expect 2 "$bin" report ok.db --metric latency_mean # --metric needs --by
expect 2 "$bin" report ok.db --by policy --metric no_such_metric
expect 2 "$bin" plot ok.db --x policy --y no_such_metric
expect 2 env OFFSIM_MAX_INPUT=lots "$bin" validate tiny.yaml
grep -q "OFFSIM_MAX_INPUT='lots'" err || { echo "FAIL: a bad OFFSIM_MAX_INPUT not named" >&2; failed=1; }

# ---- 2: bad input: a scenario or experiment missing, a directory, too large,
# malformed, or not a scenario --------------------------------------------------
for c in run validate train sweep; do
    for f in missing.yaml dir bad.yaml foreign.db; do
        expect 2 "$bin" $c "$f"
    done
    expect 2 env OFFSIM_MAX_INPUT=100 "$bin" $c tiny.yaml
done
expect 2 "$bin" run tiny.yaml --set devices.phone.count=-1
expect 2 "$bin" run tiny.yaml --set no.such.key=1
expect 2 "$bin" train tiny.yaml # policy 'local' is not a learning one
expect 2 "$bin" models info bad.yaml
expect 2 "$bin" models info no-such-model
expect 2 "$bin" models export no-such-architecture
for f in missing.offw dir foreign.db; do
    expect 2 "$bin" models eval mexit "$f"
done
expect 2 "$bin" models train mexit --n-train 10 --out w.offw # fewer images than a batch
[ -e w.offw ] && { echo "FAIL: models train wrote weights after bad input" >&2; failed=1; }

# ---- 2: bad input: a results database missing, a directory, not ours ---------
for f in missing.db dir foreign.db; do
    expect 2 "$bin" report "$f"
    expect 2 "$bin" plot "$f"
    expect 2 "$bin" merge out.db "$f"
done
for f in dir foreign.db; do # an output database that is not one
    expect 2 "$bin" run tiny.yaml --db "$f"
    expect 2 "$bin" sweep tiny.yaml --db "$f" --jobs 1 --quiet
done
expect 2 "$bin" train "$rl" --steps 10 --db foreign.db --out c.ckpt --quiet
expect 2 "$bin" merge foreign.db ok.db
grep -q "foreign.db: not an offsim results database" err ||
    { echo "FAIL: merge into a foreign file: $(cat err)" >&2; failed=1; }

# ---- 1: run-time failures: an output that cannot be written -----------------
expect 1 "$bin" run tiny.yaml --db "$nope/x.db" --quiet
expect 1 "$bin" sweep tiny.yaml --db "$nope/x.db" --jobs 1 --quiet
expect 1 "$bin" train "$rl" --steps 10 --db t.db --out "$nope/x.ckpt" --quiet
expect 1 "$bin" merge "$nope/x.db" ok.db
expect 1 "$bin" models export alexnet --out "$nope/a.yaml"
expect 1 "$bin" models train mexit --epochs 1 --n-train 64 --out "$nope/w.offw"
if command -v gnuplot >/dev/null 2>&1; then
    expect 1 "$bin" plot ok.db --out "$nope/x.png"
fi
# standard output on a full disk: what the command printed is its result
expect_full 1 "$bin" policies
expect_full 1 "$bin" models list
expect_full 1 "$bin" models info mexit
expect_full 1 "$bin" validate tiny.yaml
expect_full 1 "$bin" report ok.db
expect_full 1 "$bin" report ok.db --by policy
expect_full 1 "$bin" sweep tiny.yaml --dry-run

# ---- 0 -----------------------------------------------------------------------
expect 0 "$bin" validate tiny.yaml
expect 0 "$bin" report ok.db
expect 0 "$bin" policies
expect 0 "$bin" --help
expect 0 "$bin" models list

[ "$failed" = 0 ] && echo "exit statuses: all as documented"
exit "$failed"
