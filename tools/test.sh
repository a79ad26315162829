#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite with ctest, with warnings as errors.
# Usage: tools/test.sh            GCC build in build/
#        tools/test.sh --sanitize AddressSanitizer + UBSan build in build-asan/
#        tools/test.sh --clang    clang build in build-clang/
#        tools/test.sh --release  GCC Release (-O3) build in build-release/
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in
  --sanitize)
    tools/setup.sh build-asan -DSHREDMIT_WERROR=ON -DSHREDMIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cd build-asan
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j "$(nproc)" --output-on-failure
    ;;
  --clang)
    # clang 16: clang 14 rejects ANTLR 4.9's runtime headers with libstdc++ 12 (a defaulted
    # std::vector() makes Vocabulary's const members not const-default-constructible).
    SHREDMIT_EXTRA_PACKAGES=clang-16 CC=clang-16 CXX=clang++-16 \
      tools/setup.sh build-clang -DSHREDMIT_WERROR=ON
    cd build-clang
    ctest -j "$(nproc)" --output-on-failure
    ;;
  --release)
    tools/setup.sh build-release -DSHREDMIT_WERROR=ON -DCMAKE_BUILD_TYPE=Release
    cd build-release
    ctest -j "$(nproc)" --output-on-failure
    ;;
  "")
    tools/setup.sh build -DSHREDMIT_WERROR=ON
    cd build
    ctest -j "$(nproc)" --output-on-failure
    ;;
  *)
    echo "usage: tools/test.sh [--sanitize|--clang|--release]" >&2
    exit 2
    ;;
esac
