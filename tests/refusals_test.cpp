// One gate for seed 004's preconditions: every refusal fixture of fixtures/refusals/ is refused
// by `generate`, `lint` and `backfill validate` with the same located reasons, which
// tests/data/refusals/<table>.txt lists (reviewed by hand), one per line:
//   RULE <tab> FILE[:LINE:COLUMN] <tab> MESSAGE
// RULE is the lint rule that reports the reason, or "-" for one lint leaves to a backfill rule
// (a missing label is BF015's). FILE is relative to the fixture's dataset folder; in MESSAGE,
// {tables} stands for that folder and {root} for fixtures/refusals.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/text.h"
#include "run_cli.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

const std::string kRoot = "fixtures/refusals";
const std::string kTables = kRoot + "/sql/moz-fx-data-shared-prod/refusals";

struct Reason {
  std::string rule;
  std::string location;  // file:line:col, or file
  std::string message;
  bool operator<(const Reason& o) const {
    return std::tie(location, message) < std::tie(o.location, o.message);
  }
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::vector<Reason> expected_reasons(const std::string& table) {
  std::ifstream in("tests/data/refusals/" + table + ".txt");
  std::vector<Reason> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto parts = base::split(line, "\t");
    EXPECT_EQ(parts.size(), 3u) << line;
    if (parts.size() != 3) continue;
    std::string message = replace_all(replace_all(parts[2], "{tables}", kTables), "{root}", kRoot);
    out.push_back({parts[0], kTables + "/" + parts[1], message});
  }
  return out;
}

std::vector<std::string> fixture_tables() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("tests/data/refusals")) {
    if (e.path().extension() == ".txt") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string location(const nlohmann::json& finding) {
  return fmt::format("{}:{}:{}", finding["file"].get<std::string>(), finding["line"].get<int>(),
                     finding["column"].get<int>());
}

class RefusedByAllThree : public ::testing::TestWithParam<std::string> {};

TEST_P(RefusedByAllThree, GenerateLintAndValidateGiveTheSameLocatedReasons) {
  const std::string& table = GetParam();
  std::vector<Reason> expected = expected_reasons(table);
  ASSERT_FALSE(expected.empty()) << "tests/data/refusals/" << table << ".txt";
  fs::path out_dir = fs::temp_directory_path() / ("shredmit-refusal-" + table);
  fs::remove_all(out_dir);

  // generate: exit 1, every reason on its own line in the order found, nothing written.
  std::string out, err;
  std::string name = "moz-fx-data-shared-prod.refusals." + table;
  int status = run_cli({"generate", name.c_str(), "--sql-dir", (kRoot + "/sql").c_str(),
                        "--output-dir", out_dir.c_str()},
                       &out, &err);
  EXPECT_EQ(status, 1) << err;
  std::string want;
  for (const auto& r : expected) want += r.location + ": error: " + r.message + "\n";
  EXPECT_EQ(err, want);
  EXPECT_FALSE(fs::exists(out_dir)) << "a refused generate writes nothing";

  // lint: the same reasons at the same places, under their rules.
  std::string dir = kTables + "/" + table;
  status = run_cli({"lint", dir.c_str(), "--format", "json", "--today", "2024-06-05"}, &out, &err);
  EXPECT_EQ(status, 1) << out;
  auto lint = nlohmann::json::parse(out);
  std::set<Reason> lint_reasons, lint_expected;
  for (const auto& f : lint["findings"]) {
    std::string rule = f["rule"];
    if (rule.rfind("SM", 0) == 0 && f["severity"] == "error") {
      lint_reasons.insert({rule, location(f), f["message"]});
    }
  }
  for (const auto& r : expected) {
    if (r.rule != "-") lint_expected.insert(r);
  }
  ASSERT_EQ(lint_reasons.size(), lint_expected.size()) << out;
  for (auto a = lint_reasons.begin(), b = lint_expected.begin(); a != lint_reasons.end();
       ++a, ++b) {
    EXPECT_EQ(a->rule, b->rule) << a->message;
    EXPECT_EQ(a->location, b->location) << a->message;
    EXPECT_EQ(a->message, b->message);
  }
  if (lint_expected.size() < expected.size()) {
    // What lint leaves to a backfill rule: the label, which BF015 compares with the entry.
    bool bf015 = false;
    for (const auto& f : lint["findings"]) bf015 = bf015 || f["rule"] == "BF015";
    EXPECT_TRUE(bf015) << out;
  }

  // backfill validate: one BF027 at the entry's shredder_mitigation key per reason, quoting it
  // with its location.
  std::string backfill = dir + "/backfill.yaml";
  status = run_cli(
      {"backfill", "validate", backfill.c_str(), "--format", "json", "--today", "2024-06-05"}, &out,
      &err);
  EXPECT_EQ(status, 1) << out;
  auto validate = nlohmann::json::parse(out);
  std::set<std::string> quoted, quoted_expected;
  for (const auto& f : validate) {
    if (f["rule"] != "BF027") continue;
    EXPECT_EQ(location(f), backfill + ":8:3");
    quoted.insert(f["message"]);
  }
  for (const auto& r : expected) {
    quoted_expected.insert("shredder mitigation cannot run for backfill entry 2024-06-05: " +
                           r.message + " (" + r.location + ")");
  }
  EXPECT_EQ(quoted, quoted_expected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RefusedByAllThree, ::testing::ValuesIn(fixture_tables()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace shredmit
