// shredmit format: bigquery-etl's house formatting. File-driven cases (tests/data/format/NAME.sql
// formatted must equal NAME.expected.sql, reviewed by hand and equal to what bigquery-etl's own
// formatter writes), idempotence, token-stream preservation, the command line, and every SQL
// file shredmit generates being a fixed point of the formatter.
#include "syntax/format.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/files.h"
#include "mitigation/mitigation.h"
#include "run_cli.h"
#include "templates/templates.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator("tests/data/format")) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".sql") && !name.ends_with(".expected.sql"))
      names.push_back(name.substr(0, name.size() - 4));
  }
  std::sort(names.begin(), names.end());
  return names;
}

class FormatCase : public ::testing::TestWithParam<std::string> {};

TEST_P(FormatCase, MatchesTheReviewedExpectedOutput) {
  fs::path dir = "tests/data/format";
  std::string input = read(dir / (GetParam() + ".sql"));
  std::string expected = read(dir / (GetParam() + ".expected.sql"));
  ASSERT_FALSE(expected.empty());
  std::string formatted = syntax::format_sql(input);
  EXPECT_EQ(formatted, expected);
  // Idempotent: the house style is a fixed point.
  EXPECT_EQ(syntax::format_sql(formatted), formatted);
  // Only whitespace and keyword case change.
  auto d = syntax::first_token_difference(input, formatted);
  EXPECT_FALSE(d.has_value()) << "at byte " << d->offset << ": `" << d->before << "` became `"
                              << d->after << "`";
}

INSTANTIATE_TEST_SUITE_P(Cases, FormatCase, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

TEST(FormatCases, CoverEveryConstructTheIssueLists) {
  // A guard against the case directory silently shrinking.
  EXPECT_GE(case_names().size(), 22u);
}

TEST(FormatSql, KeywordsAndBuiltInsAreUpperCasedButNamesAreNot) {
  EXPECT_EQ(syntax::format_sql("select sum(x) as total, t.select, mozfun.map.sum(y) from t"),
            "SELECT\n  SUM(x) AS total,\n  t.select,\n  mozfun.map.sum(y)\nFROM\n  t\n");
  // Without `(` right after it, a built-in's name is a name.
  EXPECT_EQ(syntax::format_sql("select sum from t", false), "SELECT\n  sum\nFROM\n  t");
}

TEST(FormatSql, ShortBlocksAreJoinedUpToOneHundredColumns) {
  // "  f(" + 46 + ", " + 47 + ")" is 100 columns: the block goes on one line.
  std::string a(46, 'a'), b(47, 'b');
  std::string fits = syntax::format_sql("SELECT f(" + a + ", " + b + ")", false);
  EXPECT_EQ(fits, "SELECT\n  f(" + a + ", " + b + ")");
  EXPECT_EQ(fits.substr(fits.find('\n') + 1).size(), 100u);
  // One more column and each argument gets its own line.
  std::string too_long = syntax::format_sql("SELECT fx(" + a + ", " + b + ")", false);
  EXPECT_EQ(too_long, "SELECT\n  fx(\n    " + a + ",\n    " + b + "\n  )");
}

TEST(FormatSql, LineCommentsKeepTheirPlaceAndStopJoining) {
  EXPECT_EQ(syntax::format_sql("SELECT f(a, -- why\n b)", false),
            "SELECT\n  f(\n    a, -- why\n    b\n  )");
}

TEST(FormatSql, NeverThrowsAndCoversTheInput) {
  // Unterminated strings, comments, Jinja and backquotes, stray bytes: copied, not lost.
  for (std::string text : {"'open", "/* open", "{{ open", "{% open", "`open", "\"", "\x01\x02",
                           "SELECT '\\", "a.b.c.", "p-1.d.t", "@@x", "{", "é ü", ""}) {
    std::string out = syntax::format_sql(text, false);
    std::string squeezed_in, squeezed_out;
    for (char c : text)
      if (!std::isspace(static_cast<unsigned char>(c))) squeezed_in += c;
    for (char c : out)
      if (!std::isspace(static_cast<unsigned char>(c))) squeezed_out += c;
    EXPECT_EQ(squeezed_out.size(), squeezed_in.size()) << text;
  }
}

TEST(FormatSql, LongPathsAndDeepNestingNeedNoStack) {
  std::string chain = "SELECT ";
  for (int i = 0; i < 300000; ++i) chain += "a.";
  chain += "a FROM t";
  std::string out = syntax::format_sql(chain, false);
  EXPECT_EQ(out, "SELECT\n  " + chain.substr(7, chain.size() - 7 - 7) + "\nFROM\n  t");
  // 256 levels lay out (each `(` is a level, SELECT one more); deeper is refused where it passes
  // the limit, as it would take gigabytes (the square of the depth).
  std::string deep = "SELECT " + std::string(255, '(') + "1" + std::string(255, ')');
  out = syntax::format_sql(deep, false);
  EXPECT_FALSE(syntax::first_token_difference(deep, out));
  std::string deeper = "SELECT\n" + std::string(100000, '(') + "1" + std::string(100000, ')');
  try {
    syntax::format_sql(deeper);
    ADD_FAILURE() << "no error";
  } catch (const base::Error& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 256);
    EXPECT_NE(std::string(e.what()).find("nested more than 256 levels"), std::string::npos);
  }
}

TEST(FormatSql, NewlinesAreNormalizedAsPythonReadsFiles) {
  EXPECT_EQ(syntax::normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
}

TEST(FirstTokenDifference, FindsChangedTokensAndAllowsOnlyUpperCasing) {
  EXPECT_FALSE(syntax::first_token_difference("select  x\nfrom t", "SELECT x FROM t"));
  EXPECT_FALSE(syntax::first_token_difference("select sum\n(x)", "SELECT SUM(x)"));
  auto renamed = syntax::first_token_difference("SELECT a FROM t", "SELECT b FROM t");
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->offset, 7u);
  EXPECT_EQ(renamed->before, "a");
  EXPECT_EQ(renamed->after, "b");
  // Lower-casing is not something formatting does.
  EXPECT_TRUE(syntax::first_token_difference("SELECT A", "SELECT a"));
  // The house style would merge these tokens: a difference.
  std::string merged = "SELECT 5 .5";
  EXPECT_TRUE(syntax::first_token_difference(merged, syntax::format_sql(merged)));
  auto dropped = syntax::first_token_difference("SELECT a, b", "SELECT a,");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->before, "b");
  EXPECT_EQ(dropped->after, "");
}

TEST(ReadTextFile, RefusesWhatIsNotARegularFile) {
  fs::path dir = fs::temp_directory_path() / "shredmit_read_text_file";
  fs::remove_all(dir);
  fs::create_directories(dir / "folder.sql");
  ASSERT_EQ(::mkfifo((dir / "pipe.sql").c_str(), 0600), 0);
  // A FIFO would block forever, a folder read as empty text: both are refused by kind.
  for (const char* name : {"pipe.sql", "folder.sql"}) {
    try {
      base::read_text_file(dir / name);
      ADD_FAILURE() << name << " was read";
    } catch (const base::Error& e) {
      EXPECT_EQ(e.kind, base::ErrorKind::kInput);
      EXPECT_NE(e.format().find(name), std::string::npos);
    }
  }
  fs::remove_all(dir);
}

TEST(GlobMatch, FollowsPythonGlobWithRecursiveStars) {
  EXPECT_TRUE(base::glob_match("sql_generators/**/*.sql", "sql_generators/a/b/c.sql"));
  EXPECT_TRUE(base::glob_match("sql_generators/**/*.sql", "sql_generators/c.sql"));
  EXPECT_FALSE(base::glob_match("sql_generators/**/*.sql", "sql/c.sql"));
  EXPECT_FALSE(base::glob_match("sql/*.sql", "sql/a/c.sql"));
  EXPECT_TRUE(base::glob_match("sql/**/checks.sql", "sql/p/d/t/checks.sql"));
  EXPECT_TRUE(base::glob_match("sql/p/udf/x.sql", "sql/p/udf/x.sql"));
}

// ------------------------------------------------------------------ the command line

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("shredmit_format_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

constexpr const char* kFormatted = "SELECT\n  a\nFROM\n  t\n";
constexpr const char* kMessy = "select a from t";

TEST(FormatCli, CheckListsFilesThatWouldChangeAndWritesNothing) {
  TempDir d;
  fs::path good = d.write("sql/good.sql", kFormatted);
  fs::path bad = d.write("sql/bad.sql", kMessy);
  std::string out, err;
  EXPECT_EQ(run_cli({"format", "--check", d.path.c_str()}, &out, &err), cli::kExitRefused);
  EXPECT_NE(out.find("bad.sql: needs formatting"), std::string::npos) << out;
  EXPECT_EQ(out.find("good.sql"), std::string::npos) << out;
  EXPECT_NE(err.find("1 file would be reformatted, 1 unchanged"), std::string::npos) << err;
  EXPECT_EQ(read(bad), kMessy);
  // Nothing to change: exit 0.
  EXPECT_EQ(run_cli({"format", "--check", good.c_str()}, &out, &err), cli::kExitOk);
}

TEST(FormatCli, FormatsInPlaceAndIsThenAFixedPoint) {
  TempDir d;
  fs::path bad = d.write("bad.sql", "select a\r\nfrom t");
  std::string out, err;
  EXPECT_EQ(run_cli({"format", bad.c_str()}, &out, &err), cli::kExitOk) << err;
  EXPECT_NE(out.find("reformatted"), std::string::npos);
  EXPECT_EQ(read(bad), kFormatted);
  EXPECT_EQ(run_cli({"format", "--check", bad.c_str()}, &out, &err), cli::kExitOk) << out;
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 1);
}

TEST(FormatCli, WritesThroughSymbolicLinksAndKeepsTheFileMode) {
  TempDir d;
  fs::path target = d.write("real/q.sql", kMessy);
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  fs::create_directories(d.path / "linked");
  fs::create_symlink(target, d.path / "linked" / "q.sql");
  std::string out, err;
  EXPECT_EQ(run_cli({"format", (d.path / "linked" / "q.sql").c_str()}, &out, &err), cli::kExitOk)
      << err;
  EXPECT_TRUE(fs::is_symlink(d.path / "linked" / "q.sql"));
  EXPECT_EQ(read(target), kFormatted);
  EXPECT_EQ(fs::status(target).permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(FormatCli, DiffPrintsAUnifiedDiffAndWritesNothing) {
  TempDir d;
  fs::path bad = d.write("bad.sql", kMessy);
  std::string out, err;
  EXPECT_EQ(run_cli({"format", "--diff", bad.c_str()}, &out, &err), cli::kExitOk) << err;
  std::string name = bad.generic_string().substr(1);  // without the leading /
  EXPECT_NE(out.find("--- a/" + name + "\n+++ b/" + name + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("@@ -1,1 +1,4 @@\n-select a from t\n+SELECT\n+  a\n+FROM\n+  t\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(read(bad), kMessy);
  EXPECT_EQ(run_cli({"format", "--diff", "--check", bad.c_str()}, &out, &err), cli::kExitRefused);
}

TEST(FormatCli, LeavesTheFilesOfTheProjectSkipListAlone) {
  TempDir d;
  d.write("bqetl_project.yaml",
          "format:\n  skip:\n  - sql_generators/**/*.sql\n  - sql/p/keep.sql\n");
  fs::path generator = d.write("sql_generators/x/templates/q.sql", kMessy);
  fs::path kept = d.write("sql/p/keep.sql", kMessy);
  fs::path formatted = d.write("sql/p/other.sql", kMessy);
  std::string out, err;
  EXPECT_EQ(run_cli({"format", d.path.c_str()}, &out, &err), cli::kExitOk) << err;
  EXPECT_EQ(read(generator), kMessy);
  EXPECT_EQ(read(kept), kMessy);
  EXPECT_EQ(read(formatted), kFormatted);
  EXPECT_NE(err.find("2 skipped"), std::string::npos) << err;
  // Named explicitly, a skipped file is reported as skipped.
  EXPECT_EQ(run_cli({"format", "--check", kept.c_str()}, &out, &err), cli::kExitOk);
  EXPECT_NE(err.find("skipping " + kept.generic_string()), std::string::npos) << err;
  // --no-skip formats it anyway.
  EXPECT_EQ(run_cli({"format", "--no-skip", kept.c_str()}, &out, &err), cli::kExitOk);
  EXPECT_EQ(read(kept), kFormatted);
}

TEST(FormatCli, RefusesTextItWouldChangeWithALocatedMessage) {
  TempDir d;
  fs::path merged = d.write("merged.sql", "SELECT\n  1,\n  5 .5\n");
  fs::path latin1 = d.write("latin1.sql", "SELECT 'caf\xe9'\n");
  std::string out, err;
  EXPECT_EQ(run_cli({"format", merged.c_str(), latin1.c_str()}, &out, &err), cli::kExitRefused);
  EXPECT_NE(err.find(merged.generic_string() + ":3:3: error: formatting would turn `5` into "
                                               "`5.5`"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(latin1.generic_string() + ":1:12: error: the file is not valid UTF-8"),
            std::string::npos)
      << err;
  EXPECT_EQ(read(merged), "SELECT\n  1,\n  5 .5\n");
  EXPECT_EQ(read(latin1), "SELECT 'caf\xe9'\n");
}

TEST(FormatCli, NamesTheFileOfTooDeepNesting) {
  TempDir d;
  fs::path deep =
      d.write("deep.sql", "SELECT " + std::string(300, '(') + "1" + std::string(300, ')'));
  std::string out, err;
  EXPECT_EQ(run_cli({"format", deep.c_str()}, &out, &err), cli::kExitRefused);
  EXPECT_NE(err.find(deep.generic_string() + ":1:263: error: nested more than 256 levels"),
            std::string::npos)
      << err;
}

TEST(FormatCli, AMissingPathIsAUsageError) {
  std::string out, err;
  EXPECT_EQ(run_cli({"format", "no/such/file.sql"}, &out, &err), cli::kExitUsage);
}

// ------------------------------------------------------------------ generated SQL

void expect_fixed_point(const std::string& sql, const std::string& what) {
  EXPECT_EQ(syntax::format_sql(sql), sql) << what << " is not in the house style";
}

TEST(GeneratedSql, MitigationFilesAreFixedPointsOfTheFormatter) {
  project::SqlTree tree = project::SqlTree::from_sql_dir("fixtures/sql", "");
  auto m = mitigation::generate(tree, project::TableId::parse("moz-fx-data-shared-prod."
                                                              "firefox_desktop_derived."
                                                              "active_users_aggregates_v4"));
  expect_fixed_point(m.query_sql, "the mitigation query");
  expect_fixed_point(m.checks_sql, "the checks");
  for (const char* shape :
       {"jinja_template", "temp_function", "projection", "star_except", "union_all"}) {
    auto s = mitigation::generate(
        project::SqlTree::from_sql_dir("fixtures/shapes/sql", ""),
        project::TableId::parse(std::string("moz-fx-data-shared-prod.shapes.") + shape + "_v2"));
    expect_fixed_point(s.query_sql, std::string(shape) + " query");
    expect_fixed_point(s.checks_sql, std::string(shape) + " checks");
  }
}

TEST(GeneratedSql, ParseAndBackfillPlanOutputsAreFixedPoints) {
  std::string out, err;
  ASSERT_EQ(run_cli({"parse",
                     "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/"
                     "active_users_aggregates_v4/query.sql"},
                    &out, &err),
            cli::kExitOk)
      << err;
  expect_fixed_point(out, "parse --format sql");

  TempDir d;
  ASSERT_EQ(run_cli({"backfill", "plan",
                     "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4",
                     "--sql-dir", "fixtures/sql", "--today", "2024-06-05", "--output-dir",
                     d.path.c_str()},
                    &out, &err),
            cli::kExitOk)
      << err;
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(d.path)) {
    if (e.path().extension() != ".sql") continue;
    ++files;
    expect_fixed_point(read(e.path()), e.path().filename().string());
  }
  EXPECT_GE(files, 3);
}

TEST(GeneratedSql, RenderedTemplatesAreFixedPoints) {
  int rendered = 0;
  for (const auto& t : templates::all()) {
    if (t.output != "sql") continue;
    std::map<std::string, std::string> values;
    for (const auto& p : t.parameters)
      if (p.required) values[p.name] = p.example;
    std::string sql = templates::render(t, values);
    expect_fixed_point(sql, "template " + t.name);
    ++rendered;
  }
  EXPECT_GT(rendered, 0);
}

}  // namespace
}  // namespace shredmit
