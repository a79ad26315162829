// shredmit backfill: each validation rule fires where it should and nowhere else; the plan of the
// fixture's entry, step by step, and of month-partitioned, offset and depends_on_past tables;
// the bash form passes bash -n and shellcheck and runs against a stand-in `bq`; `run` passes on
// the fixture and stops at the date where late rows arrive, leaving production untouched.
#include "backfill/backfill.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "resolve/resolve.h"
#include "run_cli.h"
#include "syntax/syntax.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;

const std::string kRules = "fixtures/backfill/sql/moz-fx-data-shared-prod/rules/";
const std::string kToday = "2024-06-20";
const char* kTable = "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4";
const std::string kStaging =
    "moz-fx-data-shared-prod.backfills_staging_derived."
    "firefox_desktop_derived__active_users_aggregates_v4_2024_06_05";
const std::string kProduction = kTable;

using test_support::run_cli;

// A fresh temporary folder per test, removed afterwards.
class BackfillDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shredmit_backfill_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// ------------------------------------------------------------------ validation

struct Expected {
  std::string rule;
  std::string file;  // relative to the table folder
  int line;
  int column;
  bool operator==(const Expected&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Expected& e) {
  return os << e.rule << " " << e.file << ":" << e.line << ":" << e.column;
}

struct RuleCase {
  std::string table;
  std::vector<Expected> expected;
  std::string message;  // a phrase of the first finding's message
};

std::ostream& operator<<(std::ostream& os, const RuleCase& c) { return os << c.table; }

std::vector<base::Finding> validate_table(const std::string& dir,
                                          const std::string& today = kToday) {
  fs::path file = fs::path(dir) / "backfill.yaml";
  backfill::ValidateOptions o;
  o.today = today;
  return backfill::validate(file, backfill::tree_of(file), o);
}

class BackfillRuleFixtures : public ::testing::TestWithParam<RuleCase> {};

TEST_P(BackfillRuleFixtures, FireExactlyWhereExpected) {
  const RuleCase& c = GetParam();
  std::string dir = kRules + c.table;
  auto findings = validate_table(dir);
  std::vector<Expected> got;
  for (const auto& f : findings) {
    got.push_back({f.rule, fs::path(f.file).filename().string(), f.line, f.column});
  }
  EXPECT_EQ(got, c.expected);
  ASSERT_FALSE(findings.empty());
  EXPECT_NE(findings[0].message.find(c.message), std::string::npos) << findings[0].message;
  for (const auto& f : findings) EXPECT_EQ(f.message.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Backfill, BackfillRuleFixtures,
    ::testing::Values(
        RuleCase{"bf001_v1",
                 {{"BF001", "backfill.yaml", 1, 1}, {"BF001", "backfill.yaml", 7, 24}},
                 "has no status"},
        RuleCase{"bf002_v1", {{"BF002", "backfill.yaml", 8, 1}}, "already exists"},
        RuleCase{"bf003_v1", {{"BF003", "backfill.yaml", 1, 1}}, "can't be in the future"},
        RuleCase{"bf004_v1", {{"BF004", "backfill.yaml", 2, 3}}, "invalid start date 2024-06-12"},
        RuleCase{"bf005_v1", {{"BF005", "backfill.yaml", 3, 3}}, "invalid end date 2024-06-16"},
        RuleCase{"bf006_v1", {{"BF006", "backfill.yaml", 5, 5}}, "strictly between"},
        RuleCase{"bf007_v1", {{"BF007", "backfill.yaml", 6, 5}}, "not sorted"},
        RuleCase{"bf008_v1", {{"BF008", "backfill.yaml", 6, 5}}, "'analyst'"},
        RuleCase{"bf009_v1", {{"BF009", "backfill.yaml", 7, 5}}, "duplicate watcher"},
        RuleCase{"bf010_v1", {{"BF010", "backfill.yaml", 4, 3}}, "should not be empty"},
        RuleCase{"bf011_v1", {{"BF011", "backfill.yaml", 7, 11}}, "invalid status 'Running'"},
        RuleCase{"bf012_v1", {{"BF012", "backfill.yaml", 8, 20}}, "moz-fx-data-backfill-"},
        RuleCase{"bf013_v1", {{"BF013", "backfill.yaml", 6, 5}}, "nobody@mozilla.com"},
        RuleCase{"bf014_v1", {{"BF014", "backfill.yaml", 4, 11}}, "default reason"},
        RuleCase{"bf015_v1", {{"BF015", "backfill.yaml", 1, 1}}, "should match"},
        RuleCase{"bf016_v1", {{"BF016", "backfill.yaml", 14, 3}}, "more than one entry"},
        RuleCase{"bf017_v1", {{"BF017", "backfill.yaml", 3, 3}}, "depends_on_past"},
        RuleCase{"bf018_v1", {{"BF018", "backfill.yaml", 1, 1}}, "will not run"},
        RuleCase{"bf019_v1", {{"BF019", "backfill.yaml", 2, 3}}, "move start_date to 2024-05-17"},
        RuleCase{"bf020_v1", {{"BF020", "backfill.yaml", 1, 1}}, "query_script_entrypoint"},
        RuleCase{"bf021_v1", {{"BF021", "backfill.yaml", 8, 37}}, "out of range"},
        RuleCase{"bf022_v1", {{"BF022", "backfill.yaml", 8, 3}}, "requires custom_query_path"},
        RuleCase{"bf023_v1", {{"BF023", "backfill.yaml", 8, 1}}, "not sorted by entry date"},
        RuleCase{"bf024_v1", {{"BF024", "metadata.yaml", 4, 3}}, "null date_partition_parameter"},
        RuleCase{"bf025_v1", {{"BF025", "metadata.yaml", 6, 11}}, "partitioning type hour"},
        RuleCase{"bf026_v1", {{"BF026", "backfill.yaml", 8, 22}}, "does not exist"},
        // One BF027 per reason: version 1, and no schema.yaml.
        RuleCase{"bf027_v1",
                 {{"BF027", "backfill.yaml", 8, 3}, {"BF027", "backfill.yaml", 8, 3}},
                 "bump the version first"},
        RuleCase{"bf029_v1", {{"BF029", "backfill.yaml", 7, 11}}, "never runs it"},
        RuleCase{"bf030_v1", {{"BF030", "metadata.yaml", 4, 3}}, "ignore_date_partition_offset"},
        RuleCase{"bf031_v1", {{"BF031", "backfill.yaml", 1, 1}}, "Null partition found"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) {
      return info.param.table.substr(0, info.param.table.size() - 3);
    });

TEST(BackfillValidate, EveryRuleHasAFixture) {
  for (const auto& rule : backfill::rules()) {
    std::string dir = kRules + "bf" + std::string(rule.id.substr(2)) + "_v1";
    EXPECT_TRUE(fs::exists(dir + "/backfill.yaml")) << rule.id;
  }
}

// A Python custom_query_path is compiled by Python itself: a syntax error is located in the .py
// file; without python3 the entry is reported as not checked, never as valid.
TEST(BackfillValidate, APythonCustomQueryIsCompiled) {
  fs::path root = fs::temp_directory_path() / ("shredmit-bf026-py-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::path dir = root / "sql/p/d/t_v1";
  fs::create_directories(dir);
  base::write_file_atomically(dir / "metadata.yaml", "friendly_name: T\n");
  auto backfill = [&](const std::string& script) {
    base::write_file_atomically(dir / "query.py", script);
    base::write_file_atomically(
        dir / "backfill.yaml",
        "2024-06-15:\n  start_date: 2024-06-01\n  end_date: 2024-06-10\n  reason: Fix.\n"
        "  watchers:\n  - analyst@example.com\n  status: Initiate\n"
        "  custom_query_path: sql/p/d/t_v1/query.py\n  query_script_entrypoint: main\n"
        "  query_script_date_arg: date\n");
    backfill::ValidateOptions options;
    options.today = "2024-06-15";
    std::vector<base::Finding> out;
    for (auto& f : backfill::validate(dir / "backfill.yaml",
                                      backfill::tree_of(dir / "backfill.yaml"), options)) {
      if (f.rule == "BF026") out.push_back(f);
    }
    return out;
  };
  EXPECT_TRUE(backfill("def main(date):\n    return date\n").empty());
  auto broken = backfill("def main(date)\n    return date\n");  // no colon
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].severity, base::Severity::kError);
  EXPECT_EQ(broken[0].line, 8);  // the custom_query_path value
  EXPECT_NE(broken[0].message.find("custom_query_path does not compile: "), std::string::npos)
      << broken[0].message;
  EXPECT_NE(broken[0].message.find("query.py:1:15: "), std::string::npos) << broken[0].message;
  EXPECT_FALSE(fs::exists(dir / "__pycache__")) << "compiling writes nothing into the tree";
  // Without python3 on PATH: a warning that the file was not checked.
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  setenv("PATH", (root / "no-python").c_str(), 1);
  auto unchecked = backfill("def main(date):\n    return (date\n");
  setenv("PATH", path.c_str(), 1);
  ASSERT_EQ(unchecked.size(), 1u);
  EXPECT_EQ(unchecked[0].severity, base::Severity::kWarning);
  EXPECT_NE(unchecked[0].message.find("was not checked: python3 is not installed"),
            std::string::npos)
      << unchecked[0].message;
  fs::remove_all(root);
}

TEST(BackfillValidate, TheSeedFixtureEntryIsValid) {
  auto findings = validate_table(
      "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4",
      "2024-06-05");
  EXPECT_TRUE(findings.empty()) << findings[0].message;
}

TEST(BackfillValidate, DateRulesFollowToday) {
  // 28 days after the Initiate entry it still runs; 29 days after, it is too old (BF018).
  const std::string seed =
      "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4";
  EXPECT_TRUE(validate_table(seed, "2024-07-03").empty());
  auto late = validate_table(seed, "2024-07-04");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].rule, "BF018");
  // The day before the entry date, the entry is in the future.
  auto early = validate_table(seed, "2024-06-04");
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].rule, "BF003");
}

TEST_F(BackfillDir, StatusIsMatchedCaseInsensitivelyWithAWarning) {
  // A lowercase `initiate` is an Initiate entry for every rule (here BF015 finds the entry
  // disagreeing with the label), and BF029 warns that bigquery-etl would never run it.
  fs::path table = dir_ / "sql/p/d/t_v1";
  fs::create_directories(table);
  std::ofstream(table / "metadata.yaml") << "labels:\n  shredder_mitigation: true\n";
  std::ofstream(table / "backfill.yaml")
      << "2024-06-15:\n  start_date: 2024-06-01\n  end_date: 2024-06-10\n  reason: r\n"
         "  watchers:\n  - a@example.com\n  status: INITIATE\n";
  auto findings = validate_table(table.string());
  std::vector<std::string> rules;
  for (const auto& f : findings) rules.push_back(f.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"BF015", "BF029"}));
  EXPECT_EQ(findings[1].severity, base::Severity::kWarning);
  EXPECT_NE(findings[1].message.find("write `status: Initiate`"), std::string::npos);
}

TEST_F(BackfillDir, MalformedYamlIsOneLocatedFinding) {
  fs::path table = dir_ / "sql/p/d/t_v1";
  fs::create_directories(table);
  std::ofstream(table / "backfill.yaml") << "2024-06-15:\n  start_date: [2024-06-01\n";
  auto findings = validate_table(table.string());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "BF001");
  EXPECT_GT(findings[0].line, 1);
}

TEST(BackfillValidate, CommandExitStatusAndFormats) {
  std::string out;
  EXPECT_EQ(run_cli({"backfill", "validate", "fixtures/sql", "--today", "2024-06-05"}, &out), 0);
  EXPECT_EQ(out, "shredmit backfill validate: 0 errors, 0 warnings in 1 file\n");
  EXPECT_EQ(
      run_cli({"backfill", "validate", (kRules + "bf029_v1").c_str(), "--today", "2024-06-20"},
              &out),
      0)
      << "warnings alone do not fail";
  EXPECT_EQ(run_cli({"backfill", "validate", (kRules + "bf011_v1/backfill.yaml").c_str(), "--today",
                     "2024-06-20", "--format", "github"},
                    &out),
            1);
  EXPECT_EQ(out.rfind("::error file=fixtures/backfill/sql/moz-fx-data-shared-prod/rules/bf011_v1/"
                      "backfill.yaml,line=7,col=11,title=BF011::invalid status 'Running'",
                      0),
            0u)
      << out;
  EXPECT_EQ(run_cli({"backfill", "validate", kRules.c_str(), "--today", "2024-06-20", "--format",
                     "sarif"},
                    &out),
            1);
  auto sarif = nlohmann::json::parse(out);
  EXPECT_EQ(sarif["runs"][0]["tool"]["driver"]["rules"].size(), backfill::rules().size());
  EXPECT_EQ(sarif["runs"][0]["results"].size(), 32u);
  EXPECT_EQ(
      run_cli({"backfill", "validate", kRules.c_str(), "--format", "json", "--today", "2024-06-20"},
              &out),
      1);
  EXPECT_EQ(nlohmann::json::parse(out).size(), 32u);
  std::string err;
  EXPECT_EQ(run_cli({"backfill", "validate", "no/such/dir"}, &out, &err), 2);
  EXPECT_EQ(run_cli({"backfill", "validate",
                     "fixtures/sql/moz-fx-data-shared-prod/"
                     "firefox_desktop_derived/active_users_aggregates_v4/"
                     "query.sql"},
                    &out, &err),
            2);
  EXPECT_EQ(run_cli({"backfill", "validate", "fixtures/sql", "--today", "June"}, &out, &err), 2);
}

TEST(BackfillValidate, LintRunsTheBackfillRules) {
  std::string out;
  EXPECT_EQ(run_cli({"lint", (kRules + "bf011_v1").c_str(), "--today", "2024-06-20"}, &out), 1);
  EXPECT_NE(out.find("bf011_v1/backfill.yaml:7:11: error: [BF011]"), std::string::npos) << out;
}

// ------------------------------------------------------------------ names and plans

TEST(BackfillNames, AsBigqueryEtlFormsThem) {
  auto id = project::TableId::parse(
      "moz-fx-data-shared-prod.focus_android_derived.active_users_aggregates_v4");
  EXPECT_EQ(backfill::staging_table_name(id, "2026-06-09"),
            "moz-fx-data-shared-prod.backfills_staging_derived."
            "focus_android_derived__active_users_aggregates_v4_2026_06_09");
  EXPECT_EQ(backfill::backup_table_name(id, "2026-06-09"),
            "moz-fx-data-shared-prod.backfills_staging_derived."
            "focus_android_derived__active_users_aggregates_v4_backup_2026_06_09");
  auto other = project::TableId::parse("moz-fx-data-experiments.monitoring.query_cost_v1");
  EXPECT_EQ(backfill::staging_table_name(other, "2026-08-21", "my-project"),
            "my-project.backfills_staging_derived."
            "moz_fx_data_experiments__monitoring__query_cost_v1_2026_08_21");
}

backfill::Plan plan_of(const std::string& sql_dir, const std::string& table,
                       const fs::path& output_dir, const std::string& today = kToday) {
  backfill::PlanOptions o;
  o.today = today;
  o.output_dir = output_dir;
  return backfill::plan(project::SqlTree::from_sql_dir(sql_dir), project::TableId::parse(table), o);
}

std::vector<std::string> step_list(const backfill::Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps) {
    out.push_back(std::string(backfill::step_kind_name(s.kind)) +
                  (s.date.empty() ? "" : " " + s.date));
  }
  return out;
}

TEST_F(BackfillDir, PlanOfTheSeedFixture) {
  auto p = plan_of("fixtures/sql", kTable, dir_, "2024-06-05");
  EXPECT_EQ(p.staging_table, kStaging);
  EXPECT_EQ(p.backup_table,
            "moz-fx-data-shared-prod.backfills_staging_derived."
            "firefox_desktop_derived__active_users_aggregates_v4_backup_2024_06_05");
  EXPECT_EQ(p.production_table, kProduction);
  EXPECT_EQ(p.billing_project, "moz-fx-data-backfill-slots");
  EXPECT_TRUE(p.mitigation);
  EXPECT_EQ(p.parallelism, 16);
  ASSERT_EQ(p.partitions.size(), 3u);
  EXPECT_EQ(p.partitions[1].date, "2024-06-02");
  EXPECT_EQ(p.partitions[1].destination, kStaging + "$20240602");
  EXPECT_EQ(p.partitions[1].parameters,
            (std::vector<std::string>{"submission_date:DATE:2024-06-02"}));
  EXPECT_EQ(
      step_list(p),
      (std::vector<std::string>{
          "generate", "create_staging", "dry_run 2024-06-01", "dry_run 2024-06-02",
          "dry_run 2024-06-03", "query 2024-06-01", "compensate 2024-06-01", "check 2024-06-01",
          "query 2024-06-02", "compensate 2024-06-02", "check 2024-06-02", "query 2024-06-03",
          "compensate 2024-06-03", "check 2024-06-03", "backup", "copy_partition 2024-06-01",
          "copy_partition 2024-06-02", "copy_partition 2024-06-03", "delete_staging"}));
  const auto& copy = p.steps[16];
  EXPECT_EQ(copy.inputs, (std::vector<std::string>{kStaging + "$20240602"}));
  EXPECT_EQ(copy.outputs, (std::vector<std::string>{kProduction + "$20240602"}));
  EXPECT_EQ(copy.write_disposition, "WRITE_TRUNCATE");
  EXPECT_EQ(p.steps[14].write_disposition, "WRITE_EMPTY");
  // The first step: the new query.sql as written, reading the upstream, into the new-query
  // table; the second: the compensation query, reading that and the previous version, into
  // staging. Both replace their partition, so each can run again.
  std::string new_query =
      "moz-fx-data-shared-prod.backfills_staging_derived."
      "firefox_desktop_derived__active_users_aggregates_v4_new_query_2024_06_05";
  EXPECT_EQ(p.new_query_table, new_query);
  EXPECT_EQ(p.steps[5].inputs, (std::vector<std::string>{
                                   "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/"
                                   "active_users_aggregates_v4/query.sql",
                                   "moz-fx-data-shared-prod.telemetry.desktop_active_users"}));
  EXPECT_EQ(p.steps[5].outputs, (std::vector<std::string>{new_query + "$20240601"}));
  EXPECT_EQ(p.steps[6].inputs,
            (std::vector<std::string>{
                (dir_ / "shredder_mitigation_compensation.sql").string(), new_query,
                "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v3"}));
  EXPECT_EQ(p.steps[6].outputs, (std::vector<std::string>{kStaging + "$20240601"}));
  EXPECT_EQ(p.steps[6].write_disposition, "WRITE_TRUNCATE");
  EXPECT_EQ(p.steps[1].outputs, (std::vector<std::string>{kStaging, new_query}));
  EXPECT_EQ(p.steps.back().inputs, (std::vector<std::string>{kStaging, new_query}));
  EXPECT_NE(p.generated->check_sql.find(kStaging), std::string::npos);
  EXPECT_NE(p.cost.find("3 partitions, each 8 query jobs (new query, compensation, check, 5 "
                        "validation queries)"),
            std::string::npos)
      << p.cost;
  EXPECT_NE(p.cost.find("upstream moz-fx-data-shared-prod.telemetry.desktop_active_users once "
                        "(by the new query)"),
            std::string::npos)
      << p.cost;
  auto files = backfill::write_plan_files(p);
  // The compensation query, the checks, the #fail check, five validation queries and the
  // staging schema; the new query runs from its query.sql.
  EXPECT_EQ(files.size(), 9u);
  EXPECT_TRUE(fs::exists(p.validation_dir / "dimension_totals.sql"));
  for (const auto& f : files) EXPECT_TRUE(fs::exists(f)) << f;
  auto schema = nlohmann::json::parse(std::ifstream(p.staging_schema_json));
  EXPECT_EQ(schema[0]["name"], "submission_date");
}

// The upstream reads per partition, counted from the SQL of every statement the script runs (the
// validation queries included): once in the new-query baseline, twice with previous-query (the
// previous query's re-run), where the single mitigation statement reads it twice and three
// times (its new_version is referenced twice).
std::map<std::string, int> upstream_reads(const backfill::Plan& p) {
  std::map<std::string, int> out;
  for (const auto& r : p.reads) {
    if (r.upstream) out[r.table] = r.reads;
  }
  return out;
}

TEST_F(BackfillDir, PlanReadsTheUpstreamOncePerPartition) {
  const std::string upstream = "moz-fx-data-shared-prod.telemetry.desktop_active_users";
  auto p = plan_of("fixtures/sql", kTable, dir_, "2024-06-05");
  EXPECT_EQ(upstream_reads(p), (std::map<std::string, int>{{upstream, 1}}));
  for (const auto& st : p.statements) {
    ASSERT_TRUE(st.reads_known) << st.name;
    bool reads_upstream = std::any_of(st.reads.begin(), st.reads.end(),
                                      [&](const auto& r) { return r.first == upstream; });
    EXPECT_EQ(reads_upstream, st.name == "new query") << st.name;
  }
  auto single = [&](const std::string& sql) {
    auto query = syntax::parse_statements(sql);
    std::map<std::string, int> out;
    for (const auto& x : query.statements) {
      if (x->kind != syntax::StatementKind::kQuery) continue;
      resolve::Resolution r(*x->as<syntax::QueryStatement>().query);
      for (const auto& [t, n] : r.table_scans()) out[t] += n;
    }
    return out;
  };
  EXPECT_EQ(
      single(p.generated->query_sql)["moz-fx-data-shared-prod.telemetry.desktop_active_users"], 2)
      << "the single statement reads the upstream twice";

  backfill::PlanOptions previous;
  previous.today = "2024-06-05";
  previous.output_dir = dir_;
  previous.mitigation.baseline = mitigation::Baseline::kPreviousQuery;
  auto twice = backfill::plan(project::SqlTree::from_sql_dir("fixtures/sql"),
                              project::TableId::parse(kTable), previous);
  EXPECT_EQ(upstream_reads(twice), (std::map<std::string, int>{{upstream, 2}}));
  EXPECT_NE(twice.cost.find(upstream + " twice (by the new query, previous query)"),
            std::string::npos)
      << twice.cost;
  EXPECT_EQ(twice.previous_query_table,
            "moz-fx-data-shared-prod.backfills_staging_derived."
            "firefox_desktop_derived__active_users_aggregates_v4_previous_query_2024_06_05");
  auto steps = step_list(twice);
  EXPECT_EQ(std::vector<std::string>(steps.begin() + 5, steps.begin() + 9),
            (std::vector<std::string>{"query 2024-06-01", "query 2024-06-01",
                                      "compensate 2024-06-01", "check 2024-06-01"}));
  EXPECT_EQ(single(twice.generated->query_sql)[upstream], 3);
}

TEST_F(BackfillDir, PlanOfAMonthPartitionedTable) {
  auto p = plan_of("fixtures/backfill/sql", "moz-fx-data-shared-prod.plans.monthly_v1", dir_);
  EXPECT_EQ(p.partition_type, "month");
  EXPECT_EQ(p.offset, 0) << "ignore_date_partition_offset";
  // First days of February to May, March excluded (2024-03-15 truncates to its month).
  ASSERT_EQ(p.partitions.size(), 3u);
  std::vector<std::string> ids, parameters;
  for (const auto& part : p.partitions) {
    ids.push_back(part.id);
    parameters.push_back(part.parameters.at(0));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"202402", "202404", "202405"}));
  EXPECT_EQ(parameters, (std::vector<std::string>{"submission_date:DATE:2024-02-01",
                                                  "submission_date:DATE:2024-04-01",
                                                  "submission_date:DATE:2024-05-01"}));
  EXPECT_FALSE(p.mitigation);
  EXPECT_EQ(
      std::count_if(p.steps.begin(), p.steps.end(),
                    [](const backfill::Step& s) { return s.kind == backfill::StepKind::kCheck; }),
      0);
}

TEST_F(BackfillDir, PlanWithAnOffsetExcludedDatesAndParameters) {
  auto p = plan_of("fixtures/backfill/sql", "moz-fx-data-shared-prod.plans.offset_v1", dir_);
  EXPECT_EQ(p.billing_project, "moz-fx-data-backfill-2");
  ASSERT_EQ(p.partitions.size(), 3u);
  const auto& first = p.partitions[0];
  EXPECT_EQ(first.date, "2024-06-01");
  EXPECT_EQ(first.parameter_date, "2024-05-31");
  EXPECT_EQ(first.id, "20240531");
  // {{ds}} is the backfill date; the date parameter and the partition carry the offset.
  EXPECT_EQ(first.parameters,
            (std::vector<std::string>{"app:STRING:fenix", "ds_string:STRING:2024-06-01",
                                      "submission_date:DATE:2024-05-31"}));
  EXPECT_EQ(p.partitions[1].date, "2024-06-03") << "2024-06-02 is excluded";
  EXPECT_EQ(p.partitions[2].id, "20240603");
  EXPECT_EQ(p.steps.back().kind, backfill::StepKind::kDeleteStaging);
}

TEST_F(BackfillDir, PlanOfADependsOnPastTable) {
  auto p =
      plan_of("fixtures/backfill/sql", "moz-fx-data-shared-prod.plans.depends_on_past_v1", dir_);
  EXPECT_EQ(p.parallelism, 1);
  EXPECT_EQ(p.seed_partition, "2024-06-11");
  auto steps = step_list(p);
  EXPECT_EQ(std::vector<std::string>(steps.begin(), steps.begin() + 4),
            (std::vector<std::string>{"create_staging", "rewrite_references",
                                      "seed_previous_partition 2024-06-11", "dry_run 2024-06-12"}));
  EXPECT_EQ(
      p.steps[2].inputs,
      (std::vector<std::string>{"moz-fx-data-shared-prod.plans.depends_on_past_v1$20240611"}));
  EXPECT_EQ(p.query_file, dir_ / "replaced_ref.sql");
  EXPECT_EQ(p.query_sql.find("`moz-fx-data-shared-prod.plans.depends_on_past_v1`"),
            std::string::npos);
  EXPECT_NE(p.query_sql.find("`" + p.staging_table + "`"), std::string::npos);
}

TEST_F(BackfillDir, PlanRefusesWhatDoesNotValidate) {
  std::string out, err;
  // Without --today matching the fixture, the Initiate entry is too old to run (BF018).
  EXPECT_EQ(run_cli({"backfill", "plan", kTable, "--sql-dir", "fixtures/sql", "--today",
                     "2024-09-01", "--output-dir", dir_.c_str()},
                    &out, &err),
            1);
  EXPECT_NE(err.find("backfill.yaml:1:1: error: [BF018]"), std::string::npos) << err;
  EXPECT_NE(err.find("1 error in the file"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "shredder_mitigation_query.sql"));
  EXPECT_EQ(run_cli({"backfill", "plan", kTable, "--sql-dir", "fixtures/sql", "--today",
                     "2024-06-05", "--entry", "2024-06-04", "--output-dir", dir_.c_str()},
                    &out, &err),
            1);
  EXPECT_NE(err.find("no entry is dated 2024-06-04"), std::string::npos) << err;
}

TEST_F(BackfillDir, JsonPlanIsOneDocumentWithSteps) {
  std::string out;
  ASSERT_EQ(run_cli({"backfill", "plan", kTable, "--sql-dir", "fixtures/sql", "--today",
                     "2024-06-05", "--output-dir", dir_.c_str(), "--format", "json"},
                    &out),
            0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["staging_table"], kStaging);
  EXPECT_EQ(j["steps"].size(), 19u);
  EXPECT_EQ(j["steps"][7]["kind"], "check");
  EXPECT_EQ(j["steps"][7]["date"], "2024-06-01");
  EXPECT_EQ(j["cost"]["jobs_per_partition"], 8);
  EXPECT_EQ(j["cost"]["query_runs"], 24);
  EXPECT_EQ(j["cost"]["upstream_reads_per_partition"],
            (nlohmann::json{{"moz-fx-data-shared-prod.telemetry.desktop_active_users", 1}}));
  EXPECT_EQ(j["cost"]["price_per_tib"], 6.25);
  EXPECT_EQ(j["statements"][1]["name"], "compensation");
  EXPECT_EQ(j["statements"][1]["destination"], kStaging);
  EXPECT_EQ(j["partitions"][2]["destination"], kStaging + "$20240603");
}

// ------------------------------------------------------------------ the bash script

// Writes the fixture's plan as a bash script and a stand-in `bq` that logs its arguments; `bq
// show` succeeds only for tables listed in dir/existing, and a dry run prints the job JSON of
// `bq query --dry_run --format=json` with $BQ_BYTES as its totalBytesProcessed.
class Script : public BackfillDir {
 protected:
  void SetUp() override {
    BackfillDir::SetUp();
    std::string out;
    ASSERT_EQ(
        run_cli({"backfill", "plan", kTable, "--sql-dir", "fixtures/sql", "--today", "2024-06-05",
                 "--output-dir", dir_.c_str(), "--format", "sh", "--parallelism", "2"},
                &out),
        0);
    std::ofstream(dir_ / "backfill.sh") << out;
    fs::create_directories(dir_ / "bin");
    std::ofstream(dir_ / "bin/bq") << "#!/usr/bin/env bash\n"
                                      "echo \"bq $*\" >> \"$BQ_LOG\"\n"
                                      "if [ \"$1\" = show ]; then\n"
                                      "  grep -qxF \"${@: -1}\" \"$BQ_EXISTING\" 2>/dev/null\n"
                                      "  exit $?\n"
                                      "fi\n"
                                      "if [ \"$1\" = query ]; then\n"
                                      "  cat >/dev/null\n"
                                      "  case \" $* \" in *\" --dry_run \"*)\n"
                                      "    printf '{\\n  \"statistics\": {\\n    \"query\": "
                                      "{\"totalBytesProcessed\": \"%s\"},\\n    "
                                      "\"totalBytesProcessed\": \"%s\"\\n  }\\n}\\n' "
                                      "\"${BQ_BYTES:-0}\" \"${BQ_BYTES:-0}\" ;;\n"
                                      "  esac\n"
                                      "fi\n";
    fs::permissions(dir_ / "bin/bq", fs::perms::owner_all);
  }

  // Runs the script with `args` (stdin not a terminal, each dry run `bytes` bytes); returns
  // its exit status and the bq calls; its stderr is in dir/stderr.
  int run_script(const std::string& args, std::vector<std::string>* calls,
                 const std::string& bytes = "0") {
    std::string command = "cd " + dir_.string() + " && PATH=" + (dir_ / "bin").string() +
                          ":$PATH BQ_LOG=" + (dir_ / "log").string() +
                          " BQ_EXISTING=" + (dir_ / "existing").string() + " BQ_BYTES=" + bytes +
                          " bash backfill.sh " + args + " </dev/null 2>" +
                          (dir_ / "stderr").string();
    fs::remove(dir_ / "log");
    int status = std::system(command.c_str());
    std::ifstream log(dir_ / "log");
    calls->clear();
    for (std::string line; std::getline(log, line);) calls->push_back(line);
    return WEXITSTATUS(status);
  }

  static size_t count_prefix(const std::vector<std::string>& calls, const std::string& prefix) {
    return static_cast<size_t>(std::count_if(
        calls.begin(), calls.end(), [&](const auto& c) { return c.rfind(prefix, 0) == 0; }));
  }
};

TEST_F(Script, PassesBashSyntaxCheckAndShellcheck) {
  std::string script = (dir_ / "backfill.sh").string();
  EXPECT_EQ(std::system(("bash -n " + script).c_str()), 0);
  EXPECT_EQ(std::system(("shellcheck " + script).c_str()), 0);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(Script, RunsDryRunsBeforeQueriesThenCompletes) {
  std::vector<std::string> calls;
  ASSERT_EQ(run_script("--yes", &calls), 0) << read_file(dir_ / "stderr");
  // show staging, mk staging and the new-query table, 3 x 8 dry runs (the new query, the
  // compensation, the check, five validation queries), 3 x 8 queries, show backup, clone, 3
  // copies, rm staging and the new-query table.
  EXPECT_EQ(calls.size(), 58u);
  EXPECT_EQ(count_prefix(calls,
                         "bq query --use_legacy_sql=false --parameter=submission_date:DATE:2024-06-"
                         "02 --project_id=moz-fx-data-shared-prod --format=json"),
            5u);
  // The results are saved per date for `shredmit report`.
  EXPECT_TRUE(fs::exists(dir_ / "validation_results/2024-06-02/dimension_totals.json"));
  EXPECT_EQ(count_prefix(calls, "bq mk --table"), 1u);
  EXPECT_EQ(count_prefix(calls, "bq mk --force --table"), 1u);
  size_t last_dry = 0, first_real = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    bool dry = calls[i].find("--dry_run") != std::string::npos;
    if (dry) last_dry = i;
    if (!dry && calls[i].rfind("bq query", 0) == 0) first_real = std::min(first_real, i);
  }
  EXPECT_LT(last_dry, first_real);
  // Per partition: the new query into the new-query table, then the compensation into staging.
  const std::string staging =
      "moz-fx-data-shared-prod:backfills_staging_derived."
      "firefox_desktop_derived__active_users_aggregates_v4_2024_06_05";
  const std::string new_query =
      "moz-fx-data-shared-prod:backfills_staging_derived."
      "firefox_desktop_derived__active_users_aggregates_v4_new_query_"
      "2024_06_05";
  auto writes = [&](const std::string& destination) {
    return std::count_if(calls.begin(), calls.end(), [&](const std::string& c) {
      return c.find("--dry_run") == std::string::npos && c.find("--replace") != std::string::npos &&
             c.find("--destination_table=" + destination + "$20240602") != std::string::npos;
    });
  };
  EXPECT_EQ(writes(new_query), 1);
  EXPECT_EQ(writes(staging), 1);
  EXPECT_EQ(count_prefix(calls, "bq cp -f " + staging +
                                    "$20240602 moz-fx-data-shared-prod:firefox_desktop_derived."
                                    "active_users_aggregates_v4$20240602"),
            1u);
  EXPECT_EQ(calls[calls.size() - 2], "bq rm -f -t " + staging);
  EXPECT_EQ(calls.back(), "bq rm -f -t " + new_query);
}

TEST_F(Script, PrintsTheDryRunsCostAndStopsAboveTheBudgetOrUnconfirmed) {
  std::vector<std::string> calls;
  // 24 dry runs of 1.5 GB each: 36 GB, 12 GB per partition.
  ASSERT_EQ(run_script("--max-bytes 30GiB --yes", &calls, "1500000000"), 3);
  std::string err = read_file(dir_ / "stderr");
  EXPECT_NE(err.find("  2024-06-02: 11.18 GiB in 8 queries, $0.07\n"), std::string::npos) << err;
  EXPECT_NE(err.find("  total: 33.53 GiB (36000000000 bytes) over 3 partitions, $0.20\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("a reservation bills slots, not bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("above --max-bytes 32212254720: no query was run"), std::string::npos) << err;
  for (const auto& c : calls) {
    if (c.rfind("bq query", 0) == 0) {
      EXPECT_NE(c.find("--dry_run"), std::string::npos) << c;
    }
  }
  // The tables it created are removed, so that the next run starts afresh.
  EXPECT_EQ(count_prefix(calls, "bq rm -f -t"), 2u);
  // Within the budget the price follows --price-per-tib, and without --yes, on no terminal, it
  // stops before the first query.
  ASSERT_EQ(run_script("--max-bytes 40GiB --price-per-tib 5", &calls, "1500000000"), 3);
  err = read_file(dir_ / "stderr");
  EXPECT_NE(err.find("over 3 partitions, $0.16\n"), std::string::npos) << err;
  EXPECT_NE(err.find("not confirmed: no query was run; pass --yes"), std::string::npos) << err;
  for (const auto& c : calls) {
    if (c.rfind("bq query", 0) == 0) {
      EXPECT_NE(c.find("--dry_run"), std::string::npos) << c;
    }
  }
  // Small queries are billed BigQuery's 10 MiB minimum each: 24 x 10 MiB at $6.25 per TiB.
  ASSERT_EQ(run_script("--max-bytes 1KiB --yes", &calls, "0"), 0) << read_file(dir_ / "stderr");
  EXPECT_NE(read_file(dir_ / "stderr").find("total: 0 B (0 bytes) over 3 partitions, $0.00"),
            std::string::npos);
  EXPECT_EQ(run_script("--max-bytes lots", &calls), 2);
  EXPECT_EQ(run_script("--price-per-tib free", &calls), 2);
}

TEST_F(Script, ResumesFromADateAndRefusesAnExistingBackup) {
  std::vector<std::string> calls;
  std::ofstream(dir_ / "existing")
      << "moz-fx-data-shared-prod:backfills_staging_derived."
         "firefox_desktop_derived__active_users_aggregates_v4_2024_06_05\n";
  EXPECT_EQ(run_script("--initiate-only --yes", &calls), 1)
      << "staging exists: resume or remove it";
  ASSERT_EQ(run_script("--initiate-only --from-date 2024-06-02 --yes", &calls), 0);
  EXPECT_EQ(count_prefix(calls, "bq query"), 32u)
      << "two dates, each query, compensation, check and five validation queries, twice";
  EXPECT_EQ(count_prefix(calls, "bq mk"), 0u);
  for (const auto& c : calls) EXPECT_EQ(c.find("2024-06-01"), std::string::npos) << c;
  std::ofstream(dir_ / "existing", std::ios::app)
      << "moz-fx-data-shared-prod:backfills_staging_derived."
         "firefox_desktop_derived__active_users_aggregates_v4_backup_2024_06_05\n";
  EXPECT_EQ(run_script("--complete-only", &calls), 1);
  EXPECT_EQ(count_prefix(calls, "bq cp"), 0u);
}

// ------------------------------------------------------------------ run

const std::string kData = "fixtures/backfill/active_users_aggregates";

class Run : public BackfillDir {
 protected:
  void SetUp() override {
    BackfillDir::SetUp();
    data_ = dir_ / "data";
    fs::copy(kData, data_);
    // Production already holds an older partition, which the backfill must leave alone.
    fs::copy(
        "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/"
        "active_users_aggregates_v4/schema.yaml",
        data_ / (kProduction + ".schema.yaml"));
    std::ofstream(data_ / (kProduction + ".ndjson"))
        << R"({"submission_date":"2024-05-31","app_name":"Firefox","channel":"release","dau":7})"
        << "\n";
  }

  int run(std::string* out, std::string* err, const char* baseline = "new-query") {
    result_ = dir_ / "result";
    return run_cli({"backfill", "run", kTable, "--sql-dir", "fixtures/sql", "--today", "2024-06-05",
                    "--output-dir", dir_.c_str(), "--data", data_.c_str(), "--output",
                    result_.c_str(), "--baseline", baseline},
                   out, err);
  }

  // The rows of a table the run wrote, one JSON object each; none when it wrote no such table.
  std::vector<nlohmann::json> rows(const std::string& table) {
    std::vector<nlohmann::json> out;
    std::ifstream in(result_ / (table + ".ndjson"));
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  // SUM(dau) and SUM(uri_count) per submission_date from 2024-06-01 of a table's rows.
  static std::map<std::string, std::pair<int64_t, int64_t>> totals(
      const std::vector<nlohmann::json>& rows) {
    std::map<std::string, std::pair<int64_t, int64_t>> out;
    for (const auto& row : rows) {
      std::string date = row["submission_date"];
      if (date < "2024-06-01") continue;
      out[date].first += row["dau"].get<int64_t>();
      out[date].second += row["uri_count"].is_null() ? 0 : row["uri_count"].get<int64_t>();
    }
    return out;
  }

  fs::path data_, result_;
};

TEST_F(Run, TheFixtureBackfillPassesAndCompletes) {
  std::string out, err;
  ASSERT_EQ(run(&out, &err), 0) << out << err;
  EXPECT_NE(out.find("backfill complete: 3 partitions checked"), std::string::npos) << out;
  EXPECT_NE(err.find("2024-06-03: check done"), std::string::npos) << err;
  // Totals per date equal the previous version's: deletion was compensated.
  std::vector<nlohmann::json> previous;
  std::ifstream in(
      data_ / "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v3.ndjson");
  for (std::string line; std::getline(in, line);) previous.push_back(nlohmann::json::parse(line));
  auto production = rows(kProduction);
  EXPECT_EQ(totals(production).size(), 3u);
  EXPECT_EQ(totals(production), totals(previous));
  // The older partition is untouched.
  EXPECT_EQ(std::count_if(production.begin(), production.end(),
                          [](const nlohmann::json& r) {
                            return r["submission_date"] == "2024-05-31" && r["dau"] == 7;
                          }),
            1);
  // The backup holds production as it was; staging is gone; each table has its schema beside it.
  std::string backup =
      "moz-fx-data-shared-prod.backfills_staging_derived."
      "firefox_desktop_derived__active_users_aggregates_v4_backup_2024_06_05";
  EXPECT_EQ(rows(backup).size(), 1u);
  EXPECT_TRUE(fs::exists(result_ / (backup + ".schema.yaml")));
  EXPECT_FALSE(fs::exists(result_ / (kStaging + ".ndjson")));
  EXPECT_NE(out.find("tables written to " + result_.string()), std::string::npos) << out;
}

// The two steps with --baseline previous-query: the first writes both queries' rows, the
// compensation reads them; the checks pass on the fixture, where nothing but deletion changed
// between the upstream reads, and production gets the rows the new-query baseline gives.
TEST_F(Run, ThePreviousQueryBaselineRunsBothQueriesOnceAndAgrees) {
  std::string out, err;
  ASSERT_EQ(run(&out, &err), 0) << out << err;
  auto by_new_query = rows(kProduction);
  ASSERT_EQ(run(&out, &err, "previous-query"), 0) << out << err;
  EXPECT_NE(err.find("2024-06-02: query done"), std::string::npos) << err;
  auto by_previous_query = rows(kProduction);
  auto key = [](std::vector<nlohmann::json> r) {
    std::vector<std::string> out;
    for (const auto& x : r) out.push_back(x.dump());
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(key(by_previous_query), key(by_new_query));
  for (const auto& f : fs::directory_iterator(result_)) {
    EXPECT_EQ(f.path().filename().string().find("_query_"), std::string::npos)
        << "the first step's tables are deleted with staging: " << f.path();
  }
}

TEST_F(Run, EachPartitionsReportMatchesAnIndependentComputation) {
  std::string out, err, report = (dir_ / "report").string();
  result_ = dir_ / "result";
  ASSERT_EQ(
      run_cli({"backfill", "run", kTable, "--sql-dir", "fixtures/sql", "--today", "2024-06-05",
               "--output-dir", dir_.c_str(), "--data", data_.c_str(), "--report", report.c_str()},
              &out, &err),
      0)
      << out << err;
  // Per date: what the previous version counted minus what the upstream still has is what the
  // mitigation compensated, and every total per dimension value matches.
  std::map<std::string, int64_t> previous, upstream;
  std::ifstream p(
      data_ / "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v3.ndjson");
  for (std::string line; std::getline(p, line);) {
    auto row = nlohmann::json::parse(line);
    previous[row["submission_date"]] += row["daily_users"].get<int64_t>();
  }
  std::ifstream u(data_ / "moz-fx-data-shared-prod.telemetry.desktop_active_users.ndjson");
  for (std::string line; std::getline(u, line);) {
    auto row = nlohmann::json::parse(line);
    if (row["is_daily_user"] == true) ++upstream[row["submission_date"]];
  }
  for (const char* date : {"2024-06-01", "2024-06-02", "2024-06-03"}) {
    auto j = nlohmann::json::parse(std::ifstream(dir_ / "report" / date / "report.json"));
    EXPECT_EQ(j["matches"], true) << date << ": " << j["summary"];
    for (const auto& c : j["compensation"]) {
      if (c["metric"] != "daily_users") continue;
      EXPECT_EQ(c["previous_total"], previous[date]) << date;
      EXPECT_EQ(c["compensated"], previous[date] - upstream[date]) << date;
    }
    EXPECT_TRUE(fs::exists(dir_ / "report" / date / "report.html"));
    EXPECT_NE(out.find(std::string("/") + date + "/report.md: matches: "), std::string::npos)
        << out;
  }
}

TEST_F(Run, LateRowsStopTheRunAtTheirDateWithProductionUntouched) {
  // A client seen only after the previous version was computed: counts grow on 2024-06-02.
  std::ofstream(data_ / "moz-fx-data-shared-prod.telemetry.desktop_active_users.ndjson",
                std::ios::app)
      << R"({"submission_date": "2024-06-02", "client_id": "late", "app_name": "Firefox", )"
         R"("app_version": "126.0", "attribution": null, "city": "??", "country": "DE", )"
         R"("distribution_id": null, "first_seen_date": "2022-05-14", "first_seen_date_new": )"
         R"("2022-05-10", "is_default_browser": false, "locale": "en-US", "normalized_channel": )"
         R"("release", "os": "Windows", "os_version": "10.0", "windows_build_number": null, )"
         R"("os_version_major": 10, "os_version_minor": 0, "segment": "regular", )"
         R"("is_daily_user": true, "is_weekly_user": true, "is_monthly_user": true, "is_dau": )"
         R"(true, "is_wau": true, "is_mau": true, "uri_count": 5, "active_hours_sum": 0.5})"
      << "\n";
  std::string out, err;
  EXPECT_EQ(run(&out, &err), 1) << out << err;
  EXPECT_NE(out.find("the check failed for partition 2024-06-02"), std::string::npos) << out;
  EXPECT_NE(out.find("increase"), std::string::npos) << out;
  EXPECT_EQ(err.find("2024-06-03: query done"), std::string::npos) << "the run stopped";
  // Production is not written; staging holds the partitions run so far.
  EXPECT_FALSE(fs::exists(result_ / (kProduction + ".ndjson")));
  std::set<std::string> dates;
  for (const auto& row : rows(kStaging)) dates.insert(row["submission_date"]);
  EXPECT_EQ(dates, (std::set<std::string>{"2024-06-01", "2024-06-02"}));
}

}  // namespace
}  // namespace shredmit
