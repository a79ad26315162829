SELECT
  coalesce(a, b, 0) AS a,
  safe.parse_date('%Y%m%d', ds) AS ds,
  mozfun.map.get_key(experiments, 'x') AS branch,
  if(os = 'Windows' AND windows_build_number IS NOT NULL, concat(os_version, '.', cast(windows_build_number AS string)), os_version) AS os_version_build,
  array_agg(STRUCT(key, value) ORDER BY key LIMIT 10) AS pairs,
  current_date() AS today, current_timestamp AS now,
  date_sub(current_date, interval 1 day) AS yesterday,
  -1 * x AS negated, NOT flag AS not_flag
FROM t
