// The generated mitigation run on data by GoogleSQL's reference evaluator (BigQuery's semantics):
// the previous version is computed by its own query on the upstream rows before deletion, the
// shredded clients are deleted, the mitigation query writes the backfilled partition, and the
// checks run on it. Cases: NULL spelled '??' inside a WITH query and '??' arriving from upstream
// (the backfilled table keeps one spelling per group), and a TIMESTAMP partition column (only its
// day is replaced and checked).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "mitigation/mitigation.h"

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;
using engine::Value;
using Rows = std::vector<std::vector<Value>>;

Value v(const char* text) { return Value::of(text); }
const Value kNull{};

project::SqlTree shapes() { return project::SqlTree{"fixtures/shapes/sql", "fixtures/shapes"}; }

engine::Table table(const std::string& name, const fs::path& schema) {
  return engine::Table{name, engine::columns_from_schema(project::load_schema(schema, shapes()))};
}

const char* kEvents = "moz-fx-data-shared-prod.telemetry.events";

// Tables of one scenario and the queries that run on them.
class Scenario {
 public:
  explicit Scenario(const std::string& shape) {
    std::string dataset = "fixtures/shapes/sql/moz-fx-data-shared-prod/shapes/";
    previous_ = "moz-fx-data-shared-prod.shapes." + shape + "_v1";
    next_ = "moz-fx-data-shared-prod.shapes." + shape + "_v2";
    catalog_.tables = {
        table(kEvents, "tests/data/upstream/moz-fx-data-shared-prod.telemetry.events.schema.yaml"),
        table(previous_, dataset + shape + "_v1/schema.yaml"),
        table(next_, dataset + shape + "_v2/schema.yaml")};
    m_ = generate(shapes(), project::TableId::parse(next_));
  }

  const Mitigation& mitigation() const { return m_; }

  // Runs `sql` for `day`; fails the test when GoogleSQL refuses it.
  engine::Rows run(const std::string& sql, const std::string& day) {
    engine::Evaluation e = evaluate(sql, day);
    EXPECT_TRUE(e.verdict.accepted()) << e.verdict.message << "\n" << sql;
    return e.result;
  }
  engine::Evaluation evaluate(const std::string& sql, const std::string& day) {
    return engine::evaluate(
        sql, catalog_, contents_,
        {{{"submission_date", engine::scalar(analysis::Type::kDate)}, v(day.c_str())}});
  }

  // Stores a result as `name`'s rows, its columns put in the table's order by name.
  void store(const std::string& name, const engine::Rows& result, bool append = false) {
    const engine::Table* t = nullptr;
    for (const auto& x : catalog_.tables) {
      if (x.name == name) t = &x;
    }
    ASSERT_NE(t, nullptr);
    Rows& rows = contents_[name];
    if (!append) rows.clear();
    for (const auto& r : result.rows) {
      std::vector<Value> row;
      for (const auto& c : t->columns) {
        size_t i = 0;
        while (i < result.columns.size() && !base::same_name(result.columns[i].name, c.name)) ++i;
        row.push_back(i < r.size() ? r[i] : kNull);
      }
      rows.push_back(std::move(row));
    }
  }

  Rows& rows(const std::string& name) { return contents_[name]; }
  const std::string& previous() const { return previous_; }
  const std::string& next() const { return next_; }

 private:
  engine::Catalog catalog_;
  std::map<std::string, Rows> contents_;
  std::string previous_, next_;
  Mitigation m_;
};

// An upstream row: submission_date, submission_timestamp, client_id, normalized_channel,
// country, os, duration_ms.
std::vector<Value> event(const char* day, const char* client, Value channel, Value country,
                         const char* os, const char* duration) {
  return {v(day),     Value::of(std::string(day) + " 12:00:00"), v(client), channel, country, v(os),
          v(duration)};
}

// Totals per (channel, country) group as the checks see them ('??' and NULL one group), and the
// spellings each group is stored under.
struct Groups {
  std::map<std::string, std::pair<int64_t, int64_t>> totals;  // event_count, duration_ms
  std::map<std::string, std::set<std::string>> spellings;     // group -> "channel|country"
};

std::string text(const Value& x) { return x.null ? "NULL" : x.text; }
std::string key(const Value& x) { return x.null || x.text == "??" ? "NULL" : x.text; }

Groups groups(const Rows& rows, size_t channel, size_t country, size_t count, size_t duration) {
  Groups g;
  for (const auto& r : rows) {
    std::string k = key(r[channel]) + "|" + key(r[country]);
    g.totals[k].first += r[count].null ? 0 : std::stoll(r[count].text);
    g.totals[k].second += r[duration].null ? 0 : std::stoll(r[duration].text);
    g.spellings[k].insert(text(r[channel]) + "|" + text(r[country]));
  }
  return g;
}

TEST(MitigationOnData, CompensationRowsKeepTheSpellingOfTheirGroup) {
  Scenario s("placeholder");
  const char* day = "2024-06-01";
  // Before deletion: an unknown channel (NULL upstream, which v2 spells '??' in its WITH query)
  // and an unknown country arriving as '??' from upstream, and as NULL from an older client.
  s.rows(kEvents) = {event(day, "a", kNull, v("??"), "Linux", "10"),
                     event(day, "b", kNull, v("??"), "Mac", "5"),
                     event(day, "c", kNull, v("??"), "Linux", "7"),
                     event(day, "d", v("beta"), kNull, "Mac", "3"),
                     event(day, "e", v("beta"), kNull, "Linux", "4"),
                     event(day, "f", v("release"), v("DE"), "Mac", "2"),
                     event(day, "g", v("release"), v("DE"), "Mac", "1")};
  // The previous version, computed before shredder ran: it stores the channel as NULL.
  s.store(s.previous(), s.run(syntax::print(*s.mitigation().previous_query.query), day));
  // Shredder deletes clients a, d and g: every group loses rows, one (release, DE) keeps one.
  Rows& upstream = s.rows(kEvents);
  std::erase_if(upstream, [](const auto& r) {
    return r[2].text == "a" || r[2].text == "d" || r[2].text == "g";
  });
  engine::Rows backfilled = s.run(s.mitigation().query_sql, day);
  s.store(s.next(), backfilled);

  // The backfilled table: channel, country, os, event_count, duration_ms (after submission_date).
  Groups after = groups(s.rows(s.next()), 1, 2, 4, 5);
  Groups before = groups(s.rows(s.previous()), 1, 2, 3, 4);
  EXPECT_EQ(after.totals, before.totals) << "totals per common group are the previous ones";
  for (const auto& [group, spelled] : after.spellings) {
    EXPECT_EQ(spelled.size(), 1u) << group << " is stored under " << spelled.size() << " spellings";
  }
  // The unknown channel is the new query's '??' in the compensation rows too, and the country
  // keeps the spelling upstream gave it ('??' where it arrived so, NULL where it did not).
  EXPECT_EQ(after.spellings["NULL|NULL"], (std::set<std::string>{"??|??"}));
  EXPECT_EQ(after.spellings["beta|NULL"], (std::set<std::string>{"beta|NULL"}));
  // The checks pass.
  engine::Evaluation check = s.evaluate(s.mitigation().check_sql, day);
  EXPECT_TRUE(check.verdict.accepted()) << check.verdict.message;
  EXPECT_TRUE(s.run(s.mitigation().mismatches_sql, day).rows.empty());

  // A compensation row spelled NULL where the table spells the group '??' (what shredmit wrote
  // before) keeps the totals but splits the group: the check fails and names it.
  Rows& table = s.rows(s.next());
  auto shredded = std::find_if(table.begin(), table.end(), [](const auto& r) {
    return r[3].null && r[1].text == "??";  // os is NULL only in shredded rows
  });
  ASSERT_NE(shredded, table.end());
  (*shredded)[1] = kNull;
  check = s.evaluate(s.mitigation().check_sql, day);
  ASSERT_FALSE(check.verdict.accepted());
  EXPECT_NE(check.verdict.message.find("(two spellings channel 1)"), std::string::npos)
      << check.verdict.message;
  EXPECT_NE(check.verdict.message.find("{\"submission_date\":\"2024-06-01\",\"channel\":null,"
                                       "\"country\":null} channel: stored as NULL and as '??' "
                                       "(two spellings)"),
            std::string::npos)
      << check.verdict.message;
}

TEST(MitigationOnData, ATimestampPartitionIsReplacedAndCheckedForItsDayOnly) {
  Scenario s("timestamp_partition");
  // Two days of upstream rows; the previous version holds both partitions.
  for (const char* day : {"2024-06-01", "2024-06-02"}) {
    s.rows(kEvents).push_back(event(day, "a", v("release"), v("DE"), "Linux", "10"));
    s.rows(kEvents).push_back(event(day, "b", v("release"), v("DE"), "Mac", "5"));
    s.rows(kEvents).push_back(event(day, "c", v("beta"), v("FR"), "Linux", "7"));
  }
  engine::Rows previous = s.run(syntax::print(*s.mitigation().previous_query.query), "2024-06-01");
  s.store(s.previous(), previous);
  s.store(s.previous(), s.run(syntax::print(*s.mitigation().previous_query.query), "2024-06-02"),
          true);
  ASSERT_EQ(s.rows(s.previous()).size(), 4u);
  std::erase_if(s.rows(kEvents), [](const auto& r) { return r[2].text == "b"; });
  engine::Rows backfilled = s.run(s.mitigation().query_sql, "2024-06-01");
  // Only the day's partition is read and compensated: totals of 2024-06-01 alone.
  Groups after = groups(
      [&] {
        s.store(s.next(), backfilled);
        return s.rows(s.next());
      }(),
      1, 2, 4, 5);
  EXPECT_EQ(after.totals, (std::map<std::string, std::pair<int64_t, int64_t>>{
                              {"beta|FR", {1, 7}}, {"release|DE", {2, 15}}}));
  for (const auto& r : s.rows(s.next())) {
    EXPECT_EQ(r[0].text, "2024-06-01 00:00:00+00") << "a row outside the partition was written";
  }
  EXPECT_TRUE(s.evaluate(s.mitigation().check_sql, "2024-06-01").verdict.accepted());
  // A late row in the backfilled partition: the check fails, naming the group that grew.
  auto late = s.rows(s.next()).front();
  late[4] = v("1");
  late[5] = v("1");
  s.rows(s.next()).push_back(late);
  engine::Evaluation check = s.evaluate(s.mitigation().check_sql, "2024-06-01");
  ASSERT_FALSE(check.verdict.accepted());
  EXPECT_NE(check.verdict.message.find("(increase duration_ms 1, increase event_count 1)"),
            std::string::npos)
      << check.verdict.message;
  // The other day's partition is not this run's: its rows do not count.
  EXPECT_NE(check.verdict.message.find("2 totals per common dimension group"), std::string::npos)
      << check.verdict.message;
}

}  // namespace
}  // namespace shredmit::mitigation
