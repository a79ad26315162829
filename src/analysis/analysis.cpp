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

class Analyzer {
 public:
  explicit Analyzer(const project::Schema& schema) : schema_(schema) {}

  AggregateQuery run(const Query& query) {
    lineage_ = std::make_shared<Lineage>(query);
    result_.lineage = lineage_;
    const resolve::QueryScope& root = lineage_->resolution().root();
    result_.final_select = root.branches.front()->select;
    result_.columns = query_columns(root, query, 0);
    std::set<std::string> seen;
    for (const auto& c : result_.columns) {
      if (!seen.insert(syntax::to_lower(c.name)).second) {
        report(ProblemKind::kShape, c.loc,
               fmt::format("output column '{}' appears twice; rename one of them", c.name));
      }
    }
    for (auto& c : result_.columns) type_of(c);
    return std::move(result_);
  }

 private:
  using Definitions = std::vector<std::pair<const Expr*, Lineage::Scope>>;

  void report(ProblemKind kind, Location loc, const std::string& message) {
    result_.problems.push_back(Problem{kind, loc, message});
  }

  // The output columns of a query: a SELECT, or a UNION ALL of SELECTs whose columns agree.
  std::vector<OutputColumn> query_columns(const resolve::QueryScope& q, const Query& query,
                                          int depth) {
    if (!q.set_operation) return select_columns(*q.branches.front(), depth);
    const Query* inner = &query;
    while (inner->body->kind == QueryExprKind::kNested) {
      inner = inner->body->as<NestedQuery>().query.get();
    }
    if (!q.union_all) {
      report(ProblemKind::kShape, inner->body->loc,
             "the final query is a set operation other than UNION ALL by position (UNION "
             "DISTINCT, INTERSECT, EXCEPT, BY NAME or CORRESPONDING); shredder mitigation can "
             "regroup only a UNION ALL of grouped SELECTs: move the set operation into a WITH "
             "clause and aggregate it in a final SELECT");
      return {};
    }
    std::vector<std::vector<OutputColumn>> branches;
    for (const resolve::Scope* b : q.branches) branches.push_back(select_columns(*b, depth));
    std::vector<OutputColumn> merged = branches.front();
    for (size_t bi = 1; bi < branches.size(); ++bi) {
      const auto& branch = branches[bi];
      if (branch.size() != merged.size()) {
        report(ProblemKind::kShape, q.branches[bi]->select->loc,
               fmt::format("UNION ALL branch {} has {} output columns but the first has {}; "
                           "give every branch the same columns",
                           bi + 1, branch.size(), merged.size()));
        return merged;
      }
      for (size_t i = 0; i < merged.size(); ++i) {
        OutputColumn& m = merged[i];
        const OutputColumn& c = branch[i];
        if (c.constant && !m.constant && m.role == Role::kMetric) {
          require_zero(c, m.name);
          continue;
        }
        if (m.constant && c.role == Role::kMetric && !c.constant) {
          require_zero(m, m.name);
          OutputColumn keep = c;
          keep.name = m.name;
          keep.loc = m.loc;
          m = keep;
          continue;
        }
        if (m.constant && c.constant) continue;
        if (m.role != c.role) {
          report(ProblemKind::kShape, c.loc,
                 fmt::format("output column '{}' is {} in UNION ALL branch {} but {} in the "
                             "first; group by it in every branch or aggregate it in every branch",
                             m.name, c.role == Role::kMetric ? "aggregated" : "grouped", bi + 1,
                             m.role == Role::kMetric ? "aggregated" : "grouped"));
          continue;
        }
        m.definitions.insert(m.definitions.end(), c.definitions.begin(), c.definitions.end());
      }
    }
    return merged;
  }

  // A constant in a metric position of a UNION ALL branch adds nothing only when it is 0 or NULL.
  void require_zero(const OutputColumn& c, const std::string& name) {
    if (c.expr != nullptr && (detail::is_zero_literal(strip_parentheses(*c.expr)) ||
                              detail::is_null_literal(strip_parentheses(*c.expr)))) {
      return;
    }
    report(ProblemKind::kShape, c.loc,
           fmt::format("metric '{}' is a constant other than 0 or NULL in a UNION ALL branch; "
                       "every row of that branch would add it to the totals: write 0 or "
                       "aggregate it",
                       name));
  }

  static bool has_aggregate_item(const resolve::Scope& s) {
    for (const auto& c : s.columns) {
      if (c.expr != nullptr && contains_aggregate(*c.expr)) return true;
    }
    return false;
  }

  // A query whose rows are aggregates: grouped SELECTs, UNION ALLs of them, and projections of
  // one such query.
  bool aggregate_shaped(const resolve::QueryScope& q, int depth) const {
    if (depth > Lineage::kMaxDepth || (q.set_operation && !q.union_all)) return false;
    for (const resolve::Scope* b : q.branches) {
      if (b->select->group_by || has_aggregate_item(*b)) continue;
      const resolve::Source* grain = grain_source(*b);
      if (grain == nullptr || !aggregate_shaped(*grain->query, depth + 1)) return false;
    }
    return !q.branches.empty();
  }

  // The one FROM item of a SELECT without GROUP BY when it is a WITH query or subquery.
  static const resolve::Source* grain_source(const resolve::Scope& s) {
    if (s.sources.size() != 1) return nullptr;
    const resolve::Source* src = s.sources.front().get();
    return src->query != nullptr ? src : nullptr;
  }

  std::vector<OutputColumn> select_columns(const resolve::Scope& s, int depth) {
    const Select& sel = *s.select;
    if (sel.group_by || has_aggregate_item(s)) return grouped_columns(s);
    const resolve::Source* grain = grain_source(s);
    if (grain == nullptr || !aggregate_shaped(*grain->query, depth + 1)) {
      std::string what = "the final SELECT has no GROUP BY";
      if (s.sources.size() > 1) {
        bool full = std::any_of(s.sources.begin(), s.sources.end(),
                                [](const auto& src) { return src->full_join; });
        what += full ? " and joins several FROM items (a FULL JOIN of two aggregates cannot be "
                       "regrouped: a group missing on one side has no total there)"
                     : " and joins several FROM items (a join of aggregates is not one grain)";
      } else if (grain != nullptr) {
        what += fmt::format(" and {}, which it reads, is not an aggregate either",
                            grain->name.empty() ? std::string("the subquery") : grain->name);
      }
      for (const auto& c : s.columns) {
        if (has_name(project::default_id_level_columns(), c.name)) {
          what += fmt::format("; '{}' is an id-level column, one row per client", c.name);
          break;
        }
      }
      report(ProblemKind::kGroupBy, sel.loc,
             what +
                 "; shredder mitigation needs an aggregate query: group by the dimension "
                 "columns explicitly");
      return {};
    }
    // A projection of one aggregate: columns pass its dimensions and metrics through.
    std::vector<OutputColumn> source =
        query_columns(*grain->query, *grain->query->query, depth + 1);
    std::vector<OutputColumn> out;
    if (!require_known_columns(s)) return out;
    for (const auto& rc : s.columns) {
      OutputColumn c;
      if (!named(rc, out.size(), c)) continue;
      std::optional<std::string> passed;  // the source column it passes through
      if (rc.expr == nullptr) {
        passed = rc.name;
      } else if (auto b = lineage_->resolution().bind(*rc.expr, s);
                 b && b->source == grain && !b->column.empty() &&
                 syntax::is_column_reference(strip_parentheses(*rc.expr)) &&
                 find_column(source, b->column) != nullptr) {
        passed = b->column;
      }
      if (passed) {
        const OutputColumn* from = find_column(source, *passed);
        if (from == nullptr) continue;
        c.expr = from->expr;
        c.role = from->role;
        c.constant = from->constant;
        c.definitions = from->definitions;
        out.push_back(std::move(c));
        continue;
      }
      c.expr = rc.expr;
      projected_expression(s, *rc.expr, c, source);
      out.push_back(std::move(c));
    }
    return out;
  }

  // The metric of `source` that the column reference `ref`, written in `s`, reads; null when
  // `ref` is not a reference or reads a dimension.
  const OutputColumn* source_metric(const resolve::Scope& s, const Expr& ref,
                                    const std::vector<OutputColumn>& source) const {
    if (ref.kind != ExprKind::kName && ref.kind != ExprKind::kFieldAccess) return nullptr;
    auto b = lineage_->resolution().bind(ref, s);
    if (!b || b->column.empty()) return nullptr;
    const OutputColumn* from = find_column(source, b->column);
    return from != nullptr && from->role == Role::kMetric ? from : nullptr;
  }

  // True when e reads a metric of `source`.
  bool reads_metric(const resolve::Scope& s, const Expr& e,
                    const std::vector<OutputColumn>& source) const {
    bool found = false;
    for_each_expr(e, [&](const Expr& r) { found = found || source_metric(s, r, source); });
    return found;
  }

  // An expression over the columns of the one aggregate a projection reads: a dimension when it
  // reads dimensions only; a metric when it is a sum-like form of metrics (CASE or IF on
  // dimensions choosing metrics or 0, sums and differences, constant multiples, IFNULL(m, 0),
  // CAST). Anything else over metrics is refused, naming the construct.
  void projected_expression(const resolve::Scope& s, const Expr& e, OutputColumn& c,
                            const std::vector<OutputColumn>& source) {
    bool metric = false;
    std::string window;
    for_each_expr(e, [&](const Expr& x) {
      if (x.kind == ExprKind::kFunctionCall && x.as<FunctionCall>().over) {
        window = detail::function_key(x.as<FunctionCall>());
      }
      if (const OutputColumn* from = source_metric(s, x, source)) {
        metric = true;
        c.definitions.insert(c.definitions.end(), from->definitions.begin(),
                             from->definitions.end());
      }
    });
    if (!window.empty()) {
      report(ProblemKind::kUngrouped, e.loc,
             fmt::format("output column '{}' is a window function ({} OVER ...) over the "
                         "aggregate's rows; it is not a total that subtraction can recover: "
                         "compute it in a view",
                         c.name, window));
      return;
    }
    if (!metric) {
      c.role = Role::kDimension;
      std::vector<const Expr*> refs;
      column_refs(e, refs);
      c.constant = refs.empty();
      return;
    }
    c.role = Role::kMetric;
    if (auto why = non_additive_projection(s, e, source)) {
      report(ProblemKind::kUngrouped, e.loc,
             fmt::format("output column '{}' is {} of the aggregate's metrics, which subtraction "
                         "cannot recover; keep the metrics themselves as columns and compute it "
                         "in a view",
                         c.name, *why));
    }
  }

  std::optional<std::string> non_additive_projection(const resolve::Scope& s, const Expr& expr,
                                                     const std::vector<OutputColumn>& source) {
    auto is_metric = [&](const Expr& x) { return reads_metric(s, x, source); };
    const Expr& e = strip_parentheses(expr);
    if (!is_metric(e)) return std::nullopt;
    switch (e.kind) {
      case ExprKind::kName:
      case ExprKind::kFieldAccess:
        return std::nullopt;
      case ExprKind::kCast:
        return non_additive_projection(s, *e.as<Cast>().operand, source);
      case ExprKind::kUnary:
        return non_additive_projection(s, *e.as<Unary>().operand, source);
      case ExprKind::kCase: {
        const auto& k = e.as<Case>();
        if ((k.operand && is_metric(*k.operand))) return "a CASE that tests a metric";
        for (const auto& w : k.whens) {
          if (is_metric(*w.condition)) return "a CASE that tests a metric";
          if (auto why = branch(s, *w.result, source)) return why;
        }
        if (k.else_result) return branch(s, *k.else_result, source);
        return std::nullopt;
      }
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        if (b.op == BinaryOp::kAdd || b.op == BinaryOp::kSubtract) {
          if (is_metric(*b.left) != is_metric(*b.right)) {
            return "a metric plus or minus a per-row value (counted once per row)";
          }
          if (auto why = non_additive_projection(s, *b.left, source)) return why;
          return non_additive_projection(s, *b.right, source);
        }
        if ((b.op == BinaryOp::kMultiply || b.op == BinaryOp::kDivide) &&
            detail::is_numeric_literal(strip_parentheses(*b.right))) {
          return non_additive_projection(s, *b.left, source);
        }
        if (b.op == BinaryOp::kMultiply && detail::is_numeric_literal(strip_parentheses(*b.left))) {
          return non_additive_projection(s, *b.right, source);
        }
        if (b.op == BinaryOp::kDivide) return std::string("a ratio");
        if (b.op == BinaryOp::kMultiply) return std::string("a product");
        return std::string("an operator");
      }
      case ExprKind::kFunctionCall: {
        const auto& f = e.as<FunctionCall>();
        std::string name = detail::function_key(f);
        if ((name == "IFNULL" || name == "COALESCE") && f.args.size() == 2 &&
            detail::is_zero_literal(strip_parentheses(*f.args[1].value))) {
          return non_additive_projection(s, *f.args[0].value, source);
        }
        if (name == "IF" && f.args.size() == 3 && !is_metric(*f.args[0].value)) {
          if (auto why = branch(s, *f.args[1].value, source)) return why;
          return branch(s, *f.args[2].value, source);
        }
        if (name == "SAFE_DIVIDE" || name == "IEEE_DIVIDE" || name == "DIV") {
          return std::string("a ratio");
        }
        return fmt::format("the function {}", name);
      }
      default:
        return std::string("an expression");
    }
  }

  // A result of CASE or IF in a metric: a metric expression, 0 or NULL.
  std::optional<std::string> branch(const resolve::Scope& s, const Expr& e,
                                    const std::vector<OutputColumn>& source) {
    const Expr& x = strip_parentheses(e);
    if (detail::is_zero_literal(x) || detail::is_null_literal(x)) return std::nullopt;
    if (!reads_metric(s, x, source)) {
      return std::string("a CASE or IF that gives a non-zero value where it gives no metric");
    }
    return non_additive_projection(s, x, source);
  }

  // False, after reporting it, when a `*` of s reads a FROM item whose columns are not known.
  bool require_known_columns(const resolve::Scope& s) {
    if (s.columns_known) return true;
    report(ProblemKind::kShape, s.select->loc,
           "`*` in the final SELECT hides which columns are dimensions and metrics (it reads "
           "a table or UNNEST whose columns are not known from the text); list the output "
           "columns explicitly");
    return false;
  }

  // Sets c's name and location from rc; false, after reporting it, when rc has no name.
  bool named(const resolve::Column& rc, size_t index, OutputColumn& c) {
    c.name = rc.name;
    c.loc = rc.loc;
    if (!c.name.empty()) return true;
    report(ProblemKind::kShape, rc.loc,
           fmt::format("output column {} has no name; add `AS name`", index + 1));
    return false;
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
  static std::optional<std::string> column_key(const resolve::Scope& s, const Expr& e) {
    if (e.kind == ExprKind::kName) return syntax::to_lower(e.as<NameRef>().name.name);
    if (e.kind == ExprKind::kFieldAccess) {
      const auto& f = e.as<FieldAccess>();
      if (f.operand->kind == ExprKind::kName &&
          s.find_source(f.operand->as<NameRef>().name.name) != nullptr) {
        return syntax::to_lower(f.field.name);
      }
    }
    return std::nullopt;
  }

  static bool matches_group_item(const resolve::Scope& s, const Expr* e, const std::string& column,
                                 const std::string* alias) {
    std::optional<std::string> key =
        e != nullptr ? column_key(s, *e) : std::optional<std::string>(syntax::to_lower(column));
    for (const auto& item : s.select->group_by->items) {
      if (item.kind != GroupingItem::Kind::kExpression) continue;
      const Expr& g = *item.exprs[0];
      if (e != nullptr && equivalent(g, *e)) return true;
      auto gkey = column_key(s, g);
      if (gkey && key && *gkey == *key) return true;
      // GROUP BY may name a select-list alias (BigQuery: aliases take precedence there).
      if (alias != nullptr && g.kind == ExprKind::kName &&
          syntax::to_lower(g.as<NameRef>().name.name) == syntax::to_lower(*alias)) {
        return true;
      }
    }
    return false;
  }

  std::vector<OutputColumn> grouped_columns(const resolve::Scope& s) {
    const Select& sel = *s.select;
    bool grouped = check_group_by(sel);
    std::vector<OutputColumn> out;
    require_known_columns(s);
    for (const auto& rc : s.columns) {
      OutputColumn c;
      if (!named(rc, out.size(), c)) continue;
      if (rc.expr == nullptr) {
        // A column `*` passes through: a plain reference to the source's column.
        auto through = lineage_->column_in(s, rc);
        c.expr = through ? through->first : nullptr;
        c.role = Role::kDimension;
        if (grouped && !matches_group_item(s, nullptr, rc.name, nullptr)) {
          report(ProblemKind::kUngrouped, rc.loc,
                 fmt::format("output column '{}' (from `*`) is neither grouped nor aggregated; "
                             "add it to GROUP BY or to the star's EXCEPT list",
                             c.name));
        }
        out.push_back(std::move(c));
        continue;
      }
      c.expr = rc.expr;
      bool aggregate = contains_aggregate(*rc.expr);
      if (!grouped) {
        c.role = aggregate ? Role::kMetric : Role::kDimension;
      } else if (matches_group_item(s, rc.expr, rc.name, &c.name)) {
        c.role = Role::kDimension;
      } else if (aggregate) {
        c.role = Role::kMetric;
      } else {
        std::vector<const Expr*> refs;
        column_refs(*rc.expr, refs);
        c.constant = refs.empty();
        for (const Expr* r : refs) {
          if (!matches_group_item(s, r, "", nullptr)) {
            report(ProblemKind::kUngrouped, r->loc,
                   fmt::format("output column '{}' is neither grouped nor aggregated; "
                               "add it to GROUP BY or aggregate it",
                               c.name));
            break;
          }
        }
        c.role = Role::kDimension;
      }
      if (c.role == Role::kMetric) c.definitions.emplace_back(rc.expr, &s);
      out.push_back(std::move(c));
    }
    if (grouped) check_hidden_grain(s, out);
    return out;
  }

  // Every GROUP BY item must be an output dimension or be read by one (`IFNULL(city, '??') AS
  // city ... GROUP BY city`): grouping by a value the table does not show splits its rows by a
  // hidden grain (several rows with the same dimensions), and with a COUNT(DISTINCT ...) metric
  // that grain acts as an added dimension nobody declared. Items made only of literals and
  // parameters are constant and do not split groups.
  void check_hidden_grain(const resolve::Scope& s, const std::vector<OutputColumn>& columns) {
    for (const auto& item : s.select->group_by->items) {
      if (item.kind != GroupingItem::Kind::kExpression) continue;
      const Expr& g = *item.exprs[0];
      std::vector<const Expr*> refs;
      column_refs(g, refs);
      if (refs.empty()) continue;
      auto gkey = column_key(s, g);
      bool found = false;
      for (size_t i = 0; i < s.columns.size() && !found; ++i) {
        const resolve::Column& rc = s.columns[i];
        const OutputColumn* c = find_column(columns, rc.name);
        if (c == nullptr || c->role != Role::kDimension) continue;
        if (g.kind == ExprKind::kName && base::same_name(g.as<NameRef>().name.name, rc.name)) {
          found = true;
        } else if (rc.expr != nullptr && equivalent(g, *rc.expr)) {
          found = true;
        } else if (rc.expr == nullptr) {
          found = gkey && *gkey == syntax::to_lower(rc.name);
        } else {
          for_each_expr(*rc.expr, [&](const Expr& x) {
            if (found) return;
            if (equivalent(g, x)) found = true;
            auto xkey = gkey ? column_key(s, x) : std::nullopt;
            if (xkey && *xkey == *gkey) found = true;
          });
        }
      }
      if (!found) {
        report(ProblemKind::kGroupBy, item.loc,
               fmt::format("GROUP BY {} is not an output column: it splits the rows by a value the "
                           "table does not keep (a hidden grain, which a COUNT(DISTINCT ...) "
                           "metric counts as an undeclared dimension); add it to the select list "
                           "or remove it from GROUP BY",
                           syntax::print(g)));
      }
    }
  }

  // The type of an output column: schema.yaml first, then the defining expression.
  void type_of(OutputColumn& c) {
    if (const auto* field = schema_.find(c.name)) {
      c.type = type_from_schema(*field);
      c.type_source = "schema.yaml";
    }
    if (c.type == Type::kUnknown && c.expr != nullptr) {
      c.type = infer(*c.expr);
      c.type_source = "inferred from the expression";
    }
    if (c.type != Type::kUnknown && c.role == Role::kMetric && !is_numeric(c.type)) {
      report(ProblemKind::kMetricType, c.loc,
             fmt::format("output column '{}' is an ungrouped {} aggregate; shredder "
                         "mitigation subtracts numeric metrics only: group by it, make it "
                         "numeric, or remove it",
                         c.name, type_name(c.type)));
    }
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
  AggregateQuery result_;
  std::shared_ptr<Lineage> lineage_;
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

const OutputColumn* find_column(const std::vector<OutputColumn>& columns, std::string_view name) {
  for (const auto& c : columns) {
    if (base::same_name(c.name, name)) return &c;
  }
  return nullptr;
}

const OutputColumn* AggregateQuery::find(std::string_view name) const {
  return find_column(columns, name);
}

AggregateQuery inspect_aggregate(const syntax::Query& query, const project::Schema& schema) {
  return Analyzer(schema).run(query);
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
