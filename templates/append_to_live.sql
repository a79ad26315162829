-- name: append_to_live
-- output: sql
-- description: Appends one day of validated backfill rows to the production live table, after which copy_deduplicate repopulates the stable table (seed 002: the backfill should have been live-like, and appending needs the live table's columns). The column list is read from the live table's INFORMATION_SCHEMA when the script runs and used for both the INSERT and the SELECT, so a backfill table with extra or reordered columns cannot shift values. Documents already in the live table for the day are not appended again, so the script can be rerun.
-- param: backfill_table | table | required | example: moz-fx-data-backfill-11.telemetry_live.event_v4 | The validated backfill table, live-like.
-- param: live_table | table | required | example: moz-fx-data-shared-prod.telemetry_live.event_v4 | The production live table.
-- param: date | date | required | example: 2020-03-16 | The day to append.
DECLARE live_columns STRING DEFAULT (
  SELECT
    STRING_AGG(CONCAT('`', column_name, '`'), ', ' ORDER BY ordinal_position)
  FROM
    {{ live_table_information_schema_columns }}
  WHERE
    table_name = '{{ live_table_table }}'
);

ASSERT live_columns IS NOT NULL AS 'the live table {{ live_table_bq }} was not found in INFORMATION_SCHEMA';

EXECUTE IMMEDIATE FORMAT(
  """
  INSERT INTO {{ live_table }} (%s)
  SELECT
    %s
  FROM
    {{ backfill_table }} AS backfill
  WHERE
    DATE(backfill.submission_timestamp) = {{ date }}
    AND NOT EXISTS (
      SELECT
        1
      FROM
        {{ live_table }} AS live
      WHERE
        DATE(live.submission_timestamp) = {{ date }}
        AND live.document_id = backfill.document_id
    )
  """,
  live_columns,
  live_columns
);
