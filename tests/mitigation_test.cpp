// shredmit generate: golden output on the fixture, classification, every refusal, every
// dimension type, and the command line contract (exit statuses, nothing written on refusal).
#include "mitigation/mitigation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli.h"
#include "engine/engine.h"
#include "run_cli.h"
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
  std::vector<std::string> ctes;
  for (const auto& c : query->with) ctes.push_back(c.name.name);
  EXPECT_EQ(ctes, (std::vector<std::string>{"new_version", "new_agg", "previous_agg", "compared",
                                            "compensation", "shredded"}));
  EXPECT_EQ(query->body->kind, syntax::QueryExprKind::kSetOperation);
  auto checks = syntax::parse_statements(m.checks_sql);
  EXPECT_EQ(checks.statements.size(), 2u);
  // One failing check, marked for bigquery-etl's runner, which keeps the statements whose text
  // contains "#fail"; the report after it must not contain the marker.
  EXPECT_EQ(std::count(m.checks_sql.begin(), m.checks_sql.end(), '#'), 1);
  size_t marker = m.checks_sql.find("#fail\n");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_LT(marker, m.checks_sql.find("WITH"));
  // bigquery-etl renders checks with Jinja: nothing in them may look like a template tag.
  for (const char* tag : {"{{", "{%", "{#"}) {
    EXPECT_EQ(m.checks_sql.find(tag), std::string::npos) << tag;
    EXPECT_EQ(m.query_sql.find(tag), std::string::npos) << tag;
  }
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

// Every refusal is checked against generate, lint and backfill validate at once in
// tests/refusals_test.cpp.

// Query shapes generate accepts through name resolution: the generated files equal the goldens
// (reviewed by hand), and the new query is embedded as written, rendered when it is a template.
class ShapeTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ShapeTest, GeneratesTheGoldenFiles) {
  std::string shape = GetParam();
  auto m = generate(fixture_tree("fixtures/shapes"),
                    project::TableId::parse("moz-fx-data-shared-prod.shapes." + shape + "_v2"));
  fs::path golden = fs::path("tests/golden/shapes") / shape;
  EXPECT_EQ(m.query_sql, read(golden / "shredder_mitigation_query.sql"));
  EXPECT_EQ(m.checks_sql, read(golden / "shredder_mitigation_checks.sql"));
  EXPECT_EQ(names(m.classification.common_dimensions),
            (std::vector<std::string>{"submission_date", "channel", "country"}));
  EXPECT_EQ(names(m.classification.common_metrics),
            (std::vector<std::string>{"event_count", "duration_ms"}));
  for (const char* tag : {"{{", "{%", "{#"}) EXPECT_EQ(m.query_sql.find(tag), std::string::npos);
  // The mitigation query parses as a script: its CREATE TEMP FUNCTION preamble, then the query.
  auto script = syntax::parse_statements(m.query_sql);
  ASSERT_FALSE(script.statements.empty());
  EXPECT_EQ(script.statements.back()->kind, syntax::StatementKind::kQuery);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ShapeTest,
                         ::testing::Values("jinja_template", "temp_function", "projection",
                                           "star_except", "union_all", "placeholder",
                                           "timestamp_partition"));

TEST(Generate, TempFunctionsComeFirstInTheQueryAndAreInlinedWhereAStatementRunsAlone) {
  auto m = generate(fixture_tree("fixtures/shapes"),
                    project::TableId::parse("moz-fx-data-shared-prod.shapes.temp_function_v2"));
  size_t function = m.query_sql.find("CREATE TEMP FUNCTION normalize_channel");
  ASSERT_NE(function, std::string::npos);
  EXPECT_LT(function, m.query_sql.find("WITH new_version"));
  // bigquery-etl runs each statement of the checks file as its own job: the report, which embeds
  // the new query, calls no function it does not define.
  EXPECT_EQ(m.checks_sql.find("normalize_channel"), std::string::npos) << m.checks_sql;
  EXPECT_NE(m.report_sql.find("IF(CAST(normalized_channel AS STRING) IN ('release', 'beta', "
                              "'nightly')"),
            std::string::npos)
      << m.report_sql;
  // With --baseline previous-query the check embeds both queries, inlined the same way.
  Options previous_query;
  previous_query.baseline = Baseline::kPreviousQuery;
  auto p = generate(fixture_tree("fixtures/shapes"),
                    project::TableId::parse("moz-fx-data-shared-prod.shapes.temp_function_v2"),
                    previous_query);
  EXPECT_EQ(p.checks_sql.find("normalize_channel("), std::string::npos) << p.checks_sql;
  EXPECT_EQ(p.query_sql.find("CREATE TEMP FUNCTION"), p.query_sql.rfind("CREATE TEMP FUNCTION"))
      << "the preamble defines the new version's function once";
}

TEST(ExitStatus, FollowsTheErrorKindNotTheFileName) {
  EXPECT_EQ(cli::exit_status(base::ErrorKind::kUsage), cli::kExitUsage);
  EXPECT_EQ(cli::exit_status(base::ErrorKind::kInput), cli::kExitRefused);
  // SQL shredmit generated that does not parse is a shredmit bug, whatever file it names.
  auto bug = base::Error::internal("the generated check does not parse at 1:1", "checks.sql");
  EXPECT_EQ(cli::exit_status(bug.kind), cli::kExitInternal);
  EXPECT_EQ(bug.format(),
            "checks.sql: internal error: the generated check does not parse at 1:1; please report "
            "this");
  EXPECT_EQ(base::Error::usage("--date takes YYYY-MM-DD").format(),
            "shredmit: error: --date takes YYYY-MM-DD");
}

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
  // A new metric is NULL in shredded rows: its shredded amount is unknown.
  EXPECT_NE(m.query_sql.find("CAST(NULL AS FLOAT64) AS total"), std::string::npos);
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

TEST(Analysis, TypesAreInferredWhereTheSchemaIsSilent) {
  const std::string q =
      "SELECT @submission_date AS submission_date, CAST(x AS NUMERIC) AS amount_bucket, "
      "COUNT(*) AS n, SUM(CAST(y AS FLOAT64)) AS total FROM src "
      "GROUP BY submission_date, amount_bucket";
  auto query = syntax::parse_query(q);
  auto a = analysis::inspect_aggregate(*query, project::Schema{});
  ASSERT_EQ(a.columns.size(), 4u);
  EXPECT_EQ(a.columns[0].type, Type::kDate);
  EXPECT_EQ(a.columns[1].type, Type::kNumeric);
  EXPECT_EQ(a.columns[2].type, Type::kInt64);
  EXPECT_EQ(a.columns[3].type, Type::kFloat64);
}

// The schema must list every output column (seed 004: mitigation halts when the schema is not
// updated to the query's columns), so generate never guesses a type.
TEST(Generate, AColumnMissingFromTheSchemaIsRefusedWhereItIsWritten) {
  TempTree t;
  const std::string q =
      "SELECT submission_date, a, COUNT(*) AS n FROM src GROUP BY submission_date, a";
  auto schema = schema_yaml({{"submission_date", "DATE"}, {"n", "INTEGER"}});
  t.table("t_v1", q, schema);
  t.table("t_v2", q, schema);
  try {
    generate(t.tree(), project::TableId::parse("p.d.t_v2"));
    FAIL();
  } catch (const base::Error& e) {
    EXPECT_NE(std::string(e.what()).find("output column 'a' is not in schema.yaml; add it"),
              std::string::npos)
        << e.format();
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 25);
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
  } catch (const base::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'b' is neither grouped nor aggregated"),
              std::string::npos);
  }
}

TEST(Generate, QualifiedAndExpressionGroupingMatchTheSelectList) {
  TempTree t;
  const std::string q =
      "SELECT s.app AS app, LOWER(os) AS os_lower, DATE(ts) AS submission_date, COUNT(*) AS n "
      "FROM src AS s GROUP BY app, LOWER(os), DATE(ts)";
  auto schema = schema_yaml(
      {{"app", "STRING"}, {"os_lower", "STRING"}, {"submission_date", "DATE"}, {"n", "INTEGER"}});
  t.table("t_v1", q, schema);
  t.table("t_v2", q, schema);
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  EXPECT_EQ(names(m.classification.common_dimensions),
            (std::vector<std::string>{"app", "os_lower", "submission_date"}));
}

using test_support::run_cli;

TEST(Cli, GenerateWritesTheFourFilesAndReportsThem) {
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
  EXPECT_EQ(read(t.root() / "out" / "shredder_mitigation_validation.sql"),
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_validation.sql"));
  EXPECT_NE(out.find("shredder_mitigation_validation.sql"), std::string::npos);
  // The two-step form's second step: the mitigation query over the new query's rows as a table.
  EXPECT_EQ(read(t.root() / "out" / "shredder_mitigation_compensation.sql"),
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_compensation.sql"));
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(t.root() / "out"), fs::directory_iterator()), 4);
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

TEST(Cli, MitigationOptionsAreValidatedAsUsage) {
  TempTree t;
  std::string out_dir = (t.root() / "out").string();
  std::string err;
  EXPECT_EQ(run_cli({"generate", kFixtureTable, "--sql-dir", "fixtures/sql", "--output-dir",
                     out_dir.c_str(), "--baseline", "yesterday"},
                    nullptr, &err),
            cli::kExitUsage);
  EXPECT_NE(err.find("--baseline"), std::string::npos) << err;
  EXPECT_EQ(run_cli({"generate", kFixtureTable, "--sql-dir", "fixtures/sql", "--output-dir",
                     out_dir.c_str(), "--signed-metric", "no_such_metric"},
                    nullptr, &err),
            cli::kExitUsage);
  EXPECT_NE(err.find("--signed-metric no_such_metric: active_users_aggregates_v4 has no metric "
                     "named no_such_metric"),
            std::string::npos)
      << err;
  EXPECT_EQ(run_cli({"generate", kFixtureTable, "--sql-dir", "fixtures/sql", "--output-dir",
                     out_dir.c_str(), "--staging-table", "not a table"},
                    nullptr, &err),
            cli::kExitUsage);
  EXPECT_FALSE(fs::exists(t.root() / "out"));
  // Accepted options: the classification shows the kinds, the baseline and the staging table.
  EXPECT_EQ(run_cli({"generate", kFixtureTable, "--sql-dir", "fixtures/sql", "--output-dir",
                     out_dir.c_str(), "--signed-metric", "uri_count", "--baseline",
                     "previous-query", "--staging-table", "p.backfills_staging_derived.t_2024"},
                    nullptr, &err),
            cli::kExitOk)
      << err;
  EXPECT_NE(err.find("baseline previous-query, checks read p.backfills_staging_derived.t_2024"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("uri_count                        INT64      signed (declared with "
                     "--signed-metric)"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("shredmit: note: --baseline previous-query"), std::string::npos) << err;
}

TEST(Cli, HelpDocumentsExitStatuses) {
  std::string out;
  EXPECT_EQ(run_cli({"--help"}, &out), cli::kExitOk);
  EXPECT_NE(out.find("Exit status"), std::string::npos);
  EXPECT_NE(out.find("2  command-line usage error"), std::string::npos);
}

// ------------------------------------------------------------------ metric kinds

const char* kKindsQuery =
    "WITH per_client AS (SELECT submission_date, segment, client_id, COUNT(*) AS pings, "
    "LOGICAL_OR(active) AS was_active FROM `p.d.src` WHERE submission_date = @submission_date "
    "GROUP BY submission_date, segment, client_id) "
    "SELECT submission_date, segment, COUNT(*) AS clients, SUM(pings) AS pings, "
    "SUM(CAST(was_active AS INT64)) AS active_clients, COUNT(DISTINCT client_id) AS distinct_ids, "
    "SUM(amount) AS amount FROM per_client LEFT JOIN `p.d.amounts` USING (client_id) "
    "GROUP BY submission_date, segment";

std::string kinds_schema(bool with_country = false) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"submission_date", "DATE"}, {"segment", "STRING"},         {"clients", "INTEGER"},
      {"pings", "INTEGER"},        {"active_clients", "INTEGER"}, {"distinct_ids", "INTEGER"},
      {"amount", "NUMERIC"}};
  if (with_country) fields.push_back({"country", "STRING"});
  return schema_yaml(fields);
}

const ClassifiedColumn& metric(const Mitigation& m, const std::string& name) {
  for (const auto& c : m.classification.common_metrics) {
    if (c.name == name) return c;
  }
  throw std::out_of_range(name);
}

TEST(MetricKinds, CountsSignedAndTheirReasons) {
  TempTree t;
  t.table("t_v1", kKindsQuery, kinds_schema());
  t.table("t_v2", kKindsQuery, kinds_schema());
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  using analysis::MetricKind;
  for (const char* name : {"clients", "pings", "active_clients", "distinct_ids", "amount"}) {
    EXPECT_EQ(metric(m, name).kind.kind, MetricKind::kCount) << name;
  }
  // Followed through the WITH query: a sum of counts and of CAST(bool AS INT64) never goes
  // negative; a sum of an upstream column is only assumed to be a count, and stderr says so.
  EXPECT_TRUE(metric(m, "pings").kind.non_negative);
  EXPECT_TRUE(metric(m, "active_clients").kind.non_negative);
  EXPECT_FALSE(metric(m, "amount").kind.non_negative);
  EXPECT_TRUE(metric(m, "distinct_ids").kind.distinct);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0],
            "note: amount is treated as a count that deletion can only lower; pass "
            "--signed-metric NAME for any that can be negative (a net amount, corrections)");
  // Declared signed, case-insensitively; the classification shows it.
  Options o;
  o.signed_metrics = {"AMOUNT"};
  m = generate(t.tree(), project::TableId::parse("p.d.t_v2"), o);
  EXPECT_EQ(metric(m, "amount").kind.kind, MetricKind::kSigned);
  EXPECT_TRUE(m.warnings.empty());
  EXPECT_NE(format_classification(m).find("amount                           NUMERIC    signed "
                                          "(declared with --signed-metric)"),
            std::string::npos)
      << format_classification(m);
  // A signed metric is compensated in both directions: previous minus new, without a sign test.
  EXPECT_NE(m.query_sql.find("_previous_amount - IFNULL(_new_amount, 0) AS amount"),
            std::string::npos);
  EXPECT_NE(m.query_sql.find("WHEN _previous_clients > IFNULL(_new_clients, 0)\n        THEN "
                             "_previous_clients - IFNULL(_new_clients, 0)"),
            std::string::npos);
}

TEST(MetricKinds, AnUnknownSignedMetricIsAUsageError) {
  TempTree t;
  t.table("t_v1", kKindsQuery, kinds_schema());
  t.table("t_v2", kKindsQuery, kinds_schema());
  Options o;
  o.signed_metrics = {"segment"};
  try {
    generate(t.tree(), project::TableId::parse("p.d.t_v2"), o);
    FAIL();
  } catch (const base::Error& e) {
    EXPECT_EQ(e.kind, base::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("--signed-metric segment: t_v2 has no metric named "
                                         "segment; its metrics are clients, pings,"),
              std::string::npos)
        << e.what();
  }
}

TEST(MetricKinds, DistinctCountsOverChangedDimensionsAreWarned) {
  TempTree t;
  std::string v2 =
      std::regex_replace(std::string(kKindsQuery), std::regex("segment"), "segment, country");
  v2 = std::regex_replace(v2, std::regex("GROUP BY submission_date, segment, country, client_id"),
                          "GROUP BY submission_date, segment, country, client_id");
  t.table("t_v1", kKindsQuery, kinds_schema());
  t.table("t_v2", v2, kinds_schema(true));
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  ASSERT_GE(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0].rfind("warning: metric 'distinct_ids' counts distinct values; its new "
                                "totals add up over the added dimension(s) country only if each "
                                "client has one value of them per group",
                                0),
            0u)
      << m.warnings[0];
  // Removed: the previous totals count a client once per value of the removed dimension.
  TempTree r;
  r.table("t_v1", v2, kinds_schema(true));
  r.table("t_v2", kKindsQuery, kinds_schema());
  m = generate(r.tree(), project::TableId::parse("p.d.t_v2"));
  EXPECT_NE(m.warnings[0].find("the previous totals add it up over the removed dimension(s) "
                               "country"),
            std::string::npos)
      << m.warnings[0];
}

TEST(MetricKinds, OnlySignedCommonMetricsAreWarned) {
  TempTree t;
  const char* q =
      "SELECT submission_date, SUM(amount) AS amount FROM `p.d.src` GROUP BY submission_date";
  auto schema = schema_yaml({{"submission_date", "DATE"}, {"amount", "FLOAT"}});
  t.table("t_v1", q, schema);
  t.table("t_v2", q, schema);
  Options o;
  o.signed_metrics = {"amount"};
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"), o);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0].rfind("warning: every common metric is signed, so late data cannot be "
                                "told from deletion",
                                0),
            0u);
}

// ------------------------------------------------------------------ options

TEST(Generate, ChecksReadTheStagingTable) {
  Options o;
  o.staging_table =
      "moz-fx-data-shared-prod.backfills_staging_derived.firefox_desktop_derived__active_users_"
      "aggregates_v4_2024_11_12";
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable), o);
  std::string staging = "`" + o.staging_table + "`";
  EXPECT_NE(m.checks_sql.find("FROM\n    " + staging +
                              "\n  WHERE\n    submission_date = "
                              "@submission_date"),
            std::string::npos);
  // The new version's production table is not read; the mitigation query does not change.
  EXPECT_EQ(m.checks_sql.find("`" + std::string(kFixtureTable) + "`"), std::string::npos);
  EXPECT_EQ(m.query_sql,
            read("tests/golden/active_users_aggregates_v4/shredder_mitigation_query.sql"));
  for (const char* bad : {"staging", "a.b", "a.b.c.d", "p.d.t; DROP TABLE x", "p.d.`t`"}) {
    o.staging_table = bad;
    try {
      generate(fixture_tree(), project::TableId::parse(kFixtureTable), o);
      ADD_FAILURE() << bad;
    } catch (const base::Error& e) {
      EXPECT_EQ(e.kind, base::ErrorKind::kUsage) << bad;
      EXPECT_NE(std::string(e.what()).find("--staging-table takes PROJECT.DATASET.TABLE"),
                std::string::npos);
    }
  }
}

TEST(Generate, PreviousQueryBaselineRerunsThePreviousQuery) {
  Options o;
  o.baseline = Baseline::kPreviousQuery;
  auto m = generate(fixture_tree(), project::TableId::parse(kFixtureTable), o);
  auto query = syntax::parse_query(m.query_sql);
  std::vector<std::string> ctes;
  for (const auto& c : query->with) ctes.push_back(c.name.name);
  // new_agg holds only the spellings of the new query's groups, which shredded rows carry.
  EXPECT_EQ(ctes, (std::vector<std::string>{"new_version", "new_agg", "previous_rerun",
                                            "previous_rerun_agg", "previous_agg", "compared",
                                            "compensation", "shredded"}));
  // The previous query, as written, reads the upstream table again.
  EXPECT_NE(query->with[2].query->with.size(), 0u);
  EXPECT_NE(m.query_sql.find("COUNTIF(_side = 'rerun') > 0 AS _in_rerun"), std::string::npos);
  EXPECT_NE(m.warnings.back().find("reads the upstream tables three times"), std::string::npos);
  // The checks compare the backfilled change with the intended change.
  EXPECT_NE(m.check_sql.find("ELSE _previous_dau + IFNULL(_new_dau, 0) - IFNULL(_rerun_dau, 0)\n"
                             "    END AS _expected_dau"),
            std::string::npos)
      << m.check_sql;
}

TEST(Generate, HelperColumnsNeverShadowUserColumns) {
  TempTree t;
  const char* q =
      "SELECT submission_date, _in_previous, COUNT(*) AS n FROM `p.d.src` "
      "GROUP BY submission_date, _in_previous";
  auto schema =
      schema_yaml({{"submission_date", "DATE"}, {"_in_previous", "BOOLEAN"}, {"n", "INTEGER"}});
  t.table("t_v1", q, schema);
  t.table("t_v2", q, schema);
  auto m = generate(t.tree(), project::TableId::parse("p.d.t_v2"));
  EXPECT_NE(m.query_sql.find("COUNTIF(__side = 'previous') > 0 AS __in_previous"),
            std::string::npos);
}

// ------------------------------------------------------------------ the generated check

// Runs the fixture-like table's generated check on hand-made previous and backfilled tables.
class CheckOnData : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* q =
        "SELECT submission_date, segment, COUNT(*) AS n, SUM(x) AS total FROM `p.d.src` "
        "WHERE submission_date = @submission_date GROUP BY submission_date, segment";
    auto schema = schema_yaml(
        {{"submission_date", "DATE"}, {"segment", "STRING"}, {"n", "INTEGER"}, {"total", "FLOAT"}});
    tree_.table("t_v1", q, schema);
    tree_.table("t_v2", q, schema);
  }

  // Rows: segment, n, total (NULL when nullopt). Returns the mismatches as "segment metric kind"
  // and the check's error ("" when it passes), both from GoogleSQL's reference evaluator.
  using Row = std::tuple<std::optional<std::string>, int64_t, std::optional<double>>;
  std::pair<std::vector<std::string>, std::string> run(const std::vector<Row>& previous,
                                                       const std::vector<Row>& backfilled) {
    auto m = generate(tree_.tree(), project::TableId::parse("p.d.t_v2"));
    std::vector<engine::Field> columns = {
        {"submission_date", engine::scalar(analysis::Type::kDate)},
        {"segment", engine::scalar(analysis::Type::kString)},
        {"n", engine::scalar(analysis::Type::kInt64)},
        {"total", engine::scalar(analysis::Type::kFloat64)}};
    engine::Catalog catalog{{{"p.d.t_v1", columns}, {"p.d.t_v2", columns}}, {}};
    std::map<std::string, std::vector<std::vector<engine::Value>>> contents;
    for (const auto& [table, rows] :
         {std::pair{"p.d.t_v1", &previous}, std::pair{"p.d.t_v2", &backfilled}}) {
      for (const auto& [segment, n, total] : *rows) {
        contents[table].push_back(
            {engine::Value::of("2024-06-01"),
             segment ? engine::Value::of(*segment) : engine::Value{},
             engine::Value::of(std::to_string(n)),
             total ? engine::Value::of(fmt::format("{}", *total)) : engine::Value{}});
      }
    }
    std::vector<engine::Binding> parameters = {engine::binding("submission_date:DATE:2024-06-01")};
    auto check = engine::evaluate(m.check_sql, catalog, contents, parameters);
    EXPECT_TRUE(check.verdict.accepted() || check.failed_while_running) << check.verdict.message;
    std::string error = check.verdict.accepted() ? "" : check.verdict.message;
    std::vector<std::string> found;
    auto rows = engine::evaluate(m.mismatches_sql, catalog, contents, parameters);
    EXPECT_TRUE(rows.verdict.accepted()) << rows.verdict.message;
    for (const auto& row : rows.result.rows) {
      auto dims = row[0].text;
      auto segment = dims.substr(dims.find("\"segment\":") + 10);
      segment = segment.substr(0, segment.size() - 1);
      found.push_back(segment + " " + row[1].text + " " + row[2].text);
    }
    return {found, error};
  }

  TempTree tree_;
};

TEST_F(CheckOnData, PassesWhenTotalsHoldWithinTheFloatTolerance) {
  // NULL and '??' are one group; FLOAT64 totals of 1e12 differing in the last bits are equal.
  auto [found, error] = run({{"a", 5, 1e12 + 0.5}, {std::nullopt, 2, 1.0}},
                            {{std::string("a"), 2, 6e11 + 0.25},
                             {std::string("a"), 3, 4e11 + 0.25 + 1e-4},
                             {std::string("??"), 2, 1.0}});
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(error, "");
}

TEST_F(CheckOnData, ReportsEveryKindOfMismatch) {
  auto [found, error] =
      run({{std::string("grew"), 5, 10.0},
           {std::string("nulls"), 3, std::nullopt},
           {std::string("shrank"), 2, 4.0},
           {std::string("lost"), 1, 1.0}},
          {{std::string("grew"), 6, 8.0},      // n grew: late data; total was held back
           {std::string("nulls"), 3, 7.0},     // NULL before, 7 now
           {std::string("shrank"), 1, 4.0},    // a decrease: a mitigation defect
           {std::string("appeared"), 1, 1.0}}  // a group the previous version lacks
      );
  EXPECT_EQ(found,
            (std::vector<std::string>{
                "\"grew\" n increase", "\"appeared\" n new group", "\"appeared\" total new group",
                "\"nulls\" total null mismatch", "\"grew\" total held back", "\"lost\" n decrease",
                "\"lost\" total decrease", "\"shrank\" n decrease"}));
  EXPECT_EQ(error.rfind("shredder mitigation check failed: 8 totals per common dimension group "
                        "and metric of the backfilled p.d.t_v2 differ from t_v1 for "
                        "submission_date 2024-06-01 (increase n 1, new group n 1, new group "
                        "total 1, null mismatch total 1, held back total 1, decrease n 2, "
                        "decrease total 1); first 20: ",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find("{\"submission_date\":\"2024-06-01\",\"segment\":\"grew\"} n: previous 5, "
                       "backfilled 6, difference 1 (increase); "),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("increase: late data or a column redefined upstream, rename it"),
            std::string::npos);
}

TEST_F(CheckOnData, ListsTwentyMismatchesAndCountsThemAll) {
  std::vector<Row> previous, backfilled;
  for (int i = 0; i < 30; ++i) {
    previous.emplace_back(std::string("s") + std::to_string(100 + i), 1, 1.0);
    backfilled.emplace_back(std::string("s") + std::to_string(100 + i), 2, 1.0);
  }
  auto [found, error] = run(previous, backfilled);
  EXPECT_EQ(found.size(), 30u);
  EXPECT_NE(error.find("failed: 30 totals"), std::string::npos);
  EXPECT_NE(error.find("(increase n 30)"), std::string::npos);
  EXPECT_NE(error.find("\"s119\"} n"), std::string::npos);
  EXPECT_EQ(error.find("\"s120\"} n"), std::string::npos) << "only the first 20 are listed";
}

}  // namespace
}  // namespace shredmit::mitigation
