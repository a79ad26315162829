# name: partition_copy
# output: shell
# description: Overwrites one date partition (`table$YYYYMMDD`) of a production table with the backfill table's partition, with `bq cp -f`. This needs elevated rights (seed 001), so the script first runs validate_counts with fail set and copies only when every check passes: `set -e` stops it when the query fails.
# param: decoded_table | table | required | example: moz-fx-data-shared-prod.payload_bytes_decoded.telemetry_telemetry__main_v4 | The payload_bytes_decoded table of the document type.
# param: live_table | table | required | example: moz-fx-data-shared-prod.telemetry_live.main_v4 | The production live table.
# param: stable_table | table | required | example: moz-fx-data-shared-prod.telemetry_stable.main_v4 | The production table whose partition is overwritten.
# param: backfill_table | table | required | example: moz-fx-data-backfill-14.telemetry_stable.main_v4 | The validated backfill table.
# param: date | date | required | example: 2020-04-14 | The partition to overwrite.
# include: validation_sql = validate_counts(fail=true)
#!/usr/bin/env bash
set -euo pipefail

# 1. Validate: the query raises an ERROR (and bq exits non-zero) when a check fails.
bq query --nouse_legacy_sql --project_id='{{ backfill_table_project }}' <<'VALIDATE_COUNTS'
{{ validation_sql }}
VALIDATE_COUNTS

# 2. Overwrite the production partition with the validated one.
bq cp -f '{{ backfill_table_bq }}${{ date_compact }}' '{{ stable_table_bq }}${{ date_compact }}'
