SELECT
  *
FROM
  (
    SELECT
      a,
      (SELECT MAX(b) FROM u WHERE u.a = t.a) AS max_b
    FROM
      t
    WHERE
      a IN (SELECT a FROM v)
  ) AS s
WHERE
  EXISTS (SELECT 1 FROM w WHERE w.a = s.a)
