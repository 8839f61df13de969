#!/bin/sh
# Run one libFuzzer harness on a scratch copy of its seed corpus (the tree's
# corpus is never written), as ctest's fuzz tests do:
#   sh tests/fuzz/run_fuzz.sh HARNESS CORPUS_DIR SECONDS RUNS
# SECONDS > 0: a campaign of that many seconds (`make fuzz FUZZ_SECONDS=N`);
# what it tries depends on the machine's speed.
# SECONDS = 0: exactly RUNS inputs, the same ones on every run of the same
# build (CI, `make test`): a fixed seed, no re-reading of the corpus folder
# (libFuzzer would run, at times of its clock, whatever it finds there), and
# no address randomization (libFuzzer's mutations reuse the operands of the
# comparisons it sees, pointers included); where the container forbids
# turning it off (setarch -R), those comparison operands are not used.
# FUZZ_SEED (default 1) chooses the inputs in both modes.
# Exit 0 when nothing was found; 1 with the crashing input kept under
# $OFFSIM_TMP/fuzz-artifacts/ (its path printed) otherwise; 77 (skipped)
# when the harness was not built, except under CI=true, where that fails.
set -eu
bin=$1 corpus=$2 secs=$3 runs=$4
name=$(basename "$bin")
if [ ! -x "$bin" ]; then
    echo "$name: not built (make fuzz builds it with clang)" >&2
    [ "${CI-}" = true ] && exit 1
    exit 77
fi
[ -d "$corpus" ] || { echo "$name: no seed corpus at $corpus" >&2; exit 1; }
tmp=${OFFSIM_TMP:-/tmp}
mkdir -p "$tmp/fuzz-artifacts"
work=$(mktemp -d "$tmp/$name.XXXXXX")
trap 'rm -rf "$work" "$work.log"' EXIT
cp -R "$corpus/." "$work/"
set -- -seed="${FUZZ_SEED:-1}"
wrap=""
if [ "$secs" -gt 0 ]; then
    set -- "$@" -max_total_time="$secs"
else
    set -- "$@" -runs="$runs" -reload=0
    if setarch "$(uname -m)" -R true 2>/dev/null; then
        wrap="setarch $(uname -m) -R"
    else
        echo "$name: setarch -R not allowed here: fuzzing without comparison operands (-use_cmp=0)"
        set -- "$@" -use_cmp=0
    fi
fi
# -timeout: an input slower than this is a finding (a hang); -rss_limit_mb:
# one that needs more memory is one too.  The log is kept short: the final
# statistics, or the whole tail of a failure.
status=0
$wrap "$bin" "$@" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$tmp/fuzz-artifacts/$name-" "$work" >"$work.log" 2>&1 || status=$?
grep -E '^(stat::|#[0-9]+ +DONE|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written|INFO: Seed)' "$work.log" || true
if [ "$status" != 0 ]; then
    tail -n 60 "$work.log"
    echo "$name: FAILED (status $status); crashing input under $tmp/fuzz-artifacts/" >&2
fi
exit "$status"
