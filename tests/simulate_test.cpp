// shredmit simulate: the fixture's mitigation passes its checks on sample data; a previous
// version the mitigation cannot reproduce fails them; bad data is a clear error naming the file
// and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli/cli.h"
#include "report/report.h"
#include "simulation/simulation.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;

const char* kTable = "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4";
const std::string kData = "fixtures/simulate/active_users_aggregates";
const std::string kUpstream = "moz-fx-data-shared-prod.telemetry.desktop_active_users";
const std::string kPrevious =
    "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v3";

int simulate(const std::string& data, std::string* out, const char* date = "2024-06-01",
             std::vector<const char*> extra = {}) {
  std::vector<const char*> args = {"shredmit", "simulate",   kTable,   "--sql-dir", "fixtures/sql",
                                   "--data",   data.c_str(), "--date", date};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream o, e;
  int status = cli::run(static_cast<int>(args.size()), args.data(), o, e);
  *out = o.str() + e.str();
  return status;
}

// A copy of the fixture data in a temporary folder, to be broken by a test.
class BrokenData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shredmit_simulate_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& f : fs::directory_iterator(kData))
      fs::copy(f.path(), dir_ / f.path().filename());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  // Two rows of new clients (copies of c12's, in the beta group) reach the upstream table after
  // the previous version ran.
  void add_late_rows() {
    std::string upstream = read(kUpstream + ".ndjson");
    std::string c12 =
        upstream.substr(upstream.find("{\"submission_date\": \"2024-06-01\", "
                                      "\"client_id\": \"c12\""));
    c12 = c12.substr(0, c12.find('\n') + 1);
    std::string late = std::regex_replace(c12, std::regex("\"c12\""), "\"c13\"");
    write(kUpstream + ".ndjson",
          upstream + late + std::regex_replace(late, std::regex("c13"), "c14"));
  }

  // Seed 004's troubleshooting scenario 1: c11's attribution and city become unknown upstream
  // and its default-browser flag false, without a rename.
  void redefine_c11() {
    std::string upstream = read(kUpstream + ".ndjson");
    size_t at = upstream.find("\"client_id\": \"c11\"");
    std::string line = upstream.substr(at, upstream.find('\n', at) - at);
    std::string moved =
        std::regex_replace(line, std::regex(R"("attribution": \{[^}]*\}, "city": "Berlin")"),
                           R"("attribution": null, "city": null)");
    moved = std::regex_replace(moved, std::regex(R"("is_default_browser": true)"),
                               R"("is_default_browser": false)");
    ASSERT_NE(moved, line);
    upstream.replace(at, line.size(), moved);
    write(kUpstream + ".ndjson", upstream);
  }

  fs::path dir_;
};

TEST(Simulate, FixturePassesWithTotalsUnchanged) {
  std::string out;
  EXPECT_EQ(simulate(kData, &out), 0) << out;
  EXPECT_NE(out.find("new query: 7 rows; mitigated: 10 rows (3 shredded rows added)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("checks: PASS"), std::string::npos);
  // Every group's difference (mitigated minus previous) is zero: the last column of each row.
  std::istringstream lines(out);
  std::string line;
  int metric_lines = 0;
  std::regex row(
      R"(\s(daily_users|weekly_users|monthly_users|dau|wau|mau|uri_count|active_hours)\s+\S+\s+\S+\s+\S+\s+(\S+)$)");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      ++metric_lines;
      EXPECT_EQ(m[2], "0") << line;
    }
  }
  EXPECT_EQ(metric_lines, 5 * 8);  // 5 groups, 8 common metrics
  // Shredded clients are visible: the new query alone lost c02's 80 URIs in the Berlin group.
  EXPECT_NE(out.find("uri_count           233        153        233           0"),
            std::string::npos);
  // The report: 88 of the 881 URIs are compensated (c02's 80, c06's 5, c10's 3); no group lost
  // or held back; no mismatch table.
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(
uri_count\s+count\s+881\s+88\s+9\.99%\s+0\s+0
)"))) << out;
  EXPECT_EQ(out.find("mismatches found by the check"), std::string::npos);
}

TEST_F(BrokenData, DeletedClientsAndTheBackfilledRowsFromTheCommandLine) {
  // Without the previous version's data file, --deleted-clients computes it from the previous
  // query on the upstream rows before deletion.
  fs::remove(dir_ / (kPrevious + ".ndjson"));
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 2) << out;
  EXPECT_NE(out.find("give --deleted-clients FILE"), std::string::npos) << out;
  write("deleted.txt", "c03\nc07\n");
  std::string deleted = (dir_ / "deleted.txt").string(), output = (dir_ / "out.ndjson").string();
  EXPECT_EQ(simulate(dir_.string(), &out, "2024-06-01",
                     {"--deleted-clients", deleted.c_str(), "--output", output.c_str()}),
            0)
      << out;
  EXPECT_NE(out.find("rows computed by the previous version's query before deletion"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("deleted client rows: 2 moz-fx-data-shared-prod.telemetry.desktop_active_users"),
      std::string::npos)
      << out;
  EXPECT_EQ(out.find("(0 shredded rows added)"), std::string::npos) << out;
  EXPECT_NE(out.find("checks: PASS"), std::string::npos) << out;
  // The backfilled rows, one JSON object per line, BOOL and numbers unquoted.
  std::istringstream lines(read("out.ndjson"));
  size_t rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j["dau"].is_number_integer()) << line;
    EXPECT_TRUE(j["submission_date"].is_string()) << line;
  }
  EXPECT_GT(rows, 0u);
  EXPECT_NE(
      out.find("backfilled rows written to " + output + " (" + std::to_string(rows) + " rows)"),
      std::string::npos)
      << out;
}

// The validation report (--report DIR): its first line says whether totals match and, when they
// do not, where.
std::string report_of(const std::string& data, const fs::path& dir,
                      std::vector<const char*> extra = {}) {
  std::string out, where = dir.string();
  extra.push_back("--report");
  extra.push_back(where.c_str());
  simulate(data, &out, "2024-06-01", extra);
  std::ifstream in(dir / "report.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string summary_of(const std::string& markdown) {
  // The line after the title, with its wrapped continuation joined.
  std::istringstream in(markdown);
  std::string line, summary;
  std::getline(in, line);
  std::getline(in, line);
  while (std::getline(in, line) && !line.empty()) summary += (summary.empty() ? "" : " ") + line;
  return summary;
}

TEST_F(BrokenData, TheReportOfTheFixtureMatchesAnIndependentComputation) {
  std::string md = report_of(dir_.string(), dir_ / "report");
  EXPECT_EQ(summary_of(md).rfind("matches: every total per value of the 14 common dimensions "
                                 "equals the previous version's; the NULL value of 3 added "
                                 "dimensions grew by exactly the shredded amount",
                                 0),
            0u)
      << md;
  for (std::istringstream in(md); !in.eof();) {
    std::string line;
    std::getline(in, line);
    EXPECT_LE(line.size(), 100u) << line;
  }
  // The JSON's added dimension segment_dau: its NULL value grew by the shredded amount of each
  // metric, computed here from the previous table and the upstream rows: c02, c06 and c10 were
  // shredded; the previous version counted 11 daily users and the upstream has 8 of them.
  auto j = nlohmann::json::parse(read("report/report.json"));
  EXPECT_EQ(j["matches"], true);
  int previous_daily = 0;
  std::istringstream prev(read(kPrevious + ".ndjson"));
  for (std::string line; std::getline(prev, line);) {
    auto row = nlohmann::json::parse(line);
    if (row["submission_date"] == "2024-06-01") previous_daily += row["daily_users"].get<int>();
  }
  int upstream_daily = 0;
  std::istringstream up(read(kUpstream + ".ndjson"));
  for (std::string line; std::getline(up, line);) {
    auto row = nlohmann::json::parse(line);
    if (row["submission_date"] == "2024-06-01" && row["is_daily_user"] == true) ++upstream_daily;
  }
  EXPECT_EQ(previous_daily, 11);
  auto compensation = j["compensation"];
  auto daily = std::find_if(compensation.begin(), compensation.end(),
                            [](const nlohmann::json& c) { return c["metric"] == "daily_users"; });
  ASSERT_NE(daily, compensation.end());
  EXPECT_EQ((*daily)["compensated"], previous_daily - upstream_daily);
  for (const auto& d : j["dimensions"]) {
    EXPECT_TRUE(d["differing"].empty()) << d;
    EXPECT_EQ(d["verdict"], d["added"] == true ? "NULL grew by the shredded amount" : "matches");
  }
}

TEST_F(BrokenData, TheReportOfLateRowsNamesTheValueThatGrew) {
  add_late_rows();
  std::string summary = summary_of(report_of(dir_.string(), dir_ / "report"));
  EXPECT_EQ(summary.rfind("mismatch: the group ", 0), 0u) << summary;
  EXPECT_NE(summary.find("channel = `beta`"), std::string::npos) << summary;
  EXPECT_NE(summary.find("late data"), std::string::npos) << summary;
}

TEST_F(BrokenData, TheReportOfARedefinedDimensionNamesIt) {
  // As ARedefinedDimensionFailsTheChecksWhereItsGroupGrew: c11's city, attribution medium and
  // source become NULL upstream and its default-browser flag false, without a rename.
  redefine_c11();
  std::string md = report_of(dir_.string(), dir_ / "report");
  std::string summary = summary_of(md);
  // The four redefined columns are named, each at the value its rows moved into.
  EXPECT_EQ(summary.rfind("mismatch: values of ", 0), 0u) << md;
  for (const char* column :
       {"`city` (city = NULL", "`attribution_medium` (attribution_medium = NULL",
        "`attribution_source` (attribution_source = NULL",
        "`is_default_browser` (is_default_browser = `false`"}) {
    EXPECT_NE(summary.find(column), std::string::npos) << column << ": " << summary;
  }
  EXPECT_NE(summary.find("rename the column"), std::string::npos) << summary;
  // The redefined columns are the ones that moved; country, which did not change, is not.
  EXPECT_EQ(summary.find("`country`"), std::string::npos) << summary;
  EXPECT_NE(md.find("### `city`: moved"), std::string::npos) << md;
}

// The mismatch lines of simulate's output (the rows of the check's mismatch query).
std::vector<std::string> mismatch_lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t at = out.find("mismatches found by the check");
  if (at == std::string::npos) return lines;
  std::istringstream in(out.substr(at));
  std::string line;
  std::getline(in, line);  // title
  std::getline(in, line);  // header
  while (std::getline(in, line) && !line.empty()) lines.push_back(line);
  return lines;
}

TEST_F(BrokenData, ChecksFailWhenTheNewQueryHasAGroupThePreviousVersionLacks) {
  // Shredding only removes clients, so a group the previous version lacks is an upstream change
  // the mitigation leaves alone, and the check reports it as a new group.
  std::string previous = read(kPrevious + ".ndjson"), kept;
  std::istringstream lines(previous);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"Lyon\"") == std::string::npos) kept += line + "\n";
  }
  write(kPrevious + ".ndjson", kept);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 1) << out;
  EXPECT_NE(out.find("checks: FAIL: shredder mitigation check failed: 8 totals per common "
                     "dimension group and metric of the backfilled " +
                     std::string(kTable) +
                     " differ from active_users_aggregates_v3 for submission_date 2024-06-01 "
                     "(new group active_hours 1, new group daily_users 1,"),
            std::string::npos)
      << out;
  auto found = mismatch_lines(out);
  ASSERT_EQ(found.size(), 8u) << out;
  for (const auto& line : found) {
    EXPECT_NE(line.find("\"city\":\"Lyon\""), std::string::npos) << line;
    EXPECT_NE(line.find(" new group "), std::string::npos) << line;
  }
  EXPECT_NE(out.find("uri_count          NULL        210        210        NULL"),
            std::string::npos);
}

TEST_F(BrokenData, LateRowsFailTheChecksAndNameTheirGroup) {
  // Two rows of a client reach the upstream table after the previous version ran, in the beta
  // group that lost c06 to shredding: its counts grow (3 before, 2 kept + 2 late), which
  // deletion cannot explain, so the group is left uncompensated for the check to report.
  add_late_rows();
  for (const char* baseline : {"new-query", "previous-query"}) {
    std::string out;
    EXPECT_EQ(simulate(dir_.string(), &out, "2024-06-01", {"--baseline", baseline}), 1) << out;
    // Every common metric of the beta group grew (previous-query also shows the expected
    // total, the previous one plus the intended change, here none).
    auto found = mismatch_lines(out);
    ASSERT_EQ(found.size(), 8u) << out;
    for (const auto& line : found) {
      EXPECT_NE(line.find("\"channel\":\"beta\""), std::string::npos) << line;
      EXPECT_NE(line.find(" increase "), std::string::npos) << line;
    }
    std::regex row(R"(\}\s+daily_users\s+increase\s+3\s+(3\s+)?4\s+1$)");
    EXPECT_TRUE(std::regex_search(found[1], row)) << baseline << ": " << found[1];
    EXPECT_NE(out.find("checks: FAIL: shredder mitigation check failed: 8 totals"),
              std::string::npos);
    // No shredded row for the group: its counts are the new query's.
    EXPECT_NE(out.find("daily_users           3          4          4           1"),
              std::string::npos)
        << out;
  }
}

TEST_F(BrokenData, ARedefinedDimensionFailsTheChecksWhereItsGroupGrew) {
  // Seed 004's troubleshooting scenario 1: upstream definitions changed after the previous
  // version ran (c11's attribution, city and default-browser flag are now unknown or false), and
  // the columns were not renamed. c11 moves from the Berlin group into the DE group of c03 and
  // c04. The group it left shrinks like deletion; the group it joined grows, and the check names
  // it so that the column can be renamed.
  redefine_c11();
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 1) << out;
  auto found = mismatch_lines(out);
  ASSERT_EQ(found.size(), 8u) << out;
  for (const auto& line : found) {
    EXPECT_NE(line.find("\"city\":null,\"country\":\"DE\""), std::string::npos) << line;
    EXPECT_NE(line.find(" increase "), std::string::npos) << line;
  }
  EXPECT_TRUE(std::regex_search(found[1], std::regex(R"(daily_users\s+increase\s+2\s+3\s+1$)")))
      << found[1];
}

TEST_F(BrokenData, ANullPreviousTotalIsNeverTurnedIntoANumber) {
  // The previous version has no uri_count for the Lyon group; the new query counts 210. The
  // mitigation must not subtract 210 to make it 0: the check reports a NULL mismatch.
  std::string previous = read(kPrevious + ".ndjson");
  previous = std::regex_replace(previous, std::regex("\"uri_count\":210"), "\"uri_count\":null");
  previous = std::regex_replace(previous, std::regex("(\"city\":\"Lyon\".*)\"uri_count\":0,"),
                                "$1\"uri_count\":null,");
  write(kPrevious + ".ndjson", previous);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 1) << out;
  auto found = mismatch_lines(out);
  ASSERT_EQ(found.size(), 1u) << out;
  EXPECT_TRUE(std::regex_search(
      found[0],
      std::regex("\"city\":\"Lyon\".*uri_count\\s+null mismatch\\s+NULL\\s+210\\s+NULL$")))
      << found[0];
}

TEST_F(BrokenData, ANegativeShreddedAmountNeedsASignedMetric) {
  // The previous total of the Lyon group is below the new one. A count cannot grow by deletion,
  // so by default the check reports it; declared signed, the shredded row carries -10.
  std::string previous = read(kPrevious + ".ndjson");
  previous = std::regex_replace(previous, std::regex("\"uri_count\":210"), "\"uri_count\":200");
  write(kPrevious + ".ndjson", previous);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 1) << out;
  auto found = mismatch_lines(out);
  ASSERT_EQ(found.size(), 1u) << out;
  EXPECT_NE(found[0].find("uri_count  increase       200         210          10"),
            std::string::npos)
      << found[0];
  EXPECT_EQ(simulate(dir_.string(), &out, "2024-06-01", {"--signed-metric", "uri_count"}), 0)
      << out;
  EXPECT_NE(out.find("uri_count           200        210        200           0"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("uri_count      signed"), std::string::npos) << out;
}

TEST_F(BrokenData, TheChecksReadTheStagingTable) {
  std::string staging =
      "moz-fx-data-shared-prod.backfills_staging_derived.firefox_desktop_derived__active_users_"
      "aggregates_v4_2024_11_12";
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out, "2024-06-01", {"--staging-table", staging.c_str()}), 0)
      << out;
  EXPECT_NE(out.find("checks: PASS"), std::string::npos);
  // A data file for the staging table would hide what the mitigation query writes.
  write(staging + ".ndjson", "");
  fs::copy_file(
      "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4/"
      "schema.yaml",
      dir_ / (staging + ".schema.yaml"));
  EXPECT_EQ(simulate(dir_.string(), &out, "2024-06-01", {"--staging-table", staging.c_str()}), 2);
  EXPECT_NE(out.find("the staging table has a data file in --data"), std::string::npos) << out;
}

TEST_F(BrokenData, AValueThatDoesNotFitItsTypeNamesFileAndLine) {
  std::string upstream = read(kUpstream + ".ndjson");
  size_t third = upstream.find('\n', upstream.find('\n') + 1) + 1;
  size_t at = upstream.find("\"uri_count\":", third);
  upstream.replace(at, upstream.find(',', at) - at, "\"uri_count\":\"many\"");
  write(kUpstream + ".ndjson", upstream);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find(kUpstream + ".ndjson:3:1: error: column 'uri_count' is INT64 but the value "
                                 "is \"many\""),
            std::string::npos)
      << out;
}

TEST_F(BrokenData, UnknownColumnsAndNonObjectLinesAreErrors) {
  write(kUpstream + ".ndjson", read(kUpstream + ".ndjson") + "{\"planet\": \"Mars\"}\n");
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find(":11:1: error: column 'planet' is not in"), std::string::npos) << out;
  write(kUpstream + ".ndjson", "[1, 2]\n");
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find(":1:1: error: each line must be a JSON object"), std::string::npos) << out;
}

TEST_F(BrokenData, MissingFilesAreNamed) {
  // A data file's schema comes from beside it, else from the table's folder in the tree (the
  // fixture's upstream and previous version have theirs there); without either it is an error.
  std::string other = "moz-fx-data-shared-prod.telemetry.other_table";
  write(other + ".ndjson", "{}\n");
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find(other + ".schema.yaml: error: file not found; every NAME.ndjson needs "
                             "NAME.schema.yaml beside it"),
            std::string::npos)
      << out;
  fs::remove(dir_ / (other + ".ndjson"));
  fs::remove(dir_ / (kUpstream + ".ndjson"));
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find("active_users_aggregates_v4/query.sql:34:5: error: table " + kUpstream +
                     " has no data file"),
            std::string::npos)
      << out;
}

TEST(Simulate, BadDateIsAUsageError) {
  std::string out;
  EXPECT_EQ(simulate(kData, &out, "June 1st"), 2);
  EXPECT_NE(out.find("--date takes YYYY-MM-DD"), std::string::npos) << out;
}

}  // namespace
}  // namespace shredmit

namespace shredmit {
namespace {

namespace fs = std::filesystem;

// Each query shape of fixtures/shapes simulated from sample upstream rows alone: the previous
// version's table is computed by its query before a deleted-clients list is applied, then the
// mitigation runs on what is left. Its checks pass; a late client makes them fail.
class ShapeOnData : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shredmit_shape_" + std::string(GetParam()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const char* channels[] = {"\"release\"", "\"beta\"", "null"};
    const char* countries[] = {"\"DE\"", "\"US\"", "\"??\""};
    const char* os[] = {"\"Windows\"", "\"Linux\""};
    for (const char* table : {"events", "mobile_events"}) {
      std::string name = "moz-fx-data-shared-prod.telemetry." + std::string(table);
      fs::copy("tests/data/upstream/moz-fx-data-shared-prod.telemetry.events.schema.yaml",
               dir_ / (name + ".schema.yaml"));
      std::ofstream rows(dir_ / (name + ".ndjson"));
      for (int c = 0; c < 24; ++c) {
        for (const char* date : {"2024-06-01", "2024-06-02"}) {
          rows << row(date, "c" + std::to_string(c), channels[c % 3], countries[(c / 3) % 3],
                      os[c % 2], 100 * c + 1)
               << "\n";
        }
      }
    }
    // Shredder deleted five clients, spread over the groups.
    std::ofstream(dir_ / "deleted.txt") << "# deleted by shredder\nc1\nc5\nc9\nc14\n\nc22\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string row(const std::string& date, const std::string& client, const char* channel,
                         const char* country, const char* os, int duration) {
    return "{\"submission_date\": \"" + date + "\", \"submission_timestamp\": \"" + date +
           " 10:00:00\", \"client_id\": \"" + client + "\", \"normalized_channel\": " + channel +
           ", \"country\": " + country + ", \"os\": " + os +
           ", \"duration_ms\": " + std::to_string(duration) + "}";
  }

  simulation::Result simulate() {
    simulation::Options o{project::SqlTree::from_sql_dir("fixtures/shapes/sql"),
                          project::TableId::parse(std::string("moz-fx-data-shared-prod.shapes.") +
                                                  GetParam() + "_v2"),
                          dir_,
                          "2024-06-01",
                          {},
                          dir_ / "deleted.txt",
                          ""};
    // The union_all shape's new version adds a branch on purpose: the intended change is kept
    // by the previous-query baseline (seed 004).
    if (previous_query()) o.mitigation.baseline = mitigation::Baseline::kPreviousQuery;
    return simulation::simulate(o);
  }

  static bool previous_query() { return std::string(GetParam()) == "union_all"; }

  fs::path dir_;
};

TEST_P(ShapeOnData, ThePreviousTableIsComputedAndTheChecksPass) {
  simulation::Result r = simulate();
  EXPECT_TRUE(r.previous_computed);
  EXPECT_EQ(r.previous_rows_computed > 0, true);
  // Each deleted client had one row per date in each upstream table.
  EXPECT_EQ(r.deleted_rows.at("moz-fx-data-shared-prod.telemetry.events"), 10u);
  EXPECT_TRUE(r.passed()) << simulation::format(r);
  EXPECT_GT(r.mitigated_rows, r.new_query_rows) << "shredded rows were added";
  // Totals per common group equal the previous version's (with the previous-query baseline,
  // the previous ones plus the intended change).
  if (previous_query()) return;
  for (const auto& g : r.groups) {
    for (const auto& m : g.metrics) EXPECT_EQ(m[0], m[2]);
  }
}

TEST_P(ShapeOnData, LateRowsFailTheChecks) {
  // The previous version as its query computed it before the deletion; then a late client's
  // rows reach the upstream table.
  simulation::Result clean = simulate();
  ASSERT_TRUE(clean.passed()) << simulation::format(clean);
  std::string name = "moz-fx-data-shared-prod.shapes." + std::string(GetParam()) + "_v1";
  std::ofstream(dir_ / (name + ".ndjson")) << simulation::to_ndjson(clean.previous_table);
  std::ofstream(dir_ / "moz-fx-data-shared-prod.telemetry.events.ndjson", std::ios::app)
      << row("2024-06-01", "late", "\"release\"", "\"DE\"", "\"Windows\"", 5) << "\n"
      << row("2024-06-01", "late", "\"release\"", "\"DE\"", "\"Linux\"", 5) << "\n";
  simulation::Result late = simulate();
  EXPECT_FALSE(late.previous_computed) << "the previous table's data file is used";
  // Also with the previous-query baseline: its re-run counts more rows than the previous
  // version did, which deletion cannot explain.
  EXPECT_FALSE(late.passed()) << simulation::format(late);
  ASSERT_FALSE(late.check_failures.empty());
  EXPECT_NE(late.check_failures[0].find("increase event_count"), std::string::npos)
      << late.check_failures[0];
}

INSTANTIATE_TEST_SUITE_P(Shapes, ShapeOnData,
                         ::testing::Values("placeholder", "projection", "star_except",
                                           "temp_function", "timestamp_partition", "union_all",
                                           "jinja_template"));

}  // namespace
}  // namespace shredmit

namespace shredmit {
namespace {

namespace fs = std::filesystem;

// `shredmit report --results DIR` reads what the backfill script saves (`bq query
// --format=json`: every value a string, or null) and renders the report simulate renders.
TEST(Report, FromBqJsonFilesAsFromTheEngine) {
  simulation::Options o{project::SqlTree::from_sql_dir("fixtures/sql"),
                        project::TableId::parse(kTable),
                        kData,
                        "2024-06-01",
                        {},
                        {},
                        ""};
  simulation::Result r = simulation::simulate(o);
  fs::path dir = fs::temp_directory_path() / ("shredmit_report_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, rows] : r.validation) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& row : rows.rows) {
      nlohmann::json object = nlohmann::json::object();
      for (size_t i = 0; i < row.size(); ++i) {
        object[rows.columns[i].name] =
            row[i].null ? nlohmann::json(nullptr) : nlohmann::json(row[i].text);
      }
      j.push_back(object);
    }
    std::ofstream(dir / (name + ".json")) << j.dump();
  }
  report::Results results(r.validation.begin(), r.validation.end());
  std::string expected = report::markdown(report::build(results, kTable));
  std::string table = kTable, results_dir = dir.string();
  std::vector<const char*> args = {"shredmit",          "report",  "--results",
                                   results_dir.c_str(), "--table", table.c_str()};
  std::ostringstream out, err;
  EXPECT_EQ(cli::run(static_cast<int>(args.size()), args.data(), out, err), 0) << err.str();
  EXPECT_EQ(out.str(), expected);
  // A file that is not bq's JSON is a usage error naming it, not "the totals differ".
  std::ofstream(dir / "row_differences.json") << "{\"previous_only\": 1}";
  std::ostringstream out2, err2;
  EXPECT_EQ(cli::run(static_cast<int>(args.size()), args.data(), out2, err2), 2);
  EXPECT_NE(err2.str().find("row_differences.json: error: is not a JSON array of rows"),
            std::string::npos)
      << err2.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shredmit
