#!/bin/sh
# Install the Debian packages offsim needs, only those missing.  Works as root
# (as in CI) or through sudo.  Nothing else is downloaded.
set -e
PKGS="build-essential cmake pkg-config libgsl-dev libsqlite3-dev libyaml-dev libcmocka-dev gnuplot-nox zlib1g-dev libzstd-dev libopenblas-dev dataset-fashion-mnist"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "offsim setup: installing$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
