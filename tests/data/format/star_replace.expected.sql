SELECT
  client_id,
  (
    SELECT AS STRUCT
      memory_report.* REPLACE (ARRAY(SELECT * FROM UNNEST(memory_report.reports.list)) AS reports)
  ) AS memory_report,
  (SELECT AS STRUCT crash.* EXCEPT (stack) REPLACE(UPPER(crash.reason) AS reason)) AS crash
FROM
  crashes
