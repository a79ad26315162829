// shredmit analysis, internal: helpers shared by the analysis sources. Not part of the public
// header; nothing outside src/analysis includes this.
#pragma once

#include <string>
#include <string_view>

#include "analysis.h"

namespace shredmit::analysis::detail {

// A schema or CAST type name (INTEGER, INT64, FLOAT, STRING, RECORD, ...) as a Type.
Type type_from_name(std::string_view name);
// The upper-cased dotted function name without a SAFE. prefix: "COUNT", "HLL_COUNT.MERGE".
std::string function_key(const syntax::FunctionCall& f);
// An aggregate function call that is not a window function.
bool is_aggregate_call(const syntax::Expr& e);

}  // namespace shredmit::analysis::detail
