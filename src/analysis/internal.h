// shredmit analysis, internal: helpers shared by the analysis sources. Not part of the public
// header; nothing outside src/analysis includes this.
#pragma once

#include <string>
#include <string_view>

#include "analysis.h"

namespace shredmit::analysis::detail {

// The upper-cased dotted function name without a SAFE. prefix: "COUNT", "HLL_COUNT.MERGE".
std::string function_key(const syntax::FunctionCall& f);
// An aggregate function call that is not a window function.
bool is_aggregate_call(const syntax::Expr& e);
using syntax::strip_parentheses;
// A STRING literal whose value is `value`.
bool is_string_literal(const syntax::Expr& e, std::string_view value);
// An INT64, FLOAT64, NUMERIC or BIGNUMERIC literal, possibly negated.
bool is_numeric_literal(const syntax::Expr& e);
// A numeric literal equal to zero (0, 0.0, ...).
bool is_zero_literal(const syntax::Expr& e);
bool is_null_literal(const syntax::Expr& e);

}  // namespace shredmit::analysis::detail
