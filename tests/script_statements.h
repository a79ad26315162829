// Statements written for shredmit's script tests (issue 3): each covers a statement kind or a
// query construct of the bigquery-etl tree. Every one must parse with parse_statements, print,
// and print identically after being parsed back.
#pragma once

#include <string_view>

namespace shredmit::testdata {

inline constexpr std::string_view kScripts[] = {
    // --- functions
    "CREATE TEMP FUNCTION add_one(x INT64) AS (x + 1); SELECT add_one(1)",
    "CREATE TEMPORARY FUNCTION f(x ANY TYPE) AS ((SELECT COUNT(*) FROM UNNEST(x)))",
    "CREATE OR REPLACE FUNCTION udf.pick(m ANY TYPE, k STRING) RETURNS STRING AS "
    "((SELECT value FROM UNNEST(m) WHERE key = k LIMIT 1))",
    "CREATE OR REPLACE FUNCTION udf_js.decode(raw STRING) RETURNS ARRAY<INT64> "
    "DETERMINISTIC LANGUAGE js AS \"\"\"return raw.split(',').map(Number);\"\"\"",
    "CREATE TEMP FUNCTION parse(s STRING) RETURNS STRUCT<a INT64, b STRING> LANGUAGE js "
    "OPTIONS (library = ['gs://bucket/lib.js']) AS r'''return {a: 1, b: s};'''",
    "CREATE FUNCTION IF NOT EXISTS d.f(x FLOAT64) RETURNS FLOAT64 NOT DETERMINISTIC "
    "LANGUAGE js AS 'return Math.random() * x;'",
    "CREATE OR REPLACE FUNCTION `moz-fx-data-shared-prod`.udf.g(x INT64) AS (x * 2) "
    "OPTIONS (description = 'doubles')",
    "CREATE AGGREGATE FUNCTION d.total(x INT64, scale INT64 NOT AGGREGATE) AS (SUM(x) * scale)",
    "CREATE OR REPLACE TABLE FUNCTION d.events_for(day DATE) RETURNS TABLE<id STRING, n INT64> "
    "AS SELECT id, COUNT(*) AS n FROM d.events WHERE submission_date = day GROUP BY id",
    // --- tables, views, schemas
    "CREATE OR REPLACE VIEW `moz-fx-data-shared-prod.telemetry.clients` AS SELECT * FROM "
    "`moz-fx-data-shared-prod.telemetry_derived.clients_v1`",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS p.d.mv PARTITION BY DATE(ts) CLUSTER BY country "
    "OPTIONS (enable_refresh = TRUE, refresh_interval_minutes = 60) AS SELECT ts, country, "
    "COUNT(*) AS n FROM p.d.t GROUP BY ts, country",
    "CREATE VIEW d.v (a OPTIONS (description = 'first'), b) AS SELECT 1, 2",
    "CREATE TEMP TABLE staging (id STRING NOT NULL, n INT64 DEFAULT 0 OPTIONS (description = "
    "'count'), tags ARRAY<STRUCT<k STRING, v STRING>>)",
    "CREATE TABLE IF NOT EXISTS p.d.t (submission_date DATE, client_id STRING) PARTITION BY "
    "submission_date CLUSTER BY client_id OPTIONS (require_partition_filter = TRUE)",
    "CREATE OR REPLACE TABLE d.copy AS SELECT * FROM d.source WHERE x > 0",
    "CREATE TABLE d.empty_like LIKE d.source",
    "CREATE SNAPSHOT TABLE d.snap CLONE d.source FOR SYSTEM_TIME AS OF TIMESTAMP "
    "'2024-01-01 00:00:00+00' OPTIONS (expiration_timestamp = TIMESTAMP '2024-02-01')",
    "CREATE SCHEMA IF NOT EXISTS p.staging OPTIONS (location = 'US')",
    "DROP TABLE IF EXISTS d.tmp",
    "DROP SNAPSHOT TABLE d.snap",
    "DROP VIEW d.v; DROP FUNCTION IF EXISTS d.f",
    "TRUNCATE TABLE d.t",
    // --- DML
    "INSERT INTO d.t (a, b) VALUES (1, 'x'), (2, DEFAULT)",
    "INSERT d.t SELECT * FROM d.s WHERE day = @submission_date",
    "INSERT INTO `my-project.d.t` (a) (SELECT 1)",
    "DELETE FROM d.t WHERE submission_date = @submission_date",
    "DELETE d.t AS x WHERE x.n IS NULL",
    "UPDATE d.t SET n = n + 1, s.label = 'x' WHERE id IN (SELECT id FROM d.ids)",
    "UPDATE d.t AS a SET n = b.n FROM d.other AS b WHERE a.id = b.id",
    "MERGE INTO d.target AS t USING (SELECT * FROM d.source) AS s ON t.id = s.id "
    "WHEN MATCHED AND s.deleted THEN DELETE "
    "WHEN MATCHED THEN UPDATE SET n = s.n, updated = CURRENT_TIMESTAMP() "
    "WHEN NOT MATCHED THEN INSERT (id, n) VALUES (s.id, s.n) "
    "WHEN NOT MATCHED BY SOURCE THEN DELETE",
    "MERGE d.t USING d.s ON FALSE WHEN NOT MATCHED BY TARGET THEN INSERT ROW",
    "EXPORT DATA OPTIONS (uri = 'gs://bucket/out/*.json', format = 'JSON', overwrite = TRUE) "
    "AS SELECT * FROM d.t",
    // --- scripting
    "DECLARE day DATE DEFAULT CURRENT_DATE(); DECLARE a, b INT64; SET a = 1; "
    "SET (a, b) = (SELECT AS STRUCT 1, 2); SET @@dataset_project_id = 'p'",
    "BEGIN SELECT 1; SELECT 2; END",
    "BEGIN SELECT 1 / 0; EXCEPTION WHEN ERROR THEN SELECT @@error.message; END",
    "BEGIN TRANSACTION; DELETE FROM d.t WHERE TRUE; COMMIT TRANSACTION",
    "BEGIN TRANSACTION; ROLLBACK",
    "IF (SELECT COUNT(*) FROM d.t) = 0 THEN RAISE USING MESSAGE = 'empty'; "
    "ELSEIF @x > 1 THEN SELECT 1; ELSE SELECT 2; END IF",
    "IF TRUE THEN RETURN; END IF",
    "LOOP SET i = i + 1; IF i > 10 THEN BREAK; END IF; END LOOP",
    "outer_loop: LOOP LEAVE outer_loop; END LOOP",
    "WHILE i < 10 DO SET i = i + 1; CONTINUE; END WHILE",
    "REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT",
    "FOR row IN (SELECT table_name FROM d.INFORMATION_SCHEMA.TABLES) DO "
    "EXECUTE IMMEDIATE CONCAT('SELECT COUNT(*) FROM d.', row.table_name); ITERATE; END FOR",
    "CALL d.refresh('2024-01-01', 3)",
    "EXECUTE IMMEDIATE 'SELECT @a + ?' INTO result USING 1 AS a, 2",
    "ASSERT (SELECT COUNT(*) FROM d.t) > 0 AS 'd.t must not be empty'",
    "ASSERT NOT EXISTS (SELECT 1 FROM d.t WHERE n < 0)",
    "CREATE OR REPLACE PROCEDURE d.refresh(IN day DATE, OUT n INT64, INOUT k STRING) "
    "OPTIONS (strict_mode = FALSE) BEGIN DECLARE x INT64; SET n = 1; END",
    "RAISE",
    // --- query constructs
    "SELECT * FROM t PIVOT(SUM(n) AS total FOR channel IN ('release' AS r, 'beta')) AS p",
    "SELECT * FROM t UNPIVOT(n FOR metric IN (dau, wau AS 'weekly', mau))",
    "SELECT * FROM t UNPIVOT INCLUDE NULLS((a, b) FOR k IN ((a1, b1) AS 'one', (a2, b2) AS "
    "'two')) AS u",
    "SELECT * FROM d.t TABLESAMPLE SYSTEM (10 PERCENT)",
    "SELECT * FROM d.t FOR SYSTEM_TIME AS OF TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR) "
    "AS old",
    "SELECT a FROM x UNION ALL BY NAME SELECT a FROM y",
    "SELECT a, b FROM x FULL OUTER UNION ALL BY NAME ON (a) SELECT a FROM y",
    "SELECT a FROM x LEFT UNION ALL CORRESPONDING SELECT a FROM y",
    "SELECT a FROM x INTERSECT DISTINCT STRICT CORRESPONDING BY (a) SELECT a FROM y",
    "SELECT DISTINCT AS STRUCT a, b FROM t",
    "SELECT * FROM moz-fx-data-shared-prod.telemetry.main WHERE DATE(submission_timestamp) = "
    "'2024-01-01'",
    "SELECT 'adjacent' ' literals' \"joined\" AS s",
    "SELECT ARRAY<STRUCT<k STRING, v INT64>>[('a', 1), ('b', 2)] AS m",
    "SELECT ARRAY(SELECT AS STRUCT key, SUM(value) AS value FROM UNNEST(m) GROUP BY key) AS m "
    "FROM t",
    "SELECT ARRAY_FILTER(xs, x -> x > 0), ARRAY_TRANSFORM(xs, (x, i) -> x * i) FROM t",
    "-- a checks file\n#fail\nSELECT IF(COUNT(*) = 0, ERROR('no rows'), NULL) FROM d.t;\n"
    "#warn\nSELECT 1;",
};

}  // namespace shredmit::testdata
