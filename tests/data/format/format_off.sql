select a,
  -- format: off
  STRUCT(1   AS x,   2 AS y)   AS   kept_as_written,
  -- format: on
  struct(1 as x) as reformatted
from t
