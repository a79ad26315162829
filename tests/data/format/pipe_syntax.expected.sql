FROM
  t
|>
  WHERE
    x > 1
|>
  AGGREGATE
    COUNT(*) AS n
  GROUP BY
    y
|>
  ORDER BY
    n DESC
|>
  LIMIT
    10
