// shredmit lint: each rule on a fixture that fires it and on ones that do not, table selection,
// worker processes, the four output formats and the command's exit statuses.
#include "lint/lint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/text.h"
#include "cli/cli.h"
#include "syntax/format.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;

const std::string kDataset = "fixtures/lint/sql/moz-fx-data-shared-prod/lint/";
// Within 28 days of the fixtures' Initiate entries (BF018) and before the 2024-09-01 entry.
const std::string kToday = "2024-06-20";

// A finding as the tests compare it: rule, file relative to the fixture dataset, line, column.
struct Expected {
  std::string rule;
  std::string file;
  int line;
  int column;
  bool operator==(const Expected&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Expected& e) {
  return os << e.rule << " " << e.file << ":" << e.line << ":" << e.column;
}

lint::Options options(bool all_tables = false) {
  lint::Options o;
  o.today = kToday;
  o.all_tables = all_tables;
  return o;
}

std::vector<Expected> lint_paths(const std::vector<std::string>& paths,
                                 const lint::Options& o = options()) {
  lint::Report r = lint::lint(lint::select_tables(paths), o);
  std::vector<Expected> out;
  for (const auto& f : r.findings) {
    std::string file = f.file;
    if (file.rfind(kDataset, 0) == 0) file = file.substr(kDataset.size());
    out.push_back({f.rule, file, f.line, f.column});
  }
  return out;
}

struct RuleCase {
  const char* table;
  std::vector<Expected> expected;
};

class RuleFixtures : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleFixtures, FiresExactlyWhereExpected) {
  const RuleCase& c = GetParam();
  EXPECT_EQ(lint_paths({kDataset + c.table}), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Lint, RuleFixtures,
    ::testing::Values(
        // Fires nothing: aliasing (`normalized_channel AS channel ... GROUP BY
        // normalized_channel`), '??' in both versions (directly and through a WITH query), a
        // renamed new dimension, descriptions through all four schema tags, a valid Initiate
        // backfill entry and a Complete entry from before the label.
        RuleCase{"clean_v2", {}},
        // Only the letter case of names changed: not a redefinition (SM011 compares definitions
        // as BigQuery compares names).
        RuleCase{"recased_v2", {}},
        RuleCase{"no_group_by_v1", {{"SM001", "no_group_by_v1/query.sql", 1, 1}}},
        RuleCase{"group_by_all_v1", {{"SM001", "group_by_all_v1/query.sql", 9, 1}}},
        RuleCase{"group_by_ordinal_v1",
                 {{"SM001", "group_by_ordinal_v1/query.sql", 10, 3},
                  {"SM001", "group_by_ordinal_v1/query.sql", 11, 3}}},
        RuleCase{"no_schema_v1", {{"SM002", "no_schema_v1/metadata.yaml", 7, 3}}},
        RuleCase{"missing_description_v1",
                 {{"SM003", "missing_description_v1/schema.yaml", 15, 5},
                  {"SM003", "missing_description_v1/schema.yaml", 18, 3}}},
        RuleCase{
            "id_level_v1",
            {{"SM004", "id_level_v1/query.sql", 3, 3}, {"SM004", "id_level_v1/schema.yaml", 6, 3}}},
        RuleCase{"schema_mismatch_v1",
                 {{"SM005", "schema_mismatch_v1/query.sql", 3, 3},
                  {"SM005", "schema_mismatch_v1/query.sql", 4, 3},
                  {"SM005", "schema_mismatch_v1/schema.yaml", 14, 3}}},
        // A labelled table without its previous version: only a backfill asking for mitigation
        // (or --strict, below) needs it.
        RuleCase{"no_previous_v3", {}},
        // Located where generate and backfill validate locate it: at the label.
        RuleCase{"requested_no_previous_v5",
                 {{"SM006", "requested_no_previous_v5/metadata.yaml", 7, 3}}},
        // A backfill asks for mitigation on an unlabelled version 1: the label (BF015) and the
        // version (SM006) are both wrong.
        RuleCase{"unlabelled_backfill_v1",
                 {{"BF015", "unlabelled_backfill_v1/backfill.yaml", 8, 3},
                  {"SM006", "unlabelled_backfill_v1/metadata.yaml", 5, 1}}},
        RuleCase{"labelled_backfill_v1", {{"BF015", "labelled_backfill_v1/backfill.yaml", 1, 1}}},
        RuleCase{"syntax_error_v1", {{"SM008", "syntax_error_v1/query.sql", 10, 1}}},
        RuleCase{"bad_yaml_v1", {{"SM008", "bad_yaml_v1/schema.yaml", 5, 1}}},
        RuleCase{"bad_include_v1", {{"SM008", "bad_include_v1/schema.yaml", 9, 16}}},
        // A first version: metrics subtraction cannot recover are warned about (AVG, a ratio,
        // MAX); COUNT(DISTINCT ...) is a count.
        RuleCase{"unrecoverable_v1",
                 {{"SM009", "unrecoverable_v1/query.sql", 7, 3},
                  {"SM009", "unrecoverable_v1/query.sql", 8, 3},
                  {"SM009", "unrecoverable_v1/query.sql", 9, 3}}},
        // Against its previous version: a common AVG is refused (an error), COUNT(DISTINCT ...)
        // with an added dimension is warned about, a new MAX metric is fine.
        RuleCase{"metric_kinds_v2",
                 {{"SM009", "metric_kinds_v2/query.sql", 6, 3},
                  {"SM009", "metric_kinds_v2/query.sql", 7, 3}}},
        RuleCase{"placeholder_v2",
                 {{"SM010", "placeholder_v2/query.sql", 3, 3},
                  {"SM011", "placeholder_v2/query.sql", 3, 3},
                  {"SM010", "placeholder_v2/query.sql", 4, 3},
                  {"SM011", "placeholder_v2/query.sql", 4, 3}}},
        RuleCase{"redefined_v2", {{"SM011", "redefined_v2/query.sql", 13, 3}}},
        RuleCase{"backfill_invalid_v1",
                 {{"BF003", "backfill_invalid_v1/backfill.yaml", 1, 1},
                  {"BF004", "backfill_invalid_v1/backfill.yaml", 10, 3},
                  {"BF006", "backfill_invalid_v1/backfill.yaml", 13, 5},
                  {"BF001", "backfill_invalid_v1/backfill.yaml", 19, 1},
                  {"BF001", "backfill_invalid_v1/backfill.yaml", 20, 15},
                  {"BF008", "backfill_invalid_v1/backfill.yaml", 22, 3},
                  {"BF011", "backfill_invalid_v1/backfill.yaml", 23, 11},
                  {"BF008", "backfill_invalid_v1/backfill.yaml", 30, 5}}},
        // Not set up for mitigation: nothing by default.
        RuleCase{"unlabelled_mismatch_v1", {}}, RuleCase{"clean_v1", {}},
        // `shredder-mitigation` is another label: the table is not set up, and SM015 says so
        // (a key further away, `shreddermitigation_owner`, is left alone).
        RuleCase{"misspelled_label_v1", {{"SM015", "misspelled_label_v1/metadata.yaml", 7, 3}}}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return std::string(info.param.table); });

TEST(Lint, MessagesSayWhatIsWrongAndHowToFixIt) {
  lint::Report r =
      lint::lint(lint::select_tables({kDataset + "bad_include_v1", kDataset + "schema_mismatch_v1",
                                      kDataset + "unrecoverable_v1"}),
                 options());
  std::string text = lint::format_text(r);
  EXPECT_NE(text.find("!include-field-description: fixtures/lint/bigquery_etl/schema/global.yaml "
                      "has no field 'release_channel'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("output column 'pings' is INT64 but schema.yaml (line 6) declares STRING"),
            std::string::npos);
  EXPECT_NE(text.find("schema field 'os' is not an output column of query.sql"), std::string::npos);
  EXPECT_NE(text.find("metric 'max_active_hours' cannot be recovered by subtraction (MAX is not"),
            std::string::npos);
  EXPECT_EQ(text.find("metric 'clients'"), std::string::npos) << "COUNT(DISTINCT ...) is a count";
}

TEST(Lint, MetricKindsFollowGenerate) {
  lint::Report r = lint::lint(lint::select_tables({kDataset + "metric_kinds_v2"}), options());
  ASSERT_EQ(r.findings.size(), 2u) << lint::format_text(r);
  EXPECT_EQ(r.findings[0].severity, lint::Severity::kWarning);
  EXPECT_NE(r.findings[0].message.find("metric 'clients' counts distinct values and the "
                                       "dimensions changed (added country)"),
            std::string::npos)
      << r.findings[0].message;
  EXPECT_EQ(r.findings[1].severity, lint::Severity::kError);
  EXPECT_NE(r.findings[1].message.find("metric 'mean_active_hours' is common to both versions but "
                                       "cannot be recovered by subtraction (AVG is not a sum or "
                                       "a count); rename it"),
            std::string::npos)
      << r.findings[1].message;
  // Declaring every recoverable common metric signed adds the warning that late data cannot show.
  lint::Options o = options();
  o.signed_metrics = {"REVENUE", "pings", "clients"};
  r = lint::lint(lint::select_tables({kDataset + "metric_kinds_v2"}), o);
  ASSERT_EQ(r.findings.size(), 3u) << lint::format_text(r);
  EXPECT_EQ(r.findings[0].line, 5);
  EXPECT_NE(r.findings[0].message.find("every metric common to both versions is declared signed"),
            std::string::npos);
  o.signed_metrics = {"revenue"};
  EXPECT_EQ(lint::lint(lint::select_tables({kDataset + "metric_kinds_v2"}), o).findings.size(), 2u);
}

TEST(Lint, AllTablesRunsTheRulesForEveryTableOnly) {
  // SM005 runs on every table; SM004 (client_id) and SM009 (AVG) only on mitigation tables.
  std::vector<Expected> expected = {{"SM005", "unlabelled_mismatch_v1/query.sql", 5, 3}};
  EXPECT_EQ(lint_paths({kDataset + "unlabelled_mismatch_v1"}, options(true)), expected);
  EXPECT_EQ(lint_paths({kDataset + "clean_v1"}, options(true)), std::vector<Expected>{});
  // `*` over a WITH query is expanded by name resolution, so a missing schema field is seen.
  std::vector<Expected> star = {{"SM005", "star_cte_mismatch_v1/schema.yaml", 14, 3}};
  EXPECT_EQ(lint_paths({kDataset + "star_cte_mismatch_v1"}, options(true)), star);
}

TEST(Lint, IdLevelColumnsComeFromAFile) {
  lint::Options o = options();
  o.id_level_columns = project::load_id_level_columns("fixtures/lint/id_level_columns.yaml");
  std::vector<Expected> expected = {{"SM004", "id_level_v1/query.sql", 3, 3},
                                    {"SM004", "id_level_v1/query.sql", 4, 3},
                                    {"SM004", "id_level_v1/schema.yaml", 6, 3},
                                    {"SM004", "id_level_v1/schema.yaml", 10, 3}};
  EXPECT_EQ(lint_paths({kDataset + "id_level_v1"}, o), expected);
}

TEST(Lint, EntryDatesAfterTodayAreInTheFuture) {
  lint::Options o = options();
  o.today = "2024-12-31";  // the 2024-09-01 entry is no longer in the future
  auto findings = lint_paths({kDataset + "backfill_invalid_v1"}, o);
  EXPECT_EQ(std::count(findings.begin(), findings.end(),
                       Expected{"BF003", "backfill_invalid_v1/backfill.yaml", 1, 1}),
            0);
}

TEST(Lint, SelectsTablesFromTreesFoldersAndFiles) {
  auto dirs = [](const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& t : lint::select_tables(paths)) out.push_back(t.dir.filename().string());
    return out;
  };
  auto all = dirs({"fixtures/lint/sql"});
  EXPECT_EQ(all.size(), 29u);
  EXPECT_EQ(dirs({"fixtures/lint/sql/moz-fx-data-shared-prod/lint"}), all);
  EXPECT_EQ(dirs({kDataset + "clean_v2/schema.yaml", kDataset + "clean_v2/backfill.yaml",
                  kDataset + "clean_v2/"}),
            std::vector<std::string>{"clean_v2"});
  EXPECT_EQ(lint::select_tables({kDataset + "clean_v2/query.sql"}).front().dir.string(),
            kDataset + "clean_v2");
  EXPECT_THROW(lint::select_tables({kDataset + "nonexistent_v1"}), base::Error);
  EXPECT_THROW(lint::select_tables({"fixtures/lint/bigquery_etl/schema/global.yaml"}), base::Error);
}

TEST(Lint, WorkerProcessesFindTheSameAsOne) {
  auto tables = lint::select_tables({"fixtures/lint/sql"});
  lint::Options one = options(true), two = options(true);
  two.jobs = 2;
  lint::Report a = lint::lint(tables, one), b = lint::lint(tables, two);
  EXPECT_GT(a.findings.size(), 30u);
  EXPECT_EQ(lint::format_json(a), lint::format_json(b));
  EXPECT_EQ(lint::format_text(a), lint::format_text(b));
  EXPECT_EQ(a.checked, 29u);
}

lint::Report sample_report() {
  lint::Report r;
  r.tables = 2;
  r.checked = 1;
  r.findings.push_back({"SM001", lint::Severity::kError, "sql/p/d/t_v1/query.sql", 3, 7,
                        "GROUP BY ALL is not allowed"});
  r.findings.push_back({"SM011", lint::Severity::kWarning, "sql/p/d/a,b:c_v2/query.sql", 4, 1,
                        "50% done\nsecond line"});
  return r;
}

TEST(LintFormats, Text) {
  EXPECT_EQ(lint::format_text(sample_report()),
            "sql/p/d/t_v1/query.sql:3:7: error: [SM001] GROUP BY ALL is not allowed\n"
            "sql/p/d/a,b:c_v2/query.sql:4:1: warning: [SM011] 50% done\nsecond line\n"
            "shredmit lint: 1 error, 1 warning in 2 tables (1 checked)\n");
}

TEST(LintFormats, Json) {
  auto j = nlohmann::json::parse(lint::format_json(sample_report()));
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["findings"].size(), 2u);
  EXPECT_EQ(j["findings"][0], nlohmann::json({{"rule", "SM001"},
                                              {"rule_name", "explicit-group-by"},
                                              {"severity", "error"},
                                              {"file", "sql/p/d/t_v1/query.sql"},
                                              {"line", 3},
                                              {"column", 7},
                                              {"message", "GROUP BY ALL is not allowed"},
                                              {"fixable", true},
                                              {"suppressed", nullptr}}));
  EXPECT_EQ(j["findings"][1]["severity"], "warning");
  EXPECT_EQ(j["findings"][1]["fixable"], false);
  EXPECT_EQ(
      j["summary"],
      nlohmann::json(
          {{"errors", 1}, {"warnings", 1}, {"suppressed", 0}, {"tables", 2}, {"checked", 1}}));
  auto empty = nlohmann::json::parse(lint::format_json(lint::Report{}));
  EXPECT_EQ(empty["findings"], nlohmann::json::array());
  EXPECT_EQ(empty["skipped"], nlohmann::json::array());
}

TEST(LintFormats, GithubEscapesPropertiesAndMessages) {
  EXPECT_EQ(lint::format_github(sample_report()),
            "::error file=sql/p/d/t_v1/query.sql,line=3,col=7,title=SM001::GROUP BY ALL is not "
            "allowed\n"
            "::warning file=sql/p/d/a%2Cb%3Ac_v2/query.sql,line=4,col=1,title=SM011::50%25 "
            "done%0Asecond line\n");
}

TEST(LintFormats, SarifHasOneDescriptorPerRuleAndOneResultPerFinding) {
  auto s = nlohmann::json::parse(lint::format_sarif(sample_report()));
  EXPECT_EQ(s["version"], "2.1.0");
  const auto& run = s["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "shredmit");
  const auto& rules = run["tool"]["driver"]["rules"];
  // SM001-SM016 without SM007 (now BF015) and SM012 (retired), then the backfill rules
  // BF001-BF031 without BF028 (now part of BF027).
  ASSERT_EQ(rules.size(), 14u + 30u);
  std::vector<std::string> ids = {"SM001", "SM002", "SM003", "SM004", "SM005", "SM006", "SM008",
                                  "SM009", "SM010", "SM011", "SM013", "SM014", "SM015", "SM016"};
  for (int i = 1; i <= 31; ++i) {
    if (i != 28) ids.push_back(fmt::format("BF{:03}", i));
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string id = ids[i];
    EXPECT_EQ(rules[i]["id"], id);
    EXPECT_FALSE(rules[i]["shortDescription"]["text"].get<std::string>().empty());
  }
  EXPECT_EQ(rules[7]["defaultConfiguration"]["level"], "error");    // SM009
  EXPECT_EQ(rules[8]["defaultConfiguration"]["level"], "warning");  // SM010
  const auto& results = run["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["ruleId"], "SM001");
  EXPECT_EQ(results[0]["ruleIndex"], 0);
  EXPECT_EQ(results[0]["level"], "error");
  EXPECT_EQ(results[1]["ruleIndex"], 9);
  EXPECT_EQ(results[1]["level"], "warning");
  const auto& location = results[0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(location["artifactLocation"]["uri"], "sql/p/d/t_v1/query.sql");
  EXPECT_EQ(location["region"]["startLine"], 3);
  EXPECT_EQ(location["region"]["startColumn"], 7);
}

int run_lint(std::vector<const char*> args, std::string* out = nullptr) {
  args.insert(args.begin(), "lint");
  args.insert(args.begin(), "shredmit");
  std::ostringstream o, e;
  int status = cli::run(static_cast<int>(args.size()), args.data(), o, e);
  if (out) *out = o.str() + e.str();
  return status;
}

TEST(LintCommand, ExitStatus) {
  std::string out;
  EXPECT_EQ(
      run_lint({"fixtures/lint/sql/moz-fx-data-shared-prod/lint/clean_v2", "--today", "2024-06-20"},
               &out),
      0)
      << out;
  EXPECT_EQ(out, "shredmit lint: 0 errors, 0 warnings in 1 table (1 checked)\n");
  // Warnings only.
  EXPECT_EQ(run_lint({"fixtures/lint/sql/moz-fx-data-shared-prod/lint/unrecoverable_v1"}), 0);
  EXPECT_EQ(run_lint({"fixtures/lint/sql/moz-fx-data-shared-prod/lint/no_schema_v1"}), 1);
  EXPECT_EQ(run_lint({"fixtures/lint/sql/moz-fx-data-shared-prod/lint/nonexistent_v1"}, &out), 2);
  EXPECT_NE(out.find("no such file or directory"), std::string::npos);
  EXPECT_EQ(run_lint({"fixtures/lint/sql", "--format", "xml"}), 2);
  EXPECT_EQ(run_lint({"fixtures/lint/sql", "--today", "01/07/2024"}, &out), 2);
  EXPECT_NE(out.find("--today"), std::string::npos);
  EXPECT_EQ(
      run_lint({"fixtures/lint/sql", "--id-level-columns", "fixtures/lint/missing.yaml"}, &out), 2);
  EXPECT_NE(out.find("--id-level-columns"), std::string::npos);
}

TEST(LintCommand, FormatsFromTheCommandLine) {
  std::string out;
  const char* table = "fixtures/lint/sql/moz-fx-data-shared-prod/lint/group_by_all_v1";
  EXPECT_EQ(run_lint({table, "--format", "github"}, &out), 1);
  EXPECT_EQ(out,
            "::error file=fixtures/lint/sql/moz-fx-data-shared-prod/lint/group_by_all_v1/"
            "query.sql,line=9,col=1,title=SM001::GROUP BY ALL is not allowed for shredder "
            "mitigation (seed 004, consideration 1); list the grouped columns explicitly\n");
  EXPECT_EQ(run_lint({table, "--format", "json"}, &out), 1);
  nlohmann::json doc = nlohmann::json::parse(out);
  ASSERT_EQ(doc.at("findings").size(), 1u);
  EXPECT_EQ(doc["findings"][0]["rule_name"], "explicit-group-by");
  EXPECT_EQ(doc["findings"][0]["fixable"], true);
  EXPECT_EQ(doc["summary"]["errors"], 1);
  EXPECT_EQ(doc["summary"]["checked"], 1);
  // --help describes the document as it is: an object, each of its keys named.
  ASSERT_TRUE(doc.is_object());
  std::string help;
  EXPECT_EQ(run_lint({"--help"}, &help), 0);
  std::string json_help = help.substr(help.find("json: "), 80);
  EXPECT_EQ(json_help.find("array"), std::string::npos) << json_help;
  for (const auto& [key, value] : doc.items()) {
    EXPECT_NE(json_help.find(key), std::string::npos) << key << " in: " << json_help;
  }
  EXPECT_EQ(run_lint({table, "--format", "sarif", "--jobs", "2"}, &out), 1);
  EXPECT_EQ(nlohmann::json::parse(out)["runs"][0]["results"].size(), 1u);
}

TEST(Lint, StrictReportsEveryLabelledTableWithoutItsPreviousVersion) {
  lint::Options o = options();
  o.strict = true;
  lint::Report r = lint::lint(lint::select_tables({kDataset + "no_previous_v3"}), o);
  ASSERT_EQ(r.findings.size(), 1u) << lint::format_text(r);
  EXPECT_EQ(r.findings[0].rule, "SM006");
  EXPECT_NE(r.findings[0].file.find("no_previous_v3/metadata.yaml"), std::string::npos);
  EXPECT_EQ(r.findings[0].line, 7);
  std::string out;
  EXPECT_EQ(run_lint({(kDataset + "no_previous_v3").c_str(), "--today", kToday.c_str(), "--strict"},
                     &out),
            1)
      << out;
  EXPECT_EQ(run_lint({(kDataset + "no_previous_v3").c_str(), "--today", kToday.c_str()}, &out), 0)
      << out;
}

// ------------------------------------------------------------------ lint --fix

// A copy of fixtures/lint in a temporary folder, for tests that write.
struct LintTreeCopy {
  fs::path root;
  LintTreeCopy() {
    root = fs::temp_directory_path() /
           ("shredmit_lint_fix_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root);
    fs::create_directories(root);
    fs::copy("fixtures/lint", root / "lint", fs::copy_options::recursive);
  }
  ~LintTreeCopy() { fs::remove_all(root); }
  fs::path table(const std::string& name) const {
    return root / "lint/sql/moz-fx-data-shared-prod/lint" / name;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(LintFix, OrdinalsAndGroupByAllBecomeTheGroupedExpressions) {
  LintTreeCopy t;
  fs::path ordinal = t.table("group_by_ordinal_v1/query.sql");
  fs::path all = t.table("group_by_all_v1/query.sql");
  std::string ordinal_before = slurp(ordinal), all_before = slurp(all);
  std::string out;
  EXPECT_EQ(run_lint({t.table("group_by_ordinal_v1").c_str(), t.table("group_by_all_v1").c_str(),
                      "--today", kToday.c_str(), "--fix"},
                     &out),
            0)
      << out;
  EXPECT_NE(out.find("0 errors"), std::string::npos) << out;
  // Only the ordinals and ALL changed; every other byte is as it was.
  std::string expected_ordinal = ordinal_before;
  expected_ordinal.replace(expected_ordinal.rfind("1,\n  2"), 6, "submission_date,\n  channel");
  EXPECT_EQ(slurp(ordinal), expected_ordinal);
  std::string expected_all = all_before;
  expected_all.replace(expected_all.rfind("ALL"), 3, "submission_date,\n  channel");
  EXPECT_EQ(slurp(all), expected_all);
}

TEST(LintFix, DiffPrintsTheFixesAndWritesNothing) {
  LintTreeCopy t;
  fs::path ordinal = t.table("group_by_ordinal_v1/query.sql");
  std::string before = slurp(ordinal);
  std::string out;
  // The fixes leave nothing: exit 0, as the files would lint after `--fix`.
  EXPECT_EQ(run_lint({t.table("group_by_ordinal_v1").c_str(), "--today", kToday.c_str(), "--fix",
                      "--diff"},
                     &out),
            0);
  EXPECT_NE(out.find("-  1,\n-  2\n+  submission_date,\n+  channel\n"), std::string::npos) << out;
  EXPECT_EQ(slurp(ordinal), before);
  // --diff without --fix is a usage error.
  EXPECT_EQ(run_lint({t.table("group_by_ordinal_v1").c_str(), "--diff"}, &out), 2);
}

TEST(LintFix, LeavesWhatHasNoSingleRightAnswer) {
  LintTreeCopy t;
  // A Jinja template: the GROUP BY belongs to the template's logic.
  fs::path templated = t.table("group_by_ordinal_v1/query.sql");
  std::string text = "{# a template #}\n" + slurp(templated);
  std::ofstream(templated, std::ios::binary) << text;
  // An ordinal that points past a star.
  fs::path star = t.table("group_by_all_v1/query.sql");
  std::ofstream(star, std::ios::binary)
      << "SELECT\n  *,\n  SUM(dau) AS dau\nFROM\n  t\nGROUP BY\n  1\n";
  lint::Options o = options();
  lint::Report r = lint::lint(lint::select_tables({t.table("group_by_ordinal_v1").string(),
                                                   t.table("group_by_all_v1").string(),
                                                   t.table("missing_description_v1").string()}),
                              o);
  std::set<std::string> with_ordinals;
  bool missing_description = false;
  for (const auto& f : r.findings) {
    if (f.rule == "SM001" && f.message.starts_with("GROUP BY ordinal"))
      with_ordinals.insert(fs::path(f.file).parent_path().filename().string());
    missing_description |= f.rule == "SM003";
  }
  // The findings are there, in both query files, and SM003 too; none has a fix.
  EXPECT_EQ(with_ordinals, (std::set<std::string>{"group_by_all_v1", "group_by_ordinal_v1"}));
  EXPECT_TRUE(missing_description);
  EXPECT_TRUE(lint::fixes(r).empty());
}

// ------------------------------------------------------------------ noqa and baselines

// Replaces the first `from` in the file with `to`.
void edit(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = slurp(file);
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " in " << file;
  text.replace(at, from.size(), to);
  std::ofstream(file, std::ios::binary) << text;
}

// The findings of lint on `dirs` that count, as "table/file:line RULE".
std::vector<std::string> counted(const std::vector<std::string>& args, int* status = nullptr,
                                 std::string* all = nullptr) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back("--today");
  argv.push_back(kToday.c_str());
  argv.push_back("--format");
  argv.push_back("json");
  argv.insert(argv.begin(), "lint");
  argv.insert(argv.begin(), "shredmit");
  std::ostringstream o, e;
  int st = cli::run(static_cast<int>(argv.size()), argv.data(), o, e);
  if (status) *status = st;
  if (all) *all = o.str() + e.str();
  std::vector<std::string> out;
  nlohmann::json doc = nlohmann::json::parse(o.str());
  for (const auto& f : doc["findings"]) {
    if (!f["suppressed"].is_null()) continue;
    fs::path file = f["file"].get<std::string>();
    out.push_back(fmt::format("{}/{}:{} {}", file.parent_path().filename().string(),
                              file.filename().string(), f["line"].get<int>(),
                              f["rule"].get<std::string>()));
  }
  return out;
}

TEST(LintNoqa, ACommentOnTheLineOrInTheFileSuppressesItsRules) {
  LintTreeCopy t;
  std::string all_table = t.table("group_by_all_v1").string();
  std::string schema_table = t.table("missing_description_v1").string();
  using V = std::vector<std::string>;
  ASSERT_EQ(counted({all_table}), V{"group_by_all_v1/query.sql:9 SM001"});
  // Another rule's noqa does not suppress it; its own does, in any case, with `#` too.
  fs::path query = t.table("group_by_all_v1/query.sql");
  edit(query, "GROUP BY\n", "GROUP BY  -- noqa: SM003\n");
  EXPECT_EQ(counted({all_table}), V{"group_by_all_v1/query.sql:9 SM001"});
  edit(query, "-- noqa: SM003", "-- noqa: SM003, sm001");
  int status = 0;
  std::string text;
  EXPECT_EQ(counted({all_table}, &status), V{});
  EXPECT_EQ(status, 0);
  edit(query, "-- noqa: SM003, sm001", "# noqa");
  EXPECT_EQ(counted({all_table}), V{});
  // `noqa` must be the comment's word: `noqanything` is not one.
  edit(query, "# noqa", "-- noqanything");
  EXPECT_EQ(counted({all_table}), V{"group_by_all_v1/query.sql:9 SM001"});
  // A file-wide comment anywhere in the file.
  edit(query, "-- noqanything", "");
  std::string q = slurp(query);
  std::ofstream(query, std::ios::binary) << "-- noqa-file: SM001\n" << q;
  EXPECT_EQ(counted({all_table}), V{});
  // YAML: on the key's line.
  V before = counted({schema_table});
  ASSERT_FALSE(before.empty());
  fs::path schema = t.table("missing_description_v1/schema.yaml");
  edit(schema, "  - name: os\n", "  - name: os  # noqa: SM003\n");
  V after = counted({schema_table});
  EXPECT_EQ(after.size() + 1, before.size()) << fmt::format("{}", fmt::join(after, "; "));
  for (const auto& f : after) EXPECT_EQ(f.find("schema.yaml:14 "), std::string::npos) << f;
}

TEST(LintNoqa, SuppressedFindingsAreCarriedAsSuppressed) {
  lint::Report r = sample_report();
  r.findings[0].suppression = base::Suppression::kNoqa;
  r.findings[1].suppression = base::Suppression::kBaseline;
  EXPECT_EQ(lint::format_text(r),
            "shredmit lint: 0 errors, 0 warnings in 2 tables (1 checked); 2 suppressed (1 by "
            "noqa, 1 by the baseline)\n");
  nlohmann::json sarif = nlohmann::json::parse(lint::format_sarif(r));
  const auto& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["suppressions"][0]["kind"], "inSource");
  EXPECT_EQ(results[1]["suppressions"][0]["kind"], "external");
  std::string github = lint::format_github(r);
  EXPECT_EQ(github.find("::error"), std::string::npos) << github;
  EXPECT_NE(github.find("::notice file=sql/p/d/t_v1/query.sql,line=3,col=7,title=SM001 (suppressed "
                        "by noqa)::"),
            std::string::npos)
      << github;
  nlohmann::json json = nlohmann::json::parse(lint::format_json(r));
  EXPECT_EQ(json["findings"][0]["suppressed"], "noqa");
  EXPECT_EQ(json["summary"]["suppressed"], 2);
  EXPECT_EQ(json["summary"]["errors"], 0);
}

TEST(LintBaseline, ReportsOnlyNewFindingsWhereverLintRuns) {
  LintTreeCopy t;
  fs::path baseline = t.root / "lint-baseline.json";
  std::string tree = (t.root / "lint/sql").string();
  int status = 0;
  std::string out;
  ASSERT_FALSE(counted({tree}, &status).empty());
  ASSERT_EQ(status, 1);
  EXPECT_EQ(
      run_lint({tree.c_str(), "--today", kToday.c_str(), "--write-baseline", baseline.c_str()},
               &out),
      0)
      << out;
  EXPECT_NE(out.find("to the baseline"), std::string::npos) << out;
  EXPECT_EQ(counted({tree, "--baseline", baseline.string()}, &status), std::vector<std::string>{});
  EXPECT_EQ(status, 0);
  // Lines added above a finding move it; its fingerprint does not change.
  fs::path schema = t.table("missing_description_v1/schema.yaml");
  std::string s = slurp(schema);
  std::ofstream(schema, std::ios::binary) << "# the table's columns\n\n" << s;
  EXPECT_EQ(counted({tree, "--baseline", baseline.string()}, &status), std::vector<std::string>{});
  // A new missing description is reported, and only it.
  edit(t.table("clean_v2/schema.yaml"),
       "description: The Firefox version; available from 2024-05-01.", "description: ''");
  std::vector<std::string> fresh = counted({tree, "--baseline", baseline.string()}, &status, &out);
  EXPECT_EQ(status, 1);
  ASSERT_EQ(fresh.size(), 1u) << out;
  EXPECT_EQ(fresh[0].substr(0, fresh[0].find(':')), "clean_v2/schema.yaml");
  EXPECT_NE(fresh[0].find(" SM003"), std::string::npos) << fresh[0];
  // From another folder, with other paths to the same tables, the baseline matches the same.
  fs::path here = fs::current_path();
  fs::current_path(t.root / "lint");
  std::vector<std::string> again = counted({"sql", "--baseline", "../lint-baseline.json"});
  fs::current_path(here);
  EXPECT_EQ(again, fresh);
  // A fixed finding leaves an entry that matches nothing: lint says so and still passes.
  edit(t.table("clean_v2/schema.yaml"), "description: ''",
       "description: The Firefox version; available from 2024-05-01.");
  edit(t.table("group_by_all_v1/query.sql"), "GROUP BY\n  ALL",
       "GROUP BY\n  submission_date,\n  channel");
  counted({tree, "--baseline", baseline.string()}, &status, &out);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("1 baseline entry match no finding any more"), std::string::npos) << out;
}

TEST(LintBaseline, AFileThatIsNotABaselineIsAUsageError) {
  LintTreeCopy t;
  fs::path bad = t.root / "bad.json";
  std::ofstream(bad) << "{\n  \"findings\": [\n    oops\n  ]\n}\n";
  std::string out;
  EXPECT_EQ(run_lint({kDataset.c_str(), "--baseline", bad.c_str()}, &out), 2);
  EXPECT_NE(out.find(bad.string() + ":3:5: error: not a lint baseline"), std::string::npos) << out;
  std::ofstream(bad) << "{\"findings\": []}\n";
  EXPECT_EQ(run_lint({kDataset.c_str(), "--baseline", bad.c_str()}, &out), 2);
  EXPECT_NE(out.find("--write-baseline"), std::string::npos) << out;
  EXPECT_EQ(run_lint({kDataset.c_str(), "--baseline", (t.root / "none.json").c_str()}, &out), 2);
  EXPECT_NE(out.find("file not found"), std::string::npos) << out;
  // --write-baseline and --baseline together make no sense.
  EXPECT_EQ(
      run_lint({kDataset.c_str(), "--baseline", bad.c_str(), "--write-baseline", bad.c_str()}), 2);
}

TEST(LintFix, KeepsAFileInHouseStyleAndListsWhatRemains) {
  LintTreeCopy t;
  fs::path query = t.table("group_by_ordinal_v1/query.sql");
  // A long dimension: spliced into the GROUP BY as printed on one line, it would not fit.
  std::string long_case =
      "CASE\n    WHEN channel = 'release'\n      THEN 'a release channel with a long name'\n"
      "    WHEN channel = 'beta'\n      THEN 'a beta channel with an even longer name'\n"
      "    ELSE 'other'\n  END";
  edit(query, "  channel,\n  SUM", "  " + long_case + " AS channel,\n  SUM");
  ASSERT_EQ(syntax::format_sql(slurp(query)), slurp(query)) << "the fixture is in house style";
  std::string out;
  std::string ordinal_table = t.table("group_by_ordinal_v1").string();
  std::string schema_table = t.table("missing_description_v1").string();
  std::vector<const char*> args = {
      ordinal_table.c_str(), schema_table.c_str(), "--today", kToday.c_str(), "--fix", "--diff"};
  EXPECT_EQ(run_lint(args, &out), 1);
  // The findings the fixes leave are listed (the missing descriptions), not the fixed ones.
  EXPECT_NE(out.find("missing_description_v1/schema.yaml"), std::string::npos) << out;
  EXPECT_EQ(out.find("[SM001]"), std::string::npos) << out;
  args.pop_back();
  EXPECT_EQ(run_lint(args, &out), 1) << out;
  std::string fixed = slurp(query);
  EXPECT_EQ(syntax::format_sql(fixed), fixed);
  EXPECT_NE(fixed.find("GROUP BY\n  submission_date,\n  CASE\n"), std::string::npos) << fixed;
  for (const std::string& line : base::split(fixed, "\n")) EXPECT_LE(line.size(), 100u) << line;
}

TEST(Lint, GeneratedFilesOlderThanTheirInputsAreStale) {
  LintTreeCopy t;
  fs::path dir = t.table("clean_v2");
  fs::path generated = dir / "shredder_mitigation_query.sql";
  std::ofstream(generated) << "-- generated\n";
  auto now = fs::last_write_time(dir / "query.sql");
  // Generated after its inputs (within the second a checkout takes): nothing to say.
  fs::last_write_time(generated, now - std::chrono::milliseconds(500));
  EXPECT_EQ(lint_paths({dir.string()}), std::vector<Expected>{});
  // The previous version's query changed later: the file is stale.
  fs::last_write_time(generated, now - std::chrono::seconds(30));
  fs::last_write_time(t.table("clean_v1/schema.yaml"), now - std::chrono::seconds(40));
  fs::last_write_time(t.table("clean_v1/query.sql"), now - std::chrono::seconds(40));
  fs::last_write_time(dir / "schema.yaml", now - std::chrono::seconds(40));
  fs::last_write_time(dir / "query.sql", now - std::chrono::seconds(40));
  EXPECT_EQ(lint_paths({dir.string()}), std::vector<Expected>{});
  fs::last_write_time(t.table("clean_v1/query.sql"), now);
  lint::Report r = lint::lint(lint::select_tables({dir.string()}), options());
  ASSERT_EQ(r.findings.size(), 1u) << lint::format_text(r);
  EXPECT_EQ(r.findings[0].rule, "SM016");
  EXPECT_EQ(r.findings[0].severity, lint::Severity::kWarning);
  EXPECT_NE(r.findings[0].message.find("is older than"), std::string::npos);
  EXPECT_NE(r.findings[0].message.find("clean_v1/query.sql"), std::string::npos);
  EXPECT_NE(r.findings[0].message.find("run `shredmit generate"), std::string::npos);
}

}  // namespace
}  // namespace shredmit
