# shell_lib.sh - sourced by the shell tests of tests/cli/ (not a test: its
# name does not start with test_).  Sets root (the source tree), bin (the
# offsim binary: $OFFSIM_BIN, as ctest sets it) and work (a scratch folder
# under $OFFSIM_TMP, removed on exit; the current directory), and
# failed=0 for the test to set when a check fails.
#   test_name=NAME; . "$(dirname "$0")/shell_lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${OFFSIM_BIN:-$root/build/offsim}
mkdir -p "${OFFSIM_TMP:-/tmp}"
work=$(mktemp -d "${OFFSIM_TMP:-/tmp}/offsim-$test_name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failed=0
