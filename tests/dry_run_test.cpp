// Every statement generate writes is accepted by GoogleSQL's own analyzer when analyzed alone, as
// bigquery-etl runs it: for the seed fixture and every query shape, with both baselines, with the
// queries analyzed as written (their upstream schemas given) and as tables of their declared
// schemas. And the dry run can fail: a planted defect is refused with GoogleSQL's message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "mitigation/mitigation.h"
#include "run_cli.h"

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;

project::SqlTree tree_of(const std::string& root) {
  return project::SqlTree{fs::path(root) / "sql", fs::path(root)};
}

engine::Table upstream(const std::string& name, const fs::path& schema_file) {
  auto schema = project::load_schema(schema_file, tree_of("fixtures"));
  return engine::Table{name, engine::columns_from_schema(schema)};
}

// The upstream tables of the shapes, from their schema file.
std::vector<engine::Table> upstream_tables() {
  fs::path events = "tests/data/upstream/moz-fx-data-shared-prod.telemetry.events.schema.yaml";
  return {upstream("moz-fx-data-shared-prod.telemetry.events", events),
          upstream("moz-fx-data-shared-prod.telemetry.mobile_events", events)};
}

struct Case {
  const char* root;
  const char* table;
  bool upstream_in_tree = false;  // the tree has the schema of every table the query reads
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string t = info.param.table;
  return t.substr(t.rfind('.') + 1);
}

class DryRunCase : public ::testing::TestWithParam<Case> {};

TEST_P(DryRunCase, EveryGeneratedStatementIsAcceptedAlone) {
  const Case& c = GetParam();
  for (auto [baseline, read_query_tables] :
       {std::pair{Baseline::kNewQuery, false}, std::pair{Baseline::kPreviousQuery, false},
        std::pair{Baseline::kNewQuery, true}, std::pair{Baseline::kPreviousQuery, true}}) {
    Options options;
    options.baseline = baseline;
    // The managed backfill's form: the checks and validation read the first step's tables.
    options.read_query_tables = read_query_tables;
    options.staging_table =
        "moz-fx-data-shared-prod.backfills_staging_derived.dataset__table_2024_06_05";
    Mitigation m = generate(tree_of(c.root), project::TableId::parse(c.table), options);
    for (bool as_written : {true, false}) {
      DryRun d = dry_run(m, tree_of(c.root),
                         as_written ? upstream_tables() : std::vector<engine::Table>{});
      EXPECT_EQ(d.queries_as_tables, !as_written && !c.upstream_in_tree) << baseline_name(baseline);
      EXPECT_FALSE(d.query_error.has_value()) << d.query_error->format();
      ASSERT_EQ(d.statements.size(), 4u + m.validation.size())
          << "the mitigation query, the compensation query, the check, the report and the "
             "validation queries";
      EXPECT_GE(m.validation.size(), 3u) << "dimension totals, row differences, compensation";
      for (const auto& s : d.statements) {
        EXPECT_TRUE(s.verdict.accepted())
            << baseline_name(baseline) << (as_written ? ", as written" : ", as tables") << ": "
            << s.file << " (" << s.what << ") " << s.verdict.at.line << ":" << s.verdict.at.column
            << ": " << s.verdict.message;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, DryRunCase,
    ::testing::Values(
        // The seed fixture's tree holds its upstream's schema (telemetry/desktop_active_users).
        Case{"fixtures",
             "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4", true},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.jinja_template_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.temp_function_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.projection_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.star_except_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.union_all_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.placeholder_v2"},
        Case{"fixtures/shapes", "moz-fx-data-shared-prod.shapes.timestamp_partition_v2"}),
    case_name);

// The defect this dry run exists for: a TIMESTAMP partition column compared with the DATE
// parameter, as shredmit wrote it before its partition filters were typed.
TEST(DryRun, RefusesATimestampPartitionComparedWithADate) {
  Mitigation m =
      generate(tree_of("fixtures/shapes"), project::TableId::parse("moz-fx-data-shared-prod.shapes."
                                                                   "timestamp_partition_v2"));
  std::string typed =
      "submission_date >= TIMESTAMP(@submission_date)\n"
      "    AND submission_date < TIMESTAMP(DATE_ADD(@submission_date, INTERVAL 1 DAY))";
  size_t at = m.checks_sql.find(typed);
  ASSERT_NE(at, std::string::npos) << m.checks_sql;
  m.checks_sql.replace(at, typed.size(), "submission_date = @submission_date");
  DryRun d = dry_run(m, tree_of("fixtures/shapes"), upstream_tables());
  ASSERT_GE(d.statements.size(), 4u);
  EXPECT_TRUE(d.statements[0].verdict.accepted());
  EXPECT_EQ(d.statements[1].file, "shredder_mitigation_compensation.sql");
  EXPECT_TRUE(d.statements[1].verdict.accepted()) << d.statements[1].verdict.message;
  const engine::Verdict& check = d.statements[2].verdict;
  ASSERT_FALSE(check.accepted());
  EXPECT_NE(check.message.find("No matching signature for operator = for argument types: "
                               "TIMESTAMP, DATE"),
            std::string::npos)
      << check.message;
  // Located in the checks file's text, at the planted comparison.
  std::string before = m.checks_sql.substr(0, at);
  EXPECT_EQ(check.at.line, std::count(before.begin(), before.end(), '\n') + 1);
}

// generate's dry run (verify) reads the upstream schemas from the tree when it has them, and
// reports a statement GoogleSQL refuses as a shredmit bug.
TEST(DryRun, VerifyAnalyzesTheQueriesWhereTheTreeHasTheirUpstreamAndBlamesShredmit) {
  fs::path root = fs::temp_directory_path() / "shredmit-dry-run-verify";
  fs::remove_all(root);
  fs::copy("fixtures/shapes", root, fs::copy_options::recursive);
  for (const char* t : {"events", "mobile_events"}) {
    fs::path dir = root / "sql/moz-fx-data-shared-prod/telemetry" / t;
    fs::create_directories(dir);
    fs::copy_file("tests/data/upstream/moz-fx-data-shared-prod.telemetry.events.schema.yaml",
                  dir / "schema.yaml");
  }
  auto tree = tree_of(root.string());
  auto id = project::TableId::parse("moz-fx-data-shared-prod.shapes.timestamp_partition_v2");
  Mitigation m = generate(tree, id);
  auto notes = verify(m, tree);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "note: GoogleSQL's analyzer accepted the " +
                          std::to_string(4 + m.validation.size()) + " generated statements");
  std::string typed =
      "submission_date >= TIMESTAMP(@submission_date)\n"
      "    AND submission_date < TIMESTAMP(DATE_ADD(@submission_date, INTERVAL 1 DAY))";
  size_t at = m.checks_sql.find(typed);
  ASSERT_NE(at, std::string::npos);
  m.checks_sql.replace(at, typed.size(), "submission_date = @submission_date");
  try {
    verify(m, tree);
    FAIL() << "expected the planted comparison to be refused";
  } catch (const base::Error& e) {
    EXPECT_EQ(e.kind, base::ErrorKind::kInternal);
    EXPECT_NE(std::string(e.what()).find("GoogleSQL's analyzer refuses the generated check "
                                         "(shredder_mitigation_checks.sql line "),
              std::string::npos)
        << e.format();
    EXPECT_NE(std::string(e.what()).find("TIMESTAMP, DATE"), std::string::npos) << e.format();
  }
  fs::remove_all(root);
}

// A statement that calls a temporary function it does not define cannot run alone.
TEST(DryRun, AReportThatCallsTheQuerysTemporaryFunctionIsRefused) {
  Mitigation m =
      generate(tree_of("fixtures/shapes"),
               project::TableId::parse("moz-fx-data-shared-prod.shapes.temp_function_v2"));
  // The report embeds the new query with its function inlined; plant a call of the function
  // the query file defines instead.
  size_t report = m.checks_sql.find("Report, not a check");
  ASSERT_NE(report, std::string::npos);
  std::string item = "    country,\n    COUNT(*) AS event_count";
  size_t at = m.checks_sql.find(item, report);
  ASSERT_NE(at, std::string::npos) << m.checks_sql.substr(report);
  m.checks_sql.insert(at, "    normalize_channel(country) AS normalized_country,\n");
  DryRun d = dry_run(m, tree_of("fixtures/shapes"), upstream_tables());
  ASSERT_GE(d.statements.size(), 4u);
  EXPECT_TRUE(d.statements[2].verdict.accepted()) << d.statements[2].verdict.message;
  ASSERT_FALSE(d.statements[3].verdict.accepted());
  EXPECT_NE(d.statements[3].verdict.message.find("Function not found: normalize_channel"),
            std::string::npos)
      << d.statements[3].verdict.message;
}

// A user's query that BigQuery would refuse is an input error located in its query.sql.
TEST(DryRun, AUsersQueryGoogleSqlRefusesIsTheirErrorNotShredmits) {
  fs::path root = fs::temp_directory_path() / "shredmit-dry-run-user-error";
  fs::remove_all(root);
  fs::copy("fixtures/shapes", root, fs::copy_options::recursive);
  fs::path query = root / "sql/moz-fx-data-shared-prod/shapes/placeholder_v2/query.sql";
  std::string text = base::read_text_file(query);
  std::string filter = "submission_date = @submission_date";
  size_t at = text.find(filter);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, filter.size(), "submission_date = 20240601");  // DATE = INT64
  base::write_file_atomically(query, text);
  Mitigation m = generate(tree_of(root.string()),
                          project::TableId::parse("moz-fx-data-shared-prod.shapes.placeholder_v2"));
  DryRun d = dry_run(m, tree_of(root.string()), upstream_tables());
  ASSERT_TRUE(d.query_error.has_value());
  EXPECT_EQ(d.query_error->kind, base::ErrorKind::kInput);
  EXPECT_EQ(d.query_error->file, query.string());
  EXPECT_NE(std::string(d.query_error->what()).find("No matching signature for operator ="),
            std::string::npos)
      << d.query_error->format();
  // shredmit's own statements are still analyzed, with the query as a table.
  EXPECT_TRUE(d.queries_as_tables);
  for (const auto& s : d.statements) EXPECT_TRUE(s.verdict.accepted()) << s.verdict.message;
  fs::remove_all(root);
}

}  // namespace
}  // namespace shredmit::mitigation

namespace shredmit::mitigation {
namespace {

// A table pair in a temporary tree whose metadata partitions as given.
class PartitionedTree {
 public:
  PartitionedTree(const std::string& type, const std::string& unit, const std::string& label) {
    root_ = fs::temp_directory_path() /
            ("shredmit-partitioned-" + type + "-" + unit + "-" + std::to_string(getpid()));
    fs::remove_all(root_);
    std::string expr = type == "DATE"        ? "submission_date"
                       : type == "TIMESTAMP" ? "TIMESTAMP(submission_date)"
                                             : "DATETIME(submission_date)";
    for (int v : {1, 2}) {
      fs::path dir = root_ / "sql/p/d" / ("t_v" + std::to_string(v));
      fs::create_directories(dir);
      base::write_file_atomically(
          dir / "query.sql",
          "SELECT " + expr + " AS activity_date, channel, COUNT(*) AS n FROM `p.d.events` " +
              "WHERE submission_date = @submission_date GROUP BY activity_date, channel");
      base::write_file_atomically(
          dir / "schema.yaml",
          "fields:\n- name: activity_date\n  type: " + type +
              "\n  description: d\n- name: channel\n  type: STRING\n  description: d\n"
              "- name: n\n  type: INTEGER\n  description: d\n");
      base::write_file_atomically(dir / "metadata.yaml",
                                  "friendly_name: T\nlabels:\n  shredder_mitigation: " + label +
                                      "\nbigquery:\n  time_partitioning:\n    type: " + unit +
                                      "\n    field: activity_date\n");
    }
  }
  ~PartitionedTree() { fs::remove_all(root_); }
  project::SqlTree tree() const { return project::SqlTree{root_ / "sql", root_}; }

 private:
  fs::path root_;
};

// Partition columns of every type BigQuery partitions on, by day and by month: the filters
// select the partition through the DATE parameter, type-correctly, and every statement is
// accepted by GoogleSQL's analyzer.
TEST(DryRun, PartitionFiltersOfEveryTypeAndUnitAreAccepted) {
  struct Want {
    const char* type;
    const char* unit;
    const char* filter;
  };
  for (const Want& w :
       {Want{"DATE", "day", "activity_date = @submission_date"},
        Want{"DATE", "month",
             "activity_date >= DATE_TRUNC(@submission_date, MONTH)\n"
             "    AND activity_date < DATE_ADD(DATE_TRUNC(@submission_date, MONTH), INTERVAL 1 "
             "MONTH)"},
        Want{"TIMESTAMP", "day",
             "activity_date >= TIMESTAMP(@submission_date)\n"
             "    AND activity_date < TIMESTAMP(DATE_ADD(@submission_date, INTERVAL 1 DAY))"},
        Want{"TIMESTAMP", "month",
             "activity_date >= TIMESTAMP(DATE_TRUNC(@submission_date, MONTH))"},
        Want{"DATETIME", "day",
             "activity_date >= DATETIME(@submission_date)\n"
             "    AND activity_date < DATETIME(DATE_ADD(@submission_date, INTERVAL 1 DAY))"},
        Want{"DATETIME", "month",
             "activity_date >= DATETIME(DATE_TRUNC(@submission_date, MONTH))"}}) {
    PartitionedTree t(w.type, w.unit, "true");
    for (Baseline baseline : {Baseline::kNewQuery, Baseline::kPreviousQuery}) {
      Options options;
      options.baseline = baseline;
      Mitigation m = generate(t.tree(), project::TableId::parse("p.d.t_v2"), options);
      EXPECT_EQ(m.partitioning.parameter, "submission_date");
      EXPECT_NE(m.query_sql.find(w.filter), std::string::npos) << w.type << " " << w.unit << "\n"
                                                               << m.query_sql;
      engine::Table events{"p.d.events",
                           {{"submission_date", engine::scalar(analysis::Type::kDate)},
                            {"channel", engine::scalar(analysis::Type::kString)}}};
      DryRun d = dry_run(m, t.tree(), {events});
      EXPECT_FALSE(d.queries_as_tables) << w.type << " " << w.unit;
      for (const auto& s : d.statements) {
        EXPECT_TRUE(s.verdict.accepted())
            << w.type << " " << w.unit << " " << s.what << ": " << s.verdict.message;
      }
    }
  }
}

// The label is read one way everywhere, as bigquery-etl reads it: present unless a YAML false.
TEST(Preconditions, TheLabelIsPresentUnlessItIsFalse) {
  for (const char* value : {"true", "yes", "1", "\"true\"", "\"false\"", "mitigated"}) {
    PartitionedTree t("DATE", "day", value);
    EXPECT_NO_THROW(generate(t.tree(), project::TableId::parse("p.d.t_v2"))) << value;
  }
  for (const char* value : {"false", "no", "off"}) {
    PartitionedTree t("DATE", "day", value);
    try {
      generate(t.tree(), project::TableId::parse("p.d.t_v2"));
      ADD_FAILURE() << value;
    } catch (const base::Error& e) {
      EXPECT_NE(std::string(e.what()).find("not set up for shredder mitigation"), std::string::npos)
          << value << ": " << e.format();
    }
  }
}

}  // namespace
}  // namespace shredmit::mitigation

namespace shredmit {
namespace {

namespace fs = std::filesystem;

// `shredmit dry-run` on a small tree: a query that analyzes, one BigQuery would refuse, one that
// reads a table the tree does not describe, and a checks file whose second statement is wrong.
class DryRunCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("shredmit-dry-run-command-" + std::to_string(getpid()));
    fs::remove_all(root_);
    write("sql/p/d/events/schema.yaml",
          "fields:\n- name: submission_date\n  type: DATE\n- name: channel\n  type: STRING\n"
          "- name: n\n  type: INTEGER\n");
    write("sql/p/d/events/query.sql", "SELECT 1 AS x");
    write("sql/p/d/good_v1/query.sql",
          "CREATE TEMP FUNCTION twice(x INT64) AS (2 * x);\n"
          "SELECT submission_date, channel, twice(SUM(n)) AS n FROM d.events\n"
          "WHERE submission_date = @submission_date GROUP BY submission_date, channel\n");
    write("sql/p/d/good_v1/checks.sql",
          "#fail\nSELECT IF(COUNT(*) = 0, ERROR('empty'), NULL) FROM `p.d.good_v1`\n"
          "WHERE submission_date = @submission_date;\n"
          "#fail\nSELECT IF(SUM(missing) > 0, ERROR('x'), NULL) FROM `p.d.good_v1`;\n");
    write("sql/p/d/good_v1/schema.yaml",
          "fields:\n- name: submission_date\n  type: DATE\n- name: channel\n  type: STRING\n"
          "- name: n\n  type: INTEGER\n");
    // HAVING sees the select list's alias n, so SUM(n) there sums a sum.
    write("sql/p/d/having_v1/query.sql",
          "SELECT channel, SUM(n) AS n FROM `p.d.events`\n"
          "WHERE submission_date = @day GROUP BY channel HAVING SUM(n) >= 0\n");
    write("sql/p/d/having_v1/metadata.yaml",
          "friendly_name: H\nscheduling:\n  date_partition_parameter: day\n");
    write("sql/p/d/stable_v1/query.sql", "SELECT COUNT(*) AS n FROM `p.d_stable.main_v1`\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    base::write_file_atomically(root_ / path, text);
  }
  std::string path(const std::string& p) const { return (root_ / p).string(); }

  fs::path root_;
};

TEST_F(DryRunCommand, ReportsRefusedAndUncheckedStatementsWithTheirLocation) {
  std::string out, err;
  std::string dataset = path("sql/p/d");
  EXPECT_EQ(test_support::run_cli({"dry-run", dataset.c_str()}, &out, &err), 1) << out << err;
  EXPECT_NE(out.find(path("sql/p/d/having_v1/query.sql") +
                     ":2:58: error: GoogleSQL refuses this query: Aggregations of aggregations "
                     "are not allowed"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(path("sql/p/d/good_v1/checks.sql") + ":5:15: error: GoogleSQL refuses this "
                                                          "statement: Unrecognized name: missing"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(path("sql/p/d/stable_v1/query.sql") +
                     ": not checked: reads table p.d_stable.main_v1 (no schema.yaml in the tree)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("dry run: 5 files, 6 statements: 3 accepted, 2 refused, 1 not checked"),
            std::string::npos)
      << out;

  // One table folder that analyzes: exit 0; JSON carries every statement.
  std::string good = path("sql/p/d/good_v1/query.sql");
  EXPECT_EQ(test_support::run_cli({"dry-run", good.c_str(), "--format", "json"}, &out, &err), 0)
      << out << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["findings"][0]["status"], "accepted");
  EXPECT_EQ(j["findings"][0]["what"], "query");

  // Without the engine: one line naming the install command, exit 2.
  setenv("SHREDMIT_ENGINE", "/nonexistent/remote_server", 1);
  int status = test_support::run_cli({"dry-run", good.c_str()}, &out, &err);
  unsetenv("SHREDMIT_ENGINE");
  EXPECT_EQ(status, 2);
  EXPECT_NE(err.find("not installed; install it with"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  std::string missing = path("sql/p/d/nothing_here");
  EXPECT_EQ(test_support::run_cli({"dry-run", missing.c_str()}, &out, &err), 2);
  EXPECT_NE(err.find("no such file or folder"), std::string::npos) << err;
}

}  // namespace
}  // namespace shredmit
