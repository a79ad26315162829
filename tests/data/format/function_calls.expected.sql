SELECT
  COALESCE(a, b, 0) AS a,
  SAFE.PARSE_DATE('%Y%m%d', ds) AS ds,
  mozfun.map.get_key(experiments, 'x') AS branch,
  IF(
    os = 'Windows'
    AND windows_build_number IS NOT NULL,
    CONCAT(os_version, '.', CAST(windows_build_number AS string)),
    os_version
  ) AS os_version_build,
  ARRAY_AGG(STRUCT(key, value) ORDER BY key LIMIT 10) AS pairs,
  CURRENT_DATE() AS today,
  CURRENT_TIMESTAMP AS now,
  DATE_SUB(CURRENT_DATE, INTERVAL 1 DAY) AS yesterday,
  -1 * x AS negated,
  NOT flag AS not_flag
FROM
  t
