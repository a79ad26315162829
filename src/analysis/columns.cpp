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

const Expr& strip_parentheses(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == ExprKind::kParenthesized) p = p->as<Parenthesized>().inner.get();
  return *p;
}

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
  bool set_operation = false;
  const Select& select = final_select(query, &set_operation);
  if (set_operation) {
    const QueryExpr* body = query.body.get();
    while (body->kind == QueryExprKind::kNested) body = body->as<NestedQuery>().query->body.get();
    while (body->kind == QueryExprKind::kSetOperation) {
      const auto& op = body->as<SetOperation>();
      if (op.by_name || op.corresponding) return std::nullopt;
      body = op.left.get();
      while (body->kind == QueryExprKind::kNested) {
        body = body->as<NestedQuery>().query->body.get();
      }
    }
  }
  if (select.select_as != Select::As::kNone) return std::nullopt;
  std::vector<OutputColumn> columns;
  for (const auto& item : select.items) {
    if (item.kind != SelectItem::Kind::kExpression) return std::nullopt;
    OutputColumn c;
    c.loc = item.loc;
    c.expr = item.expr.get();
    if (item.alias) {
      c.name = item.alias->name;
    } else if (auto name = output_name(*item.expr)) {
      c.name = *name;
    } else {
      return std::nullopt;
    }
    c.role = contains_aggregate(*item.expr) ? Role::kMetric : Role::kDimension;
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

struct Lineage::Impl {
  // A SELECT and the queries its FROM clause reads, by range variable (lower case). A source
  // without a query is a table or an UNNEST: its columns are unknown.
  struct Scope {
    const Select* select = nullptr;
    std::vector<std::pair<std::string, const Query*>> sources;
    const Impl* owner = nullptr;
    std::vector<const Cte*> ctes;  // visible WITH queries, innermost last
  };

  const Query& query;
  // Scopes handed out as Lineage::Scope handles (indexes), interned on first use.
  mutable std::deque<Scope> scopes;
  explicit Impl(const Query& q) : query(q) {}

  Lineage::Scope intern(Scope s) const {
    for (size_t i = 0; i < scopes.size(); ++i) {
      if (scopes[i].select == s.select) return i;
    }
    scopes.push_back(std::move(s));
    return scopes.size() - 1;
  }

  static const Cte* find_cte(const std::vector<const Cte*>& ctes, const std::string& name) {
    for (auto it = ctes.rbegin(); it != ctes.rend(); ++it) {
      if (to_lower((*it)->name.name) == name) return *it;
    }
    return nullptr;
  }

  static void add_sources(const FromItem& f, const std::vector<const Cte*>& ctes,
                          std::vector<std::pair<std::string, const Query*>>& out) {
    switch (f.kind) {
      case FromKind::kTable: {
        const auto& t = f.as<TableFrom>();
        std::string path = to_lower(t.dotted_path());
        std::string last =
            path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
        const Cte* cte = t.path.size() == 1 ? find_cte(ctes, path) : nullptr;
        out.emplace_back(t.alias ? to_lower(t.alias->name) : last,
                         cte ? cte->query.get() : nullptr);
        return;
      }
      case FromKind::kSubquery: {
        const auto& s = f.as<SubqueryFrom>();
        out.emplace_back(s.alias ? to_lower(s.alias->name) : "", s.query.get());
        return;
      }
      case FromKind::kJoin:
        add_sources(*f.as<JoinFrom>().left, ctes, out);
        add_sources(*f.as<JoinFrom>().right, ctes, out);
        return;
      case FromKind::kParenthesized:
        add_sources(*f.as<ParenthesizedFrom>().inner, ctes, out);
        return;
      default:
        out.emplace_back("", nullptr);
        return;
    }
  }

  // The scope of the final SELECT of `q`, with `outer` WITH queries visible.
  static std::optional<Scope> scope_of(const Query& q, std::vector<const Cte*> ctes) {
    for (const auto& c : q.with) ctes.push_back(&c);
    bool set_operation = false;
    const Select& select = final_select(q, &set_operation);
    if (set_operation) return std::nullopt;
    Scope s;
    s.select = &select;
    s.ctes = ctes;
    if (select.from) add_sources(*select.from, ctes, s.sources);
    return s;
  }

  // The select-list expression for output column `name` of scope s (through `*`), with the
  // scope it belongs to.
  static std::optional<std::pair<const Expr*, Scope>> column(const Scope& s,
                                                             const std::string& name, int depth) {
    if (depth > 32) return std::nullopt;
    bool star = false;
    for (const auto& item : s.select->items) {
      if (item.kind == SelectItem::Kind::kExpression) {
        std::string n = item.alias ? to_lower(item.alias->name)
                                   : to_lower(output_name(*item.expr).value_or(""));
        if (n == name) return std::make_pair(item.expr.get(), s);
      } else if (item.kind == SelectItem::Kind::kStar) {
        for (const auto& r : item.replace_items) {
          if (r.alias && to_lower(r.alias->name) == name) return std::make_pair(r.value.get(), s);
        }
        bool excepted = std::any_of(item.except_columns.begin(), item.except_columns.end(),
                                    [&](const Identifier& x) { return to_lower(x.name) == name; });
        if (!excepted) star = true;
      }
    }
    if (!star) return std::nullopt;
    // SELECT * passes the column through from its sources.
    return resolve_unqualified(s, name, depth + 1);
  }

  static std::optional<std::pair<const Expr*, Scope>> from_source(const Query& q,
                                                                  const Scope& outer,
                                                                  const std::string& name,
                                                                  int depth) {
    auto inner = scope_of(q, outer.ctes);
    if (!inner) return std::nullopt;
    return column(*inner, name, depth + 1);
  }

  static std::optional<std::pair<const Expr*, Scope>> resolve_unqualified(const Scope& s,
                                                                          const std::string& name,
                                                                          int depth) {
    std::optional<std::pair<const Expr*, Scope>> found;
    for (const auto& [alias, q] : s.sources) {
      if (q == nullptr) continue;
      if (auto r = from_source(*q, s, name, depth)) {
        if (found) return std::nullopt;  // ambiguous
        found = r;
      }
    }
    return found;
  }

  // What a plain column reference resolves to in scope s.
  static std::optional<std::pair<const Expr*, Scope>> resolve(const Scope& s, const Expr& ref,
                                                              int depth) {
    const Expr& e = strip_parentheses(ref);
    if (e.kind == ExprKind::kName) {
      return resolve_unqualified(s, to_lower(e.as<NameRef>().name.name), depth);
    }
    if (e.kind == ExprKind::kFieldAccess) {
      const auto& fa = e.as<FieldAccess>();
      if (fa.operand->kind != ExprKind::kName) return std::nullopt;
      std::string qualifier = to_lower(fa.operand->as<NameRef>().name.name);
      for (const auto& [alias, q] : s.sources) {
        if (alias == qualifier) {
          if (q == nullptr) return std::nullopt;
          return from_source(*q, s, to_lower(fa.field.name), depth);
        }
      }
    }
    return std::nullopt;
  }

  static void refs(const Expr& e, std::vector<const Expr*>& out) {
    if (e.kind == ExprKind::kName) {
      out.push_back(&e);
      return;
    }
    if (e.kind == ExprKind::kFieldAccess && e.as<FieldAccess>().operand->kind == ExprKind::kName) {
      out.push_back(&e);
      return;
    }
    for_each_child(e, [&](const Expr& c) { refs(c, out); });
  }

  static std::string definition(const Expr& e, const Scope& s, int depth) {
    if (depth > 16) return print(e);
    // A plain reference passes its source's definition through unchanged.
    const Expr& plain = strip_parentheses(e);
    if (plain.kind == ExprKind::kName || plain.kind == ExprKind::kFieldAccess) {
      if (auto target = resolve(s, plain, 0)) {
        return definition(*target->first, target->second, depth + 1);
      }
    }
    std::string text = print(e);
    std::vector<const Expr*> found;
    refs(e, found);
    std::map<std::string, std::string> expansions;
    for (const Expr* r : found) {
      std::string key = print(*r);
      if (expansions.count(key)) continue;
      if (auto target = resolve(s, *r, 0)) {
        std::string def = definition(*target->first, target->second, depth + 1);
        if (def != key) expansions[key] = def;
      }
    }
    for (const auto& [k, v] : expansions) text += " {" + k + " := " + v + "}";
    return text;
  }
};

Lineage::Lineage(const Query& query) : impl_(std::make_unique<Impl>(query)) {}
Lineage::~Lineage() = default;

std::optional<Lineage::Scope> Lineage::final_scope() const {
  auto scope = Impl::scope_of(impl_->query, {});
  if (!scope) return std::nullopt;
  return impl_->intern(std::move(*scope));
}

std::optional<std::pair<const Expr*, Lineage::Scope>> Lineage::resolve(const Expr& ref,
                                                                       Scope scope) const {
  if (scope >= impl_->scopes.size()) return std::nullopt;
  auto target = Impl::resolve(impl_->scopes[scope], ref, 0);
  if (!target) return std::nullopt;
  return std::make_pair(target->first, impl_->intern(std::move(target->second)));
}

std::vector<const Expr*> Lineage::chain(std::string_view name) const {
  std::vector<const Expr*> out;
  auto scope = Impl::scope_of(impl_->query, {});
  if (!scope) return out;
  auto current = Impl::column(*scope, to_lower(name), 0);
  while (current && out.size() < 32) {
    out.push_back(current->first);
    current = Impl::resolve(current->second, *current->first, 0);
  }
  return out;
}

std::string Lineage::definition(std::string_view name) const {
  auto scope = Impl::scope_of(impl_->query, {});
  if (!scope) return "";
  auto column = Impl::column(*scope, to_lower(name), 0);
  if (!column) return "";
  return Impl::definition(*column->first, column->second, 0);
}

}  // namespace shredmit::analysis
