// SQLite lowering: each rule runs a query whose BigQuery answer is known (NULLs, '??', negative
// numbers, float rounding) and compares SQLite's rows with it; constructs outside the subset are
// errors naming the construct and its location.
#include "lowering/lowering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "syntax/syntax.h"

namespace shredmit {
namespace {

using lowering::Value;

// A table of client rows with NULLs, '??' and negative numbers:
// (client, country, channel, n, x)
void load_sample(lowering::Database& db) {
  using analysis::Type;
  db.create_table("p.d.users", {{"client", Type::kString},
                                {"country", Type::kString},
                                {"channel", Type::kString},
                                {"n", Type::kInt64},
                                {"x", Type::kFloat64}});
  std::vector<std::vector<Value>> rows = {
      {std::string("a"), std::string("DE"), std::string("release"), int64_t{3}, 1.5},
      {std::string("b"), std::string("??"), std::string("release"), int64_t{-2}, -0.25},
      {std::string("c"), std::monostate{}, std::string("beta"), int64_t{5}, 2.25},
      {std::string("d"), std::string("DE"), std::monostate{}, std::monostate{}, std::monostate{}},
      {std::string("e"), std::monostate{}, std::string("release"), int64_t{-7}, 0.125},
  };
  for (const auto& r : rows) db.insert("p.d.users", r);
}

// Runs `sql` (GoogleSQL) through the lowering and returns each row as "v1|v2|...".
std::vector<std::string> run(const std::string& sql,
                             const std::map<std::string, Value>& parameters = {}) {
  lowering::Database db;
  load_sample(db);
  auto lowered = lowering::lower(*syntax::parse_query(sql));
  auto rows = db.query(lowered.sql, parameters);
  std::vector<std::string> out;
  for (const auto& r : rows.rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) line += (i ? "|" : "") + lowering::to_string(r[i]);
    out.push_back(line);
  }
  return out;
}

using Rows = std::vector<std::string>;

TEST(Lowering, NullsFormOneGroupAndPlaceholdersMergeThroughNullif) {
  EXPECT_EQ(run("SELECT NULLIF(country, '??') AS country, SUM(n) AS n, COUNT(*) AS row_count "
                "FROM `p.d.users` GROUP BY NULLIF(country, '??') ORDER BY country"),
            (Rows{"NULL|-4|3", "DE|3|2"}));
}

TEST(Lowering, GroupByAliasOrdinalAndAll) {
  Rows expected = {"NULL|1", "beta|1", "release|3"};
  EXPECT_EQ(run("SELECT channel AS c, COUNT(*) FROM `p.d.users` GROUP BY channel ORDER BY 1"),
            expected);
  EXPECT_EQ(run("SELECT channel AS c, COUNT(*) FROM `p.d.users` GROUP BY c ORDER BY c"), expected);
  EXPECT_EQ(run("SELECT channel, COUNT(*) FROM `p.d.users` GROUP BY 1 ORDER BY 1"), expected);
  EXPECT_EQ(run("SELECT channel, COUNT(*) FROM `p.d.users` GROUP BY ALL ORDER BY 1"), expected);
}

TEST(Lowering, AggregatesOnNullsNegativesAndEmptyInput) {
  EXPECT_EQ(run("SELECT SUM(n), MIN(n), MAX(n), COUNT(n), COUNTIF(n < 0), SUM(x) FROM `p.d.users`"),
            (Rows{"-1|-7|5|4|2|3.625"}));
  // Over no rows: SUM, MIN and MAX are NULL, COUNT and COUNTIF 0.
  EXPECT_EQ(run("SELECT SUM(n), MAX(n), COUNT(*), COUNTIF(n > 0) FROM `p.d.users` WHERE FALSE"),
            (Rows{"NULL|NULL|0|0"}));
  EXPECT_EQ(run("SELECT COUNT(DISTINCT country), SUM(DISTINCT 1) FROM `p.d.users`"), (Rows{"2|1"}));
}

TEST(Lowering, AbsGreatestAndLeastAreNullWhenAnArgumentIs) {
  // BigQuery's GREATEST and LEAST return NULL when any argument is NULL.
  EXPECT_EQ(run("SELECT client, ABS(n), GREATEST(ABS(x), 1), LEAST(n, 0, x) FROM `p.d.users` "
                "ORDER BY client"),
            (Rows{"a|3|1.5|0", "b|2|1|-2", "c|5|2.25|0", "d|NULL|NULL|NULL", "e|7|1|-7"}));
}

TEST(Lowering, StructsAsJsonAndArraysJoinedInOrder) {
  // TO_JSON_STRING(STRUCT(...)) keys fields by their names: aliases or column names.
  EXPECT_EQ(run("SELECT TO_JSON_STRING(STRUCT(client, country, n AS count)) FROM `p.d.users` "
                "WHERE client IN ('a', 'c')  ORDER BY client"),
            (Rows{R"({"client":"a","country":"DE","count":3})",
                  R"({"client":"c","country":null,"count":5})"}));
  // ARRAY_TO_STRING(ARRAY(subquery), sep) keeps the subquery's order and LIMIT; no rows give ''.
  EXPECT_EQ(run("SELECT ARRAY_TO_STRING(ARRAY(SELECT CONCAT(client, '=', CAST(n AS STRING)) AS "
                "pair FROM `p.d.users` WHERE n IS NOT NULL ORDER BY n DESC LIMIT 3), '; '), "
                "ARRAY_TO_STRING(ARRAY(SELECT client FROM `p.d.users` WHERE FALSE), ',')"),
            (Rows{"c=5; a=3; b=-2|"}));
  EXPECT_THROW(run("SELECT ARRAY_TO_STRING(ARRAY(SELECT n + 1 FROM `p.d.users`), ',')"),
               base::Error);
}

TEST(Lowering, ConditionalsTreatNullAsNotTrue) {
  EXPECT_EQ(run("SELECT client, IF(n > 0, 'pos', 'other'), IFNULL(country, '??'), "
                "COALESCE(channel, country, 'none'), CASE WHEN n > 0 THEN 1 WHEN n < 0 THEN -1 "
                "END FROM `p.d.users` ORDER BY client"),
            (Rows{"a|pos|DE|release|1", "b|other|??|release|-1", "c|pos|??|beta|1",
                  "d|other|DE|DE|NULL", "e|other|??|release|-1"}));
}

TEST(Lowering, IsDistinctFromComparesNulls) {
  EXPECT_EQ(run("SELECT COUNTIF(country IS NOT DISTINCT FROM NULL), COUNTIF(country IS DISTINCT "
                "FROM 'DE'), COUNTIF(country = NULL) FROM `p.d.users`"),
            (Rows{"2|3|0"}));
}

TEST(Lowering, DivisionIsFloatingPointAndZeroIsAnError) {
  EXPECT_EQ(run("SELECT 7 / 2, -7 / 2, SAFE_DIVIDE(1, 0), SAFE_DIVIDE(-3, 4)"),
            (Rows{"3.5|-3.5|NULL|-0.75"}));
  try {
    run("SELECT 1 / 0");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos);
  }
}

TEST(Lowering, RoundHalfAwayFromZero) {
  EXPECT_EQ(run("SELECT ROUND(2.5), ROUND(-2.5), ROUND(-0.5), ROUND(1.25, 1), ROUND(-1.005, 2), "
                "ROUND(1234.5678, -2), ROUND(NULL)"),
            (Rows{"3|-3|-1|1.3|-1|1200|NULL"}));
}

TEST(Lowering, CastsFollowBigQuery) {
  EXPECT_EQ(run("SELECT CAST(2.5 AS INT64), CAST(-2.5 AS INT64), CAST('12' AS INT64), "
                "CAST(12 AS STRING), CAST(1.0 AS STRING), CAST(1.5 AS STRING), "
                "CAST(NULL AS STRING), CAST('2024-02-29' AS DATE), CAST(3 AS FLOAT64) / 2"),
            (Rows{"3|-3|12|12|1|1.5|NULL|2024-02-29|1.5"}));
  EXPECT_EQ(run("SELECT SAFE_CAST('x' AS INT64), SAFE_CAST('2023-02-29' AS DATE), "
                "SAFE_CAST('true' AS BOOL)"),
            (Rows{"NULL|NULL|1"}));
  EXPECT_THROW(run("SELECT CAST('x' AS INT64)"), std::runtime_error);
}

TEST(Lowering, DateAndTimestampLiteralsAreCanonicalText) {
  EXPECT_EQ(run("SELECT DATE '2024-03-01' > DATE '2024-02-29', TIMESTAMP '2024-01-01 01:30:00+02', "
                "TIMESTAMP '2024-01-01T00:00:00.5Z', DATETIME '2024-01-01 12:00', "
                "EXTRACT(YEAR FROM DATE '2024-03-01'), EXTRACT(DAYOFWEEK FROM DATE '2024-03-03')"),
            (Rows{"1|2023-12-31 23:30:00.000000|2024-01-01 00:00:00.500000|2024-01-01 "
                  "12:00:00.000000|2024|1"}));
}

TEST(Lowering, SetOperationsAndSubqueries) {
  EXPECT_EQ(run("SELECT country FROM `p.d.users` EXCEPT DISTINCT SELECT '??' ORDER BY 1"),
            (Rows{"NULL", "DE"}));
  EXPECT_EQ(run("SELECT 1 AS v UNION ALL SELECT 1 UNION ALL (SELECT 2 EXCEPT DISTINCT SELECT 3)"),
            (Rows{"1", "1", "2"}));
  EXPECT_EQ(run("WITH t AS (SELECT channel, SUM(n) AS n FROM `p.d.users` GROUP BY channel) "
                "SELECT COUNT(*) FROM t WHERE n > (SELECT MIN(n) FROM t) AND channel IN "
                "('beta', 'release') AND EXISTS (SELECT 1 FROM t AS u WHERE u.n < 0)"),
            (Rows{"1"}));
  EXPECT_EQ(run("SELECT channel, SUM(n) FROM `p.d.users` GROUP BY channel HAVING SUM(n) < 0"),
            (Rows{"release|-6"}));
}

TEST(Lowering, JoinsAndTableNames) {
  EXPECT_EQ(run("SELECT users.client, o.country FROM `p.d.users` LEFT JOIN (SELECT 'a' AS client, "
                "'FR' AS country) AS o USING (client) WHERE users.n > 0 ORDER BY 1"),
            (Rows{"a|FR", "c|NULL"}));
}

TEST(Lowering, ParametersAndConcat) {
  auto lowered = lowering::lower(*syntax::parse_query(
      "SELECT @submission_date, @submission_date, CONCAT('a', @suffix) FROM `p.d.users`"));
  EXPECT_EQ(lowered.parameters, (std::vector<std::string>{"submission_date", "suffix"}));
  EXPECT_EQ(run("SELECT CONCAT('n=', CAST(@v AS STRING)), CONCAT('x', NULL)", {{"v", int64_t{-4}}}),
            (Rows{"n=-4|NULL"}));
  EXPECT_THROW(run("SELECT @missing"), std::runtime_error);
}

TEST(Lowering, ErrorRaisesOnlyWhenReached) {
  EXPECT_EQ(run("SELECT IF(COUNT(*) > 10, ERROR('too many'), NULL) FROM `p.d.users`"),
            (Rows{"NULL"}));
  try {
    run("SELECT IF(COUNT(*) > 1, ERROR(CONCAT(CAST(COUNT(*) AS STRING), ' rows')), NULL) "
        "FROM `p.d.users`");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "5 rows");
  }
}

TEST(Lowering, RecordFieldsAndJsonOfTheFirstRow) {
  lowering::Database db;
  db.create_table("p.d.t",
                  {{"id", analysis::Type::kInt64}, {"attribution", analysis::Type::kStruct}});
  db.insert("p.d.t", {int64_t{1}, std::string(R"({"medium": "email", "source": null})")});
  db.insert("p.d.t", {int64_t{2}, std::monostate{}});
  auto q = lowering::lower(*syntax::parse_query(
      "WITH x AS (SELECT id, attribution.medium, t.attribution.source FROM `p.d.t` AS t) "
      "SELECT TO_JSON_STRING(ARRAY(SELECT AS STRUCT * FROM x ORDER BY id LIMIT 1)), "
      "TO_JSON_STRING(ARRAY(SELECT AS STRUCT * FROM x WHERE FALSE))"));
  auto rows = db.query(q.sql);
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(lowering::to_string(rows.rows[0][0]), R"([{"id":1,"medium":"email","source":null}])");
}

TEST(Lowering, SplitOffsetsDateArithmeticTrimAndRowNumber) {
  EXPECT_EQ(run("SELECT SPLIT('/submit/ns/doc/1/id', '/')[SAFE_OFFSET(5)], "
                "SPLIT('/short', '/')[SAFE_OFFSET(5)], SPLIT('a,,b', ',')[OFFSET(1)], "
                "DATE_SUB(DATE '2024-03-01', INTERVAL 1 DAY), DATE_ADD(DATE '2023-12-31', INTERVAL "
                "1 DAY), "
                "DATE(TIMESTAMP '2024-01-01 23:30:00-02'), TRIM('  a b\t')"),
            (Rows{"id|NULL||2024-02-29|2024-01-01|2024-01-02|a b"}));
  EXPECT_THROW(run("SELECT SPLIT('a', ',')[OFFSET(3)]"), std::runtime_error);
  EXPECT_EQ(run("SELECT client, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY client DESC) "
                "FROM `p.d.users` WHERE channel IS NOT NULL ORDER BY client"),
            (Rows{"a|3", "b|2", "c|1", "e|1"}));
  // UNNEST(SPLIT(...)): the parts as rows; UNNEST of NULL has none.
  EXPECT_EQ(run("SELECT COUNTIF('x' IN (SELECT TRIM(t) FROM UNNEST(SPLIT('a, x', ',')) AS t)), "
                "COUNTIF('x' NOT IN (SELECT TRIM(t) FROM UNNEST(SPLIT(NULL, ',')) AS t))"),
            (Rows{"1|1"}));
}

// Out-of-range numbers are errors as in BigQuery, not undefined behaviour in the conversion.
TEST(Lowering, HugeIntervalsAndOffsetsAreRangeErrors) {
  auto message = [](const std::string& sql) {
    try {
      run(sql);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message("SELECT DATE_ADD(DATE '2024-01-01', INTERVAL 9223372036854775807 DAY)"),
              testing::HasSubstr("outside the DATE range"));
  EXPECT_THAT(message("SELECT DATE_ADD(DATE '2024-01-01', INTERVAL 3000000 DAY)"),
              testing::HasSubstr("outside the DATE range 0001-01-01 to 9999-12-31"));
  EXPECT_THAT(message("SELECT DATE_SUB(DATE '0001-01-02', INTERVAL 2 DAY)"),
              testing::HasSubstr("outside the DATE range"));
  EXPECT_EQ(run("SELECT DATE_ADD(DATE '9999-12-30', INTERVAL 1 DAY)"), (Rows{"9999-12-31"}));
  EXPECT_THAT(message("SELECT SPLIT('a,b', ',')[OFFSET(9223372036854775807)]"),
              testing::HasSubstr("out of bounds"));
  EXPECT_EQ(run("SELECT SPLIT('a,b', ',')[SAFE_OFFSET(-9223372036854775807)]"), (Rows{"NULL"}));
  EXPECT_THAT(message("SELECT SPLIT('a,b', ',')[OFFSET(CAST('1e300' AS FLOAT64))]"),
              testing::HasSubstr("out of bounds"));
  EXPECT_THAT(message("SELECT ROUND(1.5, CAST('1e300' AS FLOAT64))"),
              testing::HasSubstr("out of range for INT64"));
}

TEST(Lowering, ConstructsOutsideTheSubsetAreErrorsWithTheirLocation) {
  auto expect_error = [](const std::string& sql, int line, int column, const std::string& what) {
    try {
      lowering::lower(*syntax::parse_query(sql), {"q.sql", nullptr});
      ADD_FAILURE() << "no error for " << sql;
    } catch (const base::Error& e) {
      EXPECT_EQ(e.file, "q.sql");
      EXPECT_EQ(e.line(), line) << e.format();
      EXPECT_EQ(e.column(), column) << e.format();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.format();
    }
  };
  expect_error("SELECT a\nFROM t\nWHERE a LIKE 'x%'", 3, 7, "LIKE");
  expect_error("SELECT x FROM UNNEST([1, 2]) AS x", 1, 15, "UNNEST");
  expect_error("SELECT RANK() OVER (ORDER BY a) FROM t", 1, 8, "window functions other than");
  expect_error("SELECT APPROX_COUNT_DISTINCT(a) FROM t", 1, 8, "function APPROX_COUNT_DISTINCT");
  expect_error("SELECT * EXCEPT (a) FROM t", 1, 8, "SELECT * EXCEPT");
  expect_error("SELECT a FROM t QUALIFY a > 1", 1, 25, "QUALIFY");
  expect_error("SELECT CURRENT_DATE()", 1, 8, "CURRENT_DATE");
  expect_error("SELECT a FROM t UNION ALL BY NAME SELECT a FROM u", 1, 17, "BY NAME");
  expect_error("SELECT CAST(a AS BYTES) FROM t", 1, 8, "CAST to BYTES");
}

}  // namespace
}  // namespace shredmit
