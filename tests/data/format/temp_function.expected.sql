CREATE TEMP FUNCTION normalize_channel(channel STRING)
RETURNS STRING AS (
  IF(channel IN ('release', 'beta', 'nightly'), channel, 'other')
);

CREATE TEMPORARY FUNCTION js_len(s STRING)
RETURNS INT64
LANGUAGE js
AS
  """return s.length;""";

SELECT
  normalize_channel(channel) AS channel,
  js_len(name)
FROM
  t
