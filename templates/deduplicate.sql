-- name: deduplicate
-- output: sql
-- description: The copy-deduplicate step for one day of a live table: one row per document_id, the first seen. A document seen in the preceding lookback_days is left out (it belongs to an earlier day); among rows with the earliest submission_timestamp the one whose JSON text sorts first is kept, so the result does not depend on the order BigQuery reads rows in. Documents tagged `automation` in metadata.header.x_source_tags are left out unless exclude_automation is false (seed 001; bigquery-etl's copy_deduplicate does the same).
-- param: live_table | table | required | example: moz-fx-data-shared-prod.telemetry_live.main_v4 | The live table to deduplicate.
-- param: date | date | required | example: 2020-04-14 | The day to write.
-- param: lookback_days | integer 0..28 | default: 0 | example: 1 | Preceding days whose documents are not written again.
-- param: exclude_automation | bool | default: true | example: true | Leave out documents tagged `automation`.
WITH first_seen AS (
  SELECT
    document_id,
    MIN(submission_timestamp) AS submission_timestamp
  FROM
    {{ live_table }}
  WHERE
    DATE(submission_timestamp) BETWEEN DATE_SUB({{ date }}, INTERVAL {{ lookback_days }} DAY) AND {{ date }}
{%- if exclude_automation %}
    AND 'automation' NOT IN (
      SELECT
        TRIM(tag)
      FROM
        UNNEST(SPLIT(metadata.header.x_source_tags, ',')) AS tag
    )
{%- endif %}
  GROUP BY
    document_id
  -- HAVING sees the select list's aliases: submission_timestamp here is the MIN above (GoogleSQL
  -- refuses MIN(submission_timestamp) in HAVING as an aggregation of an aggregation).
  HAVING
    DATE(submission_timestamp) = {{ date }}
),
numbered AS (
  SELECT
    live.*,
    ROW_NUMBER() OVER (PARTITION BY live.document_id ORDER BY TO_JSON_STRING(live)) AS _n
  FROM
    {{ live_table }} AS live
  JOIN
    first_seen
    ON live.document_id = first_seen.document_id
    AND live.submission_timestamp = first_seen.submission_timestamp
  WHERE
    DATE(live.submission_timestamp) = {{ date }}
)
SELECT
  * EXCEPT (_n)
FROM
  numbered
WHERE
  _n = 1
