#!/usr/bin/env bash
# Installs shredmit's build dependencies (Debian 12 packages) when missing, then configures and
# builds it. Usage: tools/setup.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ ccache antlr4 libantlr4-runtime-dev nlohmann-json3-dev
          libyaml-dev pkg-config libfmt-dev libgtest-dev libcli11-dev
          shellcheck libdtl-dev help2man dpkg-dev file pre-commit git
          python3-jsonschema zlib1g-dev libjemalloc-dev libgrpc++-dev protobuf-compiler-grpc
          libprotobuf-dev protobuf-compiler openssl chromium mkdocs)
# Packages a caller needs beyond these (tools/test.sh --clang: clang-16).
read -r -a extra <<<"${SHREDMIT_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "shredmit: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# GoogleSQL's reference implementation (the engine), outside the repository (87 MB).
engine_dir=$(tools/install_engine.sh)
# ccache: clones in other folders (CI's fresh clone) share the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" -G Ninja -DSHREDMIT_ENGINE_DIR="$engine_dir" "$@" >&2
# SHREDMIT_BUILD_TARGETS: build only these targets (tools/fuzz/run.sh: the fuzz targets).
read -r -a targets <<<"${SHREDMIT_BUILD_TARGETS:-}"
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}" >&2
else
  cmake --build "$build_dir" -j "$(nproc)" >&2
fi
