// Jinja rendering (issue 3): the tags and expressions bigquery-etl uses, errors with template
// positions, the source map back to the template, and `shredmit parse`.
#include "templating/templating.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "project/project.h"

namespace shredmit::templating {
namespace {

namespace fs = std::filesystem;

std::string render_text(const std::string& text, RenderOptions options = {}) {
  return render({"query.sql", text}, options).text;
}

TEST(Templating, PlainTextIsCopied) {
  EXPECT_FALSE(is_template("SELECT 1 -- {not a tag}"));
  EXPECT_EQ(render_text("SELECT 1 -- {not a tag}"), "SELECT 1 -- {not a tag}");
}

TEST(Templating, IsInitIsFalseUnlessInit) {
  std::string t = "{% if is_init() %}init{% elif not is_init() %}daily{% else %}x{% endif %}";
  EXPECT_EQ(render_text(t), "daily");
  RenderOptions init;
  init.init = true;
  EXPECT_EQ(render_text(t, init), "init");
}

TEST(Templating, SetForLoopVariablesAndTupleUnpacking) {
  std::string t =
      "{% set kinds = [('seen', 'TRUE'), ('active', 'n > 0')] %}"
      "{% for name, cond in kinds %}COUNTIF({{ cond }}) AS {{ name }}"
      "{% if not loop.last %}, {% endif %}{% endfor %}";
  EXPECT_EQ(render_text(t), "COUNTIF(TRUE) AS seen, COUNTIF(n > 0) AS active");
}

TEST(Templating, DictItemsFiltersAndConcatenation) {
  std::string t =
      "{% set labels = {'is_video': 'Video', 'is_faq': 'FAQ'} %}"
      "{% for col, label in labels.items() %}{{ col ~ '=' ~ label }};{% endfor %}"
      "{{ ['a', 'b'] | join(', ') }}|{{ missing | default('dflt') }}|{{ labels['is_faq'] }}"
      "|{{ 'x' if loop is defined else 'y' }}|{{ 7 // 2 }}|{{ ',' if false }}.";
  EXPECT_EQ(render_text(t), "is_video=Video;is_faq=FAQ;a, b|dflt|FAQ|y|3|.");
}

TEST(Templating, WhitespaceControlRawAndComments) {
  EXPECT_EQ(render_text("a  \n  {%- if true -%}  \n  b  {%- endif %}\nc"), "ab\nc");
  EXPECT_EQ(render_text("{% raw %}{{ not_rendered }}{% endraw %}{# gone #}!"),
            "{{ not_rendered }}!");
}

TEST(Templating, MacrosWithDefaultsAndKeywordArguments) {
  RenderOptions o;
  o.macro_files.push_back(
      {"checks.jinja",
       "{% macro min_rows(threshold, where) %}{% set threshold = threshold|default(1) %}"
       "SELECT COUNT(*) >= {{ threshold }}{% if where %} WHERE {{ where }}{% endif %}"
       "{% endmacro %}"});
  EXPECT_EQ(render_text("{{ min_rows() }};{{ min_rows(5, where='x = 1') }}", o),
            "SELECT COUNT(*) >= 1;SELECT COUNT(*) >= 5 WHERE x = 1");
}

TEST(Templating, VariablesFromOptionsBecomeIntegersWhenDigits) {
  RenderOptions o;
  o.variables["lookback"] = "28";
  o.variables["table_name"] = "t_v1";
  EXPECT_EQ(render_text("{{ lookback + 2 }} {{ table_name }}", o), "30 t_v1");
}

void expect_error(const std::string& text, int line, int column, const std::string& fragment) {
  try {
    render_text(text);
    ADD_FAILURE() << "expected a TemplateError for: " << text;
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.file, "query.sql");
    EXPECT_EQ(e.pos.line, line) << e.what();
    EXPECT_EQ(e.pos.column, column) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(TemplatingErrors, UndefinedVariableNamesItAndTheFix) {
  expect_error("SELECT\n  {{ lookbak }}", 2, 6, "undefined variable 'lookbak'");
  expect_error("SELECT\n  {{ lookbak }}", 2, 6, "--param lookbak=VALUE");
}

TEST(TemplatingErrors, UndefinedInsideSqlCommentRendersEmpty) {
  EXPECT_EQ(render_text("SELECT 1 -- run for {{ ds }}\n"), "SELECT 1 -- run for \n");
}

TEST(TemplatingErrors, UnknownTagAndUnclosedBlock) {
  expect_error("x\n{% include 'a.sql' %}", 2, 1, "unknown template tag 'include'");
  expect_error("{% if true %}\nSELECT 1", 2, 9, "expected '{% endif %}'");
  expect_error("{% endfor %}", 1, 1, "without an opening tag");
  expect_error("{{ 1 +", 1, 1, "unclosed template tag");
}

TEST(SourceMap, CopiedTextMapsCharacterForCharacter) {
  Rendered r = render({"q.sql", "{% set x = 1 %}\nSELECT {{ x }},\n  bad ("}, {});
  EXPECT_EQ(r.text, "\nSELECT 1,\n  bad (");
  // "bad" is at 3:3 of the rendered text and of the template.
  Position p = r.original({3, 3});
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.column, 3);
  // The "1" printed by {{ x }} maps to the start of its expression.
  p = r.original({2, 8});
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.column, 8);
}

// ------------------------------------------------------------------ files and the command line

class ParseFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("shredmit_parse_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    table_ = root_ / "sql" / "proj" / "dset" / "tbl_v1";
    fs::create_directories(table_);
    fs::create_directories(root_ / "tests" / "checks");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p;
  }
  int run(std::vector<std::string> args, std::string& out, std::string& err) {
    std::vector<const char*> argv{"shredmit"};
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream o, e;
    int rc = cli::run(static_cast<int>(argv.size()), argv.data(), o, e);
    out = o.str();
    err = e.str();
    return rc;
  }
  fs::path root_, table_;
};

TEST_F(ParseFiles, SyntaxErrorAfterRenderingPointsIntoTheTemplate) {
  fs::path q =
      write(table_ / "query.sql",
            "{% if is_init() %}\nSELECT 1\n{% else %}\nSELECT\n  a,,\nFROM t\n{% endif %}\n");
  try {
    project::parse_sql_file(q, {});
    FAIL() << "expected a base::Error";
  } catch (const base::Error& e) {
    EXPECT_EQ(e.file, q.string());
    EXPECT_EQ(e.line(), 5);
    EXPECT_EQ(e.column(), 5);
    EXPECT_NE(std::string(e.what()).find("','"), std::string::npos) << e.what();
  }
  project::RenderSettings init;
  init.init = true;
  EXPECT_TRUE(project::parse_sql_file(q, init).templated);
}

TEST_F(ParseFiles, ChecksGetPathVariablesAndRepositoryMacros) {
  write(root_ / "tests" / "checks" / "row_count.jinja",
        "{% macro row_count(n) %}SELECT IF(COUNT(*) < {{ n }}, ERROR('few'), NULL) FROM "
        "`{{ project_id }}.{{ dataset_id }}.{{ table_name }}`{% endmacro %}");
  fs::path c = write(table_ / "checks.sql", "#fail\n{{ row_count(10) }}");
  auto f = project::parse_sql_file(c, {});
  EXPECT_NE(f.sql.find("`proj.dset.tbl_v1`"), std::string::npos) << f.sql;
  EXPECT_EQ(f.script.statements.size(), 1u);
}

TEST_F(ParseFiles, RenderSkipListIsHonoured) {
  write(root_ / "bqetl_project.yaml", "render:\n  skip:\n  - sql/proj/dset/tbl_v1/udf.sql\n");
  fs::path u = write(table_ / "udf.sql", "SELECT FORMAT('{\"values\":{%s}}', 'x')");
  EXPECT_FALSE(project::parse_sql_file(u, {}).templated);
}

TEST_F(ParseFiles, StatsLineAndExitStatus) {
  write(table_ / "query.sql", "SELECT 1");
  write(table_ / "view.sql", "CREATE VIEW v AS SELECT 2");
  std::string out, err;
  EXPECT_EQ(run({"parse", (root_ / "sql").string(), "--stats", "--jobs", "2"}, out, err), 0) << err;
  auto stats = nlohmann::json::parse(out.substr(out.rfind('{')));
  EXPECT_EQ(stats["files"], 2);
  EXPECT_EQ(stats["ok"], 2);
  EXPECT_EQ(stats["failed"], 0);
  EXPECT_EQ(stats["bytes"], 8 + 25);
  EXPECT_TRUE(stats["seconds"].is_number());

  write(table_ / "broken.sql", "SELECT\n  1 +\nFROM t");
  EXPECT_EQ(run({"parse", (root_ / "sql").string(), "--stats"}, out, err), 1);
  EXPECT_NE(err.find("broken.sql:3:1: error: syntax error at 'FROM'"), std::string::npos) << err;
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.rfind('{')))["failed"], 1);
}

TEST_F(ParseFiles, FormatsSqlAndAstJson) {
  fs::path q = write(table_ / "query.sql", "select a from t where b");
  std::string out, err;
  ASSERT_EQ(run({"parse", q.string()}, out, err), 0) << err;
  EXPECT_EQ(out, "SELECT\n  a\nFROM\n  t\nWHERE\n  b;\n");
  ASSERT_EQ(run({"parse", q.string(), "--format", "ast-json"}, out, err), 0) << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["file"], q.generic_string());
  EXPECT_EQ(j["ast"]["statements"][0]["query"]["body"]["where"]["name"], "b");
  // A path needing JSON escapes still gives valid JSON.
  fs::path odd = write(table_ / "we\"ird.sql", "SELECT 1");
  ASSERT_EQ(run({"parse", odd.string(), "--format", "ast-json"}, out, err), 0) << err;
  EXPECT_EQ(nlohmann::json::parse(out)["file"], odd.generic_string());
}

TEST_F(ParseFiles, UsageErrors) {
  std::string out, err;
  EXPECT_EQ(run({"parse", (root_ / "missing.sql").string()}, out, err), cli::kExitUsage);
  EXPECT_NE(err.find("no such file"), std::string::npos);
  EXPECT_EQ(run({"parse", table_.string(), "--format", "xml"}, out, err), cli::kExitUsage);
  EXPECT_EQ(run({"parse", table_.string(), "--param", "novalue"}, out, err), cli::kExitUsage);
}

}  // namespace
}  // namespace shredmit::templating
