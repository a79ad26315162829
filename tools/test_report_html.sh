#!/usr/bin/env bash
# The validation report's HTML page in headless Chromium (Debian's chromium): the report of the
# fixture with late rows is opened, screenshotted, and must log no console message; a page that
# logs a console error must be caught, so the check can fail.
# Usage: tools/test_report_html.sh BUILD_DIR [SCREENSHOT.png]  (ctest: ReportHtml.RendersInChromium)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${1:?usage: tools/test_report_html.sh BUILD_DIR [SCREENSHOT.png]}" && pwd)"
shot="${2:-}"
command -v chromium >/dev/null || { echo "chromium is not installed (tools/setup.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table=moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4
cp -r fixtures/simulate/active_users_aggregates "$work/data"
upstream="$work/data/moz-fx-data-shared-prod.telemetry.desktop_active_users.ndjson"
late=$(sed -n '/"client_id": "c12"/p' "$upstream" | sed 's/"c12"/"c13"/')
echo "$late" >>"$upstream"
"$build/shredmit" simulate "$table" --sql-dir fixtures/sql --data "$work/data" --date 2024-06-01 \
  --report "$work/report" >/dev/null 2>&1 || [ $? -eq 1 ]

# open PAGE PNG: renders PAGE headless into PNG; prints the console messages Chromium logged.
open_page() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$RANDOM" --enable-logging=stderr --v=0 \
    --window-size=900,1400 --screenshot="$2" "file://$1" 2>&1 | grep 'CONSOLE' || true
}

console=$(open_page "$work/report/report.html" "$work/shot.png")
[ -s "$work/shot.png" ] || { echo "no screenshot was taken" >&2; exit 1; }
if [ -n "$console" ]; then
  echo "the report page logged console messages:" >&2
  echo "$console" >&2
  exit 1
fi
grep -q '<svg role="img"' "$work/report/report.html"
! grep -qiE '<script|https?://[a-z]' "$work/report/report.html" || {
  echo "the report page has a script or a network address" >&2
  exit 1
}
# The check can fail: a page with a console error is caught.
echo '<!DOCTYPE html><html><body><script>console.error("planted")</script></body></html>' \
  >"$work/bad.html"
bad=$(open_page "$work/bad.html" "$work/bad.png")
grep -q planted <<<"$bad" || { echo "a planted console error was not seen" >&2; exit 1; }
if [ -n "$shot" ]; then cp "$work/shot.png" "$shot"; fi
echo "ok: report.html rendered ($(stat -c %s "$work/shot.png") bytes of screenshot), no console message; a planted error was seen"
