SELECT CASE WHEN a > 0 THEN 'positive' WHEN a < 0 THEN 'negative' ELSE 'zero' END AS sign,
case channel when 'release' then 1 when 'beta' then 2 else 3 end as channel_rank,
CASE WHEN x THEN CASE WHEN y THEN 1 ELSE 2 END ELSE 3 END AS nested
FROM t
