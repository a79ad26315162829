// GoogleSQL's reference implementation behind engine::analyze: catalogs, parameters, temporary
// functions, located refusals in BigQuery's wording, and the server's lifetime.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace shredmit::engine {
namespace {

using analysis::Type;

engine::Type array_of(engine::Type t) {
  engine::Type a = scalar(Type::kArray);
  a.element.push_back(std::move(t));
  return a;
}

Catalog events_catalog() {
  engine::Type attribution = scalar(Type::kStruct);
  attribution.fields = {{"source", scalar(Type::kString)}, {"medium", scalar(Type::kString)}};
  return Catalog{{Table{"moz-fx-data-shared-prod.telemetry.events",
                        {{"submission_timestamp", scalar(Type::kTimestamp)},
                         {"submission_date", scalar(Type::kDate)},
                         {"normalized_channel", scalar(Type::kString)},
                         {"duration_ms", scalar(Type::kInt64)},
                         {"attribution", attribution},
                         {"experiments", array_of(attribution)}}}},
                 {}};
}

const std::vector<Parameter> kDate = {{"submission_date", scalar(Type::kDate)}};

TEST(Engine, AcceptsAQueryOverTheCatalogInEverySpellingOfTheTableName) {
  for (const char* from :
       {"`moz-fx-data-shared-prod.telemetry.events`", "`moz-fx-data-shared-prod`.telemetry.events",
        "telemetry.events", "`telemetry.events`"}) {
    Verdict v = analyze(std::string("SELECT submission_date, attribution.medium, "
                                    "ARRAY_LENGTH(experiments) AS n, COUNT(*) AS c FROM ") +
                            from + " WHERE submission_date = @submission_date GROUP BY 1, 2, 3",
                        events_catalog(), kDate);
    EXPECT_TRUE(v.accepted()) << from << ": " << v.message;
  }
}

TEST(Engine, RefusesATimestampComparedWithADateParameterAtItsLocation) {
  Verdict v = analyze(
      "SELECT COUNT(*) AS n\nFROM telemetry.events\nWHERE submission_timestamp = "
      "@submission_date",
      events_catalog(), kDate);
  ASSERT_FALSE(v.accepted());
  EXPECT_NE(v.message.find("No matching signature for operator = for argument types: "
                           "TIMESTAMP, DATE"),
            std::string::npos)
      << v.message;
  EXPECT_EQ(v.at.line, 3);
  EXPECT_EQ(v.at.column, 7);
}

TEST(Engine, RefusesUnknownNamesAndUndeclaredParameters) {
  Verdict column = analyze("SELECT missing FROM telemetry.events", events_catalog(), {});
  ASSERT_FALSE(column.accepted());
  EXPECT_NE(column.message.find("Unrecognized name: missing"), std::string::npos) << column.message;
  Verdict table = analyze("SELECT 1 FROM telemetry.nothing", events_catalog(), {});
  ASSERT_FALSE(table.accepted());
  EXPECT_NE(table.message.find("Table not found"), std::string::npos) << table.message;
  Verdict parameter = analyze("SELECT @other_date AS d", events_catalog(), kDate);
  ASSERT_FALSE(parameter.accepted());
  EXPECT_NE(parameter.message.find("other_date"), std::string::npos) << parameter.message;
}

TEST(Engine, DefinesTemporaryFunctionsForTheStatementsAfterThem) {
  std::string sql =
      "CREATE TEMP FUNCTION normalize_channel(channel STRING) AS (\n"
      "  IF(channel IN ('release', 'beta'), channel, 'other')\n);\n"
      "CREATE TEMP FUNCTION twice(x ANY TYPE) AS (x * 2);\n"
      "SELECT normalize_channel(normalized_channel) AS channel, twice(SUM(duration_ms)) AS d\n"
      "FROM telemetry.events GROUP BY channel";
  Verdict v = analyze(sql, events_catalog(), {});
  EXPECT_TRUE(v.accepted()) << v.message << " at " << v.at.line << ":" << v.at.column;
  // A call with the wrong argument type is refused where it is written, in the whole text.
  Verdict wrong = analyze(
      "CREATE TEMP FUNCTION normalize_channel(channel STRING) AS (channel);\n"
      "SELECT normalize_channel(duration_ms) AS c FROM telemetry.events",
      events_catalog(), {});
  ASSERT_FALSE(wrong.accepted());
  EXPECT_EQ(wrong.at.line, 2) << wrong.message;
  // Without its definition the function does not exist.
  Verdict alone = analyze("SELECT normalize_channel(normalized_channel) AS c FROM telemetry.events",
                          events_catalog(), {});
  ASSERT_FALSE(alone.accepted());
  EXPECT_NE(alone.message.find("Function not found: normalize_channel"), std::string::npos)
      << alone.message;
}

TEST(Engine, KeepsAJavaScriptFunctionsDeclaredSignature) {
  std::string sql =
      "CREATE TEMP FUNCTION ua(input STRING) RETURNS STRING LANGUAGE js AS \"\"\"return "
      "input;\"\"\";\n"
      "SELECT ua(normalized_channel) AS a, COUNT(*) AS n FROM telemetry.events GROUP BY a";
  Verdict v = analyze(sql, events_catalog(), {});
  EXPECT_TRUE(v.accepted()) << v.message;
}

TEST(Engine, SchemaFieldsBecomeStructsAndArrays) {
  project::Schema schema;
  project::SchemaField record{"attribution", "RECORD", "NULLABLE", "d", {}, 1, 1, false};
  record.fields.push_back({"source", "STRING", "NULLABLE", "d", {}, 2, 3, false});
  project::SchemaField repeated{"counts", "INTEGER", "REPEATED", "d", {}, 3, 1, false};
  project::SchemaField empty{"nothing", "RECORD", "NULLABLE", "d", {}, 4, 1, false};
  project::SchemaField odd{"odd", "NOT_A_TYPE", "NULLABLE", "d", {}, 5, 1, false};
  schema.fields = {record, repeated, empty, odd};
  std::vector<std::string> dropped;
  auto columns = columns_from_schema(schema, &dropped);
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns[0].type.sql(), "STRUCT<source STRING>");
  EXPECT_EQ(columns[1].type.sql(), "ARRAY<INT64>");
  EXPECT_EQ(dropped, (std::vector<std::string>{"nothing", "odd"}));
  Verdict v = analyze("SELECT attribution.source, counts[SAFE_OFFSET(0)] AS c FROM d.t",
                      Catalog{{Table{"p.d.t", columns}}, {}}, {});
  EXPECT_TRUE(v.accepted()) << v.message;
}

TEST(Engine, EvaluatesWithBigQuerySemantics) {
  Catalog catalog = events_catalog();
  auto v = [](const char* t) { return Value::of(t); };
  std::map<std::string, std::vector<std::vector<Value>>> rows = {
      {"moz-fx-data-shared-prod.telemetry.events",
       {{v("2024-06-01 10:00:00"), v("2024-06-01"), v("release"), v("7"),
         Value::list({v("google"), v("organic")}), Value::list({})},
        {v("2024-06-01T23:59:59.5+00:00"), v("2024-06-01"), Value{}, v("5"), Value{},
         Value::list({Value::list({v("a"), Value{}})})},
        {v("2024-06-02 00:00:00 UTC"), v("2024-06-02"), v("beta"), v("1"), Value{},
         Value::list({})}}}};
  std::vector<Binding> day = {{{"submission_date", scalar(Type::kDate)}, v("2024-06-01")}};
  // Integer division is a FLOAT64; NULL groups are one group; a half-open TIMESTAMP range keeps
  // the day in UTC, BigQuery's default time zone (ZetaSQL's own is America/Los_Angeles); struct
  // fields and arrays are read.
  Evaluation e = evaluate(
      "SELECT IFNULL(normalized_channel, '??') AS channel, SUM(duration_ms) / 2 AS half,\n"
      "  COUNT(attribution.medium) AS attributed, SUM(ARRAY_LENGTH(experiments)) AS n,\n"
      "  MAX(submission_timestamp) AS last_seen\n"
      "FROM `moz-fx-data-shared-prod.telemetry.events`\n"
      "WHERE submission_timestamp >= TIMESTAMP(@submission_date)\n"
      "  AND submission_timestamp < TIMESTAMP(DATE_ADD(@submission_date, INTERVAL 1 DAY))\n"
      "GROUP BY channel ORDER BY channel",
      catalog, rows, day);
  ASSERT_TRUE(e.verdict.accepted()) << e.verdict.message;
  ASSERT_EQ(e.result.columns.size(), 5u);
  EXPECT_EQ(e.result.columns[1].type.sql(), "FLOAT64");
  EXPECT_EQ(e.result.columns[4].type.sql(), "TIMESTAMP");
  ASSERT_EQ(e.result.rows.size(), 2u);
  EXPECT_EQ(e.result.rows[0],
            (std::vector<Value>{v("??"), v("2.5"), v("0"), v("1"), v("2024-06-01 23:59:59.5+00")}));
  EXPECT_EQ(e.result.rows[1], (std::vector<Value>{v("release"), v("3.5"), v("1"), v("0"),
                                                  v("2024-06-01 10:00:00+00")}));
}

TEST(Engine, AnErrorCallFailsTheEvaluationWithItsMessage) {
  Evaluation e = evaluate(
      "SELECT IF(COUNT(*) > 0, ERROR('3 totals differ'), NULL) AS x\n"
      "FROM `telemetry.events`",
      events_catalog(),
      {{"moz-fx-data-shared-prod.telemetry.events",
        {{Value{}, Value{}, Value{}, Value{}, Value{}, Value::list({})}}}},
      {});
  ASSERT_FALSE(e.verdict.accepted());
  EXPECT_NE(e.verdict.message.find("3 totals differ"), std::string::npos) << e.verdict.message;
  // A temporary SQL function is evaluated; an empty table gives no rows.
  Evaluation f = evaluate(
      "CREATE TEMP FUNCTION plus_one(x INT64) AS (x + 1);\n"
      "SELECT plus_one(41) AS answer, (SELECT COUNT(*) FROM `telemetry.events`) AS n",
      events_catalog(), {}, {});
  ASSERT_TRUE(f.verdict.accepted()) << f.verdict.message;
  EXPECT_EQ(f.result.rows, (std::vector<std::vector<Value>>{{Value::of("42"), Value::of("0")}}));
}

TEST(Engine, ValuesThatDoNotFitTheirTypeNameTheirCell) {
  try {
    evaluate("SELECT 1 AS one FROM `telemetry.events`", events_catalog(),
             {{"moz-fx-data-shared-prod.telemetry.events",
               {{Value{}, Value::of("2024-13-01"), Value{}, Value{}, Value{}, Value::list({})}}}},
             {});
    FAIL() << "expected a refusal";
  } catch (const base::Error& e) {
    EXPECT_NE(e.format().find("row 1, column submission_date"), std::string::npos) << e.format();
    EXPECT_NE(e.format().find("'2024-13-01' is not a valid DATE value"), std::string::npos)
        << e.format();
  }
}

TEST(Engine, EvaluatesEverySpellingOfATableNameKeepingItsImplicitAlias) {
  std::map<std::string, std::vector<std::vector<Value>>> rows = {
      {"moz-fx-data-shared-prod.telemetry.events",
       {{Value{}, Value::of("2024-06-01"), Value::of("release"), Value::of("7"), Value{},
         Value::list({})}}}};
  for (const char* from :
       {"telemetry.events", "`telemetry.events`", "`telemetry`.events",
        "moz-fx-data-shared-prod.telemetry.events", "`moz-fx-data-shared-prod`.telemetry.events",
        "`moz-fx-data-shared-prod.telemetry.events`"}) {
    Evaluation e = evaluate(std::string("WITH t AS (SELECT 1 AS one)\n"
                                        "SELECT events.normalized_channel, one FROM ") +
                                from + ", t\nWHERE events.duration_ms > 0",
                            events_catalog(), rows, {});
    ASSERT_TRUE(e.verdict.accepted()) << from << ": " << e.verdict.message;
    EXPECT_EQ(e.result.rows,
              (std::vector<std::vector<Value>>{{Value::of("release"), Value::of("1")}}))
        << from;
  }
  // Refusals are located in the text as written, before and after a rewritten name.
  Verdict v = analyze("SELECT 1 AS one FROM telemetry.events WHERE nope > 0", events_catalog(), {});
  ASSERT_FALSE(v.accepted());
  EXPECT_EQ(v.message, "Unrecognized name: nope");
  EXPECT_EQ(v.at.column, 45);
}

TEST(Engine, NumericValuesKeepTheirDigits) {
  std::vector<Binding> n = {
      {{"n", scalar(Type::kNumeric)}, Value::of("12345678901234567890.123456789")}};
  Evaluation e = evaluate(
      "SELECT @n * 2 AS doubled, -@n AS negated, CAST('-0.000000001' AS NUMERIC) AS tiny,\n"
      "  CAST(0 AS NUMERIC) AS zero, CAST(1.5 AS NUMERIC) AS one_and_a_half",
      Catalog{}, {}, n);
  ASSERT_TRUE(e.verdict.accepted()) << e.verdict.message;
  EXPECT_EQ(e.result.rows, (std::vector<std::vector<Value>>{
                               {Value::of("24691357802469135780.246913578"),
                                Value::of("-12345678901234567890.123456789"),
                                Value::of("-0.000000001"), Value::of("0"), Value::of("1.5")}}));
  EXPECT_EQ(e.result.columns[0].type.sql(), "NUMERIC");
  try {
    evaluate("SELECT @n AS n", Catalog{}, {},
             {{{"n", scalar(Type::kNumeric)}, Value::of("0.0000000001")}});
    FAIL() << "ten fraction digits are beyond NUMERIC";
  } catch (const base::Error& e) {
    EXPECT_NE(e.format().find("is not a valid NUMERIC value"), std::string::npos) << e.format();
  }
}

TEST(Engine, BigNumericValuesKeepTheirDigits) {
  // 38 integer digits and 38 fraction digits: beyond NUMERIC and FLOAT64.
  std::string big = "12345678901234567890123456789012345678.12345678901234567890123456789012345678";
  std::vector<Binding> n = {{{"n", scalar(Type::kBigNumeric)}, Value::of(big)}};
  Evaluation e =
      evaluate("SELECT -@n AS negated, @n - @n AS zero, @n / 2 AS half", Catalog{}, {}, n);
  ASSERT_TRUE(e.verdict.accepted()) << e.verdict.message;
  EXPECT_EQ(
      e.result.rows,
      (std::vector<std::vector<Value>>{
          {Value::of("-" + big), Value::of("0"),
           Value::of(
               "6172839450617283945061728394506172839.06172839450617283945061728394506172839")}}));
  EXPECT_EQ(e.result.columns[0].type.sql(), "BIGNUMERIC");
  EXPECT_TRUE(value_error(scalar(Type::kBigNumeric), Value::of("1e5")).has_value());
  EXPECT_FALSE(value_error(scalar(Type::kBigNumeric), Value::of("-0.5")).has_value());
}

// A bigquery-etl tree in a temporary folder.
struct Tree {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("shredmit-engine-tree-" + std::to_string(getpid()));
  Tree() { std::filesystem::remove_all(root); }
  ~Tree() { std::filesystem::remove_all(root); }
  void write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
  }
  project::SqlTree sql() const { return project::SqlTree::from_sql_dir(root / "sql"); }
};

TEST(Engine, CatalogsFromTheTreeHoldItsTablesAndFunctionsAndThoseTheyCall) {
  Tree tree;
  tree.write("sql/moz-fx-data-shared-prod/telemetry_derived/sessions_v1/schema.yaml",
             "fields:\n- name: channel\n  type: STRING\n- name: n\n  type: INTEGER\n"
             "- name: tags\n  type: STRING\n  mode: REPEATED\n");
  tree.write("sql/moz-fx-data-shared-prod/udf/channel/udf.sql",
             "CREATE OR REPLACE FUNCTION udf.channel(c STRING) RETURNS STRING AS (\n"
             "  mozfun.norm.shout(c)\n);\n\n-- Tests\n"
             "SELECT mozfun.assert.equals('A!', udf.channel('a'));\n");
  tree.write("sql/mozfun/norm/shout/udf.sql",
             "CREATE OR REPLACE FUNCTION norm.shout(x STRING) AS (norm.bang(UPPER(x)));\n");
  tree.write("sql/mozfun/norm/bang/udf.sql",
             "CREATE OR REPLACE FUNCTION norm.bang(x STRING) AS (CONCAT(x, '!'));\n");
  tree.write("sql/moz-fx-data-shared-prod/udf_js/twice/udf.sql",
             "CREATE OR REPLACE FUNCTION udf_js.twice(x INT64) RETURNS INT64\n"
             "LANGUAGE js AS r\"\"\"return 2 * x;\"\"\";\n");
  std::string sql =
      "SELECT udf.channel(channel) AS a, `moz-fx-data-shared-prod`.udf.channel(channel) AS b,\n"
      "  `moz-fx-data-shared-prod.udf.channel`(channel) AS c, mozfun.norm.bang(channel) AS d,\n"
      "  ARRAY_LENGTH(tags) AS tags, NET.HOST('https://a.org/x') AS host\n"
      "FROM telemetry_derived.sessions_v1 JOIN telemetry.main USING (channel)";
  FromTree from = catalog_from_tree(sql, tree.sql(), "moz-fx-data-shared-prod");
  ASSERT_EQ(from.catalog.tables.size(), 1u);
  EXPECT_EQ(from.catalog.tables[0].name, "moz-fx-data-shared-prod.telemetry_derived.sessions_v1");
  EXPECT_EQ(from.catalog.tables[0].columns[2].type.sql(), "ARRAY<STRING>");
  EXPECT_EQ(from.unknown,
            (std::vector<std::string>{"table telemetry.main (no schema.yaml in the tree)"}));
  std::vector<std::string> names;
  for (const auto& f : from.catalog.functions) names.push_back(f.names.front());
  // The test's mozfun.assert.equals is not the body's: it is not looked for.
  EXPECT_EQ(names, (std::vector<std::string>{"moz-fx-data-shared-prod.udf.channel",
                                             "mozfun.norm.bang", "mozfun.norm.shout"}));

  // Without telemetry.main, the query runs: every spelling of the function reaches it.
  std::string one_table = sql.substr(0, sql.find(" JOIN"));
  FromTree runnable = catalog_from_tree(one_table, tree.sql(), "moz-fx-data-shared-prod");
  EXPECT_TRUE(runnable.unknown.empty());
  Evaluation e = evaluate(
      one_table, runnable.catalog,
      {{"moz-fx-data-shared-prod.telemetry_derived.sessions_v1",
        {{Value::of("beta"), Value::of("1"), Value::list({Value::of("x"), Value::of("y")})}}}},
      {});
  ASSERT_TRUE(e.verdict.accepted()) << e.verdict.message;
  EXPECT_EQ(e.result.rows, (std::vector<std::vector<Value>>{{Value::of("BETA!"), Value::of("BETA!"),
                                                             Value::of("BETA!"), Value::of("beta!"),
                                                             Value::of("2"), Value::of("a.org")}}));

  // A JavaScript function is analyzed against its signature and refused, by name, when run.
  std::string js = "SELECT udf_js.twice(n) AS t FROM telemetry_derived.sessions_v1";
  FromTree with_js = catalog_from_tree(js, tree.sql(), "moz-fx-data-shared-prod");
  ASSERT_EQ(with_js.catalog.functions.size(), 1u);
  EXPECT_TRUE(analyze(js, with_js.catalog, {}).accepted());
  Evaluation refused = evaluate(js, with_js.catalog, {}, {});
  ASSERT_FALSE(refused.verdict.accepted());
  EXPECT_NE(refused.verdict.message.find("udf_js.twice is a JavaScript function"),
            std::string::npos)
      << refused.verdict.message;
}

// Run in a process of its own by the test below (SHREDMIT_ENGINE_HELPER names the pipe to
// report on): starts the engine, reports "PID ok", and waits to be killed.
TEST(Engine, HelperStartsTheEngineAndWaits) {
  const char* fd = std::getenv("SHREDMIT_ENGINE_HELPER");
  if (fd == nullptr) GTEST_SKIP() << "run by TheServerDiesWithTheProcessThatStartedIt";
  Verdict v = analyze("SELECT 1 AS one", Catalog{}, {});
  std::string report = std::to_string(getpid()) + (v.accepted() ? " ok" : " refused");
  if (write(std::atoi(fd), report.data(), report.size()) < 0) _exit(2);
  close(std::atoi(fd));
  pause();
}

// The state letter of /proc/PID/stat, or 0 when the process is gone.
char process_state(pid_t pid) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char text[512] = {};
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  std::string s(text, n);
  size_t paren = s.rfind(')');
  return paren != std::string::npos && paren + 2 < s.size() ? s[paren + 2] : 0;
}

// The server is a child of the process that started it and dies with it, even when that process
// is killed with SIGKILL and runs no handler (PR_SET_PDEATHSIG); a SIGTERM removes its socket
// folder too.
TEST(Engine, TheServerDiesWithTheProcessThatStartedIt) {
  for (int sig : {SIGKILL, SIGTERM}) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      std::string fd = std::to_string(fds[1]);
      setenv("SHREDMIT_ENGINE_HELPER", fd.c_str(), 1);
      execl("/proc/self/exe", "shredmit_tests",
            "--gtest_filter=Engine.HelperStartsTheEngineAndWaits", nullptr);
      _exit(127);
    }
    close(fds[1]);
    char buffer[64] = {};
    ASSERT_GT(read(fds[0], buffer, sizeof buffer - 1), 0);
    close(fds[0]);
    ASSERT_NE(std::string(buffer).find(" ok"), std::string::npos) << buffer;
    std::string server;
    {
      std::string children =
          "/proc/" + std::to_string(child) + "/task/" + std::to_string(child) + "/children";
      FILE* f = fopen(children.c_str(), "r");
      ASSERT_NE(f, nullptr);
      char line[64] = {};
      if (fgets(line, sizeof line, f) != nullptr) server = line;
      fclose(f);
    }
    ASSERT_FALSE(server.empty());
    pid_t server_pid = static_cast<pid_t>(std::stol(server));
    std::string cmdline, socket_folder;
    {
      std::ifstream in("/proc/" + std::to_string(server_pid) + "/cmdline");
      std::getline(in, cmdline, '\0');
      std::getline(in, socket_folder, '\0');
    }
    EXPECT_NE(cmdline.find("remote_server"), std::string::npos) << cmdline;
    ASSERT_EQ(socket_folder.rfind("unix:", 0), 0u) << socket_folder;
    socket_folder = std::filesystem::path(socket_folder.substr(5)).parent_path();
    EXPECT_TRUE(std::filesystem::exists(socket_folder));
    kill(child, sig);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
      char state = process_state(server_pid);  // a zombie until init reaps it
      gone = state == 0 || state == 'Z';
      if (!gone) usleep(10000);
    }
    EXPECT_TRUE(gone) << "the engine server " << server_pid << " outlived its parent (signal "
                      << sig << ")";
    if (sig == SIGTERM) {
      EXPECT_FALSE(std::filesystem::exists(socket_folder)) << socket_folder;
    } else {
      std::filesystem::remove_all(socket_folder);
    }
  }
}

}  // namespace
}  // namespace shredmit::engine

namespace shredmit::engine {
namespace {

// What this engine build lacks while BigQuery has it is "not checked", never an error; the
// user's own mistakes stay refusals.
TEST(Engine, WhatThisBuildCannotCheckIsNotAnError) {
  // INTEGER is BigQuery's alias of INT64; the difference of two timestamps is an INTERVAL.
  for (const char* sql :
       {"SELECT CAST('1' AS INTEGER) AS x", "SELECT CURRENT_TIMESTAMP() - CURRENT_TIMESTAMP() AS x",
        "SELECT * FROM EXTERNAL_QUERY('c', 'SELECT 1')", "SELECT JSON_KEYS(JSON '{}') AS x"}) {
    Verdict v = analyze(sql, Catalog{}, {});
    ASSERT_FALSE(v.accepted()) << sql;
    EXPECT_TRUE(cannot_check(v)) << sql << ": " << v.message;
  }
  for (const char* sql : {"SELECT CAST('1' AS INTEGR) AS x", "SELECT 1 + 'a' AS x",
                          "SELECT CURRENT_DATE() - CURRENT_TIMESTAMP() AS x"}) {
    Verdict v = analyze(sql, Catalog{}, {});
    ASSERT_FALSE(v.accepted()) << sql;
    EXPECT_FALSE(cannot_check(v)) << sql << ": " << v.message;
  }
}

}  // namespace
}  // namespace shredmit::engine
