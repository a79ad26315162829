CREATE OR REPLACE TABLE
  `p.d.t`(
    submission_date DATE,
    client_id STRING,
    n INT64,
    tags ARRAY<STRUCT<key STRING, value STRING>>
  )
PARTITION BY
  submission_date
CLUSTER BY
  client_id
OPTIONS
  (description = 'x', require_partition_filter = TRUE);

INSERT INTO
  p.d.t(submission_date, client_id, n)
VALUES
  ('2024-01-01', 'a', 1),
  ('2024-01-02', 'b', 2);

DELETE FROM
  p.d.t
WHERE
  n IS NULL;

MERGE INTO
  p.d.t AS target
  USING p.d.s AS source
  ON target.client_id = source.client_id
WHEN MATCHED
THEN
  UPDATE
  SET
    n = source.n
  WHEN NOT MATCHED
THEN
  INSERT
    (client_id, n)
  VALUES
    (source.client_id, source.n);

  DROP TABLE IF EXISTS
    p.d.old;
