SELECT
  a,
  -- format: off
  STRUCT(1   AS x,   2 AS y)   AS   kept_as_written,
  -- format: on
  STRUCT(1 AS x) AS reformatted
FROM
  t
