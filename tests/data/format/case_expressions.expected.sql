SELECT
  CASE
    WHEN a > 0
      THEN 'positive'
    WHEN a < 0
      THEN 'negative'
    ELSE 'zero'
  END AS sign,
  CASE
    channel
    WHEN 'release'
      THEN 1
    WHEN 'beta'
      THEN 2
    ELSE 3
  END AS channel_rank,
  CASE
    WHEN x
      THEN
        CASE
          WHEN y
            THEN 1
          ELSE 2
        END
    ELSE 3
  END AS nested
FROM
  t
