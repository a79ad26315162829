// The validation report on hand-made results of the validation queries: the verdict per
// dimension, the first line naming where totals moved, and the NULL/'??' spelling changes named
// apart from the totals.
#include "report/report.h"

#include <gtest/gtest.h>

namespace shredmit::report {
namespace {

engine::Rows rows(const std::vector<std::string>& columns,
                  const std::vector<std::vector<std::optional<std::string>>>& values) {
  engine::Rows out;
  for (const auto& c : columns) out.columns.push_back({c, engine::scalar(analysis::Type::kString)});
  for (const auto& row : values) {
    std::vector<engine::Value> cells;
    for (const auto& v : row) cells.push_back(v ? engine::Value::of(*v) : engine::Value{});
    out.rows.push_back(std::move(cells));
  }
  return out;
}

const std::vector<std::string> kTotals = {"dimension", "value",      "metric",    "previous",
                                          "upstream",  "backfilled", "difference"};

TEST(Report, AColumnWhoseValuesGainedRowsTheOthersDidNotIsNamedAsMoved) {
  // Rows moved from city Berlin into city NULL upstream; the mitigation compensated Berlin as if
  // they were deleted, so the NULL city and the country of the grown group grew. Only city's
  // values gained rows in the new query.
  Results results = {
      {"dimension_totals", rows(kTotals, {
                                             {"city", "Berlin", "n", "5", "3", "5", "0"},
                                             {"city", std::nullopt, "n", "2", "4", "4", "2"},
                                             {"country", "DE", "n", "7", "7", "9", "2"},
                                             {"country", "FR", "n", "1", "1", "1", "0"},
                                         })}};
  Report r = build(results, "p.d.t_v2");
  EXPECT_FALSE(r.matches);
  EXPECT_EQ(r.summary.rfind("mismatch: values of `city` (city = NULL: n +2) gained rows", 0), 0u)
      << r.summary;
  ASSERT_EQ(r.dimensions.size(), 2u);
  EXPECT_EQ(r.dimensions[0].name, "city");
  EXPECT_EQ(r.dimensions[0].verdict, Verdict::kMoved);
  EXPECT_EQ(r.dimensions[1].verdict, Verdict::kGrew);
}

TEST(Report, RowsThatArrivedInEveryDimensionNameTheirGroup) {
  Results results = {
      {"dimension_totals", rows(kTotals, {
                                             {"city", "Berlin", "n", "5", "6", "6", "1"},
                                             {"city", "Paris", "n", "3", "2", "3", "0"},
                                             {"country", "DE", "n", "5", "6", "6", "1"},
                                             {"country", "FR", "n", "3", "2", "3", "0"},
                                         })}};
  Report r = build(results, "p.d.t_v2");
  EXPECT_EQ(r.summary.rfind("mismatch: the group city = `Berlin`, country = `DE` grew (n +1)", 0),
            0u)
      << r.summary;
  // Within the tolerance of FLOAT64 sums, totals match.
  Results equal = {{"dimension_totals", rows(kTotals, {{"city", "Berlin", "x", "1e12", "9e11",
                                                        "1000000000000.0001", "0.0001"}})}};
  EXPECT_TRUE(build(equal, "p.d.t_v2").matches);
}

TEST(Report, AnAddedDimensionPassesWhenOnlyItsNullGrewByTheShreddedAmount) {
  const std::vector<std::string> added = {"dimension",          "value",      "metric",
                                          "upstream",           "backfilled", "difference",
                                          "expected_difference"};
  Results ok = {
      {"dimension_totals", rows(kTotals, {{"city", "Berlin", "n", "5", "3", "5", "0"}})},
      {"added_dimension_totals", rows(added, {{"os", "Linux", "n", "3", "3", "0", "0"},
                                              {"os", std::nullopt, "n", "0", "2", "2", "2"}})}};
  Report r = build(ok, "p.d.t_v2");
  EXPECT_TRUE(r.matches) << r.summary;
  EXPECT_EQ(r.dimensions.back().verdict, Verdict::kNullGrew);
  Results wrong = ok;
  wrong["added_dimension_totals"] = rows(added, {{"os", "Linux", "n", "3", "4", "1", "0"},
                                                 {"os", std::nullopt, "n", "0", "1", "1", "2"}});
  Report w = build(wrong, "p.d.t_v2");
  EXPECT_FALSE(w.matches);
  EXPECT_EQ(w.summary.rfind("mismatch: the common totals match, but the subtotals of added "
                            "dimension `os`",
                            0),
            0u)
      << w.summary;
}

TEST(Report, SpellingChangesAreNamedApartFromTheTotals) {
  Results results = {
      {"dimension_totals", rows(kTotals, {{"channel", "beta", "n", "5", "3", "5", "0"}})},
      {"spellings", rows({"dimension", "previous_null_rows", "previous_placeholder_rows",
                          "backfilled_null_rows", "backfilled_placeholder_rows"},
                         {{"channel", "2", "0", "1", "2"},  // both now: split
                          {"country", "0", "3", "0", "3"},  // unchanged
                          {"locale", "1", "1", "1", "1"},   // both before and after
                          {"os", "2", "0", "0", "2"}})}};   // switched
  Report r = build(results, "p.d.t_v2");
  EXPECT_FALSE(r.matches);
  ASSERT_EQ(r.spellings.size(), 2u);
  EXPECT_EQ(r.spellings[0].text,
            "stored as NULL and '??' (previous: NULL only); apply one NULL handling (seed 004, "
            "consideration 3)");
  EXPECT_EQ(r.spellings[1].dimension, "os");
  EXPECT_NE(r.summary.find("; NULL and '??' spelled differently in `channel`, `os`"),
            std::string::npos)
      << r.summary;
  EXPECT_NE(markdown(r).find("Spelling: `os` stored as '??' only (previous: NULL only)"),
            std::string::npos);
}

TEST(Report, MissingResultsAndColumnsAreErrors) {
  EXPECT_THROW(build({}, "p.d.t_v2"), base::Error);
  Results bad = {{"dimension_totals", rows({"dimension", "value"}, {{"city", "Berlin"}})}};
  try {
    build(bad, "p.d.t_v2");
    FAIL();
  } catch (const base::Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no column metric"), std::string::npos) << e.what();
  }
}

TEST(Report, HtmlEscapesWhatTheDataHolds) {
  Results results = {{"dimension_totals",
                      rows(kTotals, {{"city", "<script>x</script>", "n", "5", "6", "6", "1"}})}};
  std::string page = html(build(results, "p.d.t_v2"));
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace shredmit::report
