#!/usr/bin/env bash
# The hooks of .pre-commit-hooks.yaml, run by Debian's pre-commit (`pre-commit try-repo`) on two
# temporary git repositories laid out like bigquery-etl: a clean one (the fixture's tables,
# formatted, with a backfill entry dated today) must pass; a broken one (an unformatted query
# and a backfill entry with a bad status) must fail with located messages.
# Usage: tools/test_precommit.sh BUILD_DIR   (run by ctest as PreCommit.HooksPassAndFail)
# Exits 77 (skipped) when this source tree is not a git checkout: try-repo needs one.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build="$(cd "${1:?usage: tools/test_precommit.sh BUILD_DIR}" && pwd)"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$build:$PATH" PRE_COMMIT_HOME="$work/cache"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com

table=sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates
clean="$work/clean"
mkdir -p "$clean/$(dirname "$table")"
cp -r fixtures/bigquery_etl "$clean/bigquery_etl"
for v in v3 v4; do cp -r "fixtures/${table}_$v" "$clean/${table}_$v"; done
today=$(date +%F)
cat >"$clean/${table}_v4/backfill.yaml" <<YAML
$today:
  start_date: $(date -d '-10 days' +%F)
  end_date: $(date -d '-8 days' +%F)
  reason: Version 4 changes the definition of segment_dau.
  watchers:
  - kpi-owner@example.com
  status: Initiate
  shredder_mitigation: true
  override_retention_limit: false
YAML
shredmit format "$clean/sql" >/dev/null 2>&1
git -C "$clean" init -q && git -C "$clean" add -A
if ! (cd "$clean" && pre-commit try-repo "$src" --all-files >"$work/clean.log" 2>&1); then
  cat "$work/clean.log" >&2
  echo "FAIL: the clean tree did not pass" >&2
  exit 1
fi
for hook in shredmit-lint shredmit-format shredmit-backfill-validate; do
  grep -E "^shredmit .*Passed$|$hook" "$work/clean.log" >/dev/null
done

broken="$work/broken"
cp -r "$clean" "$broken"
printf 'select 1 as x' >"$broken/${table}_v4/query_extra.sql"
sed -i 's/status: Initiate/status: Started/' "$broken/${table}_v4/backfill.yaml"
git -C "$broken" add -A
if (cd "$broken" && pre-commit try-repo "$src" --all-files >"$work/broken.log" 2>&1); then
  cat "$work/broken.log" >&2
  echo "FAIL: the broken tree passed" >&2
  exit 1
fi
expect() {
  grep -E "$1" "$work/broken.log" >/dev/null || {
    cat "$work/broken.log" >&2
    echo "FAIL: no line matching: $1" >&2
    exit 1
  }
}
expect "query_extra\.sql: needs formatting"
expect "${table}_v4/backfill\.yaml:[0-9]+:[0-9]+: error: \[BF[0-9]+\]"
expect "^shredmit lint .*Failed$"
expect "^shredmit format --check .*Failed$"
expect "^shredmit backfill validate.*Failed$"
echo "ok: the clean tree passes the three hooks, the broken one fails them with located messages"
