#!/usr/bin/env bash
# Sets up and builds shredmit, then generates the shredder-mitigation query and checks for the
# bundled fixture (the seed's active_users_aggregates_v3 -> v4 example) into out/, and lints the
# new version, and simulates the mitigation on the sample data of fixtures/simulate/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh build
./build/shredmit generate \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --output-dir out/active_users_aggregates_v4
# The pre-merge check of the new version's setup (rules SM001-SM012).
./build/shredmit lint fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4
# Proof on data: the generated query and checks run on sample NDJSON in SQLite.
./build/shredmit simulate \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --data fixtures/simulate/active_users_aggregates --date 2024-06-01
