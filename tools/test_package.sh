#!/usr/bin/env bash
# Builds the .deb of BUILD_DIR with CPack, extracts it with dpkg-deb -x (no installation), and
# checks what a CI runner would use: the binary runs --version and the fixture's generate (also
# without GoogleSQL's engine, with a warning), the man page, the README and the engine's installer
# are in place, and Depends lists the shared libraries it links.
# Usage: tools/test_package.sh BUILD_DIR   (run by ctest as Package.DebExtractsAndRuns)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${1:?usage: tools/test_package.sh BUILD_DIR}" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/package" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  exit 1
}
deb=$(find "$work/package" -maxdepth 1 -name 'shredmit_*.deb' | head -n 1)
[ -n "$deb" ] || { echo "no .deb written" >&2; exit 1; }
dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin/shredmit"
"$bin" --version | grep -E '^shredmit [0-9]+\.[0-9]+\.[0-9]+' >/dev/null
"$bin" generate moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --output-dir "$work/out" >/dev/null 2>&1
cmp "$work/out/shredder_mitigation_query.sql" \
  tests/golden/active_users_aggregates_v4/shredder_mitigation_query.sql
test -s "$work/root/usr/share/man/man1/shredmit.1.gz"
test -s "$work/root/usr/share/doc/shredmit/README.md"
# The engine is not bundled; the script that installs it is, and the messages name it.
test -x "$work/root/usr/libexec/shredmit/install_engine.sh"
if SHREDMIT_ENGINE=/nonexistent "$bin" generate \
    moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
    --sql-dir fixtures/sql --output-dir "$work/out2" 2>"$work/no-engine.txt" >/dev/null; then
  grep -q "not analyzed: GoogleSQL's engine is not installed; install it with $work/root/usr/libexec/shredmit/install_engine.sh" "$work/no-engine.txt"
else
  echo "generate without the engine failed:" >&2
  cat "$work/no-engine.txt" >&2
  exit 1
fi
depends=$(dpkg-deb -f "$deb" Depends)
libs=(libantlr4-runtime libfmt libyaml libgrpc++ libprotobuf libstdc++)
# jemalloc is linked except in the sanitizer builds, which bring their own allocator.
if readelf -d "$bin" | grep -q 'NEEDED.*libjemalloc'; then libs+=(libjemalloc); fi
for lib in "${libs[@]}"; do
  grep -q "$lib" <<<"$depends" || { echo "Depends lacks $lib: $depends" >&2; exit 1; }
done
echo "ok: $(basename "$deb"), Depends: $depends"
