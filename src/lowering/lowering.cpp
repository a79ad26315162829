// GoogleSQL to SQLite lowering and the SQLite database that runs it (see lowering.h).
#include "lowering.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>

namespace shredmit::lowering {
namespace {

using namespace shredmit::syntax;
using base::join;

// ------------------------------------------------------------------ dates and times

bool digits(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int number(const std::string& s, size_t pos, size_t n) { return std::stoi(s.substr(pos, n)); }

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

// A SQL number used as a count or an index: refuses what is not a finite INT64 (converting it
// would be undefined behaviour), as BigQuery refuses it.
int64_t whole_number(double d, const char* what) {
  if (!std::isfinite(d) || std::fabs(d) >= 9.2233720368547758e18) {
    throw std::runtime_error(fmt::format("{} {} is out of range for INT64", what, d));
  }
  return static_cast<int64_t>(d);
}

std::optional<std::string> canonical_date(const std::string& s) {
  if (!base::is_iso_date(s)) return std::nullopt;
  return s;
}

// 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][zone]' as 'YYYY-MM-DD HH:MM:SS.ffffff'; with
// with_zone, the zone (Z, UTC, +HH[:MM], -HH[:MM]; none is UTC) is applied to give UTC.
std::optional<std::string> canonical_datetime(const std::string& text, bool with_zone) {
  std::string s = text;
  if (s.size() < 10 || !canonical_date(s.substr(0, 10))) return std::nullopt;
  int y = number(s, 0, 4), mo = number(s, 5, 2), d = number(s, 8, 2);
  int h = 0, mi = 0, sec = 0;
  std::string fraction = "000000";
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T' || s[pos] == 't') &&
      digits(s, pos + 1, 2)) {
    if (!digits(s, pos + 1, 2) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2)) {
      return std::nullopt;
    }
    h = number(s, pos + 1, 2);
    mi = number(s, pos + 4, 2);
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2)) return std::nullopt;
      sec = number(s, pos + 1, 2);
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
        size_t n = pos - start;
        if (n == 0 || n > 6) return std::nullopt;
        fraction = s.substr(start, n) + std::string(6 - n, '0');
      }
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
  int offset_minutes = 0;
  std::string zone = s.substr(pos);
  if (!zone.empty() && zone.front() == ' ') zone.erase(0, 1);
  if (!zone.empty()) {
    if (!with_zone) return std::nullopt;
    if (zone == "Z" || zone == "z" || zone == "UTC") {
      offset_minutes = 0;
    } else if ((zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2)) {
      int oh = number(zone, 1, 2), om = 0;
      if (zone.size() == 6 && zone[3] == ':' && digits(zone, 4, 2)) {
        om = number(zone, 4, 2);
      } else if (zone.size() != 3) {
        return std::nullopt;
      }
      offset_minutes = (zone[0] == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  int64_t minutes = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 1440 +
                    h * 60 + mi - offset_minutes;
  int64_t day = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440;
  int64_t minute_of_day = minutes - day * 1440;
  civil_from_days(day, y, mo, d);
  if (y < 1 || y > 9999) return std::nullopt;
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{}", y, mo, d, minute_of_day / 60,
                     minute_of_day % 60, sec, fraction);
}

// The name of a select item or STRUCT field: its alias, else the name BigQuery gives the
// expression (resolve::implicit_name); nullopt when it has none.
std::optional<std::string> item_name(const std::optional<Identifier>& alias, const Expr& value) {
  if (alias) return alias->name;
  return resolve::implicit_name(value);
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_text(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// ------------------------------------------------------------------ lowering

std::string function_key(const FunctionCall& f) { return to_upper(f.dotted_name()); }

class Lowerer {
 public:
  explicit Lowerer(const Options& options) : options_(options) {}

  Lowered run(const Query& q) {
    Lowered out;
    out.sql = query(q);
    out.parameters.assign(parameters_.begin(), parameters_.end());
    return out;
  }

 private:
  // What a SELECT can see: its range variables (lower case) and the WITH queries in scope.
  struct Scope {
    std::set<std::string> range_variables;
    std::set<std::string> unnest_values;  // `UNNEST(...) AS t`: t is a value, SQLite's t.value
    // The columns of a range variable's source, when known (WITH query or catalog table).
    std::map<std::string, std::vector<std::string>> columns;
    const Scope* outer = nullptr;
    bool has(const std::string& name) const {
      for (const Scope* s = this; s; s = s->outer) {
        if (s->range_variables.count(name)) return true;
      }
      return false;
    }
    bool is_unnest_value(const std::string& name) const {
      for (const Scope* s = this; s; s = s->outer) {
        if (s->unnest_values.count(name)) return true;
        if (s->range_variables.count(name)) return false;
      }
      return false;
    }
    const std::vector<std::string>* columns_of(const std::string& name) const {
      for (const Scope* s = this; s; s = s->outer) {
        auto it = s->columns.find(name);
        if (it != s->columns.end()) return &it->second;
      }
      return nullptr;
    }
  };

  [[noreturn]] void unsupported(Location loc, const std::string& what) const {
    throw base::Error(options_.file, loc.line, loc.column,
                      what +
                          " is not supported by the SQLite lowering; `shredmit simulate` and the "
                          "property tests run only the subset listed in src/lowering/lowering.h");
  }

  // ---------------------------------------------------------------- queries

  std::string query(const Query& q) {
    if (q.recursive) unsupported(q.loc, "WITH RECURSIVE");
    std::string out;
    if (!q.with.empty()) {
      out += "WITH ";
      for (size_t i = 0; i < q.with.size(); ++i) {
        if (i > 0) out += ", ";
        out += quote_identifier(q.with[i].name.name) + " AS (" + query(*q.with[i].query) + ")";
        ctes_.push_back(&q.with[i]);
      }
      out += " ";
    }
    out += query_expr(*q.body, false);
    if (!q.order_by.empty()) out += " ORDER BY " + ordering(q.order_by);
    if (q.limit) out += " LIMIT " + expr(*q.limit);
    if (q.offset) out += " OFFSET " + expr(*q.offset);
    ctes_.resize(ctes_.size() - q.with.size());
    return out;
  }

  // A query expression; `operand` when it is an operand of a compound SELECT, where SQLite
  // allows only a plain SELECT.
  std::string query_expr(const QueryExpr& e, bool operand) {
    switch (e.kind) {
      case QueryExprKind::kSelect:
        return select(e.as<Select>());
      case QueryExprKind::kNested: {
        const Query& inner = *e.as<NestedQuery>().query;
        bool plain = inner.with.empty() && inner.order_by.empty() && !inner.limit &&
                     inner.body->kind == QueryExprKind::kSelect;
        if (operand && !plain) return "SELECT * FROM (" + query(inner) + ")";
        return query(inner);
      }
      case QueryExprKind::kSetOperation: {
        const auto& op = e.as<SetOperation>();
        if (op.by_name || op.corresponding) unsupported(op.loc, "BY NAME and CORRESPONDING");
        std::string keyword;
        switch (op.op) {
          case SetOp::kUnion:
            keyword = op.distinct ? "UNION" : "UNION ALL";
            break;
          case SetOp::kExcept:
            if (!op.distinct) unsupported(op.loc, "EXCEPT ALL");
            keyword = "EXCEPT";
            break;
          case SetOp::kIntersect:
            if (!op.distinct) unsupported(op.loc, "INTERSECT ALL");
            keyword = "INTERSECT";
            break;
        }
        std::string left = query_expr(*op.left, true);
        // SQLite's compound operators associate to the left: a right operand that is itself a
        // compound becomes a subquery.
        std::string right = op.right->kind == QueryExprKind::kSetOperation
                                ? "SELECT * FROM (" + query_expr(*op.right, false) + ")"
                                : query_expr(*op.right, true);
        std::string out = left + " " + keyword + " " + right;
        return operand ? out : out;
      }
    }
    return "";
  }

  std::string select(const Select& s) {
    if (s.select_as != Select::As::kNone) unsupported(s.loc, "SELECT AS STRUCT/VALUE");
    if (s.qualify) unsupported(s.qualify->loc, "QUALIFY");
    if (!s.windows.empty()) unsupported(s.loc, "WINDOW");
    Scope scope;
    scope.outer = scope_;
    std::string from;
    if (s.from) from = from_item(*s.from, scope);
    const Scope* saved = scope_;
    scope_ = &scope;
    std::string out = s.distinct ? "SELECT DISTINCT " : "SELECT ";
    std::vector<std::string> items;
    for (const auto& item : s.items) items.push_back(select_item(item, scope));
    out += join(items, ", ");
    if (s.from) out += " FROM " + from;
    if (s.where) out += " WHERE " + expr(*s.where);
    if (s.group_by) {
      std::vector<std::string> keys;
      if (s.group_by->all) {
        for (const auto& item : s.items) {
          if (item.kind == SelectItem::Kind::kExpression &&
              !analysis::contains_aggregate(*item.expr)) {
            keys.push_back(expr(*item.expr));
          }
        }
      }
      for (const auto& g : s.group_by->items) {
        if (g.kind != GroupingItem::Kind::kExpression) {
          unsupported(g.loc, "ROLLUP, CUBE, GROUPING SETS and GROUP BY ()");
        }
        keys.push_back(expr(*g.exprs[0]));
      }
      if (!keys.empty()) out += " GROUP BY " + join(keys, ", ");
    }
    if (s.having) out += " HAVING " + expr(*s.having);
    scope_ = saved;
    return out;
  }

  std::string select_item(const SelectItem& item, const Scope& scope) {
    switch (item.kind) {
      case SelectItem::Kind::kStar:
        if (!item.replace_items.empty()) unsupported(item.loc, "SELECT * REPLACE");
        if (!item.except_columns.empty()) {
          // `* EXCEPT (...)` from one source whose columns are known: the other columns.
          if (scope.range_variables.size() != 1 ||
              !scope.columns.count(*scope.range_variables.begin())) {
            unsupported(item.loc, "SELECT * EXCEPT over a source whose columns are not known");
          }
          std::vector<std::string> kept;
          for (const auto& c : scope.columns.at(*scope.range_variables.begin())) {
            bool excepted =
                std::any_of(item.except_columns.begin(), item.except_columns.end(),
                            [&](const Identifier& x) { return to_lower(x.name) == to_lower(c); });
            if (!excepted) kept.push_back(quote_identifier(c));
          }
          if (kept.empty()) unsupported(item.loc, "SELECT * EXCEPT of every column");
          return join(kept, ", ");
        }
        return "*";
      case SelectItem::Kind::kDotStar:
        if (item.expr->kind != ExprKind::kName) unsupported(item.loc, "`expression.*`");
        return quote_identifier(item.expr->as<NameRef>().name.name) + ".*";
      case SelectItem::Kind::kExpression:
        break;
    }
    std::string out = expr(*item.expr);
    if (item.alias) {
      out += " AS " + quote_identifier(item.alias->name);
    } else if (item.expr->kind == ExprKind::kFieldAccess) {
      // BigQuery names `a.b` after its last field; SQLite would not for json_extract.
      out += " AS " + quote_identifier(item.expr->as<FieldAccess>().field.name);
    }
    return out;
  }

  std::string from_item(const FromItem& f, Scope& scope) {
    switch (f.kind) {
      case FromKind::kTable: {
        const auto& t = f.as<TableFrom>();
        if (t.system_time) unsupported(t.loc, "FOR SYSTEM_TIME AS OF");
        if (t.sample_size) unsupported(t.loc, "TABLESAMPLE");
        std::string path = t.dotted_path();
        std::string alias = t.alias ? t.alias->name : resolve::implicit_alias(path);
        scope.range_variables.insert(to_lower(alias));
        if (auto columns = columns_of(path)) scope.columns[to_lower(alias)] = *columns;
        return quote_identifier(path) + " AS " + quote_identifier(alias);
      }
      case FromKind::kSubquery: {
        const auto& s = f.as<SubqueryFrom>();
        std::string out = "(" + query(*s.query) + ")";
        if (s.alias) {
          scope.range_variables.insert(to_lower(s.alias->name));
          if (auto columns = query_columns(*s.query))
            scope.columns[to_lower(s.alias->name)] = *columns;
          out += " AS " + quote_identifier(s.alias->name);
        }
        return out;
      }
      case FromKind::kJoin: {
        const auto& j = f.as<JoinFrom>();
        std::string left = from_item(*j.left, scope);
        std::string right = from_item(*j.right, scope);
        std::string keyword;
        switch (j.join_type) {
          case JoinType::kComma:
            return left + ", " + right;
          case JoinType::kCross:
            keyword = "CROSS JOIN";
            break;
          case JoinType::kPlain:
          case JoinType::kInner:
            keyword = "JOIN";
            break;
          case JoinType::kLeft:
            keyword = "LEFT JOIN";
            break;
          case JoinType::kRight:
            keyword = "RIGHT JOIN";
            break;
          case JoinType::kFull:
            keyword = "FULL JOIN";
            break;
        }
        std::string out = left + " " + keyword + " " + right;
        if (j.on) {
          const Scope* saved = scope_;
          scope_ = &scope;
          out += " ON " + expr(*j.on);
          scope_ = saved;
        }
        if (j.using_columns) {
          std::vector<std::string> names;
          for (const auto& c : *j.using_columns) names.push_back(quote_identifier(c.name));
          out += " USING (" + join(names, ", ") + ")";
        }
        return out;
      }
      case FromKind::kParenthesized:
        return "(" + from_item(*f.as<ParenthesizedFrom>().inner, scope) + ")";
      case FromKind::kUnnest: {
        // UNNEST(SPLIT(text, delimiter)) AS t: the parts as SQLite's json_each rows.
        const auto& u = f.as<UnnestFrom>();
        const Expr& array = *u.array;
        bool split = array.kind == ExprKind::kFunctionCall &&
                     function_key(array.as<FunctionCall>()) == "SPLIT" &&
                     array.as<FunctionCall>().args.size() == 2;
        if (!split || !u.alias || u.with_offset) {
          unsupported(f.loc, "UNNEST other than UNNEST(SPLIT(text, delimiter)) AS alias");
        }
        const Scope* saved = scope_;
        scope_ = &scope;
        std::string out = "json_each(bq_split_json(" + args(array.as<FunctionCall>()) + ")) AS " +
                          quote_identifier(u.alias->name);
        scope_ = saved;
        scope.range_variables.insert(to_lower(u.alias->name));
        scope.unnest_values.insert(to_lower(u.alias->name));
        return out;
      }
      case FromKind::kTableFunction:
        unsupported(f.loc, "a table function");
      case FromKind::kPivot:
      case FromKind::kUnpivot:
        unsupported(f.loc, "PIVOT and UNPIVOT");
    }
    return "";
  }

  std::string ordering(const std::vector<OrderingItem>& items) {
    std::vector<std::string> parts;
    for (const auto& o : items) {
      std::string p = expr(*o.expr);
      if (o.direction == OrderingItem::Direction::kAsc) p += " ASC";
      if (o.direction == OrderingItem::Direction::kDesc) p += " DESC";
      if (o.nulls == OrderingItem::Nulls::kFirst) p += " NULLS FIRST";
      if (o.nulls == OrderingItem::Nulls::kLast) p += " NULLS LAST";
      parts.push_back(p);
    }
    return join(parts, ", ");
  }

  // ---------------------------------------------------------------- expressions

  std::string literal(const Literal& l) {
    switch (l.literal_kind) {
      case LiteralKind::kString: {
        auto value = string_literal_value(l.spelling);
        if (!value) unsupported(l.loc, "this string literal");
        return quote_text(*value);
      }
      case LiteralKind::kInteger:
      case LiteralKind::kFloat:
        return l.spelling;
      case LiteralKind::kBoolean:
        return to_upper(l.spelling) == "TRUE" ? "1" : "0";
      case LiteralKind::kNull:
        return "NULL";
      case LiteralKind::kNumeric:
      case LiteralKind::kBigNumeric: {
        auto value = string_literal_value(l.spelling);
        if (!value) unsupported(l.loc, "this NUMERIC literal");
        return "CAST(" + quote_text(*value) + " AS REAL)";
      }
      case LiteralKind::kDate:
      case LiteralKind::kDatetime:
      case LiteralKind::kTimestamp: {
        auto value = string_literal_value(l.spelling);
        std::optional<std::string> canonical;
        if (value) {
          canonical = l.literal_kind == LiteralKind::kDate
                          ? canonical_date(*value)
                          : canonical_datetime(*value, l.literal_kind == LiteralKind::kTimestamp);
        }
        if (!canonical) {
          throw base::Error(options_.file, l.loc.line, l.loc.column,
                            "invalid date or time literal " + l.spelling +
                                "; write it as "
                                "YYYY-MM-DD[ HH:MM:SS[.ffffff]]");
        }
        return quote_text(*canonical);
      }
      default:
        unsupported(l.loc, "this kind of literal (BYTES, TIME, JSON, RANGE)");
    }
  }

  std::string args(const FunctionCall& f, size_t from = 0) {
    std::vector<std::string> parts;
    for (size_t i = from; i < f.args.size(); ++i) {
      if (f.args[i].kind != FunctionArgument::Kind::kPositional) {
        unsupported(f.loc, "named and lambda arguments");
      }
      parts.push_back(expr(*f.args[i].value));
    }
    return join(parts, ", ");
  }

  void require_args(const FunctionCall& f, size_t low, size_t high) {
    if (f.args.size() < low || f.args.size() > high) {
      throw base::Error(
          options_.file, f.loc.line, f.loc.column,
          fmt::format("{} takes {} argument{}; fix the call", f.dotted_name(),
                      low == high ? std::to_string(low) : fmt::format("{} to {}", low, high),
                      high == 1 ? "" : "s"));
    }
  }

  std::string function(const FunctionCall& f) {
    std::string name = function_key(f);
    if (f.over && name == "ROW_NUMBER" && f.args.empty() && f.over->spec && !f.over->spec->frame &&
        !f.over->spec->base_window) {
      std::string out = "ROW_NUMBER() OVER (";
      std::vector<std::string> partition;
      for (const auto& p : f.over->spec->partition_by) partition.push_back(expr(*p));
      if (!partition.empty()) out += "PARTITION BY " + join(partition, ", ");
      if (!f.over->spec->order_by.empty()) {
        out += (partition.empty() ? "" : " ") + std::string("ORDER BY ") +
               ordering(f.over->spec->order_by);
      }
      return out + ")";
    }
    if (f.over) unsupported(f.loc, "window functions other than ROW_NUMBER()");
    if (f.having || !f.order_by.empty() || f.limit || f.offset ||
        f.null_handling != FunctionCall::NullHandling::kDefault) {
      unsupported(f.loc, "aggregate modifiers (HAVING, ORDER BY, LIMIT, IGNORE/RESPECT NULLS)");
    }
    if (f.distinct && name != "COUNT" && name != "SUM") unsupported(f.loc, name + "(DISTINCT ...)");
    std::string distinct = f.distinct ? "DISTINCT " : "";
    if (name == "IF") {
      require_args(f, 3, 3);
      return "(CASE WHEN " + expr(*f.args[0].value) + " THEN " + expr(*f.args[1].value) + " ELSE " +
             expr(*f.args[2].value) + " END)";
    }
    if (name == "IFNULL" || name == "NULLIF") {
      require_args(f, 2, 2);
      return name + "(" + args(f) + ")";
    }
    if (name == "COALESCE") {
      require_args(f, 1, 1000);
      // SQLite's COALESCE needs two arguments.
      return f.args.size() == 1 ? "(" + args(f) + ")" : "COALESCE(" + args(f) + ")";
    }
    if (name == "COUNT") {
      if (f.star) return "COUNT(*)";
      require_args(f, 1, 1);
      return "COUNT(" + distinct + args(f) + ")";
    }
    if (name == "SUM" || name == "MIN" || name == "MAX" || name == "AVG") {
      require_args(f, 1, 1);
      return name + "(" + distinct + args(f) + ")";
    }
    if (name == "COUNTIF") {
      require_args(f, 1, 1);
      return "COUNT(CASE WHEN " + expr(*f.args[0].value) + " THEN 1 END)";
    }
    if (name == "ROUND") {
      require_args(f, 1, 2);
      return "bq_round(" + args(f) + ")";
    }
    if (name == "SAFE_DIVIDE") {
      require_args(f, 2, 2);
      return "bq_safe_divide(" + args(f) + ")";
    }
    if (name == "ERROR") {
      require_args(f, 1, 1);
      return "bq_error(" + args(f) + ")";
    }
    if (name == "CONCAT") {
      require_args(f, 1, 1000);
      std::vector<std::string> parts;
      for (const auto& a : f.args) parts.push_back(expr(*a.value));
      return "(" + join(parts, " || ") + ")";
    }
    if (name == "TO_JSON_STRING" && f.args.size() == 1 &&
        f.args[0].value->kind == ExprKind::kArraySubquery) {
      return json_array_of_structs(*f.args[0].value->as<ArraySubquery>().query, f.loc);
    }
    if (name == "TO_JSON_STRING" && f.args.size() == 1 &&
        f.args[0].value->kind == ExprKind::kName) {
      // TO_JSON_STRING(t) of a range variable whose columns are known: the row as JSON.
      std::string alias = f.args[0].value->as<NameRef>().name.name;
      const auto* columns = scope_ ? scope_->columns_of(to_lower(alias)) : nullptr;
      if (!columns) unsupported(f.loc, "TO_JSON_STRING of a row whose columns are not known");
      std::vector<std::string> pairs;
      for (const auto& c : *columns) {
        pairs.push_back(quote_text(c) + ", " + quote_identifier(alias) + "." + quote_identifier(c));
      }
      return "json_object(" + join(pairs, ", ") + ")";
    }
    if (name == "TO_JSON_STRING" && f.args.size() == 1 &&
        f.args[0].value->kind == ExprKind::kStructConstructor) {
      // TO_JSON_STRING(STRUCT(a, b AS c)): an object keyed by the fields' names.
      const auto& st = f.args[0].value->as<StructConstructor>();
      if (st.typed) unsupported(st.loc, "typed STRUCT constructors");
      std::vector<std::string> pairs;
      for (const auto& field : st.fields) {
        auto field_name = item_name(field.alias, *field.value);
        if (!field_name) unsupported(field.value->loc, "a STRUCT field without a name");
        pairs.push_back(quote_text(*field_name) + ", " + expr(*field.value));
      }
      return "json_object(" + join(pairs, ", ") + ")";
    }
    if (name == "ARRAY_TO_STRING" && f.args.size() == 2 &&
        f.args[0].value->kind == ExprKind::kArraySubquery) {
      // ARRAY_TO_STRING(ARRAY(SELECT x AS name ...), sep): the subquery's rows joined in their
      // order (SQLite's group_concat keeps the order of an ordered subquery).
      const Query& q = *f.args[0].value->as<ArraySubquery>().query;
      const Select& select = analysis::final_select(q);
      std::optional<std::string> column;
      if (select.items.size() == 1 && select.items[0].kind == SelectItem::Kind::kExpression) {
        column = item_name(select.items[0].alias, *select.items[0].expr);
      }
      if (!column) unsupported(f.loc, "ARRAY_TO_STRING(ARRAY(...)) other than of one named column");
      return "(SELECT IFNULL(group_concat(" + quote_identifier(*column) + ", " +
             expr(*f.args[1].value) + "), '') FROM (" + query(q) + "))";
    }
    if ((name == "ABS" && f.args.size() == 1) ||
        ((name == "GREATEST" || name == "LEAST") && !f.args.empty())) {
      // SQLite's abs, and its multi-argument max and min, which like BigQuery's GREATEST and
      // LEAST give NULL when any argument is NULL.
      if (name == "ABS") return "abs(" + args(f) + ")";
      std::string sqlite = name == "GREATEST" ? "max" : "min";
      if (f.args.size() == 1) return "(" + args(f) + ")";
      return sqlite + "(" + args(f) + ")";
    }
    if (name == "DATE" && f.args.size() == 1) return "bq_date(" + args(f) + ")";
    if ((name == "DATE_ADD" || name == "DATE_SUB") && f.args.size() == 2 &&
        f.args[1].value->kind == ExprKind::kInterval) {
      const auto& interval = f.args[1].value->as<Interval>();
      if (to_upper(interval.part.name) != "DAY" || interval.to_part) {
        unsupported(f.loc, name + " with an interval other than n DAY");
      }
      return "bq_date_add(" + expr(*f.args[0].value) + ", " + (name == "DATE_SUB" ? "-(" : "(") +
             expr(*interval.value) + "))";
    }
    if (name == "TRIM" && f.args.size() == 1) return "bq_trim(" + args(f) + ")";
    unsupported(f.loc, "function " + f.dotted_name());
  }

  // TO_JSON_STRING(ARRAY(SELECT AS STRUCT * FROM source [LIMIT n])): a JSON array of objects.
  std::string json_array_of_structs(const Query& q, Location loc) {
    if (!q.with.empty() || q.body->kind != QueryExprKind::kSelect) {
      unsupported(loc, "TO_JSON_STRING(ARRAY(...)) other than of SELECT AS STRUCT * FROM a table");
    }
    const auto& s = q.body->as<Select>();
    if (s.select_as != Select::As::kStruct || s.items.size() != 1 ||
        s.items[0].kind != SelectItem::Kind::kStar || !s.from || s.from->kind != FromKind::kTable ||
        s.group_by) {
      unsupported(loc, "TO_JSON_STRING(ARRAY(...)) other than of SELECT AS STRUCT * FROM a table");
    }
    const auto& table = s.from->as<TableFrom>();
    auto columns = columns_of(table.dotted_path());
    if (!columns)
      unsupported(
          loc,
          "TO_JSON_STRING(ARRAY(SELECT AS STRUCT * ...)) of a table whose columns are not known");
    std::vector<std::string> pairs;
    for (const auto& c : *columns) pairs.push_back(quote_text(c) + ", " + quote_identifier(c));
    std::string inner = "SELECT * FROM " + quote_identifier(table.dotted_path());
    if (s.where) inner += " WHERE " + expr(*s.where);
    if (!q.order_by.empty()) inner += " ORDER BY " + ordering(q.order_by);
    if (q.limit) inner += " LIMIT " + expr(*q.limit);
    return "(SELECT IFNULL(json_group_array(json_object(" + join(pairs, ", ") + ")), '[]') FROM (" +
           inner + "))";
  }

  // The output column names of a WITH query in scope or a catalog table.
  std::optional<std::vector<std::string>> columns_of(const std::string& path) {
    for (auto it = ctes_.rbegin(); it != ctes_.rend(); ++it) {
      if (to_lower((*it)->name.name) == to_lower(path)) return query_columns(*(*it)->query);
    }
    if (options_.catalog) {
      for (const auto& [name, columns] : *options_.catalog) {
        if (to_lower(name) == to_lower(path)) return columns;
      }
    }
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> query_columns(const Query& q) {
    const Select& s = analysis::final_select(q);
    bool star = std::any_of(s.items.begin(), s.items.end(), [](const SelectItem& i) {
      return i.kind != SelectItem::Kind::kExpression;
    });
    if (star) {
      // `*` (possibly EXCEPT) or `t.*` over one table or WITH query, plus named items.
      const FromItem* from = s.from.get();
      std::string path;
      if (from && from->kind == FromKind::kTable) path = from->as<TableFrom>().dotted_path();
      if (from && from->kind == FromKind::kJoin) {
        // t.* of a join: the star's source by alias.
        for (const auto& item : s.items) {
          if (item.kind == SelectItem::Kind::kDotStar && item.expr->kind == ExprKind::kName) {
            path = source_path(*from, to_lower(item.expr->as<NameRef>().name.name));
          }
        }
      }
      auto base = path.empty() ? std::nullopt : columns_of(path);
      if (!base) return std::nullopt;
      std::vector<std::string> names;
      for (const auto& item : s.items) {
        if (item.kind == SelectItem::Kind::kExpression) {
          auto n = item_name(item.alias, *item.expr);
          if (!n) return std::nullopt;
          names.push_back(*n);
          continue;
        }
        for (const auto& c : *base) {
          bool excepted =
              std::any_of(item.except_columns.begin(), item.except_columns.end(),
                          [&](const Identifier& x) { return to_lower(x.name) == to_lower(c); });
          if (!excepted) names.push_back(c);
        }
      }
      return names;
    }
    auto columns = analysis::output_columns(q);
    if (!columns) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& c : *columns) names.push_back(c.name);
    return names;
  }

  // The table path behind range variable `alias` in a FROM clause, or "".
  static std::string source_path(const FromItem& f, const std::string& alias) {
    if (f.kind == FromKind::kTable) {
      const auto& t = f.as<TableFrom>();
      std::string path = t.dotted_path();
      return to_lower(t.alias ? t.alias->name : resolve::implicit_alias(path)) == alias ? path : "";
    }
    if (f.kind == FromKind::kJoin) {
      std::string left = source_path(*f.as<JoinFrom>().left, alias);
      return left.empty() ? source_path(*f.as<JoinFrom>().right, alias) : left;
    }
    return "";
  }

  std::string cast(const Cast& c) {
    const syntax::Type& t = *c.type;
    if (t.kind != syntax::Type::Kind::kNamed) unsupported(c.loc, "CAST to ARRAY, STRUCT or RANGE");
    std::string type = to_upper(t.name.name);
    // A typed NULL of any scalar type (the generator's CAST(NULL AS T)) is SQLite's NULL.
    const Expr& operand = *c.operand;
    if (operand.kind == ExprKind::kLiteral &&
        operand.as<Literal>().literal_kind == LiteralKind::kNull) {
      return "NULL";
    }
    static const std::map<std::string, std::string> kTypes = {
        {"INT64", "INT64"},     {"INTEGER", "INT64"},      {"INT", "INT64"},
        {"FLOAT64", "FLOAT64"}, {"FLOAT", "FLOAT64"},      {"NUMERIC", "FLOAT64"},
        {"DECIMAL", "FLOAT64"}, {"BIGNUMERIC", "FLOAT64"}, {"BIGDECIMAL", "FLOAT64"},
        {"STRING", "STRING"},   {"BOOL", "BOOL"},          {"BOOLEAN", "BOOL"},
        {"DATE", "DATE"},       {"DATETIME", "DATETIME"},  {"TIMESTAMP", "TIMESTAMP"}};
    auto it = kTypes.find(type);
    if (it == kTypes.end()) unsupported(c.loc, "CAST to " + type);
    if (c.format) unsupported(c.loc, "CAST ... FORMAT");
    return fmt::format("{}({}, '{}')", c.safe ? "bq_safe_cast" : "bq_cast", expr(operand),
                       it->second);
  }

  std::string field_access(const FieldAccess& f) {
    // `t.x` where t is a range variable: a qualified column. Otherwise a field of a RECORD
    // column, stored as JSON text.
    std::vector<std::string> path = {f.field.name};
    const Expr* base = f.operand.get();
    while (base->kind == ExprKind::kFieldAccess) {
      path.insert(path.begin(), base->as<FieldAccess>().field.name);
      base = base->as<FieldAccess>().operand.get();
    }
    if (base->kind != ExprKind::kName) unsupported(f.loc, "field access on an expression");
    std::string head = base->as<NameRef>().name.name;
    std::string column;
    if (scope_ && scope_->has(to_lower(head))) {
      column = quote_identifier(head) + "." + quote_identifier(path.front());
      path.erase(path.begin());
    } else {
      column = quote_identifier(head);
    }
    if (path.empty()) return column;
    std::string json_path = "$";
    for (const auto& p : path) json_path += "." + p;
    return "json_extract(" + column + ", " + quote_text(json_path) + ")";
  }

  std::string expr(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return literal(e.as<Literal>());
      case ExprKind::kName: {
        const auto& n = e.as<NameRef>();
        std::string upper = to_upper(n.name.name);
        if (!n.name.quoted && (upper == "CURRENT_DATE" || upper == "CURRENT_TIMESTAMP" ||
                               upper == "CURRENT_DATETIME" || upper == "CURRENT_TIME")) {
          unsupported(e.loc, upper + " (the result would depend on the day it runs)");
        }
        if (scope_ && scope_->is_unnest_value(to_lower(n.name.name))) {
          return quote_identifier(n.name.name) + ".\"value\"";
        }
        return quote_identifier(n.name.name);
      }
      case ExprKind::kParameter: {
        const auto& p = e.as<Parameter>();
        if (p.parameter_kind != ParameterKind::kNamed)
          unsupported(e.loc, "system and positional parameters");
        parameters_.insert(p.name);
        return ":" + p.name;
      }
      case ExprKind::kUnary: {
        const auto& u = e.as<Unary>();
        switch (u.op) {
          case UnaryOp::kMinus:
            return "(-" + expr(*u.operand) + ")";
          case UnaryOp::kPlus:
            return "(+" + expr(*u.operand) + ")";
          case UnaryOp::kNot:
            return "(NOT " + expr(*u.operand) + ")";
          case UnaryOp::kBitwiseNot:
            return "(~" + expr(*u.operand) + ")";
        }
        return "";
      }
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        std::string l = expr(*b.left), r = expr(*b.right);
        switch (b.op) {
          case BinaryOp::kDivide:
            return "bq_divide(" + l + ", " + r + ")";
          case BinaryOp::kIsDistinctFrom:
            return "(" + l + " IS NOT " + r + ")";
          case BinaryOp::kIsNotDistinctFrom:
            return "(" + l + " IS " + r + ")";
          case BinaryOp::kBitwiseXor:
            unsupported(e.loc, "the ^ operator");
          default:
            break;
        }
        static const std::map<BinaryOp, std::string> kOps = {
            {BinaryOp::kMultiply, "*"},   {BinaryOp::kConcat, "||"},
            {BinaryOp::kAdd, "+"},        {BinaryOp::kSubtract, "-"},
            {BinaryOp::kShiftLeft, "<<"}, {BinaryOp::kShiftRight, ">>"},
            {BinaryOp::kBitwiseAnd, "&"}, {BinaryOp::kBitwiseOr, "|"},
            {BinaryOp::kEqual, "="},      {BinaryOp::kNotEqual, "<>"},
            {BinaryOp::kLess, "<"},       {BinaryOp::kLessOrEqual, "<="},
            {BinaryOp::kGreater, ">"},    {BinaryOp::kGreaterOrEqual, ">="},
            {BinaryOp::kAnd, "AND"},      {BinaryOp::kOr, "OR"}};
        return "(" + l + " " + kOps.at(b.op) + " " + r + ")";
      }
      case ExprKind::kLike:
        unsupported(e.loc, "LIKE (SQLite's LIKE ignores case)");
      case ExprKind::kBetween: {
        const auto& b = e.as<Between>();
        return "(" + expr(*b.operand) + (b.negated ? " NOT" : "") + " BETWEEN " + expr(*b.low) +
               " AND " + expr(*b.high) + ")";
      }
      case ExprKind::kIn: {
        const auto& in = e.as<In>();
        std::string set;
        if (in.set.kind == InOperand::Kind::kList) {
          std::vector<std::string> parts;
          for (const auto& x : in.set.list) parts.push_back(expr(*x));
          set = join(parts, ", ");
        } else if (in.set.kind == InOperand::Kind::kSubquery) {
          set = query(*in.set.query);
        } else {
          unsupported(e.loc, "IN UNNEST");
        }
        return "(" + expr(*in.operand) + (in.negated ? " NOT IN (" : " IN (") + set + "))";
      }
      case ExprKind::kIsTest: {
        const auto& t = e.as<IsTest>();
        std::string what = t.what == IsWhat::kTrue    ? "TRUE"
                           : t.what == IsWhat::kFalse ? "FALSE"
                                                      : "NULL";
        return "(" + expr(*t.operand) + (t.negated ? " IS NOT " : " IS ") + what + ")";
      }
      case ExprKind::kCase: {
        const auto& c = e.as<Case>();
        std::string out = "(CASE";
        if (c.operand) out += " " + expr(*c.operand);
        for (const auto& w : c.whens) {
          out += " WHEN " + expr(*w.condition) + " THEN " + expr(*w.result);
        }
        if (c.else_result) out += " ELSE " + expr(*c.else_result);
        return out + " END)";
      }
      case ExprKind::kCast:
        return cast(e.as<Cast>());
      case ExprKind::kExtract: {
        const auto& x = e.as<Extract>();
        if (x.part_argument || x.time_zone)
          unsupported(e.loc, "EXTRACT with WEEK(...) or AT TIME ZONE");
        std::string part = to_upper(x.part.name);
        static const std::set<std::string> kParts = {"YEAR",      "QUARTER",   "MONTH", "DAY",
                                                     "DAYOFWEEK", "DAYOFYEAR", "HOUR",  "MINUTE",
                                                     "SECOND",    "DATE"};
        if (!kParts.count(part)) unsupported(e.loc, "EXTRACT(" + part + " ...)");
        return "bq_extract('" + part + "', " + expr(*x.operand) + ")";
      }
      case ExprKind::kFunctionCall:
        return function(e.as<FunctionCall>());
      case ExprKind::kParenthesized:
        return "(" + expr(*e.as<Parenthesized>().inner) + ")";
      case ExprKind::kFieldAccess:
        return field_access(e.as<FieldAccess>());
      case ExprKind::kScalarSubquery:
        return "(" + query(*e.as<ScalarSubquery>().query) + ")";
      case ExprKind::kExists:
        return "EXISTS (" + query(*e.as<Exists>().query) + ")";
      case ExprKind::kArraySubquery:
      case ExprKind::kArrayConstructor:
        unsupported(e.loc, "arrays");
      case ExprKind::kStructConstructor:
        unsupported(e.loc, "STRUCT constructors");
      case ExprKind::kSubscript: {
        // SPLIT(text, delimiter)[OFFSET(n)] and [SAFE_OFFSET(n)].
        const auto& sub = e.as<Subscript>();
        const Expr& array = *sub.operand;
        bool split = array.kind == ExprKind::kFunctionCall &&
                     function_key(array.as<FunctionCall>()) == "SPLIT" &&
                     array.as<FunctionCall>().args.size() == 2;
        bool offset = sub.mode == SubscriptMode::kOffset ||
                      sub.mode == SubscriptMode::kSafeOffset || sub.mode == SubscriptMode::kPlain;
        if (!split || !offset)
          unsupported(e.loc, "array subscripts other than SPLIT(...)[OFFSET(n)]");
        return "bq_split_offset(" + args(array.as<FunctionCall>()) + ", " + expr(*sub.index) +
               (sub.mode == SubscriptMode::kSafeOffset ? ", 1)" : ", 0)");
      }
      case ExprKind::kInterval:
        unsupported(e.loc, "INTERVAL");
    }
    unsupported(e.loc, "this expression");
  }

  const Options& options_;
  std::set<std::string> parameters_;
  std::vector<const Cte*> ctes_;
  const Scope* scope_ = nullptr;
};

// ------------------------------------------------------------------ SQLite functions

Value value_of(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    case SQLITE_TEXT:
      return std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                         static_cast<size_t>(sqlite3_value_bytes(v)));
    default:
      return std::monostate{};
  }
}

void result(sqlite3_context* ctx, const Value& v) {
  if (std::holds_alternative<int64_t>(v)) {
    sqlite3_result_int64(ctx, std::get<int64_t>(v));
  } else if (std::holds_alternative<double>(v)) {
    sqlite3_result_double(ctx, std::get<double>(v));
  } else if (std::holds_alternative<std::string>(v)) {
    const auto& s = std::get<std::string>(v);
    sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(ctx);
  }
}

bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

double as_double(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  throw std::runtime_error("expected a number, got '" + to_string(v) + "'");
}

// BigQuery ROUND: half away from zero.
double bq_round(double x, int64_t digits) {
  double scale = std::pow(10.0, static_cast<double>(digits));
  return std::round(x * scale) / scale;
}

// CAST and SAFE_CAST with BigQuery's rules for the lowered types. Throws std::runtime_error
// for a value CAST rejects.
Value bq_cast(const Value& v, const std::string& type) {
  if (is_null(v)) return v;
  auto fail = [&]() -> Value {
    throw std::runtime_error("bad " + type + " value: " + to_string(v));
  };
  if (type == "INT64") {
    if (std::holds_alternative<int64_t>(v)) return v;
    if (std::holds_alternative<double>(v)) {
      double d = std::get<double>(v);
      if (!std::isfinite(d) || std::fabs(d) >= 9.2233720368547758e18) fail();
      return static_cast<int64_t>(std::round(d));
    }
    const auto& s = std::get<std::string>(v);
    size_t used = 0;
    try {
      int64_t n = std::stoll(s, &used, 10);
      if (used == s.size() && !s.empty() && !std::isspace(static_cast<unsigned char>(s[0]))) {
        return n;
      }
    } catch (const std::exception&) {
    }
    return fail();
  }
  if (type == "FLOAT64") {
    if (!std::holds_alternative<std::string>(v)) return as_double(v);
    const auto& s = std::get<std::string>(v);
    size_t used = 0;
    try {
      double d = std::stod(s, &used);
      if (used == s.size() && !s.empty() && !std::isspace(static_cast<unsigned char>(s[0]))) {
        return d;
      }
    } catch (const std::exception&) {
    }
    return fail();
  }
  if (type == "STRING") {
    if (std::holds_alternative<double>(v)) {
      // BigQuery prints the shortest text that reads back as the same FLOAT64.
      double d = std::get<double>(v);
      if (std::isnan(d)) return std::string("nan");
      if (std::isinf(d)) return std::string(d > 0 ? "inf" : "-inf");
      return fmt::format("{}", d);
    }
    return to_string(v);
  }
  if (type == "BOOL") {
    if (std::holds_alternative<int64_t>(v)) return static_cast<int64_t>(std::get<int64_t>(v) != 0);
    if (std::holds_alternative<std::string>(v)) {
      std::string s = to_lower(std::get<std::string>(v));
      if (s == "true") return int64_t{1};
      if (s == "false") return int64_t{0};
    }
    return fail();
  }
  if (type == "DATE" || type == "DATETIME" || type == "TIMESTAMP") {
    if (!std::holds_alternative<std::string>(v)) return fail();
    const auto& s = std::get<std::string>(v);
    std::optional<std::string> out;
    if (type == "DATE") {
      out = s.size() >= 10 ? canonical_date(s.substr(0, 10)) : std::nullopt;
      if (out && s.size() > 10 && !canonical_datetime(s, true)) out.reset();
    } else {
      out = canonical_datetime(s, type == "TIMESTAMP");
    }
    if (!out) return fail();
    return *out;
  }
  return fail();
}

template <typename F>
void define(sqlite3* db, const char* name, int args, F f) {
  struct Holder {
    F f;
  };
  auto* holder = new Holder{std::move(f)};
  sqlite3_create_function_v2(
      db, name, args, SQLITE_UTF8 | SQLITE_DETERMINISTIC, holder,
      [](sqlite3_context* ctx, int argc, sqlite3_value** argv) {
        auto* h = static_cast<Holder*>(sqlite3_user_data(ctx));
        std::vector<Value> values;
        for (int i = 0; i < argc; ++i) values.push_back(value_of(argv[i]));
        try {
          result(ctx, h->f(values));
        } catch (const std::exception& e) {
          sqlite3_result_error(ctx, e.what(), -1);
        }
      },
      nullptr, nullptr, [](void* p) { delete static_cast<Holder*>(p); });
}

void register_functions(sqlite3* db) {
  define(db, "bq_divide", 2, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1])) return std::monostate{};
    double d = as_double(a[1]);
    if (d == 0)
      throw std::runtime_error("division by zero: " + to_string(a[0]) + " / " + to_string(a[1]));
    return as_double(a[0]) / d;
  });
  define(db, "bq_safe_divide", 2, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1]) || as_double(a[1]) == 0) return std::monostate{};
    return as_double(a[0]) / as_double(a[1]);
  });
  define(db, "bq_round", 1, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0])) return a[0];
    return bq_round(as_double(a[0]), 0);
  });
  define(db, "bq_round", 2, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1])) return std::monostate{};
    return bq_round(as_double(a[0]), whole_number(as_double(a[1]), "ROUND digits"));
  });
  define(db, "bq_cast", 2, [](const std::vector<Value>& a) -> Value {
    return bq_cast(a[0], std::get<std::string>(a[1]));
  });
  define(db, "bq_safe_cast", 2, [](const std::vector<Value>& a) -> Value {
    try {
      return bq_cast(a[0], std::get<std::string>(a[1]));
    } catch (const std::runtime_error&) {
      return std::monostate{};
    }
  });
  define(db, "bq_error", 1,
         [](const std::vector<Value>& a) -> Value { throw std::runtime_error(to_string(a[0])); });
  define(db, "bq_date", 1, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0])) return a[0];
    return bq_cast(a[0], "DATE");
  });
  define(db, "bq_date_add", 2, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1])) return std::monostate{};
    auto date = canonical_date(
        std::holds_alternative<std::string>(a[0]) ? std::get<std::string>(a[0]) : "");
    if (!date) throw std::runtime_error("DATE_ADD needs a DATE, got " + to_string(a[0]));
    // BigQuery's DATE range is 0001-01-01 to 9999-12-31; a result outside it is an error.
    constexpr int64_t kFirstDay = -719162, kLastDay = 2932896;
    double interval = as_double(a[1]);
    int64_t days = days_from_civil(number(*date, 0, 4), static_cast<unsigned>(number(*date, 5, 2)),
                                   static_cast<unsigned>(number(*date, 8, 2)));
    // Compared as doubles, so that no interval (huge, infinite, NaN) is converted unchecked.
    if (!(interval >= static_cast<double>(kFirstDay - days) &&
          interval <= static_cast<double>(kLastDay - days))) {
      throw std::runtime_error(
          fmt::format("DATE_ADD: {} plus {:.0f} days is outside the DATE "
                      "range 0001-01-01 to 9999-12-31",
                      *date, interval));
    }
    days += static_cast<int64_t>(interval);
    int y, m, d;
    civil_from_days(days, y, m, d);
    return fmt::format("{:04}-{:02}-{:02}", y, m, d);
  });
  define(db, "bq_trim", 1, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[0])) return a[0];
    std::string s = to_string(a[0]);
    size_t b = s.find_first_not_of(" \t\n\r\v\f"), e = s.find_last_not_of(" \t\n\r\v\f");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  });
  // SPLIT(text, delimiter) as BigQuery does it: "" gives one empty part; an empty delimiter
  // splits into characters (bytes here).
  auto split = [](const std::string& text, const std::string& delimiter) {
    std::vector<std::string> parts;
    if (delimiter.empty()) {
      for (char c : text) parts.emplace_back(1, c);
      if (parts.empty()) parts.emplace_back();
      return parts;
    }
    size_t start = 0;
    while (true) {
      size_t at = text.find(delimiter, start);
      parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
      if (at == std::string::npos) break;
      start = at + delimiter.size();
    }
    return parts;
  };
  define(db, "bq_split_offset", 4, [split](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1]) || is_null(a[2])) return std::monostate{};
    auto parts = split(to_string(a[0]), to_string(a[1]));
    // Compared as a double, so that no index (huge, NaN) is converted unchecked.
    double i = as_double(a[2]);
    if (!(i >= 0 && i < static_cast<double>(parts.size()))) {
      if (as_double(a[3]) != 0) return std::monostate{};
      throw std::runtime_error(
          fmt::format("array index {:.0f} is out of bounds (array size {})", i, parts.size()));
    }
    return parts[static_cast<size_t>(i)];
  });
  define(db, "bq_split_json", 2, [split](const std::vector<Value>& a) -> Value {
    if (is_null(a[0]) || is_null(a[1])) return std::string("[]");  // UNNEST(NULL) is empty
    std::string out = "[";
    auto parts = split(to_string(a[0]), to_string(a[1]));
    for (size_t i = 0; i < parts.size(); ++i) {
      out += i ? ",\"" : "\"";
      for (char c : parts[i]) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
          continue;
        }
        out += c;
      }
      out += "\"";
    }
    return out + "]";
  });
  define(db, "bq_extract", 2, [](const std::vector<Value>& a) -> Value {
    if (is_null(a[1])) return std::monostate{};
    const std::string part = std::get<std::string>(a[0]);
    if (!std::holds_alternative<std::string>(a[1])) {
      throw std::runtime_error("EXTRACT needs a DATE, DATETIME or TIMESTAMP");
    }
    std::string s = std::get<std::string>(a[1]);
    if (!canonical_date(s.substr(0, std::min<size_t>(10, s.size())))) {
      throw std::runtime_error("EXTRACT needs a DATE, DATETIME or TIMESTAMP, got " + s);
    }
    int y = number(s, 0, 4), m = number(s, 5, 2), d = number(s, 8, 2);
    if (part == "DATE") return s.substr(0, 10);
    if (part == "YEAR") return int64_t{y};
    if (part == "QUARTER") return int64_t{(m - 1) / 3 + 1};
    if (part == "MONTH") return int64_t{m};
    if (part == "DAY") return int64_t{d};
    int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    if (part == "DAYOFWEEK") return ((days + 4) % 7 + 7) % 7 + 1;  // 1970-01-01 was a Thursday
    if (part == "DAYOFYEAR") return days - days_from_civil(y, 1, 1) + 1;
    if (s.size() < 19) return int64_t{0};
    if (part == "HOUR") return int64_t{number(s, 11, 2)};
    if (part == "MINUTE") return int64_t{number(s, 14, 2)};
    if (part == "SECOND") return int64_t{number(s, 17, 2)};
    throw std::runtime_error("EXTRACT part " + part);
  });
}

}  // namespace

Lowered lower(const syntax::Query& query, const Options& options) {
  return Lowerer(options).run(query);
}

std::string to_string(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return fmt::format("{}", std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return "NULL";
}

std::optional<Value> parse_typed_text(analysis::Type type, const std::string& text) {
  using analysis::Type;
  try {
    switch (type) {
      case Type::kString:
        return Value(text);
      case Type::kInt64:
        return bq_cast(text, "INT64");
      case Type::kFloat64:
      case Type::kNumeric:
      case Type::kBigNumeric:
        return bq_cast(text, "FLOAT64");
      case Type::kBool:
        return bq_cast(text, "BOOL");
      case Type::kDate:
        if (auto d = canonical_date(text)) return Value(*d);
        return std::nullopt;
      case Type::kDatetime:
        if (auto d = canonical_datetime(text, false)) return Value(*d);
        return std::nullopt;
      case Type::kTimestamp:
        if (auto d = canonical_datetime(text, true)) return Value(*d);
        return std::nullopt;
      default:
        return std::nullopt;
    }
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

Database::Database() {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) {
    throw std::runtime_error("cannot open an in-memory SQLite database");
  }
  register_functions(db_);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::execute(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "SQLite error";
    sqlite3_free(message);
    throw std::runtime_error(text);
  }
}

void Database::create_table(const std::string& name, const std::vector<Column>& columns) {
  std::vector<std::string> defs;
  for (const auto& c : columns) {
    using analysis::Type;
    std::string affinity = c.type == Type::kInt64 || c.type == Type::kBool ? "INTEGER"
                           : analysis::is_numeric(c.type)                  ? "REAL"
                                                                           : "TEXT";
    defs.push_back(quote_identifier(c.name) + " " + affinity);
  }
  std::string sql = "CREATE TABLE " + quote_identifier(name) + " (";
  for (size_t i = 0; i < defs.size(); ++i) sql += (i ? ", " : "") + defs[i];
  execute(sql + ")");
}

namespace {
void bind(sqlite3_stmt* stmt, int index, const Value& v) {
  if (std::holds_alternative<int64_t>(v)) {
    sqlite3_bind_int64(stmt, index, std::get<int64_t>(v));
  } else if (std::holds_alternative<double>(v)) {
    sqlite3_bind_double(stmt, index, std::get<double>(v));
  } else if (std::holds_alternative<std::string>(v)) {
    const auto& s = std::get<std::string>(v);
    sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}
}  // namespace

void Database::insert(const std::string& name, const std::vector<Value>& row) {
  std::string sql = "INSERT INTO " + quote_identifier(name) + " VALUES (";
  for (size_t i = 0; i < row.size(); ++i) sql += i ? ", ?" : "?";
  sql += ")";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db_));
  }
  for (size_t i = 0; i < row.size(); ++i) bind(stmt, static_cast<int>(i + 1), row[i]);
  int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
}

Rows Database::query(const std::string& sql, const std::map<std::string, Value>& parameters) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    auto it = name ? parameters.find(name + 1) : parameters.end();
    if (it == parameters.end()) {
      throw std::runtime_error(std::string("no value for parameter @") + (name ? name + 1 : "?"));
    }
    bind(stmt, i, it->second);
  }
  Rows rows;
  for (int i = 0; i < sqlite3_column_count(stmt); ++i)
    rows.columns.push_back(sqlite3_column_name(stmt, i));
  while (true) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db_));
    std::vector<Value> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i)
      row.push_back(value_of(sqlite3_column_value(stmt, i)));
    rows.rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace shredmit::lowering
