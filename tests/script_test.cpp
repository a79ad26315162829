// Statement-level parsing (issue 3): every statement of script_statements.h parses, prints and
// round-trips; the AST keeps what each statement means; hostile input ends in a SyntaxError.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "script_statements.h"
#include "syntax/syntax.h"

namespace shredmit::syntax {
namespace {

class ScriptTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(ScriptTest, ParsesAndPrintsStably) {
  Script script;
  try {
    script = parse_statements(GetParam());
  } catch (const SyntaxError& e) {
    FAIL() << e.loc.line << ":" << e.loc.column << ": " << e.what() << "\n" << GetParam();
  }
  std::string printed = print(script);
  Script reparsed;
  try {
    reparsed = parse_statements(printed);
  } catch (const SyntaxError& e) {
    FAIL() << "printed SQL does not parse: " << e.loc.line << ":" << e.loc.column << ": "
           << e.what() << "\n"
           << printed;
  }
  EXPECT_EQ(print(reparsed), printed);
  EXPECT_EQ(reparsed.statements.size(), script.statements.size());
}

INSTANTIATE_TEST_SUITE_P(Corpus, ScriptTest, ::testing::ValuesIn(testdata::kScripts));

template <typename T>
const T& only(const Script& s, StatementKind kind) {
  EXPECT_EQ(s.statements.size(), 1u);
  EXPECT_EQ(s.statements.at(0)->kind, kind);
  return s.statements.at(0)->as<T>();
}

TEST(Statements, TempFunctionPreambleThenQuery) {
  auto s = parse_statements("CREATE TEMP FUNCTION f(x INT64) AS (x + 1);\nSELECT f(n) AS m FROM t");
  ASSERT_EQ(s.statements.size(), 2u);
  const auto& f = s.statements[0]->as<CreateFunction>();
  EXPECT_TRUE(f.temporary);
  EXPECT_EQ(f.name.at(0).name, "f");
  EXPECT_EQ(f.params.at(0).name.name, "x");
  EXPECT_EQ(print(*f.params.at(0).type), "INT64");
  EXPECT_EQ(s.statements[1]->kind, StatementKind::kQuery);
  EXPECT_EQ(s.statements[1]->loc.line, 2);
}

TEST(Statements, JavaScriptFunctionKeepsLanguageAndBody) {
  auto s = parse_statements(
      "CREATE OR REPLACE FUNCTION d.f(s STRING) RETURNS INT64 LANGUAGE js "
      "AS \"\"\"return s.length;\"\"\"");
  const auto& f = only<CreateFunction>(s, StatementKind::kCreateFunction);
  EXPECT_TRUE(f.or_replace);
  EXPECT_EQ(f.language->name, "js");
  ASSERT_EQ(f.body->kind, ExprKind::kLiteral);
  EXPECT_EQ(string_literal_value(f.body->as<Literal>().spelling), "return s.length;");
  EXPECT_FALSE(f.params.at(0).type == nullptr);
}

TEST(Statements, AnyTypeParameterHasNoType) {
  auto s = parse_statements("CREATE TEMP FUNCTION f(x ANY TYPE) AS (x)");
  const auto& f = only<CreateFunction>(s, StatementKind::kCreateFunction);
  EXPECT_EQ(f.params.at(0).type, nullptr);
  EXPECT_NE(print(s).find("f(x ANY TYPE)"), std::string::npos);
}

TEST(Statements, MergeClausesKeepTheirMatchKinds) {
  auto s = parse_statements(
      "MERGE t USING s ON t.id = s.id WHEN MATCHED THEN DELETE "
      "WHEN NOT MATCHED BY SOURCE AND t.old THEN DELETE "
      "WHEN NOT MATCHED THEN INSERT ROW");
  const auto& m = only<Merge>(s, StatementKind::kMerge);
  ASSERT_EQ(m.clauses.size(), 3u);
  EXPECT_EQ(m.clauses[0].match, MergeClause::Match::kMatched);
  EXPECT_EQ(m.clauses[1].match, MergeClause::Match::kNotMatchedBySource);
  EXPECT_NE(m.clauses[1].condition, nullptr);
  EXPECT_EQ(m.clauses[2].action, MergeClause::Action::kInsert);
  EXPECT_TRUE(m.clauses[2].insert_row);
}

TEST(Statements, IfBranchesAndNestedBodies) {
  auto s = parse_statements(
      "IF a THEN SELECT 1; SELECT 2; ELSEIF b THEN SELECT 3; ELSE BEGIN SELECT 4; END; END IF");
  const auto& f = only<If>(s, StatementKind::kIf);
  ASSERT_EQ(f.branches.size(), 2u);
  EXPECT_EQ(f.branches[0].body.size(), 2u);
  ASSERT_TRUE(f.else_body.has_value());
  EXPECT_EQ(f.else_body->at(0)->kind, StatementKind::kBlock);
}

TEST(Statements, DashedProjectNameIsOneIdentifier) {
  auto q = parse_query("SELECT 1 FROM moz-fx-data-shared-prod.telemetry.main");
  const auto& t = q->body->as<Select>().from->as<TableFrom>();
  ASSERT_EQ(t.path.size(), 3u);
  EXPECT_EQ(t.path[0].name, "moz-fx-data-shared-prod");
  EXPECT_EQ(t.dotted_path(), "moz-fx-data-shared-prod.telemetry.main");
}

TEST(Statements, DashedProjectNameMustNotContainSpaces) {
  try {
    parse_query("SELECT 1 FROM moz - fx.telemetry.main");
    FAIL() << "expected a SyntaxError";
  } catch (const SyntaxError& e) {
    EXPECT_EQ(e.loc.line, 1);
    EXPECT_EQ(e.loc.column, 19);
    EXPECT_NE(std::string(e.what()).find("backticks"), std::string::npos);
  }
}

TEST(Statements, AdjacentStringLiteralsConcatenate) {
  auto q = parse_query("SELECT 'a' \"b\" r'\\c' AS s");
  const auto& lit = q->body->as<Select>().items[0].expr->as<Literal>();
  EXPECT_EQ(string_literal_value(lit.spelling), "ab\\c");
}

TEST(Statements, DistinctComesBeforeAsStruct) {
  auto q = parse_query("SELECT DISTINCT AS STRUCT a FROM t");
  const auto& s = q->body->as<Select>();
  EXPECT_TRUE(s.distinct);
  EXPECT_EQ(s.select_as, Select::As::kStruct);
  EXPECT_EQ(print(*q).rfind("SELECT DISTINCT AS STRUCT", 0), 0u);
}

TEST(Statements, UnionByNameIsRecorded) {
  auto q = parse_query("SELECT a FROM x UNION ALL BY NAME SELECT a FROM y");
  const auto& op = q->body->as<SetOperation>();
  EXPECT_TRUE(op.by_name);
  EXPECT_FALSE(op.distinct);
}

TEST(Statements, PivotWrapsItsInput) {
  auto q = parse_query("SELECT * FROM t PIVOT(SUM(n) FOR c IN ('a', 'b')) AS p");
  const auto& p = q->body->as<Select>().from->as<PivotFrom>();
  EXPECT_EQ(p.input->kind, FromKind::kTable);
  EXPECT_EQ(p.values.size(), 2u);
  EXPECT_EQ(p.alias->name, "p");
}

TEST(Statements, CommentOnlyFileIsAnEmptyScript) {
  EXPECT_TRUE(parse_statements("-- no checks for this table\n/* none */\n").statements.empty());
}

TEST(Json, NamesEveryNodeAndLocation) {
  auto s = parse_statements("CREATE TEMP FUNCTION f(x INT64) AS (x);\nSELECT f(1) AS y FROM t");
  auto j = nlohmann::json::parse(to_json(s));
  EXPECT_EQ(j["node"], "Script");
  EXPECT_EQ(j["statements"][0]["node"], "CreateFunction");
  const auto& query = j["statements"][1]["query"];
  EXPECT_EQ(query["body"]["node"], "Select");
  EXPECT_EQ(query["body"]["items"][0]["alias"], "y");
  EXPECT_EQ(query["body"]["items"][0]["expr"]["node"], "FunctionCall");
  EXPECT_EQ(query["body"]["from"]["path"][0], "t");
  EXPECT_EQ(j["statements"][1]["loc"], nlohmann::json::array({2, 1}));
}

// ------------------------------------------------------------------ hostile input

void expect_syntax_error(const std::string& sql, const std::string& fragment) {
  try {
    parse_statements(sql);
    ADD_FAILURE() << "expected a SyntaxError for input of " << sql.size() << " bytes";
  } catch (const SyntaxError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_GT(e.loc.line, 0);
  }
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Hostile, TenThousandParentheses) {
  expect_syntax_error("SELECT " + repeat("(", 10000) + "1" + repeat(")", 10000), "nested");
}

TEST(Hostile, TenThousandSubqueries) {
  expect_syntax_error("SELECT " + repeat("(SELECT ", 10000) + "1" + repeat(")", 10000), "nested");
}

TEST(Hostile, TenThousandCaseExpressions) {
  expect_syntax_error("SELECT " + repeat("CASE WHEN a THEN ", 10000) + "1" + repeat(" END", 10000),
                      "nested");
}

TEST(Hostile, TenThousandBlocksTypesAndPrefixOperators) {
  expect_syntax_error(repeat("BEGIN ", 10000) + "SELECT 1;" + repeat(" END;", 10000), "nested");
  expect_syntax_error(
      "SELECT CAST(NULL AS " + repeat("ARRAY<", 10000) + "INT64" + repeat(">", 10000) + ")",
      "nested");
  expect_syntax_error("SELECT " + repeat("NOT ", 10000) + "TRUE", "nested");
  expect_syntax_error("SELECT " + repeat("- ", 10000) + "1", "nested");
}

TEST(Hostile, OverlongOperatorChain) {
  expect_syntax_error("SELECT 1" + repeat(" + 1", kMaxChainLength + 1), "chain");
  expect_syntax_error(repeat("SELECT 1 UNION ALL ", kMaxChainLength + 1) + "SELECT 1", "chain");
}

TEST(Hostile, LongChainsWithinTheLimitParse) {
  auto s = parse_statements("SELECT 1" + repeat(" + 1", 2000) + " AS n");
  EXPECT_EQ(s.statements.size(), 1u);
}

TEST(Hostile, EmptyTextIsAnError) {
  expect_syntax_error("", "empty");
  expect_syntax_error(" \n\t\n", "empty");
}

TEST(Hostile, InvalidUtf8AndNulBytes) {
  expect_syntax_error("SELECT '\xff'", "UTF-8");
  expect_syntax_error("SELECT '\xc0\x80'", "UTF-8");
  expect_syntax_error(std::string("SELECT 1\0", 9), "NUL");
}

TEST(Hostile, BinaryGarbageNeverCrashes) {
  // Deterministic pseudo-random bytes: some are valid UTF-8, most are not; all must end in a
  // SyntaxError, never in a crash.
  unsigned state = 12345;
  for (int round = 0; round < 50; ++round) {
    // ASCII rounds start inside an expression, so that a `#` or `--` in the noise cannot turn
    // the whole text into a comment.
    std::string text = round % 2 == 0 ? "" : "SELECT (";
    for (int i = 0; i < 2000; ++i) {
      state = state * 1103515245u + 12345u;
      unsigned char c = static_cast<unsigned char>(state >> 16);
      text += static_cast<char>(round % 2 == 0 ? c : (c % 95) + 32);  // odd rounds: ASCII only
    }
    EXPECT_THROW(parse_statements(text), SyntaxError);
  }
}

}  // namespace
}  // namespace shredmit::syntax
