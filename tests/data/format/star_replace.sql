SELECT
  client_id,
  (select as struct
      memory_report.* replace(ARRAY(SELECT * FROM UNNEST(memory_report.reports.list))AS reports)
  ) AS memory_report,
  (SELECT AS STRUCT crash.* EXCEPT (stack) REPLACE (UPPER(crash.reason) AS reason)) as crash
FROM crashes
