// Metric kinds: which metrics deletion can only lower, which the user declares signed, and which
// subtraction cannot recover (see analysis.h).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "analysis.h"
#include "internal.h"

namespace shredmit::analysis {
namespace {

using namespace shredmit::syntax;
using detail::function_key;
using detail::is_aggregate_call;
using detail::is_numeric_literal;
using detail::is_zero_literal;
using detail::strip_parentheses;

// Column references are followed this many steps at most (a WITH query reading another, ...).
constexpr int kMaxDepth = 32;

bool is_additive_call(const FunctionCall& f) {
  std::string name = function_key(f);
  if (name == "COUNT" || name == "COUNTIF") return true;  // DISTINCT included: a count
  return name == "SUM" && !f.distinct;
}

// The first aggregate call in e (outside subqueries) that is not SUM, COUNT or COUNTIF.
const FunctionCall* non_additive_aggregate(const Expr& e) {
  if (is_aggregate_call(e) && !is_additive_call(e.as<FunctionCall>())) return &e.as<FunctionCall>();
  const FunctionCall* found = nullptr;
  for_each_child(e, [&](const Expr& c) {
    if (!found) found = non_additive_aggregate(c);
  });
  return found;
}

std::string not_additive(const FunctionCall& f) {
  std::string name = function_key(f);
  if (f.distinct) return fmt::format("{}(DISTINCT ...) adds each value once per group", name);
  return fmt::format("{} is not a sum or a count", name);
}

bool is_client_level(const Expr& e) {
  auto name = resolve::implicit_name(strip_parentheses(e));
  if (!name) return false;
  static const std::vector<std::string> kIds = project::default_id_level_columns();
  return std::find(kIds.begin(), kIds.end(), syntax::to_lower(*name)) != kIds.end();
}

class KindAnalyzer {
 public:
  explicit KindAnalyzer(const Lineage& lineage) : lineage_(lineage) {}

  // Why `metric` (a select-list expression of scope s) is not recoverable by subtraction.
  std::optional<std::string> unrecoverable(const Expr& metric, Lineage::Scope s) {
    const Expr& e = strip_parentheses(metric);
    switch (e.kind) {
      case ExprKind::kFunctionCall: {
        const auto& f = e.as<FunctionCall>();
        std::string name = function_key(f);
        if (is_aggregate_call(e)) {
          if (!is_additive_call(f)) return not_additive(f);
          for (const auto& a : f.args) {
            if (auto why = window_in_lineage(*a.value, s, 0)) return why;
          }
          return std::nullopt;
        }
        if (f.over) {
          if (contains_aggregate(e)) {
            return fmt::format("window function {} over aggregates", name);
          }
          return std::nullopt;
        }
        if ((name == "IFNULL" || name == "COALESCE") && f.args.size() >= 2) {
          for (size_t i = 0; i < f.args.size(); ++i) {
            const Expr& a = *f.args[i].value;
            if (i + 1 == f.args.size() && is_numeric_literal(a)) {
              if (!is_zero_literal(a)) {
                return fmt::format("{} replaces NULL with a non-zero constant", name);
              }
              continue;
            }
            if (auto why = unrecoverable(a, s)) return why;
          }
          return std::nullopt;
        }
        if (!contains_aggregate(e)) return std::nullopt;  // constant per group
        if (const FunctionCall* inner = non_additive_aggregate(e)) return not_additive(*inner);
        if (name == "SAFE_DIVIDE" || name == "IEEE_DIVIDE") return "a ratio of aggregates";
        return fmt::format("{} of aggregates", name);
      }
      case ExprKind::kCast:
        return unrecoverable(*e.as<Cast>().operand, s);
      case ExprKind::kUnary: {
        const auto& u = e.as<Unary>();
        if (u.op == UnaryOp::kMinus || u.op == UnaryOp::kPlus) return unrecoverable(*u.operand, s);
        break;
      }
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        bool left = contains_aggregate(*b.left), right = contains_aggregate(*b.right);
        if (b.op == BinaryOp::kAdd || b.op == BinaryOp::kSubtract) {
          if (left != right) {
            return "an aggregate plus or minus a per-group constant is counted once per row";
          }
          if (auto why = unrecoverable(*b.left, s)) return why;
          return unrecoverable(*b.right, s);
        }
        if (b.op == BinaryOp::kMultiply) {
          if (left && right) return "a product of aggregates";
          if (left && is_numeric_literal(*b.right)) return unrecoverable(*b.left, s);
          if (right && is_numeric_literal(*b.left)) return unrecoverable(*b.right, s);
          return "an aggregate multiplied by a value that is not a constant";
        }
        if (b.op == BinaryOp::kDivide) {
          if (right) return "a ratio of aggregates";
          if (is_numeric_literal(*b.right)) return unrecoverable(*b.left, s);
          return "an aggregate divided by a value that is not a constant";
        }
        break;
      }
      default:
        break;
    }
    if (!contains_aggregate(e)) return std::nullopt;
    if (const FunctionCall* inner = non_additive_aggregate(e)) return not_additive(*inner);
    return "an expression over aggregates that is not a sum of sums or counts";
  }

  // Proven never negative, following column references through the query.
  bool non_negative(const Expr& expr, Lineage::Scope s, int depth) {
    if (depth > kMaxDepth) return false;
    const Expr& e = strip_parentheses(expr);
    switch (e.kind) {
      case ExprKind::kLiteral:
        switch (e.as<Literal>().literal_kind) {
          case LiteralKind::kInteger:
          case LiteralKind::kFloat:
          case LiteralKind::kNumeric:
          case LiteralKind::kBigNumeric:
          case LiteralKind::kNull:
          case LiteralKind::kBoolean:
            return true;  // a literal is never written with a sign; -1 is a Unary
          default:
            return false;
        }
      case ExprKind::kName:
      case ExprKind::kFieldAccess: {
        auto target = lineage_.resolve(e, s);
        return target && non_negative(*target->first, target->second, depth + 1);
      }
      case ExprKind::kCast: {
        const auto& c = e.as<Cast>();
        return proven_type(*c.operand) == Type::kBool || non_negative(*c.operand, s, depth);
      }
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        switch (b.op) {
          case BinaryOp::kAdd:
          case BinaryOp::kMultiply:
          case BinaryOp::kDivide:
            return non_negative(*b.left, s, depth) && non_negative(*b.right, s, depth);
          case BinaryOp::kSubtract:
          case BinaryOp::kConcat:
          case BinaryOp::kShiftLeft:
          case BinaryOp::kShiftRight:
          case BinaryOp::kBitwiseAnd:
          case BinaryOp::kBitwiseOr:
          case BinaryOp::kBitwiseXor:
            return false;
          default:
            return true;  // comparisons and boolean operators: 0 or 1 once cast
        }
      }
      case ExprKind::kUnary:
        return e.as<Unary>().op == UnaryOp::kNot ||
               (e.as<Unary>().op == UnaryOp::kPlus &&
                non_negative(*e.as<Unary>().operand, s, depth));
      case ExprKind::kLike:
      case ExprKind::kBetween:
      case ExprKind::kIn:
      case ExprKind::kIsTest:
      case ExprKind::kExists:
        return true;
      case ExprKind::kCase: {
        const auto& c = e.as<Case>();
        for (const auto& w : c.whens) {
          if (!non_negative(*w.result, s, depth)) return false;
        }
        return !c.else_result || non_negative(*c.else_result, s, depth);
      }
      case ExprKind::kFunctionCall:
        return non_negative_call(e.as<FunctionCall>(), s, depth);
      default:
        return false;
    }
  }

  // Why a column reference in `e` (scope s) is a window aggregate whose value depends on other
  // clients' rows, followed through the query.
  std::optional<std::string> window_in_lineage(const Expr& e, Lineage::Scope s, int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    if (e.kind == ExprKind::kFunctionCall) {
      const auto& f = e.as<FunctionCall>();
      if (f.over && is_aggregate_function(function_key(f)) && !partitioned_by_client(f)) {
        return fmt::format(
            "it sums {} OVER (...) (line {}), a window aggregate over other clients' rows, which "
            "deleting a client changes",
            function_key(f), f.loc.line);
      }
    }
    if (e.kind == ExprKind::kName || e.kind == ExprKind::kFieldAccess) {
      if (auto target = lineage_.resolve(e, s)) {
        return window_in_lineage(*target->first, target->second, depth + 1);
      }
      return std::nullopt;
    }
    std::optional<std::string> found;
    for_each_child(e, [&](const Expr& c) {
      if (!found) found = window_in_lineage(c, s, depth);
    });
    return found;
  }

 private:
  static bool partitioned_by_client(const FunctionCall& f) {
    if (!f.over->spec) return false;
    const auto& partition = f.over->spec->partition_by;
    return std::any_of(partition.begin(), partition.end(),
                       [](const ExprPtr& p) { return is_client_level(*p); });
  }

  bool all_args_non_negative(const FunctionCall& f, Lineage::Scope s, int depth, size_t from = 0) {
    for (size_t i = from; i < f.args.size(); ++i) {
      if (!non_negative(*f.args[i].value, s, depth)) return false;
    }
    return !f.args.empty() || f.star;
  }

  bool non_negative_call(const FunctionCall& f, Lineage::Scope s, int depth) {
    if (proven_type(f) == Type::kBool) return true;  // 0 or 1 once cast
    std::string name = function_key(f);
    static const std::set<std::string> kAlways = {"COUNT",
                                                  "COUNTIF",
                                                  "ABS",
                                                  "LENGTH",
                                                  "CHAR_LENGTH",
                                                  "BYTE_LENGTH",
                                                  "ARRAY_LENGTH",
                                                  "BIT_COUNT",
                                                  "ROW_NUMBER",
                                                  "RANK",
                                                  "DENSE_RANK",
                                                  "NTILE",
                                                  "PERCENT_RANK",
                                                  "CUME_DIST",
                                                  "APPROX_COUNT_DISTINCT",
                                                  "HLL_COUNT.EXTRACT",
                                                  "HLL_COUNT.MERGE"};
    if (kAlways.count(name)) return true;
    static const std::set<std::string> kSameAsArguments = {
        "SUM",         "MIN",         "MAX",     "ANY_VALUE",   "AVG",       "IFNULL",
        "COALESCE",    "CEIL",        "CEILING", "FLOOR",       "SQRT",      "DIV",
        "SAFE_DIVIDE", "IEEE_DIVIDE", "LEAST",   "FIRST_VALUE", "LAST_VALUE"};
    if (name == "IF") return f.args.size() == 3 && all_args_non_negative(f, s, depth, 1);
    if (name == "NULLIF") return !f.args.empty() && non_negative(*f.args[0].value, s, depth);
    if (name == "GREATEST") {
      return std::any_of(f.args.begin(), f.args.end(), [&](const FunctionArgument& a) {
        return non_negative(*a.value, s, depth);
      });
    }
    if (name == "ROUND" || name == "TRUNC" || name == "MOD" || name == "NTH_VALUE") {
      return !f.args.empty() && non_negative(*f.args[0].value, s, depth);
    }
    if (kSameAsArguments.count(name)) return all_args_non_negative(f, s, depth);
    return false;
  }

  const Lineage& lineage_;
};

bool has_distinct_count(const Expr& e) {
  if (is_aggregate_call(e)) {
    const auto& f = e.as<FunctionCall>();
    if (f.distinct && function_key(f) == "COUNT") return true;
  }
  bool found = false;
  for_each_child(e, [&](const Expr& c) { found = found || has_distinct_count(c); });
  return found;
}

// True when every aggregate call in e is COUNT or COUNTIF.
bool only_counts(const Expr& e) {
  if (is_aggregate_call(e)) {
    std::string name = function_key(e.as<FunctionCall>());
    return name == "COUNT" || name == "COUNTIF";
  }
  bool ok = true;
  for_each_child(e, [&](const Expr& c) { ok = ok && only_counts(c); });
  return ok;
}

}  // namespace

bool has_name(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return base::same_name(n, name); });
}

std::string_view metric_kind_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCount:
      return "count";
    case MetricKind::kSigned:
      return "signed";
    case MetricKind::kNotRecoverable:
      return "not recoverable";
  }
  return "count";
}

namespace {

MetricKindInfo kind_in(const Expr& metric, const Lineage& lineage, Lineage::Scope scope,
                       bool declared_signed) {
  MetricKindInfo info;
  info.distinct = has_distinct_count(metric);
  KindAnalyzer analyzer(lineage);
  if (auto why = analyzer.unrecoverable(metric, scope)) {
    info.kind = MetricKind::kNotRecoverable;
    info.reason = *why;
    return info;
  }
  info.non_negative = analyzer.non_negative(metric, scope, 0);
  if (declared_signed) {
    info.kind = MetricKind::kSigned;
    info.reason = "declared with --signed-metric";
  } else if (only_counts(metric) && info.non_negative) {
    info.reason = "a count of rows";
  } else if (info.non_negative) {
    info.reason = "a sum of values that are never negative";
  } else {
    info.reason = "not proven never negative; assumed to be a count";
  }
  return info;
}

}  // namespace

MetricKindInfo metric_kind(const Expr& metric, const Lineage& lineage, bool declared_signed) {
  // Without a scope (a set operation) nothing resolves; the expression is judged alone.
  return kind_in(metric, lineage, lineage.final_scope().value_or(nullptr), declared_signed);
}

MetricKindInfo metric_kind(const OutputColumn& metric, const Lineage& lineage,
                           bool declared_signed) {
  if (metric.definitions.empty()) {
    return metric.expr ? metric_kind(*metric.expr, lineage, declared_signed) : MetricKindInfo{};
  }
  std::optional<MetricKindInfo> combined;
  for (const auto& [expr, scope] : metric.definitions) {
    MetricKindInfo k = kind_in(*expr, lineage, scope, declared_signed);
    if (k.kind == MetricKind::kNotRecoverable) return k;
    if (!combined) {
      combined = k;
      continue;
    }
    combined->distinct = combined->distinct || k.distinct;
    if (combined->non_negative && !k.non_negative) {
      combined->non_negative = false;
      combined->reason = k.reason;
    }
  }
  return *combined;
}

}  // namespace shredmit::analysis
