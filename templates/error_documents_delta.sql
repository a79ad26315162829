-- name: error_documents_delta
-- output: sql
-- description: Error rows that a backfill produced whose document id is not already in the production error table for the date range: the rows to append to production errors. This is the valid form of seed 000's step 5.3 (whose `SELECT *, DISTINCT ...` is not SQL).
-- param: backfill_error_table | table | required | example: moz-fx-data-backfill-10.payload_bytes_error.structured | The error table the backfill wrote.
-- param: production_error_table | table | required | example: moz-fx-data-shared-prod.payload_bytes_error.structured | The production error table.
-- param: dates | date_range | required | example: 2022-08-31..2022-08-31 | The submission dates of the backfill, START..END (inclusive).
SELECT
  backfill.*
FROM
  {{ backfill_error_table }} AS backfill
WHERE
  DATE(backfill.submission_timestamp) BETWEEN {{ dates_start }} AND {{ dates_end }}
  AND NOT EXISTS (
    SELECT
      1
    FROM
      {{ production_error_table }} AS production
    WHERE
      DATE(production.submission_timestamp) BETWEEN {{ dates_start }} AND {{ dates_end }}
      AND SPLIT(production.uri, '/')[SAFE_OFFSET(5)] = SPLIT(backfill.uri, '/')[SAFE_OFFSET(5)]
  )
