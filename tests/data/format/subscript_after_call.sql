with last_sessions as(select client_id,
array_agg(session_id order by event_timestamp desc)[offset(0)] as last_reported_session,
    ARRAY_AGG(stub_session_identifier ORDER BY event_timestamp DESC)[0]   AS last_stub_session_id
from   events
group by client_id)
select * from last_sessions
