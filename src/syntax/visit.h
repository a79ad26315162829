// shredmit syntax: traversal of the AST. Every walker of expressions (analysis, resolution,
// lowering, simulation) enumerates children here, so that a new expression kind is added in one
// place.
#pragma once

#include <functional>

#include "syntax/syntax.h"

namespace shredmit::syntax {

// Calls fn on each direct sub-expression of e, in source order, not entering subqueries
// (scalar, ARRAY, EXISTS and IN subqueries are leaves here; see for_each_subquery).
void for_each_child(const Expr& e, const std::function<void(const Expr&)>& fn);

// Calls fn on each query directly inside e: the query of a scalar, ARRAY or EXISTS subquery and
// of `x IN (SELECT ...)`. Queries inside those queries are not visited.
void for_each_subquery(const Expr& e, const std::function<void(const Query&)>& fn);

// Calls fn on every expression of the tree rooted at e (e first, then its children, depth
// first), not entering subqueries.
void for_each_expr(const Expr& e, const std::function<void(const Expr&)>& fn);

// e without enclosing parentheses.
const Expr& strip_parentheses(const Expr& e);

// A plain column reference as written: a name (`x`), or a field of a name (`t.x`, where `t` is a
// range variable or a STRUCT column). Parentheses are not looked through.
bool is_column_reference(const Expr& e);

}  // namespace shredmit::syntax
