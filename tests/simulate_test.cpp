// shredmit simulate: the fixture's mitigation passes its checks on sample data; a previous
// version the mitigation cannot reproduce fails them; bad data is a clear error naming the file
// and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;

const char* kTable = "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4";
const std::string kData = "fixtures/simulate/active_users_aggregates";
const std::string kUpstream = "moz-fx-data-shared-prod.telemetry.desktop_active_users";
const std::string kPrevious =
    "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v3";

int simulate(const std::string& data, std::string* out, const char* date = "2024-06-01") {
  std::vector<const char*> args = {"shredmit", "simulate",   kTable,   "--sql-dir", "fixtures/sql",
                                   "--data",   data.c_str(), "--date", date};
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
}

TEST_F(BrokenData, ChecksFailWhenTheNewQueryHasAGroupThePreviousVersionLacks) {
  // Shredding only removes clients, so a group the previous version lacks is an upstream change
  // the mitigation leaves alone, and the checks report it.
  std::string previous = read(kPrevious + ".ndjson"), kept;
  std::istringstream lines(previous);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"Lyon\"") == std::string::npos) kept += line + "\n";
  }
  write(kPrevious + ".ndjson", kept);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 1) << out;
  EXPECT_NE(out.find("checks: FAIL: 1 rows of totals per common dimension in the backfilled "
                     "active_users_aggregates_v4 do not match active_users_aggregates_v3; first: "
                     "[{"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"city\":\"Lyon\""), std::string::npos);
  EXPECT_NE(out.find("uri_count          NULL        210        210        NULL"),
            std::string::npos);
}

TEST_F(BrokenData, NegativeShreddedAmountsAreKept) {
  // A previous total below the new one (a metric with negative values): the shredded row is
  // negative and the totals still match.
  std::string previous = read(kPrevious + ".ndjson");
  previous = std::regex_replace(previous, std::regex("\"uri_count\":210"), "\"uri_count\":200");
  write(kPrevious + ".ndjson", previous);
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 0) << out;
  EXPECT_NE(out.find("uri_count           200        210        200           0"),
            std::string::npos)
      << out;
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
  fs::remove(dir_ / (kUpstream + ".schema.yaml"));
  std::string out;
  EXPECT_EQ(simulate(dir_.string(), &out), 2);
  EXPECT_NE(out.find(kUpstream + ".schema.yaml: error: file not found"), std::string::npos) << out;
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
