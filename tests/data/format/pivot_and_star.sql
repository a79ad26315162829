select * except (a, b) replace (c * 2 as c) from t pivot (sum(n) for k in ('x', 'y')) unpivot include nulls (v for name in (x, y)) tablesample system (10 percent)
