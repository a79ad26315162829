SELECT
  client_id,
  ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY submission_date DESC) AS rn,
  SUM(x) OVER (
    PARTITION BY
      client_id
    ORDER BY
      submission_date
    ROWS BETWEEN
      UNBOUNDED PRECEDING
      AND CURRENT ROW
  ) AS running,
  FIRST_VALUE(y IGNORE NULLS) OVER w AS first_y
FROM
  t
WINDOW
  w AS (
    PARTITION BY
      client_id
    ORDER BY
      submission_date
  )
QUALIFY
  rn = 1
