-- name: validate_counts
-- output: sql
-- description: Distinct document counts for one day in payload_bytes_decoded, the live table, the stable table and the backfill table, the backfill/live ratio, and the four checks of seed 001: the backfill is not deduplicated, has fewer documents than live, has fewer than stable, or does not match payload_bytes_decoded. `failures` lists every failing check (NULL when all pass). With fail set it is the `#fail` variant: marked `#fail` as bigquery-etl's checks are, it raises an ERROR naming the failures, for a scheduled check or a script.
-- param: decoded_table | table | required | example: moz-fx-data-shared-prod.payload_bytes_decoded.telemetry_telemetry__main_v4 | The payload_bytes_decoded table of the document type.
-- param: live_table | table | required | example: moz-fx-data-shared-prod.telemetry_live.main_v4 | The production live table.
-- param: stable_table | table | required | example: moz-fx-data-shared-prod.telemetry_stable.main_v4 | The production stable table.
-- param: backfill_table | table | required | example: moz-fx-data-backfill-14.telemetry_stable.main_v4 | The deduplicated backfill table.
-- param: date | date | required | example: 2020-04-14 | The day to compare.
-- param: fail | bool | default: false | example: true | Raise an ERROR when a check fails.
{% if fail %}#fail
{% endif %}WITH decoded AS (
  SELECT
    COUNT(DISTINCT document_id) AS n
  FROM
    {{ decoded_table }}
  WHERE
    DATE(submission_timestamp) = {{ date }}
),
live AS (
  SELECT
    COUNT(DISTINCT document_id) AS n
  FROM
    {{ live_table }}
  WHERE
    DATE(submission_timestamp) = {{ date }}
),
stable AS (
  SELECT
    COUNT(DISTINCT document_id) AS n
  FROM
    {{ stable_table }}
  WHERE
    DATE(submission_timestamp) = {{ date }}
),
backfill AS (
  SELECT
    COUNT(*) AS n,
    COUNT(DISTINCT document_id) AS n_distinct
  FROM
    {{ backfill_table }}
  WHERE
    DATE(submission_timestamp) = {{ date }}
),
counts AS (
  SELECT
    decoded.n AS n_decoded,
    live.n AS n_live,
    stable.n AS n_stable,
    backfill.n AS n_backfill,
    backfill.n_distinct AS n_backfill_distinct,
    SAFE_DIVIDE(backfill.n, live.n) AS ratio,
    backfill.n_distinct != backfill.n AS not_deduplicated,
    backfill.n < live.n AS fewer_than_live,
    backfill.n < stable.n AS fewer_than_stable,
    backfill.n != decoded.n AS not_matching_decoded
  FROM
    decoded
  CROSS JOIN
    live
  CROSS JOIN
    stable
  CROSS JOIN
    backfill
),
checked AS (
  SELECT
    *,
    NULLIF(
      CONCAT(
        IF(not_deduplicated, 'backfill is not deduplicated; ', ''),
        IF(fewer_than_live, 'backfill has fewer documents than live; ', ''),
        IF(fewer_than_stable, 'backfill has fewer documents than stable; ', ''),
        IF(not_matching_decoded, 'backfill does not match payload_bytes_decoded; ', '')
      ),
      ''
    ) AS failures
  FROM
    counts
)
SELECT
{%- if fail %}
  IF(failures IS NULL, 'ok', ERROR(CONCAT('validate_counts failed for {{ date_iso }}: ', failures))) AS verdict,
{%- endif %}
  *
FROM
  checked
