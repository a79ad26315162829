// schema.yaml custom tags as bigquery-etl resolves them, backfill.yaml reading, and the analysis
// helpers lint relies on (proven types, metric recoverability, '??' mapping, lineage).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/analysis.h"
#include "project/project.h"
#include "syntax/syntax.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;

// A throwaway repository: <tmp>/repo with sql/ and bigquery_etl/schema/.
class SchemaTags : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("shredmit_schema_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    write("bigquery_etl/schema/shared.yaml", R"(fields:
- name: country
  type: STRING
  mode: NULLABLE
  description: Country code.
- name: build
  type: RECORD
  mode: NULLABLE
  description: Build information.
  fields:
  - name: version
    type: STRING
    mode: NULLABLE
    description: Version string.
  - name: channel
    type: STRING
    mode: NULLABLE
    description: Release channel.
  - name: vendor
    type: STRING
    mode: NULLABLE
    description: Vendor.
)");
    write("sql/p/d/source_v1/schema.yaml", R"(fields:
- name: dau
  type: INTEGER
  mode: NULLABLE
  description: Daily active users.
)");
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) {
    fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  project::Schema load(const std::string& text) {
    write("sql/p/d/t_v1/schema.yaml", text);
    return project::load_schema(root_ / "sql/p/d/t_v1/schema.yaml",
                                project::SqlTree::from_sql_dir(root_ / "sql"));
  }

  fs::path root_;
};

TEST_F(SchemaTags, IncludeFieldDescriptionJoinsAppendAndPrependWithNewlines) {
  auto s = load(R"(fields:
- name: country
  type: STRING
  description: !include-field-description
    file: /bigquery_etl/schema/shared.yaml
    field: country
    append: Since 2024.
- name: version
  type: STRING
  description: !include-field-description
    file: bigquery_etl/schema/shared.yaml
    field: build.version
    prepend: 'Note:'
- name: dau
  type: INTEGER
  description: !include-field-description
    table: p.d.source_v1
    field: dau
)");
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_EQ(s.fields[0].description, "Country code.\nSince 2024.");
  EXPECT_EQ(s.fields[1].description, "Note:\nVersion string.");
  EXPECT_EQ(s.fields[2].description, "Daily active users.");
  EXPECT_FALSE(s.fields[0].included);
}

TEST_F(SchemaTags, IncludeFieldCopiesAndModifiesAField) {
  auto s = load(R"(fields:
- !include-field
  file: bigquery_etl/schema/shared.yaml
  field: build
  new_name: app_build
  new_mode: REPEATED
  append_fields:
  - name: architecture
    type: STRING
    description: CPU architecture.
- !include-field
  file: bigquery_etl/schema/shared.yaml
  field: build
  new_fields:
  - name: only
    type: STRING
)");
  ASSERT_EQ(s.fields.size(), 2u);
  const auto& f = s.fields[0];
  EXPECT_EQ(f.name, "app_build");
  EXPECT_EQ(f.type, "RECORD");
  EXPECT_EQ(f.mode, "REPEATED");
  EXPECT_EQ(f.description, "Build information.");
  EXPECT_TRUE(f.included);
  EXPECT_EQ(f.line, 2);  // the tag's position
  ASSERT_EQ(f.fields.size(), 4u);
  EXPECT_EQ(f.fields[3].name, "architecture");
  EXPECT_FALSE(f.fields[3].included);
  EXPECT_EQ(f.fields[3].line, 8);
  ASSERT_EQ(s.fields[1].fields.size(), 1u);
  EXPECT_FALSE(s.fields[1].fields[0].description.has_value());
}

TEST_F(SchemaTags, IncludeFieldsSelectsExcludesAndReplaces) {
  auto s = load(R"(fields: !flatten-lists
- - name: first
    type: STRING
    description: Written here.
- !include-fields
  file: bigquery_etl/schema/shared.yaml
  parent_field: build
  field_names: [vendor, version]
- !include-fields
  file: bigquery_etl/schema/shared.yaml
  parent_field: build
  exclude_field_names: version
  field_replacements:
  - name: channel
    type: STRING
    description: Replaced.
)");
  std::vector<std::string> names;
  for (const auto& f : s.fields) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"first", "vendor", "version", "channel", "vendor"}));
  EXPECT_EQ(s.fields[3].description, "Replaced.");
  EXPECT_FALSE(s.fields[3].included);
  EXPECT_TRUE(s.fields[4].included);
}

TEST_F(SchemaTags, UnresolvableIncludesNameTheTagAndTheTarget) {
  auto expect_error = [&](const std::string& text, int line, int column, const std::string& part) {
    try {
      load(text);
      ADD_FAILURE() << "no error for " << text;
    } catch (const base::Error& e) {
      EXPECT_EQ(e.line(), line) << e.format();
      EXPECT_EQ(e.column(), column) << e.format();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.format();
      EXPECT_NE(e.file.find("t_v1/schema.yaml"), std::string::npos);
    }
  };
  expect_error(R"(fields:
- name: x
  type: STRING
  description: !include-field-description
    file: bigquery_etl/schema/missing.yaml
    field: x
)",
               4, 16, "missing.yaml: file not found");
  expect_error(R"(fields:
- !include-field
  file: bigquery_etl/schema/shared.yaml
  field: build.nope
)",
               2, 3, "has no field 'build.nope'");
  expect_error(R"(fields:
- !include-fields
  table: p.d.absent_v1
)",
               2, 3, "absent_v1/schema.yaml: file not found");
  expect_error(R"(fields:
- !include-fields
  file: bigquery_etl/schema/shared.yaml
  field_names: [country, planet]
)",
               2, 3, "no field 'planet'");
  expect_error(R"(fields:
- !include-everything
  file: x
)",
               2, 3, "unknown YAML tag !include-everything");
}

TEST_F(SchemaTags, BackfillEntriesKeepPositions) {
  write("sql/p/d/t_v1/backfill.yaml", R"(2024-06-01:
  start_date: 2024-05-01
  end_date: 2024-05-31
  excluded_dates:
  - 2024-05-10
  reason: Why.
  watchers:
  - a@example.com
  status: Initiate
  shredder_mitigation: true
)");
  auto b = project::load_backfill(root_ / "sql/p/d/t_v1/backfill.yaml");
  ASSERT_EQ(b.entries.size(), 1u);
  const auto& e = b.entries[0];
  EXPECT_EQ(e.entry_date.text, "2024-06-01");
  EXPECT_EQ(e.start_date.key.line, 2);
  EXPECT_EQ(e.start_date.value.column, 15);
  ASSERT_EQ(e.excluded_date_items.size(), 1u);
  EXPECT_EQ(e.excluded_date_items[0].value.line, 5);
  EXPECT_TRUE(e.mitigation);
  EXPECT_EQ(e.status.text, "Initiate");
  write("sql/p/d/t_v1/backfill.yaml", "- not a mapping\n");
  EXPECT_THROW(project::load_backfill(root_ / "sql/p/d/t_v1/backfill.yaml"), base::Error);
}

TEST_F(SchemaTags, HostileYamlIsAnErrorNotACrash) {
  // 100,000 nested flow sequences, and an alias bomb of 10^9 nodes.
  write("sql/p/d/t_v1/metadata.yaml", std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_THROW(project::load_metadata(root_ / "sql/p/d/t_v1/metadata.yaml"), base::Error);
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + std::string(1, c) + " [*" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + "]\n";
  }
  write("sql/p/d/t_v1/metadata.yaml", bomb);
  EXPECT_THROW(project::load_metadata(root_ / "sql/p/d/t_v1/metadata.yaml"), base::Error);
}

std::unique_ptr<syntax::Query> query(const std::string& sql) { return syntax::parse_query(sql); }

const syntax::Expr& item(const syntax::Query& q, size_t i) {
  return *analysis::final_select(q).items[i].expr;
}

TEST(AnalysisForLint, ProvenTypes) {
  auto q = query(
      "SELECT COUNT(*), CAST(x AS FLOAT64), IF(c, 1, 2.5), IF(c, 1, y), SUM(x), 'a' || b, "
      "IFNULL(x, 'n'), x > 1, @submission_date, CASE WHEN c THEN 1 ELSE NULL END FROM t");
  using analysis::Type;
  std::vector<Type> expected = {Type::kInt64,   Type::kFloat64, Type::kFloat64, Type::kUnknown,
                                Type::kUnknown, Type::kUnknown, Type::kUnknown, Type::kBool,
                                Type::kUnknown, Type::kInt64};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(analysis::proven_type(item(*q, i)), expected[i]) << syntax::print(item(*q, i));
  }
}

// The kind of each select item of `sql`'s final SELECT.
std::vector<analysis::MetricKindInfo> kinds(const std::string& sql, bool declared_signed = false) {
  auto q = query(sql);
  analysis::Lineage lineage(*q);
  std::vector<analysis::MetricKindInfo> out;
  for (const auto& item : analysis::final_select(*q).items) {
    out.push_back(analysis::metric_kind(*item.expr, lineage, declared_signed));
  }
  return out;
}

TEST(MetricKinds, CountsAndRecoverableExpressions) {
  std::string sql =
      "SELECT SUM(a), COUNT(*), COUNTIF(b), SUM(a) + SUM(b), -SUM(a), 2 * SUM(a), SUM(a) / 100, "
      "IFNULL(SUM(a), 0), CAST(SUM(a) AS FLOAT64), COALESCE(COUNT(x), 0), COUNT(DISTINCT c) "
      "FROM t";
  auto found = kinds(sql);
  ASSERT_EQ(found.size(), 11u);
  for (size_t i = 0; i < found.size(); ++i) {
    EXPECT_EQ(found[i].kind, analysis::MetricKind::kCount) << i << ": " << found[i].reason;
  }
  // Only COUNT(DISTINCT ...) is flagged as distinct.
  EXPECT_TRUE(found[10].distinct);
  EXPECT_FALSE(found[1].distinct);
  // Counts are proven never negative; a SUM of an unknown column is assumed to be one.
  EXPECT_TRUE(found[1].non_negative);
  EXPECT_EQ(found[1].reason, "a count of rows");
  EXPECT_FALSE(found[0].non_negative);
  EXPECT_EQ(found[0].reason, "not proven never negative; assumed to be a count");
  EXPECT_FALSE(found[4].non_negative);  // -SUM(a)
  // Declared signed: the recoverable ones become signed.
  for (const auto& k : kinds(sql, true)) EXPECT_EQ(k.kind, analysis::MetricKind::kSigned);
}

TEST(MetricKinds, NotRecoverableWithTheReason) {
  auto found = kinds(
      "SELECT AVG(a), MIN(a), SUM(DISTINCT a), SUM(a) / COUNT(*), SUM(a) * SUM(b), "
      "APPROX_QUANTILES(a, 100)[OFFSET(50)], ROUND(AVG(a), 2), IFNULL(SUM(a), 1), SUM(a) + 1, "
      "HLL_COUNT.MERGE(s), SUM(a) * b, SAFE_DIVIDE(SUM(a), COUNT(*)), MAX(a), "
      "APPROX_COUNT_DISTINCT(a), SUM(SUM(a)) OVER () FROM t");
  std::vector<std::string> reasons = {"AVG is not",
                                      "MIN is not",
                                      "SUM(DISTINCT",
                                      "ratio of aggregates",
                                      "product",
                                      "APPROX_QUANTILES is not",
                                      "AVG is not",
                                      "non-zero constant",
                                      "per-group constant",
                                      "HLL_COUNT.MERGE is not",
                                      "not a constant",
                                      "ratio of aggregates",
                                      "MAX is not",
                                      "APPROX_COUNT_DISTINCT is not",
                                      "window function SUM over aggregates"};
  ASSERT_EQ(found.size(), reasons.size());
  for (size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_EQ(found[i].kind, analysis::MetricKind::kNotRecoverable) << reasons[i];
    EXPECT_NE(found[i].reason.find(reasons[i]), std::string::npos) << found[i].reason;
  }
  // Declaring one signed does not make it recoverable.
  EXPECT_EQ(kinds("SELECT AVG(a) FROM t", true)[0].kind, analysis::MetricKind::kNotRecoverable);
}

TEST(MetricKinds, FollowedThroughWithQueriesAndSubqueries) {
  auto found = kinds(
      "WITH per_client AS (SELECT client_id, COUNT(*) AS pings, CAST(LOGICAL_OR(x) AS INT64) "
      "AS active, SUM(v) AS total FROM t GROUP BY client_id), "
      "running AS (SELECT d, SUM(v) OVER (ORDER BY d) AS so_far, "
      "SUM(v) OVER (PARTITION BY client_id) AS client_total FROM t) "
      "SELECT SUM(pings), SUM(active), SUM(IF(active > 0, 1, 0)), SUM(total), "
      "SUM(p.pings) + SUM(p.active), "
      "(SELECT 1) AS ignored FROM per_client AS p");
  EXPECT_TRUE(found[0].non_negative);  // a count from a WITH query
  EXPECT_EQ(found[0].reason, "a sum of values that are never negative");
  EXPECT_TRUE(found[1].non_negative);   // CAST(bool AS INT64)
  EXPECT_TRUE(found[2].non_negative);   // IF(c, 1, 0)
  EXPECT_FALSE(found[3].non_negative);  // SUM of an unknown upstream column
  EXPECT_TRUE(found[4].non_negative);   // qualified references
  // A window aggregate over other clients' rows is not recoverable; one partitioned by
  // client_id is (deletion removes whole partitions).
  auto windows = kinds(
      "WITH running AS (SELECT d, SUM(v) OVER (ORDER BY d) AS so_far, "
      "SUM(v) OVER (PARTITION BY client_id) AS client_total FROM t) "
      "SELECT SUM(so_far), SUM(client_total) FROM running");
  EXPECT_EQ(windows[0].kind, analysis::MetricKind::kNotRecoverable);
  EXPECT_NE(windows[0].reason.find("window aggregate"), std::string::npos) << windows[0].reason;
  EXPECT_EQ(windows[1].kind, analysis::MetricKind::kCount);
}

TEST(AnalysisForLint, NullPlaceholderMappings) {
  auto q = query(
      "SELECT IFNULL(c, '??'), COALESCE(a, b, '??'), IF(c IS NULL, '??', c), "
      "IF(c IS NOT NULL, c, '??'), CASE WHEN c IS NULL THEN '??' ELSE c END, (IFNULL(c, '??')), "
      "IFNULL(c, '?'), c, IF(c IS NULL, c, '??') FROM t");
  std::vector<bool> expected = {true, true, true, true, true, true, false, false, false};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(analysis::maps_null_to_placeholder(item(*q, i)), expected[i])
        << syntax::print(item(*q, i));
  }
}

TEST(AnalysisForLint, LineageFollowsWithQueriesSubqueriesAndStars) {
  auto q = query(R"(
WITH base AS (SELECT IFNULL(country, '??') AS country, os, x FROM t),
starred AS (SELECT * EXCEPT (x), x * 2 AS x FROM base)
SELECT s.country, os, x, y FROM starred AS s CROSS JOIN (SELECT 1 AS y))");
  analysis::Lineage l(*q);
  EXPECT_EQ(l.definition("country"), "ifnull(country, '??')");
  EXPECT_EQ(l.definition("os"), "os");
  EXPECT_EQ(l.definition("x"), "x * 2");
  EXPECT_EQ(l.definition("y"), "1");
  EXPECT_EQ(l.definition("missing"), "");
  ASSERT_EQ(l.chain("country").size(), 2u);  // s.country, then base's IFNULL through *
  EXPECT_TRUE(analysis::maps_null_to_placeholder(*l.chain("country").back()));

  // The same definitions written differently compare equal; a changed one does not.
  auto direct = query("SELECT IFNULL(country, '??') AS country, os FROM t");
  analysis::Lineage d(*direct);
  EXPECT_EQ(d.definition("country"), l.definition("country"));
  auto changed = query(
      "WITH b AS (SELECT COALESCE(country, '??') AS country FROM t) "
      "SELECT country FROM b");
  EXPECT_NE(analysis::Lineage(*changed).definition("country"), l.definition("country"));
  // BigQuery names are case-insensitive: only the letter case changed, so the definition did not.
  auto recased = query(
      "WITH Base AS (SELECT IFNULL(Country, '??') AS COUNTRY, OS FROM T) SELECT country, os "
      "FROM base");
  EXPECT_EQ(analysis::Lineage(*recased).definition("country"), l.definition("country"));
  // String literals keep their case.
  auto literal = query("SELECT IFNULL(country, '??') AS country, 'US' AS c2 FROM t");
  auto lower = query("SELECT IFNULL(country, '??') AS country, 'us' AS c2 FROM t");
  EXPECT_NE(analysis::Lineage(*literal).definition("c2"),
            analysis::Lineage(*lower).definition("c2"));
}

TEST(AnalysisForLint, OutputColumnsOnlyWhenKnownFromTheText) {
  auto named = analysis::output_columns(*query("SELECT a, t.b, c + 1 AS d FROM t"));
  ASSERT_TRUE(named.has_value());
  ASSERT_EQ(named->size(), 3u);
  EXPECT_EQ((*named)[1].name, "b");
  EXPECT_EQ((*named)[2].name, "d");
  EXPECT_FALSE(analysis::output_columns(*query("SELECT *, a FROM t")).has_value());
  EXPECT_FALSE(analysis::output_columns(*query("SELECT a + 1 FROM t")).has_value());
  auto set = analysis::output_columns(*query("SELECT a, b FROM t UNION ALL SELECT c, d FROM u"));
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ((*set)[0].name, "a");
  EXPECT_FALSE(analysis::output_columns(*query("SELECT a FROM t UNION ALL BY NAME SELECT a FROM u"))
                   .has_value());
  // `*` over a WITH query whose columns are written out is known from the text.
  auto star_query =
      query("WITH base AS (SELECT a, b AS B2, c FROM t) SELECT * EXCEPT (c) FROM base");
  auto starred = analysis::output_columns(*star_query);
  ASSERT_TRUE(starred.has_value());
  ASSERT_EQ(starred->size(), 2u);
  EXPECT_EQ((*starred)[1].name, "B2");
  EXPECT_EQ(syntax::print(*(*starred)[1].expr), "b");
}

}  // namespace
}  // namespace shredmit
