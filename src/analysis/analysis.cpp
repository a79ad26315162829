// Output columns, dimensions, metrics and types of an aggregate query (see analysis.h).
#include "analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "internal.h"

namespace shredmit::analysis {
using namespace shredmit::syntax;
using project::UserError;

Type type_from_name(std::string_view raw) {
  std::string n = syntax::to_upper(raw);
  if (n == "STRING") return Type::kString;
  if (n == "BYTES") return Type::kBytes;
  if (n == "INTEGER" || n == "INT64" || n == "INT" || n == "SMALLINT" || n == "BIGINT" ||
      n == "TINYINT" || n == "BYTEINT") {
    return Type::kInt64;
  }
  if (n == "FLOAT" || n == "FLOAT64") return Type::kFloat64;
  if (n == "NUMERIC" || n == "DECIMAL") return Type::kNumeric;
  if (n == "BIGNUMERIC" || n == "BIGDECIMAL") return Type::kBigNumeric;
  if (n == "BOOLEAN" || n == "BOOL") return Type::kBool;
  if (n == "DATE") return Type::kDate;
  if (n == "DATETIME") return Type::kDatetime;
  if (n == "TIME") return Type::kTime;
  if (n == "TIMESTAMP") return Type::kTimestamp;
  if (n == "JSON") return Type::kJson;
  if (n == "GEOGRAPHY") return Type::kGeography;
  if (n == "INTERVAL") return Type::kInterval;
  if (n == "RECORD" || n == "STRUCT") return Type::kStruct;
  if (n == "RANGE") return Type::kRange;
  return Type::kUnknown;
}

void for_each_child(const Expr& e, const std::function<void(const Expr&)>& fn) {
  auto opt = [&](const ExprPtr& p) {
    if (p) fn(*p);
  };
  auto operand = [&](const InOperand& op) {
    for (const auto& x : op.list) fn(*x);
    opt(op.array);
  };
  switch (e.kind) {
    case ExprKind::kLiteral:
    case ExprKind::kName:
    case ExprKind::kParameter:
    case ExprKind::kArraySubquery:
    case ExprKind::kScalarSubquery:
    case ExprKind::kExists:
      return;
    case ExprKind::kUnary:
      fn(*e.as<Unary>().operand);
      return;
    case ExprKind::kBinary:
      fn(*e.as<Binary>().left);
      fn(*e.as<Binary>().right);
      return;
    case ExprKind::kLike:
      fn(*e.as<Like>().operand);
      opt(e.as<Like>().pattern);
      operand(e.as<Like>().patterns);
      return;
    case ExprKind::kBetween:
      fn(*e.as<Between>().operand);
      fn(*e.as<Between>().low);
      fn(*e.as<Between>().high);
      return;
    case ExprKind::kIn:
      fn(*e.as<In>().operand);
      operand(e.as<In>().set);
      return;
    case ExprKind::kIsTest:
      fn(*e.as<IsTest>().operand);
      return;
    case ExprKind::kCase: {
      const auto& c = e.as<Case>();
      opt(c.operand);
      for (const auto& w : c.whens) {
        fn(*w.condition);
        fn(*w.result);
      }
      opt(c.else_result);
      return;
    }
    case ExprKind::kCast:
      fn(*e.as<Cast>().operand);
      opt(e.as<Cast>().format);
      return;
    case ExprKind::kExtract:
      fn(*e.as<Extract>().operand);
      opt(e.as<Extract>().time_zone);
      return;
    case ExprKind::kInterval:
      fn(*e.as<Interval>().value);
      return;
    case ExprKind::kFunctionCall: {
      const auto& f = e.as<FunctionCall>();
      for (const auto& a : f.args) fn(*a.value);
      opt(f.having);
      for (const auto& o : f.order_by) fn(*o.expr);
      opt(f.limit);
      opt(f.offset);
      if (f.over && f.over->spec) {
        for (const auto& p : f.over->spec->partition_by) fn(*p);
        for (const auto& o : f.over->spec->order_by) fn(*o.expr);
      }
      return;
    }
    case ExprKind::kArrayConstructor:
      for (const auto& x : e.as<ArrayConstructor>().elements) fn(*x);
      return;
    case ExprKind::kStructConstructor:
      for (const auto& x : e.as<StructConstructor>().fields) fn(*x.value);
      return;
    case ExprKind::kParenthesized:
      fn(*e.as<Parenthesized>().inner);
      return;
    case ExprKind::kFieldAccess:
      fn(*e.as<FieldAccess>().operand);
      return;
    case ExprKind::kSubscript:
      fn(*e.as<Subscript>().operand);
      fn(*e.as<Subscript>().index);
      return;
  }
}

namespace detail {

std::string function_key(const FunctionCall& f) {
  std::string name = syntax::to_upper(f.dotted_name());
  if (name.rfind("SAFE.", 0) == 0) name = name.substr(5);
  return name;
}

bool is_aggregate_call(const Expr& e) {
  if (e.kind != ExprKind::kFunctionCall) return false;
  const auto& f = e.as<FunctionCall>();
  return !f.over && is_aggregate_function(function_key(f));
}

}  // namespace detail

bool contains_aggregate(const Expr& e) {
  if (detail::is_aggregate_call(e)) return true;
  bool found = false;
  for_each_child(e, [&](const Expr& c) { found = found || contains_aggregate(c); });
  return found;
}

std::optional<std::string> output_name(const Expr& e) {
  if (e.kind == ExprKind::kName) return e.as<NameRef>().name.name;
  if (e.kind == ExprKind::kFieldAccess) return e.as<FieldAccess>().field.name;
  return std::nullopt;
}

namespace {

using detail::function_key;
using detail::is_aggregate_call;

// Names a query can use without a FROM source and that the parser reads as column names.
bool is_niladic_function_name(std::string_view name) {
  static const std::set<std::string> kNames = {"CURRENT_DATE", "CURRENT_DATETIME", "CURRENT_TIME",
                                               "CURRENT_TIMESTAMP"};
  return kNames.count(syntax::to_upper(name)) > 0;
}

// The column references of e outside aggregate calls: a NameRef, or a field path over one.
void column_refs(const Expr& e, std::vector<const Expr*>& out) {
  if (is_aggregate_call(e)) return;
  if (e.kind == ExprKind::kName) {
    if (!is_niladic_function_name(e.as<NameRef>().name.name)) out.push_back(&e);
    return;
  }
  if (e.kind == ExprKind::kFieldAccess) {
    const Expr* base = &e;
    while (base->kind == ExprKind::kFieldAccess) base = base->as<FieldAccess>().operand.get();
    if (base->kind == ExprKind::kName) {
      out.push_back(&e);
      return;
    }
  }
  for_each_child(e, [&](const Expr& c) { column_refs(c, out); });
}

void range_variables(const FromItem& f, std::set<std::string>& out) {
  auto add = [&](const std::optional<Identifier>& alias) {
    if (alias) out.insert(syntax::to_lower(alias->name));
  };
  switch (f.kind) {
    case FromKind::kTable: {
      const auto& t = f.as<TableFrom>();
      if (t.alias) {
        add(t.alias);
      } else {
        std::string path = t.dotted_path();
        out.insert(syntax::to_lower(
            path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1)));
      }
      return;
    }
    case FromKind::kSubquery:
      add(f.as<SubqueryFrom>().alias);
      return;
    case FromKind::kUnnest:
      add(f.as<UnnestFrom>().alias);
      return;
    case FromKind::kTableFunction:
      add(f.as<TableFunctionFrom>().alias);
      return;
    case FromKind::kJoin:
      range_variables(*f.as<JoinFrom>().left, out);
      range_variables(*f.as<JoinFrom>().right, out);
      return;
    case FromKind::kParenthesized:
      range_variables(*f.as<ParenthesizedFrom>().inner, out);
      return;
    case FromKind::kPivot: {
      // PIVOT replaces its input's range variable; without an alias the input's name stays.
      const auto& p = f.as<PivotFrom>();
      if (p.alias)
        add(p.alias);
      else
        range_variables(*p.input, out);
      return;
    }
    case FromKind::kUnpivot: {
      const auto& u = f.as<UnpivotFrom>();
      if (u.alias)
        add(u.alias);
      else
        range_variables(*u.input, out);
      return;
    }
  }
}

class Analyzer {
 public:
  // collect: list problems in result.problems instead of throwing the first.
  Analyzer(const project::Schema& schema, const std::string& file, bool collect)
      : schema_(schema), file_(file), collect_(collect) {}

  AggregateQuery run(const Query& query) {
    bool set_operation = false;
    const Select& select = final_select(query, &set_operation);
    if (set_operation) {
      const Query* q = &query;
      while (q->body->kind == QueryExprKind::kNested) q = q->body->as<NestedQuery>().query.get();
      report(ProblemKind::kShape, q->body->loc,
             "the final query is a set operation (UNION, INTERSECT or EXCEPT); shredder "
             "mitigation needs one final SELECT with an explicit GROUP BY: move the set "
             "operation into a WITH clause and aggregate it in a final SELECT");
      return std::move(result_);
    }
    result_.final_select = &select;
    grouped_ = check_group_by(select);
    if (select.from) range_variables(*select.from, range_vars_);
    for (size_t i = 0; i < select.items.size(); ++i) {
      if (auto c = column(select, select.items[i], i)) result_.columns.push_back(std::move(*c));
    }
    std::set<std::string> seen;
    for (const auto& c : result_.columns) {
      if (!seen.insert(syntax::to_lower(c.name)).second) {
        report(ProblemKind::kShape, c.loc,
               fmt::format("output column '{}' appears twice; rename one of them", c.name));
      }
    }
    return std::move(result_);
  }

 private:
  UserError error(Location loc, const std::string& message) const {
    return UserError(file_, loc.line, loc.column, message);
  }

  void report(ProblemKind kind, Location loc, const std::string& message) {
    if (!collect_) throw error(loc, message);
    result_.problems.push_back(Problem{kind, loc, message});
  }

  // Checks the GROUP BY; true when it lists the grouped expressions explicitly.
  bool check_group_by(const Select& s) {
    if (!s.group_by) {
      report(ProblemKind::kGroupBy, s.loc,
             "the final SELECT has no GROUP BY; shredder mitigation needs an aggregate "
             "query: group by the dimension columns explicitly");
      return false;
    }
    if (s.group_by->all) {
      report(ProblemKind::kGroupBy, s.group_by->loc,
             "GROUP BY ALL is not allowed for shredder mitigation (seed 004, "
             "consideration 1); list the grouped columns explicitly");
      return false;
    }
    bool explicit_items = true;
    for (const auto& item : s.group_by->items) {
      switch (item.kind) {
        case GroupingItem::Kind::kExpression: {
          const Expr& e = *item.exprs[0];
          if (e.kind == ExprKind::kLiteral &&
              e.as<Literal>().literal_kind == LiteralKind::kInteger) {
            report(ProblemKind::kGroupBy, item.loc,
                   fmt::format("GROUP BY ordinal {} is not allowed for shredder mitigation "
                               "(seed 004, consideration 1); write the column name instead",
                               e.as<Literal>().spelling));
            explicit_items = false;
          }
          break;
        }
        case GroupingItem::Kind::kRollup:
        case GroupingItem::Kind::kCube:
        case GroupingItem::Kind::kGroupingSets:
          report(ProblemKind::kGroupBy, item.loc,
                 "ROLLUP, CUBE and GROUPING SETS add subtotal rows that the mitigation "
                 "would count twice; group by plain columns and compute subtotals in a view");
          explicit_items = false;
          break;
        case GroupingItem::Kind::kEmpty:
          report(ProblemKind::kGroupBy, item.loc,
                 "GROUP BY () makes one grand-total row; group by the dimensions");
          explicit_items = false;
          break;
      }
    }
    return explicit_items;
  }

  // The column name of a plain column reference: `x` or `t.x` where t is a range variable.
  std::optional<std::string> column_key(const Expr& e) const {
    if (e.kind == ExprKind::kName) return syntax::to_lower(e.as<NameRef>().name.name);
    if (e.kind == ExprKind::kFieldAccess) {
      const auto& f = e.as<FieldAccess>();
      if (f.operand->kind == ExprKind::kName &&
          range_vars_.count(syntax::to_lower(f.operand->as<NameRef>().name.name)) > 0) {
        return syntax::to_lower(f.field.name);
      }
    }
    return std::nullopt;
  }

  bool matches_group_item(const Select& s, const Expr& e, const std::string* alias) const {
    auto key = column_key(e);
    for (const auto& item : s.group_by->items) {
      const Expr& g = *item.exprs[0];
      if (equivalent(g, e)) return true;
      auto gkey = column_key(g);
      if (gkey && key && *gkey == *key) return true;
      // GROUP BY may name a select-list alias (BigQuery: aliases take precedence there).
      if (alias != nullptr && g.kind == ExprKind::kName &&
          syntax::to_lower(g.as<NameRef>().name.name) == syntax::to_lower(*alias)) {
        return true;
      }
    }
    return false;
  }

  std::optional<OutputColumn> column(const Select& s, const SelectItem& item, size_t index) {
    if (item.kind != SelectItem::Kind::kExpression) {
      report(ProblemKind::kShape, item.loc,
             "`*` in the final SELECT hides which columns are dimensions and metrics; list "
             "the output columns explicitly");
      return std::nullopt;
    }
    OutputColumn c;
    c.loc = item.loc;
    c.expr = item.expr.get();
    if (item.alias) {
      c.name = item.alias->name;
    } else if (auto name = output_name(*item.expr)) {
      c.name = *name;
    } else {
      report(ProblemKind::kShape, item.loc,
             fmt::format("output column {} has no name; add `AS name`", index + 1));
      return std::nullopt;
    }

    bool aggregate = contains_aggregate(*item.expr);
    if (!grouped_) {
      c.role = aggregate ? Role::kMetric : Role::kDimension;
    } else if (matches_group_item(s, *item.expr, &c.name)) {
      c.role = Role::kDimension;
    } else if (aggregate) {
      c.role = Role::kMetric;
    } else {
      std::vector<const Expr*> refs;
      column_refs(*item.expr, refs);
      c.constant = refs.empty();
      for (const Expr* r : refs) {
        if (!matches_group_item(s, *r, nullptr)) {
          report(ProblemKind::kUngrouped, r->loc,
                 fmt::format("output column '{}' is neither grouped nor aggregated; "
                             "add it to GROUP BY or aggregate it",
                             c.name));
          break;
        }
      }
      c.role = Role::kDimension;
    }

    if (const auto* field = schema_.find(c.name)) {
      c.type = type_from_schema(*field);
      c.type_source = "schema.yaml";
    }
    if (c.type == Type::kUnknown) {
      c.type = infer(*item.expr);
      c.type_source = "inferred from the expression";
    }
    if (c.type == Type::kUnknown) {
      if (!collect_) {
        throw error(item.loc, fmt::format("cannot tell the type of output column '{}' without "
                                          "BigQuery; add it with its type to {}",
                                          c.name, schema_.file));
      }
    } else if (c.role == Role::kMetric && !is_numeric(c.type)) {
      report(ProblemKind::kMetricType, item.loc,
             fmt::format("output column '{}' is an ungrouped {} aggregate; shredder "
                         "mitigation subtracts numeric metrics only: group by it, make it "
                         "numeric, or remove it",
                         c.name, type_name(c.type)));
    }
    return c;
  }

  Type arg_type(const FunctionCall& f, size_t i) const {
    return i < f.args.size() ? infer(*f.args[i].value) : Type::kUnknown;
  }

  Type first_known(const FunctionCall& f, size_t from) const {
    for (size_t i = from; i < f.args.size(); ++i) {
      Type t = infer(*f.args[i].value);
      if (t != Type::kUnknown) return t;
    }
    return Type::kUnknown;
  }

  // A likely type beyond what the expression proves (proven_type comes first): SUM, MIN, MAX
  // and ANY_VALUE of an unknown column are numeric or keep it, string and date functions that
  // also accept BYTES or DATETIME are taken to return STRING and DATE.
  Type infer_call(const FunctionCall& f) const {
    std::string name = function_key(f);
    static const std::set<std::string> kInt = {"DIV", "BIT_COUNT"};
    static const std::set<std::string> kString = {
        "CONCAT",  "SUBSTR",         "SUBSTRING",      "TRIM",       "LTRIM",  "RTRIM",
        "REPLACE", "REGEXP_EXTRACT", "REGEXP_REPLACE", "SPLIT_PART", "LPAD",   "RPAD",
        "LEFT",    "RIGHT",          "NORMALIZE",      "REVERSE",    "REPEAT", "CAST_TO_STRING"};
    static const std::set<std::string> kDate = {"DATE_ADD", "DATE_SUB", "LAST_DAY"};
    static const std::set<std::string> kTimestamp = {"TIMESTAMP_ADD", "TIMESTAMP_SUB",
                                                     "TIMESTAMP_TRUNC"};
    static const std::set<std::string> kSameAsFirst = {
        "MIN",   "MAX",         "ANY_VALUE",  "ABS", "SIGN", "GREATEST",
        "LEAST", "FIRST_VALUE", "LAST_VALUE", "LAG", "LEAD", "NTH_VALUE"};
    if (kInt.count(name)) return Type::kInt64;
    if (kString.count(name)) return Type::kString;
    if (kDate.count(name)) return Type::kDate;
    if (kTimestamp.count(name)) return Type::kTimestamp;
    if (kSameAsFirst.count(name)) return arg_type(f, 0);
    if (name == "DATETIME_TRUNC") return Type::kDatetime;
    if (name == "DATE_TRUNC") {
      return arg_type(f, 0) == Type::kUnknown ? Type::kDate : arg_type(f, 0);
    }
    if (name == "SUM") {
      Type t = arg_type(f, 0);
      return is_numeric(t) ? t : Type::kUnknown;
    }
    if (name == "AVG") {
      Type t = arg_type(f, 0);
      return (t == Type::kNumeric || t == Type::kBigNumeric) ? t : Type::kFloat64;
    }
    if (name == "STRING_AGG") return Type::kString;
    if (name == "POW" || name == "POWER" || name == "SAFE_DIVIDE" || name == "SQRT" ||
        name == "LN" || name == "LOG" || name == "LOG10" || name == "EXP") {
      Type t = arg_type(f, 0);
      return (t == Type::kNumeric || t == Type::kBigNumeric) ? t : Type::kFloat64;
    }
    if (name == "ROUND" || name == "TRUNC" || name == "CEIL" || name == "FLOOR") {
      Type t = arg_type(f, 0);
      return (t == Type::kNumeric || t == Type::kBigNumeric) ? t : Type::kFloat64;
    }
    if (name == "IF") return first_known(f, 1);
    if (name == "IFNULL" || name == "COALESCE" || name == "NULLIF") return first_known(f, 0);
    return Type::kUnknown;
  }

  static Type arithmetic(Type a, Type b, BinaryOp op) {
    if (a == Type::kUnknown || b == Type::kUnknown) return Type::kUnknown;
    if ((a == Type::kDate || a == Type::kTimestamp || a == Type::kDatetime) &&
        b == Type::kInterval) {
      return a;
    }
    if (!is_numeric(a) || !is_numeric(b)) return Type::kUnknown;
    if (a == Type::kFloat64 || b == Type::kFloat64) return Type::kFloat64;
    if (a == Type::kBigNumeric || b == Type::kBigNumeric) return Type::kBigNumeric;
    if (a == Type::kNumeric || b == Type::kNumeric) return Type::kNumeric;
    return op == BinaryOp::kDivide ? Type::kFloat64 : Type::kInt64;
  }

  // The type of an output column without a schema entry: what the expression proves
  // (proven_type), else a likely type from the columns' likely types.
  Type infer(const Expr& e) const {
    if (Type t = proven_type(e); t != Type::kUnknown) return t;
    switch (e.kind) {
      case ExprKind::kParameter: {
        // bigquery-etl passes submission_date (and other *_date parameters) as DATE.
        std::string n = syntax::to_lower(e.as<Parameter>().name);
        return n.size() >= 4 && n.compare(n.size() - 4, 4, "date") == 0 ? Type::kDate
                                                                        : Type::kUnknown;
      }
      case ExprKind::kName:
        return is_niladic_function_name(e.as<NameRef>().name.name)
                   ? type_from_name(syntax::to_upper(e.as<NameRef>().name.name).substr(8))
                   : Type::kUnknown;
      case ExprKind::kCast: {
        const auto& t = *e.as<Cast>().type;
        if (t.kind == syntax::Type::Kind::kRange) return Type::kRange;
        if (t.kind == syntax::Type::Kind::kInterval) return Type::kInterval;
        return Type::kUnknown;
      }
      case ExprKind::kFunctionCall:
        return infer_call(e.as<FunctionCall>());
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        switch (b.op) {
          case BinaryOp::kAdd:
          case BinaryOp::kSubtract:
          case BinaryOp::kMultiply:
          case BinaryOp::kDivide:
            return arithmetic(infer(*b.left), infer(*b.right), b.op);
          case BinaryOp::kConcat:
            return infer(*b.left) == Type::kBytes ? Type::kBytes : Type::kString;
          default:
            return Type::kInt64;  // bitwise operators; comparisons are proven BOOL
        }
      }
      case ExprKind::kUnary:
        return infer(*e.as<Unary>().operand);
      case ExprKind::kCase: {
        const auto& c = e.as<Case>();
        for (const auto& w : c.whens) {
          if (Type t = infer(*w.result); t != Type::kUnknown) return t;
        }
        return c.else_result ? infer(*c.else_result) : Type::kUnknown;
      }
      case ExprKind::kParenthesized:
        return infer(*e.as<Parenthesized>().inner);
      case ExprKind::kInterval:
        return Type::kInterval;
      default:
        return Type::kUnknown;
    }
  }

  const project::Schema& schema_;
  const std::string& file_;
  bool collect_;
  bool grouped_ = true;
  AggregateQuery result_;
  std::set<std::string> range_vars_;
};

}  // namespace

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kUnknown:
      return "unknown";
    case Type::kString:
      return "STRING";
    case Type::kBytes:
      return "BYTES";
    case Type::kInt64:
      return "INT64";
    case Type::kFloat64:
      return "FLOAT64";
    case Type::kNumeric:
      return "NUMERIC";
    case Type::kBigNumeric:
      return "BIGNUMERIC";
    case Type::kBool:
      return "BOOL";
    case Type::kDate:
      return "DATE";
    case Type::kDatetime:
      return "DATETIME";
    case Type::kTime:
      return "TIME";
    case Type::kTimestamp:
      return "TIMESTAMP";
    case Type::kJson:
      return "JSON";
    case Type::kGeography:
      return "GEOGRAPHY";
    case Type::kInterval:
      return "INTERVAL";
    case Type::kStruct:
      return "STRUCT";
    case Type::kArray:
      return "ARRAY";
    case Type::kRange:
      return "RANGE";
  }
  return "unknown";
}

Type type_from_schema(const project::SchemaField& field) {
  if (field.mode == "REPEATED") return Type::kArray;
  return type_from_name(field.type);
}

bool is_numeric(Type t) {
  return t == Type::kInt64 || t == Type::kFloat64 || t == Type::kNumeric || t == Type::kBigNumeric;
}

bool is_groupable(Type t) {
  switch (t) {
    case Type::kString:
    case Type::kBytes:
    case Type::kInt64:
    case Type::kFloat64:
    case Type::kNumeric:
    case Type::kBigNumeric:
    case Type::kBool:
    case Type::kDate:
    case Type::kDatetime:
    case Type::kTime:
    case Type::kTimestamp:
    case Type::kInterval:
      return true;
    default:
      return false;
  }
}

bool is_aggregate_function(std::string_view name) {
  static const std::set<std::string> kAggregates = {"ANY_VALUE",
                                                    "ARRAY_AGG",
                                                    "ARRAY_CONCAT_AGG",
                                                    "AVG",
                                                    "BIT_AND",
                                                    "BIT_OR",
                                                    "BIT_XOR",
                                                    "COUNT",
                                                    "COUNTIF",
                                                    "LOGICAL_AND",
                                                    "LOGICAL_OR",
                                                    "MAX",
                                                    "MAX_BY",
                                                    "MIN",
                                                    "MIN_BY",
                                                    "STRING_AGG",
                                                    "SUM",
                                                    "APPROX_COUNT_DISTINCT",
                                                    "APPROX_QUANTILES",
                                                    "APPROX_TOP_COUNT",
                                                    "APPROX_TOP_SUM",
                                                    "CORR",
                                                    "COVAR_POP",
                                                    "COVAR_SAMP",
                                                    "STDDEV",
                                                    "STDDEV_POP",
                                                    "STDDEV_SAMP",
                                                    "VARIANCE",
                                                    "VAR_POP",
                                                    "VAR_SAMP",
                                                    "HLL_COUNT.INIT",
                                                    "HLL_COUNT.MERGE",
                                                    "HLL_COUNT.MERGE_PARTIAL",
                                                    "GROUPING",
                                                    "ST_UNION_AGG",
                                                    "ST_CENTROID_AGG"};
  return kAggregates.count(syntax::to_upper(name)) > 0;
}

const OutputColumn* AggregateQuery::find(std::string_view name) const {
  std::string key = syntax::to_lower(name);
  for (const auto& c : columns) {
    if (syntax::to_lower(c.name) == key) return &c;
  }
  return nullptr;
}

AggregateQuery analyze_aggregate(const syntax::Query& query, const project::Schema& schema,
                                 const std::string& query_file) {
  return Analyzer(schema, query_file, false).run(query);
}

AggregateQuery inspect_aggregate(const syntax::Query& query, const project::Schema& schema,
                                 const std::string& query_file) {
  return Analyzer(schema, query_file, true).run(query);
}

const syntax::Select& final_select(const syntax::Query& query, bool* set_operation) {
  const QueryExpr* body = query.body.get();
  if (set_operation) *set_operation = false;
  while (true) {
    if (body->kind == QueryExprKind::kNested) {
      body = body->as<NestedQuery>().query->body.get();
    } else if (body->kind == QueryExprKind::kSetOperation) {
      if (set_operation) *set_operation = true;
      body = body->as<SetOperation>().left.get();
    } else {
      return body->as<Select>();
    }
  }
}

}  // namespace shredmit::analysis
