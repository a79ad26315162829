DECLARE n INT64 DEFAULT 0;

DECLARE names ARRAY<STRING>;

SET
  n = (SELECT COUNT(*) FROM t);

IF
  n > 0
THEN
  SELECT
    'rows';
ELSEIF
  n = 0
THEN
  SELECT
    'empty';
ELSE
  SELECT
    'negative';
END IF;

WHILE n > 0
DO
  SET
    n = n - 1;
END WHILE;
BEGIN
  SELECT
    1;
EXCEPTION WHEN ERROR THEN
  SELECT
    @@error.message;
END;

LOOP
  LEAVE;
END LOOP;
