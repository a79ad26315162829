-- name: staging_tables
-- output: sql
-- description: The backfill project's tables in datasets ending in a suffix (`_live` or `_stable`) that were created after a date and hold rows: the tables to copy-deduplicate or append (seed 000). The creation date filter leaves out stale metadata of tables from earlier backfills in the same project. The suffix is matched with ENDS_WITH, not LIKE, whose `_` matches any character.
-- param: project | project | required | example: moz-fx-data-backfill-10 | The backfill project.
-- param: dataset_suffix | dataset | required | example: _live | The dataset name suffix.
-- param: created_after | date | required | example: 2022-08-31 | Only tables created on or after this day.
SELECT
  FORMAT('%s.%s', table_schema, table_name) AS table_id,
  total_rows,
  creation_time
FROM
  `{{ project }}.region-us.INFORMATION_SCHEMA.TABLE_STORAGE_BY_PROJECT`
WHERE
  DATE(creation_time) >= {{ created_after }}
  AND ENDS_WITH(table_schema, '{{ dataset_suffix }}')
  AND total_rows > 0
ORDER BY
  table_id
