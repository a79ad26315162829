// Ping-backfill templates: all seven are listed and render their documented examples; every
// parameter of every template refuses injection attempts; and each SQL template's semantics are
// checked on small tables with GoogleSQL's reference evaluator.
#include "templates/templates.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "engine/engine.h"

namespace shredmit {
namespace {

using analysis::Type;
using engine::Value;

int run_cli(std::vector<const char*> args, std::string* out) {
  args.insert(args.begin(), "shredmit");
  std::ostringstream o, e;
  int status = cli::run(static_cast<int>(args.size()), args.data(), o, e);
  *out = o.str() + e.str();
  return status;
}

TEST(Templates, ListShowsAllSevenWithTypedParameters) {
  std::string out;
  ASSERT_EQ(run_cli({"template", "list", "--format", "json"}, &out), 0);
  auto list = nlohmann::json::parse(out);
  std::set<std::string> names;
  for (const auto& t : list) {
    names.insert(t["name"]);
    EXPECT_FALSE(t["description"].get<std::string>().empty());
    EXPECT_TRUE(t["output"] == "sql" || t["output"] == "shell");
    for (const auto& p : t["parameters"]) {
      EXPECT_FALSE(p["example"].get<std::string>().empty()) << p;
      EXPECT_TRUE(p["required"].is_boolean());
      EXPECT_FALSE(p["type"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"append_to_live", "deduplicate", "error_documents_delta",
                                          "missing_documents", "partition_copy", "staging_tables",
                                          "validate_counts"}));
  ASSERT_EQ(run_cli({"template", "list"}, &out), 0);
  EXPECT_NE(out.find("lookback_days (integer 0..28, default 0; example 1)"), std::string::npos);
  ASSERT_EQ(run_cli({"template", "show", "deduplicate"}, &out), 0);
  EXPECT_NE(out.find("--param live_table=moz-fx-data-shared-prod.telemetry_live.main_v4"),
            std::string::npos);
  EXPECT_EQ(run_cli({"template", "show", "dedupe"}, &out), 2);
  EXPECT_NE(out.find("no template 'dedupe'; the templates are append_to_live"), std::string::npos);
}

TEST(Templates, EachRendersItsDocumentedExample) {
  for (const auto& t : templates::all()) {
    std::string text = templates::render(t, templates::example_values(t));  // SQL is parsed
    EXPECT_FALSE(text.empty()) << t.name;
    if (t.output == "shell") {
      std::string path = ::testing::TempDir() + "/shredmit_" + t.name + ".sh";
      std::ofstream(path) << text;
      EXPECT_EQ(std::system(("bash -n " + path).c_str()), 0) << text;
      EXPECT_EQ(text.rfind("#!/usr/bin/env bash\n", 0), 0u);
    }
  }
  // The fail variant is marked #fail, as bigquery-etl's checks are.
  const auto& validate = templates::find("validate_counts");
  auto values = templates::example_values(validate);
  values["fail"] = "true";
  EXPECT_EQ(templates::render(validate, values).rfind("#fail\nWITH decoded AS (", 0), 0u);
  values["fail"] = "false";
  EXPECT_EQ(templates::render(validate, values).rfind("WITH decoded AS (", 0), 0u);
  auto copy = templates::render(templates::find("partition_copy"),
                                templates::example_values(templates::find("partition_copy")));
  // The copy comes after the validation, and the validation raises errors.
  EXPECT_LT(copy.find("validate_counts failed"), copy.find("bq cp -f"));
  EXPECT_NE(copy.find("bq cp -f 'moz-fx-data-backfill-14:telemetry_stable.main_v4$20200414' "
                      "'moz-fx-data-shared-prod:telemetry_stable.main_v4$20200414'"),
            std::string::npos);
}

TEST(Templates, RenderWritesAFileAtomically) {
  std::string path = ::testing::TempDir() + "/shredmit_staging.sql", out;
  ASSERT_EQ(run_cli({"template", "render", "staging_tables", "--param",
                     "project=moz-fx-data-backfill-10", "--param", "dataset_suffix=_stable",
                     "--param", "created_after=2022-08-31", "--output", path.c_str()},
                    &out),
            0)
      << out;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("ENDS_WITH(table_schema, '_stable')"), std::string::npos);
  EXPECT_NE(text.str().find("`moz-fx-data-backfill-10.region-us.INFORMATION_SCHEMA"),
            std::string::npos);
}

TEST(Templates, EveryParameterRefusesInjection) {
  const std::vector<std::string> hostile = {"x; DROP TABLE y",
                                            "a`b",
                                            "a'b",
                                            "a\"b",
                                            "2024-01-01' OR '1'='1",
                                            "p.d.t`; DROP TABLE x; --",
                                            "a\nb",
                                            "a b",
                                            "",
                                            "$(rm -rf /)",
                                            "{{ 7 * 7 }}",
                                            "1; SELECT 1"};
  int attempts = 0;
  for (const auto& t : templates::all()) {
    for (const auto& p : t.parameters) {
      for (const auto& value : hostile) {
        auto values = templates::example_values(t);
        values[p.name] = value;
        ++attempts;
        try {
          templates::render(t, values);
          ADD_FAILURE() << t.name << " accepted " << p.name << "=" << value;
        } catch (const base::Error& e) {
          EXPECT_NE(std::string(e.what()).find("--param " + p.name), std::string::npos) << e.what();
        }
      }
    }
  }
  EXPECT_GT(attempts, 300);
}

TEST(Templates, ParametersAreCheckedByType) {
  const auto& dedup = templates::find("deduplicate");
  auto values = templates::example_values(dedup);
  auto refuses = [&](const templates::Template& t, std::map<std::string, std::string> v,
                     const std::string& message) {
    try {
      templates::render(t, v);
      ADD_FAILURE() << "accepted";
    } catch (const base::Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  auto with = [&](std::map<std::string, std::string> v, const std::string& k,
                  const std::string& x) {
    v[k] = x;
    return v;
  };
  refuses(dedup, with(values, "date", "2023-02-29"),
          "--param date: '2023-02-29' is not a calendar");
  refuses(dedup, with(values, "lookback_days", "29"), "--param lookback_days: 29 is outside 0..28");
  refuses(dedup, with(values, "exclude_automation", "yes"), "is not true or false");
  refuses(dedup, with(values, "live_table", "moz-fx-data-shared-prod.telemetry_live.main_*"),
          "no wildcard here");
  refuses(dedup, with(values, "planet", "mars"), "--param planet: deduplicate has no such");
  auto missing = values;
  missing.erase("live_table");
  refuses(dedup, missing, "--param live_table is required by deduplicate");
  const auto& delta = templates::find("error_documents_delta");
  refuses(delta, with(templates::example_values(delta), "dates", "2022-09-02..2022-09-01"),
          "--param dates: the range ends (2022-09-01) before it starts (2022-09-02)");
  std::string out;
  EXPECT_EQ(run_cli({"template", "render", "deduplicate", "--param",
                     "live_table=moz-fx-data-shared-prod.telemetry_live.main_v4", "--param",
                     "date=tomorrow"},
                    &out),
            2);
  EXPECT_NE(out.find("--param date: 'tomorrow'"), std::string::npos) << out;
}

// ---------------------------------------------------------------- semantics on data

struct Table {
  std::string name;
  std::vector<engine::Field> columns;
  std::vector<std::vector<Value>> rows;
};

engine::Field column(const std::string& name, Type type) { return {name, engine::scalar(type)}; }

// Renders `name` with `values` and runs it on the tables; throws std::runtime_error with
// GoogleSQL's message when it is refused or fails (an ERROR() call).
engine::Rows run_template(const std::string& name, std::map<std::string, std::string> values,
                          const std::vector<Table>& tables) {
  engine::Catalog catalog;
  std::map<std::string, std::vector<std::vector<Value>>> contents;
  for (const auto& t : tables) {
    catalog.tables.push_back({t.name, t.columns});
    contents[t.name] = t.rows;
  }
  std::string sql = templates::render(templates::find(name), values);
  auto e = engine::evaluate(sql, catalog, contents, {});
  if (!e.verdict.accepted()) throw std::runtime_error(e.verdict.message);
  return e.result;
}

std::vector<std::string> column_names(const engine::Rows& rows) {
  std::vector<std::string> out;
  for (const auto& c : rows.columns) out.push_back(c.name);
  return out;
}

std::multiset<std::string> column_values(const engine::Rows& rows, const std::string& column) {
  std::multiset<std::string> out;
  auto names = column_names(rows);
  size_t i = static_cast<size_t>(std::find(names.begin(), names.end(), column) - names.begin());
  for (const auto& r : rows.rows) out.insert(r.at(i).null ? "NULL" : r.at(i).text);
  return out;
}

Value V(const std::string& text) { return Value::of(text); }

std::string ts(const std::string& day, const std::string& time) { return day + " " + time + "+00"; }

Value ts_value(const std::string& day, const std::string& time) { return V(ts(day, time)); }

Table live_table() {
  engine::Type header;
  header.kind = Type::kStruct;
  header.fields = {column("x_source_tags", Type::kString)};
  engine::Type metadata;
  metadata.kind = Type::kStruct;
  metadata.fields = {{"header", header}};
  Table t{"proj-live.telemetry_live.main_v4",
          {column("document_id", Type::kString),
           column("submission_timestamp", Type::kTimestamp),
           {"metadata", metadata},
           column("payload", Type::kString)},
          {}};
  auto tags = [](const char* x) -> Value {
    return Value::list({Value::list({x ? Value::of(x) : Value{}})});
  };
  t.rows = {
      // a: exact duplicates; one must remain.
      {V("a"), ts_value("2020-04-14", "10:00:00"), tags(nullptr), V("p1")},
      {V("a"), ts_value("2020-04-14", "10:00:00"), tags(nullptr), V("p1")},
      // b: two submissions; the earliest remains, even when the later one sorts first.
      {V("b"), ts_value("2020-04-14", "12:00:00"), tags(nullptr), V("a-late")},
      {V("b"), ts_value("2020-04-14", "09:00:00"), tags(nullptr), V("z-early")},
      // c: first seen the day before; only kept without lookback.
      {V("c"), ts_value("2020-04-13", "23:00:00"), tags(nullptr), V("c0")},
      {V("c"), ts_value("2020-04-14", "01:00:00"), tags(nullptr), V("c1")},
      // d and e: automation, alone or among other tags with spaces.
      {V("d"), ts_value("2020-04-14", "08:00:00"), tags("automation"), V("d")},
      {V("e"), ts_value("2020-04-14", "08:00:00"), tags("perf, automation"), V("e")},
      // f: a tag that only contains the word.
      {V("f"), ts_value("2020-04-14", "08:00:00"), tags("automation-test"), V("f")},
      // g: same earliest timestamp, different payloads: the tie-break is deterministic.
      {V("g"), ts_value("2020-04-14", "07:00:00"), tags(nullptr), V("g2")},
      {V("g"), ts_value("2020-04-14", "07:00:00"), tags(nullptr), V("g1")},
      // h: the next day: not written.
      {V("h"), ts_value("2020-04-15", "00:00:00"), tags(nullptr), V("h")},
  };
  return t;
}

TEST(TemplateSemantics, DeduplicateKeepsTheEarliestRowPerDocument) {
  std::map<std::string, std::string> values = {{"live_table", "proj-live.telemetry_live.main_v4"},
                                               {"date", "2020-04-14"},
                                               {"lookback_days", "1"}};
  auto rows = run_template("deduplicate", values, {live_table()});
  EXPECT_EQ(column_names(rows), (std::vector<std::string>{"document_id", "submission_timestamp",
                                                          "metadata", "payload"}));
  EXPECT_EQ(column_values(rows, "document_id"), (std::multiset<std::string>{"a", "b", "f", "g"}));
  EXPECT_EQ(column_values(rows, "payload"),
            (std::multiset<std::string>{"p1", "z-early", "f", "g1"}));

  values["lookback_days"] = "0";
  values["exclude_automation"] = "false";
  rows = run_template("deduplicate", values, {live_table()});
  EXPECT_EQ(column_values(rows, "document_id"),
            (std::multiset<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_EQ(column_values(rows, "payload").count("c1"), 1u);
}

Table raw_like(const std::string& name,
               const std::vector<std::pair<std::string, std::string>>& docs) {
  Table t{
      name, {column("submission_timestamp", Type::kTimestamp), column("uri", Type::kString)}, {}};
  for (const auto& [day, id] : docs) {
    t.rows.push_back({ts_value(day, "12:00:00"), V("/submit/ns/doc/1/" + id)});
  }
  return t;
}

Table decoded_like(const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& docs) {
  Table t{name,
          {column("submission_timestamp", Type::kTimestamp), column("document_id", Type::kString)},
          {}};
  for (const auto& [day, id] : docs) t.rows.push_back({ts_value(day, "12:00:00"), V(id)});
  return t;
}

TEST(TemplateSemantics, MissingDocumentsAreThoseInNeitherDecodedNorErrors) {
  // BigQuery reads the decoded tables through a wildcard; the engine has no wildcard tables, so the
  // test stores their union in one table whose name is the pattern itself.
  auto raw = raw_like("proj-raw.payload_bytes_raw.structured", {{"2022-08-31", "d1"},
                                                                {"2022-08-31", "d2"},
                                                                {"2022-08-31", "d3"},
                                                                {"2022-08-31", "d4"},
                                                                {"2022-09-01", "d5"},
                                                                {"2022-08-30", "d6"}});
  raw.rows.push_back({ts_value("2022-08-31", "13:00:00"), V("/short")});  // no document id
  auto decoded = decoded_like("proj-dec.payload_bytes_decoded.structured_*",
                              {{"2022-08-31", "d1"}, {"2022-08-30", "d4"}});
  auto errors = raw_like("proj-err.payload_bytes_error.structured", {{"2022-08-31", "d2"}});
  std::map<std::string, std::string> values = {
      {"raw_table", "proj-raw.payload_bytes_raw.structured"},
      {"decoded_table", "proj-dec.payload_bytes_decoded.structured_*"},
      {"error_table", "proj-err.payload_bytes_error.structured"},
      {"dates", "2022-08-31..2022-09-01"}};
  auto rows = run_template("missing_documents", values, {raw, decoded, errors});
  // d1 was decoded, d2 went to errors; d4 was decoded on another day, so it is missing here;
  // d6 is outside the range; the raw row without a document id cannot be matched and is kept.
  EXPECT_EQ(column_values(rows, "uri"),
            (std::multiset<std::string>{"/submit/ns/doc/1/d3", "/submit/ns/doc/1/d4",
                                        "/submit/ns/doc/1/d5", "/short"}));
  values.erase("error_table");
  rows = run_template("missing_documents", values, {raw, decoded});
  EXPECT_EQ(column_values(rows, "uri").count("/submit/ns/doc/1/d2"), 1u);
}

TEST(TemplateSemantics, ErrorDocumentsDeltaIsOnlyTheNewErrors) {
  auto backfill = raw_like("proj-bkf.payload_bytes_error.structured", {{"2022-08-31", "e1"},
                                                                       {"2022-08-31", "e2"},
                                                                       {"2022-08-31", "e3"},
                                                                       {"2022-08-31", "e3"},
                                                                       {"2022-09-02", "e4"}});
  auto production = raw_like("proj-prd.payload_bytes_error.structured",
                             {{"2022-08-31", "e1"}, {"2022-08-30", "e2"}});
  auto rows = run_template("error_documents_delta",
                           {{"backfill_error_table", "proj-bkf.payload_bytes_error.structured"},
                            {"production_error_table", "proj-prd.payload_bytes_error.structured"},
                            {"dates", "2022-08-31..2022-09-01"}},
                           {backfill, production});
  // e1 is already in production for the range; e2 only outside it; e3's rows are both new;
  // e4 is outside the range.
  EXPECT_EQ(column_values(rows, "uri"),
            (std::multiset<std::string>{"/submit/ns/doc/1/e2", "/submit/ns/doc/1/e3",
                                        "/submit/ns/doc/1/e3"}));
}

engine::Rows validate(const std::vector<std::string>& decoded, const std::vector<std::string>& live,
                      const std::vector<std::string>& stable,
                      const std::vector<std::string>& backfill, bool fail = false) {
  auto table = [](const std::string& name, const std::vector<std::string>& ids) {
    std::vector<std::pair<std::string, std::string>> docs;
    for (const auto& id : ids) docs.emplace_back("2020-04-14", id);
    docs.emplace_back("2020-04-13", "other-day");
    return decoded_like(name, docs);
  };
  return run_template("validate_counts",
                      {{"decoded_table", "proj-prod.payload_bytes_decoded.main"},
                       {"live_table", "proj-prod.telemetry_live.main_v4"},
                       {"stable_table", "proj-prod.telemetry_stable.main_v4"},
                       {"backfill_table", "proj-bkf.telemetry_stable.main_v4"},
                       {"date", "2020-04-14"},
                       {"fail", fail ? "true" : "false"}},
                      {table("proj-prod.payload_bytes_decoded.main", decoded),
                       table("proj-prod.telemetry_live.main_v4", live),
                       table("proj-prod.telemetry_stable.main_v4", stable),
                       table("proj-bkf.telemetry_stable.main_v4", backfill)});
}

std::string failures(const engine::Rows& rows) { return *column_values(rows, "failures").begin(); }

TEST(TemplateSemantics, ValidateCountsReportsEachFailure) {
  EXPECT_EQ(failures(validate({"a", "b"}, {"a", "b"}, {"a"}, {"a", "b"})), "NULL");
  EXPECT_EQ(failures(validate({"a", "b", "c"}, {"a", "b"}, {"a", "b"}, {"a", "b", "b"})),
            "backfill is not deduplicated; ");
  EXPECT_EQ(failures(validate({"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a", "b"})),
            "backfill has fewer documents than live; ");
  EXPECT_EQ(failures(validate({"a", "b"}, {"a"}, {"a", "b", "c"}, {"a", "b"})),
            "backfill has fewer documents than stable; ");
  EXPECT_EQ(failures(validate({"a", "b", "c"}, {"a", "b"}, {"a", "b"}, {"a", "b"})),
            "backfill does not match payload_bytes_decoded; ");
  auto clean = validate({"a", "b"}, {"a", "b"}, {"a", "b"}, {"a", "b"}, true);
  EXPECT_EQ(*column_values(clean, "verdict").begin(), "ok");
  EXPECT_EQ(*column_values(clean, "ratio").begin(), "1");
  try {
    validate({"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a", "b"}, true);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "validate_counts failed for 2020-04-14: backfill has fewer documents than live; ");
  }
}

}  // namespace
}  // namespace shredmit
