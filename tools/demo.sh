#!/usr/bin/env bash
# Sets up and builds shredmit, then generates the shredder-mitigation query and checks for the
# bundled fixture (the seed's active_users_aggregates_v3 -> v4 example) into out/, and lints the
# new version, simulates the mitigation on the sample data of fixtures/simulate/, and validates,
# plans and runs the fixture's managed backfill (backfill.yaml, three dates) on fixtures/backfill/,
# writing the validation report of each date to out/backfill/report/DATE/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh build
./build/shredmit generate \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --output-dir out/active_users_aggregates_v4
# The pre-merge check of the new version's setup (rules SM001-SM011 and the backfill rules).
# --today: the fixture's backfill entry is dated 2024-06-05; later, it is too old to run (BF018).
./build/shredmit lint fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4 \
  --today 2024-06-05
# Proof on data: the generated query and checks run on sample NDJSON with GoogleSQL's reference
# evaluator (BigQuery's semantics).
./build/shredmit simulate \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --data fixtures/simulate/active_users_aggregates --date 2024-06-01
# The managed backfill: validate the entry, plan it offline, run it end to end on the engine.
./build/shredmit backfill validate fixtures/sql --today 2024-06-05
mkdir -p out/backfill
./build/shredmit backfill plan \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --today 2024-06-05 --output-dir out/backfill --format sh \
  > out/backfill/backfill.sh
./build/shredmit backfill run \
  moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4 \
  --sql-dir fixtures/sql --today 2024-06-05 --output-dir out/backfill \
  --data fixtures/backfill/active_users_aggregates --output out/backfill/tables \
  --report out/backfill/report
