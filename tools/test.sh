#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite with ctest.
# Usage: tools/test.sh            normal build in build/
#        tools/test.sh --sanitize AddressSanitizer + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  tools/setup.sh build-asan -DSHREDMIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  cd build-asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j "$(nproc)" --output-on-failure
else
  tools/setup.sh build
  cd build
  ctest -j "$(nproc)" --output-on-failure
fi
