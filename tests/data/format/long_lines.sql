SELECT to_json_string(struct(submission_date, app_name, app_version, attribution_medium, attribution_source, city, country)) AS dimensions,
struct(a, b) AS short_struct,
greatest(abs(ifnull(previous_active_hours, 0)), abs(ifnull(backfilled_active_hours, 0)), 1) AS scale_active_hours_for_comparison
FROM t
WHERE submission_date BETWEEN date_sub(@submission_date, interval 28 day) AND @submission_date AND normalized_channel IN ('release', 'beta', 'nightly', 'esr', 'aurora')
