// Temporary SQL functions inlined into the query that calls them (see syntax.h, print_inlined).
#include <map>
#include <set>

#include "syntax/syntax.h"
#include "syntax/visit.h"

namespace shredmit::syntax {
namespace {

// The names a query binds that a body's parameter names could be confused with: WITH names,
// FROM item aliases (a table's last path part when it has none), UNNEST offsets, select-list
// aliases, in this query and the queries nested in it.
class Bindings {
 public:
  void query(const Query& q) {
    for (const auto& c : q.with) {
      add(c.name);
      query(*c.query);
    }
    query_expr(*q.body);
  }

  void expr(const Expr& e) {
    for_each_expr(e,
                  [&](const Expr& x) { for_each_subquery(x, [&](const Query& q) { query(q); }); });
  }

  std::set<std::string> names;

 private:
  void add(const Identifier& id) { names.insert(to_lower(id.name)); }
  void add(const std::optional<Identifier>& id) {
    if (id) add(*id);
  }

  void query_expr(const QueryExpr& e) {
    switch (e.kind) {
      case QueryExprKind::kSelect: {
        const auto& s = e.as<Select>();
        for (const auto& item : s.items) {
          add(item.alias);
          if (item.expr) expr(*item.expr);
        }
        if (s.from) from(*s.from);
        for (const Expr* x : {s.where.get(), s.having.get(), s.qualify.get()}) {
          if (x != nullptr) expr(*x);
        }
        return;
      }
      case QueryExprKind::kSetOperation:
        query_expr(*e.as<SetOperation>().left);
        query_expr(*e.as<SetOperation>().right);
        return;
      case QueryExprKind::kNested:
        query(*e.as<NestedQuery>().query);
        return;
    }
  }

  void from(const FromItem& f) {
    switch (f.kind) {
      case FromKind::kTable: {
        const auto& t = f.as<TableFrom>();
        if (t.alias) {
          add(*t.alias);
        } else if (!t.path.empty()) {
          std::string last = t.path.back().name;
          size_t dot = last.rfind('.');
          names.insert(to_lower(dot == std::string::npos ? last : last.substr(dot + 1)));
        }
        return;
      }
      case FromKind::kSubquery:
        add(f.as<SubqueryFrom>().alias);
        query(*f.as<SubqueryFrom>().query);
        return;
      case FromKind::kUnnest:
        add(f.as<UnnestFrom>().alias);
        add(f.as<UnnestFrom>().offset_alias);
        expr(*f.as<UnnestFrom>().array);
        return;
      case FromKind::kTableFunction:
        add(f.as<TableFunctionFrom>().alias);
        return;
      case FromKind::kJoin:
        from(*f.as<JoinFrom>().left);
        from(*f.as<JoinFrom>().right);
        return;
      case FromKind::kParenthesized:
        from(*f.as<ParenthesizedFrom>().inner);
        return;
      case FromKind::kPivot:
        add(f.as<PivotFrom>().alias);
        from(*f.as<PivotFrom>().input);
        return;
      case FromKind::kUnpivot:
        add(f.as<UnpivotFrom>().alias);
        from(*f.as<UnpivotFrom>().input);
        return;
    }
  }
};

class Inliner {
 public:
  explicit Inliner(const std::vector<const CreateFunction*>& functions) {
    for (const CreateFunction* f : functions) {
      if (f != nullptr && !f->name.empty()) by_name_[to_lower(f->name.back().name)] = f;
    }
    hook_ = [this](const Expr& e) { return rewrite(e); };
  }

  const ExprHook& hook() const { return hook_; }
  bool failed() const { return failed_; }

 private:
  std::optional<std::string> rewrite(const Expr& e) {
    if (e.kind == ExprKind::kName && !arguments_.empty()) {
      auto it = arguments_.back().find(to_lower(e.as<NameRef>().name.name));
      if (it != arguments_.back().end()) return it->second;
      return std::nullopt;
    }
    if (e.kind != ExprKind::kFunctionCall) return std::nullopt;
    const auto& call = e.as<FunctionCall>();
    if (call.name.size() != 1) return std::nullopt;
    auto found = by_name_.find(to_lower(call.name.front().name));
    if (found == by_name_.end()) return std::nullopt;
    const CreateFunction& f = *found->second;
    if (f.language || !f.body || f.aggregate || call.args.size() != f.params.size() || call.star ||
        call.distinct || call.over || arguments_.size() >= by_name_.size()) {
      failed_ = true;
      return std::nullopt;
    }
    std::map<std::string, std::string> values;
    for (size_t i = 0; i < f.params.size(); ++i) {
      const FunctionParameter& p = f.params[i];
      std::string argument = print(*call.args[i].value, hook_);
      values[to_lower(p.name.name)] =
          p.type ? "CAST(" + argument + " AS " + print(*p.type) + ")" : "(" + argument + ")";
    }
    Bindings bound;
    bound.expr(*f.body);
    for (const auto& [name, value] : values) {
      if (bound.names.count(name)) {
        failed_ = true;
        return std::nullopt;
      }
    }
    arguments_.push_back(std::move(values));
    std::string body = print(strip_parentheses(*f.body), hook_);
    arguments_.pop_back();
    if (f.returns) return "CAST((" + body + ") AS " + print(*f.returns) + ")";
    return "(" + body + ")";
  }

  std::map<std::string, const CreateFunction*> by_name_;
  // The parameters of the bodies being printed, innermost last: name -> argument text.
  std::vector<std::map<std::string, std::string>> arguments_;
  ExprHook hook_;
  bool failed_ = false;
};

}  // namespace

std::optional<std::string> print_inlined(const Query& query,
                                         const std::vector<const CreateFunction*>& functions) {
  Inliner inliner(functions);
  std::string text = print(query, inliner.hook());
  if (inliner.failed()) return std::nullopt;
  return text;
}

}  // namespace shredmit::syntax
