SELECT
  CAST(x AS ARRAY<STRUCT<a INT64, b STRING>>),
  SAFE_CAST(y AS numeric),
  r'\d+',
  b'bytes',
  R 'upper_prefix',
  '''triple
quoted''',
  "double",
  0x1F,
  1.5e-3,
  10 >> 2,
  a <= b,
  a <> b,
  a || b,
  DATE '2024-01-01',
  TIMESTAMP '2024-01-01 00:00:00',
  INTERVAL 3 HOUR,
  STRUCT(1 AS a, 'x' AS b),
  [1, 2, 3],
  ARRAY<INT64>[1, 2],
  _PARTITIONTIME,
  _TABLE_SUFFIX
FROM
  t
