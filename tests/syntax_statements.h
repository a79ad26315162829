// Statements written for shredmit's parser tests: each covers a construct the grammar must
// accept (issue 2, "Parser and AST"). Every one must parse, print, and print identically after
// being parsed back.
#pragma once

#include <string_view>

namespace shredmit::testdata {

inline constexpr std::string_view kStatements[] = {
    // --- WITH, SELECT, aliases
    "SELECT 1",
    "select a, b as c, d e from t",
    "SELECT DISTINCT channel FROM t",
    "SELECT ALL channel FROM t",
    "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
    "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
    "SELECT a, b, FROM t",  // trailing comma in the select list
    "SELECT AS STRUCT 1 AS a, 2 AS b",
    "SELECT AS VALUE STRUCT(1 AS a)",
    // --- star modifiers
    "SELECT * FROM t",
    "SELECT * EXCEPT (client_id, sample_id) FROM t",
    "SELECT * REPLACE (LOWER(country) AS country) FROM t",
    "SELECT * EXCEPT (a) REPLACE (b + 1 AS b) FROM t",
    "SELECT t.* FROM t",
    "SELECT t.* EXCEPT (x), u.y FROM t JOIN u USING (id)",
    "SELECT s.payload.* FROM t AS s",
    // --- joins
    "SELECT * FROM a JOIN b ON a.id = b.id",
    "SELECT * FROM a INNER JOIN b ON a.id = b.id",
    "SELECT * FROM a LEFT JOIN b USING (id)",
    "SELECT * FROM a LEFT OUTER JOIN b USING (id, day)",
    "SELECT * FROM a RIGHT JOIN b ON a.id = b.id AND a.d = b.d",
    "SELECT * FROM a FULL OUTER JOIN b USING (k)",
    "SELECT * FROM a FULL JOIN b USING (k)",
    "SELECT * FROM a CROSS JOIN b",
    "SELECT * FROM a, b WHERE a.x = b.x",
    "SELECT * FROM a AS x JOIN b AS y ON x.k = y.k LEFT JOIN c ON c.k = y.k",
    "SELECT * FROM (a JOIN b USING (k)) LEFT JOIN c USING (k)",
    "SELECT * FROM a t1, a t2",
    // --- UNNEST
    "SELECT x FROM UNNEST([1, 2, 3]) AS x",
    "SELECT x, pos FROM UNNEST([1, 2]) AS x WITH OFFSET AS pos",
    "SELECT x FROM UNNEST(ARRAY<INT64>[1, 2]) x WITH OFFSET",
    "SELECT e.key FROM t, UNNEST(t.events) AS e",
    "SELECT e FROM t CROSS JOIN UNNEST(t.arr) AS e",
    "SELECT e FROM t LEFT JOIN UNNEST(t.arr) AS e",
    "SELECT k FROM t, t.keyed AS k",
    // --- subqueries
    "SELECT * FROM (SELECT a FROM t) AS sub",
    "SELECT * FROM (SELECT a FROM t) sub WHERE a > 0",
    "SELECT (SELECT MAX(x) FROM t) AS m",
    "SELECT a FROM t WHERE a IN (SELECT a FROM u)",
    "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
    "SELECT ARRAY(SELECT x FROM UNNEST(arr) AS x WHERE x > 0) AS positives FROM t",
    "(SELECT 1) UNION ALL (SELECT 2)",
    // --- WHERE, GROUP BY, HAVING, QUALIFY, WINDOW, ORDER BY, LIMIT
    "SELECT a, COUNT(*) FROM t WHERE b = 1 GROUP BY a",
    "SELECT a, b, SUM(c) FROM t GROUP BY 1, 2",
    "SELECT a, SUM(c) FROM t GROUP BY ALL",
    "SELECT a, b, SUM(c) FROM t GROUP BY ROLLUP(a, b)",
    "SELECT a, b, SUM(c) FROM t GROUP BY CUBE(a, b)",
    "SELECT a, b, SUM(c) FROM t GROUP BY GROUPING SETS (a, b, ())",
    "SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING COUNT(*) > 10",
    "SELECT a, ROW_NUMBER() OVER (PARTITION BY b ORDER BY c DESC) AS rn FROM t QUALIFY rn = 1",
    "SELECT a, SUM(x) OVER w AS s FROM t WINDOW w AS (PARTITION BY a ORDER BY d)",
    "SELECT SUM(x) OVER (w ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t WINDOW w AS (ORDER BY "
    "d)",
    "SELECT AVG(x) OVER (ORDER BY d RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) "
    "FROM t",
    "SELECT FIRST_VALUE(x IGNORE NULLS) OVER (PARTITION BY a ORDER BY b ROWS UNBOUNDED PRECEDING) "
    "FROM t",
    "SELECT a FROM t ORDER BY a DESC NULLS LAST, b ASC NULLS FIRST LIMIT 10 OFFSET 5",
    "SELECT a FROM t ORDER BY a LIMIT 1",
    // --- set operations
    "SELECT a FROM t UNION ALL SELECT a FROM u",
    "SELECT a FROM t UNION DISTINCT SELECT a FROM u",
    "SELECT a FROM t INTERSECT DISTINCT SELECT a FROM u",
    "SELECT a FROM t EXCEPT DISTINCT SELECT a FROM u",
    "SELECT * FROM t EXCEPT DISTINCT SELECT * FROM u",
    "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 ORDER BY 1",
    // --- expressions and precedence
    "SELECT 1 + 2 * 3 - 4 / 5",
    "SELECT (1 + 2) * 3",
    "SELECT -x, +y, ~z, - -1",
    "SELECT a || b || 'c'",
    "SELECT a << 2, b >> 1, c & d, e ^ f, g | h",
    "SELECT a = 1 AND b != 2 OR c <> 3 AND NOT d",
    "SELECT a < b, a <= b, a > b, a >= b",
    "SELECT x BETWEEN 1 AND 10 AND y NOT BETWEEN 2 AND 3",
    "SELECT x IN (1, 2, 3), y NOT IN ('a', 'b')",
    "SELECT x IN UNNEST(arr) FROM t",
    "SELECT name LIKE 'a%', name NOT LIKE '%b'",
    "SELECT name LIKE ANY ('a%', 'b%'), name NOT LIKE ALL ('x%')",
    "SELECT x IS NULL, y IS NOT NULL, z IS TRUE, w IS NOT FALSE",
    "SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b",
    "SELECT NOT a IN (1, 2)",
    // --- CASE, IF, CAST, EXTRACT, INTERVAL
    "SELECT CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END AS sign FROM t",
    "SELECT CASE channel WHEN 'release' THEN 1 ELSE 0 END FROM t",
    "SELECT CASE WHEN x THEN 1 END",
    "SELECT IF(a > 0, 'yes', 'no') AS answer FROM t",
    "SELECT IFNULL(city, '??') AS city, COALESCE(a, b, 0) FROM t",
    "SELECT CAST(x AS INT64), SAFE_CAST(y AS FLOAT64), CAST(z AS STRING)",
    "SELECT CAST(x AS NUMERIC(10, 2)), CAST(s AS ARRAY<STRING>)",
    "SELECT CAST(d AS STRING FORMAT 'YYYY')",
    "SELECT EXTRACT(YEAR FROM first_seen_date) AS first_seen_year FROM t",
    "SELECT EXTRACT(WEEK(SUNDAY) FROM d), EXTRACT(DATE FROM ts AT TIME ZONE 'UTC')",
    "SELECT DATE_SUB(@submission_date, INTERVAL 28 DAY)",
    "SELECT INTERVAL '1:2' HOUR TO MINUTE",
    "SELECT DATE_TRUNC(submission_date, WEEK(MONDAY)), DATE_DIFF(a, b, DAY) FROM t",
    // --- function calls
    "SELECT mozfun.map.get_key(m, 'key') FROM t",
    "SELECT `moz-fx-data-shared-prod`.udf.normalize_os(os) FROM t",
    "SELECT SAFE.PARSE_DATE('%Y%m%d', s), SAFE_DIVIDE(a, b) FROM t",
    "SELECT COUNT(*), COUNT(DISTINCT client_id), COUNTIF(active) FROM t",
    "SELECT ARRAY_AGG(x IGNORE NULLS ORDER BY ts DESC LIMIT 1)[OFFSET(0)] FROM t",
    "SELECT STRING_AGG(DISTINCT name, ', ' ORDER BY name) FROM t",
    "SELECT ANY_VALUE(x HAVING MAX ts), ARRAY_AGG(y RESPECT NULLS) FROM t",
    "SELECT APPROX_QUANTILES(x, 100)[OFFSET(50)] AS median FROM t",
    "SELECT HLL_COUNT.MERGE(sketch) FROM t",
    "SELECT LEFT(s, 3), RIGHT(s, 2), GROUPING(a) FROM t GROUP BY ROLLUP(a)",
    "SELECT ARRAY_FILTER(arr, e -> e > 0), ARRAY_TRANSFORM(arr, (e, i) -> e * i) FROM t",
    "SELECT JSON_VALUE(payload, '$.a'), TO_JSON_STRING(t) FROM t",
    "SELECT f(x => 1, y => 'two')",
    "SELECT CURRENT_DATE(), CURRENT_TIMESTAMP",
    // --- ARRAY and STRUCT
    "SELECT [1, 2, 3], ARRAY[4, 5], ARRAY<FLOAT64>[1.5], []",
    "SELECT STRUCT(1 AS a, 'x' AS b), STRUCT<a INT64, b STRING>(1, 'x'), (1, 2)",
    "SELECT STRUCT<a ARRAY<STRUCT<b INT64>>>([STRUCT(1)])",
    "SELECT arr[OFFSET(0)], arr[SAFE_OFFSET(1)], arr[ORDINAL(1)], arr[SAFE_ORDINAL(2)], arr[0]",
    "SELECT s.a.b, s.a.b.c[OFFSET(0)].d FROM t AS s",
    "SELECT t.all, t.select FROM t",
    // --- literals
    "SELECT 'single', \"double\", '''triple ' quoted''', \"\"\"triple \" double\"\"\"",
    "SELECT r'raw\\d', R\"raw\", b'bytes', B\"bytes\", rb'raw bytes', BR'x'",
    "SELECT 'it\\'s', \"say \\\"hi\\\"\", '\\n\\t'",
    "SELECT 42, 0x1F, 3.14, .5, 1e10, 2.5E-3, 7.",
    "SELECT TRUE, false, NULL",
    "SELECT DATE '2024-01-01', DATETIME '2024-01-01 10:00:00', TIME '10:00:00'",
    "SELECT TIMESTAMP '2024-01-01 00:00:00+00', NUMERIC '1.5', BIGNUMERIC '1e40', JSON '{\"a\": "
    "1}'",
    "SELECT RANGE<DATE> '[2024-01-01, 2024-02-01)'",
    // --- identifiers, parameters, comments
    "SELECT * FROM `moz-fx-data-shared-prod.telemetry.main`",
    "SELECT * FROM `moz-fx-data-shared-prod`.telemetry.main",
    "SELECT * FROM mozdata.telemetry.clients_daily AS cd",
    "SELECT `select`, `my col` FROM `weird\\`name`",
    "SELECT date, time, timestamp, offset, value, replace FROM t",
    "SELECT * FROM t WHERE submission_date = @submission_date AND sample_id < @@dataset_id",
    "SELECT 1 -- trailing comment\n# hash comment\n/* block\ncomment */ + 2",
    "SeLeCt A FrOm T wHeRe B iS nUlL",
    "SELECT a FROM t;",
    "SELECT @submission_date AS submission_date, normalized_channel AS channel, COUNT(*) AS n "
    "FROM t WHERE submission_date = @submission_date GROUP BY submission_date, normalized_channel",
};

}  // namespace shredmit::testdata
