SELECT
  submission_date,
  country,
  COUNT(DISTINCT client_id) AS dau,
  SUM(active_hours) AS hours
FROM
  `moz-fx-data-shared-prod.telemetry.clients_daily`
WHERE
  submission_date = @submission_date
  AND sample_id < 10
GROUP BY
  submission_date,
  country
HAVING
  COUNT(*) > 5
ORDER BY
  dau DESC
LIMIT
  100
