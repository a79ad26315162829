// Parser and printer tests: every statement of syntax_statements.h parses and round-trips, and
// targeted tests check the AST shape (precedence, locations) and the house style.
#include "syntax/syntax.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "syntax_statements.h"

namespace shredmit::syntax {
namespace {

class StatementTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(StatementTest, ParsesAndPrintsStably) {
  std::unique_ptr<Query> ast;
  try {
    ast = parse_query(GetParam());
  } catch (const SyntaxError& e) {
    FAIL() << e.loc.line << ":" << e.loc.column << ": " << e.what() << "\n" << GetParam();
  }
  std::string printed = print(*ast);
  std::unique_ptr<Query> reparsed;
  try {
    reparsed = parse_query(printed);
  } catch (const SyntaxError& e) {
    FAIL() << "printed SQL does not parse: " << e.loc.line << ":" << e.loc.column << ": "
           << e.what() << "\n"
           << printed;
  }
  EXPECT_EQ(print(*reparsed), printed);
}

INSTANTIATE_TEST_SUITE_P(Corpus, StatementTest, ::testing::ValuesIn(testdata::kStatements));

TEST(SyntaxCorpus, HasAtLeastOneHundredStatements) {
  EXPECT_GE(std::size(testdata::kStatements), 100u);
}

const Select& only_select(const Query& q) {
  EXPECT_EQ(q.body->kind, QueryExprKind::kSelect);
  return q.body->as<Select>();
}

const Expr& first_item(const Query& q) { return *only_select(q).items.at(0).expr; }

TEST(Precedence, MultiplicationBindsTighterThanAddition) {
  auto q = parse_query("SELECT 1 + 2 * 3");
  const auto& e = first_item(*q);
  ASSERT_EQ(e.kind, ExprKind::kBinary);
  EXPECT_EQ(e.as<Binary>().op, BinaryOp::kAdd);
  EXPECT_EQ(e.as<Binary>().right->as<Binary>().op, BinaryOp::kMultiply);
}

TEST(Precedence, SubtractionIsLeftAssociative) {
  auto q = parse_query("SELECT a - b - c");
  const auto& e = first_item(*q).as<Binary>();
  EXPECT_EQ(e.left->kind, ExprKind::kBinary);
  EXPECT_EQ(e.right->kind, ExprKind::kName);
}

TEST(Precedence, AndBindsTighterThanOr) {
  auto q = parse_query("SELECT a OR b AND c");
  const auto& e = first_item(*q).as<Binary>();
  EXPECT_EQ(e.op, BinaryOp::kOr);
  EXPECT_EQ(e.right->as<Binary>().op, BinaryOp::kAnd);
}

TEST(Precedence, NotAppliesToTheWholeComparison) {
  auto q = parse_query("SELECT NOT a = b AND c");
  const auto& e = first_item(*q).as<Binary>();
  ASSERT_EQ(e.op, BinaryOp::kAnd);
  const auto& n = e.left->as<Unary>();
  EXPECT_EQ(n.op, UnaryOp::kNot);
  EXPECT_EQ(n.operand->as<Binary>().op, BinaryOp::kEqual);
}

TEST(Precedence, BetweenKeepsItsOwnAnd) {
  auto q = parse_query("SELECT x BETWEEN 1 AND 2 AND y");
  const auto& e = first_item(*q).as<Binary>();
  ASSERT_EQ(e.op, BinaryOp::kAnd);
  EXPECT_EQ(e.left->kind, ExprKind::kBetween);
}

TEST(Precedence, ConcatenationBindsLikeMultiplication) {
  auto q = parse_query("SELECT a || b + c");
  const auto& e = first_item(*q).as<Binary>();
  EXPECT_EQ(e.op, BinaryOp::kAdd);
  EXPECT_EQ(e.left->as<Binary>().op, BinaryOp::kConcat);
}

TEST(Ast, NodesCarrySourceLocations) {
  auto q = parse_query("SELECT\n  a,\n  COUNT(*) AS n\nFROM t\nGROUP BY\n  a");
  const auto& s = only_select(*q);
  EXPECT_EQ(s.items[1].expr->loc.line, 3);
  EXPECT_EQ(s.items[1].expr->loc.column, 3);
  EXPECT_EQ(s.items[1].alias->loc.line, 3);
  EXPECT_EQ(s.items[1].alias->loc.column, 15);
  ASSERT_TRUE(s.group_by.has_value());
  EXPECT_EQ(s.group_by->loc.line, 5);
  EXPECT_EQ(s.group_by->items[0].loc.line, 6);
  EXPECT_EQ(s.group_by->items[0].loc.column, 3);
}

TEST(Ast, BacktickedPathIsOneIdentifier) {
  auto q = parse_query("SELECT * FROM `moz-fx-data-shared-prod.telemetry.main`");
  const auto& t = only_select(*q).from->as<TableFrom>();
  ASSERT_EQ(t.path.size(), 1u);
  EXPECT_TRUE(t.path[0].quoted);
  EXPECT_EQ(t.dotted_path(), "moz-fx-data-shared-prod.telemetry.main");
}

TEST(Ast, DottedFunctionNames) {
  auto q = parse_query("SELECT mozfun.map.get_key(m, 'k'), SAFE.DIVIDE(a, b)");
  EXPECT_EQ(first_item(*q).as<FunctionCall>().dotted_name(), "mozfun.map.get_key");
  EXPECT_EQ(only_select(*q).items[1].expr->as<FunctionCall>().dotted_name(), "SAFE.DIVIDE");
}

TEST(Ast, GroupByAllAndOrdinals) {
  auto all = parse_query("SELECT a, SUM(b) FROM t GROUP BY ALL");
  EXPECT_TRUE(only_select(*all).group_by->all);
  auto ordinals = parse_query("SELECT a, SUM(b) FROM t GROUP BY 1");
  const auto& item = only_select(*ordinals).group_by->items[0];
  EXPECT_EQ(item.exprs[0]->as<Literal>().literal_kind, LiteralKind::kInteger);
}

TEST(Ast, KeywordsAreCaseInsensitive) {
  auto q = parse_query("select a from t where b is null");
  EXPECT_EQ(print(*q), "SELECT\n  a\nFROM\n  t\nWHERE\n  b IS NULL");
}

TEST(Ast, EquivalenceIgnoresCaseQuotesAndLocations) {
  auto a = parse_query("SELECT COUNT(normalized_channel)");
  auto b = parse_query("SELECT\n  count(`Normalized_Channel`)");
  EXPECT_TRUE(equivalent(first_item(*a), first_item(*b)));
  auto c = parse_query("SELECT count(channel)");
  EXPECT_FALSE(equivalent(first_item(*a), first_item(*c)));
}

TEST(Ast, StringLiteralValues) {
  EXPECT_EQ(string_literal_value("'??'"), "??");
  EXPECT_EQ(string_literal_value("\"it\\\"s\""), "it\"s");
  EXPECT_EQ(string_literal_value("r'\\d'"), "\\d");
  EXPECT_EQ(string_literal_value("'''a'b'''"), "a'b");
  EXPECT_EQ(string_literal_value("42"), std::nullopt);
}

TEST(Printer, HouseStyle) {
  auto q = parse_query(
      "with base as (select a, b from `p.d.t` where x = 1) "
      "select a, count(*) as n from base left join other o on base.a = o.a "
      "inner join third using (b) group by a having count(*) > 1 order by a limit 5");
  EXPECT_EQ(print(*q),
            "WITH base AS (\n"
            "  SELECT\n"
            "    a,\n"
            "    b\n"
            "  FROM\n"
            "    `p.d.t`\n"
            "  WHERE\n"
            "    x = 1\n"
            ")\n"
            "SELECT\n"
            "  a,\n"
            "  count(*) AS n\n"
            "FROM\n"
            "  base\n"
            "LEFT JOIN\n"
            "  other AS o\n"
            "  ON base.a = o.a\n"
            "INNER JOIN\n"
            "  third\n"
            "  USING (b)\n"
            "GROUP BY\n"
            "  a\n"
            "HAVING\n"
            "  count(*) > 1\n"
            "ORDER BY\n"
            "  a\n"
            "LIMIT 5");
}

TEST(Printer, CaseInSelectListBreaksLines) {
  auto q = parse_query("SELECT CASE WHEN a THEN 1 ELSE 2 END AS x");
  EXPECT_EQ(print(*q), "SELECT\n  CASE\n    WHEN a THEN 1\n    ELSE 2\n  END AS x");
}

TEST(Printer, SubqueryIndentsUnderItsParenthesis) {
  auto q = parse_query("SELECT * FROM (SELECT a FROM t) AS s");
  EXPECT_EQ(print(*q), "SELECT\n  *\nFROM\n  (\n    SELECT\n      a\n    FROM\n      t\n  ) AS s");
}

TEST(Printer, ReservedWordsAsNamesAreQuoted) {
  Identifier id{"select", false, {}};
  EXPECT_EQ(print(id), "`select`");
  Identifier path{"moz-fx-data-shared-prod.telemetry.main", false, {}};
  EXPECT_EQ(print(path), "`moz-fx-data-shared-prod.telemetry.main`");
}

TEST(Printer, NegatedNegativeNumberIsNotAComment) {
  auto q = parse_query("SELECT - -1");
  std::string printed = print(*q);
  EXPECT_EQ(printed.find("--"), std::string::npos) << printed;
  EXPECT_EQ(print(*parse_query(printed)), printed);
}

TEST(Statements, MultipleStatementsSeparatedBySemicolons) {
  auto s = parse_statements("SELECT 1;\n#fail\nSELECT 2;\n;");
  ASSERT_EQ(s.statements.size(), 2u);
  EXPECT_EQ(print(s), "SELECT\n  1;\n\nSELECT\n  2;");
}

struct BadInput {
  std::string_view sql;
  int line;
  int column;
  std::string_view message_part;
};

class SyntaxErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(SyntaxErrorTest, ReportsLocationAndMessage) {
  const auto& bad = GetParam();
  try {
    parse_query(bad.sql);
    FAIL() << "expected a syntax error for: " << bad.sql;
  } catch (const SyntaxError& e) {
    EXPECT_EQ(e.loc.line, bad.line) << e.what();
    EXPECT_EQ(e.loc.column, bad.column) << e.what();
    EXPECT_NE(std::string(e.what()).find(bad.message_part), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SyntaxErrorTest,
    ::testing::Values(BadInput{"SELECT a FROM", 1, 14, "end of input"},
                      BadInput{"SELECT a,\nFROM t WHERE", 2, 13, "end of input"},
                      BadInput{"SELECT a FROM t\nGROUP a", 2, 7, "'a'"},
                      BadInput{"SELECT 'abc", 1, 8, "unterminated string"},
                      BadInput{"SELECT a $ b", 1, 10, "unexpected character '$'"},
                      BadInput{"", 1, 1, "end of input"},
                      BadInput{"SELECT * FROM t1 JOIN", 1, 22, "end of input"},
                      BadInput{"SELECT \xff", 1, 8, "UTF-8"}));

TEST(SyntaxErrors, DeepNestingIsAnErrorNotACrash) {
  std::string sql = "SELECT " + std::string(10000, '(') + "1" + std::string(10000, ')');
  EXPECT_THROW(parse_query(sql), SyntaxError);
  std::string cases = "SELECT ";
  for (int i = 0; i < 10000; ++i) cases += "CASE WHEN a THEN ";
  EXPECT_THROW(parse_query(cases), SyntaxError);
}

TEST(SyntaxErrors, BinaryGarbage) {
  std::string garbage;
  for (int i = 1; i < 256; ++i) garbage += static_cast<char>(i);
  EXPECT_THROW(parse_query(garbage), SyntaxError);
}

}  // namespace
}  // namespace shredmit::syntax

// The hand-written lexer the parser reads from gives ANTLR's generated lexer's tokens, on every
// SQL file of the project and on the corners of the lexer grammar.
TEST(Lexer, AgreesWithTheGeneratedLexerOnEveryProjectFile) {
  size_t files = 0;
  for (const char* root : {"fixtures", "tests/data", "tests/golden"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".sql") continue;
      std::string text = shredmit::base::read_text_file(entry.path());
      if (shredmit::base::invalid_utf8_offset(text) != std::string::npos) continue;
      if (text.find('\0') != std::string::npos) continue;
      ++files;
      EXPECT_EQ(shredmit::syntax::lexer_difference(text), std::nullopt) << entry.path();
    }
  }
  EXPECT_GT(files, 100u);
}

// Found by the lexer fuzz target: a file that starts with a UTF-8 byte order mark parses, with
// columns counted after it.
TEST(Lexer, ALeadingByteOrderMarkIsSkipped) {
  auto script = shredmit::syntax::parse_statements("\xEF\xBB\xBFSELECT a FROM t");
  ASSERT_EQ(script.statements.size(), 1u);
  EXPECT_EQ(shredmit::syntax::print(script), "SELECT\n  a\nFROM\n  t;");
}

TEST(Lexer, AgreesWithTheGeneratedLexerOnTheGrammarsCorners) {
  const char* cases[] = {
      "''",
      "'''",
      "''''",
      "'''a'''",
      "'''a''''",
      "'''a\\''''",
      "'a\\\nb'",
      "'a\nb'",
      "'abc",
      "\"\"\"x\"y\"\"\"",
      "r'a'",
      "R\"a\"",
      "b'a'",
      "rb'a'",
      "BR'a'",
      "br'''a'''",
      "rr'a'",
      "xr'a'",
      "r'abc",
      "b",
      "`a`",
      "``",
      "`a\\`b`",
      "`a\nb`",
      "@p",
      "@`p q`",
      "@@a.b.c",
      "@@a.",
      "@@1",
      "@",
      "@@",
      "1",
      "1.",
      "1.5",
      ".5",
      "1e5",
      "1E+5",
      "1e",
      "1e+",
      "1.e5",
      "1.5e-3x",
      "0x1F",
      "0x",
      "0x1g",
      "0e5",
      "1..2",
      "1.5.3",
      "123abc",
      "a.5",
      "--c\nx",
      "#c\r\nx",
      "/*c*/x",
      "/* open",
      "/**/",
      "-->",
      "->",
      "=>",
      "!=",
      "<>",
      "<=",
      ">=",
      "||",
      "|",
      "!",
      "<=>",
      ">>",
      "\t\f\r\n x",
      "\v",
      "é",
      "a日b",
      "'日本'",
      "select SELECT SeLeCt",
      "safe_cast SAFE_CASTX false_ null true",
      "$x % ? : ; ^ ~ & { } [ ]",
      "a\n\n  b\n c",
      "\xEF\xBB\xBF-- a byte order mark\nSELECT 1",
      "SELECT \xEF\xBB\xBF"
      "1",
  };
  for (const char* sql : cases) {
    EXPECT_EQ(shredmit::syntax::lexer_difference(sql), std::nullopt) << sql;
  }
}
