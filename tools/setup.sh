#!/bin/sh
# Make sure what offsim needs to build, test and plot is on this machine, and
# install only what is missing, never asking a question.
#
#   sh tools/setup.sh            check; install what is missing when allowed
#   sh tools/setup.sh --check    check only: list what is missing, exit 1 if any
#   sh tools/setup.sh --fuzz     the same, for `make fuzz` only: clang and its
#                                libFuzzer runtime (-fsanitize=fuzzer)
#
# Each need is checked the way the build consumes it (pkg-config for
# libraries, PATH for commands, the path for the data set), not through the
# package database, so a machine that got the libraries some other way (no
# dpkg, a hand-built prefix on PKG_CONFIG_PATH) passes.  When everything is
# present nothing is printed and nothing runs.  When something is missing:
#   - as root: apt-get update, then apt-get install of the missing packages;
#   - with passwordless sudo (sudo -n true): the same through sudo -n;
#   - otherwise: print what is missing and the one command that installs it,
#     and exit 1.  Never prompts, so `make` cannot hang on a password.
# OFFSIM_NO_SETUP=1 (read by the Makefile) skips this script altogether.
set -eu

check_only=0 fuzz=0
case "${1-}" in
    --check) check_only=1 ;;
    --fuzz) fuzz=1 ;;
    "") ;;
    *) echo "usage: sh tools/setup.sh [--check | --fuzz]" >&2; exit 2 ;;
esac

# Each check adds what it found missing (a command, NAME.pc, a file) and the
# Debian package that provides it.
missing_pkgs=""
missing_what=""
add_missing() { # what package
    missing_what="$missing_what $1"
    case " $missing_pkgs " in
        *" $2 "*) ;;
        *) missing_pkgs="$missing_pkgs $2" ;;
    esac
}
have_cmd() { command -v "$1" >/dev/null 2>&1; }
need_cmd() { have_cmd "$1" || add_missing "$1" "$2"; }
need_pc() {
    if ! have_cmd pkg-config || ! pkg-config --exists "$1"; then
        add_missing "$1.pc" "$2"
    fi
}
need_files() { # dir package file...
    d=$1 p=$2
    shift 2
    for f in "$@"; do
        if [ ! -r "$d/$f" ]; then
            add_missing "$d/$f" "$p"
            return
        fi
    done
}

# The fuzz build's needs are checked by linking a one-line harness, the way
# the build consumes them: Debian ships libFuzzer's runtime
# (libclang_rt.fuzzer) in libclang-rt-N-dev, which the meta-package
# libclang-rt-dev pulls in for the default clang.
need_fuzzer() {
    if ! have_cmd clang; then
        add_missing clang clang
        add_missing libclang_rt.fuzzer libclang-rt-dev
        return
    fi
    d=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$d/f.c"
    clang -fsanitize=fuzzer,address "$d/f.c" -o "$d/f" >/dev/null 2>&1 ||
        add_missing libclang_rt.fuzzer libclang-rt-dev
    rm -rf "$d"
}
if [ "$fuzz" = 1 ]; then
    need_fuzzer
    # tests/fuzz/run_fuzz.sh turns address randomization off with it, so
    # that the fixed-input CI step tries the same inputs on every run
    need_cmd setarch util-linux
else
    need_cmd cc build-essential
    need_cmd make build-essential
    need_cmd cmake cmake
    need_cmd pkg-config pkg-config
    need_cmd gnuplot gnuplot-nox
    need_pc gsl libgsl-dev
    need_pc sqlite3 libsqlite3-dev
    need_pc yaml-0.1 libyaml-dev
    need_pc cmocka libcmocka-dev
    need_pc zlib zlib1g-dev
    need_pc openblas libopenblas-dev
    # The models read Fashion-MNIST from here unless OFFSIM_FASHION_MNIST_DIR
    # points elsewhere (models/mdl_data.h); only the Debian package is installed.
    need_files "${OFFSIM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}" dataset-fashion-mnist \
        train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
        t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
fi

[ -z "$missing_pkgs" ] && exit 0

echo "offsim setup: missing:$missing_what" >&2
install_cmd="apt-get update && apt-get install -y$missing_pkgs"
if [ "$check_only" = 1 ]; then
    echo "offsim setup: install with: sudo sh -c '$install_cmd'" >&2
    exit 1
fi
if ! have_cmd apt-get; then
    echo "offsim setup: no apt-get here; install the Debian packages$missing_pkgs" >&2
    echo "  (or their equivalents), or set OFFSIM_NO_SETUP=1 if they are installed elsewhere." >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    run() { "$@"; }
elif have_cmd sudo && sudo -n true 2>/dev/null; then
    run() { sudo -n "$@"; }
else
    echo "offsim setup: cannot install without a password; run this once, then make again:" >&2
    echo "  sudo sh -c '$install_cmd'" >&2
    echo "  (OFFSIM_NO_SETUP=1 skips this check when they are installed some other way)" >&2
    exit 1
fi
echo "offsim setup: installing$missing_pkgs" >&2
# env inside run: sudo drops the caller's environment.
run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # one word per package, on purpose
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing_pkgs
