#!/usr/bin/env bash
# Build the benchmark harness and two engines behind the same pyengine_adapter.cpp:
#   engine_adapter.so   this repository's engine (bench/harness/engine_driver.py)
#   dyn4mik3_adapter.so dyn4mik3/OrderBook through the harness's own dyn4mik3 driver
# Usage: bench/harness/build.sh HARNESS_DIR DYN4MIK3_DIR [PYTHON]
# HARNESS_DIR is a checkout of flash1-dev/matching-engine-benchmark, DYN4MIK3_DIR one of
# dyn4mik3/OrderBook (pinned a802407); neither is part of this repository.
set -euo pipefail
HARNESS="$(cd "$1" && pwd)"
DYN="$(cd "$2" && pwd)"
PYTHON="${3:-$(cd "$(dirname "$0")/../.." && pwd)/.venv/bin/python}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

[ -x "$HARNESS/harness" ] || make -C "$HARNESS"
# The harness's one-line fix to dyn4mik3 (get_price -> get_price_list, its issue #22).
sed -i 's/\.get_price(price)\.volume/.get_price_list(price).volume/' "$DYN/orderbook/orderbook.py"

SITE="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
CONFIG="$("$PYTHON" -c 'import sys, os; print(os.path.join(sys.base_prefix, "bin", "python3-config"))')"
LIBPY="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("INSTSONAME"))')"
build() {  # name driver-module sys-path
    g++ -std=c++20 -O2 -fPIC -shared -I"$HARNESS/api" $("$CONFIG" --embed --cflags) \
        -DME_DRIVER_MODULE="\"$2\"" -DME_SYS_PATH="\"$3\"" -DME_LIBPYTHON="\"$LIBPY\"" \
        "$HERE/pyengine_adapter.cpp" -o "$HARNESS/$1" $("$CONFIG" --embed --ldflags) -ldl
    echo "built $HARNESS/$1"
}
build engine_adapter.so engine_driver "$HERE:$REPO:$SITE"
build dyn4mik3_adapter.so dyn4mik3_driver \
    "$HARNESS/additional_references/dyn4mik3_adapter:$DYN:$SITE"
