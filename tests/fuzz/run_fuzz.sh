#!/bin/sh
# Run one libFuzzer harness for a fixed time on a scratch copy of its seed
# corpus (the tree's corpus is never written), as ctest's fuzz tests do.
#   sh tests/fuzz/run_fuzz.sh HARNESS CORPUS_DIR SECONDS
# Exit 0 when nothing was found; 1 with the crashing input kept under
# $OFFSIM_TMP/fuzz-artifacts/ (its path printed) otherwise; 77 (skipped)
# when the harness was not built, except under CI=true, where that fails.
set -eu
bin=$1 corpus=$2 secs=$3
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
trap 'rm -rf "$work"' EXIT
cp -R "$corpus/." "$work/"
# -timeout: an input slower than this is a finding (a hang); -rss_limit_mb:
# one that needs more memory is one too.  The log is kept short: the final
# statistics, or the whole tail of a failure.
status=0
"$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$tmp/fuzz-artifacts/$name-" "$work" >"$work.log" 2>&1 || status=$?
grep -E '^(stat::|#[0-9]+ +DONE|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written|INFO: Seed)' "$work.log" || true
if [ "$status" != 0 ]; then
    tail -n 60 "$work.log"
    echo "$name: FAILED (status $status); crashing input under $tmp/fuzz-artifacts/" >&2
fi
rm -f "$work.log"
exit "$status"
