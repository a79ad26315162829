// Name resolution (see resolve.h).
#include "resolve/resolve.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "base/text.h"
#include "syntax/visit.h"

namespace shredmit::resolve {

using namespace shredmit::syntax;
using base::name_key;
using base::same_name;

std::optional<std::string> implicit_name(const Expr& e) {
  if (e.kind == ExprKind::kName) return e.as<NameRef>().name.name;
  if (e.kind == ExprKind::kFieldAccess) return e.as<FieldAccess>().field.name;
  return std::nullopt;
}

std::string implicit_alias(std::string_view path) {
  size_t dot = path.rfind('.');
  return std::string(dot == std::string_view::npos ? path : path.substr(dot + 1));
}

const Source* Scope::find_source(std::string_view name) const {
  for (const auto& s : sources) {
    if (!s->name.empty() && same_name(s->name, name)) return s.get();
  }
  return nullptr;
}

bool Source::hides(std::string_view name) const {
  return std::any_of(using_hidden.begin(), using_hidden.end(),
                     [&](const std::string& u) { return same_name(u, name); });
}

const Column* Resolution::find_column(const Scope& scope, std::string_view name) {
  for (const auto& c : scope.columns) {
    if (same_name(c.name, name)) return &c;
  }
  return nullptr;
}

namespace {

// The WITH queries visible at a point, innermost last.
using WithQueries = std::vector<std::pair<std::string, const QueryScope*>>;

const QueryScope* find_with_query(const WithQueries& visible, std::string_view name) {
  for (auto it = visible.rbegin(); it != visible.rend(); ++it) {
    if (same_name(it->first, name)) return it->second;
  }
  return nullptr;
}

}  // namespace

struct Resolution::Impl {
  const Catalog* catalog = nullptr;
  std::deque<Scope> scopes;
  std::deque<QueryScope> query_scopes;
  std::map<const Select*, const Scope*> scope_by_select;
  std::map<const Query*, const QueryScope*> scope_by_query;
  std::vector<std::pair<std::string, Location>> tables;
  std::vector<const TableFrom*> references;
  const QueryScope* root = nullptr;
  // For table_scans: the WITH query whose body is being resolved (null: outside every WITH
  // query), and each table reference and WITH query reference with the WITH query it is in.
  const Query* owner = nullptr;
  std::vector<std::pair<const Query*, std::string>> table_uses;
  std::vector<std::pair<const Query*, const Query*>> with_uses;  // (owner, the referenced one)

  const QueryScope* query(const Query& q, WithQueries visible, const Scope* outer) {
    QueryScope& qs = query_scopes.emplace_back();
    qs.query = &q;
    scope_by_query[&q] = &qs;
    for (const auto& cte : q.with) {
      // A WITH query sees the ones before it (and, in WITH RECURSIVE, itself: its columns are
      // then unknown while it is being resolved, which is what an empty entry gives).
      const Query* enclosing = owner;
      owner = cte.query.get();
      const QueryScope* inner = query(*cte.query, visible, outer);
      owner = enclosing;
      visible.emplace_back(cte.name.name, inner);
    }
    body(*q.body, visible, outer, qs);
    if (!qs.branches.empty()) {
      const Scope& first = *qs.branches.front();
      for (const auto& c : first.columns) qs.columns.push_back(c.name);
      qs.columns_known = std::all_of(qs.branches.begin(), qs.branches.end(),
                                     [](const Scope* s) { return s->columns_known; });
      for (const auto& c : first.columns) {
        if (c.name.empty()) qs.columns_known = false;
      }
    }
    return &qs;
  }

  void body(const QueryExpr& e, const WithQueries& visible, const Scope* outer, QueryScope& qs) {
    switch (e.kind) {
      case QueryExprKind::kSelect:
        qs.branches.push_back(select(e.as<Select>(), visible, outer));
        return;
      case QueryExprKind::kNested: {
        const QueryScope* inner = query(*e.as<NestedQuery>().query, visible, outer);
        qs.branches.insert(qs.branches.end(), inner->branches.begin(), inner->branches.end());
        qs.set_operation = qs.set_operation || inner->set_operation;
        qs.union_all = qs.union_all && inner->union_all;
        qs.by_name = qs.by_name || inner->by_name;
        return;
      }
      case QueryExprKind::kSetOperation: {
        const auto& op = e.as<SetOperation>();
        qs.set_operation = true;
        if (op.op != SetOp::kUnion || op.distinct || op.by_name || op.corresponding) {
          qs.union_all = false;
        }
        if (op.by_name || op.corresponding) qs.by_name = true;
        body(*op.left, visible, outer, qs);
        body(*op.right, visible, outer, qs);
        return;
      }
    }
  }

  void add_table(const std::string& path, Location loc) {
    for (const auto& [p, l] : tables) {
      if (p == path) return;
    }
    tables.emplace_back(path, loc);
  }

  // Adds the sources of FROM item f to scope s.
  void from(const FromItem& f, const WithQueries& visible, Scope& s) {
    auto add = [&](SourceKind kind, std::string name) -> Source& {
      auto src = std::make_unique<Source>();
      src->kind = kind;
      src->name = std::move(name);
      src->from = &f;
      s.sources.push_back(std::move(src));
      return *s.sources.back();
    };
    switch (f.kind) {
      case FromKind::kTable: {
        const auto& t = f.as<TableFrom>();
        std::string path = t.dotted_path();
        std::string name = t.alias ? t.alias->name : implicit_alias(path);
        const QueryScope* with = nullptr;
        // A one-part name (backticked or not) without dots may name a WITH query.
        if (t.path.size() == 1 && path.find('.') == std::string::npos) {
          with = find_with_query(visible, path);
        }
        if (with != nullptr) {
          Source& src = add(SourceKind::kWithQuery, name);
          src.table = path;
          src.query = with;
          if (with->columns_known) src.columns = with->columns;
          with_uses.emplace_back(owner, with->query);
          return;
        }
        // `t.array_field` where t is a range variable before it: a correlated UNNEST.
        if (t.path.size() >= 2 && !t.path[0].quoted && s.find_source(t.path[0].name)) {
          Source& src = add(SourceKind::kUnnest, name);
          src.columns = std::vector<std::string>{};
          return;
        }
        Source& src = add(SourceKind::kTable, name);
        src.table = path;
        add_table(path, f.loc);
        table_uses.emplace_back(owner, path);
        references.push_back(&t);
        if (catalog != nullptr) src.columns = catalog->columns(path);
        return;
      }
      case FromKind::kSubquery: {
        const auto& sq = f.as<SubqueryFrom>();
        const QueryScope* inner = query(*sq.query, visible, s.outer);
        Source& src = add(SourceKind::kSubquery, sq.alias ? sq.alias->name : "");
        src.query = inner;
        if (inner->columns_known) src.columns = inner->columns;
        return;
      }
      case FromKind::kUnnest: {
        const auto& u = f.as<UnnestFrom>();
        expression(*u.array, visible, s);
        Source& src = add(SourceKind::kUnnest, u.alias ? u.alias->name : "");
        // The element's fields are unknown; `*` over it is not expanded. Only the offset is a
        // known column.
        if (u.offset_alias) src.offset_name = u.offset_alias->name;
        return;
      }
      case FromKind::kTableFunction: {
        const auto& t = f.as<TableFunctionFrom>();
        for (const auto& a : t.args) {
          if (a.value) expression(*a.value, visible, s);
        }
        add(SourceKind::kTableFunction, t.alias ? t.alias->name : "");
        return;
      }
      case FromKind::kJoin: {
        const auto& j = f.as<JoinFrom>();
        from(*j.left, visible, s);
        size_t first_right = s.sources.size();
        from(*j.right, visible, s);
        for (size_t i = first_right; i < s.sources.size(); ++i) {
          Source& r = *s.sources[i];
          if (j.join_type == JoinType::kFull) r.full_join = true;
          if (j.using_columns) {
            for (const auto& c : *j.using_columns) r.using_hidden.push_back(c.name);
          }
        }
        if (j.join_type == JoinType::kFull) {
          for (size_t i = 0; i < first_right; ++i) s.sources[i]->full_join = true;
        }
        if (j.on) expression(*j.on, visible, s);
        return;
      }
      case FromKind::kParenthesized:
        from(*f.as<ParenthesizedFrom>().inner, visible, s);
        return;
      case FromKind::kPivot:
      case FromKind::kUnpivot: {
        // PIVOT and UNPIVOT replace their input's columns (unknown here) and its range variable,
        // which stays the input's when they have no alias.
        bool pivot = f.kind == FromKind::kPivot;
        const FromItem& input = pivot ? *f.as<PivotFrom>().input : *f.as<UnpivotFrom>().input;
        const auto& alias = pivot ? f.as<PivotFrom>().alias : f.as<UnpivotFrom>().alias;
        Scope hidden;
        hidden.outer = s.outer;
        from(input, visible, hidden);
        std::string name = alias ? alias->name : "";
        if (name.empty() && hidden.sources.size() == 1) name = hidden.sources[0]->name;
        add(SourceKind::kTableFunction, name);
        return;
      }
    }
  }

  // Resolves the subqueries inside e, correlated with scope s.
  void expression(const Expr& e, const WithQueries& visible, const Scope& s) {
    for_each_expr(e, [&](const Expr& x) {
      for_each_subquery(x, [&](const Query& q) { query(q, visible, &s); });
    });
  }

  // Appends the columns `*` (source == null) or `t.*` gives.
  void expand_star(Scope& s, const SelectItem& item, const Source* only) {
    for (const auto& src : s.sources) {
      if (only != nullptr && src.get() != only) continue;
      if (!src->columns) {
        s.columns_known = false;
        continue;
      }
      for (const auto& name : *src->columns) {
        if (only == nullptr && src->hides(name)) continue;
        if (std::any_of(item.except_columns.begin(), item.except_columns.end(),
                        [&](const Identifier& x) { return same_name(x.name, name); })) {
          continue;
        }
        Column c;
        c.name = name;
        c.loc = item.loc;
        c.source = src.get();
        c.from_star = true;
        for (const auto& r : item.replace_items) {
          if (r.alias && same_name(r.alias->name, name)) {
            c.expr = r.value.get();
            c.source = nullptr;
          }
        }
        s.columns.push_back(std::move(c));
      }
      if (!src->offset_name.empty()) {
        Column c;
        c.name = src->offset_name;
        c.loc = item.loc;
        c.source = src.get();
        c.from_star = true;
        s.columns.push_back(std::move(c));
      }
    }
  }

  const Scope* select(const Select& sel, const WithQueries& visible, const Scope* outer) {
    Scope& s = scopes.emplace_back();
    s.select = &sel;
    s.outer = outer;
    scope_by_select[&sel] = &s;
    if (sel.from) from(*sel.from, visible, s);
    for (const auto& item : sel.items) {
      switch (item.kind) {
        case SelectItem::Kind::kExpression: {
          Column c;
          c.name = item.alias ? item.alias->name : implicit_name(*item.expr).value_or("");
          c.loc = item.loc;
          c.expr = item.expr.get();
          s.columns.push_back(std::move(c));
          break;
        }
        case SelectItem::Kind::kStar:
          expand_star(s, item, nullptr);
          break;
        case SelectItem::Kind::kDotStar: {
          const Expr& base = strip_parentheses(*item.expr);
          const Source* src =
              base.kind == ExprKind::kName ? s.find_source(base.as<NameRef>().name.name) : nullptr;
          if (src != nullptr) {
            expand_star(s, item, src);
          } else {
            s.columns_known = false;  // a STRUCT column's fields
          }
          break;
        }
      }
    }
    if (sel.select_as != Select::As::kNone) s.columns_known = false;
    for (const auto& item : sel.items) {
      if (item.expr) expression(*item.expr, visible, s);
      for (const auto& r : item.replace_items) expression(*r.value, visible, s);
    }
    for (const Expr* e : {sel.where.get(), sel.having.get(), sel.qualify.get()}) {
      if (e != nullptr) expression(*e, visible, s);
    }
    if (sel.group_by) {
      for (const auto& g : sel.group_by->items) {
        for (const auto& e : g.exprs) expression(*e, visible, s);
      }
    }
    return &s;
  }

  static bool has_column(const Source& src, std::string_view name) {
    if (!src.offset_name.empty() && same_name(src.offset_name, name)) return true;
    if (!src.columns) return false;
    return std::any_of(src.columns->begin(), src.columns->end(),
                       [&](const std::string& c) { return same_name(c, name); });
  }

  std::optional<Binding> bind_name(std::string_view name, const Scope& s, bool correlated) const {
    // Columns of sources whose columns are known. A column named in USING is one column.
    const Source* found = nullptr;
    int unknown = 0;
    const Source* unknown_source = nullptr;
    for (const auto& src : s.sources) {
      if (has_column(*src, name)) {
        if (found != nullptr && !src->hides(name)) return std::nullopt;  // ambiguous
        if (found == nullptr) found = src.get();
      } else if (!src->columns && src->kind != SourceKind::kUnnest) {
        ++unknown;
        unknown_source = src.get();
      }
    }
    if (found != nullptr) return Binding{&s, found, std::string(name), correlated};
    if (const Source* rv = s.find_source(name)) return Binding{&s, rv, "", correlated};
    // A column of the only source whose columns are unknown.
    if (unknown == 1) return Binding{&s, unknown_source, std::string(name), correlated};
    if (unknown > 1) return std::nullopt;
    if (s.outer != nullptr) return bind_name(name, *s.outer, true);
    return std::nullopt;
  }

  std::optional<Binding> bind(const Expr& ref, const Scope& s) const {
    const Expr& e = strip_parentheses(ref);
    if (e.kind == ExprKind::kName) return bind_name(e.as<NameRef>().name.name, s, false);
    if (e.kind != ExprKind::kFieldAccess) return std::nullopt;
    // The innermost name of a field path: `t.x.y` reads column x of range variable t, or field
    // x.y of column t.
    std::vector<const FieldAccess*> path;
    const Expr* base = &e;
    while (base->kind == ExprKind::kFieldAccess) {
      path.push_back(&base->as<FieldAccess>());
      base = base->as<FieldAccess>().operand.get();
    }
    if (base->kind != ExprKind::kName) return std::nullopt;
    const std::string& first = base->as<NameRef>().name.name;
    for (const Scope* sc = &s; sc != nullptr; sc = sc->outer) {
      // A column of that name in a source shadows nothing here: range variables come first
      // for a qualified path, as in BigQuery.
      if (const Source* src = sc->find_source(first)) {
        return Binding{sc, src, path.back()->field.name, sc != &s};
      }
      if (auto b = bind_name(first, *sc, sc != &s); b && !b->column.empty()) return b;
    }
    return std::nullopt;
  }
};

Resolution::Resolution(const Query& query, const Catalog* catalog)
    : impl_(std::make_unique<Impl>()) {
  impl_->catalog = catalog;
  impl_->root = impl_->query(query, {}, nullptr);
}

Resolution::~Resolution() = default;

const QueryScope& Resolution::root() const { return *impl_->root; }

const Scope* Resolution::scope_of(const Select& select) const {
  auto it = impl_->scope_by_select.find(&select);
  return it == impl_->scope_by_select.end() ? nullptr : it->second;
}

const QueryScope* Resolution::query_scope_of(const Query& query) const {
  auto it = impl_->scope_by_query.find(&query);
  return it == impl_->scope_by_query.end() ? nullptr : it->second;
}

std::optional<Binding> Resolution::bind(const Expr& ref, const Scope& scope) const {
  return impl_->bind(ref, scope);
}

std::optional<std::pair<const Column*, const Scope*>> Resolution::definition(
    const Binding& b) const {
  if (b.source == nullptr || b.source->query == nullptr || b.column.empty()) return std::nullopt;
  const QueryScope& q = *b.source->query;
  if (q.branches.empty()) return std::nullopt;
  const Scope* first = q.branches.front();
  if (const Column* c = find_column(*first, b.column)) return std::make_pair(c, first);
  return std::nullopt;
}

std::vector<std::pair<std::string, Location>> Resolution::tables_read() const {
  return impl_->tables;
}

std::vector<std::pair<std::string, int>> Resolution::table_scans() const {
  // How many times each WITH query's body runs: once per reference from the query itself, plus
  // its runs in each WITH query that references it (WITH queries reference only earlier ones, so
  // this terminates; a reference to one still being resolved is not counted).
  std::map<const Query*, int> runs;
  std::set<const Query*> computing;
  std::function<int(const Query*)> runs_of = [&](const Query* q) -> int {
    if (q == nullptr) return 1;
    if (auto it = runs.find(q); it != runs.end()) return it->second;
    if (!computing.insert(q).second) return 0;
    int n = 0;
    for (const auto& [from, to] : impl_->with_uses) {
      if (to == q && from != q) n += runs_of(from);
    }
    computing.erase(q);
    return runs[q] = n;
  };
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [owner, path] : impl_->table_uses) {
    int n = runs_of(owner);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& x) { return x.first == path; });
    if (it == out.end()) {
      out.emplace_back(path, n);
    } else {
      it->second += n;
    }
  }
  return out;
}

const std::vector<const TableFrom*>& Resolution::table_references() const {
  return impl_->references;
}

}  // namespace shredmit::resolve
