// Output columns of any query, proven types, NULL placeholders and column lineage (see
// analysis.h).
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "analysis.h"
#include "internal.h"

namespace shredmit::analysis {

namespace detail {
using namespace shredmit::syntax;

bool is_string_literal(const Expr& e, std::string_view value) {
  const Expr& s = strip_parentheses(e);
  if (s.kind != ExprKind::kLiteral || s.as<Literal>().literal_kind != LiteralKind::kString) {
    return false;
  }
  auto text = string_literal_value(s.as<Literal>().spelling);
  return text && *text == value;
}

bool is_numeric_literal(const Expr& e) {
  const Expr& s = strip_parentheses(e);
  if (s.kind == ExprKind::kUnary && s.as<Unary>().op == UnaryOp::kMinus) {
    return is_numeric_literal(*s.as<Unary>().operand);
  }
  if (s.kind != ExprKind::kLiteral) return false;
  auto k = s.as<Literal>().literal_kind;
  return k == LiteralKind::kInteger || k == LiteralKind::kFloat || k == LiteralKind::kNumeric ||
         k == LiteralKind::kBigNumeric;
}

bool is_zero_literal(const Expr& e) {
  const Expr& s = strip_parentheses(e);
  if (s.kind != ExprKind::kLiteral) return false;
  const std::string& text = s.as<Literal>().spelling;
  return !text.empty() && text.find_first_not_of("0.") == std::string::npos;
}

bool is_null_literal(const Expr& e) {
  const Expr& s = strip_parentheses(e);
  return s.kind == ExprKind::kLiteral && s.as<Literal>().literal_kind == LiteralKind::kNull;
}

}  // namespace detail

namespace {

using namespace shredmit::syntax;
using detail::function_key;
using detail::is_aggregate_call;
using detail::is_null_literal;
using detail::is_string_literal;
using detail::strip_parentheses;

// The supertype of two proven types for IF/COALESCE/CASE branches; kUnknown when there is none.
Type supertype(Type a, Type b) {
  if (a == b) return a;
  if (is_numeric(a) && is_numeric(b)) {
    if (a == Type::kFloat64 || b == Type::kFloat64) return Type::kFloat64;
    if (a == Type::kBigNumeric || b == Type::kBigNumeric) return Type::kBigNumeric;
    return Type::kNumeric;
  }
  return Type::kUnknown;
}

// Common type of branch expressions: NULL literals are ignored; any unproven branch makes the
// result unproven.
Type branches_type(const std::vector<const Expr*>& branches) {
  Type result = Type::kUnknown;
  bool any = false;
  for (const Expr* b : branches) {
    if (is_null_literal(*b)) continue;
    Type t = proven_type(*b);
    if (t == Type::kUnknown) return Type::kUnknown;
    result = any ? supertype(result, t) : t;
    any = true;
    if (result == Type::kUnknown) return Type::kUnknown;
  }
  return result;
}

Type proven_call(const FunctionCall& f) {
  std::string name = function_key(f);
  static const std::set<std::string> kInt = {"COUNT",
                                             "COUNTIF",
                                             "APPROX_COUNT_DISTINCT",
                                             "DATE_DIFF",
                                             "DATETIME_DIFF",
                                             "TIMESTAMP_DIFF",
                                             "TIME_DIFF",
                                             "LENGTH",
                                             "CHAR_LENGTH",
                                             "BYTE_LENGTH",
                                             "ARRAY_LENGTH",
                                             "ROW_NUMBER",
                                             "RANK",
                                             "DENSE_RANK",
                                             "UNIX_DATE",
                                             "UNIX_SECONDS",
                                             "UNIX_MILLIS",
                                             "UNIX_MICROS",
                                             "FARM_FINGERPRINT",
                                             "STRPOS",
                                             "INSTR",
                                             "NTILE",
                                             "HLL_COUNT.EXTRACT",
                                             "HLL_COUNT.MERGE"};
  static const std::set<std::string> kString = {
      "LOWER",           "UPPER",   "FORMAT",         "FORMAT_DATE", "FORMAT_TIMESTAMP",
      "FORMAT_DATETIME", "STRING",  "TO_JSON_STRING", "JSON_VALUE",  "JSON_EXTRACT_SCALAR",
      "TO_HEX",          "INITCAP", "GENERATE_UUID",  "SESSION_USER"};
  static const std::set<std::string> kBool = {"LOGICAL_OR",     "LOGICAL_AND", "STARTS_WITH",
                                              "ENDS_WITH",      "IS_NAN",      "IS_INF",
                                              "REGEXP_CONTAINS"};
  // Always FLOAT64, whatever the argument types (BigQuery's function reference).
  static const std::set<std::string> kFloat = {
      "IEEE_DIVIDE", "RAND",     "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE",
      "VAR_POP",     "VAR_SAMP", "CORR",   "COVAR_POP",  "COVAR_SAMP"};
  if (kInt.count(name)) return Type::kInt64;
  if (kString.count(name)) return Type::kString;
  if (kBool.count(name)) return Type::kBool;
  if (name == "DATE" || name == "CURRENT_DATE" || name == "PARSE_DATE" ||
      name == "DATE_FROM_UNIX_DATE") {
    return Type::kDate;
  }
  if (name == "TIMESTAMP" || name == "CURRENT_TIMESTAMP" || name == "PARSE_TIMESTAMP" ||
      name == "TIMESTAMP_SECONDS" || name == "TIMESTAMP_MILLIS" || name == "TIMESTAMP_MICROS") {
    return Type::kTimestamp;
  }
  if (name == "DATETIME" || name == "CURRENT_DATETIME" || name == "PARSE_DATETIME") {
    return Type::kDatetime;
  }
  if (name == "TIME" || name == "CURRENT_TIME" || name == "PARSE_TIME") return Type::kTime;
  if (kFloat.count(name)) return Type::kFloat64;
  auto arg = [&](size_t i) -> const Expr* {
    return i < f.args.size() ? f.args[i].value.get() : nullptr;
  };
  std::vector<const Expr*> branches;
  if (name == "IF" && f.args.size() == 3) {
    branches = {arg(1), arg(2)};
  } else if (name == "IFNULL" && f.args.size() == 2) {
    branches = {arg(0), arg(1)};
  } else if (name == "COALESCE" && !f.args.empty()) {
    for (const auto& a : f.args) branches.push_back(a.value.get());
  } else if ((name == "SUM" || name == "MIN" || name == "MAX" || name == "ANY_VALUE") &&
             f.args.size() == 1) {
    // SUM of INT64 is INT64, of FLOAT64 FLOAT64, of NUMERIC NUMERIC.
    Type t = proven_type(*f.args[0].value);
    return name == "SUM" && !is_numeric(t) ? Type::kUnknown : t;
  } else if (name == "AVG" && f.args.size() == 1) {
    Type t = proven_type(*f.args[0].value);
    if (t == Type::kInt64 || t == Type::kFloat64) return Type::kFloat64;
    return (t == Type::kNumeric || t == Type::kBigNumeric) ? t : Type::kUnknown;
  }
  return branches.empty() ? Type::kUnknown : branches_type(branches);
}

}  // namespace

Type proven_type(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      switch (e.as<Literal>().literal_kind) {
        case LiteralKind::kString:
          return Type::kString;
        case LiteralKind::kBytes:
          return Type::kBytes;
        case LiteralKind::kInteger:
          return Type::kInt64;
        case LiteralKind::kFloat:
          return Type::kFloat64;
        case LiteralKind::kBoolean:
          return Type::kBool;
        case LiteralKind::kDate:
          return Type::kDate;
        case LiteralKind::kDatetime:
          return Type::kDatetime;
        case LiteralKind::kTime:
          return Type::kTime;
        case LiteralKind::kTimestamp:
          return Type::kTimestamp;
        case LiteralKind::kNumeric:
          return Type::kNumeric;
        case LiteralKind::kBigNumeric:
          return Type::kBigNumeric;
        case LiteralKind::kJson:
          return Type::kJson;
        default:
          return Type::kUnknown;
      }
    case ExprKind::kCast: {
      const auto& t = *e.as<Cast>().type;
      switch (t.kind) {
        case syntax::Type::Kind::kArray:
          return Type::kArray;
        case syntax::Type::Kind::kStruct:
          return Type::kStruct;
        case syntax::Type::Kind::kNamed:
          return type_from_name(t.name.name);
        default:
          return Type::kUnknown;
      }
    }
    case ExprKind::kFunctionCall:
      return proven_call(e.as<FunctionCall>());
    case ExprKind::kBinary: {
      const auto& b = e.as<Binary>();
      switch (b.op) {
        case BinaryOp::kAdd:
        case BinaryOp::kSubtract:
        case BinaryOp::kMultiply: {
          Type l = proven_type(*b.left), r = proven_type(*b.right);
          if (!is_numeric(l) || !is_numeric(r)) return Type::kUnknown;
          return l == Type::kInt64 && r == Type::kInt64 ? Type::kInt64 : supertype(l, r);
        }
        case BinaryOp::kDivide: {
          Type l = proven_type(*b.left), r = proven_type(*b.right);
          if (!is_numeric(l) || !is_numeric(r)) return Type::kUnknown;
          return l == Type::kInt64 && r == Type::kInt64 ? Type::kFloat64 : supertype(l, r);
        }
        case BinaryOp::kConcat:
          return Type::kUnknown;  // STRING or BYTES or ARRAY
        case BinaryOp::kShiftLeft:
        case BinaryOp::kShiftRight:
        case BinaryOp::kBitwiseAnd:
        case BinaryOp::kBitwiseOr:
        case BinaryOp::kBitwiseXor:
          return Type::kUnknown;  // INT64 or BYTES
        default:
          return Type::kBool;
      }
    }
    case ExprKind::kUnary: {
      const auto& u = e.as<Unary>();
      if (u.op == UnaryOp::kNot) return Type::kBool;
      if (u.op == UnaryOp::kBitwiseNot) return Type::kUnknown;
      return proven_type(*u.operand);
    }
    case ExprKind::kLike:
    case ExprKind::kBetween:
    case ExprKind::kIn:
    case ExprKind::kIsTest:
    case ExprKind::kExists:
      return Type::kBool;
    case ExprKind::kCase: {
      const auto& c = e.as<Case>();
      std::vector<const Expr*> branches;
      for (const auto& w : c.whens) branches.push_back(w.result.get());
      if (c.else_result) branches.push_back(c.else_result.get());
      return branches_type(branches);
    }
    case ExprKind::kParenthesized:
      return proven_type(*e.as<Parenthesized>().inner);
    case ExprKind::kExtract: {
      std::string part = to_upper(e.as<Extract>().part.name);
      if (part == "DATE") return Type::kDate;
      if (part == "TIME") return Type::kTime;
      if (part == "DATETIME") return Type::kDatetime;
      return Type::kInt64;
    }
    case ExprKind::kArrayConstructor:
    case ExprKind::kArraySubquery:
      return Type::kArray;
    case ExprKind::kStructConstructor:
      return Type::kStruct;
    default:
      return Type::kUnknown;
  }
}

std::optional<std::vector<OutputColumn>> output_columns(const Query& query) {
  Lineage lineage(query);
  const resolve::QueryScope& root = lineage.resolution().root();
  if (!root.columns_known || root.by_name || root.branches.empty()) return std::nullopt;
  std::vector<OutputColumn> columns;
  for (const auto& rc : root.branches.front()->columns) {
    OutputColumn c;
    c.name = rc.name;
    c.loc = rc.loc;
    c.expr = rc.expr;
    if (c.expr == nullptr) {
      auto source = lineage.column(rc.name);
      if (!source) return std::nullopt;
      c.expr = source->first;
    }
    c.role = contains_aggregate(*c.expr) ? Role::kMetric : Role::kDimension;
    columns.push_back(std::move(c));
  }
  return columns;
}

bool maps_null_to_placeholder(const Expr& expr) {
  const Expr& e = strip_parentheses(expr);
  if (e.kind == ExprKind::kFunctionCall) {
    const auto& f = e.as<FunctionCall>();
    std::string name = function_key(f);
    if ((name == "IFNULL" || name == "COALESCE") && f.args.size() >= 2) {
      return is_string_literal(*f.args.back().value, "??");
    }
    if (name == "IF" && f.args.size() == 3) {
      const Expr& cond = strip_parentheses(*f.args[0].value);
      bool is_null = cond.kind == ExprKind::kIsTest && cond.as<IsTest>().what == IsWhat::kNull;
      if (is_null && !cond.as<IsTest>().negated) return is_string_literal(*f.args[1].value, "??");
      if (is_null && cond.as<IsTest>().negated) return is_string_literal(*f.args[2].value, "??");
    }
    return false;
  }
  if (e.kind == ExprKind::kCase) {
    const auto& c = e.as<Case>();
    for (const auto& w : c.whens) {
      const Expr& cond = strip_parentheses(*w.condition);
      if (!c.operand && cond.kind == ExprKind::kIsTest && cond.as<IsTest>().what == IsWhat::kNull &&
          !cond.as<IsTest>().negated && is_string_literal(*w.result, "??")) {
        return true;
      }
    }
  }
  return false;
}

// ------------------------------------------------------------------ lineage

Lineage::Lineage(const Query& query) : resolution_(std::make_unique<resolve::Resolution>(query)) {}
Lineage::~Lineage() = default;

std::optional<Lineage::Scope> Lineage::final_scope() const {
  const auto& root = resolution_->root();
  if (root.set_operation || root.branches.empty()) return std::nullopt;
  return root.branches.front();
}

Lineage::Scope Lineage::scope_of(const Select& select) const {
  return resolution_->scope_of(select);
}

std::optional<std::pair<const Expr*, Lineage::Scope>> Lineage::through(const resolve::Binding& b,
                                                                       int depth) const {
  auto def = resolution_->definition(b);
  if (!def || depth > kMaxDepth) return std::nullopt;
  const resolve::Column& c = *def->first;
  if (c.expr != nullptr) return std::make_pair(c.expr, def->second);
  if (c.source == nullptr) return std::nullopt;
  // A column `*` passes through: what the same name reads in the star's source.
  return through(resolve::Binding{def->second, c.source, c.name, false}, depth + 1);
}

std::optional<std::pair<const Expr*, Lineage::Scope>> Lineage::resolve(const Expr& ref,
                                                                       Scope scope) const {
  if (scope == nullptr) return std::nullopt;
  auto b = resolution_->bind(ref, *scope);
  if (!b) return std::nullopt;
  return through(*b, 0);
}

std::optional<std::pair<const Expr*, Lineage::Scope>> Lineage::column_in(
    const resolve::Scope& scope, const resolve::Column& c) const {
  if (c.expr != nullptr) return std::make_pair(c.expr, &scope);
  if (c.source == nullptr) return std::nullopt;
  return through(resolve::Binding{&scope, c.source, c.name, false}, 0);
}

std::optional<std::pair<const Expr*, Lineage::Scope>> Lineage::column(std::string_view name) const {
  const auto& root = resolution_->root();
  if (root.branches.empty()) return std::nullopt;
  const resolve::Scope* first = root.branches.front();
  const resolve::Column* c = resolve::Resolution::find_column(*first, name);
  if (c == nullptr) return std::nullopt;
  return column_in(*first, *c);
}

std::vector<const Expr*> Lineage::chain(std::string_view name) const {
  std::vector<const Expr*> out;
  auto current = column(name);
  while (current && out.size() < static_cast<size_t>(kMaxDepth)) {
    out.push_back(current->first);
    current = resolve(*current->first, current->second);
  }
  return out;
}

std::string Lineage::definition(const Expr& e, Scope s, int depth) const {
  if (depth > kMaxDepth) return syntax::canonical_text(e);
  // A plain reference passes its source's definition through unchanged.
  const Expr& plain = strip_parentheses(e);
  if (plain.kind == ExprKind::kName || plain.kind == ExprKind::kFieldAccess) {
    if (auto target = resolve(plain, s))
      return definition(*target->first, target->second, depth + 1);
  }
  std::string text = syntax::canonical_text(e);
  std::map<std::string, std::string> expansions;
  syntax::for_each_expr(e, [&](const Expr& r) {
    if (!syntax::is_column_reference(r)) return;
    std::string key = syntax::canonical_text(r);
    if (expansions.count(key)) return;
    if (auto target = resolve(r, s)) {
      std::string def = definition(*target->first, target->second, depth + 1);
      if (def != key) expansions[key] = def;
    }
  });
  for (const auto& [k, v] : expansions) text += " {" + k + " := " + v + "}";
  return text;
}

std::string Lineage::definition(std::string_view name) const {
  auto c = column(name);
  if (!c) return "";
  return definition(*c->first, c->second, 0);
}

}  // namespace shredmit::analysis
