#fail
SELECT
  IF((SELECT COUNT(*) FROM t WHERE x IS NULL) > 0, ERROR('nulls found'), NULL);

#warn
SELECT
  IF((SELECT COUNT(*) FROM t) = 0, ERROR('empty'), NULL);
