WITH last_sessions AS (
  SELECT
    client_id,
    ARRAY_AGG(session_id ORDER BY event_timestamp DESC)[OFFSET(0)] AS last_reported_session,
    ARRAY_AGG(stub_session_identifier ORDER BY event_timestamp DESC)[0] AS last_stub_session_id
  FROM
    events
  GROUP BY
    client_id
)
SELECT
  *
FROM
  last_sessions
