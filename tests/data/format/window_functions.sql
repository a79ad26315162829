select client_id, row_number() over (partition by client_id order by submission_date desc) as rn,
sum(x) over (partition by client_id order by submission_date rows between unbounded preceding and current row) as running,
first_value(y ignore nulls) over w as first_y
from t window w as (partition by client_id order by submission_date)
qualify rn = 1
