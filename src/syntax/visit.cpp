// AST traversal (see visit.h).
#include "syntax/visit.h"

namespace shredmit::syntax {

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

void for_each_subquery(const Expr& e, const std::function<void(const Query&)>& fn) {
  switch (e.kind) {
    case ExprKind::kArraySubquery:
      fn(*e.as<ArraySubquery>().query);
      return;
    case ExprKind::kScalarSubquery:
      fn(*e.as<ScalarSubquery>().query);
      return;
    case ExprKind::kExists:
      fn(*e.as<Exists>().query);
      return;
    case ExprKind::kIn:
      if (e.as<In>().set.query) fn(*e.as<In>().set.query);
      return;
    default:
      return;
  }
}

void for_each_expr(const Expr& e, const std::function<void(const Expr&)>& fn) {
  fn(e);
  for_each_child(e, [&](const Expr& c) { for_each_expr(c, fn); });
}

const Expr& strip_parentheses(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == ExprKind::kParenthesized) p = p->as<Parenthesized>().inner.get();
  return *p;
}

bool is_column_reference(const Expr& e) {
  return e.kind == ExprKind::kName ||
         (e.kind == ExprKind::kFieldAccess && e.as<FieldAccess>().operand->kind == ExprKind::kName);
}

}  // namespace shredmit::syntax
