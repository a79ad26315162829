WITH base AS (
  SELECT
    *
  FROM
    a
),
other AS (
  SELECT
    id,
    x
  FROM
    b
)
SELECT
  base.id,
  other.x
FROM
  base
LEFT JOIN
  other
  USING (id)
CROSS JOIN
  UNNEST(base.items) AS item
  WITH OFFSET AS pos
INNER JOIN
  c
  ON c.id = base.id
  AND c.day = base.day
UNION ALL
SELECT
  id,
  x
FROM
  d
EXCEPT DISTINCT
SELECT
  id,
  x
FROM
  e
