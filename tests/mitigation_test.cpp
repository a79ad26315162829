// shredmit generate: golden output on the fixture, classification, every refusal, every
// dimension type, and the command line contract (exit statuses, nothing written on refusal).
#include "mitigation/mitigation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli.h"
#include "syntax/syntax.h"

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;
using analysis::Type;

const char* kFixtureTable =
    "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4";

project::SqlTree fixture_tree(const std::string& root = "fixtures") {
  return project::SqlTree{fs::path(root) / "sql", fs::path(root)};
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> names(const std::vector<ClassifiedColumn>& cols) {
  std::vector<std::string> out;
  for (const auto& c : cols) out.push_back(c.name);
  return out;
}

TEST(Generate, FixtureMatchesReviewedGoldenFiles) {
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable));
  EXPECT_EQ(m.query_sql,
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_query.sql"));
  EXPECT_EQ(m.checks_sql,
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_checks.sql"));
}

TEST(Generate, GeneratedSqlParsesBack) {
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable));
  auto query = syntax::parse_query(m.query_sql);
  EXPECT_EQ(query->with.size(), 4u);
  std::vector<std::string> ctes;
  for (const auto& c : query->with) ctes.push_back(c.name.name);
  EXPECT_EQ(ctes, (std::vector<std::string>{"new_version", "new_agg", "previous_agg", "shredded"}));
  EXPECT_EQ(query->body->kind, syntax::QueryExprKind::kSetOperation);
  auto checks = syntax::parse_statements(m.checks_sql);
  EXPECT_EQ(checks.statements.size(), 2u);
  // Each check is preceded by the #fail marker bigquery-etl reads.
  EXPECT_EQ(std::count(m.checks_sql.begin(), m.checks_sql.end(), '#'), 2);
}

TEST(Generate, ClassifiesTheSeedExample) {
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable));
  const auto& c = m.classification;
  EXPECT_EQ(names(c.added_dimensions),
            (std::vector<std::string>{"first_seen_year_new", "os_version_build", "segment_dau"}));
  EXPECT_EQ(names(c.removed_dimensions),
            (std::vector<std::string>{"attributed", "first_seen_year", "os_version", "segment"}));
  auto common = names(c.common_dimensions);
  // Aliased dimensions: `normalized_channel AS channel ... GROUP BY normalized_channel` and
  // `@submission_date AS submission_date ... GROUP BY submission_date`.
  EXPECT_NE(std::find(common.begin(), common.end(), "channel"), common.end());
  EXPECT_NE(std::find(common.begin(), common.end(), "submission_date"), common.end());
  EXPECT_NE(std::find(common.begin(), common.end(), "city"), common.end());
  EXPECT_EQ(common.size(), 14u);
  EXPECT_EQ(names(c.common_metrics),
            (std::vector<std::string>{"daily_users", "weekly_users", "monthly_users", "dau", "wau",
                                      "mau", "uri_count", "active_hours"}));
  EXPECT_TRUE(c.new_metrics.empty());
  EXPECT_EQ(c.common_metrics.back().type, Type::kFloat64);
  EXPECT_EQ(m.partition_field, "submission_date");
}

TEST(Generate, PlaceholderIsRestoredOnlyWhereTheNewVersionUsesIt) {
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable));
  // city is IFNULL(city, '??') in v4: shredded rows show '??', never NULL.
  EXPECT_NE(m.query_sql.find("IFNULL(city, '??') AS city"), std::string::npos);
  // country is not mapped in v4: no placeholder is invented for it.
  EXPECT_EQ(m.query_sql.find("IFNULL(country"), std::string::npos);
}

struct Refusal {
  const char* table;
  const char* file_suffix;
  int line;
  const char* message_part;
};

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, RefusesWithLocationAndFix) {
  const auto& r = GetParam();
  try {
    generate(fixture_tree("fixtures/refusals"),
             project::TableId::parse(std::string("moz-fx-data-shared-prod.refusals.") + r.table));
    FAIL() << "expected a refusal for " << r.table;
  } catch (const project::UserError& e) {
    std::string file = e.file;
    EXPECT_TRUE(
        file.size() >= strlen(r.file_suffix) &&
        file.compare(file.size() - strlen(r.file_suffix), std::string::npos, r.file_suffix) == 0)
        << e.format();
    EXPECT_EQ(e.line, r.line) << e.format();
    EXPECT_NE(std::string(e.what()).find(r.message_part), std::string::npos) << e.format();
    EXPECT_EQ(e.format().find('\n'), std::string::npos) << "one line";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RefusalTest,
    ::testing::Values(
        Refusal{"version_one_v1", "version_one_v1", 0, "applies from version 2 on"},
        Refusal{"no_previous_v2", "no_previous_v1", 0,
                "previous version no_previous_v1 is missing"},
        Refusal{"unlabelled_v2", "unlabelled_v2/metadata.yaml", 5, "shredder_mitigation: true"},
        Refusal{"no_group_by_v2", "no_group_by_v2/query.sql", 2, "has no GROUP BY"},
        Refusal{"group_by_all_v2", "group_by_all_v2/query.sql", 12, "GROUP BY ALL"},
        Refusal{"group_by_ordinal_v2", "group_by_ordinal_v2/query.sql", 13, "ordinal 1"},
        Refusal{"previous_group_by_all_v2", "previous_group_by_all_v1/query.sql", 12,
                "GROUP BY ALL"},
        Refusal{"parse_error_v2", "parse_error_v2/query.sql", 7, "syntax error at 'SUM'"},
        Refusal{"no_common_dimension_v2", "no_common_dimension_v2/query.sql", 2,
                "no dimension is common"},
        Refusal{"no_common_metric_v2", "no_common_metric_v2/query.sql", 2, "no metric is common"},
        Refusal{"ungrouped_string_v2", "ungrouped_string_v2/query.sql", 8,
                "ungrouped STRING aggregate"},
        Refusal{"missing_schema_v2", "missing_schema_v2/schema.yaml", 0, "add schema.yaml"},
        Refusal{"unresolved_include_v2", "unresolved_include_v2/schema.yaml", 13,
                "has no field 'no_such_field'"},
        Refusal{"jinja_template_v2", "jinja_template_v2/query.sql", 11, "Jinja template"},
        Refusal{"changed_type_v2", "changed_type_v2/query.sql", 7, "FLOAT64 in changed_type_v2"}));

// A temporary bigquery-etl tree written by a test.
class TempTree {
 public:
  TempTree() {
    root_ = fs::temp_directory_path() /
            ("shredmit-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "sql");
  }
  ~TempTree() { fs::remove_all(root_); }
  void table(const std::string& name, const std::string& query, const std::string& schema,
             bool labelled = true) {
    fs::path dir = root_ / "sql" / "p" / "d" / name;
    fs::create_directories(dir);
    std::ofstream(dir / "query.sql") << query;
    std::ofstream(dir / "schema.yaml") << schema;
    std::ofstream(dir / "metadata.yaml")
        << "friendly_name: T\nlabels:\n  shredder_mitigation: " << (labelled ? "true" : "false")
        << "\nbigquery:\n  time_partitioning:\n    type: day\n    field: submission_date\n";
  }
  project::SqlTree tree() const { return project::SqlTree{root_ / "sql", root_}; }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

std::string schema_yaml(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = "fields:\n";
  for (const auto& [name, type] : fields) {
    out += "- name: " + name + "\n  type: " + type + "\n  mode: NULLABLE\n  description: d\n";
  }
  return out;
}

TEST(Generate, EveryDimensionTypeIsKeptAndTypedCorrectly) {
  const std::vector<std::pair<std::string, std::string>> dims = {
      {"d_string", "STRING"},      {"d_int", "INTEGER"},           {"d_float", "FLOAT"},
      {"d_numeric", "NUMERIC"},    {"d_bignumeric", "BIGNUMERIC"}, {"d_bool", "BOOLEAN"},
      {"d_date", "DATE"},          {"d_datetime", "DATETIME"},     {"d_time", "TIME"},
      {"d_timestamp", "TIMESTAMP"}};
  std::string select, group;
  auto fields = dims;
  for (const auto& [name, type] : dims) {
    select += "  " + name + ",\n";
    group += (group.empty() ? "  " : ",\n  ") + name;
  }
  fields.push_back({"submission_date", "DATE"});
  fields.push_back({"n", "INTEGER"});
  std::string v1 = "SELECT\n" + select +
                   "  @submission_date AS submission_date,\n  COUNT(*) AS n\n"
                   "FROM src\nGROUP BY\n" +
                   group + ",\n  submission_date\n";
  // v2 adds one dimension of every type and a FLOAT64 metric.
  std::string added_select, added_group;
  auto fields2 = fields;
  for (const auto& [name, type] : dims) {
    added_select += "  " + name + " AS new_" + name + ",\n";
    added_group += ",\n  new_" + name;
    fields2.push_back({"new_" + name, type});
  }
  fields2.push_back({"total", "FLOAT"});
  std::string v2 = "SELECT\n" + select + added_select +
                   "  @submission_date AS submission_date,\n  COUNT(*) AS n,\n  SUM(x) AS total\n"
                   "FROM src\nGROUP BY\n" +
                   group + added_group + ",\n  submission_date\n";
  TempTree t;
  t.table("t_v1", v1, schema_yaml(fields));
  t.table("t_v2", v2, schema_yaml(fields2));
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  EXPECT_EQ(m.classification.common_dimensions.size(), dims.size() + 1);
  EXPECT_EQ(m.classification.added_dimensions.size(), dims.size());
  ASSERT_EQ(m.classification.new_metrics.size(), 1u);
  EXPECT_NE(m.query_sql.find("CAST(0 AS FLOAT64) AS total"), std::string::npos);
  for (const auto& [name, type] : dims) {
    // Every common dimension is grouped in both aggregates and in shredded.
    std::regex grouped("\n    (NULLIF\\()?" + name + "(, '\\?\\?'\\))?(,|\n)");
    auto count =
        std::distance(std::sregex_iterator(m.query_sql.begin(), m.query_sql.end(), grouped),
                      std::sregex_iterator());
    EXPECT_GE(count, 3) << name;
    // The placeholder is only ever compared with STRING values.
    bool has_placeholder = m.query_sql.find("NULLIF(" + name + ", '??')") != std::string::npos;
    EXPECT_EQ(has_placeholder, type == "STRING") << name;
  }
  for (const char* t_name : {"STRING", "INT64", "FLOAT64", "NUMERIC", "BIGNUMERIC", "BOOL", "DATE",
                             "DATETIME", "TIME", "TIMESTAMP"}) {
    EXPECT_NE(m.query_sql.find(std::string("CAST(NULL AS ") + t_name + ")"), std::string::npos)
        << t_name;
  }
  EXPECT_NO_THROW(syntax::parse_query(m.query_sql));
}

TEST(Generate, TypesAreInferredWhereTheSchemaIsSilent) {
  TempTree t;
  const std::string q1 =
      "SELECT @submission_date AS submission_date, CAST(x AS NUMERIC) AS amount_bucket, "
      "COUNT(*) AS n, SUM(CAST(y AS FLOAT64)) AS total FROM src "
      "GROUP BY submission_date, amount_bucket";
  t.table("t_v1", q1, "fields: []\n");
  t.table("t_v2", q1, "fields: []\n");
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  ASSERT_EQ(m.classification.common_dimensions.size(), 2u);
  EXPECT_EQ(m.classification.common_dimensions[0].type, Type::kDate);
  EXPECT_EQ(m.classification.common_dimensions[1].type, Type::kNumeric);
  EXPECT_EQ(m.classification.common_metrics[0].type, Type::kInt64);
  EXPECT_EQ(m.classification.common_metrics[1].type, Type::kFloat64);
}

TEST(Generate, UnknownTypeAsksForTheSchema) {
  TempTree t;
  const std::string q = "SELECT a, COUNT(*) AS n FROM src GROUP BY a";
  t.table("t_v1", q, "fields: []\n");
  t.table("t_v2", q, "fields: []\n");
  try {
    generate(t.tree(), project::TableId::parse("p.d.t_v2"));
    FAIL();
  } catch (const project::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot tell the type of output column 'a'"),
              std::string::npos);
    EXPECT_EQ(e.line, 1);
    EXPECT_EQ(e.column, 8);
  }
}

TEST(Generate, NeitherGroupedNorAggregatedIsAnError) {
  TempTree t;
  const std::string q1 = "SELECT a, COUNT(*) AS n FROM src GROUP BY a";
  const std::string q2 = "SELECT a, b, COUNT(*) AS n FROM src GROUP BY a";
  t.table("t_v1", q1, schema_yaml({{"a", "STRING"}, {"b", "STRING"}, {"n", "INTEGER"}}));
  t.table("t_v2", q2, schema_yaml({{"a", "STRING"}, {"b", "STRING"}, {"n", "INTEGER"}}));
  try {
    generate(t.tree(), project::TableId::parse("p.d.t_v2"));
    FAIL();
  } catch (const project::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'b' is neither grouped nor aggregated"),
              std::string::npos);
  }
}

TEST(Generate, QualifiedAndExpressionGroupingMatchTheSelectList) {
  TempTree t;
  const std::string q =
      "SELECT s.app AS app, LOWER(os) AS os_lower, DATE(ts) AS day, COUNT(*) AS n "
      "FROM src AS s GROUP BY app, LOWER(os), DATE(ts)";
  auto schema =
      schema_yaml({{"app", "STRING"}, {"os_lower", "STRING"}, {"day", "DATE"}, {"n", "INTEGER"}});
  t.table("t_v1", q, schema);
  t.table("t_v2", q, schema);
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  EXPECT_EQ(names(m.classification.common_dimensions),
            (std::vector<std::string>{"app", "os_lower", "day"}));
}

int run_cli(std::vector<const char*> args, std::string* out = nullptr, std::string* err = nullptr) {
  args.insert(args.begin(), "shredmit");
  std::ostringstream o, e;
  int status = cli::run(static_cast<int>(args.size()), args.data(), o, e);
  if (out) *out = o.str();
  if (err) *err = e.str();
  return status;
}

TEST(Cli, GenerateWritesBothFilesAndReportsThem) {
  TempTree t;
  std::string out_dir = (t.root() / "out").string();
  std::string out, err;
  int status = run_cli(
      {"generate", kFixtureTable, "--sql-dir", "fixtures/sql", "--output-dir", out_dir.c_str()},
      &out, &err);
  ASSERT_EQ(status, cli::kExitOk) << err;
  EXPECT_NE(out.find("shredder_mitigation_query.sql"), std::string::npos);
  EXPECT_NE(err.find("ADDED    dimension  os_version_build"), std::string::npos) << err;
  EXPECT_EQ(read(t.root() / "out" / "shredder_mitigation_query.sql"),
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_query.sql"));
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(t.root() / "out"), fs::directory_iterator()), 2);
}

TEST(Cli, TrailingSlashOnSqlDirKeepsTheRepositoryRoot) {
  // Schema includes are relative to the parent of sql/: "fixtures/sql/" must give "fixtures".
  TempTree t;
  std::string out_dir = (t.root() / "out").string();
  std::string err;
  EXPECT_EQ(run_cli({"generate", kFixtureTable, "--sql-dir", "fixtures/sql/", "--output-dir",
                     out_dir.c_str()},
                    nullptr, &err),
            cli::kExitOk)
      << err;
}

TEST(Cli, RefusalWritesNothingAndExitsOne) {
  TempTree t;
  std::string out_dir = (t.root() / "out").string();
  std::string err;
  int status = run_cli({"generate", "moz-fx-data-shared-prod.refusals.group_by_all_v2", "--sql-dir",
                        "fixtures/refusals/sql", "--output-dir", out_dir.c_str()},
                       nullptr, &err);
  EXPECT_EQ(status, cli::kExitRefused);
  EXPECT_FALSE(fs::exists(t.root() / "out"));
  EXPECT_NE(err.find("group_by_all_v2/query.sql:12:1: error: GROUP BY ALL"), std::string::npos)
      << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({}), cli::kExitUsage);
  EXPECT_EQ(run_cli({"generate"}), cli::kExitUsage);
  std::string err;
  EXPECT_EQ(run_cli({"generate", "not-a-table", "--sql-dir", "fixtures/sql"}, nullptr, &err),
            cli::kExitUsage);
  EXPECT_NE(err.find("PROJECT.DATASET.TABLE_vN"), std::string::npos);
}

TEST(Cli, HelpDocumentsExitStatuses) {
  std::string out;
  EXPECT_EQ(run_cli({"--help"}, &out), cli::kExitOk);
  EXPECT_NE(out.find("Exit status"), std::string::npos);
  EXPECT_NE(out.find("2  command-line usage error"), std::string::npos);
}

}  // namespace
}  // namespace shredmit::mitigation
