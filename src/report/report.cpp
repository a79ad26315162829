// The validation report (see report.h).
#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/files.h"
#include "base/text.h"

namespace shredmit::report {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStatements[] = {"dimension_totals", "added_dimension_totals",
                                       "row_differences", "spellings", "compensation"};

// The column `name` of one result row, or an error naming the statement.
class Columns {
 public:
  Columns(const engine::Rows& rows, std::string statement) : rows_(rows), statement_(statement) {}
  const engine::Value& at(const std::vector<engine::Value>& row, const std::string& name) const {
    for (size_t i = 0; i < rows_.columns.size() && i < row.size(); ++i) {
      if (rows_.columns[i].name == name) return row[i];
    }
    throw base::Error(statement_, 0, 0,
                      fmt::format("the {} result has no column {}; run the validation queries "
                                  "shredmit generated",
                                  statement_, name));
  }
  std::optional<double> number(const std::vector<engine::Value>& row,
                               const std::string& name) const {
    const engine::Value& v = at(row, name);
    if (v.null) return std::nullopt;
    char* end = nullptr;
    double x = std::strtod(v.text.c_str(), &end);
    if (v.text.empty() || end != v.text.c_str() + v.text.size()) {
      throw base::Error(
          statement_, 0, 0,
          fmt::format("the {} result's {} is '{}', not a number", statement_, name, v.text));
    }
    return x;
  }
  std::optional<std::string> text(const std::vector<engine::Value>& row,
                                  const std::string& name) const {
    const engine::Value& v = at(row, name);
    if (v.null) return std::nullopt;
    return v.text;
  }

 private:
  const engine::Rows& rows_;
  std::string statement_;
};

// Zero within the checks' FLOAT64 tolerance.
bool negligible(double x, double scale) { return std::fabs(x) <= 1e-9 * std::max(scale, 1.0); }

double scale_of(const Cell& c) {
  return std::max({std::fabs(c.before.value_or(0)), std::fabs(c.after.value_or(0)),
                   std::fabs(c.upstream.value_or(0)), std::fabs(c.expected)});
}

// What the new query gives above the previous version at this cell (0 when it gives less).
double increase(const Cell& c) {
  if (!c.upstream) return 0;
  double x = *c.upstream - c.before.value_or(0);
  return x > 0 && !negligible(x, scale_of(c)) ? x : 0;
}

std::string shown(const std::optional<std::string>& value) {
  return value ? "`" + *value + "`" : "NULL";
}

// A total as the tables show it, in at most 11 characters (the JSON keeps every digit).
std::string number_text(std::optional<double> x) {
  if (!x) return "NULL";
  if (std::floor(*x) == *x && std::fabs(*x) < 1e9) return fmt::format("{}", (long long)*x);
  return fmt::format("{:.6g}", *x);
}

// `text` as lines of at most `width` columns, broken between words.
std::string wrap(const std::string& text, size_t width = 100) {
  std::string out, line;
  for (const auto& word : base::split(text, " ")) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::string signed_text(double x) { return (x > 0 ? "+" : "") + number_text(x); }

// The cells of one dimension, read from a result.
struct Read {
  Dimension dimension;
  std::vector<Cell> cells;
};

std::vector<Read> read_dimensions(const engine::Rows& rows, const std::string& statement,
                                  bool added) {
  Columns c(rows, statement);
  std::vector<Read> out;
  for (const auto& row : rows.rows) {
    std::string name = c.text(row, "dimension").value_or("");
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const Read& r) { return r.dimension.name == name; });
    if (it == out.end()) {
      out.push_back({});
      out.back().dimension.name = name;
      out.back().dimension.added = added;
      it = out.end() - 1;
    }
    Cell cell;
    cell.value = c.text(row, "value");
    cell.metric = c.text(row, "metric").value_or("");
    cell.before = c.number(row, added ? "upstream" : "previous");
    if (!added) cell.upstream = c.number(row, "upstream");
    cell.after = c.number(row, "backfilled");
    cell.difference = c.number(row, "difference").value_or(0);
    if (added) cell.expected = c.number(row, "expected_difference").value_or(0);
    it->cells.push_back(cell);
  }
  return out;
}

void summarize_cells(Read& r, const std::set<std::string>& signed_metrics) {
  Dimension& d = r.dimension;
  d.cells = r.cells;
  std::set<std::optional<std::string>> values;
  std::map<std::optional<std::string>, double> grown;
  for (const auto& cell : r.cells) {
    values.insert(cell.value);
    if (!negligible(cell.excess(), scale_of(cell))) d.differing.push_back(cell);
    if (!signed_metrics.count(cell.metric)) {
      double x = increase(cell);
      d.increase += x;
      if (x > 0) grown[cell.value] += x;
    }
  }
  d.values = values.size();
  // Growth of the backfilled table over the previous one: the mitigation restores what
  // deletion removed, so a count above its previous total is rows that arrived.
  std::map<std::optional<std::string>, double> grew;
  for (const auto& cell : d.differing) {
    if (signed_metrics.count(cell.metric) || cell.excess() <= 0) continue;
    d.growth += cell.excess();
    grew[cell.value] += cell.excess();
  }
  double most = 0;
  for (const auto& [value, x] : grew) {
    if (x > most) most = x, d.grew_at = value;
  }
  std::stable_sort(d.differing.begin(), d.differing.end(), [](const Cell& a, const Cell& b) {
    return std::fabs(a.excess()) > std::fabs(b.excess());
  });
  double best = 0;
  for (const auto& [value, x] : grown) {
    if (x > best) best = x, d.grown_value = value;
  }
}

std::string title(const Dimension& d) { return "`" + d.name + "`"; }

}  // namespace

std::string verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kMatches:
      return "matches";
    case Verdict::kNullGrew:
      return "NULL grew by the shredded amount";
    case Verdict::kGrew:
      return "grew";
    case Verdict::kMoved:
      return "moved";
    case Verdict::kMismatch:
      return "mismatch";
  }
  return "";
}

Results read_bq_json(const fs::path& dir) {
  Results out;
  for (const char* name : kStatements) {
    fs::path file = dir / (std::string(name) + ".json");
    if (!fs::exists(file)) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(base::read_text_file(file));
    } catch (const nlohmann::json::exception& e) {
      throw base::Error(file.string(), 0, 0,
                        std::string("is not JSON (") + e.what() +
                            "); save `bq query --format=json` output there");
    }
    if (!j.is_array()) {
      throw base::Error(file.string(), 0, 0,
                        "is not a JSON array of rows; save `bq query --format=json` output there");
    }
    engine::Rows rows;
    for (const auto& row : j) {
      if (!row.is_object()) {
        throw base::Error(file.string(), 0, 0,
                          "a row is not a JSON object; save `bq query "
                          "--format=json` output there");
      }
      if (rows.columns.empty()) {
        for (const auto& [key, value] : row.items()) {
          rows.columns.push_back({key, engine::scalar(analysis::Type::kString)});
        }
      }
      std::vector<engine::Value> values;
      for (const auto& column : rows.columns) {
        auto it = row.find(column.name);
        if (it == row.end() || it->is_null()) {
          values.push_back(engine::Value{});
        } else {
          values.push_back(
              engine::Value::of(it->is_string() ? it->get<std::string>() : it->dump()));
        }
      }
      rows.rows.push_back(std::move(values));
    }
    out[name] = std::move(rows);
  }
  return out;
}

Report build(const Results& results, const std::string& table) {
  auto totals = results.find("dimension_totals");
  if (totals == results.end()) {
    throw base::Error("dimension_totals", 0, 0,
                      "the dimension_totals result is missing; run "
                      "shredder_mitigation_validation.sql and save each result");
  }
  Report r;
  r.table = table;
  std::set<std::string> signed_metrics;
  if (auto it = results.find("compensation"); it != results.end()) {
    Columns c(it->second, "compensation");
    for (const auto& row : it->second.rows) {
      Compensation x{c.text(row, "metric").value_or(""), c.text(row, "kind").value_or(""),
                     c.number(row, "previous_total"), c.number(row, "compensated"),
                     c.number(row, "compensated_share")};
      if (x.kind == "signed") signed_metrics.insert(x.metric);
      r.compensation.push_back(std::move(x));
    }
  }
  auto common = read_dimensions(totals->second, "dimension_totals", false);
  std::vector<Read> added;
  if (auto it = results.find("added_dimension_totals"); it != results.end()) {
    added = read_dimensions(it->second, "added_dimension_totals", true);
  }
  for (auto* list : {&common, &added}) {
    for (auto& d : *list) summarize_cells(d, signed_metrics);
  }

  // Seed 004's troubleshooting step 1: the dimensions that differ, and among them those where
  // rows arrived (the new query gives more than the previous version had at some value).
  // A dimension of one value (the partition date) grows wherever anything grows: it tells
  // nothing unless no other dimension has grown.
  // Totals grew where the backfilled table is above the previous one (`growth`). The columns
  // redefined upstream are those whose values the new query alone puts above the previous
  // version (`increase`) while other grown dimensions show no such increase: the rows moved
  // into their values, and the other dimensions only follow the grown groups.
  std::vector<Dimension*> differing, grown, moved;
  for (auto& x : common) {
    Dimension& d = x.dimension;
    if (d.differing.empty()) continue;
    differing.push_back(&d);
    if (d.growth > 0) grown.push_back(&d);
    if (d.increase > 0 && d.values > 1) moved.push_back(&d);
  }
  size_t informative_grown = static_cast<size_t>(
      std::count_if(grown.begin(), grown.end(), [](const Dimension* d) { return d->values > 1; }));
  if (moved.size() >= informative_grown) moved.clear();  // every dimension alike: rows arrived
  for (Dimension* d : differing) {
    bool is_moved = std::find(moved.begin(), moved.end(), d) != moved.end();
    d->verdict = is_moved ? Verdict::kMoved : d->growth > 0 ? Verdict::kGrew : Verdict::kMismatch;
    if (d->verdict == Verdict::kGrew) d->grown_value = d->grew_at;
  }
  for (auto& x : added) {
    Dimension& d = x.dimension;
    bool null_grew = std::any_of(x.cells.begin(), x.cells.end(), [](const Cell& c) {
      return !c.value && !negligible(c.expected, scale_of(c));
    });
    d.verdict = !d.differing.empty() ? Verdict::kMismatch
                : null_grew          ? Verdict::kNullGrew
                                     : Verdict::kMatches;
  }

  // Kept before the dimensions move into the report.
  size_t differing_count = differing.size();
  std::string first_differing = differing.empty() ? "" : differing.front()->name;

  auto rank = [](Verdict v) {
    switch (v) {
      case Verdict::kMoved:
        return 0;
      case Verdict::kGrew:
        return 1;
      case Verdict::kMismatch:
        return 2;
      default:
        return 3;
    }
  };
  std::stable_sort(common.begin(), common.end(), [&](const Read& a, const Read& b) {
    const Dimension &x = a.dimension, &y = b.dimension;
    if (rank(x.verdict) != rank(y.verdict)) return rank(x.verdict) < rank(y.verdict);
    if (x.increase != y.increase) return x.increase > y.increase;
    if (x.growth != y.growth) return x.growth > y.growth;
    return false;
  });
  for (auto* list : {&common, &added}) {
    for (auto& x : *list) r.dimensions.push_back(std::move(x.dimension));
  }

  if (auto it = results.find("row_differences"); it != results.end() && !it->second.rows.empty()) {
    Columns c(it->second, "row_differences");
    const auto& row = it->second.rows.front();
    r.row_differences = {static_cast<long long>(c.number(row, "previous_only").value_or(0)),
                         static_cast<long long>(c.number(row, "backfilled_only").value_or(0))};
  }

  if (auto it = results.find("spellings"); it != results.end()) {
    Columns c(it->second, "spellings");
    auto count = [&](const std::vector<engine::Value>& row, const char* name) {
      return static_cast<long long>(c.number(row, name).value_or(0));
    };
    for (const auto& row : it->second.rows) {
      Spelling x{c.text(row, "dimension").value_or(""),     count(row, "previous_null_rows"),
                 count(row, "previous_placeholder_rows"),   count(row, "backfilled_null_rows"),
                 count(row, "backfilled_placeholder_rows"), ""};
      auto spelled = [](long long nulls, long long placeholders) -> std::string {
        if (nulls && placeholders) return "NULL and '??'";
        if (nulls) return "NULL only";
        if (placeholders) return "'??' only";
        return "";
      };
      std::string before = spelled(x.previous_null, x.previous_placeholder);
      std::string after = spelled(x.backfilled_null, x.backfilled_placeholder);
      bool both_now = x.backfilled_null && x.backfilled_placeholder;
      bool both_before = x.previous_null && x.previous_placeholder;
      // Both spellings where the previous partition had one, or the other one only.
      bool split = both_now && !both_before;
      bool switched =
          !both_now && !both_before && !before.empty() && !after.empty() && before != after;
      if (!split && !switched) continue;
      x.text = fmt::format(
          "stored as {} (previous: {}); apply one NULL handling (seed 004, "
          "consideration 3)",
          after, before.empty() ? "neither" : before);
      r.spellings.push_back(std::move(x));
    }
  }

  // The summary: the verdict, and where totals moved.
  std::vector<const Dimension*> moved_dims, grew, mismatched_added;
  size_t common_count = 0, added_null_grew = 0;
  for (const auto& d : r.dimensions) {
    if (!d.added) ++common_count;
    if (d.verdict == Verdict::kMoved) moved_dims.push_back(&d);
    if (d.verdict == Verdict::kGrew && d.values > 1) grew.push_back(&d);
    if (d.added && d.verdict == Verdict::kMismatch) mismatched_added.push_back(&d);
    if (d.added && d.verdict == Verdict::kNullGrew) ++added_null_grew;
  }
  if (grew.empty()) {
    for (const auto& d : r.dimensions) {
      if (d.verdict == Verdict::kGrew) grew.push_back(&d);
    }
  }
  r.matches = differing_count == 0 && mismatched_added.empty();
  auto metric_of = [](const Dimension& d) {
    for (const auto& c : d.differing) {
      if (d.verdict == Verdict::kMoved && increase(c) > 0 && c.value == d.grown_value) {
        return fmt::format("{} {}", c.metric, signed_text(increase(c)));
      }
      if (d.verdict == Verdict::kGrew && c.excess() > 0 && c.value == d.grown_value) {
        return fmt::format("{} {}", c.metric, signed_text(c.excess()));
      }
    }
    return d.differing.empty() ? std::string()
                               : fmt::format("{} {}", d.differing.front().metric,
                                             signed_text(d.differing.front().excess()));
  };
  if (!moved_dims.empty()) {
    std::vector<std::string> parts;
    for (const auto* d : moved_dims) {
      parts.push_back(fmt::format("{} ({} = {}: {})", title(*d), d->name, shown(d->grown_value),
                                  metric_of(*d)));
    }
    r.summary = fmt::format(
        "mismatch: values of {} gained rows that the other dimensions did not: likely an "
        "upstream change not propagated to {}; rename the column in the new version (seed "
        "004, troubleshooting 1)",
        base::join(parts, ", "), moved_dims.size() == 1 ? "it" : "them");
  } else if (!grew.empty()) {
    std::vector<std::string> parts;
    for (const auto* d : grew)
      parts.push_back(fmt::format("{} = {}", d->name, shown(d->grown_value)));
    r.summary = fmt::format(
        "mismatch: the group {} grew ({}): rows the previous version lacks, late data or an "
        "upstream change to every one of these columns; deletion cannot explain it",
        base::join(parts, ", "), metric_of(*grew.front()));
  } else if (differing_count > 0) {
    r.summary = fmt::format(
        "mismatch: totals differ in {} of {} common dimensions ({}) without rows arriving: a "
        "NULL total against a number, or a decrease (a mitigation defect: please report it)",
        differing_count, common_count, first_differing);
  } else if (!mismatched_added.empty()) {
    r.summary = fmt::format(
        "mismatch: the common totals match, but the subtotals of added dimension {} differ "
        "from upstream beyond its NULL value's growth by the shredded amount",
        title(*mismatched_added.front()));
  } else {
    r.summary = fmt::format(
        "matches: every total per value of the {} common dimensions equals the previous "
        "version's{}",
        common_count,
        added_null_grew > 0
            ? fmt::format("; the NULL value of {} added dimension{} grew by exactly the shredded "
                          "amount",
                          added_null_grew, added_null_grew == 1 ? "" : "s")
            : std::string());
  }
  if (!r.spellings.empty()) {
    std::vector<std::string> names;
    for (const auto& x : r.spellings) names.push_back("`" + x.dimension + "`");
    r.summary += fmt::format("; NULL and '??' spelled differently in {}", base::join(names, ", "));
    r.matches = false;
  }
  return r;
}

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A table both renderings show: the first two columns are text, the rest numbers.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// The cells of a dimension that differ, largest first.
Table differing_table(const Dimension& d) {
  Table t;
  t.header = d.added ? std::vector<std::string>{"value",      "metric",     "upstream",
                                                "backfilled", "difference", "expected"}
                     : std::vector<std::string>{"value",    "metric",     "previous",
                                                "upstream", "backfilled", "difference"};
  for (const auto& c : d.differing) {
    std::string value = c.value ? *c.value : "NULL";
    t.rows.push_back(d.added
                         ? std::vector<std::string>{value, c.metric, number_text(c.before),
                                                    number_text(c.after), signed_text(c.difference),
                                                    signed_text(c.expected)}
                         : std::vector<std::string>{value, c.metric, number_text(c.before),
                                                    number_text(c.upstream), number_text(c.after),
                                                    signed_text(c.difference)});
  }
  return t;
}

Table compensation_table(const Report& r) {
  Table t;
  t.header = {"metric", "kind", "previous total", "compensated", "share"};
  for (const auto& c : r.compensation) {
    t.rows.push_back({c.metric, c.kind, number_text(c.previous_total), number_text(c.compensated),
                      c.share ? fmt::format("{:.2f}%", 100 * *c.share) : "NULL"});
  }
  return t;
}

std::string cut(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

// The first `limit` rows as a Markdown table, the text columns cut to `widths`.
std::string markdown_table(const Table& t, std::array<size_t, 2> widths, size_t limit) {
  std::string out = "| " + base::join(t.header, " | ") + " |\n| --- | ---";
  for (size_t i = 2; i < t.header.size(); ++i) out += " | ---:";
  out += " |\n";
  for (size_t r = 0; r < t.rows.size() && r < limit; ++r) {
    std::vector<std::string> cells = t.rows[r];
    for (size_t i = 0; i < 2 && i < cells.size(); ++i) cells[i] = cut(cells[i], widths[i]);
    out += "| " + base::join(cells, " | ") + " |\n";
  }
  return out;
}

std::string html_table(const Table& t) {
  std::string out = "<table>\n<tr>";
  for (const auto& h : t.header) out += "<th>" + escape(h) + "</th>";
  out += "</tr>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      out += (i < 2 ? "<td>" : "<td class=\"num\">") + escape(row[i]) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string markdown(const Report& r) {
  std::string out = wrap("**shredmit report** for `" + r.table + "`") + "\n" + wrap(r.summary);
  std::vector<std::string> matching;
  for (const auto& d : r.dimensions) {
    if (d.differing.empty()) {
      if (d.verdict == Verdict::kMatches || d.verdict == Verdict::kNullGrew) {
        matching.push_back(d.name + (d.verdict == Verdict::kNullGrew ? " (NULL grew)" : ""));
      }
      continue;
    }
    out += fmt::format("\n### {}{}: {}\n\n", cut(title(d), 60), d.added ? " (added)" : "",
                       verdict_name(d.verdict));
    out += markdown_table(differing_table(d), {20, 16}, 10);
    if (d.differing.size() > 10) {
      out += fmt::format("\n{} more values differ.\n", d.differing.size() - 10);
    }
  }
  if (!matching.empty()) {
    out += "\n" + wrap("Matching dimensions: " + base::join(matching, ", ") + ".");
  }
  for (const auto& x : r.spellings) {
    out += "\n" + wrap(fmt::format("Spelling: {} {}.", cut("`" + x.dimension + "`", 40), x.text));
  }
  if (r.row_differences) {
    out += "\n" + wrap(fmt::format("Rows over the common columns: {} only in the previous table, "
                                   "{} only in the backfilled one.",
                                   r.row_differences->first, r.row_differences->second));
  }
  if (!r.compensation.empty()) {
    out += "\n" + markdown_table(compensation_table(r), {30, 30}, r.compensation.size());
  }
  return out;
}

std::string json(const Report& r) {
  auto number = [](std::optional<double> x) -> nlohmann::ordered_json {
    if (!x || !std::isfinite(*x)) return nullptr;
    return *x;
  };
  nlohmann::ordered_json j;
  j["table"] = r.table;
  j["summary"] = r.summary;
  j["matches"] = r.matches;
  j["dimensions"] = nlohmann::ordered_json::array();
  for (const auto& d : r.dimensions) {
    nlohmann::ordered_json x;
    x["name"] = d.name;
    x["added"] = d.added;
    x["verdict"] = verdict_name(d.verdict);
    x["increase"] = d.increase;
    x["growth"] = d.growth;
    x["values"] = d.values;
    x["differing"] = nlohmann::ordered_json::array();
    for (const auto& c : d.differing) {
      x["differing"].push_back({{"value", c.value ? nlohmann::ordered_json(*c.value) : nullptr},
                                {"metric", c.metric},
                                {"before", number(c.before)},
                                {"upstream", number(c.upstream)},
                                {"after", number(c.after)},
                                {"difference", c.difference},
                                {"expected", c.expected}});
    }
    j["dimensions"].push_back(std::move(x));
  }
  j["row_differences"] = nullptr;
  if (r.row_differences) {
    j["row_differences"] = {{"previous_only", r.row_differences->first},
                            {"backfilled_only", r.row_differences->second}};
  }
  j["compensation"] = nlohmann::ordered_json::array();
  for (const auto& c : r.compensation) {
    j["compensation"].push_back({{"metric", c.metric},
                                 {"kind", c.kind},
                                 {"previous_total", number(c.previous_total)},
                                 {"compensated", number(c.compensated)},
                                 {"share", number(c.share)}});
  }
  j["spellings"] = nlohmann::ordered_json::array();
  for (const auto& x : r.spellings) {
    j["spellings"].push_back({{"dimension", x.dimension},
                              {"previous_null_rows", x.previous_null},
                              {"previous_placeholder_rows", x.previous_placeholder},
                              {"backfilled_null_rows", x.backfilled_null},
                              {"backfilled_placeholder_rows", x.backfilled_placeholder},
                              {"text", x.text}});
  }
  return j.dump(2) + "\n";
}

namespace {

// Horizontal bars, two per value: before (grey) and backfilled (blue).
std::string bars(const Dimension& d) {
  std::string metric = d.differing.empty() ? (d.cells.empty() ? "" : d.cells.front().metric)
                                           : d.differing.front().metric;
  std::vector<const Cell*> cells;
  for (const auto& c : d.cells) {
    if (c.metric == metric) cells.push_back(&c);
  }
  std::stable_sort(cells.begin(), cells.end(), [](const Cell* a, const Cell* b) {
    return std::max(a->before.value_or(0), a->after.value_or(0)) >
           std::max(b->before.value_or(0), b->after.value_or(0));
  });
  if (cells.size() > 12) cells.resize(12);
  double most = 0;
  for (const Cell* c : cells) {
    most = std::max({most, std::fabs(c->before.value_or(0)), std::fabs(c->after.value_or(0))});
  }
  const int label = 180, width = 400, row = 30;
  int height = static_cast<int>(cells.size()) * row + 24;
  std::string out = fmt::format(
      "<svg role=\"img\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "aria-label=\"{} per value of {}\">\n",
      label + width + 200, height, label + width + 200, height, escape(metric), escape(d.name));
  out += fmt::format(
      "<text x=\"0\" y=\"14\" class=\"legend\">{}: <tspan class=\"before\">&#9632; {}</tspan> "
      "<tspan class=\"after\">&#9632; backfilled</tspan></text>\n",
      escape(metric), d.added ? "upstream" : "previous");
  int y = 24;
  for (const Cell* c : cells) {
    auto length = [&](std::optional<double> x) {
      return most > 0 ? static_cast<int>(std::lround(std::fabs(x.value_or(0)) / most * width)) : 0;
    };
    std::string value = c->value ? *c->value : "NULL";
    if (value.size() > 24) value = value.substr(0, 21) + "...";
    out += fmt::format("<text x=\"0\" y=\"{}\">{}</text>\n", y + 17, escape(value));
    out += fmt::format("<rect class=\"before\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"11\"/>\n",
                       label, y + 2, length(c->before));
    out += fmt::format("<rect class=\"after\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"11\"/>\n",
                       label, y + 14, length(c->after));
    out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"num\">{} &#8594; {}</text>\n",
                       label + std::max(length(c->before), length(c->after)) + 6, y + 17,
                       number_text(c->before), number_text(c->after));
    y += row;
  }
  return out + "</svg>\n";
}

}  // namespace

std::string html(const Report& r) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>shredmit "
      "report: " +
      escape(r.table) +
      "</title>\n<style>\n"
      "body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1b1b; }\n"
      "h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }\n"
      ".summary { padding: 10px 14px; border-radius: 4px; }\n"
      ".summary.matches { background: #e6f4ea; } .summary.mismatch { background: #fdecea; }\n"
      "table { border-collapse: collapse; margin: 8px 0; }\n"
      "th, td { border: 1px solid #ccc; padding: 3px 8px; } td.num { text-align: right; }\n"
      "svg text { font: 12px system-ui, sans-serif; } svg .num { fill: #555; }\n"
      "rect.before, tspan.before { fill: #9e9e9e; } rect.after, tspan.after { fill: #1a73e8; }\n"
      ".verdict { font-weight: normal; color: #555; }\n"
      "</style>\n</head>\n<body>\n<h1>shredmit report: <code>" +
      escape(r.table) + "</code></h1>\n";
  // The summary's `quoted` names and values as code.
  std::string summary = escape(r.summary);
  for (bool open = true;; open = !open) {
    auto at = summary.find('`');
    if (at == std::string::npos) break;
    summary.replace(at, 1, open ? "<code>" : "</code>");
  }
  out +=
      fmt::format("<p class=\"summary {}\">{}</p>\n", r.matches ? "matches" : "mismatch", summary);
  for (const auto& d : r.dimensions) {
    out += fmt::format("<section>\n<h2><code>{}</code>{} <span class=\"verdict\">{}</span></h2>\n",
                       escape(d.name), d.added ? " (added)" : "", escape(verdict_name(d.verdict)));
    out += bars(d);
    if (!d.differing.empty()) out += html_table(differing_table(d));
    out += "</section>\n";
  }
  for (const auto& x : r.spellings) {
    out +=
        fmt::format("<p>Spelling: <code>{}</code> {}.</p>\n", escape(x.dimension), escape(x.text));
  }
  if (r.row_differences) {
    out += fmt::format(
        "<p>Rows over the common columns: {} only in the previous table, {} only in the "
        "backfilled one.</p>\n",
        r.row_differences->first, r.row_differences->second);
  }
  if (!r.compensation.empty()) {
    out += "<h2>Compensation</h2>\n" + html_table(compensation_table(r));
  }
  return out + "</body>\n</html>\n";
}

std::vector<base::OutputFile> files(const Report& r, const fs::path& dir) {
  return {{dir / "report.md", markdown(r)},
          {dir / "report.json", json(r)},
          {dir / "report.html", html(r)}};
}

}  // namespace shredmit::report
