// Temporary SQL functions inlined into the query that calls them (syntax::print_inlined), so that
// a statement embedding the query runs alone, as bigquery-etl runs each statement of a checks
// file.
#include <gtest/gtest.h>

#include "syntax/syntax.h"

namespace shredmit::syntax {
namespace {

// Inlines the functions of `script`'s CREATE TEMP FUNCTION statements into its last statement,
// the query, and returns the result on one line (whitespace folded), or "(none)". Every
// substituted argument and body is parenthesized, so no operator precedence changes.
std::string inlined(const std::string& script) {
  Script s = parse_statements(script);
  std::vector<const CreateFunction*> functions;
  for (size_t i = 0; i + 1 < s.statements.size(); ++i) {
    functions.push_back(&s.statements[i]->as<CreateFunction>());
  }
  auto out = print_inlined(*s.statements.back()->as<QueryStatement>().query, functions);
  if (!out) return "(none)";
  std::string flat;
  for (char c : *out) {
    if (c == '\n') c = ' ';
    if (c == ' ' && !flat.empty() && flat.back() == ' ') continue;
    flat += c;
  }
  return flat;
}

TEST(Inline, ParametersBecomeTheArgumentsCastToTheirTypes) {
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION norm(channel STRING) AS (IF(channel = 'b', channel, "
                    "'o'));\nSELECT norm(c) AS k, Norm(UPPER(c)) AS u FROM t"),
            "SELECT (IF(CAST(c AS STRING) = 'b', CAST(c AS STRING), 'o')) AS k, "
            "(IF(CAST(UPPER(c) AS STRING) = 'b', CAST(UPPER(c) AS STRING), 'o')) AS u FROM t");
  // ANY TYPE is not cast; a RETURNS type casts the body, as BigQuery coerces it.
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION twice(x ANY TYPE) RETURNS FLOAT64 AS (x * 2);\n"
                    "SELECT twice(n) AS d FROM t"),
            "SELECT CAST(((n) * 2) AS FLOAT64) AS d FROM t");
}

TEST(Inline, FunctionsCallingFunctionsAndFieldsOfParameters) {
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION inner_f(s ANY TYPE) AS (s.medium);\n"
                    "CREATE TEMP FUNCTION outer_f(a ANY TYPE) AS (IFNULL(inner_f(a), '??'));\n"
                    "SELECT outer_f(attribution) AS m FROM t GROUP BY m"),
            "SELECT (IFNULL((((attribution)).medium), '??')) AS m FROM t GROUP BY m");
  // A column of the query with a parameter's name is left alone outside the body.
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION f(x ANY TYPE) AS (x + 1);\nSELECT f(y) + x AS z FROM t"),
            "SELECT ((y) + 1) + x AS z FROM t");
}

TEST(Inline, WhatCannotBeInlinedIsRefused) {
  // JavaScript has no SQL body.
  EXPECT_EQ(
      inlined("CREATE TEMP FUNCTION js(x STRING) RETURNS STRING LANGUAGE js AS \"return x;\";\n"
              "SELECT js(c) AS k FROM t"),
      "(none)");
  // A body whose subquery binds a parameter's name would read its own column instead.
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION f(x ANY TYPE) AS ((SELECT MAX(x) FROM UNNEST(x) AS x));\n"
                    "SELECT f(a) AS k FROM t"),
            "(none)");
  // The wrong number of arguments is BigQuery's error to report, not a rewrite to guess.
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION f(x ANY TYPE) AS (x);\nSELECT f(a, b) AS k FROM t"),
            "(none)");
  // A body that subquery-reads an array parameter under another alias is fine.
  EXPECT_EQ(inlined("CREATE TEMP FUNCTION f(arr ANY TYPE) AS ((SELECT MAX(e) FROM UNNEST(arr) AS "
                    "e));\nSELECT f(a) AS k FROM t"),
            "SELECT (( ( SELECT MAX(e) FROM UNNEST((a)) AS e ) )) AS k FROM t");
}

}  // namespace
}  // namespace shredmit::syntax
