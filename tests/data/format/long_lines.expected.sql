SELECT
  TO_JSON_STRING(
    STRUCT(
      submission_date,
      app_name,
      app_version,
      attribution_medium,
      attribution_source,
      city,
      country
    )
  ) AS dimensions,
  STRUCT(a, b) AS short_struct,
  GREATEST(
    ABS(IFNULL(previous_active_hours, 0)),
    ABS(IFNULL(backfilled_active_hours, 0)),
    1
  ) AS scale_active_hours_for_comparison
FROM
  t
WHERE
  submission_date
  BETWEEN DATE_SUB(@submission_date, INTERVAL 28 DAY)
  AND @submission_date
  AND normalized_channel IN ('release', 'beta', 'nightly', 'esr', 'aurora')
