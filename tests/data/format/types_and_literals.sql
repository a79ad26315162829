SELECT cast(x as array<struct<a int64, b string>>), safe_cast(y AS numeric), r'\d+', b'bytes', R'upper_prefix', '''triple
quoted''', "double", 0x1F, 1.5e-3, 10 >> 2, a <= b, a <> b, a || b, date '2024-01-01', timestamp '2024-01-01 00:00:00', interval 3 hour, struct(1 as a, 'x' as b), [1, 2, 3], array<int64>[1, 2], _partitiontime, _table_suffix
FROM t
