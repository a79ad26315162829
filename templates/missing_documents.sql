-- name: missing_documents
-- output: sql
-- description: Raw documents of a date range that are in neither the decoded tables nor, optionally, the error table: the staging input of a decoder backfill. The document id is the sixth segment of the raw `uri` (seed 000). Excluding the error table's documents is what keeps the staging input to the documents that were really lost (seed 000 pulled 5 million records instead of 90,000 without it).
-- param: raw_table | table | required | example: moz-fx-data-shared-prod.payload_bytes_raw.structured | The payload_bytes_raw table to read.
-- param: decoded_table | table_pattern | required | example: moz-fx-data-shared-prod.payload_bytes_decoded.structured_* | The decoded tables: one table, or a wildcard over a namespace's tables.
-- param: error_table | table | optional | example: moz-fx-data-shared-prod.payload_bytes_error.structured | The error table whose documents were processed too and must not be staged again.
-- param: dates | date_range | required | example: 2022-08-31..2022-08-31 | The submission dates of the incident, START..END (inclusive).
SELECT
  raw.*
FROM
  {{ raw_table }} AS raw
WHERE
  DATE(raw.submission_timestamp) BETWEEN {{ dates_start }} AND {{ dates_end }}
  AND NOT EXISTS (
    SELECT
      1
    FROM
      {{ decoded_table }} AS decoded
    WHERE
      DATE(decoded.submission_timestamp) BETWEEN {{ dates_start }} AND {{ dates_end }}
      AND decoded.document_id = SPLIT(raw.uri, '/')[SAFE_OFFSET(5)]
  )
{%- if error_table %}
  AND NOT EXISTS (
    SELECT
      1
    FROM
      {{ error_table }} AS error
    WHERE
      DATE(error.submission_timestamp) BETWEEN {{ dates_start }} AND {{ dates_end }}
      AND SPLIT(error.uri, '/')[SAFE_OFFSET(5)] = SPLIT(raw.uri, '/')[SAFE_OFFSET(5)]
  )
{%- endif %}
